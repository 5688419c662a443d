"""Synthetic GLM data and slow-but-obvious references shared by the GLM test files.

The references (objective, gradient, Hessian) are written from the objective of DESIGN.md
only, ``(1/n_w) Σ_i s_i ℓ(y_i, x_iᵀW + b) + λ‖W‖²_F`` with one-hot targets for the softmax;
they call no ridgeline code. :func:`problem_of` and :func:`cold_fit` are the thin road into the
engine the tests share.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, logsumexp, softmax, xlogy

from ridgeline.losses import LOSSES
from ridgeline.solvers.glm_fit import fit
from ridgeline.solvers.problem import GLMProblem

#: The full-data member of a pass.
FULL = np.array([-1])

#: The per-sample losses written straight from their definitions (no ridgeline code).
LOSS_REF = {
    "binomial": lambda y, eta: np.logaddexp(0.0, eta) - y * eta,
    "multinomial": lambda Y, E: logsumexp(E, axis=-1) - np.sum(Y * E, axis=-1),
    "poisson": lambda y, eta: 2.0 * (xlogy(y, y) - y * eta - y + np.exp(eta)),
}


def make_glm_data(kind: str, seed: int, n: int, p: int, K: int = 3, weighted: bool = True):
    """Shifted, unevenly scaled features; targets drawn from the model (not separable).

    ``kind``: "binomial" (0/1 targets), "multinomial" (one-hot, K classes) or "poisson".
    Returns ``(X (n, p), y, sample weights (n,))``.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, p) + 0.5 * rng.normal(size=p)
    if kind == "binomial":
        eta = X @ rng.normal(size=p) * 0.5 + 0.3
        y = (rng.uniform(size=n) < expit(eta)).astype(float)
    elif kind == "multinomial":
        E = X @ rng.normal(size=(p, K)) * 0.5
        u = rng.uniform(size=(n, 1))
        lab = np.minimum((u > np.cumsum(softmax(E, axis=1), axis=1)).sum(axis=1), K - 1)
        y = np.eye(K)[lab]
    else:
        eta = 0.3 * X @ rng.normal(size=p) + 0.2
        y = rng.poisson(np.exp(eta)).astype(float)
    s = rng.uniform(0.3, 3.0, n) if weighted else np.ones(n)
    return X, y, s


def dense(X):
    return X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)


def encoded(y: np.ndarray) -> np.ndarray:
    """Targets as the engine takes them: class indices for one-hot (n, K) targets."""
    return np.argmax(y, axis=1).astype(np.float64) if y.ndim == 2 else y


def problem_of(kind: str, X, y, s, fit_intercept: bool = True, splits=None) -> GLMProblem:
    """The in-memory problem of (X, y, s); one-hot multinomial targets become indices."""
    K = y.shape[1] if kind == "multinomial" else None
    return GLMProblem.from_arrays(X, encoded(y), s, LOSSES[kind], fit_intercept, n_classes=K,
                                  splits=splits)


def null_start(problem: GLMProblem, held_out=FULL, n_folds: int = 1):
    """Every member's null model (the engine's documented start)."""
    summary = problem.source.target_summary(n_folds)
    return problem.null_start(summary, np.asarray(held_out), n_folds)


def cold_fit(problem: GLMProblem, lam, solver: str = "newton", tol: float = 1e-8,
             max_iter: int = 100, held_out=FULL, n_folds: int = 1):
    """Members ``held_out`` solved from their null models (L-BFGS preconditioned with the
    features' moments, as the path driver does)."""
    held_out = np.asarray(held_out, dtype=np.int64)
    summary = problem.source.target_summary(n_folds, columns=solver == "lbfgs")
    W0, b0 = problem.null_start(summary, held_out, n_folds)
    scale = summary.feature_scale() if solver == "lbfgs" else None
    return fit(problem, lam, W0, b0, held_out, n_folds, solver=solver, tol=tol,
               max_iter=max_iter, feature_scale=scale)


def split_weights(s: np.ndarray, splits, held_out) -> np.ndarray:
    """The training weights (n, B) of members ``held_out`` over ``splits`` (-1: all rows)."""
    cols = []
    for k in held_out:
        w = s.copy() if k < 0 else np.zeros_like(s)
        if k >= 0:
            tr = splits[k][0]
            w[tr] = s[tr]
        cols.append(w)
    return np.column_stack(cols)


def linear(X, W: np.ndarray, b: np.ndarray, fit_intercept: bool = True) -> np.ndarray:
    """η = XW + b (n, m) of one member: W (p, m), b (m,)."""
    return dense(X) @ W + (b if fit_intercept else 0.0)


def per_sample(kind: str, y, E: np.ndarray) -> np.ndarray:
    """Loss of each sample at linear predictors E (n, m) (one-hot y for the softmax)."""
    return LOSS_REF[kind](y, E if kind == "multinomial" else E[:, 0])


def objective_ref(kind, X, y, s, W, b, lam, fit_intercept) -> float:
    """``(1/n_w) Σ s_i ℓ(y_i, x_iᵀW + b) + λ‖W‖²`` of one member: W (p, m), b (m,)."""
    om = s / s.sum()
    return float(om @ per_sample(kind, y, linear(X, W, b, fit_intercept)) + lam * np.sum(W * W))


def eta_derivatives(kind, y, E):
    """``ℓ'`` (n, m) and the curvature blocks ``ℓ''`` (n, m, m) at η = E, from the formulas."""
    if kind == "binomial":
        mu = expit(E[:, 0])
        return (mu - y)[:, None], (mu * (1 - mu))[:, None, None]
    if kind == "poisson":
        mu = np.exp(E[:, 0])
        return 2.0 * (mu - y)[:, None], (2.0 * mu)[:, None, None]
    P = softmax(E, axis=1)
    return P - y, np.einsum("ik,kl->ikl", P, np.eye(P.shape[1])) - P[:, :, None] * P[:, None]


def reference_point(kind, X, y, s, W, b, lam, fit_intercept):
    """Objective and gradient ``(f, gW (p, m), gb (m,))`` of one member, from the formulas."""
    Xd = dense(X)
    om = s / s.sum()
    G, _ = eta_derivatives(kind, y, linear(Xd, W, b, fit_intercept))
    f = objective_ref(kind, Xd, y, s, W, b, lam, fit_intercept)
    gW = Xd.T @ (om[:, None] * G) + 2.0 * lam * W
    gb = om @ G if fit_intercept else np.zeros(W.shape[1])
    return f, gW, gb


def hessian_ref(kind, X, y, s, W, b, lam, fit_intercept) -> np.ndarray:
    """The penalized Hessian of one member in θ = (W.ravel() (feature-major), b), from the
    formulas: ``Σ ω_i (x̃_i x̃_iᵀ ⊗ ℓ''_i) + 2λ I_W`` (no b block without an intercept)."""
    Xd = dense(X)
    om = s / s.sum()
    n, p = Xd.shape
    m = W.shape[1]
    _, Hb = eta_derivatives(kind, y, linear(Xd, W, b, fit_intercept))
    Xt = np.column_stack([Xd, np.ones(n)]) if fit_intercept else Xd
    q = Xt.shape[1]
    H = np.einsum("i,ij,ik,iab->jakb", om, Xt, Xt, Hb).reshape(q * m, q * m)
    H[: p * m, : p * m] += 2.0 * lam * np.eye(p * m)
    return H


def rel(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))
