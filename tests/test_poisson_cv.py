"""PoissonRegressorCV (and the Gamma / Tweedie CV estimators on the same base): the K-fold
curve against explicit fold refits, ALO against the machinery the command line uses, the
chosen model against PoissonRegressor and scikit-learn, and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import linear_model as sk
from sklearn.metrics import mean_absolute_error, mean_poisson_deviance, mean_tweedie_deviance
from sklearn.model_selection import KFold

from ridgeline import (
    ArraySource,
    GammaRegressorCV,
    PoissonRegressor,
    PoissonRegressorCV,
    TweedieRegressor,
    TweedieRegressorCV,
)
from ridgeline.losses import PoissonLoss
from ridgeline.path import auto_glm_grid
from ridgeline.selection.glm_cv import glm_cv
from ridgeline.solvers.problem import GLMProblem

GRID = [3.0, 1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.0003]


@pytest.fixture(scope="module")
def counts():
    rng = np.random.default_rng(0)
    n, p = 160, 5
    X = rng.normal(size=(n, p))
    y = rng.poisson(np.exp(0.5 * X[:, 0] - 0.4 * X[:, 1] + 0.2 * X[:, 2])).astype(float)
    return X, y, rng.uniform(0.5, 2.0, size=n)


def _fold_scores(X, y, s, folds, alphas, fit, score):
    return np.array([[score(y[te], fit(a, X[tr], y[tr], s[tr]).predict(X[te]), s[te])
                      for a in alphas] for tr, te in folds])


@pytest.mark.parametrize("weighted", [False, True])
def test_kfold_curve_equals_explicit_fold_refits(counts, weighted):
    X, y, s = counts
    s = s if weighted else np.ones(y.size)
    folds = list(KFold(5, shuffle=True, random_state=1).split(X))
    cv = PoissonRegressorCV(alphas=GRID, cv=folds, tol=1e-11).fit(
        X, y, sample_weight=s if weighted else None)
    expected = _fold_scores(
        X, y, s, folds, cv.alphas_,
        lambda a, X, y, s: PoissonRegressor(alpha=a, tol=1e-11).fit(X, y, sample_weight=s),
        lambda y, mu, s: -mean_poisson_deviance(y, mu, sample_weight=s))
    np.testing.assert_allclose(cv.scores_, expected, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(cv.selection_.mean_score, expected.mean(axis=0), rtol=1e-8)
    assert cv.alpha_ == cv.alphas_[np.argmax(expected.mean(axis=0))]
    np.testing.assert_array_equal(cv.alphas_, sorted(GRID, reverse=True))
    assert cv.best_score_ == pytest.approx(expected.mean(axis=0).max(), rel=1e-8)


def test_chosen_model_equals_poisson_regressor_and_sklearn(counts):
    X, y, _ = counts
    cv = PoissonRegressorCV(alphas=GRID, cv=4).fit(X, y)
    ours = PoissonRegressor(alpha=cv.alpha_).fit(X, y)
    np.testing.assert_allclose(cv.coef_, ours.coef_, atol=1e-12)
    assert cv.intercept_ == pytest.approx(ours.intercept_, abs=1e-12)
    ref = sk.PoissonRegressor(alpha=cv.alpha_, solver="newton-cholesky", tol=1e-12,
                              max_iter=1000).fit(X, y)
    np.testing.assert_allclose(cv.coef_, ref.coef_, atol=1e-9)
    assert cv.intercept_ == pytest.approx(ref.intercept_, abs=1e-9)
    assert cv.lambda_ == cv.alpha_ and cv.n_iter_ >= 1 and cv.grad_norm_ <= 1e-8


def test_kfold_is_the_command_lines_engine(counts):
    """The curve and choice equal those of ``glm_cv`` (what ``ridgeline fit --stream`` runs)
    on the same folds."""
    X, y, _ = counts
    folds = list(KFold(4, shuffle=True, random_state=0).split(X))
    cv = PoissonRegressorCV(alphas=GRID, cv=folds, rule="1se").fit(X, y)
    problem = GLMProblem.from_arrays(X, y, np.ones(y.size), PoissonLoss(), True, splits=folds)
    ref = glm_cv(problem, 4, lambdas=GRID, rule="1se")
    np.testing.assert_array_equal(cv.selection_.mean_score, ref.result.mean_score)
    assert cv.alpha_ == ref.lambda_ == ref.result.lambda_1se
    assert cv.alpha_ >= cv.selection_.lambda_min


def test_alo_equals_the_command_lines_alo(counts):
    from ridgeline.report.fitting import fit_model

    X, y, _ = counts
    cv = PoissonRegressorCV(alphas=GRID, method="alo").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = fit_model("poisson", X, y, cv="alo", lambdas=GRID)
    np.testing.assert_allclose(cv.selection_.mean_score, ref.result.mean_score, rtol=1e-12)
    np.testing.assert_allclose(cv.selection_.dof, ref.result.dof, rtol=1e-12)
    assert cv.alpha_ == ref.lambda_
    np.testing.assert_allclose(cv.coef_, ref.estimator.coef_, atol=1e-10)
    assert cv.scores_.shape == (1, len(GRID))


def test_automatic_grid_is_the_engines(counts):
    X, y, _ = counts
    cv = PoissonRegressorCV(n_alphas=7, cv=3).fit(X, y)
    problem = GLMProblem.from_arrays(X, y, np.ones(y.size), PoissonLoss(), True)
    np.testing.assert_allclose(cv.alphas_, auto_glm_grid(problem, 7), rtol=1e-12)
    assert cv.scores_.shape == (3, 7)


@pytest.mark.filterwarnings("ignore::ridgeline.selection.GridEdgeWarning")
def test_any_sklearn_scorer_on_held_out_predictions(counts):
    X, y, _ = counts
    folds = list(KFold(3, shuffle=True, random_state=2).split(X))
    cv = PoissonRegressorCV(alphas=GRID, cv=folds, scoring="neg_mean_absolute_error",
                            tol=1e-11).fit(X, y)
    expected = _fold_scores(
        X, y, np.ones(y.size), folds, cv.alphas_,
        lambda a, X, y, s: PoissonRegressor(alpha=a, tol=1e-11).fit(X, y),
        lambda y, mu, s: -mean_absolute_error(y, mu))
    np.testing.assert_allclose(cv.scores_, expected, rtol=1e-8)
    assert cv.selection_.scoring == "neg_mean_absolute_error"


@pytest.mark.filterwarnings("ignore::ridgeline.selection.GridEdgeWarning")
def test_statistics_source_uses_its_fold_rule(counts):
    X, y, _ = counts
    cv = PoissonRegressorCV(alphas=GRID, cv=4).fit(ArraySource(X, y))
    ref = glm_cv(GLMProblem(ArraySource(X, y), PoissonLoss()), 4, lambdas=GRID)
    np.testing.assert_array_equal(cv.selection_.mean_score, ref.result.mean_score)
    np.testing.assert_allclose(cv.coef_, PoissonRegressor(alpha=cv.alpha_).fit(X, y).coef_,
                               atol=1e-10)
    assert cv.n_rows_ == y.size


def test_gamma_cv_equals_sklearn_at_the_chosen_alpha():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(150, 4))
    y = rng.gamma(3.0, np.exp(0.4 * X[:, 0] - 0.2 * X[:, 1]) / 3.0)
    cv = GammaRegressorCV(alphas=GRID, cv=3).fit(X, y)
    assert cv.selection_.scoring == "neg_mean_gamma_deviance"
    ref = sk.GammaRegressor(alpha=cv.alpha_, solver="newton-cholesky", tol=1e-12,
                            max_iter=1000).fit(X, y)
    np.testing.assert_allclose(cv.coef_, ref.coef_, atol=1e-9)
    assert cv.score(X, y) == pytest.approx(ref.score(X, y), rel=1e-9)


def test_tweedie_cv_curve_equals_explicit_fold_refits():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(150, 4))
    mu = np.exp(0.4 * X[:, 0])
    y = rng.poisson(mu) * rng.gamma(2.0, 0.5, size=150)  # compound Poisson–gamma
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    cv = TweedieRegressorCV(power=1.5, alphas=GRID, cv=folds, tol=1e-11).fit(X, y)
    expected = _fold_scores(
        X, y, np.ones(y.size), folds, cv.alphas_,
        lambda a, X, y, s: TweedieRegressor(power=1.5, alpha=a, tol=1e-11).fit(X, y),
        lambda y, mu, s: -mean_tweedie_deviance(y, mu, power=1.5))
    np.testing.assert_allclose(cv.scores_, expected, rtol=1e-8)
    assert cv.selection_.scoring == "neg_mean_tweedie_deviance"


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("est", "y_fix", "error", "words"), [
    (PoissonRegressorCV(), lambda y: y - 5, ValueError, "Poisson targets must be non-negative"),
    (PoissonRegressorCV(), lambda y: 0 * y, ValueError, "Poisson targets are all zero"),
    (PoissonRegressorCV(method="loo"), None, ValueError, "method must be 'kfold', .*got 'loo'"),
    (PoissonRegressorCV(rule="max"), None, ValueError, "rule must be 'min' or '1se'"),
    (PoissonRegressorCV(alphas=[1.0, -0.1]), None, ValueError, "alphas must be non-negative"),
    (PoissonRegressorCV(alphas=[]), None, ValueError, "alphas is empty"),
    (PoissonRegressorCV(n_alphas=0), None, ValueError, "n_alphas"),
    (PoissonRegressorCV(method="alo", solver="lbfgs"), None, ValueError,
     "method='alo' needs the Newton solver's Hessian"),
    (GammaRegressorCV(), lambda y: y - 1, ValueError, "GammaRegressorCV targets must be "
                                                      "positive"),
    (TweedieRegressorCV(power=0.0), None, ValueError, "ridge regression: use ridgeline.RidgeCV"),
    (TweedieRegressorCV(power=0.5), None, ValueError, r"power must be 0 \(normal\) or a "
                                                      r"number in \[1, 2\].*got 0.5"),
    (TweedieRegressorCV(power=1.5), lambda y: y - 5, ValueError,
     r"TweedieRegressorCV\(power=1.5\) targets must be non-negative"),
])
def test_bad_input_is_refused_clearly(counts, est, y_fix, error, words):
    X, y, _ = counts
    with pytest.raises(error, match=words):
        est.fit(X, y if y_fix is None else y_fix(y))


def test_alo_on_a_source_and_a_bad_source_cv_are_refused(counts):
    X, y, _ = counts
    with pytest.raises(ValueError, match="on a statistics source method must be 'kfold'"):
        PoissonRegressorCV(method="alo").fit(ArraySource(X, y))
    with pytest.raises(ValueError, match="cv must be a number of folds K ≥ 2"):
        PoissonRegressorCV(cv=KFold(3)).fit(ArraySource(X, y))


def test_grid_edge_warning_speaks_of_alphas_not_of_c(counts):
    from ridgeline import GridEdgeWarning, LogisticRegressionCV

    X, y, _ = counts
    with pytest.warns(GridEdgeWarning) as rec:
        PoissonRegressorCV(alphas=[10.0, 5.0, 3.0]).fit(X, y)  # all far too strong
    text = " ".join(str(w.message) for w in rec if w.category is GridEdgeWarning)
    assert "widen the grid past that edge" in text and "C = 1/(2 n λ)" not in text
    labels = (y > np.median(y)).astype(int)
    with pytest.warns(GridEdgeWarning) as rec:
        LogisticRegressionCV(Cs=[1e-6, 2e-6]).fit(X, labels)
    text = " ".join(str(w.message) for w in rec if w.category is GridEdgeWarning)
    assert "a grid of C = 1/(2 n λ) runs the other way" in text
