"""Weighted first and second moments of (X, y), accumulated chunk by chunk.

All accumulation is in float64 whatever the input dtype. Dense chunks are shifted by a fixed
reference point before their Gram is formed (this keeps the later centering, a rank-one update,
free of cancellation); sparse chunks are never shifted, so they are never densified.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ridgeline.stats.chunks import as_contiguous_rows, iter_row_chunks


@dataclass
class Moments:
    """Weighted sufficient statistics of a set of rows, relative to ``shift_x``/``shift_y``.

    Attributes
    ----------
    n : int
        Number of rows.
    sw : float
        Sum of sample weights ``Σ s_i``.
    sx : ndarray of shape (p,)
        ``Σ s_i (x_i - shift_x)``.
    sy : ndarray of shape (k,)
        ``Σ s_i (y_i - shift_y)``.
    G : ndarray of shape (p, p)
        ``Σ s_i (x_i - shift_x)(x_i - shift_x)ᵀ`` (full symmetric matrix).
    C : ndarray of shape (p, k)
        ``Σ s_i (x_i - shift_x)(y_i - shift_y)ᵀ``.
    yy : ndarray of shape (k,)
        ``Σ s_i (y_i - shift_y)²`` per target.
    shift_x, shift_y : ndarray of shape (p,) and (k,)
        The reference point the statistics are relative to.
    """

    n: int
    sw: float
    sx: np.ndarray
    sy: np.ndarray
    G: np.ndarray
    C: np.ndarray
    yy: np.ndarray
    shift_x: np.ndarray
    shift_y: np.ndarray

    @classmethod
    def zeros(cls, shift_x: np.ndarray, shift_y: np.ndarray) -> Moments:
        p, k = shift_x.size, shift_y.size
        return cls(
            n=0,
            sw=0.0,
            sx=np.zeros(p),
            sy=np.zeros(k),
            G=np.zeros((p, p)),
            C=np.zeros((p, k)),
            yy=np.zeros(k),
            shift_x=shift_x,
            shift_y=shift_y,
        )

    def _combine(self, other: Moments, sign: float) -> Moments:
        if not (
            np.array_equal(self.shift_x, other.shift_x)
            and np.array_equal(self.shift_y, other.shift_y)
        ):
            raise ValueError("cannot combine moments taken about different reference points")
        return Moments(
            n=self.n + int(sign) * other.n,
            sw=self.sw + sign * other.sw,
            sx=self.sx + sign * other.sx,
            sy=self.sy + sign * other.sy,
            G=self.G + sign * other.G,
            C=self.C + sign * other.C,
            yy=self.yy + sign * other.yy,
            shift_x=self.shift_x,
            shift_y=self.shift_y,
        )

    def __add__(self, other: Moments) -> Moments:
        return self._combine(other, 1.0)

    def __sub__(self, other: Moments) -> Moments:
        return self._combine(other, -1.0)

    @property
    def n_features(self) -> int:
        return self.shift_x.size

    @property
    def n_targets(self) -> int:
        return self.shift_y.size

    def means(self) -> tuple[np.ndarray, np.ndarray]:
        """Weighted means of x and y *relative to the shift* (add the shift for absolute)."""
        if self.sw <= 0:
            raise ValueError("the sum of sample weights of this set of rows is zero")
        return self.sx / self.sw, self.sy / self.sw

    def centered(self, fit_intercept: bool = True) -> CenteredMoments:
        """Gram and cross-products about the weighted mean (or about zero without intercept)."""
        if not fit_intercept:
            zx, zy = -self.shift_x, -self.shift_y
            # moments about the origin: x = x̃ + shift
            G = self.G + np.outer(self.sx, self.shift_x) + np.outer(self.shift_x, self.sx)
            G += self.sw * np.outer(self.shift_x, self.shift_x)
            C = self.C + np.outer(self.sx, self.shift_y) + np.outer(self.shift_x, self.sy)
            C += self.sw * np.outer(self.shift_x, self.shift_y)
            yy = self.yy + 2 * self.sy * self.shift_y + self.sw * self.shift_y**2
            return CenteredMoments(G, C, yy, zx, zy, self.sw, self.n)
        mx, my = self.means()
        G = self.G - np.outer(self.sx, mx)
        G = 0.5 * (G + G.T)
        C = self.C - np.outer(mx, self.sy)
        yy = np.maximum(self.yy - self.sy * my, 0.0)
        return CenteredMoments(G, C, yy, mx, my, self.sw, self.n)


@dataclass
class CenteredMoments:
    """Centered statistics: ``G = XcᵀSXc``, ``C = XcᵀSYc``, ``yy = diag(YcᵀSYc)``.

    ``mean_x``/``mean_y`` are the centering points relative to the shift of the moments they
    came from (``-shift`` when there is no intercept, i.e. centering about the origin).
    """

    G: np.ndarray
    C: np.ndarray
    yy: np.ndarray
    mean_x: np.ndarray
    mean_y: np.ndarray
    sw: float
    n: int


@dataclass
class MomentsAccumulator:
    """Accumulate :class:`Moments` over chunks of rows (dense or sparse), in float64."""

    shift_x: np.ndarray
    shift_y: np.ndarray
    moments: Moments = field(init=False)

    def __post_init__(self) -> None:
        self.shift_x = np.asarray(self.shift_x, dtype=np.float64)
        self.shift_y = np.asarray(self.shift_y, dtype=np.float64)
        self.moments = Moments.zeros(self.shift_x, self.shift_y)

    def update(self, X, Y: np.ndarray, s: np.ndarray) -> None:
        """Add a chunk: ``X`` (m, p) dense or sparse, ``Y`` (m, k), ``s`` (m,)."""
        m = self.moments
        Yt = np.asarray(Y, dtype=np.float64) - self.shift_y
        s = np.asarray(s, dtype=np.float64)
        sY = Yt * s[:, None]
        if sp.issparse(X):
            if np.any(self.shift_x):
                raise ValueError("sparse chunks must be accumulated with a zero x shift")
            Xs = sp.csr_matrix(X, dtype=np.float64)
            Xw = Xs.multiply(s[:, None]).tocsr()
            m.G += (Xs.T @ Xw).toarray()
            m.sx += np.asarray(Xw.sum(axis=0)).ravel()
            m.C += np.asarray(Xs.T @ sY)
        else:
            Xt = np.asarray(X, dtype=np.float64) - self.shift_x
            m.sx += s @ Xt
            m.C += Xt.T @ sY
            Xr = Xt * np.sqrt(s)[:, None] if not _all_ones(s) else Xt
            # G += Xrᵀ Xr: numpy dispatches ``A.T @ A`` to BLAS syrk. numpy's own BLAS is used
            # on purpose: interleaving calls into scipy's separate OpenBLAS build makes the two
            # thread pools spin against each other.
            m.G += Xr.T @ Xr
        m.sy += s @ Yt
        m.yy += s @ (Yt * Yt)
        m.sw += float(s.sum())
        m.n += Yt.shape[0]

    def _add_augmented_gram(self, A: np.ndarray, n: int) -> None:
        """Add ``A = ZᵀZ`` of ``n`` dense rows with unit weights (one target), where
        ``Z = [X - shift_x | y - shift_y | 1]``: every moment is a block of this one product."""
        m = self.moments
        p = self.shift_x.size
        m.G += A[:p, :p]
        m.C[:, 0] += A[:p, p]
        m.yy[0] += A[p, p]
        m.sx += A[p + 1, :p]
        m.sy[0] += A[p + 1, p]
        m.sw += float(A[p + 1, p + 1])
        m.n += int(n)

    def result(self) -> Moments:
        """The accumulated moments, the Gram made exactly symmetric (upper triangle mirrored)."""
        m = self.moments
        G = symmetric(m.G)
        return Moments(m.n, m.sw, m.sx.copy(), m.sy.copy(), G, m.C.copy(), m.yy.copy(),
                       self.shift_x, self.shift_y)


def symmetric(G: np.ndarray) -> np.ndarray:
    """``G`` made exactly symmetric: its upper triangle mirrored (sums of ``syrk`` blocks)."""
    U = np.triu(G)
    return U + np.triu(U, 1).T


def _all_ones(s: np.ndarray) -> bool:
    return bool(s.size) and s.min() == 1.0 and s.max() == 1.0


def reference_point(X, Y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The shift used for accumulation: weighted means for dense X, zero x-shift for sparse X."""
    sw = float(s.sum())
    shift_y = (s @ Y) / sw if sw > 0 else np.zeros(Y.shape[1])
    if sp.issparse(X):
        return np.zeros(X.shape[1]), shift_y
    shift_x = np.zeros(X.shape[1])
    for idx, Xc in iter_row_chunks(X):
        shift_x += s[idx] @ np.asarray(Xc, dtype=np.float64)
    return (shift_x / sw if sw > 0 else shift_x), shift_y


def accumulate(X, Y: np.ndarray, s: np.ndarray, rows=None, shift=None) -> Moments:
    """Moments of ``rows`` of (X, Y) with weights ``s`` about ``shift`` (computed if None).

    Parameters
    ----------
    X : ndarray (n, p), C- or F-ordered, float32/float64, or scipy.sparse matrix
    Y : ndarray (n, k)
    s : ndarray (n,)
        Non-negative sample weights.
    rows : int array or slice, optional
    shift : (shift_x, shift_y), optional
    """
    if shift is None:
        shift = reference_point(X, Y, s)
    acc = MomentsAccumulator(*shift)
    if rows is not None and not isinstance(rows, slice):
        rows = as_contiguous_rows(np.sort(np.asarray(rows)))
    for idx, Xc in iter_row_chunks(X, rows):
        acc.update(Xc, Y[idx], s[idx])
    return acc.result()


def fold_moments(
    X, Y: np.ndarray, s: np.ndarray, test_sets: Sequence[np.ndarray], shift=None
) -> tuple[Moments, list[Moments]]:
    """Total moments and the moments of each held-out set, in one pass when they partition rows.

    Returns ``(total, [held_out_k ...])``. When the held-out sets are disjoint and cover every
    row, the total is the sum of the fold moments (no extra pass); otherwise it is accumulated
    separately.
    """
    if shift is None:
        shift = reference_point(X, Y, s)
    folds = [accumulate(X, Y, s, rows=t, shift=shift) for t in test_sets]
    counts = np.zeros(X.shape[0], dtype=np.int64)
    for t in test_sets:
        np.add.at(counts, np.asarray(t), 1)
    total = _sum(folds) if np.all(counts == 1) else accumulate(X, Y, s, shift=shift)
    return total, folds


def _sum(parts: Iterable[Moments]) -> Moments:
    parts = list(parts)
    out = parts[0]
    for m in parts[1:]:
        out = out + m
    return out


class FoldMomentsAccumulator:
    """Per-fold moments from a stream of chunks, each row tagged with its fold id.

    Feed chunks in any order and any size (file record batches, Dask partitions): the result
    does not depend on chunk boundaries up to floating-point summation order.

    Parameters
    ----------
    n_folds : int
        Fold ids are integers in ``[0, n_folds)``.
    shift_x, shift_y : ndarray
        Reference point (use zeros, or any cheap estimate of the means, for streamed data).
    """

    def __init__(self, n_folds: int, shift_x: np.ndarray, shift_y: np.ndarray):
        if n_folds < 1:
            raise ValueError(f"n_folds must be at least 1, got {n_folds}")
        self.n_folds = n_folds
        self._acc = [MomentsAccumulator(shift_x, shift_y) for _ in range(n_folds)]

    def update(self, X, Y: np.ndarray, s: np.ndarray, fold: np.ndarray) -> None:
        """Add a chunk with ``fold[i]`` the fold id of row i."""
        fold = np.asarray(fold)
        if fold.shape != (Y.shape[0],):
            raise ValueError(f"fold ids have shape {fold.shape}, expected ({Y.shape[0]},)")
        if fold.size and (fold.min() < 0 or fold.max() >= self.n_folds):
            raise ValueError(f"fold ids must lie in [0, {self.n_folds}), "
                             f"got [{fold.min()}, {fold.max()}]")
        for k in np.unique(fold):
            rows = np.flatnonzero(fold == k)
            self._acc[k].update(X[rows], Y[rows], s[rows])

    def result(self) -> tuple[Moments, list[Moments]]:
        """``(total, [fold_0, ..., fold_{K-1}])``."""
        folds = [a.result() for a in self._acc]
        return _sum(folds), folds
