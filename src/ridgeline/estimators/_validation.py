"""Input validation at the public boundary (the only place inputs are checked)."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    column_or_1d,
    validate_data,
)

from ridgeline.estimators._range import check_range
from ridgeline.stats.source import is_source


def check_X_y(est, X, y, *, reset: bool = True, y_numeric: bool = True):
    """Validate X (dense float32/float64 or sparse) and y; at least 2 samples, all finite,
    within the range a float64 fit can factor (:func:`check_fit_range`)."""
    X, y = validate_data(
        est,
        X,
        y,
        reset=reset,
        accept_sparse=["csr", "csc", "coo"],
        dtype=[np.float64, np.float32],
        multi_output=True,
        y_numeric=y_numeric,
        ensure_min_samples=2,
    )
    if sp.issparse(X) and X.format == "coo":
        X = X.tocsr()
    check_fit_range(est, X, y if y_numeric else None)
    return X, y


def check_fit_range(est, X, y=None) -> None:
    """:func:`~ridgeline.estimators._range.check_range` with the estimator's own limits: its
    ``_max_scale_ratio`` (None: overflow only; also with ``standardize=True``), centering when
    it fits an intercept, and its ``feature_names_in_`` in the messages."""
    names = getattr(est, "feature_names_in_", None)
    ratio = None if getattr(est, "standardize", False) else getattr(est, "_max_scale_ratio",
                                                                      None)
    check_range(X, y, names=None if names is None else [str(v) for v in names],
                center=bool(getattr(est, "fit_intercept", True)), ratio_limit=ratio,
                who=type(est).__name__)


def check_X(est, X):
    """Validate X at predict time against what was seen in fit."""
    X = validate_data(est, X, reset=False, accept_sparse=["csr", "csc", "coo"],
                      dtype=[np.float64, np.float32])
    if sp.issparse(X) and X.format == "coo":
        X = X.tocsr()
    return X


def one_target(y, what: str = "target") -> np.ndarray:
    """y as a float64 (n,) array: an (n, 1) column is accepted with scikit-learn's warning,
    more columns are refused (``what``: the word for one value, e.g. "count")."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    if y.ndim != 1:
        raise ValueError(f"y must be one {what} per sample (shape (n,)), got {y.shape}")
    return y


def check_weights(sample_weight, X) -> np.ndarray:
    """Float64 non-negative finite weights with a positive sum (``X`` already validated)."""
    if sample_weight is None:  # the common case, without the generic checks' overhead
        return np.ones(_num_samples(X))
    s = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    if not s.sum() > 0:
        raise ValueError("sample_weight sums to zero: at least one sample needs positive weight")
    return np.ascontiguousarray(s, dtype=np.float64)


def as_2d_targets(y) -> tuple[np.ndarray, bool]:
    """Targets as a float64 (n, k) array, plus whether the caller passed a 1-d y."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 1:
        return y[:, None], True
    if y.ndim == 2 and y.shape[1] == 0:
        raise ValueError("y has no target columns")
    return y, False


def check_strength(value, name: str, *, allow_zero: bool = True) -> np.ndarray:
    """A regularization strength (scalar or array): finite and non-negative, as float64."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.size == 0:
        raise ValueError(f"{name} is empty: give at least one regularization strength")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if np.any(arr < 0) or (not allow_zero and np.any(arr == 0)):
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return arr


def check_grid(alphas, name: str) -> np.ndarray:
    """A 1-d grid of regularization strengths."""
    if isinstance(alphas, numbers.Number):
        alphas = [alphas]
    grid = check_strength(alphas, name)
    if grid.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {grid.shape}")
    return grid


def check_labels(y) -> np.ndarray:
    """Class labels as a 1-d array: one per sample, finite, of a classification type."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    if y.ndim != 1:
        raise ValueError(f"y must hold one label per sample (shape (n,)), got shape {y.shape}")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinite labels; remove or impute those samples")
    check_classification_targets(y)
    return y


def check_two_classes(classes: np.ndarray) -> None:
    """A classifier needs at least two classes."""
    if classes.size < 2:
        only = classes[0]
        only = only.item() if isinstance(only, np.generic) else only
        raise ValueError(f"only one class ({only!r}) in y: a classifier needs at least two "
                         "classes")


def check_source_fit(est, source, y, sample_weight, **unsupported) -> None:
    """Arguments that make no sense with a statistics source as ``X`` (the target is a column).

    Sets ``n_features_in_`` and ``feature_names_in_`` from the source. ``unsupported`` maps a
    name to a value that must be None/False.
    """
    if not is_source(source):
        raise TypeError(f"expected a statistics source, got {type(source).__name__}")
    if y is not None:
        raise ValueError(f"y must be None when X is a statistics source: the target is the "
                         f"source's column {source.target_name!r}")
    if sample_weight is not None:
        raise ValueError("sample_weight is not available with a statistics source: the source "
                         "holds the weights (read_parquet/read_csv(..., weight_column=...), "
                         "ArraySource(..., sample_weight=...), DaskSource(X, y, sample_weight))")
    for name, value in unsupported.items():
        if value is not None and value is not False:
            raise ValueError(f"{name}={value!r} is not available when fitting on a statistics "
                             "source")
    est.n_features_in_ = source.n_features
    est.feature_names_in_ = np.asarray(source.feature_names, dtype=object)


def source_folds(cv, default: int | None = None) -> int:
    """The number of folds K of ``cv`` for a statistics source (an int ≥ 2)."""
    if cv is None and default is not None:
        return default
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool) and cv >= 2:
        return int(cv)
    raise ValueError(f"with a statistics source, cv must be a number of folds K ≥ 2 (folds come "
                     f"from the source's fold rule), got {cv!r}")


def source_cv(cv) -> int | str:
    """What ``RidgeCV``'s ``cv`` asks of a statistics source: ``"loo"`` (``None`` or
    ``"loo"``), ``"gcv"``, a criterion (``"evidence"``, ``"aic"``, ``"bic"``), or the number
    of folds K ≥ 2 (folds from the source's fold rule)."""
    if cv is None:
        return "loo"
    if isinstance(cv, str) and cv.lower() in ("loo", "gcv", "evidence", "aic", "bic"):
        return cv.lower()
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool) and cv >= 2:
        return int(cv)
    raise ValueError(f"with a statistics source, cv must be None or 'loo' (exact leave-one-out), "
                     f"'gcv', 'evidence', 'aic', 'bic', or a number of folds K ≥ 2 (folds come "
                     f"from the source's fold rule), got {cv!r}")
