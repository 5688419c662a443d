"""In-memory arrays as a statistics source: the rows the estimators fit most often.

:class:`ArraySource` serves the passes of :mod:`ridgeline.stats.source` over an (X, y) held in
memory — dense NumPy (float64 or float32, either memory order) or SciPy sparse — so the
solvers fit arrays exactly as they fit files and Dask collections. Its GLM passes work on the
whole array at once (one BLAS product for ``X W`` of every model, one for the gradients
``Rᵀ X``, the Hessians ``XᵀDX`` as ``syrk`` over cache-sized blocks of scaled rows): no
per-batch Python overhead, and X is never copied or densified.

Besides a fold rule (hashed row positions, a fold column or groups, as the file sources), an
array source can hold any list of (train, test) splits — a scikit-learn splitter's — and then
model j of a pass trains on split ``held_out[j]``'s training rows and is scored on its test
rows (:mod:`ridgeline.stats.members`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp

from ridgeline.stats._array_rows import as_matrix, check_offset, column_moments, rows_of, trim
from ridgeline.stats.batch import block_rows, check_finite
from ridgeline.stats.batch_glm import glm_rows
from ridgeline.stats.batch_source import BatchSource
from ridgeline.stats.folds import hash_folds, row_folds
from ridgeline.stats.members import fold_roles, masked_weights
from ridgeline.stats.multinomial import (
    MultinomialPassResult,
    class_indices,
    multinomial_rows,
)
from ridgeline.stats.shared_hessian import group_grams, group_order, shared_hessians
from ridgeline.stats.source import (
    MAX_TARGET_VALUES,
    GLMPassResult,
    SourceError,
    TargetSummary,
    glm_models,
    multinomial_models,
    symmetric_hessians,
)
from ridgeline.stats.splits import split_table

#: Rows of a float32 block widened to float64 at a time (bounded temporaries).
_WIDEN_ROWS = 16384


class ArraySource(BatchSource):
    """An in-memory (X, y) as a statistics source.

    Parameters
    ----------
    X : array-like (n, p) or scipy.sparse matrix
        float32 stays float32 (sums are float64); other dtypes become float64.
    y : array-like (n,)
    batch_rows : int, default=65536
        Rows per batch of the moments passes.
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
    splits : sequence of (train, test) index arrays, optional
        Explicit splits (e.g. a scikit-learn splitter's): ``held_out[j] = k`` in a pass is
        the model trained on ``splits[k][0]`` and scored on ``splits[k][1]`` (``n_folds`` is
        then ignored: the fold ids are the rows' membership patterns, see
        :mod:`ridgeline.stats.members`). Excludes ``folds`` and ``groups``.
    check : bool, default=True
        Check the values (finite X, y, weights and offset, non-negative weights). Estimators
        that validated their input already pass False.
    offset : array-like (n,), optional
        A fixed term of every model's linear predictor, ``η_i = x_iᵀw + b + offset_i``
        (glmnet's and glum's ``offset``; log exposure for Poisson rates). Only the GLM passes
        use it (a log-link loss: :class:`~ridgeline.solvers.problem.GLMProblem` checks).

    Attributes
    ----------
    in_memory : bool
        True: a pass costs flops, not reads (solvers may trade Hessians for cheaper passes).
    subset_rows_per_feature, subset_curvature
        How a fit from scratch uses a subset of the rows first (see below).
    """

    in_memory = True
    #: A fit from scratch first runs on about this many rows per feature
    #: (:func:`ridgeline.solvers.glm_fit.subset_then_full`) ...
    subset_rows_per_feature = 100
    #: ... and then forms one Hessian on all the rows rather than reusing the subset's: in
    #: memory a float32 Hessian costs ~3.5 gradient passes and brings Newton's quadratic
    #: convergence, where the subset's curvature contracts the gradient only ~4× per pass
    #: (measured at 100,000 × 100: 7 passes instead of 9, 0.10 s instead of 0.17 s).
    subset_curvature = False

    def __init__(self, X, y, *, batch_rows: int = 65536,
                 feature_names: Sequence[str] | None = None, target_name: str = "y",
                 folds=None, groups=None, seed: int = 0, sample_weight=None, splits=None,
                 check: bool = True, offset=None):
        self.X = as_matrix(X)
        self.y = np.asarray(y, dtype=np.float64)
        n = self.X.shape[0]
        if self.X.ndim != 2 or self.y.shape != (n,):
            raise ValueError(f"ArraySource needs X (n, p) and y (n,), got {self.X.shape} and "
                             f"{self.y.shape}")
        self.s = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        self.offset = check_offset(offset, n, check)
        if self.s is not None and self.s.shape != self.y.shape:
            raise ValueError(f"sample_weight must have shape {self.y.shape}, got {self.s.shape}")
        if self.s is not None and not check and bool(np.all(self.s == 1.0)):
            self.s = None  # validated unit weights: the passes' unweighted route
        if sum(a is not None for a in (folds, groups, splits)) > 1:
            raise ValueError("give at most one of folds, groups and splits")
        self._key = None if folds is None and groups is None else \
            np.asarray(folds if folds is not None else groups)
        names = feature_names or [f"x{j}" for j in range(self.X.shape[1])]
        super().__init__(names, target_name,
                         fold_column="fold" if folds is not None else None,
                         group_column="group" if groups is not None else None, seed=seed,
                         weight_column=None if self.s is None else "sample_weight")
        self.batch_rows = int(batch_rows)
        if self.batch_rows < 1:
            raise ValueError(f"batch_rows must be positive, got {batch_rows}")
        self._splits = None if splits is None else split_table(splits, n)
        self._cache: dict = {}
        self._positions = None  # original row positions of a subset (hashed folds)
        self.check_rows = bool(check)
        if check:
            self._check_values()

    # ---- shape and description ------------------------------------------------------------
    def n_rows_hint(self) -> int:
        return self.X.shape[0]

    @property
    def weights(self) -> np.ndarray:
        """The sample weights (n,) (ones without any)."""
        return np.ones(self.y.size) if self.s is None else self.s

    def describe(self) -> str:
        return f"ArraySource({self.X.shape[0]}×{self.X.shape[1]})"

    def _check_values(self) -> None:
        span = f"array rows 0\u2013{self.X.shape[0] - 1}"
        if sp.issparse(self.X):
            check_finite(np.asarray(self.X.data)[:, None], ["a feature"], span)
        else:
            check_finite(self.X, self.feature_names, span, "row")
        check_finite(self.y[:, None], [self.target_name], span, "row")
        if self.s is not None:
            check_finite(self.s[:, None], ["sample_weight"], span, "row")
            if np.any(self.s < 0):
                raise SourceError(f"{span}: sample_weight has negative values, first at row "
                                  f"{int(np.flatnonzero(self.s < 0)[0])}")

    # ---- folds and the models' rows -------------------------------------------------------
    def fold_ids(self, n_folds: int) -> np.ndarray:
        """Fold id of every row (n,) under this source's rule (split patterns with
        ``splits``)."""
        if self._splits is not None:  # the split patterns, whatever n_folds
            return self._splits[0]
        key = ("folds", int(n_folds))
        if key not in self._cache:
            n = self.X.shape[0]
            if self._key is None and self._positions is None:
                ids = row_folds(0, n, n_folds, self.seed)
            elif self._key is None:  # a subset: its rows keep their positions' folds
                ids = np.zeros(n, dtype=np.int64) if int(n_folds) == 1 else \
                    hash_folds(self._positions, n_folds, self.seed)
            else:
                ids = BatchSource._folds(self, self._key, 0, n, n_folds, "array")
            self._cache[key] = ids
        return self._cache[key]

    def _folds(self, key, gstart: int, m: int, n_folds: int, span: str) -> np.ndarray:
        return self.fold_ids(n_folds)[gstart:gstart + m]

    def roles(self, held_out: np.ndarray, n_folds: int) -> tuple[np.ndarray, np.ndarray]:
        """``(train, test)`` masks (B, F) over the fold ids of the models ``held_out``."""
        if self._splits is None:
            return fold_roles(held_out, n_folds)
        _, train, test = self._splits
        held_out = np.asarray(held_out, dtype=np.int64)
        if held_out.size and held_out.max() >= train.shape[0]:
            raise ValueError(f"this source holds {train.shape[0]} splits; a pass asked for "
                             f"split {int(held_out.max())}")
        full = held_out < 0
        tr = np.where(full[:, None], True, train[np.maximum(held_out, 0)])
        te = np.where(full[:, None], False, test[np.maximum(held_out, 0)])
        return tr, te

    def _member_weights(self, held_out: np.ndarray, n_folds: int):
        """Cached ``(tw, hw)`` (n, B) of the models ``held_out`` (see ``glm_rows``)."""
        key = ("members", tuple(int(k) for k in held_out), int(n_folds))
        if key not in self._cache:
            if self.s is None and bool(np.all(held_out < 0)):
                self._cache[key] = (None, None)
            else:
                train, test = self.roles(held_out, n_folds)
                ids = self.fold_ids(n_folds)
                tw, hw = masked_weights(test.T[ids], self.s, train.T[ids] | test.T[ids])
                # each model's weights contiguous (the compiled row loop reads them a model
                # at a time): (n, B) views of (B, n) arrays
                self._cache[key] = (np.ascontiguousarray(tw.T).T, np.ascontiguousarray(hw.T).T)
            trim(self._cache)
        return self._cache[key]

    # ---- passes ---------------------------------------------------------------------------
    def target_summary(self, n_folds: int, *,
                       progress: Callable[[int], None] | None = None,
                       columns: bool = False) -> TargetSummary:
        ids = self.fold_ids(n_folds)
        F = self._splits[1].shape[1] if self._splits is not None else int(n_folds)
        s = np.ones(self.y.size) if self.s is None else self.s
        values = np.unique(self.y)
        sx = sxx = None
        if columns:
            sx, sxx = column_moments(self.X, s)
        if progress is not None:
            progress(self.y.size)
        return TargetSummary(n=np.bincount(ids, minlength=F),
                             sw=np.bincount(ids, weights=s, minlength=F),
                             sy=np.bincount(ids, weights=s * self.y, minlength=F),
                             y_min=float(self.y.min()) if self.y.size else np.inf,
                             y_max=float(self.y.max()) if self.y.size else -np.inf,
                             values=values if values.size <= MAX_TARGET_VALUES else None,
                             sx=sx, sxx=sxx)

    def offset_sums(self, n_folds: int) -> np.ndarray:
        """Per-fold weighted sums ``Σ s_i e^{offset_i}`` (F,) over the fold ids of
        :meth:`target_summary` (the exposure each fold's null model divides by)."""
        ids = self.fold_ids(n_folds)
        F = self._splits[1].shape[1] if self._splits is not None else int(n_folds)
        e = np.ones(self.y.size) if self.offset is None else np.exp(self.offset)
        return np.bincount(ids, weights=e if self.s is None else self.s * e, minlength=F)

    def glm_pass(self, loss, coef: np.ndarray, intercept: np.ndarray, held_out: np.ndarray,
                 n_folds: int, *, hessian: bool | str = True,
                 progress: Callable[[int], None] | None = None) -> GLMPassResult:
        """The protocol's pass. A solver that uses the Hessians as curvature only asks for
        ``hessian="own"`` or ``"shared"``: they are then formed in float32 (the products of
        scaled rows; sums in float64), and ``"shared"`` gives several models the Hessians of
        one weighted Gram pass at their mean curvature (:mod:`ridgeline.stats.shared_hessian`)
        where the rows allow it (dense float64, more than one model). ``hessian=True`` gives
        exact float64 Hessians."""
        coef, intercept, held_out = glm_models(coef, intercept, held_out, self.n_features)
        tw, hw = self._member_weights(held_out, n_folds)
        y = self._encoded(loss)
        dense = not sp.issparse(self.X)
        shared = (hessian == "shared" and coef.shape[0] > 1 and dense
                  and self.X.dtype == np.float64)
        exact = bool(hessian) and not shared
        out = GLMPassResult.zeros(*coef.shape, bool(hessian))
        buf = self._buffer(hessian in ("own", "shared")) if exact and dense else None
        for rows, Xr in self._row_blocks():
            eta = glm_rows(out, Xr, y[rows], rows_of(tw, rows), rows_of(hw, rows), loss, coef,
                           intercept, exact, buf, rows_of(self.offset, rows))
        if shared:
            self._shared_hessian(out, loss, y, eta, held_out, n_folds)
        if progress is not None:
            progress(self.y.size)
        return symmetric_hessians(out)

    def _shared_hessian(self, out: GLMPassResult, loss, y: np.ndarray, eta: np.ndarray,
                        held_out: np.ndarray, n_folds: int) -> None:
        """Fill ``out``'s Hessians from one Gram per fold group at the models' mean
        curvature weights."""
        _, h = loss.derivatives(y, eta)
        w = h.mean(axis=1) * (1.0 if self.s is None else self.s)
        A = group_grams(self.X, w, *self._group_order(n_folds), dtype=np.float32)
        train, _ = self.roles(held_out, n_folds)
        out.hess_ww[:], out.hess_wb[:], out.hess_bb[:] = shared_hessians(A, train[:, :A.shape[0]])

    def multinomial_pass(self, coef: np.ndarray, intercept: np.ndarray, held_out: np.ndarray,
                         n_folds: int, *, classes: np.ndarray | None = None,
                         hessian: bool = True,
                         progress: Callable[[int], None] | None = None
                         ) -> MultinomialPassResult:
        """Softmax loss, gradient and Hessian sums of B models (see
        :meth:`~ridgeline.stats.batch_source.BatchSource.multinomial_pass`)."""
        coef, intercept, held_out, classes = multinomial_models(
            coef, intercept, held_out, self.n_features, classes)
        B, p, C = coef.shape
        lab = self._labels(classes, C)
        tw, hw = self._member_weights(held_out, n_folds)
        # curvature passes ("own", "shared") form float32 products; every model gets its own
        # softmax Hessian (Hessians shared at the mean probabilities cost more passes than
        # they save: digits CV 3.0 s against 2.6 s)
        out = MultinomialPassResult.zeros(B, p, C, bool(hessian))
        dtype = np.float32 if hessian in ("own", "shared") else np.float64
        for rows, Xr in self._row_blocks():
            multinomial_rows(out, Xr, lab[rows], rows_of(tw, rows), rows_of(hw, rows), coef,
                             intercept, bool(hessian), dtype)
        if progress is not None:
            progress(self.y.size)
        return out

    def _group_order(self, n_folds: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows sorted by fold id and each id's [start, stop) (cached)."""
        key = ("order", int(n_folds))
        if key not in self._cache:
            ids = self.fold_ids(n_folds)
            self._cache[key] = group_order(ids, int(ids.max()) + 1)
        return self._cache[key]

    def subset(self, n_rows: int) -> ArraySource:
        """About ``n_rows`` rows drawn at random (fixed seed), with their folds and weights,
        as a source of their own; ``self`` when that is at least half the rows."""
        n = self.X.shape[0]
        if int(n_rows) * 2 >= n:
            return self
        rows = np.sort(np.random.default_rng(0).choice(n, size=int(n_rows), replace=False))
        sub = object.__new__(ArraySource)
        sub.__dict__.update(self.__dict__)
        sub.X = self.X[rows]
        sub.y = self.y[rows]
        sub.s = None if self.s is None else self.s[rows]
        sub.offset = None if self.offset is None else self.offset[rows]
        sub._key = None if self._key is None else self._key[rows]
        sub._cache = {}
        sub._positions = rows if self._positions is None else self._positions[rows]
        if self._splits is not None:
            sub._splits = (self._splits[0][rows], *self._splits[1:])
        return sub

    # ---- helpers --------------------------------------------------------------------------
    def _row_blocks(self):
        """``(rows, X[rows])`` over the whole array at once (float32: widened in blocks)."""
        n = self.X.shape[0]
        if sp.issparse(self.X) or self.X.dtype == np.float64:
            yield slice(0, n), self.X
            return
        for a in range(0, n, _WIDEN_ROWS):
            rows = slice(a, min(a + _WIDEN_ROWS, n))
            yield rows, np.asarray(self.X[rows], dtype=np.float64)

    def _buffer(self, single: bool = False) -> np.ndarray:
        """The scaled-rows workspace of the Hessian products (float32 with ``single``)."""
        p = self.X.shape[1]
        key = ("buffer", single)
        if key not in self._cache:
            self._cache[key] = np.empty((min(self.X.shape[0], 4 * block_rows(p)), p),
                                        dtype=np.float32 if single else np.float64)
        return self._cache[key]

    def _encoded(self, loss) -> np.ndarray:
        """Targets (n, 1) encoded for ``loss`` (``loss.encode``, e.g. labels → 0/1)."""
        encode = getattr(loss, "encode", None)
        if encode is None:
            return self.y[:, None]
        key = ("encoded", type(loss), getattr(loss, "positive", None))
        if key not in self._cache:
            self._cache[key] = np.asarray(encode(self.y), dtype=np.float64)[:, None]
            trim(self._cache)
        return self._cache[key]

    def _labels(self, classes: np.ndarray | None, C: int) -> np.ndarray:
        key = ("labels", None if classes is None else tuple(classes.tolist()), C)
        if key not in self._cache:
            lab, bad = class_indices(self.y, classes, C)
            if bad is not None:
                raise SourceError(f"array rows 0\u2013{self.y.size - 1}: target "
                                  f"{float(self.y[bad])!r} at row {bad} is not one of the {C} "
                                  "classes")
            self._cache[key] = lab
        return self._cache[key]

    def _raw_batches(self):
        n = self.X.shape[0]
        if sp.issparse(self.X):
            raise TypeError("a moments pass needs dense X; this ArraySource holds a sparse "
                            "matrix")
        for a in range(0, n, self.batch_rows):
            b = min(a + self.batch_rows, n)
            key = None if self._key is None else self._key[a:b]
            w = None if self.s is None else self.s[a:b]
            yield self.X[a:b], self.y[a:b], key, w, "array", a, a

