"""AIC, BIC and effective degrees of freedom of fitted models (diagnostics/information.py)."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit
from sklearn.linear_model import Ridge as SkRidge

from ridgeline import (
    ElasticNet,
    GroupLasso,
    Lasso,
    LogisticRegression,
    LogisticRegressionCV,
    PoissonRegressor,
    Ridge,
    RidgeClassifier,
    RidgeCV,
)
from ridgeline.diagnostics import information_criteria


def _data(n=80, p=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * np.linspace(0.5, 2.0, p)
    y = X @ np.linspace(1.0, -0.5, p) + 0.3 + rng.normal(size=n)
    return X, y, rng


def _gaussian_loglik(y, pred, s):
    sigma2 = float(s @ (y - pred) ** 2 / s.sum())
    return float(s @ stats.norm.logpdf(y, pred, np.sqrt(sigma2)))


def test_ridge_dof_is_the_hat_matrix_trace_and_loglik_the_normal_sum():
    X, y, rng = _data()
    s = rng.uniform(0.5, 2.0, y.size)
    m = Ridge(alpha=7.0).fit(X, y, sample_weight=s)
    ic = information_criteria(m, X, y, sample_weight=s)
    Xt = np.column_stack([X, np.ones(y.size)])  # explicit inverse, unpenalized intercept
    pen = np.diag(np.r_[np.full(X.shape[1], 7.0), 0.0])
    hat = Xt @ np.linalg.inv(Xt.T @ (s[:, None] * Xt) + pen) @ (Xt.T * s)
    assert ic.dof == pytest.approx(np.trace(hat), rel=1e-10)
    ll = _gaussian_loglik(y, m.predict(X), s)
    assert ic.log_likelihood == pytest.approx(ll, rel=1e-12)
    assert ic.n == pytest.approx(s.sum())
    assert ic.aic == pytest.approx(2 * np.trace(hat) - 2 * ll, rel=1e-10)
    assert ic.bic == pytest.approx(np.log(s.sum()) * np.trace(hat) - 2 * ll, rel=1e-10)


def test_unpenalized_ridge_is_least_squares_with_p_plus_one_parameters():
    X, y, _ = _data()
    m = Ridge(alpha=0.0).fit(X, y)
    ic = information_criteria(m, X, y)
    Xt = np.column_stack([X, np.ones(y.size)])
    rss = float(np.sum((y - Xt @ np.linalg.lstsq(Xt, y, rcond=None)[0]) ** 2))
    n = y.size
    loglik = -0.5 * n * (np.log(2 * np.pi * rss / n) + 1)
    assert ic.dof == pytest.approx(X.shape[1] + 1, rel=1e-10)
    assert ic.aic == pytest.approx(2 * (X.shape[1] + 1) - 2 * loglik, rel=1e-9)


def test_per_target_ridgecv_sums_each_targets_trace():
    X, y, rng = _data()
    Y = np.column_stack([y, X[:, 0] + rng.normal(size=y.size)])
    m = RidgeCV(alphas=[1e-4, 0.1, 10.0, 1000.0, 1e5], alpha_per_target=True).fit(X, Y)
    ic = information_criteria(m, X, Y)
    expect = 0.0
    for t in range(2):
        single = information_criteria(Ridge(alpha=float(m.alpha_[t])).fit(X, Y[:, t]), X,
                                      Y[:, t])
        expect += single.dof
    assert ic.dof == pytest.approx(expect, rel=1e-10)
    ll = sum(_gaussian_loglik(Y[:, t], m.predict(X)[:, t], np.ones(y.size)) for t in range(2))
    assert ic.log_likelihood == pytest.approx(ll, rel=1e-12)


def test_lasso_dof_counts_the_nonzero_coefficients():
    X, y, _ = _data(p=8)
    m = Lasso(alpha=0.3).fit(X, y)
    nnz = int(np.count_nonzero(m.coef_))
    assert 0 < nnz < 8
    ic = information_criteria(m, X, y)
    assert ic.dof == nnz + 1
    assert ic.log_likelihood == pytest.approx(_gaussian_loglik(y, m.predict(X), np.ones(80)),
                                              rel=1e-12)


def test_elastic_net_dof_is_the_ridge_trace_on_the_active_set():
    X, y, _ = _data(p=8)
    m = ElasticNet(alpha=0.2, l1_ratio=0.5).fit(X, y)
    A = np.flatnonzero(m.coef_)
    Xc = X[:, A] - X[:, A].mean(axis=0)
    n, lam, mix = y.size, m.lambda_, 2 * 0.5 / 1.5
    M = Xc.T @ Xc + n * lam * (1 - mix) * np.eye(A.size)
    expect = np.trace(Xc @ np.linalg.inv(M) @ Xc.T) + 1
    assert information_criteria(m, X, y).dof == pytest.approx(expect, rel=1e-9)


def test_group_lasso_dof_is_the_divergence_of_the_fit():
    X, _, rng = _data(n=40, p=6, seed=3)
    y = X[:, :5] @ np.r_[1.0, -0.5, 0.3, 0.4, 0.2] + rng.normal(size=40)  # group 2 is noise
    groups = [0, 0, 0, 1, 1, 2]
    kw = dict(groups=groups, alpha=0.3, tol=1e-12, max_iter=100000)
    m = GroupLasso(**kw).fit(X, y)
    norms = [np.linalg.norm(m.coef_[[0, 1, 2]]), np.linalg.norm(m.coef_[[3, 4]])]
    assert min(norms) > 0 and m.coef_[5] == 0.0  # two active groups, one dropped
    eps, div = 1e-5, 0.0
    for i in range(y.size):  # Σ_i ∂ŷ_i/∂y_i by central differences (Stein's dof)
        up, down = y.copy(), y.copy()
        up[i] += eps
        down[i] -= eps
        div += (GroupLasso(**kw).fit(X, up).predict(X[i:i + 1])[0]
                - GroupLasso(**kw).fit(X, down).predict(X[i:i + 1])[0]) / (2 * eps)
    assert information_criteria(m, X, y).dof == pytest.approx(div, rel=1e-4)


def test_unpenalized_logistic_aic_is_2k_minus_2_bernoulli_loglik():
    X, _, rng = _data(n=200)
    y = (rng.random(200) < expit(X @ np.r_[0.8, -0.4, 0.2, 0.0])).astype(int)
    m = LogisticRegression(C=np.inf).fit(X, y)
    prob = m.predict_proba(X)[:, 1]
    ll = float(np.sum(stats.bernoulli.logpmf(y, prob)))
    ic = information_criteria(m, X, y)
    assert ic.dof == pytest.approx(5.0, rel=1e-9)
    assert ic.log_likelihood == pytest.approx(ll, rel=1e-10)
    assert ic.aic == pytest.approx(2 * 5 - 2 * ll, rel=1e-9)
    assert ic.bic == pytest.approx(np.log(200) * 5 - 2 * ll, rel=1e-9)


def test_penalized_logistic_dof_is_the_trace_against_the_prior():
    X, _, rng = _data(n=150)
    y = (rng.random(150) < expit(X @ np.r_[0.8, -0.4, 0.2, 0.0])).astype(int)
    m = LogisticRegression(C=0.05).fit(X, y)
    prob = m.predict_proba(X)[:, 1]
    Xt = np.column_stack([X, np.ones(150)])
    H = (Xt * (prob * (1 - prob))[:, None]).T @ Xt
    prior = np.diag(np.r_[np.full(4, 2 * 150 * m.lambda_), 0.0])  # n_w·2λ on w, 0 on b
    expect = np.trace(np.linalg.solve(H + prior, H))
    assert information_criteria(m, X, y).dof == pytest.approx(expect, rel=1e-8)


def test_multinomial_counts_c_minus_one_intercepts_and_coefficient_sets():
    X, _, rng = _data(n=300)
    y = np.argmax(X[:, :3] + rng.gumbel(size=(300, 3)), axis=1)
    m = LogisticRegression(C=np.inf).fit(X, y)
    ic = information_criteria(m, X, y)
    assert ic.dof == pytest.approx((4 + 1) * (3 - 1), rel=1e-8)
    ll = float(np.sum(np.log(m.predict_proba(X)[np.arange(300), y])))
    assert ic.log_likelihood == pytest.approx(ll, rel=1e-10)


def test_poisson_loglik_includes_log_factorial_and_unpenalized_dof_is_p_plus_one():
    X, _, rng = _data(n=200)
    y = rng.poisson(np.exp(0.3 * X[:, 0] + 0.2))
    m = PoissonRegressor(alpha=0.0).fit(X, y)
    ll = float(np.sum(stats.poisson.logpmf(y, m.predict(X))))
    ic = information_criteria(m, X, y)
    assert ic.log_likelihood == pytest.approx(ll, rel=1e-12)
    assert ic.dof == pytest.approx(5.0, rel=1e-9)
    assert ic.aic == pytest.approx(10 - 2 * ll, rel=1e-10)


def test_standardized_poisson_dof_equals_the_fit_on_scaled_columns():
    X, _, rng = _data(n=200)
    y = rng.poisson(np.exp(0.3 * X[:, 0] + 0.2))
    sd = X.std(axis=0)
    a = information_criteria(PoissonRegressor(alpha=0.05, standardize=True).fit(X, y), X, y)
    b = information_criteria(PoissonRegressor(alpha=0.05).fit(X / sd, y), X / sd, y)
    assert a.dof == pytest.approx(b.dof, rel=1e-7)
    assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-8)
    assert 1.0 < a.dof < 5.0


def test_cv_estimator_is_scored_at_its_chosen_lambda():
    X, _, rng = _data(n=120)
    y = (rng.random(120) < expit(X[:, 0])).astype(int)
    cv = LogisticRegressionCV(Cs=5).fit(X, y)
    one = LogisticRegression(C=cv.C_).fit(X, y)
    assert information_criteria(cv, X, y).dof == pytest.approx(
        information_criteria(one, X, y).dof, rel=1e-6)
    assert "dof" in information_criteria(cv, X, y).table()


def test_refusals_name_the_problem():
    X, y, _ = _data()
    with pytest.raises(ValueError, match="this Ridge is not fitted: call fit first"):
        information_criteria(Ridge(), X, y)
    with pytest.raises(TypeError, match="RidgeClassifier fits least squares on ±1 class "
                                        "labels, which is no likelihood"):
        information_criteria(RidgeClassifier().fit(X, y > 0), X, y > 0)
    with pytest.raises(TypeError, match="expected a ridgeline estimator"):
        information_criteria(SkRidge().fit(X, y), X, y)
    with pytest.raises(ValueError, match="X has 3 features, but Ridge was fit on 4"):
        information_criteria(Ridge().fit(X, y), X[:, :3], y)
    yc = np.abs(np.round(y)).astype(int)
    with pytest.raises(ValueError, match="cover L2 Poisson regression"):
        information_criteria(PoissonRegressor(alpha=0.1, l1_ratio=0.5).fit(X, yc), X, yc)
    yb = (y > 0).astype(int)
    with pytest.raises(ValueError, match=r"labels the model was not fit on \(its classes: "
                                         r"\[0, 1\]\)"):
        information_criteria(LogisticRegression().fit(X, yb), X, np.where(yb, 2, 0))
