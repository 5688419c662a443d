"""The sparse estimators and paths: Lasso, ElasticNet, their CV versions, GroupLasso(CV),
``enet_path``, ``group_lasso_path``, L1 logistic regression and ``compare_penalties``.

References: scikit-learn 1.9 (Lasso, ElasticNet, LassoCV, ElasticNetCV, saga logistic) at tight
tolerances, glum (penalty factors), cvxpy (group lasso), and the independent duality gap of
``test_cd_solvers.canonical_gap``. The canonical objective is

    (1/n_w) Σ s_i (y_i - x_iᵀw - b)² + λ Σ_j f_j (mix|w_j| + (1-mix) w_j²)     (elastic net)
    (1/n_w) Σ s_i (y_i - x_iᵀw - b)² + λ Σ_g ω_g ‖w_g‖₂                       (group lasso)

with λ = α(1+ρ), mix = 2ρ/(1+ρ) for scikit-learn's (alpha, l1_ratio=ρ), and λ = 2α for
GroupLasso.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit
from sklearn import linear_model as sk
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold

import ridgeline as rl
from test_cd_solvers import (
    canonical_gap,
    canonical_objective,
    centered,
    make_sparse_regression,
)

pytestmark = pytest.mark.filterwarnings("ignore::ridgeline.selection.result.GridEdgeWarning")

TIGHT = {"tol": 1e-12, "max_iter": 100_000}
SK_TIGHT = {"tol": 1e-14, "max_iter": 100_000}


def _var(y, s) -> float:
    return float(s @ (y - s @ y / s.sum()) ** 2) / s.sum()


def _enet_canonical(alpha, rho):
    return alpha * (1 + rho), 2 * rho / (1 + rho)


def _with_format(X, fmt):
    if fmt == "dense":
        return X
    Xs = X * (np.random.default_rng(5).uniform(size=X.shape) < 0.5)
    return sp.csc_matrix(Xs) if fmt == "csc" else sp.csr_matrix(Xs)


# ---------------------------------------------------------------------------------------------
# Lasso / ElasticNet against scikit-learn
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["lasso", "enet"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("fmt", ["dense", "csc", "csr"])
@pytest.mark.parametrize("positive", [False, True], ids=["free", "positive"])
def test_lasso_enet_match_sklearn(model, fit_intercept, weighted, fmt, positive):
    X, y, s = make_sparse_regression(40, n=80, p=20, weighted=weighted, noise=1.0)
    X = _with_format(X, fmt)
    sw = s if weighted else None
    alpha, rho = 0.08, (1.0 if model == "lasso" else 0.4)
    kw = {"alpha": alpha, "fit_intercept": fit_intercept, "positive": positive}
    if model == "lasso":
        ours, theirs = rl.Lasso(**kw, **TIGHT), sk.Lasso(**kw, **SK_TIGHT)
    else:
        ours = rl.ElasticNet(l1_ratio=rho, **kw, **TIGHT)
        theirs = sk.ElasticNet(l1_ratio=rho, **kw, **SK_TIGHT)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours.fit(X, y, sample_weight=sw)
    theirs.fit(X, y, sample_weight=sw)
    lam, mix = _enet_canonical(alpha, rho)
    assert ours.lambda_ == pytest.approx(lam, rel=1e-15)
    assert ours.mix_ == pytest.approx(mix, rel=1e-15)
    c, r = lam * mix * np.ones(20), lam * (1 - mix) * np.ones(20)
    o_ours = canonical_objective(X, y, s, ours.coef_, ours.intercept_, c, r)
    o_theirs = canonical_objective(X, y, s, theirs.coef_, theirs.intercept_, c, r)
    assert o_ours <= o_theirs * (1 + 1e-10)
    assert abs(o_ours - o_theirs) <= 1e-8 * o_theirs
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-6)
    if positive:
        assert np.all(ours.coef_ >= 0)
    np.testing.assert_array_equal(ours.coef_ != 0, np.abs(theirs.coef_) > 1e-9)
    assert np.count_nonzero(ours.coef_) > 0
    # certificates: the reported gap meets the tolerance, and so does an independent one
    yy = _var(y, s) if fit_intercept else float(s @ y**2) / s.sum()  # the null objective
    assert 0 <= ours.dual_gap_ <= 1e-12 * yy * (1 + 1e-9)
    gap = canonical_gap(X, y, s, ours.coef_, c, r, fit_intercept=fit_intercept, nonneg=positive)
    assert gap <= 1e-9 * o_ours
    if not fit_intercept:
        assert ours.intercept_ == 0.0


@pytest.mark.parametrize("model", ["lasso", "enet"])
@pytest.mark.parametrize("positive", [False, True], ids=["free", "positive"])
def test_multi_output_matches_sklearn(model, positive):
    rng = np.random.default_rng(41)
    X, y, _ = make_sparse_regression(41, n=70, p=12, weighted=False)
    Y = np.column_stack([y, X[:, :3] @ rng.normal(size=3) + rng.normal(size=70), -y])
    kw = {"alpha": 0.1, "positive": positive}
    if model == "lasso":
        ours, theirs = rl.Lasso(**kw, **TIGHT).fit(X, Y), sk.Lasso(**kw, **SK_TIGHT).fit(X, Y)
    else:
        ours = rl.ElasticNet(l1_ratio=0.6, **kw, **TIGHT).fit(X, Y)
        theirs = sk.ElasticNet(l1_ratio=0.6, **kw, **SK_TIGHT).fit(X, Y)
    assert ours.coef_.shape == theirs.coef_.shape == (3, 12)
    assert ours.intercept_.shape == (3,) and np.shape(ours.dual_gap_) == (3,)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-6)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), atol=1e-5)
    # each target is its own problem: same as fitting it alone
    for t in range(3):
        alone = rl.ElasticNet(alpha=0.1, l1_ratio=1.0 if model == "lasso" else 0.6,
                              positive=positive, **TIGHT).fit(X, Y[:, t])
        np.testing.assert_allclose(ours.coef_[t], alone.coef_, atol=1e-8)


def test_float32_keeps_float32_and_matches_float64():
    X, y, _ = make_sparse_regression(42, n=60, p=10, weighted=False)
    est32 = rl.Lasso(alpha=0.05, tol=1e-10).fit(X.astype(np.float32), y.astype(np.float32))
    est64 = rl.Lasso(alpha=0.05, tol=1e-10).fit(X, y)
    assert est32.coef_.dtype == np.float32
    np.testing.assert_allclose(est32.coef_, est64.coef_, rtol=1e-4, atol=1e-4)
    assert est32.predict(X.astype(np.float32)).dtype == np.float32
    assert sp.issparse(est64.sparse_coef_)
    np.testing.assert_array_equal(est64.sparse_coef_.toarray().ravel(), est64.coef_)


def test_warm_start_gives_the_same_solution():
    X, y, _ = make_sparse_regression(43, n=80, p=20, weighted=False)
    est = rl.ElasticNet(alpha=0.5, l1_ratio=0.5, warm_start=True, **TIGHT).fit(X, y)
    est.set_params(alpha=0.05).fit(X, y)
    cold = rl.ElasticNet(alpha=0.05, l1_ratio=0.5, **TIGHT).fit(X, y)
    np.testing.assert_allclose(est.coef_, cold.coef_, atol=1e-8)


# ---------------------------------------------------------------------------------------------
# penalty factors against glum
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("alpha", "l1_ratio"), [(0.3, 0.5), (0.1, 1.0), (0.5, 0.1)])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_penalty_factor_matches_glum(alpha, l1_ratio, weighted):
    glum = pytest.importorskip("glum")
    X, y, s = make_sparse_regression(44, n=100, p=15, weighted=weighted, noise=2.0)
    f = np.linspace(0.2, 2.5, 15)
    f[[0, 6]] = 0.0  # unpenalized features
    ft = f * 15 / f.sum()  # glmnet's (and ridgeline's) rescaling; glum takes P1, P2 literally
    sw = s if weighted else None
    ref = glum.GeneralizedLinearRegressor(
        family="normal", alpha=alpha, l1_ratio=l1_ratio, P1=ft, P2=ft, fit_intercept=True,
        gradient_tol=1e-12, max_iter=10_000).fit(X, y, sample_weight=sw)
    ours = rl.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, penalty_factor=f, **TIGHT).fit(
        X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    assert ours.intercept_ == pytest.approx(ref.intercept_, abs=1e-6)
    assert ours.coef_[0] != 0.0 and ours.coef_[6] != 0.0
    assert np.count_nonzero(ours.coef_) < 15 or l1_ratio < 0.5
    lam, mix = _enet_canonical(alpha, l1_ratio)
    gap = canonical_gap(X, y, s, ours.coef_, lam * mix * ft, lam * (1 - mix) * ft)
    assert gap <= 1e-9


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_positive_with_unpenalized_features_is_refused(l1_ratio):
    # unpenalized coordinates are solved as one unconstrained block, so bounds on them are
    # refused up front rather than answered wrongly (glmnet's lower.limits would bind them)
    X, y, s = make_sparse_regression(44, n=100, p=15, weighted=True, noise=2.0)
    f = np.ones(15)
    f[[0, 6]] = 0.0
    est = rl.ElasticNet(alpha=0.1, l1_ratio=l1_ratio, positive=True, penalty_factor=f)
    with pytest.raises(ValueError, match="positive=True needs every coefficient L1-penalized"):
        est.fit(X, y, sample_weight=s)
    with pytest.raises(ValueError, match="positive=True"):
        rl.enet_path(X, y, mix=1.0, positive=True, penalty_factor=f)


def test_uniform_penalty_factors_change_nothing():
    # glmnet rescales the factors to sum to p: uniform factors of any size are no factors
    X, y, _ = make_sparse_regression(45, n=80, p=12, weighted=False)
    a = rl.Lasso(alpha=0.1, penalty_factor=np.full(12, 3.0), **TIGHT).fit(X, y)
    b = rl.Lasso(alpha=0.1, **TIGHT).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# LassoCV / ElasticNetCV
# ---------------------------------------------------------------------------------------------


def _check_fold_certificates(est, X, y, s, splits, tol):
    assert est.fold_converged_.all()
    assert est.fold_gaps_.shape == (len(splits), est.mse_path_.shape[-2])
    for k, (tr, _) in enumerate(splits):
        assert np.all(est.fold_gaps_[k] >= 0)
        assert np.all(est.fold_gaps_[k] <= tol * _var(y[tr], s[tr]) * (1 + 1e-9))


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_lassocv_matches_sklearn(weighted):
    X, y, s = make_sparse_regression(46, n=100, p=15, weighted=weighted, noise=2.0)
    cv = KFold(5, shuffle=True, random_state=0)
    splits = list(cv.split(X))
    sw = s if weighted else None
    ours = rl.LassoCV(cv=cv, tol=1e-10, max_iter=100_000).fit(X, y, sample_weight=sw)
    theirs = sk.LassoCV(cv=cv, tol=1e-12, max_iter=100_000).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.alphas_, theirs.alphas_, rtol=1e-12)
    assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-12)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-7)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6)
    assert ours.intercept_ == pytest.approx(theirs.intercept_, abs=1e-6)
    _check_fold_certificates(ours, X, y, s, splits, 1e-10)
    assert ours.dual_gap_ <= 1e-10 * _var(y, s)
    assert ours.lambda_ == pytest.approx(2 * ours.alpha_, rel=1e-14)


def test_elasticnetcv_matches_sklearn_over_l1_ratios():
    X, y, _ = make_sparse_regression(47, n=100, p=15, weighted=False, noise=2.0)
    cv = KFold(4, shuffle=True, random_state=1)
    splits = list(cv.split(X))
    ratios = [0.2, 0.7, 1.0]
    ours = rl.ElasticNetCV(l1_ratio=ratios, cv=cv, alphas=30, tol=1e-10,
                           max_iter=100_000).fit(X, y)
    theirs = sk.ElasticNetCV(l1_ratio=ratios, cv=cv, alphas=30, tol=1e-12,
                             max_iter=100_000).fit(X, y)
    assert ours.alphas_.shape == theirs.alphas_.shape == (3, 30)
    assert ours.mse_path_.shape == theirs.mse_path_.shape == (3, 30, 4)
    np.testing.assert_allclose(ours.alphas_, theirs.alphas_, rtol=1e-12)
    assert ours.l1_ratio_ == theirs.l1_ratio_
    assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-12)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-7)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6)
    _check_fold_certificates(ours, X, y, np.ones(100), splits, 1e-10)


def test_elasticnetcv_explicit_alphas_and_sparse_input():
    X, y, _ = make_sparse_regression(48, n=90, p=12, weighted=False, noise=2.0)
    Xs = _with_format(X, "csr")
    alphas = np.geomspace(1.0, 1e-3, 15)
    cv = KFold(3)
    ours = rl.ElasticNetCV(l1_ratio=0.5, alphas=alphas, cv=cv, tol=1e-10,
                           max_iter=100_000).fit(Xs, y)
    theirs = sk.ElasticNetCV(l1_ratio=0.5, alphas=alphas, cv=cv, tol=1e-12,
                             max_iter=100_000).fit(Xs, y)
    np.testing.assert_allclose(ours.alphas_, theirs.alphas_, rtol=1e-14)
    assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-14)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-7)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# λ_max: exactly zero at it, not below it
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["lasso", "enet", "factor", "positive"])
def test_alpha_max_of_the_grid_is_exact(kind):
    X, y, s = make_sparse_regression(49, n=80, p=12, weighted=True)
    kw, free = {}, []
    if kind == "enet":
        kw["l1_ratio"] = 0.3
    if kind == "factor":
        f = np.ones(12)
        f[4] = 0.0
        kw["penalty_factor"], free = f, [4]
    if kind == "positive":
        y = -y
        kw["positive"] = True
    cv_cls = rl.ElasticNetCV if kind == "enet" else rl.LassoCV
    grid = cv_cls(alphas=3, cv=2, **kw).fit(X, y, sample_weight=s).alphas_
    a_max = grid[0]
    est_cls = rl.ElasticNet if kind == "enet" else rl.Lasso
    # just below α_max the zero vector has duality gap ≈ (1e-6)²·var(y), so the solve must be
    # asked for less than that (tol=1e-14) before it is obliged to move off zero
    at = est_cls(alpha=a_max, **kw, **TIGHT).fit(X, y, sample_weight=s)
    below = est_cls(alpha=a_max * (1 - 1e-6), **kw, tol=1e-14, max_iter=100_000).fit(
        X, y, sample_weight=s)
    pen = np.setdiff1d(np.arange(12), free)
    assert np.all(at.coef_[pen] == 0.0)
    assert np.count_nonzero(below.coef_[pen]) >= 1
    if free:
        assert at.coef_[4] != 0.0
    # and by hand: α_max = max_j |x̃_jᵀS r₀| / (n_w ρ f_j) with r₀ the null-model residual
    Xc, yc, _, _ = centered(X, y, s, True)
    r0 = yc.copy()
    if free:
        xf = Xc[:, free]
        r0 = yc - xf @ np.linalg.lstsq(np.sqrt(s)[:, None] * xf, np.sqrt(s) * yc,
                                       rcond=None)[0]
    corr = Xc.T @ (s * r0) / s.sum()
    corr = corr if kind == "positive" else np.abs(corr)
    rho = kw.get("l1_ratio", 1.0)
    f_pen = 12 / 11 if kind == "factor" else 1.0  # penalty factors rescaled to sum to p
    assert a_max == pytest.approx(np.max(corr[pen]) / (rho * f_pen), rel=1e-10)


@pytest.mark.parametrize("kind", ["enet", "factor", "positive", "group"])
def test_path_functions_lambda_max(kind):
    X, y, s = make_sparse_regression(50, n=80, p=12, weighted=True)
    if kind == "group":
        top = rl.group_lasso_path(X, y, 3, lambdas=1, sample_weight=s).lambdas[0]
        path = rl.group_lasso_path(X, y, 3, lambdas=[top, top * (1 - 1e-6)], sample_weight=s,
                                   tol=1e-14)
        assert np.all(path.coefs[0] == 0.0)
        assert np.count_nonzero(path.coefs[1]) == 3  # exactly one whole group enters
        return
    kw = {"mix": 0.5} if kind == "enet" else {}
    if kind == "factor":
        f = np.ones(12)
        f[[1, 2]] = 0.0
        kw["penalty_factor"] = f
    if kind == "positive":
        kw["positive"] = True
    top = rl.enet_path(X, y, lambdas=1, sample_weight=s, **kw).lambdas[0]
    path = rl.enet_path(X, y, lambdas=[top, top * (1 - 1e-6)], sample_weight=s, tol=1e-14, **kw)
    pen = np.ones(12, dtype=bool)
    if kind == "factor":
        pen[[1, 2]] = False
        assert np.all(path.coefs[0][~pen] != 0.0)
    assert np.all(path.coefs[0][pen] == 0.0)
    assert np.count_nonzero(path.coefs[1][pen]) == 1


# ---------------------------------------------------------------------------------------------
# paths
# ---------------------------------------------------------------------------------------------


def test_enet_path_certified_against_independent_gap():
    X, y, s = make_sparse_regression(51, n=100, p=30, weighted=True)
    f = np.random.default_rng(0).uniform(0.5, 2.0, 30)
    f = f * 30 / f.sum()  # penalty_factor is rescaled to sum to p (glmnet): use such factors
    path = rl.enet_path(X, y, mix=0.7, lambdas=15, eps=1e-3, sample_weight=s,
                        penalty_factor=f, tol=1e-10)
    assert isinstance(path, rl.SparsePath)
    assert path.converged.all()
    assert np.all(path.certificates <= path.certificate_tols)
    np.testing.assert_allclose(path.certificate_tols, 1e-10 * _var(y, s), rtol=1e-9)
    for lam, w, b, obj, tol in zip(path.lambdas, path.coefs, path.intercepts, path.objectives,
                                   path.certificate_tols, strict=True):
        c, r = lam * 0.7 * f, lam * 0.3 * f
        assert obj == pytest.approx(canonical_objective(X, y, s, w, b, c, r), rel=1e-10)
        assert canonical_gap(X, y, s, w, c, r) <= tol + 1e-12 * obj
    # the grid is scikit-learn's: geometric from λ_max to eps·λ_max
    np.testing.assert_allclose(path.lambdas, np.geomspace(path.lambdas[0],
                                                          1e-3 * path.lambdas[0], 15))
    # screening on or off: the same path
    off = rl.enet_path(X, y, mix=0.7, lambdas=path.lambdas, sample_weight=s, penalty_factor=f,
                       tol=1e-10, screening=False)
    np.testing.assert_allclose(off.coefs, path.coefs, atol=1e-7)
    np.testing.assert_array_equal(off.coefs != 0, path.coefs != 0)


def test_enet_path_tikhonov():
    X, y, s = make_sparse_regression(52, n=90, p=10, weighted=True)
    D = np.diff(np.eye(10), axis=0)
    P = D.T @ D + 0.1 * np.eye(10)
    lams = np.array([0.5, 0.05, 0.005])
    path = rl.enet_path(X, y, mix=0.5, lambdas=lams, sample_weight=s, tikhonov=P, tol=1e-12)
    assert path.converged.all()
    Xc, yc, _, _ = centered(X, y, s, True)
    for lam, w in zip(lams, path.coefs, strict=True):
        # KKT of (1/n_w)Σ s r² + λ(½‖w‖₁ + ½ wᵀPw)
        g = -2 * Xc.T @ (s * (yc - Xc @ w)) / s.sum() + lam * 0.5 * 2 * P @ w
        nz = w != 0
        np.testing.assert_allclose(g[nz] + lam * 0.5 * np.sign(w[nz]), 0.0, atol=1e-6)
        assert np.all(np.abs(g[~nz]) <= lam * 0.5 + 1e-6)
    # the identity matrix is the ordinary elastic net
    eye = rl.enet_path(X, y, mix=0.5, lambdas=lams, sample_weight=s, tikhonov=np.eye(10),
                       tol=1e-12)
    plain = rl.enet_path(X, y, mix=0.5, lambdas=lams, sample_weight=s, tol=1e-12)
    np.testing.assert_allclose(eye.coefs, plain.coefs, atol=1e-8)
    with pytest.raises(ValueError, match="symmetric"):
        rl.enet_path(X, y, lambdas=lams, tikhonov=P + np.triu(np.ones((10, 10)), 1))
    with pytest.raises(ValueError, match="positive semi-definite"):
        rl.enet_path(X, y, lambdas=lams, tikhonov=P - 2 * np.eye(10))


# ---------------------------------------------------------------------------------------------
# group lasso against cvxpy
# ---------------------------------------------------------------------------------------------


def _cvxpy_group_lasso(X, y, s, lam, groups, weights, fit_intercept=True):
    cp = pytest.importorskip("cvxpy")
    p = X.shape[1]
    w = cp.Variable(p)
    b = cp.Variable() if fit_intercept else 0.0
    r = y - X @ w - b
    loss = cp.sum(cp.multiply(s, cp.square(r))) / s.sum()
    pen = sum(om * cp.norm(w[list(g)], 2) for g, om in zip(groups, weights, strict=True))
    prob = cp.Problem(cp.Minimize(loss + lam * pen))
    solvers = [sv for sv in ("CLARABEL", "ECOS", "SCS") if sv in cp.installed_solvers()]
    prob.solve(solver=solvers[0])
    return np.asarray(w.value), float(b.value) if fit_intercept else 0.0, float(prob.value)


GROUPS = [[0, 1, 2], [3, 4], [5], [6, 7, 8, 9], [10, 11], [12, 13, 14, 15, 16, 17]]


@pytest.mark.parametrize("alpha", [0.02, 0.1, 0.4])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_group_lasso_matches_cvxpy(alpha, weighted):
    X, y, s = make_sparse_regression(53, n=90, p=18, weighted=weighted, k_true=5)
    sw = s if weighted else None
    est = rl.GroupLasso(alpha=alpha, groups=GROUPS, **TIGHT).fit(X, y, sample_weight=sw)
    lam = 2 * alpha
    assert est.lambda_ == pytest.approx(lam)
    weights = np.sqrt([len(g) for g in GROUPS])
    w_ref, b_ref, obj_ref = _cvxpy_group_lasso(X, y, s, lam, GROUPS, weights)
    obj = canonical_objective(X, y, s, est.coef_, est.intercept_, lam * weights, 0.0,
                              groups=GROUPS)
    assert obj <= obj_ref * (1 + 1e-7)
    assert abs(obj - obj_ref) <= 1e-6 * obj_ref
    np.testing.assert_allclose(est.coef_, w_ref, atol=1e-4)
    assert est.intercept_ == pytest.approx(b_ref, abs=1e-4)
    norms = np.array([np.linalg.norm(est.coef_[g]) for g in GROUPS])
    np.testing.assert_allclose(est.group_norms_, norms, rtol=1e-14)
    assert est.n_active_groups_ == np.count_nonzero(norms)
    # whole groups, including groups of size > 1, are exactly zero or entirely nonzero
    for g, nrm in zip(GROUPS, norms, strict=True):
        assert np.count_nonzero(est.coef_[g]) == (len(g) if nrm > 0 else 0)
    if alpha >= 0.1:
        assert any(nrm == 0 and len(g) > 1 for g, nrm in zip(GROUPS, norms, strict=True))
    assert 0 < est.n_active_groups_ <= len(GROUPS)
    assert est.dual_gap_ <= 1e-12 * _var(y, s)
    gap = canonical_gap(X, y, s, est.coef_, lam * weights, 0.0, groups=GROUPS)
    assert gap <= 1e-9 * obj


def test_group_lasso_custom_weights_labels_and_sparse():
    X, y, s = make_sparse_regression(54, n=90, p=18, weighted=True, k_true=5)
    weights = np.array([1.0, 0.0, 2.0, 0.5, 1.0, 3.0])  # group 1 unpenalized
    labels = np.empty(18, dtype=object)
    for k, g in enumerate(GROUPS):
        labels[g] = f"g{k}"
    a = rl.GroupLasso(alpha=0.1, groups=GROUPS, group_weights=weights, **TIGHT).fit(
        X, y, sample_weight=s)
    b = rl.GroupLasso(alpha=0.1, groups=list(labels), group_weights=weights, **TIGHT).fit(
        sp.csc_matrix(X), y, sample_weight=s)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8)
    w_ref, b_ref, _ = _cvxpy_group_lasso(X, y, s, 0.2, GROUPS, weights)
    assert a.intercept_ == pytest.approx(b_ref, abs=1e-4)
    np.testing.assert_allclose(a.coef_, w_ref, atol=1e-4)
    assert np.all(a.coef_[[3, 4]] != 0.0)


def test_group_lasso_of_singletons_is_the_lasso():
    X, y, _ = make_sparse_regression(55, n=80, p=12, weighted=False)
    g = rl.GroupLasso(alpha=0.05, **TIGHT).fit(X, y)  # groups=None: singletons, weights 1
    lasso = rl.Lasso(alpha=0.05, **TIGHT).fit(X, y)
    np.testing.assert_allclose(g.coef_, lasso.coef_, atol=1e-8)
    np.testing.assert_allclose(g.intercept_, lasso.intercept_, atol=1e-8)


def test_group_lasso_path_matches_cvxpy():
    X, y, s = make_sparse_regression(56, n=80, p=18, weighted=True)
    path = rl.group_lasso_path(X, y, GROUPS, lambdas=6, eps=1e-2, sample_weight=s, tol=1e-12)
    assert path.converged.all() and np.all(path.certificates <= path.certificate_tols)
    weights = np.sqrt([len(g) for g in GROUPS])
    assert np.all(path.coefs[0] == 0.0)
    for i in (2, 5):
        w_ref, _, obj_ref = _cvxpy_group_lasso(X, y, s, path.lambdas[i], GROUPS, weights)
        assert path.objectives[i] == pytest.approx(obj_ref, rel=1e-6)
        np.testing.assert_allclose(path.coefs[i], w_ref, atol=1e-4)


def test_group_lasso_cv_certified():
    X, y, _ = make_sparse_regression(57, n=100, p=18, weighted=False, noise=2.0)
    cv = KFold(4, shuffle=True, random_state=2)
    splits = list(cv.split(X))
    est = rl.GroupLassoCV(groups=GROUPS, alphas=20, cv=cv, tol=1e-10, max_iter=100_000).fit(
        X, y)
    assert est.alphas_.shape == (20,) and est.mse_path_.shape == (20, 4)
    _check_fold_certificates(est, X, y, np.ones(100), splits, 1e-10)
    assert est.alpha_ == est.alphas_[np.argmin(est.mse_path_.mean(axis=1))]
    # mse_path_ is the held-out MSE of each fold's own fit, recomputed here by refitting
    k = 1
    tr, te = splits[k]
    for i in (0, 7, 15):
        fold = rl.GroupLasso(alpha=est.alphas_[i], groups=GROUPS, **TIGHT).fit(X[tr], y[tr])
        mse = np.mean((y[te] - fold.predict(X[te])) ** 2)
        assert est.mse_path_[i, k] == pytest.approx(mse, rel=1e-6)
    # top of the grid: every group zero; the refit at alpha_ matches GroupLasso(alpha_)
    refit = rl.GroupLasso(alpha=est.alpha_, groups=GROUPS, **TIGHT).fit(X, y)
    np.testing.assert_allclose(est.coef_, refit.coef_, atol=1e-5)
    at_max = rl.GroupLasso(alpha=est.alphas_[0], groups=GROUPS, **TIGHT).fit(X, y)
    assert np.all(at_max.coef_ == 0.0)


# ---------------------------------------------------------------------------------------------
# L1 logistic regression
# ---------------------------------------------------------------------------------------------


def _binary_data(seed, n=150, p=10):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, p) + 0.3 * rng.normal(size=p)
    beta = np.zeros(p)
    beta[:3] = [1.2, -0.8, 0.6]
    y = (rng.uniform(size=n) < expit(X @ beta - 0.3)).astype(int)
    return X, y


def _sk_logistic_objective(X, y, w, b, C, rho):
    """scikit-learn's objective C Σ ℓ + ρ‖w‖₁ + ½(1-ρ)‖w‖²."""
    eta = X @ w + b
    loss = np.sum(np.logaddexp(0, eta) - y * eta)
    return C * loss + rho * np.abs(w).sum() + 0.5 * (1 - rho) * w @ w


@pytest.mark.parametrize("C", [0.05, 0.3])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_l1_logistic_matches_sklearn_saga(C, l1_ratio):
    X, y = _binary_data(58)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = rl.LogisticRegression(C=C, l1_ratio=l1_ratio, max_iter=500).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sk.LogisticRegression(C=C, l1_ratio=l1_ratio, solver="saga", tol=1e-12,
                                       max_iter=100_000, random_state=0).fit(X, y)
    o_ours = _sk_logistic_objective(X, y, ours.coef_[0], ours.intercept_[0], C, l1_ratio)
    o_theirs = _sk_logistic_objective(X, y, theirs.coef_[0], theirs.intercept_[0], C, l1_ratio)
    assert o_ours <= o_theirs * (1 + 1e-9)
    assert abs(o_ours - o_theirs) <= 1e-6 * o_theirs
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
    # canonical λ for pure L1 is 1/(C n); the KKT residual is the certificate
    n = X.shape[0]
    assert ours.lambda_ == pytest.approx((1 + l1_ratio) / (2 * C * n), rel=1e-14)
    eta = X @ ours.coef_[0] + ours.intercept_[0]
    r = (expit(eta) - y) / n
    g = X.T @ r + (1 - l1_ratio) / (C * n) * ours.coef_[0]
    a = l1_ratio / (C * n)
    w = ours.coef_[0]
    res = np.where(w != 0, np.abs(g + a * np.sign(w)), np.maximum(np.abs(g) - a, 0))
    assert max(res.max(), abs(r.sum())) <= ours.grad_norm_ * (1 + 1e-6) + 1e-15
    assert ours.grad_norm_ <= 1e-8
    assert 0 < np.count_nonzero(ours.coef_) < X.shape[1]
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize("C", [0.03, 0.05, 0.1])
def test_l1_logistic_reaches_a_tight_tolerance(C):
    # tol=1e-10 (relative to the null model's gradient, ≈ 2.5e-11 here) is well above the
    # rounding level of the gradient; the solver should certify it without a warning
    X, y = _binary_data(58)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = rl.LogisticRegression(C=C, l1_ratio=1.0, tol=1e-10, max_iter=500).fit(X, y)
    assert est.grad_norm_ <= 1e-10


def test_l1_logistic_lambda_max():
    X, y = _binary_data(59)
    n = X.shape[0]
    p1 = y.mean()
    g = X.T @ (p1 - y) / n  # gradient of the mean log loss at the null model
    C_min = 1.0 / (n * np.abs(g).max())  # λ_max = ‖g‖_∞ = 1/(C n)
    at = rl.LogisticRegression(C=C_min, l1_ratio=1.0, tol=1e-10).fit(X, y)
    above = rl.LogisticRegression(C=C_min * (1 + 1e-6), l1_ratio=1.0, tol=1e-10).fit(X, y)
    assert np.all(at.coef_ == 0.0)
    assert at.intercept_[0] == pytest.approx(np.log(p1 / (1 - p1)), rel=1e-8)
    assert np.count_nonzero(above.coef_) == 1


def test_l1_logistic_fits_multiclass():
    X, _ = _binary_data(60)
    y3 = np.arange(X.shape[0]) % 3
    est = rl.LogisticRegression(l1_ratio=1.0).fit(X, y3)
    assert est.coef_.shape == (3, X.shape[1]) and est.solver_ == "prox-newton"


# ---------------------------------------------------------------------------------------------
# compare_penalties
# ---------------------------------------------------------------------------------------------


def test_compare_penalties_rows_match_the_estimators():
    X, y, _ = make_sparse_regression(61, n=90, p=12, weighted=False, noise=2.0)
    cv = KFold(4, shuffle=True, random_state=3)
    table = rl.compare_penalties(X, y, ("l1", "elasticnet", "group", "l2"), cv=cv,
                                 groups=3, alphas=20, tol=1e-10)
    lasso = rl.LassoCV(cv=cv, alphas=20, tol=1e-10).fit(X, y)
    row = table["l1"]
    assert row.lambda_ == pytest.approx(2 * lasso.alpha_, rel=1e-12)
    np.testing.assert_allclose(row.coef, lasso.coef_, atol=1e-8)
    assert row.cv_mse == pytest.approx(lasso.mse_path_.mean(axis=1).min(), rel=1e-10)
    assert row.n_nonzero == np.count_nonzero(lasso.coef_)
    assert row.l1_norm == pytest.approx(np.abs(lasso.coef_).sum())
    enet = rl.ElasticNetCV(l1_ratio=0.5, cv=cv, alphas=20, tol=1e-10).fit(X, y)
    assert table["elasticnet"].lambda_ == pytest.approx(1.5 * enet.alpha_, rel=1e-12)
    group = rl.GroupLassoCV(groups=3, cv=cv, alphas=20, tol=1e-10).fit(X, y)
    assert table["group"].cv_mse == pytest.approx(group.mse_path_.mean(axis=1).min(),
                                                  rel=1e-10)
    assert table["l2"].n_nonzero == 12
    text = table.table()
    assert all(name in text for name in ("l1", "elasticnet", "group", "l2"))
    with pytest.raises(ValueError, match="groups"):
        rl.compare_penalties(X, y, ("group",))
    with pytest.raises(ValueError, match="penalties"):
        rl.compare_penalties(X, y, ("l0",))


# ---------------------------------------------------------------------------------------------
# bad input and convergence warnings
# ---------------------------------------------------------------------------------------------


def _xy():
    X, y, _ = make_sparse_regression(62, n=40, p=6, weighted=False)
    return X, y


@pytest.mark.parametrize(
    ("est", "match"),
    [
        (rl.Lasso(alpha=-1.0), "alpha must be finite and non-negative"),
        (rl.ElasticNet(alpha=np.inf), "alpha must be finite"),
        (rl.ElasticNet(l1_ratio=1.5), r"l1_ratio must lie in \[0, 1\]"),
        (rl.ElasticNet(l1_ratio=-0.1), r"l1_ratio must lie in \[0, 1\]"),
        (rl.ElasticNetCV(l1_ratio=[0.5, 1.2]), r"l1_ratio must lie in \[0, 1\]"),
        (rl.ElasticNetCV(l1_ratio=0.0), "l1_ratio=0"),
        (rl.Lasso(penalty_factor=[1.0, 1.0]), "one value per feature"),
        (rl.Lasso(penalty_factor=[1, 1, -1, 1, 1, 1]), "non-negative"),
        (rl.LassoCV(penalty_factor=np.ones(7)), "one value per feature"),
        (rl.Lasso(tol=-1e-4), "tol must be a finite non-negative number"),
        (rl.Lasso(max_iter=0), "max_iter must be a positive integer"),
        (rl.LassoCV(alphas=0), "at least 1"),
        (rl.LassoCV(eps=0.0), "eps must be a finite positive number"),
        (rl.GroupLasso(groups=[[0, 1, 2], [2, 3, 4, 5]]), "overlap"),
        (rl.GroupLasso(groups=[[0, 1, 2], [3, 4]]), "cover"),
        (rl.GroupLasso(groups=4), "multiple"),
        (rl.GroupLasso(groups=3, group_weights=[1.0]), "one value per group"),
        (rl.GroupLassoCV(groups=[[0, 1], [1, 2, 3, 4, 5]]), "overlap"),
        (rl.GroupLasso(alpha=-0.5, groups=3), "non-negative"),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_bad_parameters_raise(est, match):
    X, y = _xy()
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)


@pytest.mark.parametrize("est", [rl.Lasso(), rl.ElasticNet(), rl.LassoCV(cv=3),
                                 rl.ElasticNetCV(cv=3), rl.GroupLasso(groups=2),
                                 rl.GroupLassoCV(groups=2, cv=3)],
                         ids=lambda e: type(e).__name__)
def test_nan_in_X_raises(est):
    X, y = _xy()
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.fit(X, y)


def test_path_functions_bad_input():
    X, y = _xy()
    with pytest.raises(ValueError, match="mix"):
        rl.enet_path(X, y, mix=1.5)
    with pytest.raises(ValueError, match="one value per feature"):
        rl.enet_path(X, y, penalty_factor=np.ones(3))
    with pytest.raises(ValueError, match="overlap"):
        rl.group_lasso_path(X, y, [[0, 1, 2], [0, 3, 4, 5]])
    with pytest.raises(ValueError, match="lambdas"):
        rl.enet_path(X, y, lambdas=[-1.0])
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        rl.enet_path(Xn, y)


@pytest.mark.parametrize(
    "make",
    [
        lambda: rl.Lasso(alpha=1e-4, max_iter=1, tol=1e-14),
        lambda: rl.ElasticNet(alpha=1e-4, max_iter=1, tol=1e-14),
        lambda: rl.LassoCV(alphas=5, eps=1e-4, cv=3, max_iter=1, tol=1e-14),
        lambda: rl.ElasticNetCV(alphas=5, eps=1e-4, cv=3, max_iter=1, tol=1e-14),
        lambda: rl.GroupLasso(alpha=1e-4, groups=2, max_iter=1, tol=1e-14),
        lambda: rl.GroupLassoCV(groups=2, alphas=5, eps=1e-4, cv=3, max_iter=1, tol=1e-14),
    ],
    ids=["Lasso", "ElasticNet", "LassoCV", "ElasticNetCV", "GroupLasso", "GroupLassoCV"],
)
def test_unconverged_fit_warns_with_the_gap(make):
    X, y, _ = make_sparse_regression(63, n=60, p=40, rho=0.95, weighted=False)
    est = make()
    with pytest.warns(ConvergenceWarning, match=r"duality gap is \d") as rec:
        est.fit(X, y)
    msg = str(rec[0].message)
    assert type(est).__name__ in msg and "tol=1e-14" in msg


def test_unconverged_l1_logistic_warns_with_the_kkt_residual():
    X, y = _binary_data(64)
    with pytest.warns(ConvergenceWarning, match=r"KKT residual is \d"):
        rl.LogisticRegression(C=10.0, l1_ratio=1.0, max_iter=1, tol=1e-14).fit(X, y)


@pytest.mark.parametrize("which", ["enet_path", "group_lasso_path"])
def test_unconverged_path_function_warns_with_the_gap(which):
    X, y, _ = make_sparse_regression(63, n=60, p=40, rho=0.95, weighted=False)
    with pytest.warns(ConvergenceWarning, match=r"duality gap is \d"):
        if which == "enet_path":
            path = rl.enet_path(X, y, lambdas=5, eps=1e-4, max_iter=1, tol=1e-14)
        else:
            path = rl.group_lasso_path(X, y, 2, lambdas=5, eps=1e-4, max_iter=1, tol=1e-14)
    # the path itself records which solves fell short, and by how much
    bad = ~path.converged
    assert bad.sum() >= 3
    assert np.all(path.certificates[bad] > path.certificate_tols[bad])


# --- held-out errors from fold statistics (the fast path) against explicit predictions -----


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_held_out_sse_from_statistics_equals_explicit(fit_intercept, weighted):
    from ridgeline.selection.sparse_cv import held_out_sse, ls_folds
    from ridgeline.stats.moments import accumulate, reference_point

    X, y, s = make_sparse_regression(61, n=120, p=10, weighted=weighted, noise=1.0)
    X = X + 5.0  # far from the shift's origin: the intercept terms matter
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(7, 10)), rng.normal(size=7)
    rows = np.arange(30, 70)
    m = accumulate(X, y[:, None], s, rows=rows, shift=reference_point(X, y[:, None], s))
    explicit = s[rows] @ (y[rows, None] - X[rows] @ W.T - b) ** 2
    np.testing.assert_allclose(held_out_sse(m, W, b), explicit, rtol=1e-10)
    folds = ls_folds(X, y, s, list(KFold(4).split(X)), fit_intercept=fit_intercept, gram=True)
    assert folds.total is not None and len(folds.held) == 4


def test_held_out_sse_flags_cancellation_and_cv_recomputes_it():
    from ridgeline.selection.sparse_cv import held_out_sse, ls_cv, ls_folds

    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 4))
    w = np.array([1.0, -2.0, 0.0, 3.0])
    y = X @ w + 1e-7 * rng.normal(size=80)  # nearly exact fit: SSE ~ 1e-14 · ‖y‖²
    s = np.ones(80)
    splits = list(KFold(4).split(X))
    folds = ls_folds(X, y, s, splits, fit_intercept=True, gram=True)
    exact = held_out_sse(folds.held[0], w[None, :], np.zeros(1))
    assert np.isnan(exact[0])  # lost to cancellation: flagged, not returned
    pen = rl.penalties.ElasticNetPenalty.make(1.0, 4)
    lams = np.array([1e-9, 1e-10])
    cv = ls_cv(X, y, s, splits, pen, lams, fit_intercept=True, tol=1e-14, max_epochs=100_000,
               gram=True, folds=folds)
    for k, (_, te) in enumerate(splits):
        p = cv.paths[k]
        pred = X[te] @ p.coefs.T + p.intercepts
        np.testing.assert_allclose(-cv.fold_scores[k], ((y[te, None] - pred) ** 2).mean(axis=0),
                                   rtol=1e-9)
        assert np.all(-cv.fold_scores[k] < 1e-12)


@pytest.mark.parametrize("cv", [False, True])
def test_l1_logistic_refuses_a_class_with_zero_weight(cv):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 3))
    y = np.r_[np.zeros(20), np.ones(20)]
    s = np.r_[np.ones(20), np.zeros(20)]  # only class 0 carries weight
    est = (rl.LogisticRegressionCV(l1_ratios=[0.5], Cs=3, cv=3) if cv
           else rl.LogisticRegression(l1_ratio=0.5, C=1.0))
    with pytest.raises(ValueError, match=r"class 1\.0 has zero total sample weight"):
        est.fit(X, y, sample_weight=s)
