"""Choosing λ for GLMs: K-fold CV along warm-started paths, and approximate leave-one-out.

**K-fold.** The K training sets become one batched problem (weights zero on each fold's
held-out rows) solved along the λ grid from strong to weak regularization, all folds stepping
in lockstep so each pass over X serves every fold. Held-out linear predictors for every λ are
one product per fold.

**ALO** (Rad & Maleki 2020, "A scalable estimate of the out-of-sample prediction error via
approximate leave-one-out", *JRSS B* 82(4)). One fit per λ on all the data; the leave-one-out
linear predictor of sample i is one Newton step from the full solution with sample i removed,
which the Sherman–Morrison–Woodbury identity reduces to::

    η_{/i} = η_i + J_i (I − ω_i B_i J_i)⁻¹ ω_i g_i,      J_i = x̃_iᵀ H⁻¹ x̃_i

with g_i = ℓ'(η_i), B_i = ℓ''(η_i) (K×K blocks for multinomial — the paper's block form), H the
Hessian of the objective at the optimum, x̃_i = (x_i, 1). It estimates the error of refitting
without sample i at the same C (the penalty ``n_w λ ‖w‖²`` of the summed loss held fixed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ridgeline.path.glm_path import GLMPath, glm_path
from ridgeline.selection.glm_scoring import GLMScorer
from ridgeline.selection.result import RidgeCVResult, edge_sides, select_1se, select_min, warn_edges
from ridgeline.solvers.glm_problem import Curvature, GLMProblem
from ridgeline.solvers.newton import NewtonState, newton
from ridgeline.stats.chunks import iter_row_chunks


@dataclass
class GLMSelection:
    """What λ selection for a GLM produced.

    Attributes
    ----------
    result : RidgeCVResult
        The CV curve, standard errors, λ_min / λ_1se (``method`` is ``"kfold"`` or ``"alo"``).
    path : GLMPath
        K-fold: the per-fold paths (batch axis = fold). ALO: the full-data path (batch of 1),
        so the fit at the chosen λ needs no refit.
    """

    result: RidgeCVResult
    path: GLMPath


def _finish(lambdas, alphas, method, scorer, fold_scores, mean, se, dof, rule, n_splits,
            warn_stacklevel):
    idx_min = int(select_min(mean))
    idx_1se = idx_min if np.isnan(se).all() else int(select_1se(lambdas, mean, se, idx_min))
    res = RidgeCVResult(lambdas=lambdas, alphas=alphas, method=method, scoring=scorer.name,
                        fold_scores=fold_scores, mean_score=mean, se=se, dof=dof,
                        index_min=idx_min, index_1se=idx_1se,
                        lambda_min=float(lambdas[idx_min]), lambda_1se=float(lambdas[idx_1se]),
                        rule=rule, per_target=False, train_mse=None, n_splits=n_splits)
    if warn_stacklevel:
        warn_edges(edge_sides(lambdas, np.array([res.index_])), dof=dof, lambdas=lambdas,
                   stacklevel=warn_stacklevel + 1,
                   remedy="widen the grid past that edge (a grid of C = 1/(2 n λ) runs the "
                          "other way: smaller Cs give a larger λ)")
    return res


def kfold_glm(problem: GLMProblem, labels, splits, lambdas, alphas, scorer: GLMScorer, *,
              classes, solver="auto", tol=1e-8, max_iter=100, rule="min", fixed_C=True,
              warn_stacklevel: int = 0) -> GLMSelection:
    """K-fold CV scores of every λ along warm-started paths.

    Parameters
    ----------
    problem : GLMProblem
        The full data with its sample weights (a batch of 1).
    labels : ndarray (n,)
        Original class labels (or targets) for scikit-learn scorers.
    splits : list of (train_idx, test_idx)
    lambdas, alphas : ndarray (L,)
        Canonical grid on the full data and the same grid in the estimator's parameter (C).
    fixed_C : bool
        True (scikit-learn's convention): a training fold is fit at the same C, i.e. at
        λ·n_w/n_w,train; False: at the same canonical λ (which does not depend on n).
    """
    s = problem.weights
    n = s.shape[0]
    F = len(splits)
    train_w = np.zeros((n, F))
    for k, (tr, _) in enumerate(splits):
        train_w[tr, k] = s[tr]
    batch = GLMProblem(problem.X, problem.y, train_w, problem.loss, problem.fit_intercept)
    scale = s.sum() / train_w.sum(axis=0) if fixed_C else None
    path = glm_path(batch, lambdas, solver=solver, tol=tol, max_iter=max_iter,
                    lambda_scale=scale)
    L = lambdas.size
    scores = np.zeros((F, L))
    for k, (_, te) in enumerate(splits):
        E = _predictors(problem.X[te], path.coef[:, k], path.intercept[:, k])
        y_te, lab_te, w_te = problem.y[te], labels[te], s[te]
        for i in range(L):
            scores[k, i] = scorer.score(y_te, lab_te, E[:, i], w_te, problem.loss, classes)
    mean = scores.mean(axis=0)
    se = scores.std(axis=0, ddof=1) / np.sqrt(F) if F > 1 else np.full(L, np.nan)
    res = _finish(lambdas, alphas, "kfold", scorer, scores[:, :, None], mean, se,
                  np.full(L, np.nan), rule, F, warn_stacklevel)
    return GLMSelection(result=res, path=path)


def _predictors(X, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """η for every λ: coef (L, p, m), intercept (L, m) → (n, L, m)."""
    L, p, m = coef.shape
    E = np.asarray(X @ coef.transpose(1, 0, 2).reshape(p, L * m)).reshape(-1, L, m)
    return E + intercept


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
    lambdas = np.asarray(lambdas, dtype=np.float64)
    L = lambdas.size
    path = GLMPath.empty(lambdas, 1, problem.n_features, problem.n_outputs, "newton")
    mean, se, dof = np.zeros(L), np.full(L, np.nan), np.zeros(L)
    s = problem.weights
    state = NewtonState()
    W, b = problem.zeros()
    basis = None
    for i in np.argsort(-lambdas, kind="stable"):
        lam = float(lambdas[i])
        fit = newton(problem, lam, W, b, tol=tol, max_iter=max_iter, state=state)
        W, b = fit.coef, fit.intercept
        path.record(i, fit)
        if problem.loss.multi:
            eta_loo, dof[i] = alo_predictors(problem, W, b, lam)
        else:
            eta = state.point.eta[:, 0]
            h = state.point.h[:, 0]
            if basis is None or not basis.close_to(h):
                basis = LeverageBasis(problem, h, dtype=np.float32)
            state.curvature = [basis.curvature]  # exact at this optimum: the next λ's Newton
            eta_loo, dof[i] = basis.alo(problem, eta, lam)
        if scorer.per_sample is not None:
            vals = scorer.per_sample(problem.loss, problem.y, eta_loo)
            mean[i] = float(s @ vals / s.sum())
            se[i] = float(np.std(vals, ddof=1) / np.sqrt(vals.size))
        else:
            mean[i] = scorer.score(problem.y, labels, eta_loo, s, problem.loss, classes)
    res = _finish(lambdas, alphas, "alo", scorer, None, mean, se, dof, rule, problem.X.shape[0],
                  warn_stacklevel)
    return GLMSelection(result=res, path=path)


class LeverageBasis:
    """Leverages ``x̃_iᵀ (H + 2λI)⁻¹ x̃_i`` for every λ from one Hessian (scalar outputs).

    With the intercept eliminated, ``x̃ᵀH⁻¹x̃ = (x − μ)ᵀ(S + 2λI)⁻¹(x − μ) + 1/d`` where
    ``S = VEVᵀ``; so with ``Z = (X − μ)V`` (one pass, kept as Z²) the leverages of any λ are
    ``Z² · 1/(e + 2λ) + 1/d``.
    """

    def __init__(self, problem: GLMProblem, h: np.ndarray, dtype=np.float64):
        self.h = h
        self.curvature = problem.curvature(h[:, None])
        c = self.curvature
        if problem.fit_intercept:
            self.d_inv = float(c.Hbb_pinv[0, 0])
            mu = c.Hwb[:, 0] * self.d_inv
        else:
            self.d_inv, mu = 0.0, np.zeros(problem.n_features)
        muV = mu @ c.V
        X = problem.X
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
        om = problem.omega[:, 0]
        g, h = problem.loss.derivatives(problem.y, eta[:, 0])
        lev = self.leverages(lam)
        step = lev * om * g / (1.0 - om * h * lev)
        return eta + step[:, None], float(np.sum(om * h * lev))


def alo_predictors(problem: GLMProblem, W: np.ndarray, b: np.ndarray,
                   lam: float) -> tuple[np.ndarray, float]:
    """Approximate leave-one-out linear predictors (n, m) at the solution (W (1,p,m), b (1,m)).

    Also returns the effective degrees of freedom ``Σ_i ω_i tr(B_i J_i)`` (the trace of the
    GLM hat matrix, intercept included).
    """
    eta = problem.linear(W, b)[:, 0]
    r, h = problem.derivatives(eta[:, None])
    if not problem.loss.multi:
        return LeverageBasis(problem, h[:, 0]).alo(problem, eta, lam)
    curv = problem.curvature(h)
    om = problem.omega[:, 0]
    g = r[:, 0] / np.where(om > 0, om, 1.0)[:, None]  # unweighted ℓ'
    J = _block_leverages(problem.X, curv, lam, problem.fit_intercept)
    P = h[:, 0]
    Bm = problem.loss.hessian_blocks(P)
    K = P.shape[1]
    A = np.eye(K)[None] - om[:, None, None] * np.einsum("ikl,ilm->ikm", Bm, J)
    step = np.einsum("ikl,il->ik", J, np.linalg.solve(A, (om[:, None] * g)[..., None])[..., 0])
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
            C = np.stack([Xd @ MQ[k::K, :] for k in range(K)], axis=1)  # (r, K, K): x·(MQ)[k::K, l]
            J[rows] -= C + C.transpose(0, 2, 1)
            J[rows] += const
    return J
