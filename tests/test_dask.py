"""Dask statistics source: passes over partitions equal the in-memory answers (≤ 1e-8).

One ``LocalCluster`` (2 worker processes) serves the module. Fold assignment is the hash of
the global row position, so in-memory references use ``PredefinedSplit`` of
:func:`ridgeline.stats.predefined_test_fold` — the same folds.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from sklearn.model_selection import PredefinedSplit  # noqa: E402

from ridgeline import (  # noqa: E402
    LogisticRegression,
    LogisticRegressionCV,
    PoissonRegressor,
    Ridge,
    RidgeCV,
)
from ridgeline.distributed import DaskSource, as_source, dask_source, is_dask_collection  # noqa: E402
from ridgeline.distributed._kernels import FoldMomentsSum, PassSpec  # noqa: E402
from ridgeline.estimators.logistic import lambda_from_C  # noqa: E402
from ridgeline.selection.engine import select_ridge_moments  # noqa: E402
from ridgeline.stats import ArraySource, SourceError, predefined_test_fold  # noqa: E402

K = 4
SEED = 3


def _data(n=1200, p=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 3, size=p) + rng.normal(size=p)
    w = rng.normal(size=p)
    y = X @ w + 0.7 * rng.normal(size=n) + 2.0
    s = rng.uniform(0.2, 3.0, size=n)
    return X, y, s, w


def _cv(n):
    return PredefinedSplit(predefined_test_fold(n, K, SEED))


def _close(a, b, tol=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol * max(1.0, float(np.abs(b).max())))


# --------------------------------------------------------------------------- passes & folds
def test_import_ridgeline_does_not_import_dask():
    import subprocess
    import sys

    code = ("import sys, ridgeline, ridgeline.distributed as d; "
            "assert not d.is_dask_collection(object()); "
            "print('dask' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_hook_and_as_source(client):
    X, y, _, _ = _data(200, 3)
    dX = da.from_array(X, chunks=(64, 3))
    assert is_dask_collection(dX) and not is_dask_collection(X)
    assert dask_source(X, y) is None
    src = dask_source(dX, y, seed=SEED)
    assert isinstance(src, DaskSource) and src.seed == SEED
    assert as_source(src) is src
    assert src.n_partitions == 4 and src.n_rows_hint() == 200
    with pytest.raises(ValueError, match="y is required"):
        as_source(dX)


def test_two_partitionings_same_folds_and_moments(client):
    X, y, _, _ = _data(1000, 5)
    ref = ArraySource(X, y, seed=SEED, batch_rows=333).fold_moments(K)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(5)]).assign(t=y)
    sources = [DaskSource(da.from_array(X, chunks=(97, 5)), y, seed=SEED),
               DaskSource(dd.from_pandas(frame, npartitions=3), "t", seed=SEED),
               DaskSource(da.from_array(X, chunks=(1000, 5)), y, seed=SEED, split_every=2)]
    assert sources[1].feature_names == [f"f{j}" for j in range(5)]
    expected_n = np.bincount(predefined_test_fold(1000, K, SEED), minlength=K)
    for src in sources:
        res = src.fold_moments(K)
        assert res.n_rows == 1000
        assert [f.n for f in res.folds] == list(expected_n)
        for a, b in zip([*res.folds, res.total], [*ref.folds, ref.total], strict=True):
            ca, cb = a.centered(), b.centered()
            _close(ca.G, cb.G, 1e-11)
            _close(ca.C, cb.C, 1e-11)
            _close(ca.yy, cb.yy, 1e-11)
            _close(a.sx / a.sw + a.shift_x, b.sx / b.sw + b.shift_x, 1e-12)


def test_target_summary_and_glm_pass_match_array_source(client):
    X, y, _, _ = _data(900, 4)
    yb = (y > np.median(y)).astype(float)
    ref = ArraySource(X, yb, seed=SEED, batch_rows=250)
    src = DaskSource(da.from_array(X, chunks=(128, 4)), yb, seed=SEED)
    a, b = ref.target_summary(K), src.target_summary(K)
    np.testing.assert_array_equal(a.n, b.n)
    _close(a.sy, b.sy, 1e-12)
    np.testing.assert_array_equal(a.values, b.values)
    from ridgeline.losses import BinomialLoss

    rng = np.random.default_rng(1)
    coef, inter = 0.2 * rng.normal(size=(3, 4)), rng.normal(size=3)
    held = np.array([-1, 0, 3])
    ga = ref.glm_pass(BinomialLoss, coef, inter, held, K)
    gb = src.glm_pass(BinomialLoss, coef, inter, held, K)
    for f in ga.__dataclass_fields__:
        _close(getattr(gb, f), getattr(ga, f), 1e-11)


# ------------------------------------------------------------------------------ ridge
def test_ridge_cv_equals_in_memory(client):
    X, y, _, _ = _data()
    alphas = np.geomspace(1e-2, 1e4, 30)
    mem = RidgeCV(alphas=alphas, cv=_cv(X.shape[0])).fit(X, y)
    src = DaskSource(da.from_array(X, chunks=(250, X.shape[1])), y, seed=SEED)
    dsk = RidgeCV(alphas=alphas, cv=K).fit(src)
    assert dsk.alpha_ == mem.alpha_
    _close(dsk.coef_, mem.coef_)
    _close(dsk.intercept_, mem.intercept_)
    _close(dsk.selection_.mean_score, mem.selection_.mean_score)
    _close(dsk.selection_.fold_scores, mem.selection_.fold_scores)


def test_ridge_cv_sample_weights_equal_in_memory(client):
    X, y, s, _ = _data(seed=1)
    lambdas = np.geomspace(1e-4, 10, 25)
    mem = RidgeCV(lambdas=lambdas, cv=_cv(X.shape[0])).fit(X, y, sample_weight=s)
    src = DaskSource(da.from_array(X, chunks=(300, X.shape[1])), y,
                     da.from_array(s, chunks=300), seed=SEED)
    dsk = RidgeCV(lambdas=lambdas, cv=K).fit(src)
    assert dsk.lambda_ == pytest.approx(mem.lambda_, rel=1e-12)
    _close(dsk.coef_, mem.coef_)
    _close(dsk.intercept_, mem.intercept_)
    _close(dsk.selection_.mean_score, mem.selection_.mean_score)


def test_ridge_single_fit_weighted_multi_target_equals_in_memory(client):
    X, y, s, _ = _data(900, 4, seed=5)
    Y = np.column_stack([y, -2 * y + X[:, 0]])
    dX = da.from_array(X, chunks=(250, 4))
    est = Ridge(alpha=[2.0, 40.0]).fit(dX, da.from_array(Y, chunks=(250, 2)),
                                        da.from_array(s, chunks=250))
    mem = Ridge(alpha=[2.0, 40.0]).fit(X, Y, sample_weight=s)
    _close(est.coef_, mem.coef_, 1e-10)
    _close(est.intercept_, mem.intercept_, 1e-10)
    _close(est.lambda_, mem.lambda_, 1e-12)


def test_ridge_per_target_lambda_equals_in_memory(client):
    X, y, s, w = _data(seed=2)
    rng = np.random.default_rng(5)
    Y = np.column_stack([y, X @ (0.3 * w) + 2.0 * rng.normal(size=y.size)])
    lambdas = np.geomspace(1e-4, 1e4, 30)
    mem = RidgeCV(lambdas=lambdas, cv=_cv(X.shape[0]), alpha_per_target=True).fit(
        X, Y, sample_weight=s)
    src = DaskSource(da.from_array(X, chunks=(400, X.shape[1])), da.from_array(Y, chunks=400),
                     da.from_array(s, chunks=400), seed=SEED)
    stats = src.fold_moments(K)
    sel = select_ridge_moments(stats.total, stats.folds, lambdas=lambdas, per_target=True,
                               warn_edge=False)
    lam = sel.result.lambda_
    assert lam[0] != lam[1]
    _close(lam, mem.lambda_, 1e-12)
    coef = sel.factor.coef_per_target(lam * stats.total.sw)
    _close(coef.T, mem.coef_)
    _close(sel.factor.intercept(coef), mem.intercept_)


# ------------------------------------------------------------------------------ GLMs
def _binary(n=1000, p=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    eta = X @ rng.normal(size=p) - 0.3
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    return X, y, rng.uniform(0.3, 2.0, size=n)


def test_logistic_cv_binary_equals_in_memory(client):
    X, y, _ = _binary()
    Cs = np.geomspace(1e-4, 1e3, 8)
    src = DaskSource(da.from_array(X, chunks=(170, X.shape[1])), y, seed=SEED)
    dsk = LogisticRegressionCV(Cs=Cs, cv=K, tol=1e-11).fit(src)
    ref = LogisticRegressionCV(Cs=Cs, cv=K, tol=1e-11).fit(ArraySource(X, y, seed=SEED))
    assert dsk.C_ == ref.C_
    _close(dsk.scores_, ref.scores_)
    _close(dsk.coef_, ref.coef_)
    mem = LogisticRegression(C=dsk.C_, tol=1e-11).fit(X, y)
    _close(dsk.coef_, mem.coef_)
    _close(dsk.intercept_, mem.intercept_)


def test_logistic_sample_weights_equal_in_memory(client):
    X, y, s = _binary(seed=1)
    frame = pd.DataFrame(X, columns=list("abcde")).assign(label=y, w=s)
    src = DaskSource(dd.from_pandas(frame, npartitions=5), "label", "w", seed=SEED)
    assert src.feature_names == list("abcde")
    dsk = LogisticRegressionCV(Cs=[0.05], cv=K, tol=1e-11).fit(src)
    mem = LogisticRegression(C=0.05, tol=1e-11).fit(X, y, sample_weight=s)
    assert dsk.lambda_ == pytest.approx(mem.lambda_, rel=1e-12)
    _close(dsk.coef_, mem.coef_)
    _close(dsk.intercept_, mem.intercept_)


def _multinomial_newton(src, lam, C, classes, iters=30):
    """Full-data multinomial fit by Newton, one multinomial_pass per iteration."""
    p = src.n_features
    theta = np.zeros((p + 1, C))
    for _ in range(iters):
        r = src.multinomial_pass(theta[None, :p], theta[None, p], np.array([-1]), 1,
                                 classes=classes)
        pen = np.ones((p + 1, C))
        pen[p] = 0.0  # the intercepts are not penalized
        g = r.grad[0] / r.sw[0] + 2 * lam * pen * theta
        H = r.hessian_matrix(0) / r.sw[0] + np.diag(2 * lam * pen.T.ravel())
        step = np.linalg.lstsq(H, g.T.ravel(), rcond=1e-13)[0]  # b is defined up to a shift
        theta = theta - step.reshape(C, p + 1).T
        if np.abs(g).max() < 1e-13:
            break
    return theta


def test_multinomial_equals_in_memory(client):
    rng = np.random.default_rng(7)
    n, p, C = 900, 4, 3
    X = rng.normal(size=(n, p))
    labels = np.argmax(X @ rng.normal(size=(p, C)) + rng.gumbel(size=(n, C)), axis=1)
    y = np.array([2.0, 5.0, 9.0])[labels]
    s = rng.uniform(0.5, 2.0, size=n)
    src = DaskSource(da.from_array(X, chunks=(200, p)), y, da.from_array(s, chunks=200))
    mem = LogisticRegression(C=0.3, tol=1e-12).fit(X, y, sample_weight=s)
    lam = float(lambda_from_C(0.3, s.sum()))
    theta = _multinomial_newton(src, lam, C, np.array([2.0, 5.0, 9.0]))
    _close(theta[:p].T, mem.coef_)
    b = theta[p] - theta[p].mean()
    _close(b, mem.intercept_ - mem.intercept_.mean())
    # the pass itself against a direct in-memory sum
    from ridgeline.stats.multinomial import batch_multinomial_stats

    coef = rng.normal(size=(2, p, C))
    inter = rng.normal(size=(2, C))
    held = np.array([-1, 1])
    fold = predefined_test_fold(n, 2, 0)
    direct = batch_multinomial_stats(X, labels, fold, coef, inter, held, True, weights=s)
    passed = src.multinomial_pass(coef, inter, held, 2, classes=np.array([2.0, 5.0, 9.0]))
    for f in direct.__dataclass_fields__:
        _close(getattr(passed, f), getattr(direct, f), 1e-11)


def test_poisson_equals_in_memory(client):
    rng = np.random.default_rng(4)
    n, p = 1000, 5
    X = rng.normal(size=(n, p)) * 0.5
    y = rng.poisson(np.exp(X @ rng.normal(size=p) * 0.5 + 0.3)).astype(float)
    src = DaskSource(da.from_array(X, chunks=(333, p)), y)
    dsk = PoissonRegressor(alpha=0.01, tol=1e-11).fit(src)
    mem = PoissonRegressor(alpha=0.01, tol=1e-11).fit(X, y)
    _close(dsk.coef_, mem.coef_)
    _close(dsk.intercept_, mem.intercept_)


def test_subset_first_fit_reaches_the_full_answer(client, monkeypatch):
    """A fit started on a few partitions ends at the full-data optimum, by gradient passes."""
    from ridgeline.losses import BinomialLoss
    from ridgeline.solvers import glm_fit
    from ridgeline.solvers.problem import GLMProblem

    X, y, s = _binary(n=4000, p=5, seed=3)
    src = DaskSource(da.from_array(X, chunks=(250, 5)), y, s)
    sub = src.subset(600)
    assert sub.n_partitions == 3 and list(sub.partition_ids) == [0, 8, 15]
    assert list(sub.partition_starts) == [0, 2000, 3750]  # global positions kept
    assert src.subset(2100) is src  # more than half the rows: no subset
    monkeypatch.setattr(glm_fit, "SUBSET_ROWS_PER_FEATURE", 100)  # 600 rows for p = 5
    summary = src.target_summary(1)
    assert src._spec("glm").check_features  # a summary does not read (nor check) X ...
    src.glm_pass(BinomialLoss(), np.zeros((1, 5)), np.zeros(1), np.array([-1]), 1,
                 hessian=False)
    assert not src._spec("glm").check_features  # ... the first pass that does checks it once
    problem = GLMProblem(src, BinomialLoss(), True)
    held = np.array([-1])
    W0, b0 = problem.null_start(summary, held, 1)
    fit = glm_fit.fit(problem, 1e-3, W0, b0, held, 1, solver="newton", tol=1e-11,
                      max_iter=50, subset_first=True)
    assert fit.n_subset_passes >= 3 and fit.converged[0]
    assert fit.n_hessian_passes < fit.n_passes  # the subset's curvature was reused
    mem = LogisticRegression(C=1 / (2e-3 * s.sum()), tol=1e-11).fit(X, y, sample_weight=s)
    _close(fit.coef[0, :, 0], mem.coef_[0])
    _close(fit.intercept[:, 0], mem.intercept_)
    X2 = X.copy()
    X2[2010, 2] = np.nan  # in partition 8: the subset's errors name the original partition
    bad = DaskSource(da.from_array(X2, chunks=(250, 5)), y).subset(600)
    with pytest.raises(SourceError, match=r"partition 8 \(global rows 2000\u20132249\)"):
        bad.glm_pass(BinomialLoss(), np.zeros((1, 5)), np.zeros(1), np.array([-1]), 1)


def test_logistic_cv_with_a_subset_first_equals_in_memory(client, monkeypatch):
    from ridgeline.solvers import glm_fit

    monkeypatch.setattr(glm_fit, "SUBSET_ROWS_PER_FEATURE", 60)  # 360 of 3000 rows
    X, y, _ = _binary(n=3000, p=5, seed=4)
    Cs = np.geomspace(1e-3, 10, 4)
    dsk = LogisticRegressionCV(Cs=Cs, cv=K, tol=1e-11).fit(
        DaskSource(da.from_array(X, chunks=(200, 5)), y, seed=SEED))
    ref = LogisticRegressionCV(Cs=Cs, cv=_cv(3000), tol=1e-11).fit(X, y)
    assert dsk.C_ == ref.C_
    _close(dsk.scores_, ref.scores_)
    _close(dsk.coefs_paths_, ref.coefs_paths_)
    _close(dsk.coef_, ref.coef_)


def test_persisted_partitions_are_grouped_per_worker(client):
    """Persisted partitions are passed a few per task (by default one task per worker
    thread), each task one worker's own partitions (no data moved); the sums equal the
    one-task-per-partition ones."""
    X, y, s, _ = _data(2400, 4, seed=6)
    dX = da.from_array(X, chunks=(200, 4)).persist()
    dy, ds = da.from_array(y, chunks=200).persist(), da.from_array(s, chunks=200).persist()
    distributed.wait([dX, dy, ds])
    grouped = DaskSource(dX, dy, ds, partitions_per_task=3)
    single = DaskSource(dX, dy, ds, partitions_per_task=1)
    groups = grouped._groups(list(range(12)))
    held = client.who_has()
    where = {i: held[grouped._pieces[i][0].key][0] for i in range(12)}
    assert sorted(i for g in groups for i in g) == list(range(12))
    assert len(groups) < 12 and all(len(g) <= 3 for g in groups)
    assert all(len({where[i] for i in g}) == 1 for g in groups)  # one worker per task
    assert single._groups(list(range(12))) == [[i] for i in range(12)]
    auto = DaskSource(dX, dy, ds)  # one task per worker thread
    auto_groups = auto._groups(list(range(12)))
    assert sorted(i for g in auto_groups for i in g) == list(range(12))
    threads = client.nthreads()
    assert len(auto_groups) == sum(threads[w] for w in set(where.values()))
    assert all(len({where[i] for i in g}) == 1 for g in auto_groups)
    a, b = grouped.fold_moments(K), single.fold_moments(K)
    for ma, mb in zip([a.total, *a.folds], [b.total, *b.folds], strict=True):
        _close(ma.G, mb.G, 1e-12)
        _close(ma.C, mb.C, 1e-12)
    est = RidgeCV(cv=K).fit(grouped)
    _close(est.coef_, RidgeCV(cv=K).fit(single).coef_, 1e-10)
    with pytest.raises(ValueError, match="partitions_per_task"):
        DaskSource(dX, dy, partitions_per_task=0)
    with pytest.raises(ValueError, match="partitions_per_task"):
        DaskSource(dX, dy, partitions_per_task="many")


def test_replicated_partitions_are_shared_out_over_their_holders(client):
    """Partitions held by every worker (replicas) are assigned so that each worker's tasks
    cover an even share of the rows, not all on the first holder; the sums are unchanged."""
    X, y, _, _ = _data(2400, 4, seed=7)
    dX = da.from_array(X, chunks=(200, 4)).persist()
    dy = da.from_array(y, chunks=200).persist()
    distributed.wait([dX, dy])
    before = DaskSource(dX, dy).fold_moments(K)
    client.replicate(dX)  # every partition on every worker
    held = client.who_has()
    src = DaskSource(dX, dy)
    assert all(len(held[src._pieces[i][0].key]) == len(client.nthreads()) for i in range(12))
    where, _ = src._locations(np.arange(12))
    counts = sorted(np.unique(where, return_counts=True)[1])
    assert len(counts) == len(client.nthreads()) and counts[-1] - counts[0] <= 1
    after = src.fold_moments(K)
    _close(after.total.G, before.total.G, 1e-12)
    _close(after.total.C, before.total.C, 1e-12)


# ------------------------------------------------------------------------------ errors
def test_nan_in_one_partition_names_it(client):
    X, y, _, _ = _data(400, 3)
    X = X.copy()
    X[250, 1] = np.nan
    src = DaskSource(da.from_array(X, chunks=(100, 3)), y)
    with pytest.raises(SourceError, match=r"partition 2 \(global rows 200\u2013299\): column "
                                          r"'x1' has 1 NaN value, first at partition row 50"):
        src.fold_moments(K)
    frame = pd.DataFrame(np.nan_to_num(X[:, :2]), columns=["a", "b"]).assign(t=y)
    frame.loc[399, "t"] = np.inf
    src = DaskSource(dd.from_pandas(frame, npartitions=4), "t")
    with pytest.raises(SourceError, match=r"partition 3 \(global rows 300\u2013399\): column "
                                          r"'t' has 1 infinite value"):
        RidgeCV(cv=K).fit(src)


def test_nan_found_by_a_moments_pass_even_at_zero_weight(client):
    """A moments pass checks its result instead of the rows; a NaN/inf row still fails,
    named, whatever its weight and whichever kernel (copy-free Gram, row blocks, weighted)."""
    X, y, s, _ = _data(400, 3)
    X = X - X.mean(axis=0)  # centered: the copy-free single-fold Gram
    s = s.copy()
    for value, kind in ((np.nan, "NaN"), (np.inf, "infinite")):
        Xb = X.copy()
        Xb[130, 2] = value
        s[130] = 0.0
        for weights, n_folds in ((None, 1), (None, K), (s, 1)):
            src = DaskSource(da.from_array(Xb, chunks=(100, 3)), y, weights)
            with pytest.raises(SourceError, match=rf"partition 1 \(global rows 100\u2013199\): "
                                                  rf"column 'x2' has 1 {kind} value, first at "
                                                  rf"partition row 30"):
                src.fold_moments(n_folds)


def test_bad_fold_ids_and_weights(client):
    X, y, s, _ = _data(200, 3)
    folds = np.arange(200) % 3
    folds[150] = 7
    src = DaskSource(da.from_array(X, chunks=(50, 3)), y, folds=folds)
    with pytest.raises(SourceError, match=r"partition 3 .*fold ids lie in \[0, 7\]"):
        src.fold_moments(3)
    s = s.copy()
    s[10] = -1
    with pytest.raises(SourceError, match=r"partition 0 .*negative"):
        DaskSource(da.from_array(X, chunks=(50, 3)), y, s).fold_moments(3)
    with pytest.raises(TypeError, match=r"dask\.array or dask\.dataframe"):
        DaskSource(X, y)


def test_explicit_folds_and_groups_match_array_source(client):
    X, y, _, _ = _data(600, 3)
    groups = np.repeat(np.arange(60), 10)
    a = ArraySource(X, y, groups=groups, seed=SEED).fold_moments(K)
    b = DaskSource(da.from_array(X, chunks=(77, 3)), y, groups=groups, seed=SEED).fold_moments(K)
    assert [f.n for f in a.folds] == [f.n for f in b.folds]
    for fa, fb in zip(a.folds, b.folds, strict=True):
        _close(fb.centered().G, fa.centered().G, 1e-11)


# ------------------------------------------------------------------------------ the reduction
def test_only_small_results_reach_the_client(client):
    n, p = 4000, 20
    X = da.random.default_rng(0).normal(size=(n, p), chunks=(250, p))
    y = X.sum(axis=1)
    src = DaskSource(X, y, split_every=4)
    sx, sy = src.reference_point()
    spec = src._spec("moments", K, shift_x=sx, shift_y=sy)
    root = src.reduction(spec)
    graph = dict(root.__dask_graph__())
    deps = {k: v for k, v in root.__dask_graph__().dependencies.items()}
    parts = [k for k in graph if str(k).startswith("ridgeline-moments-part-")]
    sums = [k for k in graph if str(k).startswith("ridgeline-moments-sum")]
    assert len(parts) == 16 and len(sums) == 4 + 1  # 16 leaves → 4 → 1
    assert len(deps[root.key]) == 4 and all("-sum0-" in str(d) for d in deps[root.key])
    for k in sums:  # every tree node adds at most split_every inputs
        assert len(deps[k]) <= 4
    # every node of the tree (what could move between tasks or to the client) is small
    from dask.sizeof import sizeof

    level0 = [k for k in sums if "-sum0-" in str(k)]
    futures = client.get(graph, [*level0, root.key], sync=False)
    results = client.gather(futures)
    bound = 8 * (K + 1) * (p * p + 4 * p + 16) * 2
    for r in results:
        assert isinstance(r, FoldMomentsSum)
        assert sizeof(r.folds) < bound
    assert results[-1].n_rows == n
    assert isinstance(spec, PassSpec)


# ------------------------------------------------------------------------------ worker loss
def test_worker_lost_mid_fit_same_answer_or_clear_error(client):
    n, p, chunk = 2400, 5, 150
    rng = np.random.default_rng(11)
    Xn = rng.normal(size=(n, p))
    yn = Xn @ rng.normal(size=p) + rng.normal(size=n)
    lambdas = np.geomspace(1e-6, 1.0, 10)
    expected = RidgeCV(lambdas=lambdas, cv=K).fit(ArraySource(Xn, yn, seed=SEED))

    def slow(block):  # defined here so that it is pickled by value for the workers
        import time as _t

        _t.sleep(0.25)
        return block

    X = da.from_array(Xn, chunks=(chunk, p)).map_blocks(slow, dtype=float)
    src = DaskSource(X, yn, seed=SEED)
    src.reference_point()  # computed before the kill: the fit below is one pass
    out: dict = {}

    def fit():
        try:
            out["est"] = RidgeCV(lambdas=lambdas, cv=K).fit(src)
        except Exception as exc:  # any failure must be a clear error
            out["error"] = exc

    t = threading.Thread(target=fit)
    t.start()
    time.sleep(1.0)  # 16 slow partitions over 2 workers: ~2 s of work, the pass is in flight
    assert t.is_alive()
    pids = client.run(os.getpid)
    victim = sorted(pids)[0]
    os.kill(pids[victim], signal.SIGKILL)
    t.join(timeout=120)
    assert not t.is_alive()
    if "error" in out:
        msg = str(out["error"])
        assert "worker" in msg.lower() or "Killed" in type(out["error"]).__name__, msg
    else:
        print("worker killed mid-fit; the fit completed through Dask's retries")
        est = out["est"]
        _close(est.coef_, expected.coef_, 1e-10)
        assert est.lambda_ == pytest.approx(expected.lambda_, rel=1e-12)
    client.wait_for_workers(2, timeout=60)


# ------------------------------------------------- the estimators take dask collections as is
def test_estimators_accept_dask_arrays_and_frames_directly(client):
    """``fit(dask_X, dask_y)``: the estimators wrap the collections (seed 0 hash folds) and
    answer as in memory with the same folds; per-target λ too."""
    X, y, s, w = _data(n=900, seed=6)
    rng = np.random.default_rng(6)
    Y = np.column_stack([y, X @ (0.3 * w) + 2.0 * rng.normal(size=y.size)])
    cv0 = PredefinedSplit(predefined_test_fold(X.shape[0], K, 0))
    lambdas = np.geomspace(1e-4, 1e4, 20)
    Xd = da.from_array(X, chunks=(250, X.shape[1]))
    dsk = RidgeCV(lambdas=lambdas, cv=K, alpha_per_target=True).fit(
        Xd, da.from_array(Y, chunks=250), sample_weight=da.from_array(s, chunks=250))
    mem = RidgeCV(lambdas=lambdas, cv=cv0, alpha_per_target=True).fit(X, Y, sample_weight=s)
    assert dsk.coef_.shape == mem.coef_.shape == (2, X.shape[1])
    _close(dsk.lambda_, mem.lambda_, 1e-12)
    _close(dsk.coef_, mem.coef_)
    _close(dsk.intercept_, mem.intercept_)
    frame = dd.from_pandas(pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])]),
                           npartitions=3)
    one = RidgeCV(lambdas=lambdas, cv=K).fit(frame, dd.from_pandas(pd.Series(y), npartitions=3))
    _close(one.coef_, RidgeCV(lambdas=lambdas, cv=cv0).fit(X, y).coef_)
    Xb, yb, _ = _binary(n=600, seed=2)
    Cs = np.geomspace(1e-3, 1e2, 5)
    dl = LogisticRegressionCV(Cs=Cs, cv=K, tol=1e-11).fit(
        da.from_array(Xb, chunks=(200, Xb.shape[1])), da.from_array(yb, chunks=200))
    ml = LogisticRegressionCV(Cs=Cs, cv=PredefinedSplit(predefined_test_fold(600, K, 0)),
                              tol=1e-11).fit(Xb, yb)
    assert dl.C_ == ml.C_
    _close(dl.coef_, ml.coef_)


def test_nan_found_by_the_first_glm_pass(client):
    """The GLM pass checks each block of rows while it is in cache; a bad row is named."""
    from ridgeline.losses import BinomialLoss

    X, y, _ = _binary(n=600, p=4, seed=8)
    X = X.copy()
    X[333, 1] = np.inf
    src = DaskSource(da.from_array(X, chunks=(200, 4)), y)
    src.target_summary(1)  # reads only the target
    with pytest.raises(SourceError, match=r"partition 1 \(global rows 200\u2013399\): column "
                                          r"'x1' has 1 infinite value, first at partition row "
                                          r"133"):
        src.glm_pass(BinomialLoss(), np.zeros((1, 4)), np.zeros(1), np.array([-1]), 1)
