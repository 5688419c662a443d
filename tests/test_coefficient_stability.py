"""Diagnostics of the sparse CV estimators solve the estimator's own problem (issue 19, item 7).

On Hitters-like data (career totals in the thousands, strongly correlated, one-hot columns as
``pandas.get_dummies`` writes them) coefficient_stability's fits solve the estimator's own
problem — ``standardize`` included — and converge without a warning; a standardized
estimator's regularization path is that of the standardized problem.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from ridgeline import ElasticNetCV, GridEdgeWarning, Lasso, LassoCV
from ridgeline.diagnostics import coefficient_stability, regularization_path


def hitters_like(seed: int = 0, n: int = 263):
    """19 season / career statistics and 6 one-hot columns (both levels of 3 factors)."""
    rng = np.random.default_rng(seed)
    years = rng.integers(1, 24, n).astype(float)
    talent = rng.normal(size=n)
    atbat = np.clip(400 + 150 * rng.normal(size=n), 20, 700)
    hits = atbat * (0.26 + 0.02 * talent) + 5 * rng.normal(size=n)
    hmrun = np.clip(10 + 6 * talent + 4 * rng.normal(size=n), 0, None)
    runs = 0.5 * hits + 8 * rng.normal(size=n)
    rbi = 0.45 * hits + 2 * hmrun + 8 * rng.normal(size=n)
    walks = 0.1 * atbat + 10 * rng.normal(size=n)
    season = np.c_[atbat, hits, hmrun, runs, rbi, walks]
    career = years[:, None] * season * rng.uniform(0.8, 1.1, (n, 1))  # corr > 0.9
    fielding = np.abs(np.c_[300, 100, 5] * rng.standard_t(3, (n, 3)))
    levels = (rng.uniform(size=(n, 3)) < 0.5).astype(float)
    X = np.c_[season, years, career, fielding, levels, 1.0 - levels]
    salary = (100 + 2.0 * hits + 5 * walks + 0.15 * career[:, 3] + 0.2 * career[:, 4]
              + 0.3 * fielding[:, 0] - 100 * levels[:, 1] + 250 * rng.standard_normal(n))
    return X, salary


@pytest.mark.parametrize("standardize", [True, False], ids=["standardized", "raw"])
def test_lasso_cv_stability_converges_and_refits_the_estimators_model(standardize):
    X, y = hitters_like()
    assert X[:, 7].std() > 1000 and np.corrcoef(X[:, 7], X[:, 8])[0, 1] > 0.9
    with warnings.catch_warnings():  # the grid's smallest alphas, on columns that are
        warnings.simplefilter("ignore", ConvergenceWarning)  # collinear (as scikit-learn's)
        est = LassoCV(standardize=standardize).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = coefficient_stability(est, X, y)
    assert res.lambda_ == est.lambda_
    np.testing.assert_allclose(res.full_coef[:, 0], est.coef_, rtol=1e-7,
                               atol=1e-9 * np.abs(est.coef_).max())
    # fold 0 is the estimator's problem on its training rows: the full data's scale
    tr = np.setdiff1d(np.arange(len(y)), np.array_split(np.arange(len(y)), 5)[0])
    sd = X.std(axis=0) if standardize else np.ones(X.shape[1])
    ref = Lasso(alpha=est.alpha_, tol=1e-10, max_iter=100_000).fit(X[tr] / sd, y[tr])
    np.testing.assert_allclose(res.fold_coef[0, :, 0], ref.coef_ / sd, rtol=1e-5,
                               atol=1e-6 * np.abs(ref.coef_ / sd).max())


def test_elastic_net_cv_stability_is_warning_free_on_hitters_like_data():
    X, y = hitters_like(seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridEdgeWarning)
        est = ElasticNetCV(l1_ratio=0.5, standardize=True).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = coefficient_stability(est, X, y)
    np.testing.assert_allclose(res.full_coef[:, 0], est.coef_, rtol=1e-7,
                               atol=1e-9 * np.abs(est.coef_).max())
    assert res.n_splits == 5


def test_standardized_elastic_net_path_equals_scaling_by_hand():
    """regularization_path of a standardize=True estimator is its own problem: the path,
    λ grid and dof equal those of the raw estimator on X / sd(x)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5)) * np.array([1.0, 10.0, 0.1, 3.0, 1.0])
    y = X @ np.array([1.0, 0.1, 5.0, 0.3, 0.0]) + rng.normal(size=80)
    sd = X.std(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridEdgeWarning)
        fitted = ElasticNetCV(l1_ratio=0.5, cv=3, standardize=True).fit(X, y)
        raw = ElasticNetCV(l1_ratio=0.5, cv=3).fit(X / sd, y)
    ours = regularization_path(fitted, X, y)
    by_hand = regularization_path(raw, X / sd, y)
    np.testing.assert_allclose(ours.lambdas, by_hand.lambdas, rtol=1e-12)
    np.testing.assert_allclose(ours.coef[:, :, 0], by_hand.coef[:, :, 0] / sd, rtol=1e-7,
                               atol=1e-9)
    np.testing.assert_allclose(ours.dof, by_hand.dof, rtol=1e-9)
    assert 1.0 < ours.dof.max() < 6.0


def test_regularization_path_at_one_cold_started_lambda_is_the_polished_optimum():
    """A sparse path of one λ (no warm start) is polished like the single fit: on collinear
    one-hot columns its coefficients equal Lasso's own to 1e-7 (a fit stopped at ``tol``
    alone sat 1e-4 above the optimum with one-hot coefficients off by 64 %)."""
    rng = np.random.default_rng(0)
    n = 263
    cat, cat2 = rng.integers(0, 3, n), rng.integers(0, 2, n)
    X = np.c_[np.eye(3)[cat], np.eye(2)[cat2],
              rng.standard_normal((n, 8)) * rng.choice([1, 100, 1000, 0.1], 8)]
    w = rng.standard_normal(X.shape[1]) * 30 / np.maximum(X.std(axis=0), 1e-3)
    y = 500 + X @ w + 300 * rng.standard_normal(n)
    est = Lasso(alpha=0.1).fit(X, y)
    path = regularization_path(Lasso(alpha=0.1), X, y, lambdas=[est.lambda_])
    np.testing.assert_allclose(path.coef[0, :, 0], est.coef_, rtol=1e-7, atol=1e-9)
