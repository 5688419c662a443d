"""Warm-started paths of sparse (L1, elastic-net, group-lasso) problems, from λ_max down.

Each λ is solved to a certificate: the duality gap for squared loss
(:mod:`ridgeline.solvers.cd_certificate`), the KKT residual for logistic loss. Solutions are
warm-started from the previous (larger) λ whatever order the grid is given in, and returned
in the given order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline.penalties import ElasticNetPenalty, GroupPenalty
from ridgeline.solvers.cd_certificate import Blocks
from ridgeline.solvers.ls_problem import LSProblem
from ridgeline.solvers.prox_newton import LogisticL1Problem, solve_logistic


@dataclass
class SparsePath:
    """Solutions along a grid of canonical λ.

    Attributes
    ----------
    lambdas : ndarray (L,)
    coefs : ndarray (L, p)
    intercepts : ndarray (L,)
    objectives : ndarray (L,)
        Canonical objective ``mean loss + λP(w)`` at each solution.
    certificates : ndarray (L,)
        Duality gap of the canonical objective (squared loss) or KKT residual (logistic).
    certificate_tols : ndarray (L,)
        What each solve was asked to reach.
    converged : ndarray (L,) of bool
    n_iter : ndarray (L,)
        Coordinate sweeps (squared loss) or Newton steps (logistic).
    certificate : str
        ``"duality gap"`` or ``"KKT residual"``.
    """

    lambdas: np.ndarray
    coefs: np.ndarray
    intercepts: np.ndarray
    objectives: np.ndarray
    certificates: np.ndarray
    certificate_tols: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray
    certificate: str

    @classmethod
    def empty(cls, lambdas: np.ndarray, p: int, certificate: str) -> SparsePath:
        L = lambdas.size
        return cls(lambdas, np.zeros((L, p)), np.zeros(L), np.zeros(L), np.zeros(L),
                   np.zeros(L), np.zeros(L, dtype=bool), np.zeros(L, dtype=np.int64),
                   certificate)

    @property
    def gaps(self) -> np.ndarray:
        """Alias of :attr:`certificates` (the duality gaps for squared loss)."""
        return self.certificates

    @property
    def n_nonzero(self) -> np.ndarray:
        """Number of nonzero coefficients per λ."""
        return np.count_nonzero(self.coefs, axis=1)


def geometric_grid(lam_max: float, n: int, eps: float) -> np.ndarray:
    """``n`` log-spaced λ from ``lam_max`` down to ``eps·lam_max`` (scikit-learn's grid)."""
    if not np.isfinite(lam_max):
        raise ValueError("λ_max is infinite for a pure L2 penalty: give the grid explicitly "
                         "(or use the ridge estimators)")
    top = lam_max if lam_max > 0 else np.finfo(np.float64).eps
    if n == 1:
        return np.array([top])
    return np.geomspace(top, top * eps, n)


def split_penalty(penalty, lam: float, scale: float, p: int, tikhonov=None):
    """``(blocks, a, b)`` with ``scale·λ·P(w) = Σ_g a_g‖w_g‖ + ½ wᵀ diag(b) w`` (or ``½wᵀbw``)."""
    if isinstance(penalty, GroupPenalty):
        idx, ptr = penalty.flat()
        return Blocks(idx, ptr), scale * lam * penalty.weights, np.zeros(p)
    a, b = penalty.coefficients(lam, scale)
    if tikhonov is not None:
        b = 2.0 * scale * lam * (1.0 - penalty.mix) * tikhonov
    return Blocks.singletons(p), a, b


def unpenalized_columns(penalty) -> np.ndarray:
    """Columns the penalty leaves free (factor 0, group weight 0, or pure ridge)."""
    if isinstance(penalty, GroupPenalty):
        free = [g for g, w in zip(penalty.groups, penalty.weights, strict=True) if w == 0]
        return np.sort(np.concatenate(free)) if free else np.zeros(0, dtype=np.int64)
    if penalty.mix == 0.0:
        return np.arange(penalty.n_features)
    return np.flatnonzero(penalty.factors == 0)


def ls_lambda_max(problem: LSProblem, penalty) -> float:
    """Exact smallest λ with every penalized coefficient zero (squared loss)."""
    w = problem.fit_unpenalized(unpenalized_columns(penalty))
    return penalty.lambda_max(2.0 * problem.gradient(w))


def ls_path(problem: LSProblem, penalty: ElasticNetPenalty | GroupPenalty, lambdas: np.ndarray,
            *, tol: float, max_epochs: int, screen: bool = True, tikhonov=None,
            w0: np.ndarray | None = None) -> SparsePath:
    """Squared-loss path; stop each λ at canonical gap ≤ ``tol · var_w(y)``."""
    p = problem.n_features
    out = SparsePath.empty(lambdas, p, "duality gap")
    nonneg = bool(getattr(penalty, "nonneg", False))
    gap_tol = 0.5 * tol * problem.yy
    w = np.zeros(p) if w0 is None else np.asarray(w0, dtype=np.float64)
    for i in np.argsort(-lambdas, kind="stable"):
        blocks, a, b = split_penalty(penalty, lambdas[i], 0.5, p, tikhonov)
        fit = problem.solve(blocks, a, b, nonneg=nonneg, w0=w, gap_tol=gap_tol,
                            max_epochs=max_epochs, screen=screen)
        w = fit.coef
        out.coefs[i] = w
        out.intercepts[i] = problem.intercept(w)
        out.objectives[i] = 2.0 * fit.primal
        out.certificates[i] = 2.0 * fit.gap
        out.certificate_tols[i] = 2.0 * gap_tol
        out.converged[i] = fit.converged
        out.n_iter[i] = fit.n_epochs
    return out


def _null_logistic(problem: LogisticL1Problem, penalty):
    """Unpenalized columns and intercept fitted, penalized coefficients zero."""
    p = problem.X.shape[1]
    free = unpenalized_columns(penalty)
    if free.size == 0:
        return np.zeros(p), problem.null_intercept()
    blocks, a, b = split_penalty(penalty, 1.0, 1.0, p)
    a = np.where(a > 0, 1e30, 0.0)
    fit = solve_logistic(problem, blocks, a, b * 0, kkt_tol=1e-12, max_iter=200)
    return fit.coef, fit.intercept


def logistic_lambda_max(problem: LogisticL1Problem, penalty) -> float:
    """Exact smallest λ with every penalized coefficient zero (binary logistic loss)."""
    w, b0 = _null_logistic(problem, penalty)
    grad = problem.gradient(problem.eta(w, b0))[0]
    return penalty.lambda_max(grad)


def logistic_path(problem: LogisticL1Problem, penalty, lambdas: np.ndarray, *, tol: float,
                  max_iter: int, max_epochs: int = 100_000) -> SparsePath:
    """Binary logistic path; stop each λ at KKT residual ≤ ``tol · ‖∇(null model)‖_∞``."""
    p = problem.X.shape[1]
    out = SparsePath.empty(lambdas, p, "KKT residual")
    nonneg = bool(getattr(penalty, "nonneg", False))
    w, b0 = _null_logistic(problem, penalty)
    scale = float(np.abs(problem.gradient(problem.eta(w, b0))[0]).max(initial=0.0))
    kkt_tol = tol * max(scale, 1e-12)
    for i in np.argsort(-lambdas, kind="stable"):
        blocks, a, b = split_penalty(penalty, lambdas[i], 1.0, p)
        fit = solve_logistic(problem, blocks, a, b, nonneg=nonneg, w0=w, b0=b0,
                             kkt_tol=kkt_tol, max_iter=max_iter, max_epochs=max_epochs)
        w, b0 = fit.coef, fit.intercept
        out.coefs[i] = w
        out.intercepts[i] = b0
        out.objectives[i] = fit.objective
        out.certificates[i] = fit.kkt
        out.certificate_tols[i] = kkt_tol
        out.converged[i] = fit.converged
        out.n_iter[i] = fit.n_iter
    return out
