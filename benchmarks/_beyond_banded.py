"""Banded ridge (one λ per feature group, per target) vs himalaya's ``BandedRidgeCV``.

Part ``banded`` of ``bench_beyond.py``. Data: ``n`` rows, 3 groups of ``p_group`` standard
normal features, ``k`` targets; each target draws its own importance of each group (some
groups pure noise for some targets), so that per-target, per-group λs matter. Both libraries
get the same rows, the same 5 folds (``KFold(5, shuffle=True, random_state=0)``) and choose
one λ per group *per target*:

* ridgeline: ``BandedRidgeCV(groups, cv=folds, alpha_per_target=True)`` (exact-gradient
  Newton on the K-fold MSE over log λ, from the best single λ of its grid);
* himalaya 0.4 (numpy backend): ``BandedRidgeCV(groups, solver="random_search",
  solver_params={"n_iter": ..., "alphas": ...}, fit_intercept=True, cv=folds)``: random
  search over group weightings on the simplex, the overall α chosen per target from a grid.

Both are scored the same way: ridgeline's K-fold MSE evaluation (from the fold statistics of
:class:`ridgeline.selection.banded_cv.BandedCV`, the same folds) applied to each library's
chosen per-target λs. himalaya's penalty on a training fold is ``Σ_g exp(−δ_g)‖w_g‖²`` on a
sum of squares, i.e. canonical ``λ_g = exp(−δ_g) / n_train`` (every fold has the same
``n_train`` here: n is a multiple of 5), so its fold fits are reproduced exactly.

Reported: best-of-``repeats`` wall times (after a warm-up call for ridgeline; himalaya once,
its fits are long), the CV MSE averaged over targets for both, the fraction of targets where
ridgeline's CV MSE is ≤ himalaya's, ``ratio`` = himalaya time ÷ ridgeline time, and ``ok``:
ridgeline's mean CV MSE ≤ himalaya's and ratio ≥ 10 (the issue's target).
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.model_selection import KFold

from _timing import best_time
from ridgeline import BandedRidgeCV
from ridgeline.selection.banded_cv import BandedCV

#: himalaya's search: random group weightings (its default count is 100) and an α grid wide
#: enough for these data (penalties 1e-2 … 1e7 on a sum of squares). Its cost per weighting
#: and fold is one SVD of the training rows plus, per α, an (n_test × p) · (p × n_train)
#: product: at n = 10,000 about 13 GFlop per α, so the large case runs 20 weightings and 10 α
#: (minutes), the small one its default 100 weightings and 19 α.
HIMALAYA_LARGE = {"n_iter": 20, "alphas": np.logspace(-2, 7, 10)}
HIMALAYA_SMALL = {"n_iter": 100, "alphas": np.logspace(-2, 7, 19)}
HIMALAYA_QUICK = {"n_iter": 3, "alphas": np.logspace(-2, 7, 10)}


def _data(n: int, p_group: int, k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    G = 3
    X = rng.standard_normal((n, G * p_group))
    importance = rng.uniform(0, 1, (G, k)) * (rng.uniform(size=(G, k)) < 0.7)
    Y = rng.standard_normal((n, k))  # noise
    for g in range(G):
        W = rng.standard_normal((p_group, k)) / np.sqrt(p_group)
        Y += X[:, g * p_group:(g + 1) * p_group] @ (W * importance[g])
    return X, Y, np.repeat(np.arange(G), p_group)


def _himalaya(X, Y, labels, folds, search: dict):
    from himalaya.backend import set_backend
    from himalaya.ridge import BandedRidgeCV as HimalayaBandedRidgeCV

    set_backend("numpy", on_error="raise")
    model = HimalayaBandedRidgeCV(
        groups=labels, solver="random_search", fit_intercept=True, cv=folds, random_state=0,
        solver_params={**search, "progress_bar": False})
    t0 = time.perf_counter()
    model.fit(X, Y)
    return time.perf_counter() - t0, np.asarray(model.deltas_)  # (G, k)


def _case(n: int, p_group: int, k: int, repeats: int, search: dict) -> dict:
    X, Y, labels = _data(n, p_group, k)
    folds = KFold(5, shuffle=True, random_state=0)
    splits = list(folds.split(X))
    groups = [np.flatnonzero(labels == g) for g in range(3)]

    def ours():
        return BandedRidgeCV(groups, cv=folds, alpha_per_target=True).fit(X, Y)

    t_ours, est = best_time(ours, repeats)
    t_him, deltas = _himalaya(X, Y, labels, folds, search)
    n_train = n - n // 5
    lam_him = np.exp(-deltas.T) / n_train  # (k, G) canonical
    scorer = BandedCV(X, Y, np.ones(n), splits, groups, fit_intercept=True, standardize=False,
                      scoring="neg_mean_squared_error")
    mse_ours = -scorer.fold_scores(est.lambdas_).mean(axis=0)
    mse_him = -scorer.fold_scores(lam_him).mean(axis=0)
    ratio = t_him / t_ours
    return {
        "case": f"n={n}, 3x{p_group} features, {k} targets",
        "ridgeline_s": t_ours,
        "himalaya_s": t_him,
        "ratio": ratio,
        "cv_mse_ridgeline": float(mse_ours.mean()),
        "cv_mse_himalaya": float(mse_him.mean()),
        "targets_better_or_equal": float(np.mean(mse_ours <= mse_him * (1 + 1e-12))),
        "newton_iterations_max": int(np.max(est.n_iter_)),
        "himalaya_n_iter": search["n_iter"],
        "himalaya_n_alphas": len(search["alphas"]),
        "ok": bool(mse_ours.mean() <= mse_him.mean() and ratio >= 10),
    }


def run(quick: bool) -> list[dict]:
    """The banded-ridge comparison rows (``quick``: small sizes, a smoke run)."""
    if quick:
        return [_case(500, 20, 10, repeats=1, search=HIMALAYA_QUICK)]
    return [_case(10_000, 100, 100, repeats=2, search=HIMALAYA_LARGE),
            _case(500, 100, 100, repeats=3, search=HIMALAYA_SMALL)]
