"""Inexact Newton with preconditioned conjugate gradients, batched (large multinomial problems).

Forming the multinomial Hessian costs K(K+1)/2 weighted Grams and a (pK)³ factorization; for
large p·K this solver never forms it. Each Newton system ``(H + 2λI) d = −g`` is solved
approximately by conjugate gradients on Hessian-vector products (two passes over X for every
member of the batch at once), preconditioned by Böhning's bound

    H ≼ c · Q ⊗ Σ_i ω_i x̃_i x̃_iᵀ,     c = ½, Q = I − 11ᵀ/K  (softmax);  c = ¼, Q = 1  (binary)

(Böhning 1992, "Multinomial logistic regression algorithm", *Ann. Inst. Statist. Math.* 44),
whose inverse costs O(p²K) through the eigendecompositions of the (p+1)×(p+1) Gram of the
augmented rows x̃ = (x, 1) and of Q. The Gram is formed once per member for a whole λ path. The
CG forcing term min(½, √‖g‖)·‖g‖ gives superlinear convergence (Dembo, Eisenstat & Steihaug
1982, "Inexact Newton methods", *SIAM J. Numer. Anal.* 19); the Armijo line search of
:mod:`~ridgeline.solvers.newton` keeps every step a descent step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ridgeline.solvers.glm_problem import GLMFit, GLMProblem, kkt_norms, weighted_moments
from ridgeline.solvers.newton import _line_search

_MAX_CG = 200


@dataclass
class BoehningPreconditioner:
    """``(c · G̃ ⊗ Q + 2λ I)⁻¹`` for one member, applied to (p+1, m) blocks [W; b]."""

    U: np.ndarray
    gamma: np.ndarray
    R: np.ndarray
    q: np.ndarray
    c: float

    @classmethod
    def build(cls, problem: GLMProblem, j: int) -> BoehningPreconditioner:
        om = problem.omega[:, j]
        G, col, tot = weighted_moments(problem.X, om)
        p = problem.n_features
        Gt = np.empty((p + 1, p + 1))
        Gt[:p, :p], Gt[:p, p], Gt[p, :p], Gt[p, p] = G, col, col, tot
        if not problem.fit_intercept:
            Gt[:p, p] = Gt[p, :p] = 0.0
        gamma, U = np.linalg.eigh(Gt)
        m = problem.n_outputs
        if problem.loss.multi:
            Q = np.eye(m) - 1.0 / m
            q, R = np.linalg.eigh(Q)
            c = 0.5
        else:
            q, R, c = np.ones(1), np.ones((1, 1)), 0.25
        return cls(U=U, gamma=np.maximum(gamma, 0.0), R=R, q=np.maximum(q, 0.0), c=c)

    def apply(self, V: np.ndarray, lam: float) -> np.ndarray:
        D = self.c * np.outer(self.gamma, self.q) + 2.0 * lam
        floor = 1e-12 * max(float(D.max()), 1e-300)
        inv = np.where(floor < D, 1.0 / np.maximum(D, floor), 0.0)
        return self.U @ (((self.U.T @ V @ self.R) * inv) @ self.R.T)


@dataclass
class NewtonCGState:
    """Preconditioners kept along a path (one per member; they do not depend on λ)."""

    precond: list = field(default_factory=list)


def newton_cg(problem: GLMProblem, lam, W0: np.ndarray, b0: np.ndarray, *, tol: float = 1e-8,
              max_iter: int = 100, state: NewtonCGState | None = None) -> GLMFit:
    """Minimize ``f(W, b)`` for every member of the batch by preconditioned inexact Newton.

    Parameters as :func:`~ridgeline.solvers.newton.newton` (binary or multinomial losses).
    """
    B = problem.n_batch
    state = state if state is not None else NewtonCGState()
    if len(state.precond) != B:
        state.precond = [BoehningPreconditioner.build(problem, j) for j in range(B)]
    lam = np.broadcast_to(np.asarray(lam, dtype=np.float64), (B,))
    W, b = np.array(W0, dtype=np.float64), np.array(b0, dtype=np.float64)
    eta = problem.linear(W, b)
    r, h = problem.derivatives(eta)
    gWl, gb = problem.loss_gradient(r)
    f = problem.loss_value(eta) + lam * np.einsum("bpm,bpm->b", W, W)
    gW = gWl + 2.0 * lam[:, None, None] * W
    gnorm = kkt_norms(gW, gb, problem.fit_intercept)
    n_iter = np.zeros(B, dtype=np.int64)
    converged = gnorm <= tol
    done = converged.copy()
    while not done.all():
        act = np.flatnonzero(~done)
        dW, db = _pcg(problem, state, lam, h, gW, gb, act)
        t, ok, d_eta, f_new = _line_search(problem, lam, W, eta, f, gW, gb, dW, db, act)
        done[act[~ok]] = True
        acc = act[ok]
        if acc.size == 0:
            continue
        W[acc] += t[acc, None, None] * dW[acc]
        b[acc] += t[acc, None] * db[acc]
        eta[:, acc] += t[None, acc, None] * d_eta[:, np.searchsorted(act, acc)]
        n_iter[acc] += 1
        r, h_acc = problem.derivatives(eta[:, acc], acc)
        h[:, acc] = h_acc
        f[acc] = f_new[acc]
        gWl[acc], gb[acc] = problem.loss_gradient(r)
        gW = gWl + 2.0 * lam[:, None, None] * W
        gnorm[acc] = kkt_norms(gW[acc], gb[acc], problem.fit_intercept)
        converged[acc] = gnorm[acc] <= tol
        done |= converged | (n_iter >= max_iter)
    return GLMFit(coef=W, intercept=b, n_iter=n_iter, grad_norm=gnorm, converged=converged,
                  objective=f, solver="newton-cg")


def _pcg(problem, state, lam, h, gW, gb, act):
    """Lockstep preconditioned CG on ``(H_j + 2λ_j I) d = −g_j`` for members ``act``."""
    B, p, m = gW.shape
    fi = problem.fit_intercept

    def join(VW, vb):  # (a, p, m), (a, m) → (a, p+1, m)
        return np.concatenate([VW, vb[:, None, :] if fi else np.zeros_like(vb)[:, None, :]],
                              axis=1)

    def hess(V, cols):
        VW, vb = V[:, :p], V[:, p]
        u = problem.linear(VW, vb)
        om = problem.omega[:, cols]
        if problem.loss.multi:
            tt = problem.loss.hessian_times(h[:, cols], u) * om[:, :, None]
        else:
            tt = u * (om * h[:, cols])[:, :, None]
        n, a, mm = tt.shape
        HW = np.asarray(problem.X.T @ tt.reshape(n, a * mm)).reshape(p, a, mm).transpose(1, 0, 2)
        Hb = tt.sum(axis=0) if fi else np.zeros((a, mm))
        return join(HW + 2.0 * lam[cols, None, None] * VW, Hb)

    def prec(Rm, cols):
        return np.stack([state.precond[j].apply(Rm[i], float(lam[j]))
                         for i, j in enumerate(cols)])

    rhs = -join(gW[act], gb[act])
    X_ = np.zeros_like(rhs)
    R = rhs.copy()
    Z = prec(R, act)
    P = Z.copy()
    rz = np.einsum("apm,apm->a", R, Z)
    gn = np.sqrt(np.einsum("apm,apm->a", rhs, rhs))
    target = np.minimum(0.5, np.sqrt(gn)) * gn
    live = np.ones(act.size, dtype=bool)
    for _ in range(_MAX_CG):
        live &= np.sqrt(np.einsum("apm,apm->a", R, R)) > target
        if not live.any():
            break
        idx = np.flatnonzero(live)
        HP = hess(P[idx], act[idx])
        pHp = np.einsum("apm,apm->a", P[idx], HP)
        alpha = rz[idx] / np.where(pHp > 0, pHp, 1.0)
        X_[idx] += alpha[:, None, None] * P[idx]
        R[idx] -= alpha[:, None, None] * HP
        Znew = prec(R[idx], act[idx])
        rz_new = np.einsum("apm,apm->a", R[idx], Znew)
        beta = rz_new / np.where(rz[idx] != 0, rz[idx], 1.0)
        P[idx] = Znew + beta[:, None, None] * P[idx]
        rz[idx] = rz_new
    dW, db = np.zeros_like(gW), np.zeros((B, m))
    dW[act] = X_[:, :p]
    if fi:
        db[act] = X_[:, p]
    return dW, db
