"""Statistics sources: data that answers *passes* over its rows with small (p×p) results.

A statistics source is where the rows live — an in-memory array
(:class:`~ridgeline.stats.array_source.ArraySource`: NumPy, SciPy sparse, float32), files on
disk (:mod:`ridgeline.stats.files`), a Dask collection
(:class:`~ridgeline.distributed.DaskSource`) or an array of another library
(:mod:`ridgeline.backend`) — together with its fold rule. The solvers never see the rows; they
ask for passes, each returning one small result dataclass:

- :meth:`StatisticsSource.fold_moments` — the total and per-fold :class:`~ridgeline.stats.Moments`
  of (X, y) in one pass: everything ridge K-fold CV over any λ grid needs.
- :meth:`StatisticsSource.target_summary` — per-fold row counts and target sums and the
  distinct target values (class labels, Poisson checks, GLM starting points).
- :meth:`StatisticsSource.glm_pass` — for B models (the K fold models and/or the full-data
  model) at their current coefficients: each model's loss, gradient and Hessian ``XᵀWX`` summed
  over its training rows, and its loss and accuracy on its held-out fold. One Newton/IRLS
  iteration of every fold costs one pass.
- ``multinomial_pass`` (optional) — the same for softmax models
  (:class:`~ridgeline.stats.multinomial.MultinomialPassResult`).

Folds come from the source's fold rule: a hash of the row's global position with a seed
(:mod:`ridgeline.stats.folds`), the hash of an integer group column, or an explicit fold
column holding ids in ``[0, K)``; an in-memory source may instead hold any list of
(train, test) splits (model j then trains on split ``held_out[j]``'s training rows). All sums
are float64 and weighted by the source's sample weights (a weight column; unit weights
without one).

Batch-driven sources (files) and Dask partitions run the pure per-batch kernels of
:mod:`ridgeline.stats.batch_moments` and :mod:`ridgeline.stats.batch_glm` and add the results
(every result has ``+``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from ridgeline.stats.moments import Moments, symmetric

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
