"""Data and page readers for the report tests (no tests here).

CSV files with a text column and missing values, as a practitioner's data come; a reader of
the report's keyed tables (``<table id>`` rows with ``data-key``) from the HTML, and the same
reader as JavaScript for the DOM a browser rendered.
"""

from __future__ import annotations

import csv
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np

N = 200
N_POSITIVE = 15  # 7.5 %: accuracy is misleading, the report must say so


# --------------------------------------------------------------------------- data


def columns(seed: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Features in very different units, a text column, NaN in one numeric column; and the
    linear predictor."""
    rng = np.random.default_rng(seed)
    at_bat = rng.normal(400.0, 150.0, N)
    rate = rng.normal(0.27, 0.03, N)
    years = rng.gamma(3.0, 2.5, N)
    walks = rng.normal(40.0, 18.0, N)
    league = rng.choice(["east", "west", "central"], N)
    eta = (0.004 * (at_bat - 400) + 25.0 * (rate - 0.27) + 0.1 * (years - 7.5)
           + 0.02 * (walks - 40) + np.select([league == "west", league == "central"],
                                             [0.8, -0.5], 0.0))
    walks[rng.choice(N, 12, replace=False)] = np.nan
    return {"at_bat": at_bat, "rate": rate, "years": years, "walks": walks,
            "league": league}, eta


def write_csv(path: Path, cols: dict[str, np.ndarray]) -> Path:
    """A CSV file of the columns; NaN written as an empty field (a missing value)."""
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(list(cols))
        for row in zip(*cols.values(), strict=True):
            out.writerow(["" if isinstance(v, float) and np.isnan(v) else v for v in row])
    return path


def regression_csv(folder: Path) -> Path:
    """salaries.csv: target ``salary``, about 2.3 noise sd to the signal's 1 (a λ inside the
    grid)."""
    cols, eta = columns(1)
    cols["salary"] = 500.0 + 300.0 * eta + np.random.default_rng(2).normal(0, 700.0, N)
    return write_csv(folder / "salaries.csv", cols)


def classification_csv(folder: Path) -> Path:
    """loans.csv: target ``default``, exactly :data:`N_POSITIVE` "yes" of :data:`N`."""
    cols, eta = columns(3)
    noisy = eta + np.random.default_rng(4).logistic(size=N)
    cols["default"] = np.where(noisy >= np.sort(noisy)[-N_POSITIVE], "yes", "no")
    return write_csv(folder / "loans.csv", cols)


# --------------------------------------------------------------------------- pages


class KeyedTables(HTMLParser):
    """Every ``<table id>``: {id: {data-key: {"cells": [text], "counts": [data-count]}}}."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict] = {}
        self.table = self.key = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "id" in a:
            self.table = self.tables.setdefault(a["id"], {})
        elif tag == "tr" and self.table is not None and "data-key" in a:
            self.key = a["data-key"]
            self.table[self.key] = {"cells": [], "counts": []}
        elif tag in ("td", "th") and self.key is not None:
            self.cell = []
            if "data-count" in a:
                self.table[self.key]["counts"].append(int(a["data-count"]))

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.table[self.key]["cells"].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr":
            self.key = None
        elif tag == "table":
            self.table = None


def read_tables(page: str) -> dict:
    """:class:`KeyedTables` of an HTML page."""
    parser = KeyedTables()
    parser.feed(page)
    return parser.tables


def section_text(page: str, ident: str) -> str:
    """The text of one ``<section id>`` of a page, whitespace collapsed."""
    body = page.split(f'<section id="{ident}">')[1].split("</section>")[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


#: the same tables as :func:`read_tables`, read from the DOM a browser rendered (innerText)
READ_DOM = """
const out = {};
for (const table of document.querySelectorAll('table[id]')) {
  const rows = {};
  for (const tr of table.querySelectorAll('tbody tr[data-key]')) {
    rows[tr.dataset.key] = {
      cells: Array.from(tr.querySelectorAll('td, th')).map(c => c.innerText.trim()),
      counts: Array.from(tr.querySelectorAll('td[data-count]')).map(c => +c.dataset.count)};
  }
  out[table.id] = rows;
}
return out;
"""
