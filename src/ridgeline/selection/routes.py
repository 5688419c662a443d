"""The ridge factorization routes: which one a data set takes, and its full-data factor.

:func:`choose_route` picks the primal eigendecomposition (n ≥ p), the dual kernel (p > n) or
LSQR (both huge); :func:`full_factor` factors the whole data set by a route, with the SVD
fallback when the Gram is too ill-conditioned for the smallest penalty.
"""

from __future__ import annotations

import numpy as np

from ridgeline.path.grid import auto_lambda_grid
from ridgeline.solvers.dual import dual_factor
from ridgeline.solvers.spectral import Factor, factor_from_moments, needs_svd, svd_factor
from ridgeline.stats.moments import Moments, accumulate

SOLVERS = ("auto", "eigh", "svd", "dual", "lsqr")


def choose_route(X, solver: str) -> str:
    """Pick the factorization: primal eigen (n ≥ p), dual kernel (p > n) or LSQR (both huge)."""
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; choose one of {SOLVERS}")
    if solver != "auto":
        return solver
    n, p = X.shape
    if p <= n and p <= 8000:
        return "eigh"
    if p > n and n <= 12000:
        return "dual"
    if p <= 4000:
        return "eigh"
    return "lsqr"


def full_factor(X, Y, s, route: str, *, fit_intercept: bool, standardize: bool,
                min_penalty: float, moments: Moments | None = None) -> Factor:
    """Factor the whole data set by the given route (SVD fallback when ill-conditioned).

    ``moments`` are the total moments of (X, Y) when already accumulated (primal routes).
    """
    if route == "dual":
        return dual_factor(X, Y, s, fit_intercept=fit_intercept, standardize=standardize)
    m = accumulate(X, Y, s) if moments is None else moments
    F = factor_from_moments(m.centered(fit_intercept), shift_x=m.shift_x, shift_y=m.shift_y,
                            standardize=standardize)
    if route == "svd" or needs_svd(F, min_penalty):
        F = svd_factor(X, Y, s, F.mean_x, F.mean_y, F.scale)
    return F


def moments_factor(total: Moments, lambdas, n_lambdas: int, *, fit_intercept: bool,
                   standardize: bool) -> tuple[Factor, np.ndarray, float]:
    """The full-data factor of a statistics source's total moments, the λ grid (``lambdas``,
    or ``n_lambdas`` values from the factor's spectrum) and the weight sum ``n_w`` (a zero
    sum is refused)."""
    sw = float(total.sw)
    if sw <= 0:
        raise ValueError("the sample weights of the source sum to zero")
    factor = factor_from_moments(total.centered(fit_intercept), shift_x=total.shift_x,
                                 shift_y=total.shift_y, standardize=standardize)
    lam = auto_lambda_grid(factor.e, sw, n_lambdas) if lambdas is None \
        else np.asarray(lambdas, dtype=np.float64)
    return factor, lam, sw
