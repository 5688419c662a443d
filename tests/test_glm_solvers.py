"""GLM solvers: KKT certificates, scikit-learn, each other, sparse input, batches and paths.

The objective (see ``shared/DESIGN.md``) is ``(1/n_w) Σ s_i ℓ(y_i, x_iᵀW + b) + λ‖W‖²``;
scikit-learn's ``LogisticRegression(C)`` is ``λ = 1/(2 C n_w)`` and ``PoissonRegressor(alpha)``
is ``λ = alpha``. Gradients and objectives are recomputed here from the formulas, never from
the solver's own bookkeeping.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit, logsumexp, softmax, xlogy
from sklearn.linear_model import LogisticRegression, PoissonRegressor

import glm_data
from ridgeline.losses import LOSSES
from ridgeline.path.glm_path import auto_glm_grid, glm_path
from ridgeline.solvers.glm_problem import GLMProblem
from ridgeline.solvers.glm_solve import (
    GLM_SOLVERS,
    NEWTON_MAX_DIM,
    SKLEARN_SOLVER_NAMES,
    choose_solver,
    resolve_glm_solver,
    solve,
)
from ridgeline.solvers.lbfgs import lbfgs
from ridgeline.solvers.newton import NewtonState, newton
from ridgeline.solvers.newton_cg import newton_cg
from ridgeline.solvers.trust_region import trust_region

KINDS = ["binomial", "multinomial", "poisson"]
SOLVERS = ["newton", "newton-cg", "lbfgs", "trust-ncg"]
SOLVER_FN = {"newton": newton, "newton-cg": newton_cg, "lbfgs": lbfgs,
             "trust-ncg": trust_region}


def no_poisson_cg(solver, kind):
    if solver == "newton-cg" and kind == "poisson":
        pytest.skip("newton-cg preconditions with the logistic curvature bound")


def make_glm_data(kind: str, seed: int, n: int = 60, p: int = 5, **kw):
    """This file's default size of :func:`glm_data.make_glm_data`."""
    return glm_data.make_glm_data(kind, seed, n, p, **kw)


def dense(X):
    return X.toarray() if sp.issparse(X) else X


def reference_point(kind, X, y, s, W, b, lam, fit_intercept):
    """Objective and gradient of one member, from the formulas: W (p, m), b (m,)."""
    X = dense(X)
    om = s / s.sum()
    E = X @ W + (b if fit_intercept else 0.0)
    if kind == "binomial":
        vals, G = np.logaddexp(0.0, E[:, 0]) - y * E[:, 0], expit(E) - y[:, None]
    elif kind == "multinomial":
        vals, G = logsumexp(E, axis=1) - np.sum(y * E, axis=1), softmax(E, axis=1) - y
    else:
        mu = np.exp(E[:, 0])
        vals = 2.0 * (xlogy(y, y) - y * E[:, 0] - y + mu)
        G = 2.0 * (mu - y)[:, None]
    f = float(om @ vals + lam * np.sum(W * W))
    gW = X.T @ (om[:, None] * G) + 2.0 * lam * W
    gb = om @ G if fit_intercept else np.zeros(W.shape[1])
    return f, gW, gb


def check_reported(fit, kind, X, y, S, lam, fit_intercept):
    """The reported gradient norm and objective describe the returned point (both recomputed
    from the formulas); every member is finite."""
    S = S[:, None] if S.ndim == 1 else S
    for j in range(S.shape[1]):
        assert np.all(np.isfinite(fit.coef[j])) and np.all(np.isfinite(fit.intercept[j]))
        f, gW, gb = reference_point(kind, X, y, S[:, j], fit.coef[j], fit.intercept[j], lam,
                                    fit_intercept)
        g = max(np.abs(gW).max(), np.abs(gb).max() if fit_intercept else 0.0)
        assert g == pytest.approx(fit.grad_norm[j], rel=1e-4, abs=1e-14)
        assert fit.objective[j] == pytest.approx(f, rel=1e-13)
        if not fit_intercept:
            assert not fit.intercept[j].any()


def assert_kkt(fit, kind, X, y, S, lam, fit_intercept, tol):
    """Every member converged with max|∇f| ≤ tol, by its own report and recomputed here."""
    check_reported(fit, kind, X, y, S, lam, fit_intercept)
    assert fit.converged.all(), (fit.solver, fit.grad_norm, fit.n_iter)
    assert np.all(fit.grad_norm <= tol), (fit.solver, fit.grad_norm, fit.n_iter)
    S = S[:, None] if S.ndim == 1 else S
    for j in range(S.shape[1]):
        _, gW, gb = reference_point(kind, X, y, S[:, j], fit.coef[j], fit.intercept[j], lam,
                                    fit_intercept)
        assert np.abs(gW).max() <= tol * (1 + 1e-4) + 1e-15
        if fit_intercept:
            assert np.abs(gb).max() <= tol * (1 + 1e-4) + 1e-15


def cold_fit(problem, lam, solver, tol=1e-8, max_iter=100):
    if solver == "newton-cg" and problem.loss.name == "poisson":
        pytest.skip("newton-cg preconditions with the logistic curvature bound")
    W0, b0 = problem.zeros()
    return solve(problem, lam, W0, b0, solver=solver, tol=tol, max_iter=max_iter)


def rel(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# ---------------------------------------------------------------------------------------------
# 1. KKT certificate of every solver
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_kkt_every_solver(solver, kind, fit_intercept, weighted):
    """At each solver's own default tolerance (1e-8) on a small, well-conditioned problem."""
    X, y, s = make_glm_data(kind, 11, weighted=weighted)
    problem = GLMProblem(X, y, s, LOSSES[kind], fit_intercept)
    lam = 0.01
    no_poisson_cg(solver, kind)
    fit = SOLVER_FN[solver](problem, lam, *problem.zeros())  # the solver's own defaults
    assert fit.solver == solver
    assert_kkt(fit, kind, X, y, s, lam, fit_intercept, tol=1e-8)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("tol", [1e-10, 1e-12])
def test_newton_reaches_tight_tolerance_quickly(kind, seed, tol):
    """Tolerances far above the gradient's rounding level (~1e-16 here) but below what f can
    resolve (Armijo differences of f at ~1e-16 relative): Newton converges quadratically, so a
    handful of steps get there; it must neither spin to ``max_iter`` nor stop short of ``tol``
    while calling itself converged."""
    X, y, s = make_glm_data(kind, seed)
    problem = GLMProblem(X, y, s, LOSSES[kind], True)
    fit = newton(problem, 0.01, *problem.zeros(), tol=tol, max_iter=100)
    check_reported(fit, kind, X, y, s, 0.01, True)
    assert fit.n_iter[0] <= 40 and fit.n_hessian <= 15, (fit.n_iter, fit.n_hessian)
    assert fit.converged[0] and fit.grad_norm[0] <= tol, fit.grad_norm


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
@pytest.mark.parametrize("tol", [1e-6, 1e-12])
def test_converged_flag_is_the_gradient_test(solver, tol):
    X, y, s = make_glm_data("poisson", 13)
    problem = GLMProblem(X, y, s, LOSSES["poisson"], True)
    fit = cold_fit(problem, 0.02, solver, tol=tol, max_iter=500)
    check_reported(fit, "poisson", X, y, s, 0.02, True)
    assert fit.converged[0] == (fit.grad_norm[0] <= tol)
    if tol == 1e-6:
        assert fit.converged[0]


# ---------------------------------------------------------------------------------------------
# 2. scikit-learn at tight tolerance
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["binomial", "multinomial"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("C", [0.05, 3.0])
def test_logistic_matches_sklearn(kind, fit_intercept, weighted, C):
    X, y, s = make_glm_data(kind, 21, n=80, weighted=weighted)
    labels = np.argmax(y, axis=1) if kind == "multinomial" else y.astype(int)
    lam = 1.0 / (2.0 * C * s.sum())  # n_w = Σ s
    problem = GLMProblem(X, y, s, LOSSES[kind], fit_intercept)
    fit = cold_fit(problem, lam, "newton", tol=1e-10)
    assert fit.converged[0]
    sk = LogisticRegression(C=C, fit_intercept=fit_intercept, tol=1e-12,
                            solver="newton-cholesky", max_iter=1000)
    sk.fit(X, labels, sample_weight=s if weighted else None)
    coef, inter = fit.coef[0], fit.intercept[0]
    assert rel(coef, sk.coef_.T) <= 1e-6
    if fit_intercept:
        if kind == "multinomial":  # a common shift of the intercepts is free: compare centered
            sk_b = sk.intercept_ - sk.intercept_.mean()
            assert abs(inter.sum()) < 1e-10
        else:
            sk_b = sk.intercept_
        np.testing.assert_allclose(inter, sk_b, rtol=1e-6, atol=1e-7)
    # same probabilities
    P = LOSSES[kind].mean(X @ coef + inter if fit_intercept else X @ coef)
    P = P if kind == "multinomial" else np.column_stack([1 - P[:, 0], P[:, 0]])
    np.testing.assert_allclose(P, sk.predict_proba(X), atol=1e-7)


@pytest.mark.parametrize("solver", SOLVERS)
def test_logistic_matches_sklearn_lbfgs_multinomial(solver):
    X, y, s = make_glm_data("multinomial", 22, n=80)
    C = 0.7
    sk = LogisticRegression(C=C, tol=1e-12, solver="lbfgs", max_iter=10000)
    sk.fit(X, np.argmax(y, axis=1), sample_weight=s)
    problem = GLMProblem(X, y, s, LOSSES["multinomial"], True)
    fit = cold_fit(problem, 1.0 / (2.0 * C * s.sum()), solver, tol=1e-9, max_iter=1000)
    assert rel(fit.coef[0], sk.coef_.T) <= 1e-6


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("alpha", [0.02, 1.5])
def test_poisson_matches_sklearn(fit_intercept, weighted, alpha):
    X, y, s = make_glm_data("poisson", 23, n=80, weighted=weighted)
    problem = GLMProblem(X, y, s, LOSSES["poisson"], fit_intercept)
    fit = cold_fit(problem, alpha, "newton", tol=1e-10)  # λ = alpha
    assert fit.converged[0]
    sk = PoissonRegressor(alpha=alpha, fit_intercept=fit_intercept, solver="newton-cholesky",
                          tol=1e-12, max_iter=1000)
    sk.fit(X, y, sample_weight=s if weighted else None)
    assert rel(fit.coef[0, :, 0], sk.coef_) <= 1e-6
    if fit_intercept:
        assert fit.intercept[0, 0] == pytest.approx(sk.intercept_, rel=1e-6, abs=1e-7)
    np.testing.assert_allclose(np.exp(X @ fit.coef[0, :, 0] + fit.intercept[0, 0]),
                               sk.predict(X), rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# 3. the solvers agree with each other, on dense and sparse X
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_solvers_agree(kind, fit_intercept):
    X, y, s = make_glm_data(kind, 31)
    problem = GLMProblem(X, y, s, LOSSES[kind], fit_intercept)
    lam = 0.004
    fits = {sv: cold_fit(problem, lam, sv, tol=1e-9, max_iter=1000) for sv in SOLVERS}
    ref = fits["newton"]
    f_ref = reference_point(kind, X, y, s, ref.coef[0], ref.intercept[0], lam, fit_intercept)[0]
    for sv, fit in fits.items():
        check_reported(fit, kind, X, y, s, lam, fit_intercept)
        f = reference_point(kind, X, y, s, fit.coef[0], fit.intercept[0], lam, fit_intercept)[0]
        assert f == pytest.approx(f_ref, rel=1e-10), sv
        assert rel(fit.coef, ref.coef) <= 1e-6, sv
        if fit_intercept:
            np.testing.assert_allclose(fit.intercept, ref.intercept, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fmt", [sp.csr_matrix, sp.csc_matrix, sp.csr_array],
                         ids=["csr", "csc", "csr_array"])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", KINDS)
def test_sparse_matches_dense(fmt, solver, kind):
    X, y, s = make_glm_data(kind, 41, n=50, p=6)
    X[np.random.default_rng(0).uniform(size=X.shape) < 0.5] = 0.0
    lam = 0.01
    fd = cold_fit(GLMProblem(X, y, s, LOSSES[kind], True), lam, solver)
    fs = cold_fit(GLMProblem(fmt(X), y, s, LOSSES[kind], True), lam, solver)
    check_reported(fs, kind, X, y, s, lam, True)
    assert fs.converged[0] == fd.converged[0]
    np.testing.assert_allclose(fs.coef, fd.coef, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fs.intercept, fd.intercept, rtol=1e-7, atol=1e-9)
    assert fs.objective[0] == pytest.approx(fd.objective[0], rel=1e-12)


# ---------------------------------------------------------------------------------------------
# 4. batches and warm-started paths
# ---------------------------------------------------------------------------------------------


def _fold_weights(s, n_folds=3, seed=0):
    """The full weights and the training weights of ``n_folds`` folds, as columns."""
    n = s.size
    fold = np.random.default_rng(seed).permutation(n) % n_folds
    return np.column_stack([s] + [np.where(fold == k, 0.0, s) for k in range(n_folds)])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_batched_newton_equals_separate_fits(kind, fit_intercept):
    X, y, s = make_glm_data(kind, 51)
    S = _fold_weights(s)
    batch = GLMProblem(X, y, S, LOSSES[kind], fit_intercept)
    lam = 0.01
    fit = newton(batch, lam, *batch.zeros())
    B = S.shape[1]
    assert fit.coef.shape == (B, X.shape[1], batch.n_outputs)
    assert fit.intercept.shape == (B, batch.n_outputs)
    for arr in (fit.n_iter, fit.grad_norm, fit.converged, fit.objective):
        assert arr.shape == (B,)
    check_reported(fit, kind, X, y, S, lam, fit_intercept)
    for j in range(B):
        one = GLMProblem(X, y, S[:, j], LOSSES[kind], fit_intercept)
        ref = newton(one, lam, *one.zeros())
        assert rel(fit.coef[j], ref.coef[0]) <= 1e-7
        np.testing.assert_allclose(fit.intercept[j], ref.intercept[0], rtol=1e-7, atol=1e-8)
        assert fit.objective[j] == pytest.approx(ref.objective[0], rel=1e-13)
        # a member by itself, through single()
        alone = newton(batch.single(j), lam, *batch.single(j).zeros())
        assert rel(alone.coef[0], ref.coef[0]) <= 1e-7
    assert_kkt(fit, kind, X, y, S, lam, fit_intercept, tol=1e-8)


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
def test_batched_solve_loops_the_other_solvers(solver):
    X, y, s = make_glm_data("binomial", 52)
    S = _fold_weights(s, n_folds=2)
    batch = GLMProblem(X, y, S, LOSSES["binomial"], True)
    fit = cold_fit(batch, 0.01, solver, tol=1e-9, max_iter=1000)
    ref = cold_fit(batch, 0.01, "newton")
    assert fit.coef.shape == ref.coef.shape and fit.solver == solver
    assert fit.n_iter.shape == fit.converged.shape == (S.shape[1],)
    check_reported(fit, "binomial", X, y, S, 0.01, True)
    for j in range(S.shape[1]):
        assert rel(fit.coef[j], ref.coef[j]) <= 1e-6


LAMBDAS_UNSORTED = np.array([0.03, 1e-3, 0.3, 3e-4, 0.01, 0.03])


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", KINDS)
def test_path_equals_cold_fits_in_grid_order(solver, kind):
    X, y, s = make_glm_data(kind, 61)
    problem = GLMProblem(X, y, s, LOSSES[kind], True)
    no_poisson_cg(solver, kind)
    path = glm_path(problem, LAMBDAS_UNSORTED, solver=solver, tol=1e-9, max_iter=1000)
    L, p, m = LAMBDAS_UNSORTED.size, X.shape[1], problem.n_outputs
    assert path.solver == solver
    np.testing.assert_array_equal(path.lambdas, LAMBDAS_UNSORTED)
    assert path.coef.shape == (L, 1, p, m) and path.intercept.shape == (L, 1, m)
    assert path.objective.shape == path.grad_norm.shape == path.n_iter.shape == (L, 1)
    assert rel(path.coef[0], path.coef[5]) <= 1e-6  # a repeated λ, same answer
    for i, lam in enumerate(LAMBDAS_UNSORTED):
        ref = cold_fit(problem, float(lam), "newton")
        assert rel(path.coef[i], ref.coef) <= 1e-6, (i, lam)
        np.testing.assert_allclose(path.intercept[i], ref.intercept, rtol=1e-6, atol=1e-7)
        f, gW, gb = reference_point(kind, X, y, s, path.coef[i, 0], path.intercept[i, 0], lam,
                                    True)
        assert path.objective[i, 0] == pytest.approx(f, rel=1e-12)
        assert f == pytest.approx(ref.objective[0], rel=1e-10)
        g = max(np.abs(gW).max(), np.abs(gb).max())
        assert path.grad_norm[i, 0] == pytest.approx(g, rel=1e-4, abs=1e-14)


def test_batched_newton_path_equals_cold_fits():
    X, y, s = make_glm_data("multinomial", 62)
    S = _fold_weights(s)
    batch = GLMProblem(X, y, S, LOSSES["multinomial"], True)
    lambdas = np.array([1e-3, 0.1, 0.01])
    path = glm_path(batch, lambdas, solver="newton")
    assert path.coef.shape == (3, S.shape[1], X.shape[1], 3)
    assert path.converged.all() and np.all(path.grad_norm <= 1e-8)
    for i, lam in enumerate(lambdas):
        for j in range(S.shape[1]):
            one = GLMProblem(X, y, S[:, j], LOSSES["multinomial"], True)
            ref = cold_fit(one, float(lam), "newton")
            assert rel(path.coef[i, j], ref.coef[0]) <= 1e-6
            # max|∇f| ≤ 1e-8 at 2λ = 2e-3 curvature leaves ~1e-6 of play in the intercept
            np.testing.assert_allclose(path.intercept[i, j], ref.intercept[0], rtol=1e-6,
                                       atol=1e-6)


def test_path_start_and_newton_state_reuse():
    X, y, s = make_glm_data("binomial", 63)
    problem = GLMProblem(X, y, s, LOSSES["binomial"], True)
    lambdas = np.geomspace(0.3, 1e-3, 8)
    ref = cold_fit(problem, 0.3, "newton")
    path = glm_path(problem, lambdas, solver="newton", start=(ref.coef, ref.intercept))
    assert path.n_iter[0, 0] == 0  # started at the solution of the first λ
    np.testing.assert_array_equal(path.coef[0], ref.coef)
    # a Newton state carried by hand reproduces cold starts, with fewer Hessians
    state = NewtonState()
    W, b = problem.zeros()
    warm_hessians = cold_hessians = 0
    for lam in lambdas:
        fit = newton(problem, float(lam), W, b, state=state)
        W, b = fit.coef, fit.intercept
        cold = cold_fit(problem, float(lam), "newton")
        assert fit.converged[0]
        assert rel(W, cold.coef) <= 1e-6
        warm_hessians += fit.n_hessian
        cold_hessians += cold.n_hessian
    assert warm_hessians == state.n_hessian
    assert warm_hessians < cold_hessians


def test_auto_glm_grid_spans_the_dof_range():
    X, y, s = make_glm_data("binomial", 64, n=80, p=6)
    problem = GLMProblem(X, y, s, LOSSES["binomial"], True)
    grid = auto_glm_grid(problem, n_lambdas=12, dof_range=(0.1, 0.9))
    assert grid.shape == (12,) and np.all(np.diff(grid) < 0) and np.all(grid > 0)
    np.testing.assert_allclose(np.diff(np.log(grid)), np.log(grid[1] / grid[0]), rtol=1e-10)
    # the null model's centered curvature, written out
    om = s / s.sum()
    m = om @ y
    d = om * m * (1 - m)
    Xc = X - d @ X / d.sum()
    e = np.linalg.eigvalsh(Xc.T @ (d[:, None] * Xc))
    dof = [float(np.sum(e / (e + 2 * lam))) for lam in (grid[0], grid[-1])]
    assert dof[0] == pytest.approx(max(0.1 * 6, 0.5), rel=1e-6)
    assert dof[1] == pytest.approx(0.9 * 6, rel=1e-6)


# ---------------------------------------------------------------------------------------------
# 5. solver names
# ---------------------------------------------------------------------------------------------


def test_solver_names():
    assert GLM_SOLVERS == ("auto", "newton", "newton-cg", "lbfgs", "trust-ncg")
    for name in GLM_SOLVERS:
        assert resolve_glm_solver(name) == name
    assert resolve_glm_solver("newton-cholesky") == "newton"
    assert resolve_glm_solver("newton-cg") == "newton-cg"
    assert resolve_glm_solver("liblinear") == "trust-ncg"
    assert resolve_glm_solver("sag") == resolve_glm_solver("saga") == "auto"
    assert set(SKLEARN_SOLVER_NAMES) == {"newton-cholesky", "newton-cg", "liblinear", "sag",
                                         "saga"}
    with pytest.raises(ValueError, match="unknown solver 'bfgs'"):
        resolve_glm_solver("bfgs")
    X, y, s = make_glm_data("binomial", 0, n=10, p=3)
    with pytest.raises(ValueError, match="unknown solver"):
        problem = GLMProblem(X, y, s, LOSSES["binomial"])
        solve(problem, 0.1, *problem.zeros(), solver="auto", tol=1e-8, max_iter=10)


def test_choose_solver_by_dimension():
    rng = np.random.default_rng(0)
    small = GLMProblem(rng.normal(size=(5, 10)), np.eye(3)[[0, 1, 2, 0, 1]], np.ones(5),
                       LOSSES["multinomial"])
    assert choose_solver(small) == "newton"
    assert choose_solver(small, "lbfgs") == "lbfgs"
    assert choose_solver(small, "newton-cg") == "newton-cg"
    dense_big = GLMProblem(rng.normal(size=(5, NEWTON_MAX_DIM // 3 + 1)),
                           np.eye(3)[[0, 1, 2, 0, 1]], np.ones(5), LOSSES["multinomial"])
    assert choose_solver(dense_big) == "newton-cg"
    pois = GLMProblem(rng.normal(size=(5, 3)), np.arange(5.0), np.ones(5), LOSSES["poisson"])
    with pytest.raises(ValueError, match="newton-cg"):
        choose_solver(pois, "newton-cg")
    p = NEWTON_MAX_DIM // 3 + 1  # p·K just above the limit
    big = GLMProblem(sp.random(5, p, density=0.1, random_state=0, format="csr"),
                     np.eye(3)[[0, 1, 2, 0, 1]], np.ones(5), LOSSES["multinomial"])
    assert choose_solver(big) == "lbfgs"
    assert choose_solver(big, "newton-cholesky") == "newton"
    edge = GLMProblem(sp.random(5, NEWTON_MAX_DIM, density=0.1, random_state=0, format="csr"),
                      np.array([0.0, 1, 0, 1, 1]), np.ones(5), LOSSES["binomial"])
    assert choose_solver(edge) == "newton"


# ---------------------------------------------------------------------------------------------
# 6. sample-weight invariances
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_integer_weights_equal_repeated_rows(kind, fit_intercept):
    X, y, _ = make_glm_data(kind, 71, n=40)
    counts = np.random.default_rng(1).integers(0, 4, 40)  # zeros drop rows
    lam = 0.02
    fw = cold_fit(GLMProblem(X, y, counts.astype(float), LOSSES[kind], fit_intercept), lam,
                  "newton", tol=1e-9)
    Xr, yr = np.repeat(X, counts, axis=0), np.repeat(y, counts, axis=0)
    fr = cold_fit(GLMProblem(Xr, yr, np.ones(counts.sum()), LOSSES[kind], fit_intercept), lam,
                  "newton", tol=1e-9)
    assert rel(fw.coef, fr.coef) <= 1e-7
    np.testing.assert_allclose(fw.intercept, fr.intercept, rtol=1e-7, atol=1e-8)
    assert fw.objective[0] == pytest.approx(fr.objective[0], rel=1e-12)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", KINDS)
def test_scaling_weights_changes_nothing(solver, kind):
    X, y, s = make_glm_data(kind, 72)
    lam = 0.02
    f1 = cold_fit(GLMProblem(X, y, s, LOSSES[kind], True), lam, solver)
    f2 = cold_fit(GLMProblem(X, y, 7.3 * s, LOSSES[kind], True), lam, solver)
    f3 = cold_fit(GLMProblem(X, y, 1e-3 * s, LOSSES[kind], True), lam, solver)
    for f in (f2, f3):
        np.testing.assert_allclose(f.coef, f1.coef, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(f.intercept, f1.intercept, rtol=1e-7, atol=1e-9)
        assert f.objective[0] == pytest.approx(f1.objective[0], rel=1e-12)


# ---------------------------------------------------------------------------------------------
# 7. separable data
# ---------------------------------------------------------------------------------------------


def separable(kind, n=40, p=3, seed=81):
    """Classes split by hyperplanes through the origin: separable with or without intercept."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    if kind == "binomial":
        return X, (X @ rng.normal(size=p) > 0).astype(float)
    return X, np.eye(3)[np.argmax(X @ rng.normal(size=(p, 3)), axis=1)]


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", ["binomial", "multinomial"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_separable_data_finite_optimum_with_penalty(solver, kind, fit_intercept):
    X, y = separable(kind)
    s = np.ones(X.shape[0])
    problem = GLMProblem(X, y, s, LOSSES[kind], fit_intercept)
    lam = 1e-3
    fit = SOLVER_FN[solver](problem, lam, *problem.zeros())  # default tol 1e-8
    assert_kkt(fit, kind, X, y, s, lam, fit_intercept, tol=1e-8)
    assert np.abs(fit.coef).max() < 50


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", ["binomial", "multinomial"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_separable_data_without_penalty_terminates(solver, kind, fit_intercept):
    X, y = separable(kind)
    s = np.ones(X.shape[0])
    problem = GLMProblem(X, y, s, LOSSES[kind], fit_intercept)
    max_iter = 25
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = cold_fit(problem, 0.0, solver, tol=1e-12, max_iter=max_iter)
    assert fit.n_iter[0] <= max_iter
    assert np.all(np.isfinite(fit.coef)) and np.all(np.isfinite(fit.intercept))
    assert np.isfinite(fit.objective[0])
    penalized = cold_fit(problem, 1e-3, "newton")
    # the infimum is 0 at infinity: either it says it has not converged, or it went far out
    assert (not fit.converged[0]) or (
        fit.objective[0] < 1e-6 and np.abs(fit.coef).max() > 10 * np.abs(penalized.coef).max())
    assert fit.objective[0] < penalized.objective[0]
