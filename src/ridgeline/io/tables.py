"""Reading data tables (CSV, Parquet, Arrow IPC/Feather) for the command line and the report.

Every reader returns a :class:`Table`: a dense float64 design matrix ``X``, the
target ``y``, the column names and the :class:`FeatureEncoding` that turned the
file's columns into ``X``:

* numeric and boolean columns are used as they are (booleans as 0/1);
* text and categorical (dictionary) columns are one-hot encoded, one column
  ``name=value`` per category seen, in sorted order (a note says so);
* a text column that is numbers but for a few stray values (``"abc"`` among numbers) is
  refused with the values and their rows, unless ``text_columns`` names it;
* missing values (empty cells, ``NA``, ``NaN``, nulls) are refused with the
  column names and row counts, or, with ``impute="mean"``, replaced by the mean
  of the encoded column (for a one-hot column: the category's frequency).

The parts of a Parquet directory must share one schema. The work is done by the private
modules ``_table_read`` (files), ``_table_build`` (selection and checks), ``_table_encode``
(columns to ``X``), ``_table_text`` (stray values) and ``_table_types`` (the data classes).

:func:`read_features` applies a stored encoding to new data (prediction), so the
columns of ``X`` are exactly those seen when the model was fit.  Problems with
the input are reported as a :class:`ValueError` whose one-line message names the
file and the offending column(s); no partial data is ever returned.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ridgeline.io._table_build import build, check_present, from_pandas
from ridgeline.io._table_encode import encode, impute_missing, refuse_infinite, refuse_missing
from ridgeline.io._table_read import SUPPORTED_EXTENSIONS, format_of, read_arrow
from ridgeline.io._table_types import IMPUTE_CHOICES, FeatureEncoding, Table, check_options
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

#: Names accepted by :func:`load_builtin`.
BUILTIN_DATASETS: tuple[str, ...] = ("diabetes", "linnerud")


def read_table(
    path: str | os.PathLike[str],
    *,
    target: str | Sequence[str],
    features: Sequence[str] | None = None,
    impute: str | None = None,
    one_hot: bool = True,
    max_categories: int = 50,
    labels: bool = False,
    dropna: bool = False,
    text_columns: str | Sequence[str] | None = None,
) -> Table:
    """Read a data table from a file or a directory of Parquet files.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.csv``/``.tsv``/``.txt``, ``.parquet``/``.pq`` or Arrow IPC (``.arrow``,
        ``.feather``, ``.ipc``) file, by extension, or a directory of Parquet files. ``.txt``
        files use the most frequent of tab, comma, semicolon and ``|`` in the first line as
        the delimiter. In text files, empty cells and ``NA``/``NaN``/``null`` are missing.
    target : str or sequence of str
        Target column name (``y`` is 1-D) or list of names (``y`` is 2-D).
    features : sequence of str, optional
        Feature columns, in order.  Default: every column that is not a target.
    impute : {None, "mean"}, default=None
        ``None`` refuses missing feature values; ``"mean"`` replaces each by the mean of its
        (encoded) column. Missing targets and infinite values are always refused.
    one_hot : bool, default=True
        One-hot encode text and categorical feature columns (otherwise refuse them).
    max_categories : int, default=50
        Refuse a text column with more distinct values than this (an identifier, likely).
    labels : bool, default=False
        The target holds class labels (any type, kept as it is).
    dropna : bool, default=False
        Drop the rows whose target (any target column) is missing (null or NaN) first, with
        a note; otherwise they are refused.
    text_columns : str or sequence of str, optional
        Feature columns one-hot encoded whatever they hold (codes; numbers with a few others).

    Returns
    -------
    Table
        The validated table, with its :class:`FeatureEncoding` and notes.

    Raises
    ------
    ValueError
        If the file is missing, unreadable or corrupt, has an unsupported extension, fewer
        than 2 rows, lacks a column, has an unsupported column type (dates, nested values),
        a text column with too many categories, numbers with a few other values (named, with
        their data rows counted from 1), missing or non-finite values not imputed, or Parquet
        parts whose columns or types differ (naming the parts and the column).
    """
    options = check_options(impute, one_hot, max_categories, labels, text_columns)
    path = Path(path)
    data = read_arrow(path, format_of(path))
    names = [str(n) for n in data.column_names]
    return build(names, data.num_rows, data.column, target, features, str(path), options,
                 dropna=dropna)


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
        than at fit time (a numeric column's values that are not numbers are named, with
        their data rows), holds a category not seen at fit time, or has missing
        values that the encoding cannot impute.
    """
    path = Path(path)
    data = read_arrow(path, format_of(path))
    names = [str(n) for n in data.column_names]
    source = str(path)
    if data.num_rows == 0:
        raise ValueError(f"{source} is empty (0 rows)")
    feats = list(encoding.columns)
    check_present(names, feats, "feature", source)
    columns = {name: data.column(names.index(name)) for name in feats}
    X, missing, infinite = encode(columns, encoding, source, learning=False)
    refuse_infinite(infinite, source)
    notes: tuple[str, ...] = ()
    if any(missing.values()):
        if encoding.fill is None:
            refuse_missing(missing, source)
        notes = impute_missing(X, encoding.feature_names, encoding.fill, missing, encoding)
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
    text_columns: str | Sequence[str] | None = None,
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
    impute, one_hot, max_categories, labels, text_columns
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
    options = check_options(impute, one_hot, max_categories, labels, text_columns)
    if isinstance(df, pa.Table):
        data = df
        source = source or "<pyarrow.Table>"
    elif type(df).__module__.split(".")[0] == "polars":
        data = df.to_arrow()
        source = source or "<polars.DataFrame>"
    elif type(df).__module__.split(".")[0] == "pandas":
        return from_pandas(df, target, features, source or "<pandas.DataFrame>", options)
    else:
        raise TypeError(f"expected a pandas or polars DataFrame, got {type(df).__name__}")
    names = [str(n) for n in data.column_names]
    return build(names, data.num_rows, data.column, target, features, source, options)


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
