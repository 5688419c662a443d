"""Public path functions: ``enet_path`` and ``group_lasso_path`` (canonical λ, validated)."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils.validation import check_array, check_consistent_length

from ridgeline.estimators._sparse import check_cd_params, check_eps, warn_not_certified
from ridgeline.estimators._standardize import Standardization
from ridgeline.estimators._validation import check_weights
from ridgeline.path.budget import check_grid_budget, grid_size, point_bytes
from ridgeline.path.sparse_path import SparsePath, geometric_grid, ls_lambda_max, ls_path
from ridgeline.penalties import ElasticNetPenalty, GroupPenalty, TikhonovPenalty
from ridgeline.penalties.elastic_net import check_factors
from ridgeline.solvers.ls_problem import LSProblem, use_gram


def _data(X, y, sample_weight):
    """Validated ``(X, y, s)``."""
    X = check_array(X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32])
    y = check_array(y, ensure_2d=False, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"y must be one-dimensional, got shape {y.shape}")
    check_consistent_length(X, y)
    return X, y, check_weights(sample_weight, X)


def _check_size(lambdas, p: int) -> None:
    """The grid (a count or the values) against the solve cap and memory, before any work:
    each λ is a coordinate-descent solve that keeps a coefficient vector of ``p``."""
    size, given = grid_size(lambdas)
    check_grid_budget("lambdas", size, given=given, solves_per_point=1,
                      bytes_per_point=point_bytes(p + 8),
                      stored=f"a coefficient vector of {p:,} features")


def _grid(problem: LSProblem, penalty, lambdas, eps: float) -> np.ndarray:
    """A count as the log grid from the exact λ_max, or the given values (validated)."""
    if isinstance(lambdas, numbers.Integral) and not isinstance(lambdas, bool):
        if lambdas < 1:
            raise ValueError(f"lambdas as a count must be at least 1, got {lambdas}")
        return geometric_grid(ls_lambda_max(problem, penalty), int(lambdas), check_eps(eps))
    grid = np.asarray(lambdas, dtype=np.float64).ravel()
    if grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid < 0):
        raise ValueError("lambdas must be a positive count or a non-empty array of finite, "
                         "non-negative values")
    return grid


def _checked(X, y, sample_weight, lambdas, tol: float, max_iter: int):
    """``(X, y, s)`` validated, after the solver settings and the grid size."""
    check_cd_params(tol, max_iter)
    X, y, s = _data(X, y, sample_weight)
    _check_size(lambdas, X.shape[1])
    return X, y, s


def enet_path(X, y, *, mix: float = 1.0, lambdas=100, eps: float = 1e-3, sample_weight=None,
              fit_intercept: bool = True, penalty_factor=None, positive: bool = False,
              tikhonov=None, tol: float = 1e-4, max_iter: int = 1000,
              screening: bool = True, standardize: bool = False,
              polish: bool = False) -> SparsePath:
    """Certified elastic-net path of ``(1/n_w)Σ s_i r_i² + λ Σ_j f_j(mix|w_j| + (1-mix)w_j²)``.

    Parameters
    ----------
    X : array (n, p) or sparse matrix;  y : array (n,)
    mix : float in [0, 1]
        Canonical L1 share (1 = lasso). scikit-learn's ``l1_ratio`` ρ is ``mix = 2ρ/(1+ρ)``.
    lambdas : int or array
        A count (log grid from the exact λ_max down to ``eps·λ_max``; any ``eps > 0``) or
        canonical λ values, returned in the order given.
    penalty_factor : array (p,), optional
        ``f_j ≥ 0`` (0 = unpenalized).
    positive : bool
        Non-negative coefficients.
    tikhonov : array (p, p), optional
        Replace the L2 part ``Σ f_j w_j²`` by ``wᵀPw`` (P symmetric PSD); Gram engine.
    tol : float
        Each λ stops at canonical duality gap ≤ ``tol × var_w(y)`` (0: to the rounding floor or
        ``max_iter``).
    max_iter : int
        Coordinate sweeps per λ.
    screening : bool
        Gap-safe screening (results are identical either way; it only saves time).
    standardize : bool
        Penalize the standardized features ``x_j / σ_j`` (``σ_j`` the sample-weighted standard
        deviation, about zero without intercept, 1 for a constant column; glmnet's
        ``standardize=TRUE``): the penalty factors and ``tikhonov`` act on the standardized
        coefficients, λ_max and the grid are those of the standardized problem, and ``coefs``
        are returned on the original scale (``objectives`` and ``certificates`` are the
        standardized problem's). The same as scaling X by hand and dividing the coefficients
        by ``σ``. The lasso (``mix=1``) reweights its penalty factors by ``σ``; otherwise X
        is scaled in a copy (a sparse X keeps its sparsity pattern).
    polish : bool, default=False
        Take each λ on past ``tol`` to the rounding floor of its gap, as the single fits do
        (the default stops at ``tol``, as scikit-learn's ``enet_path``).

    Returns
    -------
    SparsePath
    """
    X, y, s = _checked(X, y, sample_weight, lambdas, tol, max_iter)
    P = None if tikhonov is None else TikhonovPenalty.make(tikhonov, X.shape[1]).matrix
    base = ElasticNetPenalty.make(mix, X.shape[1], check_factors(penalty_factor, X.shape[1]),
                                  positive)
    std = Standardization.plan(X, s, standardize=standardize, fit_intercept=fit_intercept,
                               l1_only=base.mix == 1.0)
    penalty = ElasticNetPenalty(base.mix, std.factors(base.factors), base.nonneg)
    penalty.check_solvable()
    gram = use_gram(X, X.shape[0], False, P is not None)
    problem = LSProblem.from_data(std.data(X), y, s, fit_intercept, gram)
    grid = _grid(problem, penalty, lambdas, eps)
    path = ls_path(problem, penalty, grid, tol=tol, max_epochs=max_iter, screen=screening,
                   tikhonov=P, polish=polish)
    warn_not_certified([path], "enet_path", tol, stacklevel=2)
    return std.path_out(path)


def group_lasso_path(X, y, groups, *, lambdas=100, eps: float = 1e-3, group_weights=None,
                     sample_weight=None, fit_intercept: bool = True, tol: float = 1e-4,
                     max_iter: int = 1000, screening: bool = True,
                     standardize: bool = False, polish: bool = False) -> SparsePath:
    """Certified group-lasso path of ``(1/n_w)Σ s_i r_i² + λ Σ_g ω_g‖w_g‖₂``.

    ``groups``: an int (consecutive groups of that size), index lists or one label per
    feature; ``ω_g = √|g|`` unless ``group_weights``. ``standardize`` penalizes the groups of
    the standardized features (X is scaled in a copy; ``coefs`` on the original scale). Other
    parameters as :func:`enet_path`.
    """
    X, y, s = _checked(X, y, sample_weight, lambdas, tol, max_iter)
    penalty = GroupPenalty.make(groups, X.shape[1], group_weights)
    std = Standardization.plan(X, s, standardize=standardize, fit_intercept=fit_intercept,
                               l1_only=False, gram=False)
    problem = LSProblem.from_data(std.data(X), y, s, fit_intercept, gram=False)
    grid = _grid(problem, penalty, lambdas, eps)
    path = ls_path(problem, penalty, grid, tol=tol, max_epochs=max_iter, screen=screening,
                   polish=polish)
    warn_not_certified([path], "group_lasso_path", tol, stacklevel=2)
    return std.path_out(path)
