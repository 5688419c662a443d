"""A penalized GLM problem: the data (a statistics source), the loss and the intercept.

Every GLM solver of ridgeline minimizes, for B models at once (the training sets of K-fold CV
and/or the full data), DESIGN.md's objective::

    f_j(W, b) = (1/n_j) Σ_{i ∈ train_j} s_i ℓ(y_i, x_iᵀW + b) + λ_j ‖W‖²_F

with W (p, m) and b (m,) (m = 1 for the binary and Poisson losses, m = C classes for the
softmax). A log-link loss (Poisson, Gamma, Tweedie) may carry a fixed per-row *offset* in
its linear predictor, ``η_i = x_iᵀW + b + o_i`` (glmnet's and glum's ``offset``: log
exposure for rates), held by the array source (``from_arrays(..., offset=o)``).

The rows are reached only through passes of the problem's statistics source
(:mod:`ridgeline.stats.source`) — an in-memory array, files or a Dask collection alike — so a
solver never asks what kind of data it has. Shapes throughout: W (B, p, m), b (B, m).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ridgeline.stats._array_rows import check_offset
from ridgeline.stats.array_source import ArraySource
from ridgeline.stats.members import member_roles, train_sums

#: Losses with a log link, the ones that take an offset (``getattr(loss, "link")`` may say so
#: for others).
LOG_LINK_LOSSES = ("poisson", "gamma", "tweedie")


@dataclass
class GLMProblem:
    """Data, loss and intercept of a penalized GLM fit (λ is given per call).

    Parameters
    ----------
    source : StatisticsSource
        The rows (with their fold rule or splits).
    loss : a loss of :mod:`ridgeline.losses`
        Binary and Poisson losses take ``glm_pass``; the softmax loss ``multinomial_pass``.
    fit_intercept : bool
    classes : ndarray (C,), optional
        Multinomial: the sorted labels the targets take (None: the targets are class indices
        in ``[0, n_classes)``).
    n_classes : int, optional
        Multinomial: the number of classes C (default ``len(classes)``).
    progress : callable, optional
        Called with the rows read by every pass.
    """

    source: object
    loss: object
    fit_intercept: bool = True
    classes: np.ndarray | None = None
    n_classes: int | None = None
    progress: Callable[[int], None] | None = None

    def __post_init__(self) -> None:
        if self.loss.multi:
            if self.n_classes is None:
                if self.classes is None:
                    raise ValueError("a multinomial problem needs classes or n_classes")
                self.n_classes = len(self.classes)
            if self.n_classes < 2:
                raise ValueError(f"a multinomial problem needs 2 or more classes, got "
                                 f"{self.n_classes}")
        if self.offset is not None and not has_log_link(self.loss):
            raise ValueError(f"an offset needs a log-link model (Poisson, Gamma, Tweedie); "
                             f"the {getattr(self.loss, 'name', type(self.loss).__name__)} "
                             "loss takes none")

    @classmethod
    def from_arrays(cls, X, y, sample_weight, loss, fit_intercept: bool = True, *,
                    n_classes: int | None = None, splits=None, offset=None) -> GLMProblem:
        """A problem over validated in-memory arrays: X (n, p) dense or sparse, y (n,)
        encoded for the loss (0/1, counts, or class indices for the softmax), weights (n,),
        optionally the (train, test) splits of cross-validation, and an offset (n,) of the
        linear predictor (log-link losses; checked finite here)."""
        # the rows were validated by the caller; the offset is checked here
        offset = check_offset(offset, X.shape[0], True)
        src = ArraySource(X, y, sample_weight=sample_weight, splits=splits, check=False,
                          offset=offset)
        return cls(src, loss, fit_intercept, n_classes=n_classes)

    def with_splits(self, splits) -> GLMProblem:
        """The same in-memory problem with the (train, test) splits of cross-validation."""
        src = self.source
        if not isinstance(src, ArraySource):
            raise TypeError("explicit splits need an in-memory problem; a file or Dask source "
                            "has its own fold rule")
        split_src = ArraySource(src.X, src.y, sample_weight=src.s, splits=splits, check=False,
                                offset=src.offset)
        return GLMProblem(split_src, self.loss, self.fit_intercept, self.classes,
                          self.n_classes, self.progress)

    @property
    def offset(self) -> np.ndarray | None:
        """The source's offset (n,) of the linear predictor, or None."""
        return getattr(self.source, "offset", None)

    @property
    def multi(self) -> bool:
        return bool(self.loss.multi)

    @property
    def n_features(self) -> int:
        return int(self.source.n_features)

    @property
    def n_outputs(self) -> int:
        return int(self.n_classes) if self.multi else 1

    def run_pass(self, W: np.ndarray, b: np.ndarray, held_out: np.ndarray, n_folds: int,
                 hessian: bool):
        """One pass for models (W (B, p, m), b (B, m)) holding out ``held_out`` (B,)."""
        if self.multi:
            run = getattr(self.source, "multinomial_pass", None)
            if run is None:
                raise TypeError(f"{type(self.source).__name__} has no multinomial_pass: "
                                "multinomial logistic regression needs an array, file or Dask "
                                "source")
            return run(W, b, held_out, n_folds, classes=self.classes, hessian=hessian,
                       progress=self.progress)
        return self.source.glm_pass(self.loss, W[:, :, 0], b[:, 0], held_out, n_folds,
                                    hessian=hessian, progress=self.progress)

    def null_start(self, summary, held_out: np.ndarray, n_folds: int
                   ) -> tuple[np.ndarray, np.ndarray]:
        """The null model of each member: W = 0 and, with an intercept, the best constant
        on its training rows (binary and Poisson, from the target ``summary``, whose per-fold
        sums may be for any fold count: the members' folds are read from it); the softmax
        starts at b = 0 (its first Newton step finds the class frequencies). With an offset o
        the constant is ``log(Σ s y / Σ s e^o)`` over the training rows (Poisson's exact
        null model, the others' start)."""
        held_out = np.asarray(held_out, dtype=np.int64)
        B, p, m = held_out.size, self.n_features, self.n_outputs
        W, b = np.zeros((B, p, m)), np.zeros((B, m))
        if not self.fit_intercept or self.multi:
            return W, b
        train, _ = member_roles(self.source, held_out, summary.sw.size)
        sw, sy = train_sums(train, summary.sw), train_sums(train, summary.sy)
        positive = getattr(self.loss, "positive", None)
        if getattr(self.loss, "encode", None) is not None and positive is not None \
                and summary.values is not None and summary.values.size == 2:
            # labels a (positive) and c: Σ s [y = a] = (Σ s y − c Σ s) / (a − c)
            other = float(summary.values[summary.values != positive][0])
            sy = (sy - other * sw) / (positive - other)
        if self.offset is not None:  # the mean count per unit of exposure
            sw = train_sums(train, self.source.offset_sums(summary.sw.size))
        for j in range(B):
            if sw[j] > 0:
                b[j, 0] = self.loss.null_eta(np.array([sy[j] / sw[j]]), np.array([1.0]))
        return W, b

    def train_weights(self, summary, held_out: np.ndarray, n_folds: int) -> np.ndarray:
        """Each member's total training weight ``n_w,j`` (B,) from the target summary."""
        train, _ = member_roles(self.source, np.asarray(held_out, dtype=np.int64),
                                summary.sw.size)
        return train_sums(train, summary.sw)


def has_log_link(loss) -> bool:
    """Whether ``loss`` has a log link (its mean is ``e^η``): the losses an offset suits."""
    return getattr(loss, "link", None) == "log" or getattr(loss, "name", None) in LOG_LINK_LOSSES
