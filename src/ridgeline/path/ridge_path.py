"""The ridge regularization path: coefficients for every λ from one factorization."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline.path.budget import check_grid_budget, point_bytes
from ridgeline.solvers.spectral import Factor


@dataclass
class RidgePath:
    """Coefficients along a grid of canonical λ.

    Attributes
    ----------
    lambdas : ndarray (L,)
        Canonical λ values.
    coef : ndarray (L, p, k)
        Coefficients (original feature scale).
    intercept : ndarray (L, k)
    dof : ndarray (L,)
        Effective degrees of freedom ``Σ e/(e + n_w λ)`` (plus one with an intercept).
    """

    lambdas: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    dof: np.ndarray


def ridge_path(factor: Factor, lambdas: np.ndarray, *, fit_intercept: bool = True) -> RidgePath:
    """Evaluate a :class:`Factor` along canonical λ values (penalty ``a = n_w·λ``)."""
    lambdas = np.asarray(lambdas, dtype=np.float64)
    p, r, k = factor.V.shape[0], factor.e.size, factor.Z.shape[1]
    check_grid_budget("lambdas", lambdas.size, given=True, bytes_per_point=point_bytes(
        (p + r) * k, k, 8), stored=f"{p:,} × {k} coefficients")
    penalties = lambdas * factor.sw
    factor.check_penalties(penalties)
    coef = factor.coef(penalties)
    return RidgePath(
        lambdas=lambdas,
        coef=coef,
        intercept=factor.intercept(coef),
        dof=factor.dof(penalties) + (1.0 if fit_intercept else 0.0),
    )
