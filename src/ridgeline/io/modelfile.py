"""Safe model files: a zip of ``meta.json`` plus one ``.npy`` per array, never pickle.

Layout of a model file (default suffix ``.ridgeline``)::

    meta.json      UTF-8 JSON: {"format": "ridgeline-model", "format_version": 1,
                   "ridgeline_version": ..., "created": ISO-8601 UTC timestamp,
                   "arrays": [names...], <caller's metadata keys>...}
    <name>.npy     one per array, written by numpy.lib.format with allow_pickle=False

Files are written atomically (temporary file in the same directory, fsync, then
``os.replace``), so a failed save never leaves a partial file at the destination.

:func:`save_estimator` / :func:`load_estimator` store scikit-learn-style estimators:
constructor parameters and scalar fitted attributes go to ``meta.json``, fitted
array attributes to ``.npy`` members.  Caveats:

* a constructor parameter that is not JSON-able (a CV splitter, a callable, ...)
  is stored only as its ``repr`` under ``"unserializable_params"``; the loaded
  estimator gets the class default for it.  Top-level tuples are restored as
  tuples; nested tuples come back as lists.
* fitted attributes (public names ending in ``_``) that are neither arrays nor
  JSON-able values (dataclasses, other objects) are not stored; their names are
  listed under ``"skipped_attributes"``.
* only classes defined in the ``ridgeline`` package can be loaded.

``save_estimator(..., extra=...)`` keeps caller metadata under ``"extra"`` (the command line
stores the model kind, the target names and the feature encoding there); :func:`load_model`
returns it with the estimator.  Files without it load as before (format version 1).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import math
import os
import re
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np

from ridgeline.io.atomic import atomic_write

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MODEL_SUFFIX",
    "LoadedModel",
    "atomic_write",
    "load_estimator",
    "load_model",
    "load_model_file",
    "save_estimator",
    "save_model_file",
]

FORMAT_NAME = "ridgeline-model"
FORMAT_VERSION = 1
MODEL_SUFFIX = ".ridgeline"

_META_MEMBER = "meta.json"
_RESERVED_KEYS = frozenset({"format", "format_version", "ridgeline_version", "created", "arrays"})
_ARRAY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")
_FITTED_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*_\Z")


class _NotJSONableError(ValueError):
    """A value that cannot be represented in ``meta.json``."""


# --------------------------------------------------------------------------- generic files


def save_model_file(
    path: str | os.PathLike[str],
    meta: Mapping[str, Any],
    arrays: Mapping[str, np.ndarray],
) -> Path:
    """Write a model file atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Destination.  If it has no suffix, :data:`MODEL_SUFFIX` is appended.
        An existing file is replaced only once the new one is complete.
    meta : mapping
        JSON-able metadata (str keys; numpy scalars and arrays are converted,
        tuples become lists).  Must not use the reserved keys ``format``,
        ``format_version``, ``ridgeline_version``, ``created`` or ``arrays``.
    arrays : mapping of str to numpy.ndarray
        Arrays to store; names may use letters, digits, ``_``, ``.`` and ``-``.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        If the metadata is not JSON-able (or holds NaN/inf), uses a reserved key,
        or an array has an invalid name or object dtype (pickle is never used).
    OSError
        If the file cannot be written; no partial file is left behind.
    """
    target = Path(path)
    if not target.suffix:
        target = target.with_name(target.name + MODEL_SUFFIX)
    checked = _check_arrays(arrays)
    payload = _encode_meta(meta, sorted(checked))
    atomic_write(target, lambda fh: _write_zip(fh, payload, checked))
    return target


def load_model_file(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a model file written by :func:`save_model_file`.

    Parameters
    ----------
    path : str or os.PathLike
        The model file.  If it does not exist and has no suffix,
        ``path + MODEL_SUFFIX`` is tried.

    Returns
    -------
    meta : dict
        The full ``meta.json`` content: the format header plus the caller's keys.
    arrays : dict of str to numpy.ndarray
        The stored arrays (loaded with ``allow_pickle=False``).

    Raises
    ------
    ValueError
        If the file is missing, not a zip archive, truncated or corrupted, lacks
        ``meta.json``, is not a ridgeline model file, was written by a newer
        format version, or holds an array that would need pickle.
    """
    source = _existing_file(Path(path))
    try:
        with zipfile.ZipFile(source) as archive:
            meta = _read_meta(archive, source)
            arrays = {name: _read_array(archive, name, source) for name in meta["arrays"]}
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ValueError(f"model file {source} is corrupted or truncated: {exc}") from exc
    except OSError as exc:
        raise ValueError(f"could not read model file {source}: {exc}") from exc
    return meta, arrays


# --------------------------------------------------------------------------- estimators


def save_estimator(est: Any, path: str | os.PathLike[str], *,
                   extra: Mapping[str, Any] | None = None) -> Path:
    """Save a scikit-learn-style estimator to a model file (no pickle).

    Parameters
    ----------
    est : estimator
        Any object with ``get_params(deep=False)``.  Only estimators defined in
        the ``ridgeline`` package can be loaded back by :func:`load_estimator`.
    path : str or os.PathLike
        Destination (see :func:`save_model_file`).
    extra : mapping, optional
        JSON-able metadata stored beside the estimator under ``"extra"`` (the
        command line keeps the feature encoding and the target names there); read
        it back with :func:`load_model`.

    Returns
    -------
    pathlib.Path
        The path written.

    Notes
    -----
    Constructor parameters that are not JSON-able are stored as their ``repr``
    under ``"unserializable_params"`` and are *not* restored: the loaded
    estimator uses the class default for them.  Fitted attributes that are
    neither arrays nor JSON-able values are listed under ``"skipped_attributes"``
    and are not restored.  Object arrays of strings (such as
    ``feature_names_in_``) are stored as unicode arrays and restored as object
    arrays; non-finite float attributes are stored as 0-d arrays.  Scalar numpy
    attributes (e.g. ``np.float64``) come back as the equivalent Python scalars,
    and tuples inside fitted attributes come back as lists.
    """
    if not callable(getattr(est, "get_params", None)):
        raise TypeError(f"{type(est).__name__} has no get_params(); not an estimator")
    params, unserializable, tuple_params = _split_params(est.get_params(deep=False))
    state = _collect_fitted(est)
    meta = {
        "class": type(est).__name__,
        "module": type(est).__module__,
        "params": params,
        "tuple_params": tuple_params,
        "unserializable_params": unserializable,
        "fitted": state.values,
        "object_arrays": state.object_arrays,
        "scalar_arrays": state.scalar_arrays,
        "skipped_attributes": state.skipped,
    }
    if extra is not None:
        meta["extra"] = dict(extra)
    return save_model_file(path, meta, state.arrays)


@dataclass(frozen=True)
class LoadedModel:
    """What :func:`load_model` read from a model file.

    Attributes
    ----------
    estimator : estimator
        The rebuilt estimator (as :func:`load_estimator` returns it).
    extra : dict
        The ``extra`` metadata given to :func:`save_estimator` (empty if none).
    meta : dict
        The whole ``meta.json`` (format header, parameters, ...).
    """

    estimator: Any
    extra: dict[str, Any]
    meta: dict[str, Any]


def load_estimator(
    path: str | os.PathLike[str], *, registry: Mapping[str, type] | None = None
) -> Any:
    """Load an estimator saved by :func:`save_estimator`.

    Parameters
    ----------
    path : str or os.PathLike
        The model file.
    registry : mapping of str to type, optional
        Classes to use before importing, keyed by ``"module.ClassName"`` or by
        ``"ClassName"``.  The ``ridgeline``-only rule applies to them as well.

    Returns
    -------
    estimator
        A new instance built from the stored parameters, with the stored
        fitted attributes set.

    Raises
    ------
    ValueError
        If the file is invalid (see :func:`load_model_file`), does not hold an
        estimator, names a class outside the ``ridgeline`` package, or the class
        cannot be found or constructed.
    """
    return load_model(path, registry=registry).estimator


def load_model(
    path: str | os.PathLike[str], *, registry: Mapping[str, type] | None = None
) -> LoadedModel:
    """Load an estimator saved by :func:`save_estimator` together with its ``extra`` metadata.

    Parameters
    ----------
    path : str or os.PathLike
        The model file.
    registry : mapping of str to type, optional
        As :func:`load_estimator`.

    Returns
    -------
    LoadedModel
        The estimator, the ``extra`` metadata and the whole ``meta.json``.

    Raises
    ------
    ValueError
        As :func:`load_estimator`, and if ``extra`` is present but not a JSON object.
    """
    meta, arrays = load_model_file(path)
    extra = _section(meta, "extra", dict, path)
    cls = _resolve_class(meta, registry, path)
    params = dict(_section(meta, "params", dict, path))
    for name in _section(meta, "tuple_params", list, path):
        if isinstance(params.get(name), list):
            params[name] = tuple(params[name])
    try:
        est = cls(**params)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"could not rebuild {cls.__name__} from {path}: {exc}") from exc
    for name, value in _restored_attributes(meta, arrays, path).items():
        setattr(est, name, value)
    return LoadedModel(est, dict(extra), meta)


# --------------------------------------------------------------------------- writing helpers


def _check_arrays(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    checked: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not _ARRAY_NAME.match(name):
            raise ValueError(
                f"invalid array name {name!r}: use letters, digits, '_', '.' and '-' only"
            )
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise ValueError(
                f"array {name!r} has object dtype, which would need pickle; "
                "model files store numeric, boolean or string arrays only"
            )
        checked[name] = array
    return checked


def _encode_meta(meta: Mapping[str, Any], array_names: list[str]) -> bytes:
    clash = sorted(_RESERVED_KEYS.intersection(meta))
    if clash:
        raise ValueError(f"metadata key(s) {clash} are reserved by the model file format")
    header: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "ridgeline_version": _ridgeline_version(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "arrays": array_names,
    }
    try:
        header.update(_jsonable(dict(meta), "meta"))
    except _NotJSONableError as exc:
        raise ValueError(f"cannot store model metadata: {exc} (JSON types only)") from None
    text = json.dumps(header, allow_nan=False, ensure_ascii=False, indent=2)
    return text.encode("utf-8")


def _jsonable(value: Any, where: str) -> Any:
    """Return ``value`` as plain JSON types, or raise :class:`_NotJSONableError`."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _NotJSONableError(f"{where} is {value}; NaN and infinity cannot be stored")
        return float(value)
    if isinstance(value, np.generic | np.ndarray):
        return _jsonable(value.tolist(), where)
    if isinstance(value, list | tuple):
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return _jsonable_dict(value, where)
    raise _NotJSONableError(f"{where} has type {type(value).__name__}, which is not JSON-able")


def _jsonable_dict(value: dict[Any, Any], where: str) -> dict[str, Any]:
    bad_keys = [k for k in value if not isinstance(k, str)]
    if bad_keys:
        raise _NotJSONableError(f"{where} has non-string key(s) {bad_keys!r}")
    return {k: _jsonable(v, f"{where}.{k}") for k, v in value.items()}


def _ridgeline_version() -> str:
    try:
        return importlib.metadata.version("ridgeline")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _write_zip(fh: IO[bytes], payload: bytes, arrays: Mapping[str, np.ndarray]) -> None:
    with zipfile.ZipFile(fh, "w") as archive:
        archive.writestr(_META_MEMBER, payload, compress_type=zipfile.ZIP_DEFLATED)
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _existing_file(path: Path) -> Path:
    if not path.exists() and not path.suffix:
        candidate = path.with_name(path.name + MODEL_SUFFIX)
        path = candidate if candidate.exists() else path
    if not path.exists():
        raise ValueError(f"model file not found: {path}")
    if not path.is_file():
        raise ValueError(f"model file {path} is not a regular file")
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"{path} is not a ridgeline model file (not a zip archive, or truncated/corrupted)"
        )
    return path


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name} in meta.json")


def _read_meta(archive: zipfile.ZipFile, source: Path) -> dict[str, Any]:
    try:
        raw = archive.read(_META_MEMBER)
    except KeyError:
        raise ValueError(f"{source} is not a ridgeline model file: meta.json is missing") from None
    try:
        meta = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except ValueError as exc:  # includes JSONDecodeError and UnicodeDecodeError
        raise ValueError(f"model file {source} has a corrupted meta.json: {exc}") from exc
    _check_header(meta, source)
    return meta


def _check_header(meta: Any, source: Path) -> None:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise ValueError(f"{source} is not a ridgeline model file (format: {found!r})")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"model file {source} has an invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"model file {source} uses format version {version}, newer than the supported "
            f"version {FORMAT_VERSION} (written by ridgeline "
            f"{meta.get('ridgeline_version', '?')}); upgrade ridgeline to load it"
        )
    names = meta.get("arrays")
    if not isinstance(names, list) or not all(
        isinstance(n, str) and _ARRAY_NAME.match(n) for n in names
    ):
        raise ValueError(f"model file {source} has an invalid array list in meta.json")


def _read_array(archive: zipfile.ZipFile, name: str, source: Path) -> np.ndarray:
    try:
        with archive.open(f"{name}.npy") as member:
            array = np.lib.format.read_array(member, allow_pickle=False)
            if member.read(1):
                raise ValueError("unexpected trailing data")
    except KeyError:
        raise ValueError(f"model file {source} is corrupted: array {name!r} is missing") from None
    except ValueError as exc:
        raise ValueError(f"array {name!r} in model file {source} cannot be loaded: {exc}") from exc
    return array


# --------------------------------------------------------------------------- estimator helpers


@dataclass
class _FittedState:
    values: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    object_arrays: list[str] = field(default_factory=list)
    scalar_arrays: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _split_params(params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """Split parameters into JSON-able ones, repr strings of the rest, and tuple names."""
    stored: dict[str, Any] = {}
    unserializable: dict[str, str] = {}
    tuples: list[str] = []
    for name, value in params.items():
        try:
            stored[name] = _jsonable(value, f"params.{name}")
        except _NotJSONableError:
            unserializable[name] = repr(value)
            continue
        if isinstance(value, tuple):
            tuples.append(name)
    return stored, unserializable, tuples


def _collect_fitted(est: Any) -> _FittedState:
    state = _FittedState()
    for name, value in sorted(vars(est).items()):
        if _FITTED_NAME.match(name):
            _store_attribute(state, name, value)
    return state


def _store_attribute(state: _FittedState, name: str, value: Any) -> None:
    if isinstance(value, np.ndarray):
        array = _storable_array(value)
        if array is None:
            state.skipped.append(name)
            return
        if value.dtype.hasobject:
            state.object_arrays.append(name)
        state.arrays[name] = array
        return
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        state.arrays[name] = np.array(value, dtype=np.float64)
        state.scalar_arrays.append(name)
        return
    try:
        state.values[name] = _jsonable(value, name)
    except _NotJSONableError:
        state.skipped.append(name)


def _storable_array(value: np.ndarray) -> np.ndarray | None:
    """Return an array safe for ``.npy`` without pickle, or None if impossible."""
    if not value.dtype.hasobject:
        return value
    if value.dtype.fields is None and all(isinstance(v, str) for v in value.flat):
        return value.astype(str)
    return None


def _is_ridgeline_module(module: str) -> bool:
    return module == "ridgeline" or module.startswith("ridgeline.")


def _resolve_class(
    meta: dict[str, Any], registry: Mapping[str, type] | None, path: str | os.PathLike[str]
) -> type:
    module, name = meta.get("module"), meta.get("class")
    if not isinstance(module, str) or not isinstance(name, str):
        raise ValueError(f"model file {path} does not hold an estimator (no class/module)")
    qualified = f"{module}.{name}"
    if not _is_ridgeline_module(module):
        raise ValueError(
            f"model file {path} holds a {qualified}; only estimators from the ridgeline "
            "package can be loaded"
        )
    registry = registry or {}
    cls = registry.get(qualified, registry.get(name))
    if cls is None:
        cls = _import_class(module, name, path)
    if not isinstance(cls, type) or cls.__module__ != module or cls.__name__ != name:
        raise ValueError(f"{qualified} named in model file {path} is not a ridgeline class")
    return cls


def _import_class(module: str, name: str, path: str | os.PathLike[str]) -> Any:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot find class {module}.{name} for model file {path}: {exc}") from exc


def _section(meta: dict[str, Any], key: str, kind: type, path: str | os.PathLike[str]) -> Any:
    value = meta.get(key, kind())
    if not isinstance(value, kind):
        raise ValueError(f"model file {path} has an invalid {key!r} entry in meta.json")
    return value


def _restored_attributes(
    meta: dict[str, Any], arrays: dict[str, np.ndarray], path: str | os.PathLike[str]
) -> dict[str, Any]:
    """Fitted attributes to set on the new estimator, with their names checked."""
    object_arrays = set(_section(meta, "object_arrays", list, path))
    scalar_arrays = set(_section(meta, "scalar_arrays", list, path))
    restored = dict(_section(meta, "fitted", dict, path))
    for name, array in arrays.items():
        if name in object_arrays:
            restored[name] = array.astype(object)
        elif name in scalar_arrays:
            restored[name] = float(array)
        else:
            restored[name] = array
    bad = sorted(n for n in restored if not _FITTED_NAME.match(n))
    if bad:
        raise ValueError(f"model file {path} has invalid fitted attribute name(s) {bad}")
    return restored
