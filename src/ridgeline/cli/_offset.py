"""``--offset COLUMN``: a column of the data added to the linear predictor with coefficient 1.

For ``--model poisson`` the column is the log of each row's exposure (time at risk, area,
population): the model is then one of counts per unit of exposure (glmnet's and glum's
``offset``). The column is read as it is (no log is taken), is not a feature, and is recorded
in the saved model so that ``ridgeline predict`` reads it from its data too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ridgeline.cli._app import BadInput

if TYPE_CHECKING:
    import numpy as np

#: Model kinds that take an offset (log link).
OFFSET_MODELS = ("poisson",)


def offset_features(column: str | None, kind: str, data: Path | None,
                    target: list[str] | None, features: str | None, streamed: bool,
                    dropna: bool) -> str | None:
    """The ``--features`` to read: as given without ``--offset``; with it, checked (the
    model, in memory, no ``--dropna``) and without the offset column (:func:`feature_list`).
    Raises :class:`BadInput`."""
    if column is None:
        return features
    if kind not in OFFSET_MODELS:
        raise BadInput(f"--offset is available for --model {', '.join(OFFSET_MODELS)} (a log "
                       f"link), not --model {kind}")
    if data is None:
        raise BadInput("--offset needs a DATA file holding the offset column")
    if streamed:
        raise BadInput("--offset is not available for streamed data (--stream, or DATA "
                       "larger than --memory): fit it in memory")
    if dropna:
        raise BadInput("--offset is not available with --dropna: drop the rows without a "
                       "target first")
    return feature_list(data, target, features, column)


def feature_list(data: Path, target: list[str] | None, features: str | None,
                 column: str) -> str:
    """The ``--features`` list to read with ``--offset COLUMN``: the given one (which must
    not name the offset column), or every column but the targets and the offset column."""
    if features:
        names = [f.strip() for f in features.split(",") if f.strip()]
        if column in names:
            raise BadInput(f"--offset column {column!r} is also named in --features: an "
                           "offset is not a feature")
        return features
    names = _column_names(data)
    if column not in names:
        raise BadInput(f"--offset column {column!r} not found in {data}; available: "
                       f"{', '.join(names)}")
    if target and column in target:
        raise BadInput(f"--offset column {column!r} is the target")
    rest = [n for n in names if n != column and n not in (target or [])]
    if not rest:
        raise BadInput(f"{data} has no feature column beside the target and the offset")
    return ",".join(rest)


def read_offset(data: str | Path, column: str, n_rows: int) -> np.ndarray:
    """The offset column of ``data`` as float64 (n_rows,): numeric, finite, no missing value
    (ValueError naming the column and the first bad data row, counted from 1)."""
    import numpy as np
    import pyarrow as pa

    from ridgeline.io._table_read import format_of, read_arrow

    if str(data).startswith("builtin:"):
        raise ValueError(f"the model was fitted with --offset {column}: the built-in data "
                         "sets have no such column")
    path = Path(data)
    table = read_arrow(path, format_of(path))
    if column not in table.column_names:
        raise ValueError(f"offset column {column!r} not found in {path}; the model was fitted "
                         f"with --offset {column}")
    col = table.column(column)
    if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)):
        raise ValueError(f"offset column {column!r} of {path} must hold numbers, got "
                         f"{col.type}")
    values = np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)
    if values.shape != (n_rows,):
        raise ValueError(f"offset column {column!r} has {values.size} values for {n_rows} "
                         "rows")
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"offset column {column!r} of {path} has {int(bad.sum())} missing, "
                         f"NaN or infinite value(s), first at data row {i + 1}")
    return values


def _column_names(data: Path) -> list[str]:
    from ridgeline.io._table_read import format_of, read_arrow

    try:
        return [str(n) for n in read_arrow(Path(data), format_of(Path(data))).column_names]
    except ValueError as exc:
        raise BadInput(str(exc)) from None
