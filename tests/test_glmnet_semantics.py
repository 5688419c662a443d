"""glmnet's semantics where ridgeline claims them: penalty factors and the per-family converters.

* ``penalty_factor`` is glmnet's ``penalty.factor``: the factors are rescaled to sum to the
  number of features p, so on an orthonormal design the lasso is soft-thresholding at
  ``λ·factor_j·p/Σ factor`` (a known answer; R is not needed).
* ``canonical_from_glmnet(λ_g, a, family=...)``: the canonical solution at the converted
  ``(λ, mix)`` minimizes glmnet's documented objective of that family, checked against a direct
  minimization of that objective by L-BFGS-B (``β = u − v``, ``u, v ≥ 0``); for the gaussian
  family with ``sd_y``, against R glmnet's own procedure (standardize y, solve at ``λ/sd_y``,
  scale back).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import logsumexp

import ridgeline as rl
import ridgeline.conventions as cv
from ridgeline.path.glm_sparse_path import multinomial_path
from ridgeline.path.sparse_path import logistic_path
from ridgeline.penalties import ElasticNetPenalty
from ridgeline.penalties.elastic_net import check_factors
from ridgeline.solvers.prox_newton import LogisticL1Problem, PoissonL1Problem
from ridgeline.solvers.prox_newton_multinomial import MultinomialL1Problem

RAW = np.array([0.5, 1.0, 2.0, 0.0, 3.0, 1.5])


def _orthonormal(n: int, p: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """X with XᵀX/n = I and a response."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(n, p)))
    X = Q * np.sqrt(n)
    y = X @ np.array([2.0, -1.5, 1.0, 0.3, 0.8, -0.05]) + 0.1 * rng.normal(size=n)
    return X, y


def _soft(z, t):
    return np.sign(z) * np.maximum(np.abs(z) - t, 0.0)


# ---------------------------------------------------------------------------------------------
# penalty factors
# ---------------------------------------------------------------------------------------------


def test_check_factors_rescales_to_sum_p():
    f = check_factors(RAW, 6)
    assert f.sum() == pytest.approx(6.0, rel=1e-15)
    np.testing.assert_allclose(f, RAW * 6 / RAW.sum(), rtol=1e-15)
    assert f[3] == 0.0
    np.testing.assert_array_equal(check_factors(np.zeros(3), 3), np.zeros(3))
    np.testing.assert_array_equal(check_factors(None, 4), np.ones(4))
    np.testing.assert_allclose(check_factors(np.full(5, 7.0), 5), np.ones(5), rtol=1e-15)
    # the penalty object itself takes weights literally
    np.testing.assert_array_equal(ElasticNetPenalty.make(1.0, 6, RAW).factors, RAW)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.6])
def test_lasso_penalty_factor_is_glmnets_on_an_orthonormal_design(l1_ratio):
    """(1/2n)‖y − Xw‖² + α Σ f̃_j (ρ|w_j| + ½(1−ρ)w_j²) with XᵀX/n = I is separable:
    w_j = S(z_j, αρ f̃_j) / (1 + α(1−ρ) f̃_j), z = Xᵀy/n, f̃ = factor · p / Σ factor."""
    X, y = _orthonormal(60, 6, 0)
    alpha = 0.4
    est = rl.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, penalty_factor=RAW,
                        fit_intercept=False, tol=1e-14, max_iter=100_000).fit(X, y)
    ft = RAW * 6 / RAW.sum()
    z = X.T @ y / 60
    expected = _soft(z, alpha * l1_ratio * ft) / (1 + alpha * (1 - l1_ratio) * ft)
    np.testing.assert_allclose(est.coef_, expected, rtol=1e-9, atol=1e-12)
    # the raw factors alone would threshold differently: the rescaling matters here
    raw_answer = _soft(z, alpha * l1_ratio * RAW) / (1 + alpha * (1 - l1_ratio) * RAW)
    assert np.max(np.abs(raw_answer - expected)) > 1e-2
    # only the ratios matter: any positive multiple gives the same fit
    scaled = rl.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, penalty_factor=9.5 * RAW,
                           fit_intercept=False, tol=1e-14, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(scaled.coef_, est.coef_, rtol=1e-12, atol=1e-14)


def test_enet_path_penalty_factor_is_glmnets():
    X, y = _orthonormal(60, 6, 1)
    lam = 0.3  # canonical lasso λ: (1/n)‖y − Xw‖² + λ Σ f̃|w| → w = S(z, λ f̃ / 2)
    path = rl.enet_path(X, y, mix=1.0, lambdas=np.array([lam]), penalty_factor=RAW,
                        fit_intercept=False, tol=1e-14, max_iter=100_000)
    ft = RAW * 6 / RAW.sum()
    np.testing.assert_allclose(path.coefs[0], _soft(X.T @ y / 60, lam * ft / 2), rtol=1e-9,
                               atol=1e-12)


# ---------------------------------------------------------------------------------------------
# converters: formulas
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("family", "kappa"), [("gaussian", 2.0), ("poisson", 2.0),
                                               ("binomial", 1.0), ("multinomial", 1.0)])
def test_family_formulas_and_round_trip(family, kappa):
    lg, a = np.array([0.01, 0.3, 2.0]), np.array([0.0, 0.4, 1.0])
    lam, mix = cv.canonical_from_glmnet(lg, a, family=family)
    np.testing.assert_allclose(lam, kappa * lg * (1 + a) / 2, rtol=1e-15)
    np.testing.assert_allclose(mix, 2 * a / (1 + a), rtol=1e-15)
    lg2, a2 = cv.glmnet_from_canonical(lam, mix, family=family)
    np.testing.assert_allclose(lg2, lg, rtol=1e-14)
    np.testing.assert_allclose(a2, a, rtol=1e-14, atol=1e-16)
    assert cv.canonical_from_glmnet_enet(0.3, 0.4, family=family) == \
        cv.canonical_from_glmnet(0.3, 0.4, family=family)
    assert cv.lambda_from_glmnet(0.3, family=family) == pytest.approx(kappa * 0.15, rel=1e-15)


def test_issue_formulas():
    # binomial: λ = λ_g(1+a)/2, mix = 2a/(1+a); Poisson: λ = λ_g(1+a)
    assert cv.canonical_from_glmnet(0.2, 0.5, family="binomial") == \
        pytest.approx((0.15, 2 / 3), rel=1e-15)
    assert cv.canonical_from_glmnet(0.2, 0.5, family="poisson") == \
        pytest.approx((0.3, 2 / 3), rel=1e-15)
    # the gaussian default is unchanged
    assert cv.canonical_from_glmnet_enet(0.2, 0.5) == pytest.approx((0.3, 2 / 3), rel=1e-15)


def test_sd_y_round_trip_and_reduction():
    lam, mix = cv.canonical_from_glmnet(0.2, 0.5, family="gaussian", sd_y=1.0)
    assert (lam, mix) == pytest.approx((0.3, 2 / 3), rel=1e-15)
    lam, mix = cv.canonical_from_glmnet(0.2, 0.5, family="gaussian", sd_y=4.0)
    # λ·mix = 2 λ_g a, λ(1 − mix) = λ_g (1 − a) / sd_y
    assert lam * mix == pytest.approx(0.2, rel=1e-14)
    assert lam * (1 - mix) == pytest.approx(0.2 * 0.5 / 4.0, rel=1e-14)
    assert cv.glmnet_from_canonical(lam, mix, family="gaussian", sd_y=4.0) == \
        pytest.approx((0.2, 0.5), rel=1e-14)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: cv.canonical_from_glmnet(0.1, 0.5, family="gamma"), "unknown glmnet family"),
        (lambda: cv.canonical_from_glmnet(0.1, 0.5, family=None), "unknown glmnet family"),
        (lambda: cv.glmnet_from_canonical(0.1, 0.5, family="cox"), "unknown glmnet family"),
        (lambda: cv.canonical_from_glmnet(0.1, 0.5, family="binomial", sd_y=2.0),
         "sd_y applies to family='gaussian' only"),
        (lambda: cv.canonical_from_glmnet(0.1, 0.5, family="gaussian", sd_y=0.0),
         "sd_y must be strictly positive"),
        (lambda: cv.canonical_from_glmnet_enet(0.1, 0.5, family="Binomial"),
         "unknown glmnet family"),
        (lambda: cv.canonical_from_glmnet(-0.1, 0.5, family="poisson"),
         "lambda_g must be non-negative"),
        (lambda: cv.convert(1.0, from_="glmnet_binomial", to="canonical"),
         r"canonical_from_glmnet\(\.\.\., family='binomial'\)"),
        (lambda: cv.convert(1.0, from_="canonical", to="glmnet_poisson"),
         r"glmnet_from_canonical\(\.\.\., family='poisson'\)"),
    ],
)
def test_converter_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_family_is_required():
    with pytest.raises(TypeError):
        cv.canonical_from_glmnet(0.1, 0.5)  # no family: refused, never assumed


# ---------------------------------------------------------------------------------------------
# converters: the canonical solution minimizes glmnet's objective
# ---------------------------------------------------------------------------------------------


def _glmnet_direct(data_term, lg: float, a: float, l2_scale: float = 1.0):
    """argmin of data_term(β, b) + λ_g(a‖β‖₁ + (1−a)/(2·l2_scale)‖β‖²), by L-BFGS-B on
    β = u − v (u, v ≥ 0) and a free intercept block."""
    nb, m = data_term.n_intercept, data_term.n_coef

    def f(z):
        u, v, b = z[:m], z[m:2 * m], z[2 * m:]
        beta = u - v
        val, g_beta, g_b = data_term(beta, b)
        pen = lg * (a * (u + v).sum() + (1 - a) / (2 * l2_scale) * beta @ beta)
        gb = lg * (1 - a) / l2_scale * beta
        return val + pen, np.concatenate([g_beta + gb + lg * a, -g_beta - gb + lg * a, g_b])

    bounds = [(0, None)] * (2 * m) + [(None, None)] * nb
    res = minimize(f, np.zeros(2 * m + nb), jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"ftol": 1e-16, "gtol": 1e-13, "maxiter": 50_000, "maxcor": 30})
    z = res.x
    return z[:m] - z[m:2 * m], z[2 * m:], res.fun


class _Binomial:
    def __init__(self, X, y, s):
        self.X, self.y, self.w = X, y, s / s.sum()
        self.n_coef, self.n_intercept = X.shape[1], 1

    def __call__(self, beta, b):
        eta = self.X @ beta + b[0]
        val = self.w @ (np.logaddexp(0, eta) - self.y * eta)
        r = self.w * (1 / (1 + np.exp(-eta)) - self.y)
        return val, self.X.T @ r, np.array([r.sum()])


class _Poisson:
    def __init__(self, X, y, s):
        self.X, self.y, self.w = X, y, s / s.sum()
        self.n_coef, self.n_intercept = X.shape[1], 1

    def __call__(self, beta, b):
        eta = self.X @ beta + b[0]
        mu = np.exp(eta)
        val = self.w @ (mu - self.y * eta)  # −log-likelihood / n_w, up to a constant
        r = self.w * (mu - self.y)
        return val, self.X.T @ r, np.array([r.sum()])


class _Multinomial:
    def __init__(self, X, codes, s, K):
        self.X, self.Y, self.w, self.K = X, np.eye(K)[codes], s / s.sum(), K
        self.p = X.shape[1]
        self.n_coef, self.n_intercept = self.p * K, K

    def __call__(self, beta, b):
        B = beta.reshape(self.p, self.K)
        eta = self.X @ B + b
        val = self.w @ (logsumexp(eta, axis=1) - (self.Y * eta).sum(axis=1))
        P = np.exp(eta - logsumexp(eta, axis=1, keepdims=True))
        R = self.w[:, None] * (P - self.Y)
        return val, (self.X.T @ R).ravel(), R.sum(axis=0)


def _data(seed, n=70, p=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    s = rng.uniform(0.5, 2.0, n)
    return rng, X, s


@pytest.mark.parametrize(("lg", "a"), [(0.02, 1.0), (0.05, 0.4)])
def test_binomial_converter_matches_glmnets_objective(lg, a):
    rng, X, s = _data(3)
    y = (X @ np.array([1.0, -1.0, 0.5, 0.0]) + rng.logistic(size=70) > 0).astype(float)
    beta, b, _ = _glmnet_direct(_Binomial(X, y, s), lg, a)
    lam, mix = cv.canonical_from_glmnet(lg, a, family="binomial")
    path = logistic_path(LogisticL1Problem(X, y, s, True), ElasticNetPenalty.make(mix, 4),
                         np.array([lam]), tol=1e-12, max_iter=100)
    np.testing.assert_allclose(path.coefs[0], beta, atol=2e-6)
    assert path.intercepts[0] == pytest.approx(b[0], abs=2e-6)
    # the gaussian conversion would be a different problem
    lam_g = cv.canonical_from_glmnet(lg, a, family="gaussian")[0]
    assert lam_g == pytest.approx(2 * lam, rel=1e-14)


@pytest.mark.parametrize(("lg", "a"), [(0.03, 1.0), (0.08, 0.3)])
def test_poisson_converter_matches_glmnets_objective(lg, a):
    rng, X, s = _data(4)
    y = rng.poisson(np.exp(0.3 + X @ np.array([0.5, -0.4, 0.0, 0.2]))).astype(float)
    beta, b, _ = _glmnet_direct(_Poisson(X, y, s), lg, a)
    lam, mix = cv.canonical_from_glmnet(lg, a, family="poisson")
    path = logistic_path(PoissonL1Problem(X, y, s, True), ElasticNetPenalty.make(mix, 4),
                         np.array([lam]), tol=1e-12, max_iter=100)
    np.testing.assert_allclose(path.coefs[0], beta, atol=2e-6)
    assert path.intercepts[0] == pytest.approx(b[0], abs=2e-6)
    # PoissonRegressor(alpha=λ_g, l1_ratio=a) is glmnet's / glum's Poisson convention
    est = rl.PoissonRegressor(alpha=lg, l1_ratio=a, tol=1e-12).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(est.coef_, beta, atol=2e-6)
    assert est.lambda_ == pytest.approx(lam, rel=1e-14)


def test_multinomial_converter_matches_glmnets_objective():
    rng, X, s = _data(5, n=60, p=3)
    codes = rng.integers(0, 3, 60)
    codes[:3] = [0, 1, 2]
    X[codes == 1, 0] += 1.0
    lg, a = 0.03, 0.5
    beta, _, fun = _glmnet_direct(_Multinomial(X, codes, s, 3), lg, a)
    lam, mix = cv.canonical_from_glmnet(lg, a, family="multinomial")
    path = multinomial_path(MultinomialL1Problem(X, codes, s, True),
                            ElasticNetPenalty.make(mix, 3), np.array([lam]), grouped=False,
                            tol=1e-12, max_iter=100)
    # the ridge part makes the solution unique up to a common shift of the intercepts
    np.testing.assert_allclose(path.coefs[0], beta.reshape(3, 3), atol=3e-6)
    assert path.objectives[0] == pytest.approx(fun, rel=1e-9)  # κ = 1: the same objective


@pytest.mark.parametrize("a", [1.0, 0.5, 0.0])
def test_gaussian_sd_y_matches_r_glmnets_procedure(a):
    """R glmnet: ỹ = y/sd_y, solve the documented objective on ỹ at λ_g/sd_y, β = sd_y·β̃."""
    rng, X, s = _data(6, n=80, p=5)
    y = 3.0 * (X @ np.array([1.0, 0.0, -0.5, 0.2, 0.0])) + 2.0 * rng.normal(size=80) + 4.0
    w = s / s.sum()
    sd_y = float(np.sqrt(w @ (y - w @ y) ** 2))
    lg = 0.3
    # glmnet's documented gaussian objective is ElasticNet(alpha=λ_g, l1_ratio=a)
    inner = rl.ElasticNet(alpha=lg / sd_y, l1_ratio=a, tol=1e-14, max_iter=100_000).fit(
        X, y / sd_y, sample_weight=s)
    r_glmnet = sd_y * inner.coef_
    lam, mix = cv.canonical_from_glmnet(lg, a, family="gaussian", sd_y=sd_y)
    alpha2, l12 = cv.sklearn_enet_from_canonical(lam, mix)
    ours = rl.ElasticNet(alpha=alpha2, l1_ratio=l12, tol=1e-14, max_iter=100_000).fit(
        X, y, sample_weight=s)
    np.testing.assert_allclose(ours.coef_, r_glmnet, rtol=1e-7, atol=1e-9)
    if a < 1:  # without sd_y the L2 part would be off by the factor sd_y
        plain = rl.ElasticNet(alpha=lg, l1_ratio=a, tol=1e-14, max_iter=100_000).fit(
            X, y, sample_weight=s)
        assert np.max(np.abs(plain.coef_ - r_glmnet)) > 1e-3
