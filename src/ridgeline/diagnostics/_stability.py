"""The fits behind :func:`ridgeline.diagnostics.coefficient_stability` (private): the model at
one canonical λ on every training fold of a cross-validation, and on all the data.

Ridge folds come from fold statistics (one factorization per fold), GLM folds from one
K-fold pass of the GLM engine. Lasso, elastic-net and group-lasso fits solve the estimator's
own problem — its ``standardize`` included, every fold sharing the full data's scale, as the
CV estimators do — along a warm-started path from λ_max down to λ, as the CV estimators reach
their λ: a cold start at a small λ on large, correlated columns can exhaust ``max_iter``
(Hitters-like data: duality gap 77.8 for a target of 20.3). Every sparse solve is certified;
one that falls short warns (ConvergenceWarning).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ridgeline.diagnostics._checks import splits_of
from ridgeline.diagnostics._fits import glm_problem
from ridgeline.estimators._sparse import enet_penalty, warn_not_certified
from ridgeline.estimators._standardize import Standardization
from ridgeline.path.sparse_path import ls_lambda_max, ls_path
from ridgeline.penalties import GroupPenalty
from ridgeline.selection.glm_scoring import resolve_glm_scorer
from ridgeline.selection.glm_select import kfold_glm
from ridgeline.selection.kfold import primal_folds
from ridgeline.selection.sparse_cv import ls_folds
from ridgeline.solvers.ls_problem import LSProblem, use_gram

#: above this many features the ridge fold fits are refits instead of p×p fold statistics
MAX_GRAM_FEATURES = 2000

#: points of the warm-started path (log-spaced, λ_max down to λ) of a sparse fit
WARM_POINTS = 20


def coef_matrix(estimator) -> np.ndarray:
    """``coef_`` as (p, m)."""
    coef = np.asarray(estimator.coef_, dtype=np.float64)
    if coef.ndim == 1:
        return coef[:, None]
    if coef.ndim == 2:
        return coef.T
    raise ValueError(f"coef_ of shape {coef.shape} is not a linear model's")


def ridge_folds(spec, X, y, s, lam, cv, groups) -> np.ndarray:
    """Ridge coefficients (K, p, m) of every training fold at canonical ``lam``."""
    Y = y[:, None] if y.ndim == 1 else y
    splits = splits_of(cv, X, Y[:, 0], groups, classifier=False)
    if X.shape[1] > MAX_GRAM_FEATURES:  # p×p fold statistics too large: one refit per fold
        return np.stack([coef_matrix(spec.at(lam, float(s[tr].sum())).fit(
            X[tr], y[tr], sample_weight=s[tr])) for tr, _ in splits])
    folds, _ = primal_folds(X, Y, s, splits, fit_intercept=spec.fit_intercept,
                            standardize=bool(spec.base.standardize),
                            min_penalty=lambda sw_tr: lam * sw_tr)
    out = []
    for f in folds:
        pen = np.array([lam * f.factor.sw])
        f.factor.check_penalties(pen)
        out.append(f.factor.coef(pen)[0])  # (p, k)
    return np.stack(out)


def glm_folds(spec, X, y, s, lam, cv, groups) -> np.ndarray:
    """Logistic / Poisson coefficients (K, p, m) of every training fold at canonical ``lam``."""
    problem, _, (labels, classes) = glm_problem(spec, X, y, s)
    splits = splits_of(cv, X, labels, groups, classifier=spec.kind == "logistic")
    scorer = resolve_glm_scorer(None, problem.loss)  # unused here: only the coefficients
    base = spec.base
    lam_arr = np.array([lam])
    sw = problem.source.weights.sum()
    sel = kfold_glm(problem, lam_arr, spec.to_param(lam_arr, sw), scorer, splits=splits,
                    labels=labels, classes=classes, solver=base.solver, tol=base.tol,
                    max_iter=base.max_iter, fixed_C=False)
    return sel.path.coef[0]  # (K, p, m)


def _sparse_setup(spec, X, s):
    """``(standardization, penalty, Gram engine?)`` as the estimator sets up its own fit."""
    base = spec.base
    p = X.shape[1]
    standardize = bool(getattr(base, "standardize", False))
    if spec.kind == "group":
        std = Standardization.plan(X, s, standardize=standardize,
                                   fit_intercept=spec.fit_intercept, l1_only=False)
        groups = base.groups if base.groups is not None else 1
        return std, GroupPenalty.make(groups, p, base.group_weights), \
            use_gram(X, X.shape[0], True, False)
    std = Standardization.plan(X, s, standardize=standardize, fit_intercept=spec.fit_intercept,
                               l1_only=spec.l1_ratio == 1.0)
    pen = enet_penalty(spec.l1_ratio, p, base.penalty_factor, base.positive, std)
    precompute = getattr(base, "precompute", "auto")
    if precompute is False and not sp.issparse(X):  # as Lasso and ElasticNet read it
        precompute = "auto"
    return std, pen, use_gram(X, X.shape[0], False, False, precompute)


def sparse_fits(spec, X, y, s, lam, cv, groups) -> tuple[np.ndarray, np.ndarray]:
    """Lasso / elastic-net / group-lasso coefficients at canonical ``lam``: every training
    fold's (K, p, 1) and the full data's (p, 1), on the original scale.

    Each is the last point of a certified path from λ_max (of all the data) down to ``lam``
    (:data:`WARM_POINTS` log-spaced values), polished at ``lam``.
    """
    if y.ndim != 1:
        if y.shape[1] != 1:
            raise ValueError(f"{spec.name} takes one target, got y of shape {y.shape}")
        y = y[:, 0]
    splits = splits_of(cv, X, y, groups, classifier=False)
    std, pen, gram = _sparse_setup(spec, X, s)
    Xf = std.data(X)
    folds = ls_folds(Xf, y, s, splits, fit_intercept=spec.fit_intercept, gram=gram)
    full = folds.full_problem(spec.fit_intercept)
    if full is None:
        full = LSProblem.from_data(Xf, y, s, spec.fit_intercept, gram)
    top = ls_lambda_max(full, pen)
    grid = np.geomspace(top, lam, WARM_POINTS) if 0 < lam < top else np.array([lam])
    kw = dict(tol=spec.base.tol, max_epochs=spec.base.max_iter, polish="last")
    paths = [ls_path(problem, pen, grid, **kw) for problem in folds.train]
    paths.append(ls_path(full, pen, grid, **kw))
    warn_not_certified(paths, f"coefficient_stability ({spec.name})", spec.base.tol,
                       stacklevel=3)
    coefs = np.stack([std.coef_out(p.coefs[-1]) for p in paths])[:, :, None]  # (K + 1, p, 1)
    return coefs[:-1], coefs[-1]
