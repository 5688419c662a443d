"""The command line: exit codes, outputs, model files, bad input as one line."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ridgeline import RidgeCV
from ridgeline.cli import app
from ridgeline.io import load_estimator

runner = CliRunner()


@pytest.fixture
def data_files(tmp_path):
    rng = np.random.default_rng(0)
    n = 120
    X = rng.normal(size=(n, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.normal(scale=0.5, size=n)
    table = pa.table({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "d": X[:, 3], "y": y})
    csv = tmp_path / "d.csv"
    pacsv.write_csv(table, csv)
    parquet = tmp_path / "d.parquet"
    pq.write_table(table, parquet)
    return {"csv": csv, "parquet": parquet, "X": X, "y": y}


def test_fit_builtin_prints_choice_and_saves_model(tmp_path):
    path = tmp_path / "m.ridgeline"
    res = runner.invoke(app, ["fit", "--target", "target", "-o", str(path)])
    assert res.exit_code == 0, res.output
    assert "chosen λ" in res.output and "CV curve" in res.output
    model = load_estimator(path)
    assert isinstance(model, RidgeCV)
    assert model.coef_.shape == (10,)


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_fit_json_matches_library(data_files, kind):
    res = runner.invoke(app, ["fit", str(data_files[kind]), "--target", "y", "--json",
                              "--no-standardize", "--lambdas", "0.001,0.01,0.1,1"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    from sklearn.model_selection import KFold

    ref = RidgeCV(lambdas=[0.001, 0.01, 0.1, 1], cv=KFold(5, shuffle=True, random_state=0),
                  scoring="mse").fit(data_files["X"], data_files["y"])
    assert report["lambda"][0] == pytest.approx(ref.lambda_)
    coefs = report["coefficients"]["y"]
    np.testing.assert_allclose([coefs[c] for c in "abcd"], ref.coef_, rtol=1e-10)
    assert len(report["cv_curve"]["lambda"]) == 4


def test_loo_gcv_and_1se(data_files):
    for cv in ("loo", "gcv", "3"):
        rule = "min" if cv == "gcv" else "1se"
        res = runner.invoke(app, ["fit", str(data_files["csv"]), "-t", "y", "--cv", cv,
                                  "--rule", rule, "--json"])
        assert res.exit_code == 0, res.output
        report = json.loads(res.stdout)
        assert report["rule"] == rule
        assert report["lambda"][0] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fit", "missing.csv", "-t", "y"], "not found"),
        (["fit", "{csv}", "-t", "nope"], "nope"),
        (["fit", "{csv}", "-t", "y", "--cv", "1"], "at least 2"),
        (["fit", "{csv}", "-t", "y", "--cv", "500"], "500"),
        (["fit", "{csv}", "-t", "y", "--lambdas", "-1"], "non-negative"),
        (["fit", "{csv}", "-t", "y", "--lambdas", "a,b"], "numbers"),
        (["fit", "{csv}", "-t", "y", "--rule", "best"], "rule"),
        (["fit", "{csv}"], "--target"),
    ],
)
def test_bad_input_is_exit_2_and_one_line(data_files, args, message):
    args = [a.replace("{csv}", str(data_files["csv"])) for a in args]
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    lines = [line for line in res.stderr.strip().splitlines() if line.strip()]
    assert len(lines) >= 1 and message in res.stderr.replace("\n", " ")


def test_nan_in_data_is_refused(tmp_path):
    table = pa.table({"a": [1.0, float("nan"), 3.0, 4.0], "y": [1.0, 2.0, 3.0, 4.0]})
    path = tmp_path / "nan.csv"
    pacsv.write_csv(table, path)
    res = runner.invoke(app, ["fit", str(path), "-t", "y", "--cv", "2"])
    assert res.exit_code == 2
    assert "a" in res.stderr


def test_unwritable_output_leaves_no_file(data_files, tmp_path):
    target = tmp_path / "no_such_dir" / "m.ridgeline"
    res = runner.invoke(app, ["fit", str(data_files["csv"]), "-t", "y", "-o", str(target)])
    assert res.exit_code == 1
    assert not target.exists()
