"""Offsets (exposure) of the log-link GLMs: η = Xw + b + offset, through the one engine.

A fit with an offset is checked against its definition (the offset as a feature whose
coefficient is held at 1, solved by scipy), against glum's ``offset``, its null start against
the closed form, K-fold CV against explicit fold refits, ALO against the formula, and the
command line's ``--offset`` against the library.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize
from typer.testing import CliRunner

from ridgeline import (
    ArraySource,
    GammaRegressorCV,
    LogisticRegression,
    PoissonRegressor,
    PoissonRegressorCV,
    Ridge,
)
from ridgeline.cli import app
from ridgeline.estimators._glm import fit_glm
from ridgeline.io import load_estimator
from ridgeline.losses import BinomialLoss, GammaLoss, PoissonLoss
from ridgeline.solvers.problem import GLMProblem

runner = CliRunner()


def _data(n=200, p=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    exposure = rng.uniform(0.2, 3.0, size=n)
    y = rng.poisson(exposure * np.exp(0.4 * X[:, 0] - 0.3 * X[:, 1] + 0.1)).astype(float)
    return X, y, np.log(exposure), rng.uniform(0.5, 2.0, size=n)


def _by_hand(X, y, offset, s, lam, deviance):
    """argmin (1/Σs) Σ s dev(y, Xw + b + offset) + λ‖w‖² by scipy (BFGS to 1e-13)."""
    p = X.shape[1]

    def f(t):
        eta = X @ t[:p] + t[p] + offset
        val, g = deviance(y, eta)
        r = s * g / s.sum()
        return s @ val / s.sum() + lam * t[:p] @ t[:p], np.r_[X.T @ r + 2 * lam * t[:p], r.sum()]

    res = minimize(f, np.zeros(p + 1), jac=True, method="BFGS", options={"gtol": 1e-13})
    return res.x[:p], res.x[p]


def _poisson_dev(y, eta):
    return PoissonLoss.value(y, eta), PoissonLoss.gradient(y, eta)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_poisson_offset_equals_offset_as_fixed_feature(weighted, sparse):
    X, y, o, s = _data()
    s = s if weighted else np.ones(y.size)
    w, b = _by_hand(X, y, o, s, 0.03, _poisson_dev)
    Xf = sp.csr_matrix(X) if sparse else X
    m = PoissonRegressor(alpha=0.03).fit(Xf, y, sample_weight=s if weighted else None, offset=o)
    np.testing.assert_allclose(m.coef_, w, atol=1e-8)
    assert m.intercept_ == pytest.approx(b, abs=1e-8)


def test_poisson_offset_on_many_rows_fits_a_subset_first_and_stays_exact():
    # n > 2 · 100 · (p + 1): the engine first fits a random subset (with its offsets)
    X, y, o, _ = _data(n=2500, p=3, seed=1)
    w, b = _by_hand(X, y, o, np.ones(y.size), 0.01, _poisson_dev)
    m = PoissonRegressor(alpha=0.01).fit(X, y, offset=o)
    np.testing.assert_allclose(m.coef_, w, atol=1e-8)
    assert m.intercept_ == pytest.approx(b, abs=1e-8)


def test_poisson_offset_equals_glum():
    glum = pytest.importorskip("glum")
    X, y, o, s = _data(seed=2)
    # glum: (1/2Σs) Σ s dev + (α/2)‖w‖², the same minimizer as ridgeline's alpha = λ
    ref = glum.GeneralizedLinearRegressor(family="poisson", alpha=0.05, l1_ratio=0.0,
                                          gradient_tol=1e-12, max_iter=1000)
    ref.fit(X, y, sample_weight=s, offset=o)
    m = PoissonRegressor(alpha=0.05).fit(X, y, sample_weight=s, offset=o)
    np.testing.assert_allclose(m.coef_, ref.coef_, atol=1e-7)
    assert m.intercept_ == pytest.approx(ref.intercept_, abs=1e-7)
    np.testing.assert_allclose(m.predict(X, offset=o), ref.predict(X, offset=o), rtol=1e-7)


def test_gamma_offset_through_the_engine_equals_fixed_feature():
    X, _, o, s = _data(seed=3)
    rng = np.random.default_rng(3)
    y = rng.gamma(2.0, np.exp(0.3 * X[:, 0] + o) / 2.0)
    problem = GLMProblem.from_arrays(X, y, s, GammaLoss(), True, offset=o)
    fit, _ = fit_glm(problem, 0.02, solver="newton", tol=1e-12, max_iter=100)
    w, b = _by_hand(X, y, o, s, 0.02, lambda y, e: (GammaLoss.value(y, e),
                                                     GammaLoss.gradient(y, e)))
    np.testing.assert_allclose(fit.coef[0, :, 0], w, atol=1e-8)
    assert fit.intercept[0, 0] == pytest.approx(b, abs=1e-8)


def test_null_start_is_log_of_counts_over_exposure_per_fold():
    X, y, o, s = _data(n=60)
    splits = [(np.arange(20, 60), np.arange(20)), (np.arange(40), np.arange(40, 60))]
    problem = GLMProblem.from_arrays(X, y, s, PoissonLoss(), True, splits=splits, offset=o)
    _, b = problem.null_start(problem.source.target_summary(2), np.array([-1, 0, 1]), 2)
    expected = [np.log((s @ y) / (s @ np.exp(o)))]
    expected += [np.log((s[tr] @ y[tr]) / (s[tr] @ np.exp(o[tr]))) for tr, _ in splits]
    np.testing.assert_allclose(b[:, 0], expected, rtol=1e-13)


def test_predict_with_and_without_offset():
    X, y, o, _ = _data()
    m = PoissonRegressor(alpha=0.1).fit(X, y, offset=o)
    eta = X @ m.coef_ + m.intercept_
    np.testing.assert_allclose(m.predict(X, offset=o), np.exp(eta + o), rtol=1e-13)
    np.testing.assert_allclose(m.predict(X), np.exp(eta), rtol=1e-13)  # per unit exposure
    from sklearn.metrics import d2_tweedie_score

    assert m.score(X, y, offset=o) == pytest.approx(
        d2_tweedie_score(y, np.exp(eta + o), power=1), rel=1e-12)


def test_kfold_cv_with_offset_equals_explicit_fold_refits():
    from sklearn.metrics import mean_poisson_deviance
    from sklearn.model_selection import KFold

    X, y, o, _ = _data(n=150)
    grid = [3.0, 0.3, 0.05, 0.01]
    folds = list(KFold(4, shuffle=True, random_state=0).split(X))
    cv = PoissonRegressorCV(alphas=grid, cv=folds, tol=1e-11).fit(X, y, offset=o)
    scores = np.array([[-mean_poisson_deviance(
        y[te], PoissonRegressor(alpha=a, tol=1e-11).fit(X[tr], y[tr], offset=o[tr])
        .predict(X[te], offset=o[te])) for a in cv.alphas_] for tr, te in folds])
    np.testing.assert_allclose(cv.scores_, scores, rtol=1e-8, atol=1e-10)
    ref = PoissonRegressor(alpha=cv.alpha_).fit(X, y, offset=o)
    np.testing.assert_allclose(cv.coef_, ref.coef_, atol=1e-9)


def test_alo_with_offset_equals_the_formula():
    X, y, o, _ = _data(n=120, p=3)
    lam = 0.02
    cv = PoissonRegressorCV(alphas=[lam], method="alo", tol=1e-12).fit(X, y, offset=o)
    n = y.size
    Xt = np.column_stack([X, np.ones(n)])
    eta = Xt @ np.r_[cv.coef_, cv.intercept_] + o
    mu = np.exp(eta)
    g, h = 2 * (mu - y), 2 * mu
    H = (Xt.T * h) @ Xt / n + 2 * lam * np.diag([1.0] * 3 + [0.0])
    lev = np.einsum("ij,ij->i", Xt @ np.linalg.inv(H), Xt)
    eta_loo = eta + lev * g / n / (1 - h * lev / n)
    expected = -np.mean(PoissonLoss.value(y, eta_loo))
    assert cv.best_score_ == pytest.approx(expected, rel=1e-6)


def test_gamma_cv_takes_an_offset():
    X, _, o, _ = _data(n=120, seed=4)
    y = np.random.default_rng(4).gamma(2.0, np.exp(0.3 * X[:, 0] + o) / 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the grid's edge: not what this test is about
        cv = GammaRegressorCV(alphas=[0.1, 0.01], cv=3).fit(X, y, offset=o)
    problem = GLMProblem.from_arrays(X, y, np.ones(y.size), GammaLoss(), True, offset=o)
    fit, _ = fit_glm(problem, cv.alpha_, solver="newton", tol=1e-12, max_iter=100)
    np.testing.assert_allclose(cv.coef_, fit.coef[0, :, 0], atol=1e-9)


# ---------------------------------------------------------------------------- bad input


def test_offset_of_the_wrong_length_is_refused():
    X, y, o, _ = _data(n=50)
    with pytest.raises(ValueError, match=r"offset must have one value per row, shape \(50,\); "
                                         r"got shape \(49,\)"):
        PoissonRegressor().fit(X, y, offset=o[:49])
    m = PoissonRegressor().fit(X, y, offset=o)
    with pytest.raises(ValueError, match=r"shape \(50,\); got shape \(2, 50\)"):
        m.predict(X, offset=np.vstack([o, o]))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_offset_is_refused_naming_the_row(bad):
    X, y, o, _ = _data(n=50)
    o = o.copy()
    o[7] = bad
    with pytest.raises(ValueError, match="offset has NaN or infinite values, first at row 7"):
        PoissonRegressor().fit(X, y, offset=o)
    with pytest.raises(ValueError, match="first at row 7"):
        PoissonRegressorCV(alphas=[0.1], cv=3).fit(X, y, offset=o)
    m = PoissonRegressor().fit(X, y)
    with pytest.raises(ValueError, match="first at row 7"):
        m.predict(X, offset=o)


def test_offset_is_refused_where_it_cannot_apply():
    X, y, o, _ = _data(n=50)
    with pytest.raises(ValueError, match="offset= is not available on a statistics source"):
        PoissonRegressor().fit(ArraySource(X, y), offset=o)
    with pytest.raises(ValueError, match="offset= is not available on a statistics source"):
        PoissonRegressorCV(cv=3).fit(ArraySource(X, y), offset=o)
    with pytest.raises(ValueError, match=r"L2 penalty only \(l1_ratio=0\), got l1_ratio=0.5"):
        PoissonRegressor(l1_ratio=0.5).fit(X, y, offset=o)
    with pytest.raises(ValueError, match=r"an offset needs a log-link model .* the binomial "
                                         r"loss takes none"):
        GLMProblem.from_arrays(X, (y > 0).astype(float), np.ones(50), BinomialLoss(), True,
                               offset=o)
    with pytest.raises(TypeError, match="unexpected keyword argument 'offset'"):
        Ridge().fit(X, y, offset=o)
    with pytest.raises(TypeError, match="unexpected keyword argument 'offset'"):
        LogisticRegression().fit(X, y > 0, offset=o)


# ---------------------------------------------------------------------------- command line


@pytest.fixture
def exposure_csv(tmp_path):
    X, y, o, _ = _data(n=120, p=3, seed=5)
    table = pa.table({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "log_t": o, "n": y})
    path = tmp_path / "claims.csv"
    pacsv.write_csv(table, path)
    return {"path": path, "X": X, "y": y, "o": o, "dir": tmp_path}


def test_cli_fit_and_predict_with_offset_equal_the_library(exposure_csv):
    from sklearn.model_selection import KFold

    path, X, y, o = (exposure_csv[k] for k in ("path", "X", "y", "o"))
    model = exposure_csv["dir"] / "m.ridgeline"
    grid = "0.1,0.01,0.001"
    res = runner.invoke(app, ["fit", str(path), "-t", "n", "--model", "poisson", "--offset",
                              "log_t", "--cv", "4", "--lambdas", grid, "--no-standardize",
                              "--json", "-o", str(model)])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["features"] == ["a", "b", "c"] and report["offset"] == "log_t"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = PoissonRegressorCV(alphas=[0.1, 0.01, 0.001], tol=1e-8,
                                 cv=KFold(4, shuffle=True, random_state=0)).fit(X, y, offset=o)
    assert report["lambda"][0] == pytest.approx(ref.alpha_, rel=1e-12)
    np.testing.assert_allclose([report["coefficients"]["n"][c] for c in "abc"], ref.coef_,
                               atol=1e-8)
    assert isinstance(load_estimator(model), PoissonRegressor)
    res = runner.invoke(app, ["predict", str(model), str(path)])
    assert res.exit_code == 0, res.output
    pred = np.array([float(v) for v in res.stdout.split()[1:]])
    np.testing.assert_allclose(pred, ref.predict(X, offset=o), rtol=1e-7)


def test_cli_predict_needs_the_offset_column(exposure_csv):
    path, d = exposure_csv["path"], exposure_csv["dir"]
    model = d / "m.ridgeline"
    res = runner.invoke(app, ["fit", str(path), "-t", "n", "--model", "poisson", "--offset",
                              "log_t", "-q", "-o", str(model)])
    assert res.exit_code == 0, res.output
    X = exposure_csv["X"]
    pacsv.write_csv(pa.table({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2]}), d / "new.csv")
    res = runner.invoke(app, ["predict", str(model), str(d / "new.csv")])
    assert res.exit_code == 2
    assert "offset column 'log_t' not found" in res.output
    assert "fitted with --offset log_t" in res.output


@pytest.mark.parametrize(("args", "words"), [
    (["--model", "ridge", "--offset", "log_t"], "--offset is available for --model poisson"),
    (["--model", "poisson", "--offset", "t"], "--offset column 't' not found"),
    (["--model", "poisson", "--offset", "log_t", "--features", "a,log_t"],
     "--offset column 'log_t' is also named in --features"),
    (["--model", "poisson", "--offset", "log_t", "--stream"],
     "--offset is not available for streamed data"),
])
def test_cli_offset_refusals(exposure_csv, args, words):
    res = runner.invoke(app, ["fit", str(exposure_csv["path"]), "-t", "n", *args])
    assert res.exit_code == 2, res.output
    assert words in res.output


def test_cli_refuses_a_non_finite_offset_column(exposure_csv):
    d = exposure_csv["dir"]
    X, y, o = exposure_csv["X"], exposure_csv["y"], exposure_csv["o"].copy()
    o[3] = np.nan
    pacsv.write_csv(pa.table({"a": X[:, 0], "log_t": o, "n": y}), d / "bad.csv")
    res = runner.invoke(app, ["fit", str(d / "bad.csv"), "-t", "n", "--model", "poisson",
                              "--offset", "log_t"])
    assert res.exit_code == 2, res.output
    assert "offset column 'log_t'" in res.output and "first at data row 4" in res.output
