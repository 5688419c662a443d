"""Dual (kernel) ridge for p > n: eigendecompose the n×n centered weighted kernel.

With ``K̃ = S^{1/2} Xc Xcᵀ S^{1/2} = Q diag(e) Qᵀ``, the non-zero eigenpairs of the primal Gram
``XcᵀSXc`` are ``(e_j, v_j)`` with ``v_j = Xcᵀ S^{1/2} q_j / √e_j``. The ridge solution lies in
their span, so the dual route yields the same :class:`~ridgeline.solvers.spectral.Factor` (with
``r ≤ n`` columns) at O(n²p) cost instead of O(np²).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ridgeline._lapack import eigh
from ridgeline.solvers.spectral import Factor, feature_scale

#: Columns per block when forming the kernel of dense data (bounds the working copy).
_COLUMN_BLOCK = 2048


def centered_kernel(X, s: np.ndarray, mean_x: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``(X − mean_x)/scale`` times its transpose, shape (n, n), formed by column blocks."""
    n, p = X.shape
    if sp.issparse(X):
        Xs = sp.csr_matrix(X, dtype=np.float64) @ sp.diags(1.0 / scale)
        K = (Xs @ Xs.T).toarray()
        g = np.asarray(Xs @ (mean_x / scale)).ravel()
        K -= g[:, None] + g[None, :]
        K += float((mean_x / scale) @ (mean_x / scale))
        return K
    K = np.zeros((n, n))
    unit = bool(np.all(scale == 1.0))
    for a in range(0, p, _COLUMN_BLOCK):
        b = min(a + _COLUMN_BLOCK, p)
        A = np.asarray(X[:, a:b], dtype=np.float64) - mean_x[a:b]
        if not unit:
            A /= scale[a:b]
        K += A @ A.T  # numpy dispatches A @ A.T to BLAS syrk
    return K


def weighted_means(X, s: np.ndarray) -> np.ndarray:
    """Weighted column means of X (dense or sparse), float64."""
    sw = float(s.sum())
    if sp.issparse(X):
        return np.asarray(X.T @ s).ravel() / sw
    return (s @ np.asarray(X, dtype=np.float64)) / sw


def weighted_scale(X, s: np.ndarray, mean_x: np.ndarray) -> np.ndarray:
    """Weighted standard deviations of the columns of X (1 for constant columns)."""
    sw = float(s.sum())
    if sp.issparse(X):
        Xs = sp.csr_matrix(X, dtype=np.float64)
        ex2 = np.asarray(Xs.multiply(Xs).T @ s).ravel() / sw
        var = np.maximum(ex2 - mean_x**2, 0.0)
        return feature_scale(var * sw, sw)
    sq = s @ (np.asarray(X, dtype=np.float64) - mean_x) ** 2
    return feature_scale(sq, sw)


@dataclass
class DualFactor(Factor):
    """A :class:`Factor` kept in kernel form: the p×r eigenvectors are never formed.

    ``V = Xsᵀ A`` with ``Xs = (X − mean_x)/scale`` and ``A = S^{1/2} Q diag(e^{-1/2})``; the
    projections ``U = Xs V = Kc A`` of the factored rows are stored (n×r), and coefficients are
    formed as ``Xsᵀ (A M)`` only for the penalties asked for (O(np) each).
    """

    X: object = None
    A: np.ndarray | None = None
    U: np.ndarray | None = None

    def basis_times(self, M: np.ndarray) -> np.ndarray:
        # V M = Xsᵀ (A M) in the standardized space; divide by scale for the original one
        return _xt_times(self.X, self.A @ M, self.mean_x, self.scale) / self.scale[:, None]

    def project(self, Xc) -> np.ndarray:
        if self.V is None:  # formed once, only if rows other than the factored ones are asked
            self.V = _xt_times(self.X, self.A, self.mean_x, self.scale)
        return super().project(Xc)

    def iter_projection(self, X):
        step = max(256, 2_000_000 // (max(self.e.size, 1) + 64))
        for a in range(0, self.U.shape[0], step):
            idx = slice(a, min(a + step, self.U.shape[0]))
            yield idx, self.U[idx]


def dual_factor(
    X,
    Y: np.ndarray,
    s: np.ndarray,
    *,
    fit_intercept: bool = True,
    standardize: bool = False,
    kernel: np.ndarray | None = None,
) -> DualFactor:
    """Spectral factor of a weighted ridge problem through its n×n kernel.

    Parameters
    ----------
    X : ndarray (n, p) or scipy.sparse matrix
    Y : ndarray (n, k)
    s : ndarray (n,)
        Non-negative sample weights.
    kernel : ndarray (n, n), optional
        The centered kernel ``Xs Xsᵀ`` if already computed (unstandardized only).
    """
    n, p = X.shape
    sw = float(s.sum())
    mean_x = weighted_means(X, s) if fit_intercept else np.zeros(p)
    mean_y = (s @ Y) / sw if fit_intercept else np.zeros(Y.shape[1])
    scale = weighted_scale(X, s, mean_x) if standardize else np.ones(p)
    K = kernel if kernel is not None and not standardize else \
        centered_kernel(X, s, mean_x, scale)
    root = np.sqrt(s)
    Kt = K * root[:, None] * root[None, :]
    e, Q = eigh(Kt, "the kernel matrix XXᵀ")
    e = np.maximum(e, 0.0)
    keep = e > (e[-1] * n * np.finfo(np.float64).eps if e.size and e[-1] > 0 else 0.0)
    e, Q = e[keep], Q[:, keep]
    Yc = (Y - mean_y) * root[:, None]
    A = Q * (root[:, None] / np.sqrt(e)[None, :])  # V = Xsᵀ A
    return DualFactor(
        V=None,
        e=e,
        Z=np.sqrt(e)[:, None] * (Q.T @ Yc),
        yy=np.einsum("nk,nk->k", Yc, Yc),
        mean_x=mean_x,
        mean_y=mean_y,
        scale=scale,
        sw=sw,
        n=n,
        rank=int(e.size),
        method="dual",
        X=X,
        A=A,
        U=K @ A,
    )


def _xt_times(X, B: np.ndarray, mean_x: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``((X − mean_x)/scale)ᵀ B`` without forming the centered X."""
    XtB = np.asarray(X.T @ B) if sp.issparse(X) else np.asarray(X).T @ B
    XtB = np.asarray(XtB, dtype=np.float64)
    XtB -= mean_x[:, None] * B.sum(axis=0)[None, :]
    XtB /= scale[:, None]
    return XtB
