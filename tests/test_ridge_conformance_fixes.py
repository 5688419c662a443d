"""Regression tests for the ridge fixes found by scikit-learn's own test_ridge.py (issue 17).

Each test pins one fix with the numbers that showed the failure.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as sk
from sklearn import config_context
from sklearn.datasets import make_multilabel_classification, make_regression
from sklearn.metrics import make_scorer
from sklearn.model_selection import KFold, LeaveOneOut
from sklearn.utils import get_tags

from ridgeline import Ridge, RidgeClassifier, RidgeClassifierCV, RidgeCV
from ridgeline.selection.result import GridEdgeWarning

pytestmark = pytest.mark.filterwarnings("ignore::ridgeline.selection.result.GridEdgeWarning")

ALPHAS = [1e-3, 0.1, 1.0, 10.0, 1e3]


# ---- alpha-grid: alpha_ is the grid value itself ------------------------------------------

@pytest.mark.parametrize("cv", [None, 3])
def test_alpha_is_exactly_the_grid_value(cv):
    """1000/n_w·n_w is 999.9999999999999 for n_w = 30: alpha_ must still be 1000.0."""
    sw = 30.0
    assert (1e3 / sw) * sw != 1e3  # the round trip that used to leak into alpha_
    rng = np.random.RandomState(0)
    X = rng.randn(30, 3)
    y = rng.randn(30)  # pure noise: the largest alpha wins
    model = RidgeCV(alphas=ALPHAS, cv=cv).fit(X, y)
    assert model.alpha_ == 1e3
    assert ALPHAS.index(model.alpha_) == 4
    ref = Ridge(alpha=model.alpha_).fit(X, y)
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=1e-12)


def test_alpha_per_target_is_exactly_the_grid_value():
    rng = np.random.RandomState(0)
    X = rng.randn(30, 3)
    y = rng.randn(30)  # as above: alpha 1000 (the value whose round trip is off)
    Y = np.c_[y, X @ np.ones(3) + 0.01 * rng.randn(30)]
    model = RidgeCV(alphas=ALPHAS, alpha_per_target=True).fit(X, Y)
    assert model.alpha_.tolist() == [1e3, 1e-3]


# ---- shapes and types -------------------------------------------------------------------

def test_intercept_is_a_numpy_scalar_of_the_data_dtype():
    X, y = make_regression(n_samples=20, n_features=4, random_state=0)
    assert type(Ridge().fit(X, y).intercept_) is np.float64
    assert type(RidgeCV().fit(X, y).intercept_) is np.float64
    assert type(RidgeCV().fit(sp.csr_matrix(X), y).intercept_) is np.float64
    r32 = Ridge().fit(X.astype(np.float32), y.astype(np.float32))
    assert type(r32.intercept_) is np.float32 and r32.coef_.dtype == np.float32


def test_column_target_gives_flat_coef_and_1d_intercept():
    X, y = make_regression(n_samples=20, n_features=4, random_state=0)
    for est in (Ridge(), RidgeCV()):
        est.fit(X, y[:, None])
        assert est.coef_.shape == (4,)
        assert est.intercept_.shape == (1,)


def test_cv_results_shapes_follow_scikit_learn():
    X, y = make_regression(n_samples=12, n_features=3, random_state=0)
    kw = dict(alphas=[0.1, 1.0, 10.0], store_cv_results=True)
    assert RidgeCV(**kw).fit(X, y).cv_results_.shape == (12, 3)
    assert RidgeCV(**kw).fit(X, y[:, None]).cv_results_.shape == (12, 1, 3)
    labels = (y > 0).astype(int)
    assert RidgeClassifierCV(**kw).fit(X, labels).cv_results_.shape == (12, 1, 3)
    res32 = RidgeCV(**kw).fit(X.astype(np.float32), y.astype(np.float32)).cv_results_
    assert res32.dtype == np.float32


def test_store_cv_results_with_cv_raises_before_fitting():
    def not_a_scorer(y_true, y_pred):  # would fail if it were ever called
        raise AssertionError

    X, y = make_regression(n_samples=12, n_features=3, random_state=0)
    with pytest.raises(ValueError, match="cv!=None and store_cv_results"):
        RidgeCV(cv=3, store_cv_results=True, scoring=not_a_scorer).fit(X, y)


# ---- multilabel ------------------------------------------------------------------------

def test_ridge_classifier_multilabel_is_one_ridge_per_label():
    X, Y = make_multilabel_classification(n_samples=60, n_classes=3, random_state=0)
    clf = RidgeClassifier(alpha=2.0).fit(X, Y)
    ref = Ridge(alpha=2.0).fit(X, 2.0 * Y - 1.0)
    np.testing.assert_allclose(clf.decision_function(X), ref.predict(X), rtol=1e-10)
    np.testing.assert_array_equal(clf.predict(X), (ref.predict(X) > 0).astype(int))
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict(X).shape == Y.shape


@pytest.mark.parametrize("cv", [None, 3])
def test_ridge_classifier_cv_multilabel(cv):
    X, Y = make_multilabel_classification(n_samples=60, n_classes=3, random_state=0)
    ours = RidgeClassifierCV(alphas=ALPHAS, cv=cv).fit(X, Y)
    theirs = sk.RidgeClassifierCV(alphas=ALPHAS, cv=cv).fit(X, Y)
    assert ours.alpha_ == theirs.alpha_
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_ridge_classifiers_declare_multilabel():
    for est in (RidgeClassifier(), RidgeClassifierCV()):
        assert get_tags(est).classifier_tags.multi_label


# ---- scorers: sample_weight only where scikit-learn hands it ------------------------------

def _mse(y_true, y_pred):
    return -float(np.mean((y_true - y_pred) ** 2))


@pytest.mark.parametrize("cv", [None, KFold(4)])
def test_scorer_without_sample_weight_argument(cv):
    """make_scorer(f(y_true, y_pred)) used to get sample_weight= and raise TypeError."""
    X, y = make_regression(n_samples=24, n_features=3, noise=5.0, random_state=0)
    ours = RidgeCV(alphas=ALPHAS, cv=cv, scoring=make_scorer(_mse)).fit(X, y)
    theirs = sk.RidgeCV(alphas=ALPHAS, cv=cv, scoring=make_scorer(_mse)).fit(X, y)
    assert ours.alpha_ == theirs.alpha_
    np.testing.assert_allclose(ours.best_score_, theirs.best_score_, rtol=1e-9)


@pytest.mark.filterwarnings("ignore:The scoring")
def test_kfold_scorer_without_sample_weight_is_unweighted_as_scikit_learn():
    """GridSearchCV hands sample_weight to a scorer only when its metric takes it."""
    X, y = make_regression(n_samples=30, n_features=4, noise=20.0, random_state=3)
    s = np.random.RandomState(3).uniform(0.1, 3.0, 30)
    scorer = make_scorer(_mse)
    ours = RidgeCV(alphas=ALPHAS, cv=KFold(5), scoring=scorer).fit(X, y, sample_weight=s)
    theirs = sk.RidgeCV(alphas=ALPHAS, cv=KFold(5), scoring=scorer).fit(X, y, sample_weight=s)
    assert ours.alpha_ == theirs.alpha_
    np.testing.assert_allclose(ours.best_score_, theirs.best_score_, rtol=1e-8)


def _weighted_mse(y_true, y_pred, sample_weight=None):
    return -float(np.average((y_true - y_pred) ** 2, weights=sample_weight))


@pytest.mark.parametrize("scoring", [None, "r2", "neg_mean_absolute_error",
                                     make_scorer(_weighted_mse)])
def test_kfold_scores_weighted_as_scikit_learn(scoring):
    """scikit-learn 1.9 weights K-fold held-out scores whose metric takes sample_weight."""
    X, y = make_regression(n_samples=30, n_features=4, noise=20.0, random_state=3)
    s = np.random.RandomState(3).uniform(0.1, 3.0, 30)
    ours = RidgeCV(alphas=ALPHAS, cv=KFold(5), scoring=scoring).fit(X, y, sample_weight=s)
    theirs = sk.RidgeCV(alphas=ALPHAS, cv=KFold(5), scoring=scoring).fit(X, y, sample_weight=s)
    assert ours.alpha_ == theirs.alpha_
    np.testing.assert_allclose(ours.best_score_, theirs.best_score_, rtol=1e-8)


def test_classifier_kfold_accuracy_weighted_as_scikit_learn():
    rng = np.random.RandomState(5)
    X = rng.randn(40, 3)
    y = (X[:, 0] + 0.8 * rng.randn(40) > 0).astype(int)
    s = rng.uniform(0.1, 5.0, 40)
    alphas = [0.01, 1.0, 30.0, 300.0]
    ours = RidgeClassifierCV(alphas=alphas, cv=KFold(4)).fit(X, y, sample_weight=s)
    theirs = sk.RidgeClassifierCV(alphas=alphas, cv=KFold(4)).fit(X, y, sample_weight=s)
    assert ours.alpha_ == theirs.alpha_
    np.testing.assert_allclose(ours.best_score_, theirs.best_score_, rtol=1e-12)


def test_single_row_folds_score_nan_and_the_first_alpha_wins():
    """KFold(5) on 6 rows: R² of a 1-row fold is NaN (scikit-learn's r2_score), so every mean
    is NaN and GridSearchCV keeps the first alpha; ridgeline used to score such folds 0 and
    chose 10.0 instead of 0.1 (test_ridgecv_sample_weight)."""
    rng = np.random.RandomState(0)
    y, X, s = rng.randn(6), rng.randn(6, 5), 1.0 + rng.rand(6)
    with pytest.warns(UserWarning, match="3 of 3 mean CV scores are NaN"):
        model = RidgeCV(alphas=(0.1, 1.0, 10.0), cv=KFold(5)).fit(X, y, sample_weight=s)
    assert model.alpha_ == 0.1
    assert np.isnan(model.best_score_)


def test_loo_scorer_gets_the_weights():
    seen = []

    def weighted_mse(y_true, y_pred, sample_weight=None):
        seen.append(sample_weight)
        return -float(np.average((y_true - y_pred) ** 2, weights=sample_weight))

    X, y = make_regression(n_samples=20, n_features=3, noise=5.0, random_state=0)
    s = np.linspace(0.5, 2.0, 20)
    scorer = make_scorer(weighted_mse)
    ours = RidgeCV(alphas=ALPHAS, scoring=scorer).fit(X, y, sample_weight=s)
    assert seen and all(np.array_equal(w, s) for w in seen)
    theirs = sk.RidgeCV(alphas=ALPHAS, scoring=scorer).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(ours.best_score_, theirs.best_score_, rtol=1e-9)


def test_set_score_request_is_honoured():
    seen = []

    def weighted_mse(y_true, y_pred, sample_weight=None):
        seen.append(sample_weight is not None)
        return -float(np.average((y_true - y_pred) ** 2, weights=sample_weight))

    X, y = make_regression(n_samples=20, n_features=3, noise=5.0, random_state=0)
    s = np.linspace(0.5, 2.0, 20)
    with config_context(enable_metadata_routing=True):
        asks = make_scorer(weighted_mse).set_score_request(sample_weight=True)
        RidgeCV(alphas=ALPHAS, cv=KFold(4), scoring=asks).fit(X, y, sample_weight=s)
        assert seen and all(seen)
        seen.clear()
        declines = make_scorer(weighted_mse).set_score_request(sample_weight=False)
        RidgeCV(alphas=ALPHAS, scoring=declines).fit(X, y, sample_weight=s)
        assert seen and not any(seen)


# ---- LOO precision on wide data --------------------------------------------------------

@pytest.mark.parametrize("gcv_mode", ["svd", "eigen", None])
def test_loo_predictions_accurate_when_the_fit_interpolates(gcv_mode):
    """Wide X with an intercept at alpha=1e-5: r_i and 1 − h_i both vanish; the old formula
    was 1.17e-6 off (relative), the span formula agrees with refits to ~1e-13."""
    X, y = make_regression(n_samples=10, n_features=50, n_targets=2, random_state=0)
    alphas = np.logspace(-5, 7, 5)
    cv = RidgeCV(alphas=alphas, gcv_mode=gcv_mode, scoring="neg_mean_squared_error",
                 store_cv_results=True).fit(X, y)
    ref = np.empty((10, 2, 5))
    for k, a in enumerate(alphas):
        for i, (tr, te) in enumerate(LeaveOneOut().split(X)):
            ref[i, :, k] = Ridge(alpha=a, solver="svd").fit(X[tr], y[tr]).predict(X[te])[0]
    np.testing.assert_allclose(cv.cv_results_, ref, rtol=1e-10)


def test_loo_span_formula_with_zero_weight_rows():
    X, y = make_regression(n_samples=10, n_features=30, random_state=1)
    s = np.ones(10)
    s[3] = 0.0
    cv = RidgeCV(alphas=[1e-4, 1.0], scoring="neg_mean_squared_error",
                 store_cv_results=True).fit(X, y, sample_weight=s)
    for k, a in enumerate([1e-4, 1.0]):
        for i in range(10):
            keep = np.arange(10) != i
            fit = Ridge(alpha=a, solver="svd").fit(X[keep], y[keep], sample_weight=s[keep])
            np.testing.assert_allclose(cv.cv_results_[i, k], fit.predict(X[i:i + 1])[0],
                                       rtol=1e-9)


# ---- gcv_mode='svd' on sparse X -----------------------------------------------------------

def test_svd_mode_on_sparse_x_warns_and_uses_eigen():
    X, y = make_regression(n_samples=40, n_features=5, random_state=0)
    Xs = sp.csr_matrix(X)
    with pytest.warns(FutureWarning, match="The 'svd' mode is not supported for sparse X"):
        got = RidgeCV(alphas=ALPHAS, gcv_mode="svd").fit(Xs, y)
    ref = RidgeCV(alphas=ALPHAS, gcv_mode="eigen").fit(Xs, y)
    assert got.alpha_ == ref.alpha_
    np.testing.assert_array_equal(got.coef_, ref.coef_)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        warnings.simplefilter("ignore", GridEdgeWarning)
        RidgeCV(alphas=ALPHAS, gcv_mode="svd").fit(X, y)  # dense: no warning


# ---- validation --------------------------------------------------------------------------

@pytest.mark.parametrize("Estimator", [RidgeCV, RidgeClassifierCV])
def test_string_alphas_are_refused(Estimator):
    X = np.random.RandomState(0).randn(6, 3)
    y = np.array([0, 1, 0, 1, 0, 1])
    with pytest.raises(TypeError, match=r"alphas\[2\] must be an instance of float, not str"):
        Estimator(alphas=(1, 1.0, "1")).fit(X, y)


def test_alpha_zero_rank_deficient_is_refused_and_documented():
    X = np.random.RandomState(0).randn(5, 10)
    y = np.arange(5.0)
    with pytest.raises(ValueError, match="zero regularization strength"):
        Ridge(alpha=0.0).fit(X, y)
    fit = Ridge(alpha=0.0, solver="lsqr").fit(X, y)
    np.testing.assert_allclose(fit.predict(X), y, atol=1e-8)
    assert "alpha=0" in Ridge.__doc__ and "rank-deficient" in Ridge.__doc__
