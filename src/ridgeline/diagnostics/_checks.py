"""Input checks shared by the diagnostics (private): clear errors at the public boundary."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import check_cv
from sklearn.utils.validation import check_array, check_consistent_length

from ridgeline.estimators._validation import check_weights
from ridgeline.path.budget import check_grid_budget, point_bytes


def check_data(X, y=None, *, sample_weight=None, y_numeric: bool = True, name: str = "X"):
    """``(X, y, s)``: X float (dense or CSR), finite; y (n,) or (n, k); weights (n,).

    Raises ValueError for NaN/inf, mismatched lengths and empty inputs, TypeError for objects
    that are not arrays.
    """
    if X is None:
        raise TypeError(f"{name} is required (an array of shape (n_samples, n_features))")
    X = check_array(X, accept_sparse=["csr", "csc", "coo"], dtype=[np.float64, np.float32],
                    ensure_min_samples=2, input_name=name)
    if sp.issparse(X) and X.format == "coo":
        X = X.tocsr()
    if y is None:
        return X, None, check_weights(sample_weight, X)
    y_arr = np.asarray(y)
    if y_arr.ndim == 0:
        raise ValueError("y must hold one value per sample, got a scalar")
    if y_arr.ndim > 2:
        raise ValueError(f"y must be of shape (n,) or (n, k), got shape {y_arr.shape}")
    if y_numeric or y_arr.dtype.kind in "fc":
        y_arr = check_array(y_arr, ensure_2d=False, dtype=np.float64, input_name="y")
    check_consistent_length(X, y_arr)
    return X, y_arr, check_weights(sample_weight, X)


def check_lambdas(lambdas, name: str = "lambdas") -> np.ndarray:
    """A non-empty 1-d grid of finite, non-negative canonical λ (float64)."""
    if isinstance(lambdas, numbers.Number):
        lambdas = [lambdas]
    try:
        grid = np.asarray(lambdas, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers, got {type(lambdas).__name__}") \
            from None
    if grid.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {grid.shape}")
    if grid.size == 0:
        raise ValueError(f"{name} is empty: give at least one λ")
    if not np.all(np.isfinite(grid)):
        raise ValueError(f"{name} must be finite, got {int(np.sum(~np.isfinite(grid)))} "
                         "NaN/inf value(s)")
    if np.any(grid < 0):
        raise ValueError(f"{name} must be non-negative, got {float(grid.min())!r}")
    return grid


def check_count(value, name: str, minimum: int) -> int:
    """An integer ≥ ``minimum`` (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def check_grid_cost(grid, n_lambdas: int, *, iterative: bool, members: int = 1,
                    per_member: float = 0.0) -> None:
    """Refuse, before any fit, a grid (given, else ``n_lambdas`` automatic points) whose
    memory, or number of iterative solves, is out of bounds
    (:func:`ridgeline.path.budget.check_grid_budget`).

    Each λ is fit ``members`` times (folds, bootstrap rounds), each fit keeping
    ``per_member`` float64 values (coefficients, held-out predictions).
    """
    name, size = ("n_lambdas", n_lambdas) if grid is None else ("lambdas", grid.size)
    check_grid_budget(name, int(size), given=grid is not None, unit="λ",
                      bytes_per_point=point_bytes(members * (per_member + 16)),
                      solves_per_point=members if iterative else 0,
                      stored=f"{members} fit(s) of {per_member:,.0f} values each")


def check_rounds_grid(spec, grid, n_lambdas: int, n_rounds: int, X, X_test) -> None:
    """:func:`check_grid_cost` of ``bias_variance``: ``n_rounds`` fits at every λ, each
    keeping its coefficients and its predictions at the test points (nothing for an estimator
    that is not ridgeline's, ``spec`` None: it is fit once per round, as given)."""
    if spec is not None:
        check_grid_cost(grid, n_lambdas, iterative=spec.kind != "ridge", members=n_rounds,
                        per_member=X_test.shape[0] + X.shape[1])


def feature_names_of(estimator, n_features: int, given=None) -> list[str]:
    """Feature names: given, else the estimator's ``feature_names_in_``, else ``x0, x1, …``."""
    if given is not None:
        names = [str(v) for v in given]
        if len(names) != n_features:
            raise ValueError(f"feature_names has {len(names)} names for {n_features} features")
        return names
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None and len(names) == n_features:
        return [str(v) for v in names]
    return [f"x{j}" for j in range(n_features)]


def input_feature_names(X) -> list[str] | None:
    """Column names of a DataFrame-like X (before it becomes an array), else None."""
    cols = getattr(X, "columns", None)
    if cols is None:
        return None
    return [str(c) for c in cols]


def splits_of(cv, X, y_split, groups, classifier: bool) -> list:
    """The (train, test) index pairs of ``cv`` (at least two)."""
    splitter = check_cv(cv, y_split, classifier=classifier)
    out = [(np.asarray(tr), np.asarray(te)) for tr, te in splitter.split(X, y_split, groups)]
    if len(out) < 2:
        raise ValueError(f"cross-validation needs at least 2 splits, got {len(out)}")
    return out
