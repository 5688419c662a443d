"""In-memory arrays as a statistics source."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ridgeline.stats.batch_source import BatchSource


class ArraySource(BatchSource):
    """An in-memory (X, y) served in batches: the reference the file sources are tested against.

    Parameters
    ----------
    X : array-like (n, p)
    y : array-like (n,)
    batch_rows : int, default=65536
        Rows per batch.
    feature_names : sequence of str, optional
        Default ``x0, x1, ...``.
    target_name : str, default="y"
    folds : array-like of int (n,), optional
        Explicit fold ids (the ``fold_column``); default: hashed row positions.
    groups : array-like of int (n,), optional
        Group ids (hashed to folds).
    seed : int, default=0
    sample_weight : array-like (n,), optional
        Non-negative sample weights (default: unit weights).

    Attributes
    ----------
    in_memory : bool
        True: a pass costs flops, not reads (solvers may trade Hessians for cheaper passes).
    """

    in_memory = True

    def __init__(self, X, y, *, batch_rows: int = 65536,
                 feature_names: Sequence[str] | None = None, target_name: str = "y",
                 folds=None, groups=None, seed: int = 0, sample_weight=None):
        self.X = np.asarray(X)
        self.y = np.asarray(y, dtype=np.float64)
        if self.X.ndim != 2 or self.y.shape != (self.X.shape[0],):
            raise ValueError(f"ArraySource needs X (n, p) and y (n,), got {self.X.shape} and "
                             f"{self.y.shape}")
        self.s = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if self.s is not None and self.s.shape != self.y.shape:
            raise ValueError(f"sample_weight must have shape {self.y.shape}, got {self.s.shape}")
        names = feature_names or [f"x{j}" for j in range(self.X.shape[1])]
        self._key = None
        if folds is not None and groups is not None:
            raise ValueError("give folds or groups, not both")
        if folds is not None or groups is not None:
            self._key = np.asarray(folds if folds is not None else groups)
        super().__init__(names, target_name,
                         fold_column="fold" if folds is not None else None,
                         group_column="group" if groups is not None else None, seed=seed,
                         weight_column=None if self.s is None else "sample_weight")
        self.batch_rows = int(batch_rows)
        if self.batch_rows < 1:
            raise ValueError(f"batch_rows must be positive, got {batch_rows}")

    def n_rows_hint(self) -> int:
        return self.X.shape[0]

    def _raw_batches(self):
        n = self.X.shape[0]
        for a in range(0, n, self.batch_rows):
            b = min(a + self.batch_rows, n)
            key = None if self._key is None else self._key[a:b]
            w = None if self.s is None else self.s[a:b]
            yield self.X[a:b], self.y[a:b], key, w, "array", a, a

    def describe(self) -> str:
        return f"ArraySource({self.X.shape[0]}×{self.X.shape[1]})"
