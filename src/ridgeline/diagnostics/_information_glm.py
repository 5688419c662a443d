"""Information criteria of the log-link regressors: Poisson, gamma and Tweedie (powers 0, 1, 2).

The log-likelihood is the family's own at the fitted means μ = exp(Xw + b + offset):

- Poisson (power 1): ``Σ s (y log μ − μ − log y!)``;
- gamma (power 2): ``Σ s (k log(k y/μ) − k y/μ − log y − log Γ(k))`` with the shape ``k`` at
  its maximum-likelihood value, the root of ``log k − ψ(k) = Σ s (y/μ − 1 − log(y/μ)) / n_w``
  (half the mean deviance);
- normal on the log link (power 0): the Gaussian likelihood with the noise variance profiled,
  ``σ̂² = Σ s (y − μ)² / n_w``.

As for ridge, the dispersion (k, σ²) is profiled and not counted in the degrees of freedom,
which are ``tr[(H + 2λI)⁻¹H]`` (+ the intercept) at the fit, H the loss curvature. Tweedie
powers in (1, 2) are refused: the compound Poisson–gamma density is an infinite series.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import digamma, gammaln, xlogy

from ridgeline.diagnostics._fits import glm_dof
from ridgeline.estimators import (
    GammaRegressor,
    GammaRegressorCV,
    PoissonRegressorCV,
    TweedieRegressor,
    TweedieRegressorCV,
)
from ridgeline.estimators._validation import one_target
from ridgeline.losses import GammaLoss, PoissonLoss, TweedieLoss
from ridgeline.losses.domain import check_target_domain
from ridgeline.losses.tweedie import check_power
from ridgeline.solvers.problem import GLMProblem

#: The estimators this module scores (PoissonRegressor goes through the diagnostics' specs).
LOG_LINK = (PoissonRegressorCV, GammaRegressor, GammaRegressorCV, TweedieRegressor,
            TweedieRegressorCV)

_LOG_2PI = float(np.log(2.0 * np.pi))
_DOF = ("trace of the weighted hat matrix W^½X̃(X̃ᵀWX̃ + 2λI)⁻¹X̃ᵀW^½ at the fit (W = ω ℓ''(η); "
        "intercept included; the dispersion is profiled, not counted)")


def family_power(model) -> float:
    """The Tweedie power of a log-link model (1 Poisson, 2 gamma, 0 normal), or a clear error
    for the identity link and for powers in (1, 2)."""
    name = type(model).__name__
    if isinstance(model, PoissonRegressorCV):
        return 1.0
    if isinstance(model, (GammaRegressor, GammaRegressorCV)):
        return 2.0
    power = check_power(model.power)
    link = getattr(model, "link", "auto")
    if link == "identity" or (link == "auto" and power <= 0):
        raise ValueError(f"{name}(power=0) with the identity link is ridge regression: fit "
                         "ridgeline.Ridge or RidgeCV for its information criteria")
    if 1.0 < power < 2.0:
        raise ValueError(f"{name}(power={power:g}): the compound Poisson–gamma density has no "
                         "closed form; information criteria cover the Tweedie powers 0 (log "
                         "link), 1 and 2")
    return power


def gamma_shape(y: np.ndarray, mu: np.ndarray, s: np.ndarray) -> float:
    """Maximum-likelihood gamma shape k at fixed means: ``log k − ψ(k) = D̄/2``."""
    ratio = y / mu
    half_dev = float(s @ (ratio - 1.0 - np.log(ratio)) / s.sum())
    if not half_dev > 1e-12:
        raise ValueError("the fit reproduces every target (zero deviance): the gamma shape "
                         "has no finite maximum-likelihood value")
    return float(brentq(lambda k: np.log(k) - digamma(k) - half_dev, 1e-12, 1e15,
                        xtol=1e-14, rtol=4 * np.finfo(np.float64).eps))


def log_likelihood(power: float, y: np.ndarray, mu: np.ndarray, s: np.ndarray) -> float:
    """The family's log-likelihood at the fitted means (module docstring)."""
    if power == 1.0:
        return float(s @ (xlogy(y, mu) - mu - gammaln(y + 1.0)))
    if power == 2.0:
        k = gamma_shape(y, mu, s)
        r = y / mu
        return float(s @ (k * np.log(k * r) - k * r - np.log(y) - gammaln(k)))
    rss = float(s @ (y - mu) ** 2)
    if not rss > 0:
        raise ValueError("the fit interpolates the data (zero residual sum of squares): the "
                         "Gaussian log-likelihood is unbounded")
    n_w = float(s.sum())
    return -0.5 * n_w * (_LOG_2PI + np.log(rss / n_w) + 1.0)


def log_link_criteria(model, X, y, s: np.ndarray, offset=None) -> tuple[float, float, str]:
    """``(log-likelihood, dof, dof method)`` of a fitted log-link regressor on ``(X, y)``;
    ``offset`` (n,) as at its fit."""
    power = family_power(model)
    y = one_target(y)
    loss = {1.0: PoissonLoss(), 2.0: GammaLoss()}.get(power) or TweedieLoss(power)
    check_target_domain(loss, float(y.min()), float(s @ y) / float(s.sum()),
                        who=type(model).__name__, where="y")
    mu = np.asarray(model.predict(X, offset=offset), dtype=np.float64)
    log_lik = log_likelihood(power, y, mu, s)
    fit_intercept = bool(getattr(model, "fit_intercept", True))
    problem = GLMProblem.from_arrays(X, y, s, loss, fit_intercept, offset=offset)
    W = np.asarray(model.coef_, dtype=np.float64).reshape(-1, 1)
    b = np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64))
    return log_lik, glm_dof(problem, W, b, float(model.lambda_)), _DOF
