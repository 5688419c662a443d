"""Reading the files of :mod:`ridgeline.io.tables` into a ``pyarrow.Table``.

CSV/TSV/TXT, Parquet, Arrow IPC/Feather files and directories of Parquet files. Reader errors
become a ValueError naming the file. The parts of a Parquet directory must share one schema
(the same columns with the same types): a part that adds a column, lacks one or changes a
column's type is refused with both parts and the column named, rather than read with the
first part's columns only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

#: File extension (lower case) -> reader kind.
SUPPORTED_EXTENSIONS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".arrow": "ipc",
    ".feather": "ipc",
    ".ipc": "ipc",
}

_TXT_DELIMITERS = ("\t", ",", ";", "|")


def format_of(path: Path) -> str:
    """Return the reader kind for ``path``; check that it exists."""
    if not path.exists():
        raise ValueError(f"file not found: {path}")
    if path.is_dir():
        return "parquet-dir"
    kind = SUPPORTED_EXTENSIONS.get(path.suffix.lower())
    if kind is None:
        supported = ", ".join(SUPPORTED_EXTENSIONS)
        raise ValueError(
            f"unsupported file extension {path.suffix or '(none)'!r} for {path}; "
            f"supported: {supported}, or a directory of Parquet files"
        )
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is empty (0 rows)")
    return kind


def read_arrow(path: Path, kind: str) -> pa.Table:
    """Read ``path`` into a ``pyarrow.Table``, wrapping reader errors in ValueError."""
    readers: dict[str, Callable[[Path], pa.Table]] = {
        "csv": _read_csv,
        "parquet": _read_parquet,
        "parquet-dir": _read_parquet_dir,
        "ipc": _read_ipc,
    }
    try:
        return readers[kind](path)
    except (pa.ArrowException, OSError) as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise ValueError(f"could not read {path}: {detail}") from exc


def _read_csv(path: Path) -> pa.Table:
    from pyarrow import csv

    delimiter = _sniff_delimiter(path) if path.suffix.lower() == ".txt" else ","
    if path.suffix.lower() == ".tsv":
        delimiter = "\t"
    return csv.read_csv(
        path,
        parse_options=csv.ParseOptions(delimiter=delimiter),
        convert_options=csv.ConvertOptions(strings_can_be_null=True),
    )


def _sniff_delimiter(path: Path) -> str:
    """Pick the most frequent candidate delimiter in the first line (comma if none)."""
    with path.open("rb") as fh:
        first = fh.readline(1 << 16).decode("utf-8", errors="replace")
    counts = {d: first.count(d) for d in _TXT_DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] > 0 else ","


def _read_parquet(path: Path) -> pa.Table:
    from pyarrow import parquet

    return parquet.read_table(path)


def _read_parquet_dir(path: Path) -> pa.Table:
    from pyarrow import dataset

    parts = dataset.dataset(path, format="parquet")
    if not parts.files:
        raise ValueError(f"{path} is empty (0 rows): a directory without Parquet files")
    fragments = list(parts.get_fragments())
    first = fragments[0].physical_schema
    for fragment in fragments[1:]:
        check_same_schema(path, Path(fragments[0].path), first, Path(fragment.path),
                          fragment.physical_schema)
    return parts.to_table()


def check_same_schema(directory: Path, first_part: Path, schema: pa.Schema, part_path: Path,
                      other: pa.Schema) -> None:
    """Refuse a part of ``directory`` whose columns or column types differ from the first
    part's (``schema`` of ``first_part``; ``other`` of ``part_path``).

    Raises
    ------
    ValueError
        Naming the directory's first part, the differing part and the column: one the part
        adds, one it lacks, or one whose type changed (a column of nulls only, type ``null``,
        matches any type).
    """
    where = f"the parts of the Parquet directory {directory} differ"
    first, part = _relative(first_part, directory), _relative(part_path, directory)
    added = [n for n in other.names if n not in schema.names]
    if added:
        raise ValueError(f"{where}: column {added[0]!r} is in {part} but not in "
                         f"{first} (every part must have the same columns; rewrite the "
                         "parts with one schema, or drop the column from the parts that have "
                         "it)")
    lacking = [n for n in schema.names if n not in other.names]
    if lacking:
        raise ValueError(f"{where}: column {lacking[0]!r} is in {first} but not in "
                         f"{part} (every part must have the same columns)")
    for name in schema.names:
        a, b = schema.field(name).type, other.field(name).type
        if a != b and not (pa.types.is_null(a) or pa.types.is_null(b)):
            raise ValueError(f"{where}: column {name!r} is {a} in {first} but {b} in "
                             f"{part} (every part must give a column the same type)")


def _relative(part: Path, directory: Path) -> str:
    try:
        return str(part.relative_to(directory))
    except ValueError:
        return str(part)


def _read_ipc(path: Path) -> pa.Table:
    if path.suffix.lower() == ".feather":
        from pyarrow import feather

        return feather.read_table(path)
    try:
        with pa.ipc.open_file(path) as reader:
            return reader.read_all()
    except pa.ArrowInvalid:
        with pa.ipc.open_stream(path) as reader:  # IPC stream format
            return reader.read_all()
