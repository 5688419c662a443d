"""L-BFGS (scipy's L-BFGS-B, no bounds) for the penalized GLM objective.

One objective-and-gradient evaluation costs two passes over X (``XW`` and ``Xᵀr``); nothing of
size p×p is formed, and scipy.sparse X is never densified. Liu & Nocedal (1989), "On the limited
memory BFGS method for large scale optimization", *Math. Programming* 45.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.sparse.linalg import LinearOperator, cg

from ridgeline.solvers.glm_problem import GLMFit, GLMProblem, kkt_norms


def value_and_gradient(problem: GLMProblem, lam: float, theta: np.ndarray):
    """``(f, ∇f, curvature)`` of a single problem at the flat parameter vector ``theta``."""
    W, b = problem.unpack(theta)
    eta = problem.linear(W, b)
    r, h = problem.derivatives(eta)
    gWl, gb = problem.loss_gradient(r)
    f = float(problem.loss_value(eta)[0]) + lam * float(np.sum(W * W))
    return f, problem.pack(gWl + 2.0 * lam * W, gb), h


def polish(problem: GLMProblem, lam: float, theta: np.ndarray, tol: float,
           max_steps: int = 5) -> tuple[np.ndarray, int]:
    """A few Newton-CG steps, each kept only if it lowers max|∇f| without raising f.

    Quasi-Newton and trust-region methods stop when f no longer shows a decrease, which at
    ``tol`` ≈ 1e-8 can happen while the gradient is still above ``tol``: f has run out of
    digits, not the iteration. Near the optimum the Newton step is exact to second order, so
    the gradient (which still has digits) decides. Returns the point and the steps taken.
    """
    f, g, h = value_and_gradient(problem, lam, theta)
    taken = 0
    for _ in range(max_steps):
        gnorm = float(np.max(np.abs(g)))
        if gnorm <= tol:
            break

        def hv(v, h=h):
            VW, vb = problem.unpack(v)
            HW, Hb = problem.hessian_times(h, VW, vb, lam)
            return problem.pack(HW, Hb)

        op = LinearOperator((theta.size, theta.size), matvec=hv, dtype=np.float64)
        d, _ = cg(op, -g, rtol=1e-6, maxiter=max(50, theta.size))
        f_new, g_new, h_new = value_and_gradient(problem, lam, theta + d)
        if not (np.max(np.abs(g_new)) < gnorm and f_new <= f + 1e-12 * max(abs(f), 1e-300)):
            break
        theta, f, g, h = theta + d, f_new, g_new, h_new
        taken += 1
    return theta, taken


def finish(problem: GLMProblem, lam: float, theta: np.ndarray, n_iter: int, tol: float,
           solver: str, max_iter: int) -> GLMFit:
    """The result dataclass at the solver's point after :func:`polish` (within ``max_iter``)."""
    theta, extra = polish(problem, lam, theta, tol, max_steps=min(5, max_iter - n_iter))
    n_iter += extra
    f, g, _ = value_and_gradient(problem, lam, theta)
    W, b = problem.unpack(theta)
    gW, gb = problem.unpack(g)
    gnorm = kkt_norms(gW, gb, problem.fit_intercept)
    return GLMFit(coef=W.copy(), intercept=b.copy(), n_iter=np.array([n_iter]),
                  grad_norm=gnorm, converged=gnorm <= tol, objective=np.array([f]),
                  solver=solver)


def lbfgs(problem: GLMProblem, lam: float, W0: np.ndarray, b0: np.ndarray, *,
          tol: float = 1e-8, max_iter: int = 1000, memory: int = 20) -> GLMFit:
    """Minimize ``f(W, b)`` for one λ by L-BFGS from ``(W0 (1, p, m), b0 (1, m))``.

    Stops when the largest absolute gradient entry is at most ``tol`` (scipy's ``gtol``), or
    after ``max_iter`` iterations. The problem must hold a single weighting (B = 1).
    """
    if problem.n_batch != 1:
        raise ValueError("lbfgs solves one problem at a time (batch of 1)")
    res = minimize(lambda th: value_and_gradient(problem, lam, th)[:2],
                   problem.pack(W0, b0), jac=True, method="L-BFGS-B",
                   options={"maxiter": max_iter, "maxcor": memory, "gtol": tol,
                            "ftol": 64 * np.finfo(float).eps, "maxls": 50})
    return finish(problem, lam, res.x, int(res.nit), tol, "lbfgs", max_iter)
