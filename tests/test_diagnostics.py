"""ridgeline.diagnostics: every number against its slow or independent definition.

Paths against independent fits and hat-matrix traces (ridge, weighted IRLS hat matrix for
GLMs, the finite-difference divergence Σ ∂ŷ_i/∂y_i for lasso/elastic net); train/validation
curves against explicit refits on the same folds; the resampling bias–variance estimate
against the closed form in the same (fixed-design) setting; Domingos' 0-1 decomposition on a
hand-computed case; shrinkage factors against the ratio of ridge to OLS coefficients in the
SVD basis.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.linear_model import Ridge as SkRidge
from sklearn.model_selection import KFold, StratifiedKFold

import ridgeline as rl
from conftest import hat_matrix, make_regression, rel_err, ridge_reference
from ridgeline import diagnostics as D
from ridgeline.diagnostics.bias_variance import domingos
from ridgeline.losses import MultinomialLoss
from ridgeline.selection.glm_alo import alo_predictors
from ridgeline.solvers.problem import GLMProblem

pytestmark = pytest.mark.filterwarnings("ignore::ridgeline.selection.result.GridEdgeWarning")

LAMBDAS = np.geomspace(3.0, 1e-3, 5)


def _classification(seed=0, n=80, p=4, classes=2):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, p) + 0.3
    eta = X @ rng.normal(size=p) + 0.2
    if classes == 2:
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(int)
    else:
        y = np.digitize(eta + rng.normal(size=n), np.quantile(eta, [0.33, 0.66]))
    return X, y, rng.uniform(0.5, 2.0, n)


def _weighted_hat_trace(X, om, lam):
    """tr[(X̃ᵀΩX̃ + 2λ diag(1,…,1,0))⁻¹ X̃ᵀΩX̃] with X̃ = [X, 1], formed explicitly."""
    n, p = X.shape
    Xt = np.column_stack([X, np.ones(n)])
    H = Xt.T @ (om[:, None] * Xt)
    return float(np.trace(np.linalg.solve(H + np.diag([2.0 * lam] * p + [0.0]), H)))


# ---------------------------------------------------------------------------------------------
# regularization_path
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_path_dof_is_hat_matrix_trace_and_coef_is_reference(fit_intercept):
    X, Y, s = make_regression(0, n=30, p=5, weighted=True)
    path = D.regularization_path(rl.Ridge(fit_intercept=fit_intercept), X, Y[:, 0],
                                 lambdas=LAMBDAS, sample_weight=s)
    sw = s.sum()
    assert path.coef.shape == (5, 5, 1) and path.intercept.shape == (5, 1)
    np.testing.assert_allclose(path.params, LAMBDAS * sw, rtol=1e-14)
    for i, lam in enumerate(LAMBDAS):
        H = hat_matrix(X, s, lam * sw, fit_intercept=fit_intercept)
        assert path.dof[i] == pytest.approx(np.trace(H), rel=1e-10)
        coef, b = ridge_reference(X, Y[:, :1], s, lam * sw, fit_intercept=fit_intercept)
        assert rel_err(path.coef[i, :, 0], coef[:, 0]) < 1e-9
        assert path.intercept[i, 0] == pytest.approx(b[0], rel=1e-9, abs=1e-9)
    assert "trace of the hat matrix" in path.dof_method


def test_ridge_path_of_fitted_ridgecv_reports_its_grid_and_choice():
    X, Y, _ = make_regression(1, n=50, p=6)
    est = rl.RidgeCV(alphas=[0.01, 0.1, 1.0, 10.0, 100.0], cv=5).fit(X, Y[:, 0])
    path = D.regularization_path(est, X, Y[:, 0])
    res = est.selection_
    np.testing.assert_allclose(path.lambdas, res.lambdas)
    np.testing.assert_allclose(path.params, [0.01, 0.1, 1.0, 10.0, 100.0], rtol=1e-12)
    np.testing.assert_allclose(path.dof, res.dof, rtol=1e-10)
    assert (path.lambda_min, path.lambda_1se) == (res.lambda_min, res.lambda_1se)
    assert path.lambda_chosen == est.lambda_
    i = int(np.argmin(np.abs(path.lambdas - est.lambda_)))
    assert rel_err(path.coef[i, :, 0], est.coef_) < 1e-10


def test_ridge_path_multi_target_and_feature_names():
    X, Y, _ = make_regression(2, n=30, p=3, k=2)
    path = D.regularization_path(rl.Ridge(), X, Y, lambdas=LAMBDAS, feature_names=["a", "b", "c"])
    assert path.coef.shape == (5, 3, 2) and path.output_names == ["y0", "y1"]
    assert path.feature_names == ["a", "b", "c"]
    coef, _ = ridge_reference(X, Y, np.ones(30), LAMBDAS[2] * 30)
    assert rel_err(path.coef[2], coef) < 1e-9


def test_logistic_path_dof_is_weighted_hat_trace_and_coef_matches_fits():
    X, y, s = _classification(0)
    lam = np.array([0.3, 0.03, 0.003])
    path = D.regularization_path(rl.LogisticRegression(tol=1e-12), X, y, lambdas=lam,
                                 sample_weight=s)
    n_w = s.sum()
    np.testing.assert_allclose(path.params, 1.0 / (2.0 * lam * n_w), rtol=1e-14)
    for i, l in enumerate(lam):
        w, b = path.coef[i, :, 0], path.intercept[i, 0]
        pr = 1.0 / (1.0 + np.exp(-(X @ w + b)))
        assert path.dof[i] == pytest.approx(_weighted_hat_trace(X, s / n_w * pr * (1 - pr), l),
                                            rel=1e-10)
        fit = rl.LogisticRegression(C=path.params[i], tol=1e-12).fit(X, y, sample_weight=s)
        assert np.max(np.abs(fit.coef_[0] - w)) < 1e-8
    assert np.all(np.diff(path.dof) > 0) and 1.0 < path.dof[0] < path.dof[-1] < 5.0


def test_logistic_class_weights_keep_the_c_to_lambda_convention():
    X, y, s = _classification(3)
    est = rl.LogisticRegression(C=0.7, class_weight={0: 1.0, 1: 3.0}, tol=1e-12)
    fitted = rl.LogisticRegression(**est.get_params()).fit(X, y, sample_weight=s)
    path = D.regularization_path(est, X, y, lambdas=[fitted.lambda_, 0.1], sample_weight=s)
    assert path.lambda_chosen == pytest.approx(fitted.lambda_, rel=1e-12)
    assert path.params[0] == pytest.approx(0.7, rel=1e-12)
    assert np.max(np.abs(path.coef[0, :, 0] - fitted.coef_[0])) < 1e-8
    st = D.coefficient_stability(est, X, y, sample_weight=s, cv=3)
    assert st.lambda_ == pytest.approx(fitted.lambda_) and st.param == pytest.approx(0.7)
    assert np.max(np.abs(st.full_coef[:, 0] - fitted.coef_[0])) < 1e-8


def test_poisson_and_multinomial_path_dof():
    X, _, _ = _classification(1)
    rng = np.random.default_rng(1)
    counts = rng.poisson(np.exp(0.3 * X @ np.array([1.0, -0.5, 0.8, 0.0])))
    lam = np.array([0.1, 0.01])
    path = D.regularization_path(rl.PoissonRegressor(tol=1e-12), X, counts, lambdas=lam)
    np.testing.assert_allclose(path.params, lam)
    for i, l in enumerate(lam):
        mu = np.exp(X @ path.coef[i, :, 0] + path.intercept[i, 0])
        assert path.dof[i] == pytest.approx(_weighted_hat_trace(X, 2.0 * mu / X.shape[0], l),
                                            rel=1e-10)
    X3, y3, _ = _classification(2, classes=3)
    path = D.regularization_path(rl.LogisticRegression(tol=1e-12), X3, y3, lambdas=lam)
    assert path.coef.shape == (2, 4, 3) and path.output_names == ["0", "1", "2"]
    problem = GLMProblem.from_arrays(X3, y3.astype(float), np.ones(len(y3)), MultinomialLoss(),
                                     True, n_classes=3)  # class indices 0..2
    for i, l in enumerate(lam):  # ALO's dof Σ ω tr(B_i J_i) is an independent formula
        _, dof = alo_predictors(problem, path.coef[i][None], path.intercept[i][None], l)
        assert path.dof[i] == pytest.approx(dof, rel=1e-9)


@pytest.mark.parametrize("estimator,mix", [
    (rl.Lasso(tol=1e-12, max_iter=100_000), 1.0),
    (rl.ElasticNet(l1_ratio=0.4, tol=1e-12, max_iter=100_000), 0.8 / 1.4),
])
def test_sparse_path_dof_is_divergence(estimator, mix):
    """Stein's dof Σ_i ∂ŷ_i/∂y_i by central differences equals the reported dof."""
    rng = np.random.default_rng(3)
    n, p = 20, 5
    X = rng.normal(size=(n, p))
    y = X @ np.array([2.0, -1.0, 0.0, 0.0, 1.0]) + rng.normal(size=n)
    path = D.regularization_path(estimator, X, y, n_lambdas=8)
    rho = 1.0 if mix == 1.0 else 0.4
    np.testing.assert_allclose(path.params, path.lambdas / (1.0 + rho), rtol=1e-14)
    for i in (3, 6):
        lam, h, div = path.lambdas[i], 1e-6, 0.0
        for k in range(n):
            e = np.zeros(n)
            e[k] = h
            up = rl.enet_path(X, y + e, mix=mix, lambdas=[lam], tol=1e-14, max_iter=100_000)
            dn = rl.enet_path(X, y - e, mix=mix, lambdas=[lam], tol=1e-14, max_iter=100_000)
            div += (X[k] @ (up.coefs[0] - dn.coefs[0]) + up.intercepts[0] - dn.intercepts[0]) \
                / (2 * h)
        assert path.dof[i] == pytest.approx(div, abs=1e-6)
        fit = type(estimator)(**{**estimator.get_params(), "alpha": path.params[i]}).fit(X, y)
        assert np.max(np.abs(fit.coef_ - path.coef[i, :, 0])) < 1e-7
    if mix == 1.0:
        np.testing.assert_array_equal(path.dof, path.n_nonzero + 1)
    else:  # the ridge part shrinks: fewer dof than nonzeros
        assert np.all(path.dof[path.n_nonzero > 0] < path.n_nonzero[path.n_nonzero > 0] + 1)


def test_group_lasso_path_and_lassocv_marks():
    X, Y, _ = make_regression(4, n=60, p=6)
    path = D.regularization_path(rl.GroupLasso(groups=2), X, Y[:, 0], n_lambdas=10)
    nz = path.coef[:, :, 0] != 0
    assert np.array_equal(nz[:, 0::2], nz[:, 1::2])  # whole groups in or out
    np.testing.assert_allclose(path.params, path.lambdas / 2.0)
    cv = rl.LassoCV(cv=4).fit(X, Y[:, 0])
    path = D.regularization_path(cv, X, Y[:, 0])
    np.testing.assert_allclose(path.lambdas, cv.selection_.lambdas)
    np.testing.assert_allclose(path.params, cv.alphas_, rtol=1e-12)
    assert path.lambda_min == pytest.approx(cv.lambda_) and path.lambda_chosen == cv.lambda_


# ---------------------------------------------------------------------------------------------
# train_validation_curve
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("convention", ["canonical", "fixed"])
def test_ridge_train_validation_from_fold_statistics_matches_refits(convention):
    X, Y, s = make_regression(5, n=40, p=4, weighted=True)
    y = Y[:, 0]
    cv = KFold(4, shuffle=True, random_state=0)
    curve = D.train_validation_curve(rl.Ridge(), X, y, lambdas=LAMBDAS, cv=cv,
                                     sample_weight=s, convention=convention)
    sw = s.sum()
    for k, (tr, te) in enumerate(cv.split(X)):
        for i, lam in enumerate(LAMBDAS):
            a = lam * (s[tr].sum() if convention == "canonical" else sw)
            coef, b = ridge_reference(X[tr], y[tr], s[tr], a)
            r_tr = y[tr] - X[tr] @ coef[:, 0] - b[0]
            r_te = y[te] - X[te] @ coef[:, 0] - b[0]
            assert curve.fold_train_error[k, i] == pytest.approx(
                s[tr] @ r_tr**2 / s[tr].sum(), rel=1e-9)
            assert curve.fold_validation_error[k, i] == pytest.approx(
                s[te] @ r_te**2 / s[te].sum(), rel=1e-9)
    np.testing.assert_allclose(curve.train_se,
                               curve.fold_train_error.std(axis=0, ddof=1) / 2.0)
    assert np.all(np.diff(curve.train_error) < 0)  # less penalty, better training fit
    assert curve.convention == convention and curve.n_splits == 4


def test_train_validation_uses_the_estimators_folds_and_convention():
    X, Y, _ = make_regression(6, n=60, p=5)
    y = Y[:, 0]
    est = rl.RidgeCV(alphas=[0.1, 1.0, 10.0, 100.0], cv=KFold(5, shuffle=True, random_state=2),
                     scoring="neg_mean_squared_error").fit(X, y)
    curve = D.train_validation_curve(est, X, y)
    assert curve.convention == "fixed"
    np.testing.assert_allclose(curve.validation_error, -est.selection_.mean_score, rtol=1e-10)
    np.testing.assert_allclose(curve.validation_se, est.selection_.se, rtol=1e-8)
    assert curve.lambda_min == est.selection_.lambda_min
    Xc, yc, _ = _classification(7, n=90)
    lr = rl.LogisticRegressionCV(Cs=[0.01, 0.1, 1.0, 10.0], scoring="neg_log_loss").fit(Xc, yc)
    curve = D.train_validation_curve(lr, Xc, yc)
    np.testing.assert_allclose(curve.validation_error, -lr.cv_result_.mean_score, rtol=1e-8)
    np.testing.assert_allclose(curve.params, [0.01, 0.1, 1.0, 10.0], rtol=1e-12)


def test_glm_and_sparse_train_validation_match_refits():
    X, y, _ = _classification(8, n=60)
    cv = StratifiedKFold(3, shuffle=True, random_state=1)
    lam = np.array([0.1, 0.001])
    curve = D.train_validation_curve(rl.LogisticRegression(tol=1e-12), X, y, lambdas=lam,
                                     cv=cv)
    for k, (tr, te) in enumerate(cv.split(X, y)):
        for i, l in enumerate(lam):
            fit = rl.LogisticRegression(C=1.0 / (2 * l * tr.size), tol=1e-12).fit(X[tr], y[tr])
            for rows, got in ((tr, curve.fold_train_error), (te, curve.fold_validation_error)):
                pr = fit.predict_proba(X[rows])[:, 1]
                ll = -np.mean(y[rows] * np.log(pr) + (1 - y[rows]) * np.log(1 - pr))
                assert got[k, i] == pytest.approx(ll, rel=1e-7)
    miss = D.train_validation_curve(rl.LogisticRegression(), X, y, lambdas=lam, cv=cv,
                                    error="misclassification")
    assert np.all((miss.fold_train_error * 40) % 1 < 1e-9)  # 40 training rows per fold
    Xr, Yr, _ = make_regression(9, n=45, p=4)
    cvr = KFold(3, shuffle=True, random_state=4)
    lam = np.array([1.0, 0.1, 0.01])
    curve = D.train_validation_curve(rl.Lasso(tol=1e-14, max_iter=100_000), Xr, Yr[:, 0],
                                     lambdas=lam, cv=cvr)
    for k, (tr, te) in enumerate(cvr.split(Xr)):
        for i, l in enumerate(lam):
            fit = rl.Lasso(alpha=l / 2, tol=1e-12).fit(Xr[tr], Yr[tr, 0])
            assert curve.fold_train_error[k, i] == pytest.approx(
                np.mean((Yr[tr, 0] - fit.predict(Xr[tr])) ** 2), rel=1e-6)
            assert curve.fold_validation_error[k, i] == pytest.approx(
                np.mean((Yr[te, 0] - fit.predict(Xr[te])) ** 2), rel=1e-6)


# ---------------------------------------------------------------------------------------------
# bias–variance
# ---------------------------------------------------------------------------------------------
def _simulation(seed=0, n=40, p=5, m=50):
    rng = np.random.default_rng(seed)
    mix = np.eye(p) + 0.5 * rng.normal(size=(p, p))
    X = rng.normal(size=(n, p)) @ mix + 1.0
    Xt = rng.normal(size=(m, p)) @ mix + 1.0
    w = np.array([2.0, -1.0, 0.5, 0.0, 1.5])
    return rng, X, Xt, w, 1.0, 4.0


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_bootstrap_matches_closed_form_fixed_design(fit_intercept):
    """Parametric bootstrap (X fixed, y redrawn from the known truth) vs the SVD closed form."""
    rng, X, Xt, w, b, s2 = _simulation()
    b = b if fit_intercept else 0.0
    f, ft = X @ w + b, Xt @ w + b
    yt = ft + np.sqrt(s2) * rng.normal(size=ft.size)
    lam = np.geomspace(10.0, 1e-3, 6)
    cf = D.ridge_bias_variance(X, w, s2, lam, intercept=b, X_test=Xt,
                               fit_intercept=fit_intercept)
    mc = D.bias_variance(rl.Ridge(fit_intercept=fit_intercept), X, f, lambdas=lam,
                         method="parametric", f_train=f, noise=s2, X_test=Xt, y_test=yt,
                         f_test=ft, n_rounds=3000, random_state=1)
    np.testing.assert_allclose(mc.noise, s2)
    # variance: Monte-Carlo relative SE ≈ √(2/R) ≈ 2.6% per point (observed ≤ 0.9%)
    assert np.max(np.abs(mc.variance / cf.variance - 1)) < 0.04
    # bias² (unbiased estimator): within Monte-Carlo error of the exact value (observed ≤ 0.8%
    # where it is not negligible)
    assert np.all(np.abs(mc.bias2 - cf.bias2) < 0.01 * cf.bias2 + 0.01 * cf.variance)
    assert np.max(np.abs(mc.total / cf.total - 1)) < 0.005  # observed ≤ 0.13%
    # the measured test error (one noisy y_test) agrees within its standard error
    assert np.all(np.abs(mc.expected_error - cf.total) < 3 * mc.expected_error_se)
    assert cf.bias2[0] > 50 * cf.bias2[-1] and cf.variance[0] < cf.variance[-1]


def test_closed_form_in_sample_and_by_brute_force():
    """With X_test = X (in-sample), the closed form equals E over exact ridge fits."""
    _rng, X, _, w, b, s2 = _simulation(1, n=12, p=3, m=1)
    w = w[:3]
    lam = np.array([0.5, 0.05])
    cf = D.ridge_bias_variance(X, w, s2, lam, intercept=b)
    n = X.shape[0]
    for i, l in enumerate(lam):  # the fit is linear: ŷ = H y, so E and Var are exact
        H = hat_matrix(X, np.ones(n), l * n)
        f = X @ w + b
        assert cf.bias2[i] == pytest.approx(np.mean((H @ f - f) ** 2), rel=1e-10)
        assert cf.variance[i] == pytest.approx(s2 * np.mean(np.sum(H * H, axis=1)), rel=1e-10)


def test_ridge_fast_path_equals_generic_refits():
    _, X, _, w, b, _ = _simulation(2)
    rng = np.random.default_rng(5)
    y = X @ w + b + rng.normal(size=X.shape[0])
    lam = 0.05
    fast = D.bias_variance(rl.Ridge(), X, y, lambdas=[lam], n_rounds=15, random_state=3)
    slow = D.bias_variance(SkRidge(alpha=lam * (X.shape[0] - 12)), X, y, n_rounds=15,
                           random_state=3)  # a scikit-learn estimator: cloned and refit
    for key in ("bias2", "variance", "noise", "expected_error"):
        np.testing.assert_allclose(getattr(fast, key), getattr(slow, key), rtol=1e-8)
    assert np.isnan(slow.lambdas[0]) and slow.param_name == ""


def test_squared_decomposition_is_exact_without_truth():
    X, Y, _ = make_regression(3, n=60, p=4)
    for method in ("bootstrap", "split"):
        res = D.bias_variance(rl.Ridge(), X, Y[:, 0], n_lambdas=4, method=method, n_rounds=8,
                              noise=1.5, random_state=0)
        np.testing.assert_allclose(res.total, res.expected_error, rtol=1e-10)
        assert res.noise_source.startswith("known")
    est = D.bias_variance(rl.Ridge(), X, Y[:, 0], n_lambdas=2, n_rounds=4, random_state=0)
    assert est.noise_source.startswith("estimated")
    perm = np.random.default_rng(0).permutation(60)  # the same held-out split
    Xa = np.column_stack([X[perm[18:]], np.ones(42)])
    ref = np.linalg.lstsq(Xa, Y[perm[18:], 0], rcond=None)[1][0] / (42 - 5)
    assert est.noise[0] == pytest.approx(ref, rel=1e-10)


def test_domingos_hand_computed():
    # 5 rounds, 3 points, two classes; optimal classes y* = [0, 1, 1]
    codes = np.array([[0, 0, 1], [0, 0, 1], [1, 0, 0], [0, 1, 1], [0, 0, 1]])[:, None, :]
    out = domingos(codes, np.array([0, 1, 1]), 2)
    # main = [0, 0, 1]; B = [0, 1, 0]; V = [1/5, 1/5, 1/5]
    assert out["bias"][0] == pytest.approx(1 / 3)
    assert out["variance_unbiased"][0] == pytest.approx((0.2 + 0.2) / 3)
    assert out["variance_biased"][0] == pytest.approx(0.2 / 3)
    assert out["variance"][0] == pytest.approx((0.2 - 0.2 + 0.2) / 3)
    # expected 0-1 loss against y*: [1/5, 4/5, 1/5] → mean 0.4 = B + net V
    assert out["bias"][0] + out["variance"][0] == pytest.approx(0.4)
    # three classes, biased point: c₂ = −P(ŷ = y* | ŷ ≠ y_m)
    codes = np.array([0, 0, 0, 1, 2, 2])[:, None, None]
    out = domingos(codes, np.array([2]), 3)  # main 0, y* 2, V = 1/2, P(y*|≠main) = 2/3
    assert out["variance"][0] == pytest.approx(-2 / 3 * 0.5)
    assert out["bias"][0] + out["variance"][0] == pytest.approx(1 - 2 / 6)


@pytest.mark.parametrize("classes", [2, 3])
def test_zero_one_decomposition_of_a_classifier(classes):
    X, y, _ = _classification(9, n=120, classes=classes)
    res = D.bias_variance(rl.LogisticRegression(), X, y, n_lambdas=3, n_rounds=6,
                          random_state=0)
    assert res.loss == "0-1" and res.param_name == "C"
    np.testing.assert_allclose(res.total, res.expected_error, atol=1e-12)  # noise-free: exact
    if classes == 2:  # c₂ = ±1: net variance = unbiased − biased
        np.testing.assert_allclose(res.variance_unbiased - res.variance_biased, res.variance,
                                   atol=1e-12)
    else:  # |c₂| ≤ 1 on biased points
        assert np.all(res.variance >= res.variance_unbiased - res.variance_biased - 1e-12)


def test_zero_one_with_known_noise():
    rng = np.random.default_rng(11)
    n, m = 60, 400
    X = rng.normal(size=(n, 2))
    Xt = rng.normal(size=(m, 2))
    prob = 1.0 / (1.0 + np.exp(-(Xt @ [2.0, -1.0])))
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(X @ [2.0, -1.0])))).astype(int)
    yt = (rng.random(m) < prob).astype(int)
    res = D.bias_variance(rl.LogisticRegression(), X, y, lambdas=[0.01, 1.0], n_rounds=30,
                          X_test=Xt, y_test=yt, f_test=(prob > 0.5).astype(int),
                          noise=np.minimum(prob, 1 - prob), random_state=0)
    assert res.noise[0] > 0.1  # c₁ N: c₁ = 2P(ŷ = y*) − 1 is near 1 at small λ only
    assert np.all(np.abs(res.total - res.expected_error) < 3 * res.expected_error_se)


# ---------------------------------------------------------------------------------------------
# shrinkage
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("standardize", [False, True])
def test_shrinkage_is_ridge_over_ols_in_the_svd_basis(standardize):
    X, Y, s = make_regression(12, n=35, p=5, weighted=True)
    y = Y[:, 0]
    lam = np.array([0.5, 0.02])
    res = D.shrinkage_factors(rl.Ridge(standardize=standardize), X, y, lambdas=lam,
                              sample_weight=s)
    sw = s.sum()
    mx = s @ X / sw
    sd = np.sqrt(s @ (X - mx) ** 2 / sw) if standardize else np.ones(5)
    A = (X - mx) / sd * np.sqrt(s)[:, None]
    _, d, Vt = np.linalg.svd(A, full_matrices=False)
    np.testing.assert_allclose(res.singular_values, d, rtol=1e-10)
    ols = np.linalg.lstsq(A, (y - s @ y / sw) * np.sqrt(s), rcond=None)[0]  # scaled space
    for i, l in enumerate(lam):
        ridge = rl.Ridge(alpha=l * sw, standardize=standardize).fit(X, y, sample_weight=s)
        ratio = (Vt @ (ridge.coef_ * sd)) / (Vt @ ols)
        np.testing.assert_allclose(ratio, d**2 / (d**2 + sw * l), rtol=1e-8)
        np.testing.assert_allclose(res.factors[i], d**2 / (d**2 + sw * l), rtol=1e-12)
        np.testing.assert_allclose(np.abs(res.ridge_coef[i, :, 0]), np.abs(Vt @ (ridge.coef_
                                                                               * sd)), rtol=1e-8)
    path = D.regularization_path(rl.Ridge(standardize=standardize), X, y, lambdas=lam,
                                 sample_weight=s)
    np.testing.assert_allclose(res.dof, path.dof, rtol=1e-10)
    np.testing.assert_allclose(res.factors_at(0.02), res.factors[1])


# ---------------------------------------------------------------------------------------------
# coefficients
# ---------------------------------------------------------------------------------------------
def test_standardized_coefficients_and_ranking():
    X, Y, s = make_regression(13, n=50, p=4, weighted=True)
    est = rl.Ridge(alpha=2.0).fit(X, Y[:, 0], sample_weight=s)
    res = D.standardized_coefficients(est, X, sample_weight=s,
                                      feature_names=["a", "b", "c", "d"])
    mx = s @ X / s.sum()
    sd = np.sqrt(s @ (X - mx) ** 2 / s.sum())
    np.testing.assert_allclose(res.std_coef[:, 0], est.coef_ * sd, rtol=1e-12)
    order = np.argsort(-np.abs(est.coef_ * sd))
    np.testing.assert_array_equal(res.order, order)
    assert res.top(2) == [["a", "b", "c", "d"][j] for j in order[:2]]
    assert res.rank[order[0]] == 1 and sorted(res.rank) == [1, 2, 3, 4]
    Xc, yc, _ = _classification(14, classes=3)
    multi = D.standardized_coefficients(rl.LogisticRegression().fit(Xc, yc), Xc)
    assert multi.std_coef.shape == (4, 3) and multi.output_names == ["0", "1", "2"]
    np.testing.assert_allclose(multi.importance, np.linalg.norm(multi.std_coef, axis=1))


def test_coefficient_stability_ridge_matches_fold_refits():
    X, Y, s = make_regression(15, n=40, p=4, weighted=True)
    y = Y[:, 0]
    cv = KFold(4, shuffle=True, random_state=3)
    res = D.coefficient_stability(rl.Ridge(alpha=0.3 * s.sum()), X, y, cv=cv, sample_weight=s)
    assert res.lambda_ == pytest.approx(0.3)
    for k, (tr, _) in enumerate(cv.split(X)):
        coef, _ = ridge_reference(X[tr], y[tr], s[tr], 0.3 * s[tr].sum())
        assert rel_err(res.fold_coef[k, :, 0], coef[:, 0]) < 1e-9
    np.testing.assert_allclose(res.std, res.fold_coef.std(axis=0, ddof=1))
    manual = (np.sign(res.fold_coef) == np.sign(res.full_coef)).mean(axis=0)
    np.testing.assert_array_equal(res.sign_agreement, manual)
    np.testing.assert_array_equal(res.selection_frequency, np.ones(4))


def test_selection_frequency_of_lasso_and_glm_stability():
    rng = np.random.default_rng(16)
    X = rng.normal(size=(60, 6))
    y = X @ np.array([3.0, -2.0, 0.0, 0.0, 0.3, 0.0]) + rng.normal(size=60)
    cv = KFold(5, shuffle=True, random_state=0)
    res = D.coefficient_stability(rl.Lasso(alpha=0.15, tol=1e-10), X, y, cv=cv)
    manual = np.array([rl.Lasso(alpha=0.15, tol=1e-12).fit(X[tr], y[tr]).coef_
                       for tr, _ in cv.split(X)])
    np.testing.assert_allclose(res.fold_coef[:, :, 0], manual, atol=1e-6)
    np.testing.assert_array_equal(res.selection_frequency, (manual != 0).mean(axis=0))
    assert res.selection_frequency[0] == 1.0 and res.selection_frequency[1] == 1.0
    Xc, yc, _ = _classification(17)
    cvc = StratifiedKFold(3, shuffle=True, random_state=0)
    glm = D.coefficient_stability(rl.LogisticRegression(C=0.5, tol=1e-12), Xc, yc, cv=cvc)
    for k, (tr, _) in enumerate(cvc.split(Xc, yc)):
        fit = rl.LogisticRegression(C=0.5 * 80 / tr.size, tol=1e-12).fit(Xc[tr], yc[tr])
        assert np.max(np.abs(fit.coef_[0] - glm.fold_coef[k, :, 0])) < 1e-8


# ---------------------------------------------------------------------------------------------
# results: tables, dictionaries; bad input; light import
# ---------------------------------------------------------------------------------------------
def test_results_render_as_tables_and_json():
    X, Y, _ = make_regression(18, n=40, p=3)
    y = Y[:, 0]
    est = rl.RidgeCV(alphas=[0.1, 1.0, 10.0], cv=4).fit(X, y)
    results = [D.regularization_path(est, X, y), D.train_validation_curve(est, X, y),
               D.bias_variance(est, X, y, n_lambdas=3, n_rounds=3, random_state=0),
               D.shrinkage_factors(est, X, y), D.standardized_coefficients(est, X),
               D.coefficient_stability(est, X, y)]
    for res in results:
        d = res.to_dict()
        assert d["type"] == type(res).__name__
        json.dumps(d, allow_nan=False)
        text = res.table()
        assert len(text.splitlines()) >= 4
    assert "λ_min" in results[0].table()


@pytest.mark.parametrize("call,error,match", [
    (lambda X, y: D.regularization_path(rl.Ridge(), X, y, lambdas=[-1.0]), ValueError,
     "non-negative"),
    (lambda X, y: D.regularization_path(rl.Ridge(), X, y, lambdas=[[1.0]]), ValueError,
     "one-dimensional"),
    (lambda X, y: D.regularization_path(rl.Ridge(), X, y, lambdas=[np.nan]), ValueError,
     "finite"),
    (lambda X, y: D.regularization_path(rl.Ridge(), X, y[:-1]), ValueError, "inconsistent"),
    (lambda X, y: D.regularization_path(SkRidge(), X, y), TypeError, "ridgeline estimator"),
    (lambda X, y: D.regularization_path(rl.Ridge, X, y), TypeError, "instance"),
    (lambda X, y: D.regularization_path(rl.ElasticNetCV(l1_ratio=[0.2, 0.8]), X, y),
     ValueError, "list of l1_ratio"),
    (lambda X, y: D.bias_variance(rl.Ridge(), X, y, n_rounds=1), ValueError, "at least 2"),
    (lambda X, y: D.bias_variance(rl.Ridge(), X, y, method="jackknife"), ValueError, "method"),
    (lambda X, y: D.bias_variance(rl.Ridge(), X, y, method="parametric", X_test=X, y_test=y),
     ValueError, "f_train"),
    (lambda X, y: D.bias_variance(SkRidge(), X, y, lambdas=[1.0]), ValueError, "lambdas=None"),
    (lambda X, y: D.bias_variance(object(), X, y), TypeError, "fit and predict"),
    (lambda X, y: D.ridge_bias_variance(X, np.ones(2), 1.0, [0.1]), ValueError, "coef"),
    (lambda X, y: D.ridge_bias_variance(X, np.ones(3), -1.0, [0.1]), ValueError, "noise"),
    (lambda X, y: D.standardized_coefficients(rl.Ridge(), X), ValueError, "not fitted"),
    (lambda X, y: D.coefficient_stability(rl.RidgeCV(), X, y), ValueError, "lambda_"),
    (lambda X, y: D.shrinkage_factors(rl.Lasso(), X, y), TypeError, "ridge"),
    (lambda X, y: D.train_validation_curve(rl.Lasso(), X, y, convention="fixed"), ValueError,
     "canonical"),
    (lambda X, y: D.train_validation_curve(rl.Ridge(), X, y, error="log_loss"), ValueError,
     "error"),
    (lambda X, y: D.train_validation_curve(rl.Ridge(), X, y, n_lambdas=0), ValueError,
     "n_lambdas"),
])
def test_bad_input_is_refused_clearly(call, error, match):
    X, Y, _ = make_regression(19, n=30, p=3)
    with pytest.raises(error, match=match):
        call(X, Y[:, 0])


def test_nan_and_zero_lambda_on_singular_data():
    X, Y, _ = make_regression(20, n=30, p=3)
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        D.regularization_path(rl.Ridge(), Xn, Y[:, 0])
    with pytest.raises(ValueError, match="NaN"):
        D.bias_variance(rl.Ridge(), X, np.where(np.arange(30) == 2, np.nan, Y[:, 0]))
    Xs = np.column_stack([X, X[:, 0]])  # rank-deficient
    with pytest.raises(ValueError, match="rank"):
        D.regularization_path(rl.Ridge(), Xs, Y[:, 0], lambdas=[0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        D.regularization_path(rl.Ridge(), Xs, Y[:, 0], lambdas=[1e-3, 1.0])


def test_estimators_are_not_modified():
    X, Y, _ = make_regression(21, n=30, p=3)
    est = rl.Ridge(alpha=3.0)
    D.regularization_path(est, X, Y[:, 0])
    D.coefficient_stability(est, X, Y[:, 0])
    D.bias_variance(est, X, Y[:, 0], n_rounds=2, n_lambdas=2, random_state=0)
    assert not hasattr(est, "coef_") and est.alpha == 3.0


def test_diagnostics_do_not_import_matplotlib():
    code = ("import sys, ridgeline, ridgeline.diagnostics; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
