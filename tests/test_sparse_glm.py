"""L1 / elastic-net Poisson and multinomial logistic regression, and ``standardize=`` for them.

Every solution is checked against a generic convex solver on a small problem — L-BFGS-B on
the smooth reformulation ``w = u − v`` (``u, v ≥ 0``) of the canonical objective, or CVXPY
(Clarabel) for the grouped multinomial penalty — to ~1e-9 relative in the objective, and by
its KKT residual computed here from scratch. scikit-learn's saga is a second check of the
ungrouped multinomial model. ``standardize=True`` must equal dividing the columns by their
weighted standard deviations by hand and the coefficients afterwards.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax, xlogy

import ridgeline as rl
from ridgeline.path.glm_sparse_path import multinomial_lambda_max, multinomial_path
from ridgeline.path.sparse_path import logistic_lambda_max, logistic_path
from ridgeline.penalties import ElasticNetPenalty
from ridgeline.solvers.prox_newton import PoissonL1Problem
from ridgeline.solvers.prox_newton_multinomial import MultinomialL1Problem

# ---------------------------------------------------------------------------------------------
# references
# ---------------------------------------------------------------------------------------------


def _poisson_parts(X, y, s, w, b):
    eta = X @ w + b
    mu = np.exp(eta)
    val = s @ (2 * (xlogy(y, y) - y * eta - y + mu)) / s.sum()
    r = 2 * s * (mu - y) / s.sum()
    return val, X.T @ r, np.array([r.sum()])


def _multinomial_parts(X, Y, s, W, b):
    eta = X @ W + b
    val = s @ (logsumexp(eta, axis=1) - (Y * eta).sum(axis=1)) / s.sum()
    R = s[:, None] * (softmax(eta, axis=1) - Y) / s.sum()
    return val, X.T @ R, R.sum(axis=0)


def _split_lbfgs(parts, shape, n_b, c1, c2, fit_intercept=True):
    """min parts(W, b) + Σ c1|W| + Σ c2 W² over W = u − v, u, v ≥ 0 (c1, c2 broadcast to W)."""
    m = int(np.prod(shape))
    c1, c2 = np.broadcast_to(c1, shape).ravel(), np.broadcast_to(c2, shape).ravel()

    def f(z):
        u, v = z[:m], z[m:2 * m]
        b = z[2 * m:] if fit_intercept else np.zeros(n_b)
        W = (u - v).reshape(shape)
        val, gW, gb = parts(W, b)
        d = u - v
        gw = gW.ravel() + 2 * c2 * d
        grad = np.concatenate([gw + c1, -gw + c1] + ([gb] if fit_intercept else []))
        return val + c1 @ (u + v) + c2 @ (d * d), grad

    n_free = n_b if fit_intercept else 0
    res = minimize(f, np.zeros(2 * m + n_free), jac=True, method="L-BFGS-B",
                   bounds=[(0, None)] * (2 * m) + [(None, None)] * n_free,
                   options={"ftol": 1e-16, "gtol": 1e-13, "maxiter": 50_000, "maxcor": 30})
    return res.fun


def _kkt(W, G, c1, c2, grouped=False):
    """Largest distance of −(G + 2c2 W) from c1·∂N(W) (per entry, or per row if grouped)."""
    g = G + 2 * c2 * W
    if grouped:
        out = []
        for j in range(W.shape[0]):
            nrm = np.linalg.norm(W[j])
            out.append(np.linalg.norm(g[j] + c1[j] * W[j] / nrm) if nrm > 0
                       else max(np.linalg.norm(g[j]) - c1[j], 0.0))
        return max(out)
    c1 = np.broadcast_to(c1, W.shape)
    res = np.where(W != 0, np.abs(g + c1 * np.sign(W)), np.maximum(np.abs(g) - c1, 0.0))
    return float(res.max())


def _poisson_data(seed, n=90, p=6):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    beta = np.r_[0.6, -0.4, 0.0, 0.3, np.zeros(p)][:p]
    y = rng.poisson(np.exp(0.4 + X @ beta)).astype(float)
    return X, y, rng.uniform(0.5, 2.0, n)


def _multi_data(seed, n=80, p=5, K=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    B = rng.normal(size=(p, K)) * np.r_[1.5, 1.0, 0.0, 0.5, np.zeros(p)][:p, None]
    codes = np.array([rng.choice(K, p=pr) for pr in softmax(X @ B, axis=1)])
    codes[:K] = np.arange(K)
    return X, codes, rng.uniform(0.5, 2.0, n)


# ---------------------------------------------------------------------------------------------
# Poisson
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mix", "free", "fit_intercept"),
                         [(1.0, False, True), (0.6, True, True), (1.0, True, False)])
def test_poisson_l1_matches_a_generic_solver(mix, free, fit_intercept):
    X, y, s = _poisson_data(1)
    f = np.ones(6)
    if free:
        f[5] = 0.0
    pen = ElasticNetPenalty.make(mix, 6, f)
    problem = PoissonL1Problem(X, y, s, fit_intercept)
    lam = 0.3 * logistic_lambda_max(problem, pen)
    path = logistic_path(problem, pen, np.array([lam]), tol=1e-12, max_iter=100)
    w, b = path.coefs[0], path.intercepts[0]
    assert path.converged[0] and 0 < np.count_nonzero(w) < 6
    c1, c2 = lam * mix * pen.factors, lam * (1 - mix) * pen.factors
    val, g, gb = _poisson_parts(X, y, s, w, b)
    obj = val + c1 @ np.abs(w) + c2 @ (w * w)
    assert path.objectives[0] == pytest.approx(obj, rel=1e-12)
    kkt = max(_kkt(w[:, None], g[:, None], c1[:, None], c2[:, None]),
              abs(gb[0]) if fit_intercept else 0.0)
    assert kkt <= 1.01 * path.certificate_tols[0] + 1e-14
    ref = _split_lbfgs(lambda W, b0: _poisson_parts(X, y, s, W[:, 0], b0[0]), (6, 1), 1,
                       c1[:, None], c2[:, None], fit_intercept)
    assert obj <= ref * (1 + 1e-12)
    assert obj == pytest.approx(ref, rel=1e-9)


def test_poisson_lambda_max_is_exact():
    X, y, s = _poisson_data(2)
    pen = ElasticNetPenalty.make(1.0, 6)
    problem = PoissonL1Problem(X, y, s, True)
    lam_max = logistic_lambda_max(problem, pen)
    path = logistic_path(problem, pen, np.array([lam_max, lam_max * (1 - 1e-6)]), tol=1e-10,
                         max_iter=100)
    assert np.all(path.coefs[0] == 0.0)
    assert path.intercepts[0] == pytest.approx(np.log(s @ y / s.sum()), rel=1e-10)
    assert np.count_nonzero(path.coefs[1]) == 1


def test_poisson_regressor_l1_ratio():
    X, y, s = _poisson_data(3)
    alpha, rho = 0.05, 0.5
    est = rl.PoissonRegressor(alpha=alpha, l1_ratio=rho, tol=1e-12).fit(X, y, sample_weight=s)
    assert est.lambda_ == pytest.approx(alpha * (1 + rho), rel=1e-15)
    assert est.solver_ == "prox-newton" and est.grad_norm_ < 1e-9
    pen = ElasticNetPenalty.make(2 * rho / (1 + rho), 6)
    path = logistic_path(PoissonL1Problem(X, y, s, True), pen, np.array([est.lambda_]),
                         tol=1e-12, max_iter=100)
    np.testing.assert_allclose(est.coef_, path.coefs[0], rtol=1e-10, atol=1e-12)
    # sparse X gives the same model; l1_ratio=0 is still the L2 model
    sparse = rl.PoissonRegressor(alpha=alpha, l1_ratio=rho, tol=1e-12).fit(
        sp.csr_matrix(X), y, sample_weight=s)
    np.testing.assert_allclose(sparse.coef_, est.coef_, rtol=1e-8, atol=1e-10)
    l2 = rl.PoissonRegressor(alpha=alpha, l1_ratio=0.0).fit(X, y)
    np.testing.assert_allclose(l2.coef_, rl.PoissonRegressor(alpha=alpha).fit(X, y).coef_,
                               rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# multinomial
# ---------------------------------------------------------------------------------------------


def _multinomial_fit(X, codes, s, lam, mix, grouped, f=None, fit_intercept=True):
    p = X.shape[1]
    pen = ElasticNetPenalty.make(mix, p, f)
    problem = MultinomialL1Problem(X, codes, s, fit_intercept, 3)
    path = multinomial_path(problem, pen, np.array([lam]), grouped=grouped, tol=1e-12,
                            max_iter=100)
    return path, pen, problem


@pytest.mark.parametrize(("mix", "free", "fit_intercept"),
                         [(1.0, False, True), (0.5, True, True), (0.8, False, False)])
def test_multinomial_ungrouped_matches_a_generic_solver(mix, free, fit_intercept):
    X, codes, s = _multi_data(4)
    f = np.r_[np.ones(4), 0.0] if free else None
    path, pen, problem = _multinomial_fit(X, codes, s, 0.04, mix, False, f, fit_intercept)
    W, b = path.coefs[0], path.intercepts[0]
    assert path.converged[0] and 0 < np.count_nonzero(W) < W.size
    c1, c2 = (0.04 * mix * pen.factors)[:, None], (0.04 * (1 - mix) * pen.factors)[:, None]
    val, G, gb = _multinomial_parts(X, problem.Y, s, W, b)
    obj = val + np.sum(c1 * np.abs(W)) + np.sum(c2 * W * W)
    assert path.objectives[0] == pytest.approx(obj, rel=1e-12)
    kkt = max(_kkt(W, G, c1, c2), np.abs(gb).max() if fit_intercept else 0.0)
    assert kkt <= 1.01 * path.certificate_tols[0] + 1e-14
    ref = _split_lbfgs(lambda W_, b_: _multinomial_parts(X, problem.Y, s, W_, b_), W.shape, 3,
                       c1, c2, fit_intercept)
    assert obj <= ref * (1 + 1e-12)
    assert obj == pytest.approx(ref, rel=1e-9)


def _cvxpy_grouped(X, Y, s, c1, c2):
    cp = pytest.importorskip("cvxpy")
    n, p = X.shape
    K = Y.shape[1]
    W, b = cp.Variable((p, K)), cp.Variable((1, K))
    eta = X @ W + np.ones((n, 1)) @ b
    w = s / s.sum()
    loss = w @ cp.log_sum_exp(eta, axis=1) - cp.sum(cp.multiply(w[:, None] * Y, eta))
    pen = sum(c1[j] * cp.norm(W[j, :], 2) + c2[j] * cp.sum_squares(W[j, :]) for j in range(p))
    prob = cp.Problem(cp.Minimize(loss + pen))
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    return prob.value


@pytest.mark.parametrize(("lam", "mix", "free"), [(0.05, 1.0, False), (0.15, 0.5, True)])
def test_multinomial_grouped_matches_cvxpy(lam, mix, free):
    X, codes, s = _multi_data(5)
    f = np.r_[np.ones(4), 0.0] if free else None
    path, pen, problem = _multinomial_fit(X, codes, s, lam, mix, True, f)
    W, b = path.coefs[0], path.intercepts[0]
    rows = np.any(W != 0, axis=1) & (pen.factors > 0)
    assert path.converged[0] and 0 < rows.sum() < np.count_nonzero(pen.factors)
    assert np.all(np.all(W[rows] != 0, axis=1))  # a selected feature enters for every class
    if free:  # an unpenalized feature is reported with centered class coefficients
        assert np.sum(W[4]) == pytest.approx(0.0, abs=1e-12) and np.all(W[4] != 0)
    c1, c2 = lam * mix * pen.factors, lam * (1 - mix) * pen.factors
    val, G, gb = _multinomial_parts(X, problem.Y, s, W, b)
    obj = val + c1 @ np.linalg.norm(W, axis=1) + c2 @ np.sum(W * W, axis=1)
    assert path.objectives[0] == pytest.approx(obj, rel=1e-12)
    kkt = max(_kkt(W, G, c1, c2[:, None], grouped=True), np.abs(gb).max())
    assert kkt <= 1.01 * path.certificate_tols[0] + 1e-14
    ref = _cvxpy_grouped(X, problem.Y, s, c1, c2)
    assert obj <= ref * (1 + 1e-9)
    assert obj == pytest.approx(ref, rel=1e-8)


@pytest.mark.parametrize("grouped", [False, True])
def test_multinomial_lambda_max_and_path(grouped):
    X, codes, s = _multi_data(6)
    pen = ElasticNetPenalty.make(1.0, 5)
    problem = MultinomialL1Problem(X, codes, s, True)
    lam_max = multinomial_lambda_max(problem, pen, grouped=grouped)
    lams = np.r_[lam_max * (1 - 1e-6), lam_max, lam_max * np.geomspace(0.5, 0.05, 4)]
    path = multinomial_path(problem, pen, lams, grouped=grouped, tol=1e-10, max_iter=100)
    assert path.converged.all() and np.all(path.certificates <= path.certificate_tols)
    assert np.all(path.coefs[1] == 0.0)
    freq = s @ problem.Y / s.sum()
    np.testing.assert_allclose(softmax(path.intercepts[1]), freq, rtol=1e-9)
    assert path.n_nonzero[0] == 1 and path.n_nonzero[-1] >= path.n_nonzero[2]
    for i, lam in enumerate(lams):  # each grid point is the solve from scratch
        alone = multinomial_path(problem, pen, np.array([lam]), grouped=grouped, tol=1e-10,
                                 max_iter=100)
        assert path.objectives[i] == pytest.approx(alone.objectives[0], rel=1e-10)


def test_multinomial_sparse_input_equals_dense():
    X, codes, s = _multi_data(7)
    X[np.abs(X) < 0.8] = 0.0
    dense, _, _ = _multinomial_fit(X, codes, s, 0.03, 0.7, False)
    sparse, _, _ = _multinomial_fit(sp.csr_matrix(X), codes, s, 0.03, 0.7, False)
    np.testing.assert_allclose(sparse.coefs, dense.coefs, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(("C", "l1_ratio"), [(0.3, 1.0), (0.1, 0.5)])
def test_multiclass_logistic_regression_matches_sklearn_saga(C, l1_ratio):
    from sklearn.linear_model import LogisticRegression as SkLogistic

    X, codes, _ = _multi_data(8, n=90, p=4)
    labels = np.array(["a", "b", "c"])[codes]
    ours = rl.LogisticRegression(C=C, l1_ratio=l1_ratio, tol=1e-12).fit(X, labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = SkLogistic(C=C, l1_ratio=l1_ratio, solver="saga", tol=1e-12,
                            max_iter=100_000).fit(X, labels)

    def objective(coef, inter):  # scikit-learn's: C Σ ℓ + ρ‖W‖₁ + ½(1−ρ)‖W‖²
        eta = X @ coef.T + inter
        Y = np.eye(3)[codes]
        return (C * np.sum(logsumexp(eta, axis=1) - (Y * eta).sum(axis=1))
                + l1_ratio * np.abs(coef).sum() + 0.5 * (1 - l1_ratio) * np.sum(coef ** 2))

    assert ours.coef_.shape == (3, 4) and ours.intercept_.shape == (3,)
    assert ours.solver_ == "prox-newton"
    assert ours.lambda_ == pytest.approx((1 + l1_ratio) / (2 * C * 90), rel=1e-14)
    o, t = objective(ours.coef_, ours.intercept_), objective(theirs.coef_, theirs.intercept_)
    assert o <= t * (1 + 1e-10)
    assert o == pytest.approx(t, rel=1e-7)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_grouped_multinomial_estimator():
    X, codes, _ = _multi_data(9, n=90, p=6)
    est = rl.LogisticRegression(C=0.05, l1_ratio=1.0, multinomial_penalty="grouped",
                                tol=1e-12).fit(X, codes)
    rows = np.any(est.coef_ != 0, axis=0)
    assert 0 < rows.sum() < 6 and np.all(est.coef_[:, rows] != 0)
    pen = ElasticNetPenalty.make(1.0, 6)
    path = multinomial_path(MultinomialL1Problem(X, codes, np.ones(90), True), pen,
                            np.array([est.lambda_]), grouped=True, tol=1e-12, max_iter=100)
    np.testing.assert_allclose(est.coef_, path.coefs[0].T, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# standardize=
# ---------------------------------------------------------------------------------------------


def _weighted_sd(X, s, center=True):
    w = s / s.sum()
    m = w @ X if center else np.zeros(X.shape[1])
    return np.sqrt(w @ (X - m) ** 2)


@pytest.mark.parametrize(("K", "kw"), [(2, {}), (3, {}), (3, {"multinomial_penalty": "grouped"}),
                                       (2, {"fit_intercept": False}), (3, {"l1_ratio": 0.0})])
def test_logistic_standardize_equals_scaling_by_hand(K, kw):
    X, codes, s = _multi_data(10, n=80, p=4, K=K)
    X = X * np.array([0.01, 1.0, 30.0, 4.0]) + np.array([5.0, 0.0, -2.0, 1.0])
    params = {"C": 0.5, "l1_ratio": 0.7, "tol": 1e-12, **kw}
    sd = _weighted_sd(X, s, params.get("fit_intercept", True))
    auto = rl.LogisticRegression(standardize=True, **params).fit(X, codes, sample_weight=s)
    hand = rl.LogisticRegression(**params).fit(X / sd, codes, sample_weight=s)
    np.testing.assert_allclose(auto.coef_, hand.coef_ / sd, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(auto.intercept_, hand.intercept_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(auto.predict_proba(X), hand.predict_proba(X / sd), rtol=1e-8)
    raw = rl.LogisticRegression(**params).fit(X, codes, sample_weight=s)
    assert np.max(np.abs(raw.coef_ - auto.coef_)) > 1e-3  # it does change the model


def test_standardize_sparse_and_poisson():
    X, y, s = _poisson_data(11)
    X = X * np.array([0.1, 1.0, 10.0, 2.0, 1.0, 0.5])
    X[np.abs(X) < 0.05] = 0.0
    sd = _weighted_sd(X, s)
    params = {"alpha": 0.03, "l1_ratio": 0.6, "tol": 1e-12}
    auto = rl.PoissonRegressor(standardize=True, **params).fit(X, y, sample_weight=s)
    hand = rl.PoissonRegressor(**params).fit(X / sd, y, sample_weight=s)
    np.testing.assert_allclose(auto.coef_, hand.coef_ / sd, rtol=1e-8, atol=1e-12)
    assert auto.intercept_ == pytest.approx(hand.intercept_, rel=1e-9)
    sparse = rl.PoissonRegressor(standardize=True, **params).fit(sp.csc_matrix(X), y,
                                                                 sample_weight=s)
    np.testing.assert_allclose(sparse.coef_, auto.coef_, rtol=1e-7, atol=1e-10)
    l2 = rl.PoissonRegressor(alpha=0.03, standardize=True).fit(X, y, sample_weight=s)
    l2_hand = rl.PoissonRegressor(alpha=0.03).fit(X / sd, y, sample_weight=s)
    np.testing.assert_allclose(l2.coef_, l2_hand.coef_ / sd, rtol=1e-8, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("est", "match"),
    [
        (rl.LogisticRegression(l1_ratio=1.0, multinomial_penalty="group"), "multinomial_penalty"),
        (rl.LogisticRegression(standardize="yes"), "standardize must be True or False"),
        (rl.PoissonRegressor(l1_ratio=1.5), r"l1_ratio must lie in \[0, 1\]"),
        (rl.PoissonRegressor(standardize=None), "standardize must be True or False"),
    ],
)
def test_bad_parameters(est, match):
    X, y, _ = _poisson_data(12, n=30, p=3)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)


def test_multinomial_class_without_weight_is_refused():
    X, codes, s = _multi_data(13, n=60, p=3)
    s[codes == 2] = 0.0
    with pytest.raises(ValueError, match="class 2 has zero total sample weight"):
        rl.LogisticRegression(l1_ratio=1.0).fit(X, codes, sample_weight=s)


# ---------------------------------------------------------------------------------------------
# LogisticRegressionCV with l1_ratios
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("K", [2, 3])
def test_logistic_cv_l1_matches_sklearn(K):
    from sklearn.linear_model import LogisticRegressionCV as SkCV
    from sklearn.model_selection import StratifiedKFold

    X, codes, _ = _multi_data(14, n=120, p=4, K=K)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    kw = {"Cs": [0.1, 1.0], "l1_ratios": [0.5, 1.0], "cv": cv, "scoring": "neg_log_loss"}
    ours = rl.LogisticRegressionCV(tol=1e-9, **kw).fit(X, codes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = SkCV(solver="saga", tol=1e-12, max_iter=100_000, use_legacy_attributes=False,
                      **kw).fit(X, codes)
    # each training fold is fit at the same C (scikit-learn's convention)
    np.testing.assert_allclose(ours.scores_, theirs.scores_, rtol=1e-6)
    assert (ours.C_, ours.l1_ratio_) == (theirs.C_, theirs.l1_ratio_)
    m = 1 if K == 2 else K
    # every l1 ratio's paths, as scikit-learn's (n_folds, n_l1_ratios, n_Cs, m, p + 1)
    assert ours.coefs_paths_.shape == theirs.coefs_paths_.shape == (3, 2, 2, m, 5)
    assert ours.coef_.shape == (m, 4)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)
    refit = rl.LogisticRegression(C=ours.C_, l1_ratio=ours.l1_ratio_, tol=1e-9).fit(X, codes)
    np.testing.assert_allclose(ours.coef_, refit.coef_, rtol=1e-10, atol=1e-13)
