"""Reading data tables (CSV, Parquet, Arrow IPC/Feather) for the command line and the report.

Every reader returns a :class:`Table`: a dense float64 design matrix ``X``, the
target ``y``, the column names and the :class:`FeatureEncoding` that turned the
file's columns into ``X``:

* numeric and boolean columns are used as they are (booleans as 0/1);
* text and categorical (dictionary) columns are one-hot encoded, one column
  ``name=value`` per category seen, in sorted order (a note says so);
* missing values (empty cells, ``NA``, ``NaN``, nulls) are refused with the
  column names and row counts, or, with ``impute="mean"``, replaced by the mean
  of the encoded column (for a one-hot column: the category's frequency).

:func:`read_features` applies a stored encoding to new data (prediction), so the
columns of ``X`` are exactly those seen when the model was fit.  Problems with
the input are reported as a :class:`ValueError` whose one-line message names the
file and the offending column(s); no partial data is ever returned.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ridgeline.io.modelfile import atomic_write

__all__ = [
    "BUILTIN_DATASETS",
    "IMPUTE_CHOICES",
    "SUPPORTED_EXTENSIONS",
    "FeatureEncoding",
    "Table",
    "load_builtin",
    "read_features",
    "read_table",
    "table_from_frame",
    "table_to_bytes",
    "write_table",
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

#: Values accepted by the ``impute`` argument (``None``: refuse missing values).
IMPUTE_CHOICES: tuple[str, ...] = ("mean",)

_UNSUPPORTED_HINT = "are not supported; convert them to numbers or drop them with --features"
_TXT_DELIMITERS = ("\t", ",", ";", "|")
_MISSING_HINT = "drop those rows (missing features can instead be imputed: --impute mean)"


# --------------------------------------------------------------------------- data classes


@dataclass(frozen=True, eq=False)
class FeatureEncoding:
    """How the feature columns of a file become the columns of ``X``.

    Attributes
    ----------
    columns : tuple of str
        The source columns, in order.
    categories : mapping of str to tuple of str
        One-hot encoded source columns and the categories seen when the encoding
        was learned (sorted); each gives one column ``"name=category"`` of ``X``.
    fill : mapping of str to float, or None
        With mean imputation: the value that replaces a missing entry of every
        column of ``X`` (keyed by the encoded name), learned on the training
        data.  ``None``: missing values are refused.
    """

    columns: tuple[str, ...]
    categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    fill: Mapping[str, float] | None = None

    @property
    def feature_names(self) -> list[str]:
        """Names of the columns of ``X``, in order."""
        names: list[str] = []
        for col in self.columns:
            if col in self.categories:
                names.extend(f"{col}={cat}" for cat in self.categories[col])
            else:
                names.append(col)
        return names

    @property
    def impute(self) -> str | None:
        """``"mean"`` when missing values are imputed, else ``None``."""
        return None if self.fill is None else "mean"

    def to_json(self) -> dict[str, Any]:
        """A JSON-able description (stored in model files)."""
        return {
            "columns": list(self.columns),
            "categories": {k: list(v) for k, v in self.categories.items()},
            "fill": None if self.fill is None else dict(self.fill),
        }

    @classmethod
    def from_json(cls, data: Any) -> FeatureEncoding:
        """Rebuild an encoding from :meth:`to_json`, checking every field's type.

        Raises
        ------
        ValueError
            If ``data`` is not a valid description (e.g. a tampered model file).
        """
        if not isinstance(data, dict):
            raise ValueError("invalid feature encoding: not a JSON object")
        columns = data.get("columns")
        categories = data.get("categories", {})
        fill = data.get("fill")
        if not isinstance(columns, list) or not columns or not all(
            isinstance(c, str) for c in columns
        ):
            raise ValueError("invalid feature encoding: 'columns' must be a list of names")
        if len(set(columns)) != len(columns):
            raise ValueError("invalid feature encoding: repeated column names")
        if not isinstance(categories, dict) or not all(
            k in columns and isinstance(v, list) and v and all(isinstance(c, str) for c in v)
            for k, v in categories.items()
        ):
            raise ValueError("invalid feature encoding: 'categories' must map feature columns "
                             "to non-empty lists of strings")
        enc = cls(tuple(columns), {k: tuple(v) for k, v in categories.items()}, None)
        if fill is not None:
            names = enc.feature_names
            if not isinstance(fill, dict) or set(fill) != set(names) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in fill.values()
            ):
                raise ValueError("invalid feature encoding: 'fill' must give a finite number "
                                 "for every encoded column")
            enc = cls(enc.columns, enc.categories, {k: float(fill[k]) for k in names})
        return enc


@dataclass(frozen=True, eq=False)
class Table:
    """A numeric data table ready for fitting.

    Attributes
    ----------
    X : numpy.ndarray
        Feature matrix, shape ``(n_rows, n_features)``, float64, C-contiguous.
    y : numpy.ndarray
        Target; shape ``(n_rows,)`` when a single target name was given as a string,
        ``(n_rows, k)`` when a list of ``k`` target names was given, ``(n_rows, 0)``
        for :func:`read_features`.  float64, except class labels (``labels=True``),
        which keep their type (strings, integers, booleans).
    feature_names : list of str
        Names of the columns of ``X``, in order (``"name=category"`` for one-hot columns).
    target_names : list of str
        Names of the target column(s), in order.
    source : str
        Where the data came from (a path, ``"builtin:<name>"`` or a frame type).
    n_rows : int
        Number of rows (samples).
    encoding : FeatureEncoding or None
        How the source columns became ``X`` (see :func:`read_features`).
    notes : tuple of str
        Plain-language notes on what was done to the data (one-hot encoding, imputation).
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target_names: list[str]
    source: str
    n_rows: int
    encoding: FeatureEncoding | None = None
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.X.shape != (self.n_rows, len(self.feature_names)):
            raise ValueError(f"X has shape {self.X.shape}, inconsistent with the column names")
        if self.y.shape[0] != self.n_rows:
            raise ValueError(f"y has {self.y.shape[0]} rows but X has {self.n_rows}")


@dataclass(frozen=True)
class _Options:
    impute: str | None = None
    one_hot: bool = True
    max_categories: int = 50
    labels: bool = False


# --------------------------------------------------------------------------- public API


def read_table(
    path: str | os.PathLike[str],
    *,
    target: str | Sequence[str],
    features: Sequence[str] | None = None,
    impute: str | None = None,
    one_hot: bool = True,
    max_categories: int = 50,
    labels: bool = False,
) -> Table:
    """Read a data table from a file or a directory of Parquet files.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.csv``/``.tsv``/``.txt`` file, a ``.parquet``/``.pq`` file, an Arrow IPC
        file (``.arrow``, ``.feather``, ``.ipc``) or a directory of Parquet files.
        The format is chosen by extension.  ``.txt`` files use the most frequent
        of tab, comma, semicolon and ``|`` in the first line as the delimiter.
        In text files, empty cells and ``NA``/``NaN``/``null`` are missing values.
    target : str or sequence of str
        Target column name (``y`` is 1-D) or list of names (``y`` is 2-D).
    features : sequence of str, optional
        Feature columns, in order.  Default: every column that is not a target.
    impute : {None, "mean"}, default=None
        ``None`` refuses missing feature values; ``"mean"`` replaces each by the mean
        of its (encoded) column.  Missing targets and infinite values are always refused.
    one_hot : bool, default=True
        One-hot encode text and categorical feature columns (otherwise refuse them).
    max_categories : int, default=50
        Refuse a text column with more distinct values than this (an identifier,
        most likely) instead of creating that many columns.
    labels : bool, default=False
        The target holds class labels: any type is accepted and kept as it is.

    Returns
    -------
    Table
        The validated table, with its :class:`FeatureEncoding` and notes.

    Raises
    ------
    ValueError
        If the file is missing, unreadable or corrupt, has an unsupported
        extension, has fewer than 2 rows, lacks a requested column, has an
        unsupported column type (dates, nested values), a text column with too many
        categories, or missing or non-finite values that are not imputed.
    """
    options = _check_options(impute, one_hot, max_categories, labels)
    path = Path(path)
    data = _read_arrow(path, _format_of(path))
    names = [str(n) for n in data.column_names]
    return _build(names, data.num_rows, data.column, target, features, str(path), options)


def read_features(path: str | os.PathLike[str], encoding: FeatureEncoding) -> Table:
    """Read the feature columns of a file with a stored encoding (for prediction).

    Parameters
    ----------
    path : str or os.PathLike
        A data file, as for :func:`read_table`.  Columns not in the encoding
        (such as the target) are ignored.
    encoding : FeatureEncoding
        The encoding learned when the model was fit.

    Returns
    -------
    Table
        ``X`` with exactly the columns of ``encoding.feature_names``; ``y`` has
        shape ``(n_rows, 0)``.

    Raises
    ------
    ValueError
        If a feature column is missing, has a different kind (numeric vs text)
        than at fit time, holds a category not seen at fit time, or has missing
        values that the encoding cannot impute.
    """
    path = Path(path)
    data = _read_arrow(path, _format_of(path))
    names = [str(n) for n in data.column_names]
    source = str(path)
    if data.num_rows == 0:
        raise ValueError(f"{source} is empty (0 rows)")
    feats = list(encoding.columns)
    _check_present(names, feats, "feature", source)
    columns = {name: data.column(names.index(name)) for name in feats}
    X, missing, infinite = _encode(columns, encoding, source, learning=False)
    _refuse_infinite(infinite, source)
    notes: tuple[str, ...] = ()
    if any(missing.values()):
        if encoding.fill is None:
            _refuse_missing(missing, source)
        notes = _impute(X, encoding.feature_names, encoding.fill, missing, encoding)
    return Table(X, np.empty((data.num_rows, 0)), encoding.feature_names, [], source,
                 data.num_rows, encoding, notes)


def table_from_frame(
    df: Any,
    target: str | Sequence[str],
    features: Sequence[str] | None = None,
    *,
    source: str | None = None,
    impute: str | None = None,
    one_hot: bool = True,
    max_categories: int = 50,
    labels: bool = False,
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
    impute, one_hot, max_categories, labels
        As :func:`read_table`.

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
    options = _check_options(impute, one_hot, max_categories, labels)
    if isinstance(df, pa.Table):
        data = df
        source = source or "<pyarrow.Table>"
    elif type(df).__module__.split(".")[0] == "polars":
        data = df.to_arrow()
        source = source or "<polars.DataFrame>"
    elif type(df).__module__.split(".")[0] == "pandas":
        return _from_pandas(df, target, features, source or "<pandas.DataFrame>", options)
    else:
        raise TypeError(f"expected a pandas or polars DataFrame, got {type(df).__name__}")
    names = [str(n) for n in data.column_names]
    return _build(names, data.num_rows, data.column, target, features, source, options)


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
    feature_names = [str(f) for f in bunch.feature_names]
    return Table(
        X=np.array(bunch.data, dtype=np.float64, order="C"),
        y=y,
        feature_names=feature_names,
        target_names=target_names,
        source=f"builtin:{key}",
        n_rows=y.shape[0],
        encoding=FeatureEncoding(tuple(feature_names)),
    )


def write_table(path: str | os.PathLike[str], columns: Mapping[str, np.ndarray]) -> Path:
    """Write columns to a CSV, Parquet or Arrow file atomically (temporary file, then rename).

    Parameters
    ----------
    path : str or os.PathLike
        Destination; the format follows the extension as for :func:`read_table`
        (``.txt`` is written as CSV).  An existing file is replaced only once the
        new one is complete.
    columns : mapping of str to numpy.ndarray
        Equal-length 1-D columns (numbers, booleans or strings).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        If the extension is not supported or the columns differ in length.
    OSError
        If the file cannot be written; no partial file is left behind.
    """
    target = Path(path)
    kind = SUPPORTED_EXTENSIONS.get(target.suffix.lower())
    if kind is None:
        raise ValueError(f"unsupported output extension {target.suffix or '(none)'!r} for "
                         f"{target}; use one of {', '.join(SUPPORTED_EXTENSIONS)}")
    payload = table_to_bytes(columns, kind, delimiter="\t" if target.suffix == ".tsv" else ",")
    atomic_write(target, lambda fh: fh.write(payload))
    return target


def table_to_bytes(columns: Mapping[str, np.ndarray], kind: str = "csv", *,
                   delimiter: str = ",") -> bytes:
    """Serialize equal-length columns as CSV (``kind="csv"``), Parquet or Arrow IPC bytes.

    Parameters
    ----------
    columns : mapping of str to numpy.ndarray
        1-D columns of equal length.
    kind : {"csv", "parquet", "ipc"}
    delimiter : str
        CSV delimiter.

    Returns
    -------
    bytes
    """
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns have different lengths {sorted(lengths)}")
    table = pa.table({name: pa.array(np.asarray(v)) for name, v in columns.items()})
    sink = io.BytesIO()
    if kind == "csv":
        from pyarrow import csv

        csv.write_csv(table, sink, csv.WriteOptions(delimiter=delimiter))
    elif kind == "parquet":
        from pyarrow import parquet

        parquet.write_table(table, sink)
    elif kind == "ipc":
        from pyarrow import feather

        feather.write_feather(table, sink)
    else:
        raise ValueError(f"unknown table format {kind!r}")
    return sink.getvalue()


def _check_options(impute: str | None, one_hot: bool, max_categories: int,
                   labels: bool) -> _Options:
    if impute is not None and impute not in IMPUTE_CHOICES:
        raise ValueError(f"impute must be None or one of {list(IMPUTE_CHOICES)}, got {impute!r}")
    if isinstance(max_categories, bool) or not isinstance(max_categories, int) or \
            max_categories < 1:
        raise ValueError(f"max_categories must be a positive integer, got {max_categories!r}")
    return _Options(impute, bool(one_hot), max_categories, bool(labels))


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


def _from_pandas(df: Any, target: str | Sequence[str], features: Sequence[str] | None,
                 source: str, options: _Options) -> Table:
    names = [str(c) for c in df.columns]

    def fetch(index: int) -> pa.ChunkedArray:
        series = df.iloc[:, index]
        try:
            return pa.chunked_array([pa.array(series, from_pandas=True)])
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            # mixed objects: text, with pandas' missing markers kept missing
            mask = series.isna().to_numpy()
            values = [None if m else str(v) for v, m in zip(series.to_numpy(dtype=object), mask,
                                                           strict=True)]
            return pa.chunked_array([pa.array(values, type=pa.string())])

    return _build(names, len(df), fetch, target, features, source, options)


def _build(
    names: list[str],
    n_rows: int,
    fetch: Callable[[int], pa.ChunkedArray],
    target: str | Sequence[str],
    features: Sequence[str] | None,
    source: str,
    options: _Options,
) -> Table:
    """Validate the selection, encode the features and convert everything to arrays."""
    _check_rows(n_rows, source)
    targets, feats = _select(names, target, features, source)
    tcols = {name: fetch(names.index(name)) for name in targets}
    fcols = {name: fetch(names.index(name)) for name in feats}
    _check_types(fcols, tcols, source, options)
    encoding = _learn_encoding(fcols, source, options.max_categories)
    X, missing, infinite = _encode(fcols, encoding, source, learning=True)
    y, t_missing, t_infinite = _targets(tcols, options.labels)
    if options.impute is None:
        _refuse_missing({**_add(missing, infinite), **_add(t_missing, t_infinite)}, source)
    _refuse_infinite({**infinite, **t_infinite}, source)
    _refuse_missing(t_missing, source, target=True)
    notes = [_one_hot_note(name, cats) for name, cats in encoding.categories.items()]
    if options.impute == "mean":
        fill = _column_means(X, encoding, missing, source)
        encoding = FeatureEncoding(encoding.columns, encoding.categories, fill)
        notes += _impute(X, encoding.feature_names, fill, missing, encoding)
    if isinstance(target, str):
        y = y[:, 0]
    y = np.ascontiguousarray(y)
    return Table(X, y, encoding.feature_names, targets, source, n_rows, encoding, tuple(notes))


def _add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: a.get(k, 0) + b.get(k, 0) for k in a}


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


# --------------------------------------------------------------------------- column kinds


def _is_numeric(dtype: pa.DataType) -> bool:
    t = pa.types
    return (
        t.is_integer(dtype)
        or t.is_floating(dtype)
        or t.is_boolean(dtype)
        or t.is_decimal(dtype)
        or t.is_null(dtype)  # an all-empty column: reported as missing values
    )


def _is_text(dtype: pa.DataType) -> bool:
    t = pa.types
    is_view = getattr(t, "is_string_view", lambda _: False)
    return t.is_string(dtype) or t.is_large_string(dtype) or is_view(dtype) or \
        t.is_dictionary(dtype)


def _type_label(dtype: pa.DataType) -> str:
    """A user-facing name for an Arrow type."""
    t = pa.types
    if _is_text(dtype) and not t.is_dictionary(dtype):
        return "string"
    if t.is_dictionary(dtype):
        return "categorical"
    if t.is_timestamp(dtype) or t.is_date(dtype):
        return "datetime"
    return str(dtype)


def _check_types(fcols: dict[str, pa.ChunkedArray], tcols: dict[str, pa.ChunkedArray],
                 source: str, options: _Options) -> None:
    bad = [f"{name!r} ({_type_label(col.type)})" for name, col in fcols.items()
           if not (_is_numeric(col.type) or (options.one_hot and _is_text(col.type)))]
    if bad:
        hint = _UNSUPPORTED_HINT if options.one_hot else \
            "are not allowed with one_hot=False; drop them with --features"
        raise ValueError(f"non-numeric feature column(s) {', '.join(bad)} in {source} {hint}")
    if options.labels:
        bad = [f"{name!r} ({_type_label(col.type)})" for name, col in tcols.items()
               if not (_is_numeric(col.type) or _is_text(col.type))]
        if bad:
            raise ValueError(f"target column(s) {', '.join(bad)} in {source} cannot be used "
                             "as class labels")
        return
    bad = [f"{name!r} ({_type_label(col.type)})" for name, col in tcols.items()
           if not _is_numeric(col.type)]
    if bad:
        raise ValueError(f"non-numeric target column(s) {', '.join(bad)} in {source}: this "
                         "model needs numbers (class labels need a classifier, e.g. "
                         "--model logistic)")


# --------------------------------------------------------------------------- encoding


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.cast(column, pa.string())


def _learn_encoding(fcols: dict[str, pa.ChunkedArray], source: str,
                    max_categories: int) -> FeatureEncoding:
    categories: dict[str, tuple[str, ...]] = {}
    for name, col in fcols.items():
        if not _is_text(col.type):
            continue
        seen = sorted(pc.unique(_as_text(col)).drop_null().to_pylist())
        if not seen:
            continue  # an all-missing text column: reported as missing values
        if len(seen) > max_categories:
            raise ValueError(
                f"text column {name!r} of {source} has {len(seen)} distinct values, too many "
                f"to one-hot encode (limit {max_categories}); drop it with --features or "
                "raise --max-categories"
            )
        categories[name] = tuple(seen)
    return FeatureEncoding(tuple(fcols), categories, None)


def _encode(columns: dict[str, pa.ChunkedArray], encoding: FeatureEncoding, source: str, *,
            learning: bool) -> tuple[np.ndarray, dict[str, int], dict[str, int]]:
    """X (NaN where missing) and per-source-column counts of missing and infinite rows."""
    n = len(next(iter(columns.values())))
    X = np.empty((n, len(encoding.feature_names)), dtype=np.float64, order="C")
    missing: dict[str, int] = {}
    infinite: dict[str, int] = {}
    j = 0
    for name in encoding.columns:
        col = columns[name]
        cats = encoding.categories.get(name)
        if cats is None:
            if not _is_numeric(col.type):
                raise ValueError(f"feature column {name!r} of {source} is "
                                 f"{_type_label(col.type)} but was numeric when the model was fit")
            values = _to_float(col)
            nan = np.isnan(values)
            missing[name] = int(np.count_nonzero(nan))
            infinite[name] = int(np.count_nonzero(~nan & ~np.isfinite(values)))
            X[:, j] = values
            j += 1
            continue
        text = _as_text(col)
        index = pc.index_in(text, value_set=pa.array(cats, pa.string()))
        pos = np.asarray(index.to_numpy(zero_copy_only=False), dtype=np.float64)
        absent = np.asarray(text.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        if not learning:
            _refuse_unseen(name, text, np.isnan(pos) & ~absent, cats, source)
        block = X[:, j : j + len(cats)]
        block[:] = pos[:, None] == np.arange(len(cats))[None, :]
        block[absent] = np.nan
        missing[name] = int(np.count_nonzero(absent))
        infinite[name] = 0
        j += len(cats)
    return X, missing, infinite


def _refuse_unseen(name: str, text: pa.ChunkedArray, unseen: np.ndarray, cats: tuple[str, ...],
                   source: str) -> None:
    if not unseen.any():
        return
    values = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)[unseen]
    new = sorted({str(v) for v in values})
    shown = ", ".join(repr(v) for v in new[:5]) + (" ..." if len(new) > 5 else "")
    rows = int(unseen.sum())
    raise ValueError(
        f"column {name!r} of {source} has categor{'y' if len(new) == 1 else 'ies'} {shown} "
        f"({rows} row{'s' if rows > 1 else ''}) not seen when the model was fit; "
        f"known: {', '.join(cats)}"
    )


def _to_float(column: pa.ChunkedArray) -> np.ndarray:
    """Convert a numeric Arrow column to float64; nulls become NaN."""
    as_float = pc.cast(column, pa.float64(), safe=False)
    return np.asarray(as_float.to_numpy(zero_copy_only=False), dtype=np.float64)


def _targets(tcols: dict[str, pa.ChunkedArray],
             labels: bool) -> tuple[np.ndarray, dict[str, int], dict[str, int]]:
    """Target columns as an (n, k) array, with missing and infinite counts per column."""
    missing: dict[str, int] = {}
    infinite: dict[str, int] = {}
    arrays = []
    for name, col in tcols.items():
        if labels and not pa.types.is_floating(col.type):
            missing[name] = int(col.null_count)
            infinite[name] = 0
            arrays.append(_label_array(col))
            continue
        values = _to_float(col)
        nan = np.isnan(values)
        missing[name] = int(np.count_nonzero(nan))
        infinite[name] = int(np.count_nonzero(~nan & ~np.isfinite(values)))
        arrays.append(values)
    if labels:
        return np.column_stack(arrays) if len(arrays) > 1 else arrays[0][:, None], \
            missing, infinite
    return np.column_stack(arrays).astype(np.float64), missing, infinite


def _label_array(col: pa.ChunkedArray) -> np.ndarray:
    """Class labels with their own type: str for text, int for integers, bool for booleans."""
    if _is_text(col.type):
        values = _as_text(col).to_pylist()
        return np.array(["" if v is None else v for v in values], dtype=str)
    if pa.types.is_boolean(col.type):
        return np.asarray(col.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    if pa.types.is_integer(col.type):
        return np.asarray(col.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
    return _to_float(col)


# --------------------------------------------------------------------------- missing values


def _refuse_missing(counts: dict[str, int], source: str, *, target: bool = False) -> None:
    bad = [f"{name!r} ({n} row{'s' if n > 1 else ''})" for name, n in counts.items() if n]
    if not bad:
        return
    if target:
        raise ValueError(f"missing values in target column(s) {', '.join(bad)} of {source}: "
                         "rows without a target cannot be used (imputation fills features "
                         "only); drop those rows")
    raise ValueError(f"missing or non-finite values (NA/NaN/inf) in {source}: column(s) "
                     f"{', '.join(bad)}; {_MISSING_HINT}")


def _refuse_infinite(counts: dict[str, int], source: str) -> None:
    bad = [f"{name!r} ({n} row{'s' if n > 1 else ''})" for name, n in counts.items() if n]
    if bad:
        raise ValueError(f"infinite values in {source}: column(s) {', '.join(bad)}; "
                         "infinity cannot be imputed, fix or drop those rows")


def _column_means(X: np.ndarray, encoding: FeatureEncoding, missing: dict[str, int],
                  source: str) -> dict[str, float]:
    empty = [name for name in encoding.columns if missing[name] == X.shape[0]]
    if empty:
        raise ValueError(f"column(s) {_quote(empty)} of {source} have no values at all: "
                         "nothing to take a mean of; drop them with --features")
    with np.errstate(invalid="ignore"):
        means = np.nanmean(X, axis=0)
    return {name: float(m) for name, m in zip(encoding.feature_names, means, strict=True)}


def _impute(X: np.ndarray, names: list[str], fill: Mapping[str, float],
            missing: dict[str, int], encoding: FeatureEncoding) -> list[str]:
    """Replace NaN in X by ``fill`` in place; return one note per imputed source column."""
    values = np.array([fill[n] for n in names])
    rows, cols = np.nonzero(np.isnan(X))
    X[rows, cols] = values[cols]
    notes = []
    for name in encoding.columns:
        n = missing[name]
        if not n:
            continue
        what = ("its category frequencies" if name in encoding.categories
                else f"its mean {fill[name]:.6g}")
        notes.append(f"{n} missing value{'s' if n > 1 else ''} in column {name!r} replaced "
                     f"by {what}")
    return notes


def _one_hot_note(name: str, cats: tuple[str, ...]) -> str:
    shown = ", ".join(cats[:6]) + (", ..." if len(cats) > 6 else "")
    return (f"text column {name!r} one-hot encoded into {len(cats)} column"
            f"{'s' if len(cats) > 1 else ''} ({shown})")


def _quote(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names)
