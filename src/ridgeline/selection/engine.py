"""Choose λ for ridge: K-fold, leave-one-out or GCV over a whole grid from one factorization.

:func:`select_ridge` is the single entry point used by the estimators and the command line;
:func:`select_ridge_moments` is its K-fold CV from fold statistics alone (streamed or
distributed data). The parts live beside this module and stay importable from here: the
factorization routes (:func:`choose_route`, :func:`full_factor`) in
:mod:`ridgeline.selection.routes`, the K-fold/LOO/GCV score curves (``_Context``) in
:mod:`ridgeline.selection.ridge_curves`, and the scored grid with its edge extension
(``_score_grid``) in :mod:`ridgeline.selection.grid_scoring`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.linalg import svds
from sklearn.model_selection import check_cv

from ridgeline.path.grid import auto_lambda_grid
from ridgeline.selection.continuous import check_refine, refine_result
from ridgeline.selection.criteria import (
    CRITERIA,
    criterion_evaluator,
    criterion_scorer,
    evidence_off_grid,
)
from ridgeline.selection.grid_scoring import _score_grid
from ridgeline.selection.kfold import moment_folds
from ridgeline.selection.loo import check_exact
from ridgeline.selection.result import RidgeCVResult
from ridgeline.selection.ridge_curves import _Context
from ridgeline.selection.routes import SOLVERS, choose_route, full_factor, moments_factor
from ridgeline.selection.scoring import Scorer, resolve_scorer
from ridgeline.solvers.dual import weighted_means, weighted_scale
from ridgeline.solvers.iterative import centered_operator, lsqr_path
from ridgeline.solvers.spectral import Factor, needs_svd, svd_factor
from ridgeline.stats.moments import Moments

__all__ = [
    "SOLVERS",
    "RidgeSelection",
    "choose_route",
    "full_factor",
    "select_ridge",
    "select_ridge_moments",
]


@dataclass
class RidgeSelection:
    """What :func:`select_ridge` returns: the CV result and the full-data factorization.

    ``factor`` is None only for the iterative route, where ``lsqr_coef``/``lsqr_intercept``
    hold the full-data solution at the chosen λ instead.
    """

    result: RidgeCVResult
    factor: Factor | None
    route: str
    lsqr_coef: np.ndarray | None = None
    lsqr_intercept: np.ndarray | None = None


def _splits(cv, X, y_split, groups, classifier: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    splitter = check_cv(cv, y_split, classifier=classifier)
    splits = [(np.asarray(tr), np.asarray(te)) for tr, te in splitter.split(X, y_split, groups)]
    for tr, te in splits:
        if tr.size == 0 or te.size == 0:
            raise ValueError("a cross-validation split has an empty training or test set")
    return splits


def select_ridge(X, Y: np.ndarray, s: np.ndarray, *, lambdas: np.ndarray | None = None,
                 n_lambdas: int = 100, cv=5, scoring=None, rule: str = "min",
                 fit_intercept: bool = True, standardize: bool = False, per_target: bool = False,
                 solver: str = "auto", convention: str = "canonical", extend: bool | int = False,
                 warn_edge: bool = True, groups=None, y_split=None, classes=None,
                 y_labels=None, to_alpha=None, warn_stacklevel: int = 2,
                 score_weighted: bool = True, refine: bool = False) -> RidgeSelection:
    """Score every λ of a grid by K-fold CV, exact LOO, GCV, the evidence or AIC/BIC, and
    choose one.

    Parameters
    ----------
    X : ndarray (n, p) or scipy.sparse matrix
    Y : ndarray (n, k)
    s : ndarray (n,)
        Sample weights (non-negative, positive sum).
    lambdas : ndarray (L,), optional
        Canonical λ grid; derived from the spectrum of X when None.
    cv : int, "loo", "gcv", None (= "loo"), splitter, (train, test) pairs; "evidence"/"aic"/"bic"
    scoring : None, str or callable
        Default: R² for K-fold (as scikit-learn's GridSearchCV), MSE for LOO/GCV; accuracy for
        classifiers under K-fold.
    rule : {"min", "1se"}
    convention : {"canonical", "fixed"}
        ``canonical``: a training fold with weight sum n_k is penalized by ``n_k·λ`` (λ means
        the same on every fold). ``fixed``: every fit uses the full-data penalty ``n_w·λ``,
        i.e. a fixed scikit-learn ``alpha`` (what scikit-learn's own CV does).
    extend : bool or int
        When the chosen λ is at an end of the grid, extend the grid beyond it and re-score (up
        to ``extend`` times, 3 when True) instead of only warning.
    classes, y_labels : for classifiers scored by class labels (ridge classifiers).
    to_alpha : callable, optional
        Maps canonical λ to the caller's parameter convention (stored in the result).
    warn_stacklevel : int
        Where a :class:`GridEdgeWarning` points: 2 = the caller of this function.
    score_weighted : bool, default=True
        Weight held-out scores by ``s`` (and hand a scorer ``sample_weight=``); False: unweighted.
    refine : bool, default=False
        Also maximize the mean score over continuous log λ within the grid's bracket
        (:mod:`ridgeline.selection.continuous`): ``result.lambda_off_grid``; needs rule="min".
    """
    classifier = classes is not None
    route, method, scorer = _plan(X, cv, solver, scoring, classifier, rule, convention, refine)
    ctx = _Context(X, Y, s, fit_intercept, standardize, convention, scorer, classifier,
                   classes, y_labels, per_target, route, score_weighted=score_weighted)
    splits = _splits(cv, X, Y[:, 0] if y_split is None else y_split, groups, classifier) \
        if method == "kfold" else None
    factor, lam = _factor_and_grid(ctx, splits, lambdas, n_lambdas)
    evaluate = _evaluator(ctx, method, factor)
    result = _score_grid(lam, evaluate, factor, method, scorer, rule, per_target, fit_intercept,
                         to_alpha, ctx.sw, extend=extend, given=lambdas is not None,
                         warn_edge=warn_edge and method != "evidence",
                         warn_stacklevel=warn_stacklevel + 1)
    _off_grid(result, method, refine, evaluate, factor, fit_intercept, to_alpha, warn_edge,
              warn_stacklevel + 2)
    if route != "lsqr":
        return RidgeSelection(result=result, factor=factor, route=route)
    coef, intercept = _lsqr_refit(X, Y, s, result.lambda_, ctx.sw, fit_intercept, standardize)
    return RidgeSelection(result=result, factor=None, route=route, lsqr_coef=coef,
                          lsqr_intercept=intercept)


def _plan(X, cv, solver: str, scoring, classifier: bool, rule: str, convention: str,
          refine: bool) -> tuple[str, str, Scorer]:
    """Check the settings of a selection; its factorization route, method and scorer."""
    _check_rule_convention(rule, convention)
    check_refine(refine, rule)
    route = choose_route(X, solver)
    method = _method(cv)
    return route, method, _ridge_scorer(scoring, method, route, classifier, rule)


def _off_grid(result, method: str, refine: bool, evaluate, factor, fit_intercept: bool,
              to_alpha, warn_edge: bool, stacklevel: int) -> None:
    """Set the result's off-grid optimum: the exact evidence maximizer (always, for
    ``cv="evidence"``) or, with ``refine``, the maximizer of the curve within its bracket."""
    if method == "evidence":
        evidence_off_grid(result, factor, fit_intercept=fit_intercept, to_alpha=to_alpha,
                          warn=warn_edge, stacklevel=stacklevel)
    elif refine:
        refine_result(result, evaluate, to_alpha)


def _check_rule_convention(rule: str, convention: str) -> None:
    if rule not in ("min", "1se"):
        raise ValueError(f"rule must be 'min' or '1se', got {rule!r}")
    if convention not in ("canonical", "fixed"):
        raise ValueError(f"convention must be 'canonical' or 'fixed', got {convention!r}")


def _ridge_scorer(scoring, method: str, route: str, classifier: bool, rule: str) -> Scorer:
    """The scorer of a selection by ``method`` (default: R² or accuracy for K-fold, MSE for
    LOO/GCV), refused where the method or the route cannot serve it."""
    if method in CRITERIA:
        return criterion_scorer(method, scoring, route, rule)
    default = ("accuracy" if classifier else "r2") if method == "kfold" else "mse"
    scorer = resolve_scorer(scoring, default)
    if method != "kfold" and route == "lsqr":
        raise ValueError(
            f"exact {method.upper()} needs a factorization, which solver='lsqr' never forms: "
            "use K-fold cross-validation (cv=K) with lsqr, or another solver"
        )
    check_exact(method, scorer, rule)
    return scorer


def _factor_and_grid(ctx: _Context, splits, lambdas, n_lambdas: int
                     ) -> tuple[Factor | None, np.ndarray]:
    """Factor the folds (K-fold: ``splits``, else None) and the full data, and make the grid.

    ``lambdas`` is the given canonical grid, or None (then the grid is derived from the
    spectrum); the factors are accurate for its smallest full-data penalty ``min_pen`` (0 when
    None). The full-data factor comes with the folds where it is free; it is None only on the
    LSQR route, and an eigendecomposition turns into an SVD when the grid's smallest penalty
    needs one.
    """
    X, Y, s, sw = ctx.X, ctx.Y, ctx.s, ctx.sw
    lam = None if lambdas is None else np.asarray(lambdas, dtype=np.float64)
    min_pen = 0.0 if lam is None else float(lam.min()) * sw
    factor = None
    if splits is not None:
        factor = ctx.prepare_folds(splits, lam, min_pen)
    if factor is None and ctx.route != "lsqr":
        factor = full_factor(X, Y, s, ctx.route, fit_intercept=ctx.fit_intercept,
                             standardize=ctx.standardize, min_penalty=min_pen)
    if lam is None:
        lam = _auto_grid(X, s, factor, n_lambdas, ctx.fit_intercept, ctx.standardize)
    if factor is not None and needs_svd(factor, float(lam.min()) * sw) and factor.method == "eigh":
        factor = svd_factor(X, Y, s, factor.mean_x, factor.mean_y, factor.scale)
    return factor, lam


def _evaluator(ctx: _Context, method: str, factor: Factor | None):
    """The scores of a grid by ``method``, as a function of the grid."""
    if method in CRITERIA:
        return criterion_evaluator(method, factor, fit_intercept=ctx.fit_intercept)
    if method == "kfold":
        return ctx.kfold
    if method == "loo":
        return lambda grid: ctx.loo(factor, grid)
    return lambda grid: ctx.gcv(factor, grid)


def _lsqr_refit(X, Y, s, lambda_, sw: float, fit_intercept: bool, standardize: bool):
    """The LSQR route's full-data coefficients and intercepts at the chosen λ (per target)."""
    chosen = np.atleast_1d(lambda_) * sw
    fit = lsqr_path(X, Y, s, np.unique(chosen), fit_intercept=fit_intercept,
                    standardize=standardize)
    return _pick_lsqr(fit, np.unique(chosen), chosen, Y.shape[1])


def select_ridge_moments(total: Moments, held: list[Moments], *,
                         lambdas: np.ndarray | None = None, n_lambdas: int = 100, scoring=None,
                         rule: str = "min", fit_intercept: bool = True, standardize: bool = False,
                         per_target: bool = False, convention: str = "canonical",
                         extend: bool | int = False, warn_edge: bool = True, to_alpha=None,
                         warn_stacklevel: int = 2, refine: bool = False) -> RidgeSelection:
    """K-fold CV of every λ from fold statistics alone (streamed or distributed data).

    The same computation as :func:`select_ridge` with K-fold CV on the primal route, entered
    from the moments of the whole data (``total``) and of each held-out fold (``held``,
    partitioning the rows): training statistics are ``total − held[k]``, one eigendecomposition
    per fold scores every λ. Only statistics scorers (R², MSE, RMSE) are available — no rows
    are left for predictions — and there is no SVD fallback for an ill-conditioned Gram.

    Parameters
    ----------
    total : Moments
        Moments of every row (p features, k targets).
    held : list of Moments, length K
        Moments of each fold's rows, about the same reference point as ``total``.
    lambdas, n_lambdas, scoring, rule, fit_intercept, standardize, per_target, convention,
    extend, warn_edge, to_alpha, warn_stacklevel, refine : as :func:`select_ridge` (default
        score R²).

    Returns
    -------
    RidgeSelection
        ``factor`` is the full-data factorization (for the refit at the chosen λ).
    """
    _check_rule_convention(rule, convention)
    check_refine(refine, rule)
    if len(held) < 2:
        raise ValueError(f"K-fold cross-validation needs at least 2 folds, got {len(held)}")
    scorer = resolve_scorer(scoring, "r2")
    if scorer.kind != "stats":
        raise ValueError(f"scoring={scorer.name!r} needs held-out predictions; from fold "
                         "statistics only 'r2', 'neg_mean_squared_error' and "
                         "'neg_root_mean_squared_error' can be scored")
    for k, h in enumerate(held):
        if h.sw <= 0:
            raise ValueError(f"fold {k} has no rows: too few rows for {len(held)} folds")
    given = lambdas is not None
    factor, lam, sw = moments_factor(total, lambdas, n_lambdas, fit_intercept=fit_intercept,
                                     standardize=standardize)
    ctx = _Context(None, None, None, fit_intercept, standardize, convention, scorer, False,
                   None, None, per_target, "eigh", sw=sw)
    ctx.folds = moment_folds(total, held, fit_intercept=fit_intercept, standardize=standardize)
    result = _score_grid(lam, ctx.kfold, factor, "kfold", scorer, rule, per_target,
                         fit_intercept, to_alpha, sw, extend=extend, warn_edge=warn_edge,
                         given=given, warn_stacklevel=warn_stacklevel + 1)
    if refine:
        refine_result(result, ctx.kfold, to_alpha)
    return RidgeSelection(result=result, factor=factor, route="eigh")


def _pick_lsqr(fit, uniq, chosen, k):
    if chosen.size == 1:
        return fit.coef[0], fit.intercept[0]
    pos = np.searchsorted(uniq, chosen)
    coef = np.stack([fit.coef[pos[t], :, t] for t in range(k)], axis=1)
    inter = np.array([fit.intercept[pos[t], t] for t in range(k)])
    return coef, inter


def _method(cv) -> str:
    if cv is None or (isinstance(cv, str) and cv.lower() == "loo"):
        return "loo"
    if isinstance(cv, str):
        if cv.lower() == "gcv" or cv.lower() in CRITERIA:
            return cv.lower()
        raise ValueError(f"cv must be an int, 'loo', 'gcv', 'evidence', 'aic', 'bic', None or a "
                         f"CV splitter, got {cv!r}")
    return "kfold"


def _auto_grid(X, s, factor, n_lambdas, fit_intercept, standardize) -> np.ndarray:
    sw = float(s.sum())
    if factor is not None:
        return auto_lambda_grid(factor.e, sw, n_lambdas)
    mean = weighted_means(X, s) if fit_intercept else np.zeros(X.shape[1])
    scale = weighted_scale(X, s, mean) if standardize else np.ones(X.shape[1])
    op = centered_operator(X, s, mean, scale)
    top = svds(op, k=1, return_singular_vectors=False, random_state=0)[0] ** 2
    return np.geomspace(10.0 * top, 1e-6 * top, n_lambdas) / sw

