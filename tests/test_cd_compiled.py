"""The compiled coordinate-descent engines: one call per path, polish, support steps, tol=0.

Every solution is checked against an independent reference: scikit-learn's ``Lasso`` /
``ElasticNet`` run to a tight tolerance (the same halved objective), the other engine, or the
certificate (duality gap) recomputed here from scratch.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet as SkElasticNet

from ridgeline.solvers.cd import solve_blocks, solve_gram
from ridgeline.solvers.cd_certificate import Blocks
from ridgeline.solvers.cd_design import CDDesign
from ridgeline.solvers.cd_gram import POLISH_REL, face_step, support_solve
from ridgeline.solvers.ls_problem import LSProblem


def _data(seed, n, p, rho=0.0, k=5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[:, 1:] = np.sqrt(1 - rho**2) * X[:, 1:] + rho * X[:, :-1]
    w = np.zeros(p)
    w[:k] = rng.standard_normal(k)
    y = X @ w + 0.5 * rng.standard_normal(n)
    return X, y


def _halved(X, y, w, a, b):
    """``(1/2n)‖y - Xw‖² + Σ a|w| + ½ Σ b w²`` (no intercept)."""
    r = y - X @ w
    return 0.5 * r @ r / len(y) + a @ np.abs(w) + 0.5 * b @ (w * w)


def _gap(X, y, w, a, b):
    """Duality gap recomputed from scratch (augmented least squares, rescaled residual)."""
    n = len(y)
    r = y - X @ w
    v = X.T @ r / n - b * w
    ratio = np.max(np.abs(v) / a)
    s = min(1.0, 1.0 / ratio)
    F = 0.5 * r @ r / n + 0.5 * b @ (w * w)
    return F + a @ np.abs(w) - (s * (r @ y) / n - s * s * F)


def _reference(X, y, alpha, l1_ratio):
    """scikit-learn at a tight tolerance: its objective is the halved one with
    ``a = α·ρ``, ``b = α(1-ρ)``."""
    m = SkElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=False, tol=1e-15,
                     max_iter=1_000_000).fit(X, y)
    return m.coef_


@pytest.mark.parametrize("rho", [0.0, 0.9])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_gram_polish_reaches_the_optimum(rho, l1_ratio):
    X, y = _data(0, 300, 40, rho)
    n, p = X.shape
    alpha = 0.05
    a, b = np.full(p, alpha * l1_ratio), np.full(p, alpha * (1 - l1_ratio))
    Q, q = X.T @ X / n + np.diag(b), X.T @ y / n
    fit = solve_gram(Q, q, y @ y / n, a, gap_tol=1e-4 * (y @ y) / n, polish=True)
    assert fit.converged
    assert fit.gap <= POLISH_REL * fit.primal
    ref = _reference(X, y, alpha, l1_ratio)
    f_ours, f_ref = _halved(X, y, fit.coef, a, b), _halved(X, y, ref, a, b)
    assert f_ours <= f_ref * (1 + 1e-12)
    assert fit.primal == pytest.approx(f_ours, rel=1e-12)
    np.testing.assert_allclose(fit.coef, ref, atol=1e-7 * np.abs(ref).max())
    assert np.array_equal(fit.coef != 0, ref != 0)


def test_gram_without_polish_stops_at_its_gap():
    X, y = _data(1, 400, 30, 0.8)
    n, p = X.shape
    a = np.full(p, 0.02)
    gap_tol = 1e-3 * (y @ y) / n
    fit = solve_gram(X.T @ X / n, X.T @ y / n, y @ y / n, a, gap_tol=gap_tol)
    assert fit.converged and fit.gap <= gap_tol
    assert _gap(X, y, fit.coef, a, np.zeros(p)) == pytest.approx(fit.gap, abs=1e-12)


def test_tol_zero_stops_at_the_rounding_floor():
    X, y = _data(2, 200, 25, 0.5)
    n, p = X.shape
    a = np.full(p, 0.01)
    fit = solve_gram(X.T @ X / n, X.T @ y / n, y @ y / n, a, gap_tol=0.0, max_epochs=100_000)
    assert fit.converged and fit.n_epochs < 100_000
    assert fit.gap <= 1e-10 * fit.primal


def test_one_call_path_equals_solves_one_by_one():
    X, y = _data(3, 250, 20, 0.6)
    n, p = X.shape
    s = np.ones(n)
    problem = LSProblem.from_data(X, y, s, fit_intercept=True, gram=True)
    lams = np.geomspace(0.5, 0.002, 15)
    A = np.outer(lams, np.ones(p)) * 0.4
    Bd = np.outer(lams, np.ones(p)) * 0.6
    path = problem.solve_path(A, Bd, nonneg=False, w0=np.zeros(p), gap_tol=1e-13,
                              max_epochs=100_000)
    w = np.zeros(p)
    for i in range(lams.size):
        fit = solve_gram(problem.Q0 + np.diag(Bd[i]), problem.q, problem.yy, A[i], w0=w,
                         gap_tol=1e-13)
        w = fit.coef
        np.testing.assert_allclose(path.coefs[i], w, atol=1e-10)
        assert path.gaps[i] <= 1e-13 and path.converged[i]


def test_path_screening_never_drops_an_active_feature():
    X, y = _data(4, 300, 60, 0.7, k=10)
    n, p = X.shape
    problem = LSProblem.from_data(X, y, np.ones(n), fit_intercept=False, gram=True)
    lams = np.geomspace(0.3, 0.003, 20)
    A, Bd = np.outer(lams, np.ones(p)), np.zeros((20, p))
    on = problem.solve_path(A, Bd, nonneg=False, w0=np.zeros(p), gap_tol=1e-14,
                            max_epochs=100_000, screen=True)
    off = problem.solve_path(A, Bd, nonneg=False, w0=np.zeros(p), gap_tol=1e-14,
                             max_epochs=100_000, screen=False)
    assert on.n_screened.max() > 0
    assert np.array_equal(on.coefs != 0, off.coefs != 0)
    np.testing.assert_allclose(on.coefs, off.coefs, atol=1e-9)


def test_unpenalized_coordinates_and_nonneg():
    X, y = _data(5, 200, 12)
    n, p = X.shape
    a = np.full(p, 0.05)
    a[[0, 3]] = 0.0  # unpenalized: minimized exactly as a block
    Q, q, yy = X.T @ X / n, X.T @ y / n, y @ y / n
    fit = solve_gram(Q, q, yy, a, gap_tol=1e-14)
    design = CDDesign(X, np.ones(n), center=False)
    other = solve_blocks(design, y, Blocks.singletons(p), a, np.zeros(p), gap_tol=1e-14)
    np.testing.assert_allclose(fit.coef, other.coef, atol=1e-9)
    pos = solve_gram(Q, q, yy, np.full(p, 0.05), nonneg=True, gap_tol=1e-14)
    assert pos.coef.min() >= 0.0
    ref = SkElasticNet(alpha=0.05, l1_ratio=1.0, fit_intercept=False, positive=True,
                       tol=1e-15, max_iter=1_000_000).fit(X, y).coef_
    np.testing.assert_allclose(pos.coef, ref, atol=1e-8)


def test_support_solve_is_exact_on_the_right_support():
    X, y = _data(6, 500, 15)
    n, p = X.shape
    a = np.full(p, 0.03)
    Q, q = X.T @ X / n, X.T @ y / n
    exact = _reference(X, y, 0.03, 1.0)
    start = np.where(exact != 0, exact + 0.01 * np.sign(exact), 0.0)  # same signs, off
    x = support_solve(Q, q, a, start)
    np.testing.assert_allclose(x, exact, atol=1e-10)


def test_face_step_stops_at_the_first_sign_change_and_never_raises_the_objective():
    rng = np.random.default_rng(7)
    X, y = _data(7, 100, 10, 0.9)
    n, p = X.shape
    a = np.full(p, 0.02)
    Q, q = X.T @ X / n, X.T @ y / n
    for _ in range(20):
        w = rng.standard_normal(p) * (rng.uniform(size=p) < 0.6)
        x = support_solve(Q, q, a, w)
        step = face_step(w, x, a, False)
        assert np.all(step * w >= 0)  # no penalized sign flips
        f = lambda v: 0.5 * v @ Q @ v - q @ v + a @ np.abs(v)  # noqa: E731
        assert f(step) <= f(w) + 1e-14


@pytest.mark.parametrize("sparse", [False, True])
def test_residual_engine_polish_on_a_wide_problem(sparse):
    import scipy.sparse as sp

    X, y = _data(8, 60, 400, 0.5, k=8)
    n, p = X.shape
    alpha = 0.02
    a = np.full(p, alpha)
    Xd = sp.csc_matrix(X) if sparse else X
    design = CDDesign(Xd, np.ones(n), center=False)
    fit = solve_blocks(design, y, Blocks.singletons(p), a, np.zeros(p),
                       gap_tol=1e-4 * (y @ y) / n, polish=True)
    ref = _reference(X, y, alpha, 1.0)
    f_ours, f_ref = _halved(X, y, fit.coef, a, np.zeros(p)), _halved(X, y, ref, a, np.zeros(p))
    assert fit.converged
    assert f_ours <= f_ref * (1 + 1e-11)
    assert _gap(X, y, fit.coef, a, np.zeros(p)) <= 1e-10 * f_ours


def _groups(p, seed):
    sizes = np.random.default_rng(seed).choice([1, 2, 3, 5], p)
    ptr = np.concatenate([[0], np.cumsum(sizes)])
    ptr = np.append(ptr[ptr < p], p).astype(np.int64)
    perm = np.random.default_rng(seed + 1).permutation(p).astype(np.int64)
    return Blocks(perm, ptr)


@pytest.mark.parametrize("ridge", [0.0, 0.3])
def test_group_gram_engine_equals_the_residual_engine(ridge):
    X, y = _data(9, 300, 60, 0.6, k=12)
    n, p = X.shape
    y = y - y.mean()
    blocks = _groups(p, 3)
    a = 0.05 * np.sqrt(np.diff(blocks.ptr))
    a[2] = 0.0  # one unpenalized group: minimized exactly
    b = np.full(p, ridge)
    problem = LSProblem.from_data(X, y, np.ones(n), fit_intercept=False, gram=True)
    fit = problem.solve(blocks, a, b, nonneg=False, w0=np.zeros(p), gap_tol=1e-14,
                        max_epochs=100_000)
    design = CDDesign(X, np.ones(n), center=False)
    other = solve_blocks(design, y, blocks, a, b, gap_tol=1e-14)
    assert fit.converged and other.converged
    np.testing.assert_allclose(fit.coef, other.coef, atol=1e-8)
    assert fit.primal == pytest.approx(other.primal, rel=1e-12)
    groups = [blocks.idx[blocks.ptr[g]:blocks.ptr[g + 1]] for g in range(blocks.n_blocks)]
    active = [np.linalg.norm(fit.coef[g]) > 0 for g in groups]
    assert 0 < sum(active) < len(groups)


def test_group_gram_path_screening_and_polish():
    X, y = _data(10, 400, 50, 0.5, k=10)
    n, p = X.shape
    blocks = _groups(p, 5)
    w_g = np.sqrt(np.diff(blocks.ptr))
    problem = LSProblem.from_data(X, y, np.ones(n), fit_intercept=True, gram=True)
    lams = np.geomspace(0.2, 0.002, 12)
    A, Bd = np.outer(lams, w_g), np.zeros((12, p))
    kw = dict(nonneg=False, w0=np.zeros(p), max_epochs=100_000, blocks=blocks)
    on = problem.solve_path(A, Bd, gap_tol=1e-14, screen=True, **kw)
    off = problem.solve_path(A, Bd, gap_tol=1e-14, screen=False, **kw)
    assert on.n_screened.max() > 0 and off.n_screened.max() == 0
    assert np.array_equal(on.coefs != 0, off.coefs != 0)
    np.testing.assert_allclose(on.coefs, off.coefs, atol=1e-9)
    loose = problem.solve_path(A, Bd, gap_tol=1e-3 * problem.yy, polish=True, screen=True,
                               **kw)
    assert np.all(loose.gaps <= POLISH_REL * loose.primal)
    np.testing.assert_allclose(loose.primal, on.primal, rtol=1e-12)


@pytest.mark.parametrize("gram", [True, False])
def test_iterations_never_exceed_max_epochs(gram):
    X, y = _data(11, 120, 40, 0.95, k=15)
    n, p = X.shape
    a = np.full(p, 1e-4)
    for max_epochs in (1, 2, 5):
        if gram:
            fit = solve_gram(X.T @ X / n, X.T @ y / n, y @ y / n, a, gap_tol=0.0,
                             max_epochs=max_epochs)
        else:
            fit = solve_blocks(CDDesign(X, np.ones(n), center=False), y, Blocks.singletons(p),
                               a, np.zeros(p), gap_tol=0.0, max_epochs=max_epochs)
        assert fit.n_epochs <= max_epochs
