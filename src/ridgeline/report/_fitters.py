"""The fitter of each model kind of :func:`ridgeline.report.fitting.fit_model`, and its folds.

Each fitter takes the validated data and options and returns a
:class:`~ridgeline.report._fitted.FittedModel`; :data:`FITTERS` maps a kind to its fitter.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from ridgeline import conventions
from ridgeline.estimators import (
    ElasticNet,
    ElasticNetCV,
    Lasso,
    LassoCV,
    LogisticRegressionCV,
    PoissonRegressor,
    RidgeCV,
)
from ridgeline.losses import BinomialLoss, MultinomialLoss, PoissonLoss
from ridgeline.losses.domain import check_target_domain
from ridgeline.path import auto_glm_grid
from ridgeline.report._fitted import FittedModel
from ridgeline.selection.glm_alo import alo_glm
from ridgeline.selection.glm_evidence import evidence_glm
from ridgeline.selection.glm_scoring import resolve_glm_scorer
from ridgeline.selection.glm_select import kfold_glm
from ridgeline.solvers.problem import GLMProblem


def cv_splits(kind: str, cv: int | str, X: np.ndarray, y: np.ndarray,
            seed: int) -> list[tuple[np.ndarray, np.ndarray]] | None:
    if isinstance(cv, str):
        return None
    if cv > X.shape[0]:
        raise ValueError(f"--cv {cv} folds but the data have only {X.shape[0]} rows")
    if kind == "logistic":
        _, counts = np.unique(y, return_counts=True)
        if counts.size >= 2 and counts.min() >= cv:
            return list(StratifiedKFold(cv, shuffle=True, random_state=seed).split(X, y))
    return list(KFold(cv, shuffle=True, random_state=seed).split(X))


def _fit_ridge(kind, X, y, *, cv, splits, grid, n_lambdas, rule, scoring, standardize,
               l1_ratio, refine=False) -> FittedModel:
    multi = y.ndim == 2 and y.shape[1] > 1
    est = RidgeCV(alphas="auto", lambdas=grid, n_lambdas=n_lambdas or 100,
                  cv=splits if splits is not None else cv, scoring=scoring, rule=rule,
                  standardize=standardize, alpha_per_target=multi, refine=refine)
    est.fit(X, y)
    return FittedModel(kind, est, est.selection_, est.lambda_, "alpha", est.alpha_, cv, splits,
                       est.selection_.scoring, standardize)


def _glm_grid(problem: GLMProblem, grid: np.ndarray | None, n_lambdas: int | None) -> np.ndarray:
    if grid is not None:
        return np.sort(grid)[::-1].copy()  # strong to weak: the paths' warm-start order
    return auto_glm_grid(problem, n_lambdas or 20)


def _fit_logistic(kind, X, y, *, cv, splits, grid, n_lambdas, rule, scoring, standardize,
                  l1_ratio) -> FittedModel:
    classes, codes = np.unique(y, return_inverse=True)
    if classes.size < 2:
        raise ValueError(f"the target has a single class ({classes[0]!r}): logistic "
                         "regression needs at least two")
    n_w = float(X.shape[0])
    if grid is None or np.any(grid == 0):
        loss = BinomialLoss() if classes.size == 2 else MultinomialLoss()
        problem = GLMProblem.from_arrays(X, codes.astype(np.float64), None, loss, True,
                                         n_classes=classes.size)
        lam = _glm_grid(problem, grid, n_lambdas)
    else:
        lam = np.sort(grid)[::-1].copy()
    Cs = np.asarray(conventions.sklearn_C(lam, n_w), dtype=np.float64)
    est = LogisticRegressionCV(Cs=Cs, cv=splits, scoring=scoring, rule=rule, l1_ratios=(0.0,),
                               method=cv if cv in ("alo", "evidence") else "kfold")
    est.fit(X, y)
    res = est.cv_result_
    return FittedModel(kind, est, res, float(est.lambda_), "C", float(est.C_), cv, splits,
                       res.scoring, False)


def _fit_poisson(kind, X, y, *, cv, splits, grid, n_lambdas, rule, scoring, standardize,
                 l1_ratio, offset=None) -> FittedModel:
    y = np.asarray(y, dtype=np.float64)
    check_target_domain(PoissonLoss(), float(y.min()), float(y.mean()), who="Poisson",
                        where="the target")
    problem = GLMProblem.from_arrays(X, y, None, PoissonLoss(), True, offset=offset)
    lam = _glm_grid(problem, grid, n_lambdas)
    scorer = resolve_glm_scorer(scoring, problem.loss)
    if splits is not None:
        sel = kfold_glm(problem, lam, lam, scorer, splits=splits, labels=y, rule=rule,
                        fixed_C=False, warn_stacklevel=1)
    elif cv == "evidence":
        sel = evidence_glm(problem, lam, lam, warn_stacklevel=1)
    else:
        sel = alo_glm(problem, y, lam, lam, scorer, classes=None, rule=rule, warn_stacklevel=1)
    res = sel.result
    chosen = float(res.lambda_)
    est = PoissonRegressor(alpha=chosen).fit(X, y, offset=offset)
    return FittedModel(kind, est, res, chosen, "alpha", chosen, cv, splits, res.scoring, False)


def _fit_enet(kind, X, y, *, cv, splits, grid, n_lambdas, rule, scoring, standardize,
              l1_ratio) -> FittedModel:
    rho = 1.0 if kind == "lasso" else float(l1_ratio)
    if not 0.0 < rho <= 1.0:
        raise ValueError(f"--l1-ratio must lie in (0, 1], got {l1_ratio!r}")
    alphas: Any = n_lambdas or 100
    if grid is not None:
        alphas = np.sort(grid)[::-1] / (1.0 + rho)  # canonical λ = α(1 + ρ)
    if kind == "lasso":
        est = LassoCV(alphas=alphas, cv=splits)
    else:
        est = ElasticNetCV(l1_ratio=rho, alphas=alphas, cv=splits)
    est.fit(X, y)
    res = dataclasses.replace(est.selection_, rule=rule)
    _, mix = conventions.canonical_from_sklearn_enet(1.0, rho)
    notes = []
    if rule == "1se" and res.index_1se != res.index_min:
        alpha = float(res.alphas[res.index_1se])
        notes.append(f"rule '1se': refit at alpha = {alpha:.4g} (the CV estimator refits at "
                     "the best score)")
        est = (Lasso(alpha=alpha) if kind == "lasso" else
               ElasticNet(alpha=alpha, l1_ratio=rho)).fit(X, y)
    alpha = float(res.alphas[res.index_])
    return FittedModel(kind, est, res, float(res.lambda_), "alpha", alpha, cv, splits,
                       res.scoring, False, l1_ratio=rho, mix=float(mix), notes=notes)


#: The fitter of each model kind.
FITTERS = {"ridge": _fit_ridge, "logistic": _fit_logistic, "poisson": _fit_poisson,
           "lasso": _fit_enet, "elasticnet": _fit_enet}
