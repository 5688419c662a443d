"""The Laplace evidence of L2 logistic and Poisson regression (selection/glm_evidence.py)."""

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import expit, softmax

from ridgeline import LogisticRegression, LogisticRegressionCV
from ridgeline.losses import BinomialLoss, MultinomialLoss
from ridgeline.selection.glm_evidence import glm_evidence_path, poisson_evidence
from ridgeline.solvers.problem import GLMProblem


def _binary(n=300, p=4, seed=0, intercept=0.4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    w = np.linspace(1.0, -0.5, p)
    y = (rng.random(n) < expit(X @ w + intercept)).astype(float)
    return X, y


def _by_hand(X, Xt_blocks, s, lam, W, n_w, loglik, kappa, m_b, U=None):
    """log Z from an explicitly built posterior Hessian of E = −log L + (α/2)‖w‖²."""
    d = W.size
    alpha = 2.0 * kappa * n_w * lam
    H = Xt_blocks.copy()
    H[:d, :d] += alpha * np.eye(d)
    if U is not None:  # the softmax intercepts on their sum-zero subspace
        T = np.zeros((H.shape[0], d + U.shape[1]))
        T[:d, :d] = np.eye(d)
        T[d:, d:] = U
        H = T.T @ H @ T
    sign, logdet = np.linalg.slogdet(H)
    assert sign > 0
    log_z = (loglik - 0.5 * alpha * np.sum(W**2) + 0.5 * d * np.log(alpha) - 0.5 * logdet
             + 0.5 * m_b * np.log(2 * np.pi))
    return log_z, logdet


def test_binary_matches_explicit_hessian_and_bernoulli_likelihood():
    X, y = _binary()
    s = np.random.default_rng(1).uniform(0.5, 2.0, y.size)
    lam = 0.01
    ev = glm_evidence_path(GLMProblem.from_arrays(X, y, s, BinomialLoss()), [lam], tol=1e-12)
    w, b = ev.path.coef[0, 0, :, 0], ev.path.intercept[0, 0, 0]
    prob = expit(X @ w + b)
    loglik = float(s @ stats.bernoulli.logpmf(y, prob))
    Xt = np.column_stack([X, np.ones(y.size)])
    H = (Xt * (s * prob * (1 - prob))[:, None]).T @ Xt
    log_z, logdet = _by_hand(X, H, s, lam, w, s.sum(), loglik, 1.0, 1)
    assert ev.log_likelihood[0] == pytest.approx(loglik, rel=1e-10)
    assert ev.log_det[0] == pytest.approx(logdet, rel=1e-10)
    assert ev.log_evidence[0] == pytest.approx(log_z, rel=1e-10)


def test_poisson_matches_explicit_hessian_and_poisson_pmf():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(250, 3))
    y = rng.poisson(np.exp(0.4 * X[:, 0] - 0.3 * X[:, 2] + 0.5)).astype(float)
    lam = 0.02
    ev = poisson_evidence(X, y, [lam], tol=1e-12)
    w, b = ev.path.coef[0, 0, :, 0], ev.path.intercept[0, 0, 0]
    mu = np.exp(X @ w + b)
    loglik = float(np.sum(stats.poisson.logpmf(y, mu)))  # log y! included
    Xt = np.column_stack([X, np.ones(y.size)])
    H = (Xt * mu[:, None]).T @ Xt  # Hessian of the NLL (half the deviance's)
    log_z, logdet = _by_hand(X, H, None, lam, w, float(y.size), loglik, 0.5, 1)
    assert ev.log_likelihood[0] == pytest.approx(loglik, rel=1e-10)
    assert ev.log_det[0] == pytest.approx(logdet, rel=1e-10)
    assert ev.log_evidence[0] == pytest.approx(log_z, rel=1e-10)


def test_multinomial_integrates_the_intercepts_on_their_sum_zero_subspace():
    rng = np.random.default_rng(3)
    n, p, K = 240, 3, 3
    X = rng.normal(size=(n, p))
    codes = np.argmax(X @ rng.normal(size=(p, K)) + rng.gumbel(size=(n, K)), axis=1)
    lam = 0.005
    problem = GLMProblem.from_arrays(X, codes.astype(float), np.ones(n), MultinomialLoss(),
                                     n_classes=K)
    ev = glm_evidence_path(problem, [lam], tol=1e-12)
    W, b = ev.path.coef[0, 0], ev.path.intercept[0, 0]
    P = softmax(X @ W + b, axis=1)
    loglik = float(np.sum(np.log(P[np.arange(n), codes])))
    Xt = np.column_stack([X, np.ones(n)])
    H = sum(np.kron(np.outer(Xt[i], Xt[i]), np.diag(P[i]) - np.outer(P[i], P[i]))
            for i in range(n))  # (p + 1)·K square, W row-major then b
    U = np.linalg.svd(np.eye(K) - 1.0 / K)[0][:, :K - 1]  # basis of 1^⊥
    log_z, logdet = _by_hand(X, H, None, lam, W, float(n), loglik, 1.0, K - 1, U=U)
    assert ev.log_det[0] == pytest.approx(logdet, rel=1e-9)
    assert ev.log_evidence[0] == pytest.approx(log_z, rel=1e-9)
    T = np.zeros((H.shape[0], p * K + K - 1))
    T[:p * K, :p * K], T[p * K:, p * K:] = np.eye(p * K), U
    Hr = T.T @ H @ T  # the loss Hessian on the identified parameters
    prior = np.diag(np.r_[np.full(p * K, 2 * n * lam), np.zeros(K - 1)])
    assert ev.dof[0] == pytest.approx(np.trace(np.linalg.solve(Hr + prior, Hr)), rel=1e-9)


# Laplace vs numerical integration. The Laplace error of log Z is O(1/n) (third and fourth
# derivatives of the log posterior over n rows): at n = 200 it is ~5e-3 here, so a 2%
# tolerance on Z (|Δ log Z| < 0.02) holds with room and would catch any wrong constant
# (a missing ½ log 2π is 0.92, a factor 2 in α is 0.35).
_N = 200


def test_one_parameter_binary_evidence_matches_quadrature():
    rng = np.random.default_rng(1)
    x = rng.normal(size=_N)
    y = (rng.random(_N) < expit(0.8 * x)).astype(float)
    lam = 0.01
    alpha = 2 * _N * lam  # the Gaussian prior's precision
    problem = GLMProblem.from_arrays(x[:, None], y, np.ones(_N), BinomialLoss(), False)
    ev = glm_evidence_path(problem, [lam])
    w0 = ev.path.coef[0, 0, 0, 0]

    def energy(w):
        return np.sum(np.logaddexp(0, w * x) - y * w * x) + 0.5 * alpha * w * w

    c = energy(w0)
    z, _ = integrate.quad(lambda w: np.exp(c - energy(w)) * np.sqrt(alpha / (2 * np.pi)),
                          w0 - 2, w0 + 2, points=[w0])
    assert abs(ev.log_evidence[0] - (np.log(z) - c)) < 0.02


def test_poisson_evidence_with_intercept_matches_two_dimensional_quadrature():
    rng = np.random.default_rng(4)
    x = rng.normal(size=_N)
    y = rng.poisson(np.exp(0.5 * x + 0.3)).astype(float)
    lam = 0.05
    alpha = _N * lam  # Poisson: the deviance is twice the NLL, so α = n_w λ
    ev = poisson_evidence(x[:, None], y, [lam])
    w0, b0 = ev.path.coef[0, 0, 0, 0], ev.path.intercept[0, 0, 0]
    logfact = float(np.sum(stats.poisson.logpmf(y, 1.0)) + _N)  # −Σ log y!

    def energy(b, w):
        eta = w * x + b
        return np.sum(np.exp(eta) - y * eta) - logfact + 0.5 * alpha * w * w

    c = energy(b0, w0)
    z, _ = integrate.dblquad(lambda b, w: np.exp(c - energy(b, w)) * np.sqrt(alpha / 2 / np.pi),
                             w0 - 1, w0 + 1, b0 - 1, b0 + 1)
    # the flat intercept prior (unit density) leaves exactly the ½ log 2π the module documents
    assert abs(ev.log_evidence[0] - (np.log(z) - c)) < 0.02


def test_logistic_cv_evidence_picks_the_grid_best_and_needs_no_refit():
    X, y = _binary(n=200, p=6, seed=5)
    Cs = np.logspace(-3, 2, 11)
    m = LogisticRegressionCV(method="evidence", Cs=Cs).fit(X, y)
    curve = m.scores_[0, 0]
    assert m.scores_.shape == (1, 1, 11)
    assert Cs[int(np.argmax(curve))] == m.C_
    assert m.cv_result_.method == "evidence" and m.cv_result_.scoring == "log_evidence"
    problem = GLMProblem.from_arrays(X, y, np.ones(y.size), BinomialLoss())
    ev = glm_evidence_path(problem, 1.0 / (2.0 * Cs * y.size))
    np.testing.assert_allclose(curve, ev.log_evidence, rtol=1e-8)
    ref = LogisticRegression(C=m.C_).fit(X, y)
    np.testing.assert_allclose(m.coef_, ref.coef_, atol=1e-6)


def test_logistic_cv_evidence_takes_scoring_none_as_no_scorer():
    X, y = _binary(n=200, p=6, seed=5)
    Cs = np.logspace(-3, 2, 11)
    a = LogisticRegressionCV(method="evidence", Cs=Cs).fit(X, y)
    b = LogisticRegressionCV(method="evidence", Cs=Cs, scoring=None).fit(X, y)
    assert b.C_ == a.C_
    np.testing.assert_array_equal(b.scores_, a.scores_)


def test_logistic_cv_evidence_multinomial_curve_has_an_interior_best():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(300, 4))
    y = np.argmax(X[:, :3] * 0.7 + rng.gumbel(size=(300, 3)), axis=1)
    m = LogisticRegressionCV(method="evidence", Cs=np.logspace(-3, 3, 13)).fit(X, y)
    i = int(np.argmax(m.scores_[0, 0]))
    assert 0 < i < 12 and np.logspace(-3, 3, 13)[i] == m.C_
    assert m.coef_.shape == (3, 4)


@pytest.mark.parametrize(("kw", "words"), [
    ({"scoring": "accuracy"}, "scoring='accuracy' does not apply"),
    ({"rule": "1se"}, "no standard error for rule='1se'"),
    ({"solver": "lbfgs"}, "method='evidence' needs the Newton solver's Hessian"),
    ({"Cs": [1.0, np.inf]}, "needs a non-empty grid of finite λ > 0"),
])
def test_logistic_cv_evidence_refuses_bad_settings(kw, words):
    X, y = _binary(n=60)
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        LogisticRegressionCV(method="evidence", **kw).fit(X, y)


def test_method_name_is_checked():
    X, y = _binary(n=60)
    with pytest.raises(ValueError, match="method must be 'kfold', 'alo' or 'evidence'"):
        LogisticRegressionCV(method="bayes").fit(X, y)


def test_poisson_evidence_refuses_bad_input():
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = np.arange(30.0)
    with pytest.raises(ValueError, match="1 value\\(s\\) of y are negative"):
        poisson_evidence(X, np.r_[-1.0, y[1:]], [0.1])
    with pytest.raises(ValueError, match="all zero"):
        poisson_evidence(X, np.zeros(30), [0.1])
    with pytest.raises(ValueError, match=r"finite λ > 0 \(C < inf\), got \[0.0\]"):
        poisson_evidence(X, y, [0.0])
    with pytest.raises(ValueError, match="one count per sample"):
        poisson_evidence(X, np.ones((30, 2)), [0.1])


def test_poisson_evidence_default_grid_reports_its_best():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(200, 5))
    y = rng.poisson(np.exp(0.3 * X[:, 0])).astype(float)
    ev = poisson_evidence(X, y, n_lambdas=8)
    assert ev.lambdas.size == 8 and ev.family == "poisson"
    assert ev.lambda_ == ev.lambdas[int(np.argmax(ev.log_evidence))]
    assert ev.log_evidence_ == ev.log_evidence.max()
    assert np.all(ev.dof <= 6.0) and np.all(ev.dof > 1.0)


def test_poisson_regressor_cv_evidence_equals_the_plain_function():
    from ridgeline import PoissonRegressorCV

    rng = np.random.default_rng(8)
    X = rng.normal(size=(250, 4))
    y = rng.poisson(np.exp(0.4 * X[:, 0] + 0.1)).astype(float)
    grid = np.logspace(-4, 0, 9)
    m = PoissonRegressorCV(method="evidence", alphas=grid).fit(X, y)
    ev = poisson_evidence(X, y, grid)
    assert m.alpha_ == ev.lambda_
    np.testing.assert_allclose(m.scores_[0], ev.log_evidence[::-1], rtol=1e-8)  # strongest first
    with pytest.raises(ValueError, match="takes no scoring and rule='min' only"):
        PoissonRegressorCV(method="evidence", rule="1se").fit(X, y)
