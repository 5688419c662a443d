"""Side-by-side benchmark of ridgeline's L2 logistic regression and scikit-learn's — with checks.

What is measured: ridgeline's ``LogisticRegression`` / ``LogisticRegressionCV`` and
scikit-learn's, in one process, on the same data (fixed seeds), the same C grid, the same fold
object and the same objective (mean log loss + ‖W‖²/(2·C·n), the intercept unpenalized). Every
timing is the best (minimum) of ``--repeats`` calls after one untimed warm-up call (numba JIT,
lazy imports, first-touch page faults and BLAS thread start-up do not count); ratio = scikit-learn
time ÷ ridgeline time (> 1: ridgeline faster). Each answer is checked against a *tight*
scikit-learn run (run once, timed separately, never part of the ratio).

Cases (``--case``; ``--quick`` divides the synthetic n by 10 for a smoke run, the real data sets
are used whole):

binary_fit       n=100,000, p=100, X ~ N(0, 1), w ~ N(0, 0.3²), y ~ Bernoulli(sigmoid(Xw)).
                 ``LogisticRegression(C=0.1)`` both (scikit-learn: lbfgs, default tol 1e-4).
                 Target ≥ 2× with ridgeline at max|∇f| ≤ 1e-8 (its ``grad_norm_``, and the
                 gradient recomputed here). Check: (coef, intercept) vs scikit-learn
                 newton-cholesky at tol=1e-12 (≤ 1e-6 relative expected).
binary_cv        the same data, ``LogisticRegressionCV(Cs=20, cv=StratifiedKFold(5, shuffle=True,
                 random_state=0), scoring="neg_log_loss")`` both (one fold object). Target ≥ 5×
                 scikit-learn's default. Check: ridgeline's ``C_`` equals the C scikit-learn picks
                 at tol=1e-8, max_iter=10000; max |mean CV score difference| against that run.
digits_cv        ``load_digits`` standardized (1,797 × 64, 10 classes), ``LogisticRegressionCV(
                 Cs=10, cv=StratifiedKFold(5, shuffle=True, random_state=0))``, default scoring
                 (accuracy) both. Target ≥ 3×. Check: C as in binary_cv.
multinomial_fit  n=50,000, p=200, 10 classes, y ~ softmax(X W), W ~ N(0, 0.1²).
                 ``LogisticRegression(C=1.0)`` both. Target ≥ 2×. Check: coef (unique under L2)
                 and centred intercepts vs scikit-learn lbfgs at tol=1e-10, max_iter=10000.
small            ``load_breast_cancer`` and ``load_wine`` raw (unscaled), ``LogisticRegression()``
                 default vs default, best of ``--small-repeats`` (30). Target ≥ 1.5×. These
                 problems are ill-conditioned: scikit-learn's lbfgs stops at max_iter=100 far from
                 the optimum (its ConvergenceWarnings are counted, not shown). Check: coef and
                 predicted probabilities vs scikit-learn newton-cholesky at tol=1e-12.

Floors: for every case, ridgeline's time is also divided by the time of one gradient pass over
the same X (one ``X @ w`` and one ``X.T @ r`` in float64; multinomial ``X @ W``, W (p, 10), and
``X.T @ R``) and of one Gram ``X.T @ X``: how many pass-equivalents the fit costs.

Usage::

    .venv/bin/python benchmarks/bench_glm.py --scipy-blas-threads 1       # all cases
    .venv/bin/python benchmarks/bench_glm.py --case binary_fit small --repeats 5
    .venv/bin/python benchmarks/bench_glm.py --quick --repeats 1          # smoke run

Run it on a quiet machine: no other heavy job (the load average is printed at the start, at each
case and at the end; ``--wait-idle S`` waits up to S s for idle CPUs before each timed call). On
a 2-core machine pass ``--scipy-blas-threads 1``: numpy and scipy wheels each bring their own
OpenBLAS, and the two thread pools starve each other on code that alternates small calls to
both (scipy's L-BFGS-B, i.e. scikit-learn's lbfgs), which makes the peer look slower than it is.

Results: ``benchmarks/results/glm.json`` and ``glm.md`` (``glm_quick.*`` with ``--quick``; cases
of an earlier run that were not re-run are kept). Exit status 0 even when a speed target is
missed (printed as MISSED: it is a measurement); 1 when an answer check fails badly (ridgeline's
C differs from the tight scikit-learn choice, or its coefficients are more than 1e-4 relative
from the tight reference).
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.special import expit, softmax
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLR
from sklearn.linear_model import LogisticRegressionCV as SkLRCV
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

import ridgeline
from bench_logistic_cv import limit_scipy_blas
from bench_ridge_cv import (
    IDLE,
    RESULTS_DIR,
    SEED,
    fmt_t,
    loadavg,
    machine_info,
    print_machine,
    rel_err,
    say,
    timed,
    write_json,
)

N_SPLITS = 5
#: Tight scikit-learn settings for the reference answers.
TIGHT_CV_TOL, TIGHT_CV_MAX_ITER = 1e-8, 10_000
#: Coefficients within this (relative) of the tight reference: the check passes.
COEF_OK = 1e-6
#: Coefficients further than this from the tight reference: a wrong answer (exit status 1).
COEF_BAD = 1e-4
#: binary_fit: ridgeline must certify max|∇f| ≤ this for the target to count as met.
GRAD_TARGET = 1e-8
#: Minimum timed runs of the (cheap) floors.
FLOOR_MIN_REPEATS = 10
CASE_NAMES = ("binary_fit", "binary_cv", "digits_cv", "multinomial_fit", "small")


# ---- bookkeeping -----------------------------------------------------------------------------
@dataclass
class Warned:
    """Warnings raised by one library's calls: ConvergenceWarnings counted, others listed."""

    calls: int = 0
    convergence: int = 0
    other: set = field(default_factory=set)

    def add(self, caught) -> None:
        self.calls += 1
        for w in caught:
            if issubclass(w.category, ConvergenceWarning):
                self.convergence += 1
            else:
                self.other.add(f"{w.category.__name__}: {str(w.message).splitlines()[0][:100]}")

    def text(self) -> str:
        parts = [f"{self.convergence} ConvergenceWarning(s) in {self.calls} call(s)"]
        if self.other:
            parts.append("other: " + "; ".join(sorted(self.other)))
        return ", ".join(parts)


@dataclass
class Result:
    """One timed comparison (one data set of one case)."""

    case: str
    data: str
    ours: str
    peer: str
    ours_times: list[float]
    peer_times: list[float]
    target: float
    floor_grad_s: float
    floor_gram_s: float
    check: str = ""
    check_ok: bool = True  # the answer agrees to the expected accuracy
    check_bad: bool = False  # the answer is wrong: exit status 1
    extra_condition: str = ""  # a further condition of the target (binary_fit: grad norm)
    extra_condition_met: bool = True
    notes: list[str] = field(default_factory=list)
    info: dict = field(default_factory=dict)

    @property
    def t_ours(self) -> float:
        return float(min(self.ours_times))

    @property
    def t_peer(self) -> float:
        return float(min(self.peer_times))

    @property
    def ratio(self) -> float:
        return self.t_peer / self.t_ours

    @property
    def met(self) -> bool:
        return self.ratio >= self.target and self.extra_condition_met

    def per_grad(self) -> float:
        return self.t_ours / self.floor_grad_s

    def per_gram(self) -> float:
        return self.t_ours / self.floor_gram_s

    def as_dict(self) -> dict:
        d = asdict(self)
        d.update(ours_min_s=self.t_ours, peer_min_s=self.t_peer, ratio=self.ratio, met=self.met,
                 ours_per_grad_pass=self.per_grad(), ours_per_gram=self.per_gram())
        return d


def bench(fn, repeats: int, warned: Warned):
    """Best-of timing (warm-up first) of fn with every call's warnings recorded in ``warned``."""
    return timed(lambda: _record(fn, warned), repeats, warmup=True)


def once(fn, warned: Warned):
    """One timed call (the tight references): (seconds, result)."""
    times, out = timed(lambda: _record(fn, warned), 1)
    return times[0], out


def _record(fn, warned: Warned):
    """fn() with its warnings recorded in ``warned`` instead of shown."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    warned.add(caught)
    return out


def floors(X: np.ndarray, n_out: int, repeats: int) -> tuple[float, float]:
    """Best times of one gradient pass (X @ w, X.T @ r) and of one Gram X.T @ X (float64)."""
    X = np.asarray(X, dtype=np.float64)
    rng = np.random.default_rng(0)
    shape_w = (X.shape[1],) if n_out == 1 else (X.shape[1], n_out)
    shape_r = (X.shape[0],) if n_out == 1 else (X.shape[0], n_out)
    w, r = rng.standard_normal(shape_w), rng.standard_normal(shape_r)

    def grad_pass():
        return X @ w, X.T @ r

    reps = max(repeats, FLOOR_MIN_REPEATS)
    t_grad, _ = timed(grad_pass, reps, warmup=True)
    t_gram, _ = timed(lambda: X.T @ X, reps, warmup=True)
    return float(min(t_grad)), float(min(t_gram))


# ---- answers ---------------------------------------------------------------------------------
def params(est) -> np.ndarray:
    """coef_ and intercept_ in one vector; multinomial intercepts (defined up to a common shift,
    being unpenalized) centred."""
    b = np.ravel(est.intercept_).astype(np.float64)
    if b.size > 1:
        b = b - b.mean()
    return np.concatenate([np.ravel(est.coef_).astype(np.float64), b])


def max_grad(X, y_idx: np.ndarray, est, C: float) -> float:
    """max|∇f| of f = mean log loss + ‖W‖²/(2 C n) at est's (coef_, intercept_), recomputed."""
    n = X.shape[0]
    W = np.asarray(est.coef_, dtype=np.float64)
    Z = X @ W.T + np.ravel(est.intercept_)
    if W.shape[0] == 1:
        R = (expit(Z[:, 0]) - y_idx)[:, None]
    else:
        R = softmax(Z, axis=1)
        R[np.arange(n), y_idx] -= 1.0
    g = np.concatenate([np.ravel(X.T @ R / n + W.T / (C * n)), R.mean(axis=0)])
    return float(np.max(np.abs(g)))


def sk_C(est) -> float:
    """scikit-learn's C_: a float (use_legacy_attributes=False) or an array (legacy layout)."""
    return float(np.ravel(est.C_)[0])


def sk_mean_scores(est) -> np.ndarray:
    """Mean CV score per C of a scikit-learn LogisticRegressionCV, whatever its layout.

    New layout (scikit-learn ≥ 1.8 with ``use_legacy_attributes=False``): ``scores_`` is an
    array (n_folds, n_l1_ratios, n_cs). Legacy layout: a dict {class: (n_folds, n_cs)}, the
    same array for every class.
    """
    s = est.scores_
    if isinstance(s, dict):
        s = next(iter(s.values()))
    return np.asarray(s, dtype=np.float64).mean(axis=0).ravel()


def ours_mean_scores(est) -> np.ndarray:
    """ridgeline's mean CV score per C, in the order of ``Cs_`` (from ``cv_result_``)."""
    res = est.cv_result_
    ms = np.ravel(np.asarray(res.mean_score, dtype=np.float64))
    grid = np.ravel(np.asarray(getattr(res, "alphas", est.Cs_), dtype=np.float64))
    cs = np.ravel(est.Cs_)
    if grid.shape == cs.shape and np.allclose(grid, cs, rtol=1e-12, atol=0.0):
        return ms
    if grid.shape == cs.shape and np.allclose(grid[::-1], cs, rtol=1e-12, atol=0.0):
        return ms[::-1]
    # another layout: the fold scores (n_folds, 1, n_cs), in the order of Cs_
    return np.asarray(est.scores_, dtype=np.float64).mean(axis=0).ravel()


def sk_cv_kwargs(**kw) -> dict:
    """Keyword arguments of scikit-learn's LogisticRegressionCV that keep its default behaviour
    (L2, lbfgs, tol 1e-4) but silence its FutureWarnings, for whichever version is installed."""
    sig = inspect.signature(SkLRCV).parameters
    if "use_legacy_attributes" in sig:
        kw.setdefault("use_legacy_attributes", False)
    if "l1_ratios" in sig and sig["l1_ratios"].default == "warn":
        kw.setdefault("l1_ratios", (0,))
    return kw


def same_C(a: float, b: float) -> bool:
    return bool(np.isclose(a, b, rtol=1e-10, atol=0.0))


def c_text(C: float, grid: np.ndarray) -> str:
    i = int(np.argmin(np.abs(np.log(grid) - np.log(C))))
    return f"C={C:.4g} (grid {i}/{grid.size - 1})"


def coef_verdict(err: float) -> tuple[bool, bool, str]:
    """(ok, bad, word) for a relative coefficient error against the tight reference."""
    if err <= COEF_OK:
        return True, False, "ok"
    if err <= COEF_BAD:
        return False, False, f"LOOSE (> {COEF_OK:g})"
    return False, True, f"WRONG (> {COEF_BAD:g})"


# ---- data ------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=2)
def data_binary(quick: bool):
    n, p = (10_000, 100) if quick else (100_000, 100)
    rng = np.random.default_rng(SEED + 30)
    X = rng.standard_normal((n, p))
    w = rng.normal(0.0, 0.3, p)
    y = (rng.random(n) < expit(X @ w)).astype(np.int64)
    return X, y


def data_multinomial(quick: bool):
    n, p, K = (5_000, 200, 10) if quick else (50_000, 200, 10)
    rng = np.random.default_rng(SEED + 31)
    X = rng.standard_normal((n, p))
    W = rng.normal(0.0, 0.1, (p, K))
    P = softmax(X @ W, axis=1)
    y = (rng.random(n)[:, None] > np.cumsum(P, axis=1)).sum(axis=1)
    return X, np.minimum(y, K - 1).astype(np.int64)


def data_digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def label_index(y) -> np.ndarray:
    return np.unique(y, return_inverse=True)[1]


def header(name: str, text: str) -> None:
    say(f"\n--- {name}: {text} (load {loadavg()})")


# ---- single fits -----------------------------------------------------------------------------
def single_fit(case: str, data: str, X, y, *, C: float, ref_est, target: float, repeats: int,
               grad_condition: bool = False, probabilities: bool = False) -> Result:
    """ridgeline LogisticRegression(C) vs scikit-learn's default at C; check against ref_est."""
    K = np.unique(y).size
    yi = label_index(y)
    say(f"    floors (one gradient pass, one Gram) on X {X.shape[0]:,} × {X.shape[1]} ...")
    t_grad, t_gram = floors(X, 1 if K == 2 else K, repeats)
    w_ours, w_peer, w_ref = Warned(), Warned(), Warned()
    t_o, ours = bench(lambda: ridgeline.LogisticRegression(C=C).fit(X, y), repeats, w_ours)
    say(f"    ridgeline LogisticRegression(C={C:g}): best {fmt_t(min(t_o))} s")
    t_p, peer = bench(lambda: SkLR(C=C).fit(X, y), repeats, w_peer)
    say(f"    sklearn LogisticRegression(C={C:g}) (lbfgs, tol 1e-4): best {fmt_t(min(t_p))} s")
    t_ref, ref = once(lambda: ref_est.fit(X, y), w_ref)
    ref_desc = (f"sklearn {ref_est.solver} tol={ref_est.tol:g} max_iter={ref_est.max_iter}")
    say(f"    reference {ref_desc}: {fmt_t(t_ref)} s (untimed for the ratio)")

    e_ours, e_peer = rel_err(params(ours), params(ref)), rel_err(params(peer), params(ref))
    g_ours, g_ref = max_grad(X, yi, ours, C), max_grad(X, yi, ref, C)
    ok, bad, word = coef_verdict(e_ours)
    check = (f"(coef, intercept) rel.diff vs {ref_desc}: {e_ours:.1e} [{word}] (sklearn default: "
             f"{e_peer:.1e})")
    if probabilities:
        d_ours = float(np.max(np.abs(ours.predict_proba(X) - ref.predict_proba(X))))
        d_peer = float(np.max(np.abs(peer.predict_proba(X) - ref.predict_proba(X))))
        same_pred = float(np.mean(ours.predict(X) == ref.predict(X)))
        check += (f"; max|Δ probability| {d_ours:.1e} (sklearn default: {d_peer:.1e}); "
                  f"same predicted class {same_pred:.1%}")
    res = Result(case, data, f"ridgeline LogisticRegression(C={C:g})",
                 f"sklearn LogisticRegression(C={C:g})", t_o, t_p, target, t_grad, t_gram,
                 check=check, check_ok=ok, check_bad=bad)
    gn = float(getattr(ours, "grad_norm_", np.nan))
    res.notes.append(f"ridgeline: solver_={getattr(ours, 'solver_', '?')}, n_iter_="
                     f"{int(np.max(ours.n_iter_))}, grad_norm_={gn:.1e}, max|∇f| recomputed here "
                     f"{g_ours:.1e} (reference: {g_ref:.1e}); warnings: {w_ours.text()}")
    res.notes.append(f"sklearn default: n_iter_={int(np.max(peer.n_iter_))}; {w_peer.text()}")
    res.notes.append(f"reference: {ref_desc}, {fmt_t(t_ref)} s, n_iter_="
                     f"{int(np.max(ref.n_iter_))}; {w_ref.text()}")
    if grad_condition:
        res.extra_condition = f"ridgeline grad_norm_ ≤ {GRAD_TARGET:g}"
        res.extra_condition_met = bool(gn <= GRAD_TARGET)
    res.info = {"coef_rel_diff": e_ours, "peer_coef_rel_diff": e_peer, "grad_norm_": gn,
                "max_grad_recomputed": g_ours, "ref_max_grad": g_ref, "ref_seconds": t_ref,
                "ours_n_iter": int(np.max(ours.n_iter_)),
                "peer_n_iter": int(np.max(peer.n_iter_)),
                "peer_convergence_warnings": w_peer.convergence, "peer_calls": w_peer.calls}
    return res


def case_binary_fit(args) -> list[Result]:
    X, y = data_binary(args.quick)
    header("binary_fit", f"binary, n={X.shape[0]:,}, p={X.shape[1]}, C=0.1")
    ref = SkLR(C=0.1, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    return [single_fit("binary_fit", f"synthetic {X.shape[0]:,}×{X.shape[1]}", X, y, C=0.1,
                       ref_est=ref, target=2.0, repeats=args.repeats, grad_condition=True)]


def case_multinomial_fit(args) -> list[Result]:
    X, y = data_multinomial(args.quick)
    header("multinomial_fit", f"10 classes, n={X.shape[0]:,}, p={X.shape[1]}, C=1")
    ref = SkLR(C=1.0, solver="lbfgs", tol=1e-10, max_iter=10_000)
    return [single_fit("multinomial_fit", f"synthetic {X.shape[0]:,}×{X.shape[1]}, 10 classes",
                       X, y, C=1.0, ref_est=ref, target=2.0, repeats=args.repeats)]


def case_small(args) -> list[Result]:
    reps = args.small_repeats if args.small_repeats else (5 if args.quick else 30)
    out = []
    for name, loader in (("breast_cancer", load_breast_cancer), ("wine", load_wine)):
        X, y = loader(return_X_y=True)
        header("small", f"{name} raw (unscaled), n={X.shape[0]}, p={X.shape[1]}, "
                        f"{np.unique(y).size} classes, best of {reps}")
        ref = SkLR(C=1.0, solver="newton-cholesky", tol=1e-12, max_iter=1000)
        res = single_fit("small", f"{name} {X.shape[0]}×{X.shape[1]} raw", X, y, C=1.0,
                         ref_est=ref, target=1.5, repeats=reps, probabilities=True)
        res.ours, res.peer = "ridgeline LogisticRegression()", "sklearn LogisticRegression()"
        out.append(res)
    return out


# ---- cross-validation ------------------------------------------------------------------------
def cv_compare(case: str, data: str, X, y, *, Cs: int, scoring, target: float,
               repeats: int) -> Result:
    """ridgeline vs scikit-learn LogisticRegressionCV on one fold object; C vs a tight run."""
    cv = StratifiedKFold(N_SPLITS, shuffle=True, random_state=0)
    K = np.unique(y).size
    say(f"    floors (one gradient pass, one Gram) on X {X.shape[0]:,} × {X.shape[1]} ...")
    t_grad, t_gram = floors(X, 1 if K == 2 else K, repeats)
    w_ours, w_peer, w_ref = Warned(), Warned(), Warned()
    what = f"Cs={Cs}, StratifiedKFold(5, shuffle=True, random_state=0), scoring={scoring!r}"

    t_o, ours = bench(lambda: ridgeline.LogisticRegressionCV(Cs=Cs, cv=cv, scoring=scoring)
                      .fit(X, y), repeats, w_ours)
    say(f"    ridgeline LogisticRegressionCV: best {fmt_t(min(t_o))} s")
    t_p, peer = bench(lambda: SkLRCV(**sk_cv_kwargs(Cs=Cs, cv=cv, scoring=scoring)).fit(X, y),
                      repeats, w_peer)
    say(f"    sklearn LogisticRegressionCV (lbfgs, tol 1e-4): best {fmt_t(min(t_p))} s")
    t_ref, tight = once(lambda: SkLRCV(**sk_cv_kwargs(
        Cs=Cs, cv=cv, scoring=scoring, tol=TIGHT_CV_TOL, max_iter=TIGHT_CV_MAX_ITER)).fit(X, y),
        w_ref)
    say(f"    reference sklearn LogisticRegressionCV tol={TIGHT_CV_TOL:g}, "
        f"max_iter={TIGHT_CV_MAX_ITER}: {fmt_t(t_ref)} s (untimed for the ratio)")

    grid = np.ravel(tight.Cs_)
    if not np.allclose(np.ravel(ours.Cs_), grid, rtol=1e-12, atol=0.0):
        raise RuntimeError("ridgeline and scikit-learn use different C grids")
    C_ours, C_ref, C_peer = float(ours.C_), sk_C(tight), sk_C(peer)
    c_ok = same_C(C_ours, C_ref)
    curve_ours, curve_ref = ours_mean_scores(ours), sk_mean_scores(tight)
    curve_peer = sk_mean_scores(peer)
    cdiff = float(np.max(np.abs(curve_ours - curve_ref)))
    pdiff = float(np.max(np.abs(curve_peer - curve_ref)))
    i_max = int(np.argmax(np.abs(curve_ours - curve_ref)))
    check = (f"ridgeline {c_text(C_ours, grid)} {'=' if c_ok else '≠ (WRONG)'} sklearn "
             f"tol={TIGHT_CV_TOL:g} choice {c_text(C_ref, grid)}; max|Δ mean CV score| vs it "
             f"{cdiff:.1e} at {c_text(float(grid[i_max]), grid)} (sklearn default: {pdiff:.1e}, "
             f"picks {c_text(C_peer, grid)})")
    if not c_ok:  # a tie on the reference curve, or a real difference?
        i_o = int(np.argmin(np.abs(np.log(grid) - np.log(C_ours))))
        gap = float(curve_ref.max() - curve_ref[i_o])
        check += f"; reference curve at ridgeline's C is {gap:.1e} below its best"
    # ridgeline's refit against an independent tight single fit at ridgeline's own C (the
    # tight CV run's refit is lbfgs at tol 1e-8: itself a little off on harder problems)
    single = SkLR(C=C_ours, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    t_single, single = once(lambda: single.fit(X, y), w_ref)
    err = rel_err(params(ours), params(single))
    r_ok, r_bad, word = coef_verdict(err)
    check += "; refit (coef, intercept) rel.diff vs sklearn newton-cholesky tol=1e-12 at "
    check += f"{'this' if c_ok else 'its'} C: {err:.1e} [{word}]"
    if c_ok:
        check += f" (the tight CV run's own refit: {rel_err(params(tight), params(single)):.1e})"
    ok, bad = c_ok and r_ok, (not c_ok) or r_bad
    res = Result(case, data, f"ridgeline LogisticRegressionCV({what})",
                 "sklearn LogisticRegressionCV (same arguments, lbfgs tol 1e-4)", t_o, t_p,
                 target, t_grad, t_gram, check=check, check_ok=ok, check_bad=bad)
    res.notes.append(f"ridgeline: solver_={getattr(ours, 'solver_', '?')}, max n_iter_ "
                     f"{int(np.max(ours.n_iter_))}; warnings: {w_ours.text()}")
    res.notes.append(f"sklearn default: max n_iter_ {int(np.max(peer.n_iter_))}; "
                     f"{w_peer.text()}")
    res.notes.append(f"references: CV at tol={TIGHT_CV_TOL:g} {fmt_t(t_ref)} s, max n_iter_ "
                     f"{int(np.max(tight.n_iter_))}; single newton-cholesky fit {fmt_t(t_single)}"
                     f" s; {w_ref.text()}")
    res.info = {"C_ours": C_ours, "C_ref": C_ref, "C_peer": C_peer,
                "mean_score_ours": curve_ours.tolist(), "mean_score_ref": curve_ref.tolist(),
                "mean_score_peer": curve_peer.tolist(), "max_mean_score_diff": cdiff,
                "refit_rel_diff": err, "ref_seconds": t_ref,
                "peer_convergence_warnings": w_peer.convergence, "peer_calls": w_peer.calls}
    return res


def case_binary_cv(args) -> list[Result]:
    X, y = data_binary(args.quick)
    header("binary_cv", f"binary, n={X.shape[0]:,}, p={X.shape[1]}, 20 C, 5-fold, neg_log_loss")
    return [cv_compare("binary_cv", f"synthetic {X.shape[0]:,}×{X.shape[1]}", X, y, Cs=20,
                       scoring="neg_log_loss", target=5.0, repeats=args.repeats)]


def case_digits_cv(args) -> list[Result]:
    X, y = data_digits()
    header("digits_cv", f"digits standardized, n={X.shape[0]:,}, p={X.shape[1]}, 10 classes, "
                        "10 C, 5-fold, default scoring (accuracy)")
    return [cv_compare("digits_cv", f"digits {X.shape[0]}×{X.shape[1]}, 10 classes", X, y,
                       Cs=10, scoring=None, target=3.0, repeats=args.repeats)]


CASES = {"binary_fit": case_binary_fit, "binary_cv": case_binary_cv,
         "digits_cv": case_digits_cv, "multinomial_fit": case_multinomial_fit,
         "small": case_small}


# ---- report ----------------------------------------------------------------------------------
def verdict(r: Result) -> str:
    return "met" if r.met else "MISSED"


def check_word(r: Result) -> str:
    return "ok" if r.check_ok else ("WRONG" if r.check_bad else "loose")


def print_result(r: Result) -> None:
    cond = f" and {r.extra_condition}: {'yes' if r.extra_condition_met else 'NO'}" \
        if r.extra_condition else ""
    say(f"  {r.case} [{r.data}]: ridgeline {fmt_t(r.t_ours)} s, sklearn {fmt_t(r.t_peer)} s → "
        f"{r.ratio:.2f}× (target ≥ {r.target:g}×{cond}: {verdict(r)})")
    say(f"      answer [{check_word(r)}]: {r.check}")
    say(f"      ridgeline = {r.per_grad():,.1f} gradient passes ({fmt_t(r.floor_grad_s * 1e3)} ms "
        f"each) = {r.per_gram():,.1f} Grams ({fmt_t(r.floor_gram_s * 1e3)} ms each)")
    for note in r.notes:
        say(f"      {note}")


def print_table(results: list[Result], quick: bool) -> None:
    say("\nSummary (times: best of the timed runs, after a warm-up; ratio = sklearn ÷ ridgeline)"
        + (" — --quick sizes: targets are set for the full sizes" if quick else ""))
    head = (f"{'case':<16} {'data':<30} {'ridgeline s':>11} {'sklearn s':>10} {'ratio':>7} "
            f"{'target':>7} {'met?':>7} {'answer':>7} {'/grad pass':>10} {'/Gram':>8}")
    say(head)
    say("-" * len(head))
    for r in results:
        say(f"{r.case:<16} {r.data[:30]:<30} {fmt_t(r.t_ours):>11} {fmt_t(r.t_peer):>10} "
            f"{r.ratio:>6.2f}× {'≥' + format(r.target, 'g') + '×':>7} {verdict(r):>7} "
            f"{check_word(r):>7} {r.per_grad():>10,.1f} {r.per_gram():>8,.1f}")


def markdown(data: dict) -> str:
    info = data["machine"]
    lines = ["# ridgeline vs scikit-learn logistic regression (`bench_glm.py`)", "",
             f"Machine: {info['cpu_model']}, {info['cpu_count']} cores, {info['memory_gib']} GiB; "
             + ", ".join(f"{k} {v}" for k, v in info["versions"].items())
             + f"; ridgeline at {info['ridgeline_commit']}; {data['timestamp']}; "
             f"repeats {data['repeats']}; load average at start {data['load_start']}, at end "
             f"{data['load_end']}"
             + (f"; scipy's BLAS limited to {data['scipy_blas_threads']} thread(s)"
                if data.get("scipy_blas_threads") else "")
             + (f"; all BLAS limited to {data['blas_threads']} thread(s)"
                if data.get("blas_threads") else "")
             + ("; **--quick** (n/10)" if data["quick"] else ""), "",
             "Times are the best of the timed runs after one warm-up call; ratio = scikit-learn ÷ "
             "ridgeline (> 1: ridgeline faster); '/grad pass' and '/Gram' = ridgeline's time in "
             "units of one gradient pass (`X @ w` + `X.T @ r`) and of one `X.T @ X` on the same "
             "X.", "",
             "| case | data | ridgeline s | sklearn s | ratio | target | met? | answer check | "
             "/grad pass | /Gram |",
             "|---|---|---:|---:|---:|---:|---|---|---:|---:|"]
    for name in CASE_NAMES:
        for r in data["cases"].get(name, {}).get("results", []):
            cond = (f" and {r['extra_condition']}" if r["extra_condition"] else "")
            check = r["check"].replace("|", "\\|")
            word = "✓" if r["check_ok"] else ("**✗ WRONG**" if r["check_bad"] else "loose")
            lines.append(
                f"| {r['case']} | {r['data']} | {fmt_t(r['ours_min_s'])} | "
                f"{fmt_t(r['peer_min_s'])} | {r['ratio']:.2f}× | ≥ {r['target']:g}×{cond} | "
                f"{'met' if r['met'] else '**MISSED**'} | {word} {check} | "
                f"{r['ours_per_grad_pass']:,.1f} | {r['ours_per_gram']:,.1f} |")
    lines += ["", "Notes:", ""]
    for name in CASE_NAMES:
        for r in data["cases"].get(name, {}).get("results", []):
            lines += [f"* {r['case']} [{r['data']}]: " + n.replace("|", "\\|")
                      for n in r["notes"]]
    return "\n".join(lines) + "\n"


def write_results(results: list[Result], info: dict, args, load_start: str) -> None:
    suffix = "_quick" if args.quick else ""
    path = RESULTS_DIR / f"glm{suffix}.json"
    cases: dict = {}
    for r in results:
        cases.setdefault(r.case, {"results": []})["results"].append(r.as_dict())
    new = {"machine": info, "quick": args.quick, "repeats": args.repeats,
           "small_repeats": args.small_repeats, "scipy_blas_threads": args.scipy_blas_threads,
           "blas_threads": args.blas_threads, "timestamp": time.strftime("%Y-%m-%d %H:%M:%S"),
           "load_start": load_start, "load_end": loadavg(), "cases": cases}
    write_json(path, new)  # merges with the cases of an earlier run of the same kind
    merged = json.loads(path.read_text())
    md = path.with_suffix(".md")
    md.write_text(markdown(merged))
    say(f"Markdown table written to {md}")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", nargs="+", choices=[*CASE_NAMES, "all"], default=["all"],
                    help="one or more cases (default: all)")
    ap.add_argument("--repeats", type=int, default=3,
                    help="timed runs after the warm-up; the best is reported (default 3)")
    ap.add_argument("--small-repeats", type=int, default=None, metavar="N",
                    help="timed runs in case 'small' (default 30; 5 with --quick)")
    ap.add_argument("--quick", action="store_true",
                    help="n/10 for the synthetic cases: a smoke run (the real data are whole)")
    ap.add_argument("--no-write", action="store_true", help="do not write benchmarks/results/")
    ap.add_argument("--blas-threads", type=int, default=None, metavar="N",
                    help="limit every BLAS/OpenMP pool to N threads (threadpoolctl; default: "
                    "leave them as they are)")
    ap.add_argument("--scipy-blas-threads", type=int, default=None, metavar="N",
                    help="limit only the BLAS that scipy loads (the PyPI wheels of numpy and "
                    "scipy each ship an OpenBLAS with its own thread pool) to N threads. On 2 "
                    "cores 1 stops the two pools starving each other in scipy's L-BFGS-B "
                    "(scikit-learn's lbfgs)")
    ap.add_argument("--wait-idle", type=float, default=0.0, metavar="S",
                    help="before each timed call wait up to S seconds for other processes to "
                    "leave the CPUs (default 0: do not wait)")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    IDLE["max_wait"] = args.wait_idle
    info = machine_info()
    load_start = loadavg()
    print_machine(info)
    if args.blas_threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.blas_threads)
        info["blas_threads_limit"] = args.blas_threads
        say(f"BLAS/OpenMP threads limited to {args.blas_threads} (--blas-threads)")
    if args.scipy_blas_threads is not None:
        limit_scipy_blas(args.scipy_blas_threads, info)
    elif (info.get("cpu_affinity") or info.get("cpu_count") or 0) <= 2:
        say("Note: 2 CPUs or fewer and --scipy-blas-threads not given: scikit-learn's lbfgs may "
            "be slowed by two competing OpenBLAS thread pools (see the docstring)")
    names = CASE_NAMES if "all" in args.case else tuple(n for n in CASE_NAMES if n in args.case)
    results: list[Result] = []
    t0 = time.perf_counter()
    for name in names:
        t_case = time.perf_counter()
        out = CASES[name](args)
        say(f"  ({name} took {time.perf_counter() - t_case:.0f} s in all)")
        for r in out:
            print_result(r)
        results += out
    print_table(results, args.quick)
    missed = [r for r in results if not r.met]
    wrong = [r for r in results if r.check_bad]
    loose = [r for r in results if not r.check_ok and not r.check_bad]
    say("")
    say("Targets: " + ("all met" if not missed else "MISSED: " + "; ".join(
        f"{r.case} [{r.data}] {r.ratio:.2f}× < {r.target:g}×"
        + ("" if r.extra_condition_met else f" (or {r.extra_condition} not reached)")
        for r in missed)))
    say("Answers: " + ("all agree with the tight scikit-learn references" if not wrong + loose
                       else f"{len(wrong)} WRONG, {len(loose)} loose (within {COEF_BAD:g} but "
                       f"not {COEF_OK:g}), the others agree"))
    for r in loose:
        say(f"  LOOSE (not failing): {r.case} [{r.data}]: {r.check}")
    for r in wrong:
        say(f"  WRONG ANSWER: {r.case} [{r.data}]: {r.check}")
    say(f"Total {time.perf_counter() - t0:.0f} s; load average at start {load_start}, at end "
        f"{loadavg()}")
    if IDLE["runs"]:
        say(f"Idle wait: {IDLE['contended']} of {IDLE['runs']} timed runs started while other "
            f"processes still used ≥15% of the CPUs after {IDLE['max_wait']:g} s of waiting")
    if not args.no_write and results:
        write_results(results, info, args, load_start)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
