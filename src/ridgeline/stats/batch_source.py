"""The batch-driven statistics source: passes as loops over checked batches (files)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

from ridgeline.stats.batch import Batch, check_finite
from ridgeline.stats.batch_glm import batch_glm_stats
from ridgeline.stats.batch_loo import LooModel, LooPassResult, batch_loo_sums, check_loo_model
from ridgeline.stats.batch_moments import batch_fold_moments, batch_target_summary
from ridgeline.stats.folds import hash_folds, row_folds
from ridgeline.stats.moments import FoldMomentsAccumulator
from ridgeline.stats.multinomial import (
    MultinomialPassResult,
    batch_multinomial_stats,
    class_indices,
)
from ridgeline.stats.source import (
    FoldMomentsResult,
    GLMPassResult,
    SourceError,
    TargetSummary,
    glm_models,
    multinomial_models,
    symmetric_hessians,
)

#: Worker threads of a fold-moments pass (each reduces every T-th batch, one BLAS thread each).
_PASS_THREADS = 2


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

    #: Check every batch's values (False: the rows were checked where they were made).
    check_rows = True

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
            if self.check_rows:
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
        if int(n_folds) == 1:  # one fold: every row in it, whatever the fold rule says
            return np.zeros(m, dtype=np.int64)
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

    def loo_pass(self, model: LooModel, *,
                 progress: Callable[[int], None] | None = None) -> LooPassResult:
        """Sums of the exact leave-one-out errors of L ridge fits over every row, in one pass.

        An extension of the protocol (as :meth:`multinomial_pass`), also answered by
        :meth:`ridgeline.distributed.DaskSource.loo_pass`.

        Parameters
        ----------
        model : LooModel
            The full-data fits of L penalties (:func:`ridgeline.selection.loo.loo_model`).

        Returns
        -------
        LooPassResult
            ``Σ s_i e_i²`` and ``Σ s_i e_i⁴`` (L, 1) of the LOO residuals
            ``e_i = (y_i − ŷ_i)/(1 − h_i)`` (:mod:`ridgeline.stats.batch_loo`).
        """
        check_loo_model(model, self.n_features, 1)
        out = LooPassResult.zeros(model.n_penalties, 1)
        for batch in self.batches(1, progress):
            out = out + batch_loo_sums(model, batch.X, batch.y[:, None], batch.weight)
        if out.n_rows == 0:
            raise SourceError(f"{self.describe()} has no rows")
        return out

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
        for batch in self.batches(n_folds, progress):
            lab, bad = class_indices(batch.y, classes, C)
            if bad is not None:
                raise SourceError(f"{batch.where} {batch.rows}: target {float(batch.y[bad])!r} "
                                  f"at row {batch.start + bad} is not one of the {C} classes")
            batch_multinomial_stats(batch.X, lab, batch.fold, coef, intercept, held_out,
                                    hessian, weights=batch.weight, out=out)
        return out
