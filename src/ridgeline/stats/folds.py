"""Deterministic fold assignment by hashing a row's global position (or its group id).

A row's fold is ``mix(seed, key) mod K`` where ``key`` is the row's global position (or the
integer id of its group) and ``mix`` is the splitmix64 finalizer (Steele, Lea & Flood 2014,
"Fast splittable pseudorandom number generators", OOPSLA), a bijective 64-bit integer mix with
full avalanche. The fold of a row depends only on (seed, key, K): not on how the rows are cut
into batches, files or partitions, so a streamed pass, an in-memory array and a Dask partition
all agree.

The *global row position* of a file source is cumulative over its files in sorted path order
and, within a file, over its rows in file order (0-based).
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def splitmix64(keys: np.ndarray, seed: int = 0) -> np.ndarray:
    """The splitmix64 hash of ``seed·φ + key`` for every key, as uint64 (vectorized).

    Parameters
    ----------
    keys : ndarray of int (n,)
        Row positions or group ids (any integers; negative values wrap modulo 2⁶⁴).
    seed : int
        Selects one of 2⁶⁴ independent assignments.

    Returns
    -------
    ndarray of uint64 (n,)
    """
    with np.errstate(over="ignore"):
        z = np.asarray(keys).astype(np.int64, copy=False).view(np.uint64)
        z = z + np.uint64(seed % (1 << 64)) * _GOLDEN + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def hash_folds(keys: np.ndarray, n_folds: int, seed: int = 0) -> np.ndarray:
    """Fold id in ``[0, n_folds)`` of every key (row position or group id), shape (n,), int64.

    ``hash_folds(np.arange(start, stop), K, seed)`` gives the folds of rows ``start..stop-1``
    whatever batch they arrive in.
    """
    if int(n_folds) < 1:
        raise ValueError(f"n_folds must be at least 1, got {n_folds}")
    return (splitmix64(keys, seed) % np.uint64(n_folds)).astype(np.int64)


def row_folds(start: int, stop: int, n_folds: int, seed: int = 0) -> np.ndarray:
    """Folds of the rows at global positions ``start, ..., stop - 1`` (int64 (stop - start,))."""
    if int(n_folds) == 1:  # one fold: no hash needed
        return np.zeros(max(stop - start, 0), dtype=np.int64)
    return hash_folds(np.arange(start, stop, dtype=np.int64), n_folds, seed)


def predefined_test_fold(n_rows: int, n_folds: int, seed: int = 0) -> np.ndarray:
    """Fold of each of ``n_rows`` rows, for ``sklearn.model_selection.PredefinedSplit``."""
    return row_folds(0, n_rows, n_folds, seed)
