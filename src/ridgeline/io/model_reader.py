"""The validating reader of model files: nothing is allocated before it is checked.

Opening a model file (:func:`open_model_file`) reads only the zip directory, ``meta.json``
(at most :data:`META_MAX_BYTES`) and the first :data:`NPY_HEADER_MAX` bytes of each ``.npy``
member, and refuses

* a member with a path-like name (``../x``, ``/x``, ``a\\b``, a directory), one that appears
  twice, is encrypted or uses a compression other than stored/deflate, or is not in the
  manifest (``meta.json``'s ``"arrays"``);
* a member whose sizes in the zip directory exceed what its declared shape and dtype need
  (the ``"array_specs"`` of the manifest, else its ``.npy`` header), or claim a compression
  ratio deflate cannot reach; arrays of more than :data:`MAX_ARRAY_BYTES` in all;
* a ``.npy`` header that does not parse, disagrees with the manifest, or has an object,
  structured or other unsupported dtype (pickle is never used).

Only then does :meth:`ModelArchive.read_arrays` allocate each array (of the checked shape and
dtype) and fill it from the member in bounded reads, refusing a member with fewer or more
bytes than its header declares.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from ridgeline.io.model_schema import ArraySpec, ModelFileError, dtype_problem

__all__ = [
    "ARRAY_NAME",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MAX_ARRAY_BYTES",
    "META_MAX_BYTES",
    "META_MEMBER",
    "MODEL_SUFFIX",
    "NPY_HEADER_MAX",
    "ModelArchive",
    "existing_file",
    "open_model_file",
]

FORMAT_NAME = "ridgeline-model"
FORMAT_VERSION = 1
MODEL_SUFFIX = ".ridgeline"
META_MEMBER = "meta.json"
ARRAY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")

#: largest ``meta.json`` read or written (bytes): room for the encoding of ~10⁵ columns
META_MAX_BYTES = 1 << 24
#: largest ``.npy`` header read (bytes; numpy writes about 128)
NPY_HEADER_MAX = 4096
#: largest total of array data one model file may declare (bytes)
MAX_ARRAY_BYTES = 1 << 32
#: deflate compresses at most about 1032:1; a member claiming more is lying
_DEFLATE_MAX_RATIO = 1100
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
_CHUNK = 1 << 20


@dataclass(frozen=True)
class _Header:
    """A checked ``.npy`` header: the array's spec, its memory order and its length in bytes."""

    spec: ArraySpec
    fortran: bool
    length: int


class ModelArchive:
    """An open model file whose directory, ``meta.json`` and array headers passed the checks.

    Attributes
    ----------
    source : pathlib.Path
        The file.
    meta : dict
        The ``meta.json`` content.
    specs : dict of str to ArraySpec
        Each array's shape and dtype, as checked against the manifest and its ``.npy`` header.
    """

    def __init__(self, archive: zipfile.ZipFile, source: Path) -> None:
        self._archive = archive
        self.source = source
        members = _directory(archive, source)
        self.meta = _read_meta(archive, members, source)
        names = self.meta["arrays"]
        _check_manifest(members, names, source)
        declared = _declared_specs(self.meta, names, source)
        _check_total(declared, source)
        self._infos = {name: members[f"{name}.npy"] for name in names}
        self._headers = {name: _member_header(archive, self._infos[name], declared.get(name),
                                              source) for name in names}
        self.specs = {name: header.spec for name, header in self._headers.items()}
        _check_total(self.specs, source)

    def read_arrays(self) -> dict[str, np.ndarray]:
        """Read every array, with ``allow_pickle=False`` and reads bounded by the checked sizes.

        Returns
        -------
        dict of str to numpy.ndarray
            The arrays, in manifest order.
        """
        return {name: self._read(name) for name in self.specs}

    def _read(self, name: str) -> np.ndarray:
        """One array: its header read again and compared, then exactly its checked bytes."""
        header = self._headers[name]
        spec = header.spec
        with self._archive.open(self._infos[name]) as member:
            if _parse_npy_header(member.read(header.length), name, self.source) != header:
                raise _array_error(self.source, name, "changed while it was read")
            shape = spec.shape[::-1] if header.fortran else spec.shape
            array = np.empty(shape, dtype=spec.dtype)
            _read_into(member, array, name, self.source)
            if member.read(1):
                raise _array_error(self.source, name, "holds data after its array")
        return array.T if header.fortran else array


def _read_into(member: IO[bytes], array: np.ndarray, name: str, source: Path) -> None:
    """Fill the C-contiguous ``array`` from ``member`` in bounded chunks."""
    total = array.nbytes
    if total == 0:
        return
    flat = array.reshape(-1).view(np.uint8)
    done = 0
    while done < total:
        chunk = member.read(min(total - done, _CHUNK))
        if not chunk:
            raise _array_error(source, name, f"ends after {done} of its {total} data bytes")
        flat[done: done + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
        done += len(chunk)


@contextmanager
def open_model_file(source: Path) -> Iterator[ModelArchive]:
    """Open ``source`` (an existing regular file) as a checked :class:`ModelArchive`.

    Raises
    ------
    ModelFileError
        If the file is not a model file, is truncated or corrupted, or fails a check.
    """
    try:
        with zipfile.ZipFile(source) as archive:
            yield ModelArchive(archive, source)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ModelFileError(f"model file {source} is corrupted or truncated: {exc}") from exc
    except NotImplementedError as exc:  # zipfile: a zip version or feature it does not read
        raise ModelFileError(f"model file {source} is corrupted or uses an unsupported zip "
                             f"feature: {exc}") from exc
    except OSError as exc:
        raise ModelFileError(f"could not read model file {source}: {exc}") from exc


def existing_file(path: Path) -> Path:
    """``path`` (or ``path + MODEL_SUFFIX`` when it has no suffix), checked to be a zip file.

    Raises
    ------
    ModelFileError
        If it does not exist, is not a regular file, or is not a zip archive.
    """
    if not path.exists() and not path.suffix:
        candidate = path.with_name(path.name + MODEL_SUFFIX)
        path = candidate if candidate.exists() else path
    if not path.exists():
        raise ModelFileError(f"model file not found: {path}")
    if not path.is_file():
        raise ModelFileError(f"model file {path} is not a regular file")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(
            f"{path} is not a ridgeline model file (not a zip archive, or truncated/corrupted)")
    return path


def _array_error(source: Path, name: str, problem: str) -> ModelFileError:
    return ModelFileError(f"array {name!r} in model file {source} cannot be loaded: member "
                          f"{name}.npy {problem}", f"{name}.npy")


def _member_error(source: Path, name: str, problem: str) -> ModelFileError:
    return ModelFileError(f"model file {source}: member {name!r} {problem}", name)


# --------------------------------------------------------------------------- directory


def _directory(archive: zipfile.ZipFile, source: Path) -> dict[str, zipfile.ZipInfo]:
    """The members by name, refusing path-like, repeated, encrypted and odd-method ones."""
    infos = archive.infolist()
    for info in infos:
        name = info.filename
        if ("/" in name or "\\" in name or ":" in name or name in ("", ".", "..")
                or info.is_dir()):
            raise _member_error(source, name, "has a path-like name; a model file holds only "
                                              "meta.json and <array>.npy members")
        if info.flag_bits & 0x41:
            raise _member_error(source, name, "is encrypted")
        if info.compress_type not in _METHODS:
            raise _member_error(source, name, f"uses compression method {info.compress_type}; "
                                              "only stored and deflate are read")
    repeated = [name for name, count in Counter(i.filename for i in infos).items() if count > 1]
    if repeated:
        raise _member_error(source, repeated[0], "appears more than once")
    return {info.filename: info for info in infos}


def _check_sizes(info: zipfile.ZipInfo, limit: int, need: str, source: Path) -> None:
    """Refuse a member bigger than ``limit`` uncompressed, or with impossible sizes."""
    name = info.filename
    if info.file_size > limit:
        raise _member_error(source, name, f"is {info.file_size} bytes uncompressed, more than "
                                          f"the {limit} bytes {need}")
    stored = info.compress_type == zipfile.ZIP_STORED
    if stored and info.compress_size != info.file_size:
        raise _member_error(source, name, f"is stored uncompressed but its sizes differ "
                                          f"({info.compress_size} and {info.file_size} bytes)")
    if info.compress_size > limit + limit // 64 + 1024:
        raise _member_error(source, name, f"is {info.compress_size} bytes compressed, more than "
                                          f"the {limit} bytes {need}")
    if not stored and info.file_size > _DEFLATE_MAX_RATIO * info.compress_size + 1024:
        raise _member_error(source, name, f"claims {info.file_size} bytes from "
                                          f"{info.compress_size} compressed, a ratio deflate "
                                          "cannot reach")


def _check_total(specs: dict[str, ArraySpec], source: Path) -> None:
    total = sum(spec.nbytes for spec in specs.values())
    if total > MAX_ARRAY_BYTES:
        raise ModelFileError(f"model file {source} declares {total} bytes of arrays, more "
                             f"than the {MAX_ARRAY_BYTES} one model file may hold")


def _check_manifest(members: dict[str, zipfile.ZipInfo], names: list[str], source: Path) -> None:
    expected = {META_MEMBER, *(f"{name}.npy" for name in names)}
    extra = sorted(set(members) - expected)
    if extra:
        raise _member_error(source, extra[0], "is not in the manifest (meta.json lists the "
                                              "arrays a model file holds)")
    for name in names:
        if f"{name}.npy" not in members:
            raise ModelFileError(f"model file {source} is corrupted: array {name!r} is missing",
                                 f"{name}.npy")


# --------------------------------------------------------------------------- meta.json


def _read_meta(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo],
               source: Path) -> dict[str, Any]:
    info = members.get(META_MEMBER)
    if info is None:
        raise ModelFileError(f"{source} is not a ridgeline model file: meta.json is missing",
                             META_MEMBER)
    _check_sizes(info, META_MAX_BYTES, "allowed for meta.json", source)
    with archive.open(info) as fh:
        raw = fh.read(META_MAX_BYTES + 1)
    if len(raw) > META_MAX_BYTES:
        raise _member_error(source, META_MEMBER, f"holds more than {META_MAX_BYTES} bytes")
    try:
        meta = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except RecursionError:
        raise ModelFileError(f"model file {source} has a corrupted meta.json: nested too "
                             "deeply", META_MEMBER) from None
    except ValueError as exc:  # includes JSONDecodeError and UnicodeDecodeError
        raise ModelFileError(f"model file {source} has a corrupted meta.json: {exc}",
                             META_MEMBER) from exc
    _check_header(meta, source)
    return meta


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name} in meta.json")


def _check_header(meta: Any, source: Path) -> None:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise ModelFileError(f"{source} is not a ridgeline model file (format: {found!r})")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"model file {source} has an invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"model file {source} uses format version {version}, newer than the supported "
            f"version {FORMAT_VERSION} (written by ridgeline "
            f"{meta.get('ridgeline_version', '?')}); upgrade ridgeline to load it")
    names = meta.get("arrays")
    if not isinstance(names, list) or not all(
        isinstance(n, str) and ARRAY_NAME.match(n) for n in names
    ):
        raise ModelFileError(f"model file {source} has an invalid array list in meta.json")
    if len(set(names)) != len(names):
        raise ModelFileError(f"model file {source} lists an array twice in meta.json")


def _declared_specs(meta: dict[str, Any], names: list[str],
                    source: Path) -> dict[str, ArraySpec]:
    """The manifest's ``"array_specs"`` (absent in files of ridgeline before it: ``{}``)."""
    raw = meta.get("array_specs")
    if raw is None:
        return {}
    if not isinstance(raw, dict) or sorted(raw) != sorted(names):
        raise ModelFileError(f"model file {source} has an invalid array_specs entry in "
                             "meta.json: it must describe exactly the arrays listed")
    return {name: _parse_spec(raw[name], name, source) for name in names}


def _parse_spec(entry: Any, name: str, source: Path) -> ArraySpec:
    shape = entry.get("shape") if isinstance(entry, dict) else None
    descr = entry.get("dtype") if isinstance(entry, dict) else None
    if (not isinstance(shape, list) or len(shape) > 32 or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
            or not isinstance(descr, str) or not re.fullmatch(r"[<>|=]?[biufcU]\d{1,6}", descr)):
        raise ModelFileError(f"model file {source}: the manifest entry of array {name!r} must "
                             "be a shape (non-negative integers) and a numeric or unicode "
                             f"dtype, got {entry!r:.80}", f"{name}.npy")
    try:
        dtype = np.dtype(descr)
    except TypeError as exc:
        raise ModelFileError(f"model file {source}: array {name!r} declares dtype {descr!r}: "
                             f"{exc}", f"{name}.npy") from exc
    return ArraySpec(tuple(shape), dtype)


# --------------------------------------------------------------------------- .npy headers


def _member_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                   declared: ArraySpec | None, source: Path) -> _Header:
    """Check a member's sizes and ``.npy`` header (a bounded read); return the header."""
    name = info.filename[: -len(".npy")]
    if declared is not None:
        _check_sizes(info, declared.nbytes + NPY_HEADER_MAX,
                     f"its declared {declared.describe()} needs", source)
    else:
        _check_sizes(info, MAX_ARRAY_BYTES + NPY_HEADER_MAX, "a model file may hold", source)
    with archive.open(info) as member:
        head = member.read(NPY_HEADER_MAX)
    header = _parse_npy_header(head, name, source)
    spec, header_len = header.spec, header.length
    if declared is not None and spec != declared:
        raise _array_error(source, name, f"holds {spec.describe()}, but the manifest declares "
                                         f"{declared.describe()}")
    if header_len + spec.nbytes != info.file_size:
        raise _array_error(source, name, f"is {info.file_size} bytes, but its header declares "
                                         f"{spec.describe()} ({header_len + spec.nbytes} bytes)")
    return header


def _parse_npy_header(head: bytes, name: str, source: Path) -> _Header:
    """The shape, dtype and order a ``.npy`` header at the start of ``head`` declares."""
    fh = io.BytesIO(head)
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fh,
                                                              max_header_size=NPY_HEADER_MAX)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(fh,
                                                              max_header_size=NPY_HEADER_MAX)
        else:
            raise ValueError(f".npy format version {version} is not read")
    except (ValueError, TypeError, OverflowError, SyntaxError, RecursionError) as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _array_error(source, name, f"has no valid .npy header ({problem:.200})") from exc
    if not all(d >= 0 for d in shape):
        raise _array_error(source, name, f"declares a negative dimension {shape}")
    problem = dtype_problem(dtype)
    if problem is not None:
        raise _array_error(source, name, f"{problem} (refused)")
    return _Header(ArraySpec(tuple(int(d) for d in shape), dtype), bool(fortran), fh.tell())
