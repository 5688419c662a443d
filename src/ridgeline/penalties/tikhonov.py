"""Tikhonov (generalized ridge) penalty ``P(w) = wᵀPw`` with ``P`` symmetric PSD."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline._lapack import eigvalsh, solve


def check_psd(P, n_features: int, name: str = "penalty_matrix") -> np.ndarray:
    """A symmetric positive semi-definite ``(n_features, n_features)`` float64 matrix."""
    M = np.asarray(P, dtype=np.float64)
    if M.shape != (n_features, n_features):
        raise ValueError(f"{name} must have shape ({n_features}, {n_features}), got {M.shape}")
    if not np.all(np.isfinite(M)):
        raise ValueError(f"{name} contains NaN or inf")
    scale = max(float(np.abs(M).max()), np.finfo(float).tiny)
    asym = float(np.abs(M - M.T).max())
    if asym > 1e-10 * scale:
        raise ValueError(f"{name} must be symmetric: max |P - Pᵀ| = {asym:.3g}")
    M = 0.5 * (M + M.T)
    e_min = float(eigvalsh(M, f"the penalty matrix {name}")[0])
    if e_min < -1e-10 * scale * n_features:
        raise ValueError(f"{name} must be positive semi-definite: smallest eigenvalue "
                         f"{e_min:.3g}")
    return M


@dataclass(frozen=True)
class TikhonovPenalty:
    """``P(w) = wᵀ M w``; per-feature L2 weights are the diagonal case ``M = diag(f)``.

    Quadratic, so it has no λ_max (no finite λ zeroes the coefficients) and it combines with
    squared loss through the Gram matrix (``XᵀX/n + λM``) at no extra cost.
    """

    matrix: np.ndarray

    @classmethod
    def make(cls, P, n_features: int) -> TikhonovPenalty:
        return cls(check_psd(P, n_features))

    @classmethod
    def diagonal(cls, weights) -> TikhonovPenalty:
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1 or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError("per-feature L2 weights must be a 1-d array of finite values ≥ 0")
        return cls(np.diag(w))

    def value(self, w: np.ndarray) -> float:
        w = np.asarray(w, dtype=np.float64)
        return float(w @ self.matrix @ w)

    def gradient(self, w: np.ndarray) -> np.ndarray:
        return 2.0 * self.matrix @ np.asarray(w, dtype=np.float64)

    def prox(self, v: np.ndarray, step: float) -> np.ndarray:
        """``argmin_w ½‖w - v‖² + step·wᵀMw = (I + 2·step·M)⁻¹ v``."""
        A = np.eye(self.matrix.shape[0]) + 2.0 * step * self.matrix
        return solve(A, np.asarray(v, dtype=np.float64), "the penalty's proximal system")

    def subdiff_distance(self, w: np.ndarray, grad: np.ndarray, lam: float) -> np.ndarray:
        return np.abs(np.asarray(grad) + lam * self.gradient(w))

    def lambda_max(self, grad0: np.ndarray) -> float:
        """``inf`` unless the gradient at 0 vanishes on the range of M: a quadratic never zeroes."""
        g = np.asarray(grad0, dtype=np.float64)
        return 0.0 if not np.any(g) else np.inf
