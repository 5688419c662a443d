"""Tweedie deviance of power p ∈ {0} ∪ [1, 2] with the log link μ = e^η.

The unit deviance (unhalved, so that ``λ = α`` of scikit-learn's ``TweedieRegressor`` exactly,
as for :mod:`ridgeline.losses.poisson`)::

    p = 0        (y − μ)²                                           normal, any real y
    p = 1        2 (y log(y/μ) − y + μ)                             Poisson, y ≥ 0
    1 < p < 2    2 (y^{2−p}/((1−p)(2−p)) − y μ^{1−p}/(1−p) + μ^{2−p}/(2−p))
                                                                    compound Poisson–gamma, y ≥ 0
    p = 2        2 (−log(y/μ) + (y − μ)/μ)                          gamma, y > 0

In η every power has ``ℓ' = 2μ^{1−p}(μ − y)`` and ``ℓ'' = 2μ^{1−p}((2−p)μ + (p−1)y)``, which
is non-negative for 1 ≤ p ≤ 2 and y ≥ 0: Newton's curvature is the true second derivative.
For p = 0 (non-canonical log link) ``ℓ'' = 2μ(2μ − y)`` is negative where y > 2μ; the
curvature :meth:`TweedieLoss.derivatives` returns there is ``max(ℓ'', μ²)`` — the true
second derivative wherever it is at least half the Fisher information ``2μ²`` (y ≤ 1.5μ),
else that half — so every Hessian is positive definite. The curvature only shapes the
steps: the solvers' line search and stopping rule use the exact loss and gradient, so the
fixed point is the exact optimum (the gradient is driven below ``tol``); near an optimum
whose rows fit within 1.5μ the steps are exact Newton steps.
"""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

#: Largest exponent before ``exp`` overflows float64 (a step is cut back rather than overflow).
_ETA_MAX = 700.0

#: Supported powers, in words (for error messages).
SUPPORTED_POWERS = "0 (normal) or a number in [1, 2] (1 Poisson, 2 gamma)"


def check_power(power) -> float:
    """The Tweedie power as a float, or a ValueError naming the supported ones."""
    try:
        p = float(power)
    except (TypeError, ValueError):
        raise ValueError(f"power must be {SUPPORTED_POWERS}, got {power!r}") from None
    if isinstance(power, bool) or not (p == 0.0 or 1.0 <= p <= 2.0):
        raise ValueError(f"power must be {SUPPORTED_POWERS}, got {power!r} (ridgeline does not "
                         "fit Tweedie powers in (0, 1), which have no distribution, nor "
                         "below 0 or above 2)")
    return p


class TweedieLoss:
    """Tweedie deviance of power ``power`` on the log-mean η (see the module docstring).

    Parameters
    ----------
    power : float
        0 or in [1, 2].
    """

    name = "tweedie"
    multi = False
    curvature_bound = None
    #: Exponents are capped here before ``exp`` (read by the compiled pass of
    #: :mod:`ridgeline.stats`).
    eta_max = _ETA_MAX

    def __init__(self, power: float = 0.0):
        self.power = check_power(power)

    def __repr__(self) -> str:
        return f"TweedieLoss(power={self.power!r})"

    def _powers(self, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(μ^{1−p}, μ^{2−p})`` with their exponents capped at :data:`_ETA_MAX`."""
        p = self.power
        return (np.exp(np.minimum((1.0 - p) * eta, _ETA_MAX)),
                np.exp(np.minimum((2.0 - p) * eta, _ETA_MAX)))

    def value(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """Per-sample deviance, shape (n,); zero where μ = y."""
        p = self.power
        a, b = self._powers(eta)  # μ^{1−p}, μ^{2−p}
        if p == 1.0:
            return 2.0 * (xlogy(y, y) - y * eta - y + b)
        if p == 2.0:
            return 2.0 * (eta - np.log(y) + y * a - 1.0)
        if p == 0.0:  # a = μ
            return (y - a) ** 2
        head = np.power(np.maximum(y, 0.0), 2.0 - p) / ((1.0 - p) * (2.0 - p))
        return 2.0 * (head - y * a / (1.0 - p) + b / (2.0 - p))

    def gradient(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """First derivative in η, shape (n,): ``2μ^{1−p}(μ − y)``."""
        a, b = self._powers(eta)
        return 2.0 * (b - y * a)

    def derivatives(self, y: np.ndarray, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(ℓ', c)`` in η, each (n,): c is ℓ'' (safeguarded for p = 0, module docstring)."""
        p = self.power
        a, b = self._powers(eta)
        curv = 2.0 * ((2.0 - p) * b - (1.0 - p) * y * a)
        if p < 1.0:
            curv = np.maximum(curv, b)
        return 2.0 * (b - y * a), curv

    def mean(self, eta: np.ndarray) -> np.ndarray:
        """Expected target μ = e^η."""
        return np.exp(np.minimum(eta, _ETA_MAX))

    def null_eta(self, y: np.ndarray, s: np.ndarray) -> float:
        """Best constant η: the log of the weighted mean target (ℓ' sums to zero there)."""
        m = float((s @ y) / s.sum())
        return float(np.log(max(m, 1e-300)))
