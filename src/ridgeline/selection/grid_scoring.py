"""A scored λ grid as a :class:`~ridgeline.selection.RidgeCVResult`, extended past its edges.

:func:`_score_grid` scores a grid with a given evaluation (K-fold, LOO or GCV curves), extends
the grid when the choice lies on an edge (up to ``extend`` times) and warns when it still does;
:func:`_assemble` turns the scores into the result: mean score and standard error per λ (per
target or averaged), the min and 1-SE choices and the effective degrees of freedom.
"""

from __future__ import annotations

import warnings

import numpy as np

from ridgeline.path.grid import extend_grid
from ridgeline.selection.result import (
    RidgeCVResult,
    edge_sides,
    select_1se,
    select_min,
    warn_edges,
)


def _score_grid(lam, evaluate, factor, method, scorer, rule, per_target, fit_intercept,
                to_alpha, sw, *, extend, warn_edge, given, warn_stacklevel) -> RidgeCVResult:
    """Score a grid (extending it past an edge up to ``extend`` times) and warn at an edge.

    ``warn_stacklevel`` is handed to :func:`warn_edges` (2 = the caller of this function).
    """
    rounds = 3 if extend is True else int(extend or 0)
    while True:
        result = _assemble(lam, evaluate(lam), factor, method, scorer, rule, per_target,
                           fit_intercept, to_alpha, sw)
        nan = np.isnan(result.mean_score)
        sides = set() if nan.all() else edge_sides(lam, result.index_)
        if not sides or rounds <= 0:
            break
        for side in sides:
            lam = extend_grid(lam, side)
        rounds -= 1
    if nan.any():
        warnings.warn(
            f"{int(nan.sum())} of {nan.size} mean CV scores are NaN (e.g. R² of held-out folds "
            "with fewer than two rows); a NaN score is never chosen"
            + (" (all are: the first value of the grid is chosen)" if nan.all() else ""),
            UserWarning, stacklevel=warn_stacklevel)
    if sides and warn_edge and (given or lam.size > 1):
        dof_max = factor.rank + (1 if fit_intercept else 0) if factor is not None else None
        warn_edges(sides, dof=result.dof, lambdas=lam, dof_max=dof_max,
                   stacklevel=warn_stacklevel)
    return result

def _assemble(lam, ev: dict, factor, method, scorer, rule, per_target, fit_intercept,
              to_alpha, sw) -> RidgeCVResult:
    fold_scores = ev.get("fold_scores")
    if fold_scores is not None:
        K = fold_scores.shape[0]
        mean_t = fold_scores.mean(axis=0)  # (L, k)
        se_t = fold_scores.std(axis=0, ddof=1) / np.sqrt(K) if K > 1 \
            else np.full_like(mean_t, np.nan)
        agg_folds = fold_scores.mean(axis=2)  # (K, L)
        se_agg = agg_folds.std(axis=0, ddof=1) / np.sqrt(K) if K > 1 \
            else np.full(mean_t.shape[0], np.nan)
    else:
        K = 0
        mean_t, se_t = ev["mean"], ev["se"]
        se_agg = np.sqrt(np.nanmean(se_t**2, axis=1)) if np.isfinite(se_t).any() \
            else np.full(mean_t.shape[0], np.nan)
    if per_target:
        mean, se = mean_t, se_t
    else:
        mean, se = mean_t.mean(axis=1), se_agg
    idx_min = select_min(np.where(np.isnan(mean), -np.inf, mean))  # NaN: never the best
    idx_1se = idx_min if np.isnan(se).all() else select_1se(lam, mean, se, idx_min)
    pick = (lambda i: lam[i]) if not per_target else (lambda i: lam[np.asarray(i)])
    dof = np.full(lam.size, np.nan)
    if factor is not None:
        dof = factor.dof(lam * sw) + (1.0 if fit_intercept else 0.0)
    return RidgeCVResult(
        lambdas=lam,
        alphas=to_alpha(lam) if to_alpha is not None else lam.copy(),
        method=method,
        scoring=scorer.name,
        fold_scores=fold_scores,
        mean_score=mean,
        se=se,
        dof=dof,
        index_min=idx_min if per_target else int(idx_min),
        index_1se=idx_1se if per_target else int(idx_1se),
        lambda_min=pick(idx_min) if per_target else float(lam[idx_min]),
        lambda_1se=pick(idx_1se) if per_target else float(lam[idx_1se]),
        rule=rule,
        per_target=per_target,
        train_mse=ev.get("train_mse"),
        n_splits=K,
    )
