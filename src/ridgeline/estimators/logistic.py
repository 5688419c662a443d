"""Regularized logistic regression: ``LogisticRegression`` (the CV version is in
:mod:`ridgeline.estimators.logistic_cv`).

Objective (DESIGN.md), for two classes (binary log loss) or more (multinomial/softmax)::

    minimize  (1/n_w) Σ_i s_i ℓ(y_i, x_iᵀW + b)  +  λ ‖W‖²_F,        λ = 1 / (2 C n_w)

which is scikit-learn's ``C Σ s_i ℓ_i + ½‖W‖²`` divided by ``C n_w``: the same minimizer.
With ``l1_ratio > 0`` the penalty is the elastic net (:mod:`._logistic_sparse`).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from ridgeline.distributed import dask_source
from ridgeline.estimators._base import SparseInputMixin, store_coef
from ridgeline.estimators._glm import (
    check_tol_iter,
    fit_glm,
    label_problem,
    source_classes,
    source_problem,
    warn_if_separable,
)
from ridgeline.estimators._glm_standardize import check_standardize, standardized
from ridgeline.estimators._logistic_callbacks import CallbackSupportMixin, callback_fit
from ridgeline.estimators._logistic_params import check_max_iter, logistic_penalty, warn_n_jobs
from ridgeline.estimators._logistic_sparse import (
    check_multinomial_penalty,
    check_weighted_classes,
    fit_sparse,
)
from ridgeline.estimators._range import NEWTON_RATIO_LIMIT
from ridgeline.estimators._validation import check_source_fit, check_X, check_X_y, is_source
from ridgeline.losses import BinomialLoss, MultinomialLoss
from ridgeline.solvers.glm_fit import resolve_solver


def lambda_from_C(C, n_w: float):
    """Canonical λ = 1/(2 C n_w) (0 for C = inf)."""
    C = np.asarray(C, dtype=np.float64)
    return np.where(np.isinf(C), 0.0, 1.0 / (2.0 * np.where(np.isinf(C), 1.0, C) * n_w))


class LogisticMixin(SparseInputMixin, ClassifierMixin):
    """Prediction for fitted ``coef_`` (1 or K, p) and ``intercept_``."""

    _max_scale_ratio = NEWTON_RATIO_LIMIT  # columns' ranges further apart are refused

    def decision_function(self, X):
        """Log-odds (n,) for two classes, class scores (n, K) otherwise."""
        check_is_fitted(self)
        X = check_X(self, X)
        coef = self.coef_
        d = X @ coef.T
        d = (d.toarray() if sp.issparse(d) else np.asarray(d)) + self.intercept_
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

    def densify(self):
        """Convert a sparse ``coef_`` (see :meth:`sparsify`) back to a dense array; returns
        self."""
        check_is_fitted(self)
        if sp.issparse(self.coef_):
            self.coef_ = self.coef_.toarray()
        return self

    def sparsify(self):
        """Store ``coef_`` as a scipy.sparse CSR matrix (worth it when most coefficients are
        zero, as with ``l1_ratio > 0``); predictions are unchanged. Returns self."""
        check_is_fitted(self)
        self.coef_ = sp.csr_matrix(self.coef_)
        return self

    def _store(self, coef: np.ndarray, intercept: np.ndarray, dtype) -> None:
        """coef (p, m), intercept (m,) → scikit-learn's ``coef_`` (m, p), ``intercept_`` (m,)."""
        inter = intercept if self.fit_intercept else np.zeros_like(intercept)
        store_coef(self, coef, inter, False, dtype)


def centered_classes(coef: np.ndarray, intercept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial ``coef`` (..., p, K) and ``intercept`` (..., K) with every feature's class
    coefficients and the intercepts centered to sum to zero (two classes, K = 1: unchanged).

    The softmax does not see a shift common to all classes, so centering leaves the loss as it
    is, and it can only lower ``‖W‖²``: the L2-penalized (and, among its minimizers, the
    unpenalized) optimum is the centered one (Zhu & Hastie 2004, "Classification of gene
    microarrays by penalized logistic regression", Biostatistics 5(3)). Solvers stop near the
    optimum, where the sum is small but not zero; this makes it zero to rounding.
    """
    if coef.shape[-1] < 3:
        return coef, intercept
    return (coef - coef.mean(axis=-1, keepdims=True),
            intercept - intercept.mean(axis=-1, keepdims=True))


class LogisticRegression(CallbackSupportMixin, LogisticMixin, BaseEstimator):
    """L2-regularized logistic regression (binary or multinomial), a drop-in for scikit-learn's.

    Minimizes ``(1/n_w) Σ s_i ℓ(y_i, x_iᵀW + b) + λ‖W‖²`` with ``λ = 1/(2 C n_w)``
    (``lambda_``): the same solution as ``sklearn.linear_model.LogisticRegression(C=C)`` at a
    tight tolerance. Two classes use the binary log loss; more use the multinomial (softmax)
    loss. The intercept is never penalized. Arrays (dense, sparse, float32), statistics
    sources (files) and Dask collections are fit by the same engine.

    Parameters
    ----------
    penalty : {"l1", "l2", "elasticnet", None}, deprecated
        As in scikit-learn 1.8+, deprecated (FutureWarning) in favour of ``l1_ratio`` and
        ``C``, and read as scikit-learn 1.9 reads it: ``"l1"`` is ``l1_ratio=1``, ``"l2"``
        ``l1_ratio=0``, ``"elasticnet"`` takes ``l1_ratio``, None is ``C=np.inf`` (a ``C``
        other than 1.0 is then ignored, with scikit-learn's UserWarning; so is an
        ``l1_ratio`` that contradicts ``"l1"``/``"l2"``).
    C : float, default=1.0
        Inverse regularization strength (> 0); ``np.inf`` for none.
    l1_ratio : float, default=0.0
        0 is the L2 penalty (None too, deprecated as in scikit-learn); in (0, 1] the elastic
        net ``ρ‖W‖₁ + ½(1-ρ)‖W‖²`` in place of ``½‖W‖²`` (arrays in memory), by a certified
        proximal Newton solver (solved past the tolerance by one polishing step): canonical
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
    intercept_scaling, random_state, verbose :
        Accepted for compatibility; unused (no liblinear, no randomness).
    n_jobs : None
        Has no effect; any other value draws scikit-learn 1.9's FutureWarning.
    class_weight : dict or "balanced", optional
        Multiplies the sample weights.
    solver : {"auto", "newton", "lbfgs"} or a scikit-learn name, default="auto"
        ``auto``: Newton (eigen-solve of ``XᵀWX + 2λI``, Hessians reused while they pay) when
        the Hessian has at most 1000 rows (5000 over files), else L-BFGS (gradient passes
        only). scikit-learn's ``"newton-cholesky"`` and ``"newton-cg"`` run plain Newton (a
        fresh Hessian at every step, so that ``max_iter=2`` is two warm-started
        ``max_iter=1`` fits, as for scikit-learn's Newton solvers) where ``auto`` picks
        Newton; ``"liblinear"``, ``"sag"`` and ``"saga"`` map to auto: float32 input gives
        float32 coefficients whatever the solver name (scikit-learn's liblinear returns
        float64). The elastic net (``l1_ratio > 0``) always runs proximal Newton.
    max_iter : int, default=100
        0 returns the starting model (zero coefficients and intercepts, or the previous fit's
        with ``warm_start``) with a ConvergenceWarning, as scikit-learn does.
    warm_start : bool, default=False
        Start from the previous fit's coefficients when shapes match.

    Notes
    -----
    A multinomial L2 (or unpenalized) fit reports coefficients whose sum over the classes is
    zero for every feature, and intercepts that sum to zero: the softmax does not see a common
    shift, and the centered solution is the penalized optimum (Zhu & Hastie 2004).
    :meth:`sparsify` / :meth:`densify` store ``coef_`` as a scipy.sparse matrix and back.
    scikit-learn ≥ 1.9 callbacks (:meth:`set_callbacks`) are supported for ``solver="lbfgs"``
    as scikit-learn supports them, but reported after the solve (see :meth:`set_callbacks`).

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

    def set_callbacks(self, *callbacks):
        """Set scikit-learn (≥ 1.9) fit callbacks (``sklearn.callback``); returns self.

        As in scikit-learn, only ``solver="lbfgs"`` supports them (other solvers warn and
        ignore them). ridgeline's solvers have no per-iteration hook: the callbacks see the
        fit's tasks — the fit, one task per iteration and a closing empty one, as scikit-learn
        reports them — once the solver has run, and a ``fitted_estimator`` of iteration ``i``
        is the model after ``i`` iterations, recomputed (as a fit with ``max_iter=i``) only
        when a callback asks for it.
        """
        if self.solver != "lbfgs":
            warnings.warn(f"Callbacks are only supported in {type(self).__name__} for "
                          f"solver='lbfgs'. This estimator has solver={self.solver!r}, "
                          "callbacks will be ignored during the solving of the regression.",
                          UserWarning, stacklevel=2)
        return super().set_callbacks(*callbacks)

    def fit(self, X, y=None, sample_weight=None):
        """Fit on X (n, p) dense or sparse and labels y (n,); returns self.

        ``X`` may also be a statistics source (``ridgeline.read_parquet(path, target=...)``,
        with ``y=None``) or a Dask array/data frame (with ``y`` and ``sample_weight`` as Dask
        collections or column names): an L2 fit with one pass over the rows per iteration
        (binary or multinomial); over a Dask collection a few partitions are fit first and
        their Hessian is reused, so most passes over all the rows form gradients only.
        """
        C, rho = logistic_penalty(self)
        warn_n_jobs(self.n_jobs)
        max_iter = check_max_iter(self.max_iter)
        check_tol_iter(self.tol, max(max_iter, 1))
        if self.dual:
            raise ValueError("dual=True is not available: ridgeline solves the primal problem")
        resolve_solver(self.solver)
        if self.solver == "lbfgs" and getattr(self, "_skl_callbacks", None):
            return callback_fit(self, X, y, sample_weight, lambda: self._fit(
                X, y, sample_weight, C, rho, max_iter))
        return self._fit(X, y, sample_weight, C, rho, max_iter)

    def _fit(self, X, y, sample_weight, C: float, rho: float, max_iter: int):
        grouped = check_multinomial_penalty(self.multinomial_penalty)
        standardize = check_standardize(self.standardize)
        if (src := dask_source(X, y, sample_weight)) is not None:
            X, y, sample_weight = src, None, None
        summary, scale = None, None
        if is_source(X):
            problem, summary = self._source_problem(X, y, sample_weight, C, rho, standardize)
            dtype, n_w = np.float64, float(summary.sw.sum())
        else:
            X, y = check_X_y(self, X, y, y_numeric=False)
            problem = label_problem(self, X, y, sample_weight, self.fit_intercept)
            dtype, n_w = X.dtype, float(problem.source.weights.sum())
            if max_iter == 0:
                return self._initial(problem, dtype)
            X, scale = standardized(X, problem.source.weights, standardize, self.fit_intercept)
            if rho > 0 and np.isfinite(C):
                return self._fit_sparse(X, problem, C, rho, grouped, scale, max_iter)
            if standardize:
                problem = label_problem(self, X, y, sample_weight, self.fit_intercept)
        if max_iter == 0:
            return self._initial(problem, dtype)
        lam = float(lambda_from_C(C, n_w))
        reuse = False if self.solver in ("newton-cholesky", "newton-cg") else None
        fit, name = fit_glm(problem, lam, solver=self.solver, tol=self.tol, max_iter=max_iter,
                            start=self._start(problem, scale), summary=summary,
                            who="LogisticRegression", reuse=reuse, stacklevel=5)
        warn_if_separable(fit, lam, "LogisticRegression", stacklevel=4)
        coef = fit.coef[0] if scale is None else fit.coef[0] / scale[:, None]
        self._store(*centered_classes(coef, fit.intercept[0]), dtype)
        self.n_iter_ = np.array([int(fit.n_iter[0])])
        self.lambda_, self.solver_, self.grad_norm_ = lam, name, float(fit.grad_norm[0])
        self.n_passes_ = int(fit.n_passes) + (summary is not None)
        if summary is not None:
            self.n_rows_ = summary.n_rows
        return self

    def _source_problem(self, source, y, sample_weight, C: float, rho: float,
                        standardize: bool):
        """``(problem, target summary)`` of a statistics source (L2 only)."""
        if standardize:
            raise ValueError("standardize=True is not available on a statistics source or "
                             "Dask collection: standardize the columns beforehand")
        check_source_fit(self, source, y, sample_weight, class_weight=self.class_weight,
                         warm_start=self.warm_start)
        if rho > 0:
            raise ValueError("l1_ratio > 0 is not available on a statistics source")
        if not np.isfinite(C):
            raise ValueError("C=inf (no penalty) is not available on a statistics source")
        summary = source.target_summary(1, progress=getattr(source, "progress", None))
        self.classes_ = source_classes(source, summary)
        return source_problem(source, self.classes_, self.fit_intercept), summary

    def _initial(self, problem, dtype):
        """``max_iter=0``: the starting model — every coefficient and intercept zero, or the
        previous fit's with ``warm_start`` — with a ConvergenceWarning, as scikit-learn
        returns it."""
        m = problem.n_outputs
        start = self._start(problem)
        if start is None:
            self._store(np.zeros((problem.n_features, m)), np.zeros(m), dtype)
        else:
            self._store(start[0][0], start[1][0], dtype)
        self.n_iter_ = np.array([0])
        self.lambda_, self.solver_, self.grad_norm_, self.n_passes_ = np.nan, "none", np.nan, 0
        warnings.warn("LogisticRegression did not converge: max_iter=0 returns the starting "
                      "model.", ConvergenceWarning, stacklevel=4)
        return self

    def _fit_sparse(self, X, problem, C: float, rho: float, grouped: bool, scale,
                    max_iter: int):
        """``l1_ratio > 0``: certified proximal Newton (binary or multinomial), on the
        columns of X divided by ``scale`` when standardizing."""
        codes, s = problem.source.y, problem.source.weights
        check_weighted_classes(codes, s, self.classes_, "LogisticRegression")
        coef, inter, lam, path = fit_sparse(X, codes, s, C, rho, n_classes=self.classes_.size,
                                            grouped=grouped, fit_intercept=self.fit_intercept,
                                            tol=self.tol, max_iter=max_iter,
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
