"""Duality gaps and gap-safe screening for ``F(w) + Σ_g a_g‖w_g‖₂`` with a squared-loss ``F``.

The smooth part is ``F(w) = (1/2n_w)‖R‖²_H + ½ Σ_j b_j w_j² = ‖R̂‖²/(2n_w)``, the squared
residual of the *augmented* least-squares problem ``X̂ = [X̃; diag(√(n_w b))]``,
``ŷ = [y; 0]``. Every elastic-net (and Tikhonov) problem is therefore a (group) lasso on
``(X̂, ŷ)``, whose dual is

    D(θ) = θᵀŷ/… :  D(s) = s·R̂ᵀŷ/n_w - s²·F(w)     for  θ = s·R̂/n_w,

feasible when ``s·‖X̂_gᵀR̂‖/n_w ≤ a_g`` for every block (and ``= 0`` where ``a_g = 0``; those
unpenalized blocks are minimized exactly before the gap is taken). With
``v = X̂ᵀR̂/n_w = X̃ᵀHR/n_w - b∘w`` the largest feasible ``s ≤ 1`` is a ratio of norms.

The dual is ``n_w``-strongly concave, so the optimal dual point lies within
``√(2·gap/n_w)`` of θ; a block with ``s‖v_g‖ + √(2·gap·L_g) < a_g`` (``L_g`` the largest
eigenvalue of ``X̂_gᵀX̂_g/n_w``) is zero at the optimum: the gap-safe rule of Fercoq, Gramfort &
Salmon (2015), "Mind the duality gap: safer rules for the lasso", ICML; Ndiaye et al. (2017),
"Gap safe screening rules for sparsity enforcing penalties", JMLR 18.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Blocks:
    """A partition of the features: block g is ``idx[ptr[g]:ptr[g+1]]``."""

    idx: np.ndarray
    ptr: np.ndarray

    @classmethod
    def singletons(cls, p: int) -> Blocks:
        return cls(np.arange(p, dtype=np.int64), np.arange(p + 1, dtype=np.int64))

    @property
    def n_blocks(self) -> int:
        return self.ptr.size - 1

    @property
    def trivial(self) -> bool:
        return self.idx.size == self.n_blocks

    def norms(self, x: np.ndarray, nonneg: bool = False) -> np.ndarray:
        """``‖x_g‖`` per block (``max(x_g, 0)`` for singletons under ``nonneg``)."""
        if self.trivial:
            xs = x[self.idx]
            return np.maximum(xs, 0.0) if nonneg else np.abs(xs)
        sq = np.add.reduceat(x[self.idx] ** 2, self.ptr[:-1])
        return np.sqrt(sq)

    def columns(self, blocks: np.ndarray) -> np.ndarray:
        if self.trivial:
            return self.idx[blocks]
        if len(blocks) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([self.idx[self.ptr[g]:self.ptr[g + 1]] for g in blocks])


@dataclass(frozen=True)
class Certificate:
    """The primal value, the dual value and their gap at one point."""

    primal: float
    dual: float
    scale: float
    violation: np.ndarray

    @property
    def gap(self) -> float:
        return max(self.primal - self.dual, 0.0)


def certificate(F: float, ry: float, v: np.ndarray, w: np.ndarray, blocks: Blocks,
                a: np.ndarray, nonneg: bool, among: np.ndarray | None = None,
                extra: DualCandidate | None = None) -> Certificate:
    """Primal/dual values at ``w`` from the smooth value ``F``, ``ry = R̂ᵀŷ/n_w`` and ``v``.

    The dual point is the rescaled residual ``s·R̂/n_w``, or ``extra`` (an extrapolated
    residual, see :func:`extrapolate`) when that gives the larger dual value. ``among``
    restricts dual feasibility to some blocks (the gap of the sub-problem in which the other
    blocks are held at zero).
    """
    primal = F + float(a @ blocks.norms(w))
    pen = a > 0
    if among is not None:
        mask = np.zeros_like(pen)
        mask[among] = True
        pen &= mask
    dual, s, viol = _dual(ry, F, v, blocks, a, pen, nonneg)
    if extra is not None:
        cand = _dual(extra.ry, extra.F, extra.v, blocks, a, pen, nonneg)
        if cand[0] > dual:
            dual, s, viol = cand
    return Certificate(primal, dual, s, viol)


@dataclass(frozen=True)
class DualCandidate:
    """Another residual ``R̂'`` for the dual point: ``ry = R̂'ᵀŷ/n_w``, ``F = ‖R̂'‖²/(2n_w)``,
    ``v = X̂ᵀR̂'/n_w`` (over the blocks the certificate looks at)."""

    ry: float
    F: float
    v: np.ndarray


def _dual(ry: float, F: float, v: np.ndarray, blocks: Blocks, a: np.ndarray, pen: np.ndarray,
          nonneg: bool) -> tuple[float, float, np.ndarray]:
    """Dual value, scale and constraint values of the largest feasible ``s·R̂/n_w``, ``s ≤ 1``."""
    viol = blocks.norms(v, nonneg)
    ratio = float(np.max(viol[pen] / a[pen])) if np.any(pen) else 0.0
    s = 1.0 if ratio <= 1.0 else 1.0 / ratio
    return s * ry - s * s * F, s, viol


def extrapolation_weights(history: np.ndarray) -> np.ndarray | None:
    """Weights ``c`` (K,) of the extrapolated limit ``Σ_k c_k r_{k+1}`` of iterates ``r_0..r_K``.

    ``history`` holds the iterates as rows (K+1, m), in the metric of the dual. ``c`` solves
    ``min ‖Σ_k c_k (r_{k+1} - r_k)‖`` subject to ``Σc = 1``. Coordinate-descent residuals follow
    a vector autoregression near the optimum, so the combination is much closer to the optimal
    residual than the last iterate: the dual extrapolation of Massias, Gramfort & Salmon
    (2018), "Celer: a fast solver for the lasso with dual extrapolation", ICML. ``None`` when
    the system is singular.
    """
    U = np.diff(history, axis=0)
    UU = U @ U.T
    try:
        z = np.linalg.solve(UU, np.ones(UU.shape[0]))
    except np.linalg.LinAlgError:
        return None
    total = z.sum()
    if not np.all(np.isfinite(z)) or total == 0.0:
        return None
    return z / total


def safe_to_discard(cert: Certificate, L: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Blocks that the gap-safe sphere test proves are zero at the optimum."""
    radius = np.sqrt(2.0 * cert.gap * L)
    return (a > 0) & (cert.scale * cert.violation + radius < a)
