"""Per-batch kernels of the moments passes: per-fold Grams and moments, and target summaries.

Pure functions of one :class:`~ridgeline.stats.batch.Batch`; files run them batch by batch and
Dask partition by partition, and the results add.
"""

from __future__ import annotations

import numpy as np

from ridgeline.stats.batch import Batch, block_rows
from ridgeline.stats.moments import FoldMomentsAccumulator
from ridgeline.stats.row_kernels import column_sums
from ridgeline.stats.source import MAX_TARGET_VALUES, TargetSummary

#: A row-major float64 batch (one fold) whose columns and target all have
#: ``|mean| ≤ _RAW_GRAM_RATIO · std`` takes its Gram straight from X (no shifted copy) and is
#: shifted afterwards: the cancellation then costs at most ``(1 + ratio²) ε`` relative to the
#: centered Gram's diagonal scale (≈ 2e-14).
_RAW_GRAM_RATIO = 10.0


def batch_fold_moments(acc: FoldMomentsAccumulator, batch: Batch) -> None:
    """Add a batch to a per-fold moments accumulator.

    The rows are put in fold order (a stable radix sort of the fold ids) while being copied,
    column by column, into one column-major float64 buffer ``Z = [X - shift_x | y - shift_y | 1]``
    (each copy a contiguous 1-D gather, the shift subtracted while the column is in cache).
    Each fold's rows are then a contiguous block of ``Z`` and one BLAS ``syrk`` per fold,
    ``Z_kᵀZ_k``, gives all of that fold's moments at once (Gram, cross-products, target sum of
    squares, column sums and the row count). This suits column-major batches (Parquet/CSV
    columns); row-major X (Dask blocks, NumPy arrays) is gathered in cache-sized row blocks
    instead (:func:`_fold_moments_row_blocks`). A weighted batch goes through
    :meth:`FoldMomentsAccumulator.update`.
    """
    X, y = batch.X, batch.y
    m, p = X.shape
    K = acc.n_folds
    if m == 0:
        return
    fold = batch.fold
    if batch.weight is not None:  # weighted rows: the accumulator's general path
        acc.update(np.asarray(X, dtype=np.float64), y[:, None], batch.weight, fold)
        return
    order, bounds = _fold_order(fold, K)
    if X.flags.c_contiguous:
        _fold_moments_row_blocks(acc, X, y, order, bounds)
        return
    if order is None:
        order = np.arange(m)
    shift_x = acc._acc[0].shift_x
    shift_y = acc._acc[0].shift_y
    Z = _workspace(acc, m, p + 2)
    same = X.dtype == Z.dtype
    for j in range(p):
        col = Z[:, j]
        if same:
            np.take(X[:, j], order, out=col)
            col -= shift_x[j]
        else:  # float32: gather, then widen exactly while subtracting the shift
            np.subtract(X[:, j].take(order), shift_x[j], out=col)
    np.take(y, order, out=Z[:, p])
    Z[:, p] -= shift_y[0]
    Z[:, p + 1] = 1.0
    for k in range(K):
        a, b = bounds[k], bounds[k + 1]
        if b > a:
            Zk = Z[a:b]
            acc._acc[k]._add_augmented_gram(Zk.T @ Zk, b - a)  # syrk on the column-major block


def _fold_order(fold: np.ndarray, K: int) -> tuple[np.ndarray | None, np.ndarray]:
    """Row order grouping the folds (stable; None when K = 1) and each fold's [start, stop)."""
    if K == 1:
        return None, np.array([0, fold.size])
    if K <= 256:  # numpy's stable sort of 1-byte keys is a radix sort
        order = np.argsort(fold.astype(np.uint8), kind="stable")
    else:
        order = np.argsort(fold, kind="stable")
    return order, np.searchsorted(fold[order], np.arange(K + 1))


def _fold_moments_row_blocks(acc: FoldMomentsAccumulator, X: np.ndarray, y: np.ndarray,
                             order: np.ndarray | None, bounds: np.ndarray) -> None:
    """:func:`batch_fold_moments` for row-major X (Dask blocks, NumPy arrays).

    A fold's rows are gathered a cache-sized block at a time (whole rows, contiguous copies)
    into ``Z = [X - shift_x | y - shift_y | 1]`` and ``ZᵀZ`` (BLAS ``syrk``) is added to the
    fold's product, so X is read from memory once and Z never leaves the cache. A single
    fold of centered-enough float64 rows skips the copy (:func:`_raw_gram`).
    """
    p = X.shape[1]
    shift_x = acc._acc[0].shift_x
    shift_y = acc._acc[0].shift_y[0]
    if order is None and X.dtype == np.float64 and _raw_gram(acc._acc[0], X, y):
        return
    R = block_rows(p + 2)
    gather = getattr(acc, "_row_gather", None)
    if gather is None or gather.shape != (R, p) or gather.dtype != X.dtype:
        gather = acc._row_gather = np.empty((R, p), dtype=X.dtype)
    Z = getattr(acc, "_row_block", None)
    if Z is None or Z.shape != (R, p + 2):
        Z = acc._row_block = np.empty((R, p + 2))
    for k in range(bounds.size - 1):
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        if hi <= lo:
            continue
        A = np.zeros((p + 2, p + 2))
        for a in range(lo, hi, R):
            b = min(a + R, hi)
            r = b - a
            Zr = Z[:r]
            if order is None:
                np.subtract(X[a:b], shift_x, out=Zr[:, :p])
                np.subtract(y[a:b], shift_y, out=Zr[:, p])
            else:
                idx = order[a:b]
                np.take(X, idx, axis=0, out=gather[:r], mode="clip")
                np.subtract(gather[:r], shift_x, out=Zr[:, :p])
                np.subtract(y[idx], shift_y, out=Zr[:, p])
            Zr[:, p + 1] = 1.0
            A += Zr.T @ Zr
        acc._acc[k]._add_augmented_gram(A, hi - lo)


def _raw_gram(acc, X: np.ndarray, y: np.ndarray) -> bool:
    """Add one fold's rows from ``XᵀX`` (BLAS ``syrk`` on X itself, no copy) when they are
    centered enough for that (see :data:`_RAW_GRAM_RATIO`); False (nothing added) otherwise.

    With ``s``/``t`` the reference point, ``S = Σx`` and ``c = Σx y``:
    ``Σ(x−s)(x−s)ᵀ = XᵀX − s Sᵀ − S sᵀ + m s sᵀ`` and ``Σ(x−s)(y−t) = c − t S − s Σy + m s t``.
    """
    m = X.shape[0]
    G = X.T @ X
    if X.flags.c_contiguous:
        S, c = column_sums(X, np.ascontiguousarray(y))  # one read of X for both
    else:
        Sc = X.T @ np.column_stack([np.ones(m), y])
        S, c = Sc[:, 0], Sc[:, 1]
    sy, yy = float(y.sum()), float(y @ y)
    mean = np.append(S, sy) / m
    var = np.append(np.diag(G), yy) / m - mean * mean
    if not np.all(var > 0) or np.any(mean * mean > _RAW_GRAM_RATIO ** 2 * var):
        return False
    s, t = acc.shift_x, float(acc.shift_y[0])
    mom = acc.moments
    mom.G += G - np.outer(s, S) - np.outer(S, s) + m * np.outer(s, s)
    mom.C[:, 0] += c - t * S - s * sy + m * s * t
    mom.sx += S - m * s
    mom.sy[0] += sy - m * t
    mom.yy[0] += yy - 2.0 * t * sy + m * t * t
    mom.sw += float(m)
    mom.n += m
    return True


def _workspace(acc: FoldMomentsAccumulator, m: int, q: int) -> np.ndarray:
    """A column-major (m, q) float64 buffer kept on the accumulator and reused batch after batch
    (one accumulator is only ever updated by one thread at a time)."""
    buf = getattr(acc, "_workspace", None)
    if buf is None or buf.shape[0] < m or buf.shape[1] != q:
        buf = np.empty((m, q), order="F")
        acc._workspace = buf
    return buf[:m]


def batch_target_summary(batch: Batch, n_folds: int, weights: np.ndarray | None = None,
                         columns: bool = False) -> TargetSummary:
    """Per-fold counts and (weighted, with ``weights`` (m,)) weight and target sums of a batch;
    with ``columns`` also the feature sums and sums of squares."""
    n = np.bincount(batch.fold, minlength=n_folds)
    if weights is None:
        sw = n.astype(np.float64)
        sy = np.bincount(batch.fold, weights=batch.y, minlength=n_folds)
    else:
        sw = np.bincount(batch.fold, weights=weights, minlength=n_folds)
        sy = np.bincount(batch.fold, weights=weights * batch.y, minlength=n_folds)
    values = np.unique(batch.y)
    sx = sxx = None
    if columns:
        X = np.asarray(batch.X, dtype=np.float64)
        s = np.ones(X.shape[0]) if weights is None else weights
        sx = s @ X
        sxx = s @ (X * X)
    return TargetSummary(n=n, sw=sw, sy=sy,
                         y_min=float(batch.y.min()) if batch.y.size else np.inf,
                         y_max=float(batch.y.max()) if batch.y.size else -np.inf,
                         values=values if values.size <= MAX_TARGET_VALUES else None,
                         sx=sx, sxx=sxx)
