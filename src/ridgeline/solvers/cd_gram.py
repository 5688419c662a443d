"""Coordinate descent in Gram form, compiled whole: one call solves a λ — or a whole path.

Objective (the halved scale of :mod:`ridgeline.solvers.cd`)::

    yy/2 - qᵀw + ½ wᵀQw + Σ_j a_j |w_j|        (optionally w ≥ 0)

with ``Q = X̃ᵀHX̃/n_w + diag(b)`` and ``q = X̃ᵀHy/n_w``. Everything a solve does runs inside one
numba function: the cyclic sweeps (O(p) per coordinate that moves, whatever n), the exact
minimization over the unpenalized coordinates (``a_j = 0``) from a precomputed inverse, the
duality gap after every sweep (O(p): ``Qw`` is kept up to date), and gap-safe screening. A
path runs every λ of a grid in the same call, each warm-started from the previous solution,
so a cross-validated lasso costs one compiled call per fold.

Certificate (see :mod:`ridgeline.solvers.cd_certificate`): with ``v = q - Qw`` the dual point
is ``s·R̂/n_w``, ``s = min(1, min_j a_j/|v_j|)``, dual value ``s·(yy - qᵀw) - s²F``; the gap
bounds ``primal - optimum``. Screening: coordinate j is zero at the optimum when
``s|v_j| + √(2·gap·Q_jj) < a_j`` (Fercoq, Gramfort & Salmon (2015), "Mind the duality gap:
safer rules for the lasso", ICML).

Stop: the gap at most ``gap_tol``; with ``polish`` (and always for ``gap_tol = 0``), the sweeps
then go on until the gap is at most :data:`POLISH_REL` of the objective or stops falling (the
rounding floor of the gap's own arithmetic). Every few sweeps — while polishing, or earlier when
it is cheap — the solve tries the exact minimizer on the current support with its signs fixed
(:func:`support_solve`: one Cholesky of the active block), kept only if it lowers the gap; once
the support is right, that one step lands at the optimum to rounding. So a polished solution
is at the optimum to about 1e-11 relative whatever ``gap_tol`` was asked, for a few extra
sweeps.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ridgeline._lapack import pinv

#: with ``polish``, sweep on until ``gap ≤ POLISH_REL · primal`` (or the gap stalls)
POLISH_REL = 1e-11
#: polish sweeps without a new best gap (by ``PROGRESS``) before the gap counts as stalled
STALL = 16
PROGRESS = 0.01
#: sweeps between two tries of the support solve while polishing
_RETRY = 8
#: recompute ``Qw = Q @ w`` from scratch every this many sweeps (drift of the updates)
REFRESH = 32


@njit(cache=True, nogil=True)
def _certify(q, yy, a, w, Qw, nonneg, viol):
    """``(primal, gap, s)`` at ``w``; fills ``viol[j] = |v_j|`` (``max(v_j, 0)`` if nonneg)."""
    p = q.shape[0]
    qw = 0.0
    wQw = 0.0
    l1 = 0.0
    ratio = 0.0
    for j in range(p):
        qw += q[j] * w[j]
        wQw += w[j] * Qw[j]
        l1 += a[j] * abs(w[j])
        v = q[j] - Qw[j]
        v = max(v, 0.0) if nonneg else abs(v)
        viol[j] = v
        if a[j] > 0.0 and v > ratio * a[j]:
            ratio = v / a[j]
    F = 0.5 * yy - qw + 0.5 * wQw
    s = 1.0 if ratio <= 1.0 else 1.0 / ratio
    dual = s * (yy - qw) - s * s * F
    primal = F + l1
    return primal, max(primal - dual, 0.0), s


@njit(cache=True, nogil=True)
def _sweep(Q, q, w, Qw, a, nonneg, coords):
    """One cyclic pass of exact coordinate minimization over ``coords``."""
    p = Qw.shape[0]
    for j in coords:
        qjj = Q[j, j]
        old = w[j]
        new = 0.0
        if qjj > 0.0:
            z = old * qjj + q[j] - Qw[j]
            if z > a[j]:
                new = (z - a[j]) / qjj
            elif z < -a[j] and not nonneg:
                new = (z + a[j]) / qjj
        d = new - old
        if d != 0.0:
            w[j] = new
            for k in range(p):
                Qw[k] += d * Q[j, k]


@njit(cache=True, nogil=True)
def smooth_step(Q, q, w, Qw, smooth, Minv):
    """Minimize exactly over the unpenalized coordinates ``smooth`` (``Minv = Q_SS⁻¹``)."""
    k = smooth.shape[0]
    if k == 0:
        return
    r = np.empty(k)
    for t in range(k):
        r[t] = q[smooth[t]] - Qw[smooth[t]]
    delta = Minv @ r
    p = Qw.shape[0]
    for t in range(k):
        d = delta[t]
        if d != 0.0:
            j = smooth[t]
            w[j] += d
            for i in range(p):
                Qw[i] += d * Q[j, i]


@njit(cache=True, nogil=True)
def _screen(Q, w, Qw, a, viol, s, gap, screened):
    """Gap-safe test: zero and mark every coordinate proven zero; returns how many are marked."""
    p = w.shape[0]
    count = 0
    for j in range(p):
        radius = np.sqrt(2.0 * gap * max(Q[j, j], 0.0))
        if not screened[j] and a[j] > 0.0 and s * viol[j] + radius < a[j]:
            screened[j] = True
            d = -w[j]
            if d != 0.0:
                w[j] = 0.0
                for k in range(p):
                    Qw[k] += d * Q[j, k]
        if screened[j]:
            count += 1
    return count


@njit(cache=True, nogil=True)
def support_solve(Q, q, a, w):
    """The minimizer of the quadratic that equals the objective on ``w``'s orthant face.

    On ``S = {j : w_j ≠ 0 or a_j = 0}`` with signs σ the objective is
    ``½w_SᵀQ_SSw_S - (q_S - a_S∘σ_S)ᵀw_S``; returns its minimizer ``x`` (zero off ``S``), or
    an empty array when ``Q_SS`` is not positive definite. When the support and the signs are
    right, ``x`` is the exact solution.
    """
    p = w.shape[0]
    S = np.empty(p, dtype=np.int64)
    k = 0
    for j in range(p):
        if w[j] != 0.0 or a[j] == 0.0:
            S[k] = j
            k += 1
    S = S[:k]
    M = np.empty((k, k))
    rhs = np.empty(k)
    for t in range(k):
        j = S[t]
        rhs[t] = q[j] - a[j] * np.sign(w[j])
        for u in range(k):
            M[t, u] = Q[j, S[u]]
    try:
        np.linalg.cholesky(M)  # positive definite, or the face has no unique minimizer
        xs = np.linalg.solve(M, rhs)
    except Exception:  # numba raises LinAlgError when the block is singular
        return np.empty(0)
    x = np.zeros(p)
    x[S] = xs
    return x


@njit(cache=True, nogil=True)
def face_step(w, x, a, nonneg):
    """Move from ``w`` towards ``x`` as far as no penalized sign flips (an active-set step:
    the objective falls along the segment while it stays on the face); a coordinate that
    reaches zero is set to exactly zero."""
    t = 1.0
    for j in range(w.shape[0]):
        if a[j] > 0.0 and w[j] != 0.0 and (x[j] * w[j] < 0.0 or (nonneg and x[j] < 0.0)):
            t = min(t, w[j] / (w[j] - x[j]))
    out = w + t * (x - w)
    for j in range(w.shape[0]):
        if a[j] > 0.0 and (out[j] * w[j] <= 0.0 or (nonneg and out[j] < 0.0)):
            out[j] = 0.0
    return out


@njit(cache=True, nogil=True)
def _polish_step(Q, q, yy, a, w, Qw, nonneg, viol, primal):
    """A face step from :func:`support_solve`, kept (``w``, ``Qw`` updated) if it lowers the
    objective."""
    x = support_solve(Q, q, a, w)
    if x.shape[0] == 0:
        return False
    x = face_step(w, x, a, nonneg)
    Qx = Q @ x
    trial = np.empty_like(viol)
    if not _certify(q, yy, a, x, Qx, nonneg, trial)[0] < primal:
        return False
    w[:] = x
    Qw[:] = Qx
    return True


@njit(cache=True, nogil=True)
def _cheap_support(w, a, p):
    """Whether a support solve (k³/3 flops) costs less than the sweeps between two tries."""
    k = 0
    for j in range(p):
        if w[j] != 0.0 or a[j] == 0.0:
            k += 1
    return k > 0 and k * k <= 3 * _RETRY * p


@njit(cache=True, nogil=True)
def _free_coords(a, screened):
    """The penalized coordinates not screened out (the ones the sweeps visit)."""
    p = a.shape[0]
    keep = np.empty(p, dtype=np.int64)
    m = 0
    for j in range(p):
        if a[j] > 0.0 and not screened[j]:
            keep[m] = j
            m += 1
    return keep[:m]


@njit(cache=True, nogil=True)
def gram_solve(Q, q, yy, a, smooth, Minv, nonneg, w, gap_tol, max_epochs, screen, polish):
    """Solve one λ in place of ``w``; returns ``(primal, gap, epochs, n_screened)``.

    ``Q`` (p, p) C-contiguous with its ridge diagonal, ``a`` (p,) L1 weights, ``smooth`` the
    indices with ``a = 0`` and ``Minv`` the inverse of their block of ``Q``.
    """
    p = q.shape[0]
    Qw = Q @ w
    viol = np.empty(p)
    screened = np.zeros(p, dtype=np.bool_)
    coords = _free_coords(a, screened)
    n_screened = 0
    epochs = 0
    best = np.inf
    since_best = 0
    next_try = 0
    while True:
        smooth_step(Q, q, w, Qw, smooth, Minv)
        if epochs % REFRESH == REFRESH - 1:
            Qw = Q @ w
        primal, gap, s = _certify(q, yy, a, w, Qw, nonneg, viol)
        reached = gap <= gap_tol or gap_tol <= 0.0
        if reached and (not polish or gap <= POLISH_REL * primal):
            break
        if next_try <= epochs < max_epochs and (reached or _cheap_support(w, a, p)):
            next_try = epochs + _RETRY
            if _polish_step(Q, q, yy, a, w, Qw, nonneg, viol, primal):
                epochs += 1  # a support step counts as an iteration
                continue
        if gap < (1.0 - PROGRESS) * best:
            best = gap
            since_best = 0
        else:
            since_best += 1
        if epochs >= max_epochs or (reached and since_best >= STALL):
            break
        if screen:
            count = _screen(Q, w, Qw, a, viol, s, gap, screened)
            if count != n_screened:
                n_screened = count
                coords = _free_coords(a, screened)
        _sweep(Q, q, w, Qw, a, nonneg, coords)
        epochs += 1
    if not screen:
        return primal, gap, epochs, 0
    return primal, gap, epochs, _proven_zero(Q, a, viol, s, gap, screened)


@njit(cache=True, nogil=True)
def _proven_zero(Q, a, viol, s, gap, screened):
    """How many coordinates were screened or the final gap proves zero at the optimum."""
    count = 0
    for j in range(a.shape[0]):
        radius = np.sqrt(2.0 * gap * max(Q[j, j], 0.0))
        if screened[j] or (a[j] > 0.0 and s * viol[j] + radius < a[j]):
            count += 1
    return count


@njit(cache=True, nogil=True)
def gram_path(Q0, q, yy, A, Bd, smooth, Minvs, nonneg, w, gap_tol, max_epochs, screen, polish,
              coefs, primal, gaps, epochs, n_screened):
    """Solve λ after λ (rows of ``A``, ``Bd``), each warm-started from the last.

    ``Q = Q0 + diag(Bd[l])`` for the l-th solve; results go into ``coefs`` (L, p),
    ``primal``, ``gaps``, ``epochs``, ``n_screened`` (L,); ``w`` holds the last solution.
    """
    p = q.shape[0]
    Q = Q0.copy()
    for l in range(A.shape[0]):
        for j in range(p):
            Q[j, j] = Q0[j, j] + Bd[l, j]
        primal[l], gaps[l], epochs[l], n_screened[l] = gram_solve(
            Q, q, yy, A[l], smooth, Minvs[l], nonneg, w, gap_tol, max_epochs, screen, polish)
        coefs[l] = w


def smooth_inverse(Q: np.ndarray, smooth: np.ndarray) -> np.ndarray:
    """``Q_SS⁺`` (k, k) for the unpenalized coordinates ``S`` (pseudo-inverse: Q_SS may be
    singular when free columns are collinear; every minimizer then has the same fit)."""
    if smooth.size == 0:
        return np.zeros((0, 0))
    return pinv(Q[np.ix_(smooth, smooth)], "the unpenalized columns' Gram block",
                hermitian=True)


def converged(gap: float, gap_tol: float, epochs: int, max_epochs: int) -> bool:
    """Whether a solve met its stop: ``gap ≤ gap_tol``, or (``gap_tol = 0``) it stopped at the
    rounding floor before ``max_epochs``."""
    return gap <= gap_tol or (gap_tol == 0.0 and epochs < max_epochs)
