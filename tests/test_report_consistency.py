"""The report agrees with the model it describes (issue 19).

Two CSV files with a text column and missing values — a regression and an imbalanced binary
classification (7.5 % positives) — go through ``ridgeline report`` (``--impute mean``; the
command line standardizes by default). The fitted model the command line passed to the report
is captured, and every number the page shows is checked against it: λ, alpha / C, the CV score
± SE, the coefficients, the L1 vs L2 table's row of the model's own penalty (the same λ and CV
MSE), and, for the classifier, ROC AUC, Brier score and the confusion matrix against held-out
predictions recomputed here with scikit-learn at the chosen C on the same folds. The numbers
are read from the HTML and, where Chromium is available, from the DOM a real browser rendered.
"""

from __future__ import annotations

import html
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLogistic
from sklearn.metrics import brier_score_loss, confusion_matrix, log_loss, roc_auc_score

import ridgeline.report as report_package
from report_pages import (
    N_POSITIVE,
    READ_DOM,
    N,
    classification_csv,
    read_tables,
    regression_csv,
    section_text,
)
from ridgeline import Lasso, LassoCV, compare_penalties
from ridgeline.diagnostics import coefficient_stability, regularization_path
from ridgeline.report import _context, fit_model
from ridgeline.report import classification as classification_module
from ridgeline.report.html import fmt
from ridgeline.report.l1_vs_l2 import l1_vs_l2_section
from test_report import _load, chromium

# --------------------------------------------------------------------------- the reports


def _cli_report(args: list[str], out: Path):
    """Run ``ridgeline report``; return (the FittedModel and Table it reported on, page)."""
    from typer.testing import CliRunner

    from ridgeline.cli import app
    from ridgeline.report import build as build_module

    seen = {}

    def spy(fitted, table, **options):
        seen["fitted"], seen["table"] = fitted, table
        return build_module.build_report(fitted, table, **options)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(report_package, "build_report", spy, raising=False)
        res = CliRunner().invoke(app, ["report", *args, "--bv-rounds", "0", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "grid" not in res.output  # no grid-edge note from a section on the console
    return seen["fitted"], seen["table"], out


@pytest.fixture(scope="module")
def cli_reports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("consistency")
    reg, cls = regression_csv(folder), classification_csv(folder)
    return {
        "ridge": _cli_report([str(reg), "-t", "salary", "--impute", "mean", "--n-lambdas",
                              "40"], folder / "ridge.html"),
        "logistic": _cli_report([str(cls), "-t", "default", "-m", "logistic", "--impute",
                                 "mean"], folder / "logistic.html"),
    }


@pytest.fixture(scope="module")
def lasso_fit(tmp_path_factory):
    """The lasso as ``ridgeline report -m lasso`` fits it: on X / σ (``--standardize``, the
    default), coefficients moved back to the original units."""
    from ridgeline.cli._scaling import fit_standardized
    from ridgeline.io import read_table

    table = read_table(regression_csv(tmp_path_factory.mktemp("lasso")), target="salary",
                       impute="mean")
    y = np.asarray(table.y).ravel()
    fitted = fit_standardized(table.X, lambda X: fit_model("lasso", X, y, n_lambdas=40))
    return fitted, table


# --------------------------------------------------------------------------- expectations


def _cv(est):
    res = getattr(est, "selection_", None) or est.cv_result_
    i = int(res.index_)
    return res, float(-res.mean_score[i]), float(res.se[i])


def _check_model_numbers(tables: dict, fitted, table) -> None:
    """Key numbers and the coefficient table equal the fitted estimator's."""
    est = fitted.estimator
    _, score, se = _cv(est)
    own = float(est.C_) if fitted.param_name == "C" else float(est.alpha_)
    key = {k: v["cells"][1] for k, v in tables["key-numbers"].items()}
    assert key["lambda"] == fmt(float(est.lambda_))
    assert key[fitted.param_name] == fmt(own)
    assert (key["cv_score"], key["cv_se"]) == (fmt(score), fmt(se))
    coef = np.asarray(est.coef_, dtype=np.float64).ravel()
    sd = table.X.std(axis=0)
    rows = tables["coefficients-table"]
    assert len(rows) == coef.size
    for j, name in enumerate(table.feature_names):
        assert rows[name]["cells"][1:3] == [fmt(coef[j]), fmt(coef[j] * sd[j])], name


def _check_same_penalty_row(tables: dict, fitted, penalty: str) -> None:
    """The L1 vs L2 row of the model's own penalty is the model: λ, CV MSE ± SE, alpha."""
    est = fitted.estimator
    _, score, se = _cv(est)
    cells = tables["l1-vs-l2-table"][penalty]["cells"]
    assert cells[1:6] == [fmt(score), fmt(se), str(np.count_nonzero(est.coef_)),
                          fmt(float(est.lambda_)), f"alpha={float(est.alpha_):.4g}"]
    assert cells[-1] == "the model (its own CV)"


def _held_out_sklearn(fitted, table) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Held-out P(class) at the chosen C, recomputed with scikit-learn on the same folds and
    the same standardization: (classes, probabilities (n, 2), per-fold log loss)."""
    X = np.asarray(table.X, dtype=np.float64)
    sd = X.std(axis=0)
    Xs = X / np.where(sd > 0, sd, 1.0)
    y = np.asarray(table.y)
    classes = np.unique(y)
    P = np.empty((y.size, classes.size))
    fold_loss = []
    for train, test in fitted.splits:
        model = SkLogistic(C=float(fitted.estimator.C_), tol=1e-12, max_iter=10_000)
        P[test] = model.fit(Xs[train], y[train]).predict_proba(Xs[test])
        fold_loss.append(log_loss(y[test], P[test], labels=classes))
    return classes, P, fold_loss


def _check_classification(tables: dict, page_text: str, fitted, table) -> None:
    classes, P, fold_loss = _held_out_sklearn(fitted, table)
    _, score, _ = _cv(fitted.estimator)
    assert np.mean(fold_loss) == pytest.approx(score, rel=1e-6)  # the CV's own predictions
    y = np.asarray(table.y)
    pos = int(np.flatnonzero(classes == "yes")[0])  # the rarer class is the positive one
    metrics = {k: float(v["cells"][1]) for k, v in tables["classification-metrics"].items()}
    assert metrics["roc_auc"] == pytest.approx(roc_auc_score(y == "yes", P[:, pos]), rel=1e-3)
    assert metrics["brier"] == pytest.approx(brier_score_loss(y == "yes", P[:, pos]), rel=1e-3)
    key = {k: float(v["cells"][1]) for k, v in tables["key-numbers"].items()}
    assert key["roc_auc"] == metrics["roc_auc"] and key["brier"] == metrics["brier"]
    cm = confusion_matrix(y, classes[np.argmax(P, axis=1)], labels=classes)
    shown = [tables["confusion-matrix"][str(c)]["counts"] for c in classes]
    assert shown == cm.tolist()
    balance = {k: v["cells"][1] for k, v in tables["class-balance"].items()}
    assert balance == {"no": str(N - N_POSITIVE), "yes": str(N_POSITIVE)}
    assert (f"Class imbalance: 'yes' is only {N_POSITIVE / N:.1%} of the rows ({N_POSITIVE} "
            f"of {N}). Accuracy is misleading here: always predicting 'no' would be right "
            f"{1 - N_POSITIVE / N:.1%} of the time.") in page_text
    assert "threshold 0.5: a row is predicted 'yes' when its held-out P(yes) > 0.5" \
        in page_text


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("kind", ["ridge", "logistic"])
def test_report_numbers_equal_the_fitted_estimator(cli_reports, kind):
    fitted, table, page = cli_reports[kind]
    text = page.read_text(encoding="utf-8")
    assert fitted.standardize  # the command line's default
    assert table.X.shape[1] == 7  # 4 numeric columns and the text column one-hot encoded
    assert any("12 missing values in column 'walks'" in n for n in table.notes)
    tables = read_tables(text)
    _check_model_numbers(tables, fitted, table)
    if kind == "logistic":
        _check_classification(tables, section_text(text, "classification"), fitted, table)
        assert "l1-vs-l2-table" not in tables
    else:
        _check_same_penalty_row(tables, fitted, "l2")


def test_the_l2_row_is_what_refitting_ridge_on_the_same_folds_gives(cli_reports):
    """Reusing the model's own CV for its row is exact: compare_penalties on the same folds,
    grid and scaling chooses the same λ with the same CV MSE; and the other rows are its."""
    fitted, table, page = cli_reports["ridge"]
    res, score, _ = _cv(fitted.estimator)
    y = np.asarray(table.y).ravel()
    comp = compare_penalties(table.X, y, ("l2", "l1"), cv=fitted.splits, lambdas=res.lambdas,
                             eps=1e-4, standardize=True)
    assert comp["l2"].lambda_ == pytest.approx(float(fitted.estimator.lambda_), rel=1e-12)
    assert comp["l2"].cv_mse == pytest.approx(score, rel=1e-9)
    np.testing.assert_allclose(comp["l2"].coef, fitted.estimator.coef_, rtol=1e-8)
    lasso = read_tables(page.read_text(encoding="utf-8"))["l1-vs-l2-table"]["l1"]["cells"]
    assert lasso[1:5] == [fmt(comp["l1"].cv_mse), fmt(comp["l1"].cv_se),
                          str(comp["l1"].n_nonzero), fmt(comp["l1"].lambda_)]
    assert lasso[-1] == "fit here"


@pytest.mark.parametrize("kind", ["lasso", "logistic"])
def test_refits_solve_the_standardized_problem_the_model_solved(cli_reports, lasso_fit, kind):
    """The command line fits lasso and logistic on X / σ: the report's path and stability
    refits must land on the model's coefficients at its λ; the lasso's L1 vs L2 row is the
    model's own."""
    fitted, table = lasso_fit if kind == "lasso" else cli_reports[kind][:2]
    ctx = _context.make_context(fitted, table, 0, 1, True, 0, None)
    assert ctx.scale is not None
    np.testing.assert_allclose(ctx.scale, table.X.std(axis=0), rtol=1e-12)
    coef = fitted.coef[0]
    path = regularization_path(fitted.estimator, ctx.X_fit, ctx.y, lambdas=ctx.grid)
    path = _context.to_original_scale(path, ctx.scale, ("coef",))
    at = int(np.flatnonzero(path.lambdas == ctx.lam)[0])  # the section's grid is the CV's
    np.testing.assert_allclose(path.coef[at, :, 0], coef, rtol=1e-4,
                               atol=1e-6 * abs(coef).max())
    np.testing.assert_allclose(path.scale, ctx.scale, rtol=1e-12)  # sd of the raw features
    stab = coefficient_stability(fitted.estimator, ctx.X_fit, ctx.y, lambda_=ctx.lam,
                                 cv=ctx.splits)
    stab = _context.to_original_scale(stab, ctx.scale, ("full_coef", "mean"))
    np.testing.assert_allclose(stab.full_coef[:, 0], coef, rtol=1e-4,
                               atol=1e-6 * abs(coef).max())
    if kind == "lasso":
        _check_same_penalty_row(read_tables(l1_vs_l2_section(ctx)), fitted, "l1")


def _three_classes():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(150, 4)) * [1.0, 5.0, 0.2, 2.0]
    eta = X @ [0.8, -0.2, 3.0, 0.1] + rng.normal(size=150)
    y = np.array(["a", "b", "c"])[np.digitize(eta, np.quantile(eta, [0.3, 0.7]))]
    from ridgeline.io import FeatureEncoding, Table

    names = ["x0", "x1", "x2", "x3"]
    return Table(X, y, names, ["y"], "three", 150, FeatureEncoding(tuple(names)))


def test_multiclass_report_has_ovr_auc_and_the_k_by_k_confusion_matrix():
    table = _three_classes()
    fitted = fit_model("logistic", table.X, table.y, cv=4, n_lambdas=8)
    ctx = _context.make_context(fitted, table, 0, 1, False, 0, None)
    ctx.dpi = 30
    page = classification_module.classification_section(ctx)
    tables = read_tables(page)
    C = float(fitted.estimator.C_)
    P = np.empty((150, 3))
    for train, test in fitted.splits:
        P[test] = SkLogistic(C=C, tol=1e-12, max_iter=10_000).fit(
            table.X[train], table.y[train]).predict_proba(table.X[test])
    auc = roc_auc_score(table.y, P, multi_class="ovr", average="macro")
    row = tables["classification-metrics"]["roc_auc"]["cells"]
    assert row[0] == "ROC AUC (one-vs-rest, macro average)"
    assert float(row[1]) == pytest.approx(auc, rel=1e-3)
    cm = confusion_matrix(table.y, np.array(["a", "b", "c"])[np.argmax(P, axis=1)])
    assert [tables["confusion-matrix"][c]["counts"] for c in "abc"] == cm.tolist()
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "the most probable class (argmax of the probabilities)" in text
    assert "Class imbalance" not in text  # 30 % / 40 % / 30 %


def test_held_out_predictions_from_the_cv_fits_equal_refits(monkeypatch):
    """K-fold: the CV estimator's own fold solutions (no refit); ALO (no folds): refits at the
    chosen C on the report's folds — the two routes give the same probabilities."""
    table = _three_classes()
    fitted = fit_model("logistic", table.X, table.y, cv=4, n_lambdas=8)
    ctx = _context.make_context(fitted, table, 0, 1, False, 0, None)
    reused = classification_module.held_out(ctx)
    assert "the CV's own fits" in reused.how
    monkeypatch.setattr(classification_module, "_from_cv_paths", lambda ctx, K: None)
    refit = classification_module.held_out(ctx)
    np.testing.assert_allclose(reused.proba, refit.proba, atol=1e-6)
    alo = fit_model("logistic", table.X, table.y, cv="alo", n_lambdas=8)
    ho = classification_module.held_out(_context.make_context(alo, table, 0, 1, False, 0,
                                                              None))
    assert "stratified folds drawn for this report (λ was chosen by ALO" in ho.how
    assert np.allclose(ho.proba.sum(axis=1), 1.0) and ho.fold.max() == 4


def test_sparse_grids_reach_the_optimum_on_diabetes_and_a_true_edge_is_shown():
    """The demo's data: the L1 vs L2 grids contain the optimum (no grid-edge note); data that
    call for no penalty at all put the lasso on the grid's edge, said in the section — not as
    a warning that would reach the console."""
    from ridgeline.io import load_builtin

    table = load_builtin("diabetes")
    fitted = fit_model("ridge", table.X, table.y, cv=5, n_lambdas=30, standardize=True)
    ctx = _context.make_context(fitted, table, 0, 1, True, 0, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        l1_vs_l2_section(ctx)
    assert "l1_vs_l2" not in ctx.notes
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = X @ [1.0, -2.0, 0.5] + 1e-3 * rng.normal(size=300)
    from ridgeline.io import FeatureEncoding, Table

    exact = Table(X, y, ["a", "b", "c"], ["y"], "exact", 300, FeatureEncoding(("a", "b", "c")))
    ctx = _context.make_context(fit_model("ridge", X, y, cv=5, n_lambdas=30), exact, 0, 1,
                                True, 0, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        l1_vs_l2_section(ctx)
    assert any(n.startswith("L1 (lasso): the selected λ is the smallest value of the grid")
               for n in ctx.notes["l1_vs_l2"]), ctx.notes


def test_compare_penalties_keeps_dataframe_names_and_applies_the_rule():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(80, 4)), columns=["age", "income", "debt", "score"])
    y = X.to_numpy() @ [1.0, 0.0, -0.5, 0.2] + rng.normal(size=80)
    comp = compare_penalties(X, y, ("l2", "l1"), cv=4, rule="1se", alphas=30)
    assert comp.feature_names == ["age", "income", "debt", "score"]
    assert [line.split()[0] for line in comp.coef_table().splitlines()[2:]] == \
        ["age", "income", "debt", "score"]
    from ridgeline.plot import plot_compare

    axes = plot_compare(comp)
    gids = [p.get_gid() for p in axes[0].patches if (p.get_gid() or "").startswith("coef:")]
    assert gids == ["coef:age", "coef:income", "coef:debt", "coef:score"]
    cv = LassoCV(cv=list(comp_splits(X, 4)), alphas=30).fit(X, y)
    res = cv.selection_
    assert comp["l1"].lambda_ == pytest.approx(res.lambda_1se, rel=1e-12)
    assert comp["l1"].cv_mse == pytest.approx(-res.mean_score[res.index_1se], rel=1e-12)
    one_se = Lasso(alpha=float(res.alphas[res.index_1se])).fit(X, y)
    np.testing.assert_allclose(comp["l1"].coef, one_se.coef_, atol=1e-8)
    with pytest.raises(ValueError, match="feature_names has 2 names for 4 features"):
        compare_penalties(X, y, ("l2",), cv=4, feature_names=["a", "b"])
    with pytest.raises(ValueError, match="rule must be 'min' or '1se', got 'best'"):
        compare_penalties(X, y, ("l2",), rule="best")


def comp_splits(X, k):
    """compare_penalties's own split of an int cv (unshuffled K-fold)."""
    from sklearn.model_selection import KFold

    return KFold(k).split(X)


# --------------------------------------------------------------------------- the browser

@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module (skipped where it is not installed)."""
    yield from chromium()


@pytest.mark.parametrize("kind", ["ridge", "logistic"])
def test_the_browser_shows_the_estimators_numbers(browser, cli_reports, kind):
    fitted, table, page = cli_reports[kind]
    figures, severe = _load(browser, page)
    assert severe == [] and figures and all(f["ok"] for f in figures)
    tables = browser.execute_script(READ_DOM)
    assert tables == read_tables(page.read_text(encoding="utf-8"))  # what the browser shows
    _check_model_numbers(tables, fitted, table)
    if kind == "logistic":
        text = browser.execute_script(
            "return document.getElementById('classification').innerText")
        _check_classification(tables, re.sub(r"\s+", " ", text), fitted, table)
    else:
        _check_same_penalty_row(tables, fitted, "l2")
