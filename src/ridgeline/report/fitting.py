"""One way to fit every model kind of the command line and the report, with λ chosen by CV.

:func:`fit_model` turns a model name (``ridge``, ``logistic``, ``poisson``, ``lasso``,
``elasticnet``), a validation scheme (K folds, ``loo``, ``gcv``, ``alo``) and an optional
canonical λ grid into a :class:`FittedModel`: the fitted estimator (which predicts and is
saved), the CV curve as a :class:`~ridgeline.selection.RidgeCVResult`, the chosen canonical
λ and the estimator's own parameter (``alpha`` or ``C``).
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold

from ridgeline import conventions
from ridgeline._lapack import LinearAlgebraError
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
from ridgeline.path import auto_glm_grid
from ridgeline.selection import GridEdgeWarning, RidgeCVResult
from ridgeline.selection.glm_alo import alo_glm
from ridgeline.selection.glm_scoring import resolve_glm_scorer
from ridgeline.selection.glm_select import kfold_glm
from ridgeline.solvers.problem import GLMProblem

__all__ = [
    "CV_SUPPORT",
    "DEFAULT_SCORING",
    "MODELS",
    "FitFailedError",
    "FittedModel",
    "check_cv_spec",
    "fit_model",
]

#: Model kinds, in the order the command line lists them.
MODELS: tuple[str, ...] = ("ridge", "logistic", "poisson", "lasso", "elasticnet")

#: Validation schemes each model kind supports ("K": K-fold with a number of folds).
CV_SUPPORT: dict[str, tuple[str, ...]] = {
    "ridge": ("K", "loo", "gcv"),
    "logistic": ("K", "alo"),
    "poisson": ("K", "alo"),
    "lasso": ("K",),
    "elasticnet": ("K",),
}

#: Scoring used when none is given (greater is better).
DEFAULT_SCORING: dict[str, str] = {
    "ridge": "neg_mean_squared_error",
    "logistic": "neg_log_loss",
    "poisson": "neg_mean_poisson_deviance",
    "lasso": "neg_mean_squared_error",
    "elasticnet": "neg_mean_squared_error",
}

_SCHEME_WORDS = {"K": "K-fold (a number of folds)", "loo": "loo", "gcv": "gcv", "alo": "alo"}
_MSE_NAMES = {"mse", "neg_mean_squared_error"}


class FitFailedError(RuntimeError):
    """The data were valid but the fit itself failed (singular system, non-finite result)."""


@dataclass
class FittedModel:
    """A model fitted with λ chosen by cross-validation, as the command line reports it.

    Attributes
    ----------
    kind : str
        One of :data:`MODELS`.
    estimator : estimator
        The final fitted estimator (``predict``; ``predict_proba`` for ``logistic``).
    result : RidgeCVResult
        The CV curve: canonical ``lambdas``, the estimator's own parameter per λ in
        ``alphas``, mean score ± SE, λ_min, λ_1se and the rule used.
    lambda_ : float or ndarray
        Canonical λ of the final fit (one per target for multi-target ridge).
    param_name : str
        The estimator's own parameter: ``"alpha"`` or ``"C"``.
    param : float or ndarray
        Its value at the chosen λ.
    cv : int or str
        Number of folds, ``"loo"``, ``"gcv"`` or ``"alo"``.
    splits : list of (ndarray, ndarray) or None
        The (train, validation) row indices of the K folds (None for loo/gcv/alo).
    scoring : str
    standardize : bool
        Whether the penalty applied to standardized features (ridge only).
    l1_ratio : float or None
        scikit-learn's ``l1_ratio`` (lasso: 1, elastic net: the given one).
    mix : float or None
        The canonical L1 share ``mix = 2ρ/(1+ρ)`` of the elastic-net penalty.
    seconds : float
        Wall time of the fit.
    notes : list of str
        Warnings worth telling the user (λ on the grid's edge, non-convergence, a refit).
    """

    kind: str
    estimator: Any
    result: RidgeCVResult
    lambda_: float | np.ndarray
    param_name: str
    param: float | np.ndarray
    cv: int | str
    splits: list[tuple[np.ndarray, np.ndarray]] | None
    scoring: str
    standardize: bool
    l1_ratio: float | None = None
    mix: float | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def coef(self) -> np.ndarray:
        """Coefficients as a 2-D array (one row per target or class row)."""
        return np.atleast_2d(np.asarray(self.estimator.coef_, dtype=np.float64))

    @property
    def intercept(self) -> np.ndarray:
        """Intercepts as a 1-D array (one per row of :attr:`coef`)."""
        return np.atleast_1d(np.asarray(self.estimator.intercept_, dtype=np.float64))

    @property
    def is_classifier(self) -> bool:
        """Whether the estimator predicts class labels."""
        return self.kind == "logistic"


def check_cv_spec(kind: str, cv: int | str) -> None:
    """Raise ValueError if ``kind`` does not support the validation scheme ``cv``.

    Parameters
    ----------
    kind : str
        One of :data:`MODELS`.
    cv : int or str
        A number of folds (≥ 2) or one of ``"loo"``, ``"gcv"``, ``"alo"``.
    """
    if kind not in MODELS:
        raise ValueError(f"unknown model {kind!r}; choose one of: {', '.join(MODELS)}")
    scheme = "K" if isinstance(cv, int | np.integer) and not isinstance(cv, bool) else cv
    if scheme == "K" and int(cv) < 2:
        raise ValueError(f"--cv needs at least 2 folds, got {cv}")
    if scheme not in CV_SUPPORT[kind]:
        words = " and ".join(_SCHEME_WORDS[s] for s in CV_SUPPORT[kind])
        only = " only" if len(CV_SUPPORT[kind]) == 1 else ""
        raise ValueError(f"--cv {cv} is not available for --model {kind}: it supports "
                         f"{words}{only}")


def fit_model(kind: str, X: np.ndarray, y: np.ndarray, *, cv: int | str = 5,
              lambdas: Sequence[float] | np.ndarray | None = None, n_lambdas: int | None = None,
              rule: str = "min", scoring: str | None = None, standardize: bool | None = None,
              l1_ratio: float = 0.5, seed: int = 0) -> FittedModel:
    """Fit a model of the given kind with λ chosen on a grid by cross-validation.

    Parameters
    ----------
    kind : {"ridge", "logistic", "poisson", "lasso", "elasticnet"}
    X : ndarray (n, p)
    y : ndarray (n,) or (n, k)
        Targets; class labels of any type for ``logistic``; counts for ``poisson``;
        several columns for ``ridge`` only.
    cv : int or {"loo", "gcv", "alo"}, default=5
        See :data:`CV_SUPPORT`.  K folds are shuffled with ``seed`` (stratified for
        ``logistic``).
    lambdas : array-like, optional
        Canonical λ grid (DESIGN.md), the same meaning for every model; converted to
        the estimator's own parameter.  Default: an automatic grid of ``n_lambdas``.
    n_lambdas : int, optional
        Size of the automatic grid (default 100 for ridge/lasso/elastic net, 20 for
        the GLMs, whose every λ is a Newton solve).
    rule : {"min", "1se"}
        Best mean CV score, or the strongest regularization within one standard error.
    scoring : str, optional
        Default: :data:`DEFAULT_SCORING`.  Lasso and elastic net are scored by MSE only.
    standardize : bool, optional
        Penalize standardized features (ridge only; default True there).
    l1_ratio : float, default=0.5
        scikit-learn's ρ of the elastic net.
    seed : int, default=0
        Seed of the fold shuffle.

    Returns
    -------
    FittedModel

    Raises
    ------
    ValueError
        For an unsupported combination or bad data (one class, negative counts, ...).
    FitFailedError
        If the fit itself failed.
    """
    check_cv_spec(kind, cv)
    _check_options(kind, rule, scoring, standardize)
    y = _target(kind, y)
    grid = _grid(kind, lambdas)
    scoring = scoring or DEFAULT_SCORING[kind]
    splits = _splits(kind, cv, X, y, seed)
    fitted = _fit_with_notes(
        kind, X, y, cv=cv, splits=splits, grid=grid, n_lambdas=n_lambdas, rule=rule,
        scoring=scoring, standardize=bool(standardize if standardize is not None
                                           else kind == "ridge"),
        l1_ratio=l1_ratio)
    if not (np.all(np.isfinite(fitted.coef)) and np.all(np.isfinite(fitted.intercept))):
        raise FitFailedError("the fit produced non-finite coefficients")
    return fitted


def _check_options(kind: str, rule: str, scoring: str | None, standardize: bool | None) -> None:
    if rule not in ("min", "1se"):
        raise ValueError(f"--rule must be 'min' or '1se', got {rule!r}")
    if standardize and kind != "ridge":
        raise ValueError("--standardize is available for --model ridge only")
    if kind in ("lasso", "elasticnet") and scoring is not None and scoring not in _MSE_NAMES:
        raise ValueError(f"--model {kind} is scored by mean squared error only, got "
                         f"--scoring {scoring}")


def _target(kind: str, y) -> np.ndarray:
    """``y`` as an array, one column as 1-D; several columns for ridge only."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if kind != "ridge" and y.ndim != 1:
        raise ValueError(f"--model {kind} takes a single target column, got {y.shape[1]}")
    return y


def _grid(kind: str, lambdas) -> np.ndarray | None:
    """The canonical λ grid as a checked 1-D float array (None: automatic)."""
    grid = None if lambdas is None else np.asarray(lambdas, dtype=np.float64).ravel()
    if grid is not None and (grid.size == 0 or not np.all(np.isfinite(grid)) or
                             np.any(grid < 0)):
        raise ValueError("the λ grid must be non-empty, finite and non-negative")
    if kind in ("lasso", "elasticnet") and grid is not None and np.any(grid == 0):
        raise ValueError(f"--model {kind} needs λ > 0 on its grid")
    return grid


def _fit_with_notes(kind: str, X: np.ndarray, y: np.ndarray, **options) -> FittedModel:
    """Fit by the kind's fitter, timed; its λ-on-edge and convergence warnings become notes and
    its numerical failures :class:`FitFailedError`."""
    fitters = {"ridge": _fit_ridge, "logistic": _fit_logistic, "poisson": _fit_poisson,
               "lasso": _fit_enet, "elasticnet": _fit_enet}
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GridEdgeWarning)
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            fitted = fitters[kind](kind, X, y, **options)
        except (np.linalg.LinAlgError, LinearAlgebraError) as exc:
            raise FitFailedError(f"linear algebra failed: {exc}") from exc
        except (FloatingPointError, ArithmeticError) as exc:
            raise FitFailedError(f"{type(exc).__name__}: {exc}") from exc
    fitted.seconds = time.perf_counter() - start
    fitted.notes += [str(w.message) for w in caught
                     if issubclass(w.category, GridEdgeWarning | ConvergenceWarning)]
    return fitted


# --------------------------------------------------------------------------- per model


def _splits(kind: str, cv: int | str, X: np.ndarray, y: np.ndarray,
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
               l1_ratio) -> FittedModel:
    multi = y.ndim == 2 and y.shape[1] > 1
    est = RidgeCV(alphas="auto", lambdas=grid, n_lambdas=n_lambdas or 100,
                  cv=splits if splits is not None else cv, scoring=scoring, rule=rule,
                  standardize=standardize, alpha_per_target=multi)
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
                               method="alo" if cv == "alo" else "kfold")
    est.fit(X, y)
    res = est.cv_result_
    return FittedModel(kind, est, res, float(est.lambda_), "C", float(est.C_), cv, splits,
                       res.scoring, False)


def _fit_poisson(kind, X, y, *, cv, splits, grid, n_lambdas, rule, scoring, standardize,
                 l1_ratio) -> FittedModel:
    y = np.asarray(y, dtype=np.float64)
    if np.any(y < 0):
        raise ValueError(f"Poisson targets must be non-negative counts; {int(np.sum(y < 0))} "
                         f"value(s) are negative (smallest {y.min():g})")
    if not y.sum() > 0:
        raise ValueError("Poisson targets are all zero: the mean count must be positive")
    problem = GLMProblem.from_arrays(X, y, None, PoissonLoss(), True)
    lam = _glm_grid(problem, grid, n_lambdas)
    scorer = resolve_glm_scorer(scoring, problem.loss)
    if splits is not None:
        sel = kfold_glm(problem, lam, lam, scorer, splits=splits, labels=y, rule=rule,
                        fixed_C=False, warn_stacklevel=1)
    else:
        sel = alo_glm(problem, y, lam, lam, scorer, classes=None, rule=rule, warn_stacklevel=1)
    res = sel.result
    chosen = float(res.lambda_)
    est = PoissonRegressor(alpha=chosen).fit(X, y)
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
