"""The initial inverse Hessian of the L-BFGS solver: the penalty exactly, the data term scaled.

For one model with parameters ``x = [W; b]`` of shape (p + 1, m) (the last row is the
intercept; m = 1 for binary/Poisson, m = C for the softmax), the Hessian's penalty part
``2λP`` is known exactly (P: identity on W, 0 on b) and the data term's is modelled as
``c V`` column by column: ``c`` the mean loss curvature ℓ'' (what the curvature pairs
estimate) and ``V`` the second moments of the features with their correlations dropped.
With an intercept, in the centered coordinates ``(w, b + x̄ᵀw)`` — where the intercept
decouples from ``w`` — ``V = diag(σ², 1)`` and ``T`` maps back:
``H0(c) = T diag(1/(cσ² + 2λ), 1/c) Tᵀ``. Without one, ``V = diag(σ²) + x̄x̄ᵀ`` and the
inverse is Sherman–Morrison's. Without feature moments ``x̄ = 0, σ = 1``.

Measured on 48 binomial/Poisson problems (p < n and p > n, standard and badly scaled/offset
features, λ from 1e-4 to 1, with and without intercept, tol 1e-10): without moments this
``H0`` costs what the textbook ``γI`` (``γ = sᵀy / yᵀy``) costs; with moments it takes
0.58–0.65× the passes overall and 5–10× fewer on offset, unevenly scaled features with an
intercept (e.g. Poisson n=1000, p=30, λ=1e-2: 348 → 34 passes), where ``γI`` cannot undo the
intercept's coupling.
"""

from __future__ import annotations

import numpy as np

from ridgeline.solvers.secants import PAIR_EPS, CurvaturePairs


class Metric:
    """``H0(c) = (c V + 2λP)⁻¹`` of one model (module docstring), on (p + 1, m) blocks."""

    def __init__(self, lam: float, mean: np.ndarray, scale: np.ndarray, fit_intercept: bool):
        self.pen = 2.0 * lam
        self.center = fit_intercept  # T ≠ I
        self.m = mean[:, None] if np.any(mean) else None
        self.v = np.append(scale * scale, 1.0 if fit_intercept else 0.0)[:, None]
        self.v_inv = np.divide(1.0, self.v, out=np.zeros_like(self.v), where=self.v > 0)

    def _to_centered(self, s: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(T⁻¹s, Tᵀy)``."""
        s, y = s.copy(), y.copy()
        if self.center and self.m is not None:
            s[-1] += np.sum(self.m * s[:-1], axis=0)
            y[:-1] -= self.m * y[-1]
        return s, y

    def _rank_one(self, r: np.ndarray, d_inv: np.ndarray, c: float) -> None:
        """``r ← (D + c x̄x̄ᵀ)⁻¹ D r`` on ``w`` in place (Sherman–Morrison), ``d_inv = D⁻¹``."""
        if self.center or self.m is None:
            return
        dm = d_inv * self.m
        r[:-1] -= dm * (c * np.sum(self.m * r[:-1], axis=0)
                        / (1.0 + c * np.sum(self.m * dm, axis=0)))

    def apply(self, q: np.ndarray, c: float) -> np.ndarray:
        """``H0(c) q`` for a flat vector q of the (p + 1, m) block."""
        Q = q.reshape(self.v.shape[0], -1)
        r = Q.copy()
        if self.center and self.m is not None:  # Tᵀq
            r[:-1] -= self.m * Q[-1]
        den = c * self.v
        den[:-1] += self.pen
        d_inv = 1.0 / np.where(den > 0, den, c)
        r *= d_inv
        self._rank_one(r, d_inv[:-1], c)
        if self.center and self.m is not None:  # T r
            r[-1] -= np.sum(self.m * r[:-1], axis=0)
        return r.ravel()

    def curvature(self, s: np.ndarray, y: np.ndarray) -> float | None:
        """``c`` of a pair: ``ỹᵀV⁻¹ỹ / sᵀỹ`` in centered coordinates, ``ỹ = y − 2λPs`` the data
        term's gradient change (Nocedal & Wright eq. 7.20 in the metric V; coordinates with
        ``σ = 0`` left out of ``V⁻¹``); None when ``ỹ`` shows no curvature along s."""
        shape = (self.v.shape[0], -1)
        sc, yd = self._to_centered(s.reshape(shape), y.reshape(shape))
        yd[:-1] -= self.pen * sc[:-1]
        sy = float(np.sum(sc * yd))
        z = self.v_inv * yd
        self._rank_one(z, self.v_inv[:-1], 1.0)
        yy = float(np.sum(yd * z))
        if not (sy > PAIR_EPS * np.linalg.norm(sc) * np.linalg.norm(yd) and yy > 0):
            return None
        return yy / sy


class Memory(CurvaturePairs):
    """The newest ``m`` curvature pairs of one model and the scale ``c`` of its ``H0``."""

    def __init__(self, memory: int, metric: Metric, c: float):
        super().__init__(memory)
        self.metric = metric
        self.c = c

    def push(self, s: np.ndarray, y: np.ndarray) -> bool:
        """Store the pair (see :meth:`CurvaturePairs.push`) and re-estimate ``c`` from it."""
        if not super().push(s, y):
            return False
        c = self.metric.curvature(s, y)
        if c is not None:
            self.c = c
        return True

    def direction(self, g: np.ndarray) -> np.ndarray:
        """``−H ∇f`` by the two-loop recursion from ``H0(c)``."""
        return super().direction(g, lambda q: self.metric.apply(q, self.c))


def feature_moments(x_mean, x_scale, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Checked ``(mean, scale)`` (p,) of the features, default ``(0, 1)``."""
    mean = np.zeros(p) if x_mean is None else np.asarray(x_mean, dtype=np.float64)
    scale = np.ones(p) if x_scale is None else np.asarray(x_scale, dtype=np.float64)
    if mean.shape != (p,) or scale.shape != (p,):
        raise ValueError(f"x_mean and x_scale must have shape ({p},), got {mean.shape} and "
                         f"{scale.shape}")
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale))) or np.any(scale < 0):
        raise ValueError("x_mean and x_scale must be finite and x_scale non-negative")
    return mean, scale
