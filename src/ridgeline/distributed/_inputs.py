"""A Dask collection's rows cut into partitions: checked inputs, names and per-partition pieces.

:func:`array_layout` validates a ``dask.array`` X (rechunked to whole rows) and the targets,
weights and fold/group ids aligned with it; :func:`frame_layout` does the same for a
``dask.dataframe`` X, whose partitions are used as they are and whose targets etc. may be
column names. Both return a :class:`Layout`: the feature and target names, the rows of each
partition and, per partition, the delayed pieces ``(x, y, s, key)`` a pass task receives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import dask.array as da
import numpy as np


def is_frame(obj) -> bool:
    import dask.dataframe as dd

    return isinstance(obj, dd.DataFrame)


def is_series(obj) -> bool:
    import dask.dataframe as dd

    return isinstance(obj, dd.Series)


@dataclass
class Layout:
    """How a collection's rows reach the pass tasks.

    Attributes
    ----------
    feature_names, target_names : list of str
    partition_rows : ndarray of int
        Rows per partition.
    pieces : list of tuple
        Per partition ``(x, y, s, key)``: delayed blocks, or (data frame) column names and
        None for what is absent.
    kind : {"array", "frame"}
    """

    feature_names: list[str]
    target_names: list[str]
    partition_rows: np.ndarray
    pieces: list[tuple]
    kind: str


def array_layout(X, y, s, key, feature_names: Sequence[str] | None, key_name: str) -> Layout:
    """The layout of a ``dask.array`` X (n, p); ``key_name`` names the fold/group ids."""
    if X.ndim != 2:
        raise ValueError(f"X must be 2-d (n, p), got {X.ndim}-d")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"X must be numeric, got dtype {X.dtype}")
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    X = X.rechunk({1: -1})
    rows = X.chunks[0]
    n, p = X.shape
    names = list(feature_names) if feature_names is not None \
        else [f"x{j}" for j in range(p)]
    if len(names) != p:
        raise ValueError(f"{len(names)} feature names for {p} columns")
    Y = _aligned(y, rows, n, "y", allow_2d=True)
    target_names = ["y"] if Y.ndim == 1 else [f"y{j}" for j in range(Y.shape[1])]
    S = None if s is None else _aligned(s, rows, n, "sample_weight")
    Kc = None if key is None else _aligned(key, rows, n, key_name)
    pieces = [
        (x, yb, None if S is None else sb, None if Kc is None else kb)
        for x, yb, sb, kb in zip(X.to_delayed().ravel(), Y.to_delayed().ravel(),
                                 (S.to_delayed().ravel() if S is not None
                                  else [None] * len(rows)),
                                 (Kc.to_delayed().ravel() if Kc is not None
                                  else [None] * len(rows)), strict=True)]
    return Layout(names, target_names, np.asarray(rows, dtype=np.int64), pieces, "array")


def _aligned(v, rows, n: int, name: str, allow_2d: bool = False):
    if isinstance(v, da.Array):
        if any(np.isnan(c) for c in v.chunks[0]):
            v = v.compute_chunk_sizes()
    else:
        if is_series(v) or is_frame(v):
            raise TypeError(f"{name}: a dask.array X needs array-like {name}, not a dask "
                            "data frame/series")
        v = da.from_array(np.asarray(v), chunks=-1)
    if v.shape[0] != n or not (v.ndim == 1 or (allow_2d and v.ndim == 2)):
        want = "(n,) or (n, k)" if allow_2d else "(n,)"
        raise ValueError(f"{name} must have shape {want} with n = {n}, got {v.shape}")
    if v.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {v.dtype}")
    return v.rechunk((rows,) if v.ndim == 1 else (rows, -1))


def frame_layout(X, y, s, key, feature_names: Sequence[str] | None, key_name: str) -> Layout:
    """The layout of a ``dask.dataframe`` X; ``y``, ``s``, ``key`` are column names of X or
    dask Series/DataFrames aligned with it, ``key_name`` names the fold/group ids."""
    used = []

    def part(v, name):
        if v is None:
            return None, None
        if isinstance(v, str) or (isinstance(v, list | tuple) and v
                                  and all(isinstance(c, str) for c in v)):
            names = [v] if isinstance(v, str) else list(v)
            missing = [c for c in names if c not in X.columns]
            if missing:
                raise ValueError(f"{name}: column(s) {missing} not in the data frame")
            used.extend(names)
            return names, None
        if is_series(v) or is_frame(v):
            if v.npartitions != X.npartitions:
                raise ValueError(f"{name} has {v.npartitions} partitions, X has "
                                 f"{X.npartitions}: they must align")
            names = [v.name] if is_series(v) else list(v.columns)
            return [str(c) for c in names], v
        raise TypeError(f"with a dask data frame X, {name} must be a column name or a "
                        f"dask Series aligned with X, got {type(v).__name__}")

    ynames, ycol = part(y, "y")
    if ynames is None:
        raise ValueError("y is required")
    _, scol = part(s, "sample_weight")
    _, kcol = part(key, key_name)
    names = [str(c) for c in (feature_names if feature_names is not None
                              else [c for c in X.columns if c not in used])]
    lengths = X.map_partitions(len).compute()
    xs = X.to_delayed()

    def pieces(col, v):
        if col is not None:
            return col.to_delayed()
        return [None if v is None else (v if isinstance(v, str) else list(v))] * len(xs)

    return Layout(names, ynames, np.asarray(lengths, dtype=np.int64),
                  list(zip(xs, pieces(ycol, ynames if len(ynames) > 1 else ynames[0]),
                           pieces(scol, s), pieces(kcol, key), strict=True)), "frame")
