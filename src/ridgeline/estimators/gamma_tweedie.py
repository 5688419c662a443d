"""Gamma and Tweedie regression with an L2 penalty: ``GammaRegressor``, ``TweedieRegressor``.

Drop-ins for scikit-learn's estimators of the same names, solved by the one GLM engine (the
Newton / L-BFGS of ``PoissonRegressor``). With the log link μ = e^η and the unhalved Tweedie
deviance ℓ of :mod:`ridgeline.losses.tweedie` (power 2: :mod:`ridgeline.losses.gamma`)::

    minimize  (1/n_w) Σ_i s_i ℓ(y_i, x_iᵀw + b)  +  λ ‖w‖²,        λ = alpha

which is twice scikit-learn's ``(1/2n_w) Σ s_i dev_i + (α/2)‖w‖²``: the same minimizer.

Supported: the log link with power 0 (normal) or any power in [1, 2] (1 Poisson, (1, 2)
compound Poisson–gamma, 2 gamma), and the identity link with power 0 — ordinary ridge
regression, solved directly (``Ridge`` with ``alpha·n_w``). Powers in (0, 1), below 0 or
above 2, and the identity link with any other power, are refused.

An ``offset`` o (n,) at ``fit``, ``predict`` and ``score`` (glmnet's and glum's) enters the
linear predictor unpenalized with coefficient 1, ``η_i = x_iᵀw + b + o_i`` (arrays in
memory): with the log link, ``o = log t`` models targets per unit of exposure t.
"""

from __future__ import annotations

import contextlib

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import d2_tweedie_score
from sklearn.utils.validation import check_is_fitted

from ridgeline.distributed import dask_source
from ridgeline.estimators._base import SparseInputMixin, solve_ridge
from ridgeline.estimators._glm import check_tol_iter, fit_glm
from ridgeline.estimators._offset import check_offset_fit, log_link_eta
from ridgeline.estimators._range import NEWTON_RATIO_LIMIT
from ridgeline.estimators._validation import (
    check_source_fit,
    check_strength,
    check_weights,
    check_X,
    check_X_y,
    is_source,
    one_target,
)
from ridgeline.losses import GammaLoss, TweedieLoss
from ridgeline.losses.domain import check_target_domain
from ridgeline.losses.tweedie import check_power
from ridgeline.solvers.glm_fit import resolve_solver
from ridgeline.solvers.problem import GLMProblem
from ridgeline.stats.array_source import check_offset

#: Links a ``TweedieRegressor`` takes.
LINKS = ("auto", "log", "identity")


class _LogLinkGLM(SparseInputMixin, RegressorMixin, BaseEstimator):
    """The fit, predict and score shared by :class:`GammaRegressor` and
    :class:`TweedieRegressor`; a subclass says which family it fits (:meth:`_family`)."""

    _max_scale_ratio = NEWTON_RATIO_LIMIT  # columns' ranges further apart are refused

    def _family(self) -> tuple[float, str]:
        """``(power, link)`` of the model to fit, validated."""
        raise NotImplementedError

    def _loss(self, power: float):
        return TweedieLoss(power)

    def _who(self, power: float) -> str:
        return f"{type(self).__name__}(power={power:g})"

    def fit(self, X, y=None, sample_weight=None, offset=None):
        """Fit on X (n, p) and targets y (n,); returns self.

        ``offset`` (n,), optional: a fixed term of the linear predictor,
        ``η = Xw + b + offset`` (e.g. ``np.log(exposure)``); arrays in memory.
        ``X`` may also be a statistics source (``ridgeline.read_parquet(path, target=...)``)
        or a Dask collection (with ``y=None``) for the log link: the same engine, one pass
        over the rows per iteration.
        """
        alpha = check_strength(self.alpha, "alpha")
        if alpha.ndim != 0:
            raise ValueError(f"alpha must be a single number, got {self.alpha!r}")
        check_tol_iter(self.tol, self.max_iter)
        resolve_solver(self.solver)
        power, link = self._family()
        if (src := dask_source(X, y, sample_weight)) is not None:
            X, y, sample_weight = src, None, None
        if offset is not None:
            check_offset_fit(X, 0.0, type(self).__name__)
        summary = None
        if is_source(X):
            if link == "identity":
                raise ValueError("link='identity' is not available on a statistics source or "
                                 "Dask collection: fit ridgeline.Ridge on it (the same model)")
            check_source_fit(self, X, y, sample_weight, warm_start=self.warm_start)
            summary = X.target_summary(1, progress=getattr(X, "progress", None))
            self._check_targets(power, summary.y_min, summary.sy.sum() / summary.sw.sum(),
                                f"column {X.target_name!r}")
            problem = GLMProblem(X, self._loss(power), self.fit_intercept,
                                 progress=getattr(X, "progress", None))
            dtype = np.float64
        else:
            X, y, s = self._validate(X, y, sample_weight)
            if link == "identity":
                o = check_offset(offset, y.size, True)
                return self._fit_identity(X, y if o is None else y - o, s, float(alpha))
            self._check_targets(power, float(y.min()), float(s @ y) / float(s.sum()), "y")
            problem = GLMProblem.from_arrays(X, y, s, self._loss(power), self.fit_intercept,
                                             offset=offset)
            dtype = X.dtype
        fit, name = fit_glm(problem, float(alpha), solver=self.solver, tol=self.tol,
                            max_iter=self.max_iter, start=self._start(problem),
                            summary=summary, who=type(self).__name__)
        self.coef_ = fit.coef[0, :, 0].astype(dtype, copy=False)
        self.intercept_ = float(fit.intercept[0, 0]) if self.fit_intercept else 0.0
        self.n_iter_ = int(fit.n_iter[0])
        self.lambda_ = float(alpha)
        self.solver_ = name
        self.grad_norm_ = float(fit.grad_norm[0])
        self.n_passes_ = int(fit.n_passes) + (summary is not None)
        return self

    def _fit_identity(self, X, y: np.ndarray, s: np.ndarray, alpha: float):
        """Power 0 with the identity link: ridge regression ``Σ s r² + α n_w ‖w‖²`` (twice
        ``n_w`` times scikit-learn's objective), one direct solve."""
        n_w = float(s.sum())
        coef, inter, route, _ = solve_ridge(X, y[:, None], s, np.array([alpha * n_w]),
                                            fit_intercept=bool(self.fit_intercept),
                                            standardize=False, solver="auto")
        w, b = coef[:, 0], float(inter[0]) if self.fit_intercept else 0.0
        r = s * (y - (np.asarray(X @ w).ravel() + b))
        g = np.abs(-2.0 * np.asarray(X.T @ r).ravel() / n_w + 2.0 * alpha * w)
        self.coef_ = w.astype(X.dtype, copy=False)
        self.intercept_ = b
        self.n_iter_ = 1
        self.lambda_ = alpha
        self.solver_ = route
        self.grad_norm_ = float(max(g.max(initial=0.0),
                                    abs(2.0 * r.sum() / n_w) if self.fit_intercept else 0.0))
        self.n_passes_ = 1
        return self

    def _validate(self, X, y, sample_weight):
        """Checked arrays: X, y (n,) and weights (n,)."""
        X, y = check_X_y(self, X, y, y_numeric=True)
        return X, one_target(y), check_weights(sample_weight, X)

    def _check_targets(self, power: float, y_min: float, mean: float, where: str) -> None:
        """Refuse targets outside the family's domain (ValueError naming them)."""
        check_target_domain(self._loss(power), y_min, mean, who=self._who(power), where=where)

    def _start(self, problem):
        if not (self.warm_start and hasattr(self, "coef_")
                and np.shape(self.coef_) == (problem.n_features,)):
            return None
        return (np.asarray(self.coef_, dtype=np.float64)[None, :, None].copy(),
                np.array([[float(self.intercept_)]]))

    def _is_identity(self) -> bool:
        return False

    def predict(self, X, offset=None):
        """Expected targets μ (n,): ``exp(Xw + b + offset)`` (log link) or ``Xw + b + offset``
        (identity); offset 0 when None (with the log link: the mean per unit of exposure)."""
        check_is_fitted(self)
        X = check_X(self, X)
        eta = log_link_eta(X, self.coef_, self.intercept_, offset)
        if self._is_identity():
            return eta
        return np.exp(np.minimum(eta, 700.0))

    def score(self, X, y, sample_weight=None, offset=None):
        """D², the fraction of the model's Tweedie deviance explained (as scikit-learn's), of
        the predictions with ``offset``."""
        power, _ = self._family()
        return d2_tweedie_score(y, self.predict(X, offset), sample_weight=sample_weight,
                                power=power)


class GammaRegressor(_LogLinkGLM):
    """Gamma regression (log link) with an L2 penalty, a drop-in for scikit-learn's
    ``GammaRegressor``.

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty with scikit-learn's meaning; the canonical ``lambda_`` equals it.
    fit_intercept : bool, default=True
    solver : {"auto", "newton", "lbfgs"} or scikit-learn's "newton-cholesky"
        "newton-cholesky" is ridgeline's Newton. All reach the same optimum.
    max_iter : int, default=100
    tol : float, default=1e-8
        Stop when the largest absolute gradient entry of the objective is ≤ tol (as
        ``PoissonRegressor``; scikit-learn's default 1e-4 is a looser test).
    warm_start : bool, default=False
    verbose : int, accepted, unused.

    Attributes
    ----------
    coef_ : ndarray (n_features,)
    intercept_ : float
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of str
    lambda_ : float
    solver_ : str
    grad_norm_ : float
        Largest absolute gradient entry at the solution (the optimality certificate).
    """

    def __init__(self, *, alpha=1.0, fit_intercept=True, solver="auto", max_iter=100, tol=1e-8,
                 warm_start=False, verbose=0):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose

    def _family(self) -> tuple[float, str]:
        return 2.0, "log"

    def _loss(self, power: float):
        return GammaLoss()

    def _who(self, power: float) -> str:
        return "GammaRegressor"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = True
        return tags


class TweedieRegressor(_LogLinkGLM):
    """Tweedie regression with an L2 penalty, a drop-in for scikit-learn's
    ``TweedieRegressor`` (powers 0 and [1, 2]).

    Parameters
    ----------
    power : float, default=0.0
        0 (normal), or in [1, 2]: 1 Poisson, (1, 2) compound Poisson–gamma, 2 gamma.
        scikit-learn also accepts powers below 0 and above 2 (and errors in (0, 1));
        ridgeline refuses every power outside {0} ∪ [1, 2].
    alpha : float, default=1.0
    fit_intercept : bool, default=True
    link : {"auto", "log", "identity"}, default="auto"
        "auto" is the identity link for power 0 and the log link otherwise (as
        scikit-learn). "identity" is available with power 0 only (ridge regression). There
        is no scikit-learn loss object (its private ``_base_loss``): the link is this
        parameter.
    solver, max_iter, tol, warm_start, verbose
        As :class:`GammaRegressor` (unused by the identity link's direct solve).

    Attributes
    ----------
    coef_, intercept_, n_iter_, n_features_in_, feature_names_in_, lambda_, solver_,
    grad_norm_
        As :class:`GammaRegressor` (identity link: ``n_iter_ = 1``, ``solver_`` the ridge
        route).
    """

    def __init__(self, *, power=0.0, alpha=1.0, fit_intercept=True, link="auto", solver="auto",
                 max_iter=100, tol=1e-8, warm_start=False, verbose=0):
        self.power = power
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.link = link
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose

    def _family(self) -> tuple[float, str]:
        power = check_power(self.power)
        if not isinstance(self.link, str) or self.link not in LINKS:
            raise ValueError(f"link must be one of {LINKS}, got {self.link!r}")
        link = self.link if self.link != "auto" else ("identity" if power <= 0 else "log")
        if link == "identity" and power != 0.0:
            raise ValueError(f"link='identity' is supported only with power=0 (ridge "
                             f"regression), got power={self.power!r}; use link='log' (or "
                             "'auto')")
        return power, link

    def _is_identity(self) -> bool:
        return self._family()[1] == "identity"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        with contextlib.suppress(ValueError):  # an invalid power or link: refused at fit
            tags.target_tags.positive_only = self._family()[1] == "log"
        return tags
