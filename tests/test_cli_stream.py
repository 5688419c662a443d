"""``ridgeline fit --stream``: Poisson CV, ``--output`` model files and ``predict`` on them."""

from __future__ import annotations

import io
import json
import os
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import mean_poisson_deviance
from typer.testing import CliRunner

import ridgeline
from ridgeline import LogisticRegressionCV, PoissonRegressor, RidgeCV
from ridgeline.cli import app
from ridgeline.estimators._glm import source_classes, source_problem
from ridgeline.io import load_model, modelfile
from ridgeline.losses import BinomialLoss, MultinomialLoss, PoissonLoss
from ridgeline.path import auto_glm_grid
from ridgeline.solvers.problem import GLMProblem
from ridgeline.stats import predefined_test_fold

runner = CliRunner()
N, P = 400, 8
FEATURES = [f"x{j}" for j in range(P)]
FEATS = ",".join(FEATURES)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Counts, a real target, binary and 3-class labels: a 2-part Parquet directory + a CSV."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, P))
    w = np.r_[0.4, -0.3, 0.2, np.zeros(P - 3)]
    cols = {
        "count": rng.poisson(np.exp(0.2 + X @ w)).astype(float),
        "y": X @ rng.normal(size=P) + rng.normal(size=N),
        "c": (X[:, 0] - X[:, 1] + rng.normal(size=N) > 0).astype(np.int64),
        "label": np.argmax(X[:, :3] @ rng.normal(size=(3, 3)) + rng.gumbel(size=(N, 3)),
                           axis=1),
        "neg": X[:, 0],
    }
    root = tmp_path_factory.mktemp("stream")
    d = root / "parts"
    d.mkdir()
    table = pa.table({**{f: X[:, j] for j, f in enumerate(FEATURES)}, **cols})
    pq.write_table(table.slice(0, 150), d / "part-0.parquet")
    pq.write_table(table.slice(150), d / "part-1.parquet")
    pacsv.write_csv(table, root / "all.csv")
    return {"dir": d, "csv": root / "all.csv", "X": X, **cols}


def _fit(args):
    res = runner.invoke(app, ["fit", *map(str, args)])
    return res


def _predict(model, csv) -> dict[str, np.ndarray]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = runner.invoke(app, ["predict", str(model), str(csv)])
    assert res.exit_code == 0, res.output
    assert [str(w.message) for w in caught] == []  # e.g. no "X does not have valid feature names"
    t = pacsv.read_csv(io.BytesIO(res.stdout.encode()))
    return {name: t[name].to_numpy() for name in t.column_names}


def _source(data, target):
    return ridgeline.read_parquet(data["dir"], target=target, features=FEATURES)


# ----------------------------------------------------------------------------- Poisson CV
def test_streamed_poisson_cv_equals_refits_on_the_same_folds(data):
    """Default grid = the in-memory one; CV curve, λ and coefficients = explicit refits."""
    K, seed = 4, 3
    res = _fit([data["dir"], "-t", "count", "--features", FEATS, "--model", "poisson",
                "--stream", "--cv", K, "--seed", seed, "--json", "--no-standardize"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    X, y = data["X"], data["count"]
    grid = auto_glm_grid(GLMProblem.from_arrays(X, y, np.ones(N), PoissonLoss(), True), 20)
    np.testing.assert_allclose(rep["cv_curve"]["lambda"], grid, rtol=1e-9)
    # the slow definition: a PoissonRegressor per (fold, λ) on the hashed folds
    fold = predefined_test_fold(N, K, seed)
    scores = np.array([[-mean_poisson_deviance(
        y[fold == k], PoissonRegressor(alpha=lam).fit(X[fold != k], y[fold != k])
        .predict(X[fold == k])) for lam in grid] for k in range(K)])
    np.testing.assert_allclose(rep["cv_curve"]["mean_score"], scores.mean(axis=0),
                               rtol=1e-8)
    best = int(np.argmax(scores.mean(axis=0)))
    assert 0 < best < grid.size - 1  # an interior choice: the comparison can fail
    assert rep["lambda"] == pytest.approx(grid[best], rel=1e-9)
    assert rep["alpha"] == rep["lambda"] and rep["param_name"] == "alpha"
    assert rep["cv_score"] == pytest.approx(scores.mean(axis=0)[best], rel=1e-8)
    ref = PoissonRegressor(alpha=grid[best]).fit(X, y)
    np.testing.assert_allclose([rep["coefficients"][f] for f in FEATURES], ref.coef_,
                               atol=1e-8)
    assert rep["intercept"] == pytest.approx(ref.intercept_, abs=1e-8)
    assert rep["rows"] == N and rep["parts"] == 2 and rep["streamed"]
    assert rep["model"] == "poisson" and rep["scoring"] == "neg_mean_poisson_deviance"
    assert rep["warnings"] == [] and rep["model_file"] is None


def test_streamed_poisson_given_grid_and_1se_rule(data):
    res = _fit([data["dir"], "-t", "count", "--features", FEATS, "--model", "poisson",
                "--stream", "--cv", 3, "--lambdas", "0.3,0.001,0.03", "--rule", "1se",
                "--json", "--no-standardize"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    assert rep["cv_curve"]["lambda"] == [0.3, 0.03, 0.001]  # strongest first
    mean, se = np.array(rep["cv_curve"]["mean_score"]), np.array(rep["cv_curve"]["se"])
    best = int(np.argmax(mean))
    within = np.flatnonzero(mean >= mean[best] - se[best])
    assert rep["rule"] == "1se" and rep["lambda"] == rep["cv_curve"]["lambda"][within.min()]
    ref = PoissonRegressor(alpha=rep["lambda"]).fit(data["X"], data["count"])
    np.testing.assert_allclose(list(rep["coefficients"].values()), ref.coef_, atol=1e-8)


@pytest.mark.parametrize(("target", "message"), [
    ("neg", "Poisson targets must be non-negative counts; column 'neg' has values down to"),
    ("zero", "Poisson targets are all zero in column 'zero'"),
])
def test_streamed_poisson_refuses_bad_counts(tmp_path, data, target, message):
    table = pa.table({"x0": data["X"][:, 0], "neg": data["neg"], "zero": np.zeros(N)})
    pq.write_table(table, tmp_path / "t.parquet")
    out = tmp_path / "m.ridgeline"
    res = _fit([tmp_path / "t.parquet", "-t", target, "--features", "x0", "--model",
                "poisson", "--stream", "-o", out])
    assert res.exit_code == 2
    assert message in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_streamed_poisson_refuses_scorers_that_need_predictions(data):
    res = _fit([data["dir"], "-t", "count", "--features", FEATS, "--model", "poisson",
                "--stream", "--scoring", "r2"])
    assert res.exit_code == 2
    assert "scoring='r2' needs held-out predictions" in res.stderr


# ------------------------------------------------------------------- --output and predict
def _library_fit(kind, data):
    """The estimator the CLI options below describe, fit with the library on the source."""
    if kind == "ridge":
        return RidgeCV(lambdas=[0.001, 0.01, 0.1, 1], cv=3, scoring="neg_mean_squared_error",
                       standardize=False).fit(_source(data, "y"))
    if kind == "logistic":
        return LogisticRegressionCV(Cs=_auto_Cs(data, "c", 5), cv=3,
                                    scoring="neg_log_loss").fit(_source(data, "c"))
    return None  # poisson: λ from the report, below


def _auto_Cs(data, target, n):
    """The automatic grid (as C) the CLI uses without --lambdas: ``auto_glm_grid`` of the
    source's logistic problem — the in-memory one (of the rows as arrays: 0/1 labels are the
    binary targets, more classes the softmax's class indices), streamed."""
    src = _source(data, target)
    summary = src.target_summary(1)
    lam = auto_glm_grid(source_problem(src, source_classes(src, summary), True), n,
                        summary=summary)
    classes, y = np.unique(data[target], return_inverse=True)
    if classes.size == 2:
        memory = GLMProblem.from_arrays(data["X"], y.astype(float), None, BinomialLoss(), True)
    else:
        memory = GLMProblem.from_arrays(data["X"], y.astype(float), None, MultinomialLoss(),
                                        True, n_classes=classes.size)
    np.testing.assert_allclose(lam, auto_glm_grid(memory, n), rtol=1e-12)
    return 1.0 / (2.0 * lam * float(summary.sw.sum()))


CASES = {
    "ridge": ("y", ["--lambdas", "0.001,0.01,0.1,1", "--no-standardize"]),
    "logistic": ("c", ["--n-lambdas", "5", "--no-standardize"]),
    "poisson": ("count", ["--lambdas", "0.001,0.01,0.03,0.1,1", "--no-standardize"]),
}


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")  # est.predict(X)
@pytest.mark.filterwarnings("ignore::ridgeline.selection.GridEdgeWarning")
@pytest.mark.parametrize("kind", [
    "ridge",
    "logistic",
    "poisson",
])
def test_output_round_trip_through_predict(tmp_path, data, kind):
    target, extra = CASES[kind]
    path = tmp_path / "m.ridgeline"
    res = _fit([data["dir"], "-t", target, "--features", FEATS, "--model", kind, "--stream",
                "--cv", 3, "-o", path, "--json", *extra])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    assert rep["model_file"] == str(path) and path.exists()
    est = _library_fit(kind, data)
    if est is None:
        est = PoissonRegressor(alpha=rep["lambda"]).fit(_source(data, target))
    assert rep["lambda"] == pytest.approx(est.lambda_, rel=1e-12)
    np.testing.assert_allclose([rep["coefficients"][f] for f in FEATURES],
                               np.ravel(est.coef_), atol=1e-10)
    # the file: what predict needs, and the estimator
    loaded = load_model(path)
    meta = loaded.extra
    assert meta["model"] == kind and meta["targets"] == [target] and meta["streamed"]
    assert meta["encoding"] == {"columns": FEATURES, "categories": {}, "fill": None}
    assert meta["lambda"] == [rep["lambda"]] and meta["cv"] == "3"
    np.testing.assert_array_equal(np.ravel(loaded.estimator.coef_), np.ravel(est.coef_))
    # predict on the in-memory CSV (all columns; the model's are picked by name)
    pred = _predict(path, data["csv"])
    X = data["X"]
    np.testing.assert_allclose(pred[f"predicted_{target}"], est.predict(X), rtol=1e-12)
    if kind == "logistic":
        proba = est.predict_proba(X)
        for k, cls in enumerate(est.classes_):
            np.testing.assert_allclose(pred[f"proba_{cls}"], proba[:, k], rtol=1e-12)
    # the text report says where the model went
    res = _fit([data["dir"], "-t", target, "--features", FEATS, "--model", kind, "--stream",
                "--cv", 3, "-o", tmp_path / "again.ridgeline", *extra])
    assert res.exit_code == 0, res.output
    assert f"model saved to {tmp_path / 'again.ridgeline'}" in res.stdout


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
@pytest.mark.filterwarnings("ignore::ridgeline.selection.GridEdgeWarning")
def test_streamed_multinomial_output_and_predict(tmp_path, data):
    path = tmp_path / "m3.ridgeline"
    res = _fit([data["dir"], "-t", "label", "--features", FEATS, "--model", "logistic",
                "--stream", "--cv", 3, "--n-lambdas", 5, "-o", path, "--json",
                "--no-standardize"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    est = LogisticRegressionCV(Cs=_auto_Cs(data, "label", 5), cv=3,
                               scoring="neg_log_loss").fit(_source(data, "label"))
    assert est.coef_.shape == (3, P)
    assert rep["classes"] == [str(c) for c in est.classes_]
    labels = [f"label={c}" for c in est.classes_]
    assert list(rep["coefficients"]) == labels
    for k, label in enumerate(labels):
        np.testing.assert_allclose([rep["coefficients"][label][f] for f in FEATURES],
                                   est.coef_[k], atol=1e-10)
    np.testing.assert_allclose(rep["intercept"], est.intercept_, atol=1e-10)
    pred = _predict(path, data["csv"])
    np.testing.assert_array_equal(pred["predicted_label"], est.predict(data["X"]))
    proba = est.predict_proba(data["X"])
    for k, cls in enumerate(est.classes_):
        np.testing.assert_allclose(pred[f"proba_{cls}"], proba[:, k], rtol=1e-12)
    res = _fit([data["dir"], "-t", "label", "--features", FEATS, "--model", "logistic",
                "--stream", "--cv", 3, "--n-lambdas", 5])
    assert res.exit_code == 0, res.output
    assert all(label in res.stdout for label in labels)  # a coefficient column per class


# ---------------------------------------------------------------------- failures to write
def test_output_in_a_missing_directory_fails_before_the_fit(tmp_path, data):
    path = tmp_path / "nope" / "m.ridgeline"
    res = _fit([data["dir"], "-t", "count", "--features", FEATS, "--model", "poisson",
                "--stream", "-o", path])
    assert res.exit_code == 2
    assert f"the directory {path.parent} does not exist" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and res.stdout == ""
    assert not path.parent.exists()
    (tmp_path / "m.ridgeline").mkdir()
    for out in ("m.ridgeline", "m"):  # without a suffix, .ridgeline is added
        res = _fit([data["dir"], "-t", "y", "--features", FEATS, "--stream",
                    "-o", tmp_path / out])
        assert res.exit_code == 2
        assert f"--output {tmp_path / 'm.ridgeline'} is a directory" in res.stderr


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs a non-root POSIX user (root may write anywhere)")
def test_output_in_a_read_only_directory_fails(tmp_path, data):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        res = _fit([data["dir"], "-t", "y", "--features", FEATS, "--stream",
                    "-o", ro / "m.ridgeline"])
        assert res.exit_code == 2 and "is not writable" in res.stderr
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o755)


def test_a_failed_write_leaves_no_partial_file(tmp_path, data, monkeypatch):
    """The write fails half-way (disk full): exit 1, one line, the old file untouched."""
    path = tmp_path / "m.ridgeline"
    args = [data["dir"], "-t", "y", "--features", FEATS, "--stream", "--cv", 3,
            "--lambdas", "0.01,0.1", "-o", path]
    res = _fit(args)
    assert res.exit_code == 0, res.output
    before = path.read_bytes()

    def disk_full(fh, payload, arrays):
        fh.write(payload[: len(payload) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(modelfile, "_write_zip", disk_full)
    res = _fit([*args[:-1], tmp_path / "new.ridgeline"])
    assert res.exit_code == 1
    assert f"could not save the model to {tmp_path / 'new.ridgeline'}" in res.stderr
    assert "No space left on device" in res.stderr
    assert sum(line.startswith("error:") for line in res.stderr.splitlines()) == 1
    res = _fit(args)  # over an existing model file
    assert res.exit_code == 1
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.ridgeline"]  # no temp files


def test_models_that_cannot_be_streamed_are_named(data):
    res = _fit([data["dir"], "-t", "y", "--features", FEATS, "--model", "lasso", "--stream"])
    assert res.exit_code == 2
    assert "streamed models: ridge, logistic, poisson" in res.stderr
