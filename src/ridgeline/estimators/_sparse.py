"""Shared validation and fitting for the sparse (L1 / elastic-net / group) estimators."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ridgeline.conventions import canonical_from_sklearn_enet
from ridgeline.path.sparse_path import SparsePath, geometric_grid, ls_path
from ridgeline.penalties import ElasticNetPenalty
from ridgeline.penalties.elastic_net import check_factors, check_mix
from ridgeline.solvers.ls_problem import LSProblem, use_gram


def check_alpha(alpha, name: str = "alpha") -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(alpha).__name__}")
    if not np.isfinite(alpha) or alpha < 0:
        raise ValueError(f"{name} must be finite and non-negative, got {alpha!r}")
    return float(alpha)


def check_cd_params(tol, max_iter) -> None:
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol > 0:
        raise ValueError(f"tol must be a positive number, got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")


def check_precompute(precompute) -> bool | str:
    if isinstance(precompute, (bool, np.bool_)):
        return bool(precompute)
    if isinstance(precompute, str) and precompute == "auto":
        return "auto"
    raise ValueError("precompute must be True, False or 'auto' (a user-supplied Gram matrix "
                     f"is not accepted: ridgeline forms its own), got {type(precompute).__name__}")


def enet_penalty(l1_ratio, n_features: int, penalty_factor, positive: bool) -> ElasticNetPenalty:
    """The canonical penalty of scikit-learn's ``l1_ratio`` (ρ): mix = 2ρ/(1+ρ)."""
    rho = check_mix(l1_ratio, "l1_ratio")
    mix = 2.0 * rho / (1.0 + rho)
    penalty = ElasticNetPenalty(mix, check_factors(penalty_factor, n_features), bool(positive))
    return penalty.check_solvable()


def enet_lambda(alpha: float, l1_ratio: float) -> float:
    """Canonical λ of scikit-learn's ``ElasticNet(alpha, l1_ratio)``: ``α(1+ρ)``."""
    return float(canonical_from_sklearn_enet(alpha, l1_ratio)[0])


def ls_problem(X, y: np.ndarray, s: np.ndarray, fit_intercept: bool, precompute,
               groups: bool = False) -> LSProblem:
    gram = use_gram(X, X.shape[0], groups, False, precompute)
    return LSProblem.from_data(X, y, s, fit_intercept, gram)


def fit_targets(X, Y: np.ndarray, s: np.ndarray, penalty, lam: float, *, fit_intercept: bool,
                precompute, tol: float, max_iter: int, coef0=None,
                groups: bool = False) -> list[SparsePath]:
    """One single-λ path per target column of ``Y`` (n, k)."""
    out = []
    for t in range(Y.shape[1]):
        problem = ls_problem(X, Y[:, t], s, fit_intercept, precompute, groups)
        w0 = None if coef0 is None else coef0[t]
        out.append(ls_path(problem, penalty, np.array([lam]), tol=tol, max_epochs=max_iter,
                           w0=w0))
    return out


def warn_not_certified(paths: list[SparsePath], who: str, tol: float, stacklevel: int = 3) -> None:
    """A ConvergenceWarning naming the worst final certificate, if any solve fell short."""
    bad = [(p.certificates[i], p.certificate_tols[i], p.lambdas[i], p.certificate)
           for p in paths for i in np.flatnonzero(~p.converged)]
    if not bad:
        return
    cert, cert_tol, lam, kind = max(bad, key=lambda b: b[0] / max(b[1], 1e-300))
    warnings.warn(
        f"{who} did not reach its tolerance on {len(bad)} solve(s): the worst final {kind} is "
        f"{cert:.3g} (asked ≤ {cert_tol:.3g}, tol={tol:g}) at λ={lam:.4g}; increase max_iter, "
        "or loosen tol", ConvergenceWarning, stacklevel=stacklevel + 1)


def alpha_grid(problem_lambda_max: float, alphas, eps: float, to_alpha: float) -> np.ndarray:
    """sklearn's ``alphas`` (int: count; array: values) as a canonical λ grid (descending)."""
    if isinstance(alphas, numbers.Integral) and not isinstance(alphas, bool):
        if alphas < 1:
            raise ValueError(f"alphas as a count must be at least 1, got {alphas}")
        if not 0 < eps < 1:
            raise ValueError(f"eps must lie in (0, 1), got {eps!r}")
        return geometric_grid(problem_lambda_max, int(alphas), eps)
    grid = np.asarray(alphas, dtype=np.float64).ravel()
    if grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid < 0):
        raise ValueError("alphas must be a positive count or a non-empty array of finite, "
                         "non-negative values")
    return np.sort(grid)[::-1] * to_alpha

