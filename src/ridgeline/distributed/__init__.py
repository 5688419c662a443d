"""Dask: the estimators' statistics passes mapped over partitions and tree-reduced.

:class:`DaskSource` wraps a ``dask.array`` or ``dask.dataframe`` (features, targets, optional
sample weights and fold/group ids) as a :class:`~ridgeline.stats.StatisticsSource`: each pass
maps the pure per-partition kernels over the partitions — with each partition's global row
offset, so hashed folds do not depend on the partitioning — and adds the results in a tree of
fan-in ``split_every``, so only p×p-sized results reach the client.

Importing this package does not import Dask; :func:`is_dask_collection` and
:func:`dask_source` cost nothing unless Dask is already loaded (an object cannot be a Dask
collection otherwise), and :class:`DaskSource` / :func:`as_source` import it on first use.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ridgeline.distributed._source import DaskSource

__all__ = ["DaskSource", "as_source", "dask_source", "is_dask_collection"]


def is_dask_collection(obj: Any) -> bool:
    """Whether ``obj`` is a Dask collection (array, data frame, series); never imports Dask."""
    if "dask" not in sys.modules:
        return False
    from dask import is_dask_collection as _is

    return bool(_is(obj))


def as_source(X, y=None, sample_weight=None, **fold_rule) -> DaskSource:
    """A :class:`DaskSource` over a Dask collection X (see :func:`._source.as_source`)."""
    from ridgeline.distributed._source import as_source as _as_source

    return _as_source(X, y, sample_weight, **fold_rule)


def dask_source(X, y=None, sample_weight=None, **fold_rule) -> DaskSource | None:
    """:func:`as_source` when X is a Dask collection, else None: the estimators' one-line hook.

    Usage at the top of ``fit``::

        if (src := dask_source(X, y, sample_weight)) is not None:
            X, y, sample_weight = src, None, None
    """
    if not is_dask_collection(X):
        return None
    return as_source(X, y, sample_weight, **fold_rule)


def __getattr__(name: str):
    if name == "DaskSource":
        from ridgeline.distributed._source import DaskSource

        return DaskSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
