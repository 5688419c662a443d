"""Binary log loss ``ℓ(y, η) = log(1 + e^η) − y η`` for y ∈ {0, 1} (natural logarithm)."""

from __future__ import annotations

import numpy as np
from scipy.special import expit


class BinomialLoss:
    """Binary logistic loss on the log-odds η.

    ``ℓ'(η) = σ(η) − y`` and ``ℓ''(η) = σ(η)(1 − σ(η))`` with σ the logistic function. Written to
    stay finite for any η (no overflow of ``e^η``).
    """

    name = "binomial"
    multi = False
    #: ℓ'' ≤ this bound for every η (used to scale automatic λ grids).
    curvature_bound = 0.25

    @staticmethod
    def value(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """Per-sample loss, shape (n,)."""
        # log(1 + e^η) computed as max(η, 0) + log1p(e^{-|η|})
        return np.maximum(eta, 0.0) + np.log1p(np.exp(-np.abs(eta))) - y * eta

    @staticmethod
    def gradient(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """First derivative in η, shape (n,)."""
        return expit(eta) - y

    @staticmethod
    def derivatives(y: np.ndarray, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(ℓ', ℓ'')`` in η, each of shape (n,)."""
        p = expit(eta)
        return p - y, p * (1.0 - p)

    @staticmethod
    def mean(eta: np.ndarray) -> np.ndarray:
        """Probability of the positive class."""
        return expit(eta)

    @staticmethod
    def null_eta(y: np.ndarray, s: np.ndarray) -> float:
        """Best constant η (the intercept-only model): the weighted log-odds of y."""
        m = float(np.clip((s @ y) / s.sum(), 1e-12, 1 - 1e-12))
        return float(np.log(m / (1.0 - m)))
