"""Evidence λ: ``RidgeCV(cv="evidence")`` vs scikit-learn's ``BayesianRidge`` (gamma priors 0).

Part ``evidence`` of ``bench_beyond.py``. Both maximize the same marginal likelihood of the
Gaussian ridge model (noise precision and weight precision, no hyperpriors): ridgeline from
one eigendecomposition (the profiled evidence, Brent's method on its slope in log λ, to
rounding), scikit-learn by MacKay's fixed-point iterations (one SVD, then an update per step
until the coefficients move less than ``tol = 1e-12``). The matching scikit-learn ``Ridge``
alpha is ``BayesianRidge``'s ``lambda_ / alpha_``, ridgeline's ``alpha_``.

Data sets: scikit-learn's diabetes (n = 442, p = 10), a synthetic one of n = 500, p = 20 and
a larger synthetic one of n = 20,000, p = 300 (``quick``: the first two only, plus
n = 2,000, p = 50). Reported: the best-of-``repeats`` wall times (after a warm-up call),
``ratio`` = BayesianRidge time ÷ ridgeline time (> 1: ridgeline faster), both alphas, their
relative difference, BayesianRidge's iteration count, and ``ok``: the relative difference is
below 1e-6.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import BayesianRidge

from _timing import best_time
from ridgeline import RidgeCV


def _data(n: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) @ (np.eye(p) + 0.3 * rng.normal(size=(p, p)) / np.sqrt(p))
    w = rng.normal(size=p) * (rng.uniform(size=p) < 0.5)
    y = X @ w + 2.0 * rng.normal(size=n) + 1.0
    return X, y


def _one(name: str, X, y, repeats: int) -> dict:
    def ours():
        return RidgeCV(cv="evidence").fit(X, y)

    def theirs():
        return BayesianRidge(alpha_1=0.0, alpha_2=0.0, lambda_1=0.0, lambda_2=0.0, tol=1e-12,
                             max_iter=100_000).fit(X, y)

    t_ours, m = best_time(ours, repeats)
    t_br, br = best_time(theirs, repeats)
    a_br = float(br.lambda_ / br.alpha_)
    rel = abs(m.alpha_ - a_br) / a_br
    return {
        "data": name, "n": X.shape[0], "p": X.shape[1],
        "ridgeline_s": t_ours, "bayesian_ridge_s": t_br, "ratio": t_br / t_ours,
        "alpha_ridgeline": float(m.alpha_), "alpha_bayesian_ridge": a_br,
        "alpha_rel_diff": rel, "bayesian_ridge_iter": int(br.n_iter_),
        "ok": bool(rel < 1e-6),
    }


def run(quick: bool) -> list[dict]:
    """The rows of the ``evidence`` part (see the module docstring)."""
    repeats = 1 if quick else 5
    X, y = load_diabetes(return_X_y=True)
    rows = [_one("diabetes", X, y, repeats), _one("synthetic", *_data(500, 20), repeats)]
    n, p = (2_000, 50) if quick else (20_000, 300)
    rows.append(_one("synthetic", *_data(n, p, seed=1), 1 if quick else 3))
    return rows
