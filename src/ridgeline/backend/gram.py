"""Chunked, weighted Gram matrices of ``[X − shift, y − shift_y, 1]`` in any array namespace.

One GEMM per row chunk gives every first and second moment at once: with the augmented rows
``a_i = [x_i − m, y_i − m_y, 1]`` (length p + 2), ``A = Σ_i s_i a_i a_iᵀ`` holds

    A[:p, :p] = Σ s (x − m)(x − m)ᵀ    A[:p, p] = Σ s (x − m)(y − m_y)    A[:p, p+1] = Σ s (x − m)
    A[p, p]   = Σ s (y − m_y)²         A[p, p+1] = Σ s (y − m_y)          A[p+1, p+1] = Σ s

Each chunk's product runs in the input dtype (the fast GEMM, float32 on a GPU) and is added to
an accumulator in the backend's accumulation dtype (float64): rounding in float32 is then bounded
by one chunk's sums, not n's. :meth:`ridgeline.backend.source.ArrayAPISource.fold_moments`
turns the blocks of ``A`` into :class:`ridgeline.stats.Moments`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline.backend.array_api import Backend, chunk_bounds, take_rows


@dataclass
class AugmentedMoments:
    """Weighted moments of a set of rows about a fixed shift, as one (p+2)×(p+2) matrix.

    Attributes
    ----------
    A : array of shape (p + 2, p + 2)
        ``Σ s a aᵀ`` with ``a = [x − shift_x, y − shift_y, 1]`` (accumulation dtype).
    n : int
        Number of rows.
    """

    A: object
    n: int

    @property
    def p(self) -> int:
        return self.A.shape[0] - 2


def augmented_moments(bk: Backend, X, y, s, rows: np.ndarray, shift_x, shift_y, *,
                      weighted: bool, chunk_rows: int) -> AugmentedMoments:
    """Moments of the rows ``rows`` (host indices) of ``(X, y)`` with weights ``s``.

    Parameters
    ----------
    bk : Backend
    X : array (n, p), input dtype;  y : array (n,), accumulation dtype
    s : array (n,), accumulation dtype
    rows : ndarray of int (m,)
    shift_x : array (p,) in the input dtype;  shift_y : 0-d array, accumulation dtype
    weighted : bool
        False when every weight is 1 (skips the row scaling).
    chunk_rows : int
        Rows per GEMM.
    """
    xp = bk.xp
    p = X.shape[1]
    A = bk.zeros((p + 2, p + 2))
    for a, b in chunk_bounds(rows.size, chunk_rows):
        r = rows[a:b]
        Xc = take_rows(bk, X, r) - shift_x
        yc = bk.to_out(take_rows(bk, y, r) - shift_y)
        ones = xp.ones((r.size, 1), dtype=bk.dtype, device=bk.device)
        Aug = xp.concat([Xc, xp.reshape(yc, (-1, 1)), ones], axis=1)
        left = Aug * xp.reshape(bk.to_out(take_rows(bk, s, r)), (-1, 1)) if weighted else Aug
        A = A + bk.to_acc(left.T @ Aug)
    return AugmentedMoments(A=0.5 * (A + A.T), n=int(rows.size))
