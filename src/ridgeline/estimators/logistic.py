"""Regularized logistic regression: ``LogisticRegression`` (the CV version is in
:mod:`ridgeline.estimators.logistic_cv`).

Objective (DESIGN.md), for two classes (binary log loss) or more (multinomial/softmax)::

    minimize  (1/n_w) Σ_i s_i ℓ(y_i, x_iᵀW + b)  +  λ ‖W‖²_F,        λ = 1 / (2 C n_w)

which is scikit-learn's ``C Σ s_i ℓ_i + ½‖W‖²`` divided by ``C n_w``: the same minimizer.
With ``l1_ratio > 0`` the penalty is the elastic net (:mod:`._logistic_sparse`).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from ridgeline.distributed import dask_source
from ridgeline.estimators._base import SparseInputMixin, store_coef
from ridgeline.estimators._glm import (
    check_C,
    check_l1_ratio,
    check_penalty_alias,
    check_tol_iter,
    fit_glm,
    label_problem,
    source_classes,
    source_problem,
    warn_if_separable,
)
from ridgeline.estimators._glm_standardize import check_standardize, standardized
from ridgeline.estimators._logistic_sparse import (
    check_multinomial_penalty,
    check_weighted_classes,
    fit_sparse,
)
from ridgeline.estimators._validation import check_source_fit, check_X, check_X_y, is_source
from ridgeline.losses import BinomialLoss, MultinomialLoss
from ridgeline.solvers.glm_fit import resolve_solver


def lambda_from_C(C, n_w: float):
    """Canonical λ = 1/(2 C n_w) (0 for C = inf)."""
    C = np.asarray(C, dtype=np.float64)
    return np.where(np.isinf(C), 0.0, 1.0 / (2.0 * np.where(np.isinf(C), 1.0, C) * n_w))


class LogisticMixin(SparseInputMixin, ClassifierMixin):
    """Prediction for fitted ``coef_`` (1 or K, p) and ``intercept_``."""

    def decision_function(self, X):
        """Log-odds (n,) for two classes, class scores (n, K) otherwise."""
        check_is_fitted(self)
        X = check_X(self, X)
        d = np.asarray(X @ self.coef_.T) + self.intercept_
        return d[:, 0] if d.shape[1] == 1 else d

    def predict_proba(self, X):
        """Class probabilities, shape (n, n_classes), columns in ``classes_`` order."""
        d = self.decision_function(X)
        if d.ndim == 1:
            p1 = self._loss().mean(d)
            return np.column_stack([1.0 - p1, p1])
        return self._loss().mean(d)

    def predict_log_proba(self, X):
        """Natural log of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Class labels, shape (n,)."""
        d = self.decision_function(X)
        if d.ndim == 1:
            return self.classes_[(d > 0).astype(int)]
        return self.classes_[np.argmax(d, axis=1)]

    def _loss(self):
        return BinomialLoss() if self.classes_.size == 2 else MultinomialLoss()

    def _store(self, coef: np.ndarray, intercept: np.ndarray, dtype) -> None:
        """coef (p, m), intercept (m,) → scikit-learn's ``coef_`` (m, p), ``intercept_`` (m,)."""
        inter = intercept if self.fit_intercept else np.zeros_like(intercept)
        store_coef(self, coef, inter, False, dtype)


class LogisticRegression(LogisticMixin, BaseEstimator):
    """L2-regularized logistic regression (binary or multinomial), a drop-in for scikit-learn's.

    Minimizes ``(1/n_w) Σ s_i ℓ(y_i, x_iᵀW + b) + λ‖W‖²`` with ``λ = 1/(2 C n_w)``
    (``lambda_``): the same solution as ``sklearn.linear_model.LogisticRegression(C=C)`` at a
    tight tolerance. Two classes use the binary log loss; more use the multinomial (softmax)
    loss. The intercept is never penalized. Arrays (dense, sparse, float32), statistics
    sources (files) and Dask collections are fit by the same engine.

    Parameters
    ----------
    penalty : deprecated
        As in scikit-learn 1.8+: use ``l1_ratio=0`` (L2) and ``C=np.inf`` (no penalty).
    C : float, default=1.0
        Inverse regularization strength (> 0); ``np.inf`` for none.
    l1_ratio : float, default=0.0
        0 is the L2 penalty; in (0, 1] the elastic net ``ρ‖W‖₁ + ½(1-ρ)‖W‖²`` in place of
        ``½‖W‖²`` (arrays in memory), by a certified proximal Newton solver: canonical
        ``λ = (1+ρ)/(2 C n_w)``, ``mix = 2ρ/(1+ρ)``. More than two classes fit the
        multinomial model (scikit-learn saga's objective).
    multinomial_penalty : {"ungrouped", "grouped"}, default="ungrouped"
        The L1 part of a multinomial fit with ``l1_ratio > 0``: "ungrouped" penalizes every
        class coefficient, ``Σ_j Σ_k |W_jk|`` (scikit-learn's and glmnet's default);
        "grouped" penalizes the norm of each feature's class coefficients, ``Σ_j ‖W_j‖₂``
        (glmnet's ``type.multinomial="grouped"``), so that a feature is selected or dropped
        for all classes at once. Unused for two classes or ``l1_ratio = 0``.
    standardize : bool, default=False
        Penalize the coefficients of standardized features (each column divided by its
        weighted standard deviation, glmnet's ``standardize=TRUE``) and report them on the
        original scale. Arrays only.
    dual : bool, default=False
        Must be False (the primal problem is solved).
    tol : float, default=1e-8
        Stop when the largest absolute entry of the objective's gradient is ≤ tol (the measure
        scikit-learn's lbfgs uses too). The default is tighter than scikit-learn's 1e-4, which
        stops short of the optimum; Newton reaches 1e-8 in one or two more steps.
    fit_intercept : bool, default=True
    intercept_scaling, random_state, verbose, n_jobs :
        Accepted for compatibility; unused (no liblinear, no randomness).
    class_weight : dict or "balanced", optional
        Multiplies the sample weights.
    solver : {"auto", "newton", "lbfgs"} or a scikit-learn name, default="auto"
        ``auto``: Newton (eigen-solve of ``XᵀWX + 2λI``, Hessians reused while they pay) when
        the Hessian has at most 1000 rows (5000 over files), else L-BFGS (gradient passes
        only). scikit-learn's ``"newton-cholesky"`` maps to Newton, the others
        (``"newton-cg"``, ``"liblinear"``, ``"sag"``, ``"saga"``) to auto.
    max_iter : int, default=100
    warm_start : bool, default=False
        Start from the previous fit's coefficients when shapes match.

    Attributes
    ----------
    classes_ : ndarray (n_classes,)
    coef_ : ndarray (1, n_features) for two classes, else (n_classes, n_features)
    intercept_ : ndarray (1,) or (n_classes,)
    n_iter_ : ndarray (1,)
    lambda_ : float
        Canonical λ = 1/(2 C n_w).
    solver_ : str
        The solver that ran.
    grad_norm_ : float
        Largest absolute gradient entry at the solution (the optimality certificate).
    n_passes_ : int
        Passes over all the rows (for a statistics source or Dask collection, the target
        summary included).
    n_rows_ : int
        Fits on a statistics source or Dask collection only: the number of rows.
    n_features_in_, feature_names_in_ : as scikit-learn.
    """

    def __init__(self, penalty="deprecated", *, C=1.0, l1_ratio=0.0, dual=False, tol=1e-8,
                 fit_intercept=True, intercept_scaling=1, class_weight=None, random_state=None,
                 solver="auto", max_iter=100, verbose=0, warm_start=False, n_jobs=None,
                 multinomial_penalty="ungrouped", standardize=False):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.multinomial_penalty = multinomial_penalty
        self.standardize = standardize
        self.dual = dual
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs

    def fit(self, X, y=None, sample_weight=None):
        """Fit on X (n, p) dense or sparse and labels y (n,); returns self.

        ``X`` may also be a statistics source (``ridgeline.read_parquet(path, target=...)``,
        with ``y=None``) or a Dask array/data frame (with ``y`` and ``sample_weight`` as Dask
        collections or column names): an L2 fit with one pass over the rows per iteration
        (binary or multinomial); over a Dask collection a few partitions are fit first and
        their Hessian is reused, so most passes over all the rows form gradients only.
        """
        C = check_penalty_alias(self.penalty, check_C(self.C))
        rho = float(check_l1_ratio(self.l1_ratio)[0])
        check_tol_iter(self.tol, self.max_iter)
        if self.dual:
            raise ValueError("dual=True is not available: ridgeline solves the primal problem")
        resolve_solver(self.solver)
        grouped = check_multinomial_penalty(self.multinomial_penalty)
        standardize = check_standardize(self.standardize)
        if (src := dask_source(X, y, sample_weight)) is not None:
            X, y, sample_weight = src, None, None
        summary, scale = None, None
        if is_source(X) and standardize:
            raise ValueError("standardize=True is not available on a statistics source or "
                             "Dask collection: standardize the columns beforehand")
        if is_source(X):
            check_source_fit(self, X, y, sample_weight, class_weight=self.class_weight,
                             warm_start=self.warm_start)
            if rho > 0:
                raise ValueError("l1_ratio > 0 is not available on a statistics source")
            if not np.isfinite(C):
                raise ValueError("C=inf (no penalty) is not available on a statistics source")
            summary = X.target_summary(1, progress=getattr(X, "progress", None))
            self.classes_ = source_classes(X, summary)
            problem, dtype, n_w = source_problem(X, self.classes_, self.fit_intercept), \
                np.float64, float(summary.sw.sum())
        else:
            X, y = check_X_y(self, X, y, y_numeric=False)
            problem = label_problem(self, X, y, sample_weight, self.fit_intercept)
            dtype, n_w = X.dtype, float(problem.source.weights.sum())
            X, scale = standardized(X, problem.source.weights, standardize, self.fit_intercept)
            if rho > 0 and np.isfinite(C):
                return self._fit_sparse(X, problem, C, rho, grouped, scale)
            if standardize:
                problem = label_problem(self, X, y, sample_weight, self.fit_intercept)
        lam = float(lambda_from_C(C, n_w))
        fit, name = fit_glm(problem, lam, solver=self.solver, tol=self.tol,
                            max_iter=self.max_iter, start=self._start(problem, scale),
                            summary=summary, who="LogisticRegression")
        warn_if_separable(fit, lam, "LogisticRegression")
        coef = fit.coef[0] if scale is None else fit.coef[0] / scale[:, None]
        self._store(coef, fit.intercept[0], dtype)
        self.n_iter_ = np.array([int(fit.n_iter[0])])
        self.lambda_, self.solver_, self.grad_norm_ = lam, name, float(fit.grad_norm[0])
        self.n_passes_ = int(fit.n_passes) + (summary is not None)
        if summary is not None:
            self.n_rows_ = summary.n_rows
        return self

    def _fit_sparse(self, X, problem, C: float, rho: float, grouped: bool, scale):
        """``l1_ratio > 0``: certified proximal Newton (binary or multinomial), on the
        columns of X divided by ``scale`` when standardizing."""
        codes, s = problem.source.y, problem.source.weights
        check_weighted_classes(codes, s, self.classes_, "LogisticRegression")
        coef, inter, lam, path = fit_sparse(X, codes, s, C, rho, n_classes=self.classes_.size,
                                            grouped=grouped, fit_intercept=self.fit_intercept,
                                            tol=self.tol, max_iter=self.max_iter,
                                            who="LogisticRegression")
        if scale is not None:
            coef = coef / scale[:, None]
        self._store(coef, inter, X.dtype)
        self.n_iter_ = np.array([int(path.n_iter[0])])
        self.lambda_ = lam
        self.solver_ = "prox-newton"
        self.grad_norm_ = float(path.certificates[0])
        return self

    def _start(self, problem, scale=None):
        if not (self.warm_start and hasattr(self, "coef_")):
            return None
        W = np.asarray(self.coef_, dtype=np.float64).T
        if scale is not None and W.shape[0] == scale.size:
            W = W * scale[:, None]
        if W.shape != (problem.n_features, problem.n_outputs):
            return None
        b = np.asarray(self.intercept_, dtype=np.float64).reshape(-1)
        return W[None].copy(), b[None].copy()
