"""Gamma and Tweedie regression (log link) with ``alpha`` chosen by cross-validation:
``GammaRegressorCV`` and ``TweedieRegressorCV``, thin subclasses of
:class:`~ridgeline.estimators.glm_regressor_cv.GLMRegressorCV` (the engine of
``PoissonRegressorCV``) with the models of :class:`~ridgeline.GammaRegressor` and
:class:`~ridgeline.TweedieRegressor` (log link; ``alpha`` = canonical λ).
"""

from __future__ import annotations

import contextlib

import numpy as np

from ridgeline.estimators.glm_regressor_cv import GLMRegressorCV
from ridgeline.losses import GammaLoss, TweedieLoss
from ridgeline.losses.domain import check_target_domain
from ridgeline.losses.tweedie import check_power


def check_tweedie_targets(y: np.ndarray, s: np.ndarray, power: float, who: str) -> None:
    """Targets in the domain of the Tweedie family of ``power`` with a positive weighted
    mean (log link): y > 0 for the gamma (power 2), y ≥ 0 for powers in [1, 2)."""
    check_target_domain(TweedieLoss(power), float(y.min()), float(s @ y) / float(s.sum()),
                        who=who, where="y")


class GammaRegressorCV(GLMRegressorCV):
    """Gamma regression (log link) with an L2 penalty whose ``alpha`` is chosen by K-fold
    cross-validation or approximate leave-one-out.

    The model of :class:`~ridgeline.GammaRegressor` (``alpha`` = canonical λ). Parameters
    and attributes as :class:`GLMRegressorCV`; the default ``scoring`` is the mean held-out
    gamma deviance, negated (``"neg_mean_gamma_deviance"``). Targets must be positive.
    """

    _power = 2.0

    def _loss(self):
        return GammaLoss()

    def _check_targets(self, y: np.ndarray, s: np.ndarray) -> None:
        check_tweedie_targets(y, s, 2.0, "GammaRegressorCV")


class TweedieRegressorCV(GLMRegressorCV):
    """Tweedie regression (log link) with an L2 penalty whose ``alpha`` is chosen by K-fold
    cross-validation or approximate leave-one-out.

    The model of :class:`~ridgeline.TweedieRegressor` with the log link (``alpha`` =
    canonical λ). The default ``scoring`` is the mean held-out Tweedie deviance of
    ``power``, negated (``"neg_mean_tweedie_deviance"``).

    Parameters
    ----------
    power : float, default=0.0
        0 (normal), or in [1, 2]: 1 Poisson, (1, 2) compound Poisson–gamma, 2 gamma.
    link : {"auto", "log"}, default="auto"
        "auto" is scikit-learn's: the identity link for power 0 (ridge regression: use
        :class:`~ridgeline.RidgeCV`, refused here), the log link otherwise.
    alphas, n_alphas, cv, method, scoring, rule, fit_intercept, solver, max_iter, tol
        As :class:`GLMRegressorCV`.
    """

    def __init__(self, *, power=0.0, link="auto", alphas=None, n_alphas=20, cv=5,
                 method="kfold", scoring=None, rule="min", fit_intercept=True, solver="auto",
                 max_iter=100, tol=1e-8):
        super().__init__(alphas=alphas, n_alphas=n_alphas, cv=cv, method=method,
                         scoring=scoring, rule=rule, fit_intercept=fit_intercept, solver=solver,
                         max_iter=max_iter, tol=tol)
        self.power = power
        self.link = link

    @property
    def _power(self) -> float:
        return check_power(self.power)

    def _loss(self):
        power = check_power(self.power)
        link = self.link if self.link != "auto" else ("identity" if power == 0.0 else "log")
        if link != "log":
            raise ValueError(f"TweedieRegressorCV fits the log link; link={self.link!r} with "
                             f"power={self.power!r} is "
                             + ("ridge regression: use ridgeline.RidgeCV, or link='log'"
                                if link == "identity" else "not one of 'auto', 'log'"))
        return TweedieLoss(power)

    def _check_targets(self, y: np.ndarray, s: np.ndarray) -> None:
        check_tweedie_targets(y, s, check_power(self.power),
                              f"TweedieRegressorCV(power={check_power(self.power):g})")

    def __sklearn_tags__(self):
        tags = super(GLMRegressorCV, self).__sklearn_tags__()
        with contextlib.suppress(ValueError):  # an invalid power: refused at fit
            tags.target_tags.positive_only = check_power(self.power) >= 1.0
        return tags
