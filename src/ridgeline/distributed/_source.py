"""A statistics source over a Dask collection: passes mapped over partitions, tree-reduced.

Each pass builds one task per partition (:func:`ridgeline.distributed._kernels.partition_pass`,
which checks the rows, assigns their folds from the global row positions and returns one small
result) — or, when the workers of a distributed cluster hold the partitions, one task per few
partitions of the same worker (:func:`~ridgeline.distributed._kernels.group_pass`) — and a tree
of ``+`` tasks, ``split_every`` inputs each, over them. Only the root — a
few p×p matrices per fold or model — is sent to the client; the rows never leave the workers.
Under a :class:`distributed.Client` the tasks run on the cluster, otherwise on Dask's default
scheduler; a worker lost mid-pass is recovered by Dask recomputing its tasks (the tasks are
pure functions of their partition), so a pass either completes with the answer or raises.

This module holds :class:`DaskSource` (its parameters, the protocol's passes and the
reference point) and :func:`as_source`; the checked inputs and partition pieces come from
:mod:`ridgeline.distributed._inputs`, the task graph of a pass from
:mod:`ridgeline.distributed._tasks`.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Sequence

import dask.array as da
import numpy as np

from ridgeline.distributed._inputs import array_layout, frame_layout, is_frame
from ridgeline.distributed._kernels import (
    FoldMomentsSum,
    MultinomialPassResult,
    PassSpec,
)
from ridgeline.distributed._tasks import PartitionTasks, _spread
from ridgeline.stats.batch_loo import LooModel, LooPassResult, check_loo_model
from ridgeline.stats.moments import Moments, symmetric
from ridgeline.stats.source import (
    FoldMomentsResult,
    GLMPassResult,
    SourceError,
    TargetSummary,
    glm_models,
    multinomial_models,
    symmetric_hessians,
)


class DaskSource(PartitionTasks):
    """Rows of a ``dask.array``/``dask.dataframe`` as a :class:`~ridgeline.stats.StatisticsSource`.

    Parameters
    ----------
    X : dask.array (n, p) or dask.dataframe.DataFrame
        Features. An array is rechunked to whole rows (one chunk across the columns); a data
        frame's partitions are used as they are.
    y : dask.array (n,) or (n, k), ndarray, dask Series/DataFrame, or column name(s) of X
        Targets, aligned with X's partitions (an ndarray is cut like X).
    sample_weight : same kinds as ``y`` (one column), optional
        Non-negative weights; default unit weights.
    feature_names : sequence of str, optional
        Data frame: the feature columns (default: every column not used as target, weight,
        fold or group). Array: the names (default ``x0, x1, ...``).
    folds : same kinds as ``sample_weight``, optional
        Explicit fold ids in ``[0, K)`` (the protocol's fold column).
    groups : same kinds as ``sample_weight``, optional
        Integer group ids, hashed to folds (a group's rows share a fold).
    seed : int, default=0
        Seed of the hashed fold assignment. Without ``folds``/``groups`` a row's fold is the
        hash of its *global* row position, identical to an in-memory or file source's whatever
        the partitioning.
    split_every : int, default=8
        Fan-in of the reduction tree.
    retries : int, optional
        Passed to the distributed scheduler (extra retries of a failed task).
    partitions_per_task : int or "auto", default="auto"
        On a distributed cluster whose workers hold the partitions (persisted data), a pass
        runs one task per this many partitions of one worker: fewer tasks to schedule, and
        still no data moved. ``"auto"``: as many tasks per worker as it has threads (on a
        2-worker local cluster a pass then costs ~40 ms of scheduling instead of ~70 ms with
        four partitions per task, 140 ms with one).

    Attributes
    ----------
    feature_names : list of str
    target_name : str
        The first target's name; ``target_names`` lists all of them.
    seed : int
    partition_rows : ndarray of int
        Rows per partition.
    partition_starts : ndarray of int
        Global position of each partition's first row (what its hashed folds are computed from).
    in_memory : bool
        True: the rows live in the workers' memory (or are computed there), so a pass costs
        flops rather than reads and solvers may trade Hessians for cheaper passes.
    """

    in_memory = True

    def __init__(self, X, y, sample_weight=None, *, feature_names: Sequence[str] | None = None,
                 folds=None, groups=None, seed: int = 0, split_every: int = 8,
                 retries: int | None = None, partitions_per_task: int | str = "auto"):
        if folds is not None and groups is not None:
            raise ValueError("give folds or groups, not both")
        if int(split_every) < 2:
            raise ValueError(f"split_every must be at least 2, got {split_every}")
        self.seed = int(seed)
        self.split_every = int(split_every)
        self.retries = retries
        if partitions_per_task != "auto" and (isinstance(partitions_per_task, str)
                                              or int(partitions_per_task) < 1):
            raise ValueError("partitions_per_task must be 'auto' or at least 1, got "
                             f"{partitions_per_task!r}")
        self.partitions_per_task = (partitions_per_task if partitions_per_task == "auto"
                                    else int(partitions_per_task))
        self.fold_rule = "fold" if folds is not None else "group" if groups is not None \
            else "hash"
        key = folds if folds is not None else groups
        if is_frame(X):
            layout = frame_layout(X, y, sample_weight, key, feature_names, self.fold_rule)
        elif isinstance(X, da.Array):
            layout = array_layout(X, y, sample_weight, key, feature_names, self.fold_rule)
        else:
            raise TypeError(f"DaskSource needs a dask.array or dask.dataframe X, got "
                            f"{type(X).__name__}")
        self.feature_names, self.target_names = layout.feature_names, layout.target_names
        self.partition_rows, self._pieces = layout.partition_rows, layout.pieces
        self.kind = layout.kind
        if not self.feature_names:
            raise ValueError("a source needs at least one feature column")
        self.target_name = self.target_names[0]
        self.offsets = np.concatenate([[0], np.cumsum(self.partition_rows)]).astype(np.int64)
        self.partition_starts = self.offsets[:-1]
        self.partition_ids = np.arange(self.partition_rows.size)
        self._shift: tuple[np.ndarray, np.ndarray] | None = None
        self._features_checked = False

    # ---- protocol attributes --------------------------------------------------------------
    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @property
    def n_targets(self) -> int:
        return len(self.target_names)

    @property
    def n_partitions(self) -> int:
        return len(self._pieces)

    def n_rows_hint(self) -> int:
        """Number of rows (known from the partitioning)."""
        return int(self.partition_rows.sum())

    def describe(self) -> str:
        return (f"DaskSource({self.n_rows_hint()}×{self.n_features}, "
                f"{self.n_partitions} partitions)")

    def subset(self, n_rows: int) -> DaskSource:
        """A source over evenly spaced partitions holding at least ``n_rows`` rows.

        When the partitions are held by the workers of a ``distributed`` cluster (persisted),
        the subset takes as many from every worker as it can, so its passes use them all.

        The partitions keep their global row positions (hence their folds) and the reference
        point; solvers fit such a subset first to start the full fit near its answer with a
        curvature it can reuse (:func:`ridgeline.solvers.glm_fit.subset_then_full`).
        Returns ``self`` when the subset would be most of the data.
        """
        rows = self.partition_rows
        nonempty = np.flatnonzero(rows > 0)
        if nonempty.size == 0:
            return self
        need = int(np.ceil(n_rows / max(rows[nonempty].mean(), 1.0)))
        if need * 2 > nonempty.size:
            return self
        found = self._locations(nonempty)
        parts = _spread(nonempty, need, None if found is None else found[0])
        self.reference_point()  # shared with the subset
        sub = copy.copy(self)
        sub._pieces = [self._pieces[i] for i in parts]
        sub.partition_rows = rows[parts]
        sub.partition_starts = self.partition_starts[parts]
        sub.partition_ids = self.partition_ids[parts]
        return sub

    # ---- the machinery --------------------------------------------------------------------
    def _spec(self, kind: str, n_folds: int = 1, **kw) -> PassSpec:
        if int(n_folds) < 1:
            raise ValueError(f"n_folds must be at least 1, got {n_folds}")
        return PassSpec(kind=kind, n_folds=int(n_folds), seed=self.seed,
                        fold_rule=self.fold_rule, feature_names=tuple(self.feature_names),
                        target_names=tuple(self.target_names),
                        check_features=not self._features_checked, **kw)

    def _run(self, spec: PassSpec, progress: Callable[[int], None] | None):
        if self.n_rows_hint() == 0:
            raise SourceError(f"{self.describe()} has no rows")
        out = self._compute(self.reduction(spec))
        if _reads_features(spec):
            self._features_checked = True  # every partition passed the NaN/inf check
        if progress is not None:
            progress(self.n_rows_hint())
        return out

    def reference_point(self) -> tuple[np.ndarray, np.ndarray]:
        """Weighted means of the first non-empty partition: the shift of every moment pass."""
        if self._shift is None:
            nonempty = np.flatnonzero(self.partition_rows > 0)
            if nonempty.size == 0:
                raise SourceError(f"{self.describe()} has no rows")
            spec = self._spec("shift")
            (leaf,) = self._leaves(spec, uuid.uuid4().hex[:12], [int(nonempty[0])])
            sw, sx, sy = self._compute(leaf)
            sw = sw if sw > 0 else 1.0
            self._shift = (np.asarray(sx) / sw, np.asarray(sy) / sw)
        return self._shift

    # ---- the passes -----------------------------------------------------------------------
    def fold_moments(self, n_folds: int, *,
                     progress: Callable[[int], None] | None = None) -> FoldMomentsResult:
        """Total and per-fold moments of (X, Y) (weighted, every target) in one pass.

        The moments are about :meth:`reference_point`; with ``k`` targets they have ``k``
        columns (``C``, ``sy``, ``yy``), and with sample weights ``sw``, ``G``, ... are
        weighted sums (``n`` still counts rows).
        """
        sx, sy = self.reference_point()
        res: FoldMomentsSum = self._run(self._spec("moments", n_folds, shift_x=sx, shift_y=sy),
                                        progress)
        total = res.folds[0]
        for f in res.folds[1:]:
            total = total + f
        return FoldMomentsResult(total=_sym_moments(total), folds=[_sym_moments(f)
                                                                   for f in res.folds],
                                 n_rows=int(res.n_rows))

    def target_summary(self, n_folds: int, *,
                       progress: Callable[[int], None] | None = None,
                       columns: bool = False) -> TargetSummary:
        """Rows, weighted target sums per fold and the distinct target values (first target);
        with ``columns`` also the weighted feature sums and sums of squares."""
        self._single_target("target_summary")
        return self._run(self._spec("summary", n_folds, columns=bool(columns)), progress)

    def glm_pass(self, loss, coef: np.ndarray, intercept: np.ndarray, held_out: np.ndarray,
                 n_folds: int, *, hessian: bool = True,
                 progress: Callable[[int], None] | None = None) -> GLMPassResult:
        """Weighted loss, gradient and Hessian sums of B scalar-η models (see the protocol)."""
        self._single_target("glm_pass")
        coef, intercept, held_out = glm_models(coef, intercept, held_out, self.n_features)
        out: GLMPassResult = self._run(self._spec(
            "glm", n_folds, loss=loss, coef=coef, intercept=intercept, held_out=held_out,
            hessian=bool(hessian)), progress)
        return symmetric_hessians(out)

    def multinomial_pass(self, coef: np.ndarray, intercept: np.ndarray, held_out: np.ndarray,
                         n_folds: int, *, classes: np.ndarray | None = None,
                         hessian: bool = True,
                         progress: Callable[[int], None] | None = None
                         ) -> MultinomialPassResult:
        """Softmax loss, gradient and Hessian sums of B multinomial models in one pass.

        An extension of the protocol (whose :meth:`glm_pass` takes scalar-η losses only).

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
        """
        self._single_target("multinomial_pass")
        coef, intercept, held_out, classes = multinomial_models(
            coef, intercept, held_out, self.n_features, classes)
        return self._run(self._spec("multinomial", n_folds, coef=coef, intercept=intercept,
                                    held_out=held_out, hessian=bool(hessian),
                                    classes=classes), progress)

    def loo_pass(self, model: LooModel, *,
                 progress: Callable[[int], None] | None = None) -> LooPassResult:
        """Sums of the exact leave-one-out errors of L ridge fits (every target) in one pass.

        As :meth:`ridgeline.stats.batch_source.BatchSource.loo_pass`, weighted by the sample
        weights; ``model`` has one column per target. Returns ``Σ s_i e_i²`` and
        ``Σ s_i e_i⁴`` (L, k).
        """
        check_loo_model(model, self.n_features, self.n_targets)
        return self._run(self._spec("loo", 1, loo=model), progress)

    def _single_target(self, what: str) -> None:
        if self.n_targets != 1:
            raise ValueError(f"{what} needs a single target, this source has "
                             f"{self.n_targets}")


def _reads_features(spec: PassSpec) -> bool:
    """Whether a pass uses the features (a target summary without columns does not, and
    neither checks nor needs them)."""
    return spec.kind != "summary" or spec.columns


def _sym_moments(m: Moments) -> Moments:
    m.G = symmetric(m.G)
    return m


def as_source(X, y=None, sample_weight=None, **fold_rule) -> DaskSource:
    """A :class:`DaskSource` for a Dask collection X (returned as is when already a source).

    Parameters
    ----------
    X : dask.array or dask.dataframe.DataFrame, or DaskSource
    y, sample_weight : see :class:`DaskSource`
    **fold_rule
        ``folds=``, ``groups=``, ``seed=`` (and ``feature_names``, ``split_every``,
        ``retries``), passed to :class:`DaskSource`.
    """
    if isinstance(X, DaskSource):
        if y is not None or sample_weight is not None:
            raise ValueError("a DaskSource already holds its targets and weights: pass y=None "
                             "and sample_weight=None")
        return X
    if y is None:
        raise ValueError("y is required with a Dask collection X (a column name for a data "
                         "frame)")
    return DaskSource(X, y, sample_weight, **fold_rule)
