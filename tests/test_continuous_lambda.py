"""λ off the grid (``refine=True``): the maximizer of the K-fold / LOO / GCV curve over
continuous log λ, the grid only as a bracket (:mod:`ridgeline.selection.continuous`).

Every test problem is checked against the slow definition: the same curve scored on a dense
20,001-point grid inside the bracket (by the same engine, ``lambdas=``), and its
finite-difference derivative at the refined λ.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import json

import matplotlib.pyplot as plt
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.linear_model import Ridge, RidgeClassifier
from sklearn.model_selection import KFold
from typer.testing import CliRunner

import ridgeline as rl
from conftest import make_regression
from ridgeline import plot as P
from ridgeline.cli import app
from ridgeline.io import load_estimator
from ridgeline.plot.cv import GID_LAMBDA_OFF_GRID
from ridgeline.selection.continuous import mean_curve, refine_lambda
from ridgeline.selection.engine import select_ridge
from ridgeline.selection.result import GridEdgeWarning, RidgeCVResult
from ridgeline.stats import ArraySource

pytestmark = pytest.mark.filterwarnings("ignore::ridgeline.selection.result.GridEdgeWarning")

DENSE = 20_001
GRID = np.geomspace(1e-4, 1e2, 25)
MSE = "neg_mean_squared_error"


def _splits(n, seed=0):
    return list(KFold(5, shuffle=True, random_state=seed).split(np.zeros((n, 1))))


def _problem(name):
    """(X, Y, s, select_ridge options) of a named test problem."""
    k = 3 if name.startswith("per_target") else 1
    n, p = (30, 60) if name == "dual" else (80, 6)
    X, Y, s = make_regression(10 if name == "dual" else 7, n=n, p=p, k=k,
                              weighted=name == "weights", noise=2.0)
    kw = {"lambdas": GRID, "cv": _splits(n), "scoring": MSE}
    if name in ("loo", "gcv", "per_target_loo"):
        kw.update(cv="gcv" if name == "gcv" else "loo", scoring=None)
    kw.update({"fixed_r2": {"convention": "fixed", "scoring": "r2"},
               "standardize": {"standardize": True},
               "per_target": {"per_target": True},
               "per_target_loo": {"per_target": True},
               "dual": {"lambdas": np.geomspace(1e-3, 1e5, 33)}}.get(name, {}))
    return X, Y, s, kw


PROBLEMS = ["kfold", "fixed_r2", "loo", "gcv", "weights", "standardize", "dual", "per_target",
            "per_target_loo"]


def _curve(X, Y, s, kw, lam, t):
    """The mean score of target t (or of the mean over targets, t=None) at each λ."""
    r = select_ridge(X, Y, s, **{**kw, "lambdas": np.asarray(lam, dtype=float)},
                     warn_edge=False).result
    return r.mean_score if t is None else r.mean_score[:, t]


def _bracket(res, t):
    uniq = np.unique(res.lambdas)
    j = int(np.searchsorted(uniq, np.atleast_1d(res.lambda_min)[t or 0]))
    return uniq[max(j - 1, 0)], uniq[min(j + 1, uniq.size - 1)], j in (0, uniq.size - 1)


@pytest.mark.parametrize("name", PROBLEMS)
def test_refined_lambda_is_the_dense_argmax_and_a_stationary_point(name):
    X, Y, s, kw = _problem(name)
    res = select_ridge(X, Y, s, refine=True, **kw).result
    grid = select_ridge(X, Y, s, **kw).result
    assert grid.lambda_off_grid is None  # refine=False: the grid only
    np.testing.assert_array_equal(res.mean_score, grid.mean_score)
    targets = range(Y.shape[1]) if res.per_target else [None]
    for t in targets:
        lam = float(np.atleast_1d(res.lambda_off_grid)[t or 0])
        score = float(np.atleast_1d(res.score_off_grid)[t or 0])
        best_grid = float(np.max(res.mean_score if t is None else res.mean_score[:, t]))
        assert score >= best_grid  # never worse than the grid
        # the score reported is the curve's at that λ (scored again, alone)
        assert _curve(X, Y, s, kw, [lam], t)[0] == pytest.approx(score, rel=1e-12, abs=1e-14)
        lo, hi, edge = _bracket(res, t)
        assert not edge and lo < lam < hi
        dense = np.geomspace(lo, hi, DENSE)
        curve = _curve(X, Y, s, kw, dense, t)
        i = int(np.argmax(curve))
        step = np.log(hi / lo) / (DENSE - 1)
        assert score >= curve[i] - 1e-12 * abs(curve[i])
        assert abs(np.log(lam / dense[i])) <= max(step, 1e-6)
        # interior optimum: the finite-difference derivative vanishes there
        h, off = 1e-4, 0.05
        f = _curve(X, Y, s, kw, lam * np.exp([-h, h, off - h, off + h]), t)
        slope_opt = (f[1] - f[0]) / (2 * h)
        slope_near = (f[3] - f[2]) / (2 * h)
        assert abs(slope_opt) <= 1e-3 * abs(slope_near)


def test_classifier_kfold_accuracy_is_at_least_the_grid():
    """Accuracy is a step function of λ: refine keeps a λ at least as good as the grid's."""
    X, Y, _ = make_regression(3, n=90, p=5)
    y = (Y[:, 0] + np.random.default_rng(0).normal(scale=2.0, size=90) > 0).astype(int)
    alphas = np.geomspace(1e-2, 1e4, 15)
    ref = rl.RidgeClassifierCV(alphas=alphas, cv=5).fit(X, y)
    est = rl.RidgeClassifierCV(alphas=alphas, cv=5, refine=True).fit(X, y)
    res = est.selection_
    assert res.scoring == "accuracy"
    assert est.best_score_ == res.score_off_grid >= res.mean_score.max() == ref.best_score_
    once = rl.RidgeClassifierCV(alphas=[est.alpha_], cv=5).fit(X, y)
    assert once.best_score_ == pytest.approx(est.best_score_, abs=1e-12)
    skl = RidgeClassifier(alpha=est.alpha_).fit(X, y)
    np.testing.assert_allclose(est.coef_, skl.coef_, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("cv", [None, "gcv", 5])
def test_ridgecv_refined_alpha_and_coef_are_ridges(cv):
    X, Y, s = make_regression(11, n=70, p=5, weighted=True, noise=2.0)
    y = Y[:, 0]
    alphas = np.geomspace(1e-2, 1e4, 20)
    est = rl.RidgeCV(alphas=alphas, cv=cv, refine=True).fit(X, y, sample_weight=s)
    res = est.selection_
    assert est.alpha_ not in alphas
    assert est.alpha_ == pytest.approx(est.lambda_ * s.sum(), rel=1e-12)
    assert est.lambda_ == res.lambda_off_grid == res.lambda_
    assert est.best_score_ == res.score_off_grid == res.best_score
    assert est.best_score_ >= res.mean_score.max()
    skl = Ridge(alpha=est.alpha_).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(est.coef_, skl.coef_, rtol=1e-9, atol=1e-12)
    assert est.intercept_ == pytest.approx(skl.intercept_, rel=1e-9)
    assert "λ off the grid" in res.summary()


def test_ridgecv_per_target_refined():
    X, Y, _ = make_regression(5, n=80, p=6, k=3, noise=2.0)
    est = rl.RidgeCV(alphas=np.geomspace(1e-2, 1e4, 20), cv=5, alpha_per_target=True,
                     refine=True).fit(X, Y)
    assert est.alpha_.shape == (3,) and est.best_score_.shape == (3,)
    best = est.selection_.mean_score.max(axis=0)
    assert np.all(est.best_score_ >= best)
    skl = Ridge(alpha=est.alpha_).fit(X, Y)
    np.testing.assert_allclose(est.coef_, skl.coef_, rtol=1e-9, atol=1e-12)


def test_refine_false_leaves_everything_as_before():
    X, Y, _ = make_regression(2, n=60, p=5)
    alphas = np.geomspace(1e-3, 1e3, 13)
    for cv in (None, 5):
        a = rl.RidgeCV(alphas=alphas, cv=cv).fit(X, Y[:, 0])
        b = rl.RidgeCV(alphas=alphas, cv=cv, refine=False).fit(X, Y[:, 0])
        assert a.alpha_ == b.alpha_ and a.alpha_ in alphas
        assert a.best_score_ == b.best_score_ == b.selection_.mean_score.max()
        np.testing.assert_array_equal(a.coef_, b.coef_)
        assert b.selection_.lambda_off_grid is None and b.selection_.alpha_off_grid is None
        assert "off the grid" not in b.selection_.summary()


def test_at_a_grid_end_the_bracket_is_the_edge_interval():
    X, Y, _ = make_regression(4, n=80, p=6, noise=0.01)  # almost no noise: λ → 0 wins
    grid = np.geomspace(1e-1, 1e2, 10)
    with pytest.warns(GridEdgeWarning, match="smallest value of the grid"):
        res = select_ridge(X, Y, np.ones(80), lambdas=grid, cv="loo", refine=True).result
    assert res.lambda_min == grid[0]
    # the optimum lies beyond the grid: nothing in [λ_0, λ_1] beats λ_0, which is kept
    assert res.lambda_off_grid == grid[0] and res.score_off_grid == res.mean_score[0]
    assert "edge interval only" in res.summary()


def _fake(result_lambdas, curve):
    """A RidgeCVResult of a known curve (greater is better) and its evaluation."""
    def evaluate(lam):
        return {"mean": curve(np.asarray(lam))[:, None], "se": None}

    lam = np.asarray(result_lambdas, dtype=float)
    mean = mean_curve(evaluate(lam), False)
    i = int(np.argmax(mean))
    res = RidgeCVResult(lambdas=lam, alphas=lam, method="loo", scoring=MSE, fold_scores=None,
                        mean_score=mean, se=np.full_like(mean, np.nan), dof=mean * np.nan,
                        index_min=i, index_1se=i, lambda_min=lam[i], lambda_1se=lam[i],
                        rule="min", per_target=False, train_mse=None, n_splits=0)
    return res, evaluate


def test_known_curves_log_and_zero_brackets():
    c = np.log(0.0123)
    res, ev = _fake(np.geomspace(1e-4, 1.0, 9), lambda v: -((np.log(v) - c) ** 2))
    opt = refine_lambda(ev, res)
    assert np.log(opt.lambda_) == pytest.approx(c, abs=1e-7)  # flat to rounding beyond
    assert opt.n_rounds <= 12 and not opt.at_edge
    # a grid starting at λ = 0: the bracket [0, λ_1] is searched in λ itself
    res, ev = _fake([0.0, 1e-3, 1e-2, 1e-1], lambda v: -((v - 2e-4) ** 2))
    opt = refine_lambda(ev, res)
    assert res.lambda_min == 0.0 and opt.at_edge
    assert opt.lambda_ == pytest.approx(2e-4, abs=1e-11)
    # two maxima, the higher one (0.5 at λ = 0.3) between grid points that score less than
    # the grid's best (λ = 0.01): only the grid's best's bracket is searched (documented)
    res, ev = _fake([1e-3, 1e-2, 1e-1, 1.0],
                    lambda v: np.where(v < 0.03, -((np.log(v) - np.log(5e-3)) ** 2),
                                       0.5 - (np.log(v) - np.log(0.3)) ** 2))
    opt = refine_lambda(ev, res)
    assert res.lambda_min == 0.01 and opt.lambda_ == pytest.approx(5e-3, rel=1e-6)
    assert opt.score == pytest.approx(0.0, abs=1e-12)


def test_source_kfold_refine_equals_in_memory():
    X, Y, _ = make_regression(9, n=100, p=5, noise=2.0)
    y = Y[:, 0]
    splits = _splits(100, seed=1)
    alphas = np.geomspace(1e-2, 1e4, 15)
    mem = rl.RidgeCV(alphas=alphas, cv=splits, refine=True, scoring=MSE).fit(X, y)
    src = rl.RidgeCV(alphas=alphas, cv=5, refine=True, scoring=MSE).fit(
        ArraySource(X, y, splits=splits))
    assert src.alpha_ == pytest.approx(mem.alpha_, rel=1e-6)
    assert src.best_score_ == pytest.approx(mem.best_score_, rel=1e-10)
    np.testing.assert_allclose(src.coef_, Ridge(alpha=src.alpha_).fit(X, y).coef_, rtol=1e-8)


def test_bad_refine_refused():
    X, Y, _ = make_regression(1, n=40, p=3)
    y = Y[:, 0]
    with pytest.raises(TypeError, match="refine must be True or False, got 'yes'"):
        rl.RidgeCV(refine="yes").fit(X, y)
    with pytest.raises(TypeError, match="refine must be True or False, got 1 "):
        select_ridge(X, Y, np.ones(40), refine=1)
    with pytest.raises(ValueError, match="the rule '1se' chooses a λ of the grid"):
        rl.RidgeCV(cv=5, rule="1se", refine=True).fit(X, y)
    with pytest.raises(ValueError, match=r"K-fold CV \(cv=K\) only, got cv='gcv'"):
        rl.RidgeCV(cv="gcv", refine=True).fit(ArraySource(X, y))


def test_plot_marks_the_off_grid_optimum():
    X, Y, _ = make_regression(0, n=60, p=4, noise=2.0)
    est = rl.RidgeCV(alphas=np.geomspace(1e-3, 1e3, 13), cv=5, scoring=MSE,
                     refine=True).fit(X, Y[:, 0])
    res = est.selection_
    for x, pos in (("lambda", res.lambda_off_grid), ("param", est.alpha_)):
        ax = P.plot_cv(est, x=x)
        star = [ln for ln in ax.get_lines() if ln.get_gid() == GID_LAMBDA_OFF_GRID]
        assert len(star) == 1 and star[0].get_marker() == "*"
        assert star[0].get_xdata()[0] == pytest.approx(pos, rel=1e-12)
        assert star[0].get_ydata()[0] == pytest.approx(-res.score_off_grid, rel=1e-12)
        texts = [t.get_text() for t in ax.get_legend().get_texts()]
        assert f"λ off the grid = {res.lambda_off_grid:.4g}" in texts
    plain = rl.RidgeCV(alphas=np.geomspace(1e-3, 1e3, 13), cv=5).fit(X, Y[:, 0])
    ax = P.plot_cv(plain)
    assert not [ln for ln in ax.get_lines() if ln.get_gid() == GID_LAMBDA_OFF_GRID]
    plt.close("all")


def test_cli_fit_refine(tmp_path):
    runner = CliRunner()
    model = tmp_path / "m.ridgeline"
    res = runner.invoke(app, ["fit", "--refine", "--cv", "gcv", "--json", "-o", str(model)])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["lambda"] == report["lambda_off_grid"]
    assert report["lambda"] != report["lambda_min"]
    assert report["score_off_grid"] == report["best_score"]
    assert report["best_score"][0] >= max(report["cv_curve"]["mean_score"])
    text = runner.invoke(app, ["fit", "--refine", "--cv", "5"])
    assert text.exit_code == 0 and "λ off the grid =" in text.output
    est = load_estimator(model)
    assert est.refine is True and est.lambda_ == report["lambda_off_grid"][0]
    X, Y, _ = make_regression(6, n=200, p=3, noise=2.0)
    data = tmp_path / "d.parquet"
    pq.write_table(pa.table({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": Y[:, 0]}), data)
    streamed = runner.invoke(app, ["fit", str(data), "-t", "y", "--stream", "--refine",
                                   "--json"])
    assert streamed.exit_code == 0, streamed.output
    report = json.loads(streamed.output)
    assert [report["lambda"]] == report["lambda_off_grid"]
    assert [report["cv_score"]] == report["score_off_grid"]
    assert report["cv_score"] >= max(report["cv_curve"]["mean_score"])
    bad = runner.invoke(app, ["fit", "--refine", "--rule", "1se"])
    assert bad.exit_code == 2
    assert "--refine is available for --model ridge with --rule min only" in bad.output
