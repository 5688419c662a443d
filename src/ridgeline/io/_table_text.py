"""Text columns that are numbers but for a few stray values, and columns asked for as text.

A CSV column of numbers with one stray ``"abc"`` (a typo, a unit, a comment) is read as text,
and one-hot encoding would silently turn it into a column per distinct number. The rule:
a text column whose non-missing values are numbers except for at most
:data:`STRAY_SHARE` of them (at least one value allowed), with at least two numbers, is
refused, naming the column, the values that are not numbers and their rows. The user either
fixes those cells (a missing value is an empty cell or ``NA``) or asks for the column to be
text: ``text_columns=[name]`` (``--text-column NAME`` on the command line). A column asked
for as text is one-hot encoded even when it holds numbers only (codes, zip codes).

Rows are data rows counted from 1: the first row after a CSV's header is row 1 (its file line
is 2); a Parquet directory's rows count through its parts in file order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Largest share of a text column's non-missing values that may fail to parse as numbers for
#: the column to be taken as numbers with stray values (and refused).
STRAY_SHARE = 0.10
_SHOWN = 5
_NUMBER = re.compile(r"^\s*[+-]?(\d[\d_]*\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$|"
                     r"^\s*[+-]?(inf|infinity|nan)\s*$", re.IGNORECASE)


def _text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.cast(column, pa.string())


def _non_numbers(text: pa.ChunkedArray) -> tuple[list[str], int, int]:
    """The distinct non-missing values that are not numbers (in order of first appearance),
    and the numbers of rows holding a number and holding one of those values."""
    counts = pc.value_counts(text)
    values = counts.field("values").to_pylist()
    n = counts.field("counts").to_numpy(zero_copy_only=False)
    bad, n_num, n_bad = [], 0, 0
    for v, k in zip(values, n, strict=True):
        if v is None:
            continue
        if _NUMBER.match(v):
            n_num += int(k)
        else:
            bad.append(v)
            n_bad += int(k)
    return bad, n_num, n_bad


def _rows(text: pa.ChunkedArray, bad: list[str]) -> np.ndarray:
    """0-based rows of ``text`` holding one of the values ``bad``."""
    mask = pc.is_in(text, value_set=pa.array(bad, pa.string()))
    return np.flatnonzero(np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool))


def _where(text: pa.ChunkedArray, bad: list[str], n_bad: int) -> str:
    """``'abc', 'x' (data rows 3, 17; 2 rows)`` for the first values and rows."""
    rows = _rows(text, bad)
    shown = ", ".join(repr(v) for v in bad[:_SHOWN]) + (" ..." if len(bad) > _SHOWN else "")
    where = ", ".join(str(int(r) + 1) for r in rows[:_SHOWN])
    more = f", ... ({n_bad} rows)" if n_bad > _SHOWN else ""
    return f"{shown} (data row{'s' if n_bad > 1 else ''} {where}{more})"


def is_stray(n_num: int, n_bad: int) -> bool:
    """Whether a text column with ``n_num`` numeric and ``n_bad`` other non-missing values is
    numbers with stray values: ``n_bad`` ≥ 1, ``n_num`` ≥ 2 and ``n_bad`` at most
    :data:`STRAY_SHARE` of the values (one value always allowed)."""
    total = n_num + n_bad
    return n_bad >= 1 and n_num >= 2 and n_bad <= max(1, int(STRAY_SHARE * total))


def refuse_stray(name: str, column: pa.ChunkedArray, source: str, *, target: bool = False) -> None:
    """Refuse a text column that is numbers but for a few values (:func:`is_stray`).

    Raises
    ------
    ValueError
        Naming the column, its values that are not numbers and their rows (data rows counted
        from 1), and how to keep the column as text (features only).
    """
    if pa.types.is_dictionary(column.type):  # declared categorical (pandas, Parquet)
        return
    text = _text(column)
    bad, n_num, n_bad = _non_numbers(text)
    if not is_stray(n_num, n_bad):
        return
    kind = "target column" if target else "column"
    fix = ("fix or remove those values (a missing value is an empty cell or NA; rows without "
           "a target are dropped by --dropna)" if target else
           "fix or remove those values (a missing value is an empty cell or NA), or, if the "
           f"column is text, say so: text_columns=[{name!r}] (--text-column {name} on the "
           "command line) one-hot encodes it")
    raise ValueError(f"{kind} {name!r} of {source} holds numbers except for "
                     f"{_where(text, bad, n_bad)}; rows are data rows counted from 1 (a CSV "
                     f"header is not a row): {fix}")


def describe_non_numbers(column: pa.ChunkedArray) -> str:
    """``": its values 'abc' (data row 3) are not numbers"``, or ``""`` when it has none."""
    text = _text(column)
    bad, _, n_bad = _non_numbers(text)
    if not bad:
        return ""
    return f": its values {_where(text, bad, n_bad)} are not numbers"


def as_text_columns(fcols: dict[str, pa.ChunkedArray], text_columns: Sequence[str],
                    source: str) -> dict[str, pa.ChunkedArray]:
    """``fcols`` with the columns named in ``text_columns`` cast to text (one-hot encoded).

    Raises
    ------
    ValueError
        If a name is not one of the feature columns.
    """
    unknown = [n for n in text_columns if n not in fcols]
    if unknown:
        raise ValueError(f"text_columns names {', '.join(repr(n) for n in unknown)}, not a "
                         f"feature column of {source}; feature columns: {', '.join(fcols)}")
    return {name: _text(col) if name in text_columns and not pa.types.is_dictionary(col.type)
            else col for name, col in fcols.items()}
