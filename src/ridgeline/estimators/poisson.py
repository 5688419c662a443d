"""Regularized Poisson regression (log link) for counts: ``PoissonRegressor``.

Objective (DESIGN.md) with the Poisson deviance ``ℓ = 2(y log(y/μ) − y + μ)``, μ = e^η::

    minimize  (1/n_w) Σ_i s_i ℓ(y_i, x_iᵀw + b)  +  λ ‖w‖²,        λ = alpha

which is twice scikit-learn's ``(1/2n_w) Σ s_i ℓ_i + (α/2)‖w‖²``: the same minimizer, λ = α.
With ``l1_ratio = ρ > 0`` the penalty is glum's (and glmnet's) elastic net
``(1/2n_w) Σ s_i ℓ_i + α(ρ‖w‖₁ + ½(1-ρ)‖w‖²)``, twice which is the canonical objective with
``λ = α(1+ρ)`` and ``P = mix‖w‖₁ + (1-mix)‖w‖²``, ``mix = 2ρ/(1+ρ)``; it is solved by the
certified proximal Newton method of :mod:`ridgeline.solvers.prox_newton`.

An ``offset`` o (n,) at ``fit`` and ``predict`` (glmnet's and glum's) enters the linear
predictor unpenalized with coefficient 1, ``η_i = x_iᵀw + b + o_i``: counts over an exposure
``t_i`` (time, area, population) are modelled as rates with ``o = log t``.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import d2_tweedie_score
from sklearn.utils.validation import check_is_fitted

from ridgeline.distributed import dask_source
from ridgeline.estimators._base import SparseInputMixin
from ridgeline.estimators._glm import check_l1_ratio, check_tol_iter, fit_glm
from ridgeline.estimators._glm_standardize import check_standardize, standardized
from ridgeline.estimators._offset import check_offset_fit, predict_log_link
from ridgeline.estimators._range import NEWTON_RATIO_LIMIT
from ridgeline.estimators._sparse import enet_lambda, enet_penalty, warn_not_certified
from ridgeline.estimators._validation import (
    check_source_fit,
    check_strength,
    check_weights,
    check_X,
    check_X_y,
    is_source,
    one_target,
)
from ridgeline.losses import PoissonLoss
from ridgeline.losses.domain import check_target_domain
from ridgeline.path.sparse_path import logistic_path
from ridgeline.selection.glm_cv import check_glm_target
from ridgeline.solvers.glm_fit import resolve_solver
from ridgeline.solvers.problem import GLMProblem
from ridgeline.solvers.prox_newton import PoissonL1Problem


class PoissonRegressor(SparseInputMixin, RegressorMixin, BaseEstimator):
    """Poisson regression with an L2 (or elastic-net) penalty, a drop-in for scikit-learn's
    ``PoissonRegressor``.

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty with scikit-learn's meaning; the canonical ``lambda_`` equals it (L2).
    l1_ratio : float in [0, 1], default=0.0
        0 is scikit-learn's L2 model. ρ > 0 gives glum's / glmnet's elastic net
        ``α(ρ‖w‖₁ + ½(1-ρ)‖w‖²)`` (arrays in memory; canonical ``λ = α(1+ρ)``,
        ``mix = 2ρ/(1+ρ)``), certified by its KKT residual.
    standardize : bool, default=False
        Penalize the coefficients of standardized features (each column divided by its
        weighted standard deviation, glmnet's ``standardize=TRUE``) and report them on the
        original scale. Arrays only.
    fit_intercept : bool, default=True
    solver : {"auto", "newton", "lbfgs"} or scikit-learn's "newton-cholesky"
        "newton-cholesky" is ridgeline's Newton, which also solves a singular Hessian (e.g.
        collinear columns with ``alpha=0``): unlike scikit-learn's, it neither warns
        (``LinAlgWarning``) nor falls back to lbfgs there.
    max_iter : int, default=100
    tol : float, default=1e-8
        Stop when the largest absolute gradient entry of the objective is ≤ tol; with
        ``l1_ratio > 0``, when the KKT residual is ≤ tol times that of the null model.
    warm_start : bool, default=False
    verbose : int, accepted, unused.

    Attributes
    ----------
    coef_ : ndarray (n_features,)
    intercept_ : float
    n_iter_ : int
    lambda_ : float
    solver_ : str
    grad_norm_ : float
        Largest absolute gradient entry at the solution (the optimality certificate; the KKT
        residual with ``l1_ratio > 0``).

    Notes
    -----
    ``fit(X, y, offset=np.log(exposure))`` fits counts per unit of exposure; then
    ``predict(X, offset=np.log(exposure))`` gives the expected counts and ``predict(X)``
    (offset 0) the expected count per unit of exposure (the rate).
    """

    def __init__(self, *, alpha=1.0, fit_intercept=True, solver="auto", max_iter=100, tol=1e-8,
                 warm_start=False, verbose=0, l1_ratio=0.0, standardize=False):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.standardize = standardize
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose

    _max_scale_ratio = NEWTON_RATIO_LIMIT  # columns' ranges further apart are refused

    def fit(self, X, y=None, sample_weight=None, offset=None):
        """Fit on X (n, p) and counts y (n,) ≥ 0; returns self.

        ``offset`` (n,), optional: a fixed term of the linear predictor,
        ``η = Xw + b + offset`` (e.g. ``np.log(exposure)``); arrays in memory, L2 only.
        ``X`` may also be a statistics source (``ridgeline.read_parquet(path, target=...)``)
        or a Dask collection (with ``y=None``): the same engine, one pass over the rows per
        iteration.
        """
        alpha = check_strength(self.alpha, "alpha")
        if alpha.ndim != 0:
            raise ValueError(f"alpha must be a single number, got {self.alpha!r}")
        check_tol_iter(self.tol, self.max_iter)
        resolve_solver(self.solver)
        rho = float(check_l1_ratio(self.l1_ratio)[0])
        standardize = check_standardize(self.standardize)
        if (src := dask_source(X, y, sample_weight)) is not None:
            X, y, sample_weight = src, None, None
        summary, scale = None, None
        if offset is not None:
            check_offset_fit(X, rho, type(self).__name__)
        if is_source(X):
            if rho > 0 or standardize:
                raise ValueError("l1_ratio > 0 and standardize=True are not available on a "
                                 "statistics source or Dask collection")
            check_source_fit(self, X, y, sample_weight, warm_start=self.warm_start)
            summary = X.target_summary(1, progress=getattr(X, "progress", None))
            check_glm_target(PoissonLoss(), summary, X.target_name)
            problem = GLMProblem(X, PoissonLoss(), self.fit_intercept,
                                 progress=getattr(X, "progress", None))
            dtype = np.float64
        else:
            X, y, s = self._validate(X, y, sample_weight)
            dtype = X.dtype
            X, scale = standardized(X, s, standardize, self.fit_intercept)
            if rho > 0 and alpha > 0:
                return self._fit_sparse(X, y, s, float(alpha), rho, scale)
            problem = GLMProblem.from_arrays(X, y, s, PoissonLoss(), self.fit_intercept,
                                             offset=offset)
        fit, name = fit_glm(problem, float(alpha), solver=self.solver, tol=self.tol,
                            max_iter=self.max_iter, start=self._start(problem, scale),
                            summary=summary, who="PoissonRegressor")
        coef = fit.coef[0, :, 0] if scale is None else fit.coef[0, :, 0] / scale
        self.coef_ = coef.astype(dtype, copy=False)
        self.intercept_ = float(fit.intercept[0, 0]) if self.fit_intercept else 0.0
        self.n_iter_ = int(fit.n_iter[0])
        self.lambda_ = float(alpha)
        self.solver_ = name
        self.grad_norm_ = float(fit.grad_norm[0])
        self.n_passes_ = int(fit.n_passes) + (summary is not None)
        if summary is not None:
            self.n_rows_ = summary.n_rows
        return self

    def _fit_sparse(self, X, y, s, alpha: float, rho: float, scale):
        """``l1_ratio > 0``: one certified proximal-Newton solve (on ``X / scale``)."""
        problem = PoissonL1Problem(X, y, s, self.fit_intercept)
        penalty = enet_penalty(rho, X.shape[1], None, False)
        lam = enet_lambda(alpha, rho)
        path = logistic_path(problem, penalty, np.array([lam]), tol=self.tol,
                             max_iter=self.max_iter)
        warn_not_certified([path], "PoissonRegressor", self.tol)
        coef = path.coefs[0] if scale is None else path.coefs[0] / scale
        self.coef_ = coef.astype(X.dtype, copy=False)
        self.intercept_ = float(path.intercepts[0]) if self.fit_intercept else 0.0
        self.n_iter_ = int(path.n_iter[0])
        self.lambda_ = lam
        self.solver_ = "prox-newton"
        self.grad_norm_ = float(path.certificates[0])
        return self

    def _validate(self, X, y, sample_weight):
        """Checked arrays: X, counts y (n,) ≥ 0 (not all zero) and weights (n,)."""
        X, y = check_X_y(self, X, y, y_numeric=True)
        y = one_target(y, "count")
        s = check_weights(sample_weight, X)
        check_target_domain(PoissonLoss(), float(y.min()), float(s @ y) / float(s.sum()),
                            who="Poisson", where="y")
        return X, y, s

    def _start(self, problem, scale=None):
        if not (self.warm_start and hasattr(self, "coef_")
                and np.shape(self.coef_) == (problem.n_features,)):
            return None
        w = np.asarray(self.coef_, dtype=np.float64) * (1.0 if scale is None else scale)
        return (w[None, :, None].copy(),
                np.array([[float(self.intercept_)]]))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = True
        return tags

    def predict(self, X, offset=None):
        """Expected counts μ = exp(Xw + b + offset), shape (n,); without ``offset`` (0), the
        count per unit of exposure of a model fitted with ``offset = log(exposure)``."""
        check_is_fitted(self)
        X = check_X(self, X)
        return predict_log_link(X, self.coef_, self.intercept_, offset)

    def score(self, X, y, sample_weight=None, offset=None):
        """D², the fraction of Poisson deviance explained (as scikit-learn's), of the
        predictions with ``offset``."""
        return d2_tweedie_score(y, self.predict(X, offset), sample_weight=sample_weight,
                                power=1)
