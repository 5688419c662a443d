"""Chunked row iteration over dense arrays and scipy.sparse matrices."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp

#: Target number of float64 values in one dense chunk (~8 MB): large enough for BLAS-3
#: efficiency, small enough to keep the working set bounded.
CHUNK_VALUES = 1_000_000


def chunk_rows(n_features: int, budget: int = CHUNK_VALUES) -> int:
    """Rows per chunk so that a float64 chunk of ``n_features`` columns stays within ``budget``."""
    return max(256, budget // max(n_features, 1))


def iter_row_chunks(
    X, rows: np.ndarray | slice | None = None, chunk: int | None = None
) -> Iterator[tuple[np.ndarray | slice, object]]:
    """Yield ``(row_index, X_chunk)`` pairs covering ``rows`` of ``X`` in order.

    Parameters
    ----------
    X : ndarray of shape (n, p) or scipy.sparse matrix
        The data. Dense chunks are views when ``rows`` is a slice, copies otherwise.
    rows : slice or int array, optional
        The rows to visit (default: all).
    chunk : int, optional
        Rows per chunk (default from :func:`chunk_rows`).
    """
    n = X.shape[0]
    if rows is None:
        rows = slice(0, n)
    step = chunk or chunk_rows(X.shape[1])
    if isinstance(rows, slice):
        start, stop, _ = rows.indices(n)
        for a in range(start, stop, step):
            b = min(a + step, stop)
            yield slice(a, b), X[a:b]
    else:
        rows = np.asarray(rows)
        for a in range(0, rows.size, step):
            idx = rows[a : a + step]
            yield idx, (X[idx] if sp.issparse(X) else np.take(X, idx, axis=0))


def as_contiguous_rows(rows: np.ndarray) -> np.ndarray | slice:
    """Return a slice when the sorted index array ``rows`` is one contiguous run."""
    rows = np.asarray(rows)
    if rows.size and rows[-1] - rows[0] + 1 == rows.size and np.all(np.diff(rows) == 1):
        return slice(int(rows[0]), int(rows[-1]) + 1)
    return rows
