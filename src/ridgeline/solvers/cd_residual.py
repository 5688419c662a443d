"""The residual state of block coordinate descent and its working-set inner solve.

Used by :func:`ridgeline.solvers.cd.solve_blocks`: :class:`Residual` keeps ``R = y - X̃w``
(with a pending scalar shift, see :mod:`ridgeline.solvers.cd_kernels`); :func:`inner` sweeps a
working set until the gap of the sub-problem restricted to it is small, with dual
extrapolation (Massias, Gramfort & Salmon (2018), "Celer: a fast solver for the lasso with dual
extrapolation", ICML) and, for singletons, support steps (:mod:`ridgeline.solvers.cd_support`)
whenever the sweeps since the last one cost more than one (:class:`SupportTrigger`).
"""

from __future__ import annotations

import numpy as np

from ridgeline.solvers.cd_certificate import (
    Blocks,
    DualCandidate,
    certificate,
    extrapolation_weights,
)
from ridgeline.solvers.cd_design import CDDesign
from ridgeline.solvers.cd_support import SupportTrigger


class Residual:
    """The residual state of :func:`solve_blocks`: ``R`` (true residual) and its design."""

    def __init__(self, design: CDDesign, y: np.ndarray, w: np.ndarray, R0=None):
        self.design = design
        self.D, (self.sweep, self.dots, self.axpy) = design.kernel()
        design.shift[0] = 0.0
        if R0 is not None:
            self.R = np.array(R0, dtype=np.float64)
        else:
            self.R = y - design.matvec(w) if np.any(w) else y.copy()

    def settle(self) -> np.ndarray:
        """Fold the pending scalar shift into ``R`` and return it."""
        shift = self.design.shift
        if shift[0] != 0.0:
            self.R += shift[0]
            shift[0] = 0.0
        return self.R

    def move(self, cols: np.ndarray, coefs: np.ndarray) -> None:
        """``R -= X̃[:, cols] @ coefs``."""
        self.axpy(self.D, self.R, cols.astype(np.int64), np.ascontiguousarray(coefs))


def certify(state: Residual, y, w, b, v, blocks, a, nonneg, among=None, extra=None):
    h, n_w = state.design.h, state.design.n_w
    R = state.R
    hR = h * R
    F = 0.5 * (hR @ R) / n_w + 0.5 * (b @ (w * w))
    return certificate(F, (hR @ y) / n_w, v, w, blocks, a, nonneg, among, extra)


def candidate(state: Residual, y, b, r, w, cols=None, dots=None) -> DualCandidate:
    """The dual candidate of the augmented residual ``(r, -√(n_w b)∘w)``.

    ``v`` is computed over ``cols`` from their ``dots`` (``X̃ᵀHr``) when given, else over all
    columns (one full product).
    """
    design = state.design
    h, n_w = design.h, design.n_w
    hr = h * r
    if cols is None:
        v = design.rmatvec(r) / n_w - b * w
    else:
        v = np.zeros_like(w)
        v[cols] = dots / n_w - b[cols] * w[cols]
    F = 0.5 * (hr @ r) / n_w + 0.5 * (b @ (w * w))
    return DualCandidate((hr @ y) / n_w, F, v)


#: iterates kept for dual extrapolation (K + 1 with K = 5, as in the Celer paper)
_HISTORY = 6


def inner(state: Residual, y, w, b, blocks: Blocks, a, L, nonneg, ws, buf, target: float,
          budget: int, extrapolating: bool, trigger: SupportTrigger):
    """Sweep the working set until its own gap is below ``target``.

    Returns the sweeps done and the last extrapolated ``(residual, coefficients)`` (or None),
    which the outer loop may use as a better dual point for the whole problem. ``trigger``
    decides when a support step is tried in between.
    """
    design = state.design
    cols = blocks.columns(ws).astype(np.int64)
    dots = np.empty(cols.size)
    weight = np.concatenate([np.sqrt(design.h), np.sqrt(design.n_w * b[cols])])
    history: list[np.ndarray] = []
    acc = None
    done = 0
    every = 2
    while done < budget:
        for _ in range(min(every, budget - done)):
            state.sweep(state.D, state.R, w, blocks.idx, blocks.ptr, L, a, b, design.n_w,
                        nonneg, ws, buf)
            done += 1
            trigger.spent(2.0 * y.size * cols.size)
        state.settle()
        state.dots(state.D, state.R, cols, dots)
        extra = None
        if extrapolating:
            history = [*history, np.concatenate([state.R, w[cols]])][-_HISTORY:]
            acc = _extrapolated(history, weight, w, cols) if len(history) == _HISTORY else None
            if acc is not None:
                acc_dots = np.empty(cols.size)
                state.dots(state.D, acc[0], cols, acc_dots)
                extra = candidate(state, y, b, *acc, cols=cols, dots=acc_dots)
        v = np.zeros_like(w)
        v[cols] = dots / design.n_w - b[cols] * w[cols]
        cert = certify(state, y, w, b, v, blocks, a, nonneg, among=ws, extra=extra)
        if cert.gap <= target:
            break
        if done < budget and trigger.step(state, y, w, b, nonneg, cert.primal):
            history, acc, done = [], None, done + 1  # a support step counts as a sweep
        every = min(2 * every, 10)
    return done, acc


def _extrapolated(history, weight, w, cols):
    """``(r, w)`` extrapolated from the last iterates ``[R; w_cols]`` (rows of ``history``)."""
    H = np.asarray(history)
    c = extrapolation_weights(H * weight)
    if c is None:
        return None
    comb = c @ H[1:]
    n = comb.size - cols.size
    w_acc = w.copy()
    w_acc[cols] = comb[n:]
    return comb[:n], w_acc
