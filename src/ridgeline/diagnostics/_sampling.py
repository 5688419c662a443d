"""How :func:`ridgeline.diagnostics.bias_variance` draws its test points and training sets."""

from __future__ import annotations

import numbers

import numpy as np

from ridgeline.diagnostics._checks import check_data
from ridgeline.diagnostics._decompose import nonneg

__all__ = ["METHODS", "sampler", "test_points"]

METHODS = ("bootstrap", "split", "parametric")


def _vector(v, name: str, m: int, numeric: bool = True) -> np.ndarray:
    a = np.asarray(v, dtype=np.float64 if numeric else None)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1 or a.shape[0] != m:
        raise ValueError(f"{name} must have shape ({m},), got {a.shape}")
    if numeric and not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or inf")
    return a


def test_points(X, y, X_test, y_test, f_test, f_train, test_size, loss, rng):
    numeric = loss == "squared"
    if X_test is None:
        if y_test is not None or f_test is not None:
            raise ValueError("y_test/f_test need X_test (the held-out points they belong to)")
        if f_train is not None:
            raise ValueError("f_train (method='parametric') needs an explicit X_test: the "
                             "fixed design is the whole pool")
        if not (isinstance(test_size, numbers.Real) and 0 < test_size < 1):
            raise ValueError(f"test_size must lie in (0, 1), got {test_size!r}")
        n = X.shape[0]
        m = round(test_size * n)
        if m < 1 or n - m < 2:
            raise ValueError(f"test_size={test_size} leaves no test points or too small a pool "
                             f"of {n} rows")
        perm = rng.permutation(n)
        te, tr = perm[:m], perm[m:]
        return X[tr], y[tr], X[te], y[te], None, None
    if y_test is None:
        raise ValueError("X_test needs y_test (the observed labels at the test points)")
    X_test, _, _ = check_data(X_test, name="X_test")
    if X_test.shape[1] != X.shape[1]:
        raise ValueError(f"X_test has {X_test.shape[1]} features, X has {X.shape[1]}")
    m = X_test.shape[0]
    y_test = _vector(y_test, "y_test", m, numeric)
    if f_test is not None:
        f_test = _vector(f_test, "f_test", m, numeric)
    if f_train is not None:
        f_train = _vector(f_train, "f_train", X.shape[0])
    return X, y, X_test, y_test, f_test, f_train


def sampler(method, X, y, f_train, noise, train_size, rng):
    n = X.shape[0]
    if callable(method):
        def draw():
            Xd, yd = method(rng)
            return Xd, np.asarray(yd)
        return draw, "sampler"
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS} or a callable sampler(rng), got "
                         f"{method!r}")
    if method == "bootstrap":
        def draw():
            idx = rng.integers(0, n, size=n)
            return X[idx], y[idx]
    elif method == "split":
        if not (isinstance(train_size, numbers.Real) and 0 < train_size <= 1):
            raise ValueError(f"train_size must lie in (0, 1], got {train_size!r}")
        k = round(train_size * n)
        if k < 2:
            raise ValueError(f"train_size={train_size} gives fewer than 2 training rows")

        def draw():
            idx = rng.choice(n, size=k, replace=False)
            return X[idx], y[idx]
    else:
        if f_train is None or isinstance(noise, str) or np.ndim(noise) != 0:
            raise ValueError("method='parametric' needs f_train (true means at X) and the noise "
                             "variance as a number (noise=σ²)")
        sigma = float(np.sqrt(nonneg(noise, "noise")))

        def draw():
            return X, f_train + sigma * rng.standard_normal(n)
    return draw, method
