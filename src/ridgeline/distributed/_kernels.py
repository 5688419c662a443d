"""Pure per-partition functions of a Dask pass: checked rows, folds, and one small result.

Each function here runs on a worker, on the rows of one partition, and returns an object that
adds with ``+`` (:class:`~ridgeline.stats.Moments` lists, :class:`TargetSummary`,
:class:`GLMPassResult`, :class:`MultinomialPassResult`). Unit-weight, single-target passes
call the protocol's own kernels (:func:`ridgeline.stats.source.batch_fold_moments`,
:func:`~ridgeline.stats.source.batch_target_summary`,
:func:`~ridgeline.stats.source.batch_glm_stats`,
:func:`~ridgeline.stats.multinomial.batch_multinomial_stats`); the weighted and multi-target
variants below extend them with the same sums.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ridgeline.stats.batch import Batch, check_finite
from ridgeline.stats.batch_glm import batch_glm_stats
from ridgeline.stats.batch_loo import LooModel, LooPassResult, batch_loo_sums
from ridgeline.stats.batch_moments import batch_fold_moments, batch_target_summary
from ridgeline.stats.folds import hash_folds, row_folds
from ridgeline.stats.moments import FoldMomentsAccumulator, Moments
from ridgeline.stats.multinomial import (
    MultinomialPassResult,
    batch_multinomial_stats,
    class_indices,
)
from ridgeline.stats.source import GLMPassResult, SourceError, TargetSummary

#: how a partition's NaN/inf error locates the first bad row
_FIRST_AT = "partition row"


# ------------------------------------------------------------------------------ results
@dataclass
class FoldMomentsSum:
    """Per-fold moments of some partitions (adds with ``+``); ``total`` is their sum."""

    folds: list[Moments]
    n_rows: int

    def __add__(self, other: FoldMomentsSum) -> FoldMomentsSum:
        return FoldMomentsSum([a + b for a, b in zip(self.folds, other.folds, strict=True)],
                              self.n_rows + other.n_rows)


def add_all(*parts):
    """The ``+``-sum of one or more pass results (one node of the reduction tree)."""
    return functools.reduce(operator.add, parts)


# ------------------------------------------------------------------------ partition data
@dataclass(frozen=True)
class PassSpec:
    """What a pass computes, shipped to every partition (small, picklable).

    Attributes
    ----------
    kind : {"moments", "summary", "glm", "multinomial", "shift", "loo"}
    n_folds : int
    seed : int
    fold_rule : {"hash", "fold", "group"}
    feature_names, target_names : tuple of str
    shift_x, shift_y : ndarray or None
        Reference point of ``"moments"``.
    loss, coef, intercept, held_out, hessian :
        Models of ``"glm"``/``"multinomial"``.
    classes : ndarray or None
        Sorted class labels of ``"multinomial"`` (None: the targets are class indices).
    columns : bool
        ``"summary"``: also the feature sums and sums of squares.
    loo : LooModel or None
        The full-data ridge fits whose leave-one-out errors ``"loo"`` sums.
    check_features : bool
        Check the features for NaN/inf (skipped once a pass over the same partitions has
        checked them: a Dask partition's value is fixed by its key).
    """

    kind: str
    n_folds: int = 1
    seed: int = 0
    fold_rule: str = "hash"
    feature_names: tuple[str, ...] = ()
    target_names: tuple[str, ...] = ()
    shift_x: np.ndarray | None = None
    shift_y: np.ndarray | None = None
    loss: object = None
    coef: np.ndarray | None = None
    intercept: np.ndarray | None = None
    held_out: np.ndarray | None = None
    hessian: bool = True
    classes: np.ndarray | None = None
    check_features: bool = True
    columns: bool = False
    loo: LooModel | None = None


@dataclass
class Partition:
    """The checked rows of one partition: float64 X (m, p), Y (m, k), weights or None, folds."""

    X: np.ndarray
    Y: np.ndarray
    s: np.ndarray | None
    fold: np.ndarray
    index: int
    start: int

    @property
    def span(self) -> str:
        m = self.Y.shape[0]
        return f"partition {self.index} (global rows {self.start}\u2013{self.start + m - 1})"

    def batch(self) -> Batch:
        """The protocol's :class:`Batch` view (single target)."""
        return Batch(X=self.X, y=self.Y[:, 0], fold=self.fold, where=f"partition {self.index}",
                     start=0, weight=self.s)


def _frame_columns(frame, names: Sequence[str], what: str, span: str) -> np.ndarray:
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise SourceError(f"{span}: {what} column(s) {missing} not found")
    try:
        return frame[list(names)].to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise SourceError(f"{span}: {what} columns {list(names)} are not numeric ({exc})") \
            from None


def _as_rows(obj, names: Sequence[str], what: str, span: str, ncols: int | None) -> np.ndarray:
    """A partition piece (ndarray block, pandas frame/series) as float64 (m, ncols)."""
    if hasattr(obj, "columns"):  # pandas DataFrame
        return _frame_columns(obj, names, what, span)
    arr = np.asarray(obj.to_numpy() if hasattr(obj, "to_numpy") else obj)
    if arr.dtype.kind not in "biuf":
        raise SourceError(f"{span}: {what} is not numeric (dtype {arr.dtype})")
    arr = arr.astype(np.float64, copy=False)
    if arr.ndim == 1:
        arr = arr[:, None]
    if ncols is not None and arr.shape[1] != ncols:
        raise SourceError(f"{span}: {what} has {arr.shape[1]} columns, expected {ncols}")
    return arr


def _folds(spec: PassSpec, key: np.ndarray | None, start: int, m: int, span: str) -> np.ndarray:
    K = spec.n_folds
    if K == 1:  # one fold: every row in it, whatever the fold rule says
        return np.zeros(m, dtype=np.int64)
    if spec.fold_rule == "hash":
        return row_folds(start, start + m, K, spec.seed)
    k = np.asarray(key).ravel()
    if k.dtype.kind == "f" and (not np.all(np.isfinite(k)) or np.any(k != np.round(k))):
        raise SourceError(f"{span}: the {spec.fold_rule} ids must be integers")
    if k.dtype.kind not in "biuf":
        raise SourceError(f"{span}: the {spec.fold_rule} ids must be integers, got dtype "
                          f"{k.dtype}")
    k = k.astype(np.int64)
    if spec.fold_rule == "group":
        return hash_folds(k, K, spec.seed)
    if k.size and (k.min() < 0 or k.max() >= K):
        raise SourceError(f"{span}: fold ids lie in [{k.min()}, {k.max()}], outside [0, {K})")
    return k


def load_partition(spec: PassSpec, index: int, start: int, n_expected: int, x, y, s=None,
                   key=None) -> Partition:
    """Check one partition's pieces and assign its folds.

    Parameters
    ----------
    spec : PassSpec
    index, start : int
        Partition index and the global position of its first row.
    n_expected : int
        Rows the partition should have (its row offsets were computed from this).
    x, y, s, key : ndarray blocks or pandas objects
        Features, targets, weights (or None) and fold/group ids (or None). When ``x`` is a
        pandas DataFrame the named columns are taken from it (``y``/``s``/``key`` may then be
        column names).
    """
    span0 = f"partition {index} (global rows {start}\u2013{start + n_expected - 1})"
    frame = x if hasattr(x, "columns") else None

    def piece(obj, names, what, ncols):
        if isinstance(obj, str | list | tuple) and frame is not None:
            names = [obj] if isinstance(obj, str) else list(obj)
            return _frame_columns(frame, names, what, span0)
        return _as_rows(obj, names, what, span0, ncols)

    X = piece(x, spec.feature_names, "feature", len(spec.feature_names))
    Y = piece(y, spec.target_names, "target", len(spec.target_names))
    m = X.shape[0]
    if m != n_expected or Y.shape[0] != m:
        raise SourceError(f"{span0}: features have {m} rows and targets {Y.shape[0]}, expected "
                          f"{n_expected} (partitions of X, y, weights must align)")
    part_span = span0
    # a moments pass checks its result and a GLM pass its blocks instead; a summary without
    # columns does not use X
    rows_checked_here = spec.kind in ("shift", "multinomial") or (spec.kind == "summary"
                                                                  and spec.columns)
    if spec.check_features and rows_checked_here:
        check_finite(X, spec.feature_names, part_span, _FIRST_AT)
    check_finite(Y, spec.target_names, part_span, _FIRST_AT)
    w = None if s is None else _partition_weights(piece(s, ["sample_weight"], "sample_weight", 1),
                                                  m, part_span)
    k = None if key is None else _partition_key(spec, key, frame, m, part_span)
    if spec.kind == "shift":  # the reference point needs no folds
        fold = np.zeros(m, dtype=np.int64)
    else:
        fold = _folds(spec, k, start, m, part_span)
    return Partition(X=X, Y=Y, s=w, fold=fold, index=index, start=start)


def _partition_weights(block: np.ndarray, m: int, part_span: str) -> np.ndarray:
    """A partition's sample weights (``block`` (m, 1)), checked: m rows, finite, non-negative."""
    w = block[:, 0]
    if w.shape[0] != m:
        raise SourceError(f"{part_span}: sample_weight has {w.shape[0]} rows, expected {m}")
    check_finite(w[:, None], ["sample_weight"], part_span, _FIRST_AT)
    if np.any(w < 0):
        raise SourceError(f"{part_span}: sample_weight has negative values")
    return w


def _partition_key(spec: PassSpec, key, frame, m: int, part_span: str) -> np.ndarray:
    """A partition's fold/group ids: the column ``key`` of the data frame ``frame``, or the
    block ``key`` itself; checked to have m rows."""
    if isinstance(key, str) and frame is not None:
        if key not in frame.columns:
            raise SourceError(f"{part_span}: {spec.fold_rule} column {key!r} not found")
        k = frame[key].to_numpy()
    else:
        k = np.asarray(key.to_numpy() if hasattr(key, "to_numpy") else key).ravel()
    if k.shape[0] != m:
        raise SourceError(f"{part_span}: {spec.fold_rule} ids have {k.shape[0]} rows, "
                          f"expected {m}")
    return k


# ------------------------------------------------------------------------------ the passes
def partition_pass(spec: PassSpec, index: int, start: int, n_expected: int, x, y, s=None,
                   key=None):
    """One partition's contribution to the pass ``spec.kind`` (a worker task)."""
    part = load_partition(spec, index, start, n_expected, x, y, s, key)
    return _PASSES[spec.kind](spec, part)


def group_pass(spec: PassSpec, meta: Sequence[tuple[int, int, int]], *pieces):
    """The ``+``-sum of :func:`partition_pass` over partitions held by one worker (a task).

    ``meta`` lists each partition's (index, global start, rows); ``pieces`` are their
    (x, y, weights, key) pieces, four per partition, in the same order.
    """
    out = None
    for j, (index, start, n) in enumerate(meta):
        r = partition_pass(spec, index, start, n, *pieces[4 * j:4 * j + 4])
        out = r if out is None else out + r
    return out


def _shift(spec: PassSpec, part: Partition):
    """(Σ s, Σ s x, Σ s y) of the partition: the reference point is the first non-empty one's."""
    s = np.ones(part.Y.shape[0]) if part.s is None else part.s
    return float(s.sum()), s @ part.X, s @ part.Y


def _moments(spec: PassSpec, part: Partition) -> FoldMomentsSum:
    acc = FoldMomentsAccumulator(spec.n_folds, spec.shift_x, spec.shift_y)
    if part.Y.shape[1] == 1:
        batch_fold_moments(acc, part.batch())
    else:
        s = np.ones(part.Y.shape[0]) if part.s is None else part.s
        acc.update(part.X, part.Y, s, part.fold)
    _, folds = acc.result()
    if spec.check_features and not all(np.isfinite(np.diag(f.G)).all() and np.isfinite(f.sx).all()
                                       for f in folds):
        # every feature value enters its column's Σx and Σx² (times a positive weight, or
        # as NaN·0 = NaN): a finite result proves the rows finite, a non-finite one is
        # located here for the message (an overflow of finite data passes through)
        check_finite(part.X, spec.feature_names, part.span, _FIRST_AT)
    return FoldMomentsSum(folds, part.Y.shape[0])


def _summary(spec: PassSpec, part: Partition) -> TargetSummary:
    return batch_target_summary(part.batch(), spec.n_folds, weights=part.s,
                                columns=spec.columns)


def _glm(spec: PassSpec, part: Partition) -> GLMPassResult:
    check = (spec.feature_names, part.span, _FIRST_AT) if spec.check_features else None
    return batch_glm_stats(part.batch(), spec.loss, spec.coef, spec.intercept, spec.held_out,
                           spec.hessian, weights=part.s, check=check)


def _multinomial(spec: PassSpec, part: Partition) -> MultinomialPassResult:
    C = spec.coef.shape[2]
    y = part.Y[:, 0]
    lab, bad = class_indices(y, spec.classes, C)
    if bad is not None:
        raise SourceError(f"{part.span}: target {float(y[bad])!r} at partition row {bad} is "
                          f"not one of the {C} classes")
    return batch_multinomial_stats(part.X, lab, part.fold, spec.coef, spec.intercept,
                                   spec.held_out, spec.hessian, weights=part.s)


def _loo(spec: PassSpec, part: Partition) -> LooPassResult:
    if spec.check_features:  # a LOO pass normally follows a moments pass, which checked them
        check_finite(part.X, spec.feature_names, part.span, _FIRST_AT)
    return batch_loo_sums(spec.loo, part.X, part.Y, part.s)


_PASSES = {"shift": _shift, "moments": _moments, "summary": _summary, "glm": _glm,
           "multinomial": _multinomial, "loo": _loo}
