"""The command line's console output and ``--dropna`` (issue 19, items 6 and 8)."""

from __future__ import annotations

import json
from io import StringIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from rich.console import Console
from rich.table import Table as RichTable
from typer.testing import CliRunner

from ridgeline.cli import _app, _fit_text, app

runner = CliRunner()

CLASSES = ("species_adelie_from_the_palmer_archipelago", "species_chinstrap_from_dream_island",
           "species_gentoo_from_biscoe_island")


@pytest.fixture
def penguins(tmp_path):
    """Three well-separated classes with long names, and a numeric target with holes."""
    rng = np.random.default_rng(3)
    n = 90
    label = np.repeat(CLASSES, n // 3)
    shift = np.repeat([0.0, 2.0, 4.0], n // 3)
    a, b = rng.normal(size=n) + shift, rng.normal(size=n) - shift
    y = 2.0 * a - b + rng.normal(scale=0.3, size=n)
    y_holes = y.copy()
    y_holes[[4, 17, 50]] = np.nan
    table = pa.table({"a": a, "b": b, "label": label, "y": y_holes})
    path = tmp_path / "penguins.csv"
    pacsv.write_csv(table, path)
    kept = np.isfinite(y_holes)
    clean = tmp_path / "clean.csv"
    pacsv.write_csv(pa.table({"a": a[kept], "b": b[kept], "y": y[kept]}), clean)
    return {"csv": path, "clean": clean, "n": n}


def _one_line_error(res, code: int, *fragments: str) -> None:
    assert res.exit_code == code, (res.exit_code, res.output)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


# --------------------------------------------------------------------------- tables


def test_piped_tables_are_printed_whole(penguins):
    res = runner.invoke(app, ["fit", str(penguins["csv"]), "-t", "label", "--model",
                              "logistic", "--features", "a,b"])
    assert res.exit_code == 0, res.output
    for name in CLASSES:  # each class's coefficient column, its name in full
        assert f"label={name}" in res.stdout
    assert "…" not in res.stdout
    assert max(len(line) for line in res.stdout.splitlines()) > 120


def test_the_cv_table_says_how_many_lambdas_it_shows():
    res = runner.invoke(app, ["fit"])
    assert res.exit_code == 0, res.output
    assert ("(showing 20 of 100 λ: one in 6, the last, min and 1se; --json lists all)"
            in res.stdout)
    res = runner.invoke(app, ["fit", "--lambdas", "0.01,0.1,1"])
    assert res.exit_code == 0, res.output
    assert "showing" not in res.stdout


def _terminal(monkeypatch, width: int) -> StringIO:
    buf = StringIO()
    console = Console(file=buf, force_terminal=True, width=width, color_system=None,
                      highlight=False, soft_wrap=True)  # as _app.out
    monkeypatch.setattr(_app, "out", console)
    monkeypatch.setattr(_fit_text, "out", console)
    return buf


def test_terminal_tables_fold_to_the_width_without_ellipses(penguins, monkeypatch):
    buf = _terminal(monkeypatch, 60)
    res = runner.invoke(app, ["fit", str(penguins["csv"]), "-t", "label", "--model",
                              "logistic", "--features", "a,b"])
    assert res.exit_code == 0, res.output
    text = buf.getvalue()
    table_lines = [line for line in text.splitlines() if line[:1] in "┏┃┡│└"]
    assert len(table_lines) > 20
    assert max(len(line) for line in table_lines) <= 60
    assert "…" not in text and "was cut" not in text


def test_a_terminal_too_narrow_for_a_table_is_said(monkeypatch):
    buf = _terminal(monkeypatch, 20)
    table = RichTable()
    for name in ("λ", "alpha", "dof", "CV score", "± SE", ""):
        table.add_column(name)
    table.add_row("0.1", "1", "2", "3", "4", "5")
    _app.print_table(table)
    assert buf.getvalue().splitlines()[-1] == ("(the table was cut: it needs at least 25 "
                                               "columns, the terminal has 20; --json, or output "
                                               "to a file, shows it whole)")


# --------------------------------------------------------------------------- --dropna


def test_dropna_drops_the_rows_without_a_target_and_says_so(penguins):
    args = ["fit", str(penguins["csv"]), "-t", "y", "--features", "a,b"]
    res = runner.invoke(app, args)
    _one_line_error(res, 2, "'y' (3 rows)", "rows without a target are dropped by --dropna")
    res = runner.invoke(app, [*args, "--dropna"])
    assert res.exit_code == 0, res.output
    assert "note: dropped 3 of 90 rows whose target ('y') is missing (--dropna)" in res.stderr
    assert "(87 rows, 2 features" in res.stdout
    report = json.loads(runner.invoke(app, [*args, "--dropna", "--json"]).stdout)
    clean = json.loads(runner.invoke(app, ["fit", str(penguins["clean"]), "-t", "y",
                                           "--json"]).stdout)
    assert report["n_rows"] == 87
    assert report["data_notes"] == ["dropped 3 of 90 rows whose target ('y') is missing "
                                    "(--dropna)"]
    assert report["lambda"] == clean["lambda"]
    assert report["coefficients"] == clean["coefficients"]


def test_a_missing_target_with_imputed_features_names_dropna(penguins):
    res = runner.invoke(app, ["fit", str(penguins["csv"]), "-t", "y", "--features", "a,b",
                              "--impute", "mean"])
    _one_line_error(res, 2, "missing values in target column(s) 'y' (3 rows)",
                    "drop those rows: --dropna does")


def test_dropna_is_refused_for_streamed_data(penguins):
    res = runner.invoke(app, ["fit", str(penguins["csv"]), "-t", "y", "--stream", "--dropna"])
    _one_line_error(res, 2, "--dropna is not available for streamed data")


def test_dropna_with_too_few_targets_left(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,y\n1,\n2,5\n3,NA\n")
    res = runner.invoke(app, ["fit", str(path), "-t", "y", "--dropna"])
    _one_line_error(res, 2, "only 1 of the 3 rows of", "have a target ('y'): at least 2 rows")


def test_report_takes_dropna(penguins, tmp_path):
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", str(penguins["csv"]), "-t", "y", "--features", "a,b",
                              "--dropna", "--bv-rounds", "0", "--no-compare", "--n-lambdas",
                              "8", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "note: dropped 3 of 90 rows whose target ('y') is missing (--dropna)" in res.stderr
    assert out.exists()
