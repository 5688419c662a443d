"""Certified coordinate descent (``ridgeline.solvers.cd``), the sparse paths and prox Newton.

The duality gap is recomputed here from the returned coefficients with an independent dual
point (:func:`canonical_gap`), written from the canonical objective

    (1/n_w) Σ_i s_i (y_i - x_iᵀw - b)² + Σ_g c_g ‖w_g‖₂ + Σ_j r_j w_j²     (b profiled out)

as a (group) lasso on the augmented design ``X̂ = [S^½X̃; diag(√(n_w r))]``,
``ŷ = [S^½ỹ; 0]``: scaled by n_w/2 the primal is ``½‖ŷ - X̂w‖² + Σ κ_g‖w_g‖`` (κ = n_w c/2),
whose dual is ``D(θ) = ½‖ŷ‖² - ½‖ŷ - θ‖²`` over ``‖X̂_gᵀθ‖ ≤ κ_g`` (``X̂_jᵀθ ≤ κ_j`` under
``w ≥ 0``). The dual point is the residual projected off the unpenalized columns and scaled
into the feasible set.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit

from ridgeline.path.sparse_path import (
    geometric_grid,
    logistic_lambda_max,
    logistic_path,
    ls_lambda_max,
    ls_path,
)
from ridgeline.penalties import ElasticNetPenalty, GroupPenalty
from ridgeline.solvers.cd import solve_blocks, solve_gram
from ridgeline.solvers.cd_certificate import Blocks
from ridgeline.solvers.cd_design import CDDesign
from ridgeline.solvers.ls_problem import LSProblem
from ridgeline.solvers.prox_newton import LogisticL1Problem, solve_logistic

# ---------------------------------------------------------------------------------------------
# independent references
# ---------------------------------------------------------------------------------------------


def as_dense(X) -> np.ndarray:
    return X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)


def centered(X, y, s, fit_intercept: bool):
    """Weighted-centered copies of X (dense) and y, and the centering points."""
    X = as_dense(X)
    sw = s.sum()
    mx = s @ X / sw if fit_intercept else np.zeros(X.shape[1])
    my = float(s @ y) / sw if fit_intercept else 0.0
    return X - mx, y - my, mx, my


def canonical_objective(X, y, s, w, intercept, c, r, groups=None) -> float:
    """``(1/n_w) Σ s (y - Xw - b)² + Σ_g c_g‖w_g‖ + Σ r_j w_j²`` (groups: singletons if None)."""
    X = as_dense(X)
    res = y - X @ w - intercept
    groups = [[j] for j in range(w.size)] if groups is None else groups
    norms = np.array([np.linalg.norm(w[g]) for g in groups])
    r = np.broadcast_to(np.asarray(r, dtype=np.float64), w.shape)
    return float(s @ res**2) / s.sum() + float(np.asarray(c) @ norms) + float(r @ (w * w))


def canonical_gap(X, y, s, w, c, r, *, fit_intercept=True, groups=None, nonneg=False) -> float:
    """Duality gap of the canonical objective at ``w`` (intercept profiled), computed from a
    dual-feasible point built here (see the module docstring)."""
    Xc, yc, _, _ = centered(X, y, s, fit_intercept)
    p = Xc.shape[1]
    n_w = s.sum()
    groups = [np.array([j]) for j in range(p)] if groups is None else [np.asarray(g)
                                                                      for g in groups]
    c = np.asarray(c, dtype=np.float64)
    r = np.broadcast_to(np.asarray(r, dtype=np.float64), (p,))
    root = np.sqrt(s)[:, None]
    Xh = np.vstack([Xc * root, np.diag(np.sqrt(n_w * r))])
    yh = np.concatenate([yc * root[:, 0], np.zeros(p)])
    kappa = n_w * c / 2.0
    res = yh - Xh @ w
    primal = 0.5 * res @ res + sum(k * np.linalg.norm(w[g])
                                   for k, g in zip(kappa, groups, strict=True))
    free = [j for k, g in zip(kappa, groups, strict=True) if k == 0 for j in g]
    theta = res.copy()
    if free:
        F = Xh[:, free]
        theta -= F @ np.linalg.lstsq(F, theta, rcond=None)[0]
    corr = Xh.T @ theta
    ratio = 0.0
    for k, g in zip(kappa, groups, strict=True):
        if k == 0:
            continue
        v = np.maximum(corr[g], 0.0) if nonneg else corr[g]
        ratio = max(ratio, np.linalg.norm(v) / k)
    theta *= min(1.0, 1.0 / ratio) if ratio > 0 else 1.0
    dual = 0.5 * yh @ yh - 0.5 * np.sum((yh - theta) ** 2)
    return 2.0 / n_w * (primal - dual)


def canonical_optimum_bound(X, y, s, c, r, *, w0, fit_intercept=True, groups=None,
                            iters=20_000) -> float:
    """A lower bound on the optimal canonical objective, found independently of the solvers.

    Proximal gradient (ISTA, step 1/L) from ``w0`` on the augmented problem of
    :func:`canonical_gap`, then ``P(w') - gap(w')`` at the final ``w'``: a certified lower
    bound whatever dual point the solver under test used for its own certificate.
    """
    Xc, yc, _, _ = centered(X, y, s, fit_intercept)
    p = Xc.shape[1]
    n_w = s.sum()
    groups = [np.array([j]) for j in range(p)] if groups is None else [np.asarray(g)
                                                                      for g in groups]
    r = np.broadcast_to(np.asarray(r, dtype=np.float64), (p,))
    root = np.sqrt(s)[:, None]
    Xh = np.vstack([Xc * root, np.diag(np.sqrt(n_w * r))])
    yh = np.concatenate([yc * root[:, 0], np.zeros(p)])
    kappa = n_w * np.asarray(c, dtype=np.float64) / 2.0
    step = 1.0 / np.linalg.norm(Xh, 2) ** 2
    w = np.array(w0, dtype=np.float64)
    for it in range(iters):
        z = w - step * (Xh.T @ (Xh @ w - yh))
        for k, g in zip(kappa, groups, strict=True):
            norm = np.linalg.norm(z[g])
            z[g] *= max(0.0, 1.0 - step * k / norm) if norm > 0 else 0.0
        w = z
        if it % 500 == 499 and canonical_gap(X, y, s, w, c, r, fit_intercept=fit_intercept,
                                             groups=groups) < 1e-15:
            break
    res = yh - Xh @ w
    primal = 2.0 / n_w * (0.5 * res @ res + sum(k * np.linalg.norm(w[g])
                                                for k, g in zip(kappa, groups, strict=True)))
    return primal - canonical_gap(X, y, s, w, c, r, fit_intercept=fit_intercept, groups=groups)


def make_sparse_regression(seed, n=120, p=40, *, k_true=6, rho=0.5, weighted=True, noise=0.5):
    """Correlated (AR(ρ)), shifted features; a sparse truth; optional weights."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, p))
    X = np.empty_like(Z)
    X[:, 0] = Z[:, 0]
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * Z[:, j]
    X = X * rng.uniform(0.5, 2.0, p) + rng.normal(size=p)
    beta = np.zeros(p)
    beta[rng.choice(p, k_true, replace=False)] = rng.choice([-1, 1], k_true) * rng.uniform(
        1, 3, k_true)
    y = X @ beta + 1.5 + noise * rng.normal(size=n)
    s = rng.uniform(0.3, 3.0, n) if weighted else np.ones(n)
    return X, y, s


def _halved_setup(X, y, h, center=True):
    """``(design, ỹ, Q0, q, yy)`` of the halved problem on X."""
    design = CDDesign(X, h, center)
    Xc, yc, _, _ = centered(X, y, h, center)
    n_w = h.sum()
    Q0 = Xc.T @ (h[:, None] * Xc) / n_w
    q = Xc.T @ (h * yc) / n_w
    yy = float(h @ yc**2) / n_w
    return design, yc, Q0, q, yy


def _alpha_max(q, factors=None) -> float:
    f = np.ones(q.size) if factors is None else factors
    pen = f > 0
    return float(np.max(np.abs(q[pen]) / f[pen]))


# ---------------------------------------------------------------------------------------------
# the two engines
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ridge", [0.0, 0.3], ids=["lasso", "enet"])
@pytest.mark.parametrize("fmt", ["dense", "csc", "csr"])
@pytest.mark.parametrize("center", [True, False])
def test_gram_and_residual_engines_agree_and_certify(ridge, fmt, center):
    X, y, h = make_sparse_regression(0)
    if fmt != "dense":
        X = X * (np.random.default_rng(1).uniform(size=X.shape) < 0.4)  # genuinely sparse
        X = sp.csc_matrix(X) if fmt == "csc" else sp.csr_matrix(X)
    design, yc, Q0, q, yy = _halved_setup(X, y, h, center)
    p = q.size
    a = np.full(p, 0.1 * _alpha_max(q))
    b = np.full(p, ridge)
    fb = solve_blocks(design, yc, Blocks.singletons(p), a, b, gap_tol=1e-13, screen=True)
    fg = solve_gram(Q0 + np.diag(b), q, yy, a, gap_tol=1e-13)
    assert fb.converged and fg.converged
    assert fb.gap <= 1e-13 and fg.gap <= 1e-13
    assert 3 <= np.count_nonzero(fb.coef) < p
    np.testing.assert_array_equal(fb.coef != 0, fg.coef != 0)
    np.testing.assert_allclose(fb.coef, fg.coef, atol=1e-6 * np.abs(fg.coef).max())
    # primal reported in the halved scale: half the canonical objective
    Xd = as_dense(X)
    b0 = (float(h @ (y - Xd @ fb.coef)) / h.sum()) if center else 0.0
    canon = canonical_objective(Xd, y, h, fb.coef, b0, 2 * a, b)
    assert fb.primal == pytest.approx(canon / 2, rel=1e-10)
    assert fg.primal == pytest.approx(canon / 2, rel=1e-8)
    # independent gap, canonical scale (twice the halved one)
    for fit in (fb, fg):
        gap = canonical_gap(Xd, y, h, fit.coef, 2 * a, b, fit_intercept=center)
        assert -1e-12 <= gap <= 1e-10
    # the returned residual is y - X̃w
    Xc, _, _, _ = centered(Xd, y, h, center)
    np.testing.assert_allclose(fb.residual, yc - Xc @ fb.coef, atol=1e-10)


def test_gram_engine_full_tikhonov_matrix_kkt():
    X, y, h = make_sparse_regression(2, p=20)
    _, _, Q0, q, yy = _halved_setup(X, y, h)
    D = np.diff(np.eye(20), axis=0)
    B = 0.2 * D.T @ D  # a smoothness penalty, singular
    a = np.full(20, 0.05 * _alpha_max(q))
    fit = solve_gram(Q0 + B, q, yy, a, gap_tol=1e-14)
    w = fit.coef
    assert fit.converged
    grad = (Q0 + B) @ w - q
    nz = w != 0
    # KKT of ½wᵀ(Q0+B)w - qᵀw + Σa|w|
    np.testing.assert_allclose(grad[nz] + a[nz] * np.sign(w[nz]), 0.0, atol=1e-7)
    assert np.all(np.abs(grad[~nz]) <= a[~nz] + 1e-7)
    assert 0 < nz.sum() < 20
    # objective is not beaten by nearby points
    obj = lambda v: 0.5 * v @ (Q0 + B) @ v - q @ v + a @ np.abs(v)  # noqa: E731
    rng = np.random.default_rng(0)
    assert all(obj(w + 1e-4 * rng.normal(size=20)) > obj(w) for _ in range(30))


def _solve(engine, X, y, h, a, b, nonneg):
    design, yc, Q0, q, yy = _halved_setup(X, y, h)
    tol = 1e-13 * yy
    if engine == "gram":
        return solve_gram(Q0 + np.diag(b), q, yy, a, nonneg=nonneg, gap_tol=tol), Q0, q
    fit = solve_blocks(design, yc, Blocks.singletons(q.size), a, b, nonneg=nonneg, gap_tol=tol)
    return fit, Q0, q


@pytest.mark.parametrize("engine", ["gram", "blocks"])
def test_nonneg(engine):
    X, y, h = make_sparse_regression(3, p=30)
    _, _, _, q, _ = _halved_setup(X, y, h)
    a = np.full(30, 0.05 * _alpha_max(q))
    fit, Q0, q = _solve(engine, X, y, h, a, np.zeros(30), True)
    w = fit.coef
    assert fit.converged
    assert np.all(w >= 0)
    grad = Q0 @ w - q
    zero = w == 0
    # KKT under w ≥ 0: a positive coefficient has grad = -a; at zero, -grad ≤ a
    np.testing.assert_allclose(grad[~zero], -a[~zero], atol=1e-7)
    assert np.all(-grad[zero] <= a[zero] + 1e-8)
    assert np.any(grad[zero] > a[zero])  # the bound is active: the unconstrained fit differs
    assert zero.sum() > 0 and (~zero).sum() > 2
    gap = canonical_gap(X, y, h, w, 2 * a, 0.0, nonneg=True)
    assert -1e-12 <= gap <= 1e-10


@pytest.mark.parametrize("engine", ["gram", "blocks"])
@pytest.mark.parametrize("nonneg", [False], ids=["free"])  # bounds on free features: refused
def test_unpenalized_coordinates(engine, nonneg):
    X, y, h = make_sparse_regression(3, p=30)
    _, _, _, q, _ = _halved_setup(X, y, h)
    f = np.ones(30)
    f[[0, 7]] = 0.0  # two unpenalized features
    a = 0.1 * _alpha_max(q, f) * f
    fit, Q0, q = _solve(engine, X, y, h, a, np.zeros(30), nonneg)
    w = fit.coef
    assert fit.converged, f"gap {fit.gap:.3g} after {fit.n_epochs} epochs"
    grad = Q0 @ w - q
    if nonneg:
        assert np.all(w >= 0), f"negative coefficients {w[w < 0]} at {np.flatnonzero(w < 0)}"
    for j in (0, 7):
        # an unpenalized coefficient sits at its exact optimum (or on the bound under w ≥ 0)
        if w[j] != 0:
            assert abs(grad[j]) <= 1e-8
        else:
            assert nonneg and grad[j] >= -1e-8
    gap = canonical_gap(X, y, h, w, 2 * a, 0.0, nonneg=nonneg)
    assert -1e-12 <= gap <= 1e-10


def test_warm_start_and_residual_warm_start_give_the_same_solution():
    X, y, h = make_sparse_regression(4)
    design, yc, _, q, _ = _halved_setup(X, y, h)
    p = q.size
    a_hi, a_lo = np.full(p, 0.3 * _alpha_max(q)), np.full(p, 0.05 * _alpha_max(q))
    b = np.zeros(p)
    tol = 1e-13 * float(h @ yc**2) / h.sum()
    first = solve_blocks(design, yc, Blocks.singletons(p), a_hi, b, gap_tol=tol)
    cold = solve_blocks(CDDesign(X, h, True), yc, Blocks.singletons(p), a_lo, b, gap_tol=tol)
    warm = solve_blocks(CDDesign(X, h, True), yc, Blocks.singletons(p), a_lo, b,
                        w0=first.coef, R0=first.residual, gap_tol=tol)
    assert warm.converged and cold.converged and warm.gap <= tol
    np.testing.assert_allclose(warm.coef, cold.coef, atol=1e-7)


def test_solver_stops_unconverged_at_max_epochs():
    X, y, h = make_sparse_regression(5, p=60, rho=0.9)
    design, yc, Q0, q, yy = _halved_setup(X, y, h)
    a = np.full(60, 1e-3 * _alpha_max(q))
    fit = solve_blocks(design, yc, Blocks.singletons(60), a, np.zeros(60), gap_tol=1e-15,
                       max_epochs=1)
    assert not fit.converged and fit.gap > 1e-15
    assert fit.n_epochs <= 2
    fg = solve_gram(Q0, q, yy, a, gap_tol=1e-15, max_epochs=1)
    assert not fg.converged and fg.gap > 1e-15 and fg.n_epochs == 1


# ---------------------------------------------------------------------------------------------
# gap-safe screening never drops a feature of the optimum
# ---------------------------------------------------------------------------------------------


def _screen_pair(X, y, h, blocks, a, b):
    design, yc, _, _, yy = _halved_setup(X, y, h)
    on = solve_blocks(design, yc, blocks, a, b, gap_tol=1e-14 * yy, screen=True)
    off = solve_blocks(CDDesign(X, h, True), yc, blocks, a, b, gap_tol=1e-14 * yy,
                       screen=False)
    return on, off


@pytest.mark.parametrize("frac", [0.5, 0.15, 0.03])
@pytest.mark.parametrize("ridge", [0.0, 0.5], ids=["lasso", "enet"])
def test_screening_keeps_the_support(frac, ridge):
    X, y, h = make_sparse_regression(6, n=100, p=180, k_true=8, rho=0.7)
    _, _, _, q, _ = _halved_setup(X, y, h)
    p = q.size
    a = np.full(p, frac * _alpha_max(q))
    b = np.full(p, ridge)
    on, off = _screen_pair(X, y, h, Blocks.singletons(p), a, b)
    assert on.converged and off.converged
    assert on.n_screened > p // 2 and off.n_screened == 0
    np.testing.assert_array_equal(on.coef != 0, off.coef != 0)
    np.testing.assert_allclose(on.coef, off.coef, atol=1e-8)
    assert np.count_nonzero(on.coef) >= 1


@pytest.mark.parametrize("frac", [0.6, 0.2, 0.05])
def test_screening_keeps_the_support_groups(frac):
    X, y, h = make_sparse_regression(7, n=100, p=150, k_true=10, rho=0.6)
    _, _, _, q, _ = _halved_setup(X, y, h)
    sizes = np.random.default_rng(0).choice([1, 2, 3, 5], 60)
    ptr = np.concatenate([[0], np.cumsum(sizes)])
    ptr = np.append(ptr[ptr < 150], 150).astype(np.int64)
    perm = np.random.default_rng(1).permutation(150).astype(np.int64)
    blocks = Blocks(perm, ptr)
    groups = [perm[ptr[g]:ptr[g + 1]] for g in range(ptr.size - 1)]
    w_g = np.sqrt(np.diff(ptr))
    gmax = max(np.linalg.norm(q[g]) / wg for g, wg in zip(groups, w_g, strict=True))
    a = frac * gmax * w_g
    on, off = _screen_pair(X, y, h, blocks, a, np.zeros(150))
    assert on.converged and off.converged
    assert on.n_screened > blocks.n_blocks // 3
    np.testing.assert_array_equal(on.coef != 0, off.coef != 0)
    np.testing.assert_allclose(on.coef, off.coef, atol=1e-8)
    # whole groups are zero or not
    norms = np.array([np.linalg.norm(on.coef[g]) for g in groups])
    for g, nrm in zip(groups, norms, strict=True):
        assert (np.count_nonzero(on.coef[g]) == 0) == (nrm == 0)
    assert 0 < np.count_nonzero(norms) < len(groups)
    gap = canonical_gap(X, y, h, on.coef, 2 * a, 0.0, groups=groups)
    assert -1e-12 <= gap <= 1e-10


def test_screening_large_p_sparse_design():
    """The one larger problem: n=200, p=3000 sparse CSC, lasso at several λ."""
    rng = np.random.default_rng(8)
    n, p = 200, 3000
    X = sp.random(n, p, density=0.05, random_state=rng, format="csc")
    beta = np.zeros(p)
    beta[:10] = rng.uniform(2, 4, 10)
    y = X @ beta + 0.1 * rng.normal(size=n)
    h = np.ones(n)
    design = CDDesign(X, h, True)
    yc = y - y.mean()
    q = design.rmatvec(yc) / n
    for frac in (0.3, 0.05):
        a = np.full(p, frac * np.abs(q).max())
        tol = 1e-14 * float(yc @ yc) / n
        on = solve_blocks(design, yc, Blocks.singletons(p), a, np.zeros(p), gap_tol=tol)
        off = solve_blocks(CDDesign(X, h, True), yc, Blocks.singletons(p), a, np.zeros(p),
                           gap_tol=tol, screen=False)
        assert on.converged and off.converged
        assert on.n_screened > 0.9 * p
        np.testing.assert_array_equal(on.coef != 0, off.coef != 0)
        np.testing.assert_allclose(on.coef, off.coef, atol=1e-8)


# ---------------------------------------------------------------------------------------------
# paths
# ---------------------------------------------------------------------------------------------


def _problem(X, y, s, fit_intercept, gram):
    return LSProblem.from_data(X, y, s, fit_intercept, gram)


@pytest.mark.parametrize("gram", [True, False], ids=["gram", "residual"])
@pytest.mark.parametrize("mix", [1.0, 0.6])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ls_path_certified_and_matches_references(gram, mix, fit_intercept):
    X, y, s = make_sparse_regression(9, n=90, p=25)
    f = np.random.default_rng(2).uniform(0.5, 2.0, 25)
    f[3] = 0.0
    pen = ElasticNetPenalty.make(mix, 25, f)
    problem = _problem(X, y, s, fit_intercept, gram)
    lam_max = ls_lambda_max(problem, pen)
    lams = geometric_grid(lam_max, 12, 1e-3)
    path = ls_path(problem, pen, lams, tol=1e-12, max_epochs=100_000)
    assert path.converged.all()
    assert np.all(path.certificates <= path.certificate_tols)
    _, yc, mx, my = centered(X, y, s, fit_intercept)
    assert np.all(path.certificate_tols <= 1e-12 * (s @ yc**2) / s.sum() * (1 + 1e-12))
    for i, lam in enumerate(lams):
        w = path.coefs[i]
        c, r = lam * mix * f, lam * (1 - mix) * f
        np.testing.assert_allclose(path.intercepts[i], my - mx @ w, atol=1e-10)
        obj = canonical_objective(X, y, s, w, path.intercepts[i], c, r)
        assert path.objectives[i] == pytest.approx(obj, rel=1e-9)
        gap = canonical_gap(X, y, s, w, c, r, fit_intercept=fit_intercept)
        assert gap <= 1e-9 * max(obj, 1.0)
    # at λ_max only the unpenalized feature is nonzero; far down the path many are
    assert np.flatnonzero(path.coefs[0]).tolist() == [3]
    assert path.n_nonzero[-1] > 10


def test_ls_path_order_and_engines_agree():
    X, y, s = make_sparse_regression(10, n=80, p=20)
    pen = ElasticNetPenalty.make(1.0, 20)
    pg = _problem(X, y, s, True, True)
    pr = _problem(X, y, s, True, False)
    lams = geometric_grid(ls_lambda_max(pg, pen), 8, 1e-2)
    assert ls_lambda_max(pr, pen) == pytest.approx(lams[0], rel=1e-12)
    a = ls_path(pg, pen, lams, tol=1e-13, max_epochs=100_000)
    b = ls_path(pr, pen, lams, tol=1e-13, max_epochs=100_000)
    np.testing.assert_allclose(a.coefs, b.coefs, atol=1e-7)
    order = np.random.default_rng(0).permutation(8)
    c = ls_path(_problem(X, y, s, True, True), pen, lams[order], tol=1e-13, max_epochs=100_000)
    np.testing.assert_allclose(c.coefs, a.coefs[order], atol=1e-7)
    np.testing.assert_allclose(c.lambdas, lams[order])


@pytest.mark.parametrize(
    "kind", ["lasso", "enet", "factors", "nonneg", "group", "group_free", "no_intercept"])
def test_lambda_max_exact_threshold(kind):
    X, y, s = make_sparse_regression(11, n=80, p=12)
    p = 12
    fit_intercept = kind != "no_intercept"
    free = []
    if kind in ("lasso", "no_intercept"):
        pen = ElasticNetPenalty.make(1.0, p)
    elif kind == "enet":
        pen = ElasticNetPenalty.make(0.3, p)
    elif kind == "factors":
        f = np.linspace(0.5, 2.0, p)
        f[[2, 5]] = 0.0
        free = [2, 5]
        pen = ElasticNetPenalty.make(0.8, p, f)
    elif kind == "nonneg":
        y = -y  # most correlations negative: only the positive side may enter
        pen = ElasticNetPenalty.make(1.0, p, nonneg=True)
    elif kind == "group":
        pen = GroupPenalty.make(3, p)
    else:
        pen = GroupPenalty.make(3, p, weights=[1.0, 0.0, 2.0, 1.0])
        free = [3, 4, 5]
    problem = _problem(X, y, s, fit_intercept, not isinstance(pen, GroupPenalty))
    lam_max = ls_lambda_max(problem, pen)
    assert np.isfinite(lam_max) and lam_max > 0
    lams = np.array([lam_max * 1.5, lam_max, lam_max * (1 - 1e-6), lam_max * 0.9])
    path = ls_path(problem, pen, lams, tol=1e-14, max_epochs=100_000)
    penalized = np.setdiff1d(np.arange(p), free)
    assert np.all(path.coefs[:2][:, penalized] == 0.0)
    assert np.count_nonzero(path.coefs[2][penalized]) >= 1
    assert np.count_nonzero(path.coefs[3][penalized]) >= 1
    if free:
        assert np.all(path.coefs[:2][:, free] != 0.0)
    if kind == "nonneg":
        assert np.all(path.coefs >= 0)
    assert path.converged.all()


def test_group_path_certificates():
    X, y, s = make_sparse_regression(12, n=90, p=24)
    pen = GroupPenalty.make([[0, 1, 2, 3], [4, 5], [6], [7, 8, 9], list(range(10, 24))], 24)
    problem = _problem(X, y, s, True, False)
    lams = geometric_grid(ls_lambda_max(problem, pen), 10, 1e-3)
    path = ls_path(problem, pen, lams, tol=1e-12, max_epochs=100_000)
    assert path.converged.all()
    groups = [np.asarray(g) for g in pen.groups]
    for i, lam in enumerate(lams):
        w, c = path.coefs[i], lam * pen.weights
        # the solver certifies with an extrapolated dual point; check its claim against an
        # independent lower bound on the optimum (and the plain residual gap, more loosely)
        assert canonical_gap(X, y, s, w, c, 0.0, groups=groups) <= 1e-6
        obj = canonical_objective(X, y, s, w, path.intercepts[i], c, 0.0, groups=groups)
        sub = obj - canonical_optimum_bound(X, y, s, c, 0.0, w0=w, groups=groups)
        assert sub <= path.certificates[i] + 1e-13 * obj  # rounding of two objective values
        assert path.certificates[i] <= path.certificate_tols[i]


def test_path_reports_unconverged_solves():
    X, y, s = make_sparse_regression(13, n=60, p=50, rho=0.95)
    pen = ElasticNetPenalty.make(1.0, 50)
    problem = _problem(X, y, s, True, False)
    lams = geometric_grid(ls_lambda_max(problem, pen), 5, 1e-4)
    path = ls_path(problem, pen, lams, tol=1e-15, max_epochs=1)
    assert not path.converged.all()
    bad = ~path.converged
    assert np.all(path.certificates[bad] > path.certificate_tols[bad])


# ---------------------------------------------------------------------------------------------
# logistic L1 by proximal Newton
# ---------------------------------------------------------------------------------------------


def _logistic_data(seed, n=150, p=12):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, p) + 0.3 * rng.normal(size=p)
    beta = np.zeros(p)
    beta[:4] = [1.5, -1.0, 0.8, -0.6]
    y = (rng.uniform(size=n) < expit(X @ beta + 0.4)).astype(float)
    return X, y


def _logistic_objective(X, y, s, w, b0, c):
    eta = as_dense(X) @ w + b0
    loss = np.logaddexp(0.0, eta) - y * eta
    return float(s @ loss) / s.sum() + float(c @ np.abs(w))


def _logistic_kkt(X, y, s, w, b0, c, fit_intercept=True) -> float:
    eta = as_dense(X) @ w + b0
    r = s * (expit(eta) - y) / s.sum()
    g = as_dense(X).T @ r
    nz = w != 0
    res = np.where(nz, np.abs(g + c * np.sign(w)), np.maximum(np.abs(g) - c, 0.0))
    out = float(res.max())
    return max(out, abs(float(r.sum()))) if fit_intercept else out


@pytest.mark.parametrize("C", [0.05, 0.5])
def test_logistic_l1_matches_sklearn_saga(C):
    from sklearn.linear_model import LogisticRegression as SkLogistic

    X, y = _logistic_data(20)
    n, p = X.shape
    s = np.ones(n)
    a = np.full(p, 1.0 / (C * n))
    fit = solve_logistic(LogisticL1Problem(X, y, s, True), Blocks.singletons(p), a,
                         np.zeros(p), kkt_tol=1e-9, max_iter=200)
    assert fit.converged and fit.kkt <= 1e-9
    assert _logistic_kkt(X, y, s, fit.coef, fit.intercept, a) <= 1e-9
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = SkLogistic(l1_ratio=1.0, C=C, solver="saga", tol=1e-12, max_iter=100_000).fit(X, y)
    ours = _logistic_objective(X, y, s, fit.coef, fit.intercept, a)
    theirs = _logistic_objective(X, y, s, sk.coef_[0], sk.intercept_[0], a)
    assert fit.objective == pytest.approx(ours, rel=1e-12)
    assert ours <= theirs * (1 + 1e-9)
    assert ours == pytest.approx(theirs, rel=1e-6)
    np.testing.assert_array_equal(fit.coef == 0, np.abs(sk.coef_[0]) < 1e-6)
    assert 0 < np.count_nonzero(fit.coef) < p


def test_logistic_path_and_lambda_max():
    X, y = _logistic_data(21, n=120, p=10)
    s = np.random.default_rng(0).uniform(0.5, 2.0, 120)
    f = np.ones(10)
    f[9] = 0.0
    pen = ElasticNetPenalty.make(1.0, 10, f)
    problem = LogisticL1Problem(X, y, s, True)
    lam_max = logistic_lambda_max(problem, pen)
    lams = np.concatenate([[lam_max, lam_max * (1 - 1e-6)], geometric_grid(lam_max, 6, 1e-2)])
    path = logistic_path(problem, pen, lams, tol=1e-8, max_iter=200)
    assert path.converged.all()
    assert np.all(path.certificates <= path.certificate_tols)
    assert np.all(path.coefs[0][:9] == 0.0) and path.coefs[0][9] != 0.0
    assert np.count_nonzero(path.coefs[1][:9]) >= 1
    for i, lam in enumerate(lams):
        c = lam * f
        kkt = _logistic_kkt(X, y, s, path.coefs[i], path.intercepts[i], c)
        assert kkt <= 1.01 * path.certificate_tols[i] + 1e-13
        obj = _logistic_objective(X, y, s, path.coefs[i], path.intercepts[i], c)
        assert path.objectives[i] == pytest.approx(obj, rel=1e-12)


def test_extrapolation_recovers_the_limit_of_a_vector_autoregression():
    """Iterates r_k = r* + Σ_i ρ_i^k d_i (4 modes, 6 iterates): the extrapolated point is r*
    exactly (the weights annihilate every mode's polynomial)."""
    from ridgeline.solvers.cd_certificate import extrapolation_weights

    rng = np.random.default_rng(3)
    r_star = rng.normal(size=40)
    rho = np.array([0.9, 0.7, 0.5, -0.3])
    D = rng.normal(size=(4, 40))
    H = np.array([r_star + (rho**k) @ D for k in range(6)])
    c = extrapolation_weights(H)
    assert c.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(c @ H[1:], r_star, atol=1e-8)
    assert np.linalg.norm(H[-1] - r_star) > 0.1  # the last iterate itself is far off
    assert extrapolation_weights(np.ones((6, 40))) is None  # no movement: singular


def test_polishing_that_ends_on_a_worse_gap_returns_the_best_certified_point(monkeypatch):
    """The duality gap is not monotone in coordinate descent: when polishing stops (here at
    max_epochs) on a point whose gap is worse than one certified earlier, the solver returns
    that earlier point, with its own certificate (recomputed here from scratch)."""
    import ridgeline.solvers.cd as cd

    X, y, h = make_sparse_regression(0)
    design, yc, _, q, yy = _halved_setup(X, y, h, True)
    p = q.size
    a, b = np.full(p, 0.1 * _alpha_max(q)), np.zeros(p)
    ref = solve_blocks(design, yc, Blocks.singletons(p), a, b, gap_tol=1e-13)
    real_inner, calls = cd.inner, []

    def spoiling_inner(state, y_, w, *args):
        done, acc = real_inner(state, y_, w, *args)
        calls.append(done)
        if len(calls) >= 6:  # after a good start, every further sweep spoils the point
            w += 0.05
            state.move(np.arange(p), np.full(p, 0.05))
        return done, acc

    monkeypatch.setattr(cd, "inner", spoiling_inner)
    monkeypatch.setattr(cd.SupportTrigger, "step", lambda *args, **kw: False)
    fit = solve_blocks(design, yc, Blocks.singletons(p), a, b, gap_tol=1e-3 * yy,
                       max_epochs=80, polish=True)
    monkeypatch.undo()
    check = solve_blocks(design, yc, Blocks.singletons(p), a, b, gap_tol=np.inf, w0=fit.coef,
                         max_epochs=0, screen=False)
    assert len(calls) >= 6 and fit.gap <= 1e-3 * yy
    assert fit.gap == pytest.approx(check.gap, rel=1e-9, abs=1e-15)
    assert fit.primal == pytest.approx(check.primal, rel=1e-12)
    assert np.abs(fit.coef - ref.coef).max() < 0.05
