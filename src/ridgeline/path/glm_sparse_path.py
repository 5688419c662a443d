"""Warm-started sparse paths of the multinomial (softmax) model, from λ_max down.

The canonical objective ``(1/n_w) Σ s_i ℓ_i + λ Σ_j f_j (mix·N(W_j) + (1-mix)‖W_j‖²)`` with
``N`` the sum of absolute values (ungrouped) or the Euclidean norm of feature j's K class
coefficients (grouped, glmnet's ``type.multinomial="grouped"``). Each λ is solved by
:func:`ridgeline.solvers.prox_newton_multinomial.solve_multinomial` to a KKT residual of at
most ``tol · ‖∇(null model)‖_∞``, warm-started from the previous (larger) λ whatever order the
grid is given in. The scalar models (binary logistic, Poisson) have theirs in
:mod:`ridgeline.path.sparse_path` (:func:`~ridgeline.path.sparse_path.logistic_path` takes
either problem).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline.path.sparse_path import SparsePath
from ridgeline.penalties import ElasticNetPenalty
from ridgeline.solvers.prox_newton_multinomial import (
    MultinomialL1Problem,
    MultinomialPenalty,
    solve_multinomial,
)


@dataclass
class MultinomialPath(SparsePath):
    """Solutions along a grid of canonical λ (the fields of :class:`SparsePath`).

    Attributes
    ----------
    coefs : ndarray (L, p, K)
    intercepts : ndarray (L, K)
    grouped : bool
        The penalty of each feature is the norm of its class coefficients.
    """

    grouped: bool = False

    @classmethod
    def empty_multinomial(cls, lambdas: np.ndarray, p: int, K: int,
                          grouped: bool) -> MultinomialPath:
        L = lambdas.size
        return cls(lambdas, np.zeros((L, p, K)), np.zeros((L, K)), np.zeros(L), np.zeros(L),
                   np.zeros(L), np.zeros(L, dtype=bool), np.zeros(L, dtype=np.int64),
                   "KKT residual", grouped)

    @property
    def n_nonzero(self) -> np.ndarray:
        """Number of features with a nonzero coefficient for some class, per λ."""
        return np.count_nonzero(np.any(self.coefs != 0, axis=2), axis=1)


def multinomial_penalty(penalty: ElasticNetPenalty, lam: float,
                        grouped: bool) -> MultinomialPenalty:
    """The solver's ``(a, b)`` per feature for ``λ·P``: ``a = λ·mix·f``, ``b = 2λ(1-mix)f``."""
    if penalty.nonneg:
        raise ValueError("non-negative coefficients are not available for the multinomial "
                         "model")
    a, b = penalty.coefficients(lam)
    return MultinomialPenalty(a, b, bool(grouped))


def _null_multinomial(problem: MultinomialL1Problem, penalty: ElasticNetPenalty,
                      grouped: bool) -> tuple[np.ndarray, np.ndarray]:
    """The λ → ∞ model: intercepts and unpenalized features fitted, the others zero."""
    p, K = problem.X.shape[1], problem.n_classes
    pen = penalty.factors > 0  # a ridge (mix = 0) feature is penalized: zero at λ → ∞
    if pen.all():
        return np.zeros((p, K)), problem.null_intercept()
    held = MultinomialPenalty(np.where(pen, 1e30, 0.0), np.zeros(p), grouped)
    fit = solve_multinomial(problem, held, kkt_tol=1e-12, max_iter=200)
    return fit.coef, fit.intercept


def _feature_gradient(G: np.ndarray, grouped: bool) -> np.ndarray:
    """Per feature, the size of its class gradients that the penalty's dual norm sees."""
    return np.linalg.norm(G, axis=1) if grouped else np.abs(G).max(axis=1)


def multinomial_lambda_max(problem: MultinomialL1Problem, penalty: ElasticNetPenalty, *,
                           grouped: bool) -> float:
    """Exact smallest λ with every penalized coefficient zero (multinomial loss).

    ``max_j ‖∇_{W_j}‖ / (mix·f_j)`` at the null model, with the ∞-norm over classes
    (ungrouped) or the 2-norm (grouped).
    """
    W, b = _null_multinomial(problem, penalty, grouped)
    G = problem.gradient(problem.eta(W, b))[0]
    return penalty.lambda_max(_feature_gradient(G, grouped))


def multinomial_path(problem: MultinomialL1Problem, penalty: ElasticNetPenalty,
                     lambdas: np.ndarray, *, grouped: bool, tol: float, max_iter: int,
                     max_epochs: int = 100_000, polish: bool = False) -> MultinomialPath:
    """Multinomial path; stop each λ at KKT residual ≤ ``tol · ‖∇(null model)‖_∞``.

    Parameters
    ----------
    problem : MultinomialL1Problem
    penalty : ElasticNetPenalty
        ``mix`` and the per-feature factors ``f`` (one per feature, shared by its classes).
    lambdas : ndarray (L,)
    grouped : bool
        Penalize the norm of each feature's class coefficients rather than each coefficient.
    tol : float
        Relative KKT tolerance.
    max_iter : int
        Newton steps per λ.
    max_epochs : int
        Coordinate sweeps per λ.
    polish : bool
        Then one more Newton step at each λ (kept if it lowers the residual), as
        :func:`~ridgeline.path.sparse_path.logistic_path`.

    Returns
    -------
    MultinomialPath
    """
    lambdas = np.asarray(lambdas, dtype=np.float64)
    p, K = problem.X.shape[1], problem.n_classes
    out = MultinomialPath.empty_multinomial(lambdas, p, K, grouped)
    W, b = _null_multinomial(problem, penalty, grouped)
    scale = float(np.abs(problem.gradient(problem.eta(W, b))[0]).max(initial=0.0))
    kkt_tol = tol * max(scale, 1e-12)
    for i in np.argsort(-lambdas, kind="stable"):
        fit = solve_multinomial(problem, multinomial_penalty(penalty, lambdas[i], grouped),
                                W0=W, b0=b, kkt_tol=kkt_tol, max_iter=max_iter,
                                max_epochs=max_epochs, polish=polish)
        W, b = fit.coef, fit.intercept
        out.record(i, fit, kkt_tol)
    return out
