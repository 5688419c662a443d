"""The range of values a fit can factor, checked at the public boundary.

Two things make a float64 fit fail or, worse, return wrong coefficients without a word:

* **Overflow.** The solvers form ``XᵀX`` (the Gram of ridge, the Hessian ``XᵀWX`` of a GLM
  step). Its entries reach ``n · max|x_j|²``: past float64's largest number (≈1.8e308) they
  are ``inf`` and the eigendecomposition fails ("Eigenvalues did not converge"), or a
  coordinate-descent fit silently zeroes the column. A column (or a regression target) whose
  largest magnitude exceeds :func:`overflow_limit` is refused, named, with its value and row.
* **Column scales far apart.** An eigendecomposition of ``XᵀX`` (the ridge engine, which
  serves every penalty from one factorization) has an error of about ``ε·‖XᵀX‖``; when one
  column's spread is ``R`` times another's, ``XᵀX`` spans ``R²`` and the smaller columns'
  coefficients keep about ``16 − 2·log10 R`` digits. Estimators that penalize the raw
  coefficients with such a factorization declare the largest ratio they solve accurately
  (class attribute ``_max_scale_ratio``, measured: :data:`SPECTRAL_RATIO_LIMIT`,
  :data:`NEWTON_RATIO_LIMIT`); past it the fit is refused with both columns named. With
  ``standardize=True`` the factorization is of the standardized Gram and no ratio applies.

Whatever still fails in a factorization is reported by :mod:`ridgeline._lapack`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from ridgeline.stats.extent import column_max_min

__all__ = [
    "NEWTON_RATIO_LIMIT",
    "SINGLE_RIDGE_RATIO_LIMIT",
    "SPECTRAL_RATIO_LIMIT",
    "DataRangeError",
    "check_model_range",
    "check_range",
    "column_extent",
    "overflow_limit",
]

FLOAT_MAX = float(np.finfo(np.float64).max)
#: Ratio of column spreads up to which the ridge engine (one eigendecomposition of the raw
#: Gram for every penalty; LOO/GCV from the same factor) keeps ≥ 6 correct digits (measured:
#: 3e-7 relative error at 1e10, 4e-5 at 1e12, none left at 1e15).
SPECTRAL_RATIO_LIMIT = 1e10
#: The same for a single ridge fit (one λ, ``Ridge``/``RidgeClassifier``), whose factor sees
#: one shifted Gram: measured 1e-14 relative error at 1e13, 8e-12 at 1e14, 5e-11 at 1e15.
SINGLE_RIDGE_RATIO_LIMIT = 1e13
#: The same for the GLM Newton solvers, whose per-λ Cholesky factor is equilibrated
#: (``solvers/curvature.py``): exact to rounding up to ~1e18, refused with margin past 1e12.
NEWTON_RATIO_LIMIT = 1e12
#: Columns whose spread is below this fraction of their magnitude vary only at rounding
#: level; they carry no scale of their own and are left out of the ratio.
_ROUNDING_SPREAD = 1e-12
_SHOWN = 5  # columns listed in one message


class DataRangeError(ValueError):
    """The data hold values a float64 fit cannot factor accurately (named in the message)."""


def overflow_limit(n_rows: int) -> float:
    """Largest magnitude whose sums of squares over ``n_rows`` rows stay 16× below float64's
    largest number: ``sqrt(max / (16 n))`` (≈3.7e152 for 80 rows, 1.3e151 for a million)."""
    return float(np.sqrt(FLOAT_MAX / (16.0 * max(int(n_rows), 1))))


def column_extent(X) -> tuple[np.ndarray, np.ndarray]:
    """Per-column ``(max, min)`` of a dense or sparse 2-D array (sparse: implicit zeros
    included, from the stored values only), as float64, without a copy of dense ``X``."""
    if not sp.issparse(X):
        return column_max_min(X)
    C = sp.csc_matrix(X)
    counts = np.diff(C.indptr)
    hi, lo = np.zeros(C.shape[1]), np.zeros(C.shape[1])
    stored = counts > 0
    if stored.any():  # each stored column's values are one contiguous run of C.data
        starts = C.indptr[:-1][stored]
        hi[stored] = np.maximum.reduceat(C.data, starts).astype(np.float64)
        lo[stored] = np.minimum.reduceat(C.data, starts).astype(np.float64)
    implicit = counts < C.shape[0]  # a column with implicit zeros also holds 0
    hi[implicit], lo[implicit] = np.maximum(hi[implicit], 0.0), np.minimum(lo[implicit], 0.0)
    return hi, lo


def _label(j: int, names: Sequence[str] | None) -> str:
    if names is not None and j < len(names):
        return f"column {str(names[j])!r} (index {j})"
    return f"column {j}"


def _row_of(X, j: int, value: float) -> int:
    """The first row of column ``j`` holding ``value``."""
    if sp.issparse(X):
        C = sp.csc_matrix(X)
        rows, vals = (C.indices[C.indptr[j]:C.indptr[j + 1]],
                      C.data[C.indptr[j]:C.indptr[j + 1]])
        return int(rows[np.flatnonzero(vals == value)[0]])
    return int(np.flatnonzero(np.asarray(X)[:, j] == value)[0])


def _row(i: int, row_base: int) -> str:
    """Row ``i`` (0-based) in words: a 0-based index, or a data row counted from 1."""
    return f"row index {i}" if row_base == 0 else f"data row {i + row_base}"


def _overflow_message(X, cols: np.ndarray, mag: np.ndarray, hi: np.ndarray,
                      names: Sequence[str] | None, limit: float, row_base: int) -> str:
    n = X.shape[0]
    parts = []
    for j in cols[:_SHOWN]:
        value = hi[j] if abs(hi[j]) == mag[j] else -mag[j]
        parts.append(f"{_label(int(j), names)} holds {value:.4g} "
                     f"({_row(_row_of(X, j, value), row_base)})")
    more = f" and {cols.size - _SHOWN} more columns" if cols.size > _SHOWN else ""
    log10 = np.log10(n) + 2.0 * np.log10(float(mag[cols[0]]))  # n·max² overflows itself
    return (f"{'; '.join(parts)}{more}: with {n} rows, XᵀX would reach n·max|x|² ≈ "
            f"{10.0 ** (log10 % 1.0):.1f}e+{int(log10)}, beyond float64's largest number "
            f"({FLOAT_MAX:.3g}), so the fit cannot be computed; magnitudes up to {limit:.3g} can "
            "be fitted. Rescale the column(s) before fitting (divide by a power of ten, or use "
            "sklearn.preprocessing.StandardScaler)")


def _check_target(y, limit: float, target_name: str | Sequence[str], row_base: int) -> None:
    Y = np.asarray(y, dtype=np.float64)
    Y = Y.reshape(Y.shape[0], -1)
    mag = np.abs(Y).max(axis=0) if Y.size else np.zeros(0)
    bad = np.flatnonzero(mag > limit)
    if bad.size:
        t = int(bad[0])
        i = int(np.argmax(np.abs(Y[:, t])))
        if not isinstance(target_name, str):  # one name per target column
            which = f"target {str(list(target_name)[t])!r}"
        else:
            which = target_name if Y.shape[1] == 1 else f"{target_name} column {t}"
        raise DataRangeError(
            f"{which} holds {Y[i, t]:.4g} ({_row(i, row_base)}): with {Y.shape[0]} rows its sum "
            f"of squares would pass float64's largest number ({FLOAT_MAX:.3g}); targets up "
            f"to {limit:.3g} can be fitted. Rescale the target (divide by a power of ten) "
            "and scale the predictions back")


def _spreads(hi: np.ndarray, lo: np.ndarray, center: bool) -> tuple[np.ndarray, np.ndarray]:
    """Each column's spread (``max − min`` about its mean, ``max|x|`` about zero) and whether
    it has a scale of its own (not constant, nor varying at rounding level only)."""
    mag = np.maximum(np.abs(hi), np.abs(lo))
    spread = (hi - lo) if center else mag
    return spread, spread > _ROUNDING_SPREAD * mag


def _ratio_message(spread: np.ndarray, big: int, small: int, ratio: float, limit: float,
                   names: Sequence[str] | None, who: str, hint: str) -> str:
    return (f"{_label(big, names)} spreads over {spread[big]:.3g} but {_label(small, names)} "
            f"over {spread[small]:.3g}, a ratio of {ratio:.3g}: {who} factors XᵀX (XᵀWX) with "
            f"every column on its own scale and is accurate up to a ratio of {limit:.3g} only "
            "(past it the smaller columns' coefficients lose their digits). Rescale the "
            "columns to comparable ranges (e.g. change units, or "
            "sklearn.preprocessing.StandardScaler and scale the coefficients back), or fit "
            f"with {hint} (which penalizes the standardized coefficients)")


def check_range(X, y=None, *, names: Sequence[str] | None = None, center: bool = True,
                ratio_limit: float | None = None, who: str = "the fit",
                target_name: str | Sequence[str] = "y", hint: str = "standardize=True",
                row_base: int = 0) -> None:
    """Refuse data a float64 fit cannot factor; return None when ``X`` (and ``y``) are fine.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, p)
        Finite, already validated features.
    y : array of shape (n,) or (n, k), optional
        A numeric regression target, checked against the same overflow limit.
    names : sequence of str, optional
        Feature names for the messages (else columns are named by 0-based index).
    center : bool, default=True
        Whether the fit centers the columns (an intercept): spreads are then ``max − min``,
        else ``max|x|``.
    ratio_limit : float, optional
        Largest ratio of two columns' spreads the fit solves accurately (None: no limit).
    who : str
        The fit, for the message (e.g. ``"Ridge"``).
    target_name : str or sequence of str, default="y"
        The target's name, or one name per target column.
    hint : str, default="standardize=True"
        How the user asks for a standardized fit (the command line: ``--standardize``).
    row_base : int, default=0
        0: rows are named by 0-based index (arrays); 1: as data rows counted from 1 (a file's
        rows after its header).

    Raises
    ------
    DataRangeError
        A column (or target) whose magnitude exceeds :func:`overflow_limit`, naming each such
        column with its value and row; or two columns whose spreads are more than
        ``ratio_limit`` apart, naming both.
    """
    n, p = X.shape
    limit = overflow_limit(n)
    if p:
        hi, lo = column_extent(X)
        mag = np.maximum(np.abs(hi), np.abs(lo))
        cols = np.flatnonzero(mag > limit)
        if cols.size:
            cols = cols[np.argsort(-mag[cols], kind="stable")]
            raise DataRangeError(_overflow_message(X, cols, mag, hi, names, limit, row_base))
    if y is not None:
        _check_target(y, limit, target_name, row_base)
    if not p or ratio_limit is None:
        return
    spread, scaled = _spreads(hi, lo, center)
    idx = np.flatnonzero(scaled)
    if idx.size < 2:
        return
    big, small = int(idx[np.argmax(spread[idx])]), int(idx[np.argmin(spread[idx])])
    ratio = float(spread[big] / spread[small])
    if ratio > ratio_limit:
        raise DataRangeError(_ratio_message(spread, big, small, ratio, ratio_limit, names, who,
                                            hint))


#: Ratio limits of the model kinds of the command line and the report when not standardized.
_KIND_RATIO = {"ridge": SPECTRAL_RATIO_LIMIT, "logistic": NEWTON_RATIO_LIMIT,
               "poisson": NEWTON_RATIO_LIMIT}


def check_model_range(kind: str, X, y=None, *, standardized: bool,
                      names: Sequence[str] | None = None,
                      target_name: str | Sequence[str] = "y") -> None:
    """:func:`check_range` for a model named by kind (``ridge``, ``logistic``, ``poisson``,
    ``lasso``, ``elasticnet``: the command line's names), with the limits its estimator
    applies, the columns named by ``names``, rows as data rows counted from 1 and
    ``--standardize`` as the remedy. ``y`` is checked for the regression kinds only."""
    ratio = None if standardized else _KIND_RATIO.get(kind)
    check_range(X, None if kind == "logistic" else y, names=names, center=True,
                ratio_limit=ratio, who=f"--model {kind}", target_name=target_name,
                hint="--standardize", row_base=1)
