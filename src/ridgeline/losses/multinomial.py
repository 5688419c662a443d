"""Multinomial (softmax) log loss ``ℓ(Y, η) = logsumexp(η) − Σ_k Y_k η_k`` for one-hot Y.

The per-sample Hessian in η is the K×K block ``diag(p) − p pᵀ`` with p = softmax(η); it is
never formed for all samples at once: solvers use :meth:`MultinomialLoss.hessian_times`.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp, softmax


class MultinomialLoss:
    """Softmax cross-entropy on the K class scores η (n, K), with one-hot targets Y (n, K)."""

    name = "multinomial"
    multi = True
    curvature_bound = 0.5

    @staticmethod
    def value(Y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """Per-sample loss: η (..., K) and Y broadcastable to it; shape (...)."""
        return logsumexp(eta, axis=-1) - np.sum(Y * eta, axis=-1)

    @staticmethod
    def gradient(Y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """First derivative in η, shape (..., K): ``p − Y``."""
        return softmax(eta, axis=-1) - Y

    @staticmethod
    def derivatives(Y: np.ndarray, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(ℓ', p)``: the gradient (..., K) and the probabilities (..., K) that define ℓ''."""
        p = softmax(eta, axis=-1)
        return p - Y, p

    @staticmethod
    def hessian_times(p: np.ndarray, V: np.ndarray) -> np.ndarray:
        """Row-wise ``(diag(p_i) − p_i p_iᵀ) v_i`` for V of shape (..., K)."""
        return p * (V - np.sum(p * V, axis=-1, keepdims=True))

    @staticmethod
    def hessian_blocks(p: np.ndarray) -> np.ndarray:
        """Per-sample Hessian blocks, shape (n, K, K) (small n·K² only)."""
        return np.einsum("ik,kl->ikl", p, np.eye(p.shape[1])) - p[:, :, None] * p[:, None, :]

    @staticmethod
    def mean(eta: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (..., K)."""
        return softmax(eta, axis=-1)

    @staticmethod
    def null_eta(Y: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Best constant scores: log class frequencies, centered to sum to zero."""
        f = np.clip((s @ Y) / s.sum(), 1e-12, None)
        eta = np.log(f)
        return eta - eta.mean()
