"""``dropna``: the rows of a table whose target is missing, dropped before anything else."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def drop_missing_targets(tcols: dict[str, pa.ChunkedArray], fcols: dict[str, pa.ChunkedArray],
                         n_rows: int, source: str
                         ) -> tuple[dict[str, pa.ChunkedArray], dict[str, pa.ChunkedArray],
                                    int, list[str]]:
    """Drop the rows whose target is missing from every column.

    Parameters
    ----------
    tcols, fcols : dict of str to pyarrow.ChunkedArray
        The target and feature columns, by name, each of ``n_rows`` rows.
    n_rows : int
        Number of rows.
    source : str
        The data's name, for messages.

    Returns
    -------
    tcols, fcols : dict of str to pyarrow.ChunkedArray
        The columns without the rows where any target column is null or NaN.
    kept : int
        Number of rows left.
    notes : list of str
        ``["dropped 3 of 120 rows whose target ('y') is missing (--dropna)"]``, or ``[]``
        when no row was dropped.

    Raises
    ------
    ValueError
        If fewer than 2 rows have a target.
    """
    missing = None
    for col in tcols.values():
        null = pc.is_null(col, nan_is_null=True)
        missing = null if missing is None else pc.or_(missing, null)
    dropped = 0 if missing is None else int(pc.sum(missing).as_py() or 0)
    if dropped == 0:
        return tcols, fcols, n_rows, []
    kept = n_rows - dropped
    names = ", ".join(repr(name) for name in tcols)
    if kept < 2:
        raise ValueError(f"only {kept} of the {n_rows} rows of {source} have a target ({names}):"
                         " at least 2 rows are needed")
    keep = pc.invert(missing)
    tcols = {name: col.filter(keep) for name, col in tcols.items()}
    fcols = {name: col.filter(keep) for name, col in fcols.items()}
    return tcols, fcols, kept, [f"dropped {dropped} of {n_rows} rows whose target ({names}) "
                                "is missing (--dropna)"]
