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
  (``G - G_k``). It also takes a full ``B`` (Tikhonov ``λ wᵀPw``). The whole solve — sweeps,
  gap, screening, support steps — is one compiled call (:mod:`ridgeline.solvers.cd_gram`; a
  path is one call too, :meth:`ridgeline.solvers.ls_problem.LSProblem.solve_path`).
* :func:`solve_blocks` works on the residual (O(nnz of a column) per coordinate), with working
  sets chosen by dual-constraint distance (Massias, Gramfort & Salmon (2018), "Celer: a fast
  solver for the lasso with dual extrapolation", ICML) and gap-safe screening; for large p,
  sparse X, and group lasso (block proximal steps). Its sweeps are compiled; the working-set
  loop checks its gap every few sweeps (:mod:`ridgeline.solvers.cd_residual`) and, for the
  elastic net, tries support steps (:mod:`ridgeline.solvers.cd_support`).

Both stop at ``gap ≤ gap_tol``; with ``polish`` they go on to the rounding floor (objective
at the optimum to about 1e-11 relative), and ``gap_tol = 0`` means exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline.solvers.cd_certificate import Blocks, safe_to_discard
from ridgeline.solvers.cd_design import CDDesign
from ridgeline.solvers.cd_gram import (
    POLISH_REL,
    PROGRESS,
    STALL,
    converged,
    gram_solve,
    smooth_inverse,
)
from ridgeline.solvers.cd_residual import Residual, candidate, certify, inner
from ridgeline.solvers.cd_support import SupportTrigger


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
        Coordinate sweeps done (over the working set), support steps included.
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
               screen: bool = True, polish: bool = False) -> CDFit:
    """Minimize ``yy/2 - qᵀw + ½wᵀQw + Σ a_j|w_j|`` (optionally ``w ≥ 0``).

    One compiled call (:func:`ridgeline.solvers.cd_gram.gram_solve`).

    Parameters
    ----------
    Q : ndarray (p, p)
        ``X̃ᵀHX̃/n_w`` plus the ridge/Tikhonov part ``B`` (symmetric PSD).
    q : ndarray (p,)
        ``X̃ᵀHy/n_w``.
    yy : float
        ``yᵀHy/n_w`` (only the gap needs it).
    a : ndarray (p,)
        L1 weights; coordinates with ``a_j = 0`` are minimized exactly as a block.
    gap_tol : float
        Stop when the duality gap is at most this (0: when it stops falling).
    polish : bool
        Then go on to the rounding floor (see :mod:`ridgeline.solvers.cd_gram`).
    """
    p = q.size
    w = np.zeros(p) if w0 is None else np.array(w0, dtype=np.float64)
    Q = np.ascontiguousarray(Q, dtype=np.float64)
    a = np.ascontiguousarray(a, dtype=np.float64)
    smooth = np.flatnonzero(a == 0).astype(np.int64)
    primal, gap, epochs, n_screened = gram_solve(
        Q, np.ascontiguousarray(q, dtype=np.float64), float(yy), a, smooth,
        smooth_inverse(Q, smooth), bool(nonneg), w, float(gap_tol), int(max_epochs),
        bool(screen), bool(polish or gap_tol == 0))
    return CDFit(w, primal, gap, gap_tol, converged(gap, gap_tol, epochs, max_epochs), epochs,
                 n_screened)


def solve_blocks(design: CDDesign, y: np.ndarray, blocks: Blocks, a: np.ndarray, b: np.ndarray,
                 *, nonneg: bool = False, w0: np.ndarray | None = None, gap_tol: float,
                 max_epochs: int = 10_000, screen: bool = True, ws_start: int = 10,
                 R0: np.ndarray | None = None, xtr0: np.ndarray | None = None,
                 polish: bool = False) -> CDFit:
    """Minimize ``(1/2n_w)‖y - X̃w‖²_H + ½Σ b_j w_j² + Σ_g a_g‖w_g‖`` by block CD.

    Parameters
    ----------
    design, y : CDDesign, ndarray (n,)
        ``X̃`` with row weights ``h``; ``y`` must be h-weighted centered when the design is.
    blocks : Blocks
        Singletons for the (elastic-net) lasso, groups for the group lasso.
    a, b : ndarray (n_blocks,) and (p,)
        Block weights (0: unpenalized, minimized exactly by a small linear solve); ridge
        weights per feature.
    gap_tol : float
        Stop when the duality gap is at most this (0: when it stops falling).
    screen : bool
        Apply gap-safe screening (``False`` for the checks that screening changes nothing).
    R0, xtr0 : ndarray (n,) and (p,), optional
        ``y - X̃w0`` and ``X̃ᵀH·R0/n_w`` (a path passes the last solve's): saves a product.
    polish : bool
        Then go on until the gap is at most ``POLISH_REL`` of the objective or stops falling.
        For singletons, support steps (:mod:`ridgeline.solvers.cd_support`) are tried while
        polishing, and earlier whenever the sweeps since the last try cost more than one.
    """
    p = design.n_features
    w = np.zeros(p) if w0 is None else np.array(w0, dtype=np.float64)
    state = Residual(design, y, w, R0)
    L, smooth, M, buf = _prepare(design, blocks, a, b)
    screened = np.zeros(blocks.n_blocks, dtype=bool)
    ws_size, epochs, last_try = max(ws_start, 2 * _n_active(w, blocks)), 0, -1
    raw, acc = (xtr0 if R0 is not None else None), None  # acc: last extrapolated (R, w)
    trigger = SupportTrigger(_feature_weights(blocks, a, p), y.size)
    stall, best = _Stall(), _Best(polish or gap_tol <= 0)  # best.on: polishing
    while True:
        v, raw = _exact_smooth(state, w, b, smooth, M, raw), None
        cert = _certificate(state, y, w, b, v, blocks, a, nonneg, gap_tol, acc)
        reached = best.see(w, cert, v) <= gap_tol or gap_tol <= 0
        if reached and (not best.on or cert.gap <= POLISH_REL * cert.primal):
            break
        fresh, last_try = epochs != last_try and epochs < max_epochs, epochs
        if fresh and trigger.step(state, y, w, b, nonneg, cert.primal, force=reached):
            epochs = last_try = epochs + 1  # a support step counts as an iteration
            acc = None
            continue
        if epochs >= max_epochs or (reached and stall.stalled(cert.gap)):
            break
        if screen:
            screened |= _discard(state, w, blocks, safe_to_discard(cert, L, a) & ~screened)
        ws = _working_set(cert, w, blocks, a, L, screened, ws_size)
        done, acc = inner(state, y, w, b, blocks, a, L, nonneg, ws, buf, 0.3 * cert.gap,
                          max_epochs - epochs, smooth.size == 0, trigger)
        epochs += done
        ws_size = min(blocks.n_blocks, 2 * max(ws_size, _n_active(w, blocks)))
    state, cert, v = best.back(state, design, y, w, cert, v)
    screened |= safe_to_discard(cert, L, a) & screen  # and what the final gap proves zero
    return CDFit(w, cert.primal, cert.gap, gap_tol, converged(cert.gap, gap_tol, epochs,
                 max_epochs), epochs, int(screened.sum()), state.settle(), v + b * w)


class _Best:
    """The best-certified point seen while polishing: the duality gap is not monotone, and
    polishing that stops (max_epochs, a stall) on a worse gap returns the better point."""

    def __init__(self, on: bool):
        self.on, self.point = on, None

    def see(self, w: np.ndarray, cert, v) -> float:
        """Record ``(w, cert, v)`` if its gap is the best so far; returns the gap."""
        if self.on and (self.point is None or cert.gap < self.point[1].gap):
            self.point = (w.copy(), cert, v)
        return cert.gap

    def back(self, state: Residual, design: CDDesign, y: np.ndarray, w: np.ndarray, cert, v):
        """``(state, cert, v)`` of the best point, ``w`` set to it in place (or as given)."""
        if self.point is None or self.point[1].gap >= cert.gap:
            return state, cert, v
        w[:], cert, v = self.point
        return Residual(design, y, w), cert, v


class _Stall:
    """Tracks the best gap; stalled after ``STALL`` checks without a ``PROGRESS`` improvement
    (the rule of the compiled engines, :mod:`ridgeline.solvers.cd_gram`)."""

    def __init__(self):
        self.best, self.since = np.inf, 0

    def stalled(self, gap: float) -> bool:
        if gap < (1.0 - PROGRESS) * self.best:
            self.best, self.since = gap, 0
        else:
            self.since += 1
        return self.since >= STALL


def _feature_weights(blocks: Blocks, a: np.ndarray, p: int) -> np.ndarray | None:
    """L1 weight per feature for singleton blocks (None for groups: no support step)."""
    if not blocks.trivial:
        return None
    out = np.empty(p)
    out[blocks.idx] = a
    return out


def _prepare(design: CDDesign, blocks: Blocks, a: np.ndarray, b: np.ndarray):
    """``(L, smooth, M, buf)``: block Lipschitz constants, the unpenalized columns, their
    block of the Gram matrix and a block-sized buffer. (With unpenalized columns the inner
    solves do not extrapolate: an extrapolated point is not exact on them.)"""
    bmax = np.maximum.reduceat(b[blocks.idx], blocks.ptr[:-1]) if design.n_features else b
    L = design.block_lipschitz(blocks.idx, blocks.ptr) / design.n_w + bmax
    smooth = blocks.columns(np.flatnonzero(a == 0))
    return (L, smooth, _smooth_block(design, smooth, b),
            np.empty(int(np.diff(blocks.ptr).max(initial=1))))


def _certificate(state: Residual, y, w, b, v, blocks, a, nonneg, gap_tol: float, acc):
    """The certificate at ``w``, with the last inner solve's extrapolated point ``acc`` as a
    second dual candidate when the plain one has not met ``gap_tol``."""
    cert = certify(state, y, w, b, v, blocks, a, nonneg)
    if cert.gap > gap_tol and acc is not None:
        cert = certify(state, y, w, b, v, blocks, a, nonneg, extra=candidate(state, y, b, *acc))
    return cert


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


def _exact_smooth(state: Residual, w, b, cols, M, raw=None) -> np.ndarray:
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


def _discard(state: Residual, w, blocks: Blocks, drop: np.ndarray) -> np.ndarray:
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


