"""ridgeline.plot: the expected artists — lines per feature, marked λ, labels, log axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

import ridgeline as rl
from conftest import make_regression
from ridgeline import diagnostics as D
from ridgeline import plot as P

pytestmark = pytest.mark.filterwarnings("ignore::ridgeline.selection.result.GridEdgeWarning")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    X, Y, _ = make_regression(0, n=60, p=4)
    return X, Y[:, 0]


@pytest.fixture(scope="module")
def ridgecv(data):
    X, y = data
    return rl.RidgeCV(alphas=np.geomspace(1e-3, 1e3, 13), cv=5,
                      scoring="neg_mean_squared_error").fit(X, y)


def _lines(ax, prefix):
    return [ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith(prefix)]


def _vline_x(ax, gid):
    found = [ln for ln in ax.get_lines() if ln.get_gid() == gid]
    assert len(found) == 1, f"expected one line with gid {gid!r}, got {len(found)}"
    x = np.asarray(found[0].get_xdata(), dtype=float)
    assert x[0] == x[-1]  # vertical
    return float(x[0]), found[0].get_label()


def _legend_texts(ax):
    leg = ax.get_legend()
    return [t.get_text() for t in leg.get_texts()] if leg is not None else []


# ---------------------------------------------------------------------------------------------
# path
# ---------------------------------------------------------------------------------------------
def test_path_plot_lines_per_feature_and_marked_lambdas(data, ridgecv):
    X, y = data
    path = D.regularization_path(ridgecv, X, y, feature_names=["age", "bmi", "bp", "s1"])
    ax = P.plot_path(path)
    lines = _lines(ax, "feature:")
    assert [ln.get_gid() for ln in lines] == ["feature:age", "feature:bmi", "feature:bp",
                                              "feature:s1"]
    order = np.argsort(path.lambdas)
    for j, ln in enumerate(lines):
        np.testing.assert_allclose(ln.get_xdata(), path.lambdas[order])
        np.testing.assert_allclose(ln.get_ydata(), path.coef[order, j, 0])
    x_min, label_min = _vline_x(ax, P.GID_LAMBDA_MIN)
    x_1se, label_1se = _vline_x(ax, P.GID_LAMBDA_1SE)
    assert x_min == pytest.approx(ridgecv.selection_.lambda_min)
    assert x_1se == pytest.approx(ridgecv.selection_.lambda_1se)
    assert label_min.startswith("λ_min") and label_1se.startswith("λ_1se")
    assert ax.get_xscale() == "log" and "λ" in ax.get_xlabel()
    assert ax.get_ylabel() == "coefficient" and ax.get_title()
    texts = _legend_texts(ax)
    assert {"age", "bmi", "bp", "s1"} <= set(texts)


def test_path_plot_on_dof_and_param_axes(data, ridgecv):
    X, y = data
    path = D.regularization_path(ridgecv, X, y)
    ax = P.plot_path(path, x="dof")
    assert ax.get_xscale() == "linear" and "degrees of freedom" in ax.get_xlabel()
    i = int(np.flatnonzero(np.isclose(path.lambdas, path.lambda_min))[0])
    assert _vline_x(ax, P.GID_LAMBDA_MIN)[0] == pytest.approx(path.dof[i])
    assert _lines(ax, "feature:")[0].get_xdata().min() == pytest.approx(path.dof.min())
    ax = P.plot_path(path, x="param")
    assert ax.get_xlabel() == "alpha" and ax.get_xscale() == "log"
    assert _vline_x(ax, P.GID_LAMBDA_MIN)[0] == pytest.approx(ridgecv.alpha_)


def test_path_legend_names_top_k_of_many_features():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 15))
    w = np.zeros(15)
    w[[3, 7, 11]] = [5.0, -4.0, 3.0]
    y = X @ w + rng.normal(size=80)
    path = D.regularization_path(rl.Lasso(), X, y, n_lambdas=20)
    ax = P.plot_path(path, top_k=3)
    assert len(_lines(ax, "feature:")) == 15  # every feature drawn
    assert {t for t in _legend_texts(ax) if t.startswith("x")} == {"x3", "x7", "x11"}
    assert ax.get_legend().get_title().get_text() == "top 3 of 15\nby |coef| × sd(x)"
    assert not any(ln.get_gid() == P.GID_LAMBDA_MIN for ln in ax.get_lines())  # no CV here
    cv = rl.LassoCV(cv=3).fit(X, y)
    ax = P.plot_path(path, cv=cv)
    assert _vline_x(ax, P.GID_LAMBDA_MIN)[0] == pytest.approx(cv.selection_.lambda_min)


def test_path_plot_multinomial_output_and_fitted_lambda():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(90, 3))
    y = np.digitize(X[:, 0] + 0.5 * rng.normal(size=90), [-0.5, 0.5])
    est = rl.LogisticRegression(C=0.5)
    path = D.regularization_path(est, X, y, n_lambdas=8)
    ax = P.plot_path(path, output=2)
    np.testing.assert_allclose(_lines(ax, "feature:x0")[0].get_ydata(),
                               path.coef[np.argsort(path.lambdas), 0, 2])
    assert ax.get_ylabel() == "coefficient (2)"
    x_fit, _ = _vline_x(ax, P.GID_LAMBDA_CHOSEN)
    assert x_fit == pytest.approx(1.0 / (2 * 0.5 * 90))
    _fig, axes = plt.subplots(1, 2)
    assert P.plot_path(path, ax=axes[1]) is axes[1] and not axes[0].get_lines()


# ---------------------------------------------------------------------------------------------
# CV curve, train vs validation
# ---------------------------------------------------------------------------------------------
def test_cv_curve_with_se_band(ridgecv):
    res = ridgecv.selection_
    for source in (ridgecv, res):
        ax = P.plot_cv(source)
        mean = _lines(ax, "cv_mean")[0]
        order = np.argsort(res.lambdas)
        np.testing.assert_allclose(mean.get_ydata(), -res.mean_score[order])
        band = [c for c in ax.collections if c.get_gid() == "cv_se_band"]
        assert len(band) == 1 and isinstance(band[0], PolyCollection)
        verts = band[0].get_paths()[0].vertices
        top = (-res.mean_score + res.se).max()
        assert verts[:, 1].max() == pytest.approx(top)
        assert _vline_x(ax, P.GID_LAMBDA_MIN)[0] == pytest.approx(res.lambda_min)
        assert _vline_x(ax, P.GID_LAMBDA_1SE)[0] == pytest.approx(res.lambda_1se)
        assert ax.get_ylabel() == "mean squared error" and ax.get_xscale() == "log"
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] + rng.normal(size=80) > 0).astype(int)
    lr = rl.LogisticRegressionCV(Cs=6, scoring="neg_log_loss").fit(X, y)
    ax = P.plot_cv(lr, x="param")
    assert ax.get_ylabel() == "log loss" and ax.get_xlabel() == "C"
    assert _vline_x(ax, P.GID_LAMBDA_MIN)[0] == pytest.approx(lr.C_)


def test_train_validation_plot(data, ridgecv):
    X, y = data
    curve = D.train_validation_curve(ridgecv, X, y)
    ax = P.plot_train_validation(curve)
    order = np.argsort(curve.lambdas)
    np.testing.assert_allclose(_lines(ax, "train")[0].get_ydata(), curve.train_error[order])
    np.testing.assert_allclose(_lines(ax, "validation")[0].get_ydata(),
                               curve.validation_error[order])
    gids = {c.get_gid() for c in ax.collections}
    assert {"train_se_band", "validation_se_band"} <= gids
    assert _vline_x(ax, P.GID_LAMBDA_MIN)[0] == pytest.approx(curve.lambda_min)
    assert ax.get_ylabel() == "mean squared error"
    assert set(_legend_texts(ax)) >= {"training", "validation"}
    assert P.plot_cv(curve) is not None  # plot_cv forwards a TrainValidationCurve


# ---------------------------------------------------------------------------------------------
# bias–variance, shrinkage, coefficients
# ---------------------------------------------------------------------------------------------
def test_bias_variance_plot_with_closed_form_reference():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 3))
    Xt = rng.normal(size=(20, 3))
    w = np.array([1.0, -2.0, 0.5])
    lam = np.geomspace(3.0, 1e-3, 5)
    cf = D.ridge_bias_variance(X, w, 1.0, lam, X_test=Xt)
    mc = D.bias_variance(rl.Ridge(), X, X @ w, lambdas=lam, method="parametric",
                         f_train=X @ w, noise=1.0, X_test=Xt, y_test=Xt @ w + rng.normal(size=20),
                         f_test=Xt @ w, n_rounds=20, random_state=0)
    ax = P.plot_bias_variance(mc, reference=cf)
    order = np.argsort(lam)
    for key in ("bias2", "variance", "noise", "total"):
        np.testing.assert_allclose(_lines(ax, key)[0].get_ydata(), getattr(mc, key)[order])
        np.testing.assert_allclose(_lines(ax, f"reference:{key}")[0].get_ydata(),
                                   getattr(cf, key)[order])
    measured = [ln for ln in ax.get_lines() if ln.get_gid() == "expected_error"]
    assert len(measured) == 1 and len(ax.containers) == 1  # points with SE bars
    np.testing.assert_allclose(measured[0].get_ydata(), mc.expected_error[order])
    best, _ = _vline_x(ax, P.GID_LAMBDA_BEST)
    assert best == pytest.approx(lam[np.argmin(mc.expected_error)])
    assert "bias²" in _legend_texts(ax) and ax.get_xscale() == "log" and "λ" in ax.get_xlabel()
    assert "dotted: closed form (fixed design)" in _legend_texts(ax)
    ax = P.plot_bias_variance(cf, x="param")
    assert ax.get_xlabel() == "alpha" and not ax.containers  # closed form: nothing measured


def test_shrinkage_plot(data):
    X, y = data
    sh = D.shrinkage_factors(rl.Ridge(alpha=5.0), X, y, n_lambdas=20)
    ax = P.plot_shrinkage(sh)
    lines = _lines(ax, "direction:")
    assert len(lines) == sh.n_components == 4
    np.testing.assert_allclose(lines[0].get_ydata(), sh.factors[np.argsort(sh.lambdas), 0])
    assert _vline_x(ax, P.GID_LAMBDA_CHOSEN)[0] == pytest.approx(5.0 / 60)
    assert ax.get_xscale() == "log" and "shrinkage factor" in ax.get_ylabel()
    assert len(_legend_texts(ax)) == 5  # 4 directions + the fitted λ
    ax = P.plot_shrinkage(sh, kind="direction", lambdas=[0.01, 1.0])
    lines = _lines(ax, "lambda:")
    assert len(lines) == 2
    np.testing.assert_allclose(lines[1].get_ydata(), sh.factors_at(1.0))


def test_coefficient_plots(data):
    X, y = data
    est = rl.Ridge(alpha=1.0).fit(X, y)
    ax = P.plot_coefficients(D.standardized_coefficients(est, X), top_k=3)
    bars = [p for p in ax.patches if (p.get_gid() or "").startswith("coef:")]
    rank = D.standardized_coefficients(est, X)
    assert [b.get_gid() for b in bars] == [f"coef:{n}" for n in rank.top(3)]
    np.testing.assert_allclose([b.get_width() for b in bars], rank.std_coef[rank.order[:3], 0])
    st = D.coefficient_stability(est, X, y)
    ax = P.plot_coefficients(st)
    folds = _lines(ax, "folds")[0]
    assert len(folds.get_xdata()) == st.n_splits * 4
    assert _lines(ax, "full")[0].get_xdata().size == 4


def test_compare_plots_l1_vs_l2(data):
    X, y = data
    comp = rl.compare_penalties(X, y, penalties=("l2", "l1"), cv=3)
    axes = P.plot_compare(comp, feature_names=["a", "b", "c", "d"])
    assert len(axes) == 2
    for ax, row in zip(axes, comp.rows, strict=True):
        bars = [p for p in ax.patches if (p.get_gid() or "").startswith("coef:")]
        assert [b.get_gid() for b in bars] == ["coef:a", "coef:b", "coef:c", "coef:d"]
        np.testing.assert_allclose([b.get_width() for b in bars], row.coef)
        assert "CV MSE" in ax.get_title()
    fig = Figure()
    paths = [D.regularization_path(rl.Lasso(), X, y, n_lambdas=10),
             D.regularization_path(rl.Ridge(), X, y, n_lambdas=10)]
    axes = P.plot_compare(paths, x="dof", axes=fig)
    assert len(axes) == 2 and all(ax.figure is fig for ax in axes)
    assert all(len(_lines(ax, "feature:")) == 4 for ax in axes)
    assert all(ax.get_xlabel() == "effective degrees of freedom" for ax in axes)
    with pytest.raises(ValueError, match="need 2 axes"):
        P.plot_compare(paths, axes=[plt.subplots()[1]])


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------
def test_plots_refuse_wrong_input(data, ridgecv):
    X, y = data
    path = D.regularization_path(rl.Ridge(), X, y, n_lambdas=5)
    with pytest.raises(TypeError, match="RegularizationPath"):
        P.plot_path(ridgecv)
    with pytest.raises(ValueError, match="x must be"):
        P.plot_path(path, x="log")
    with pytest.raises(ValueError, match="output"):
        P.plot_path(path, output=1)
    with pytest.raises(TypeError, match="RidgeCVResult"):
        P.plot_cv(path)
    with pytest.raises(TypeError, match="BiasVariance"):
        P.plot_bias_variance(path)
    with pytest.raises(TypeError, match="Shrinkage"):
        P.plot_shrinkage(path)
    with pytest.raises(ValueError, match="kind"):
        P.plot_shrinkage(D.shrinkage_factors(None, X), kind="pc")
    with pytest.raises(TypeError, match="PenaltyComparison"):
        P.plot_compare("l1")
    with pytest.raises(ValueError, match="at least two"):
        P.plot_compare([path])
    lr = D.regularization_path(rl.LogisticRegressionCV(Cs=3), X, (y > 0).astype(int))
    with pytest.raises(ValueError, match="degrees of freedom"):
        P.plot_cv(rl.LogisticRegressionCV(Cs=3).fit(X, (y > 0).astype(int)), x="dof")
    assert lr.dof.shape == (3,)


# ---------------------------------------------------------------------------------------------
# readable at a glance (issue 19): distinct colours, standardized ranking, legends outside
# ---------------------------------------------------------------------------------------------
def _outside(ax) -> bool:
    """Whether the legend's box lies right of the axes' data area (after a draw)."""
    ax.figure.canvas.draw()
    leg, area = ax.get_legend().get_window_extent(), ax.get_window_extent()
    return leg.x0 >= area.x1 and not leg.overlaps(area)


def _wide_data(seed=5, n=120, p=22):
    """p features; x0..x2 on a tiny scale with huge raw coefficients but small standardized
    ones, x3..x12 the standardized heavyweights (as many as p allows)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    X[:, :3] *= 0.01
    w = np.zeros(p)
    w[:3] = 30.0  # |coef| 30, |coef|·sd ≈ 0.3
    k = min(10, p - 3)
    w[3:3 + k] = np.linspace(3.0, 1.0, k) * np.where(np.arange(k) % 2, -1, 1)
    return X, X @ w + 0.5 * rng.normal(size=n)


def test_path_highlights_top_k_by_standardized_size_in_distinct_colours():
    X, y = _wide_data()
    path = D.regularization_path(rl.Ridge(), X, y, n_lambdas=25)
    np.testing.assert_allclose(path.scale, X.std(axis=0))
    ax = P.plot_path(path, top_k=10)
    lines = _lines(ax, "feature:")
    assert len(lines) == 22  # every feature drawn
    shown = [ln for ln in lines if not ln.get_label().startswith("_")]
    rest = [ln for ln in lines if ln.get_label().startswith("_")]
    size = np.abs(path.coef[:, :, 0]).max(axis=0) * X.std(axis=0)
    expect = {f"x{j}" for j in np.argsort(-size)[:10]}
    assert {ln.get_label() for ln in shown} == expect == {f"x{j}" for j in range(3, 13)}
    assert not expect & {"x0", "x1", "x2"}  # the largest raw coefficients are not highlighted
    assert np.abs(path.coef[:, :3, 0]).max() > np.abs(path.coef[:, 3:, 0]).max()
    colors = {matplotlib.colors.to_hex(ln.get_color()) for ln in shown}
    assert len(colors) == len(shown) == 10
    assert {matplotlib.colors.to_hex(ln.get_color()) for ln in rest} == {"#c7c7c7"}
    assert all(ln.get_linewidth() > r.get_linewidth() for ln in shown for r in rest[:1])
    end = path.coef[int(np.argmin(path.lambdas)), :, 0]  # legend: order at the open end
    names = [t for t in _legend_texts(ax) if t.startswith("x")]
    assert names == [f"x{j}" for j in sorted(range(3, 13), key=lambda j: -end[j])]
    assert _outside(ax)


def test_legends_sit_outside_the_data_area(data, ridgecv):
    X, y = data
    rng = np.random.default_rng(4)
    Xb, Xt, w = rng.normal(size=(30, 3)), rng.normal(size=(20, 3)), np.array([1.0, -2.0, 0.5])
    bv = D.bias_variance(rl.Ridge(), Xb, Xb @ w, lambdas=np.geomspace(3.0, 1e-3, 5),
                         method="parametric", f_train=Xb @ w, noise=1.0, X_test=Xt,
                         y_test=Xt @ w + rng.normal(size=20), f_test=Xt @ w, n_rounds=10,
                         random_state=0)
    axes = [P.plot_path(D.regularization_path(ridgecv, X, y)), P.plot_cv(ridgecv),
            P.plot_train_validation(D.train_validation_curve(ridgecv, X, y)),
            P.plot_bias_variance(bv), P.plot_shrinkage(D.shrinkage_factors(ridgecv, X, y)),
            P.plot_coefficients(D.coefficient_stability(ridgecv, X, y))]
    assert all(_outside(ax) for ax in axes)
    bars = [c for c in axes[3].collections if c.get_gid() == "expected_error_se"]
    assert bars  # the error bars the legend used to cover are drawn


def test_stability_plot_is_on_the_standardized_scale(data):
    X, y = data
    X = X * np.array([1.0, 100.0, 0.01, 5.0])  # raw sizes unrelated to importance
    st = D.coefficient_stability(rl.Ridge(alpha=1.0), X, y)
    np.testing.assert_allclose(st.scale, X.std(axis=0))
    ax = P.plot_coefficients(st)
    std_full = st.full_coef[:, 0] * X.std(axis=0)
    idx = np.argsort(-np.abs(std_full), kind="stable")
    np.testing.assert_allclose(_lines(ax, "full")[0].get_xdata(), std_full[idx])
    np.testing.assert_allclose(_lines(ax, "folds")[0].get_xdata(),
                               (st.fold_coef[:, idx, 0] * X.std(axis=0)[idx]).ravel())
    assert ax.get_xlabel().startswith("standardized coefficient: coef × sd(x)")
    np.testing.assert_allclose(st.standardized("std")[:, 0], st.std[:, 0] * X.std(axis=0))
    with pytest.raises(ValueError, match="no coefficient field 'coef'"):
        st.standardized("coef")


def test_compare_panels_each_have_their_own_x_range():
    X, y = _wide_data(p=12)
    comp = rl.compare_penalties(X, y, penalties=("l2", "l1"), cv=3)
    axes = P.plot_compare(comp)
    limits = [ax.get_xlim() for ax in axes]
    assert limits[0] != limits[1]
    for ax, row in zip(axes, comp.rows, strict=True):
        lo, hi = ax.get_xlim()
        c = np.asarray(row.coef)
        assert lo <= min(c.min(), 0.0) and hi >= max(c.max(), 0.0)  # its bars fit
        assert hi - lo < 1.5 * (max(c.max(), 0.0) - min(c.min(), 0.0))  # and fill it
    paths = [D.regularization_path(rl.Lasso(), X, y, n_lambdas=10),
             D.regularization_path(rl.Ridge(), X, y, n_lambdas=10)]
    axes = P.plot_compare(paths)
    for ax, path in zip(axes, paths, strict=True):
        lo, hi = ax.get_xlim()
        assert lo <= path.lambdas.min() and hi >= path.lambdas.max()
    assert axes[0].get_xlim() != axes[1].get_xlim()


def test_compare_bars_on_the_standardized_scale_show_every_panels_main_features():
    X, y = _wide_data(p=22)
    comp = rl.compare_penalties(X, y, penalties=("l2", "l1"), cv=3)
    sd = X.std(axis=0)
    axes = P.plot_compare(comp, scale=sd, top_k=6)
    for ax, row in zip(axes, comp.rows, strict=True):
        bars = [b for b in ax.patches if (b.get_gid() or "").startswith("coef:")]
        assert len(bars) == 6
        shown = [int(b.get_gid()[len("coef:x"):]) for b in bars]
        np.testing.assert_allclose([b.get_width() for b in bars], row.coef[shown] * sd[shown])
        assert int(np.argmax(np.abs(row.coef * sd))) in shown  # its largest bar is drawn
        assert ax.get_xlabel() == "standardized coefficient: coef × sd(x)"
    with pytest.raises(ValueError, match=r"one finite standard deviation per feature \(22\), "
                                         "got 3 values"):
        P.plot_compare(comp, scale=[1.0, 2.0, 3.0])
