"""Warm-started GLM paths over a λ grid, from strong to weak regularization."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline.solvers.glm_problem import GLMProblem, weighted_gram
from ridgeline.solvers.glm_solve import choose_solver, solve
from ridgeline.solvers.newton import NewtonState
from ridgeline.solvers.newton_cg import NewtonCGState


@dataclass
class GLMPath:
    """Solutions of one GLM for every λ of a grid (in the grid's order).

    Attributes
    ----------
    lambdas : ndarray (L,)
    coef : ndarray (L, B, p, m)
        One (p, m) coefficient matrix per λ and member of the problem's batch (B = 1 for a
        single fit; the K training folds in cross-validation).
    intercept : ndarray (L, B, m)
    n_iter : ndarray (L, B) of int
    grad_norm : ndarray (L, B)
        Largest absolute gradient entry at each solution (the KKT certificate).
    converged : ndarray (L, B) of bool
    objective : ndarray (L, B)
    solver : str
    """

    lambdas: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    n_iter: np.ndarray
    grad_norm: np.ndarray
    converged: np.ndarray
    objective: np.ndarray
    solver: str

    @classmethod
    def empty(cls, lambdas: np.ndarray, B: int, p: int, m: int, solver: str) -> GLMPath:
        """A path of zeros for ``lambdas``, to be filled by :meth:`record`."""
        L = lambdas.size
        return cls(lambdas=lambdas, coef=np.zeros((L, B, p, m)), intercept=np.zeros((L, B, m)),
                   n_iter=np.zeros((L, B), dtype=np.int64), grad_norm=np.zeros((L, B)),
                   converged=np.zeros((L, B), dtype=bool), objective=np.zeros((L, B)),
                   solver=solver)

    def record(self, i: int, fit) -> None:
        """Store the solution (a :class:`~ridgeline.solvers.glm_problem.GLMFit`) of grid point i."""
        self.coef[i], self.intercept[i] = fit.coef, fit.intercept
        self.n_iter[i], self.grad_norm[i] = fit.n_iter, fit.grad_norm
        self.converged[i], self.objective[i] = fit.converged, fit.objective


def glm_path(problem: GLMProblem, lambdas, *, solver: str = "auto", tol: float = 1e-8,
             max_iter: int = 100, start: tuple[np.ndarray, np.ndarray] | None = None,
             lambda_scale=None) -> GLMPath:
    """Solve for every λ, warm-starting each from its larger neighbour.

    The grid is visited from the largest λ (the solution nearest the null model) down; the
    Newton solver also carries its Hessian from one λ to the next while it keeps converging fast.

    Parameters
    ----------
    problem : GLMProblem
    lambdas : array-like (L,)
        Canonical λ values (any order; results come back in this order).
    solver : {"auto", "newton", "lbfgs", "trust-ncg"}
    tol, max_iter : stopping rule of each solve (see the solvers)
    start : (W (B, p, m), b (B, m)), optional
        Starting point of the first (largest) λ; default the null model.
    lambda_scale : ndarray (B,), optional
        Member j is solved at ``lambdas · lambda_scale[j]`` (e.g. scikit-learn's fixed-C
        convention on training folds: ``n_w / n_w,train``); default 1.
    """
    lambdas = np.asarray(lambdas, dtype=np.float64)
    name = choose_solver(problem, solver)
    order = np.argsort(-lambdas, kind="stable")
    B = problem.n_batch
    out = GLMPath.empty(lambdas, B, problem.n_features, problem.n_outputs, name)
    W, b = start if start is not None else problem.zeros()
    state = NewtonCGState() if name == "newton-cg" else NewtonState()
    scale = np.ones(B) if lambda_scale is None else np.asarray(lambda_scale, dtype=np.float64)
    for i in order:
        fit = solve(problem, lambdas[i] * scale, W, b, solver=name, tol=tol, max_iter=max_iter,
                    state=state)
        W, b = fit.coef, fit.intercept
        out.record(i, fit)
    return out


#: Effective degrees of freedom (as fractions of the rank) the automatic grid spans.
DOF_RANGE = (0.05, 0.99)


def auto_glm_grid(problem: GLMProblem, n_lambdas: int = 20, dof_range=DOF_RANGE) -> np.ndarray:
    """A log-spaced λ grid (decreasing) spanning effective dof from ~5% to ~99% of the rank.

    Uses the curvature of the null model (the intercept-only fit): its loss Hessian
    ``Xᵀ diag(ω ℓ''(η₀)) X`` (centered) plays the role of the ridge Gram, so the grid covers the
    same range of effective degrees of freedom ``Σ e/(e + 2λ)`` as the ridge engine's.
    """
    W0, b0 = problem.zeros()
    eta = problem.linear(W0, b0)
    _, h = problem.derivatives(eta)
    h = h[:, 0]
    if problem.loss.multi:
        h = np.mean(h * (1.0 - h), axis=1)
    wh = problem.omega[:, 0] * h
    G = weighted_gram(problem.X, wh)
    if problem.fit_intercept:
        c = np.asarray(problem.X.T @ wh)
        G = G - np.outer(c, c) / wh.sum()
    return grid_from_curvature(G, n_lambdas, dof_range)


def grid_from_curvature(S: np.ndarray, n_lambdas: int,
                        dof_range: tuple[float, float] = DOF_RANGE) -> np.ndarray:
    """A log-spaced λ grid (decreasing) spanning ``dof_range`` of the rank of ``S``.

    Parameters
    ----------
    S : ndarray (p, p)
        Centered loss Hessian at the null model, on the scale of the objective's mean loss;
        its eigenvalues ``e`` give the effective degrees of freedom ``Σ e / (e + 2λ)``.
    n_lambdas : int
    dof_range : (float, float)
        Smallest and largest dof as fractions of the rank.
    """
    e = np.clip(np.linalg.eigvalsh(0.5 * (S + S.T)), 0.0, None)
    e = e[e > 1e-12 * max(e.max(initial=0.0), 1e-300)]
    if e.size == 0:
        return np.logspace(0, -4, n_lambdas)
    lam_hi = _lambda_for_dof(e, max(dof_range[0] * e.size, 0.5))
    lam_lo = _lambda_for_dof(e, dof_range[1] * e.size)
    return np.logspace(np.log10(lam_hi), np.log10(lam_lo), n_lambdas)


def _lambda_for_dof(e: np.ndarray, dof: float) -> float:
    """λ with Σ e/(e + 2λ) = dof, by bisection in log λ."""
    lo, hi = -30.0, 30.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        d = float(np.sum(e / (e + 2.0 * 10.0**mid)))
        lo, hi = (mid, hi) if d > dof else (lo, mid)
    return 10.0 ** (0.5 * (lo + hi))
