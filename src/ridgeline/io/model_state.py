"""What :func:`~ridgeline.io.modelfile.save_estimator` stores of an estimator, and how.

Constructor parameters become JSON (or their ``repr`` when they are not JSON-able); fitted
attributes become JSON values or arrays.  A fitted attribute that cannot be stored faithfully
is refused with :class:`~ridgeline.io.model_schema.ModelFileError` before anything is written,
except the selection reports of :data:`~ridgeline.io.model_schema.DIAGNOSTIC_ATTRIBUTES`, which
``predict`` never reads: those are listed as skipped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ridgeline.io.model_schema import (
    DIAGNOSTIC_ATTRIBUTES,
    FITTED_NAME,
    ModelFileError,
    dtype_problem,
)

__all__ = ["FittedState", "NotJSONableError", "collect_fitted", "jsonable", "split_params"]


class NotJSONableError(ValueError):
    """A value that cannot be represented in ``meta.json``."""


@dataclass
class FittedState:
    """The fitted attributes of an estimator, sorted by how they are stored.

    Attributes
    ----------
    values : dict
        JSON-able attributes (to ``meta.json``).
    arrays : dict of str to numpy.ndarray
        Array attributes (to ``.npy`` members).
    object_arrays : list of str
        Arrays stored as unicode that are restored as object arrays of ``str``.
    scalar_arrays : list of str
        Non-finite float attributes stored as 0-d arrays, restored as ``float``.
    skipped : list of str
        Diagnostic attributes that are not stored.
    """

    values: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    object_arrays: list[str] = field(default_factory=list)
    scalar_arrays: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def jsonable(value: Any, where: str) -> Any:
    """Return ``value`` as plain JSON types, or raise :class:`NotJSONableError`.

    numpy scalars and arrays become Python numbers and lists, tuples become lists; NaN and
    infinity are refused (``meta.json`` holds finite numbers only).
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NotJSONableError(f"{where} is {value}; NaN and infinity cannot be stored")
        return float(value)
    if isinstance(value, np.generic | np.ndarray):
        return jsonable(value.tolist(), where)
    if isinstance(value, list | tuple):
        return [jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        bad_keys = [k for k in value if not isinstance(k, str)]
        if bad_keys:
            raise NotJSONableError(f"{where} has non-string key(s) {bad_keys!r}")
        return {k: jsonable(v, f"{where}.{k}") for k, v in value.items()}
    raise NotJSONableError(f"{where} has type {type(value).__name__}, which is not JSON-able")


def split_params(params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """Split parameters into JSON-able ones, repr strings of the rest, and tuple names."""
    stored: dict[str, Any] = {}
    unserializable: dict[str, str] = {}
    tuples: list[str] = []
    for name, value in params.items():
        try:
            stored[name] = jsonable(value, f"params.{name}")
        except NotJSONableError:
            unserializable[name] = repr(value)
            continue
        if isinstance(value, tuple):
            tuples.append(name)
    return stored, unserializable, tuples


def collect_fitted(est: Any) -> FittedState:
    """The public fitted attributes (names ending in ``_``) of ``est``, ready to store.

    Raises
    ------
    ModelFileError
        If an attribute other than a diagnostic one cannot be stored faithfully, naming it.
    """
    state = FittedState()
    for name, value in sorted(vars(est).items()):
        if FITTED_NAME.match(name):
            problem = _store_attribute(state, name, value)
            if problem is None:
                continue
            if name in DIAGNOSTIC_ATTRIBUTES:
                state.skipped.append(name)
                continue
            raise ModelFileError(
                f"cannot save {type(est).__name__}: fitted attribute {name} is {problem}, "
                "which a model file cannot store faithfully (nothing was written)", name)
    return state


def _store_attribute(state: FittedState, name: str, value: Any) -> str | None:
    """Store ``value`` in ``state``; return why it cannot be stored, or None."""
    if isinstance(value, np.ndarray):
        return _store_array(state, name, value)
    if type(value).__module__.startswith("scipy.sparse"):
        return "a scipy.sparse matrix (call densify() before saving)"
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        state.arrays[name] = np.array(value, dtype=np.float64)
        state.scalar_arrays.append(name)
        return None
    try:
        state.values[name] = jsonable(value, name)
    except NotJSONableError as exc:
        if isinstance(value, list | tuple | dict):
            return f"a {type(value).__name__} that JSON cannot hold ({exc})"
        return f"a {type(value).__name__} object"
    return None


def _store_array(state: FittedState, name: str, value: np.ndarray) -> str | None:
    if value.dtype.hasobject and value.dtype.fields is None:
        kinds = sorted({type(v).__name__ for v in value.flat})
        if any(kind != "str" for kind in kinds):
            return f"an object array holding {', '.join(kinds)} values"
        state.arrays[name] = value.astype(str)
        state.object_arrays.append(name)
        return None
    problem = dtype_problem(value.dtype)
    if problem is not None:
        return f"an array that {problem}"
    state.arrays[name] = value
    return None
