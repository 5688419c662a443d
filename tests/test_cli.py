"""The command line: exit codes, outputs, model files, bad input as one line."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

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
    # refused as bad input before the fit (issue 18), not after it as a failed save
    target = tmp_path / "no_such_dir" / "m.ridgeline"
    res = runner.invoke(app, ["fit", str(data_files["csv"]), "-t", "y", "-o", str(target)])
    assert res.exit_code == 2
    assert "does not exist" in res.stderr
    assert not target.exists()


# --------------------------------------------------------------------------- fit → predict


def _one_line_error(res, code: int, *fragments: str) -> None:
    assert res.exit_code == code, (res.exit_code, res.output)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture
def mixed(tmp_path):
    """Numeric, text and label columns, written as CSV and Parquet by the test."""
    rng = np.random.default_rng(1)
    n = 150
    X = rng.normal(size=(n, 3))
    city = rng.choice(["oslo", "paris", "rome"], size=n)
    effect = {"oslo": -1.0, "paris": 0.0, "rome": 1.5}
    eta = X @ np.array([1.0, -1.5, 0.5]) + np.array([effect[c] for c in city])
    y = eta + rng.normal(scale=0.5, size=n)
    label = np.where(eta + rng.logistic(size=n) > 0, "buy", "skip")
    counts = rng.poisson(np.exp(0.3 * eta))
    table = pa.table({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "city": city, "y": y,
                      "label": label, "counts": counts})
    csv = tmp_path / "mixed.csv"
    pacsv.write_csv(table, csv)
    parquet = tmp_path / "mixed.parquet"
    pq.write_table(table, parquet)
    onehot = np.column_stack([X] + [(city == c).astype(float) for c in ("oslo", "paris", "rome")])
    return {"csv": csv, "parquet": parquet, "X": onehot, "y": y, "label": label,
            "counts": counts.astype(float), "dir": tmp_path}


def _reference(model: str, X, y, standardize: bool = True):
    """The same model fit by the Python API directly (same folds, same grid, the same
    standardization: the estimator's own for ridge, lasso and elastic net; by hand, then
    unscaled, for logistic and Poisson)."""
    grid = np.array([0.3, 0.1, 0.03, 0.01, 0.003])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # λ on the grid's edge: the CLI reports it as a note
        if not standardize or model not in ("logistic", "poisson"):
            return _reference_fit(model, X, y, grid, standardize)
        sd = X.std(axis=0)
        sd[sd == 0] = 1.0
        ref = _reference_fit(model, X / sd, y, grid, False)
        ref.coef_ = ref.coef_ / sd
        return ref


def _reference_fit(model, X, y, grid, standardize):
    from sklearn.model_selection import KFold, StratifiedKFold

    import ridgeline as rl
    from ridgeline import conventions

    if model == "ridge":
        folds = list(KFold(4, shuffle=True, random_state=0).split(X))
        return rl.RidgeCV(lambdas=grid, cv=folds, scoring="neg_mean_squared_error",
                          standardize=standardize).fit(X, y)
    if model == "logistic":
        folds = list(StratifiedKFold(4, shuffle=True, random_state=0).split(X, y))
        Cs = conventions.sklearn_C(grid, X.shape[0])
        return rl.LogisticRegressionCV(Cs=Cs, cv=folds, scoring="neg_log_loss").fit(X, y)
    if model == "poisson":
        from ridgeline.losses import PoissonLoss
        from ridgeline.selection.glm_scoring import resolve_glm_scorer
        from ridgeline.selection.glm_select import kfold_glm
        from ridgeline.solvers.problem import GLMProblem

        folds = list(KFold(4, shuffle=True, random_state=0).split(X))
        problem = GLMProblem.from_arrays(X, y, np.ones(len(y)), PoissonLoss(), True)
        scorer = resolve_glm_scorer(None, problem.loss)
        sel = kfold_glm(problem, grid, grid, scorer, splits=folds, labels=y, classes=None,
                        fixed_C=False)
        return rl.PoissonRegressor(alpha=sel.result.lambda_).fit(X, y)
    folds = list(KFold(4, shuffle=True, random_state=0).split(X))
    rho = 1.0 if model == "lasso" else 0.5
    cls = rl.LassoCV if model == "lasso" else rl.ElasticNetCV
    kw = {} if model == "lasso" else {"l1_ratio": 0.5}
    return cls(alphas=grid / (1 + rho), cv=folds, standardize=standardize, **kw).fit(X, y)


@pytest.mark.parametrize("standardize", [True, False], ids=["standardized", "raw"])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize(("model", "target"), [("ridge", "y"), ("logistic", "label"),
                                               ("poisson", "counts"), ("lasso", "y"),
                                               ("elasticnet", "y")])
def test_fit_predict_round_trip_equals_python_api(mixed, fmt, model, target, standardize):
    model_path = mixed["dir"] / f"{model}-{fmt}.ridgeline"
    features = "a,b,c,city"
    flag = [] if standardize else ["--no-standardize"]  # standardized: the default
    res = runner.invoke(app, ["fit", str(mixed[fmt]), "-t", target, "--features", features,
                              "--model", model, "--cv", "4", "--lambdas",
                              "0.3,0.1,0.03,0.01,0.003", "-o", str(model_path), "--json",
                              *flag])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["standardize"] is standardize
    ref = _reference(model, mixed["X"], mixed[target], standardize)
    assert report["lambda"][0] == pytest.approx(ref.lambda_, rel=1e-12)
    assert report["features"][3:] == ["city=oslo", "city=paris", "city=rome"]
    assert report["data_notes"] == ["text column 'city' one-hot encoded into 3 columns "
                                    "(oslo, paris, rome)"]
    own = {"ridge": "alpha", "logistic": "C", "poisson": "alpha", "lasso": "alpha",
           "elasticnet": "alpha"}[model]
    assert report["param_name"] == own
    expected_own = {"ridge": ref.lambda_ * 150, "logistic": 1 / (2 * ref.lambda_ * 150),
                    "poisson": ref.lambda_, "lasso": ref.lambda_ / 2,
                    "elasticnet": ref.lambda_ / 1.5}[model]
    assert report[own][0] == pytest.approx(expected_own, rel=1e-10)

    out = mixed["dir"] / f"pred-{model}.{fmt}"
    res = runner.invoke(app, ["predict", str(model_path), str(mixed[fmt]), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert f"wrote 150 predictions to {out}" in res.stderr
    reader = pacsv.read_csv if fmt == "csv" else pq.read_table
    pred = reader(out)
    column = pred.column(f"predicted_{target}").to_numpy()
    if model == "logistic":
        assert pred.column_names == ["predicted_label", "proba_buy", "proba_skip"]
        np.testing.assert_array_equal(column, ref.predict(mixed["X"]))
        proba = np.column_stack([pred.column("proba_buy").to_numpy(),
                                 pred.column("proba_skip").to_numpy()])
        np.testing.assert_allclose(proba, ref.predict_proba(mixed["X"]), rtol=1e-8, atol=1e-12)
    else:
        np.testing.assert_allclose(column, ref.predict(mixed["X"]), rtol=1e-8, atol=1e-10)


def test_predict_to_stdout_and_reordered_columns(mixed):
    model_path = mixed["dir"] / "m.ridgeline"
    res = runner.invoke(app, ["fit", str(mixed["csv"]), "-t", "y", "--features", "a,b,c,city",
                              "-q", "-o", str(model_path)])
    assert res.exit_code == 0 and res.stdout == ""
    new = mixed["dir"] / "new.csv"
    new.write_text("city,c,b,a,unused\nrome,0,0,0,x\noslo,1,2,3,y\n")
    res = runner.invoke(app, ["predict", str(model_path), str(new)])
    assert res.exit_code == 0, res.output
    lines = res.stdout.strip().splitlines()
    assert lines[0] == '"predicted_y"' and len(lines) == 3
    model = load_estimator(model_path)
    x_new = np.array([[0, 0, 0, 0, 0, 1], [3, 2, 1, 1, 0, 0]], dtype=float)
    np.testing.assert_allclose([float(v) for v in lines[1:]], model.predict(x_new), rtol=1e-12)


def test_predict_refuses_unseen_category_and_missing_column(mixed):
    model_path = mixed["dir"] / "m.ridgeline"
    assert runner.invoke(app, ["fit", str(mixed["csv"]), "-t", "y", "--features",
                               "a,b,c,city", "-q", "-o", str(model_path)]).exit_code == 0
    new = mixed["dir"] / "new.csv"
    new.write_text("a,b,c,city\n1,2,3,tokyo\n1,2,3,rome\n")
    res = runner.invoke(app, ["predict", str(model_path), str(new)])
    _one_line_error(res, 2, "column 'city'", "'tokyo' (1 row) not seen", "oslo, paris, rome")
    new.write_text("a,b,city\n1,2,rome\n")
    res = runner.invoke(app, ["predict", str(model_path), str(new)])
    _one_line_error(res, 2, "feature column(s) 'c' not found")
    new.write_text("a,b,c,city\n1,,3,rome\n")
    res = runner.invoke(app, ["predict", str(model_path), str(new)])
    _one_line_error(res, 2, "'b' (1 row)", "--impute mean")


def test_impute_mean_at_fit_and_predict(tmp_path):
    data = tmp_path / "holes.csv"
    rows = "\n".join(f"{i % 7},{'' if i % 5 == 0 else i % 3},{i * 0.5 + (i % 3)}"
                     for i in range(40))
    data.write_text("a,b,y\n" + rows + "\n")
    res = runner.invoke(app, ["fit", str(data), "-t", "y", "--cv", "4"])
    _one_line_error(res, 2, "missing or non-finite values", "'b' (8 rows)", "--impute mean")
    model_path = tmp_path / "m.ridgeline"
    res = runner.invoke(app, ["fit", str(data), "-t", "y", "--cv", "4", "--impute", "mean",
                              "-o", str(model_path), "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    b = np.array([i % 3 for i in range(40) if i % 5])
    assert report["data_notes"] == [f"8 missing values in column 'b' replaced by its mean "
                                    f"{b.mean():.6g}"]
    new = tmp_path / "new.csv"
    new.write_text("a,b\n2,\n2,1\n")
    res = runner.invoke(app, ["predict", str(model_path), str(new)])
    assert res.exit_code == 0, res.output
    model = load_estimator(model_path)
    expected = model.predict(np.array([[2.0, b.mean()], [2.0, 1.0]]))
    got = [float(v) for v in res.stdout.strip().splitlines()[1:]]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    res = runner.invoke(app, ["fit", str(data), "-t", "y", "--impute", "median"])
    _one_line_error(res, 2, "--impute must be one of mean")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--model", "lasso", "--cv", "loo"],
         ["--cv loo is not available for --model lasso", "K-fold (a number of folds) only"]),
        (["--model", "elasticnet", "--cv", "gcv"], ["--model elasticnet", "only"]),
        (["--model", "logistic", "--cv", "gcv", "-t", "label"],
         ["--cv gcv is not available for --model logistic", "K-fold (a number of folds), "
                                                              "alo and evidence"]),
        (["--model", "poisson", "--cv", "loo", "-t", "counts"], ["K-fold", "alo and evidence"]),
        (["--model", "ridge", "--cv", "alo"], ["--cv alo is not available for --model ridge",
                                               "loo, gcv, evidence, aic and bic"]),
        (["--model", "svm"], ["--model must be one of ridge, logistic, poisson"]),
        (["--cv", "many"], ["--cv must be a number of folds"]),
        (["--model", "elasticnet", "--l1-ratio", "1.5"], ["--l1-ratio must lie in (0, 1]"]),
        (["--model", "lasso", "--scoring", "r2"], ["mean squared error only"]),
        (["-t", "label"], ["non-numeric target column(s) 'label' (string)",
                           "--model logistic"]),
        (["--model", "poisson", "-t", "y"], ["Poisson targets must be non-negative"]),
        (["--model", "logistic", "-t", "label", "-t", "y"], ["takes a single --target"]),
        (["--max-categories", "2"], ["'city'", "3 distinct values", "limit 2"]),
        (["--n-lambdas", "0"], ["--n-lambdas must be at least 1"]),
    ],
)
def test_bad_model_options_are_exit_2_one_line(mixed, args, fragments):
    base = ["fit", str(mixed["csv"]), "--features", "a,b,c,city"]
    if "-t" not in args:
        base += ["-t", "y"]
    res = runner.invoke(app, base + args)
    _one_line_error(res, 2, *fragments)


def test_usage_errors_are_one_line(mixed):
    _one_line_error(runner.invoke(app, ["fit", "--cv"]), 2, "Option '--cv' requires an "
                                                             "argument")
    _one_line_error(runner.invoke(app, ["nosuch"]), 2, "No such command 'nosuch'")
    _one_line_error(runner.invoke(app, ["predict"]), 2, "Missing argument 'model'")
    _one_line_error(runner.invoke(app, ["fit", str(mixed["dir"] / "data.xlsx"), "-t", "y"]),
                    2, "file not found")


def test_bad_model_files_are_refused(mixed, tmp_path):
    good = tmp_path / "good.ridgeline"
    assert runner.invoke(app, ["fit", str(mixed["csv"]), "-t", "y", "--features", "a,b,c",
                               "-q", "-o", str(good)]).exit_code == 0
    data = str(mixed["csv"])
    _one_line_error(runner.invoke(app, ["predict", str(tmp_path / "none.ridgeline"), data]),
                    2, "model file not found")
    cut = tmp_path / "cut.ridgeline"
    cut.write_bytes(good.read_bytes()[:300])
    _one_line_error(runner.invoke(app, ["predict", str(cut), data]), 2,
                    "not a ridgeline model file")
    import zipfile

    def rewrite(name: str, edit) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
            for item in src.namelist():
                payload = src.read(item)
                if item == "meta.json":
                    meta = json.loads(payload)
                    edit(meta)
                    payload = json.dumps(meta).encode()
                dst.writestr(item, payload)
        return path

    newer = rewrite("newer.ridgeline", lambda m: m.update(format_version=99))
    _one_line_error(runner.invoke(app, ["predict", str(newer), data]), 2,
                    "format version 99, newer than the supported version 1")
    evil = rewrite("evil.ridgeline", lambda m: m.update(module="os", **{"class": "system"}))
    _one_line_error(runner.invoke(app, ["predict", str(evil), data]), 2,
                    "only estimators from the ridgeline package can be loaded")
    tampered = rewrite("tampered.ridgeline",
                       lambda m: m["extra"]["encoding"].update(columns=["a", "b"]))
    _one_line_error(runner.invoke(app, ["predict", str(tampered), data]), 2,
                    "inconsistent: the estimator expects 3 features, the encoding gives 2")
    kind = rewrite("kind.ridgeline", lambda m: m["extra"].update(model="logistic"))
    _one_line_error(runner.invoke(app, ["predict", str(kind), data]), 2,
                    "holds a RidgeCV, not a logistic model")
    from ridgeline import Ridge
    from ridgeline.io import save_estimator

    plain = save_estimator(Ridge().fit(mixed["X"][:, :3], mixed["y"]), tmp_path / "plain")
    _one_line_error(runner.invoke(app, ["predict", str(plain), data]), 2,
                    "has no feature encoding")


def test_failed_fit_is_exit_1_one_line(data_files, monkeypatch):
    from ridgeline.estimators.ridge_cv import RidgeCV as EngineRidgeCV

    def singular(self, X, y, sample_weight=None, groups=None):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(EngineRidgeCV, "fit", singular)
    res = runner.invoke(app, ["fit", str(data_files["csv"]), "-t", "y"])
    _one_line_error(res, 1, "the fit failed: linear algebra failed: Singular matrix")

    def crash(self, X, y, sample_weight=None, groups=None):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(EngineRidgeCV, "fit", crash)
    res = runner.invoke(app, ["fit", str(data_files["csv"]), "-t", "y"])
    _one_line_error(res, 1, "the fit failed: RuntimeError: solver exploded")


def test_predict_output_errors(data_files, tmp_path):
    model_path = tmp_path / "m.ridgeline"
    assert runner.invoke(app, ["fit", str(data_files["csv"]), "-t", "y", "-q", "-o",
                               str(model_path)]).exit_code == 0
    csv = str(data_files["csv"])
    _one_line_error(runner.invoke(app, ["predict", str(model_path), csv, "-o",
                                        str(tmp_path / "p.xlsx")]), 2,
                    "unsupported output extension '.xlsx'")
    target = tmp_path / "missing_dir" / "p.csv"
    _one_line_error(runner.invoke(app, ["predict", str(model_path), csv, "-o", str(target)]),
                    1, "could not write")
    assert not target.exists()
    res = runner.invoke(app, ["predict", str(model_path), "builtin:diabetes"])
    _one_line_error(res, 2, "are not those of builtin:diabetes")


def test_fit_text_output_names_lambda_and_own_parameter(mixed):
    res = runner.invoke(app, ["fit", str(mixed["csv"]), "-t", "label", "--model", "logistic",
                              "--features", "a,b,c,city", "--cv", "alo", "--n-lambdas", "8"])
    assert res.exit_code == 0, res.output
    assert "approximate leave-one-out (ALO) over 8 values" in res.stdout
    assert "LogisticRegressionCV C =" in res.stdout and "chosen λ =" in res.stdout
    assert "note: text column 'city' one-hot encoded" in res.stderr


# --------------------------------------------------------------------------- report, demo


def test_report_command_writes_a_self_contained_page(mixed, tmp_path):
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", str(mixed["parquet"]), "-t", "label", "--model",
                              "logistic", "--features", "a,b,c,city", "--cv", "4",
                              "--n-lambdas", "8", "--bv-rounds", "2", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == f"report written to {out}"
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<img ") == 7  # 2 skipped
    assert "section 'L1 vs L2' not shown" in res.stderr.replace("\n", " ")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    res = runner.invoke(app, ["report", str(mixed["csv"]), "-t", "y", "--bv-rounds", "1"])
    _one_line_error(res, 2, "--bv-rounds must be 0")


def test_report_with_a_failed_section_is_exit_1(mixed, tmp_path, monkeypatch):
    from ridgeline.report import build as build_module

    def broken(ctx):
        raise RuntimeError("no shrinkage today")

    monkeypatch.setitem(build_module.BUILDERS, "shrinkage", broken)
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", str(mixed["csv"]), "-t", "y", "--features", "a,b,c",
                              "--bv-rounds", "0", "--no-compare", "-o", str(out)])
    _one_line_error(res, 1, f"the report was written to {out} but 1 section(s) failed",
                    "RuntimeError: no shrinkage today")
    assert "no shrinkage today" in out.read_text(encoding="utf-8")


def test_demo_writes_model_and_report_and_prints_the_path(tmp_path):
    out = tmp_path / "demo"
    res = runner.invoke(app, ["demo", "-o", str(out), "--bv-rounds", "2"])
    assert res.exit_code == 0, res.output
    report = (out / "report.html").resolve()
    assert res.stdout.strip().splitlines()[-1] == f"report: {report}"
    assert "λ = " in res.stdout and "by 5-fold CV" in res.stdout
    model = load_estimator(out / "model.ridgeline")
    from ridgeline.io import load_builtin

    table = load_builtin()
    ref = RidgeCV(alphas="auto", cv=list(__import__("sklearn.model_selection", fromlist=["KFold"])
                                        .KFold(5, shuffle=True, random_state=0).split(table.X)),
                  scoring="neg_mean_squared_error", standardize=True).fit(table.X, table.y)
    np.testing.assert_allclose(model.predict(table.X), ref.predict(table.X), rtol=1e-12)
    res = runner.invoke(app, ["predict", str(out / "model.ridgeline"), "builtin:diabetes"])
    assert res.exit_code == 0 and len(res.stdout.strip().splitlines()) == 443


def test_progress_is_drawn_on_a_terminal_only(mixed, tmp_path, monkeypatch):
    from io import StringIO

    from rich.console import Console

    from ridgeline.cli import _app

    args = ["report", str(mixed["csv"]), "-t", "y", "--features", "a,b,c", "--bv-rounds", "2",
            "--n-lambdas", "10", "--no-compare", "-o", str(tmp_path / "r.html")]
    buf = StringIO()
    monkeypatch.setattr(_app, "err", Console(file=buf, force_terminal=True, width=120))
    assert runner.invoke(app, args).exit_code == 0
    text = buf.getvalue()
    assert "fitting ridge on 150 rows × 3 features (5-fold CV)" in text
    for step in ("report: The data", "report: Bias and variance", "bias–variance: λ 2 of",
                 "report: L1 vs L2"):
        assert step in text, step
    quiet = StringIO()
    monkeypatch.setattr(_app, "err", Console(file=quiet, force_terminal=True, width=120))
    res = runner.invoke(app, [*args, "--bv-rounds", "0", "--quiet"])
    assert res.exit_code == 0 and quiet.getvalue() == "" and res.stdout == ""


def test_an_unexpected_error_is_one_line_unless_debugging(data_files, monkeypatch):
    from ridgeline.cli import fit as fit_command

    def bug(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(fit_command, "fit_report", bug)
    res = runner.invoke(app, ["fit", str(data_files["csv"]), "-t", "y"])
    _one_line_error(res, 1, "unexpected KeyError: 'oops'", "RIDGELINE_DEBUG=1")
    monkeypatch.setenv("RIDGELINE_DEBUG", "1")
    res = runner.invoke(app, ["fit", str(data_files["csv"]), "-t", "y"])
    assert isinstance(res.exception, KeyError)

