"""Block coordinate descent for the group lasso in Gram form, compiled whole.

Objective (halved scale, as :mod:`ridgeline.solvers.cd_gram`)::

    yy/2 - qᵀw + ½ wᵀQw + Σ_g a_g ‖w_g‖₂

with ``Q = X̃ᵀHX̃/n_w + diag(b)`` (p × p) and the groups given as ``idx[ptr[g]:ptr[g+1]]``. A
block step is the proximal-gradient step on the block with step ``1/L_g`` (``L_g`` the largest
eigenvalue of ``Q_gg``): ``z = w_g + (q - Qw)_g/L_g``, ``w_g ← z·max(0, 1 - a_g/(L_g‖z‖))``
(Yuan & Lin (2006), "Model selection and estimation in regression with grouped variables",
JRSS-B 68(1); block coordinate descent as in Qin, Scheinberg & Goldfarb (2013), "Efficient
block-coordinate descent algorithms for the group lasso", Math. Prog. Comp. 5). A step costs
O(p·|g|) whatever n, so on data with n ≥ p — one-hot blocks of a few factors — a whole path
costs less than one pass over X.

Certificate and screening are those of :mod:`ridgeline.solvers.cd_certificate` with block
norms: ``v = q - Qw``, ``s = min(1, min_g a_g/‖v_g‖)``, gap ``primal - (s(yy - qᵀw) - s²F)``;
block g is zero at the optimum when ``s‖v_g‖ + √(2·gap·L_g) < a_g`` (Ndiaye, Fercoq, Gramfort
& Salmon (2017), "Gap safe screening rules for sparsity enforcing penalties", JMLR 18).
Unpenalized blocks (``a_g = 0``) are minimized exactly together from a precomputed inverse.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ridgeline._lapack import eigvalsh
from ridgeline.solvers.cd_gram import POLISH_REL, PROGRESS, REFRESH, STALL, smooth_step


@njit(cache=True, nogil=True)
def _certify(q, yy, gidx, gptr, a, w, Qw, viol):
    """``(primal, gap, s)`` at ``w``; fills ``viol[g] = ‖(q - Qw)_g‖``."""
    qw = 0.0
    wQw = 0.0
    for j in range(q.shape[0]):
        qw += q[j] * w[j]
        wQw += w[j] * Qw[j]
    pen = 0.0
    ratio = 0.0
    for g in range(a.shape[0]):
        nw = 0.0
        nv = 0.0
        for t in range(gptr[g], gptr[g + 1]):
            j = gidx[t]
            nw += w[j] * w[j]
            d = q[j] - Qw[j]
            nv += d * d
        nv = np.sqrt(nv)
        viol[g] = nv
        pen += a[g] * np.sqrt(nw)
        if a[g] > 0.0 and nv > ratio * a[g]:
            ratio = nv / a[g]
    F = 0.5 * yy - qw + 0.5 * wQw
    s = 1.0 if ratio <= 1.0 else 1.0 / ratio
    primal = F + pen
    return primal, max(primal - (s * (yy - qw) - s * s * F), 0.0), s


@njit(cache=True, nogil=True)
def _move(Q, w, Qw, j, d):
    w[j] += d
    for k in range(Qw.shape[0]):
        Qw[k] += d * Q[j, k]


@njit(cache=True, nogil=True)
def _block_sweep(Q, q, w, Qw, gidx, gptr, a, L, order, buf):
    """One pass of proximal block steps over the blocks in ``order``."""
    for g in order:
        lo, hi = gptr[g], gptr[g + 1]
        norm = 0.0
        for t in range(lo, hi):
            j = gidx[t]
            z = w[j] + (q[j] - Qw[j]) / L[g]
            buf[t - lo] = z
            norm += z * z
        norm = np.sqrt(norm)
        scale = 0.0 if norm <= a[g] / L[g] else 1.0 - a[g] / (L[g] * norm)
        for t in range(lo, hi):
            j = gidx[t]
            d = scale * buf[t - lo] - w[j]
            if d != 0.0:
                _move(Q, w, Qw, j, d)


@njit(cache=True, nogil=True)
def _screen(Q, w, Qw, gidx, gptr, a, L, viol, s, gap, screened):
    """Zero every block the gap-safe test proves zero; returns the blocks still swept."""
    keep = np.empty(a.shape[0], dtype=np.int64)
    m = 0
    for g in range(a.shape[0]):
        if a[g] > 0.0 and not screened[g] and s * viol[g] + np.sqrt(2.0 * gap * L[g]) < a[g]:
            screened[g] = True
            for t in range(gptr[g], gptr[g + 1]):
                if w[gidx[t]] != 0.0:
                    _move(Q, w, Qw, gidx[t], -w[gidx[t]])
        if a[g] > 0.0 and not screened[g]:
            keep[m] = g
            m += 1
    return keep[:m]


@njit(cache=True, nogil=True)
def group_solve(Q, q, yy, gidx, gptr, a, L, smooth, Minv, w, gap_tol, max_epochs, screen,
                polish):
    """Solve one λ in place of ``w``; returns ``(primal, gap, epochs, n_screened)``."""
    Qw = Q @ w
    viol = np.empty(a.shape[0])
    screened = np.zeros(a.shape[0], dtype=np.bool_)
    order = np.flatnonzero(a > 0.0)
    buf = np.empty(max(1, int(np.max(gptr[1:] - gptr[:-1]))))
    epochs, best, since = 0, np.inf, 0
    while True:
        smooth_step(Q, q, w, Qw, smooth, Minv)
        if epochs % REFRESH == REFRESH - 1:
            Qw = Q @ w
        primal, gap, s = _certify(q, yy, gidx, gptr, a, w, Qw, viol)
        reached = gap <= gap_tol or gap_tol <= 0.0
        if reached and (not polish or gap <= POLISH_REL * primal):
            break
        if gap < (1.0 - PROGRESS) * best:
            best, since = gap, 0
        else:
            since += 1
        if epochs >= max_epochs or (reached and since >= STALL):
            break
        if screen:
            order = _screen(Q, w, Qw, gidx, gptr, a, L, viol, s, gap, screened)
        _block_sweep(Q, q, w, Qw, gidx, gptr, a, L, order, buf)
        epochs += 1
    if screen:  # count what the final gap proves zero as well
        _screen(Q, w.copy(), Qw.copy(), gidx, gptr, a, L, viol, s, gap, screened)
    return primal, gap, epochs, int(screened.sum())


@njit(cache=True, nogil=True)
def group_path(Q0, q, yy, gidx, gptr, A, Bd, Ls, smooth, Minvs, w, gap_tol, max_epochs,
               screen, polish, coefs, primal, gaps, epochs, n_screened):
    """Solve λ after λ (rows of ``A`` (L, n_groups), ``Bd`` (L, p), ``Ls`` (L, n_groups)),
    each warm-started from the last; results as :func:`ridgeline.solvers.cd_gram.gram_path`."""
    p = q.shape[0]
    Q = Q0.copy()
    for l in range(A.shape[0]):
        for j in range(p):
            Q[j, j] = Q0[j, j] + Bd[l, j]
        primal[l], gaps[l], epochs[l], n_screened[l] = group_solve(
            Q, q, yy, gidx, gptr, A[l], Ls[l], smooth, Minvs[l], w, gap_tol, max_epochs,
            screen, polish)
        coefs[l] = w


def block_lipschitz(Q: np.ndarray, gidx: np.ndarray, gptr: np.ndarray) -> np.ndarray:
    """Largest eigenvalue of each diagonal block ``Q_gg`` (n_groups,)."""
    out = np.empty(gptr.size - 1)
    for g in range(out.size):
        cols = gidx[gptr[g]:gptr[g + 1]]
        out[g] = Q[cols[0], cols[0]] if cols.size == 1 else eigvalsh(
            Q[np.ix_(cols, cols)], "a group's Gram block")[-1]
    return out
