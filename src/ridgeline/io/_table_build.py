"""From named columns to a :class:`~ridgeline.io.tables.Table`: the selection of the target and
feature columns, their kinds, the encoding and the checks on missing and infinite values."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from ridgeline.io._dropna import drop_missing_targets
from ridgeline.io._table_encode import (
    column_means,
    encode,
    impute_missing,
    is_numeric,
    is_text,
    learn_encoding,
    one_hot_note,
    quote,
    refuse_infinite,
    refuse_missing,
    target_array,
    type_label,
)
from ridgeline.io._table_text import as_text_columns, refuse_stray
from ridgeline.io._table_types import FeatureEncoding, Table, TableOptions

_UNSUPPORTED_HINT = "are not supported; convert them to numbers or drop them with --features"


def build(
    names: list[str],
    n_rows: int,
    fetch: Callable[[int], pa.ChunkedArray],
    target: str | Sequence[str],
    features: Sequence[str] | None,
    source: str,
    options: TableOptions,
    *,
    dropna: bool = False,
) -> Table:
    """Validate the selection, encode the features and convert everything to arrays.

    ``fetch(i)`` gives the i-th of the columns ``names``; the rows of every check that names
    rows are those ``fetch`` gives (before ``dropna`` drops any)."""
    _check_rows(n_rows, source)
    targets, feats = _select(names, target, features, source)
    tcols = {name: fetch(names.index(name)) for name in targets}
    fcols = {name: fetch(names.index(name)) for name in feats}
    fcols = as_text_columns(fcols, options.text_columns, source)
    check_types(fcols, tcols, source, options)
    dropped: list[str] = []
    if dropna:
        tcols, fcols, n_rows, dropped = drop_missing_targets(tcols, fcols, n_rows, source)
    encoding = learn_encoding(fcols, source, options.max_categories)
    X, missing, infinite = encode(fcols, encoding, source, learning=True)
    y, t_missing, t_infinite = target_array(tcols, options.labels)
    if options.impute is None:
        refuse_missing({**_add(missing, infinite), **_add(t_missing, t_infinite)}, source,
                       target_hint=any(t_missing.values()))
    refuse_infinite({**infinite, **t_infinite}, source)
    refuse_missing(t_missing, source, target=True)
    notes = dropped + [one_hot_note(name, cats) for name, cats in encoding.categories.items()]
    if options.impute == "mean":
        fill = column_means(X, encoding, missing, source)
        encoding = FeatureEncoding(encoding.columns, encoding.categories, fill)
        notes += impute_missing(X, encoding.feature_names, fill, missing, encoding)
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
    check_present(names, targets, "target", source)
    if features is None:
        feats = [n for n in names if n not in targets]
    else:
        feats = [features] if isinstance(features, str) else [str(f) for f in features]
    check_present(names, feats, "feature", source)
    both = sorted(set(targets) & set(feats))
    if both:
        raise ValueError(f"column(s) {quote(both)} of {source} are both target and feature")
    if not feats:
        raise ValueError(f"{source} has no feature columns besides the target")
    for group, kind in ((targets, "target"), (feats, "feature")):
        repeated = sorted({n for n in group if group.count(n) > 1})
        if repeated:
            raise ValueError(f"{kind} column(s) {quote(repeated)} listed more than once")
    return targets, feats


def check_present(names: list[str], wanted: list[str], kind: str, source: str) -> None:
    missing = [n for n in wanted if n not in names]
    if missing:
        available = ", ".join(names) or "(none)"
        raise ValueError(
            f"{kind} column(s) {quote(missing)} not found in {source}; available: {available}"
        )
    duplicated = [n for n in wanted if names.count(n) > 1]
    if duplicated:
        raise ValueError(f"column(s) {quote(duplicated)} appear more than once in {source}")


def check_types(fcols: dict[str, pa.ChunkedArray], tcols: dict[str, pa.ChunkedArray],
                source: str, options: TableOptions) -> None:
    """Refuse feature and target columns of a kind that cannot be used, and text columns that
    are numbers but for a few stray values (unless asked for as text)."""
    bad = [f"{name!r} ({type_label(col.type)})" for name, col in fcols.items()
           if not (is_numeric(col.type) or (options.one_hot and is_text(col.type)))]
    if bad:
        hint = _UNSUPPORTED_HINT if options.one_hot else \
            "are not allowed with one_hot=False; drop them with --features"
        raise ValueError(f"non-numeric feature column(s) {', '.join(bad)} in {source} {hint}")
    for name, col in fcols.items():
        if is_text(col.type) and name not in options.text_columns:
            refuse_stray(name, col, source)
    if options.labels:
        bad = [f"{name!r} ({type_label(col.type)})" for name, col in tcols.items()
               if not (is_numeric(col.type) or is_text(col.type))]
        if bad:
            raise ValueError(f"target column(s) {', '.join(bad)} in {source} cannot be used "
                             "as class labels")
        return
    bad = [f"{name!r} ({type_label(col.type)})" for name, col in tcols.items()
           if not is_numeric(col.type)]
    for name, col in tcols.items():
        if is_text(col.type):
            refuse_stray(name, col, source, target=True)
    if bad:
        raise ValueError(f"non-numeric target column(s) {', '.join(bad)} in {source}: this "
                         "model needs numbers (class labels need a classifier, e.g. "
                         "--model logistic)")


def from_pandas(df: Any, target: str | Sequence[str], features: Sequence[str] | None,
                source: str, options: TableOptions) -> Table:
    """:func:`build` on a pandas frame's columns (mixed object columns become text)."""
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

    return build(names, len(df), fetch, target, features, source, options)
