"""Column kinds and the encoding of :mod:`ridgeline.io.tables`: Arrow columns to ``X``.

Numeric and boolean columns are used as they are; text and categorical columns become one-hot
blocks (one column ``name=category`` per category seen, sorted); missing and infinite values
are counted per column, refused or imputed with the column's mean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ridgeline.io._table_text import describe_non_numbers
from ridgeline.io._table_types import FeatureEncoding

_MISSING_HINT = "drop those rows (missing features can instead be imputed: --impute mean)"


def is_numeric(dtype: pa.DataType) -> bool:
    """Numbers, booleans, decimals, or an all-null column (reported as missing values)."""
    t = pa.types
    return (
        t.is_integer(dtype)
        or t.is_floating(dtype)
        or t.is_boolean(dtype)
        or t.is_decimal(dtype)
        or t.is_null(dtype)  # an all-empty column: reported as missing values
    )


def is_text(dtype: pa.DataType) -> bool:
    """Strings (any width) or a dictionary (categorical) column."""
    t = pa.types
    is_view = getattr(t, "is_string_view", lambda _: False)
    return t.is_string(dtype) or t.is_large_string(dtype) or is_view(dtype) or \
        t.is_dictionary(dtype)


def type_label(dtype: pa.DataType) -> str:
    """A user-facing name for an Arrow type."""
    t = pa.types
    if is_text(dtype) and not t.is_dictionary(dtype):
        return "string"
    if t.is_dictionary(dtype):
        return "categorical"
    if t.is_timestamp(dtype) or t.is_date(dtype):
        return "datetime"
    return str(dtype)


def as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The column cast to strings."""
    return pc.cast(column, pa.string())


def learn_encoding(fcols: dict[str, pa.ChunkedArray], source: str,
                   max_categories: int) -> FeatureEncoding:
    """The encoding of the feature columns: the sorted categories of each text column."""
    categories: dict[str, tuple[str, ...]] = {}
    for name, col in fcols.items():
        if not is_text(col.type):
            continue
        seen = sorted(pc.unique(as_text(col)).drop_null().to_pylist())
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


def encode(columns: dict[str, pa.ChunkedArray], encoding: FeatureEncoding, source: str, *,
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
            if not is_numeric(col.type):
                raise ValueError(f"feature column {name!r} of {source} is "
                                 f"{type_label(col.type)} but was numeric when the model was "
                                 f"fit{describe_non_numbers(as_text(col))}")
            values = to_float(col)
            nan = np.isnan(values)
            missing[name] = int(np.count_nonzero(nan))
            infinite[name] = int(np.count_nonzero(~nan & ~np.isfinite(values)))
            X[:, j] = values
            j += 1
            continue
        text = as_text(col)
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


def to_float(column: pa.ChunkedArray) -> np.ndarray:
    """Convert a numeric Arrow column to float64; nulls become NaN."""
    as_float = pc.cast(column, pa.float64(), safe=False)
    return np.asarray(as_float.to_numpy(zero_copy_only=False), dtype=np.float64)


def target_array(tcols: dict[str, pa.ChunkedArray],
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
        values = to_float(col)
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
    if is_text(col.type):
        values = as_text(col).to_pylist()
        return np.array(["" if v is None else v for v in values], dtype=str)
    if pa.types.is_boolean(col.type):
        return np.asarray(col.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    if pa.types.is_integer(col.type):
        return np.asarray(col.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
    return to_float(col)


# --------------------------------------------------------------------------- missing values


def refuse_missing(counts: dict[str, int], source: str, *, target: bool = False,
                   target_hint: bool = False) -> None:
    """Refuse the columns with missing values (``counts`` per column), naming them."""
    bad = [f"{name!r} ({n} row{'s' if n > 1 else ''})" for name, n in counts.items() if n]
    if not bad:
        return
    if target:
        raise ValueError(f"missing values in target column(s) {', '.join(bad)} of {source}: "
                         "rows without a target cannot be used (imputation fills features "
                         "only); drop those rows: --dropna does (dropna=True in read_table)")
    hint = _MISSING_HINT[:-1] + "; rows without a target are dropped by --dropna)" \
        if target_hint else _MISSING_HINT
    raise ValueError(f"missing or non-finite values (NA/NaN/inf) in {source}: column(s) "
                     f"{', '.join(bad)}; {hint}")


def refuse_infinite(counts: dict[str, int], source: str) -> None:
    """Refuse the columns with infinite values (``counts`` per column), naming them."""
    bad = [f"{name!r} ({n} row{'s' if n > 1 else ''})" for name, n in counts.items() if n]
    if bad:
        raise ValueError(f"infinite values in {source}: column(s) {', '.join(bad)}; "
                         "infinity cannot be imputed, fix or drop those rows")


def column_means(X: np.ndarray, encoding: FeatureEncoding, missing: dict[str, int],
                 source: str) -> dict[str, float]:
    """The mean of every column of ``X`` over its non-missing rows (the imputed values)."""
    empty = [name for name in encoding.columns if missing[name] == X.shape[0]]
    if empty:
        raise ValueError(f"column(s) {quote(empty)} of {source} have no values at all: "
                         "nothing to take a mean of; drop them with --features")
    with np.errstate(invalid="ignore"):
        means = np.nanmean(X, axis=0)
    return {name: float(m) for name, m in zip(encoding.feature_names, means, strict=True)}


def impute_missing(X: np.ndarray, names: list[str], fill: Mapping[str, float],
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


def one_hot_note(name: str, cats: tuple[str, ...]) -> str:
    """The note that says a text column was one-hot encoded, and into what."""
    shown = ", ".join(cats[:6]) + (", ..." if len(cats) > 6 else "")
    return (f"text column {name!r} one-hot encoded into {len(cats)} column"
            f"{'s' if len(cats) > 1 else ''} ({shown})")


def quote(names: Sequence[str]) -> str:
    """The names, quoted and comma-separated."""
    return ", ".join(repr(n) for n in names)
