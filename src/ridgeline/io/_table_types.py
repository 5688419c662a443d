"""The data classes of :mod:`ridgeline.io.tables`: :class:`FeatureEncoding`, :class:`Table`, and
the reading options every reader shares (:class:`TableOptions`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Values accepted by the ``impute`` argument (``None``: refuse missing values).
IMPUTE_CHOICES: tuple[str, ...] = ("mean",)


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
class TableOptions:
    """How a reader turns columns into ``X``: see :func:`ridgeline.io.tables.read_table`."""

    impute: str | None = None
    one_hot: bool = True
    max_categories: int = 50
    labels: bool = False
    text_columns: tuple[str, ...] = ()


def check_options(impute: str | None, one_hot: bool, max_categories: int, labels: bool,
                  text_columns: str | Sequence[str] | None = None) -> TableOptions:
    """The reading options, checked (a ValueError names the bad one)."""
    if impute is not None and impute not in IMPUTE_CHOICES:
        raise ValueError(f"impute must be None or one of {list(IMPUTE_CHOICES)}, got {impute!r}")
    if isinstance(max_categories, bool) or not isinstance(max_categories, int) or \
            max_categories < 1:
        raise ValueError(f"max_categories must be a positive integer, got {max_categories!r}")
    if text_columns is None:
        text: tuple[str, ...] = ()
    elif isinstance(text_columns, str):
        text = (text_columns,)
    elif isinstance(text_columns, Sequence | set | frozenset) and all(
            isinstance(c, str) for c in text_columns):
        text = tuple(dict.fromkeys(text_columns))
    else:
        raise ValueError(f"text_columns must be a column name or a list of names, got "
                         f"{text_columns!r}")
    if text and not one_hot:
        raise ValueError(f"text_columns={list(text)!r} asks for one-hot encoded text columns, "
                         "but one_hot=False refuses them")
    return TableOptions(impute, bool(one_hot), max_categories, bool(labels), text)
