"""Bridges from a :class:`ModelSpec` to the engine layers (path, selection, solvers) (private)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import column_or_1d

from ridgeline.diagnostics._models import ModelSpec
from ridgeline.estimators._glm import encode_labels
from ridgeline.estimators._sparse import enet_penalty
from ridgeline.estimators._standardize import column_scale
from ridgeline.estimators.sparse_paths import enet_path, group_lasso_path
from ridgeline.losses import PoissonLoss
from ridgeline.losses.domain import check_target_domain
from ridgeline.penalties import GroupPenalty
from ridgeline.selection.engine import full_factor
from ridgeline.selection.glm_alo import exact_curvature
from ridgeline.solvers.problem import GLMProblem
from ridgeline.solvers.spectral import Factor
from ridgeline.stats.moments import accumulate


def ridge_route(X) -> str:
    """A factorization route that always yields a :class:`Factor` (never LSQR)."""
    n, p = X.shape
    return "dual" if p > n else "eigh"


def ridge_factor(spec: ModelSpec, X, Y: np.ndarray, s: np.ndarray,
                 min_penalty: float | None, route: str | None = None) -> Factor:
    """Full-data spectral factor with the estimator's intercept and standardization."""
    return full_factor(X, Y, s, route or ridge_route(X), fit_intercept=spec.fit_intercept,
                       standardize=bool(getattr(spec.base, "standardize", False)),
                       min_penalty=0.0 if min_penalty is None else min_penalty)


def glm_problem(spec: ModelSpec, X, y, s: np.ndarray):
    """``(GLMProblem, output names, labels)`` with the estimator's class weights folded in."""
    if spec.kind == "logistic":
        dummy = spec.base.__class__(**spec.base.get_params())
        codes, loss, s2, labels = encode_labels(dummy, X, y, s)
        classes = [str(c) for c in dummy.classes_]
        outputs = [classes[1]] if len(classes) == 2 else classes
        problem = GLMProblem.from_arrays(X, codes, s2, loss, spec.fit_intercept,
                                         n_classes=len(classes))
        return problem, outputs, (labels, dummy.classes_)
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y)
    if y.ndim != 1:
        raise ValueError(f"Poisson regression takes one count per sample, got shape {y.shape}")
    check_target_domain(PoissonLoss(), float(y.min()), float(s @ y) / float(s.sum()),
                        who="Poisson", where="y")
    problem = GLMProblem.from_arrays(X, y, s, PoissonLoss(), spec.fit_intercept)
    return problem, ["y"], (y, None)


def weight_sum(spec: ModelSpec, X, y, s: np.ndarray) -> float:
    """``n_w`` as the estimator computes it: class weights folded in for logistic regression
    (its ``λ = 1/(2 C n_w)`` uses the class-weighted sum)."""
    if spec.kind == "logistic" and getattr(spec.base, "class_weight", None) is not None:
        return float(glm_problem(spec, X, y, s)[0].source.weights.sum())
    return float(s.sum())


def glm_dof(problem: GLMProblem, W: np.ndarray, b: np.ndarray, lam: float) -> float:
    """Trace of the weighted hat matrix at the solution ``W (p, m)``, ``b (m,)``.

    ``tr[W^½X̃(X̃ᵀWX̃ + 2λI_w)⁻¹X̃ᵀW^½] = Σ e/(e + 2λ) + rank(H_bb)`` with ``e`` the eigenvalues
    of the loss curvature after eliminating the (unpenalized) intercept. Eigenvalues below
    ``1e-10·max`` are the likelihood's flat directions (the softmax's common shift of W,
    collinear columns): they count 0, also at λ = 0 (where ``e/e`` would be 1).
    """
    curv = exact_curvature(problem, W[None], b[None])
    e = curv.e
    e = np.where(e > 1e-10 * max(float(e.max(initial=0.0)), 1e-300), e, 0.0)
    d = e + 2.0 * lam
    dof = float(np.sum(np.where(d > 0, e / np.where(d > 0, d, 1.0), 0.0)))
    if problem.fit_intercept:
        dof += float(np.linalg.matrix_rank(curv.Hbb_pinv, hermitian=True))
    return dof


def sparse_penalty(spec: ModelSpec, p: int):
    """The canonical penalty object of an elastic-net or group-lasso estimator."""
    base = spec.base
    if spec.kind == "group":
        groups = base.groups if base.groups is not None else 1
        return GroupPenalty.make(groups, p, base.group_weights)
    return enet_penalty(spec.l1_ratio, p, base.penalty_factor, base.positive)


def sparse_path(spec: ModelSpec, X, y: np.ndarray, s: np.ndarray, lambdas):
    """Certified path (:class:`~ridgeline.path.sparse_path.SparsePath`); ``lambdas`` a grid or a
    count (log grid from the exact λ_max). Every λ is polished to the rounding floor of its
    gap, as the estimator's single fit is: a diagnostic shows the optimum, not a point within
    the tolerance (a cold-started λ can otherwise sit 1e-4 above it, in flat directions of
    collinear one-hot columns far from it)."""
    base = spec.base
    eps = float(getattr(base, "eps", 1e-3))
    standardize = bool(getattr(base, "standardize", False))  # the estimator's own problem
    if spec.kind == "group":
        groups = base.groups if base.groups is not None else 1
        return group_lasso_path(X, y, groups, lambdas=lambdas, eps=eps,
                                group_weights=base.group_weights, sample_weight=s,
                                fit_intercept=spec.fit_intercept, tol=base.tol,
                                max_iter=base.max_iter, standardize=standardize, polish=True)
    return enet_path(X, y, mix=spec.mix, lambdas=lambdas, eps=eps, sample_weight=s,
                     fit_intercept=spec.fit_intercept, penalty_factor=base.penalty_factor,
                     positive=base.positive, tol=base.tol, max_iter=base.max_iter,
                     standardize=standardize, polish=True)


def sparse_dof(spec: ModelSpec, X, s: np.ndarray, path) -> np.ndarray:
    """Degrees of freedom per λ of a sparse path (see :mod:`ridgeline.diagnostics.path`)."""
    active = path.coefs != 0  # (L, p)
    dof = active.sum(axis=1).astype(np.float64)
    if spec.kind == "enet" and spec.mix < 1.0:
        p = X.shape[1]
        G = accumulate(X, np.zeros((X.shape[0], 1)), s).centered(spec.fit_intercept).G
        f = sparse_penalty(spec, p).factors
        if getattr(spec.base, "standardize", False):  # the L2 part penalizes (σ_j w_j)²
            f = f * column_scale(X, s, spec.fit_intercept) ** 2
        n_w = float(s.sum())
        for i, lam in enumerate(path.lambdas):
            A = np.flatnonzero(active[i])
            if A.size == 0:
                continue
            GA = G[np.ix_(A, A)]
            M = GA + n_w * float(lam) * (1.0 - spec.mix) * np.diag(f[A])
            dof[i] = float(np.trace(np.linalg.lstsq(M, GA, rcond=None)[0]))
    return dof + (1.0 if spec.fit_intercept else 0.0)


def as_dense(X) -> np.ndarray:
    return X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
