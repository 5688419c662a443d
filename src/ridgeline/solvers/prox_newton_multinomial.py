"""Proximal Newton for multinomial (softmax) logistic regression with L1 / elastic-net penalties.

Objective (canonical scale), for coefficients W (p, K) and intercepts b (K,)::

    (1/n_w) Σ_i s_i [logsumexp(η_i) − η_{i,y_i}]  +  Σ_j a_j N(W_j)  +  ½ Σ_j b_j ‖W_j‖²,

    η_i = Wᵀx_i + b,   N(W_j) = Σ_k |W_jk| ("ungrouped")  or  ‖W_j‖₂ ("grouped"),

with ``W_j`` the K class coefficients of feature j. The ungrouped penalty is scikit-learn's
(saga) multinomial elastic net and glmnet's default; the grouped one is glmnet's
``type.multinomial="grouped"``, where a feature enters or leaves for all classes at once
(Friedman, Hastie & Tibshirani (2010), J. Stat. Softw. 33(1), section 4; Simon, Friedman &
Hastie (2013), "A blockwise descent algorithm for group-penalized multiresponse and
multinomial regression", arXiv:1311.6529).

Each outer step is a proximal Newton step with the exact Hessian (Lee, Sun & Saunders (2014),
"Proximal Newton-type methods for minimizing composite functions", SIAM J. Optim. 24(3)): the
per-sample Hessian ``H_i = diag(p_i) − p_i p_iᵀ`` equals ``Σ_m p_im (e_m − p_i)(e_m − p_i)ᵀ``,
so the second-order model is a weighted least-squares problem on K rows per sample — row
``(i, m)`` has weight ``s_i p_im``, entries ``x_ij (δ_mk − p_ik)`` for coefficient ``(j, k)``
and response ``(y_im − p_im)/p_im`` — solved inexactly with the penalty (singletons, or one
block per feature) in Gram or residual form (:mod:`ridgeline.solvers.prox_newton_inner`).
The softmax is unchanged by adding a constant to every class, so one class's intercept (and its
coefficient on each unpenalized feature) is held fixed, which leaves the model strictly
convex in the rest. An Armijo backtracking step on the composite objective follows. The stop
is the KKT residual, as in :mod:`ridgeline.solvers.prox_newton`. The expanded design has
``n·K`` rows and ``p·K`` columns (``nnz(X)·K²`` entries): this suits a moderate number of
classes. The intercepts are not profiled out exactly (as the binary solver's centering does):
a dense X is centered about its weighted mean for the model instead, which removes the
near-collinearity of offset columns with the intercepts; a sparse X is used as is, so a sparse
column whose mean is large against its spread slows the inner solves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ridgeline.losses.multinomial import MultinomialLoss
from ridgeline.solvers.cd_certificate import Blocks
from ridgeline.solvers.cd_design import CDDesign
from ridgeline.solvers.prox_newton import line_search
from ridgeline.solvers.prox_newton_inner import OuterStop, newton_model, solve_inner

_CURVATURE_FLOOR = 1e-10


@dataclass
class MultinomialFit:
    """Result of one multinomial proximal-Newton solve.

    Attributes
    ----------
    coef : ndarray (p, K)
    intercept : ndarray (K,)
        Centered to sum to zero (the softmax does not see a common shift), as are the rows of
        ``coef`` of unpenalized features.
    objective : float
    kkt : float
        Largest optimality residual; 0 exactly at the optimum.
    kkt_tol : float
    converged : bool
    n_iter : int
        Newton steps.
    n_epochs : int
        Coordinate sweeps over all inner solves.
    """

    coef: np.ndarray
    intercept: np.ndarray
    objective: float
    kkt: float
    kkt_tol: float
    converged: bool
    n_iter: int
    n_epochs: int


class MultinomialL1Problem:
    """Data of a multinomial problem: X (n, p) dense or sparse, class codes y (n,) in
    ``0..K-1`` (or one-hot Y (n, K)), weights s (n,)."""

    def __init__(self, X, y: np.ndarray, s: np.ndarray, fit_intercept: bool,
                 n_classes: int | None = None):
        y = np.asarray(y)
        if y.ndim == 2:
            self.Y = np.asarray(y, dtype=np.float64)
        else:
            codes = y.astype(np.int64)
            K = int(codes.max()) + 1 if n_classes is None else int(n_classes)
            self.Y = np.zeros((codes.size, K))
            self.Y[np.arange(codes.size), codes] = 1.0
        self.X, self.s = X, np.asarray(s, dtype=np.float64)
        self.n_w = float(self.s.sum())
        self.fit_intercept = fit_intercept
        # the Newton model's design: dense X centered about its weighted mean (with an
        # intercept), so that the unpenalized intercepts are not nearly collinear with the
        # features; sparse X is used as is
        self.mu = np.zeros(X.shape[1])
        self.Xc = X
        if fit_intercept and not sp.issparse(X):
            self.mu = (self.s @ np.asarray(X, dtype=np.float64)) / self.n_w
            self.Xc = np.asarray(X, dtype=np.float64) - self.mu

    @property
    def n_classes(self) -> int:
        return self.Y.shape[1]

    def eta(self, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Class scores (n, K)."""
        return np.asarray(self.X @ W, dtype=np.float64) + b

    def loss(self, eta: np.ndarray) -> float:
        return float(self.s @ MultinomialLoss.value(self.Y, eta)) / self.n_w

    def gradient(self, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(∇_W (p, K), ∇_b (K,), probabilities (n, K))`` of the mean loss at ``eta``."""
        g, P = MultinomialLoss.derivatives(self.Y, eta)
        sg = self.s[:, None] * g
        grad = np.asarray(self.X.T @ sg, dtype=np.float64) / self.n_w
        return grad, sg.sum(axis=0) / self.n_w, P

    def null_intercept(self) -> np.ndarray:
        if not self.fit_intercept:
            return np.zeros(self.n_classes)
        return MultinomialLoss.null_eta(self.Y, self.s)


@dataclass(frozen=True)
class MultinomialPenalty:
    """``Σ_j a_j N(W_j) + ½ Σ_j b_j ‖W_j‖²`` (see the module docstring).

    Attributes
    ----------
    a : ndarray (p,)
        L1 (or group) weight of each feature; ``λ·mix·f_j`` for the canonical elastic net.
    b : ndarray (p,)
        Ridge weight of each feature; ``2λ(1-mix)f_j``.
    grouped : bool
    """

    a: np.ndarray
    b: np.ndarray
    grouped: bool

    def value(self, W: np.ndarray) -> float:
        norms = np.linalg.norm(W, axis=1) if self.grouped else np.abs(W).sum(axis=1)
        return float(self.a @ norms + 0.5 * self.b @ np.einsum("jk,jk->j", W, W))

    def kkt(self, W: np.ndarray, G: np.ndarray, gb: np.ndarray, fit_intercept: bool) -> float:
        """``max`` over coefficients (or features) of ``dist(-∇, ∂penalty)``, and ``|∇_b|``."""
        g = G + self.b[:, None] * W
        a = self.a[:, None]
        if self.grouped:
            norms = np.linalg.norm(W, axis=1)
            on = norms > 0
            res = np.maximum(np.linalg.norm(g, axis=1) - self.a, 0.0)
            unit = W[on] / norms[on, None]
            res[on] = np.linalg.norm(g[on] + a[on] * unit, axis=1)
        else:
            res = np.where(W != 0, np.abs(g + a * np.sign(W)), np.maximum(np.abs(g) - a, 0.0))
        worst = float(res.max(initial=0.0))
        return max(worst, float(np.abs(gb).max())) if fit_intercept else worst


def solve_multinomial(problem: MultinomialL1Problem, penalty: MultinomialPenalty, *,
                      W0: np.ndarray | None = None, b0: np.ndarray | None = None,
                      kkt_tol: float, max_iter: int = 100, max_epochs: int = 100_000,
                      polish: bool = False) -> MultinomialFit:
    """Minimize the objective of the module docstring by proximal Newton.

    Parameters
    ----------
    problem : MultinomialL1Problem
    penalty : MultinomialPenalty
    W0, b0 : ndarray (p, K), (K,), optional
        Warm start (default: zero coefficients and the null model's intercepts).
    kkt_tol : float
        Stop when the KKT residual is at most this.
    max_iter : int
        Newton steps.
    max_epochs : int
        Coordinate sweeps over all inner solves.
    polish : bool
        Then take one more step (kept if it lowers the residual), see
        :class:`~ridgeline.solvers.prox_newton_inner.OuterStop`.
    """
    p, K = problem.X.shape[1], problem.n_classes
    W = np.zeros((p, K)) if W0 is None else np.array(W0, dtype=np.float64)
    b = problem.null_intercept() if b0 is None else np.array(b0, dtype=np.float64)
    layout = _Layout(penalty, p, K, problem.fit_intercept)
    eta = problem.eta(W, b)
    phi = problem.loss(eta) + penalty.value(W)
    epochs, rule = 0, OuterStop(kkt_tol, polish)
    for it in range(max_iter + 1):
        G, gb, P = problem.gradient(eta)
        kkt = penalty.kkt(W, G, gb, problem.fit_intercept)
        stop, (W, b, phi, kkt, it) = rule.check(kkt, (W, b, phi, kkt, it))
        if stop or it == max_iter or epochs >= max_epochs:
            break
        theta = layout.pack(W, b + problem.mu @ W)  # intercepts of the centered design
        design, target = _newton_model(problem, P, layout, theta)
        inner = solve_inner(newton_model(design, target, layout.blocks, layout.b),
                            layout.blocks, layout.a, nonneg=False, w0=theta,
                            target=rule.target(kkt),
                            budget=max_epochs - epochs)
        epochs += inner.n_epochs
        dW, dc = layout.unpack(inner.coef - theta)
        db = dc - problem.mu @ dW
        delta = float(np.sum(G * dW) + gb @ db) + penalty.value(W + dW) - penalty.value(W)
        step = line_search(_trial(problem, penalty, W, eta, dW, db), phi, delta,
                           moved=bool(np.any(dW) or np.any(db)))
        if step is None:
            if rule.polishing:
                W, b, phi, kkt, it = rule.saved[1]
            break
        t, eta, phi = step
        W, b = W + t * dW, b + t * db
    # the softmax sees no common shift: report centered intercepts and unpenalized rows
    free = (penalty.a == 0) & (penalty.b == 0)
    W[free] -= W[free].mean(axis=1, keepdims=True)
    shift = b.mean() if problem.fit_intercept else 0.0
    return MultinomialFit(W, b - shift, phi, kkt, kkt_tol, rule.converged(kkt), it, epochs)


def _trial(problem, penalty, W, eta, dW, db):
    """``t ↦ (η(t), Φ(t))`` along ``(W + t dW, b + t db)``."""
    direction = np.asarray(problem.X @ dW, dtype=np.float64) + db

    def trial(t: float):
        eta_t = eta + t * direction
        return eta_t, problem.loss(eta_t) + penalty.value(W + t * dW)

    return trial


class _Layout:
    """Which of ``(W, b)`` the inner solve moves, and its blocks, in column order.

    Columns are ``(j, k)`` feature-major (each feature's classes contiguous), then the
    intercepts of classes ``1..K-1``. Class 0 is held fixed for the intercept and for every
    feature with no penalty at all (``a_j = b_j = 0``), where the softmax's shift invariance
    would make the model singular.
    """

    def __init__(self, penalty: MultinomialPenalty, p: int, K: int, fit_intercept: bool):
        keep = np.ones((p, K), dtype=bool)
        keep[(penalty.a == 0) & (penalty.b == 0), 0] = False
        self.shape = (p, K)
        self.w_idx = np.flatnonzero(keep.ravel())
        self.b_idx = np.arange(1, K) if fit_intercept else np.zeros(0, dtype=np.int64)
        feature = self.w_idx // K
        n_w, n_b = self.w_idx.size, self.b_idx.size
        if penalty.grouped:
            starts = np.flatnonzero(np.r_[True, feature[1:] != feature[:-1]])
            ptr = np.r_[starts, [n_w] if n_b == 0 else [n_w, n_w + n_b]]
            owner = feature[starts]
            self.a = np.r_[penalty.a[owner], np.zeros(int(n_b > 0))]
            self.blocks = Blocks(np.arange(n_w + n_b, dtype=np.int64), ptr.astype(np.int64))
        else:
            self.a = np.r_[penalty.a[feature], np.zeros(n_b)]
            self.blocks = Blocks.singletons(n_w + n_b)
        self.b = np.r_[penalty.b[feature], np.zeros(n_b)]

    def pack(self, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.r_[W.ravel()[self.w_idx], b[self.b_idx]]

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        W = np.zeros(self.shape)
        W.ravel()[self.w_idx] = theta[:self.w_idx.size]
        b = np.zeros(self.shape[1])
        b[self.b_idx] = theta[self.w_idx.size:]
        return W, b


def _newton_model(problem: MultinomialL1Problem, P: np.ndarray, layout: _Layout,
                  theta: np.ndarray) -> tuple[CDDesign, np.ndarray]:
    """The weighted least-squares form of the second-order model at probabilities ``P``.

    Returns the design (rows ``(i, m)``, weights ``s_i p_im``) and the target
    ``z + Z θ`` whose fit by the new ``θ`` is the model (see the module docstring).
    """
    n, K = P.shape
    D = np.eye(K)[None, :, :] - P[:, None, :]  # D[i, m, k] = δ_mk − p_ik
    Z = _expanded(problem.Xc, D, layout.w_idx)
    if layout.b_idx.size:
        B = D[:, :, layout.b_idx].reshape(n * K, -1)
        Z = sp.hstack([Z, sp.csc_matrix(B)], format="csc") if sp.issparse(Z) else \
            np.hstack([Z, B])
    Pf = np.maximum(P, _CURVATURE_FLOOR)
    h = (problem.s[:, None] * Pf).ravel()
    z = ((problem.Y - P) / Pf).ravel()
    design = CDDesign(Z, h, False, n_w=problem.n_w)
    return design, z + design.matvec(theta)


def _expanded(X, D: np.ndarray, w_idx: np.ndarray):
    """``Z[(i, m), (j, k)] = X[i, j] · D[i, m, k]`` (n·K, p·K), columns ``w_idx`` only."""
    n, K, _ = D.shape
    if not sp.issparse(X):
        X = np.asarray(X, dtype=np.float64)
        Z = (X[:, None, :, None] * D[:, :, None, :]).reshape(n * K, X.shape[1] * K)
        return Z[:, w_idx]
    C = X.tocoo()
    p = X.shape[1]
    m, k = np.meshgrid(np.arange(K), np.arange(K), indexing="ij")
    rows = (C.row[:, None, None] * K + m[None]).ravel()
    cols = (C.col[:, None, None] * K + k[None]).ravel()
    vals = (np.asarray(C.data, dtype=np.float64)[:, None, None] * D[C.row]).ravel()
    Z = sp.csc_matrix((vals, (rows, cols)), shape=(n * K, p * K))
    return Z[:, w_idx]
