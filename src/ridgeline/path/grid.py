"""Grids of canonical λ values.

The automatic grid is derived from the spectrum of the centered Gram: it runs log-uniformly
from the λ at which the effective degrees of freedom are ``dof_low`` (almost everything shrunk
away) down to the λ at which they reach ``dof_high_fraction`` of the rank (almost no shrinkage).
"""

from __future__ import annotations

import numpy as np

from ridgeline.path.budget import check_count


def _dof(e: np.ndarray, a: float) -> float:
    return float(np.sum(e / (e + a)))


def _solve_dof(e: np.ndarray, target: float) -> float:
    """The penalty ``a`` with ``Σ e/(e+a) = target`` (bisection on log a)."""
    lo, hi = np.log(e[-1]) - 60.0, np.log(e[-1]) + 60.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if _dof(e, np.exp(mid)) > target:
            lo = mid
        else:
            hi = mid
    return float(np.exp(0.5 * (lo + hi)))


def auto_lambda_grid(
    eigenvalues: np.ndarray,
    sw: float,
    n_lambdas: int = 100,
    *,
    dof_low: float = 0.05,
    dof_high_fraction: float = 0.99,
    min_ratio: float = 1e-10,
) -> np.ndarray:
    """A decreasing grid of canonical λ from the spectrum of the centered Gram.

    Parameters
    ----------
    eigenvalues : ndarray (r,)
        Eigenvalues of ``XcᵀSXc`` (any order; zeros are ignored).
    sw : float
        Sum of sample weights; the penalty ``a = sw·λ``.
    n_lambdas : int
        Number of grid points (an integer ≥ 1 whose grid fits in memory, see
        :func:`ridgeline.path.budget.check_count`).
    dof_low, dof_high_fraction : float
        Effective degrees of freedom at the two ends (the upper end as a fraction of the rank).
    min_ratio : float
        The smallest λ is at least ``min_ratio·e_max/sw`` (protects against tiny eigenvalues).

    Returns
    -------
    ndarray of shape (n_lambdas,), decreasing.
    """
    n_lambdas = check_count(n_lambdas, "n_lambdas")
    e = np.sort(np.asarray(eigenvalues, dtype=np.float64))
    e = e[e > (e[-1] * 1e-14 if e.size and e[-1] > 0 else 0)]
    if e.size == 0:
        raise ValueError("cannot derive a λ grid: the centered X has no variance")
    a_hi = _solve_dof(e, min(dof_low, 0.5 * e.size))
    a_lo = max(_solve_dof(e, dof_high_fraction * e.size), min_ratio * e[-1])
    if a_lo >= a_hi:
        a_lo = a_hi * 1e-4
    return np.geomspace(a_hi, a_lo, n_lambdas) / sw


def extend_grid(lambdas: np.ndarray, side: str, decades: float = 2.0) -> np.ndarray:
    """Extend a log-spaced grid by ``decades`` beyond its ``"high"`` or ``"low"`` end.

    Keeps the grid's log spacing (or 10 points per decade for a single-point grid) and returns
    the new grid sorted in the original grid's order (decreasing by convention).
    """
    lam = np.sort(np.asarray(lambdas, dtype=np.float64))[::-1]
    # log10 spacing (negative: the grid decreases)
    step = np.median(np.diff(np.log10(lam))) if lam.size > 1 and lam[-1] > 0 else -0.1
    n_new = max(1, round(decades / abs(step)))
    if side == "high":
        new = lam[0] * 10.0 ** (-step * np.arange(n_new, 0, -1))
        return np.concatenate([new, lam])
    if side == "low":
        if lam[-1] <= 0:
            return lam
        new = lam[-1] * 10.0 ** (step * np.arange(1, n_new + 1))
        return np.concatenate([lam, new])
    raise ValueError(f"side must be 'high' or 'low', got {side!r}")
