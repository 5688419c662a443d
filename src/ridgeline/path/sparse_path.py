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

    def record(self, i: int, fit, certificate_tol: float) -> None:
        """Store a certified solve ``fit`` (``coef``, ``intercept``, ``objective``, ``kkt``,
        ``converged``, ``n_iter``, as the proximal-Newton results have) at position ``i``."""
        self.coefs[i] = fit.coef
        self.intercepts[i] = fit.intercept
        self.objectives[i] = fit.objective
        self.certificates[i] = fit.kkt
        self.certificate_tols[i] = certificate_tol
        self.converged[i] = fit.converged
        self.n_iter[i] = fit.n_iter

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
            w0: np.ndarray | None = None, polish: bool | str = False,
            keep_w0: bool = False) -> SparsePath:
    """Squared-loss path; stop each λ at canonical gap ≤ ``tol · var_w(y)``.

    ``polish``: True takes every solution on to the rounding floor of its gap (objective at
    the optimum to about 1e-11 relative, see :mod:`ridgeline.solvers.cd_gram`); ``"last"``
    only the smallest λ's (the one a refit keeps). An elastic-net or group-lasso path in Gram
    form is one compiled call. ``keep_w0`` (one λ, ``tol > 0``): a start ``w0`` whose gap
    already meets the tolerance is the solution as it is, unpolished, with ``n_iter`` 0 (a
    warm start from a converged fit, as scikit-learn's solver checks the gap first).
    """
    order = np.argsort(-lambdas, kind="stable")
    if polish == "last" and lambdas.size > 1:
        head = ls_path(problem, penalty, lambdas[order[:-1]], tol=tol, max_epochs=max_epochs,
                       screen=screen, tikhonov=tikhonov, w0=w0)
        tail = ls_path(problem, penalty, lambdas[order[-1:]], tol=tol, max_epochs=max_epochs,
                       screen=screen, tikhonov=tikhonov, w0=head.coefs[-1], polish=True)
        return _joined(lambdas, order, head, tail)
    p = problem.n_features
    out = SparsePath.empty(lambdas, p, "duality gap")
    nonneg = bool(getattr(penalty, "nonneg", False))
    gap_tol = 0.5 * tol * problem.yy
    w = np.zeros(p) if w0 is None else np.asarray(w0, dtype=np.float64)
    out.certificate_tols[:] = 2.0 * gap_tol
    kept = keep_w0 and w0 is not None and lambdas.size == 1 and gap_tol > 0
    if kept and _kept_start(out, problem, penalty, w, nonneg, gap_tol, tikhonov):
        return out
    polish = bool(polish)
    if problem.gram and tikhonov is None:
        parts = [split_penalty(penalty, lam, 0.5, p) for lam in lambdas[order]]
        blocks = parts[0][0] if parts else Blocks.singletons(p)
        fit = problem.solve_path(np.array([a for _, a, _ in parts]).reshape(len(parts), -1),
                                 np.array([b for _, _, b in parts]).reshape(-1, p),
                                 nonneg=nonneg, w0=w, gap_tol=gap_tol, max_epochs=max_epochs,
                                 screen=screen, polish=polish,
                                 blocks=None if blocks.trivial else blocks)
        _store(out, order, problem, fit.coefs, fit.primal, fit.gaps, fit.converged, fit.epochs)
        return out
    for i in order:
        blocks, a, b = split_penalty(penalty, lambdas[i], 0.5, p, tikhonov)
        fit = problem.solve(blocks, a, b, nonneg=nonneg, w0=w, gap_tol=gap_tol,
                            max_epochs=max_epochs, screen=screen, polish=polish)
        w = fit.coef
        _store(out, [i], problem, w[None], [fit.primal], [fit.gap], [fit.converged],
               [fit.n_epochs])
    return out


def _kept_start(out: SparsePath, problem: LSProblem, penalty, w0: np.ndarray, nonneg: bool,
                gap_tol: float, tikhonov) -> bool:
    """Store ``w0`` as the solution of ``out``'s one λ, if its gap is at most ``gap_tol``.

    A solve allowed no sweep certifies ``w0`` (after the exact minimization over the
    unpenalized coordinates, which is not an iteration); a support step taken instead counts
    as one, and then the caller solves from ``w0`` as usual.
    """
    p = problem.n_features
    blocks, a, b = split_penalty(penalty, out.lambdas[0], 0.5, p, tikhonov)
    fit = problem.solve(blocks, a, b, nonneg=nonneg, w0=w0, gap_tol=gap_tol, max_epochs=0,
                        screen=False, polish=False)
    if fit.n_epochs != 0 or not fit.gap <= gap_tol:
        return False
    _store(out, [0], problem, np.asarray(fit.coef)[None], [fit.primal], [fit.gap], [True], [0])
    return True


def _joined(lambdas: np.ndarray, order: np.ndarray, head: SparsePath,
            tail: SparsePath) -> SparsePath:
    """The path of ``lambdas`` from ``head`` (``lambdas[order[:-1]]``) and ``tail`` (the last)."""
    out = SparsePath.empty(lambdas, head.coefs.shape[1], head.certificate)
    for name in ("coefs", "intercepts", "objectives", "certificates", "certificate_tols",
                 "converged", "n_iter"):
        getattr(out, name)[order[:-1]] = getattr(head, name)
        getattr(out, name)[order[-1:]] = getattr(tail, name)
    return out


def _store(out: SparsePath, rows, problem: LSProblem, coefs, primal, gaps, conv, epochs):
    """Put halved-scale solutions into the canonical-scale ``out`` at ``rows``."""
    out.coefs[rows] = coefs
    out.intercepts[rows] = problem.mean_y - np.asarray(coefs) @ problem.mean_x
    out.objectives[rows] = 2.0 * np.asarray(primal)
    out.certificates[rows] = 2.0 * np.asarray(gaps)
    out.converged[rows] = conv
    out.n_iter[rows] = epochs


def _logistic_free_columns(penalty) -> np.ndarray:
    """Columns with no penalty at all (factor 0, group weight 0): the only ones the null
    model (λ → ∞) fits. A ridge (``mix = 0``) column is penalized: zero at the null model."""
    if isinstance(penalty, GroupPenalty):
        return unpenalized_columns(penalty)
    return np.flatnonzero(penalty.factors == 0)


def _null_logistic(problem: LogisticL1Problem, penalty):
    """The λ → ∞ model: intercept and unpenalized columns fitted, the others zero."""
    p = problem.X.shape[1]
    free = _logistic_free_columns(penalty)
    if free.size == 0:
        return np.zeros(p), problem.null_intercept()
    blocks, _, _ = split_penalty(penalty, 1.0, 1.0, p)
    held = np.ones(p, dtype=bool)
    held[free] = False
    a = np.array([1e30 if held[blocks.idx[blocks.ptr[k]:blocks.ptr[k + 1]]].any() else 0.0
                  for k in range(blocks.n_blocks)])
    fit = solve_logistic(problem, blocks, a, np.zeros(p), kkt_tol=1e-12, max_iter=200)
    return fit.coef, fit.intercept


def logistic_lambda_max(problem: LogisticL1Problem, penalty) -> float:
    """Exact smallest λ with every penalized coefficient zero (binary logistic loss, or the
    Poisson deviance for a :class:`~ridgeline.solvers.prox_newton.PoissonL1Problem`)."""
    w, b0 = _null_logistic(problem, penalty)
    grad = problem.gradient(problem.eta(w, b0))[0]
    return penalty.lambda_max(grad)


def logistic_path(problem: LogisticL1Problem, penalty, lambdas: np.ndarray, *, tol: float,
                  max_iter: int, max_epochs: int = 100_000, polish: bool = False) -> SparsePath:
    """Binary logistic path; stop each λ at KKT residual ≤ ``tol · ‖∇(null model)‖_∞``.

    ``polish``: then one more Newton step at each λ (kept if it lowers the residual; see
    :class:`~ridgeline.solvers.prox_newton_inner.OuterStop`), so that a solution does not
    depend on the warm start to the tolerance's loose extent.

    ``problem`` may be any :class:`~ridgeline.solvers.prox_newton.SparseGLMProblem` (a
    :class:`~ridgeline.solvers.prox_newton.PoissonL1Problem` gives the Poisson path); the
    multinomial path is :func:`ridgeline.path.glm_sparse_path.multinomial_path`.
    """
    p = problem.X.shape[1]
    out = SparsePath.empty(lambdas, p, "KKT residual")
    nonneg = bool(getattr(penalty, "nonneg", False))
    w, b0 = _null_logistic(problem, penalty)
    scale = float(np.abs(problem.gradient(problem.eta(w, b0))[0]).max(initial=0.0))
    kkt_tol = tol * max(scale, 1e-12)
    for i in np.argsort(-lambdas, kind="stable"):
        blocks, a, b = split_penalty(penalty, lambdas[i], 1.0, p)
        fit = solve_logistic(problem, blocks, a, b, nonneg=nonneg, w0=w, b0=b0,
                             kkt_tol=kkt_tol, max_iter=max_iter, max_epochs=max_epochs,
                             polish=polish)
        w, b0 = fit.coef, fit.intercept
        out.record(i, fit, kkt_tol)
    return out
