"""Choosing λ for GLMs by approximate leave-one-out (ALO), on in-memory arrays.

Rad & Maleki 2020, "A scalable estimate of the out-of-sample prediction error via approximate
leave-one-out", *JRSS B* 82(4). One fit per λ on all the data; the leave-one-out linear
predictor of sample i is one Newton step from the full solution with sample i removed, which
the Sherman–Morrison–Woodbury identity reduces to::

    η_{/i} = η_i + J_i (I − ω_i B_i J_i)⁻¹ ω_i g_i,      J_i = x̃_iᵀ H⁻¹ x̃_i

with g_i = ℓ'(η_i), B_i = ℓ''(η_i) (K×K blocks for multinomial — the paper's block form), H the
Hessian of the objective at the optimum, x̃_i = (x_i, 1). It estimates the error of refitting
without sample i at the same C (the penalty ``n_w λ ‖w‖²`` of the summed loss held fixed).
The leverages J_i need every row, so ALO runs on an in-memory array source only.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ridgeline._lapack import solve
from ridgeline.path.glm_path import GLMPath
from ridgeline.selection.glm_scoring import GLMScorer
from ridgeline.selection.glm_select import GLMSelection, finish, target_matrix
from ridgeline.solvers.curvature import Curvature
from ridgeline.solvers.glm_fit import fit
from ridgeline.solvers.glm_models import make_model
from ridgeline.solvers.problem import GLMProblem
from ridgeline.stats.array_source import ArraySource
from ridgeline.stats.chunks import iter_row_chunks

_FULL = np.array([-1])


def in_memory_rows(problem: GLMProblem) -> tuple[object, np.ndarray, np.ndarray]:
    """``(X, y, ω)`` of an in-memory source: the rows, the encoded targets and the
    normalized sample weights ``ω = s / Σ s``; a ValueError for files and Dask."""
    src = problem.source
    if not isinstance(src, ArraySource):
        raise ValueError("approximate leave-one-out needs the rows in memory: use "
                         "method='kfold' on a file or Dask source")
    s = np.ones(src.y.size) if src.s is None else src.s
    return src.X, src.y, s / s.sum()


def alo_glm(problem: GLMProblem, labels, lambdas, alphas, scorer: GLMScorer, *, classes,
            tol=1e-8, max_iter=100, rule="min", warn_stacklevel: int = 0) -> GLMSelection:
    """Approximate leave-one-out scores of every λ from one full-data Newton fit per λ.

    The fits run along the grid from strong to weak regularization. The Hessian at each
    optimum serves twice: for the leverages, and as the next λ's Newton curvature. Where the
    curvature weights ω_i ℓ''(η_i) barely change between optima (relative L1 change ≤ 1%, as
    at the weakly regularized end of a grid), the eigenbasis and the rotated rows
    ``(X − μ)V`` are reused, so a λ costs O(n p) instead of O(n p²): the leverages then carry
    an error of the same order (≤ 1%), far below ALO's own O(1/n) approximation error and
    invisible in the scores.
    """
    X, y, om = in_memory_rows(problem)
    lambdas = np.asarray(lambdas, dtype=np.float64)
    L = lambdas.size
    path = GLMPath.empty(lambdas, 1, problem.n_features, problem.n_outputs, "newton")
    mean, se, dof = np.zeros(L), np.full(L, np.nan), np.zeros(L)
    Y = target_matrix(problem, y)
    W, b = problem.null_start(problem.source.target_summary(1), _FULL, 1)
    curvature = point = basis = None
    for i in np.argsort(-lambdas, kind="stable"):
        lam = float(lambdas[i])
        res = fit(problem, lam, W, b, _FULL, 1, solver="newton", tol=tol, max_iter=max_iter,
                  curvature0=curvature, start=point)
        W, b, point = res.coef, res.intercept, res.point
        path.record(i, res)
        if problem.multi:
            eta_loo, dof[i] = alo_predictors(problem, W, b, lam)
            curvature = res.curvature
        else:
            eta = linear(X, W, b, problem.offset)
            _, h = problem.loss.derivatives(y, eta[:, 0])
            if basis is None or not basis.close_to(h):
                basis = LeverageBasis(problem, W, b, h, dtype=np.float32)
            curvature = [basis.curvature]  # exact at this optimum: the next λ's Newton
            eta_loo, dof[i] = basis.alo(problem, eta, lam)
        if scorer.per_sample is not None:
            vals = scorer.per_sample(problem.loss, Y, eta_loo)
            mean[i] = float(om @ vals)
            se[i] = float(np.std(vals, ddof=1) / np.sqrt(vals.size))
        else:
            s = problem.source.s
            mean[i] = scorer.score(Y, labels, eta_loo, np.ones(y.size) if s is None else s,
                                   problem.loss, classes)
    res = finish(lambdas, alphas, "alo", scorer, None, mean, se, dof, rule, X.shape[0],
                 warn_stacklevel)
    return GLMSelection(result=res, path=path)


def linear(X, W: np.ndarray, b: np.ndarray, offset: np.ndarray | None = None) -> np.ndarray:
    """η = XW + b (+ offset (n,)) (n, m) of one model W (1, p, m), b (1, m)."""
    eta = np.asarray(X @ W[0]) + b[0]
    return eta if offset is None else eta + offset[:, None]


def exact_curvature(problem: GLMProblem, W: np.ndarray, b: np.ndarray) -> Curvature:
    """The loss curvature of the full-data model (W (1, p, m), b (1, m)), from one pass."""
    r = problem.run_pass(W, b, _FULL, 1, True)
    return make_model(problem, _FULL, 1).curvature(r, 0)


class LeverageBasis:
    """Leverages ``x̃_iᵀ (H + 2λI)⁻¹ x̃_i`` for every λ from one Hessian (scalar outputs).

    With the intercept eliminated, ``x̃ᵀH⁻¹x̃ = (x − μ)ᵀ(S + 2λI)⁻¹(x − μ) + 1/d`` where
    ``S = VEVᵀ``; so with ``Z = (X − μ)V`` (one pass, kept as Z²) the leverages of any λ are
    ``Z² · 1/(e + 2λ) + 1/d``.
    """

    def __init__(self, problem: GLMProblem, W: np.ndarray, b: np.ndarray, h: np.ndarray,
                 dtype=np.float64):
        self.h = h
        self.curvature = c = exact_curvature(problem, W, b)
        if problem.fit_intercept:
            self.d_inv = float(c.Hbb_pinv[0, 0])
            mu = c.Hwb[:, 0] * self.d_inv
        else:
            self.d_inv, mu = 0.0, np.zeros(problem.n_features)
        muV = mu @ c.V
        X = problem.source.X
        # alo_glm stores Z² in float32 (leverages to ~1e-7, far below ALO's own error; half
        # the memory traffic); alo_predictors keeps float64 (the exact formula)
        self.Z2 = np.empty((X.shape[0], c.V.shape[1]), dtype=dtype)
        for rows, Xc in iter_row_chunks(X):
            Z = np.asarray(Xc @ c.V)
            Z -= muV
            np.square(Z, out=Z)
            self.Z2[rows] = Z

    def close_to(self, h: np.ndarray, rtol: float = 1e-2) -> bool:
        """Whether curvature weights ``h`` are within ``rtol`` (relative, L1) of this basis'."""
        return float(np.abs(h - self.h).sum()) <= rtol * float(np.abs(self.h).sum())

    def leverages(self, lam: float) -> np.ndarray:
        d = self.curvature.e + 2.0 * lam
        inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1.0), 0.0)
        return (self.Z2 @ inv.astype(self.Z2.dtype)).astype(np.float64) + self.d_inv

    def alo(self, problem: GLMProblem, eta: np.ndarray, lam: float) -> tuple[np.ndarray, float]:
        """ALO linear predictors (n, 1) and effective dof at the solution with predictor ``eta``."""
        _, y, om = in_memory_rows(problem)
        g, h = problem.loss.derivatives(y, eta[:, 0])
        lev = self.leverages(lam)
        step = lev * om * g / (1.0 - om * h * lev)
        return eta + step[:, None], float(np.sum(om * h * lev))


def alo_predictors(problem: GLMProblem, W: np.ndarray, b: np.ndarray,
                   lam: float) -> tuple[np.ndarray, float]:
    """Approximate leave-one-out linear predictors (n, m) at the solution (W (1,p,m), b (1,m)).

    Also returns the effective degrees of freedom ``Σ_i ω_i tr(B_i J_i)`` (the trace of the
    GLM hat matrix, intercept included).
    """
    X, y, om = in_memory_rows(problem)
    eta = linear(X, W, b, problem.offset)
    if not problem.multi:
        _, h = problem.loss.derivatives(y, eta[:, 0])
        return LeverageBasis(problem, W, b, h).alo(problem, eta, lam)
    Y = target_matrix(problem, y)
    g, P = problem.loss.derivatives(Y, eta)  # unweighted ℓ' (n, K) and probabilities
    curv = exact_curvature(problem, W, b)
    J = _block_leverages(X, curv, lam, problem.fit_intercept)
    Bm = problem.loss.hessian_blocks(P)
    K = P.shape[1]
    A = np.eye(K)[None] - om[:, None, None] * np.einsum("ikl,ilm->ikm", Bm, J)
    r = solve(A, (om[:, None] * g)[..., None], "the ALO system")[..., 0]
    step = np.einsum("ikl,il->ik", J, r)
    dof = float(np.sum(om * np.einsum("ikl,ilk->i", Bm, J)))
    return eta + step, dof


def _block_leverages(X, curv: Curvature, lam: float, fit_intercept: bool) -> np.ndarray:
    """Per-sample K×K blocks ``J_i = x̃_iᵀ H⁻¹ x̃_i`` for multinomial (n, K, K)."""
    M = curv.inverse(lam)
    K = curv.Hbb_pinv.shape[0] if fit_intercept else M.shape[0] // X.shape[1]
    n = X.shape[0]
    J = np.empty((n, K, K))
    if fit_intercept:
        Q = curv.Hwb @ curv.Hbb_pinv
        MQ = M @ Q
        const = Q.T @ MQ + curv.Hbb_pinv
    for rows, Xc in iter_row_chunks(X):
        Xd = Xc.toarray() if sp.issparse(Xc) else Xc
        for k in range(K):
            for q in range(k, K):
                v = np.einsum("ij,ij->i", Xd @ M[k::K, q::K], Xd)
                J[rows, k, q] = v
                J[rows, q, k] = v
        if fit_intercept:
            C = np.stack([Xd @ MQ[k::K, :] for k in range(K)], axis=1)  # (r, K, K)
            J[rows] -= C + C.transpose(0, 2, 1)
            J[rows] += const
    return J
