"""Standardized penalties for the sparse estimators (glmnet's ``standardize=TRUE``).

With ``standardize=True`` the penalty applies to the coefficients ``v`` of the standardized
features ``x_j / σ_j``, and the coefficients are reported on the original scale,
``w_j = v_j / σ_j``. ``σ_j`` is the sample-weighted standard deviation of column j (about the
weighted mean with an intercept, about zero without one, as ``Ridge(standardize=True)``); a
constant column (spread at most 1e-12 of its root mean square) gets ``σ_j = 1``. The intercept
is unchanged: the columns are scaled, not centered.

Since ``|v_j| = σ_j|w_j|`` and ``v_j² = σ_j² w_j²``, the standardized problem is the raw one
with the penalty reweighted, or with the statistics rescaled; :class:`Standardization` picks
the cheapest exact route:

``"factors"``
    pure L1 (lasso): L1 penalty factors ``σ_j f_j`` on the raw problem; nothing is copied.
``"gram"``
    a single fit on the Gram engine: ``X̃ᵀSX̃/n_w`` and ``X̃ᵀSỹ/n_w`` are rescaled by ``σ``
    (p² work, X is not copied).
``"data"``
    otherwise (the elastic net's CV, the residual engine, the group lasso): the columns of X
    are divided by ``σ`` in a copy (a sparse X keeps its sparsity pattern).

All routes are the same optimization problem; the tests check each against scaling by hand.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ridgeline.solvers.ls_problem import LSProblem

#: a column whose weighted spread is at most this fraction of its root mean square is constant
CONSTANT_SPREAD = 1e-12
#: elements per block of rows when the spread of a dense X is accumulated (bounded scratch)
_BLOCK_ELEMENTS = 1 << 20


def column_scale(X, s: np.ndarray, center: bool) -> np.ndarray:
    """Sample-weighted standard deviation of every column of X (1 for a constant column).

    Parameters
    ----------
    X : ndarray (n, p) or scipy.sparse matrix
        Never densified nor copied whole (a dense X is read in blocks of rows).
    s : ndarray (n,)
        Non-negative sample weights with a positive sum.
    center : bool
        About the weighted mean (with an intercept) or about zero (without one).

    Returns
    -------
    ndarray (p,)
        ``σ_j = sqrt(Σ_i s_i (x_ij - m_j)² / Σ_i s_i)``, ``m_j`` the weighted mean or 0.
    """
    s = np.asarray(s, dtype=np.float64)
    sw = float(s.sum())
    mean = np.asarray(X.T @ s, dtype=np.float64).ravel() / sw
    if not center:
        mean = np.zeros_like(mean)
    ss = _sparse_spread(X, s, mean, sw) if sp.issparse(X) else _dense_spread(X, s, mean)
    var = np.maximum(ss / sw, 0.0)
    sd = np.sqrt(var)
    rms = np.sqrt(var + mean * mean)
    return np.where((sd > CONSTANT_SPREAD * rms) & (sd > 0), sd, 1.0)


def _dense_spread(X, s: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """``Σ_i s_i (x_ij - m_j)²`` (two-pass: no cancellation), a block of rows at a time."""
    n, p = X.shape
    rows = max(1, _BLOCK_ELEMENTS // max(p, 1))
    out = np.zeros(p)
    for start in range(0, n, rows):
        D = np.asarray(X[start:start + rows], dtype=np.float64) - mean
        out += s[start:start + rows] @ (D * D)
    return out


def _sparse_spread(X, s: np.ndarray, mean: np.ndarray, sw: float) -> np.ndarray:
    """The same over the stored entries, plus ``m_j²`` for the weight of the implicit zeros
    (exactly 0 for a column that stores every row of positive weight)."""
    C = X.tocoo()
    C.sum_duplicates()
    d = C.data.astype(np.float64) - mean[C.col]
    w = s[C.row]
    p = X.shape[1]
    stored = np.bincount(C.col, weights=w * d * d, minlength=p)
    implicit = sw - np.bincount(C.col, weights=w, minlength=p)
    full = np.bincount(C.col, weights=(w > 0).astype(np.float64), minlength=p) \
        == np.count_nonzero(s > 0)
    return stored + mean * mean * np.where(full, 0.0, np.maximum(implicit, 0.0))


def scale_columns(X, scale: np.ndarray):
    """``X / scale`` column-wise: a new array of X's dtype, or a sparse matrix of X's format
    (CSR for formats other than CSR/CSC) and sparsity pattern."""
    if not sp.issparse(X):
        return np.divide(X, scale.astype(X.dtype, copy=False))
    Y = X.tocsr() if X.format not in ("csr", "csc") else X.copy()
    cols = (Y.indices if Y.format == "csr"
            else np.repeat(np.arange(Y.shape[1]), np.diff(Y.indptr)))
    Y.data = (Y.data / scale[cols]).astype(Y.data.dtype, copy=False)
    return Y


@dataclass(frozen=True)
class Standardization:
    """How a standardized penalty is solved (see the module docstring), or no standardization.

    Attributes
    ----------
    route : {"none", "factors", "gram", "data"}
    scale : ndarray (p,) or None
        ``σ`` (None for ``"none"``).
    """

    route: str
    scale: np.ndarray | None = None

    @classmethod
    def plan(cls, X, s: np.ndarray, *, standardize: bool, fit_intercept: bool, l1_only: bool,
             gram: bool = False) -> Standardization:
        """The cheapest exact route: ``l1_only`` (a pure L1 penalty, whose factors can carry
        the scale), ``gram`` (a single fit on the Gram engine)."""
        if not isinstance(standardize, bool | np.bool_):
            raise TypeError(f"standardize must be True or False, got {standardize!r}")
        if not standardize:
            return cls("none")
        scale = column_scale(X, s, fit_intercept)
        route = "factors" if l1_only else "gram" if gram else "data"
        return cls(route, scale)

    @property
    def rescales_coef(self) -> bool:
        """Whether the solver's coefficients are those of the standardized features."""
        return self.route in ("gram", "data")

    def factors(self, factors: np.ndarray) -> np.ndarray:
        """Per-feature L1 factors of the raw problem (``σ f`` on the ``"factors"`` route)."""
        return factors * self.scale if self.route == "factors" else factors

    def data(self, X):
        """X as the solver sees it (scaled columns on the ``"data"`` route)."""
        return scale_columns(X, self.scale) if self.route == "data" else X

    def problem(self, problem: LSProblem) -> LSProblem:
        """A least-squares problem as the solver sees it (rescaled on the ``"gram"`` route)."""
        if self.route != "gram":
            return problem
        sc = self.scale
        return LSProblem(Q0=problem.Q0 / np.outer(sc, sc), q=problem.q / sc, yy=problem.yy,
                         mean_x=problem.mean_x / sc, mean_y=problem.mean_y)

    def coef_in(self, w: np.ndarray | None) -> np.ndarray | None:
        """Original-scale coefficients (a warm start) as the solver's."""
        return w * self.scale if w is not None and self.rescales_coef else w

    def coef_out(self, w: np.ndarray) -> np.ndarray:
        """The solver's coefficients (…, p) on the original scale."""
        return w / self.scale if self.rescales_coef else w

    def path_out(self, path):
        """A :class:`~ridgeline.path.sparse_path.SparsePath` with original-scale ``coefs``."""
        if not self.rescales_coef:
            return path
        return dataclasses.replace(path, coefs=self.coef_out(path.coefs))
