"""Trust-region Newton-CG for the penalized GLM objective (large p, scipy.sparse X).

Each outer step approximately solves the Newton system inside a trust region by conjugate
gradients on Hessian-vector products ``(XᵀBX + 2λI)v`` — two passes over X each, never a p×p
matrix (Steihaug 1983; the method of LIBLINEAR's logistic regression: Lin, Weng & Keerthi 2008,
"Trust region Newton method for large-scale logistic regression", *JMLR* 9). Uses scipy's
``trust-ncg``.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from ridgeline.solvers.glm_problem import GLMFit, GLMProblem
from ridgeline.solvers.lbfgs import finish, value_and_gradient


def trust_region(problem: GLMProblem, lam: float, W0: np.ndarray, b0: np.ndarray, *,
                 tol: float = 1e-8, max_iter: int = 200) -> GLMFit:
    """Minimize ``f(W, b)`` for one λ by trust-region Newton-CG from ``(W0, b0)``.

    Stops when the gradient's Euclidean norm falls below ``tol`` (which bounds its largest
    entry), or after ``max_iter`` outer steps. The problem must hold a single weighting.
    """
    if problem.n_batch != 1:
        raise ValueError("trust-ncg solves one problem at a time (batch of 1)")
    cache: dict = {}

    def point(theta):
        if "theta" not in cache or not np.array_equal(cache["theta"], theta):
            f, g, h = value_and_gradient(problem, lam, theta)
            cache.update(theta=theta.copy(), f=f, g=g, h=h)
        return cache

    def hessp(theta, v):
        VW, vb = problem.unpack(v)
        HW, Hb = problem.hessian_times(point(theta)["h"], VW, vb, lam)
        return problem.pack(HW, Hb)

    res = minimize(lambda th: point(th)["f"], problem.pack(W0, b0),
                   jac=lambda th: point(th)["g"], hessp=hessp, method="trust-ncg",
                   options={"gtol": tol, "maxiter": max_iter})
    return finish(problem, lam, res.x, int(res.nit), tol, "trust-ncg", max_iter)
