"""Compiled (numba) inner loops of coordinate descent.

Block loops on the residual (:data:`DENSE`, :data:`SPARSE`; the Gram-form engine is
:mod:`ridgeline.solvers.cd_gram`): block-proximal coordinate descent on
``(1/2n_w) Σ h_i R_i² + Σ_g a_g‖w_g‖ + ½ Σ b_j w_j²`` with ``R = y - X̃w``. A block of size
one is an exact coordinate minimization (lasso / elastic net); larger blocks are the group
lasso's proximal-gradient block step.

The design is centered implicitly, ``X̃ = X - 1μᵀ``, so dense X is never copied and sparse X is
never densified: the stored residual ``R`` differs from the true one by a scalar ``shift``
(the true residual is ``R + shift``), which rank-one updates move instead of touching every row.
With ``μ`` the h-weighted column means, ``Σ_i h_i x̃_ij R_i = Σ_i h_i x_ij (R_i + shift)``
because the true residual is h-weighted centered; ``hxs[j] = Σ_i h_i x_ij`` makes that O(nnz).

A design is a tuple: dense ``(Xᵀ, h, mu, hxs, shift)`` with Xᵀ C-ordered (row j is column j of
X, so C- and F-ordered X are both used without a copy), sparse
``(data, indices, indptr, h, mu, hxs, shift)`` in CSC form; ``shift`` is a 1-element array.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _dense_dot(D, j, R):
    col, h, shift = D[0][j], D[1], D[4]
    acc = 0.0
    for i in range(col.shape[0]):
        acc += h[i] * col[i] * R[i]
    return acc + shift[0] * D[3][j]


@njit(cache=True, nogil=True)
def _dense_axpy(D, j, c, R):
    col = D[0][j]
    for i in range(col.shape[0]):
        R[i] += c * col[i]
    D[4][0] -= c * D[2][j]


@njit(cache=True, nogil=True)
def _sparse_dot(D, j, R):
    data, indices, indptr, h, shift = D[0], D[1], D[2], D[3], D[6]
    acc = 0.0
    for t in range(indptr[j], indptr[j + 1]):
        i = indices[t]
        acc += h[i] * data[t] * R[i]
    return acc + shift[0] * D[5][j]


@njit(cache=True, nogil=True)
def _sparse_axpy(D, j, c, R):
    data, indices, indptr = D[0], D[1], D[2]
    for t in range(indptr[j], indptr[j + 1]):
        R[indices[t]] += c * data[t]
    D[6][0] -= c * D[4][j]


def _make_loops(dot, axpy):
    """The block sweep and the subset gradient, compiled for one design kind."""

    @njit(nogil=True, cache=True)
    def block_sweep(D, R, w, gidx, gptr, L, a, b, n_w, nonneg, blocks, buf):
        """One pass over ``blocks``; returns the largest ``L_g‖Δw_g‖²``."""
        change = 0.0
        for g in blocks:
            lo, hi = gptr[g], gptr[g + 1]
            if L[g] <= 0.0:
                continue
            norm2 = 0.0
            for t in range(lo, hi):
                j = gidx[t]
                grad = dot(D, j, R) / n_w - b[j] * w[j]
                z = w[j] + grad / L[g]
                buf[t - lo] = z
                norm2 += z * z
            thr = a[g] / L[g]
            if hi - lo == 1:
                z = buf[0]
                if z > thr:
                    buf[0] = z - thr
                elif z < -thr and not nonneg:
                    buf[0] = z + thr
                else:
                    buf[0] = 0.0
            else:
                norm = np.sqrt(norm2)
                scale = 0.0 if norm <= thr else 1.0 - thr / norm
                for t in range(hi - lo):
                    buf[t] *= scale
            moved = 0.0
            for t in range(lo, hi):
                j = gidx[t]
                d = buf[t - lo] - w[j]
                if d != 0.0:
                    w[j] = buf[t - lo]
                    axpy(D, j, -d, R)
                    moved += d * d
            if moved * L[g] > change:
                change = moved * L[g]
        return change

    @njit(nogil=True, cache=True)
    def subset_dots(D, R, cols, out):
        """``out[t] = Σ_i h_i x̃_i,cols[t] R_i`` (true residual)."""
        for t in range(cols.shape[0]):
            out[t] = dot(D, cols[t], R)

    @njit(nogil=True, cache=True)
    def axpy_cols(D, R, cols, coefs):
        """``R -= Σ_t coefs[t] · x̃_cols[t]``."""
        for t in range(cols.shape[0]):
            if coefs[t] != 0.0:
                axpy(D, cols[t], -coefs[t], R)

    return block_sweep, subset_dots, axpy_cols


@njit(cache=True, nogil=True)
def dense_col_sq_norms(XT, h, mu, out):
    """``out[j] = Σ_i h_i (x_ij - μ_j)²`` for ``XT`` the C-ordered (p, n) transpose of X."""
    n = XT.shape[1]
    for j in range(XT.shape[0]):
        m = mu[j]
        acc = 0.0
        for i in range(n):
            d = XT[j, i] - m
            acc += h[i] * d * d
        out[j] = acc


DENSE = _make_loops(_dense_dot, _dense_axpy)
SPARSE = _make_loops(_sparse_dot, _sparse_axpy)
