"""Rebuilding an estimator from a checked model file: its class, parameters and attributes."""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from ridgeline.io.model_schema import FITTED_NAME, ModelFileError

__all__ = [
    "build_estimator",
    "check_fitted_names",
    "resolve_class",
    "restored_attributes",
    "section",
]


def _is_ridgeline_module(module: str) -> bool:
    return module == "ridgeline" or module.startswith("ridgeline.")


def resolve_class(
    meta: dict[str, Any], registry: Mapping[str, type] | None, path: str | os.PathLike[str]
) -> type:
    """The class ``meta`` names, from ``registry`` or imported; only ridgeline classes."""
    module, name = meta.get("module"), meta.get("class")
    if not isinstance(module, str) or not isinstance(name, str):
        raise ModelFileError(f"model file {path} does not hold an estimator (no class/module)")
    qualified = f"{module}.{name}"
    if not _is_ridgeline_module(module):
        raise ModelFileError(
            f"model file {path} holds a {qualified}; only estimators from the ridgeline "
            "package can be loaded"
        )
    registry = registry or {}
    cls = registry.get(qualified, registry.get(name))
    if cls is None:
        cls = _import_class(module, name, path)
    if not isinstance(cls, type) or cls.__module__ != module or cls.__name__ != name:
        raise ModelFileError(f"{qualified} named in model file {path} is not a ridgeline class")
    return cls


def _import_class(module: str, name: str, path: str | os.PathLike[str]) -> Any:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ModelFileError(
            f"cannot find class {module}.{name} for model file {path}: {exc}") from exc


def build_estimator(cls: type, meta: dict[str, Any], path: str | os.PathLike[str]) -> Any:
    """A new ``cls`` from the stored parameters (tuples restored)."""
    params = dict(section(meta, "params", dict, path))
    for name in section(meta, "tuple_params", list, path):
        if isinstance(name, str) and isinstance(params.get(name), list):
            params[name] = tuple(params[name])
    try:
        return cls(**params)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"could not rebuild {cls.__name__} from {path}: {exc}") from exc


def section(meta: dict[str, Any], key: str, kind: type, path: str | os.PathLike[str]) -> Any:
    """``meta[key]`` (default ``kind()``), refused unless it is a ``kind``."""
    value = meta.get(key, kind())
    if not isinstance(value, kind):
        raise ModelFileError(f"model file {path} has an invalid {key!r} entry in meta.json")
    return value


def check_fitted_names(meta: dict[str, Any], specs: Mapping[str, Any],
                        path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON fitted attributes, with every attribute name and array list checked."""
    fitted = dict(section(meta, "fitted", dict, path))
    bad = sorted(n for n in [*fitted, *specs] if not FITTED_NAME.match(n))
    if bad:
        raise ModelFileError(f"model file {path} has invalid fitted attribute name(s) {bad}",
                             bad[0])
    for key, kinds, ndim in (("object_arrays", "U", None), ("scalar_arrays", "f", 0)):
        for name in section(meta, key, list, path):
            spec = specs.get(name) if isinstance(name, str) else None
            if spec is None or spec.dtype.kind not in kinds or (
                    ndim is not None and len(spec.shape) != ndim):
                raise ModelFileError(f"model file {path}: {key} in meta.json names {name!r}, "
                                     f"which is not a {'unicode' if kinds == 'U' else '0-d float'}"
                                     " array member", str(name))
    return fitted


def restored_attributes(meta: dict[str, Any], fitted: dict[str, Any],
                         arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Fitted attributes to set on the new estimator (object and scalar arrays converted)."""
    object_arrays = set(meta.get("object_arrays", ()))
    scalar_arrays = set(meta.get("scalar_arrays", ()))
    restored = dict(fitted)
    for name, array in arrays.items():
        if name in object_arrays:
            restored[name] = array.astype(object)
        elif name in scalar_arrays:
            restored[name] = float(array)
        else:
            restored[name] = array
    return restored
