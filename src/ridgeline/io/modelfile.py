"""Safe model files: a zip of ``meta.json`` plus one ``.npy`` per array, never pickle.

Layout of a model file (default suffix ``.ridgeline``)::

    meta.json      UTF-8 JSON: {"format": "ridgeline-model", "format_version": 1,
                   "ridgeline_version": ..., "created": ISO-8601 UTC timestamp,
                   "arrays": [names...],
                   "array_specs": {name: {"shape": [...], "dtype": "<f8"}, ...},
                   <caller's metadata keys>...}
    <name>.npy     one per array, written by numpy.lib.format with allow_pickle=False

Files are written atomically (temporary file in the same directory, fsync, then
``os.replace``), so a failed save never leaves a partial file at the destination.

Files are never trusted when read (:mod:`ridgeline.io.model_reader`): member sizes are checked
against the shapes the manifest declares before anything is read, ``meta.json`` is read up to
16 MiB, ``.npy`` headers are checked before an array is allocated, members outside the manifest
and path-like names are refused; :func:`load_model` also checks every fitted attribute of a
linear model against ``n_features_in_`` and ``classes_`` (:mod:`ridgeline.io.model_schema`) and
refuses non-finite coefficients.  Every refusal is a :class:`ModelFileError` (a ``ValueError``)
naming the member or attribute.  Files written before ``"array_specs"`` existed load as before:
each member is then checked against its own ``.npy`` header.

:func:`save_estimator` / :func:`load_estimator` store scikit-learn-style estimators:
constructor parameters and scalar fitted attributes go to ``meta.json``, fitted
array attributes to ``.npy`` members.  Caveats:

* a constructor parameter that is not JSON-able (a CV splitter, a callable, ...)
  is stored only as its ``repr`` under ``"unserializable_params"``; the loaded
  estimator gets the class default for it.  Top-level tuples are restored as
  tuples; nested tuples come back as lists.
* a fitted attribute (public name ending in ``_``) that cannot be stored faithfully (an
  object array of anything but strings, a sparse matrix, an object, a list holding NaN) makes
  the save fail with :class:`ModelFileError` before the destination is touched -- except the
  selection reports in :data:`~ridgeline.io.model_schema.DIAGNOSTIC_ATTRIBUTES`
  (``selection_``, ``cv_result_``), which ``predict`` never reads: they are listed under
  ``"skipped_attributes"`` and not restored.
* only classes defined in the ``ridgeline`` package can be loaded.

``save_estimator(..., extra=...)`` keeps caller metadata under ``"extra"`` (the command line
stores the model kind, the target names and the feature encoding there); :func:`load_model`
returns it with the estimator.  Files without it load as before (format version 1).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np

from ridgeline.io.atomic import atomic_write
from ridgeline.io.model_reader import (
    ARRAY_NAME,
    FORMAT_NAME,
    FORMAT_VERSION,
    META_MAX_BYTES,
    MODEL_SUFFIX,
    existing_file,
    open_model_file,
)
from ridgeline.io.model_restore import (
    build_estimator,
    check_fitted_names,
    resolve_class,
    restored_attributes,
    section,
)
from ridgeline.io.model_schema import (
    ModelFileError,
    check_fitted_layout,
    check_fitted_values,
    dtype_problem,
)
from ridgeline.io.model_state import NotJSONableError, collect_fitted, jsonable, split_params

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MODEL_SUFFIX",
    "LoadedModel",
    "ModelFileError",
    "atomic_write",
    "load_estimator",
    "load_model",
    "load_model_file",
    "save_estimator",
    "save_model_file",
]

_META_MEMBER = "meta.json"
_RESERVED_KEYS = frozenset({"format", "format_version", "ridgeline_version", "created", "arrays",
                            "array_specs"})


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
        ``format_version``, ``ridgeline_version``, ``created``, ``arrays`` or ``array_specs``.
    arrays : mapping of str to numpy.ndarray
        Arrays to store; names may use letters, digits, ``_``, ``.`` and ``-``.  Boolean,
        integer, float, complex and unicode arrays can be stored; each one's shape and dtype
        are written to the manifest (``"array_specs"``).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        If the metadata is not JSON-able (or holds NaN/inf), uses a reserved key, is over
        16 MiB as JSON, or an array has an invalid name or an object (pickle is never
        used), structured or other unsupported dtype.  Nothing is written then.
    OSError
        If the file cannot be written; no partial file is left behind.
    """
    target = Path(path)
    if not target.suffix:
        target = target.with_name(target.name + MODEL_SUFFIX)
    checked = _check_arrays(arrays)
    payload = _encode_meta(meta, checked)
    atomic_write(target, lambda fh: _write_zip(fh, payload, checked))
    return target


def load_model_file(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a model file written by :func:`save_model_file`, checking it before allocating.

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
    ModelFileError
        A ``ValueError``: if the file is missing, not a zip archive, truncated or corrupted,
        lacks ``meta.json`` or has one over 16 MiB, is not a ridgeline model file, was written
        by a newer format version, holds a member outside the manifest or with a path-like
        name, a member larger than its declared shape needs, or an array whose ``.npy``
        header disagrees with the manifest or needs pickle.  The message names the member.
    """
    with open_model_file(existing_file(Path(path))) as model:
        return model.meta, model.read_arrays()


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

    Raises
    ------
    ModelFileError
        If a fitted attribute cannot be stored faithfully (see the module notes), naming
        it; the destination is not touched.
    TypeError
        If ``est`` has no ``get_params``.

    Notes
    -----
    Constructor parameters that are not JSON-able are stored as their ``repr``
    under ``"unserializable_params"`` and are *not* restored: the loaded
    estimator uses the class default for them.  The selection reports ``selection_`` and
    ``cv_result_`` are listed under ``"skipped_attributes"`` and not restored.  Object
    arrays of strings (such as ``feature_names_in_``) are stored as unicode arrays and
    restored as object arrays; non-finite float attributes are stored as 0-d arrays.  Scalar
    numpy attributes (e.g. ``np.float64``) come back as the equivalent Python scalars, and
    tuples inside fitted attributes come back as lists.
    """
    if not callable(getattr(est, "get_params", None)):
        raise TypeError(f"{type(est).__name__} has no get_params(); not an estimator")
    params, unserializable, tuple_params = split_params(est.get_params(deep=False))
    state = collect_fitted(est)
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
    ModelFileError
        A ``ValueError``: if the file is invalid (see :func:`load_model_file`), does not hold
        an estimator, names a class outside the ``ridgeline`` package, the class cannot be
        found or constructed, or a fitted attribute is missing, of the wrong type or shape
        for ``n_features_in_`` and ``classes_``, or non-finite where predictions need it.
    """
    return load_model(path, registry=registry).estimator


def load_model(
    path: str | os.PathLike[str], *, registry: Mapping[str, type] | None = None
) -> LoadedModel:
    """Load an estimator saved by :func:`save_estimator` together with its ``extra`` metadata.

    The class, parameters and every fitted attribute's type and declared shape are checked
    before any array is read; coefficients are checked to be finite once read.

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
    ModelFileError
        As :func:`load_estimator`, and if ``extra`` is present but not a JSON object.
    """
    where = f"model file {path}"
    with open_model_file(existing_file(Path(path))) as model:
        meta = model.meta
        extra = section(meta, "extra", dict, path)
        est = build_estimator(resolve_class(meta, registry, path), meta, path)
        fitted = check_fitted_names(meta, model.specs, path)
        check_fitted_layout(est, fitted, model.specs, where=where)
        arrays = model.read_arrays()
    check_fitted_values(arrays, where=where)
    for name, value in restored_attributes(meta, fitted, arrays).items():
        setattr(est, name, value)
    return LoadedModel(est, dict(extra), meta)


# --------------------------------------------------------------------------- writing helpers


def _check_arrays(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    checked: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not ARRAY_NAME.match(name):
            raise ValueError(
                f"invalid array name {name!r}: use letters, digits, '_', '.' and '-' only"
            )
        array = np.asarray(value)
        problem = dtype_problem(array.dtype)
        if problem is not None:
            raise ModelFileError(f"array {name!r} {problem}; model files store numeric, "
                                 "boolean or string arrays only", name)
        checked[name] = array
    return checked


def _encode_meta(meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> bytes:
    clash = sorted(_RESERVED_KEYS.intersection(meta))
    if clash:
        raise ValueError(f"metadata key(s) {clash} are reserved by the model file format")
    names = sorted(arrays)
    header: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "ridgeline_version": _ridgeline_version(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "arrays": names,
        "array_specs": {name: {"shape": list(arrays[name].shape),
                               "dtype": arrays[name].dtype.str} for name in names},
    }
    try:
        header.update(jsonable(dict(meta), "meta"))
    except NotJSONableError as exc:
        raise ValueError(f"cannot store model metadata: {exc} (JSON types only)") from None
    payload = json.dumps(header, allow_nan=False, ensure_ascii=False, indent=2).encode("utf-8")
    if len(payload) > META_MAX_BYTES:
        raise ModelFileError(f"cannot store model metadata of {len(payload)} bytes: meta.json "
                             f"may hold at most {META_MAX_BYTES}", _META_MEMBER)
    return payload


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
