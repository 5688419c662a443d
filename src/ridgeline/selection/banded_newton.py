"""Batched projected Newton over one log λ vector per target (banded ridge, per-target λ).

Each target's CV loss depends only on its own λ vector, so all targets are optimized at once:
every evaluation solves all their training systems together, and every iteration takes one
Newton step per target with its exact Hessian (made positive definite by taking absolute
eigenvalues, floored) on the variables that are not held at a bound (Bertsekas' projected
Newton), followed by an Armijo backtracking search along the projected path. A target stops
when its projected gradient, relative to its starting loss, is at most ``tol``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: Largest change of any log λ in one step (a factor e³ on λ).
MAX_STEP = 3.0
#: Armijo sufficient-decrease constant and the number of step halvings tried.
ARMIJO, HALVINGS = 1e-4, 40


def newton_per_target(loss: Callable, theta0: np.ndarray, lo: float, hi: float, *, tol: float,
                      max_iter: int):
    """Minimize each target's loss over its own row of ``theta`` within ``[lo, hi]``.

    Parameters
    ----------
    loss : callable
        ``loss(theta (m, G), cols (m,), hessian: bool) -> (f (m,), grad (m, G), hess)``.
    theta0 : ndarray (k, G)
        Starting points (inside the box).
    lo, hi : float
        Bounds of every coordinate.
    tol : float
        Relative projected-gradient tolerance.
    max_iter : int
        Newton iterations at most (per target).

    Returns
    -------
    theta : ndarray (k, G)
    n_iter : int ndarray (k,)
    converged : bool ndarray (k,)
    history : list of float
        Mean loss over targets at the start and after each iteration.
    """
    theta = np.clip(np.array(theta0, dtype=np.float64), lo, hi)
    k = theta.shape[0]
    f, g, H = loss(theta, np.arange(k), True)
    scale = np.where(f > 0, f, 1.0)
    history = [float(f.mean())]
    n_iter = np.zeros(k, dtype=np.int64)
    active = np.ones(k, dtype=bool)
    for _ in range(max_iter):
        active &= _projected_gradient(theta, g / scale[:, None], lo, hi) > tol
        if not active.any():
            break
        idx = np.flatnonzero(active)
        step = _newton_step(theta[idx], g[idx], H[idx], lo, hi)
        t_new, f_new, g_new, H_new, ok = _backtrack(loss, theta[idx], f[idx], g[idx], step,
                                                    idx, lo, hi)
        theta[idx], f[idx], g[idx], H[idx] = t_new, f_new, g_new, H_new
        n_iter[idx] += 1
        active[idx[~ok]] = False  # no decrease found along the step: stationary to rounding
        history.append(float(f.mean()))
    converged = _projected_gradient(theta, g / scale[:, None], lo, hi) <= tol
    return theta, n_iter, converged, history


def _projected_gradient(theta, g, lo, hi) -> np.ndarray:
    """Per row ``max |θ − clip(θ − ∇, lo, hi)|``."""
    return np.max(np.abs(theta - np.clip(theta - g, lo, hi)), axis=1)


def _newton_step(theta, g, H, lo, hi) -> np.ndarray:
    """Newton directions (m, G) on the free variables (those not held at a bound by their
    gradient), with the Hessian's eigenvalues replaced by their floored absolute values."""
    fixed = ((theta <= lo) & (g > 0)) | ((theta >= hi) & (g < 0))
    Hm = np.where(fixed[:, :, None] | fixed[:, None, :], 0.0, H)
    G = theta.shape[1]
    Hm[:, np.arange(G), np.arange(G)] += fixed  # identity on the fixed variables
    gm = np.where(fixed, 0.0, g)
    e, Q = np.linalg.eigh(Hm)
    e = np.abs(e)
    e = np.maximum(e, 1e-10 * e.max(axis=1, keepdims=True) + 1e-300)
    step = -np.einsum("mij,mj->mi", Q, np.einsum("mji,mj->mi", Q, gm) / e)
    step = np.where(fixed, 0.0, step)
    big = np.max(np.abs(step), axis=1)
    return step * np.minimum(1.0, MAX_STEP / np.maximum(big, 1e-300))[:, None]


def _backtrack(loss, theta, f, g, step, idx, lo, hi):
    """Armijo backtracking along the projected path ``clip(θ + t·step)``, all rows at once.

    Returns the accepted points with their loss, gradient and Hessian (the old ones where no
    decrease was found) and which rows found one.
    """
    m = theta.shape[0]
    t = np.ones(m)
    out_t, out_f, out_g = theta.copy(), f.copy(), g.copy()
    out_H = None
    ok = np.zeros(m, dtype=bool)
    pending = np.arange(m)
    for _ in range(HALVINGS):
        trial = np.clip(theta[pending] + t[pending, None] * step[pending], lo, hi)
        ft, gt, Ht = loss(trial, idx[pending], True)
        dec = np.einsum("mg,mg->m", g[pending], trial - theta[pending])
        good = (ft <= f[pending] + ARMIJO * dec) & (dec <= 0)
        if out_H is None:
            out_H = np.empty((m, *Ht.shape[1:]))
        rows = pending[good]
        out_t[rows], out_f[rows], out_g[rows], out_H[rows] = trial[good], ft[good], \
            gt[good], Ht[good]
        ok[rows] = True
        pending = pending[~good]
        if pending.size == 0:
            break
        t[pending] *= 0.5
    if pending.size:  # keep the old points; their Hessians are recomputed once
        _, _, Hp = loss(theta[pending], idx[pending], True)
        out_H[pending] = Hp
    return out_t, out_f, out_g, out_H, ok
