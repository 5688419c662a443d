"""Explicit (train, test) splits of an in-memory source as fold ids and role masks.

Each row's membership pattern across K splits (trains in split k, is tested in it, or takes
no part) becomes its fold id, so any scikit-learn splitter — overlapping, partial, or a
partition — is served by the passes' fold-id machinery (:mod:`ridgeline.stats.members`).
"""

from __future__ import annotations

import numpy as np


def split_table(splits, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(codes (n,), train (K, G), test (K, G))`` of a list of (train, test) splits: each
    row's membership pattern across the splits as a fold id, and the splits as masks."""
    splits = list(splits)
    if not splits:
        raise ValueError("splits is empty: give at least one (train, test) split")
    M = np.zeros((n, len(splits)), dtype=np.int8)
    for k, (train, test) in enumerate(splits):
        tr, te = check_index(train, n, k, "train"), check_index(test, n, k, "test")
        M[tr, k] = 1
        if np.any(M[te, k] == 1):
            raise ValueError(f"split {k} has rows in both its training and its test set")
        M[te, k] = 2
    K = M.shape[1]
    if K <= 39:  # each row's pattern as one base-3 integer (3³⁹ < 2⁶³): a 1-d unique
        keys = M.astype(np.int64) @ (np.int64(3) ** np.arange(K, dtype=np.int64))
        _, first, codes = np.unique(keys, return_index=True, return_inverse=True)
        patterns = M[first]
    else:
        patterns, codes = np.unique(M, axis=0, return_inverse=True)
    return codes.ravel().astype(np.int64), (patterns == 1).T, (patterns == 2).T


def check_index(rows, n: int, k: int, what: str) -> np.ndarray:
    rows = np.asarray(rows)
    if rows.dtype == bool:
        if rows.shape != (n,):
            raise ValueError(f"split {k}: the {what} mask has shape {rows.shape}, not ({n},)")
        return np.flatnonzero(rows)
    rows = rows.astype(np.int64).ravel()
    if rows.size and (rows.min() < -n or rows.max() >= n):
        raise ValueError(f"split {k}: {what} indices out of range for {n} rows")
    return rows
