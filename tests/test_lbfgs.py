"""L-BFGS (solvers/lbfgs.py) on a statistics source: gradient-only passes, the same optimum as
Newton and the in-memory estimators."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ridgeline
from ridgeline import LogisticRegression, PoissonRegressor
from ridgeline.conventions import sklearn_C
from ridgeline.losses import BinomialLoss, PoissonLoss
from ridgeline.solvers.glm_fit import null_curvature, reuses_curvature
from ridgeline.solvers.glm_models import EmptyTrainingRows, make_model
from ridgeline.solvers.lbfgs import _cubic_step, lbfgs
from ridgeline.solvers.lbfgs_metric import Metric
from ridgeline.solvers.newton import GLMFit, newton
from ridgeline.solvers.problem import GLMProblem
from ridgeline.stats import ArraySource, predefined_test_fold

K, SEED, TOL = 5, 3, 1e-10
HELD = np.array([-1, 0, 3])  # the full-data model and two fold models, each its own λ


def _binary(n=1200, p=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, p) + 0.3 * rng.normal(size=p)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(X @ rng.normal(size=p) * 0.6 - 0.4))))
    return X, y.astype(np.float64)


def _counts(n=1200, p=8, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 1.5, p)
    y = rng.poisson(np.exp(X @ rng.normal(size=p) * 0.25 + 0.5)).astype(np.float64)
    return X, y


def _start(B, p, y, loss, fit_intercept):
    """W (B, p, 1) = 0 and b (B, 1) at the null model of all rows."""
    b = np.full((B, 1), loss.null_eta(y, np.ones(y.size)) if fit_intercept else 0.0)
    return np.zeros((B, p, 1)), b


def _lbfgs(src, loss, lam, W0, b0, held_out, n_folds, *, fit_intercept=True, tol=1e-8,
           max_iter=1000, memory=10, x_mean=None, x_scale=None, progress=None) -> GLMFit:
    """The one L-BFGS over ``src`` (H0 scaled by ℓ'' at the starting intercept)."""
    problem = GLMProblem(src, loss, fit_intercept, progress=progress)
    return lbfgs(make_model(problem, held_out, n_folds), lam, W0, b0,
                 fit_intercept=fit_intercept, tol=tol, max_iter=max_iter, memory=memory,
                 x_mean=x_mean, x_scale=x_scale, null_curvature=null_curvature(problem, b0))


def _newton(src, loss, lam, W0, b0, held_out, n_folds, *, fit_intercept=True, tol=1e-8,
            max_iter=100) -> GLMFit:
    """The one Newton over ``src`` (Hessian reuse as the source calls for)."""
    problem = GLMProblem(src, loss, fit_intercept)
    return newton(make_model(problem, held_out, n_folds), lam, W0, b0,
                  fit_intercept=fit_intercept, tol=tol, max_iter=max_iter,
                  reuse=reuses_curvature(src))


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1.0e-300))


def _in_memory(kind, X, y, lam, fit_intercept):
    """The in-memory estimator on the same rows and objective (λ converted to its parameter)."""
    if kind == "binomial":
        est = LogisticRegression(C=sklearn_C(lam, y.size), tol=1e-12, max_iter=200,
                                 fit_intercept=fit_intercept)
    else:
        est = PoissonRegressor(alpha=lam, tol=1e-12, max_iter=200, fit_intercept=fit_intercept)
    est.fit(X, y)
    return np.ravel(est.coef_), float(np.ravel(est.intercept_)[0])


def _check_members(fit, X, y, lam, kind, fit_intercept, newton_fit):
    folds = predefined_test_fold(y.size, K, SEED)
    assert fit.coef.shape == (HELD.size, X.shape[1], 1) and fit.intercept.shape == (HELD.size, 1)
    for j, k in enumerate(HELD):
        rows = folds != k
        coef, inter = _in_memory(kind, X[rows], y[rows], lam[j], fit_intercept)
        assert _rel(fit.coef[j, :, 0], coef) <= 1e-7
        assert abs(fit.intercept[j, 0] - inter) <= 1e-7 * max(1.0, abs(inter))
    assert _rel(fit.coef, newton_fit.coef) <= 1e-7
    assert _rel(fit.intercept, newton_fit.intercept) <= 1e-7 or not fit_intercept
    if not fit_intercept:
        np.testing.assert_array_equal(fit.intercept, 0.0)


class Recording:
    """A source that forwards every pass to ``inner`` and records what was asked."""

    def __init__(self, inner):
        self.inner = inner
        self.n_features = inner.n_features
        self.calls = []

    def glm_pass(self, loss, coef, intercept, held_out, n_folds, *, hessian=True,
                 progress=None):
        self.calls.append((hessian, np.array(held_out), progress))
        return self.inner.glm_pass(loss, coef, intercept, held_out, n_folds, hessian=hessian,
                                   progress=progress)


# ------------------------------------------------------------------------ same optimum
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_binomial_members_equal_newton_and_in_memory(fit_intercept):
    X, y = _binary()
    src = ArraySource(X, y, batch_rows=500, seed=SEED)
    lam = np.array([1e-2, 3e-3, 3e-2])
    W0, b0 = _start(3, X.shape[1], y, BinomialLoss, fit_intercept)
    fit = _lbfgs(src, BinomialLoss, lam, W0, b0, HELD, K, fit_intercept=fit_intercept,
                 tol=TOL)
    nt = _newton(src, BinomialLoss, lam, W0, b0, HELD, K, fit_intercept=fit_intercept,
                 tol=TOL)
    assert isinstance(fit, GLMFit) and fit.solver == "lbfgs" and nt.solver == "newton"
    assert fit.converged.all() and np.all(fit.grad_norm <= TOL)
    _check_members(fit, X, y, lam, "binomial", fit_intercept, nt)
    # held-out sums at the solution are the Newton fit's
    np.testing.assert_array_equal(fit.held_sw, nt.held_sw)
    np.testing.assert_allclose(fit.held_loss, nt.held_loss, rtol=1e-9)
    np.testing.assert_array_equal(fit.held_correct, nt.held_correct)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_poisson_members_equal_newton_and_in_memory(fit_intercept):
    X, y = _counts()
    src = ArraySource(X, y, batch_rows=350, seed=SEED)
    lam = np.array([1e-2, 1e-3, 5e-2])
    W0, b0 = _start(3, X.shape[1], y, PoissonLoss, fit_intercept)
    fit = _lbfgs(src, PoissonLoss, lam, W0, b0, HELD, K, fit_intercept=fit_intercept,
                 tol=TOL)
    nt = _newton(src, PoissonLoss, lam, W0, b0, HELD, K, fit_intercept=fit_intercept,
                 tol=TOL)
    assert fit.converged.all() and np.all(fit.grad_norm <= TOL)
    _check_members(fit, X, y, lam, "poisson", fit_intercept, nt)
    np.testing.assert_allclose(fit.held_loss, nt.held_loss, rtol=1e-9)


def test_parquet_source_equals_array_source(tmp_path):
    X, y = _binary(n=900, p=6, seed=2)
    data = {f"x{j}": X[:, j] for j in range(X.shape[1])} | {"label": y}
    pq.write_table(pa.table(data), tmp_path / "rows.parquet", row_group_size=256)
    src = ridgeline.read_parquet(tmp_path / "rows.parquet", target="label", batch_rows=200,
                                 seed=SEED)
    ref = ArraySource(X, y, batch_rows=200, seed=SEED)
    lam = np.array([2e-3, 1e-2, 5e-3])
    W0, b0 = _start(3, X.shape[1], y, BinomialLoss, True)
    a = _lbfgs(src, BinomialLoss, lam, W0, b0, HELD, K, tol=TOL)
    b = _lbfgs(ref, BinomialLoss, lam, W0, b0, HELD, K, tol=TOL)
    assert a.converged.all() and a.n_passes == b.n_passes
    np.testing.assert_allclose(a.coef, b.coef, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.intercept, b.intercept, rtol=0, atol=1e-12)
    _check_members(a, X, y, lam, "binomial", True,
                   _newton(src, BinomialLoss, lam, W0, b0, HELD, K, tol=TOL))


def test_large_p_binary_converges_to_in_memory_answer():
    rng = np.random.default_rng(5)
    n, p = 400, 1500
    X = rng.normal(size=(n, p))
    y = (X[:, :20] @ rng.normal(size=20) * 0.5 + rng.logistic(size=n) > 0).astype(np.float64)
    src = ArraySource(X, y, batch_rows=128, seed=SEED)
    lam = 1e-2
    fit = _lbfgs(src, BinomialLoss, np.array([lam]), *_start(1, p, y, BinomialLoss, True),
                       np.array([-1]), K, tol=TOL)
    assert fit.converged[0] and fit.grad_norm[0] <= TOL
    coef, inter = _in_memory("binomial", X, y, lam, True)
    assert _rel(fit.coef[0, :, 0], coef) <= 1e-7
    assert abs(fit.intercept[0, 0] - inter) <= 1e-7 * max(1.0, abs(inter))
    assert fit.n_passes <= 1.15 * fit.n_iter[0] + 3  # unit steps: about one pass an iteration


# ------------------------------------------------------------------------ passes
def test_every_pass_is_gradient_only_and_finished_members_drop_out():
    X, y = _binary(seed=4)
    src = Recording(ArraySource(X, y, batch_rows=400, seed=SEED))
    lam = np.array([1.0, 1e-3, 1e-2])  # the strongly penalized member finishes first
    rows = []
    fit = _lbfgs(src, BinomialLoss, lam, *_start(3, X.shape[1], y, BinomialLoss, True), HELD,
                 K, tol=TOL, progress=rows.append)
    assert fit.converged.all()
    assert len(src.calls) == fit.n_passes
    assert all(hessian is False for hessian, _, _ in src.calls)
    assert all(progress is not None for _, _, progress in src.calls)
    assert sum(rows) == fit.n_passes * y.size  # progress saw every row of every pass
    sizes = [held.size for _, held, _ in src.calls]
    assert sizes[0] == 3 and sizes[-1] == 1 and sizes == sorted(sizes, reverse=True)
    # the members finishing early used fewer iterations; the total is ~one pass per iteration
    assert fit.n_iter[0] < fit.n_iter[1]
    assert fit.n_passes <= 1.15 * fit.n_iter.max() + 3


def test_start_at_the_solution_takes_one_pass():
    X, y = _counts(seed=6)
    src = ArraySource(X, y, seed=SEED)
    lam = np.array([1e-2, 1e-2, 1e-2])
    W0, b0 = _start(3, X.shape[1], y, PoissonLoss, True)
    first = _lbfgs(src, PoissonLoss, lam, W0, b0, HELD, K, tol=1e-9)
    again = _lbfgs(src, PoissonLoss, lam, first.coef, first.intercept, HELD, K, tol=1e-9)
    assert again.n_passes == 1 and again.converged.all()
    np.testing.assert_array_equal(again.n_iter, 0)
    np.testing.assert_array_equal(again.coef, first.coef)


def test_max_iter_and_memory_one():
    X, y = _binary(seed=7)
    src = ArraySource(X, y, seed=SEED)
    lam = np.array([1e-3, 1e-3, 1e-3])
    W0, b0 = _start(3, X.shape[1], y, BinomialLoss, True)
    short = _lbfgs(src, BinomialLoss, lam, W0, b0, HELD, K, tol=TOL, max_iter=3)
    assert not short.converged.any()
    np.testing.assert_array_equal(short.n_iter, 3)
    assert np.all(np.isfinite(short.grad_norm)) and np.all(short.grad_norm > TOL)
    m1 = _lbfgs(src, BinomialLoss, lam, W0, b0, HELD, K, tol=TOL, memory=1)
    full = _lbfgs(src, BinomialLoss, lam, W0, b0, HELD, K, tol=TOL, memory=20)
    assert m1.converged.all() and full.converged.all()
    assert _rel(m1.coef, full.coef) <= 1e-7


# ------------------------------------------------------------------------ H0 and moments
@pytest.mark.parametrize("m", [1, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_initial_inverse_hessian_is_the_model_inverse(fit_intercept, m):
    """``Metric`` on flat (p + 1)·m blocks (row-major, last row the intercepts): every output
    column gets the inverse of the model Hessian (m = 3: a softmax model's classes)."""
    rng = np.random.default_rng(8)
    p, lam, c = 6, 0.05, 0.3
    mean, scale = rng.normal(size=p) * 3, rng.uniform(0.1, 4.0, p)
    # the model second moments of (x, 1), correlations dropped, and the penalty (not on b)
    V = np.diag(np.append(scale**2, 0.0)) + np.outer(np.append(mean, 1.0), np.append(mean, 1.0))
    H = c * V + 2 * lam * np.diag(np.append(np.ones(p), 0.0))
    metric = Metric(lam, mean, scale, fit_intercept)
    Q = rng.normal(size=(p + 1, m))
    if not fit_intercept:  # no intercept coordinates: their entries are 0 throughout
        H = H[:p, :p]
        Q[p] = 0.0
    d = H.shape[0]
    got = metric.apply(Q.ravel(), c).reshape(p + 1, m)
    np.testing.assert_allclose(got[:d], np.linalg.solve(H, Q[:d]), rtol=1e-12)
    # a pair with exactly the model curvature gives back its c
    S = rng.normal(size=(p + 1, m))
    if not fit_intercept:
        S[p] = 0.0
    Y = np.zeros((p + 1, m))
    Y[:d] = H @ S[:d]
    assert metric.curvature(S.ravel(), Y.ravel()) == pytest.approx(c, rel=1e-12)


def test_feature_moments_precondition_without_changing_the_answer():
    rng = np.random.default_rng(9)
    n, p = 1500, 12
    Z = rng.normal(size=(n, p))
    X = Z * rng.uniform(0.2, 5.0, p) + 3.0 * rng.normal(size=p)  # uneven scales, offsets
    X[:, 4] = 2.5  # a constant column: no variance, only the penalty curves its coefficient
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(Z[:, :6] @ rng.normal(size=6))))).astype(float)
    src = ArraySource(X, y, batch_rows=700, seed=SEED)
    lam = np.array([1e-2, 1e-3, 3e-2])
    for fit_intercept in (True, False):
        W0, b0 = _start(3, p, y, BinomialLoss, fit_intercept)
        kw = dict(fit_intercept=fit_intercept, tol=TOL)
        plain = _lbfgs(src, BinomialLoss, lam, W0, b0, HELD, K, **kw)
        pre = _lbfgs(src, BinomialLoss, lam, W0, b0, HELD, K, **kw,
                     x_mean=X.mean(axis=0), x_scale=X.std(axis=0))
        nt = _newton(src, BinomialLoss, lam, W0, b0, HELD, K, **kw)
        assert plain.converged.all() and pre.converged.all()
        assert _rel(pre.coef, nt.coef) <= 1e-7 and _rel(plain.coef, nt.coef) <= 1e-7
        assert _rel(pre.intercept, nt.intercept) <= 1e-7 or not fit_intercept
        assert pre.n_passes <= plain.n_passes / 3


def test_cubic_step_is_exact_on_a_quadratic_and_safeguarded():
    # φ(t) = (t − 0.3)²: from t = 1 the minimizer 0.3 lies inside [0.1, 0.5]
    assert _cubic_step(1.0, 0.09, -0.6, 0.49, 1.4) == pytest.approx(0.3, rel=1e-12)
    # φ(t) = (t − 0.01)²: the minimizer is clamped to 0.1 t; a non-finite trial too
    assert _cubic_step(1.0, 1e-4, -0.02, 0.9801, 1.98) == pytest.approx(0.1)
    assert _cubic_step(2.0, 1.0, -1.0, np.inf, np.nan) == pytest.approx(0.2)


# ------------------------------------------------------------------------ bad input
def test_bad_arguments_are_rejected():
    """The solver's own arguments are checked; λ and the starting point's shapes are the
    estimators' to check (their C, alpha), a non-finite start is refused at the first pass."""
    X, y = _binary(n=200, p=3)
    src = ArraySource(X, y, seed=SEED)
    W0, b0 = np.zeros((1, 3, 1)), np.zeros((1, 1))
    lam, held = np.array([0.1]), np.array([-1])
    for tol in (0.0, -1e-8, np.nan, np.inf):
        with pytest.raises(ValueError, match="tol"):
            _lbfgs(src, BinomialLoss, lam, W0, b0, held, K, tol=tol)
    for memory in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="memory"):
            _lbfgs(src, BinomialLoss, lam, W0, b0, held, K, memory=memory)
    with pytest.raises(ValueError, match="max_iter"):
        _lbfgs(src, BinomialLoss, lam, W0, b0, held, K, max_iter=-1)
    with pytest.raises(ValueError, match="x_mean and x_scale"):
        _lbfgs(src, BinomialLoss, lam, W0, b0, held, K, x_mean=np.zeros(2))
    with pytest.raises(ValueError, match="x_scale non-negative"):
        _lbfgs(src, BinomialLoss, lam, W0, b0, held, K, x_scale=-np.ones(3))
    with pytest.raises(ValueError, match="not finite at the starting point"):
        _lbfgs(src, BinomialLoss, lam, np.full((1, 3, 1), np.nan), b0, held, K)
    one_fold = ArraySource(X, y, folds=np.zeros(200, dtype=int))
    with pytest.raises(EmptyTrainingRows, match="no training rows"):
        _lbfgs(one_fold, BinomialLoss, lam, W0, b0, np.array([0]), 2)


# ------------------------------------------------------------------------ estimator wiring
def test_estimators_fit_sources_by_lbfgs_and_pick_it_for_large_p(monkeypatch):
    """solver='lbfgs' on a source gives the in-memory answer; 'auto' picks it when the
    Hessian has more than NEWTON_MAX_DIM rows (d = p·m; lowered here), the softmax's too."""
    from ridgeline import LogisticRegressionCV
    from ridgeline.solvers import glm_fit

    X, y = _binary(n=1500, p=12, seed=5)
    X = X * np.linspace(0.5, 4, 12) + 3.0  # offset, uneven scales: the moments matter
    src = ArraySource(X, y, batch_rows=400)
    summary = src.target_summary(1, columns=True)
    mean, scale = summary.feature_scale()
    np.testing.assert_allclose(mean, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(scale, X.std(axis=0), rtol=1e-9)
    a = LogisticRegression(C=0.2, solver="lbfgs", tol=1e-10).fit(src)
    b = LogisticRegression(C=0.2, tol=1e-10).fit(X, y)
    assert a.solver_ == "lbfgs" and a.n_passes_ < 60
    assert _rel(a.coef_, b.coef_) < 1e-7 and abs(a.intercept_[0] - b.intercept_[0]) < 1e-7
    Cs = np.logspace(-2, 1, 4)
    cv = LogisticRegressionCV(Cs=Cs, cv=3, solver="lbfgs", tol=1e-10).fit(
        ArraySource(X, y, seed=2))
    ref = LogisticRegressionCV(Cs=Cs, cv=3, solver="newton", tol=1e-10).fit(
        ArraySource(X, y, seed=2))
    assert cv.solver_ == "lbfgs" and ref.solver_ == "newton" and cv.C_ == ref.C_
    np.testing.assert_allclose(cv.scores_, ref.scores_, atol=1e-9, rtol=0)
    assert _rel(cv.coef_, ref.coef_) < 1e-7
    Xc, yc = _counts(n=1500, p=12, seed=6)
    pa_ = PoissonRegressor(alpha=0.01, solver="lbfgs", tol=1e-10).fit(ArraySource(Xc, yc))
    pb = PoissonRegressor(alpha=0.01, tol=1e-10).fit(Xc, yc)
    assert pa_.solver_ == "lbfgs" and _rel(pa_.coef_, pb.coef_) < 1e-7

    monkeypatch.setitem(glm_fit.NEWTON_MAX_DIM, "in_memory", 11)
    assert LogisticRegression(C=0.2).fit(src).solver_ == "lbfgs"
    assert LogisticRegression(C=0.2).fit(ArraySource(X[:, :11], y)).solver_ == "newton"
    y3 = np.digitize(X[:, 0], np.quantile(X[:, 0], [1 / 3, 2 / 3])).astype(float)
    # the softmax's Hessian has p·C rows: 3 features and 3 classes are 9 ≤ 11, 12 are 36
    assert LogisticRegression(C=0.2).fit(ArraySource(X[:, :3], y3)).solver_ == "newton"
    auto = LogisticRegression(C=0.2, tol=1e-10).fit(ArraySource(X, y3))
    nt = LogisticRegression(C=0.2, solver="newton", tol=1e-10).fit(ArraySource(X, y3))
    assert auto.solver_ == "lbfgs" and nt.solver_ == "newton"
    assert _rel(auto.coef_, nt.coef_) < 1e-7
    assert _rel(auto.intercept_, nt.intercept_) < 1e-7
    # scikit-learn's and older ridgeline names are accepted (aliases of "auto")
    assert LogisticRegression(C=0.2, solver="newton-cg").fit(src).solver_ == "lbfgs"
    with pytest.raises(ValueError, match="unknown solver"):
        LogisticRegression(solver="cg").fit(src)
