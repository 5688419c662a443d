"""Gamma deviance ``ℓ(y, η) = 2 (−log(y/μ) + (y − μ)/μ)`` with μ = e^η (log link), y > 0.

With this (unhalved) deviance the canonical objective ``(1/n)Σ ℓ + λ‖w‖²`` is twice
scikit-learn's ``GammaRegressor`` objective ``(1/2n)Σ dev + (α/2)‖w‖²``, so ``λ = α`` exactly.

In η the deviance is ``2(η − log y + y e^{−η} − 1)``: ``ℓ' = 2(1 − y/μ)`` and
``ℓ'' = 2y/μ > 0`` (convex in η, so Newton's curvature is the true second derivative).
"""

from __future__ import annotations

import numpy as np

#: Largest −η before e^{−η} overflows float64 (the term is capped there; the line search
#: rejects such points, whose loss is ~1e304 per row).
_ETA_MAX = 700.0


class GammaLoss:
    """Gamma deviance on the log-mean η: ``ℓ' = 2(1 − y/μ)``, ``ℓ'' = 2y/μ``."""

    name = "gamma"
    multi = False
    curvature_bound = None
    #: −η is capped here before ``exp(−η)`` (read by the compiled pass of
    #: :mod:`ridgeline.stats`, where it bounds |η| in every exponential).
    eta_max = _ETA_MAX
    #: The Tweedie power of this deviance (the compiled pass's parameter).
    power = 2.0

    @staticmethod
    def value(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """Per-sample deviance, shape (n,); zero where μ = y (y > 0)."""
        r = y * np.exp(-np.maximum(eta, -_ETA_MAX))  # y/μ
        return 2.0 * (eta - np.log(y) + r - 1.0)

    @staticmethod
    def gradient(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """First derivative in η, shape (n,)."""
        return 2.0 * (1.0 - y * np.exp(-np.maximum(eta, -_ETA_MAX)))

    @staticmethod
    def derivatives(y: np.ndarray, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(ℓ', ℓ'')`` in η, each of shape (n,)."""
        r = y * np.exp(-np.maximum(eta, -_ETA_MAX))
        return 2.0 * (1.0 - r), 2.0 * r

    @staticmethod
    def mean(eta: np.ndarray) -> np.ndarray:
        """Expected target μ = e^η."""
        return np.exp(np.minimum(eta, _ETA_MAX))

    @staticmethod
    def null_eta(y: np.ndarray, s: np.ndarray) -> float:
        """Best constant η: the log of the weighted mean target (ℓ' sums to zero there)."""
        m = float((s @ y) / s.sum())
        return float(np.log(max(m, 1e-300)))
