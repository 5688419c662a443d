"""Helpers of :class:`~ridgeline.stats.array_source.ArraySource`: the matrix it holds, row
slices of per-row arrays, its cache trimming, column moments, and the offset's checks."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ridgeline.stats.source import SourceError


def as_matrix(X):
    """X as a CSR/CSC matrix (sparse) or an ndarray; float32 kept, others float64."""
    if sp.issparse(X):
        X = X.tocsr() if X.format not in ("csr", "csc") else X
        return X if X.dtype in (np.float32, np.float64) else X.astype(np.float64)
    X = np.asarray(X)
    return X if X.dtype in (np.float32, np.float64) else X.astype(np.float64)


def rows_of(a: np.ndarray | None, rows: slice) -> np.ndarray | None:
    """``a[rows]``, or None for None."""
    return None if a is None else a[rows]


def trim(cache: dict, keep: int = 16) -> None:
    """Drop the oldest member-weight entries of a cache beyond ``keep``."""
    members = [k for k in cache if k[0] in ("members", "encoded")]
    for k in members[:-keep]:
        del cache[k]


def column_moments(X, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted column sums and sums of squares (p,) of dense or sparse X."""
    if sp.issparse(X):
        return (np.asarray(X.T @ s).ravel(),
                np.asarray(X.multiply(X).T @ s).ravel())
    Xd = np.asarray(X, dtype=np.float64)
    return s @ Xd, s @ (Xd * Xd)


def check_offset(offset, n: int, check: bool) -> np.ndarray | None:
    """The offset (n,) float64 (None stays None): right length and, with ``check``, finite
    (a :class:`~ridgeline.stats.source.SourceError` naming the first bad row)."""
    if offset is None:
        return None
    offset = np.asarray(offset, dtype=np.float64)
    if offset.shape != (n,):
        raise ValueError(f"offset must have one value per row, shape ({n},); got shape "
                         f"{offset.shape}")
    if check and not np.all(np.isfinite(offset)):
        i = int(np.flatnonzero(~np.isfinite(offset))[0])
        raise SourceError(f"offset has NaN or infinite values, first at row {i} "
                          f"({float(offset[i])})")
    return offset
