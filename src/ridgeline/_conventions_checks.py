"""Validation helpers shared by :mod:`ridgeline.conventions` and its glmnet converters."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatOrArray = float | NDArray[np.float64]


def _as_float(value: ArrayLike, name: str) -> NDArray[np.float64]:
    """Return ``value`` as a float64 array (a copy never aliases the caller's data)."""
    if value is None:
        raise ValueError(f"{name} is required; got None")
    if np.iscomplexobj(value):
        raise ValueError(f"{name} must be real-valued; got a complex value")
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a real number or an array of real numbers") from exc
    return arr


def _first(arr: NDArray[np.float64], mask: NDArray[np.bool_]) -> float:
    return float(arr[mask].flat[0]) if arr.ndim else float(arr)


def _check_strength(
    value: ArrayLike, name: str, *, allow_zero: bool = True, allow_inf: bool = False
) -> NDArray[np.float64]:
    """Validate a penalty strength: not NaN, ``>= 0`` (or ``> 0``), finite unless allowed."""
    arr = _as_float(value, name)
    nan = np.isnan(arr)
    if nan.any():
        raise ValueError(f"{name} must not be NaN")
    neg = arr < 0
    if neg.any():
        raise ValueError(f"{name} must be non-negative; got {_first(arr, neg)!r}")
    if not allow_inf:
        inf = np.isinf(arr)
        if inf.any():
            raise ValueError(f"{name} must be finite; got {_first(arr, inf)!r}")
    if not allow_zero:
        zero = arr == 0
        if zero.any():
            raise ValueError(f"{name} must be strictly positive; got 0.0")
    return arr


def _check_fraction(value: ArrayLike, name: str) -> NDArray[np.float64]:
    """Validate a mixing fraction in ``[0, 1]``."""
    arr = _as_float(value, name)
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not be NaN")
    bad = (arr < 0) | (arr > 1)
    if bad.any():
        raise ValueError(f"{name} must lie in [0, 1]; got {_first(arr, bad)!r}")
    return arr


def _check_n_w(n_w: ArrayLike | None, *, context: str = "") -> NDArray[np.float64]:
    """Validate the total sample weight ``n_w = Σ s_i`` (finite and ``> 0``)."""
    where = f" (needed by {context})" if context else ""
    if n_w is None:
        raise ValueError(f"n_w, the total sample weight Σ s_i, is required{where}")
    arr = _as_float(n_w, "n_w")
    if np.isnan(arr).any():
        raise ValueError(f"n_w (the total sample weight Σ s_i) must not be NaN{where}")
    bad = ~(arr > 0)
    if bad.any():
        raise ValueError(
            f"n_w (the total sample weight Σ s_i) must be > 0; got {_first(arr, bad)!r}{where}"
        )
    inf = np.isinf(arr)
    if inf.any():
        raise ValueError(f"n_w (the total sample weight Σ s_i) must be finite{where}")
    return arr


def _out(arr: NDArray[np.float64]) -> FloatOrArray:
    """Python float for 0-d results, float64 array otherwise."""
    arr = np.asarray(arr, dtype=np.float64)
    return float(arr) if arr.ndim == 0 else arr


def _representable(
    result: NDArray[np.float64], source: NDArray[np.float64], name: str
) -> NDArray[np.float64]:
    """Reject results that over/underflowed: a positive finite input must give one back."""
    lost = (source > 0) & np.isfinite(source) & ~((result > 0) & np.isfinite(result))
    if lost.any():
        raise ValueError(f"the converted {name} is not representable as a positive float64")
    return result
