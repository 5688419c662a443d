"""Statistics sources: data that answers *passes* over its rows with small (p×p) results.

A statistics source is where the rows live — files on disk (:mod:`ridgeline.stats.files`), an
in-memory array (:class:`ArraySource`), or later a Dask collection — together with its fold
rule. The estimators never see the rows; they ask for passes, each returning one small
result dataclass:

- :meth:`StatisticsSource.fold_moments` — the total and per-fold :class:`~ridgeline.stats.Moments`
  of (X, y) in one pass: everything ridge K-fold CV over any λ grid needs.
- :meth:`StatisticsSource.target_summary` — per-fold row counts and target sums and the
  distinct target values (class labels, Poisson checks, GLM starting points).
- :meth:`StatisticsSource.glm_pass` — for B models (the K fold models and/or the full-data
  model) at their current coefficients: each model's loss, gradient and Hessian ``XᵀWX`` summed
  over its training rows, and its loss and accuracy on its held-out fold. One Newton/IRLS
  iteration of every fold costs one pass.

Folds come from the source's fold rule: a hash of the row's global position with a seed
(:mod:`ridgeline.stats.folds`), the hash of an integer group column, or an explicit fold
column holding ids in ``[0, K)``. All sums are float64 and weighted by the source's sample
weights (a weight column; unit weights without one).

Implementations over partitions (Dask) map :func:`batch_fold_moments`,
:func:`batch_target_summary` and :func:`batch_glm_stats` over partitions and add the results
(every result has ``+``); the per-batch functions are pure.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from threadpoolctl import threadpool_limits

from ridgeline.stats.folds import hash_folds, row_folds
from ridgeline.stats.moments import FoldMomentsAccumulator, Moments, symmetric
from ridgeline.stats.multinomial import (
    MultinomialPassResult,
    batch_multinomial_stats,
    class_indices,
)
from ridgeline.stats.multinomial import workspace as multinomial_workspace
from ridgeline.stats.row_kernels import FAMILIES, column_sums, compiled_rows, gradient_sums

#: Worker threads of a fold-moments pass (each reduces every T-th batch, one BLAS thread each).
_PASS_THREADS = 2

#: Bytes of one row block of the blocked per-batch kernels: about a core's L2 cache, so the
#: second read of a block comes from cache (measured on 250,000 × 100 blocks: a gradient pass
#: takes 0.018 s with 1 MiB blocks, 0.016 s with 2 MiB, 0.025 s with 8 MiB; smaller blocks
#: pay numpy's per-call overhead).
_BLOCK_BYTES = 2 << 20

#: A row-major float64 batch (one fold) whose columns and target all have
#: ``|mean| ≤ _RAW_GRAM_RATIO · std`` takes its Gram straight from X (no shifted copy) and is
#: shifted afterwards: the cancellation then costs at most ``(1 + ratio²) ε`` relative to the
#: centered Gram's diagonal scale (≈ 2e-14).
_RAW_GRAM_RATIO = 10.0

#: Most distinct target values a summary keeps (enough for any classifier's labels).
MAX_TARGET_VALUES = 64


class SourceError(ValueError):
    """Bad data met during a pass; the message names the file (or partition) and row range."""


# ------------------------------------------------------------------------------ pass results
@dataclass
class FoldMomentsResult:
    """Result of :meth:`StatisticsSource.fold_moments`.

    Attributes
    ----------
    total : Moments
        Moments of every row (the sum of the folds'), about the source's reference point.
    folds : list of Moments, length K
        Moments of each fold's rows (the held-out set of fold k).
    n_rows : int
    """

    total: Moments
    folds: list[Moments]
    n_rows: int


@dataclass
class TargetSummary:
    """Result of :meth:`StatisticsSource.target_summary`.

    Attributes
    ----------
    n : ndarray of int (K,)
        Rows per fold.
    sw : ndarray (K,)
        Sum of sample weights per fold (= ``n`` with unit weights).
    sy : ndarray (K,)
        Weighted sum of the target per fold.
    y_min, y_max : float
    values : ndarray or None
        Sorted distinct target values, None when there are more than ``MAX_TARGET_VALUES``.
    sx, sxx : ndarray (p,) or None
        With ``columns=True``: weighted sums of each feature and of its square over all rows
        (for :meth:`feature_scale`), else None.
    """

    n: np.ndarray
    sw: np.ndarray
    sy: np.ndarray
    y_min: float
    y_max: float
    values: np.ndarray | None
    sx: np.ndarray | None = None
    sxx: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        return int(self.n.sum())

    def __add__(self, other: TargetSummary) -> TargetSummary:
        values = None
        if self.values is not None and other.values is not None:
            values = np.union1d(self.values, other.values)
            values = values if values.size <= MAX_TARGET_VALUES else None
        cols = self.sx is not None and other.sx is not None
        return TargetSummary(self.n + other.n, self.sw + other.sw, self.sy + other.sy,
                             min(self.y_min, other.y_min), max(self.y_max, other.y_max), values,
                             self.sx + other.sx if cols else None,
                             self.sxx + other.sxx if cols else None)

    def feature_scale(self) -> tuple[np.ndarray, np.ndarray]:
        """Weighted means and standard deviations (p,) of the features (1 for a constant one)."""
        if self.sx is None:
            raise ValueError("this summary has no column sums: ask target_summary(columns=True)")
        sw = max(float(self.sw.sum()), 1e-300)
        mean = self.sx / sw
        var = self.sxx / sw - mean * mean
        sd = np.sqrt(np.maximum(var, 0.0))
        return mean, np.where(sd > 1e-12 * np.maximum(np.abs(mean), 1.0), sd, 1.0)


@dataclass
class GLMPassResult:
    """Result of :meth:`StatisticsSource.glm_pass` for B models (sums, not means).

    Model j is trained on the rows whose fold differs from ``held_out[j]`` (every row when
    ``held_out[j] = -1``) and scored on the rows of fold ``held_out[j]``. With
    ``ℓ_i = ℓ(y_i, η_ij)``, ``η_ij = x_iᵀw_j + b_j`` and sums over model j's training rows:

    Attributes
    ----------
    sw : ndarray (B,)
        ``Σ s_i``.
    loss : ndarray (B,)
        ``Σ s_i ℓ_i``.
    grad_w : ndarray (B, p)
        ``Σ s_i ℓ'_i x_i``.
    grad_b : ndarray (B,)
        ``Σ s_i ℓ'_i``.
    hess_ww : ndarray (B, p, p) or None
        ``Σ s_i ℓ''_i x_i x_iᵀ`` (None when the pass was asked for no Hessian).
    hess_wb : ndarray (B, p) or None
        ``Σ s_i ℓ''_i x_i``.
    hess_bb : ndarray (B,) or None
        ``Σ s_i ℓ''_i``.
    held_sw, held_loss, held_correct : ndarray (B,)
        On the held-out rows: ``Σ s_i``, ``Σ s_i ℓ_i`` and ``Σ s_i [sign(η_i) agrees with y_i]``
        (binary accuracy; meaningless for Poisson).
    """

    sw: np.ndarray
    loss: np.ndarray
    grad_w: np.ndarray
    grad_b: np.ndarray
    hess_ww: np.ndarray | None
    hess_wb: np.ndarray | None
    hess_bb: np.ndarray | None
    held_sw: np.ndarray
    held_loss: np.ndarray
    held_correct: np.ndarray

    @classmethod
    def zeros(cls, B: int, p: int, hessian: bool) -> GLMPassResult:
        z = np.zeros(B)
        return cls(z.copy(), z.copy(), np.zeros((B, p)), z.copy(),
                   np.zeros((B, p, p)) if hessian else None,
                   np.zeros((B, p)) if hessian else None, z.copy() if hessian else None,
                   z.copy(), z.copy(), z.copy())

    def __add__(self, other: GLMPassResult) -> GLMPassResult:
        def add(a, b):
            return None if a is None else a + b
        return GLMPassResult(*(add(getattr(self, f), getattr(other, f))
                               for f in self.__dataclass_fields__))


# ------------------------------------------------------------------------------ the protocol
@runtime_checkable
class StatisticsSource(Protocol):
    """Rows of (X, y) that answer passes with small results; estimators accept it as ``X``.

    Attributes
    ----------
    feature_names : list of str (p,)
    target_name : str
    n_features : int
    seed : int
        Seed of the hashed fold assignment.

    Every pass visits each row exactly once and returns only O(B p²) numbers; it raises
    :class:`SourceError` naming the file/partition and row range of bad data (NaN, ±inf,
    fold ids out of range), never a partial result. ``progress``, when given, is called with
    the number of rows of each batch as it is consumed.
    """

    feature_names: list[str]
    target_name: str
    seed: int

    @property
    def n_features(self) -> int: ...

    def fold_moments(self, n_folds: int, *,
                     progress: Callable[[int], None] | None = None) -> FoldMomentsResult:
        """Total and per-fold moments of (X, y) in one pass."""
        ...

    def target_summary(self, n_folds: int, *,
                       progress: Callable[[int], None] | None = None,
                       columns: bool = False) -> TargetSummary:
        """Rows, target sums per fold and the distinct target values, in one pass.

        With ``columns=True`` also each feature's weighted sum and sum of squares (the
        feature scales an L-BFGS fit is preconditioned with; O(n p) more work).
        """
        ...

    def glm_pass(self, loss, coef: np.ndarray, intercept: np.ndarray, held_out: np.ndarray,
                 n_folds: int, *, hessian: bool = True,
                 progress: Callable[[int], None] | None = None) -> GLMPassResult:
        """Loss, gradient and Hessian sums of B models over their training rows, in one pass.

        Parameters
        ----------
        loss : BinomialLoss or PoissonLoss (a loss of :mod:`ridgeline.losses` with scalar η)
            When it has a method ``encode(y) -> y'``, the targets are mapped by it first
            (class labels to 0/1).
        coef : ndarray (B, p)
        intercept : ndarray (B,)
        held_out : ndarray of int (B,)
            The fold each model holds out (``-1``: the full-data model).
        n_folds : int
            K of the fold rule.
        hessian : bool
            Also accumulate ``XᵀWX`` (the costly part, B p² per row).
        """
        ...


def is_source(obj) -> bool:
    """Whether ``obj`` is a statistics source (rather than an array-like X)."""
    return isinstance(obj, StatisticsSource)


# ------------------------------------------------------------------- per-batch pure kernels
@dataclass
class Batch:
    """One batch of rows as a pass sees it.

    Attributes
    ----------
    X : ndarray (m, p) float64 or float32
    y : ndarray (m,) float64
    fold : ndarray of int (m,)
    where : str
        The file or partition the rows come from.
    start : int
        Position of the first row within ``where`` (0-based).
    weight : ndarray (m,) float64 or None
        Sample weights (None: unit weights).
    """

    X: np.ndarray
    y: np.ndarray
    fold: np.ndarray
    where: str
    start: int
    weight: np.ndarray | None = None

    @property
    def rows(self) -> str:
        """``"rows a–b"`` (inclusive, within ``where``) for error messages."""
        return f"rows {self.start}\u2013{self.start + self.y.size - 1}"


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


def block_rows(q: int) -> int:
    """Rows of a float64 block with ``q`` columns that stays in a core's L2 cache (~1 MiB)."""
    return max(256, _BLOCK_BYTES // (8 * max(q, 1)))


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


def batch_glm_stats(batch: Batch, loss, coef: np.ndarray, intercept: np.ndarray,
                    held_out: np.ndarray, hessian: bool,
                    weights: np.ndarray | None = None,
                    check: tuple[Sequence[str], str, str | None] | None = None
                    ) -> GLMPassResult:
    """:class:`GLMPassResult` of one batch for B models (see :meth:`StatisticsSource.glm_pass`).

    ``weights`` (m,) are per-row sample weights (unit weights when None): every sum, the
    weight totals ``sw``/``held_sw`` included, is weighted. The rows are taken a cache-sized
    block at a time, so the products ``X_b w`` and ``X_bᵀ g`` (and the Hessian's ``syrk``)
    read each block of X from memory once. With ``check = (feature names, span, first_at)``
    each block is also checked for NaN/inf while it is in cache (:func:`check_finite`).
    """
    X = batch.X
    B, p = coef.shape
    encode = getattr(loss, "encode", None)  # e.g. class labels → 0/1
    if _compiled_pass_applies(X, loss, held_out, hessian, weights):
        return _compiled_gradient_pass(batch, loss, coef, intercept,
                                       encode(batch.y) if encode is not None else batch.y,
                                       check)
    out = GLMPassResult.zeros(B, p, hessian)
    R = block_rows(p * (3 if hessian else 1) + 4 * B)
    # one scaled-rows buffer for every block's Hessian: under Dask's worker setting
    # MALLOC_TRIM_THRESHOLD_ a fresh 2 MiB temporary per block page-faults every time
    # (measured 0.19 s instead of 0.11 s per 250,000 × 100 Hessian pass)
    buf = np.empty((min(R, X.shape[0]), p)) if hessian else None
    for a in range(0, X.shape[0], R):
        rows = slice(a, a + R)
        y = batch.y[rows]
        if check is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                if not np.isfinite(np.sum(X[rows], dtype=np.float64)):
                    check_finite(X, *check)  # raises, naming the row (unless an overflow)
        _glm_block(out, X[rows], (encode(y) if encode is not None else y)[:, None],
                   batch.fold[rows], None if weights is None else weights[rows], loss, coef,
                   intercept, held_out, hessian, buf)
    return out


def _compiled_pass_applies(X: np.ndarray, loss, held_out: np.ndarray, hessian: bool,
                           weights: np.ndarray | None) -> bool:
    """Whether :func:`ridgeline.stats.row_kernels.gradient_sums` can serve a batch's pass: a
    gradient-only pass of a loss it implements, unit weights, every row training every model,
    C-ordered float64 rows."""
    return (compiled_rows(X, held_out, hessian, weights)
            and getattr(loss, "name", None) in FAMILIES and X.shape[0] > 0)


def _compiled_gradient_pass(batch: Batch, loss, coef: np.ndarray, intercept: np.ndarray,
                            y: np.ndarray, check) -> GLMPassResult:
    """The gradient-only pass of one batch by the compiled row loop; its sums double as the
    NaN/inf check of the rows (a non-finite feature makes them non-finite)."""
    X = batch.X
    B, p = coef.shape
    value, grad_w, grad_b = gradient_sums(
        X, np.ascontiguousarray(y, dtype=np.float64), np.ascontiguousarray(coef),
        np.ascontiguousarray(intercept), FAMILIES[loss.name],
        float(getattr(loss, "eta_max", np.inf)))
    if check is not None and not (np.isfinite(value).all() and np.isfinite(grad_w).all()):
        check_finite(X, *check)  # raises, naming the row (else the model overflowed)
    out = GLMPassResult.zeros(B, p, False)
    out.sw += X.shape[0]
    out.loss += value
    out.grad_w += grad_w
    out.grad_b += grad_b
    return out


def _glm_block(out: GLMPassResult, X: np.ndarray, yb: np.ndarray, fold: np.ndarray,
               weights: np.ndarray | None, loss, coef: np.ndarray, intercept: np.ndarray,
               held_out: np.ndarray, hessian: bool, buf: np.ndarray | None) -> None:
    """Add one block of rows (X (r, p), encoded targets yb (r, 1)) to ``out`` in place
    (``buf``: a (≥ r, p) float64 workspace for the Hessian's scaled rows)."""
    eta = X @ coef.T + intercept[None, :]  # (r, B)
    val = loss.value(yb, eta)
    g, h = loss.derivatives(yb, eta)
    if weights is None and np.all(held_out < 0):  # every row trains every model, unit weight
        out.sw += X.shape[0]
        out.loss += val.sum(axis=0)
        out.grad_w += g.T @ X
        out.grad_b += g.sum(axis=0)
        if hessian:
            out.hess_wb += h.T @ X
            out.hess_bb += h.sum(axis=0)
            _add_scaled_grams(out.hess_ww, X, h, buf)
        return
    held = fold[:, None] == held_out[None, :]  # (r, B)
    tw = (~held).astype(np.float64)
    hw = held.astype(np.float64)
    if weights is not None:
        tw *= weights[:, None]
        hw *= weights[:, None]
    correct = ((eta > 0) == (yb > 0.5)).astype(np.float64)
    out.sw += tw.sum(axis=0)
    out.loss += np.einsum("mb,mb->b", tw, val)
    out.grad_w += (tw * g).T @ X
    out.grad_b += np.einsum("mb,mb->b", tw, g)
    out.held_sw += hw.sum(axis=0)
    out.held_loss += np.einsum("mb,mb->b", hw, val)
    out.held_correct += np.einsum("mb,mb->b", hw, correct)
    if hessian:
        th = tw * h
        out.hess_wb += th.T @ X
        out.hess_bb += th.sum(axis=0)
        _add_scaled_grams(out.hess_ww, X, th, buf)


def _add_scaled_grams(H: np.ndarray, X: np.ndarray, d: np.ndarray, buf: np.ndarray) -> None:
    """``H[j] += Xᵀ diag(d[:, j]) X`` for every model j (``d ≥ 0``), via ``buf``."""
    Xr = buf[:X.shape[0]]
    for j in range(d.shape[1]):
        np.multiply(X, np.sqrt(d[:, j])[:, None], out=Xr)
        H[j] += Xr.T @ Xr


def glm_models(coef, intercept, held_out, p: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The B scalar-η models of a :meth:`StatisticsSource.glm_pass` as float64/int64 arrays,
    or a ValueError when their shapes do not fit ``p`` features."""
    coef = np.asarray(coef, dtype=np.float64)
    intercept = np.asarray(intercept, dtype=np.float64)
    held_out = np.asarray(held_out, dtype=np.int64)
    if coef.ndim != 2:
        raise ValueError(f"glm_pass: coef must be (B, p), got {coef.shape}")
    B = coef.shape[0]
    if coef.shape[1] != p or intercept.shape != (B,) or held_out.shape != (B,):
        raise ValueError(f"glm_pass: coef {coef.shape}, intercept {intercept.shape}, "
                         f"held_out {held_out.shape} do not fit {p} features")
    return coef, intercept, held_out


def multinomial_models(coef, intercept, held_out, p: int, classes=None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """The B softmax models (and class labels) of a ``multinomial_pass`` as arrays, or a
    ValueError when their shapes do not fit ``p`` features."""
    coef = np.asarray(coef, dtype=np.float64)
    intercept = np.asarray(intercept, dtype=np.float64)
    held_out = np.asarray(held_out, dtype=np.int64)
    if coef.ndim != 3:
        raise ValueError(f"multinomial_pass: coef must be (B, p, C), got {coef.shape}")
    B, _, C = coef.shape
    if coef.shape[1] != p or intercept.shape != (B, C) or held_out.shape != (B,):
        raise ValueError(f"multinomial_pass: coef {coef.shape}, intercept "
                         f"{intercept.shape}, held_out {held_out.shape} do not fit "
                         f"{p} features")
    if classes is not None:
        classes = np.asarray(classes, dtype=np.float64)
        if classes.shape != (C,) or np.any(np.diff(classes) <= 0):
            raise ValueError(f"classes must be {C} sorted distinct labels")
    return coef, intercept, held_out, classes


def symmetric_hessians(out: GLMPassResult) -> GLMPassResult:
    """``out`` with every model's ``hess_ww`` made exactly symmetric (in place)."""
    if out.hess_ww is not None:
        for j in range(out.hess_ww.shape[0]):
            out.hess_ww[j] = symmetric(out.hess_ww[j])
    return out


# --------------------------------------------------------------------- the batch-driven base
class BatchSource(ABC):
    """A statistics source whose passes are loops over :class:`Batch` es (files, arrays).

    Subclasses yield raw batches from :meth:`_raw_batches`; this class checks them (finite
    values), assigns folds and implements the three passes.

    Parameters
    ----------
    feature_names : sequence of str
    target_name : str
    fold_column, group_column : str, optional
        Fold ids in ``[0, K)`` taken from a column, or folds hashed from an integer group id
        (all rows of a group share a fold). Default: hash of the global row position.
    seed : int
        Seed of the hashed assignment.
    weight_column : str, optional
        Column of non-negative sample weights (default: unit weights).
    """

    def __init__(self, feature_names: Sequence[str], target_name: str, *,
                 fold_column: str | None = None, group_column: str | None = None,
                 seed: int = 0, weight_column: str | None = None):
        if fold_column is not None and group_column is not None:
            raise ValueError("give fold_column or group_column, not both")
        self.feature_names = list(feature_names)
        self.target_name = target_name
        self.fold_column = fold_column
        self.group_column = group_column
        self.seed = int(seed)
        self.weight_column = weight_column
        if not self.feature_names:
            raise ValueError("a source needs at least one feature column")

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @property
    def key_column(self) -> str | None:
        return self.fold_column or self.group_column

    @abstractmethod
    def _raw_batches(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray | None,
                                             np.ndarray | None, str, int, int]]:
        """Yield ``(X (m, p), y (m,), key (m,) or None, weights (m,) or None, where, start,
        global_start)``."""

    def n_rows_hint(self) -> int | None:
        """Number of rows when known without a pass (for progress bars), else None."""
        return None

    # ---- batches ----------------------------------------------------------------------------
    def batches(self, n_folds: int,
                progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        """Checked batches with their fold ids, in global row order."""
        for X, y, key, w, where, start, gstart in self._raw_batches():
            m = y.shape[0]
            if m == 0:
                continue
            X = np.asarray(X)
            if X.dtype != np.float32:  # float32 is widened exactly where it is used
                X = np.asarray(X, dtype=np.float64)
            y = np.asarray(y, dtype=np.float64)
            span = f"{where} rows {start}\u2013{start + m - 1}"
            check_finite(X, self.feature_names, span)
            check_finite(y[:, None], [self.target_name], span)
            if w is not None:
                w = np.asarray(w, dtype=np.float64)
                check_finite(w[:, None], [self.weight_column], span)
                if np.any(w < 0):
                    i = int(np.flatnonzero(w < 0)[0])
                    raise SourceError(f"{span}: weight column {self.weight_column!r} has "
                                      f"negative values, first at row {start + i}")
            fold = self._folds(key, gstart, m, n_folds, span)
            yield Batch(X=X, y=y, fold=fold, where=where, start=start, weight=w)
            if progress is not None:
                progress(m)

    def _folds(self, key, gstart: int, m: int, n_folds: int, span: str) -> np.ndarray:
        if self.fold_column is not None:
            k = np.asarray(key)
            if k.dtype.kind == "f" and (not np.all(np.isfinite(k)) or np.any(k != np.round(k))):
                raise SourceError(f"{span}: fold column {self.fold_column!r} must hold "
                                      "integers")
            k = k.astype(np.int64)
            if k.min() < 0 or k.max() >= n_folds:
                raise SourceError(f"{span}: fold column {self.fold_column!r} has ids in "
                                  f"[{k.min()}, {k.max()}], outside [0, {n_folds})")
            return k
        if self.group_column is not None:
            k = np.asarray(key)
            if k.dtype.kind not in "iub" and (k.dtype.kind != "f" or np.any(k != np.round(k))):
                raise SourceError(f"{span}: group column {self.group_column!r} must hold "
                                  "integer ids")
            return hash_folds(k.astype(np.int64), n_folds, self.seed)
        return row_folds(gstart, gstart + m, n_folds, self.seed)

    # ---- passes -----------------------------------------------------------------------------
    def fold_moments(self, n_folds: int, *,
                     progress: Callable[[int], None] | None = None) -> FoldMomentsResult:
        """Total and per-fold moments in one pass (reference point: the first batch's means)."""
        accs: list[FoldMomentsAccumulator] = []
        n = 0
        # Batch i is reduced by worker i mod T into its own accumulator while the main thread
        # reads and converts the next batch; the T accumulators are added in a fixed order,
        # so the result does not depend on thread timing. Each worker uses one BLAS thread:
        # the per-batch Gram products are small, and a multi-threaded OpenBLAS spinning
        # against pyarrow's decoding threads (or other processes) was 4× slower per batch on
        # a loaded 2-core machine.
        T = _PASS_THREADS
        pending: list[Future | None] = [None] * T
        with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(T) as pool:
            try:
                for i, batch in enumerate(self.batches(n_folds, progress)):
                    if not accs:
                        shift_x = batch.X.mean(axis=0, dtype=np.float64)
                        shift_y = np.array([batch.y.mean()])
                        accs = [FoldMomentsAccumulator(n_folds, shift_x, shift_y)
                                for _ in range(T)]
                    w = i % T
                    if pending[w] is not None:
                        pending[w].result()
                    pending[w] = pool.submit(batch_fold_moments, accs[w], batch)
                    n += batch.y.size
            finally:
                for fut in pending:
                    if fut is not None:
                        fut.result()
        if not accs:
            raise SourceError(f"{self.describe()} has no rows")
        parts = [a.result()[1] for a in accs]
        folds = [sum(fs[1:], fs[0]) for fs in zip(*parts, strict=True)]
        total = sum(folds[1:], folds[0])
        return FoldMomentsResult(total=total, folds=folds, n_rows=n)

    def target_summary(self, n_folds: int, *,
                       progress: Callable[[int], None] | None = None,
                       columns: bool = False) -> TargetSummary:
        out = None
        for batch in self.batches(n_folds, progress):
            part = batch_target_summary(batch, n_folds, weights=batch.weight, columns=columns)
            out = part if out is None else out + part
        if out is None:
            raise SourceError(f"{self.describe()} has no rows")
        return out

    def glm_pass(self, loss, coef: np.ndarray, intercept: np.ndarray, held_out: np.ndarray,
                 n_folds: int, *, hessian: bool = True,
                 progress: Callable[[int], None] | None = None) -> GLMPassResult:
        coef, intercept, held_out = glm_models(coef, intercept, held_out, self.n_features)
        out = GLMPassResult.zeros(*coef.shape, hessian)
        for batch in self.batches(n_folds, progress):
            out = out + batch_glm_stats(batch, loss, coef, intercept, held_out, hessian,
                                        weights=batch.weight)
        return symmetric_hessians(out)

    def describe(self) -> str:
        return type(self).__name__

    def multinomial_pass(self, coef: np.ndarray, intercept: np.ndarray, held_out: np.ndarray,
                         n_folds: int, *, classes: np.ndarray | None = None,
                         hessian: bool = True,
                         progress: Callable[[int], None] | None = None
                         ) -> MultinomialPassResult:
        """Softmax loss, gradient and Hessian sums of B multinomial models in one pass.

        An extension of the protocol (whose :meth:`glm_pass` takes scalar-η losses only), as
        :meth:`ridgeline.distributed.DaskSource.multinomial_pass`.

        Parameters
        ----------
        coef : ndarray (B, p, C)
        intercept : ndarray (B, C)
        held_out : ndarray of int (B,)
            The fold each model holds out (``-1``: the full-data model).
        n_folds : int
        classes : ndarray (C,), optional
            Sorted class labels the targets take; default: the targets are indices in [0, C).
        hessian : bool, default=True

        Returns
        -------
        MultinomialPassResult

        Raises
        ------
        SourceError
            A target that is not one of the classes (naming the file and row), or bad data.
        """
        coef, intercept, held_out, classes = multinomial_models(
            coef, intercept, held_out, self.n_features, classes)
        B, p, C = coef.shape
        out = MultinomialPassResult.zeros(B, p, C, hessian)
        buffer = None
        for batch in self.batches(n_folds, progress):
            lab, bad = class_indices(batch.y, classes, C)
            if bad is not None:
                raise SourceError(f"{batch.where} {batch.rows}: target {float(batch.y[bad])!r} "
                                  f"at row {batch.start + bad} is not one of the {C} classes")
            if hessian:
                buffer = multinomial_workspace(buffer, batch.X)  # reused by every batch
            batch_multinomial_stats(batch.X, lab, batch.fold, coef, intercept, held_out,
                                    hessian, weights=batch.weight, out=out, buffer=buffer)
        return out


def check_finite(A: np.ndarray, names: Sequence[str], span: str,
                 first_at: str | None = None) -> None:
    """``SourceError`` naming ``span``, the first column of ``A`` (m, q) with NaN/inf values and
    their count; with ``first_at`` (e.g. ``"partition row"``) also the first such row.

    A finite sum of all entries proves them all finite (NaN and ±inf propagate through a sum)
    without an (m, q) boolean temporary; only a non-finite sum (bad values, or an overflow)
    takes the element-wise check."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(A, dtype=np.float64)):
            return
    bad = ~np.isfinite(A)
    if not bad.any():
        return
    counts = bad.sum(axis=0)
    j = int(np.flatnonzero(counts)[0])
    rows = np.flatnonzero(bad[:, j])
    kind = "NaN" if np.isnan(A[rows, j]).any() else "infinite"
    more = int((counts > 0).sum()) - 1
    extra = f" (and {more} more column{'s' if more > 1 else ''})" if more else ""
    where = f", first at {first_at} {int(rows[0])}" if first_at else ""
    raise SourceError(f"{span}: column {names[j]!r} has {int(counts[j])} {kind} "
                      f"value{'s' if counts[j] > 1 else ''}{where}{extra}")


# ------------------------------------------------------------------------- in-memory arrays
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
