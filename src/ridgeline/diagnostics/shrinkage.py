"""Ridge shrinkage along the principal directions of the centered data.

For the canonical objective ``(1/n_w) Σ s_i (y_i − x_iᵀw − b)² + λ‖w‖²`` the intercept is
eliminated by weighted centering. With the thin SVD ``S^{1/2} X_c = U diag(d) Vᵀ`` of the
weighted, centered X (``X_c = X − x̄_w``; divided by the feature standard deviations when the
estimator standardizes), the ridge solution in the principal basis is::

    Vᵀ ŵ(λ)  =  diag( d_j² / (d_j² + n_w λ) ) · Vᵀ ŵ_OLS

i.e. along principal direction j the least-squares coefficient is multiplied by the
**shrinkage factor** ``d_j²/(d_j² + λ')`` with ``λ' = n_w λ`` (``n_w = Σ s_i``, the number of
rows when unweighted; ``λ'`` is scikit-learn's ``alpha``). Directions of small variance (small
``d_j``) are shrunk most; the factors sum to the effective degrees of freedom (Hastie,
Tibshirani & Friedman 2009, *The Elements of Statistical Learning*, §3.4.1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ridgeline.diagnostics._checks import (
    check_count,
    check_data,
    check_grid_cost,
    check_lambdas,
)
from ridgeline.diagnostics._fits import ridge_factor
from ridgeline.diagnostics._models import model_spec, own_grid, own_lambda
from ridgeline.diagnostics._table import fmt, text_table, to_dict
from ridgeline.estimators import Ridge
from ridgeline.path.grid import auto_lambda_grid

#: above this many features a sparse X is refused (its p×p Gram is eigendecomposed)
MAX_SPARSE_FEATURES = 5000


@dataclass
class Shrinkage:
    """Ridge shrinkage factors along the principal directions, for every λ.

    Attributes
    ----------
    lambdas : ndarray (L,)
        Canonical λ.
    params : ndarray (L,)
        ``alpha = n_w λ`` (= λ', the penalty in the unnormalized scale).
    param_name : str
        ``"alpha"``.
    singular_values : ndarray (r,)
        ``d_j`` of the weighted, centered (and standardized, if the estimator does) X,
        decreasing.
    factors : ndarray (L, r)
        ``d_j² / (d_j² + n_w λ)``.
    components : ndarray (p, r)
        The principal directions ``V`` (columns), in the penalized feature space (the
        standardized features when ``standardize``).
    variance_ratio : ndarray (r,)
        ``d_j² / Σ d²``: share of the (weighted) variance along each direction.
    dof : ndarray (L,)
        ``Σ_j factors`` (+1 with an intercept): the effective degrees of freedom.
    n_w : float
    fit_intercept, standardize : bool
    ols_coef : ndarray (r, k) or None
        Least-squares coefficients in the principal basis ``Vᵀŵ_OLS`` (when y is given).
    ridge_coef : ndarray (L, r, k) or None
        Ridge coefficients in the principal basis (``factors × ols_coef``), when y is given.
    lambda_chosen : float or None
        The estimator's λ (fitted ``lambda_``, or its ``alpha``'s).
    """

    lambdas: np.ndarray
    params: np.ndarray
    param_name: str
    singular_values: np.ndarray
    factors: np.ndarray
    components: np.ndarray
    variance_ratio: np.ndarray
    dof: np.ndarray
    n_w: float
    fit_intercept: bool
    standardize: bool
    ols_coef: np.ndarray | None = None
    ridge_coef: np.ndarray | None = None
    lambda_chosen: float | None = None

    @property
    def n_components(self) -> int:
        return self.singular_values.size

    def factors_at(self, lam: float) -> np.ndarray:
        """Shrinkage factors (r,) at any canonical λ ≥ 0 (not only the grid's)."""
        lam = float(check_lambdas([lam], "lam")[0])
        d2 = self.singular_values**2
        den = d2 + self.n_w * lam
        return np.where(den > 0, d2 / np.where(den > 0, den, 1.0), 0.0)

    def table(self, lam: float | None = None) -> str:
        """One line per principal direction: d, variance share, factor at ``lam``.

        ``lam`` defaults to :attr:`lambda_chosen`, else the middle of the grid.
        """
        if lam is None:
            lam = self.lambda_chosen if self.lambda_chosen is not None else \
                float(self.lambdas[self.lambdas.size // 2])
        f = self.factors_at(lam)
        rows = [[str(j + 1), self.singular_values[j], self.variance_ratio[j], f[j]]
                for j in range(self.n_components)]
        return text_table(["direction", "d", "variance share", "factor"], rows,
                          note=f"factor d²/(d² + n_w λ) at λ = {fmt(lam)} (n_w = {fmt(self.n_w)}"
                               f", dof = {fmt(float(f.sum()) + self.fit_intercept)})")

    def to_dict(self) -> dict:
        """All fields as JSON-ready values (arrays → lists, NaN → None)."""
        return to_dict(self)


def shrinkage_factors(estimator, X, y=None, *, lambdas=None, n_lambdas: int = 50,
                      sample_weight=None) -> Shrinkage:
    """Shrinkage factors ``d_j²/(d_j² + n_w λ)`` of ridge along the principal directions of X.

    Parameters
    ----------
    estimator : Ridge, RidgeCV or None
        Supplies ``fit_intercept``, ``standardize`` and (fitted or CV) the grid and chosen λ;
        None means ``Ridge()``.
    X : array (n, p) or sparse matrix
    y : array (n,) or (n, k), optional
        When given, the least-squares and ridge coefficients in the principal basis are
        reported too.
    lambdas : array-like (L,), optional
        Canonical λ; default the estimator's grid, else an automatic one (``n_lambdas``).
    n_lambdas : int, default=50
    sample_weight : array (n,), optional

    Returns
    -------
    Shrinkage
    """
    estimator = Ridge() if estimator is None else estimator
    spec = model_spec(estimator)
    if spec.kind != "ridge":
        raise TypeError(f"shrinkage factors are those of ridge regression (Ridge, RidgeCV); "
                        f"got {spec.name}")
    n_lambdas = check_count(n_lambdas, "n_lambdas", 1)
    X, y, s = check_data(X, y, sample_weight=sample_weight)
    n, p = X.shape
    if sp.issparse(X) and p > MAX_SPARSE_FEATURES:
        raise ValueError(f"sparse X with {p} > {MAX_SPARSE_FEATURES} features: its Gram would "
                         "be eigendecomposed; pass fewer features")
    sw = float(s.sum())
    Y = np.zeros((n, 1)) if y is None else (y[:, None] if y.ndim == 1 else y)
    route = "eigh" if sp.issparse(X) else "svd"
    F = ridge_factor(spec, X, Y, s, None, route=route)
    order = np.argsort(F.e)[::-1]
    e = F.e[order]
    keep = e > e.max(initial=0.0) * max(n, p) * np.finfo(np.float64).eps
    order, e = order[keep], e[keep]
    grid = check_lambdas(lambdas) if lambdas is not None else own_grid(estimator, spec, sw)
    check_grid_cost(grid, n_lambdas, iterative=False, per_member=e.size + p)
    lam = grid if grid is not None else auto_lambda_grid(e, sw, n_lambdas)
    a = lam[:, None] * sw
    den = e[None, :] + a
    factors = np.where(den > 0, e[None, :] / np.where(den > 0, den, 1.0), 0.0)
    ols = ridge = None
    if y is not None:
        ols = F.Z[order] / e[:, None]  # (r, k)
        ridge = factors[:, :, None] * ols[None]
    standardize = bool(spec.base.standardize)
    return Shrinkage(
        lambdas=lam, params=lam * sw, param_name="alpha", singular_values=np.sqrt(e),
        factors=factors, components=F.V[:, order], variance_ratio=e / e.sum(),
        dof=factors.sum(axis=1) + (1.0 if spec.fit_intercept else 0.0), n_w=sw,
        fit_intercept=spec.fit_intercept, standardize=standardize, ols_coef=ols,
        ridge_coef=ridge, lambda_chosen=own_lambda(estimator, spec, sw))
