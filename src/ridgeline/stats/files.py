"""Statistics sources over Parquet and CSV files or directories, streamed with pyarrow.

A path is one file or a directory searched recursively for ``*.parquet`` (``*.csv``); the parts
are read in sorted path order, each as a ``pyarrow.dataset`` in record batches of at most
``batch_rows`` rows (derived from a memory budget when not given). The global position of a
row — what the hashed fold assignment uses — counts rows across the parts in that order.

Bad input stops a pass with a :class:`~ridgeline.stats.source.SourceError` naming the part and
the row range: a schema that differs between parts (both files and the column), a missing
target or feature column, a non-numeric column, an unreadable (corrupt) part, NaN or infinite
values. Nothing partial is returned.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ridgeline.stats.batch_source import BatchSource
from ridgeline.stats.source import SourceError

#: Bytes of working memory per float64 value of a batch (Arrow buffers, the float64 copy, the
#: shifted copy and per-fold gathers): a batch of r rows and p columns costs about 16·8·r·p.
_BYTES_PER_VALUE = 128
_MIN_BATCH, _MAX_BATCH = 1024, 1 << 20
#: Largest float64 batch array (below glibc's 32 MiB ceiling on its mmap threshold).
_MAX_BATCH_BYTES = 16 << 20
#: Batches read and converted ahead of the pass on a background thread.
_PREFETCH_BATCHES = 1
#: Scanner settings of every pass (and of the benchmark's bare scan): one batch and one part
#: read ahead while the current batch is being reduced, decoding on pyarrow's thread pool.
SCAN_OPTIONS = {"batch_readahead": 1, "fragment_readahead": 1, "use_threads": True}
_UNITS = {"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": 1 << 20,
          "MB": 1 << 20, "MIB": 1 << 20, "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30,
          "T": 1 << 40, "TB": 1 << 40, "TIB": 1 << 40}


def parse_memory(memory: int | float | str) -> int:
    """A memory budget in bytes from a number or a string such as ``"2GB"`` or ``"512MiB"``.

    Units are binary (1 GB = 2³⁰ bytes).
    """
    if isinstance(memory, (int, float, np.integer, np.floating)) and not isinstance(memory, bool):
        value = float(memory)
    else:
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*", str(memory))
        if m is None or m.group(2).upper() not in _UNITS:
            raise ValueError(f"memory must be a size such as '2GB' or '512MB', got {memory!r}")
        value = float(m.group(1)) * _UNITS[m.group(2).upper()]
    if not np.isfinite(value) or value < (1 << 16):
        raise ValueError(f"memory must be at least 64KB, got {memory!r}")
    return int(value)


def batch_rows_for(memory: int | float | str, n_columns: int) -> int:
    """Rows per batch so that a pass over ``n_columns`` columns stays within ``memory``.

    Also at most ``_MAX_BATCH_BYTES`` per float64 batch array: larger arrays are mmap-ed and
    unmapped by malloc on every batch, so each batch would page-fault its buffers afresh
    (measured on 51 columns from the page cache: 164k-row batches spent about as much time
    in the kernel as in user code, 6.9 s vs 8.8 s; 64k-row batches 2.9 s vs 7.6 s).
    """
    n_columns = max(n_columns, 1)
    rows = parse_memory(memory) // (_BYTES_PER_VALUE * n_columns)
    rows = min(rows, _MAX_BATCH_BYTES // (8 * n_columns))
    return int(min(max(rows, _MIN_BATCH), _MAX_BATCH))


def list_parts(path: str | Path, suffix: str) -> list[Path]:
    """The file itself, or every ``*suffix`` file under a directory, in sorted path order."""
    path = Path(path)
    if path.is_dir():
        parts = sorted(p for p in path.rglob(f"*{suffix}") if p.is_file())
        if not parts:
            raise SourceError(f"{path}: no {suffix} files in this directory")
        return parts
    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    return [path]


def _numeric(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)


class FileSource(BatchSource):
    """A statistics source over the parts of a Parquet or CSV data set (see module docstring).

    Parameters
    ----------
    path : str or Path
        A file, or a directory of parts.
    target : str
        Target column.
    features : sequence of str, optional
        Feature columns (default: every column but the target and the fold/group column).
    fold_column, group_column : str, optional
        See :class:`~ridgeline.stats.source.BatchSource`.
    weight_column : str, optional
        Column of non-negative sample weights.
    batch_rows : int, optional
        Rows per batch (default: from ``memory``).
    memory : int or str, default="1GB"
        Working-memory budget of a pass, used to size batches.
    seed : int, default=0
    """

    suffix = ".parquet"

    def __init__(self, path: str | Path, target: str, features: Sequence[str] | None = None, *,
                 fold_column: str | None = None, group_column: str | None = None,
                 weight_column: str | None = None, batch_rows: int | None = None,
                 memory: int | str = "1GB", seed: int = 0):
        self.path = Path(path)
        self.parts = list_parts(self.path, self.suffix)
        self.schema = self._part_schema(self.parts[0])
        key = fold_column or group_column
        names = self.schema.names
        for col, role in [(target, "target"), (key, "fold/group"), (weight_column, "weight")]:
            if col is not None and col not in names:
                raise SourceError(f"{self.parts[0]}: no {role} column {col!r} (columns: "
                                  f"{', '.join(names[:20])}{' ...' if len(names) > 20 else ''})")
        extra = [c for c in (key, weight_column) if c is not None]
        if features is None:
            features = [c for c in names if c not in (target, *extra)]
        else:
            features = list(features)
            missing = [c for c in features if c not in names]
            if missing:
                raise SourceError(f"{self.parts[0]}: no feature column {missing[0]!r}")
            for col in (target, *extra):
                if col in features:
                    raise ValueError(f"the column {col!r} is also listed as a feature")
        for col in [*features, target, *extra]:
            t = self.schema.field(col).type
            if not _numeric(t):
                raise SourceError(f"{self.parts[0]}: column {col!r} has type {t}, not numeric "
                                  "(encode it first, or leave it out with features=...)")
        super().__init__(features, target, fold_column=fold_column, group_column=group_column,
                         seed=seed, weight_column=weight_column)
        self.columns = [*self.feature_names, target, *extra]
        f32 = all(self.schema.field(c).type == pa.float32() for c in self.feature_names)
        self._x_dtype = np.float32 if f32 else np.float64
        self.batch_rows = int(batch_rows) if batch_rows is not None \
            else batch_rows_for(memory, len(self.columns))
        if self.batch_rows < 1:
            raise ValueError(f"batch_rows must be positive, got {batch_rows}")
        self._check_parts()

    # ---- format-specific hooks ---------------------------------------------------------------
    def _part_schema(self, part: Path) -> pa.Schema:
        raise NotImplementedError

    def _dataset(self, part: Path) -> ds.Dataset:
        raise NotImplementedError

    def _check_parts(self) -> None:
        """Check the schema of every part against the first (where that is cheap)."""

    # ---- shared --------------------------------------------------------------------------------
    def _compare_schema(self, part: Path, schema: pa.Schema, types: bool) -> None:
        first = self.parts[0]
        for col in self.columns:
            if col not in schema.names:
                raise SourceError(f"schema changes between parts: column {col!r} is in {first} "
                                  f"but not in {part}")
            if types and schema.field(col).type != self.schema.field(col).type:
                raise SourceError(
                    f"schema changes between parts: column {col!r} is "
                    f"{self.schema.field(col).type} in {first} but "
                    f"{schema.field(col).type} in {part}")
            if not _numeric(schema.field(col).type):
                raise SourceError(f"{part}: column {col!r} has type {schema.field(col).type}, "
                                  "not numeric")

    def _raw_batches(self):
        # Parts are read and converted one batch ahead on a background thread, so that the
        # pass overlaps its work with the I/O — also across part boundaries, where a fresh
        # scanner per part would otherwise stall on its first read.
        return _prefetch(self._read_batches(), depth=_PREFETCH_BATCHES)

    def _read_batches(self):
        p = self.n_features
        key = self.key_column
        gstart = 0
        for part in self.parts:
            start = 0
            try:
                dataset = self._dataset(part)
                self._compare_schema(part, dataset.schema, types=False)
                scanner = dataset.scanner(columns=self.columns, batch_size=self.batch_rows,
                                          **SCAN_OPTIONS)
                for rb in scanner.to_batches():
                    m = rb.num_rows
                    if m == 0:
                        continue
                    # float32 features stay float32 here (an exact widening happens where
                    # the pass uses them): half the bytes to copy, check and gather
                    X = np.empty((m, p), dtype=self._x_dtype, order="F")
                    for j in range(p):
                        X[:, j] = _column(rb.column(j))
                    y = _column(rb.column(p))
                    k = _column(rb.column(p + 1), keep_int=True) if key else None
                    w = _column(rb.column(len(self.columns) - 1)) if self.weight_column \
                        else None
                    yield X, y, k, w, str(part), start, gstart
                    start += m
                    gstart += m
            except SourceError:
                raise
            except (pa.ArrowException, OSError, ValueError) as exc:
                msg = " ".join(str(exc).split())[:500]
                raise SourceError(f"{part} rows {start}\u2013: cannot be read ({msg})") from exc

    def describe(self) -> str:
        return f"{self.path} ({len(self.parts)} part{'s' if len(self.parts) > 1 else ''})"


def _prefetch(gen: Iterator, depth: int) -> Iterator:
    """Run ``gen`` on a background thread, at most ``depth`` items ahead of the consumer.

    An exception raised by ``gen`` is re-raised to the consumer at the position it occurred;
    when the consumer stops early (an error of its own, ``close()``), the thread stops too.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in gen:
                if not put((item, None)):
                    return
            put((done, None))
        except BaseException as exc:  # handed to the consumer
            put((None, exc))
        finally:
            gen.close()

    thread = threading.Thread(target=produce, name="ridgeline-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item, exc = q.get()
            if exc is not None:
                raise exc
            if item is done:
                return
            yield item
    finally:
        stop.set()
        thread.join()


def _column(col: pa.Array, keep_int: bool = False) -> np.ndarray:
    """A column as numpy: floats (nulls as NaN), or ints when asked and there are no nulls."""
    if keep_int and col.null_count == 0 and pa.types.is_integer(col.type):
        return col.to_numpy(zero_copy_only=False)
    if pa.types.is_boolean(col.type):
        col = col.cast(pa.float64())
    arr = col.to_numpy(zero_copy_only=False)
    if col.null_count and arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    return arr


class ParquetSource(FileSource):
    """A Parquet file or directory of Parquet parts as a statistics source."""

    suffix = ".parquet"

    def _part_schema(self, part: Path) -> pa.Schema:
        try:
            return pq.ParquetFile(part).schema_arrow
        except (pa.ArrowException, OSError) as exc:
            raise SourceError(f"{part}: not a readable Parquet file ({exc})") from exc

    def _check_parts(self) -> None:
        self._n_rows = 0
        for part in self.parts:
            try:
                meta = pq.ParquetFile(part).metadata
            except (pa.ArrowException, OSError) as exc:
                raise SourceError(f"{part}: not a readable Parquet file ({exc})") from exc
            self._compare_schema(part, meta.schema.to_arrow_schema(), types=True)
            self._n_rows += meta.num_rows

    def n_rows_hint(self) -> int:
        return self._n_rows

    def _dataset(self, part: Path) -> ds.Dataset:
        return ds.dataset(str(part), format="parquet")


class CSVSource(FileSource):
    """A CSV file or directory of CSV parts as a statistics source (values read as float64)."""

    suffix = ".csv"

    def _part_schema(self, part: Path) -> pa.Schema:
        try:
            return ds.dataset(str(part), format="csv").schema
        except (pa.ArrowException, OSError) as exc:
            raise SourceError(f"{part}: not a readable CSV file ({exc})") from exc

    def _dataset(self, part: Path) -> ds.Dataset:
        block = int(min(max(self.batch_rows * 16 * len(self.columns), 1 << 20), 1 << 30))
        fmt = ds.CsvFileFormat(
            read_options=pacsv.ReadOptions(block_size=block),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.float64() for c in self.columns if c != self.key_column}),
        )
        return ds.dataset(str(part), format=fmt)

    def n_rows_hint(self) -> None:
        return None


def read_parquet(path: str | Path, target: str, features: Sequence[str] | None = None, *,
                 fold_column: str | None = None, group_column: str | None = None,
                 weight_column: str | None = None, batch_rows: int | None = None,
                 memory: int | str = "1GB", seed: int = 0) -> ParquetSource:
    """A Parquet file or directory as a statistics source for ``RidgeCV``, ``LogisticRegressionCV``
    and ``PoissonRegressor`` (``est.fit(source)``), streamed in bounded memory.

    Parameters
    ----------
    path : str or Path
        A ``.parquet`` file or a directory searched recursively for ``*.parquet`` parts (read in
        sorted path order).
    target : str
        Target column.
    features : sequence of str, optional
        Feature columns (default: every other column except ``fold_column``/``group_column``).
    fold_column : str, optional
        Column of fold ids in ``[0, K)``.
    group_column : str, optional
        Column of integer group ids; a group's rows share a fold (hash of the id).
    weight_column : str, optional
        Column of non-negative sample weights: every sum of a pass is weighted, as
        ``sample_weight`` is in memory (``n_w = Σ s_i`` in the objective).
    batch_rows : int, optional
        Rows per record batch; default from ``memory``.
    memory : int or str, default="1GB"
        Working-memory budget of a pass (e.g. ``"2GB"``).
    seed : int, default=0
        Seed of the fold hash: row ``i`` (global position over the parts in sorted order) is in
        fold ``splitmix64(seed, i) mod K``.
    """
    return ParquetSource(path, target, features, fold_column=fold_column,
                         group_column=group_column, weight_column=weight_column,
                         batch_rows=batch_rows, memory=memory, seed=seed)


def read_csv(path: str | Path, target: str, features: Sequence[str] | None = None, *,
             fold_column: str | None = None, group_column: str | None = None,
             weight_column: str | None = None, batch_rows: int | None = None,
             memory: int | str = "1GB", seed: int = 0) -> CSVSource:
    """A CSV file or directory of ``*.csv`` parts as a statistics source.

    Parameters as :func:`read_parquet`; values are read as float64.
    """
    return CSVSource(path, target, features, fold_column=fold_column,
                     group_column=group_column, weight_column=weight_column,
                     batch_rows=batch_rows, memory=memory, seed=seed)
