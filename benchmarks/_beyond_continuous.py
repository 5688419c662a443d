"""λ off the grid (``RidgeCV(refine=True)``) vs scoring a 1,000-point grid, on the same folds.

Part ``continuous`` of ``bench_beyond.py``. For K-fold (5 folds) and exact LOO on a synthetic
data set (n = 5,000, p = 200; ``quick``: n = 500, p = 20) and scikit-learn's diabetes
(n = 442, p = 10), three fits by ridgeline's ``RidgeCV`` with
the same canonical λ range (the automatic 100-point grid's) and the same splits:

* ``grid100``: the 100-point grid only (``refine=False``), the baseline;
* ``refine``: the same grid, then the maximizer of the CV curve over continuous log λ
  between the best grid point's neighbours (:mod:`ridgeline.selection.continuous`);
* ``grid1000``: a 1,000-point grid over the same range (``refine=False``).

Reported: the best-of-``repeats`` wall times (after a warm-up call), both mean CV scores
("greater is better": negated MSE), the chosen λ, ``ratio`` = grid1000 time ÷ refine time
(> 1: the continuous search is faster), ``refine_extra_s`` = refine − grid100 time (the cost of
the search itself), and ``ok``: the continuous score is at least the 1,000-point grid's (up to
1e-12 relative, rounding).
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.model_selection import KFold

from _timing import best_time
from ridgeline import RidgeCV


def _data(n: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) @ (np.eye(p) + 0.3 * rng.normal(size=(p, p)) / np.sqrt(p))
    w = rng.normal(size=p) * (rng.uniform(size=p) < 0.3)
    y = X @ w + 20.0 * rng.normal(size=n)  # noisy enough for an interior optimum
    return X, y


def _one(X, y, cv, name: str, repeats: int) -> dict:
    sw = float(X.shape[0])
    auto = RidgeCV(alphas="auto", cv=cv, scoring="neg_mean_squared_error").fit(X, y)
    lam = np.sort(auto.selection_.lambdas)[::-1]
    lam1000 = np.geomspace(lam[0], lam[-1], 1000)
    common = dict(cv=cv, scoring="neg_mean_squared_error")

    def fit(grid, refine):
        return RidgeCV(alphas=grid * sw, refine=refine, **common).fit(X, y)

    t100, e100 = best_time(lambda: fit(lam, False), repeats)
    tref, eref = best_time(lambda: fit(lam, True), repeats)
    t1000, e1000 = best_time(lambda: fit(lam1000, False), repeats)
    s_ref, s_1000 = float(eref.best_score_), float(e1000.best_score_)
    return {
        "cv": name, "n": X.shape[0], "p": X.shape[1],
        "grid100_s": t100, "refine_s": tref, "grid1000_s": t1000,
        "ratio": t1000 / tref, "refine_extra_s": tref - t100,
        "score_grid100": float(e100.best_score_), "score_refine": s_ref,
        "score_grid1000": s_1000, "refine_minus_grid1000": s_ref - s_1000,
        "lambda_refine": float(eref.lambda_), "lambda_grid1000": float(e1000.lambda_),
        "ok": bool(s_ref >= s_1000 - 1e-12 * abs(s_1000)),
    }


def run(quick: bool) -> list[dict]:
    """The rows of the ``continuous`` part (see the module docstring)."""
    n, p = (500, 20) if quick else (5000, 200)
    repeats = 1 if quick else 3
    rows = []
    for X, y in (_data(n, p), load_diabetes(return_X_y=True)):  # synthetic, and a small real one
        splits = list(KFold(5, shuffle=True, random_state=0).split(X))
        rows += [_one(X, y, splits, "5-fold", repeats), _one(X, y, None, "loo", repeats)]
    return rows


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)
