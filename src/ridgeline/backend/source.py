"""Arrays of any array-API library as a statistics source: the numeric layer of the one engine.

:class:`ArrayAPISource` answers the passes of :mod:`ridgeline.stats.source` over (X, y) held
by NumPy, PyTorch (on any device), CuPy or another namespace that ``array_api_compat``
recognizes. The heavy work — the Gram GEMMs of the moments pass, ``X Wᵀ``, the per-row loss
terms and the Hessian GEMMs of a GLM pass — runs in X's namespace and on its device; only the
small results (O(B p²) numbers) come back, as NumPy float64 in the protocol's dataclasses. So
the solvers, paths and selection of ridgeline (one ridge CV from moments, one Newton, one
L-BFGS) fit a torch tensor on a GPU exactly as they fit a NumPy array, a file or a Dask
collection: :mod:`ridgeline.backend.ridge` and :mod:`ridgeline.backend.logistic` only wrap
them.

Folds: ``folds`` gives each row's fold id (any integers, mapped in sorted order to
``0..K−1``); ``held_out[j] = k`` in a pass is the model trained on the other folds and scored
on fold k, ``-1`` the full data. A pass with ``n_folds = 1`` sees every row as fold 0, one
with ``n_folds ≥ K`` the given folds. Without ``folds`` the rows are hashed to folds by
position, the rule of :class:`~ridgeline.stats.ArraySource` and the file sources
(:func:`ridgeline.stats.predefined_test_fold`).

Precision: float32 X stays float32 in the GEMMs, accumulated in float64 (see
:mod:`ridgeline.backend.gram` and :mod:`ridgeline.backend.passes`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import numpy as np

from ridgeline.backend.array_api import (
    DEFAULT_CHUNK_ROWS,
    as_vector,
    check_design,
    check_finite,
    check_folds,
    check_weights,
    chunk_bounds,
    make_backend,
    to_host,
    to_numpy,
)
from ridgeline.backend.gram import augmented_moments
from ridgeline.backend.passes import FAMILIES, GLMSums, SoftmaxSums
from ridgeline.stats.folds import row_folds
from ridgeline.stats.moments import Moments
from ridgeline.stats.multinomial import MultinomialPassResult, class_indices
from ridgeline.stats.source import (
    MAX_TARGET_VALUES,
    FoldMomentsResult,
    GLMPassResult,
    SourceError,
    TargetSummary,
    glm_models,
    multinomial_models,
)


class ArrayAPISource:
    """(X, y) of one array-API namespace and device as a statistics source.

    Parameters
    ----------
    X : array (n, p)
        Real floating (float32 stays float32), integer or boolean (promoted to float64); at
        least 2 rows, finite.
    y : array (n,) (or (n, 1))
        Targets, same namespace and device; finite.
    folds : array (n,) of int, optional
        Fold id of each row (any namespace; at least two distinct ids). Default: folds hashed
        from the row positions with ``seed``.
    sample_weight : array (n,), optional
        Non-negative weights with a positive sum (default 1).
    chunk_rows : int
        Rows per GEMM (bounds float32 rounding and the size of temporaries).
    feature_names : sequence of str, optional
    target_name : str, default="y"
    seed : int, default=0
        Seed of the hashed folds.

    Attributes
    ----------
    backend : Backend
        Namespace, device and dtypes.
    design, target, weights : arrays (n, p), (n,), (n,)
        The validated X (in its dtype), y and weights (accumulation dtype), on the device.
    fold_labels : ndarray (K,) or None
        The distinct fold ids given (their order is the fold order 0..K−1).
    in_memory : bool
        True: a pass costs flops, not reads.
    """

    in_memory = True

    def __init__(self, X, y, folds=None, sample_weight=None, *,
                 chunk_rows: int = DEFAULT_CHUNK_ROWS,
                 feature_names: Sequence[str] | None = None, target_name: str = "y",
                 seed: int = 0):
        bk = make_backend(X, y, sample_weight)
        self.backend = bk
        self.design = check_design(bk, X)
        n, p = self.design.shape
        self.target = bk.to_acc(as_vector(bk, y, n, "y"))
        check_finite(bk, self.target, "y")
        self.weights = check_weights(bk, sample_weight, n)
        self.weighted = sample_weight is not None
        self.fold_labels, self._given = None, None
        if folds is not None:
            self.fold_labels, rows = check_folds(folds, n)
            self._given = np.empty(n, dtype=np.int64)
            for k, r in enumerate(rows):
                self._given[r] = k
        chunk_bounds(n, chunk_rows)  # validates chunk_rows
        self.chunk_rows = int(chunk_rows)
        self.feature_names = [f"x{j}" for j in range(p)] if feature_names is None \
            else list(feature_names)
        if len(self.feature_names) != p:
            raise ValueError(f"{len(self.feature_names)} feature names for {p} features")
        self.target_name = target_name
        self.seed = int(seed)
        self._cache: dict = {}

    # ---- shape, folds and targets ---------------------------------------------------------
    @property
    def n_features(self) -> int:
        return int(self.design.shape[1])

    @property
    def n_rows(self) -> int:
        return int(self.design.shape[0])

    def n_rows_hint(self) -> int:
        return self.n_rows

    def describe(self) -> str:
        bk = self.backend
        return f"ArrayAPISource({self.n_rows}×{self.n_features}, {bk.name}:{bk.device})"

    def fold_ids(self, n_folds: int) -> np.ndarray:
        """Fold id in ``[0, n_folds)`` of every row (n,), on the host.

        Raises
        ------
        ValueError
            When the source holds K given folds and ``1 < n_folds < K``.
        """
        n_folds = int(n_folds)
        if n_folds < 1:
            raise ValueError(f"n_folds must be at least 1, got {n_folds}")
        if n_folds == 1:
            return np.zeros(self.n_rows, dtype=np.int64)
        if self._given is None:
            return row_folds(0, self.n_rows, n_folds, self.seed)
        K = self.fold_labels.size
        if n_folds < K:
            raise ValueError(f"this source holds {K} folds; a pass asked for {n_folds}")
        return self._given

    def with_target(self, y) -> ArrayAPISource:
        """The same rows, folds and weights with targets ``y`` (n,) (e.g. labels encoded as
        0/1); y is taken as it is (same namespace and device, no checks)."""
        out = copy.copy(self)
        out.target = self.backend.to_acc(y)
        out._cache = {}
        return out

    def _reference(self):
        """The reference point: the mean of the first ``chunk_rows`` rows (as
        :class:`~ridgeline.stats.ArraySource`'s first batch), as ``(x shift on the device in
        X's dtype, the same on the host (p,), y shift (1,))``, cached."""
        if "reference" not in self._cache:
            bk, xp = self.backend, self.backend.xp
            m = min(self.n_rows, self.chunk_rows)
            shift = bk.to_out(xp.mean(bk.to_acc(self.design[:m, ...]), axis=0))
            self._cache["reference"] = (shift, to_host(shift),
                                        np.array([float(xp.mean(self.target[:m]))]))
        return self._cache["reference"]

    def _codes(self, n_folds: int):
        """:meth:`fold_ids` on the device (int64), cached."""
        key = ("codes", int(n_folds))
        if key not in self._cache:
            self._cache[key] = self.backend.xp.asarray(self.fold_ids(n_folds),
                                                      device=self.backend.device)
        return self._cache[key]

    def _encoded(self, loss):
        """Targets (n, 1) on the device, mapped by ``loss.encode`` when the loss has one."""
        encode = getattr(loss, "encode", None)
        key = ("encoded", type(loss), getattr(loss, "positive", None))
        if key not in self._cache:
            y = self.target
            if encode is not None:  # label bookkeeping: once per loss, on the host
                y = self.backend.asarray(np.asarray(encode(to_numpy(y)), dtype=np.float64))
            self._cache[key] = self.backend.xp.reshape(y, (-1, 1))
        return self._cache[key]

    def _chunks(self, held_out: np.ndarray, n_folds: int):
        """``(X rows, y rows, training weights (m, B), held-out weights (m, B))`` per chunk:
        a row's weight where it trains / scores model j, else 0."""
        bk, xp = self.backend, self.backend.xp
        codes = self._codes(n_folds)
        held = xp.asarray(np.asarray(held_out, dtype=np.int64), device=bk.device)
        for a, b in chunk_bounds(self.n_rows, self.chunk_rows):
            s = xp.reshape(self.weights[a:b], (-1, 1))
            hw = xp.where(xp.reshape(codes[a:b], (-1, 1)) == held, s, 0.0)
            yield self.design[a:b, ...], slice(a, b), s - hw, hw

    # ---- passes ---------------------------------------------------------------------------
    def fold_moments(self, n_folds: int, *,
                     progress: Callable[[int], None] | None = None) -> FoldMomentsResult:
        """Total and per-fold :class:`~ridgeline.stats.Moments` of (X, y) in one pass (one
        GEMM of the rows ``[X − shift, y − shift_y, 1]`` per fold and chunk), about the
        reference point of :meth:`_reference`."""
        bk = self.backend
        shift_dev, shift_x, shift_y = self._reference()
        ids = self.fold_ids(n_folds)
        folds = []
        for k in range(int(n_folds)):
            rows = np.flatnonzero(ids == k)
            m = Moments.zeros(shift_x, shift_y)
            if rows.size:
                aug = augmented_moments(bk, self.design, self.target, self.weights, rows,
                                        shift_dev, bk.asarray(shift_y[0]),
                                        weighted=self.weighted, chunk_rows=self.chunk_rows)
                m = _moments(to_host(aug.A), rows.size,
                             shift_x, shift_y)
            folds.append(m)
        if progress is not None:
            progress(self.n_rows)
        return FoldMomentsResult(total=sum(folds[1:], folds[0]), folds=folds,
                                 n_rows=self.n_rows)

    def target_summary(self, n_folds: int, *,
                       progress: Callable[[int], None] | None = None,
                       columns: bool = False) -> TargetSummary:
        """Rows, weight and target sums per fold, the distinct targets and (``columns``) the
        features' weighted sums and sums of squares, in one pass."""
        bk, xp = self.backend, self.backend.xp
        F = int(n_folds)
        ids, codes = self.fold_ids(F), self._codes(F)
        folds = xp.asarray(np.arange(F), device=bk.device)
        sw, sy = bk.zeros((F,)), bk.zeros((F,))
        sx, sxx = bk.zeros((self.n_features,)), bk.zeros((self.n_features,))
        for a, b in chunk_bounds(self.n_rows, self.chunk_rows):
            s = self.weights[a:b]
            onehot = xp.astype(xp.reshape(codes[a:b], (-1, 1)) == folds, bk.acc)
            sw = sw + s @ onehot
            sy = sy + (s * self.target[a:b]) @ onehot
            if columns:
                Xa = bk.to_acc(self.design[a:b, ...])
                sx, sxx = sx + s @ Xa, sxx + s @ (Xa * Xa)
        values = to_host(xp.unique_values(self.target))
        if progress is not None:
            progress(self.n_rows)
        return TargetSummary(n=np.bincount(ids, minlength=F), sw=to_host(sw), sy=to_host(sy),
                             y_min=float(values[0]), y_max=float(values[-1]),
                             values=values if values.size <= MAX_TARGET_VALUES else None,
                             sx=to_host(sx) if columns else None,
                             sxx=to_host(sxx) if columns else None)

    def glm_pass(self, loss, coef: np.ndarray, intercept: np.ndarray, held_out: np.ndarray,
                 n_folds: int, *, hessian: bool = True,
                 progress: Callable[[int], None] | None = None) -> GLMPassResult:
        """Loss, gradient and Hessian sums of B binary-logistic or Poisson models over their
        training rows, and their held-out sums (see
        :meth:`ridgeline.stats.StatisticsSource.glm_pass`): coef (B, p), intercept (B,),
        held_out (B,)."""
        coef, intercept, held_out = glm_models(coef, intercept, held_out, self.n_features)
        family = getattr(loss, "name", None)
        if family not in FAMILIES:
            raise TypeError(f"ArrayAPISource.glm_pass implements the losses {FAMILIES}, got "
                            f"{family!r}")
        y = self._encoded(loss)
        sums = GLMSums(self.backend, coef, intercept, family,
                       float(getattr(loss, "eta_max", np.inf)), hessian)
        for Xc, rows, tw, hw in self._chunks(held_out, n_folds):
            sums.add(Xc, y[rows], tw, hw)
        if progress is not None:
            progress(self.n_rows)
        return sums.result()

    def multinomial_pass(self, coef: np.ndarray, intercept: np.ndarray, held_out: np.ndarray,
                         n_folds: int, *, classes: np.ndarray | None = None,
                         hessian: bool = True,
                         progress: Callable[[int], None] | None = None
                         ) -> MultinomialPassResult:
        """Softmax loss, gradient and Hessian sums of B models (coef (B, p, C), intercept
        (B, C)); targets are class indices in ``[0, C)`` or, with ``classes`` (C,), those
        labels (see :meth:`ridgeline.stats.BatchSource.multinomial_pass`)."""
        coef, intercept, held_out, classes = multinomial_models(
            coef, intercept, held_out, self.n_features, classes)
        lab = self._labels(classes, coef.shape[2])
        sums = SoftmaxSums(self.backend, coef, intercept, hessian)
        for Xc, rows, tw, hw in self._chunks(held_out, n_folds):
            sums.add(Xc, lab[rows], tw, hw)
        if progress is not None:
            progress(self.n_rows)
        return sums.result()

    def squared_error_pass(self, coef: np.ndarray, intercept: np.ndarray,
                           held_out: np.ndarray, n_folds: int) -> np.ndarray:
        """``Σ s_i (y_i − x_iᵀw_j − b_j)²`` (B,) over each model's held-out rows, from
        explicit predictions: coef (B, p), intercept (B,), held_out (B,).

        The rows are taken about the reference point (``x − x₀``, intercept ``b + x₀ᵀw``),
        so the predictions do not lose digits to large feature means.
        """
        bk, xp = self.backend, self.backend.xp
        coef, intercept, held_out = glm_models(coef, intercept, held_out, self.n_features)
        x0 = self._reference()[0]
        WT = bk.asarray(np.ascontiguousarray(coef.T))
        b = bk.asarray(intercept) + bk.to_acc(x0) @ WT
        sse = bk.zeros((coef.shape[0],))
        for Xc, rows, _, hw in self._chunks(held_out, n_folds):
            r = xp.reshape(self.target[rows], (-1, 1)) - bk.to_acc(Xc - x0) @ WT - b
            sse = sse + xp.sum(hw * r * r, axis=0)
        return to_host(sse)

    def _labels(self, classes: np.ndarray | None, C: int):
        """Class indices (n,) on the device (int64), cached."""
        key = ("labels", None if classes is None else tuple(classes.tolist()), C)
        if key not in self._cache:
            y = np.asarray(to_numpy(self.target))
            lab, bad = class_indices(y, classes, C)
            if bad is not None:
                raise SourceError(f"{self.describe()}: target {float(y[bad])!r} at row {bad} "
                                  f"is not one of the {C} classes")
            self._cache[key] = self.backend.xp.asarray(lab, device=self.backend.device)
        return self._cache[key]


def _moments(A: np.ndarray, n: int, shift_x: np.ndarray, shift_y: np.ndarray) -> Moments:
    """:class:`~ridgeline.stats.Moments` from the augmented product ``A`` (p + 2)² of the rows
    ``[x − shift_x, y − shift_y, 1]`` (see :mod:`ridgeline.backend.gram`)."""
    p = shift_x.size
    return Moments(n=int(n), sw=float(A[p + 1, p + 1]), sx=A[:p, p + 1].copy(),
                   sy=A[p, p + 1:p + 2].copy(), G=A[:p, :p].copy(), C=A[:p, p:p + 1].copy(),
                   yy=A[p, p:p + 1].copy(), shift_x=shift_x, shift_y=shift_y)
