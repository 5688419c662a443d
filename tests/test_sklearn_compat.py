"""Drop-in agreement with scikit-learn, and scikit-learn's own estimator checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import linear_model as sk
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils.estimator_checks import parametrize_with_checks

from conftest import make_regression, rel_err
from ridgeline import (
    ElasticNet,
    ElasticNetCV,
    GammaRegressor,
    GridEdgeWarning,
    GroupLasso,
    GroupLassoCV,
    Lasso,
    LassoCV,
    LogisticRegression,
    LogisticRegressionCV,
    PoissonRegressor,
    Ridge,
    RidgeClassifier,
    RidgeClassifierCV,
    RidgeCV,
    TweedieRegressor,
)

pytestmark = pytest.mark.filterwarnings("ignore::ridgeline.selection.result.GridEdgeWarning")

ALPHAS = np.geomspace(1e-3, 1e3, 25)


def _assert_same_cv(ours, theirs, *, score_rtol=1e-8):
    # the same grid point (alpha_ round-trips through λ = alpha/n_w, hence not bit-equal)
    np.testing.assert_allclose(ours.alpha_, theirs.alpha_, rtol=1e-13)
    assert rel_err(ours.coef_, theirs.coef_) <= 1e-8
    assert rel_err(ours.intercept_, theirs.intercept_) <= 1e-8
    np.testing.assert_allclose(ours.best_score_, theirs.best_score_, rtol=score_rtol)


def _regression(seed, n=40, p=5, k=1, noise=2.0):
    X, Y, _ = make_regression(seed, n=n, p=p, k=k, noise=noise)
    return X, (Y[:, 0] if k == 1 else Y)


# ---------------------------------------------------------------------------------------------
# 7. RidgeCV and RidgeClassifierCV
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("cv", [None, 5, KFold(4, shuffle=True, random_state=0)],
                         ids=["loo", "cv5", "kfold_shuffle"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridgecv_matches_sklearn(k, cv, fit_intercept):
    X, y = _regression(70, k=k)
    ours = RidgeCV(alphas=ALPHAS, cv=cv, fit_intercept=fit_intercept).fit(X, y)
    theirs = sk.RidgeCV(alphas=ALPHAS, cv=cv, fit_intercept=fit_intercept).fit(X, y)
    assert ALPHAS[0] < ours.alpha_ < ALPHAS[-1]
    _assert_same_cv(ours, theirs)


@pytest.mark.parametrize("scoring", ["neg_mean_absolute_error", "r2", "neg_mean_squared_error",
                                     "neg_root_mean_squared_error", "neg_median_absolute_error",
                                     "explained_variance"])
@pytest.mark.parametrize("cv", [None, 5], ids=["loo", "cv5"])
@pytest.mark.parametrize("k", [1, 2])
def test_ridgecv_scoring_matches_sklearn(scoring, cv, k):
    X, y = _regression(71, k=k)
    ours = RidgeCV(alphas=ALPHAS, cv=cv, scoring=scoring).fit(X, y)
    theirs = sk.RidgeCV(alphas=ALPHAS, cv=cv, scoring=scoring).fit(X, y)
    _assert_same_cv(ours, theirs)


def test_ridgecv_alpha_per_target_loo():
    rng = np.random.default_rng(72)
    X = rng.normal(size=(40, 5))
    Y = np.column_stack([X @ rng.normal(size=5) + 0.1 * rng.normal(size=40),
                         X[:, 0] + 3.0 * rng.normal(size=40),
                         X @ rng.normal(size=5) + rng.normal(size=40)])
    ours = RidgeCV(alphas=ALPHAS, alpha_per_target=True).fit(X, Y)
    theirs = sk.RidgeCV(alphas=ALPHAS, alpha_per_target=True).fit(X, Y)
    assert np.unique(theirs.alpha_).size > 1
    _assert_same_cv(ours, theirs)


def test_ridgecv_sample_weight_loo_matches_sklearn():
    """Same α and coefficients; scikit-learn averages s_i e_i² over n, ridgeline over n_w."""
    X, y = _regression(73)
    s = np.random.default_rng(0).uniform(0.3, 3.0, X.shape[0])
    ours = RidgeCV(alphas=ALPHAS).fit(X, y, sample_weight=s)
    theirs = sk.RidgeCV(alphas=ALPHAS).fit(X, y, sample_weight=s)
    assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-13)
    assert rel_err(ours.coef_, theirs.coef_) <= 1e-8
    assert ours.best_score_ * s.sum() / X.shape[0] == pytest.approx(theirs.best_score_, rel=1e-8)


@pytest.mark.parametrize("cv", [None, 5], ids=["loo", "cv5"])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_ridgecv_sparse_matches_sklearn(cv, fmt):
    rng = np.random.default_rng(74)
    Xd = rng.normal(size=(50, 8)) * (rng.uniform(size=(50, 8)) < 0.4)
    y = Xd @ rng.normal(size=8) + rng.normal(size=50)
    X = sp.csr_matrix(Xd) if fmt == "csr" else sp.csc_matrix(Xd)
    ours = RidgeCV(alphas=ALPHAS, cv=cv).fit(X, y)
    # scikit-learn's K-fold refits of sparse X with an intercept use an iterative solver at
    # tol=1e-4: compare those with its exact dense refits instead
    theirs = sk.RidgeCV(alphas=ALPHAS, cv=cv).fit(X if cv is None else Xd, y)
    _assert_same_cv(ours, theirs)
    dense = RidgeCV(alphas=ALPHAS, cv=cv).fit(Xd, y)
    _assert_same_cv(ours, dense, score_rtol=1e-10)


def _classes(seed, n_classes, n=60, p=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    logits = X @ rng.normal(size=(p, n_classes)) + 1.5 * rng.normal(size=(n, n_classes))
    return X, np.array(["x", "y", "z"])[np.argmax(logits, axis=1)]


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("cv", [None, 5], ids=["loo", "cv5"])
def test_ridge_classifier_cv_matches_sklearn(n_classes, cv):
    X, y = _classes(75, n_classes)
    ours = RidgeClassifierCV(alphas=ALPHAS, cv=cv).fit(X, y)
    theirs = sk.RidgeClassifierCV(alphas=ALPHAS, cv=cv).fit(X, y)
    _assert_same_cv(ours, theirs)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X),
                               rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("kw", [
    {"cv": None, "scoring": "accuracy"},
    {"cv": None, "scoring": "accuracy", "class_weight": "balanced"},
    {"cv": 5, "class_weight": "balanced"},
    {"cv": 5, "scoring": "balanced_accuracy"},
], ids=["loo_accuracy", "loo_accuracy_balanced", "cv5_balanced", "cv5_balanced_accuracy"])
def test_ridge_classifier_cv_scorers_match_sklearn(kw):
    X, y = _classes(83, 3)
    y[:12] = "x"
    ours = RidgeClassifierCV(alphas=ALPHAS, **kw).fit(X, y)
    theirs = sk.RidgeClassifierCV(alphas=ALPHAS, **kw).fit(X, y)
    _assert_same_cv(ours, theirs)


def test_ridgecv_callable_scorer_matches_sklearn():
    from sklearn.metrics import make_scorer, mean_squared_log_error

    X, y = _regression(84)
    y = np.exp(y / np.abs(y).max())  # positive targets for the log error
    scorer = make_scorer(mean_squared_log_error, greater_is_better=False)
    for cv in (None, 5):
        ours = RidgeCV(alphas=ALPHAS, cv=cv, scoring=scorer).fit(X, y)
        theirs = sk.RidgeCV(alphas=ALPHAS, cv=cv, scoring=scorer).fit(X, y)
        _assert_same_cv(ours, theirs)


def test_ridge_classifier_cv_stratified_accuracy():
    """cv=5 for a classifier means stratified folds and accuracy, as GridSearchCV."""
    X, y = _classes(76, 3)
    ours = RidgeClassifierCV(alphas=ALPHAS, cv=5).fit(X, y)
    folds = list(StratifiedKFold(5).split(X, y))
    acc = np.array([[np.mean(sk.RidgeClassifier(alpha=a).fit(X[tr], y[tr]).predict(X[te])
                             == y[te]) for a in ALPHAS] for tr, te in folds])
    np.testing.assert_allclose(ours.selection_.fold_scores[:, :, 0], acc, rtol=1e-12)
    assert ours.best_score_ == pytest.approx(acc.mean(axis=0).max(), rel=1e-12)


# ---------------------------------------------------------------------------------------------
# Ridge and RidgeClassifier
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [1e-4, 0.1, 1.0, 30.0, 1e4])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("k", [1, 2])
def test_ridge_matches_sklearn(alpha, weighted, k):
    X, Y, s = make_regression(77, n=30, p=6, k=k, weighted=weighted)
    y = Y[:, 0] if k == 1 else Y
    ours = Ridge(alpha=alpha).fit(X, y, sample_weight=s)
    theirs = sk.Ridge(alpha=alpha, solver="svd").fit(X, y, sample_weight=s)
    assert rel_err(ours.coef_, theirs.coef_) <= 1e-9
    # intercepts near zero: absolute error on the scale of y
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-9,
                               atol=1e-9 * np.abs(y).max())
    assert np.shape(ours.coef_) == np.shape(theirs.coef_)
    assert np.shape(ours.intercept_) == np.shape(theirs.intercept_)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_ridge_p_greater_than_n_matches_sklearn(fmt):
    X, Y, s = make_regression(78, n=15, p=40, k=1, weighted=True)
    Xf = sp.csr_matrix(X) if fmt == "csr" else X
    ours = Ridge(alpha=0.5).fit(Xf, Y[:, 0], sample_weight=s)
    theirs = sk.Ridge(alpha=0.5, solver="sparse_cg" if fmt == "csr" else "cholesky",
                      tol=1e-14).fit(Xf, Y[:, 0], sample_weight=s)
    assert ours.solver_ == "dual"
    assert rel_err(ours.coef_, theirs.coef_) <= 1e-8


@pytest.mark.parametrize("alpha", [0.01, 1.0, 100.0])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("class_weight", [None, "balanced", {"x": 3.0, "y": 1.0, "z": 0.5}])
def test_ridge_classifier_matches_sklearn(alpha, n_classes, class_weight):
    X, y = _classes(79, n_classes)
    y[:8] = "x"  # unbalanced classes
    ours = RidgeClassifier(alpha=alpha, class_weight=class_weight).fit(X, y)
    theirs = sk.RidgeClassifier(alpha=alpha, class_weight=class_weight, solver="svd").fit(X, y)
    assert rel_err(np.ravel(ours.coef_), np.ravel(theirs.coef_)) <= 1e-9
    assert rel_err(ours.intercept_, theirs.intercept_) <= 1e-9
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X),
                               rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("Ours,Theirs", [(RidgeClassifier, sk.RidgeClassifier),
                                         (RidgeClassifierCV, sk.RidgeClassifierCV)])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_ridge_classifier_attribute_shapes_match_sklearn(Ours, Theirs, n_classes):
    """scikit-learn 1.9: coef_ is (n_features,) for a binary problem, (n_classes, p) else."""
    X, y = _classes(82, n_classes)
    ours, theirs = Ours().fit(X, y), Theirs().fit(X, y)
    assert np.shape(theirs.coef_) == ((4,) if n_classes == 2 else (3, 4))
    assert np.shape(ours.coef_) == np.shape(theirs.coef_)
    assert np.shape(ours.intercept_) == np.shape(theirs.intercept_)
    assert np.shape(ours.decision_function(X)) == np.shape(theirs.decision_function(X))


def test_ridge_classifier_cv_balanced_matches_sklearn():
    X, y = _classes(80, 3)
    y[:10] = "x"
    ours = RidgeClassifierCV(alphas=ALPHAS, class_weight="balanced").fit(X, y)
    theirs = sk.RidgeClassifierCV(alphas=ALPHAS, class_weight="balanced").fit(X, y)
    assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-13)
    assert rel_err(ours.coef_, theirs.coef_) <= 1e-8


@pytest.mark.parametrize("alpha", [0.1, 5.0])
def test_positive_ridge_matches_sklearn(alpha):
    rng = np.random.default_rng(81)
    X = rng.normal(size=(50, 6))
    y = X @ np.array([2.0, -1.0, 0.5, -3.0, 0.0, 1.0]) + rng.normal(size=50) + 1.0
    ours = Ridge(alpha=alpha, positive=True).fit(X, y)
    theirs = sk.Ridge(alpha=alpha, positive=True, tol=1e-12, max_iter=10_000).fit(X, y)
    assert np.all(ours.coef_ >= 0)
    assert rel_err(ours.coef_, theirs.coef_) <= 1e-5
    assert ours.intercept_ == pytest.approx(theirs.intercept_, rel=1e-5)


# ---------------------------------------------------------------------------------------------
# 9. scikit-learn's estimator checks
# ---------------------------------------------------------------------------------------------


@parametrize_with_checks([Ridge(), RidgeCV(), RidgeClassifier(), RidgeClassifierCV(),
                          LogisticRegression(), LogisticRegressionCV(cv=3), PoissonRegressor(),
                          Lasso(), ElasticNet(), LassoCV(), ElasticNetCV(), GroupLasso(),
                          GroupLassoCV(), LogisticRegression(l1_ratio=0.5), GammaRegressor(),
                          TweedieRegressor(), TweedieRegressor(power=1.5),
                          TweedieRegressor(power=0, link="log")])
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridEdgeWarning)
        check(estimator)
