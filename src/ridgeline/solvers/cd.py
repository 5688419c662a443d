"""Coordinate descent with a duality-gap stop, working sets and gap-safe screening.

Objective (the squared-loss problem in the "halved" scale the solvers use)::

    (1/2n_w) Σ_i h_i (y_i - x̃_iᵀw)²  +  ½ Σ_j b_j w_j²  +  Σ_g a_g ‖w_g‖₂

(``a``, ``b`` from a penalty's ``coefficients(λ, scale=½)``; blocks of size one give the
elastic net). A solve stops only when the duality gap of
:mod:`ridgeline.solvers.cd_certificate` is at most ``gap_tol``, never because the coefficients
stopped moving.

Two engines:

* :func:`solve_gram` works on ``Q = X̃ᵀHX̃/n_w + B``, ``q = X̃ᵀHy/n_w`` (p×p): a coordinate costs
  O(p), independent of n, and the K training Grams of a cross-validation come from one pass
  (``G - G_k``). It also takes a full ``B`` (Tikhonov ``λ wᵀPw``).
* :func:`solve_blocks` works on the residual (O(nnz of a column) per coordinate), with working
  sets chosen by dual-constraint distance (Massias, Gramfort & Salmon (2018), "Celer: a fast
  solver for the lasso with dual extrapolation", ICML) and gap-safe screening; for large p,
  sparse X, and group lasso (block proximal steps).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline.solvers.cd_certificate import (
    Blocks,
    DualCandidate,
    certificate,
    extrapolation_weights,
    safe_to_discard,
)
from ridgeline.solvers.cd_design import CDDesign
from ridgeline.solvers.cd_kernels import gram_sweep


@dataclass
class CDFit:
    """Result of one coordinate-descent solve.

    Attributes
    ----------
    coef : ndarray of shape (p,)
    primal : float
        Objective value (halved scale, see module docstring).
    gap : float
        Duality gap at ``coef``: ``primal - optimum ≤ gap``.
    gap_tol : float
        The gap the solve was asked to reach.
    converged : bool
        ``gap ≤ gap_tol``.
    n_epochs : int
        Coordinate sweeps done (over the working set).
    n_screened : int
        Blocks discarded by the gap-safe test at the end.
    residual : ndarray (n,) or None
        ``y - X̃·coef`` (residual engine only), to warm-start the next solve.
    xtr : ndarray (p,) or None
        ``X̃ᵀH·residual/n_w`` (residual engine only): the next solve of a path starts from the
        same residual, so it need not pay for this full product again.
    """

    coef: np.ndarray
    primal: float
    gap: float
    gap_tol: float
    converged: bool
    n_epochs: int
    n_screened: int
    residual: np.ndarray | None = None
    xtr: np.ndarray | None = None


def _solve_psd(M: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``M⁺ r`` for a small symmetric PSD ``M``."""
    try:
        return np.linalg.solve(M, r)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(M, r, rcond=None)[0]


def solve_gram(Q: np.ndarray, q: np.ndarray, yy: float, a: np.ndarray, *, nonneg: bool = False,
               w0: np.ndarray | None = None, gap_tol: float, max_epochs: int = 10_000,
               screen: bool = True) -> CDFit:
    """Minimize ``yy/2 - qᵀw + ½wᵀQw + Σ a_j|w_j|`` (optionally ``w ≥ 0``).

    Parameters
    ----------
    Q : ndarray (p, p)
        ``X̃ᵀHX̃/n_w`` plus the ridge/Tikhonov part ``B`` (symmetric PSD, C-contiguous).
    q : ndarray (p,)
        ``X̃ᵀHy/n_w``.
    yy : float
        ``yᵀHy/n_w`` (only the gap needs it).
    a : ndarray (p,)
        L1 weights; coordinates with ``a_j = 0`` are minimized exactly as a block.
    gap_tol : float
        Stop when the duality gap is at most this.
    """
    p = q.size
    w = np.zeros(p) if w0 is None else np.array(w0, dtype=np.float64)
    Q = np.ascontiguousarray(Q, dtype=np.float64)
    Qw = Q @ w
    smooth = np.flatnonzero(a == 0)
    QSS = Q[np.ix_(smooth, smooth)]
    blocks = Blocks.singletons(p)
    L = np.diag(Q).copy()
    coords = np.arange(p, dtype=np.int64)
    screened = np.zeros(p, dtype=bool)
    cert, epochs = None, 0
    while True:
        if smooth.size:
            delta = _solve_psd(QSS, (q - Qw)[smooth])
            w[smooth] += delta
            Qw += Q[:, smooth] @ delta
        if epochs % 32 == 31:
            Qw = Q @ w
        F = 0.5 * yy - q @ w + 0.5 * (w @ Qw)
        cert = certificate(F, yy - q @ w, q - Qw, w, blocks, a, nonneg)
        if cert.gap <= gap_tol or epochs >= max_epochs:
            break
        if screen:
            drop = safe_to_discard(cert, L, a) & ~screened
            if drop.any():
                gone = np.flatnonzero(drop & (w != 0))
                if gone.size:
                    Qw -= Q[:, gone] @ w[gone]
                    w[gone] = 0.0
                screened |= drop
                coords = np.flatnonzero(~screened).astype(np.int64)
        gram_sweep(Q, q, w, Qw, a, nonneg, coords)
        epochs += 1
    return CDFit(w, cert.primal, cert.gap, gap_tol, cert.gap <= gap_tol, epochs,
                 int(screened.sum()))


class _Residual:
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


def solve_blocks(design: CDDesign, y: np.ndarray, blocks: Blocks, a: np.ndarray, b: np.ndarray,
                 *, nonneg: bool = False, w0: np.ndarray | None = None, gap_tol: float,
                 max_epochs: int = 10_000, screen: bool = True, ws_start: int = 10,
                 R0: np.ndarray | None = None, xtr0: np.ndarray | None = None) -> CDFit:
    """Minimize ``(1/2n_w)‖y - X̃w‖²_H + ½Σ b_j w_j² + Σ_g a_g‖w_g‖`` by block CD.

    Parameters
    ----------
    design : CDDesign
        ``X̃`` with row weights ``h``; ``y`` must be h-weighted centered when the design is.
    y : ndarray (n,)
    blocks : Blocks
        Singletons for the (elastic-net) lasso, groups for the group lasso.
    a : ndarray (n_blocks,)
        Block weights (0: unpenalized, minimized exactly by a small linear solve).
    b : ndarray (p,)
        Ridge weights per feature.
    gap_tol : float
        Stop when the duality gap is at most this.
    screen : bool
        Apply gap-safe screening (``False`` for the checks that screening changes nothing).
    R0 : ndarray (n,), optional
        ``y - X̃w0`` when the caller has it (a path passes the previous solve's residual).
    xtr0 : ndarray (p,), optional
        ``X̃ᵀH·R0/n_w`` with it (the previous solve's ``xtr``): saves the first full product.
    """
    p, n_w = design.n_features, design.n_w
    w = np.zeros(p) if w0 is None else np.array(w0, dtype=np.float64)
    state = _Residual(design, y, w, R0)
    bmax = np.maximum.reduceat(b[blocks.idx], blocks.ptr[:-1]) if p else b
    L = design.block_lipschitz(blocks.idx, blocks.ptr) / n_w + bmax
    smooth = blocks.columns(np.flatnonzero(a == 0))
    M = _smooth_block(design, smooth, b)
    buf = np.empty(int(np.diff(blocks.ptr).max(initial=1)))
    screened = np.zeros(blocks.n_blocks, dtype=bool)
    ws_size, epochs = max(ws_start, 2 * _n_active(w, blocks)), 0
    raw = xtr0 if R0 is not None else None
    acc = None  # the last inner solve's extrapolated (residual, coefficients)
    extrapolating = smooth.size == 0  # an extrapolated point is not exact on free columns
    while True:
        v = _exact_smooth(state, w, b, smooth, M, raw)
        raw = None
        cert = _cert(state, y, w, b, v, blocks, a, nonneg)
        if cert.gap > gap_tol and acc is not None:
            cert = _cert(state, y, w, b, v, blocks, a, nonneg,
                         extra=_candidate(state, y, b, *acc))
        if cert.gap <= gap_tol or epochs >= max_epochs:
            break
        if screen:
            screened |= _discard(state, w, blocks, safe_to_discard(cert, L, a) & ~screened)
        ws = _working_set(cert, w, blocks, a, L, screened, ws_size)
        done, acc = _inner(state, y, w, b, blocks, a, L, nonneg, ws, buf, 0.3 * cert.gap,
                           max_epochs - epochs, extrapolating)
        epochs += done
        ws_size = min(blocks.n_blocks, 2 * max(ws_size, _n_active(w, blocks)))
    return CDFit(w, cert.primal, cert.gap, gap_tol, cert.gap <= gap_tol, epochs,
                 int(screened.sum()), state.settle(), v + b * w)


def _n_active(w: np.ndarray, blocks: Blocks) -> int:
    return int(np.count_nonzero(blocks.norms(w)))


def _smooth_block(design: CDDesign, cols: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """``X̂ᵀX̂[:, cols]/n_w`` (p × k) for the unpenalized columns, or None."""
    if cols.size == 0:
        return None
    XS = design.columns(cols)
    M = np.column_stack([design.rmatvec(XS[:, t]) for t in range(cols.size)]) / design.n_w
    M[cols, np.arange(cols.size)] += b[cols]
    return M


def _exact_smooth(state: _Residual, w, b, cols, M, raw=None) -> np.ndarray:
    """Minimize exactly over the unpenalized columns; return ``v = X̂ᵀR̂/n_w``.

    ``raw`` is ``X̃ᵀHR/n_w`` at the current residual when the caller already has it.
    """
    design = state.design
    R = state.settle()
    v = (design.rmatvec(R) / design.n_w if raw is None else np.array(raw)) - b * w
    if M is not None:
        delta = _solve_psd(M[cols], v[cols])
        w[cols] += delta
        state.move(cols, delta)
        state.settle()
        v -= M @ delta
    return v


def _cert(state: _Residual, y, w, b, v, blocks, a, nonneg, among=None, extra=None):
    h, n_w = state.design.h, state.design.n_w
    R = state.R
    hR = h * R
    F = 0.5 * (hR @ R) / n_w + 0.5 * (b @ (w * w))
    return certificate(F, (hR @ y) / n_w, v, w, blocks, a, nonneg, among, extra)


def _candidate(state: _Residual, y, b, r, w, cols=None, dots=None) -> DualCandidate:
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


def _discard(state: _Residual, w, blocks: Blocks, drop: np.ndarray) -> np.ndarray:
    """Zero the blocks in ``drop`` (moving the residual); return ``drop``."""
    cols = blocks.columns(np.flatnonzero(drop))
    cols = cols[w[cols] != 0]
    if cols.size:
        state.move(cols, -w[cols])
        w[cols] = 0.0
        state.settle()
    return drop


def _working_set(cert, w, blocks: Blocks, a, L, screened, size: int) -> np.ndarray:
    """The ``size`` blocks closest to violating their dual constraint, plus all active ones."""
    priority = (a - cert.scale * cert.violation) / np.sqrt(np.maximum(L, 1e-300))
    priority[blocks.norms(w) > 0] = -np.inf
    priority[a == 0] = -np.inf
    priority[screened] = np.inf
    size = min(size, int(np.count_nonzero(~screened)))
    if size >= priority.size:
        ws = np.flatnonzero(~screened)
    else:
        ws = np.argpartition(priority, size - 1)[:size]
        ws = ws[~screened[ws]]
    return np.sort(ws).astype(np.int64)


#: iterates kept for dual extrapolation (K + 1 with K = 5, as in the Celer paper)
_HISTORY = 6


def _inner(state: _Residual, y, w, b, blocks: Blocks, a, L, nonneg, ws, buf, target: float,
           budget: int, extrapolating: bool):
    """Sweep the working set until its own gap is below ``target``.

    Returns the sweeps done and the last extrapolated ``(residual, coefficients)`` (or None),
    which the outer loop may use as a better dual point for the whole problem.
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
        state.settle()
        state.dots(state.D, state.R, cols, dots)
        extra = None
        if extrapolating:
            history = [*history, np.concatenate([state.R, w[cols]])][-_HISTORY:]
            acc = _extrapolated(history, weight, w, cols) if len(history) == _HISTORY else None
            if acc is not None:
                acc_dots = np.empty(cols.size)
                state.dots(state.D, acc[0], cols, acc_dots)
                extra = _candidate(state, y, b, *acc, cols=cols, dots=acc_dots)
        v = np.zeros_like(w)
        v[cols] = dots / design.n_w - b[cols] * w[cols]
        if _cert(state, y, w, b, v, blocks, a, nonneg, among=ws, extra=extra).gap <= target:
            break
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
