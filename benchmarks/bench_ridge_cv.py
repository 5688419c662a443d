"""Benchmark ``ridgeline.RidgeCV`` against scikit-learn, glum and himalaya — and check answers.

Three cases (sizes from the issue; ``--quick`` divides n by 10):

A  n=100,000, p=200, one target, 50 alphas, 5-fold CV and exact LOO. Peers: scikit-learn
   ``RidgeCV(cv=5)`` (GridSearchCV), scikit-learn ``RidgeCV()`` (LOO), glum
   ``GeneralizedLinearRegressorCV`` (5-fold, its own alpha convention), himalaya ``RidgeCV``
   (run in a subprocess under an address-space limit: it asks for hundreds of GiB) and the
   floor, one ``X.T @ X``. Also the peak memory of ridgeline (tracemalloc and ru_maxrss).
B  n=10,000, p=500, 1,000 targets, 30 alphas, one alpha per target. Peers: himalaya
   ``RidgeCV`` (5-fold) and scikit-learn ``RidgeCV(alpha_per_target=True)`` (LOO only).
C  n=2,000, p=50,000 (p > n), 50 alphas, 5-fold. Peer: scikit-learn ``RidgeCV(cv=5)``, timed on
   a subset of the grid and extrapolated linearly in the number of fits when the full run is
   projected to take more than ten minutes.

Every peer gets the same data (fixed seed), the same grid translated into its own convention,
the same objective and the same ``KFold(5)`` object; chosen alphas and coefficients are compared
(relative error ≤ 1e-8 for peers that solve the same problem exactly).

Usage::

    .venv/bin/python benchmarks/bench_ridge_cv.py                    # all cases, full sizes
    .venv/bin/python benchmarks/bench_ridge_cv.py --case A --repeats 5
    .venv/bin/python benchmarks/bench_ridge_cv.py --quick --skip-slow-peers   # smoke run
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import scipy.linalg  # noqa: F401  (loads scipy's BLAS so that threadpoolctl reports it)
from sklearn.linear_model import Ridge
from sklearn.linear_model import RidgeCV as SkRidgeCV
from sklearn.model_selection import GridSearchCV, KFold

import ridgeline

SEED = 20_251_121
N_SPLITS = 5
#: Relative coefficient agreement required from peers that solve the same problem exactly.
EXACT_RTOL = 1e-8
#: Relative coefficient agreement accepted from an iterative peer (glum if not closed-form).
ITERATIVE_RTOL = 1e-4
#: Address-space limit of the himalaya subprocess (so that it cannot exhaust the machine).
HIMALAYA_LIMIT_GIB = 20
#: A full scikit-learn run projected above this many seconds is timed on a subset instead.
PROJECTION_LIMIT_S = 600.0
#: Constant of the O(p²) term of the memory budget: 2·size(X) + MEM_P2_CONST·p²·8 bytes.
MEM_P2_CONST = 64
RESULTS_DIR = Path(__file__).resolve().parent / "results"


# ---- bookkeeping -----------------------------------------------------------------------------
@dataclass
class Row:
    """One timed method of one case."""

    label: str
    times: list[float]
    vs: str | None = None  # label of the ridgeline row a peer is compared with
    target: float | None = None  # required speed-up (peer/ours ≥ target) or floor bound
    target_kind: str = "speedup"  # "speedup" or "floor" (ours/floor ≤ target)
    agreement: str = ""
    agrees: bool | None = None
    note: str = ""
    extrapolated: bool = False

    @property
    def t_min(self) -> float:
        return float(np.min(self.times)) if self.times else float("nan")

    @property
    def t_med(self) -> float:
        return float(np.median(self.times)) if self.times else float("nan")


@dataclass
class CaseReport:
    name: str
    description: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def row(self, label: str) -> Row | None:
        return next((r for r in self.rows if r.label == label), None)

    def ratio(self, r: Row, stat: str = "median") -> float | None:
        """peer/ours (speed-up) or ours/floor, on medians (or on minima)."""
        ref = self.row(r.vs) if r.vs else None
        if ref is None or not r.times or not ref.times:
            return None
        if stat == "min":
            return r.t_min / ref.t_min
        return r.t_med / ref.t_med

    def target_met(self, r: Row) -> bool | None:
        q = self.ratio(r)
        if q is None or r.target is None:
            return None
        return q <= r.target if r.target_kind == "floor" else q >= r.target


#: Seconds to wait, before each timed run, for other processes to leave the CPUs (--wait-idle).
IDLE = {"max_wait": 0.0, "runs": 0, "contended": 0}


def cpu_busy(interval: float = 0.5) -> float:
    """Fraction of all CPUs busy over ``interval`` seconds (this process sleeps meanwhile)."""

    def snap():
        with open("/proc/stat") as fh:
            vals = [int(v) for v in fh.readline().split()[1:9]]
        return sum(vals), vals[3] + vals[4]

    try:
        t1, i1 = snap()
        time.sleep(interval)
        t2, i2 = snap()
    except OSError:
        return 0.0
    return 1.0 - (i2 - i1) / max(t2 - t1, 1)


def wait_for_idle() -> None:
    """Wait (up to ``--wait-idle`` s) until other processes use < 15% of the CPUs."""
    if IDLE["max_wait"] <= 0:
        return
    IDLE["runs"] += 1
    deadline = time.monotonic() + IDLE["max_wait"]
    quiet = 0
    while time.monotonic() < deadline:
        quiet = quiet + 1 if cpu_busy() < 0.15 else 0
        if quiet >= 2:
            return
    IDLE["contended"] += 1


def timed(fn, repeats: int, warmup: bool = False):
    """Wall times of ``repeats`` calls of ``fn`` (each after a gc) and the last result.

    ``warmup``: one untimed call first (first-call costs: lazy imports, page faults of fresh
    allocations, BLAS thread start-up). Used for ridgeline and the floors, whose runs are short;
    the peers' one-time costs are negligible next to their run times.
    """
    times, out = [], None
    if warmup:
        fn()
    for _ in range(max(1, repeats)):
        out = None
        wait_for_idle()
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def say(msg: str = "") -> None:
    print(msg, flush=True)


def rel_err(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), np.finfo(float).tiny))


def same_alpha(a, b) -> bool:
    return bool(np.isclose(float(a), float(b), rtol=1e-10, atol=0.0))


def grid_index(grid: np.ndarray, value) -> np.ndarray:
    """Position(s) of value(s) in a grid (nearest in log scale)."""
    v = np.atleast_1d(np.asarray(value, dtype=np.float64))
    return np.argmin(np.abs(np.log(grid)[None, :] - np.log(v)[:, None]), axis=1)


def edge_note(grid: np.ndarray, value, what: str) -> str:
    idx = grid_index(grid, value)
    at_edge = int(np.sum((idx == 0) | (idx == grid.size - 1)))
    if np.ndim(value) == 0:
        where = "an EDGE" if at_edge else "interior"
        return (f"{what}: alpha={float(value):.6g} (grid index {int(idx[0])}/{grid.size - 1}, "
                f"{where})")
    return (f"{what}: {idx.size - at_edge}/{idx.size} per-target alphas interior, "
            f"{at_edge} at an edge")


def compare_single(ours_alpha, peer_alpha, ours_coef, peer_coef, ours_int, peer_int,
                   tol: float) -> tuple[bool, str]:
    a_ok = same_alpha(ours_alpha, peer_alpha)
    ce = rel_err(ours_coef, peer_coef)
    ie = abs(float(ours_int) - float(peer_int)) / max(abs(float(peer_int)), 1.0)
    ok = a_ok and ce <= tol and ie <= tol
    text = (f"alpha {'same' if a_ok else 'DIFFERENT'} ({float(ours_alpha):.6g} vs "
            f"{float(peer_alpha):.6g}); coef rel.err {ce:.1e}, intercept {ie:.1e} "
            f"(tol {tol:.0e})")
    return ok, text


def compare_per_target(grid, ours_alphas, peer_alphas, ours_coef, peer_coef, ours_int, peer_int,
                       tol: float, mean_score=None) -> tuple[bool, str]:
    """ours_coef/peer_coef of shape (k, p); per-target alphas (k,)."""
    oi, pi = grid_index(grid, ours_alphas), grid_index(grid, peer_alphas)
    same = oi == pi
    k = same.size
    text = f"alpha same for {int(same.sum())}/{k} targets"
    ok = bool(same.all())
    if not same.all() and mean_score is not None:
        t = np.flatnonzero(~same)
        gap = np.abs(mean_score[oi[t], t] - mean_score[pi[t], t])
        rel = gap / np.maximum(np.abs(mean_score[oi[t], t]), 1e-300)
        ties = int(np.sum(rel <= 1e-9))
        text += f" ({ties} of the {t.size} others are ties: CV scores within 1e-9 rel.)"
        ok = ties == t.size
    if same.any():
        oc, pc = np.asarray(ours_coef)[same], np.asarray(peer_coef)[same]
        col = np.linalg.norm(oc - pc, axis=1) / np.maximum(np.linalg.norm(pc, axis=1), 1e-300)
        ie = np.abs(np.asarray(ours_int)[same] - np.asarray(peer_int)[same])
        ie = ie / np.maximum(np.abs(np.asarray(peer_int)[same]), 1.0)
        worst = float(max(col.max(), ie.max()))
        text += f"; max per-target coef/intercept rel.err {worst:.1e} (tol {tol:.0e})"
        ok = ok and worst <= tol
    return ok, text


def loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


# ---- machine ---------------------------------------------------------------------------------
def machine_info() -> dict:
    info: dict = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
    }
    try:
        with open("/proc/cpuinfo") as fh:
            names = [ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")]
        info["cpu_model"] = names[0] if names else platform.processor()
    except OSError:
        info["cpu_model"] = platform.processor()
    try:
        with open("/proc/meminfo") as fh:
            kb = int(next(ln for ln in fh if ln.startswith("MemTotal")).split()[1])
        info["memory_gib"] = round(kb / 2**20, 1)
    except (OSError, StopIteration):
        info["memory_gib"] = None
    versions = {}
    for mod in ("numpy", "scipy", "sklearn", "glum", "himalaya", "ridgeline"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception as exc:  # pragma: no cover - informative only
            versions[mod] = f"unavailable ({type(exc).__name__})"
    info["versions"] = versions
    try:
        root = Path(__file__).resolve().parent.parent
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "src"],
                               capture_output=True, text=True, check=True).stdout.strip()
        info["ridgeline_commit"] = head + (" (src/ modified)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        info["ridgeline_commit"] = "unknown"
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            {k: d.get(k) for k in ("internal_api", "version", "num_threads", "architecture",
                                   "threading_layer", "filepath")}
            for d in threadpool_info()
        ]
    except ImportError:  # pragma: no cover
        info["blas"] = "threadpoolctl not installed; see numpy.show_config()"
    return info


def print_machine(info: dict) -> None:
    say("=" * 100)
    say(f"Machine: {info['cpu_model']}, {info['cpu_count']} logical cores "
        f"({info['cpu_affinity']} usable), {info['memory_gib']} GiB RAM; {info['platform']}")
    say("Versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items())
        + f", Python {info['python']}; ridgeline at commit {info['ridgeline_commit']}")
    if isinstance(info["blas"], list):
        for b in info["blas"]:
            say(f"BLAS: {b['internal_api']} {b['version']} ({b['architecture']}, "
                f"{b['threading_layer']}), {b['num_threads']} threads — "
                f"{Path(b['filepath']).name}")
    else:
        say(f"BLAS: {info['blas']}")
    say(f"Load average at start: {loadavg()}")
    say("=" * 100)


# ---- subprocess workers (himalaya under a memory limit; peak RSS of ridgeline) ---------------
def run_worker(spec: dict, timeout: float = 1800.0) -> dict:
    """Run this script in worker mode in a fresh interpreter; return its JSON answer."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(spec, fh)
        spec_path = fh.name
    try:
        # Through /bin/sh with a forced fork: a child exec'd straight from this (large) process
        # would inherit its resident high-water mark in ru_maxrss.
        proc = subprocess.run(
            ["/bin/sh", "-c", '"$0" "$1" --worker "$2"; exit $?', sys.executable,
             str(Path(__file__).resolve()), spec_path],
            capture_output=True, text=True, timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"worker timed out after {timeout:.0f} s"}
    finally:
        os.unlink(spec_path)
    out_path = spec["out"]
    if proc.returncode != 0 or not os.path.exists(out_path):
        tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-5:]
        return {"ok": False, "error": f"worker exit status {proc.returncode}: "
                + " | ".join(tail)}
    with open(out_path) as fh:
        return json.load(fh)


def _status_kib(key: str) -> int:
    with open("/proc/self/status") as fh:
        return int(next(ln for ln in fh if ln.startswith(key + ":")).split()[1])


def _reset_hwm() -> bool:
    """Reset the kernel's resident-set high-water mark (Linux ≥ 4.0); False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def worker_main(spec_path: str) -> int:
    with open(spec_path) as fh:
        spec = json.load(fh)
    kind, data, out = spec["kind"], Path(spec["data"]), spec["out"]
    if kind == "himalaya":
        limit = int(spec["limit_gib"] * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    X = np.load(data / "X.npy")
    y = np.load(data / "y.npy")
    alphas = np.asarray(spec["alphas"], dtype=np.float64)
    answer: dict = {"ok": True}
    if kind == "himalaya":
        from himalaya.ridge import RidgeCV as HimRidgeCV

        model = HimRidgeCV(alphas=alphas, cv=KFold(N_SPLITS), fit_intercept=True)
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(X, y)
        except (MemoryError, ValueError, RuntimeError) as exc:
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                      "seconds": time.perf_counter() - t0}
        else:
            answer["seconds"] = time.perf_counter() - t0
            np.savez(spec["arrays"], alphas=np.asarray(model.best_alphas_),
                     coef=np.asarray(model.coef_), intercept=np.asarray(model.intercept_))
    elif kind == "peakmem":
        fit = lambda XX, yy: ridgeline.RidgeCV(alphas=alphas, cv=KFold(N_SPLITS)).fit(XX, yy)  # noqa: E731
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit(X[:2000], y[:2000])  # warm-up: imports, BLAS buffers
        gc.collect()
        reset = _reset_hwm()
        base_rss, base_hwm = _status_kib("VmRSS"), _status_kib("VmHWM")
        base_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit(X, y)
        answer.update(seconds=time.perf_counter() - t0, hwm_reset=reset, rss_before_kib=base_rss,
                      hwm_before_kib=base_hwm, maxrss_before_kib=base_maxrss,
                      hwm_after_kib=_status_kib("VmHWM"),
                      maxrss_after_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    with open(out, "w") as fh:
        json.dump(answer, fh)
    return 0


# ---- case A ----------------------------------------------------------------------------------
def data_a(quick: bool):
    n, p = (10_000, 200) if quick else (100_000, 200)
    rng = np.random.default_rng(SEED)
    X = rng.standard_normal((n, p)) + rng.uniform(-1.0, 1.0, p)  # non-zero column means
    w = rng.standard_normal(p) / np.sqrt(p)
    y = 2.0 + X @ w + 3.0 * rng.standard_normal(n)
    return X, y


def case_a(args) -> CaseReport:
    X, y = data_a(args.quick)
    n, p = X.shape
    alphas = np.logspace(-3, 5, 50)
    cv = KFold(N_SPLITS)
    rep = CaseReport("A", f"n={n:,}, p={p}, 1 target, {alphas.size} alphas "
                          f"np.logspace(-3, 5, 50), 5-fold KFold (no shuffle) and LOO")
    R = args.repeats
    say(f"\n--- Case A: {rep.description} (load {loadavg()})")

    t, _ = timed(lambda: X.T @ X, max(R, 5), warmup=True)
    rep.rows.append(Row("floor: X.T @ X", t))

    t, ours = timed(lambda: ridgeline.RidgeCV(alphas=alphas, cv=cv).fit(X, y), R, True)
    rep.rows.append(Row("ridgeline RidgeCV(cv=5)", t, vs="floor: X.T @ X", target=3.0,
                        target_kind="floor", note="R² (sklearn's GridSearchCV default)"))
    rep.notes.append(edge_note(alphas, ours.alpha_, "ridgeline 5-fold choice"))

    glum_lam = alphas / n
    t, ours_mse = timed(lambda: ridgeline.RidgeCV(
        lambdas=glum_lam, cv=cv, scoring="neg_mean_squared_error").fit(X, y), R, True)
    rep.rows.append(Row("ridgeline RidgeCV(lambdas=alphas/n, cv=5, MSE)", t,
                        note="glum's objective: fold penalty n_train·λ, mean fold MSE"))

    t, ours_loo = timed(lambda: ridgeline.RidgeCV(alphas=alphas).fit(X, y), R, True)
    rep.rows.append(Row("ridgeline RidgeCV() LOO", t, note="exact LOO, MSE"))
    rep.notes.append(edge_note(alphas, ours_loo.alpha_, "ridgeline LOO choice"))

    # scikit-learn, 5-fold (GridSearchCV over Ridge) ------------------------------------------
    if args.skip_slow_peers:
        rep.notes.append("scikit-learn RidgeCV(cv=5) skipped (--skip-slow-peers)")
    else:
        t, sk = timed(lambda: SkRidgeCV(alphas=alphas, cv=cv).fit(X, y), args.slow_repeats)
        ok, text = compare_single(ours.alpha_, sk.alpha_, ours.coef_, sk.coef_,
                                  ours.intercept_, sk.intercept_, EXACT_RTOL)
        score_diff = abs(float(ours.best_score_) - float(sk.best_score_))
        text += f"; best_score_ diff {score_diff:.1e}"
        rep.rows.append(Row("sklearn RidgeCV(cv=5)", t, vs="ridgeline RidgeCV(cv=5)",
                            target=300.0, agreement=text, agrees=ok and score_diff <= 1e-8))

    # scikit-learn, LOO -------------------------------------------------------------------------
    t, sk_loo = timed(lambda: SkRidgeCV(alphas=alphas).fit(X, y), R)
    ok, text = compare_single(ours_loo.alpha_, sk_loo.alpha_, ours_loo.coef_, sk_loo.coef_,
                              ours_loo.intercept_, sk_loo.intercept_, EXACT_RTOL)
    score_diff = abs(float(ours_loo.best_score_) - float(sk_loo.best_score_))
    rel_score = score_diff / abs(float(sk_loo.best_score_))
    text += f"; best_score_ rel.diff {rel_score:.1e}"
    rep.rows.append(Row("sklearn RidgeCV() LOO [÷ ridgeline LOO]", t,
                        vs="ridgeline RidgeCV() LOO", target=30.0, agreement=text,
                        agrees=ok and rel_score <= 1e-8))
    rep.rows.append(Row("sklearn RidgeCV() LOO [÷ ridgeline 5-fold]", t,
                        vs="ridgeline RidgeCV(cv=5)", target=30.0,
                        note="same sklearn LOO runs, against ridgeline 5-fold"))

    # glum --------------------------------------------------------------------------------------
    if args.skip_slow_peers:
        rep.notes.append("glum GeneralizedLinearRegressorCV skipped (--skip-slow-peers)")
    else:
        from glum import GeneralizedLinearRegressorCV

        def run_glum():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return GeneralizedLinearRegressorCV(
                    family="normal", l1_ratio=0.0, alphas=glum_lam, cv=cv, fit_intercept=True,
                    scale_predictors=False, n_jobs=1,
                ).fit(X, y)

        t, gl = timed(run_glum, args.slow_repeats)
        solver = getattr(gl, "_solver", "?")
        tol = EXACT_RTOL if solver == "closed-form" else ITERATIVE_RTOL
        ok, text = compare_single(ours_mse.lambda_, gl.alpha_, ours_mse.coef_, gl.coef_,
                                  ours_mse.intercept_, gl.intercept_, tol)
        # glum's CV curve (mean fold deviance = mean fold MSE) against ours
        glum_curve = np.asarray(gl.deviance_path_).mean(axis=0).ravel()
        order = np.argsort(-np.asarray(ours_mse.selection_.lambdas))  # glum: descending alphas
        ours_curve = -np.asarray(ours_mse.selection_.mean_score)[order]
        curve = rel_err(ours_curve, glum_curve)
        text += f"; CV curve rel.err {curve:.1e}; glum solver={solver!r}"
        note = "exact (closed-form) solve" if solver == "closed-form" else \
            f"iterative solver {solver!r}: coefficients compared to {tol:.0e} only"
        rep.rows.append(Row("glum GeneralizedLinearRegressorCV", t,
                            vs="ridgeline RidgeCV(lambdas=alphas/n, cv=5, MSE)", target=300.0,
                            agreement=text, agrees=ok and curve <= 1e-8, note=note))

    # himalaya (must fail cleanly: it materializes (n_alphas, n_test, n_train) floats) ----------
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "X.npy", X)
        np.save(Path(tmp) / "y.npy", y)
        if args.quick and args.skip_slow_peers:  # small enough to succeed, hence slow
            ans = {"ok": False, "skipped": True}
            rep.notes.append("himalaya RidgeCV skipped (--quick --skip-slow-peers)")
        else:
            say(f"    himalaya RidgeCV in a subprocess limited to {HIMALAYA_LIMIT_GIB} GiB of "
                "address space ...")
            ans = run_worker({"kind": "himalaya", "data": tmp,
                              "out": str(Path(tmp) / "h.json"),
                              "arrays": str(Path(tmp) / "h.npz"), "alphas": alphas.tolist(),
                              "limit_gib": HIMALAYA_LIMIT_GIB})
        if ans.get("skipped"):
            pass
        elif ans.get("ok"):
            arr = np.load(Path(tmp) / "h.npz")
            ok, text = compare_single(ours.alpha_, arr["alphas"].ravel()[0], ours.coef_,
                                      arr["coef"], ours.intercept_, arr["intercept"],
                                      EXACT_RTOL)
            rep.rows.append(Row("himalaya RidgeCV(cv=5)", [ans["seconds"]],
                                vs="ridgeline RidgeCV(cv=5)", agreement=text, agrees=ok,
                                note="MSE scoring (himalaya's)"))
        else:
            need = 8.0 * alphas.size * (n // N_SPLITS) * (n - n // N_SPLITS) / 2**30
            rep.rows.append(Row("himalaya RidgeCV(cv=5)", [], agreement="FAILED (expected)",
                                note=f"{ans.get('error')} — it needs (n_alphas, n_test, "
                                     f"n_train) float64 = {need:,.0f} GiB"))
        rep.extra["himalaya"] = ans

        # peak memory of ridgeline 5-fold -------------------------------------------------------
        say("    peak memory of ridgeline RidgeCV(cv=5) (fresh subprocess, ru_maxrss) ...")
        mem = run_worker({"kind": "peakmem", "data": tmp, "out": str(Path(tmp) / "m.json"),
                          "alphas": alphas.tolist()})
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ridgeline.RidgeCV(alphas=alphas, cv=cv).fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    xbytes = X.nbytes
    budget = 2 * xbytes + MEM_P2_CONST * p * p * 8
    memrep = {"X_bytes": xbytes, "budget_bytes": budget, "tracemalloc_peak_bytes": peak - base}
    if mem.get("ok"):
        memrep["rss_before_bytes"] = mem["rss_before_kib"] * 1024
        memrep["ru_maxrss_after_bytes"] = mem["maxrss_after_kib"] * 1024
        memrep["hwm_after_bytes"] = mem["hwm_after_kib"] * 1024
        memrep["hwm_reset"] = mem["hwm_reset"]
        if mem["hwm_reset"]:  # high-water mark restarted at the RSS held just before fit
            extra_kib = mem["hwm_after_kib"] - mem["rss_before_kib"]
        else:  # a lower bound: the high-water mark may predate fit
            extra_kib = mem["maxrss_after_kib"] - max(mem["maxrss_before_kib"],
                                                      mem["rss_before_kib"])
        memrep["rss_peak_extra_bytes"] = extra_kib * 1024
    else:
        memrep["rss_error"] = mem.get("error")
    rep.extra["memory"] = memrep
    return rep


# ---- case B ----------------------------------------------------------------------------------
def data_b(quick: bool):
    n, p, k = (1_000, 500, 100) if quick else (10_000, 500, 1_000)
    rng = np.random.default_rng(SEED + 1)
    X = rng.standard_normal((n, p)) + rng.uniform(-1.0, 1.0, p)
    snr = np.logspace(-2, 1, k)  # signal-to-noise ratio of each target
    W = rng.standard_normal((p, k)) * np.sqrt(snr / p)
    Y = rng.uniform(-3.0, 3.0, k) + X @ W + rng.standard_normal((n, k))
    return X, Y


def case_b(args) -> CaseReport:
    X, Y = data_b(args.quick)
    n, p = X.shape
    k = Y.shape[1]
    alphas = np.logspace(0, 7, 30)
    cv = KFold(N_SPLITS)
    rep = CaseReport("B", f"n={n:,}, p={p}, {k:,} targets, {alphas.size} alphas "
                          "np.logspace(0, 7, 30), one alpha per target, 5-fold KFold and LOO")
    R = args.repeats
    say(f"\n--- Case B: {rep.description} (load {loadavg()})")

    def ours_kfold(scoring):
        return lambda: ridgeline.RidgeCV(alphas=alphas, cv=cv, alpha_per_target=True,
                                         scoring=scoring).fit(X, Y)

    t, ours = timed(ours_kfold("neg_mean_squared_error"), R, True)
    rep.rows.append(Row("ridgeline RidgeCV(cv=5, per-target, MSE)", t,
                        note="himalaya's objective: mean over folds of the fold MSE"))
    rep.notes.append(edge_note(alphas, ours.alpha_, "ridgeline 5-fold choices"))
    t, _ = timed(ours_kfold(None), R, True)
    rep.rows.append(Row("ridgeline RidgeCV(cv=5, per-target, R²)", t,
                        note="default scoring (R²), for reference"))
    t, ours_loo = timed(lambda: ridgeline.RidgeCV(alphas=alphas, alpha_per_target=True)
                        .fit(X, Y), R, True)
    rep.rows.append(Row("ridgeline RidgeCV(per-target) LOO", t))
    rep.notes.append(edge_note(alphas, ours_loo.alpha_, "ridgeline LOO choices"))

    if args.skip_slow_peers:
        rep.notes.append("himalaya RidgeCV skipped (--skip-slow-peers)")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            np.save(Path(tmp) / "X.npy", X)
            np.save(Path(tmp) / "y.npy", Y)
            say(f"    himalaya RidgeCV in a subprocess (address space ≤ {HIMALAYA_LIMIT_GIB} "
                "GiB) ...")
            times, ans = [], {}
            for _ in range(args.slow_repeats):
                ans = run_worker({"kind": "himalaya", "data": tmp,
                                  "out": str(Path(tmp) / "h.json"),
                                  "arrays": str(Path(tmp) / "h.npz"),
                                  "alphas": alphas.tolist(), "limit_gib": HIMALAYA_LIMIT_GIB})
                if not ans.get("ok"):
                    break
                times.append(ans["seconds"])
            if ans.get("ok"):
                arr = np.load(Path(tmp) / "h.npz")
                ok, text = compare_per_target(
                    alphas, ours.alpha_, arr["alphas"], ours.coef_, np.asarray(arr["coef"]).T,
                    ours.intercept_, arr["intercept"], EXACT_RTOL,
                    mean_score=np.asarray(ours.selection_.mean_score))
                rep.rows.append(Row("himalaya RidgeCV(cv=5)", times,
                                    vs="ridgeline RidgeCV(cv=5, per-target, MSE)", target=30.0,
                                    agreement=text, agrees=ok,
                                    note="fit_intercept=True (per-fold centering, as ours)"))
            else:
                rep.rows.append(Row("himalaya RidgeCV(cv=5)", [], agreement="FAILED",
                                    note=str(ans.get("error"))))

    t, sk_loo = timed(lambda: SkRidgeCV(alphas=alphas, alpha_per_target=True).fit(X, Y), R)
    ok, text = compare_per_target(alphas, ours_loo.alpha_, sk_loo.alpha_, ours_loo.coef_,
                                  sk_loo.coef_, ours_loo.intercept_, sk_loo.intercept_,
                                  EXACT_RTOL, mean_score=np.asarray(ours_loo.selection_.mean_score))
    rep.rows.append(Row("sklearn RidgeCV(per-target) LOO [÷ ridgeline LOO]", t,
                        vs="ridgeline RidgeCV(per-target) LOO", target=5.0, agreement=text,
                        agrees=ok))
    rep.rows.append(Row("sklearn RidgeCV(per-target) LOO [÷ ridgeline 5-fold]", t,
                        vs="ridgeline RidgeCV(cv=5, per-target, R²)", target=5.0,
                        note="same sklearn LOO runs, against ridgeline 5-fold (default R²)"))
    return rep


# ---- case C ----------------------------------------------------------------------------------
def data_c(quick: bool):
    n, p = (200, 5_000) if quick else (2_000, 50_000)
    rng = np.random.default_rng(SEED + 2)
    X = rng.standard_normal((n, p)) + rng.uniform(-1.0, 1.0, p)
    w = rng.standard_normal(p) * np.sqrt(4.0 / p)
    y = 1.0 + X @ w + rng.standard_normal(n)
    return X, y


def case_c(args) -> CaseReport:
    X, y = data_c(args.quick)
    n, p = X.shape
    alphas = np.logspace(0, 8, 50)
    cv = KFold(N_SPLITS)
    rep = CaseReport("C", f"n={n:,}, p={p:,} (p > n), 1 target, {alphas.size} alphas "
                          "np.logspace(0, 8, 50), 5-fold KFold")
    R = args.repeats
    say(f"\n--- Case C: {rep.description} (load {loadavg()})")

    t, _ = timed(lambda: X @ X.T, max(R, 3), warmup=True)
    rep.rows.append(Row("floor: X @ X.T", t, note="one n×n kernel (reference, no target)"))
    t, ours = timed(lambda: ridgeline.RidgeCV(alphas=alphas, cv=cv).fit(X, y), R, True)
    rep.rows.append(Row("ridgeline RidgeCV(cv=5)", t, note="dual (kernel) route, R²"))
    rep.rows.append(Row("ridgeline RidgeCV(cv=5) [÷ kernel floor]", t, vs="floor: X @ X.T",
                        target_kind="floor", note="same runs; ratio = ours / floor (no target)"))
    rep.notes.append(edge_note(alphas, ours.alpha_, "ridgeline 5-fold choice"))
    if args.skip_slow_peers:
        rep.notes.append("scikit-learn RidgeCV(cv=5) skipped (--skip-slow-peers)")
        return rep

    folds = list(cv.split(X))
    tr, te = folds[0]
    t_one, _ = timed(lambda: Ridge(alpha=float(alphas[0])).fit(X[tr], y[tr]).score(X[te], y[te]),
                     2)  # the first call pays page faults: project from the faster of two
    n_fits = alphas.size * N_SPLITS + 1
    projected = min(t_one) * n_fits
    say(f"    one scikit-learn Ridge fit + score on a training fold: {min(t_one):.2f} s (best of "
        f"2) → projected {projected:.0f} s for the {n_fits} fits of RidgeCV(cv=5)")
    if projected <= PROJECTION_LIMIT_S:
        t, sk = timed(lambda: SkRidgeCV(alphas=alphas, cv=cv).fit(X, y), args.slow_repeats)
        ok, text = compare_single(ours.alpha_, sk.alpha_, ours.coef_, sk.coef_, ours.intercept_,
                                  sk.intercept_, EXACT_RTOL)
        rep.rows.append(Row("sklearn RidgeCV(cv=5)", t, vs="ridgeline RidgeCV(cv=5)",
                            target=100.0, agreement=text, agrees=ok))
        return rep

    i = int(grid_index(alphas, ours.alpha_)[0])
    lo = min(max(i - 1, 0), alphas.size - 3)
    sub = alphas[lo:lo + 3]
    sub_fits = sub.size * N_SPLITS + 1
    gs = GridSearchCV(Ridge(), {"alpha": sub}, cv=cv)  # exactly what RidgeCV(cv=5) runs
    t_sub, _ = timed(lambda: gs.fit(X, y), 1)
    t_extra = t_sub[0] / sub_fits * n_fits
    ok, text = compare_single(ours.alpha_, gs.best_params_["alpha"], ours.coef_,
                              gs.best_estimator_.coef_, ours.intercept_,
                              gs.best_estimator_.intercept_, EXACT_RTOL)
    ours_scores = np.asarray(ours.selection_.mean_score)[lo:lo + 3]
    sdiff = float(np.max(np.abs(ours_scores - gs.cv_results_["mean_test_score"])))
    text += f"; mean R² on the {sub.size} alphas: max diff {sdiff:.1e}"
    how = (f"EXTRAPOLATED: GridSearchCV(Ridge(), {sub.size} alphas around ours, KFold(5)) = "
           f"{sub_fits} fits took {t_sub[0]:.1f} s; × {n_fits}/{sub_fits} fits")
    rep.rows.append(Row("sklearn RidgeCV(cv=5) [extrapolated]", [t_extra],
                        vs="ridgeline RidgeCV(cv=5)", target=100.0, agreement=text,
                        agrees=ok and sdiff <= 1e-8, note=how, extrapolated=True))
    rep.extra["sklearn_subset"] = {"alphas": sub.tolist(), "seconds": t_sub[0],
                                   "fits": sub_fits, "one_fit_seconds": min(t_one),
                                   "extrapolated_seconds": t_extra, "full_fits": n_fits}
    return rep


# ---- report ----------------------------------------------------------------------------------
def fmt_t(x: float) -> str:
    if not np.isfinite(x):
        return "—"
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"


def print_case(rep: CaseReport) -> None:
    say(f"\nCase {rep.name}: {rep.description}")
    head = (f"{'method':<56} {'runs':>4} {'min s':>8} {'median s':>9} {'ratio':>9} "
            f"{'(on min)':>9} {'target':>8}")
    say(head)
    say("-" * len(head))
    for r in rep.rows:
        met = rep.target_met(r)

        def fmt_q(q, kind=r.target_kind):
            if q is None:
                return "—"
            return f"{q:.2f}× fl" if kind == "floor" else f"{q:,.1f}×"

        qs, qm = fmt_q(rep.ratio(r)), fmt_q(rep.ratio(r, "min"))
        ts = "—" if r.target is None else (
            f"≤{r.target:g}× " if r.target_kind == "floor" else f"≥{r.target:g}× ")
        if met is not None:
            ts += "ok" if met else "MISS"
        say(f"{r.label:<56} {len(r.times):>4} {fmt_t(r.t_min):>8} {fmt_t(r.t_med):>9} "
            f"{qs:>9} {qm:>9} {ts:>8}")
        if r.agreement:
            flag = "" if r.agrees is None else ("[agree] " if r.agrees else "[DISAGREE] ")
            say(f"      {flag}{r.agreement}")
        if r.note:
            say(f"      note: {r.note}")
    for note in rep.notes:
        say(f"  * {note}")
    mem = rep.extra.get("memory")
    if mem:
        mib = 2**20
        say(f"  * peak memory of ridgeline RidgeCV(cv=5): size(X) = {mem['X_bytes'] / mib:.0f} "
            f"MiB; budget 2·size(X) + {MEM_P2_CONST}·p²·8 B = {mem['budget_bytes'] / mib:.0f} MiB")
        say(f"      tracemalloc (Python/NumPy allocations during fit): "
            f"{mem['tracemalloc_peak_bytes'] / mib:.1f} MiB")
        if "rss_peak_extra_bytes" in mem:
            extra = mem["rss_peak_extra_bytes"]
            how = ("VmHWM after clear_refs reset" if mem["hwm_reset"]
                   else "ru_maxrss, lower bound (high-water mark could not be reset)")
            say(f"      fresh process: peak RSS above the {mem['rss_before_bytes'] / mib:.0f} MiB "
                f"held before fit (interpreter + data) = {extra / mib:.0f} MiB "
                f"({extra / mem['X_bytes']:.2f}× size(X); {how}) → "
                f"{'within' if extra <= mem['budget_bytes'] else 'OVER'} budget; "
                f"ru_maxrss of the process {mem['ru_maxrss_after_bytes'] / mib:.0f} MiB")
        else:
            say(f"      ru_maxrss measurement failed: {mem.get('rss_error')}")
    ratio_note = ("ratio = peer median / ours median (speed-up of ridgeline), '(on min)' the "
                  "same on minima; '× fl' = ours / floor; targets are judged on medians")
    say(f"  ({ratio_note})")


def summary(reports: list[CaseReport], quick: bool = False) -> None:
    say("\nTargets" + (" (set for the full sizes: with --quick they are only indicative)"
                       if quick else ""))
    for rep in reports:
        for r in rep.rows:
            met = rep.target_met(r)
            if r.target is None:
                continue
            q = rep.ratio(r)
            if met is None:
                say(f"  {rep.name}: {r.label.strip():<50} target not measured")
                continue
            sign = "≤" if r.target_kind == "floor" else "≥"
            extra = " (extrapolated)" if r.extrapolated else ""
            say(f"  {rep.name}: {r.label.strip():<50} {q:,.2f}× vs {sign}{r.target:g}×  "
                f"{'MET' if met else 'NOT MET'}{extra}")
    bad = [(rep.name, r.label) for rep in reports for r in rep.rows if r.agrees is False]
    say("Agreement: " + ("all compared answers agree" if not bad else
                         "DISAGREEMENT in " + "; ".join(f"{c}: {lab}" for c, lab in bad)))


def to_json(reports: list[CaseReport], info: dict, args) -> dict:
    out = {"machine": info, "quick": args.quick, "repeats": args.repeats,
           "timestamp": time.strftime("%Y-%m-%d %H:%M:%S"), "cases": {}}
    for rep in reports:
        rows = []
        for r in rep.rows:
            d = asdict(r)
            d.update(min_s=r.t_min if r.times else None, median_s=r.t_med if r.times else None,
                     ratio=rep.ratio(r), ratio_on_min=rep.ratio(r, "min"),
                     target_met=rep.target_met(r))
            rows.append(d)
        out["cases"][rep.name] = {"description": rep.description, "rows": rows,
                                  "notes": rep.notes, "extra": rep.extra}
    return out


def write_json(path: Path, new: dict) -> None:
    """Merge the cases just run into the JSON file (other cases of an earlier run are kept)."""
    old: dict = {}
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError):
            old = {}
    cases = old.get("cases", {}) if old.get("quick") == new["quick"] else {}
    cases.update(new["cases"])
    new = {**new, "cases": cases}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(new, indent=1, default=float))
    say(f"\nResults written to {path}")


CASES = {"A": case_a, "B": case_b, "C": case_c}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", choices=["A", "B", "C", "all"], default="all")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs of ridgeline (and of "
                    "the fast peers); the median and the minimum are reported")
    ap.add_argument("--slow-repeats", type=int, default=1,
                    help="timed runs of the slow peers (default 1)")
    ap.add_argument("--quick", action="store_true", help="n/10 (and fewer targets): smoke run")
    ap.add_argument("--skip-slow-peers", action="store_true",
                    help="skip the peers that take over a minute at full size")
    ap.add_argument("--json", default=None, help="where to write the results (default "
                    "benchmarks/results/ridge_cv[_quick].json; '' to skip)")
    ap.add_argument("--wait-idle", type=float, default=0.0, metavar="S",
                    help="before each timed run wait up to S seconds for other processes to "
                    "leave the CPUs (default 0: do not wait)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        return worker_main(args.worker)
    IDLE["max_wait"] = args.wait_idle
    info = machine_info()
    print_machine(info)
    names = "ABC" if args.case == "all" else args.case
    reports = []
    for name in names:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # grid-edge warnings are reported in the notes
            rep = CASES[name](args)
        print_case(rep)
        reports.append(rep)
    summary(reports, args.quick)
    say(f"Load average at end: {loadavg()}")
    if IDLE["runs"]:
        say(f"Idle wait: {IDLE['contended']} of {IDLE['runs']} timed runs started while other "
            f"processes still used ≥15% of the CPUs after {IDLE['max_wait']:g} s of waiting")
    path = args.json
    if path is None:
        path = str(RESULTS_DIR / ("ridge_cv_quick.json" if args.quick else "ridge_cv.json"))
    if path:
        write_json(Path(path), to_json(reports, info, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
