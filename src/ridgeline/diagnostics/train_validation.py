"""Training vs validation error for every λ: the over/under-fitting picture.

For each fold of a cross-validation and each λ, the model is fit on the training part; its
error on that same training part (training error) and on the held-out part (validation
error) are averaged over folds, each with the standard error of the mean over folds. Small λ:
low training error, high validation error (overfitting); large λ: both high (underfitting).

The folds are those the estimator's own CV uses (same splitter, same ``y`` for stratification)
and the fits come from the CV machinery, never from one refit per (fold, λ):

- ridge: per-fold sufficient statistics (:func:`ridgeline.selection.select_ridge`): the
  training residual sum of squares of every λ is ``‖Yc‖² − Σ z²(e + 2a)/(e + a)²`` from each
  fold's eigendecomposition, the held-out one from the held-out statistics;
- logistic / Poisson: all training folds solved together along a warm-started path
  (:func:`ridgeline.selection.glm_select.kfold_glm`);
- lasso / elastic net / group lasso: certified per-fold paths
  (:func:`ridgeline.selection.sparse_cv.ls_cv`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline.diagnostics._checks import (
    check_count,
    check_data,
    check_grid_cost,
    check_lambdas,
    splits_of,
)
from ridgeline.diagnostics._fits import (
    glm_problem,
    ridge_factor,
    ridge_route,
    sparse_penalty,
    weight_sum,
)
from ridgeline.diagnostics._models import (
    ModelSpec,
    model_spec,
    own_cv,
    own_grid,
)
from ridgeline.diagnostics._table import text_table, to_dict
from ridgeline.estimators import LogisticRegressionCV, RidgeCV
from ridgeline.estimators._glm import warn_convergence
from ridgeline.estimators._grid_budget import n_splits
from ridgeline.estimators._sparse import ls_problem
from ridgeline.path.glm_path import auto_glm_grid
from ridgeline.path.grid import auto_lambda_grid
from ridgeline.path.sparse_path import geometric_grid, ls_lambda_max
from ridgeline.selection.engine import select_ridge
from ridgeline.selection.glm_scoring import resolve_glm_scorer
from ridgeline.selection.glm_select import kfold_glm, target_matrix
from ridgeline.selection.result import select_1se, select_min
from ridgeline.selection.sparse_cv import ls_cv
from ridgeline.solvers.ls_problem import use_gram

ERRORS = {
    "squared": "mean squared error",
    "log_loss": "log loss",
    "poisson_deviance": "mean Poisson deviance",
    "misclassification": "misclassification rate",
}


@dataclass
class TrainValidationCurve:
    """Fold-averaged training and validation error per λ.

    Attributes
    ----------
    lambdas : ndarray (L,)
        Canonical λ on the full data (in the order evaluated).
    params : ndarray (L,)
        The grid in the estimator's own parameter (:attr:`param_name`).
    param_name : str
    train_error, validation_error : ndarray (L,)
        Mean over folds of the (sample-weighted) mean training / held-out error.
    train_se, validation_se : ndarray (L,)
        Standard error of those means over folds (``std(ddof=1)/√K``).
    fold_train_error, fold_validation_error : ndarray (K, L)
        Per fold.
    dof : ndarray (L,)
        Effective degrees of freedom on the full data (ridge; NaN for the other models).
    error : str
        ``"squared"``, ``"log_loss"``, ``"poisson_deviance"`` or ``"misclassification"``.
    model : str
        ``"ridge"``, ``"logistic"``, ``"poisson"``, ``"enet"`` or ``"group"``.
    estimator : str
    convention : str
        ``"canonical"``: every training fold is fit at the same canonical λ; ``"fixed"``: at
        the estimator's parameter held fixed (``alpha`` / ``C``), i.e. at λ·n_w/n_w,train —
        what ``RidgeCV(alphas=…)`` and ``LogisticRegressionCV`` do.
    n_splits : int
    index_min, index_1se : int
        Positions of the smallest mean validation error and of the largest λ within one
        standard error of it.
    lambda_min, lambda_1se : float
    method : str
        How the fold fits were obtained, in words.
    """

    lambdas: np.ndarray
    params: np.ndarray
    param_name: str
    train_error: np.ndarray
    train_se: np.ndarray
    validation_error: np.ndarray
    validation_se: np.ndarray
    fold_train_error: np.ndarray
    fold_validation_error: np.ndarray
    dof: np.ndarray
    error: str
    model: str
    estimator: str
    convention: str
    n_splits: int
    index_min: int
    index_1se: int
    lambda_min: float
    lambda_1se: float
    method: str

    @property
    def error_label(self) -> str:
        """The error in words (``"mean squared error"``, ...)."""
        return ERRORS[self.error]

    @property
    def gap(self) -> np.ndarray:
        """Validation minus training error per λ (the optimism), shape (L,)."""
        return self.validation_error - self.train_error

    def table(self) -> str:
        """One line per λ: λ, parameter, dof, training and validation error ± SE."""
        rows = []
        for i, lam in enumerate(self.lambdas):
            mark = ", ".join(n for n, j in (("λ_min", self.index_min),
                                            ("λ_1se", self.index_1se)) if j == i)
            rows.append([f"{lam:.5g}", self.params[i], self.dof[i], self.train_error[i],
                         self.train_se[i], self.validation_error[i], self.validation_se[i],
                         mark])
        return text_table(["λ", self.param_name, "dof", "train", "± SE", "validation", "± SE",
                           ""], rows,
                          note=f"{self.error_label}, {self.n_splits}-fold CV "
                               f"({self.convention} λ on the folds; {self.method})")

    def to_dict(self) -> dict:
        """All fields as JSON-ready values (arrays → lists, NaN → None)."""
        return to_dict(self)


def train_validation_curve(estimator, X, y, *, lambdas=None, n_lambdas: int = 30, cv=None,
                           sample_weight=None, groups=None, error: str | None = None,
                           convention: str = "auto") -> TrainValidationCurve:
    """Training and validation error per λ over the folds the estimator's CV uses.

    Parameters
    ----------
    estimator : ridgeline estimator, fitted or not
        As :func:`~ridgeline.diagnostics.regularization_path`.
    X : array (n, p) or sparse matrix
    y : array (n,) or (n, k)
    lambdas : array-like (L,), optional
        Canonical λ grid; default the estimator's own grid, else automatic (``n_lambdas``).
    n_lambdas : int, default=30
    cv : int, splitter or iterable of (train, test), optional
        Default: the estimator's own (K-fold) ``cv``; 5 folds for estimators without one or
        whose CV is leave-one-out/GCV. Split exactly as the estimator splits (stratified for
        logistic regression).
    sample_weight : array (n,), optional
    groups : array (n,), optional
        For group splitters.
    error : str, optional
        ``"squared"`` (ridge, sparse; default), ``"log_loss"`` (logistic; default) or
        ``"misclassification"``, ``"poisson_deviance"`` (Poisson; default).
    convention : {"auto", "canonical", "fixed"}
        How λ carries over to a training fold (see :class:`TrainValidationCurve`); ``"auto"``
        follows the estimator's CV: ``"fixed"`` for ``RidgeCV(alphas=…)`` and
        ``LogisticRegressionCV``, ``"canonical"`` otherwise. Sparse models are canonical only.

    Returns
    -------
    TrainValidationCurve
    """
    spec = model_spec(estimator)
    n_lambdas = check_count(n_lambdas, "n_lambdas", 1)
    X, y, s = check_data(X, y, sample_weight=sample_weight, y_numeric=spec.kind != "logistic")
    error = _check_error(spec, error)
    convention = _convention(estimator, spec, convention)
    n_w = weight_sum(spec, X, y, s)
    grid = check_lambdas(lambdas) if lambdas is not None else own_grid(estimator, spec, n_w)
    cv = own_cv(estimator) if cv is None else cv
    K, k = n_splits(cv, X.shape[0]), y.shape[1] if y.ndim == 2 else 1
    check_grid_cost(grid, n_lambdas, iterative=spec.kind != "ridge", members=K,
                    per_member=(X.shape[1] + X.shape[0] // K + 1) * k)  # coef, held-out
    run = {"ridge": _ridge, "logistic": _glm, "poisson": _glm, "enet": _sparse,
           "group": _sparse}[spec.kind]
    lam, train, valid, dof, method = run(spec, X, y, s, grid, n_lambdas, cv, groups, error,
                                         convention)
    K = train.shape[0]
    t_mean, v_mean = train.mean(axis=0), valid.mean(axis=0)
    t_se, v_se = _se(train), _se(valid)
    i_min = int(select_min(-v_mean))
    i_1se = i_min if np.isnan(v_se).all() else int(select_1se(lam, -v_mean, v_se, i_min))
    return TrainValidationCurve(
        lambdas=lam, params=spec.to_param(lam, n_w), param_name=spec.param_name,
        train_error=t_mean, train_se=t_se, validation_error=v_mean, validation_se=v_se,
        fold_train_error=train, fold_validation_error=valid, dof=dof, error=error,
        model=spec.kind, estimator=spec.name, convention=convention, n_splits=K,
        index_min=i_min, index_1se=i_1se, lambda_min=float(lam[i_min]),
        lambda_1se=float(lam[i_1se]), method=method)


def _se(a: np.ndarray) -> np.ndarray:
    K = a.shape[0]
    return a.std(axis=0, ddof=1) / np.sqrt(K) if K > 1 else np.full(a.shape[1], np.nan)


def _check_error(spec: ModelSpec, error):
    allowed = {"ridge": ("squared",), "enet": ("squared",), "group": ("squared",),
               "logistic": ("log_loss", "misclassification"),
               "poisson": ("poisson_deviance", "squared")}[spec.kind]
    if error is None:
        return allowed[0]
    if error not in allowed:
        raise ValueError(f"error={error!r} is not available for {spec.name}: use one of "
                         f"{allowed}")
    return error


def _convention(estimator, spec: ModelSpec, convention: str) -> str:
    if convention not in ("auto", "canonical", "fixed"):
        raise ValueError(f"convention must be 'auto', 'canonical' or 'fixed', got "
                         f"{convention!r}")
    if convention == "auto":
        fixed = (isinstance(estimator, RidgeCV) and estimator.lambdas is None) or \
            isinstance(estimator, LogisticRegressionCV)
        return "fixed" if fixed else "canonical"
    if convention == "fixed" and spec.sparse:
        raise ValueError("sparse models are cross-validated at the canonical λ only: use "
                         "convention='canonical'")
    return convention


# ---- ridge: fold statistics -------------------------------------------------------------------
def _ridge(spec, X, y, s, grid, n_lambdas, cv, groups, error, convention):
    Y = y[:, None] if y.ndim == 1 else y
    splits = splits_of(cv, X, Y[:, 0], groups, classifier=False)
    standardize = bool(spec.base.standardize)
    if grid is None:  # the automatic grid from the full-data spectrum
        F = ridge_factor(spec, X, Y, s, None)
        grid = auto_lambda_grid(F.e, float(s.sum()), n_lambdas)
    sel = select_ridge(X, Y, s, lambdas=grid, cv=splits, scoring="neg_mean_squared_error",
                       fit_intercept=spec.fit_intercept, standardize=standardize,
                       solver=ridge_route(X), convention=convention, warn_edge=False)
    res = sel.result
    valid = -res.fold_scores.mean(axis=2)  # (K, L), averaged over targets
    return grid, res.train_mse, valid, res.dof, "fold statistics (one factorization per fold)"


# ---- GLMs: batched warm-started paths ---------------------------------------------------------
def _glm(spec, X, y, s, grid, n_lambdas, cv, groups, error, convention):
    problem, _, (labels, classes) = glm_problem(spec, X, y, s)
    lam = grid if grid is not None else auto_glm_grid(problem, n_lambdas)
    classifier = spec.kind == "logistic"
    splits = splits_of(cv, X, labels, groups, classifier=classifier)
    scorer = resolve_glm_scorer("neg_log_loss" if classifier else None, problem.loss)
    base = spec.base
    sw = problem.source.weights
    sel = kfold_glm(problem, lam, spec.to_param(lam, sw.sum()), scorer, splits=splits,
                    labels=labels, classes=classes, solver=base.solver, tol=base.tol,
                    max_iter=base.max_iter, fixed_C=convention == "fixed")
    warn_convergence(sel.path, base.tol, base.max_iter,
                     f"train_validation_curve({spec.name})", stacklevel=4)
    path = sel.path
    train = np.empty((len(splits), lam.size))
    valid = np.empty_like(train)
    for k, (tr, te) in enumerate(splits):
        eta = _linear(X, path.coef[:, k], path.intercept[:, k])  # (n, L, m)
        err = _glm_errors(problem, eta, error)  # (n, L)
        train[k] = sw[tr] @ err[tr] / sw[tr].sum()
        valid[k] = sw[te] @ err[te] / sw[te].sum()
    return lam, train, valid, np.full(lam.size, np.nan), \
        "batched Newton paths over the folds, warm-started along λ"


def _linear(X, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """η for every λ: coef (L, p, m), intercept (L, m) → (n, L, m)."""
    L, p, m = coef.shape
    E = np.asarray(X @ coef.transpose(1, 0, 2).reshape(p, L * m)).reshape(-1, L, m)
    return E + intercept


def _glm_errors(problem, eta: np.ndarray, error: str) -> np.ndarray:
    """Per-sample error (n, L) of linear predictors η (n, L, m)."""
    loss, y = problem.loss, target_matrix(problem, problem.source.y)
    if error == "misclassification":
        if loss.multi:
            return (np.argmax(eta, axis=2) != np.argmax(y, axis=1)[:, None]).astype(float)
        return ((eta[:, :, 0] > 0) != (y[:, None] > 0.5)).astype(float)
    if error == "squared":  # Poisson: squared error of the mean count
        mu = np.exp(np.minimum(eta[:, :, 0], 700.0))
        return (y[:, None] - mu) ** 2
    if loss.multi:
        return loss.value(y[:, None, :], eta)
    return loss.value(y[:, None], eta[:, :, 0])


# ---- sparse: certified per-fold paths ---------------------------------------------------------
def _sparse(spec, X, y, s, grid, n_lambdas, cv, groups, error, convention):
    if y.ndim != 1:
        if y.shape[1] != 1:
            raise ValueError(f"{spec.name} takes one target, got y of shape {y.shape}")
        y = y[:, 0]
    splits = splits_of(cv, X, y, groups, classifier=False)
    penalty = sparse_penalty(spec, X.shape[1])
    is_group = spec.kind == "group"
    if grid is None:
        problem = ls_problem(X, y, s, spec.fit_intercept, False, groups=is_group)
        grid = geometric_grid(ls_lambda_max(problem, penalty), n_lambdas,
                              float(getattr(spec.base, "eps", 1e-3)))
    gram = False if is_group else use_gram(X, X.shape[0], False, False,
                                           getattr(spec.base, "precompute", "auto"))
    res = ls_cv(X, y, s, splits, penalty, grid, fit_intercept=spec.fit_intercept,
                tol=spec.base.tol, max_epochs=spec.base.max_iter, gram=gram)
    train = np.empty((len(splits), grid.size))
    for k, ((tr, _), path) in enumerate(zip(splits, res.paths, strict=True)):
        pred = np.asarray(X[tr] @ path.coefs.T) + path.intercepts  # (n_tr, L)
        w = s[tr]
        train[k] = w @ (y[tr, None] - pred) ** 2 / w.sum()
    return grid, train, -res.fold_scores, np.full(grid.size, np.nan), \
        "certified coordinate-descent paths per fold"
