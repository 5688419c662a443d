"""Proximal Newton for binary logistic and Poisson regression with (group) L1 / elastic net.

Objective (canonical scale)::

    (1/n_w) Σ_i s_i ℓ(y_i, x_iᵀw + b)  +  Σ_g a_g ‖w_g‖₂  +  ½ Σ_j b_j w_j²

with ℓ the binary log loss (:class:`~ridgeline.losses.BinomialLoss`) or the Poisson deviance
(:class:`~ridgeline.losses.PoissonLoss`, log link). Each outer step minimizes the second-order
model of the loss plus the exact penalty, a weighted lasso (IRLS weights ``s·ℓ''``, the
intercept profiled out by weighted centering) solved inexactly — to a KKT residual that falls
with the outer one — in Gram or residual form (:mod:`ridgeline.solvers.prox_newton_inner`),
then takes the longest step of the form ``2^-k`` that satisfies the
Armijo condition on the composite objective. Lee, Sun & Saunders (2014), "Proximal
Newton-type methods for minimizing composite functions", SIAM J. Optim. 24(3); Friedman,
Hastie & Tibshirani (2010), "Regularization paths for generalized linear models via
coordinate descent", J. Stat. Softw. 33(1). The multinomial loss is in
:mod:`ridgeline.solvers.prox_newton_multinomial`.

There is no cheap dual here, so the stop is the optimality (KKT) residual: the largest
distance between minus the gradient and the penalty's subdifferential, over blocks and the
intercept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline.losses.binomial import BinomialLoss
from ridgeline.losses.poisson import PoissonLoss
from ridgeline.solvers.cd_certificate import Blocks
from ridgeline.solvers.cd_design import CDDesign
from ridgeline.solvers.prox_newton_inner import OuterStop, newton_model, solve_inner

_CURVATURE_FLOOR = 1e-10
_ROUNDING = 64 * np.finfo(np.float64).eps


@dataclass
class ProxNewtonFit:
    """Result of one proximal-Newton solve.

    Attributes
    ----------
    coef : ndarray (p,)
    intercept : float
    objective : float
    kkt : float
        Largest optimality residual (see module docstring); 0 exactly at the optimum.
    kkt_tol : float
    converged : bool
    n_iter : int
        Newton steps.
    n_epochs : int
        Coordinate sweeps over all inner solves.
    """

    coef: np.ndarray
    intercept: float
    objective: float
    kkt: float
    kkt_tol: float
    converged: bool
    n_iter: int
    n_epochs: int


class SparseGLMProblem:
    """Data of a scalar GLM problem: X (n, p) dense or sparse, y (n,), weights s (n,) and the
    loss (``BinomialLoss`` for y in {0, 1}, ``PoissonLoss`` for counts y ≥ 0)."""

    def __init__(self, X, y: np.ndarray, s: np.ndarray, fit_intercept: bool,
                 loss=BinomialLoss):
        self.X, self.y, self.s = X, np.asarray(y, dtype=np.float64), s
        self.n_w = float(s.sum())
        self.fit_intercept = fit_intercept
        self.loss_fn = loss

    def eta(self, w: np.ndarray, b: float) -> np.ndarray:
        return np.asarray(self.X @ w, dtype=np.float64).ravel() + b

    def loss(self, eta: np.ndarray) -> float:
        return float(self.s @ self.loss_fn.value(self.y, eta)) / self.n_w

    def gradient(self, eta: np.ndarray) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
        """``(∇_w, ∂_b, ℓ', ℓ'')`` of the mean loss at ``eta``."""
        g, h = self.loss_fn.derivatives(self.y, eta)
        sg = self.s * g
        grad = np.asarray(self.X.T @ sg, dtype=np.float64).ravel() / self.n_w
        return grad, float(sg.sum()) / self.n_w, g, h

    def null_intercept(self) -> float:
        return self.loss_fn.null_eta(self.y, self.s) if self.fit_intercept else 0.0


class LogisticL1Problem(SparseGLMProblem):
    """A binary logistic problem: X (n, p) dense or sparse, y in {0, 1}, weights s."""

    def __init__(self, X, y: np.ndarray, s: np.ndarray, fit_intercept: bool):
        super().__init__(X, y, s, fit_intercept, BinomialLoss)


class PoissonL1Problem(SparseGLMProblem):
    """A Poisson (log link) problem: X (n, p) dense or sparse, counts y ≥ 0, weights s."""

    def __init__(self, X, y: np.ndarray, s: np.ndarray, fit_intercept: bool):
        super().__init__(X, y, s, fit_intercept, PoissonLoss)


def penalty_value(w: np.ndarray, blocks: Blocks, a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ blocks.norms(w) + 0.5 * b @ (w * w))


def kkt_residual(w, grad, gb, blocks: Blocks, a, b, nonneg: bool, fit_intercept: bool) -> float:
    """``max`` over blocks of ``dist(-∇_g, ∂(a_g‖w_g‖))`` (ridge part in the gradient)."""
    g = grad + b * w
    norms = blocks.norms(w)
    if blocks.trivial:
        zero = w == 0
        res = np.abs(g + a * np.sign(w))
        gz = -g[zero] if nonneg else np.abs(g[zero])
        res[zero] = np.maximum(gz - a[zero], 0.0)
    else:
        res = np.empty(blocks.n_blocks)
        for k in range(blocks.n_blocks):
            cols = blocks.idx[blocks.ptr[k]:blocks.ptr[k + 1]]
            if norms[k] > 0:
                res[k] = np.linalg.norm(g[cols] + a[k] * w[cols] / norms[k])
            else:
                res[k] = max(np.linalg.norm(g[cols]) - a[k], 0.0)
    worst = float(res.max(initial=0.0))
    return max(worst, abs(gb)) if fit_intercept else worst


def solve_prox_newton(problem: SparseGLMProblem, blocks: Blocks, a: np.ndarray, b: np.ndarray,
                      *, nonneg: bool = False, w0: np.ndarray | None = None,
                      b0: float | None = None, kkt_tol: float, max_iter: int = 100,
                      max_epochs: int = 100_000, polish: bool = False) -> ProxNewtonFit:
    """Minimize the objective of the module docstring by proximal Newton.

    Parameters
    ----------
    problem : SparseGLMProblem
        :class:`LogisticL1Problem` or :class:`PoissonL1Problem`.
    blocks, a, b : the penalty (see :func:`ridgeline.solvers.cd.solve_blocks`).
    w0, b0 : warm start (default: zero coefficients and the null model's intercept).
    kkt_tol : float
        Stop when the KKT residual is at most this.
    polish : bool
        Then take one more step (kept if it lowers the residual), see
        :class:`~ridgeline.solvers.prox_newton_inner.OuterStop`.
    """
    p = problem.X.shape[1]
    w = np.zeros(p) if w0 is None else np.array(w0, dtype=np.float64)
    b_ = problem.null_intercept() if b0 is None else float(b0)
    eta = problem.eta(w, b_)
    phi = problem.loss(eta) + penalty_value(w, blocks, a, b)
    epochs, rule = 0, OuterStop(kkt_tol, polish)
    for it in range(max_iter + 1):
        grad, gb, g, h = problem.gradient(eta)
        kkt = kkt_residual(w, grad, gb, blocks, a, b, nonneg, problem.fit_intercept)
        stop, (w, b_, phi, kkt, it) = rule.check(kkt, (w, b_, phi, kkt, it))
        if stop or it == max_iter or epochs >= max_epochs:
            break
        hw = problem.s * np.maximum(h, _CURVATURE_FLOOR)
        design = CDDesign(problem.X, hw, problem.fit_intercept, n_w=problem.n_w)
        z = -g / np.maximum(h, _CURVATURE_FLOOR)
        z_mean = float(hw @ z) / float(hw.sum()) if problem.fit_intercept else 0.0
        target = (z - z_mean) + design.matvec(w)
        inner = solve_inner(newton_model(design, target, blocks, b), blocks, a, nonneg=nonneg,
                            w0=w, target=rule.target(kkt), budget=max_epochs - epochs)
        epochs += inner.n_epochs
        dw = inner.coef - w
        db = z_mean - float(design.mu @ dw) if problem.fit_intercept else 0.0
        step = _armijo(problem, blocks, a, b, w, b_, eta, phi, grad @ dw + gb * db, dw, db)
        if step is None:
            if rule.polishing:
                w, b_, phi, kkt, it = rule.saved[1]
            break
        t, eta, phi = step
        w = w + t * dw
        if nonneg:
            np.maximum(w, 0.0, out=w)
        b_ += t * db
    return ProxNewtonFit(w, b_, phi, kkt, kkt_tol, rule.converged(kkt), it, epochs)


#: the binary solver's former name
solve_logistic = solve_prox_newton

def _armijo(problem, blocks, a, b, w, b_, eta, phi, slope, dw, db):
    """``(t, η(t), Φ(t))`` for the first ``t = 2^-k`` with sufficient decrease, or None."""
    delta = slope + penalty_value(w + dw, blocks, a, b) - penalty_value(w, blocks, a, b)
    direction = np.asarray(problem.X @ dw, dtype=np.float64).ravel() + db

    def trial(t: float):
        eta_t = eta + t * direction
        return eta_t, problem.loss(eta_t) + penalty_value(w + t * dw, blocks, a, b)

    return line_search(trial, phi, delta, moved=bool(np.any(dw) or db != 0.0))


def line_search(trial, phi: float, delta: float, *, moved: bool, sigma: float = 1e-4):
    """Armijo backtracking for proximal Newton (Lee, Sun & Saunders 2014, eq. 2.6).

    ``trial(t)`` returns ``(η(t), Φ(t))``; ``delta`` is the model's predicted change (the
    directional derivative of the smooth part plus the change of the penalty over the full
    step). Returns ``(t, η(t), Φ(t))`` for the first ``t = 2^-k`` with
    ``Φ(t) ≤ Φ + σ t Δ``, or None when the step cannot decrease Φ.
    """
    if not delta < _ROUNDING * abs(phi) or not moved:
        return None
    t = 1.0
    for _ in range(40):
        eta_t, phi_t = trial(t)
        if phi_t <= phi + sigma * t * delta:
            return t, eta_t, phi_t
        if t == 1.0 and -delta < _ROUNDING * abs(phi) and phi_t <= phi + _ROUNDING * abs(phi):
            # the predicted decrease is below what Φ can resolve: accept the full Newton step
            # (it still lowers the KKT residual, which is what the stop measures)
            return t, eta_t, phi_t
        t *= 0.5
    return None
