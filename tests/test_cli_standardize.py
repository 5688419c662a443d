"""``--standardize`` on the command line: the default for every model, as for ridge.

Lasso and elastic net equal ``LassoCV``/``ElasticNetCV(standardize=True)``; logistic and
Poisson (in memory, see ``test_cli.test_fit_predict_round_trip_equals_python_api``, and
streamed, here) equal a fit on the standardized columns, moved back to the original units; the
saved models predict on raw inputs.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ridgeline.cli import app
from ridgeline.io import load_estimator

runner = CliRunner()


# ------------------------------------------------------------- --standardize, every model
def _credit_like(n=400, seed=0):
    """ISLR's Credit in spirit: dollars, thousands, counts and yes/no columns side by side."""
    rng = np.random.default_rng(seed)
    income = rng.gamma(2.0, 22.0, size=n) + 10
    rating = 150 + 2.2 * income + rng.normal(0, 110, size=n)
    limit = 13.5 * rating + rng.normal(0, 250, size=n)
    cards = rng.integers(1, 9, size=n).astype(float)
    age = rng.uniform(23, 90, size=n).round()
    student = rng.uniform(size=n) < 0.12
    married = rng.uniform(size=n) < 0.6
    balance = (-480 - 7.8 * income + 0.19 * limit + 1.1 * rating + 18 * cards - 0.6 * age
               + 425 * student - 10 * married + rng.normal(0, 100, size=n))
    return pa.table({"Income": income, "Limit": limit, "Rating": rating, "Cards": cards,
                     "Age": age, "Student": np.where(student, "Yes", "No"),
                     "Married": np.where(married, "Yes", "No"), "Balance": balance})


def test_lasso_standardizes_by_default_as_ridge_does(tmp_path):
    """``ridgeline fit credit.csv -t Balance --model lasso``: raw units keep the dollar-scale
    columns and drop the yes/no ones; the default (standardized) keeps them and predicts
    better. It is LassoCV(standardize=True) on the encoded columns."""
    csv = tmp_path / "credit.csv"
    pacsv.write_csv(_credit_like(), csv)

    def fit(*flags):
        res = runner.invoke(app, ["fit", str(csv), "-t", "Balance", "--model", "lasso",
                                  "--json", *flags])
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout)

    default, explicit, raw = fit(), fit("--standardize"), fit("--no-standardize")
    assert default == {**explicit, "seconds": default["seconds"]}
    assert default["standardize"] is True and raw["standardize"] is False
    mse = {k: -r["best_score"][0] for k, r in (("std", default), ("raw", raw))}
    kept = {k: sum(v != 0 for v in r["coefficients"]["Balance"].values())
            for k, r in (("std", default), ("raw", raw))}
    assert mse["std"] < 0.5 * mse["raw"] and kept["std"] > kept["raw"]
    student = {k: r["coefficients"]["Balance"]["Student=Yes"]
               - r["coefficients"]["Balance"]["Student=No"] for k, r in (("std", default),
                                                                         ("raw", raw))}
    assert student["std"] > 300 and student["raw"] == 0.0
    from sklearn.model_selection import KFold

    from ridgeline import LassoCV
    from ridgeline.io import read_table

    table = read_table(csv, target="Balance")
    folds = list(KFold(5, shuffle=True, random_state=0).split(table.X))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ref = LassoCV(cv=folds, standardize=True).fit(table.X, table.y)
    edge = "the selected λ is the smallest value of the grid"
    assert [edge in w for w in default["warnings"]] == [edge in str(w.message) for w in caught]
    assert default["lambda"][0] == pytest.approx(ref.lambda_, rel=1e-12)
    # the same model up to the solver's tolerance (tol=1e-4; the yes/no pairs of one-hot
    # columns are collinear, so the coefficients split between them need not agree)
    coef = np.array(list(default["coefficients"]["Balance"].values()))
    pred = table.X @ coef + default["intercept"][0]
    assert np.sqrt(np.mean((pred - ref.predict(table.X)) ** 2)) < 1e-3 * table.y.std()


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
@pytest.mark.parametrize(("model", "target"), [("logistic", "c"), ("poisson", "count")])
def test_streamed_glm_standardizes_and_predicts_on_raw_inputs(tmp_path, model, target):
    """Streamed logistic/Poisson: the penalty on standardized features (one more pass for
    the scale), the model file in raw units; equal to the fit on X/σ, unscaled."""
    import ridgeline as rl

    rng = np.random.default_rng(4)
    n = 300
    X = rng.normal(size=(n, 3)) * np.array([0.01, 1.0, 300.0]) + np.array([0.0, 2.0, 1e3])
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    cols = {"c": (Z @ [1.0, -0.5, 0.8] + rng.logistic(size=n) > 0).astype(np.int64),
            "count": rng.poisson(np.exp(0.3 + Z @ [0.3, -0.2, 0.4])).astype(float)}
    pq.write_table(pa.table({"a": X[:, 0], "b": X[:, 1], "d": X[:, 2], target: cols[target]}),
                   tmp_path / "t.parquet")
    path = tmp_path / "m.ridgeline"
    res = runner.invoke(app, ["fit", str(tmp_path / "t.parquet"), "-t", target, "--model",
                              model, "--stream", "--cv", "3", "--lambdas", "0.01", "--json",
                              "-o", str(path)])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["standardize"] is True and report["lambda"] == 0.01
    sd = X.std(axis=0)
    if model == "logistic":
        ref = rl.LogisticRegression(C=1 / (2 * 0.01 * n), tol=1e-10).fit(X / sd, cols[target])
    else:
        ref = rl.PoissonRegressor(alpha=0.01, tol=1e-10).fit(X / sd, cols[target])
    coef = np.ravel(ref.coef_) / sd
    np.testing.assert_allclose([report["coefficients"][f] for f in "abd"], coef,
                               rtol=1e-6, atol=1e-12)
    model_file = load_estimator(path)
    np.testing.assert_allclose(np.ravel(model_file.coef_), coef, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(model_file.predict(X), ref.predict(X / sd), rtol=1e-6)
