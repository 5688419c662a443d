"""Which model an estimator fits, and its parameter ↔ canonical λ conversion (private).

Every diagnostic works on the canonical objective ``mean loss + λ·P(w)`` (DESIGN.md) and
reports the estimator's own parameter beside λ:

=========================================  ===========  ===================================
estimator                                  parameter    canonical λ
=========================================  ===========  ===================================
``Ridge``, ``RidgeCV``                     ``alpha``    ``alpha / n_w``
``LogisticRegression(CV)`` (L2)            ``C``        ``1 / (2 C n_w)``
``PoissonRegressor``                       ``alpha``    ``alpha``
``Lasso``, ``ElasticNet(CV)``, ``LassoCV``  ``alpha``    ``alpha (1 + l1_ratio)``
``GroupLasso(CV)``                         ``alpha``    ``2 alpha``
=========================================  ===========  ===================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from ridgeline.estimators import (
    ElasticNet,
    ElasticNetCV,
    GroupLasso,
    GroupLassoCV,
    Lasso,
    LassoCV,
    LogisticRegression,
    LogisticRegressionCV,
    PoissonRegressor,
    Ridge,
    RidgeCV,
)

SUPPORTED = ("Ridge", "RidgeCV", "LogisticRegression", "LogisticRegressionCV",
             "PoissonRegressor", "Lasso", "LassoCV", "ElasticNet", "ElasticNetCV",
             "GroupLasso", "GroupLassoCV")

#: what the degrees of freedom mean, per model kind
DOF_METHODS = {
    "ridge": "trace of the hat matrix Σ d²/(d² + n_w λ) (+1 for the intercept)",
    "logistic": "trace of the weighted hat matrix W^½X̃(X̃ᵀWX̃ + 2λI)⁻¹X̃ᵀW^½ at each solution "
                "(W = ω ℓ''(η), the IRLS weights; intercept included)",
    "poisson": "trace of the weighted hat matrix W^½X̃(X̃ᵀWX̃ + 2λI)⁻¹X̃ᵀW^½ at each solution "
               "(W = ω ℓ''(η), the IRLS weights; intercept included)",
    "lasso": "number of nonzero coefficients (+1 for the intercept): an unbiased estimate "
             "(Zou, Hastie & Tibshirani 2007)",
    "elasticnet": "trace of X_A(X_AᵀSX_A + n_w λ(1−mix)F)⁻¹X_AᵀS over the active set A "
                  "(+1 for the intercept; Zou & Hastie 2005, Tibshirani & Taylor 2012)",
    "group": "number of nonzero coefficients (+1 for the intercept; a naive count, the "
             "refinement of Yuan & Lin 2006 is not used)",
}


@dataclass(frozen=True)
class ModelSpec:
    """How to fit one λ of an estimator's model, and how λ maps to its own parameter.

    Attributes
    ----------
    kind : {"ridge", "logistic", "poisson", "enet", "group"}
    name : str
        Class name of the estimator given.
    param_name : {"alpha", "C"}
    base : estimator
        An unfitted single-λ estimator with the same settings (a CV estimator's base model).
    fit_intercept : bool
    l1_ratio : float
        scikit-learn's ρ (elastic net; 1 for the lasso, 0 otherwise).
    """

    kind: str
    name: str
    param_name: str
    base: object
    fit_intercept: bool
    l1_ratio: float = 0.0

    @property
    def sparse(self) -> bool:
        return self.kind in ("enet", "group")

    @property
    def glm(self) -> bool:
        return self.kind in ("logistic", "poisson")

    @property
    def mix(self) -> float:
        """Canonical L1 share ``2ρ/(1+ρ)`` (elastic net)."""
        return 2.0 * self.l1_ratio / (1.0 + self.l1_ratio)

    @property
    def dof_kind(self) -> str:
        if self.kind == "enet":
            return "lasso" if self.l1_ratio == 1.0 else "elasticnet"
        return self.kind

    @property
    def dof_method(self) -> str:
        return DOF_METHODS[self.dof_kind]

    def to_param(self, lambdas, n_w: float) -> np.ndarray:
        """The estimator's own parameter for canonical ``lambdas`` on ``n_w`` weighted rows."""
        lam = np.asarray(lambdas, dtype=np.float64)
        if self.kind == "ridge":
            return lam * n_w
        if self.kind == "logistic":
            with np.errstate(divide="ignore"):
                return np.where(lam > 0, 1.0 / (2.0 * np.where(lam > 0, lam, 1.0) * n_w), np.inf)
        if self.kind == "poisson":
            return lam.copy()
        if self.kind == "enet":
            return lam / (1.0 + self.l1_ratio)
        return lam / 2.0

    def to_lambda(self, params, n_w: float) -> np.ndarray:
        """Canonical λ of the estimator's own parameter values."""
        v = np.asarray(params, dtype=np.float64)
        if self.kind == "ridge":
            return v / n_w
        if self.kind == "logistic":
            return np.where(np.isinf(v), 0.0, 1.0 / (2.0 * np.where(np.isinf(v), 1.0, v) * n_w))
        if self.kind == "poisson":
            return v.copy()
        if self.kind == "enet":
            return v * (1.0 + self.l1_ratio)
        return 2.0 * v

    def at(self, lam: float, n_w: float):
        """An unfitted clone of :attr:`base` set to canonical ``lam`` for ``n_w`` rows."""
        est = clone(self.base)
        est.set_params(**{self.param_name: float(self.to_param(lam, n_w))})
        return est


def _sparse_cv_base(estimator, fi: bool):
    """``(single-λ estimator, l1_ratio)`` of a LassoCV or ElasticNetCV, with its settings."""
    if isinstance(estimator, LassoCV):
        return Lasso(fit_intercept=fi, tol=estimator.tol, max_iter=estimator.max_iter,
                     positive=estimator.positive, penalty_factor=estimator.penalty_factor,
                     standardize=estimator.standardize), 1.0
    if hasattr(estimator, "l1_ratio_"):
        rho = float(estimator.l1_ratio_)
    elif np.ndim(estimator.l1_ratio) == 0:
        rho = float(estimator.l1_ratio)
    else:
        raise ValueError("ElasticNetCV with a list of l1_ratio: fit it first (its chosen "
                         "l1_ratio_ is used) or give a single l1_ratio")
    return ElasticNet(l1_ratio=rho, fit_intercept=fi, tol=estimator.tol,
                      max_iter=estimator.max_iter, positive=estimator.positive,
                      penalty_factor=estimator.penalty_factor,
                      standardize=estimator.standardize), rho


def model_spec(estimator) -> ModelSpec:
    """The :class:`ModelSpec` of a ridgeline estimator (fitted or not).

    Raises
    ------
    TypeError
        For anything but the supported ridgeline estimators.
    ValueError
        For settings without a λ path here (``positive=True`` ridge, sparse logistic, an
        unfitted ``ElasticNetCV`` with a list of ``l1_ratio``).
    """
    if isinstance(estimator, type):
        raise TypeError(f"pass an estimator instance, not the class {estimator.__name__}")
    name = type(estimator).__name__
    fi = bool(getattr(estimator, "fit_intercept", True))
    if isinstance(estimator, (Ridge, RidgeCV)):
        if isinstance(estimator, Ridge):
            if estimator.positive:
                raise ValueError("positive=True ridge has no spectral path: use positive=False")
            base = clone(estimator)
        else:
            base = Ridge(fit_intercept=fi, standardize=estimator.standardize)
        return ModelSpec("ridge", name, "alpha", base, fi)
    if isinstance(estimator, (LogisticRegression, LogisticRegressionCV)):
        if isinstance(estimator, LogisticRegression):
            if float(np.max(np.atleast_1d(estimator.l1_ratio or 0.0))) > 0:
                raise ValueError("the diagnostics cover L2 logistic regression (l1_ratio=0); "
                                 f"got l1_ratio={estimator.l1_ratio!r}")
            base = clone(estimator)
        else:
            ratios = estimator.l1_ratios
            if not (ratios is None or isinstance(ratios, str)) and np.max(ratios) > 0:
                raise ValueError("the diagnostics cover L2 logistic regression: l1_ratios must "
                                 f"be None or (0,), got {ratios!r}")
            base = LogisticRegression(C=1.0, fit_intercept=fi, tol=estimator.tol,
                                      max_iter=estimator.max_iter, solver=estimator.solver,
                                      class_weight=estimator.class_weight)
        return ModelSpec("logistic", name, "C", base, fi)
    if isinstance(estimator, PoissonRegressor):
        return ModelSpec("poisson", name, "alpha", clone(estimator), fi)
    if isinstance(estimator, (Lasso, ElasticNet)):
        rho = 1.0 if isinstance(estimator, Lasso) else float(estimator.l1_ratio)
        return ModelSpec("enet", name, "alpha", clone(estimator), fi, rho)
    if isinstance(estimator, (LassoCV, ElasticNetCV)):
        base, rho = _sparse_cv_base(estimator, fi)
        return ModelSpec("enet", name, "alpha", base, fi, rho)
    if isinstance(estimator, (GroupLasso, GroupLassoCV)):
        if isinstance(estimator, GroupLasso):
            base = clone(estimator)
        else:
            base = GroupLasso(groups=estimator.groups, group_weights=estimator.group_weights,
                              fit_intercept=fi, tol=estimator.tol, max_iter=estimator.max_iter,
                              standardize=estimator.standardize)
        return ModelSpec("group", name, "alpha", base, fi)
    raise TypeError(f"expected a ridgeline estimator ({', '.join(SUPPORTED)}), got {name}")


def is_fitted(estimator) -> bool:
    try:
        check_is_fitted(estimator)
    except Exception:
        return False
    return True


def cv_result(estimator):
    """The fitted CV result (:class:`~ridgeline.selection.RidgeCVResult`) or None."""
    if not is_fitted(estimator):
        return None
    for attr in ("selection_", "cv_result_"):
        res = getattr(estimator, attr, None)
        if res is not None:
            return res
    return None


def own_lambda(estimator, spec: ModelSpec, n_w: float) -> float | None:
    """The canonical λ the estimator fits: ``lambda_`` when fitted, else from its parameter.

    None for an unfitted CV estimator (it has not chosen yet) or a per-target λ.
    """
    if is_fitted(estimator) and hasattr(estimator, "lambda_"):
        lam = np.asarray(estimator.lambda_, dtype=np.float64)
        return float(lam) if lam.ndim == 0 else None
    if type(spec.base) is type(estimator):
        value = np.asarray(getattr(estimator, spec.param_name), dtype=np.float64)
        if value.ndim == 0:
            return float(spec.to_lambda(value, n_w))
    return None


def own_grid(estimator, spec: ModelSpec, n_w: float) -> np.ndarray | None:
    """The λ grid the (CV) estimator uses or used, canonical; None when it is automatic."""
    res = cv_result(estimator)
    if res is not None:
        return np.asarray(res.lambdas, dtype=np.float64).copy()
    if isinstance(estimator, RidgeCV):
        if estimator.lambdas is not None:
            return np.atleast_1d(np.asarray(estimator.lambdas, dtype=np.float64))
        if isinstance(estimator.alphas, str):
            return None
        return np.atleast_1d(np.asarray(estimator.alphas, dtype=np.float64)) / n_w
    if isinstance(estimator, LogisticRegressionCV):
        Cs = estimator.Cs
        if isinstance(Cs, str):
            return None
        if isinstance(Cs, (int, np.integer)) and not isinstance(Cs, bool):
            Cs = np.logspace(-4, 4, int(Cs))
        return spec.to_lambda(np.atleast_1d(np.asarray(Cs, dtype=np.float64)), n_w)
    if isinstance(estimator, (LassoCV, ElasticNetCV, GroupLassoCV)):
        a = estimator.alphas
        if isinstance(a, (int, np.integer)) and not isinstance(a, bool):
            return None
        return spec.to_lambda(np.sort(np.atleast_1d(np.asarray(a, dtype=np.float64)))[::-1],
                              n_w)
    return None


def cv_choice(estimator) -> tuple[float | None, float | None]:
    """``(λ_min, λ_1se)`` of a fitted CV estimator, else ``(None, None)``."""
    res = cv_result(estimator)
    if res is None or getattr(res, "per_target", False):
        return None, None
    return float(res.lambda_min), float(res.lambda_1se)


def own_cv(estimator, default=5):
    """The splitter a CV estimator uses (K-fold ones), else ``default``."""
    if isinstance(estimator, RidgeCV):
        cv = estimator.cv
        return default if cv is None or isinstance(cv, str) else cv
    if isinstance(estimator, (LogisticRegressionCV, LassoCV, ElasticNetCV, GroupLassoCV)):
        return default if estimator.cv is None else estimator.cv
    return default
