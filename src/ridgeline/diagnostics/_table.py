"""Plain-text tables and JSON-ready dictionaries for the result dataclasses (private)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np


def jsonable(value):
    """Arrays → nested lists, numpy scalars → Python, NaN/inf → None (strict JSON)."""
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()] if value.ndim else jsonable(value.item())
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value


def to_dict(result) -> dict:
    """Every field of a result dataclass, JSON-ready (see :func:`jsonable`)."""
    out = {"type": type(result).__name__}
    for f in dataclasses.fields(result):
        out[f.name] = jsonable(getattr(result, f.name))
    return out


def fmt(v) -> str:
    """A number in 5 significant digits; ``—`` for missing values."""
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    x = float(v)
    if not math.isfinite(x):
        return "—" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return f"{x:.5g}"


def text_table(header: list[str], rows: list[list], note: str | None = None) -> str:
    """Right-aligned columns (the first left-aligned), a rule under the header."""
    cells = [[fmt(c) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]

    def line(vals):
        first = vals[0].ljust(widths[0])
        return "  ".join([first] + [v.rjust(w) for v, w in zip(vals[1:], widths[1:],
                                                                strict=True)])

    out = [line(header), "-" * (sum(widths) + 2 * (len(widths) - 1))]
    out += [line(r) for r in cells]
    if note:
        out.append(note)
    return "\n".join(out)
