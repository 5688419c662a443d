"""Small, dependency-free HTML building blocks for a self-contained report.

Everything is escaped here; images are embedded as base64 PNG ``data:`` URIs, styles are
inline, and the page forbids every network fetch by its Content-Security-Policy, so the file
opens anywhere, offline, exactly as written.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ridgeline.io import atomic_write

__all__ = [
    "figure_html",
    "figure_to_png",
    "html_document",
    "new_figure",
    "paragraph",
    "section",
    "table_html",
    "write_html",
]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1d2433; background: #fafbfc; line-height: 1.5; }
main { max-width: 980px; margin: 0 auto; padding: 1.5rem 2rem 4rem; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.3rem; margin-top: 2.4rem; border-bottom: 1px solid #d8dde6;
     padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin-bottom: 0.3rem; }
p.lead { color: #4a5568; margin-top: 0; }
.summary { background: #eef6ee; border: 1px solid #b7d7b7; border-radius: 6px;
           padding: 0.8rem 1.1rem; }
.note { background: #fff8e6; border-left: 4px solid #e0a800; padding: 0.4rem 0.8rem;
        margin: 0.6rem 0; }
.skipped { color: #5a6577; font-style: italic; }
.explain { background: #f1f4f9; border-radius: 6px; padding: 0.6rem 1rem; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #e2e6ee; background: #fff; }
figcaption { color: #4a5568; font-size: 0.9rem; }
table { border-collapse: collapse; margin: 0.6rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #d8dde6; padding: 0.2rem 0.55rem; }
th { background: #eef1f6; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
nav ol { columns: 2; }
footer { margin-top: 3rem; color: #5a6577; font-size: 0.85rem; }
"""

# nothing may be fetched: images are data: URIs, styles inline, no scripts at all
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def esc(text: Any) -> str:
    """HTML-escape any value's ``str``."""
    return html.escape(str(text), quote=True)


def fmt(value: Any, digits: int = 4) -> str:
    """A number in a few significant digits; text as it is; ``—`` for None/NaN."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) or hasattr(value, "dtype"):
        v = float(value)
        if math.isnan(v):
            return "—"
        return f"{v:.{digits}g}"
    return str(value)


def paragraph(text: str, cls: str | None = None) -> str:
    """A ``<p>`` of escaped text."""
    attr = f' class="{esc(cls)}"' if cls else ""
    return f"<p{attr}>{esc(text)}</p>"


def table_html(header: Sequence[str], rows: Iterable[Sequence[Any]], *,
               caption: str | None = None, numeric_from: int = 1, ident: str | None = None,
               row_keys: Sequence[str] | None = None) -> str:
    """A table; cells from column ``numeric_from`` on are right-aligned and formatted.

    ``ident`` becomes the table's ``id`` and ``row_keys`` each row's ``data-key``, so that a
    reader (or a test in a browser) finds a number by name.
    """
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cells = []
        for j, v in enumerate(row):
            if j >= numeric_from and not isinstance(v, str):
                cells.append(f'<td class="num">{esc(fmt(v))}</td>')
            else:
                cells.append(f"<td>{esc(v)}</td>")
        key = f' data-key="{esc(row_keys[i])}"' if row_keys is not None else ""
        body.append(f"<tr{key}>" + "".join(cells) + "</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    attr = f' id="{esc(ident)}"' if ident else ""
    return (f"<table{attr}>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
            "</table>")


def new_figure(width: float = 7.0, height: float = 4.2) -> Any:
    """A matplotlib Figure that is not registered with pyplot (no global state, no GUI)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def figure_to_png(fig: Any, dpi: int = 110) -> bytes:
    """PNG bytes of a matplotlib figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def figure_html(png: bytes, *, alt: str, caption: str | None = None, gid: str = "") -> str:
    """A ``<figure>`` with the PNG embedded as a base64 ``data:`` URI."""
    data = base64.b64encode(png).decode("ascii")
    ident = f' id="{esc(gid)}"' if gid else ""
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return (f'<figure{ident}><img alt="{esc(alt)}" src="data:image/png;base64,{data}">'
            f"{cap}</figure>")


def section(ident: str, title: str, body: str) -> str:
    """A ``<section>`` with an ``<h2>`` heading (``body`` is trusted HTML)."""
    return f'<section id="{esc(ident)}"><h2>{esc(title)}</h2>{body}</section>'


def html_document(title: str, body: str) -> str:
    """A whole page: metadata, inline CSS, the CSP that forbids network access, ``body``."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def write_html(path: str | os.PathLike[str], document: str) -> Path:
    """Write ``document`` (UTF-8) atomically: a temporary file, then a rename.

    Raises
    ------
    OSError
        If the file cannot be written; nothing is left at ``path`` then.
    """
    target = Path(path)
    data = document.encode("utf-8")
    atomic_write(target, lambda fh: fh.write(data))
    return target
