"""Ridge solvers against the closed form, against each other, and in high precision."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import scipy.sparse as sp

from conftest import make_regression, rel_err, ridge_reference
from ridgeline import Ridge, RidgeCV, select_ridge
from ridgeline.selection import full_factor
from ridgeline.solvers import dual_factor, factor_from_moments, lsqr_path, svd_factor
from ridgeline.solvers.spectral import needs_svd
from ridgeline.stats import accumulate

pytestmark = pytest.mark.filterwarnings("ignore::ridgeline.selection.result.GridEdgeWarning")

ROUTES = ["eigh", "svd", "dual", "lsqr"]


def solve_route(route, X, Y, s, penalties, *, fit_intercept=True, standardize=False):
    """Coefficients (L, p, k) and intercepts (L, k) from one solver route."""
    penalties = np.asarray(penalties, dtype=np.float64)
    if route == "lsqr":
        fit = lsqr_path(X, Y, s, penalties, fit_intercept=fit_intercept,
                        standardize=standardize, tol=1e-14, max_iter=2000)
        assert fit.converged.all()
        return fit.coef, fit.intercept
    F = primal_or_dual(route, X, Y, s, fit_intercept=fit_intercept, standardize=standardize)
    coef = F.coef(penalties)
    return coef, F.intercept(coef)


def primal_or_dual(route, X, Y, s, *, fit_intercept=True, standardize=False):
    if route == "dual":
        return dual_factor(X, Y, s, fit_intercept=fit_intercept, standardize=standardize)
    m = accumulate(X, Y, s)
    F = factor_from_moments(m.centered(fit_intercept), shift_x=m.shift_x, shift_y=m.shift_y,
                            standardize=standardize)
    if route == "svd":
        F = svd_factor(X, Y, s, F.mean_x, F.mean_y, F.scale)
    return F


# ---------------------------------------------------------------------------------------------
# 1. closed form (augmented least squares) for every route
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("standardize", [False, True])
def test_closed_form_every_route(route, fit_intercept, weighted, standardize):
    X, Y, s = make_regression(10, n=30, p=5, k=3, weighted=weighted)
    penalties = np.array([1e-3, 0.7, 25.0, 4e3])
    coef, inter = solve_route(route, X, Y, s, penalties, fit_intercept=fit_intercept,
                              standardize=standardize)
    tol = 1e-7 if route == "lsqr" else 1e-9
    for i, a in enumerate(penalties):
        c_ref, b_ref = ridge_reference(X, Y, s, a, fit_intercept=fit_intercept,
                                       standardize=standardize)
        assert rel_err(coef[i], c_ref) <= tol
        assert rel_err(inter[i], b_ref) <= tol
    if not fit_intercept:
        np.testing.assert_array_equal(inter, 0.0 * inter)


def test_standardize_reports_original_scale():
    """Standardized ridge is ridge on X/σ; the reported w satisfies Xw = (X/σ)(σw)."""
    X, Y, s = make_regression(11, n=40, p=4, k=1, weighted=True)
    X[:, 2] *= 1000.0
    sw = s.sum()
    sd = np.sqrt(s @ (X - s @ X / sw) ** 2 / sw)
    a = 3.0
    ref_scaled, b_ref = ridge_reference(X / sd, Y, s, a)
    est = Ridge(alpha=a, standardize=True).fit(X, Y[:, 0], sample_weight=s)
    assert rel_err(est.coef_, ref_scaled[:, 0] / sd) <= 1e-10
    assert est.intercept_ == pytest.approx(b_ref[0], rel=1e-10)
    # and not the unstandardized solution
    plain, _ = ridge_reference(X, Y, s, a)
    assert rel_err(est.coef_, plain[:, 0]) > 1e-3


def test_rss_and_dof_match_definitions():
    X, Y, s = make_regression(12, n=25, p=4, k=2, weighted=True)
    F = primal_or_dual("eigh", X, Y, s)
    pens = np.array([0.1, 10.0])
    for a, rss, dof in zip(pens, F.rss(pens), F.dof(pens), strict=True):
        coef, b = ridge_reference(X, Y, s, a)
        resid = Y - X @ coef - b
        np.testing.assert_allclose(rss, s @ resid**2, rtol=1e-9)
        Xc = X - s @ X / s.sum()
        G = Xc.T @ (s[:, None] * Xc)
        assert dof == pytest.approx(np.trace(np.linalg.solve(G + a * np.eye(4), G)), rel=1e-10)


# ---------------------------------------------------------------------------------------------
# 4. dual vs primal, sparse vs dense, memory order, float32
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "p"), [(30, 6), (12, 40)])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_dual_equals_primal(n, p, fit_intercept):
    X, Y, s = make_regression(13, n=n, p=p, k=2, weighted=True)
    pens = np.array([1e-2, 1.0, 100.0])
    Fp = primal_or_dual("eigh", X, Y, s, fit_intercept=fit_intercept)
    Fd = primal_or_dual("dual", X, Y, s, fit_intercept=fit_intercept)
    assert Fd.method == "dual"
    assert Fd.rank <= min(n - int(fit_intercept), p)
    assert rel_err(Fd.coef(pens), Fp.coef(pens)) <= 1e-9
    np.testing.assert_allclose(Fd.dof(pens), Fp.dof(pens), rtol=1e-9)
    # RSS = ‖yc‖² − explained: near interpolation (p > n, small a) it is a difference of large
    # numbers, so it is accurate relative to ‖yc‖², not to itself
    np.testing.assert_allclose(Fd.rss(pens), Fp.rss(pens), rtol=1e-8, atol=1e-12 * Fp.yy.max())
    np.testing.assert_allclose(Fd.intercept(Fd.coef(pens)), Fp.intercept(Fp.coef(pens)),
                               rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("standardize", [False, True])
def test_sparse_equals_dense(route, fmt, standardize):
    rng = np.random.default_rng(14)
    n, p = 35, 8
    X = rng.normal(size=(n, p)) * (rng.uniform(size=(n, p)) < 0.35)
    X[:, 1] += 2.0
    Y = X @ rng.normal(size=(p, 2)) + rng.normal(size=(n, 2))
    s = rng.uniform(0.5, 2.0, n)
    Xs = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    pens = np.array([0.05, 3.0])
    cd, bd = solve_route(route, X, Y, s, pens, standardize=standardize)
    cs, bs = solve_route(route, Xs, Y, s, pens, standardize=standardize)
    tol = 1e-7 if route == "lsqr" else 1e-10
    assert rel_err(cs, cd) <= tol
    assert rel_err(bs, bd) <= tol


@pytest.mark.parametrize("solver", ["eigh", "dual", "lsqr"])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_ridge_never_densifies_X(solver, fmt, forbid_densify):
    rng = np.random.default_rng(15)
    n, p = 30, 7
    X = sp.random(n, p, density=0.4, format=fmt, random_state=rng) + 0.0
    y = rng.normal(size=n)
    s = rng.uniform(0.5, 2.0, n)
    ref, b = ridge_reference(X.toarray(), y, s, 0.5)
    forbid_densify(n, p)
    est = Ridge(alpha=0.5, solver=solver).fit(X, y, sample_weight=s)
    assert rel_err(est.coef_, ref[:, 0]) <= (1e-7 if solver == "lsqr" else 1e-10)
    assert est.intercept_ == pytest.approx(b[0], rel=1e-7)
    est.predict(X)


def test_forbid_densify_guard_is_armed(forbid_densify):
    X = sp.random(10, 3, density=0.5, format="csr", random_state=0)
    forbid_densify(10, 3)
    with pytest.raises(AssertionError, match="densified"):
        X.toarray()
    with pytest.raises(AssertionError, match="densified"):
        X[:4].T.tocsc().todense()
    (X.T @ X).toarray()  # the p×p Gram may be made dense


@pytest.mark.parametrize("solver", ["eigh", "svd", "dual", "lsqr"])
def test_c_and_fortran_order_agree(solver):
    X, Y, s = make_regression(16, n=30, p=6, k=2, weighted=True)
    a = Ridge(alpha=0.3, solver=solver).fit(np.ascontiguousarray(X), Y, sample_weight=s)
    b = Ridge(alpha=0.3, solver=solver).fit(np.asfortranarray(X), Y, sample_weight=s)
    tol = 1e-9 if solver == "lsqr" else 1e-12  # LSQR's iterates see reordered round-off
    assert rel_err(a.coef_, b.coef_) <= tol
    assert rel_err(a.intercept_, b.intercept_) <= tol


@pytest.mark.parametrize("solver", ["eigh", "svd", "dual", "lsqr"])
def test_float32_stays_float32(solver):
    X, Y, s = make_regression(17, n=40, p=5, k=1, weighted=True)
    X32 = X.astype(np.float32)
    est32 = Ridge(alpha=0.5, solver=solver).fit(X32, Y[:, 0], sample_weight=s)
    est64 = Ridge(alpha=0.5, solver=solver).fit(X32.astype(np.float64), Y[:, 0], sample_weight=s)
    assert est32.coef_.dtype == np.float32
    assert np.asarray(est32.predict(X32)).dtype == np.float32
    assert rel_err(est32.coef_, est64.coef_) <= 1e-4
    ref, _ = ridge_reference(X, Y, s, 0.5)
    assert rel_err(est32.coef_, ref[:, 0]) <= 1e-4
    cv32 = RidgeCV(alphas=[0.1, 1.0, 10.0], solver=solver, cv=3).fit(X32, Y[:, 0])
    cv64 = RidgeCV(alphas=[0.1, 1.0, 10.0], solver=solver, cv=3).fit(X32.astype(np.float64),
                                                                     Y[:, 0])
    assert cv32.coef_.dtype == np.float32
    assert cv32.alpha_ == cv64.alpha_
    assert rel_err(cv32.coef_, cv64.coef_) <= 1e-4


def test_zero_penalty_needs_nonsingular_gram():
    X, Y, s = make_regression(18, n=10, p=15)
    F = primal_or_dual("eigh", X, Y, s)
    assert F.rank == 9  # n − 1 after centering
    with pytest.raises(ValueError, match="non-singular Gram"):
        F.check_penalties(np.array([0.0]))
    F.check_penalties(np.array([1e-6]))


# ---------------------------------------------------------------------------------------------
# 6. κ(X) = 1e12 against a 50-digit reference: the SVD fallback
# ---------------------------------------------------------------------------------------------


def _ill_conditioned(seed=0, n=30, p=6):
    """X = 1 mᵀ + U diag(σ) Vᵀ with U ⊥ 1, σ from 1 down to 1e-12: κ(Xc) = 1e12."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(np.column_stack([np.ones(n), rng.normal(size=(n, p))]))
    V, _ = np.linalg.qr(rng.normal(size=(p, p)))
    sig = np.logspace(0, -12, p)
    X = (Q[:, 1:] * sig) @ V.T + rng.normal(size=p)
    y = X @ rng.normal(size=p) + 0.1 * rng.normal(size=n) + 3.0
    return X, y, sig


def _mp_ridge(X, y, a):
    """Ridge with intercept in 50-digit arithmetic on the float64 values of X and y."""
    with mpmath.workdps(50):
        n, p = X.shape
        Xm, ym = mpmath.matrix(X.tolist()), mpmath.matrix(y.tolist())
        mx = [mpmath.fsum(Xm[i, j] for i in range(n)) / n for j in range(p)]
        my = mpmath.fsum(ym) / n
        Xc = mpmath.matrix(n, p)
        for i in range(n):
            for j in range(p):
                Xc[i, j] = Xm[i, j] - mx[j]
        yc = mpmath.matrix([ym[i] - my for i in range(n)])
        w = mpmath.lu_solve(Xc.T * Xc + mpmath.mpf(a) * mpmath.eye(p), Xc.T * yc)
        b = my - mpmath.fsum(mx[j] * w[j] for j in range(p))
        return np.array([float(v) for v in w]), float(b)


@pytest.mark.parametrize("a", [1e-14, 1e-12, 1e-10, 1e-5, 1e-2, 1.0])
def test_ill_conditioned_against_mpmath(a):
    X, y, sig = _ill_conditioned()
    assert np.linalg.cond(X - X.mean(axis=0)) == pytest.approx(1e12, rel=0.01)
    w_ref, b_ref = _mp_ridge(X, y, a)
    # A backward-stable SVD perturbs each σ by ≤ ε·σ_max; the filter σ/(σ²+a) has slope ≤ 1/a,
    # so to first order ‖δw‖/‖w‖ ≲ ε·σ_max·‖yc‖/(a·‖w‖). The assertion below (1e-6) is made
    # only because this bound is ≤ 1e-7 for every a here (the largest, ~6e-8, is at a = 1e-14);
    # for a → 0 (κ_aug → 1e12) no float64 method can reach 1e-6 and nothing is asserted.
    eps = np.finfo(float).eps
    bound = eps * sig[0] * np.linalg.norm(y - y.mean()) / (a * np.linalg.norm(w_ref))
    assert bound <= 1e-7
    est = Ridge(alpha=a).fit(X, y)
    assert est.solver_ == ("svd" if (sig[-1] ** 2 + a) / sig[0] ** 2 < 1e-8 else "eigh")
    assert rel_err(est.coef_, w_ref) <= 1e-6
    assert est.intercept_ == pytest.approx(b_ref, rel=1e-6)
    # the same through the selection engine, whose grid reaches the tiny penalty
    sel = select_ridge(X, y[:, None], np.ones(30), lambdas=np.array([1.0, a / 30]), cv="gcv",
                       warn_edge=False)
    assert sel.factor.method == ("svd" if a <= 1e-10 else "eigh")
    assert rel_err(sel.factor.coef(np.array([a]))[0][:, 0], w_ref) <= 1e-6


def test_ill_conditioned_gram_route_alone_is_not_accurate():
    """The test above is sharp: the Gram eigendecomposition misses 1e-6 at a = 1e-14."""
    X, y, _ = _ill_conditioned()
    a = 1e-14
    w_ref, _ = _mp_ridge(X, y, a)
    F = primal_or_dual("eigh", X, y[:, None], np.ones(30))
    assert F.method == "eigh" and needs_svd(F, a)
    assert rel_err(F.coef(np.array([a]))[0][:, 0], w_ref) > 1e-6
    G = full_factor(X, y[:, None], np.ones(30), "eigh", fit_intercept=True, standardize=False,
                    min_penalty=a)
    assert G.method == "svd"
    assert rel_err(G.coef(np.array([a]))[0][:, 0], w_ref) <= 1e-6
