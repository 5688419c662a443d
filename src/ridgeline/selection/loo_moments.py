"""Exact leave-one-out and GCV of every λ for a statistics source (files, Dask): no rows here.

GCV needs only the total moments of (X, y): the eigendecomposition of the centered
(optionally standardized) Gram gives the training RSS and the hat-matrix trace of every λ
(:func:`ridgeline.selection.loo.gcv_curve`). Exact LOO needs every row's leverage as well, so it
asks the source for one more pass (``source.loo_pass``, the kernel of
:mod:`ridgeline.stats.batch_loo`) that returns, per λ and target, the sums ``Σ s_i e_i²`` and
``Σ s_i e_i⁴`` of the LOO residuals ``e_i = r_i/(1 − h_i)``: the LOO MSE (with its standard
error), RMSE and R² follow. Scorers that need the LOO predictions themselves (MAE, any
scikit-learn scorer) are refused.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ridgeline.selection.engine import RidgeSelection, _Context, _score_grid
from ridgeline.selection.loo import check_exact, loo_model, loo_scores
from ridgeline.selection.routes import moments_factor
from ridgeline.selection.scoring import resolve_scorer
from ridgeline.solvers.spectral import Factor
from ridgeline.stats.batch_loo import LooModel, LooPassResult
from ridgeline.stats.moments import Moments

EXACT_METHODS = ("loo", "gcv")


def select_ridge_exact_moments(
    total: Moments,
    *,
    method: str = "loo",
    loo_pass: Callable[[LooModel], LooPassResult] | None = None,
    lambdas: np.ndarray | None = None,
    n_lambdas: int = 100,
    scoring=None,
    rule: str = "min",
    fit_intercept: bool = True,
    standardize: bool = False,
    per_target: bool = False,
    extend: bool | int = False,
    warn_edge: bool = True,
    to_alpha=None,
    warn_stacklevel: int = 2,
) -> RidgeSelection:
    """Exact LOO or GCV of every λ from the total moments (plus one LOO pass per grid scored).

    As :func:`ridgeline.selection.engine.select_ridge` with ``cv="loo"``/``"gcv"`` (primal
    route, no SVD fallback): the factor ``XcᵀSXc = V diag(e) Vᵀ`` of ``total``, penalties
    ``a = n_w·λ``, GCV ``(RSS(a)/n_w) / (1 − dof(a)/n)²``, LOO from ``loo_pass`` (leverages
    ``h_i(a) = s_i/n_w·[intercept] + s_i Σ_j u_ij²/(e_j + a)``).

    Parameters
    ----------
    total : Moments
        Moments of every row (p features, k targets).
    method : {"loo", "gcv"}
    loo_pass : callable ``LooModel -> LooPassResult``, required for ``"loo"``
        One pass over the rows (a source's ``loo_pass``) per grid scored.
    lambdas, n_lambdas, rule, fit_intercept, standardize, per_target, extend, warn_edge,
    to_alpha, warn_stacklevel : as :func:`~ridgeline.selection.engine.select_ridge`.
    scoring : None (MSE), or for LOO ``"r2"`` or ``"neg_root_mean_squared_error"``

    Returns
    -------
    RidgeSelection
        The curve (``result``) and the full-data ``factor`` (for the refit at the chosen λ).
    """
    scorer = _check(method, scoring, rule, loo_pass)
    factor, lam, sw = moments_factor(total, lambdas, n_lambdas, fit_intercept=fit_intercept,
                                     standardize=standardize)
    if method == "gcv":
        ctx = _Context(None, None, None, fit_intercept, standardize, "canonical", scorer, False,
                       None, None, per_target, "eigh", sw=sw)
        evaluate = lambda grid: ctx.gcv(factor, grid)  # noqa: E731
    else:
        sst = total.centered(True).yy  # Σ s (y − ȳ_w)² per target, for R²
        evaluate = lambda grid: _loo(factor, grid, loo_pass, scorer, fit_intercept,  # noqa: E731
                                     sst, total.n)
    result = _score_grid(lam, evaluate, factor, method, scorer, rule, per_target,
                         fit_intercept, to_alpha, sw, extend=extend, warn_edge=warn_edge,
                         given=lambdas is not None, warn_stacklevel=warn_stacklevel + 1)
    return RidgeSelection(result=result, factor=factor, route="eigh")


def _check(method: str, scoring, rule: str, loo_pass):
    """The resolved scorer, or a ValueError for what statistics cannot score."""
    if method not in EXACT_METHODS:
        raise ValueError(f"method must be 'loo' or 'gcv', got {method!r}")
    if rule not in ("min", "1se"):
        raise ValueError(f"rule must be 'min' or '1se', got {rule!r}")
    scorer = resolve_scorer(scoring, "mse")
    check_exact(method, scorer, rule)
    if scorer.kind != "stats":
        raise ValueError(f"scoring={scorer.name!r} needs the leave-one-out predictions of every "
                         "row, which a statistics source does not return: from its sums only "
                         "'neg_mean_squared_error' (the default), 'neg_root_mean_squared_error' "
                         "and 'r2' can be scored")
    if method == "loo" and loo_pass is None:
        raise ValueError("exact LOO needs a pass over the rows: give loo_pass")
    return scorer


def _loo(F: Factor, lam: np.ndarray, loo_pass, scorer, fit_intercept: bool, sst: np.ndarray,
         n: int) -> dict:
    """Scores (L, k) of one grid from one LOO pass over the rows."""
    pen = lam * F.sw
    F.check_penalties(pen)
    sums = loo_pass(loo_model(F, pen, fit_intercept=fit_intercept))
    if sums.n_rows != n:
        raise ValueError(f"the LOO pass visited {sums.n_rows} rows, the moments pass {n}: the "
                         "source changed between passes")
    mean, se = loo_scores(sums, scorer, sw=F.sw, n=n, sst=sst)
    return {"mean": mean, "se": se}
