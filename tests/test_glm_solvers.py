"""GLM solvers: KKT certificates, scikit-learn, each other, sparse input, batches and paths.

The objective (see ``shared/DESIGN.md``) is ``(1/n_w) Σ s_i ℓ(y_i, x_iᵀW + b) + λ‖W‖²``;
scikit-learn's ``LogisticRegression(C)`` is ``λ = 1/(2 C n_w)`` and ``PoissonRegressor(alpha)``
is ``λ = alpha``. Gradients and objectives are recomputed here from the formulas, never from
the solver's own bookkeeping.

Ported to the one engine of commit 9ac2026 (solvers over source passes: ``glm_fit.fit``,
``glm_path``). Dropped, with the code they tested:

- the Newton-CG and trust-region solvers (``newton_cg``, ``trust_region``; removed): their
  KKT, scikit-learn, agreement, sparse, path, weight and separable-data cases now run for the
  two solvers left, Newton and L-BFGS (L-BFGS now also for the softmax);
- ``GLMProblem.single`` and weight-column batches (members are now held-out folds or
  splits of a source: the batch tests compare them with fits on each member's rows);
- ``NewtonState`` (a path now carries the curvature and the ``PassPoint`` itself: tested as
  the ``start=`` predictor below); its ``n_hessian`` bookkeeping equality went with it;
- ``solve(solver="auto")`` refusing an unresolved name: ``fit`` takes resolved names only,
  and the name is checked by ``choose_solver`` (tested through ``glm_path``).
"""

from __future__ import annotations

import types
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression, PoissonRegressor
from sklearn.model_selection import KFold, ShuffleSplit, TimeSeriesSplit

import glm_data
from glm_data import FULL, cold_fit, encoded, per_sample, problem_of, reference_point, rel
from ridgeline.losses import LOSSES
from ridgeline.path.glm_path import auto_glm_grid, glm_path
from ridgeline.solvers.glm_fit import (
    GLM_SOLVERS,
    NEWTON_MAX_DIM,
    SOLVER_ALIASES,
    choose_solver,
    fit,
    resolve_solver,
)
from ridgeline.solvers.problem import GLMProblem
from ridgeline.stats.array_source import ArraySource

KINDS = ["binomial", "multinomial", "poisson"]
SOLVERS = ["newton", "lbfgs"]


def make_glm_data(kind: str, seed: int, n: int = 60, p: int = 5, **kw):
    """This file's default size of :func:`glm_data.make_glm_data`."""
    return glm_data.make_glm_data(kind, seed, n, p, **kw)


def check_reported(fit, kind, X, y, S, lam, fit_intercept):
    """The reported gradient norm and objective describe the returned point (both recomputed
    from the formulas); every member is finite. ``S`` holds each member's training weights."""
    S = S[:, None] if S.ndim == 1 else S
    lam = np.broadcast_to(lam, (S.shape[1],))
    for j in range(S.shape[1]):
        assert np.all(np.isfinite(fit.coef[j])) and np.all(np.isfinite(fit.intercept[j]))
        f, gW, gb = reference_point(kind, X, y, S[:, j], fit.coef[j], fit.intercept[j], lam[j],
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


# ---------------------------------------------------------------------------------------------
# 1. KKT certificate of every solver
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_kkt_every_solver(solver, kind, fit_intercept, weighted):
    """At the solvers' default tolerance (1e-8) on a small, well-conditioned problem."""
    X, y, s = make_glm_data(kind, 11, weighted=weighted)
    problem = problem_of(kind, X, y, s, fit_intercept)
    lam = 0.01
    W0, b0 = glm_data.null_start(problem)
    fit_ = fit(problem, lam, W0, b0, FULL, 1, solver=solver)  # fit's own defaults
    assert fit_.solver == solver
    assert_kkt(fit_, kind, X, y, s, lam, fit_intercept, tol=1e-8)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("tol", [1e-10, 1e-12])
def test_newton_reaches_tight_tolerance_quickly(kind, seed, tol):
    """Tolerances far above the gradient's rounding level (~1e-16 here) but below what f can
    resolve (Armijo differences of f at ~1e-16 relative): Newton converges quadratically, so a
    handful of steps get there; it must neither spin to ``max_iter`` nor stop short of ``tol``
    while calling itself converged."""
    X, y, s = make_glm_data(kind, seed)
    problem = problem_of(kind, X, y, s, True)
    fit_ = cold_fit(problem, 0.01, "newton", tol=tol, max_iter=100)
    check_reported(fit_, kind, X, y, s, 0.01, True)
    assert fit_.n_iter[0] <= 40 and fit_.n_hessian_passes <= 15, (fit_.n_iter,
                                                                  fit_.n_hessian_passes)
    assert fit_.converged[0] and fit_.grad_norm[0] <= tol, fit_.grad_norm


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("tol", [1e-6, 1e-12])
def test_converged_flag_is_the_gradient_test(solver, tol):
    X, y, s = make_glm_data("poisson", 13)
    problem = problem_of("poisson", X, y, s, True)
    fit_ = cold_fit(problem, 0.02, solver, tol=tol, max_iter=500)
    check_reported(fit_, "poisson", X, y, s, 0.02, True)
    assert fit_.converged[0] == (fit_.grad_norm[0] <= tol)
    if tol == 1e-6:
        assert fit_.converged[0]


# ---------------------------------------------------------------------------------------------
# 2. scikit-learn at tight tolerance
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["binomial", "multinomial"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("C", [0.05, 3.0])
def test_logistic_matches_sklearn(kind, fit_intercept, weighted, C):
    X, y, s = make_glm_data(kind, 21, n=80, weighted=weighted)
    labels = encoded(y).astype(int)
    lam = 1.0 / (2.0 * C * s.sum())  # n_w = Σ s
    problem = problem_of(kind, X, y, s, fit_intercept)
    fit_ = cold_fit(problem, lam, "newton", tol=1e-10)
    assert fit_.converged[0]
    sk = LogisticRegression(C=C, fit_intercept=fit_intercept, tol=1e-12,
                            solver="newton-cholesky", max_iter=1000)
    sk.fit(X, labels, sample_weight=s if weighted else None)
    coef, inter = fit_.coef[0], fit_.intercept[0]
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
    problem = problem_of("multinomial", X, y, s, True)
    fit_ = cold_fit(problem, 1.0 / (2.0 * C * s.sum()), solver, tol=1e-9, max_iter=1000)
    assert fit_.solver == solver
    assert rel(fit_.coef[0], sk.coef_.T) <= 1e-6


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("alpha", [0.02, 1.5])
def test_poisson_matches_sklearn(fit_intercept, weighted, alpha):
    X, y, s = make_glm_data("poisson", 23, n=80, weighted=weighted)
    problem = problem_of("poisson", X, y, s, fit_intercept)
    fit_ = cold_fit(problem, alpha, "newton", tol=1e-10)  # λ = alpha
    assert fit_.converged[0]
    sk = PoissonRegressor(alpha=alpha, fit_intercept=fit_intercept, solver="newton-cholesky",
                          tol=1e-12, max_iter=1000)
    sk.fit(X, y, sample_weight=s if weighted else None)
    assert rel(fit_.coef[0, :, 0], sk.coef_) <= 1e-6
    if fit_intercept:
        assert fit_.intercept[0, 0] == pytest.approx(sk.intercept_, rel=1e-6, abs=1e-7)
    np.testing.assert_allclose(np.exp(X @ fit_.coef[0, :, 0] + fit_.intercept[0, 0]),
                               sk.predict(X), rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# 3. the solvers agree with each other, on dense, sparse and float32 X
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_solvers_agree(kind, fit_intercept):
    """Newton and L-BFGS (the softmax included) reach the same optimum."""
    X, y, s = make_glm_data(kind, 31)
    problem = problem_of(kind, X, y, s, fit_intercept)
    lam = 0.004
    fits = {sv: cold_fit(problem, lam, sv, tol=1e-9, max_iter=1000) for sv in SOLVERS}
    ref = fits["newton"]
    f_ref = reference_point(kind, X, y, s, ref.coef[0], ref.intercept[0], lam, fit_intercept)[0]
    for sv, fit_ in fits.items():
        assert fit_.converged[0], sv
        check_reported(fit_, kind, X, y, s, lam, fit_intercept)
        f = reference_point(kind, X, y, s, fit_.coef[0], fit_.intercept[0], lam,
                            fit_intercept)[0]
        assert f == pytest.approx(f_ref, rel=1e-10), sv
        assert rel(fit_.coef, ref.coef) <= 1e-6, sv
        if fit_intercept:
            np.testing.assert_allclose(fit_.intercept, ref.intercept, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fmt", [sp.csr_matrix, sp.csc_matrix, sp.csr_array],
                         ids=["csr", "csc", "csr_array"])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", KINDS)
def test_sparse_matches_dense(fmt, solver, kind):
    X, y, s = make_glm_data(kind, 41, n=50, p=6)
    X[np.random.default_rng(0).uniform(size=X.shape) < 0.5] = 0.0
    lam = 0.01
    fd = cold_fit(problem_of(kind, X, y, s, True), lam, solver)
    fs = cold_fit(problem_of(kind, fmt(X), y, s, True), lam, solver)
    check_reported(fs, kind, X, y, s, lam, True)
    assert fs.converged[0] == fd.converged[0]
    np.testing.assert_allclose(fs.coef, fd.coef, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fs.intercept, fd.intercept, rtol=1e-7, atol=1e-9)
    assert fs.objective[0] == pytest.approx(fd.objective[0], rel=1e-12)


@pytest.mark.parametrize("fmt", [None, sp.csr_matrix], ids=["dense", "csr"])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", KINDS)
def test_float32_X_gives_the_float64_answer(fmt, solver, kind):
    """float32 X is kept as float32, but every sum is float64: the answer is that of the same
    values in float64 (to 1e-8 relative), and so are the pass's sums."""
    X, y, s = make_glm_data(kind, 42, n=50, p=6)
    X32 = X.astype(np.float32)
    X64 = X32.astype(np.float64)  # the same values
    wrap = (lambda A: A) if fmt is None else fmt
    p32, p64 = problem_of(kind, wrap(X32), y, s, True), problem_of(kind, wrap(X64), y, s, True)
    assert p32.source.X.dtype == np.float32
    lam = 0.01
    f32 = cold_fit(p32, lam, solver, tol=1e-10, max_iter=500)
    f64 = cold_fit(p64, lam, solver, tol=1e-10, max_iter=500)
    assert f32.converged[0] and f64.converged[0]
    assert rel(f32.coef, f64.coef) <= 1e-8
    assert rel(f32.intercept, f64.intercept) <= 1e-8
    check_reported(f32, kind, X64, y, s, lam, True)
    # one pass at the solution, with Hessians: float64 sums
    r32 = p32.run_pass(f64.coef, f64.intercept, FULL, 1, True)
    r64 = p64.run_pass(f64.coef, f64.intercept, FULL, 1, True)
    for name in ("loss", "grad", "grad_w", "grad_b", "hess", "hess_ww", "hess_wb", "hess_bb"):
        a, b = getattr(r32, name, None), getattr(r64, name, None)
        if b is None:
            continue
        assert np.asarray(a).dtype == np.float64, name
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * np.abs(b).max(), err_msg=name)


# ---------------------------------------------------------------------------------------------
# 4. batches (members = held-out folds or splits) and warm-started paths
# ---------------------------------------------------------------------------------------------


def _fold_splits(n, n_folds=3, seed=0):
    """(train, test) splits of a random fold assignment."""
    fold = np.random.default_rng(seed).permutation(n) % n_folds
    return [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(n_folds)]


def _members(n_folds):
    """The full-data model and every training fold."""
    return np.arange(-1, n_folds)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_batched_newton_equals_separate_fits(kind, fit_intercept):
    X, y, s = make_glm_data(kind, 51)
    splits = _fold_splits(X.shape[0])
    held = _members(len(splits))
    S = glm_data.split_weights(s, splits, held)
    batch = problem_of(kind, X, y, s, fit_intercept, splits=splits)
    lam = 0.01
    fit_ = cold_fit(batch, lam, "newton", held_out=held, n_folds=len(splits))
    B = held.size
    assert fit_.coef.shape == (B, X.shape[1], batch.n_outputs)
    assert fit_.intercept.shape == (B, batch.n_outputs)
    for arr in (fit_.n_iter, fit_.grad_norm, fit_.converged, fit_.objective):
        assert arr.shape == (B,)
    check_reported(fit_, kind, X, y, S, lam, fit_intercept)
    for j, k in enumerate(held):
        rows = np.arange(X.shape[0]) if k < 0 else splits[k][0]
        one = problem_of(kind, X[rows], y[rows], s[rows], fit_intercept)
        ref = cold_fit(one, lam, "newton")
        assert rel(fit_.coef[j], ref.coef[0]) <= 1e-7
        np.testing.assert_allclose(fit_.intercept[j], ref.intercept[0], rtol=1e-7, atol=1e-8)
        assert fit_.objective[j] == pytest.approx(ref.objective[0], rel=1e-13)
        # a member by itself, as the only member of its pass
        alone = cold_fit(batch, lam, "newton", held_out=[k], n_folds=len(splits))
        assert rel(alone.coef[0], ref.coef[0]) <= 1e-7
    assert_kkt(fit_, kind, X, y, S, lam, fit_intercept, tol=1e-8)


@pytest.mark.parametrize("kind", KINDS)
def test_batched_lbfgs_equals_batched_newton(kind):
    X, y, s = make_glm_data(kind, 52)
    splits = _fold_splits(X.shape[0], n_folds=2)
    held = _members(2)
    S = glm_data.split_weights(s, splits, held)
    batch = problem_of(kind, X, y, s, True, splits=splits)
    fit_ = cold_fit(batch, 0.01, "lbfgs", tol=1e-9, max_iter=1000, held_out=held, n_folds=2)
    ref = cold_fit(batch, 0.01, "newton", held_out=held, n_folds=2)
    assert fit_.coef.shape == ref.coef.shape and fit_.solver == "lbfgs"
    assert fit_.n_iter.shape == fit_.converged.shape == (held.size,)
    assert_kkt(fit_, kind, X, y, S, 0.01, True, tol=1e-9)
    for j in range(held.size):
        assert rel(fit_.coef[j], ref.coef[j]) <= 1e-6


def _splits(name, n):
    if name == "shuffle":  # overlapping training sets; some rows in no split's test set
        return list(ShuffleSplit(4, train_size=0.5, test_size=0.3, random_state=0)
                    .split(np.zeros(n)))
    # growing prefixes; the gap rows and the rows after each test set take no part
    return list(TimeSeriesSplit(3, gap=3).split(np.zeros(n)))


@pytest.mark.parametrize("splitter", ["shuffle", "timeseries"])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", KINDS)
def test_members_of_arbitrary_splits_equal_fits_on_their_rows(splitter, solver, kind):
    """B members over overlapping / partial splits: member k is the fit on splits[k]'s
    training rows, and its held-out sums are those of splits[k]'s test rows."""
    X, y, s = make_glm_data(kind, 53, n=80, p=4)
    splits = _splits(splitter, X.shape[0])
    K = len(splits)
    held = np.append(np.arange(K), -1)
    problem = problem_of(kind, X, y, s, True, splits=splits)
    lam = 0.01
    fit_ = cold_fit(problem, lam, solver, tol=1e-9, max_iter=1000, held_out=held, n_folds=K)
    assert fit_.converged.all()
    check_reported(fit_, kind, X, y, glm_data.split_weights(s, splits, held), lam, True)
    for j, k in enumerate(held):
        if k < 0:
            tr, te = np.arange(X.shape[0]), np.array([], dtype=int)
        else:
            tr, te = splits[k]
        ref = cold_fit(problem_of(kind, X[tr], y[tr], s[tr], True), lam, "newton", tol=1e-10)
        assert rel(fit_.coef[j], ref.coef[0]) <= 1e-6, (j, k)
        np.testing.assert_allclose(fit_.intercept[j], ref.intercept[0], rtol=1e-6, atol=1e-7)
        # held-out sums at the member's own solution
        E = X[te] @ fit_.coef[j] + fit_.intercept[j]
        assert fit_.held_sw[j] == pytest.approx(s[te].sum(), rel=1e-13)
        assert fit_.held_loss[j] == pytest.approx(s[te] @ per_sample(kind, y[te], E),
                                                  rel=1e-10, abs=1e-12)
        if kind == "binomial":
            right = (E[:, 0] > 0) == (y[te] > 0.5)
            assert fit_.held_correct[j] == pytest.approx(s[te] @ right, rel=1e-13)
        elif kind == "multinomial":
            right = np.argmax(E, axis=1) == np.argmax(y[te], axis=1)
            assert fit_.held_correct[j] == pytest.approx(s[te] @ right, rel=1e-13)


LAMBDAS_UNSORTED = np.array([0.03, 1e-3, 0.3, 3e-4, 0.01, 0.03])


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", KINDS)
def test_path_equals_cold_fits_in_grid_order(solver, kind):
    X, y, s = make_glm_data(kind, 61)
    problem = problem_of(kind, X, y, s, True)
    path = glm_path(problem, LAMBDAS_UNSORTED, solver=solver, tol=1e-9, max_iter=1000)
    L, p, m = LAMBDAS_UNSORTED.size, X.shape[1], problem.n_outputs
    assert path.solver == solver
    np.testing.assert_array_equal(path.lambdas, LAMBDAS_UNSORTED)
    assert path.coef.shape == (L, 1, p, m) and path.intercept.shape == (L, 1, m)
    assert path.objective.shape == path.grad_norm.shape == path.n_iter.shape == (L, 1)
    assert path.converged.all()
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
    splits = _fold_splits(X.shape[0])
    held = _members(len(splits))
    batch = problem_of("multinomial", X, y, s, True, splits=splits)
    lambdas = np.array([1e-3, 0.1, 0.01])
    path = glm_path(batch, lambdas, held_out=held, n_folds=len(splits), solver="newton")
    assert path.coef.shape == (3, held.size, X.shape[1], 3)
    assert path.converged.all() and np.all(path.grad_norm <= 1e-8)
    for i, lam in enumerate(lambdas):
        for j, k in enumerate(held):
            rows = np.arange(X.shape[0]) if k < 0 else splits[k][0]
            one = problem_of("multinomial", X[rows], y[rows], s[rows], True)
            ref = cold_fit(one, float(lam), "newton")
            assert rel(path.coef[i, j], ref.coef[0]) <= 1e-6
            # max|∇f| ≤ 1e-8 at 2λ = 2e-3 curvature leaves ~1e-6 of play in the intercept
            np.testing.assert_allclose(path.intercept[i, j], ref.intercept[0], rtol=1e-6,
                                       atol=1e-6)


def test_path_start_point():
    X, y, s = make_glm_data("binomial", 63)
    problem = problem_of("binomial", X, y, s, True)
    lambdas = np.geomspace(0.3, 1e-3, 8)
    ref = cold_fit(problem, 0.3, "newton")
    path = glm_path(problem, lambdas, solver="newton", start=(ref.coef, ref.intercept))
    assert path.n_iter[0, 0] == 0  # started at the solution of the first λ
    np.testing.assert_array_equal(path.coef[0], ref.coef)
    for i, lam in enumerate(lambdas):
        assert rel(path.coef[i], cold_fit(problem, float(lam), "newton").coef) <= 1e-6


@pytest.mark.parametrize("kind", KINDS)
def test_start_predictor_equals_cold_fits_with_fewer_passes(kind):
    """The path's step to the next λ by hand: the previous solution, its curvature and its
    ``PassPoint`` (loss and gradient, which do not depend on λ) start the next fit; its first
    step (the predictor) needs no pass. Same answers as cold fits, fewer passes over the path
    (not at every λ: a reused curvature may need a pass or two more than a fresh one)."""
    X, y, s = make_glm_data(kind, 64)
    problem = problem_of(kind, X, y, s, True)
    lambdas = np.geomspace(0.3, 1e-3, 8)
    prev = cold_fit(problem, float(lambdas[0]), "newton")
    warm_passes = cold_passes = warm_hessians = cold_hessians = 0
    for lam in lambdas[1:]:
        warm = fit(problem, float(lam), prev.coef, prev.intercept, FULL, 1, solver="newton",
                   curvature0=prev.curvature, start=prev.point)
        cold = cold_fit(problem, float(lam), "newton")
        assert warm.converged[0] and warm.grad_norm[0] <= 1e-8
        check_reported(warm, kind, X, y, s, float(lam), True)
        assert rel(warm.coef, cold.coef) <= 1e-6
        np.testing.assert_allclose(warm.intercept, cold.intercept, rtol=1e-6, atol=1e-7)
        warm_passes += warm.n_passes
        cold_passes += cold.n_passes
        warm_hessians += warm.n_hessian_passes
        cold_hessians += cold.n_hessian_passes
        prev = warm
    assert warm_passes < cold_passes
    assert warm_hessians < cold_hessians
    # the path driver takes the same road
    path = glm_path(problem, lambdas, solver="newton")
    assert rel(path.coef[-1], prev.coef) <= 1e-6


@pytest.mark.parametrize("kind", KINDS)
def test_auto_glm_grid_spans_the_dof_range(kind):
    X, y, s = make_glm_data(kind, 64, n=80, p=6)
    problem = problem_of(kind, X, y, s, True)
    grid = auto_glm_grid(problem, n_lambdas=12, dof_range=(0.1, 0.9))
    assert grid.shape == (12,) and np.all(np.diff(grid) < 0) and np.all(grid > 0)
    np.testing.assert_allclose(np.diff(np.log(grid)), np.log(grid[1] / grid[0]), rtol=1e-10)
    # the null model's centered curvature, written out: ℓ'' is the same on every row there
    om = s / s.sum()
    m = om @ y
    if kind == "binomial":
        h = m * (1 - m)
    elif kind == "poisson":
        h = 2.0 * m  # 2μ at the mean count
    else:
        h = float(np.mean(m * (1 - m)))  # class frequencies m_c
    d = om * h
    Xc = X - d @ X / d.sum()
    e = np.linalg.eigvalsh(Xc.T @ (d[:, None] * Xc))
    dof = [float(np.sum(e / (e + 2 * lam))) for lam in (grid[0], grid[-1])]
    assert dof[0] == pytest.approx(max(0.1 * 6, 0.5), rel=1e-6)
    assert dof[1] == pytest.approx(0.9 * 6, rel=1e-6)


# ---------------------------------------------------------------------------------------------
# 5. solver names
# ---------------------------------------------------------------------------------------------


def test_solver_names():
    # Newton-CG and trust-region are gone: their names (and liblinear's) now mean "auto"
    assert GLM_SOLVERS == ("auto", "newton", "lbfgs")
    for name in GLM_SOLVERS:
        assert resolve_solver(name) == name
    assert resolve_solver("newton-cholesky") == "newton"
    assert resolve_solver("newton-cg") == resolve_solver("trust-ncg") == "auto"
    assert resolve_solver("liblinear") == "auto"
    assert resolve_solver("sag") == resolve_solver("saga") == "auto"
    assert set(SOLVER_ALIASES) == {"newton-cholesky", "newton-cg", "trust-ncg", "liblinear",
                                   "sag", "saga"}
    with pytest.raises(ValueError, match="unknown solver 'bfgs'"):
        resolve_solver("bfgs")
    X, y, s = make_glm_data("binomial", 0, n=10, p=3)
    with pytest.raises(ValueError, match="unknown solver"):
        glm_path(problem_of("binomial", X, y, s), [0.1], solver="bfgs")


def _multinomial(X):
    return GLMProblem.from_arrays(X, np.array([0.0, 1, 2, 0, 1]), None, LOSSES["multinomial"],
                                  n_classes=3)


def test_choose_solver_by_dimension():
    """``auto``: Newton while d = p·m ≤ NEWTON_MAX_DIM (1000 in memory, 5000 over files),
    else L-BFGS. (The old rule's Newton-CG / trust-ncg choices above the limit are L-BFGS
    now, and their names are aliases of "auto".)"""
    assert NEWTON_MAX_DIM == {"in_memory": 1000, "files": 5000}
    rng = np.random.default_rng(0)
    small = _multinomial(rng.normal(size=(5, 10)))
    assert choose_solver(small) == "newton"
    assert choose_solver(small, "lbfgs") == "lbfgs"
    assert choose_solver(small, "newton-cg") == "newton"  # an alias of auto
    assert choose_solver(small, "trust-ncg") == "newton"
    limit = NEWTON_MAX_DIM["in_memory"]
    dense_big = _multinomial(rng.normal(size=(5, limit // 3 + 1)))  # p·C just above
    assert choose_solver(dense_big) == "lbfgs"
    assert choose_solver(dense_big, "newton-cg") == "lbfgs"
    assert choose_solver(dense_big, "newton") == "newton"
    pois = GLMProblem.from_arrays(rng.normal(size=(5, 3)), np.arange(5.0), None,
                                  LOSSES["poisson"])
    assert choose_solver(pois, "newton-cg") == "newton"  # no longer refused for Poisson
    big = _multinomial(sp.random(5, limit // 3 + 1, density=0.1, random_state=0,
                                 format="csr"))
    assert choose_solver(big) == "lbfgs"
    assert choose_solver(big, "newton-cholesky") == "newton"
    edge = GLMProblem.from_arrays(sp.random(5, limit, density=0.1, random_state=0,
                                            format="csr"),
                                  np.array([0.0, 1, 0, 1, 1]), None, LOSSES["binomial"])
    assert choose_solver(edge) == "newton"
    over = GLMProblem.from_arrays(sp.random(5, limit + 1, density=0.1, random_state=0,
                                            format="csr"),
                                  np.array([0.0, 1, 0, 1, 1]), None, LOSSES["binomial"])
    assert choose_solver(over) == "lbfgs"
    # a source that is not in memory (files): the larger limit
    for p, want in ((NEWTON_MAX_DIM["files"], "newton"), (NEWTON_MAX_DIM["files"] + 1, "lbfgs")):
        files = GLMProblem(types.SimpleNamespace(n_features=p, in_memory=False),
                           LOSSES["binomial"])
        assert choose_solver(files) == want


# ---------------------------------------------------------------------------------------------
# 6. sample-weight invariances
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_integer_weights_equal_repeated_rows(kind, fit_intercept):
    X, y, _ = make_glm_data(kind, 71, n=40)
    counts = np.random.default_rng(1).integers(0, 4, 40)  # zeros drop rows
    lam = 0.02
    fw = cold_fit(problem_of(kind, X, y, counts.astype(float), fit_intercept), lam, "newton",
                  tol=1e-9)
    Xr, yr = np.repeat(X, counts, axis=0), np.repeat(y, counts, axis=0)
    fr = cold_fit(problem_of(kind, Xr, yr, np.ones(counts.sum()), fit_intercept), lam,
                  "newton", tol=1e-9)
    assert rel(fw.coef, fr.coef) <= 1e-7
    np.testing.assert_allclose(fw.intercept, fr.intercept, rtol=1e-7, atol=1e-8)
    assert fw.objective[0] == pytest.approx(fr.objective[0], rel=1e-12)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", KINDS)
def test_scaling_weights_changes_nothing(solver, kind):
    X, y, s = make_glm_data(kind, 72)
    lam = 0.02
    f1 = cold_fit(problem_of(kind, X, y, s, True), lam, solver)
    f2 = cold_fit(problem_of(kind, X, y, 7.3 * s, True), lam, solver)
    f3 = cold_fit(problem_of(kind, X, y, 1e-3 * s, True), lam, solver)
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
    problem = problem_of(kind, X, y, s, fit_intercept)
    lam = 1e-3
    W0, b0 = glm_data.null_start(problem)
    fit_ = fit(problem, lam, W0, b0, FULL, 1, solver=solver)  # default tol 1e-8
    assert_kkt(fit_, kind, X, y, s, lam, fit_intercept, tol=1e-8)
    assert np.abs(fit_.coef).max() < 50


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", ["binomial", "multinomial"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_separable_data_without_penalty_terminates(solver, kind, fit_intercept):
    X, y = separable(kind)
    s = np.ones(X.shape[0])
    problem = problem_of(kind, X, y, s, fit_intercept)
    max_iter = 25
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_ = cold_fit(problem, 0.0, solver, tol=1e-12, max_iter=max_iter)
    assert fit_.n_iter[0] <= max_iter
    assert np.all(np.isfinite(fit_.coef)) and np.all(np.isfinite(fit_.intercept))
    assert np.isfinite(fit_.objective[0])
    penalized = cold_fit(problem, 1e-3, "newton")
    # the infimum is 0 at infinity: either it says it has not converged, or it went far out
    assert (not fit_.converged[0]) or (
        fit_.objective[0] < 1e-6 and np.abs(fit_.coef).max() > 10 * np.abs(penalized.coef).max())
    assert fit_.objective[0] < penalized.objective[0]


def test_kfold_splits_and_hashed_folds_are_members_alike():
    """A KFold splitter's splits and the same folds given as fold ids: the same members."""
    X, y, s = make_glm_data("binomial", 91)
    splits = list(KFold(3, shuffle=True, random_state=1).split(X))
    folds = np.zeros(X.shape[0], dtype=np.int64)
    for k, (_, te) in enumerate(splits):
        folds[te] = k
    by_ids = GLMProblem(ArraySource(X, y, sample_weight=s, folds=folds), LOSSES["binomial"])
    by_splits = problem_of("binomial", X, y, s, True, splits=splits)
    a = cold_fit(by_ids, 0.01, "newton", held_out=_members(3), n_folds=3)
    b = cold_fit(by_splits, 0.01, "newton", held_out=_members(3), n_folds=3)
    assert rel(a.coef, b.coef) <= 1e-10
    np.testing.assert_allclose(a.held_loss, b.held_loss, rtol=1e-10)
