"""Warm-started GLM paths over a λ grid for B models at once, and the automatic grid.

The driver of cross-validation and of regularization paths: the K training folds (and/or the
full-data model) are solved together along the grid, from strong to weak regularization, so
every pass over the data serves every fold (:mod:`ridgeline.solvers.newton`). Each λ starts
from the previous solution with its curvature, and — since the loss gradient at a solution
does not depend on λ — its first Newton step is taken without a pass: the *predictor*
``Δw = −(S + 2λ'I)⁻¹ 2(λ' − λ) w`` along the path, which the following passes correct.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline._lapack import eigvalsh
from ridgeline.path.budget import check_count, check_grid_budget, point_bytes
from ridgeline.solvers.glm_fit import choose_solver, fit
from ridgeline.solvers.problem import GLMProblem


@dataclass
class GLMPath:
    """Solutions of B models for every λ of a grid (in the grid's order).

    Attributes
    ----------
    lambdas : ndarray (L,)
    coef : ndarray (L, B, p, m)
        One (p, m) coefficient matrix per λ and member (B = 1 for a single fit; the K
        training folds in cross-validation).
    intercept : ndarray (L, B, m)
    n_iter : ndarray (L, B) of int
    grad_norm : ndarray (L, B)
        Largest absolute gradient entry at each solution (the KKT certificate).
    converged : ndarray (L, B) of bool
    objective : ndarray (L, B)
    held_sw, held_loss, held_correct : ndarray (L, B)
        Held-out weight, loss and correct predictions of each member at each solution.
    solver : str
    n_passes : int
        Passes over all the rows.
    n_hessian_passes : int
    """

    lambdas: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    n_iter: np.ndarray
    grad_norm: np.ndarray
    converged: np.ndarray
    objective: np.ndarray
    held_sw: np.ndarray
    held_loss: np.ndarray
    held_correct: np.ndarray
    solver: str
    n_passes: int = 0
    n_hessian_passes: int = 0

    @classmethod
    def empty(cls, lambdas: np.ndarray, B: int, p: int, m: int, solver: str) -> GLMPath:
        """A path of zeros for ``lambdas``, to be filled by :meth:`record`."""
        L = lambdas.size
        z = np.zeros((L, B))
        return cls(lambdas=lambdas, coef=np.zeros((L, B, p, m)), intercept=np.zeros((L, B, m)),
                   n_iter=np.zeros((L, B), dtype=np.int64), grad_norm=z.copy(),
                   converged=np.zeros((L, B), dtype=bool), objective=z.copy(),
                   held_sw=z.copy(), held_loss=z.copy(), held_correct=z.copy(), solver=solver)

    def record(self, i: int, fit) -> None:
        """Store the solution (a :class:`~ridgeline.solvers.newton.GLMFit`) of grid point i."""
        self.coef[i], self.intercept[i] = fit.coef, fit.intercept
        self.n_iter[i], self.grad_norm[i] = fit.n_iter, fit.grad_norm
        self.converged[i], self.objective[i] = fit.converged, fit.objective
        self.held_sw[i], self.held_loss[i] = fit.held_sw, fit.held_loss
        self.held_correct[i] = fit.held_correct
        self.n_passes += fit.n_passes
        self.n_hessian_passes += fit.n_hessian_passes


def glm_path(problem: GLMProblem, lambdas, *, held_out=None, n_folds: int = 1,
             lambda_scale=None, solver: str = "auto", tol: float = 1e-8, max_iter: int = 100,
             start: tuple[np.ndarray, np.ndarray] | None = None, summary=None,
             polish: bool = False, reuse: bool | None = None) -> GLMPath:
    """Solve members ``held_out`` for every λ, warm-starting each from its larger neighbour.

    Parameters
    ----------
    problem : GLMProblem
    lambdas : array-like (L,)
        Canonical λ values (any order; results come back in this order).
    held_out : array-like of int (B,), optional
        The fold (or split) each member holds out; default ``[-1]``, the full data.
    n_folds : int
        K of the source's fold rule (its number of splits).
    lambda_scale : ndarray (B,), optional
        Member j is solved at ``lambdas · lambda_scale[j]`` (e.g. scikit-learn's fixed-C
        convention on training folds: ``n_w / n_w,train``); default 1.
    solver : {"auto", "newton", "lbfgs"} or an alias (see :func:`choose_solver`)
    tol, max_iter : stopping rule of each solve
    start : (W (B, p, m), b (B, m)), optional
        Starting point of the first (largest) λ; default the null model.
    summary : TargetSummary, optional
        The source's target summary for ``n_folds`` (one is taken when needed and not given).
    polish : bool
        Newton: end every solve with one more evaluated step, the gradient at rounding level
        (for final models; a CV path needs only the tolerance).
    reuse : bool, optional
        Newton: reuse Hessians while they pay (default: as
        :func:`~ridgeline.solvers.glm_fit.reuses_curvature` says for
        the source); False forms one at every step.
    """
    lambdas = np.asarray(lambdas, dtype=np.float64)
    held_out = np.array([-1]) if held_out is None else np.asarray(held_out, dtype=np.int64)
    name = choose_solver(problem, solver)
    B = held_out.size
    _check_grid(lambdas.size, B, problem.n_features, problem.n_outputs)
    scale = np.ones(B) if lambda_scale is None else np.asarray(lambda_scale, dtype=np.float64)
    out = GLMPath.empty(lambdas, B, problem.n_features, problem.n_outputs, name)
    extra = 0
    if (summary is None and start is None) or (name == "lbfgs" and getattr(summary, "sx", None)
                                               is None):
        # the null start needs the summary; L-BFGS's metric the features' scales
        summary = problem.source.target_summary(n_folds, progress=problem.progress,
                                                columns=name == "lbfgs")
        extra = 1
    W, b = start if start is not None else problem.null_start(summary, held_out, n_folds)
    scales = summary.feature_scale() if name == "lbfgs" and summary.sx is not None else None
    curvature = point = None
    for i in np.argsort(-lambdas, kind="stable"):
        res = fit(problem, lambdas[i] * scale, W, b, held_out, n_folds, solver=name, tol=tol,
                  max_iter=max_iter, curvature0=curvature, start=point,
                  subset_first=curvature is None and start is None, feature_scale=scales,
                  polish=polish, reuse=reuse)
        W, b, curvature, point = res.coef, res.intercept, res.curvature, res.point
        out.record(i, res)
    out.n_passes += extra
    return out


def _check_grid(L: int, B: int, p: int, m: int) -> None:
    """L points × B members, each a solve keeping (p, m) coefficients: within the budgets
    (:func:`ridgeline.path.budget.check_grid_budget`), before the first solve."""
    check_grid_budget("lambdas", L, given=True, solves_per_point=B,
                      bytes_per_point=point_bytes(B * (p * m + m + 8)),
                      stored=f"{B} member(s) × {m} output(s) × {p:,} coefficients")


#: Effective degrees of freedom (as fractions of the rank) the automatic grid spans.
DOF_RANGE = (0.05, 0.99)


def auto_glm_grid(problem: GLMProblem, n_lambdas: int = 20, dof_range=DOF_RANGE, *,
                  summary=None) -> np.ndarray:
    """A log-spaced λ grid (decreasing) spanning effective dof from ~5% to ~99% of the rank.

    Uses the curvature of the null model (the intercept-only fit), from one pass over the
    data: its loss Hessian ``Σ ω_i ℓ''(η₀) x_i x_iᵀ`` (centered with an intercept) plays the
    role of the ridge Gram, so the grid covers the same range of effective degrees of freedom
    ``Σ e/(e + 2λ)`` as the ridge engine's. At the null model ℓ'' is the same on every row:
    ``f(1 − f)`` for the binary loss (f the weighted frequency of the positive class, ¼
    without an intercept), ``mean_c f_c(1 − f_c)`` for the softmax (class frequencies f_c; 1/C
    each without an intercept), ``2μ`` for Poisson.
    """
    n_lambdas = check_count(n_lambdas, "n_lambdas", solved=True)  # before the pass
    full = np.array([-1])
    src = problem.source
    if problem.multi:
        return _softmax_grid(problem, n_lambdas, dof_range)
    if summary is None:
        summary = src.target_summary(1, progress=problem.progress)
    W0, b0 = problem.null_start(summary, full, 1)
    r = problem.run_pass(W0, b0, full, 1, True)
    sw = float(r.sw[0])
    if not sw > 0:
        raise ValueError("the data have no rows with positive weight")
    S = r.hess_ww[0] / sw
    if problem.fit_intercept and r.hess_bb[0] > 0:
        S = S - np.outer(r.hess_wb[0], r.hess_wb[0]) / (float(r.hess_bb[0]) * sw)
    return grid_from_curvature(S, n_lambdas, dof_range)


def _softmax_grid(problem: GLMProblem, n_lambdas: int, dof_range) -> np.ndarray:
    """:func:`auto_glm_grid` of a softmax model: one pass at ``W = 0, b = 0`` (π = 1/C), whose
    off-diagonal Hessian blocks are ``−Σ s_i x̃_i x̃_iᵀ / C²`` (x̃ = [x, 1]) and whose intercept
    gradient ``Σ s_i (1/C − y_ic)`` gives the class totals."""
    C, p = problem.n_outputs, problem.n_features
    full = np.array([-1])
    r = problem.run_pass(np.zeros((1, p, C)), np.zeros((1, C)), full, 1, True)
    G = -float(C * C) * r.hess[0, 0, 1]  # Σ s x̃ x̃ᵀ, (p + 1) square
    sw = float(G[p, p])
    if not sw > 0:
        raise ValueError("the data have no rows with positive weight")
    if problem.fit_intercept:
        f = (sw / C - r.grad[0, p]) / sw  # weighted class frequencies
        h = float(np.mean(f * (1.0 - f)))
        S = (G[:p, :p] - np.outer(G[:p, p], G[:p, p]) / sw) / sw
    else:
        h = (1.0 / C) * (1.0 - 1.0 / C)
        S = G[:p, :p] / sw
    return grid_from_curvature(h * S, n_lambdas, dof_range)


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
    e = np.clip(eigvalsh(0.5 * (S + S.T), "the Hessian XᵀWX"), 0.0, None)
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
