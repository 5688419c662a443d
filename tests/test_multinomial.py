"""Multinomial (softmax) logistic regression on the one GLM engine: the per-batch kernel, Newton
and L-BFGS with a softmax problem, and LogisticRegressionCV on array, Parquet and Dask sources,
against direct sums and the in-memory estimator (≤ 1e-8).

Folds of a source are the hash of the global row position, so the in-memory references use
``PredefinedSplit`` of :func:`ridgeline.stats.predefined_test_fold` — the same folds.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy.special import logsumexp, softmax
from sklearn.model_selection import PredefinedSplit

import ridgeline
from ridgeline import LogisticRegressionCV
from ridgeline.losses import MultinomialLoss
from ridgeline.solvers import glm_fit
from ridgeline.solvers.glm_models import make_model
from ridgeline.solvers.lbfgs import lbfgs
from ridgeline.solvers.newton import newton
from ridgeline.solvers.problem import GLMProblem
from ridgeline.stats import ArraySource, SourceError, predefined_test_fold
from ridgeline.stats.multinomial import (
    MultinomialPassResult,
    batch_multinomial_stats,
    class_indices,
)

K = 4
SEED = 3


def _classes(n=900, p=4, C=3, seed=0, scale=1.0):
    """Features and class indices drawn from a softmax model."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, size=p) + rng.normal(size=p)
    eta = scale * (X - X.mean(axis=0)) @ rng.normal(size=(p, C)) + rng.normal(size=C)
    labels = np.argmax(eta + rng.gumbel(size=(n, C)), axis=1)
    return X, labels, rng


def _softmax(src, classes, fit_intercept=True):
    return GLMProblem(src, MultinomialLoss(), fit_intercept, classes=classes)


def _softmax_newton(src, lam, W0, b0, held_out, n_folds, *, classes, fit_intercept=True,
                    tol=1e-8, max_iter=100, reuse=None, subset_first=False):
    """The one Newton on a softmax problem over ``src`` (reuse: the source's default)."""
    problem = _softmax(src, classes, fit_intercept)
    if subset_first:
        return glm_fit.fit(problem, lam, W0, b0, held_out, n_folds, solver="newton", tol=tol,
                           max_iter=max_iter, subset_first=True)
    return newton(make_model(problem, held_out, n_folds), lam, W0, b0,
                  fit_intercept=fit_intercept, tol=tol, max_iter=max_iter,
                  reuse=glm_fit.reuses_curvature(src) if reuse is None else reuse)


def _softmax_lbfgs(src, lam, W0, b0, held_out, n_folds, *, classes, fit_intercept=True,
                   tol=1e-8, max_iter=1000):
    """The one L-BFGS on a softmax problem over ``src``, preconditioned by the features'
    moments (as the estimators do)."""
    problem = _softmax(src, classes, fit_intercept)
    mean, scale = src.target_summary(n_folds, columns=True).feature_scale()
    return lbfgs(make_model(problem, held_out, n_folds), lam, W0, b0,
                 fit_intercept=fit_intercept, tol=tol, max_iter=max_iter, x_mean=mean,
                 x_scale=scale, null_curvature=glm_fit.null_curvature(problem, b0))


def _cv(n, seed=SEED):
    return PredefinedSplit(predefined_test_fold(n, K, seed))


def _close(a, b, tol=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=0, atol=tol * max(1.0, float(np.abs(b).max())))


def _same_fit(a, b, tol=1e-8):
    """A streamed LogisticRegressionCV ``a`` equals the in-memory ``b``."""
    np.testing.assert_array_equal(a.classes_, b.classes_)
    assert a.C_ == b.C_
    assert a.coef_.shape == b.coef_.shape and a.intercept_.shape == b.intercept_.shape
    _close(a.coef_, b.coef_, tol)
    _close(a.intercept_, b.intercept_, tol)
    _close(a.scores_, b.scores_, 1e-9)
    _close(a.coefs_paths_, b.coefs_paths_, tol)
    assert a.n_iter_.shape == b.n_iter_.shape


# ------------------------------------------------------------------------------ the kernel
def _direct(X, labels, s, fold, coef, intercept, held_out):
    """The pass by its definition: per model, per sample blocks π_c(δ_cd − π_d) x̃ x̃ᵀ."""
    B, p, C = coef.shape
    n = X.shape[0]
    Xt = np.column_stack([X, np.ones(n)])
    Y = np.eye(C)[labels]
    out = MultinomialPassResult.zeros(B, p, C, True)
    for j in range(B):
        eta = X @ coef[j] + intercept[j]
        pi = softmax(eta, axis=1)
        val = logsumexp(eta, axis=1) - np.sum(Y * eta, axis=1)
        tr = fold != held_out[j]
        tw, hw = np.where(tr, s, 0.0), np.where(tr, 0.0, s)
        A = np.einsum("ic,cd->icd", pi, np.eye(C)) - pi[:, :, None] * pi[:, None, :]
        out.sw[j], out.loss[j] = tw.sum(), tw @ val
        out.grad[j] = Xt.T @ (tw[:, None] * (pi - Y))
        out.hess[j] = np.einsum("i,icd,ia,ib->cdab", tw, A, Xt, Xt)
        out.held_sw[j], out.held_loss[j] = hw.sum(), hw @ val
        out.held_correct[j] = hw @ (np.argmax(eta, axis=1) == labels)
    return out


def test_kernel_equals_direct_sums_and_finite_differences():
    X, labels, rng = _classes(n=300, p=3, C=4, seed=1)
    B, p, C = 3, 3, 4
    s = rng.uniform(0.2, 2.0, size=300)
    fold = predefined_test_fold(300, 3, 0)
    coef, inter = 0.5 * rng.normal(size=(B, p, C)), rng.normal(size=(B, C))
    held = np.array([-1, 0, 2])
    ref = _direct(X, labels, s, fold, coef, inter, held)
    got = batch_multinomial_stats(X, labels, fold, coef, inter, held, True, weights=s)
    for f in ref.__dataclass_fields__:
        _close(getattr(got, f), getattr(ref, f), 1e-12)
    assert got.held_correct[0] == 0 and got.held_sw[1] > 0
    # batches add up (in place, one buffer reused), in either memory layout and float32
    acc = MultinomialPassResult.zeros(B, p, C, True)
    for a, b in [(0, 70), (70, 71), (71, 300)]:
        batch_multinomial_stats(np.asfortranarray(X[a:b]), labels[a:b], fold[a:b], coef, inter,
                                held, True, weights=s[a:b], out=acc)
    for f in ref.__dataclass_fields__:
        _close(getattr(acc, f), getattr(ref, f), 1e-12)
    X32 = X.astype(np.float32)
    r32 = batch_multinomial_stats(X32, labels, fold, coef, inter, held, True, weights=s)
    ref32 = _direct(X32.astype(np.float64), labels, s, fold, coef, inter, held)
    _close(r32.hess, ref32.hess, 1e-12)
    # gradient and Hessian of model 0 against central differences of its summed loss
    theta = np.vstack([coef[0], inter[0]])  # (p + 1, C)

    def loss(th, grad=False):
        r = batch_multinomial_stats(X, labels, fold, th[None, :p], th[None, p], held[:1],
                                    grad, weights=s)
        return r.grad[0] if grad else r.loss[0]

    eps = 1e-6
    num_g, num_h = np.zeros_like(theta), np.zeros((C * (p + 1), C * (p + 1)))
    for k, (a, c) in enumerate((a, c) for c in range(C) for a in range(p + 1)):
        e = np.zeros_like(theta)
        e[a, c] = eps
        num_g[a, c] = (loss(theta + e) - loss(theta - e)) / (2 * eps)
        num_h[:, k] = ((loss(theta + e, True) - loss(theta - e, True)) / (2 * eps)).T.ravel()
    _close(got.grad[0], num_g, 1e-7)
    _close(got.hessian_matrix(0), num_h, 1e-7)
    # the (W, b) blocks are the same numbers in the solver's order (feature-major W)
    Hww, Hwb, Hbb = got.hessian_blocks(0)
    H = got.hessian_matrix(0)  # class-major θ: index c·(p + 1) + a
    for i in range(p):
        for c in range(C):
            for k in range(p):
                for d in range(C):
                    assert Hww[i * C + c, k * C + d] == H[c * (p + 1) + i, d * (p + 1) + k]
            assert Hwb[i * C + c, 2] == H[c * (p + 1) + i, 2 * (p + 1) + p]
    np.testing.assert_array_equal(Hbb, H[p::p + 1, p::p + 1])


def test_class_indices():
    classes = np.array([-1.0, 2.0, 7.5])
    lab, bad = class_indices(np.array([7.5, -1.0, 2.0, 2.0]), classes, 3)
    np.testing.assert_array_equal(lab, [2, 0, 1, 1])
    assert bad is None
    assert class_indices(np.array([2.0, 3.0, 8.0]), classes, 3)[1] == 1
    assert class_indices(np.array([0.0, 2.0, 2.5]), None, 3)[1] == 2
    assert class_indices(np.array([0.0, 2.0, 3.0]), None, 3)[1] == 2


# ------------------------------------------------------------------------ array and files
@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
@pytest.mark.parametrize("C,fit_intercept", [(3, True), (4, True), (3, False)])
def test_array_source_equals_in_memory(C, fit_intercept):
    X, labels, _ = _classes(n=1000, p=4, C=C, seed=C)
    y = labels.astype(np.float64)
    Cs = np.geomspace(1e-3, 10.0, 5)
    kw = dict(Cs=Cs, tol=1e-11, fit_intercept=fit_intercept, scoring="neg_log_loss")
    a = LogisticRegressionCV(cv=K, **kw).fit(ArraySource(X, y, seed=SEED, batch_rows=300))
    b = LogisticRegressionCV(cv=_cv(1000), **kw).fit(X, y)
    _same_fit(a, b)
    assert a.coef_.shape == (C, 4) and a.coefs_paths_.shape == (K, 1, 5, C, 4 + fit_intercept)
    assert a.n_rows_ == 1000 and a.solver_ == "newton"
    assert a.n_passes_ < 25 * 5  # one pass per Newton iteration for all K folds at once
    if C == 4:  # scikit-learn's older layout: dicts keyed by class
        la = LogisticRegressionCV(cv=K, use_legacy_attributes=True, **kw).fit(
            ArraySource(X, y, seed=SEED))
        lb = LogisticRegressionCV(cv=_cv(1000), use_legacy_attributes=True, **kw).fit(X, y)
        assert list(la.coefs_paths_) == list(lb.coefs_paths_) == [0.0, 1.0, 2.0, 3.0]
        for k in lb.coefs_paths_:
            _close(la.coefs_paths_[k], lb.coefs_paths_[k])
            _close(la.scores_[k], lb.scores_[k], 1e-9)
        np.testing.assert_array_equal(la.C_, lb.C_)
    if fit_intercept:
        assert abs(a.intercept_.sum()) < 1e-12  # the centered convention
    else:
        np.testing.assert_array_equal(a.intercept_, np.zeros(C))
    np.testing.assert_array_equal(a.predict(X[:50]), b.predict(X[:50]))
    # no refit: the folds' coefficients at their best C, averaged
    a = LogisticRegressionCV(cv=K, refit=False, **kw).fit(ArraySource(X, y, seed=SEED))
    b = LogisticRegressionCV(cv=_cv(1000), refit=False, **kw).fit(X, y)
    assert abs(a.C_ - b.C_) <= 1e-14 * b.C_
    _close(a.coef_, b.coef_)
    _close(a.intercept_, b.intercept_)


def test_parquet_source_equals_in_memory(tmp_path):
    X, labels, _ = _classes(n=1200, p=5, C=3, seed=11, scale=0.8)
    y = np.array([-1.0, 2.0, 7.0])[labels]
    d = tmp_path / "parts"
    d.mkdir()
    for i, (a, b) in enumerate([(0, 500), (500, 501), (501, 1200)]):
        cols = {f"x{j}": X[a:b, j] for j in range(5)}
        pq.write_table(pa.table({**cols, "label": y[a:b]}), d / f"part-{i}.parquet")
    src = ridgeline.read_parquet(d, target="label", batch_rows=256, seed=SEED)
    Cs = np.geomspace(1e-3, 1e2, 6)
    a = LogisticRegressionCV(Cs=Cs, cv=K, tol=1e-11).fit(src)  # log loss (the default)
    b = LogisticRegressionCV(Cs=Cs, cv=_cv(1200), tol=1e-11).fit(X, y)
    _same_fit(a, b)
    np.testing.assert_array_equal(a.classes_, [-1.0, 2.0, 7.0])
    assert list(a.feature_names_in_) == [f"x{j}" for j in range(5)]
    # the full-data Newton fit on the file equals the in-memory fit at the chosen C
    fit = _softmax_newton(src, np.array([a.lambda_]), np.zeros((1, 5, 3)), np.zeros((1, 3)),
                          np.array([-1]), K, classes=a.classes_, tol=1e-11)
    assert fit.converged[0] and fit.grad_norm[0] <= 1e-11 and fit.n_passes < 20
    _close(fit.coef[0].T, b.coef_)
    _close(fit.intercept[0], b.intercept_)
    # the same rows from CSV parts, and float32 features (Parquet keeps them float32)
    (tmp_path / "csv").mkdir()
    for i, (lo, hi) in enumerate([(0, 700), (700, 1200)]):
        np.savetxt(tmp_path / "csv" / f"part-{i}.csv", np.column_stack([X, y])[lo:hi],
                   fmt="%.17g", delimiter=",", header="x0,x1,x2,x3,x4,label", comments="")
    c = LogisticRegressionCV(Cs=Cs, cv=K, tol=1e-11).fit(
        ridgeline.read_csv(tmp_path / "csv", target="label", seed=SEED))
    _same_fit(c, b)
    X32 = X.astype(np.float32)
    pq.write_table(pa.table({**{f"x{j}": X32[:, j] for j in range(5)}, "label": y}),
                   tmp_path / "f32.parquet")
    src32 = ridgeline.read_parquet(tmp_path / "f32.parquet", target="label", seed=SEED)
    assert next(src32.batches(K)).X.dtype == np.float32
    a32 = LogisticRegressionCV(Cs=[0.1], cv=K, tol=1e-11).fit(src32)
    b32 = LogisticRegressionCV(Cs=[0.1], cv=_cv(1200), tol=1e-11).fit(X32.astype(float), y)
    _same_fit(a32, b32)


# ------------------------------------------------------------------------ L-BFGS == Newton
def _labelled_parquet(tmp_path, X, y, name="rows.parquet"):
    cols = {f"x{j}": X[:, j] for j in range(X.shape[1])}
    pq.write_table(pa.table({**cols, "label": y}), tmp_path / name, row_group_size=256)
    return ridgeline.read_parquet(tmp_path / name, target="label", batch_rows=200, seed=SEED)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_lbfgs_equals_newton_on_array_and_parquet_sources(tmp_path, fit_intercept):
    """The L-BFGS serves the softmax: B members (the full data and two folds, each its own λ)
    reach Newton's optimum to 1e-8 on an ArraySource and on Parquet files, with the same
    held-out sums; the full-data member is the in-memory estimator's fit."""
    X, labels, _ = _classes(n=900, p=4, C=3, seed=21)
    values = np.array([-1.0, 2.0, 7.0])
    y = values[labels]
    lam, held = np.array([1e-2, 3e-3, 3e-2]), np.array([-1, 0, 2])
    start = (np.zeros((3, 4, 3)), np.zeros((3, 3)))
    kw = dict(classes=values, fit_intercept=fit_intercept, tol=1e-11)
    fits = {}
    for name, src in [("array", ArraySource(X, y, seed=SEED, batch_rows=300)),
                      ("parquet", _labelled_parquet(tmp_path, X, y))]:
        nt = _softmax_newton(src, lam, *start, held, K, **kw)
        lb = _softmax_lbfgs(src, lam, *start, held, K, **kw)
        assert nt.converged.all() and lb.converged.all(), name
        assert lb.solver == "lbfgs" and lb.n_hessian_passes == 0
        assert np.all(lb.grad_norm <= 1e-11)
        assert lb.coef.shape == (3, 4, 3) and lb.intercept.shape == (3, 3)
        _close(lb.coef, nt.coef, 1e-8)
        _close(lb.intercept, nt.intercept, 1e-8)
        if fit_intercept:
            _close(lb.intercept.sum(axis=1), np.zeros(3), 1e-12)  # centered, as Newton's
        else:
            np.testing.assert_array_equal(lb.intercept, 0.0)
        np.testing.assert_array_equal(lb.held_sw, nt.held_sw)
        np.testing.assert_allclose(lb.held_loss, nt.held_loss, rtol=1e-9)
        np.testing.assert_array_equal(lb.held_correct, nt.held_correct)
        fits[name] = lb
    _close(fits["parquet"].coef, fits["array"].coef, 1e-8)
    _close(fits["parquet"].intercept, fits["array"].intercept, 1e-8)
    ref = ridgeline.LogisticRegression(C=1 / (2 * lam[0] * 900), tol=1e-11,
                                       fit_intercept=fit_intercept).fit(X, y)
    _close(fits["array"].coef[0], ref.coef_.T, 1e-8)
    _close(fits["array"].intercept[0], np.ravel(ref.intercept_), 1e-8)


def test_lbfgs_cv_on_a_parquet_source_equals_newton_cv(tmp_path):
    """``solver="lbfgs"`` for the softmax in the estimators: LogisticRegressionCV on files
    equals its Newton run (scores 1e-9, coefficients 1e-8), and LogisticRegression too."""
    X, labels, _ = _classes(n=800, p=4, C=4, seed=22)
    y = labels.astype(np.float64)
    src = _labelled_parquet(tmp_path, X, y)
    Cs = np.geomspace(1e-2, 10.0, 4)
    a = LogisticRegressionCV(Cs=Cs, cv=K, solver="lbfgs", tol=1e-11).fit(src)
    b = LogisticRegressionCV(Cs=Cs, cv=K, solver="newton", tol=1e-11).fit(src)
    assert a.solver_ == "lbfgs" and b.solver_ == "newton"
    _same_fit(a, b)
    one = ridgeline.LogisticRegression(C=0.3, solver="lbfgs", tol=1e-11).fit(src)
    ref = ridgeline.LogisticRegression(C=0.3, tol=1e-11).fit(X, y)
    assert one.solver_ == "lbfgs" and ref.solver_ == "newton"
    _close(one.coef_, ref.coef_)
    _close(one.intercept_, ref.intercept_)


def test_bad_targets_are_clear_errors(tmp_path):
    X, labels, _ = _classes(n=400, p=3, C=3, seed=2)
    y = labels.astype(np.float64)
    src = ArraySource(X, y, batch_rows=150)
    with pytest.raises(SourceError, match=r"array rows 0–399: target 2\.0 at row \d+ is not "
                                          r"one of the 2 classes"):
        src.multinomial_pass(np.zeros((1, 3, 2)), np.zeros((1, 2)), np.array([-1]), K,
                             classes=np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="more than 64 distinct values"):
        LogisticRegressionCV(Cs=[1.0], cv=K).fit(ArraySource(X, np.arange(400) % 70))
    with pytest.raises(ValueError, match=r"found only 1\.0"):
        LogisticRegressionCV(Cs=[1.0], cv=K).fit(ArraySource(X, np.ones(400)))
    Xn = X.copy()
    Xn[333, 2] = np.nan
    with pytest.raises(SourceError, match=r"array rows 0–399: column 'x2' has 1 NaN value, "
                                          r"first at row 333"):
        LogisticRegressionCV(Cs=[1.0], cv=K).fit(ArraySource(Xn, y, batch_rows=100))
    # a file source keeps no rows to predict (an ArraySource does: it scores as arrays do)
    pq.write_table(pa.table({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y}),
                   tmp_path / "rows.parquet")
    with pytest.raises(ValueError, match="scoring='roc_auc' needs held-out predictions"):
        LogisticRegressionCV(Cs=[1.0], cv=K, scoring="roc_auc").fit(
            ridgeline.read_parquet(tmp_path / "rows.parquet", target="y"))


# ------------------------------------------------------------------------------------ Dask
def test_dask_weighted_and_direct_collections_equal_in_memory(client):
    da = pytest.importorskip("dask.array")
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    from ridgeline.distributed import DaskSource

    X, labels, rng = _classes(n=800, p=4, C=3, seed=5)
    y = np.array([0.5, 3.0, 4.0])[labels]  # float labels: the in-memory fit sees strings
    s = rng.uniform(0.3, 3.0, size=800)
    Cs = np.geomspace(1e-2, 1e2, 4)
    src = DaskSource(da.from_array(X, chunks=(230, 4)), y, da.from_array(s, chunks=230),
                     seed=SEED)
    a = LogisticRegressionCV(Cs=Cs, cv=K, tol=1e-11, scoring="neg_log_loss").fit(src)
    text = np.array(["a", "b", "c"])[labels]
    b = LogisticRegressionCV(Cs=Cs, cv=_cv(800), tol=1e-11, scoring="neg_log_loss").fit(
        X, text, sample_weight=s)
    assert a.C_ == b.C_
    _close(a.coef_, b.coef_)
    _close(a.intercept_, b.intercept_)
    _close(a.scores_, b.scores_, 1e-9)
    _close(a.coefs_paths_, b.coefs_paths_)
    np.testing.assert_array_equal(a.classes_, [0.5, 3.0, 4.0])
    assert a.lambda_ == pytest.approx(b.lambda_, rel=1e-12)
    # a dask data frame and series straight into fit (4 classes, seed-0 hashed folds)
    X4, lab4, _ = _classes(n=600, p=3, C=4, seed=6)
    y4 = lab4 * 2.0 - 3.0
    frame = dd.from_pandas(pd.DataFrame(X4, columns=["u", "v", "w"]), npartitions=3)
    a4 = LogisticRegressionCV(Cs=[0.01, 0.1, 1.0], cv=K, tol=1e-11, scoring=None).fit(
        frame, dd.from_pandas(pd.Series(y4, name="t"), npartitions=3))
    b4 = LogisticRegressionCV(Cs=[0.01, 0.1, 1.0], cv=_cv(600, 0), tol=1e-11,
                              scoring=None).fit(X4, y4)
    _same_fit(a4, b4)
    assert a4.C_ == 0.1  # inside the grid
    assert list(a4.feature_names_in_) == ["u", "v", "w"]


def test_dask_bad_partitions_are_named(client):
    da = pytest.importorskip("dask.array")
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    from ridgeline.distributed import DaskSource

    X, labels, _ = _classes(n=400, p=3, C=3, seed=7)
    y = labels.astype(np.float64)
    y2 = np.minimum(y, 1.0)
    y2[237] = 2.0  # a label only partition 2 holds
    src = DaskSource(da.from_array(X, chunks=(100, 3)), y2)
    with pytest.raises(SourceError, match=r"partition 2 \(global rows 200–299\): target 2\.0 "
                                          r"at partition row 37 is not one of the 2 classes"):
        src.multinomial_pass(np.zeros((1, 3, 2)), np.zeros((1, 2)), np.array([-1]), K,
                             classes=np.array([0.0, 1.0]))
    Xn = X.copy()
    Xn[250, 0] = np.nan
    with pytest.raises(SourceError, match=r"partition 2 \(global rows 200–299\): column 'x0' "
                                          r"has 1 NaN value, first at partition row 50"):
        LogisticRegressionCV(Cs=[1.0], cv=K).fit(da.from_array(Xn, chunks=(100, 3)), y)
    text = pd.DataFrame(X, columns=["a", "b", "c"]).assign(t=np.array(["p", "q", "r"])[labels])
    with pytest.raises(SourceError, match=r"target columns \['t'\] are not numeric"):
        LogisticRegressionCV(Cs=[1.0], cv=K).fit(
            DaskSource(dd.from_pandas(text, npartitions=2), "t"))


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_reused_hessians_reach_the_same_optimum_with_fewer_hessian_passes(fit_intercept):
    """In memory, the multinomial Newton reuses Hessians (chord steps) while they pay: the
    same optimum as pure Newton (the stopping rule is the same), with fewer Hessian passes."""
    X, labels, _ = _classes(n=6000, p=6, C=4, seed=8)
    src = ArraySource(X, labels.astype(float), batch_rows=1000)
    p, C = X.shape[1], 4
    args = (src, np.array([1e-3]), np.zeros((1, p, C)), np.zeros((1, C)), np.array([-1]), 1)
    kw = dict(classes=np.arange(C, dtype=float), fit_intercept=fit_intercept, tol=1e-10)
    pure = _softmax_newton(*args, reuse=False, **kw)
    chord = _softmax_newton(*args, **kw)  # ArraySource: in memory, reuses
    assert pure.converged[0] and chord.converged[0]
    assert pure.n_hessian_passes == pure.n_passes
    assert chord.n_hessian_passes < pure.n_hessian_passes < chord.n_passes
    _close(chord.coef, pure.coef, 1e-8)
    _close(chord.intercept, pure.intercept, 1e-8)
    ref = ridgeline.LogisticRegression(C=1 / (2e-3 * 6000), tol=1e-11,
                                       fit_intercept=fit_intercept).fit(X, labels)
    _close(chord.coef[0], ref.coef_.T, 1e-8)


@pytest.mark.parametrize("C", [2, 4])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_auto_grid_on_a_source_is_the_in_memory_one(C, fit_intercept):
    """``Cs="auto"`` on a source (one pass at the null model) gives the in-memory automatic
    grid, with sample weights, binary and multinomial; the CV then matches in memory."""
    X, labels, rng = _classes(n=1500, p=5, C=C, seed=11)
    s = rng.uniform(0.5, 2.0, size=X.shape[0])
    y = labels.astype(float) * 2.0 + 1.0  # labels 1, 3, 5, ...
    kw = dict(Cs="auto", tol=1e-11, fit_intercept=fit_intercept)
    src = LogisticRegressionCV(cv=K, **kw).fit(
        ArraySource(X, y, sample_weight=s, seed=SEED, batch_rows=400))
    ref = LogisticRegressionCV(cv=_cv(X.shape[0]), **kw).fit(X, y, sample_weight=s)
    assert src.Cs_.shape == (20,)
    np.testing.assert_allclose(src.Cs_, ref.Cs_, rtol=1e-10)
    assert np.argmin(np.abs(src.Cs_ - src.C_)) == np.argmin(np.abs(ref.Cs_ - ref.C_))
    np.testing.assert_allclose(src.C_, ref.C_, rtol=1e-10)
    _close(src.coef_, ref.coef_, 1e-8)


@pytest.mark.filterwarnings("ignore::ridgeline.selection.GridEdgeWarning")
def test_dask_multinomial_fits_a_subset_first(client, monkeypatch):
    """On persisted Dask partitions a multinomial fit from scratch runs pure Newton on a
    subset of the partitions first, then gradient passes over all of them with that
    curvature — the in-memory optimum, fewer Hessian passes over all the rows; the K-fold
    CV starts its first λ the same way and equals the in-memory CV."""
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    from ridgeline.distributed import DaskSource

    monkeypatch.setattr(glm_fit, "SUBSET_ROWS_PER_FEATURE", 80)  # 400 of 6,000 rows
    X, labels, _ = _classes(n=6000, p=4, C=3, seed=12)
    dX = da.from_array(X, chunks=(200, 4)).persist()
    dy = da.from_array(labels.astype(float), chunks=200).persist()
    distributed.wait([dX, dy])
    src = DaskSource(dX, dy, seed=SEED)
    lam, held = np.array([1e-3]), np.array([-1])
    kw = dict(classes=np.arange(3.0), tol=1e-10)
    start = (np.zeros((1, 4, 3)), np.zeros((1, 3)))
    sub = _softmax_newton(src, lam, *start, held, 1, subset_first=True, **kw)
    direct = _softmax_newton(src, lam, *start, held, 1, **kw)
    assert sub.converged[0] and sub.n_subset_passes > 0
    assert sub.n_hessian_passes < direct.n_hessian_passes
    _close(sub.coef, direct.coef, 1e-8)
    _close(sub.intercept, direct.intercept, 1e-8)
    est = ridgeline.LogisticRegression(C=1 / (2e-3 * 6000), tol=1e-10).fit(dX, dy)
    _close(est.coef_, sub.coef[0].T, 1e-8)
    Cs = [0.01, 0.1, 1.0]
    a = LogisticRegressionCV(Cs=Cs, cv=K, tol=1e-11).fit(src)
    b = LogisticRegressionCV(Cs=Cs, cv=_cv(6000), tol=1e-11).fit(X, labels)
    _same_fit(a, b)


@pytest.mark.filterwarnings("ignore::ridgeline.selection.GridEdgeWarning")
@pytest.mark.parametrize("refit", [False, True])
def test_subset_first_falls_back_when_folds_follow_the_partitions(client, monkeypatch, refit):
    """Folds given per partition: the subset (one partition) holds a single fold, so the
    model holding it out has no rows there — the CV then fits the full rows directly and
    equals the in-memory CV with the same folds (with the refit on all rows, or without)."""
    da = pytest.importorskip("dask.array")
    from ridgeline.distributed import DaskSource

    monkeypatch.setattr(glm_fit, "SUBSET_ROWS_PER_FEATURE", 100)
    X, labels, _ = _classes(n=4000, p=2, C=3, seed=13)
    folds = np.repeat(np.arange(4), 1000)
    src = DaskSource(da.from_array(X, chunks=(1000, 2)), labels.astype(float),
                     folds=da.from_array(folds, chunks=1000))
    assert src.subset(300).n_partitions == 1
    a = LogisticRegressionCV(Cs=[1.0, 0.1], cv=4, tol=1e-11, refit=refit).fit(src)
    b = LogisticRegressionCV(Cs=[1.0, 0.1], cv=PredefinedSplit(folds), tol=1e-11,
                             refit=refit).fit(X, labels)
    _same_fit(a, b)
