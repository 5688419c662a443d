"""The public estimators: closed forms, invariances, data frames and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
import scipy.sparse as sp
from sklearn.model_selection import KFold

from conftest import loo_residuals_by_refit, make_regression, rel_err, ridge_reference
from ridgeline import GridEdgeWarning, Ridge, RidgeClassifier, RidgeClassifierCV, RidgeCV

pytestmark = pytest.mark.filterwarnings("ignore::ridgeline.selection.result.GridEdgeWarning")

SOLVERS = ["auto", "eigh", "svd", "dual", "lsqr"]


def _tol(solver):
    return 1e-7 if solver == "lsqr" else 1e-10


# ---------------------------------------------------------------------------------------------
# closed form through the estimators
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("standardize", [False, True])
def test_ridge_closed_form(solver, fit_intercept, standardize):
    X, Y, s = make_regression(50, n=30, p=5, k=3, weighted=True)
    est = Ridge(alpha=2.5, solver=solver, fit_intercept=fit_intercept, standardize=standardize)
    est.fit(X, Y, sample_weight=s)
    coef, b = ridge_reference(X, Y, s, 2.5, fit_intercept=fit_intercept, standardize=standardize)
    assert est.coef_.shape == (3, 5)
    assert rel_err(est.coef_, coef.T) <= _tol(solver)
    assert rel_err(est.intercept_, b) <= _tol(solver)
    assert est.lambda_ == pytest.approx(2.5 / s.sum(), rel=1e-14)
    np.testing.assert_allclose(est.predict(X), X @ coef + b, rtol=1e-6, atol=1e-8)
    est1 = Ridge(alpha=2.5, solver=solver, fit_intercept=fit_intercept,
                 standardize=standardize).fit(X, Y[:, 1], sample_weight=s)
    assert est1.coef_.shape == (5,)
    assert isinstance(est1.intercept_, float)
    assert rel_err(est1.coef_, coef[:, 1]) <= _tol(solver)


@pytest.mark.parametrize("solver", ["eigh", "dual", "lsqr"])
def test_ridge_alpha_per_target(solver):
    X, Y, s = make_regression(51, n=25, p=4, k=3, weighted=True)
    alphas = np.array([0.1, 10.0, 1000.0])
    est = Ridge(alpha=alphas, solver=solver).fit(X, Y, sample_weight=s)
    for t, a in enumerate(alphas):
        coef, b = ridge_reference(X, Y[:, [t]], s, a)
        assert rel_err(est.coef_[t], coef[:, 0]) <= _tol(solver)
        assert est.intercept_[t] == pytest.approx(b[0], rel=_tol(solver))
    np.testing.assert_allclose(est.lambda_, alphas / s.sum(), rtol=1e-14)
    with pytest.raises(ValueError, match="one per target"):
        Ridge(alpha=[1.0, 2.0]).fit(X, Y)


def test_alpha_zero_nonsingular_is_ols():
    X, Y, _ = make_regression(52, n=30, p=4, k=2)
    A = np.column_stack([np.ones(30), X])
    beta = np.linalg.lstsq(A, Y, rcond=None)[0]
    for solver in ("auto", "eigh", "svd", "lsqr"):
        est = Ridge(alpha=0.0, solver=solver).fit(X, Y)
        assert rel_err(est.coef_, beta[1:].T) <= (1e-7 if solver == "lsqr" else 1e-10)
        assert rel_err(est.intercept_, beta[0]) <= (1e-7 if solver == "lsqr" else 1e-10)
    cv = RidgeCV(alphas=[0.0, 1e-3, 1.0]).fit(X, Y)
    assert np.isfinite(cv.best_score_)


@pytest.mark.parametrize("solver", ["eigh", "lsqr"])
def test_positive_ridge_kkt(solver):
    rng = np.random.default_rng(53)
    X = rng.normal(size=(40, 6))
    y = X @ np.array([2.0, -1.0, 0.5, -3.0, 0.0, 1.0]) + rng.normal(size=40) + 1.0
    s = rng.uniform(0.5, 2.0, 40)
    a = 3.0
    est = Ridge(alpha=a, positive=True, solver=solver).fit(X, y, sample_weight=s)
    w = est.coef_
    assert np.all(w >= 0) and np.any(w == 0) and np.any(w > 0)
    mx, my = s @ X / s.sum(), s @ y / s.sum()
    assert est.intercept_ == pytest.approx(my - mx @ w, rel=1e-12)
    # KKT of min Σ s r² + a‖w‖² s.t. w ≥ 0: gradient ≥ 0, and = 0 where w > 0
    Xc = X - mx
    grad = -2 * Xc.T @ (s * (y - my - Xc @ w)) + 2 * a * w
    scale = np.abs(2 * Xc.T @ (s * (y - my))).max()
    assert np.all(grad >= -1e-9 * scale)
    assert np.all(np.abs(grad[w > 0]) <= 1e-9 * scale)


# ---------------------------------------------------------------------------------------------
# 5. weights vs duplication and invariances
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["eigh", "svd", "dual"])
def test_integer_weights_equal_duplicated_rows(solver):
    X, Y, _ = make_regression(54, n=20, p=4, k=2)
    reps = np.random.default_rng(0).integers(1, 4, 20)
    w = Ridge(alpha=1.5, solver=solver).fit(X, Y, sample_weight=reps.astype(float))
    d = Ridge(alpha=1.5, solver=solver).fit(np.repeat(X, reps, axis=0), np.repeat(Y, reps, axis=0))
    assert rel_err(w.coef_, d.coef_) <= 1e-10
    assert rel_err(w.intercept_, d.intercept_) <= 1e-10
    assert w.lambda_ == pytest.approx(d.lambda_, rel=1e-14)


def test_zero_weight_equals_dropping_the_row():
    X, Y, _ = make_regression(55, n=20, p=3)
    s = np.ones(20)
    s[[2, 7]] = 0.0
    a = Ridge(alpha=0.7).fit(X, Y[:, 0], sample_weight=s)
    b = Ridge(alpha=0.7).fit(np.delete(X, [2, 7], 0), np.delete(Y[:, 0], [2, 7]))
    assert rel_err(a.coef_, b.coef_) <= 1e-10


def test_duplicated_columns_halve_the_penalty():
    """min ‖y−Xw‖²+a‖w‖²; on [X, X] the split w₁ = w₂ = w/2 costs a‖w‖²/2, so [X, X] with
    penalty 2a fits exactly what X fits with penalty a, with coefficients (w/2, w/2)."""
    X, Y, s = make_regression(56, n=30, p=4, k=1, weighted=True)
    a = 2.0
    one = Ridge(alpha=a).fit(X, Y[:, 0], sample_weight=s)
    two = Ridge(alpha=2 * a).fit(np.hstack([X, X]), Y[:, 0], sample_weight=s)
    np.testing.assert_allclose(two.predict(np.hstack([X, X])), one.predict(X), rtol=1e-10)
    np.testing.assert_allclose(two.coef_, np.concatenate([one.coef_, one.coef_]) / 2, rtol=1e-9)
    assert two.intercept_ == pytest.approx(one.intercept_, rel=1e-10)
    # with the same penalty the fit differs (the statement above is sharp)
    same = Ridge(alpha=a).fit(np.hstack([X, X]), Y[:, 0], sample_weight=s)
    assert rel_err(same.predict(np.hstack([X, X])), one.predict(X)) > 1e-4


def test_stacked_rows_equal_doubled_weights_and_same_canonical_lambda():
    X, Y, s = make_regression(57, n=25, p=4, k=2, weighted=True)
    XX, YY, ss = np.vstack([X, X]), np.vstack([Y, Y]), np.concatenate([s, s])
    stacked = Ridge(alpha=3.0).fit(XX, YY, sample_weight=ss)
    doubled = Ridge(alpha=3.0).fit(X, Y, sample_weight=2 * s)
    assert rel_err(stacked.coef_, doubled.coef_) <= 1e-10
    assert rel_err(stacked.intercept_, doubled.intercept_) <= 1e-10
    # the canonical λ is a mean-loss penalty: it does not depend on n
    lam = 0.05
    orig = Ridge(alpha=lam * s.sum()).fit(X, Y, sample_weight=s)
    big = Ridge(alpha=lam * ss.sum()).fit(XX, YY, sample_weight=ss)
    assert orig.lambda_ == pytest.approx(lam, rel=1e-14)
    assert big.lambda_ == pytest.approx(lam, rel=1e-14)
    assert rel_err(big.coef_, orig.coef_) <= 1e-10
    cv_orig = RidgeCV(lambdas=[lam], cv="gcv").fit(X, Y, sample_weight=s)
    cv_big = RidgeCV(lambdas=[lam], cv="gcv").fit(XX, YY, sample_weight=ss)
    assert cv_orig.lambda_ == cv_big.lambda_ == lam
    assert rel_err(cv_big.coef_, cv_orig.coef_) <= 1e-10
    assert cv_big.alpha_ == pytest.approx(2 * cv_orig.alpha_, rel=1e-14)


def test_target_scaling_shifting_and_row_permutation():
    X, Y, s = make_regression(58, n=30, p=5, k=1, weighted=True)
    y = Y[:, 0]
    base = Ridge(alpha=1.0).fit(X, y, sample_weight=s)
    scaled = Ridge(alpha=1.0).fit(X, -3.5 * y, sample_weight=s)
    np.testing.assert_allclose(scaled.coef_, -3.5 * base.coef_, rtol=1e-11)
    assert scaled.intercept_ == pytest.approx(-3.5 * base.intercept_, rel=1e-11)
    shifted = Ridge(alpha=1.0).fit(X, y + 100.0, sample_weight=s)
    np.testing.assert_allclose(shifted.coef_, base.coef_, rtol=1e-9)
    assert shifted.intercept_ == pytest.approx(base.intercept_ + 100.0, rel=1e-11)
    perm = np.random.default_rng(1).permutation(30)
    permuted = Ridge(alpha=1.0).fit(X[perm], y[perm], sample_weight=s[perm])
    np.testing.assert_allclose(permuted.coef_, base.coef_, rtol=1e-11)
    assert permuted.intercept_ == pytest.approx(base.intercept_, rel=1e-11)
    cv_base = RidgeCV(alphas=np.geomspace(1e-2, 1e2, 9)).fit(X, y, sample_weight=s)
    cv_perm = RidgeCV(alphas=np.geomspace(1e-2, 1e2, 9)).fit(X[perm], y[perm],
                                                             sample_weight=s[perm])
    assert cv_perm.alpha_ == cv_base.alpha_
    assert cv_perm.best_score_ == pytest.approx(cv_base.best_score_, rel=1e-10)


# ---------------------------------------------------------------------------------------------
# RidgeCV extras
# ---------------------------------------------------------------------------------------------


def test_store_cv_results_are_weighted_loo_squared_errors():
    X, Y, s = make_regression(59, n=18, p=3, k=1, weighted=True)
    alphas = np.array([0.1, 1.0, 10.0])
    est = RidgeCV(alphas=alphas, store_cv_results=True).fit(X, Y[:, 0], sample_weight=s)
    assert est.cv_results_.shape == (18, 3)
    for j, a in enumerate(alphas):
        e = loo_residuals_by_refit(X, Y, s, a)[:, 0]
        np.testing.assert_allclose(est.cv_results_[:, j], s * e**2, rtol=1e-8, atol=1e-14)
    with pytest.raises(ValueError, match="incompatible"):
        RidgeCV(alphas=alphas, store_cv_results=True, cv=3).fit(X, Y[:, 0])


def test_ridgecv_lambdas_use_canonical_fold_penalty():
    """With lambdas= every training fold is penalized by its own n_train·λ."""
    X, Y, s = make_regression(60, n=24, p=3, k=1, weighted=True)
    lam = np.array([0.3, 0.03])
    cv = KFold(3, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridEdgeWarning)
        est = RidgeCV(lambdas=lam, cv=cv, scoring="neg_mean_squared_error").fit(
            X, Y[:, 0], sample_weight=s)
    for i, (train, test) in enumerate(cv.split(X)):
        for j, l in enumerate(lam):
            coef, b = ridge_reference(X[train], Y[train], s[train], l * s[train].sum())
            r = Y[test, 0] - (X[test] @ coef[:, 0] + b[0])
            ref = -(s[test] @ r**2) / s[test].sum()
            assert est.selection_.fold_scores[i, j, 0] == pytest.approx(ref, rel=1e-9)


def test_ridge_classifier_basics():
    rng = np.random.default_rng(61)
    X = rng.normal(size=(60, 4))
    y = np.array(["a", "b", "c"])[np.argmax(X[:, :3] + 0.5 * rng.normal(size=(60, 3)), axis=1)]
    clf = RidgeClassifier(alpha=1.0).fit(X, y)
    assert list(clf.classes_) == ["a", "b", "c"]
    assert clf.coef_.shape == (3, 4) and clf.decision_function(X).shape == (60, 3)
    Yb = np.where(y[:, None] == clf.classes_[None, :], 1.0, -1.0)
    coef, b = ridge_reference(X, Yb, np.ones(60), 1.0)
    assert rel_err(clf.coef_, coef.T) <= 1e-10
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[np.argmax(X @ coef + b, axis=1)])
    yb = np.where(y == "a", "yes", "no")
    clf2 = RidgeClassifierCV(alphas=[0.1, 1.0, 10.0]).fit(X, yb)
    assert np.size(clf2.coef_) == 4 and clf2.decision_function(X).shape == (60,)
    assert set(clf2.predict(X)) <= {"yes", "no"}


# ---------------------------------------------------------------------------------------------
# 10. data frames
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make_frame", [pd.DataFrame, pl.DataFrame], ids=["pandas", "polars"])
@pytest.mark.parametrize("Est", [Ridge, RidgeCV, RidgeClassifier, RidgeClassifierCV])
def test_dataframes_feature_names(make_frame, Est):
    X, Y, _ = make_regression(62, n=30, p=3)
    names = ["alpha", "beta", "gamma"]
    frame = make_frame({n: X[:, j] for j, n in enumerate(names)})
    y = Y[:, 0] if Est in (Ridge, RidgeCV) else (Y[:, 0] > np.median(Y[:, 0])).astype(int)
    est = Est().fit(frame, y)
    np.testing.assert_array_equal(est.feature_names_in_, names)
    assert est.n_features_in_ == 3
    with warnings.catch_warnings():  # "X does not have valid feature names": expected here
        warnings.simplefilter("ignore", UserWarning)
        np.testing.assert_allclose(est.predict(frame), est.predict(X), rtol=1e-12)
    ref = Est().fit(X, y)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-12)
    assert not hasattr(ref, "feature_names_in_")
    reordered = make_frame({n: X[:, names.index(n)] for n in ["gamma", "alpha", "beta"]})
    with pytest.raises(ValueError, match="feature names"):
        est.predict(reordered)


# ---------------------------------------------------------------------------------------------
# 11. bad input
# ---------------------------------------------------------------------------------------------

ALL = [Ridge, RidgeCV, RidgeClassifier, RidgeClassifierCV]


def _labels(y):
    return (y > np.median(y)).astype(int)


def _target(Est, y):
    return _labels(y) if Est in (RidgeClassifier, RidgeClassifierCV) else y


@pytest.mark.parametrize("Est", ALL)
def test_non_finite_and_shapes_rejected(Est):
    X, Y, _ = make_regression(63, n=20, p=3)
    y = _target(Est, Y[:, 0])
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Est().fit(Xn, y)
    Xi = X.copy()
    Xi[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        Est().fit(Xi, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        Est().fit(X, y[:-1])
    with pytest.raises(ValueError, match="1 sample"):
        Est().fit(X[:1], y[:1])
    with pytest.raises(ValueError, match=r"[Nn]egative"):
        Est().fit(X, y, sample_weight=np.r_[-1.0, np.ones(19)])
    with pytest.raises(ValueError, match=r"non-zero|sums to zero"):
        Est().fit(X, y, sample_weight=np.zeros(20))
    est = Est().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :2])
    with pytest.raises(ValueError, match="NaN"):
        est.predict(Xn)


@pytest.mark.parametrize("Est", [Ridge, RidgeCV])
def test_non_finite_targets_rejected(Est):
    X, Y, _ = make_regression(64, n=20, p=3)
    y = Y[:, 0].copy()
    y[4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Est().fit(X, y)
    y[4] = -np.inf
    with pytest.raises(ValueError, match="infinity"):
        Est().fit(X, y)


def test_bad_strengths_rejected():
    X, Y, _ = make_regression(65, n=20, p=3)
    y = Y[:, 0]
    for bad in (-1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="alpha must be"):
            Ridge(alpha=bad).fit(X, y)
        with pytest.raises(ValueError, match="alpha must be"):
            RidgeClassifier(alpha=bad).fit(X, _labels(y))
        with pytest.raises(ValueError, match="alphas must be"):
            RidgeCV(alphas=[1.0, bad]).fit(X, y)
        with pytest.raises(ValueError, match="lambdas must be"):
            RidgeCV(lambdas=[bad]).fit(X, y)
        with pytest.raises(ValueError, match="alphas must be"):
            RidgeClassifierCV(alphas=[bad, 1.0]).fit(X, _labels(y))
    for Est in (RidgeCV, RidgeClassifierCV):
        with pytest.raises(ValueError, match="alphas is empty"):
            Est(alphas=[]).fit(X, _target(Est, y))
    with pytest.raises(ValueError, match="lambdas is empty"):
        RidgeCV(lambdas=[]).fit(X, y)
    with pytest.raises(ValueError, match="'auto'"):
        RidgeCV(alphas="everything").fit(X, y)


@pytest.mark.parametrize("case", ["p_gt_n", "duplicated_column"])
def test_zero_alpha_with_singular_gram_rejected(case):
    if case == "p_gt_n":
        X, Y, _ = make_regression(66, n=10, p=15)
    else:
        X, Y, _ = make_regression(66, n=30, p=4)
        X = np.column_stack([X, X[:, 1]])
    y = Y[:, 0]
    for solver in ("auto", "eigh", "svd", "dual"):
        with pytest.raises(ValueError, match="non-singular Gram"):
            Ridge(alpha=0.0, solver=solver).fit(X, y)
    with pytest.raises(ValueError, match="non-singular Gram"):
        RidgeClassifier(alpha=0.0).fit(X, _labels(y))
    for cv in (None, "gcv", 3):
        with pytest.raises(ValueError, match="non-singular Gram"):
            RidgeCV(alphas=[0.0], cv=cv).fit(X, y)
    with pytest.raises(ValueError, match="non-singular Gram"):
        RidgeClassifierCV(alphas=[0.0], cv=3).fit(X, _labels(y))


def test_cv_errors_rejected():
    X, Y, _ = make_regression(67, n=5, p=2)
    y = Y[:, 0]
    with pytest.raises(ValueError, match="n_splits=10 greater than the number of samples"):
        RidgeCV(cv=10).fit(X, y)
    with pytest.raises(ValueError, match="cv must be"):
        RidgeCV(cv="bootstrap").fit(X, y)
    with pytest.raises(ValueError, match="only one class"):
        RidgeClassifier().fit(X, np.zeros(5))
    with pytest.raises(ValueError, match="only one class"):
        RidgeClassifierCV().fit(X, np.ones(5))
    with pytest.raises(ValueError, match=r"[Uu]nknown label type"):
        RidgeClassifier().fit(X, y)  # continuous labels


def test_unknown_options_rejected():
    X, Y, _ = make_regression(68, n=20, p=3)
    y = Y[:, 0]
    with pytest.raises(ValueError, match="unknown scoring 'no_such_metric'"):
        RidgeCV(scoring="no_such_metric").fit(X, y)
    with pytest.raises(ValueError, match="unknown scoring"):
        RidgeCV(scoring="no_such_metric", cv=3).fit(X, y)
    for Est in ALL:
        with pytest.raises(ValueError, match="unknown solver 'magic'"):
            Est(solver="magic").fit(X, _target(Est, y))
    for Est in (RidgeCV, RidgeClassifierCV):
        with pytest.raises(ValueError, match="rule must be 'min' or '1se'"):
            Est(rule="median").fit(X, _target(Est, y))
    with pytest.raises(ValueError, match="gcv_mode"):
        RidgeCV(gcv_mode="qr").fit(X, y)
    with pytest.raises(ValueError, match="GCV"):
        RidgeCV(cv="gcv", scoring="r2").fit(X, y)
    with pytest.raises(ValueError, match="one-standard-error"):
        RidgeCV(cv="gcv", rule="1se").fit(X, y)


def test_sparse_coo_accepted_and_equal():
    X, Y, _ = make_regression(69, n=20, p=4)
    coo = sp.coo_matrix(X)
    a = Ridge(alpha=1.0).fit(coo, Y[:, 0])
    b = Ridge(alpha=1.0).fit(X, Y[:, 0])
    assert rel_err(a.coef_, b.coef_) <= 1e-10
    np.testing.assert_allclose(a.predict(coo), b.predict(X), rtol=1e-10)
