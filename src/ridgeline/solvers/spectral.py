"""Spectral ridge solver: ``(XcᵀSXc + a·I) w = XcᵀSYc`` for every penalty ``a`` at once.

With the eigendecomposition ``XcᵀSXc = V diag(e) Vᵀ`` and ``Z = VᵀXcᵀSYc``::

    w(a)   = V diag(1 / (e + a)) Z                       (p, k)
    dof(a) = Σ_j e_j / (e_j + a)                         (effective degrees of freedom, + 1 with
                                                          an intercept)
    RSS(a) = ‖Yc‖²_S − Σ_j z_j² (e_j + 2a) / (e_j + a)²   (weighted training residual sum)

The penalty ``a`` is in the *unnormalized* scale of the Gram: the canonical objective
``(1/n_w) Σ s_i (y_i − x_iᵀw − b)² + λ‖w‖²`` has ``a = n_w·λ`` (see :mod:`ridgeline.conventions`).
When the Gram is too ill-conditioned for the smallest penalty requested (the eigenvalues of a
Gram carry absolute errors of order ε·e_max), the factor is recomputed from a thin SVD of
``S^{1/2} Xc``, whose singular values are accurate to ε·σ_max, squaring the attainable accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ridgeline._lapack import eigh, svd
from ridgeline.stats.chunks import iter_row_chunks
from ridgeline.stats.moments import CenteredMoments

#: Below this value of (e_min + a_min) / e_max the Gram route loses more than ~1e-8 relative
#: accuracy and the SVD route is used instead (when the data are at hand).
ILL_CONDITIONED = 1e-8


@dataclass
class Factor:
    """A spectral factorization of a centered, weighted ridge problem.

    Attributes
    ----------
    V : ndarray of shape (p, r)
        Orthonormal eigenvectors of the (scaled) centered Gram; ``r ≤ p``.
    e : ndarray of shape (r,)
        Non-negative eigenvalues, ascending.
    Z : ndarray of shape (r, k)
        Projected cross-products ``Vᵀ XcᵀSYc``.
    yy : ndarray of shape (k,)
        Centered weighted ``‖Yc‖²_S`` per target.
    mean_x, mean_y : ndarray of shape (p,) and (k,)
        Centering points (absolute coordinates; zeros without an intercept).
    scale : ndarray of shape (p,)
        Feature scales used for internal standardization (ones when not standardizing).
    sw : float
        Sum of sample weights of the rows factored.
    n : int
        Number of rows factored.
    rank : int
        Numerical rank (eigenvalues above ``p·ε·e_max``).
    method : str
        ``"eigh"``, ``"svd"`` or ``"dual"``.
    """

    V: np.ndarray
    e: np.ndarray
    Z: np.ndarray
    yy: np.ndarray
    mean_x: np.ndarray
    mean_y: np.ndarray
    scale: np.ndarray
    sw: float
    n: int
    rank: int
    method: str

    @property
    def n_features(self) -> int:
        return self.mean_x.size

    def basis_times(self, M: np.ndarray) -> np.ndarray:
        """Coefficients on the original scale from eigenbasis coordinates ``M`` (r, k)."""
        return (self.V @ M) / self.scale[:, None]

    def project(self, Xc) -> np.ndarray:
        """``((Xc − mean_x)/scale) V`` for rows ``Xc`` (m, p) dense or sparse: shape (m, r).

        Computed as ``Xc V' − 1 (mean_xᵀ V')`` (a rank-one correction instead of a centered
        copy of the rows; for dense data the cancellation is bounded by |mean|/spread).
        """
        Vs = self.V / self.scale[:, None]
        return np.asarray(Xc @ Vs, dtype=np.float64) - (self.mean_x @ Vs)[None, :]

    def iter_projection(self, X):
        """Yield ``(row_index, projection)`` over the rows of the factored data ``X``."""
        L = max(self.e.size, 1)
        for idx, Xc in iter_row_chunks(X, chunk=max(256, 2_000_000 // (L + 64))):
            yield idx, self.project(Xc)

    def coef_per_target(self, penalties: np.ndarray) -> np.ndarray:
        """Coefficients (p, k) with penalty ``penalties[t]`` for target t."""
        D = self.shrink(penalties)  # (k, r)
        return self.basis_times(D.T * self.Z)

    @property
    def n_targets(self) -> int:
        return self.Z.shape[1]

    def check_penalties(self, penalties: np.ndarray) -> None:
        """Refuse a zero penalty when the Gram is singular (the solution is not unique)."""
        if np.any(penalties <= 0) and self.rank < self.n_features:
            raise ValueError(
                f"a zero regularization strength needs a non-singular Gram matrix, but X has "
                f"numerical rank {self.rank} < {self.n_features} features (after centering): "
                "use a positive λ (alpha)"
            )

    def shrink(self, penalties: np.ndarray) -> np.ndarray:
        """``1/(e + a)`` for each penalty: array of shape (L, r), safe where ``e + a == 0``."""
        d = self.e[None, :] + np.asarray(penalties, dtype=np.float64)[:, None]
        with np.errstate(divide="ignore"):
            out = np.where(d > 0, 1.0 / np.where(d > 0, d, 1.0), 0.0)
        return out

    def coef(self, penalties: np.ndarray) -> np.ndarray:
        """Coefficients on the original feature scale, shape (L, p, k)."""
        D = self.shrink(penalties)  # (L, r)
        return np.stack([self.basis_times(d[:, None] * self.Z) for d in D])

    def intercept(self, coef: np.ndarray) -> np.ndarray:
        """Intercepts for coefficients of shape (..., p, k): ``mean_y − mean_xᵀ w``."""
        return self.mean_y - np.einsum("p,...pk->...k", self.mean_x, coef)

    def dof(self, penalties: np.ndarray) -> np.ndarray:
        """Effective degrees of freedom ``Σ e/(e+a)`` (without the intercept), shape (L,)."""
        return (self.e[None, :] * self.shrink(penalties)).sum(axis=1)

    def rss(self, penalties: np.ndarray) -> np.ndarray:
        """Weighted training residual sum of squares, shape (L, k)."""
        D = self.shrink(penalties)
        a = np.asarray(penalties, dtype=np.float64)[:, None]
        factor = (self.e[None, :] + 2 * a) * D * D  # (L, r)
        explained = factor @ (self.Z * self.Z)  # (L, k)
        return np.maximum(self.yy[None, :] - explained, 0.0)


def _rank(e: np.ndarray, size: int) -> int:
    if e.size == 0 or e[-1] <= 0:
        return 0
    return int(np.sum(e > e[-1] * size * np.finfo(np.float64).eps))


def factor_from_moments(
    cm: CenteredMoments,
    *,
    shift_x: np.ndarray,
    shift_y: np.ndarray,
    standardize: bool = False,
) -> Factor:
    """Eigendecompose a centered Gram; ``shift_*`` convert the centering to absolute coordinates.

    Parameters
    ----------
    cm : CenteredMoments
        ``G = XcᵀSXc`` (p, p), ``C = XcᵀSYc`` (p, k), ``yy`` (k,), centering points relative
        to the shift.
    shift_x, shift_y : ndarray
        Reference point of the moments.
    standardize : bool
        Scale features to unit weighted variance before penalizing; coefficients are still
        reported on the original scale.
    """
    p = cm.G.shape[0]
    scale = np.ones(p)
    G, C = cm.G, cm.C
    if standardize:
        scale = feature_scale(np.diag(G), cm.sw)
        G = G / np.outer(scale, scale)
        C = C / scale[:, None]
    e, V = eigh(G)  # numpy LAPACK: same thread pool as the BLAS calls around it
    e = np.maximum(e, 0.0)
    Z = V.T @ C
    return Factor(
        V=V,
        e=e,
        Z=Z,
        yy=cm.yy.copy(),
        mean_x=cm.mean_x + shift_x,
        mean_y=cm.mean_y + shift_y,
        scale=scale,
        sw=cm.sw,
        n=cm.n,
        rank=_rank(e, p),
        method="eigh",
    )


def feature_scale(diag_gram: np.ndarray, sw: float) -> np.ndarray:
    """Weighted standard deviations from the centered Gram's diagonal (1 for constant features)."""
    sd = np.sqrt(np.maximum(diag_gram, 0.0) / sw)
    return np.where(sd > 0, sd, 1.0)


def needs_svd(factor: Factor, min_penalty: float) -> bool:
    """Whether the Gram route is too inaccurate for ``min_penalty`` (:data:`ILL_CONDITIONED`)."""
    if factor.e.size == 0 or factor.e[-1] <= 0:
        return False
    return (factor.e[0] + max(min_penalty, 0.0)) / factor.e[-1] < ILL_CONDITIONED


def svd_factor(
    X,
    Y: np.ndarray,
    s: np.ndarray,
    mean_x: np.ndarray,
    mean_y: np.ndarray,
    scale: np.ndarray,
    rows=None,
) -> Factor:
    """Factor from a thin SVD of ``S^{1/2}(X − mean_x)/scale`` (accurate for ill-conditioned X).

    Uses ``Z = σ ⊙ (Uᵀ S^{1/2} Yc)`` so that no Gram is ever formed. Dense copy of the rows.
    """
    Xr = X[rows] if rows is not None else X
    Xd = Xr.toarray() if sp.issparse(Xr) else np.asarray(Xr)
    sr = s[rows] if rows is not None else s
    Yr = Y[rows] if rows is not None else Y
    root = np.sqrt(sr)[:, None]
    A = (Xd.astype(np.float64) - mean_x) / scale * root
    U, sig, Vt = svd(A)
    Yc = (Yr - mean_y) * root
    Z = sig[:, None] * (U.T @ Yc)
    order = np.argsort(sig)
    e = sig[order] ** 2
    yy = np.einsum("nk,nk->k", Yc, Yc)
    return Factor(
        V=Vt.T[:, order],
        e=e,
        Z=Z[order],
        yy=yy,
        mean_x=mean_x,
        mean_y=mean_y,
        scale=scale,
        sw=float(sr.sum()),
        n=Yr.shape[0],
        rank=_rank(e, max(A.shape)),
        method="svd",
    )
