"""Exact LOO and GCV of ``RidgeCV`` on statistics sources (Parquet, Dask) equal in-memory (1e-8).

The LOO pass kernel (:mod:`ridgeline.stats.batch_loo`) is checked against its definition, n
refits each leaving one row out; the sources' ``RidgeCV(cv=None / "loo" / "gcv")`` against the
in-memory estimator on the same rows: ``alpha_``, ``best_score_``, coefficients, intercepts
and the whole curve.
"""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ridgeline
from ridgeline import RidgeCV
from ridgeline.distributed import as_source
from ridgeline.selection.loo import loo_model
from ridgeline.selection.loo_moments import select_ridge_exact_moments
from ridgeline.solvers.spectral import factor_from_moments
from ridgeline.stats import ArraySource
from ridgeline.stats.batch_loo import LooPassResult, batch_loo_sums
from ridgeline.stats.moments import accumulate

ALPHAS = np.geomspace(1e-2, 1e4, 25)


def _data(n=1500, p=5, k=1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 3.0, size=p) + rng.normal(size=p)
    W = rng.normal(size=(p, k))
    Y = X @ W + rng.normal(size=(n, k)) * np.arange(1, k + 1) + 2.0
    s = rng.uniform(0.2, 3.0, size=n)
    return X, (Y[:, 0] if k == 1 else Y), s


def _write_parts(tmp_path, X, cols: dict, bounds):
    """Rows [a, b) of every column as one Parquet part per (a, b)."""
    d = tmp_path / "ds"
    d.mkdir()
    for i, (a, b) in enumerate(itertools.pairwise(bounds)):
        data = {f"x{j}": X[a:b, j] for j in range(X.shape[1])}
        data.update({c: v[a:b] for c, v in cols.items()})
        pq.write_table(pa.table(data), d / f"part-{i:02d}.parquet")
    return d


def _close(a, b, tol=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol * max(1.0, float(np.nanmax(np.abs(b)))))


def _same_fit(got: RidgeCV, ref: RidgeCV) -> None:
    """Equal choice, score, coefficients and curve (1e-8); with weights α = λ·n_w may differ
    in the last bit (n_w summed in another order)."""
    np.testing.assert_array_equal(got.selection_.index_, ref.selection_.index_)
    _close(got.alpha_, ref.alpha_, 1e-14)
    _close(got.best_score_, ref.best_score_)
    _close(got.coef_, ref.coef_)
    _close(got.intercept_, ref.intercept_)
    a, b = got.selection_, ref.selection_
    assert a.method == b.method and a.scoring == b.scoring
    _close(a.lambdas, b.lambdas, 1e-12)
    _close(a.mean_score, b.mean_score)
    np.testing.assert_array_equal(np.isnan(a.se), np.isnan(b.se))
    if not np.isnan(b.se).all():
        _close(a.se, b.se)
    _close(a.dof, b.dof)


# ------------------------------------------------------------------------ the kernel itself
def _brute_force_loo(X, Y, s, a, fit_intercept, scale):
    """LOO residuals (n, k) by n refits without row i at penalty ``a`` on X/scale (the
    weighted objective Σ s_j (y_j − x_jᵀw − b)² + a‖w‖², b unpenalized)."""
    n, p = X.shape
    Xs = X / scale
    A = np.column_stack([np.ones(n), Xs]) if fit_intercept else Xs
    P = np.diag(np.r_[0.0, np.full(p, a)] if fit_intercept else np.full(p, a))
    E = np.empty_like(Y)
    for i in range(n):
        keep = np.arange(n) != i
        Ak, sk = A[keep], s[keep]
        beta = np.linalg.solve(Ak.T @ (sk[:, None] * Ak) + P, Ak.T @ (sk[:, None] * Y[keep]))
        E[i] = Y[i] - A[i] @ beta
    return E


@pytest.mark.parametrize("fit_intercept, standardize",
                         [(True, False), (False, False), (True, True)])
def test_batch_kernel_equals_n_refits(fit_intercept, standardize):
    X, Y, s = _data(n=14, p=3, k=2, seed=1)
    s[3] = 0.0  # a zero-weight row: its LOO fit is the full fit, and it adds nothing
    m = accumulate(X, Y, s)
    F = factor_from_moments(m.centered(fit_intercept), shift_x=m.shift_x, shift_y=m.shift_y,
                            standardize=standardize)
    pens = np.array([0.05, 1.0, 30.0])
    model = loo_model(F, pens, fit_intercept=fit_intercept)
    whole = batch_loo_sums(model, X, Y, s)
    parts = sum((batch_loo_sums(model, X[a:b], Y[a:b], s[a:b])
                 for a, b in [(0, 5), (5, 6), (6, 14)]), LooPassResult.zeros(3, 2))
    assert whole.n_rows == parts.n_rows == 14
    for i, a in enumerate(pens):
        E = _brute_force_loo(X, Y, s, a, fit_intercept, F.scale)
        _close(whole.sse[i], s @ E**2, 1e-10)
        _close(whole.sse2[i], s @ E**4, 1e-10)
        _close(parts.sse[i], whole.sse[i], 1e-12)
        _close(parts.sse2[i], whole.sse2[i], 1e-12)
    ones = batch_loo_sums(model, X, Y)  # no weights: unit weights
    _close(ones.sse, batch_loo_sums(model, X, Y, np.ones(14)).sse, 1e-14)


def test_selection_from_sums_equals_in_memory_loo_curve():
    """select_ridge_exact_moments with an ArraySource's pass = the in-memory LOO curve (R²)."""
    X, y, s = _data(n=400, p=4, seed=2)
    src = ArraySource(X, y, sample_weight=s, batch_rows=60)
    total = src.fold_moments(1).total
    lam = ALPHAS / s.sum()
    sel = select_ridge_exact_moments(total, method="loo", loo_pass=src.loo_pass, lambdas=lam,
                                     scoring="r2", warn_edge=False)
    ref = ridgeline.select_ridge(X, y[:, None], s, lambdas=lam, cv="loo", scoring="r2",
                                 warn_edge=False)
    _close(sel.result.mean_score, ref.result.mean_score)
    assert sel.result.index_ == ref.result.index_


# ------------------------------------------------------------------------------ Parquet files
@pytest.mark.parametrize("cv, kwargs", [
    (None, {}), ("loo", {"fit_intercept": False}), (None, {"standardize": True}),
    (None, {"scoring": "r2"}), ("loo", {"scoring": "neg_root_mean_squared_error"}),
    ("gcv", {}), ("gcv", {"fit_intercept": False}), ("gcv", {"standardize": True})])
def test_parquet_loo_gcv_equal_in_memory(tmp_path, cv, kwargs):
    X, y, _ = _data(n=2500, seed=3)
    d = _write_parts(tmp_path, X, {"y": y}, [0, 700, 1600, 2500])
    src = ridgeline.read_parquet(d, target="y", memory="64KB")
    assert sum(1 for _ in src.batches(1)) >= 3
    got = RidgeCV(alphas=ALPHAS, cv=cv, **kwargs).fit(src)
    ref = RidgeCV(alphas=ALPHAS, cv=cv, **kwargs).fit(X, y)
    _same_fit(got, ref)
    assert got.n_rows_ == 2500


@pytest.mark.parametrize("cv", [None, "gcv"])
def test_parquet_weighted_loo_gcv_equal_in_memory(tmp_path, cv):
    X, y, s = _data(n=2000, p=6, seed=4)
    s[::17] = 0.0  # zero-weight rows count as rows (GCV's n) and add nothing else
    d = _write_parts(tmp_path, X, {"y": y, "w": s}, [0, 900, 2000])
    src = ridgeline.read_parquet(d, target="y", weight_column="w", batch_rows=300)
    for kwargs in ({}, {"standardize": True, "fit_intercept": False}):
        got = RidgeCV(alphas=ALPHAS, cv=cv, **kwargs).fit(src)
        ref = RidgeCV(alphas=ALPHAS, cv=cv, **kwargs).fit(X, y, sample_weight=s)
        _same_fit(got, ref)


@pytest.mark.filterwarnings("ignore:the selected λ")
def test_parquet_auto_grid_extend_and_lambdas_equal_in_memory(tmp_path):
    X, y, _ = _data(n=1200, p=4, seed=5)
    d = _write_parts(tmp_path, X, {"y": y}, [0, 500, 1200])
    src = ridgeline.read_parquet(d, target="y", batch_rows=256)
    for kwargs in ({"alphas": "auto", "n_lambdas": 30},
                   {"alphas": [1e3, 1e4, 1e5], "extend_grid": 2},  # the best α lies below
                   {"lambdas": np.geomspace(1e-5, 1.0, 12), "rule": "1se"}):
        got = RidgeCV(**kwargs).fit(src)
        ref = RidgeCV(**kwargs).fit(X, y)
        _same_fit(got, ref)
        if "extend_grid" in kwargs:
            assert got.selection_.lambdas.size > 3


def test_loo_costs_two_passes_and_gcv_one():
    X, y, _ = _data(n=500, seed=9)
    src = ArraySource(X, y, batch_rows=100)
    calls = []
    for name in ("fold_moments", "loo_pass"):
        method = getattr(src, name)
        setattr(src, name, lambda *a, _m=method, _n=name, **kw: calls.append(_n) or _m(*a, **kw))
    RidgeCV(alphas=ALPHAS).fit(src)
    assert calls == ["fold_moments", "loo_pass"]
    calls.clear()
    RidgeCV(alphas=ALPHAS, cv="gcv").fit(src)
    assert calls == ["fold_moments"]


def test_source_refuses_what_needs_rows(tmp_path):
    X, y, _ = _data(n=300, seed=6)
    src = ArraySource(X, y)
    with pytest.raises(ValueError, match="needs the leave-one-out predictions of every row"):
        RidgeCV(scoring="neg_mean_absolute_error").fit(src)
    with pytest.raises(ValueError, match="needs the leave-one-out predictions of every row"):
        RidgeCV(cv="loo", scoring="explained_variance").fit(src)
    with pytest.raises(ValueError, match="GCV estimates the mean squared error only"):
        RidgeCV(cv="gcv", scoring="r2").fit(src)
    with pytest.raises(ValueError, match="store_cv_results=True keeps a value per row"):
        RidgeCV(store_cv_results=True).fit(src)
    with pytest.raises(ValueError, match="gcv_mode='svd' needs the rows"):
        RidgeCV(gcv_mode="svd").fit(src)
    with pytest.raises(ValueError, match=r"cv must be None or 'loo' .* got 'kfold'"):
        RidgeCV(cv="kfold").fit(src)
    with pytest.raises(ValueError, match="the one-standard-error rule needs per-fold scores"):
        RidgeCV(cv="gcv", rule="1se").fit(src)


@pytest.mark.parametrize("cv", ["loo", "gcv"])
def test_fold_column_source_loo_gcv_equal_in_memory(tmp_path, cv):
    """A fold column plays no part in LOO/GCV: their one-fold passes ignore it."""
    X, y, _ = _data(n=600, seed=7)
    folds = np.random.default_rng(7).integers(0, 4, size=600)
    d = _write_parts(tmp_path, X, {"y": y, "f": folds}, [0, 250, 600])
    src = ridgeline.read_parquet(d, target="y", fold_column="f")
    _same_fit(RidgeCV(alphas=ALPHAS, cv=cv).fit(src),
              RidgeCV(alphas=ALPHAS, cv=None if cv == "loo" else cv).fit(X, y))


# ---------------------------------------------------------------------------------- Dask
def test_dask_two_targets_weighted_loo_per_target_equal_in_memory(client):
    da = pytest.importorskip("dask.array")
    X, Y, s = _data(n=1200, p=5, k=2, seed=7)
    dX, dY, ds = (da.from_array(X, chunks=(250, 5)), da.from_array(Y, chunks=(250, 2)),
                  da.from_array(s, chunks=250))
    for kwargs in ({"alpha_per_target": True}, {"alpha_per_target": True, "standardize": True},
                   {"scoring": "r2"}):
        got = RidgeCV(alphas=ALPHAS, **kwargs).fit(dX, dY, sample_weight=ds)
        ref = RidgeCV(alphas=ALPHAS, **kwargs).fit(X, Y, sample_weight=s)
        _same_fit(got, ref)
    assert got.coef_.shape == (2, 5)
    per = RidgeCV(alphas=ALPHAS, alpha_per_target=True).fit(dX, dY, sample_weight=ds)
    assert per.alpha_[0] != per.alpha_[1]  # the two targets want different α


def test_dask_gcv_and_frame_loo_equal_in_memory(client):
    da = pytest.importorskip("dask.array")
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, Y, s = _data(n=1000, p=4, k=2, seed=8)
    dX, dY = da.from_array(X, chunks=(300, 4)), da.from_array(Y, chunks=(300, 2))
    for kwargs in ({}, {"fit_intercept": False, "alpha_per_target": True}):
        got = RidgeCV(alphas=ALPHAS, cv="gcv", **kwargs).fit(dX, dY)
        ref = RidgeCV(alphas=ALPHAS, cv="gcv", **kwargs).fit(X, Y)
        _same_fit(got, ref)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(4)]).assign(t=Y[:, 0], w=s)
    got = RidgeCV(alphas=ALPHAS, fit_intercept=False).fit(
        as_source(dd.from_pandas(frame, npartitions=3), "t", "w"))
    ref = RidgeCV(alphas=ALPHAS, fit_intercept=False).fit(X, Y[:, 0], sample_weight=s)
    _same_fit(got, ref)
