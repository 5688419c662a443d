"""Reading numeric data tables (CSV, Parquet, Arrow IPC/Feather) for the command line.

Every reader returns a :class:`Table`: a dense float64 design matrix ``X``, the
target ``y`` and the column names.  Problems with the input are reported as a
:class:`ValueError` whose one-line message names the file and the offending
column(s); no partial data is ever returned.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "BUILTIN_DATASETS",
    "SUPPORTED_EXTENSIONS",
    "Table",
    "load_builtin",
    "read_table",
    "table_from_frame",
]

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

#: Names accepted by :func:`load_builtin`.
BUILTIN_DATASETS: tuple[str, ...] = ("diabetes", "linnerud")

_ONE_HOT_HINT = (
    "are not supported yet; encode them or drop them with --features "
    "(one-hot encoding comes with a later release)"
)
_TXT_DELIMITERS = ("\t", ",", ";", "|")


@dataclass(frozen=True, eq=False)
class Table:
    """A numeric data table ready for fitting.

    Attributes
    ----------
    X : numpy.ndarray
        Feature matrix, shape ``(n_rows, n_features)``, float64, C-contiguous.
    y : numpy.ndarray
        Target, float64; shape ``(n_rows,)`` when a single target name was given as
        a string, ``(n_rows, k)`` when a list of ``k`` target names was given.
    feature_names : list of str
        Names of the columns of ``X``, in order.
    target_names : list of str
        Names of the target column(s), in order.
    source : str
        Where the data came from (a path, ``"builtin:<name>"`` or a frame type).
    n_rows : int
        Number of rows (samples).
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target_names: list[str]
    source: str
    n_rows: int

    def __post_init__(self) -> None:
        if self.X.shape != (self.n_rows, len(self.feature_names)):
            raise ValueError(f"X has shape {self.X.shape}, inconsistent with the column names")
        if self.y.shape[0] != self.n_rows:
            raise ValueError(f"y has {self.y.shape[0]} rows but X has {self.n_rows}")


# --------------------------------------------------------------------------- public API


def read_table(
    path: str | os.PathLike[str],
    *,
    target: str | Sequence[str],
    features: Sequence[str] | None = None,
) -> Table:
    """Read a numeric data table from a file or a directory of Parquet files.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.csv``/``.tsv``/``.txt`` file, a ``.parquet``/``.pq`` file, an Arrow IPC
        file (``.arrow``, ``.feather``, ``.ipc``) or a directory of Parquet files.
        The format is chosen by extension.  ``.txt`` files use the most frequent
        of tab, comma, semicolon and ``|`` in the first line as the delimiter.
    target : str or sequence of str
        Target column name (``y`` is 1-D) or list of names (``y`` is 2-D).
    features : sequence of str, optional
        Feature columns, in order.  Default: every column that is not a target.

    Returns
    -------
    Table
        The validated table.

    Raises
    ------
    ValueError
        If the file is missing, unreadable or corrupt, has an unsupported
        extension, has fewer than 2 rows, lacks a requested column, has a
        non-numeric selected column, or has missing or non-finite values.
    """
    path = Path(path)
    kind = _format_of(path)
    data = _read_arrow(path, kind)
    return _from_arrow(data, target, features, source=str(path))


def table_from_frame(
    df: Any,
    target: str | Sequence[str],
    features: Sequence[str] | None = None,
    *,
    source: str | None = None,
) -> Table:
    """Build a :class:`Table` from a pandas or polars DataFrame (or a ``pyarrow.Table``).

    Parameters
    ----------
    df : pandas.DataFrame, polars.DataFrame or pyarrow.Table
        The data.  Column labels are converted to ``str``.
    target : str or sequence of str
        Target column name (``y`` is 1-D) or list of names (``y`` is 2-D).
    features : sequence of str, optional
        Feature columns, in order.  Default: every column that is not a target.
    source : str, optional
        Description used in error messages and stored in :attr:`Table.source`.

    Returns
    -------
    Table
        The validated table.

    Raises
    ------
    ValueError
        For the same data problems as :func:`read_table`.
    TypeError
        If ``df`` is not one of the supported frame types.
    """
    if isinstance(df, pa.Table):
        return _from_arrow(df, target, features, source=source or "<pyarrow.Table>")
    module = type(df).__module__.split(".")[0]
    if module == "polars":
        return _from_arrow(df.to_arrow(), target, features, source=source or "<polars.DataFrame>")
    if module == "pandas":
        return _from_pandas(df, target, features, source=source or "<pandas.DataFrame>")
    raise TypeError(f"expected a pandas or polars DataFrame, got {type(df).__name__}")


def load_builtin(name: str = "diabetes") -> Table:
    """Load a small data set that ships with scikit-learn (no download needed).

    Parameters
    ----------
    name : {"diabetes", "linnerud"}
        ``"diabetes"``: 442 rows, 10 features, one target named ``"target"``.
        ``"linnerud"``: 20 rows, 3 features, 3 targets (names from scikit-learn).

    Returns
    -------
    Table
        The data set; ``source`` is ``"builtin:<name>"``.

    Raises
    ------
    ValueError
        If ``name`` is not one of :data:`BUILTIN_DATASETS`.
    """
    from sklearn import datasets

    key = name.strip().lower()
    if key not in BUILTIN_DATASETS:
        choices = ", ".join(BUILTIN_DATASETS)
        raise ValueError(f"unknown built-in data set {name!r}; choose one of: {choices}")
    bunch = datasets.load_diabetes() if key == "diabetes" else datasets.load_linnerud()
    y = np.array(bunch.target, dtype=np.float64, order="C")
    target_names = ["target"] if y.ndim == 1 else [str(t) for t in bunch.target_names]
    return Table(
        X=np.array(bunch.data, dtype=np.float64, order="C"),
        y=y,
        feature_names=[str(f) for f in bunch.feature_names],
        target_names=target_names,
        source=f"builtin:{key}",
        n_rows=y.shape[0],
    )


# --------------------------------------------------------------------------- reading files


def _format_of(path: Path) -> str:
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


def _read_arrow(path: Path, kind: str) -> pa.Table:
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
    return csv.read_csv(path, parse_options=csv.ParseOptions(delimiter=delimiter))


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

    return dataset.dataset(path, format="parquet").to_table()


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


# --------------------------------------------------------------------------- frames -> Table


def _from_arrow(
    data: pa.Table, target: str | Sequence[str], features: Sequence[str] | None, *, source: str
) -> Table:
    names = [str(n) for n in data.column_names]
    return _build(names, data.num_rows, data.column, target, features, source)


def _from_pandas(
    df: Any, target: str | Sequence[str], features: Sequence[str] | None, *, source: str
) -> Table:
    names = [str(c) for c in df.columns]

    def fetch(index: int) -> pa.ChunkedArray:
        series = df.iloc[:, index]
        try:
            return pa.chunked_array([pa.array(series, from_pandas=True)])
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return pa.chunked_array([pa.array(series.astype(str))])  # mixed objects

    return _build(names, len(df), fetch, target, features, source)


def _build(
    names: list[str],
    n_rows: int,
    fetch: Callable[[int], pa.ChunkedArray],
    target: str | Sequence[str],
    features: Sequence[str] | None,
    source: str,
) -> Table:
    """Validate the selection and convert the selected columns to float64."""
    _check_rows(n_rows, source)
    targets, feats = _select(names, target, features, source)
    columns = {name: fetch(names.index(name)) for name in (*feats, *targets)}
    _check_numeric(columns, source)
    values = {name: _to_float(col) for name, col in columns.items()}
    _check_finite(values, source)
    X = np.empty((n_rows, len(feats)), dtype=np.float64, order="C")
    for j, name in enumerate(feats):
        X[:, j] = values[name]
    y = np.column_stack([values[t] for t in targets]).astype(np.float64, order="C")
    if isinstance(target, str):
        y = np.ascontiguousarray(y[:, 0])
    return Table(X, y, feats, targets, source, n_rows)


def _check_rows(n_rows: int, source: str) -> None:
    if n_rows == 0:
        raise ValueError(f"{source} is empty (0 rows)")
    if n_rows < 2:
        raise ValueError(f"{source} has only {n_rows} row; at least 2 rows are needed")


def _select(
    names: list[str],
    target: str | Sequence[str],
    features: Sequence[str] | None,
    source: str,
) -> tuple[list[str], list[str]]:
    """Return ``(target_names, feature_names)`` after checking they exist and are distinct."""
    targets = [target] if isinstance(target, str) else [str(t) for t in target]
    if not targets:
        raise ValueError("no target column given")
    _check_present(names, targets, "target", source)
    if features is None:
        feats = [n for n in names if n not in targets]
    else:
        feats = [features] if isinstance(features, str) else [str(f) for f in features]
    _check_present(names, feats, "feature", source)
    both = sorted(set(targets) & set(feats))
    if both:
        raise ValueError(f"column(s) {_quote(both)} of {source} are both target and feature")
    if not feats:
        raise ValueError(f"{source} has no feature columns besides the target")
    for group, kind in ((targets, "target"), (feats, "feature")):
        repeated = sorted({n for n in group if group.count(n) > 1})
        if repeated:
            raise ValueError(f"{kind} column(s) {_quote(repeated)} listed more than once")
    return targets, feats


def _check_present(names: list[str], wanted: list[str], kind: str, source: str) -> None:
    missing = [n for n in wanted if n not in names]
    if missing:
        available = ", ".join(names) or "(none)"
        raise ValueError(
            f"{kind} column(s) {_quote(missing)} not found in {source}; available: {available}"
        )
    duplicated = [n for n in wanted if names.count(n) > 1]
    if duplicated:
        raise ValueError(f"column(s) {_quote(duplicated)} appear more than once in {source}")


def _is_numeric(dtype: pa.DataType) -> bool:
    t = pa.types
    return (
        t.is_integer(dtype)
        or t.is_floating(dtype)
        or t.is_boolean(dtype)
        or t.is_decimal(dtype)
        or t.is_null(dtype)  # an all-empty column: reported as missing values
    )


def _type_label(dtype: pa.DataType) -> str:
    """A user-facing name for an Arrow type."""
    t = pa.types
    if str(dtype) in {"string", "large_string", "string_view"}:
        return "string"
    if t.is_dictionary(dtype):
        return "categorical"
    if t.is_timestamp(dtype) or t.is_date(dtype):
        return "datetime"
    return str(dtype)


def _check_numeric(columns: dict[str, pa.ChunkedArray], source: str) -> None:
    bad = [
        f"{name!r} ({_type_label(col.type)})"
        for name, col in columns.items()
        if not _is_numeric(col.type)
    ]
    if bad:
        raise ValueError(f"non-numeric column(s) {', '.join(bad)} in {source} {_ONE_HOT_HINT}")


def _to_float(column: pa.ChunkedArray) -> np.ndarray:
    """Convert a numeric Arrow column to float64; nulls become NaN."""
    as_float = pc.cast(column, pa.float64(), safe=False)
    return np.asarray(as_float.to_numpy(zero_copy_only=False), dtype=np.float64)


def _check_finite(values: dict[str, np.ndarray], source: str) -> None:
    counts = {name: int(np.count_nonzero(~np.isfinite(v))) for name, v in values.items()}
    bad = [f"{name!r} ({n} row{'s' if n > 1 else ''})" for name, n in counts.items() if n]
    if bad:
        raise ValueError(
            f"missing or non-finite values (NA/NaN/inf) in {source}: column(s) {', '.join(bad)}; "
            "drop or impute those rows first"
        )


def _quote(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names)
