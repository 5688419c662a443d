"""Poisson deviance ``ℓ(y, η) = 2 (y log(y/μ) − y + μ)`` with μ = e^η (log link).

With this (unhalved) deviance the canonical objective ``(1/n)Σ ℓ + λ‖w‖²`` is twice
scikit-learn's ``PoissonRegressor`` objective ``(1/2n)Σ dev + (α/2)‖w‖²``, so ``λ = α`` exactly.
"""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

#: Largest η before e^η overflows float64 (a step is cut back rather than overflow).
_ETA_MAX = 700.0


class PoissonLoss:
    """Poisson deviance on the log-mean η: ``ℓ' = 2(μ − y)``, ``ℓ'' = 2μ``."""

    name = "poisson"
    multi = False
    curvature_bound = None
    #: η is capped here before ``exp`` (read by the compiled pass of :mod:`ridgeline.stats`).
    eta_max = _ETA_MAX

    @staticmethod
    def value(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """Per-sample deviance, shape (n,); zero where μ = y."""
        mu = np.exp(np.minimum(eta, _ETA_MAX))
        return 2.0 * (xlogy(y, y) - y * eta - y + mu)

    @staticmethod
    def gradient(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """First derivative in η, shape (n,)."""
        return 2.0 * (np.exp(np.minimum(eta, _ETA_MAX)) - y)

    @staticmethod
    def derivatives(y: np.ndarray, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(ℓ', ℓ'')`` in η, each of shape (n,)."""
        mu = np.exp(np.minimum(eta, _ETA_MAX))
        return 2.0 * (mu - y), 2.0 * mu

    @staticmethod
    def mean(eta: np.ndarray) -> np.ndarray:
        """Expected count μ = e^η."""
        return np.exp(np.minimum(eta, _ETA_MAX))

    @staticmethod
    def null_eta(y: np.ndarray, s: np.ndarray) -> float:
        """Best constant η: the log of the weighted mean count."""
        m = float((s @ y) / s.sum())
        return float(np.log(max(m, 1e-12)))
