"""The design matrix as coordinate descent sees it: weighted, implicitly centered, dense or CSC."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ridgeline._lapack import eigvalsh
from ridgeline.solvers import cd_kernels


class CDDesign:
    """``X̃ = X - 1μᵀ`` with row weights ``h`` (``μ`` the h-weighted means, or 0).

    Parameters
    ----------
    X : ndarray (n, p) or scipy.sparse matrix
        Dense X is used as is when C- or F-contiguous (copied once otherwise); sparse X as CSC.
    h : ndarray (n,)
        Non-negative row weights (sample weights, fold masks, IRLS weights).
    center : bool
        Center each column about its h-weighted mean (the intercept is then profiled out).
    n_w : float, optional
        The normalizer of the loss, ``(1/2n_w) Σ h_i R_i²`` (default ``Σ h_i``; the IRLS
        weights of a GLM are not the sample weights the mean loss is taken over).
    """

    def __init__(self, X, h: np.ndarray, center: bool, n_w: float | None = None):
        self.sparse = sp.issparse(X)
        self.h = np.ascontiguousarray(h, dtype=np.float64)
        h_sum = float(self.h.sum())
        self.n_w = h_sum if n_w is None else float(n_w)
        if self.sparse:
            X = X.tocsc()
            X.sort_indices()
            self.X = X
            self.hxs = np.asarray(X.T @ self.h).ravel()
        else:
            self.X = np.ascontiguousarray(np.asarray(X).T).T
            self.hxs = self.h @ self.X
        self.hxs = np.asarray(self.hxs, dtype=np.float64)
        self.mu = self.hxs / h_sum if center else np.zeros(self.X.shape[1])
        self.shift = np.zeros(1)
        self._sq = None
        self._lipschitz = None

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    def kernel(self):
        """``(design tuple, loops)`` for :mod:`cd_kernels`."""
        if self.sparse:
            X = self.X
            return ((X.data.astype(np.float64, copy=False), X.indices, X.indptr, self.h,
                     self.mu, self.hxs, self.shift), cd_kernels.SPARSE)
        return (self.X.T, self.h, self.mu, self.hxs, self.shift), cd_kernels.DENSE

    def matvec(self, w: np.ndarray) -> np.ndarray:
        """``X̃ w`` (n,)."""
        return np.asarray(self.X @ w, dtype=np.float64).ravel() - self.mu @ w

    def rmatvec(self, R: np.ndarray) -> np.ndarray:
        """``X̃ᵀ H R`` (p,) for a true residual ``R``."""
        t = self.h * R
        out = np.asarray(self.X.T @ t, dtype=np.float64).ravel()
        return out - self.mu * t.sum()

    def col_sq_norms(self) -> np.ndarray:
        """``Σ_i h_i x̃_ij²`` per column (computed once per design)."""
        if self._sq is None:
            self._sq = self._col_sq_norms()
        return self._sq

    def _col_sq_norms(self) -> np.ndarray:
        if self.sparse:
            sq = np.asarray(self.X.multiply(self.X).T @ self.h).ravel()
            return np.maximum(sq - self.hxs * self.mu, 0.0)
        out = np.empty(self.n_features)
        cd_kernels.dense_col_sq_norms(self.X.T, self.h, self.mu, out)
        return out

    def columns(self, cols: np.ndarray) -> np.ndarray:
        """Dense ``X̃[:, cols]`` (n, len(cols)), for small column sets."""
        Xc = self.X[:, cols]
        Xc = Xc.toarray() if self.sparse else np.asarray(Xc)
        return Xc.astype(np.float64) - self.mu[cols]

    def block_lipschitz(self, gidx: np.ndarray, gptr: np.ndarray) -> np.ndarray:
        """Largest eigenvalue of ``X̃_gᵀHX̃_g`` per block (kept for the last partition asked:
        a path asks for the same blocks at every λ)."""
        cached = self._lipschitz
        if (cached is not None and np.array_equal(cached[0], gidx)
                and np.array_equal(cached[1], gptr)):
            return cached[2]
        L = self._block_lipschitz(gidx, gptr, self.col_sq_norms())
        self._lipschitz = (gidx, gptr, L)
        return L

    def _block_lipschitz(self, gidx: np.ndarray, gptr: np.ndarray, sq: np.ndarray) -> np.ndarray:
        sizes = np.diff(gptr)
        L = np.empty(sizes.size)
        single = sizes == 1
        L[single] = sq[gidx[gptr[:-1][single]]]
        sw = np.sqrt(self.h)
        for g in np.flatnonzero(~single):
            Xg = self.columns(gidx[gptr[g]:gptr[g + 1]]) * sw[:, None]
            L[g] = eigvalsh(Xg.T @ Xg, "a group's Gram block")[-1]
        return L
