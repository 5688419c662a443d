"""Time ``ridgeline.backend`` ridge K-fold CV and logistic CV on every available device.

Devices: CPU NumPy, CPU torch, and CUDA torch when ``torch.cuda.is_available()``. For each device
and dtype the script reports

- the Gram pass of ridge CV (``augmented_moments`` over all folds: one GEMM per row chunk) in
  GFLOP/s, counting ``2 n (p+2)²`` flops (GEMM convention), against
- the device's GEMM roofline: the best of a few large ``X.T @ X`` products on the same device
  and dtype (same flop convention), and
- the whole ``ridge_cv`` call (Gram pass + K + 1 eigendecompositions + held-out scores + refit),
- ``logistic_cv`` (ridgeline's Newton over the passes of an ``ArrayAPISource``, every fold
  warm-started along the λ grid): time, Newton steps, and a nominal rate
  ``Σ steps · 2 n_train p² / time`` (steps counted as if each formed a Hessian; the Newton
  reuses a Hessian while it pays, so this is not a measured Hessian throughput).

Results (and answers: every device's chosen λ and its coefficient difference from NumPy float64)
go to ``benchmarks/results/gpu.json`` and ``gpu.md`` (``gpu_quick.*`` with ``--quick``).
On a machine without a GPU the output says so plainly; the CUDA rows are then absent.

Usage::

    .venv/bin/python benchmarks/bench_gpu.py                 # n=200,000, p=1,000, 100 λ, 5 folds
    .venv/bin/python benchmarks/bench_gpu.py --quick         # n=20,000, p=300 (smoke run)
    .venv/bin/python benchmarks/bench_gpu.py --threads 1     # single-threaded CPU rows
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from ridgeline.backend import logistic_cv, make_backend, ridge_cv, to_numpy
from ridgeline.backend.array_api import DEFAULT_CHUNK_ROWS, check_folds
from ridgeline.backend.gram import augmented_moments

SEED = 20_260_107
RESULTS = Path(__file__).resolve().parent / "results"


def _sync(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def _best(fn, device: str, repeats: int) -> float:
    """Best wall time of ``repeats`` calls after one warm-up."""
    fn()
    _sync(device)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
    return min(times)


def _data(n: int, p: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p), dtype=np.float32).astype(np.float64)
    X += rng.normal(0.5, 0.2, size=p)
    w = rng.normal(size=p) / np.sqrt(p)
    y = X @ w + rng.normal(size=n) + 1.0
    folds = np.arange(n) % 5
    return X, y, folds


def _logit_data(n: int, p: int, seed: int):
    rng = np.random.default_rng(seed + 1)
    X = rng.standard_normal((n, p))
    eta = X @ (rng.normal(size=p) * 2 / np.sqrt(p)) - 0.3
    y = (eta + rng.logistic(size=n) > 0).astype(np.float64)
    return X, y, np.arange(n) % 5


def _targets(threads: int):
    """(label, namespace, device, dtype name) rows to run."""
    rows = [("numpy float64", "numpy", "cpu", "float64"),
            ("numpy float32", "numpy", "cpu", "float32")]
    try:
        import torch
    except ImportError:
        return rows, "torch is not installed: only NumPy rows"
    torch.set_num_threads(threads)
    rows += [("torch cpu float64", "torch", "cpu", "float64"),
             ("torch cpu float32", "torch", "cpu", "float32")]
    if torch.cuda.is_available():
        name = torch.cuda.get_device_name(0)
        rows += [("torch cuda float64", "torch", "cuda", "float64"),
                 ("torch cuda float32", "torch", "cuda", "float32")]
        return rows, f"CUDA device: {name}"
    return rows, ("NO GPU on this machine (torch.cuda.is_available() is False): CPU rows only; "
                  "the GPU rows need a run on a machine with a CUDA device")


def _convert(ns: str, device: str, dtype: str, *arrays):
    if ns == "numpy":
        dt = np.float32 if dtype == "float32" else np.float64
        return tuple(a if np.issubdtype(a.dtype, np.integer) else a.astype(dt) for a in arrays)
    import torch

    dt = torch.float32 if dtype == "float32" else torch.float64
    return tuple(torch.as_tensor(a, device=device) if np.issubdtype(a.dtype, np.integer)
                 else torch.as_tensor(a, dtype=dt, device=device) for a in arrays)


def _roofline(ns: str, device: str, dtype: str, p: int, repeats: int) -> float:
    """GFLOP/s of a large ``X.T @ X`` (2 m p² flops) on the device: the GEMM peak we compare to."""
    m = 65_536 if device == "cuda" else 16_384
    (Xr,) = _convert(ns, device, dtype, np.random.default_rng(0).standard_normal((m, p)))
    t = _best(lambda: Xr.T @ Xr, device, repeats)
    return 2.0 * m * p * p / t / 1e9


def _gram_pass(Xa, ya, fa, repeats: int, device: str) -> float:
    """Seconds of the ridge CV Gram pass alone (every fold's augmented moments)."""
    bk = make_backend(Xa, ya)
    n, p = Xa.shape
    _, rows = check_folds(fa, n)
    yacc = bk.to_acc(ya)
    s = bk.xp.ones((n,), dtype=bk.acc, device=bk.device)
    shift = bk.xp.zeros((p,), dtype=bk.dtype, device=bk.device)
    zero = bk.asarray(0.0)

    def run():
        for r in rows:
            augmented_moments(bk, Xa, yacc, s, r, shift, zero, weighted=False,
                              chunk_rows=DEFAULT_CHUNK_ROWS)

    return _best(run, device, repeats)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--p", type=int, default=1_000)
    ap.add_argument("--lambdas", type=int, default=100)
    ap.add_argument("--logit-n", type=int, default=50_000)
    ap.add_argument("--logit-p", type=int, default=200)
    ap.add_argument("--logit-lambdas", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--quick", action="store_true", help="n/10, p=300, logit n/5")
    ap.add_argument("--out", default=None, help="results stem (default gpu or gpu_quick)")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.p, args.logit_n = args.n // 10, min(args.p, 300), args.logit_n // 5
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)
    targets, note = _targets(args.threads)
    print(note)
    print(f"ridge CV: n={args.n:,}, p={args.p:,}, {args.lambdas} λ, 5 folds; logistic CV: "
          f"n={args.logit_n:,}, p={args.logit_p}, {args.logit_lambdas} λ; CPU threads "
          f"{args.threads} of {os.cpu_count()}")
    X, y, folds = _data(args.n, args.p, SEED)
    lam = np.geomspace(1e-6, 1e2, args.lambdas)
    XL, yL, fL = _logit_data(args.logit_n, args.logit_p, SEED)
    lamL = np.geomspace(1e-5, 1e-1, args.logit_lambdas)
    ref = ridge_cv(X, y, lam, folds)
    refL = logistic_cv(XL, yL, lamL, fL)
    flops = 2.0 * args.n * (args.p + 2) ** 2
    rows = []
    for label, ns, device, dtype in targets:
        Xa, ya, fa = _convert(ns, device, dtype, X, y, folds)
        peak = _roofline(ns, device, dtype, args.p, args.repeats)
        t_gram = _gram_pass(Xa, ya, fa, args.repeats, device)
        res = {}

        def run_ridge(Xa=Xa, ya=ya, fa=fa, res=res):
            res["r"] = ridge_cv(Xa, ya, lam, fa)

        t_ridge = _best(run_ridge, device, args.repeats)
        r = res["r"].to_numpy()
        del Xa, ya, fa
        XLa, yLa, fLa = _convert(ns, device, dtype, XL, yL, fL)
        t0 = time.perf_counter()
        rl = logistic_cv(XLa, yLa, lamL, fLa)
        _sync(device)
        t_logit = time.perf_counter() - t0
        steps = int(rl.n_iter.sum())
        hess_flops = steps * 2.0 * (args.logit_n * 4 // 5) * args.logit_p ** 2
        row = {
            "target": label, "namespace": ns, "device": device, "dtype": dtype,
            "gemm_peak_gflops": peak,
            "gram_pass_s": t_gram, "gram_gflops": flops / t_gram / 1e9,
            "gram_fraction_of_peak": flops / t_gram / 1e9 / peak,
            "ridge_cv_s": t_ridge, "ridge_lambda": r.lambda_,
            "ridge_coef_maxdiff_vs_numpy64": float(np.max(np.abs(r.coef - ref.coef))),
            "logistic_cv_s": t_logit, "logistic_newton_steps": steps,
            "logistic_nominal_step_gflops": hess_flops / t_logit / 1e9,
            "logistic_lambda": rl.lambda_,
            "logistic_coef_maxdiff_vs_numpy64": float(np.max(np.abs(
                np.asarray(to_numpy(rl.coef), dtype=np.float64) - refL.coef))),
        }
        rows.append(row)
        print(f"{label:20s} GEMM peak {peak:8.1f} GFLOP/s | Gram pass {t_gram:7.3f} s "
              f"{row['gram_gflops']:8.1f} GFLOP/s ({100 * row['gram_fraction_of_peak']:5.1f}% of "
              f"peak) | ridge_cv {t_ridge:7.3f} s λ={r.lambda_:.3g} Δcoef "
              f"{row['ridge_coef_maxdiff_vs_numpy64']:.1e} | logistic_cv {t_logit:7.2f} s "
              f"({steps} Newton steps, nominal {row['logistic_nominal_step_gflops']:.1f} GFLOP/s) "
              f"λ={rl.lambda_:.3g} Δcoef {row['logistic_coef_maxdiff_vs_numpy64']:.1e}",
              flush=True)
    out = {
        "note": note,
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpu_count": os.cpu_count(), "threads": args.threads},
        "sizes": {"n": args.n, "p": args.p, "lambdas": args.lambdas, "folds": 5,
                  "logit_n": args.logit_n, "logit_p": args.logit_p,
                  "logit_lambdas": args.logit_lambdas},
        "flop_convention": "GEMM: 2·n·(p+2)² for the augmented Gram pass, 2·m·p² for the peak",
        "rows": rows,
    }
    stem = args.out or ("gpu_quick" if args.quick else "gpu")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(out, indent=2) + "\n")
    (RESULTS / f"{stem}.md").write_text(_markdown(out))
    print(f"wrote {RESULTS / (stem + '.json')} and .md")
    return out


def _markdown(out: dict) -> str:
    s = out["sizes"]
    lines = [
        "# ridgeline.backend on available devices",
        "",
        f"**{out['note']}**",
        "",
        f"Ridge K-fold CV: n = {s['n']:,}, p = {s['p']:,}, {s['lambdas']} λ, {s['folds']} folds. "
        f"Logistic CV: n = {s['logit_n']:,}, p = {s['logit_p']}, {s['logit_lambdas']} λ. "
        f"{out['machine']['threads']} CPU thread(s) of {out['machine']['cpu_count']}. "
        f"Flops: {out['flop_convention']}.",
        "",
        "| target | GEMM peak GFLOP/s | Gram pass s | Gram GFLOP/s | % of peak | ridge_cv s | "
        "Δcoef vs NumPy f64 | logistic_cv s | Newton steps | Δcoef vs NumPy f64 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in out["rows"]:
        lines.append(
            f"| {r['target']} | {r['gemm_peak_gflops']:.1f} | {r['gram_pass_s']:.3f} | "
            f"{r['gram_gflops']:.1f} | {100 * r['gram_fraction_of_peak']:.0f}% | "
            f"{r['ridge_cv_s']:.3f} | {r['ridge_coef_maxdiff_vs_numpy64']:.1e} | "
            f"{r['logistic_cv_s']:.2f} | {r['logistic_newton_steps']} | "
            f"{r['logistic_coef_maxdiff_vs_numpy64']:.1e} |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
