"""Evidence (empirical Bayes) λ, AIC and BIC for ridge: against direct computations and
scikit-learn's BayesianRidge."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import BayesianRidge, Ridge

from ridgeline import GridEdgeWarning, RidgeClassifierCV, RidgeCV, select_ridge
from ridgeline.cli._options import parse_cv
from ridgeline.selection.criteria import information_criterion
from ridgeline.selection.evidence import (
    log_evidence_curve,
    maximize_evidence,
    posterior_std,
)
from ridgeline.selection.routes import full_factor
from ridgeline.stats import ArraySource


def _data(n, p, seed, noise=1.0, shift=0.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3.0, p) + rng.uniform(-2, 2, p)
    y = X @ (rng.standard_normal(p) * 0.5) + noise * rng.standard_normal(n) + shift
    return X, y


def _factor(X, y, s, *, fit_intercept=True, standardize=False):
    route = "dual" if X.shape[1] > X.shape[0] else "eigh"
    return full_factor(X, y[:, None], s, route, fit_intercept=fit_intercept,
                       standardize=standardize, min_penalty=0.0)


def _centered_scaled(X, y, s, fit_intercept, standardize):
    mx = s @ X / s.sum() if fit_intercept else np.zeros(X.shape[1])
    my = s @ y / s.sum() if fit_intercept else 0.0
    Xc, yc = X - mx, y - my
    scale = np.sqrt(s @ Xc**2 / s.sum()) if standardize else np.ones(X.shape[1])
    return Xc / scale, yc, scale


def _direct_log_evidence(X, y, s, a, fit_intercept, standardize):
    """Profiled log N(y_rep; 0, σ²I + (σ²/a) X_rep X_repᵀ) of the data with row i repeated
    s_i times (integer weights), by a dense log-determinant; also the profiled σ²."""
    Xs, yc, _ = _centered_scaled(X, y, s, fit_intercept, standardize)
    rows = np.repeat(np.arange(X.shape[0]), s.astype(int))
    Xr, yr = Xs[rows], yc[rows]
    m = rows.size
    M = np.eye(m) + Xr @ Xr.T / a  # C = σ² M
    quad = yr @ np.linalg.solve(M, yr)
    sigma2 = quad / m
    _, logdet = np.linalg.slogdet(sigma2 * M)
    return -0.5 * (m * np.log(2 * np.pi) + logdet + quad / sigma2), sigma2


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(14, 4), (9, 15)])
def test_log_evidence_equals_direct_log_determinant(fit_intercept, weighted, shape):
    n, p = shape
    X, y = _data(n, p, seed=n + p, shift=2.0)
    s = np.random.default_rng(1).integers(1, 4, n).astype(float) if weighted else np.ones(n)
    F = _factor(X, y, s, fit_intercept=fit_intercept)
    pens = np.array([0.05, 1.0, 30.0])
    got = log_evidence_curve(F, pens, fit_intercept=fit_intercept)[:, 0]
    for a, g in zip(pens, got, strict=True):
        want, _ = _direct_log_evidence(X, y, s, a, fit_intercept, standardize=False)
        assert g == pytest.approx(want, rel=1e-10, abs=1e-9)


def test_log_evidence_with_standardized_features_equals_direct():
    X, y = _data(20, 5, seed=7)
    s = np.random.default_rng(2).integers(1, 3, 20).astype(float)
    F = _factor(X, y, s, standardize=True)
    got = log_evidence_curve(F, np.array([0.7]), fit_intercept=True)[0, 0]
    want, _ = _direct_log_evidence(X, y, s, 0.7, True, standardize=True)
    assert got == pytest.approx(want, rel=1e-10)


def _bayesian_ridge(X, y, s=None, fit_intercept=True):
    return BayesianRidge(alpha_1=0.0, alpha_2=0.0, lambda_1=0.0, lambda_2=0.0, tol=1e-14,
                         max_iter=200_000, fit_intercept=fit_intercept,
                         compute_score=True).fit(X, y, sample_weight=s)


def _cases():
    X, y = load_diabetes(return_X_y=True)
    Xr, yr = _data(300, 40, seed=0, shift=5.0)
    Xw, yw = _data(200, 12, seed=4)
    sw = np.random.default_rng(5).uniform(0.2, 3.0, 200)
    Xp, yp = _data(60, 150, seed=1, noise=2.0, shift=3.0)
    return {
        "diabetes": (X, y, None, True),
        "random_no_intercept": (Xr, yr, None, False),
        "weighted": (Xw, yw, sw, True),
        "p_gt_n": (Xp, yp, None, True),
        "p_gt_n_no_intercept": (Xp, yp, None, False),
    }


@pytest.mark.parametrize("case", list(_cases()))
def test_evidence_maximizer_equals_bayesian_ridge(case):
    X, y, s, fit_intercept = _cases()[case]
    br = _bayesian_ridge(X, y, s, fit_intercept)
    m = RidgeCV(cv="evidence", fit_intercept=fit_intercept).fit(X, y, sample_weight=s)
    assert m.alpha_ == pytest.approx(br.lambda_ / br.alpha_, rel=1e-6)
    assert m.noise_variance_ == pytest.approx(1.0 / br.alpha_, rel=1e-6)
    assert m.log_evidence_ == pytest.approx(br.scores_[-1], rel=1e-8)
    n_w = len(y) if s is None else s.sum()
    assert m.lambda_ == pytest.approx(m.alpha_ / n_w, rel=1e-12)
    assert m.selection_.lambda_off_grid == m.lambda_
    if X.shape[0] > X.shape[1]:  # scikit-learn's sigma_ is its (p, p) posterior covariance
        np.testing.assert_allclose(m.coef_std_, np.sqrt(np.diag(br.sigma_)), rtol=1e-6)


def test_evidence_slope_vanishes_at_the_maximizer_and_beats_the_grid():
    X, y = _data(120, 10, seed=3)
    F = _factor(X, y, np.ones(120))
    grid = np.geomspace(10.0, 1e-4, 25)
    ev = maximize_evidence(F, grid, fit_intercept=True)
    a = float(ev.alpha)
    h = 1e-4
    lo, mid, hi = log_evidence_curve(F, a * np.exp([-h, 0.0, h]), fit_intercept=True)[:, 0]
    assert abs(hi - lo) / (2 * h) < 1e-6  # d ℓ / d log λ at the maximizer
    assert mid >= lo and mid >= hi
    assert mid == pytest.approx(ev.log_evidence[0], rel=1e-14)
    assert ev.curve.max() <= ev.log_evidence[0]
    assert not np.any(np.isclose(ev.lambda_, grid, rtol=1e-6))  # off the grid


def test_ridgecv_evidence_result_is_off_the_grid_and_the_best():
    X, y = _data(150, 8, seed=11)
    m = RidgeCV(cv="evidence", alphas=np.geomspace(1e3, 1e-3, 13)).fit(X, y)
    res = m.selection_
    assert res.method == "evidence" and res.scoring == "log_evidence"
    assert res.mean_score.max() <= res.score_off_grid
    assert m.best_score_ == res.score_off_grid == pytest.approx(m.log_evidence_, rel=1e-14)
    assert m.alpha_ not in set(res.alphas.tolist())


@pytest.mark.parametrize("standardize", [False, True])
@pytest.mark.parametrize("shape", [(40, 6), (12, 30)])
def test_posterior_std_equals_direct_inverse(standardize, shape):
    n, p = shape
    X, y = _data(n, p, seed=p)
    s = np.random.default_rng(3).uniform(0.5, 2.0, n)
    F = _factor(X, y, s, standardize=standardize)
    a, sigma2 = 2.5, 0.8
    got = posterior_std(F, np.array([a]), np.array([sigma2]))[:, 0]
    Xs, _, scale = _centered_scaled(X, y, s, True, standardize)
    cov_std = sigma2 * np.linalg.inv(Xs.T @ (s[:, None] * Xs) + a * np.eye(p))
    np.testing.assert_allclose(got, np.sqrt(np.diag(cov_std)) / scale, rtol=1e-9)


def test_ridgecv_evidence_coef_is_ridge_at_alpha():
    X, y = _data(80, 6, seed=21, shift=4.0)
    s = np.random.default_rng(8).uniform(0.5, 2.0, 80)
    m = RidgeCV(cv="evidence").fit(X, y, sample_weight=s)
    ref = Ridge(alpha=m.alpha_).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(m.coef_, ref.coef_, rtol=1e-9, atol=1e-12)
    assert m.intercept_ == pytest.approx(ref.intercept_, rel=1e-9)
    assert m.coef_std_.shape == m.coef_.shape == (6,)


def test_ridgecv_evidence_dual_route_coef_and_std():
    X, y = _data(25, 60, seed=0, noise=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a finite maximum: off the grid
        m = RidgeCV(cv="evidence", fit_intercept=False).fit(X, y)
    ref = Ridge(alpha=m.alpha_, fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(m.coef_, ref.coef_, rtol=1e-8, atol=1e-12)
    cov = m.noise_variance_ * np.linalg.inv(X.T @ X + m.alpha_ * np.eye(60))
    np.testing.assert_allclose(m.coef_std_, np.sqrt(np.diag(cov)), rtol=1e-8)


def test_evidence_per_target_equals_separate_fits():
    X, y1 = _data(100, 5, seed=30)
    _, y2 = _data(100, 5, seed=31, noise=3.0)
    Y = np.c_[y1, X[:, 0] * 2 + y2]
    m = RidgeCV(cv="evidence", alpha_per_target=True).fit(X, Y)
    for t in range(2):
        one = RidgeCV(cv="evidence").fit(X, Y[:, t])
        assert m.alpha_[t] == pytest.approx(one.alpha_, rel=1e-10)
        assert m.noise_variance_[t] == pytest.approx(one.noise_variance_, rel=1e-10)
        np.testing.assert_allclose(m.coef_std_[t], one.coef_std_, rtol=1e-9)
    joint = RidgeCV(cv="evidence").fit(X, Y)  # one λ maximizing the summed evidence
    assert joint.coef_std_.shape == (2, 5)
    F = full_factor(X, Y, np.ones(100), "eigh", fit_intercept=True, standardize=False,
                    min_penalty=0.0)
    a = joint.alpha_ * np.exp([-1e-4, 0.0, 1e-4])
    total = log_evidence_curve(F, a, fit_intercept=True).sum(axis=1)
    assert total[1] >= total[0] and total[1] >= total[2]
    assert abs(total[2] - total[0]) / 2e-4 < 1e-6


@pytest.mark.parametrize("which", ["aic", "bic"])
def test_information_criteria_equal_direct_formula(which):
    X, y = _data(50, 7, seed=12, shift=1.0)
    s = np.random.default_rng(4).uniform(0.5, 2.0, 50)
    alphas = np.array([0.3, 3.0, 30.0])
    m = RidgeCV(cv=which, alphas=alphas).fit(X, y, sample_weight=s)
    n_w = s.sum()
    Xc, _, _ = _centered_scaled(X, y, s, True, False)
    want = []
    for a in alphas:
        fit = Ridge(alpha=a).fit(X, y, sample_weight=s)
        rss = s @ (y - fit.predict(X)) ** 2
        dof = np.trace(np.linalg.solve(Xc.T @ (s[:, None] * Xc) + a * np.eye(7),
                                       Xc.T @ (s[:, None] * Xc))) + 1.0
        penalty = 2.0 if which == "aic" else np.log(n_w)
        want.append(n_w * np.log(2 * np.pi * rss / n_w) + n_w + penalty * dof)
    np.testing.assert_allclose(-m.selection_.mean_score, want, rtol=1e-10)
    assert m.alpha_ == alphas[int(np.argmin(want))]
    assert m.selection_.lambda_off_grid is None
    F = _factor(X, y, s)
    np.testing.assert_allclose(
        information_criterion(F, alphas, which=which, fit_intercept=True)[:, 0], want,
        rtol=1e-10)


@pytest.mark.parametrize("cv", ["evidence", "aic", "bic"])
def test_statistics_source_equals_in_memory(cv):
    X, y = _data(200, 6, seed=40)
    s = np.random.default_rng(6).uniform(0.5, 2.0, 200)
    a = RidgeCV(cv=cv, alphas="auto").fit(X, y, sample_weight=s)
    b = RidgeCV(cv=cv, alphas="auto").fit(ArraySource(X, y, sample_weight=s))
    assert b.alpha_ == pytest.approx(a.alpha_, rel=1e-9)
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=1e-8)


def test_ridge_classifier_cv_evidence_is_ridgecv_on_the_codes():
    X, y = _data(120, 5, seed=50)
    labels = (y > np.median(y)).astype(int)
    c = RidgeClassifierCV(cv="evidence").fit(X, labels)
    r = RidgeCV(cv="evidence").fit(X, 2.0 * labels - 1.0)
    assert c.alpha_ == pytest.approx(r.alpha_, rel=1e-12)
    np.testing.assert_allclose(c.coef_std_, r.coef_std_, rtol=1e-12)


def test_no_finite_maximum_warns_and_keeps_the_grid():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 2))
    y = rng.standard_normal(200)  # unrelated to X: the evidence rises towards λ = ∞
    with pytest.warns(GridEdgeWarning, match="no finite maximum"):
        m = RidgeCV(cv="evidence", alphas=[0.1, 1.0, 10.0]).fit(X, y)
    assert m.selection_.lambda_off_grid is None
    assert m.alpha_ == 10.0


@pytest.mark.parametrize(("kwargs", "words"), [
    (dict(cv="evidence", scoring="r2"), "leave scoring=None (got scoring='r2')"),
    (dict(cv="aic", rule="1se"), "one-standard-error rule needs per-fold scores; cv='aic'"),
    (dict(cv="bic", solver="lsqr"), "cv='bic' needs a factorization, which solver='lsqr'"),
    (dict(cv="evidenc"), "'evidence', 'aic', 'bic', None or a CV splitter, got 'evidenc'"),
])
def test_bad_options_are_refused(kwargs, words):
    X, y = _data(30, 3, seed=1)
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        RidgeCV(**kwargs).fit(X, y)


def test_constant_target_is_refused():
    X, _ = _data(30, 3, seed=1)
    Y = np.c_[np.arange(30.0), np.full(30, 2.0)]
    with pytest.raises(ValueError, match="target 1 is constant"):
        RidgeCV(cv="evidence").fit(X, Y)


def test_select_ridge_and_cli_accept_the_criteria():
    X, y = _data(60, 4, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sel = select_ridge(X, y[:, None], np.ones(60), cv="EVIDENCE", lambdas=[1.0, 1e-2])
    assert sel.result.method == "evidence" and sel.result.lambda_off_grid is not None
    assert [parse_cv(v) for v in ("evidence", "AIC", " bic ")] == ["evidence", "aic", "bic"]


def test_refit_with_another_cv_drops_the_evidence_attributes():
    X, y = load_diabetes(return_X_y=True)
    m = RidgeCV(alphas=np.logspace(-3, 3, 13), cv="evidence").fit(X, y)
    assert m.coef_std_.shape == (10,) and m.noise_variance_ > 0
    m.set_params(cv=None).fit(X, y)
    for name in ("coef_std_", "noise_variance_", "log_evidence_"):
        assert not hasattr(m, name)


def test_scalar_slope_equals_the_batched_slopes():
    from ridgeline.selection.evidence import _Parts

    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 80))  # p > n: some eigenvalues are numerically zero
    Y = X[:, :3] @ rng.normal(size=(3, 2)) + rng.normal(size=(60, 2))
    for Xs in (X, X[:, :8]):
        F = full_factor(Xs, Y, np.ones(60), "eigh", fit_intercept=True, standardize=False,
                        min_penalty=0.0)
        parts = _Parts(F, True)
        ts = np.linspace(-8.0, 8.0, 17)
        batched = parts.slopes(ts)
        for i, t in enumerate(ts):
            assert parts.slope_at(t) == pytest.approx(batched[i].sum(), rel=1e-12, abs=1e-12)
            assert parts.slope_at(t, [1]) == pytest.approx(batched[i, 1], rel=1e-12, abs=1e-12)
