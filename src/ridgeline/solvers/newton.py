"""Damped Newton (IRLS) for a batch of penalized GLM fits, curvature reused along a path.

Each step solves ``(S + 2λI) Δw = −g̃`` where S is the loss Hessian with the unpenalized intercept
eliminated (see :class:`~ridgeline.solvers.glm_problem.Curvature`). A Hessian costs one weighted
Gram pass (n p² flops) and is **reused** while it keeps paying: with a slightly stale Hessian the
step is still a descent direction (S + 2λI is positive definite) and passes the same Armijo line
search; the Hessian is re-formed only when the gradient stops falling fast (the chord or
simplified Newton method, Kelley 1995, *Iterative Methods for Linear and Nonlinear Equations*,
§5.4). Along a warm-started λ path most λ then cost a few gradient passes (2 n p flops each)
instead of several Hessians — and the first step at a new λ needs no pass at all, since the
gradient moves by exactly ``2(λ_new − λ_old) W``.

All members of a batch (e.g. the K training folds of cross-validation) step in lockstep so that
``X @ [W_1 … W_B]`` and ``Xᵀ [r_1 … r_B]`` serve every member with one pass over X.

The backtracking line search only accepts points that decrease the objective, so the iteration
cannot diverge; a member stops at ``max|∇f| ≤ tol``, or when no decrease is possible in floating
point (the Newton decrement has reached rounding level), or after ``max_iter`` steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ridgeline.solvers.glm_problem import Curvature, GLMFit, GLMProblem, kkt_norms

#: Re-form the Hessian when a step reduced max|∇f| by less than this factor.
_REFRESH_RATE = 0.25
_ARMIJO = 1e-4
_MAX_HALVINGS = 40


class NewtonPoint(NamedTuple):
    """A solution with what its passes over X produced (weighted mean loss, loss gradient,
    curvature weights), so the next λ can start there without a pass."""

    lam: np.ndarray
    W: np.ndarray
    b: np.ndarray
    eta: np.ndarray
    loss: np.ndarray
    gW_loss: np.ndarray
    gb: np.ndarray
    h: np.ndarray


@dataclass
class NewtonState:
    """What a path carries from one λ to the next: curvature and the last point's pass results.

    ``curvature[j]`` is member j's current Hessian (None: re-form before the next step);
    ``shared[j]`` says it is the batch's shared one; ``own[j]`` that a shared Hessian proved
    too rough for member j, which then always gets its own.

    ``point`` is the last solution (a :class:`NewtonPoint`), so the next λ starts without a
    pass over X.
    """

    curvature: list = field(default_factory=list)
    shared: np.ndarray | None = None
    own: np.ndarray | None = None
    point: NewtonPoint | None = None
    n_hessian: int = 0


def newton(problem: GLMProblem, lam, W0: np.ndarray, b0: np.ndarray, *,
           tol: float = 1e-8, max_iter: int = 100,
           state: NewtonState | None = None) -> GLMFit:
    """Minimize ``f(W, b)`` for one λ by damped Newton, for every member of the batch.

    Parameters
    ----------
    problem : GLMProblem
    lam : float or ndarray (B,)
        Canonical penalty λ ≥ 0 (one per member, or one for all).
    W0 : ndarray (B, p, m), b0 : ndarray (B, m)
        Starting point (a warm start along a path).
    tol : float
        Stop a member when its largest absolute gradient entry is at most ``tol``.
    max_iter : int
        Most Newton steps per member.
    state : NewtonState, optional
        Curvature and last point from the previous λ of a path; updated in place.
    """
    B = problem.n_batch
    state = state if state is not None else NewtonState()
    if len(state.curvature) != B:
        state.curvature, state.shared = [None] * B, np.zeros(B, dtype=bool)
        state.own = np.zeros(B, dtype=bool)
    W, b, eta, loss, gWl, gb, h = _start(problem, W0, b0, state)
    gWl, gb, h, loss = gWl.copy(), gb.copy(), h.copy(), loss.copy()
    lam = np.broadcast_to(np.asarray(lam, dtype=np.float64), (B,))
    lw = lam[:, None, None]
    f = loss + lam * np.einsum("bpm,bpm->b", W, W)
    gW = gWl + 2.0 * lw * W
    gnorm = kkt_norms(gW, gb, problem.fit_intercept)
    hess0 = state.n_hessian
    n_iter = np.zeros(B, dtype=np.int64)
    converged = gnorm <= tol
    done = converged.copy()
    fresh = np.zeros(B, dtype=bool)
    while not done.all():
        act = np.flatnonzero(~done)
        _refresh(problem, state, eta, h, act, fresh)
        dW, db = np.zeros_like(W), np.zeros_like(b)
        for j in act:
            dW[j], db[j] = state.curvature[j].solve(float(lam[j]), gW[j], gb[j])
        t, ok, d_eta, f_new = _line_search(problem, lam, W, eta, f, gW, gb, dW, db, act)
        for j in act[~ok]:
            if fresh[j] and not state.shared[j]:
                converged[j] = _at_rounding_floor(f[j], gW[j], gb[j], dW[j], db[j])
                done[j] = True
            else:  # stale or shared curvature: re-form this member's own and retry
                state.own[j] |= bool(state.shared[j] and fresh[j])
                state.curvature[j] = None
        acc = act[ok]
        if acc.size == 0:
            continue
        W[acc] += t[acc, None, None] * dW[acc]
        b[acc] += t[acc, None] * db[acc]
        n_iter[acc] += 1
        if acc.size == B:  # every member moved: whole arrays, no gathers
            eta += t[None, :, None] * d_eta
            r, h = problem.derivatives(eta)
            gWl, gb = problem.loss_gradient(r)
        else:  # passes over X only for the members that moved
            eta[:, acc] += t[None, acc, None] * d_eta[:, np.searchsorted(act, acc)]
            r, h_acc = problem.derivatives(eta[:, acc], acc)
            h[:, acc] = h_acc
            gWl[acc], gb[acc] = problem.loss_gradient(r)
        loss[acc] = f_new[acc] - lam[acc] * np.einsum("bpm,bpm->b", W[acc], W[acc])
        f[acc] = f_new[acc]
        gW = gWl + 2.0 * lw * W
        new = kkt_norms(gW, gb, problem.fit_intercept)
        for j in acc:
            if new[j] > _REFRESH_RATE * gnorm[j]:
                # slow progress: a fresh Hessian next step (the member's own if even a
                # freshly formed shared one was not good enough)
                state.own[j] |= bool(state.shared[j] and fresh[j])
                state.curvature[j] = None
        fresh[acc] = False
        gnorm[acc] = new[acc]
        converged[acc] = new[acc] <= tol
        done |= converged | (n_iter >= max_iter)
    state.point = NewtonPoint(lam, W, b, eta, loss, gWl, gb, h)
    return GLMFit(coef=W, intercept=b, n_iter=n_iter, grad_norm=gnorm, converged=converged,
                  objective=f, solver="newton", n_hessian=state.n_hessian - hess0)


def _refresh(problem, state, eta, h, act, fresh):
    """Form missing Hessians: one shared for all eligible members, then members' own."""
    need = [j for j in act if state.curvature[j] is None]
    if not need:
        return
    pool = [j for j in need if not state.own[j]] if problem.n_batch > 1 else []
    if len(pool) > 1:
        shared = problem.shared_curvature(eta, pool)
        state.n_hessian += 1
        for j in pool:
            state.curvature[j], state.shared[j], fresh[j] = shared[j], True, True
    for j in need:
        if state.curvature[j] is None:
            state.curvature[j] = problem.curvature(h, j)
            state.shared[j], fresh[j] = False, True
            state.n_hessian += 1


def _start(problem, W0, b0, state):
    """Loss, gradient and curvature at the start; free when it is the last λ's solution."""
    pt = state.point
    if pt is not None and pt.W.shape == np.shape(W0) and np.array_equal(pt.W, W0) \
            and np.array_equal(pt.b, b0):
        return pt.W.copy(), pt.b.copy(), pt.eta, pt.loss, pt.gW_loss, pt.gb, pt.h
    W, b = np.array(W0, dtype=np.float64), np.array(b0, dtype=np.float64)
    eta = problem.linear(W, b)
    r, h = problem.derivatives(eta)
    gWl, gb = problem.loss_gradient(r)
    return W, b, eta, problem.loss_value(eta), gWl, gb, h


def _line_search(problem, lam, W, eta, f, gW, gb, dW, db, act):
    """Backtracking (Armijo) for members ``act``; returns step sizes (B,) and success (len(act))."""
    t = np.ones(W.shape[0])
    slope = np.einsum("bpm,bpm->b", gW, dW) + np.einsum("bm,bm->b", gb, db)
    ok = np.zeros(act.size, dtype=bool)
    pending = slope[act] < 0
    f_new = np.full(W.shape[0], np.nan)
    if not pending.any():
        return t, ok, None, f_new
    d_eta = problem.linear(dW[act], db[act])  # columns in the order of ``act``
    for _ in range(_MAX_HALVINGS):
        cols = act[pending]
        W_t = W[cols] + t[cols, None, None] * dW[cols]
        if cols.size == W.shape[0]:  # all members, in order: no gathers
            eta_t = eta + t[None, :, None] * d_eta
        else:
            eta_t = eta[:, cols] + t[None, cols, None] * d_eta[:, pending]
        f_t = problem.loss_value(eta_t, cols) + lam[cols] * np.einsum("bpm,bpm->b", W_t, W_t)
        fc, sc, tc = f[cols], slope[cols], t[cols]
        good = np.isfinite(f_t) & ((f_t <= fc + _ARMIJO * tc * sc) | _floor_ok(fc, f_t, sc, tc))
        idx = np.flatnonzero(pending)
        f_new[cols[good]] = f_t[good]
        ok[idx[good]] = True
        pending[idx[good]] = False
        if not pending.any():
            break
        t[act[pending]] *= 0.5
    return t, ok, d_eta, f_new


def _floor_ok(f, f_t, slope, t):
    """Accept a full step whose predicted decrease is below what f can resolve.

    Near the optimum, Armijo's test compares differences of f at rounding level and would
    reject good Newton steps at random; there the quadratic model is exact, so a full step that
    raises f by no more than rounding is taken (the gradient test decides convergence).
    """
    scale = np.maximum(np.abs(f), 1e-300)
    return (t == 1.0) & (-slope <= 1e-10 * scale) & (f_t <= f + 1e-12 * scale)


def _at_rounding_floor(f, gW, gb, dW, db) -> bool:
    """True when the predicted decrease of a full Newton step is below float64 resolution."""
    decrement = -float(np.sum(gW * dW) + np.sum(gb * db))
    return decrement <= 1e-13 * max(abs(f), 1.0)


__all__ = ["Curvature", "NewtonState", "newton"]
