"""One way to fit every model kind of the command line and the report, with λ chosen by CV.

:func:`fit_model` turns a model name (``ridge``, ``logistic``, ``poisson``, ``lasso``,
``elasticnet``), a validation scheme (K folds, ``loo``, ``gcv``, ``alo``, or a criterion on
all the data: ``evidence``, ``aic``, ``bic``) and an optional
canonical λ grid into a :class:`FittedModel`: the fitted estimator (which predicts and is
saved), the CV curve as a :class:`~ridgeline.selection.RidgeCVResult`, the chosen canonical
λ and the estimator's own parameter (``alpha`` or ``C``).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ridgeline._lapack import LinearAlgebraError
from ridgeline.report._fitted import FitFailedError, FittedModel
from ridgeline.report._fitters import FITTERS, cv_splits
from ridgeline.selection import GridEdgeWarning

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
    "ridge": ("K", "loo", "gcv", "evidence", "aic", "bic"),
    "logistic": ("K", "alo", "evidence"),
    "poisson": ("K", "alo", "evidence"),
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

_SCHEME_WORDS = {"K": "K-fold (a number of folds)", "loo": "loo", "gcv": "gcv", "alo": "alo",
                 "evidence": "evidence", "aic": "aic", "bic": "bic"}
#: ``--cv`` values that choose λ by a criterion on all the data, not by held-out scores.
CRITERIA = ("evidence", "aic", "bic")
_MSE_NAMES = {"mse", "neg_mean_squared_error"}


def check_cv_spec(kind: str, cv: int | str) -> None:
    """Raise ValueError if ``kind`` does not support the validation scheme ``cv``.

    Parameters
    ----------
    kind : str
        One of :data:`MODELS`.
    cv : int or str
        A number of folds (≥ 2) or one of ``"loo"``, ``"gcv"``, ``"alo"``, ``"evidence"``,
        ``"aic"``, ``"bic"``.
    """
    if kind not in MODELS:
        raise ValueError(f"unknown model {kind!r}; choose one of: {', '.join(MODELS)}")
    scheme = "K" if isinstance(cv, int | np.integer) and not isinstance(cv, bool) else cv
    if scheme == "K" and int(cv) < 2:
        raise ValueError(f"--cv needs at least 2 folds, got {cv}")
    if scheme not in CV_SUPPORT[kind]:
        names = [_SCHEME_WORDS[s] for s in CV_SUPPORT[kind]]
        words = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        only = " only" if len(CV_SUPPORT[kind]) == 1 else ""
        raise ValueError(f"--cv {cv} is not available for --model {kind}: it supports "
                         f"{words}{only}")


def fit_model(kind: str, X: np.ndarray, y: np.ndarray, *, cv: int | str = 5,
              lambdas: Sequence[float] | np.ndarray | None = None, n_lambdas: int | None = None,
              rule: str = "min", scoring: str | None = None, standardize: bool | None = None,
              l1_ratio: float = 0.5, seed: int = 0, refine: bool = False,
              offset: np.ndarray | None = None) -> FittedModel:
    """Fit a model of the given kind with λ chosen on a grid by cross-validation.

    Parameters
    ----------
    kind : {"ridge", "logistic", "poisson", "lasso", "elasticnet"}
    X : ndarray (n, p)
    y : ndarray (n,) or (n, k)
        Targets; class labels of any type for ``logistic``; counts for ``poisson``;
        several columns for ``ridge`` only.
    cv : int or {"loo", "gcv", "alo", "evidence", "aic", "bic"}, default=5
        See :data:`CV_SUPPORT`. K folds are shuffled with ``seed`` (stratified: logistic).
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
    refine : bool, default=False
        Ridge only: λ off the grid (``RidgeCV(refine=True)``), the grid as its bracket.
    offset : ndarray (n,), optional
        Poisson only: a fixed term of the linear predictor (log exposure), in every fold.

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
    _check_options(kind, cv, rule, scoring, standardize, refine, offset is not None)
    y = _target(kind, y)
    scoring = None if cv in CRITERIA else scoring or DEFAULT_SCORING[kind]
    extra = {"ridge": {"refine": refine}, "poisson": {"offset": offset}}.get(kind, {})
    fitted = _fit_with_notes(
        kind, X, y, cv=cv, splits=cv_splits(kind, cv, X, y, seed), grid=_grid(kind, lambdas),
        n_lambdas=n_lambdas, rule=rule, scoring=scoring, l1_ratio=l1_ratio,
        standardize=bool(standardize if standardize is not None else kind == "ridge"), **extra)
    if not (np.all(np.isfinite(fitted.coef)) and np.all(np.isfinite(fitted.intercept))):
        raise FitFailedError("the fit produced non-finite coefficients")
    return fitted


def _check_options(kind: str, cv: int | str, rule: str, scoring: str | None,
                   standardize: bool | None, refine: bool, offset: bool) -> None:
    if rule not in ("min", "1se"):
        raise ValueError(f"--rule must be 'min' or '1se', got {rule!r}")
    if cv in CRITERIA and (scoring is not None or rule != "min"):
        raise ValueError(f"--cv {cv} chooses λ by its own criterion on all the data: it takes "
                         "no --scoring and no --rule 1se (there is no standard error)")
    if refine and kind != "ridge":
        raise ValueError(f"--refine is available for --model ridge only, got --model {kind}")
    if offset and kind != "poisson":
        raise ValueError(f"--offset is available for --model poisson only, got --model {kind}")
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
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GridEdgeWarning)
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            fitted = FITTERS[kind](kind, X, y, **options)
        except (np.linalg.LinAlgError, LinearAlgebraError) as exc:
            raise FitFailedError(f"linear algebra failed: {exc}") from exc
        except (FloatingPointError, ArithmeticError) as exc:
            raise FitFailedError(f"{type(exc).__name__}: {exc}") from exc
    fitted.seconds = time.perf_counter() - start
    fitted.notes += [str(w.message) for w in caught
                     if issubclass(w.category, GridEdgeWarning | ConvergenceWarning)]
    return fitted
