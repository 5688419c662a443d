"""Statistics sources: hashed folds, Parquet/CSV streaming, streamed fits equal in-memory fits."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.model_selection import PredefinedSplit
from typer.testing import CliRunner

import ridgeline
from ridgeline import LogisticRegressionCV, PoissonRegressor, RidgeCV
from ridgeline.cli import app
from ridgeline.stats import (
    ArraySource,
    SourceError,
    StatisticsSource,
    hash_folds,
    parse_memory,
    predefined_test_fold,
    row_folds,
)

N, P = 1500, 5


def _data(seed=0, n=N, p=P):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * np.arange(1, p + 1) + 2.0
    w = rng.normal(size=p)
    return X, rng, w


def _write_parts(tmp_path, X, cols: dict, bounds, row_group=None, name="ds"):
    """Write rows [a, b) of every column into one Parquet part per (a, b)."""
    d = tmp_path / name
    d.mkdir()
    for i, (a, b) in enumerate(itertools.pairwise(bounds)):
        data = {f"x{j}": X[a:b, j] for j in range(X.shape[1])}
        data.update({k: v[a:b] for k, v in cols.items()})
        pq.write_table(pa.table(data), d / f"part-{i:02d}.parquet",
                       row_group_size=row_group)
    return d


def _folds_seen(source, K):
    return np.concatenate([b.fold for b in source.batches(K)])


# ------------------------------------------------------------------------------ hashed folds
def test_hash_folds_do_not_depend_on_batches():
    full = hash_folds(np.arange(10_000), 7, seed=3)
    pieces = np.concatenate([row_folds(a, min(a + 333, 10_000), 7, seed=3)
                             for a in range(0, 10_000, 333)])
    np.testing.assert_array_equal(full, pieces)
    assert full.min() == 0 and full.max() == 6
    counts = np.bincount(full, minlength=7)
    assert np.all(np.abs(counts - 10_000 / 7) < 5 * np.sqrt(10_000 / 7))  # balanced
    other = hash_folds(np.arange(10_000), 7, seed=4)
    assert np.mean(other == full) < 0.3  # a different seed reshuffles
    np.testing.assert_array_equal(predefined_test_fold(50, 7, 3), full[:50])


def test_array_source_is_a_statistics_source():
    X, _rng, w = _data()
    src = ArraySource(X, X @ w)
    assert isinstance(src, StatisticsSource)
    assert src.n_features == P and src.feature_names[0] == "x0"


def test_parse_memory():
    assert parse_memory("2GB") == 2 << 30
    assert parse_memory("512MiB") == 512 << 20
    with pytest.raises(ValueError, match="size"):
        parse_memory("lots")


# ------------------------------------------------- partitionings and batch sizes agree
def test_partitionings_and_batch_sizes_give_identical_folds_and_moments(tmp_path):
    X, rng, w = _data()
    y = X @ w + rng.normal(size=N)
    one = _write_parts(tmp_path, X, {"y": y}, [0, N], name="one")
    many = _write_parts(tmp_path, X, {"y": y}, [0, 100, 101, 700, 1200, N], row_group=64,
                        name="many")
    srcs = [ridgeline.read_parquet(one, target="y", batch_rows=1500),
            ridgeline.read_parquet(many, target="y", batch_rows=37),
            ridgeline.read_parquet(many, target="y", memory="1MB"),
            ArraySource(X, y, batch_rows=211)]
    ref = _folds_seen(srcs[0], 5)
    np.testing.assert_array_equal(ref, hash_folds(np.arange(N), 5))
    stats = [s.fold_moments(5) for s in srcs]
    c0 = stats[0].total.centered()
    for s, st in zip(srcs[1:], stats[1:], strict=True):
        np.testing.assert_array_equal(_folds_seen(s, 5), ref)
        c = st.total.centered()
        np.testing.assert_allclose(c.G, c0.G, rtol=1e-11, atol=1e-8)
        for f, f0 in zip(st.folds, stats[0].folds, strict=True):
            assert f.n == f0.n
            np.testing.assert_allclose(f.centered().G, f0.centered().G, rtol=1e-11, atol=1e-8)
    assert stats[1].n_rows == N


# -------------------------------------------------------- streamed == in-memory estimators
@pytest.mark.parametrize("kwargs", [
    {"alphas": np.logspace(-2, 4, 30)},
    {"lambdas": np.logspace(-4, 1, 25), "standardize": True},
    {"alphas": "auto", "n_lambdas": 40, "scoring": "neg_mean_squared_error", "rule": "1se"},
])
def test_ridge_cv_streamed_equals_in_memory(tmp_path, kwargs):
    X, rng, w = _data(1)
    y = X @ w + 3.0 * rng.normal(size=N) + 50.0
    d = _write_parts(tmp_path, X, {"y": y}, [0, 400, 900, N])
    src = ridgeline.read_parquet(d, target="y", batch_rows=128, seed=7)
    a = RidgeCV(cv=5, **kwargs).fit(src)
    b = RidgeCV(cv=PredefinedSplit(predefined_test_fold(N, 5, seed=7)), **kwargs).fit(X, y)
    np.testing.assert_allclose(a.selection_.lambdas, b.selection_.lambdas, rtol=1e-10)
    np.testing.assert_allclose(a.selection_.mean_score, b.selection_.mean_score, rtol=1e-10,
                               atol=1e-8)
    assert a.alpha_ == pytest.approx(b.alpha_, rel=1e-10)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8, rtol=0)
    assert abs(a.intercept_ - b.intercept_) <= 1e-8
    assert list(a.feature_names_in_) == [f"x{j}" for j in range(P)]
    assert a.n_rows_ == N


def test_ridge_cv_group_and_fold_columns(tmp_path):
    X, rng, w = _data(2)
    y = X @ w + rng.normal(size=N)
    groups = rng.integers(0, 60, size=N)
    folds = rng.integers(0, 4, size=N)
    d = _write_parts(tmp_path, X, {"y": y, "g": groups, "f": folds}, [0, 777, N])
    al = np.logspace(-2, 3, 12)
    src = ridgeline.read_parquet(d, target="y", features=[f"x{j}" for j in range(P)],
                                 group_column="g", batch_rows=100)
    a = RidgeCV(alphas=al, cv=4).fit(src)
    b = RidgeCV(alphas=al, cv=PredefinedSplit(hash_folds(groups, 4))).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8, rtol=0)
    np.testing.assert_allclose(a.selection_.mean_score, b.selection_.mean_score, atol=1e-10)
    src = ridgeline.read_parquet(d, target="y", fold_column="f")
    assert "f" not in src.feature_names and "g" in src.feature_names
    c = RidgeCV(alphas=al, cv=4).fit(src)
    Xg = np.column_stack([X, groups])
    e = RidgeCV(alphas=al, cv=PredefinedSplit(folds)).fit(Xg, y)
    np.testing.assert_allclose(c.coef_, e.coef_, atol=1e-8, rtol=0)


def test_logistic_cv_streamed_equals_in_memory(tmp_path):
    X, rng, w = _data(3)
    eta = (X - 2.0) @ (w / np.arange(1, P + 1)) * 0.8 + 0.4
    y = np.where(rng.random(N) < 1.0 / (1.0 + np.exp(-eta)), 7, 3)  # labels, not 0/1
    d = _write_parts(tmp_path, X, {"label": y}, [0, 500, N])
    src = ridgeline.read_parquet(d, target="label", batch_rows=300, seed=1)
    Cs = np.logspace(-3, 2, 6)
    for scoring in ("neg_log_loss", None):
        a = LogisticRegressionCV(Cs=Cs, cv=5, tol=1e-11, scoring=scoring).fit(src)
        b = LogisticRegressionCV(Cs=Cs, cv=PredefinedSplit(predefined_test_fold(N, 5, 1)),
                                 tol=1e-11, scoring=scoring).fit(X, y)
        np.testing.assert_array_equal(a.classes_, b.classes_)
        assert a.C_ == b.C_
        np.testing.assert_allclose(a.scores_, b.scores_, atol=1e-9, rtol=0)
        np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8, rtol=0)
        np.testing.assert_allclose(a.intercept_, b.intercept_, atol=1e-8, rtol=0)
        np.testing.assert_allclose(a.coefs_paths_, b.coefs_paths_, atol=1e-8, rtol=0)
    assert a.n_passes_ < 80  # one pass per Newton iteration for all 5 folds at once


def test_poisson_streamed_equals_in_memory(tmp_path):
    X, rng, w = _data(4)
    mu = np.exp(0.15 * (X - 2.0) @ (w / np.arange(1, P + 1)) + 0.5)
    y = rng.poisson(mu).astype(np.float64)
    d = _write_parts(tmp_path, X, {"count": y}, [0, 300, 301, N])
    src = ridgeline.read_parquet(d, target="count", batch_rows=256)
    for fit_intercept in (True, False):
        a = PoissonRegressor(alpha=0.003, tol=1e-11, fit_intercept=fit_intercept).fit(src)
        b = PoissonRegressor(alpha=0.003, tol=1e-11, fit_intercept=fit_intercept).fit(X, y)
        np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8, rtol=0)
        assert abs(a.intercept_ - b.intercept_) <= 1e-8
        assert a.n_passes_ <= 15


def test_csv_source_equals_parquet(tmp_path):
    X, rng, w = _data(5, n=400)
    y = X @ w + rng.normal(size=400)
    d = tmp_path / "csv"
    d.mkdir()
    for i, (a, b) in enumerate([(0, 150), (150, 400)]):
        header = ",".join([f"x{j}" for j in range(P)] + ["y"])
        rows = np.column_stack([X[a:b], y[a:b]])
        np.savetxt(d / f"p{i}.csv", rows, delimiter=",", header=header, comments="",
                   fmt="%.17g")
    src = ridgeline.read_csv(d, target="y", batch_rows=64)
    al = np.logspace(-2, 3, 10)
    a = RidgeCV(alphas=al, cv=3).fit(src)
    b = RidgeCV(alphas=al, cv=PredefinedSplit(predefined_test_fold(400, 3))).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8, rtol=0)


# --------------------------------------------------------------------------------- bad input
def test_nan_in_one_partition_names_file_and_rows(tmp_path):
    X, rng, _w = _data(6)
    X[1210, 3] = np.nan
    X[1250, 3] = np.nan
    d = _write_parts(tmp_path, X, {"y": X @ np.ones(P)}, [0, 1000, N])
    src = ridgeline.read_parquet(d, target="y", batch_rows=200)
    with pytest.raises(SourceError, match=r"part-01\.parquet rows 200–399: column 'x3' has 2 "
                                          r"NaN values"):
        RidgeCV(cv=5).fit(src)
    est = RidgeCV(cv=5)
    with pytest.raises(SourceError):
        est.fit(src)
    assert not hasattr(est, "coef_")  # nothing partial
    y = rng.normal(size=N)
    y[5] = np.inf
    with pytest.raises(SourceError, match=r"array rows 0–1499: column 'y' has 1 infinite value, "
                                          r"first at row 5"):
        RidgeCV(cv=5).fit(ArraySource(np.nan_to_num(X), y, batch_rows=200))


def test_schema_change_between_parts(tmp_path):
    X, _rng, _w = _data(7, n=200)
    d = _write_parts(tmp_path, X, {"y": X[:, 0]}, [0, 100, 200])
    pq.write_table(pa.table({**{f"x{j}": X[:10, j].astype(np.float32) for j in range(P)},
                             "y": X[:10, 0]}), d / "part-02.parquet")
    with pytest.raises(SourceError, match=r"column 'x0' is double in .*part-00\.parquet but "
                                          r"float in .*part-02\.parquet"):
        ridgeline.read_parquet(d, target="y")
    pq.write_table(pa.table({**{f"x{j}": X[:10, j] for j in range(1, P)}, "y": X[:10, 0]}),
                   d / "part-02.parquet")
    with pytest.raises(SourceError, match=r"column 'x0' is in .*part-00\.parquet but not in "
                                          r".*part-02\.parquet"):
        ridgeline.read_parquet(d, target="y")


def test_missing_target_non_numeric_and_corrupt_part(tmp_path):
    X, _rng, _w = _data(8, n=200)
    d = _write_parts(tmp_path, X, {"y": X[:, 0], "city": np.array(["a", "b"] * 100)},
                     [0, 100, 200])
    with pytest.raises(SourceError, match=r"part-00\.parquet: no target column 'price'"):
        ridgeline.read_parquet(d, target="price")
    with pytest.raises(SourceError, match=r"column 'city' has type string, not numeric"):
        ridgeline.read_parquet(d, target="y")
    src = ridgeline.read_parquet(d, target="y", features=["x1", "x2"])
    assert src.n_features == 2
    (d / "part-01.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(SourceError, match=r"part-01\.parquet: not a readable Parquet file"):
        ridgeline.read_parquet(d, target="y", features=["x1", "x2"])
    # a part whose data pages are damaged (the footer intact) fails during the pass
    good = d / "part-00.parquet"
    raw = bytearray(good.read_bytes())
    footer = int.from_bytes(raw[-8:-4], "little")
    end = len(raw) - 8 - footer
    raw[4:end] = b"\xff" * (end - 4)
    (d / "part-01.parquet").write_bytes(bytes(raw))
    src = ridgeline.read_parquet(d, target="y", features=["x1", "x2"])
    with pytest.raises(SourceError, match=r"part-01\.parquet rows 0–: cannot be read"):
        RidgeCV(alphas=[1.0], cv=3).fit(src)


def test_csv_non_numeric_value_and_fold_column_range(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("a,b,y\n1,2,3\n4,5,6\n7,oops,9\n")
    with pytest.raises(SourceError, match=r"d\.csv: column 'b' has type string, not numeric"):
        ridgeline.read_csv(f, target="y")
    # a text value past the part that types were inferred from fails during the pass
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "a.csv").write_text("a,b,y\n1,2,3\n4,5,6\n")
    (tmp_path / "parts" / "b.csv").write_text("a,b,y\n1,2,3\n7,oops,9\n")
    src = ridgeline.read_csv(tmp_path / "parts", target="y")
    with pytest.raises(SourceError, match=r"b\.csv rows 0–: cannot be read"):
        RidgeCV(alphas=[1.0], cv=2).fit(src)
    X, _rng, _w = _data(9, n=100)
    with pytest.raises(SourceError, match=r"fold column 'fold' has ids in \[0, 5\], outside "
                                          r"\[0, 3\)"):
        RidgeCV(cv=3).fit(ArraySource(X, X[:, 0], folds=np.arange(100) % 6))


def test_source_arguments_are_checked():
    X, _rng, w = _data(10, n=200)
    src = ArraySource(X, X @ w)
    with pytest.raises(ValueError, match="y must be None"):
        RidgeCV(cv=5).fit(src, X @ w)
    with pytest.raises(ValueError, match="cv must be None or 'loo'"):
        RidgeCV(cv="kfold").fit(src)
    with pytest.raises(ValueError, match="needs held-out predictions"):
        RidgeCV(cv=5, scoring="neg_mean_absolute_error").fit(src)
    with pytest.raises(ValueError, match="exactly two classes"):
        LogisticRegressionCV(Cs=[1.0], cv=3).fit(src)
    with pytest.raises(ValueError, match="non-negative"):
        PoissonRegressor().fit(ArraySource(X, -np.ones(200)))


# ---------------------------------------------------------------------------------------- CLI
def test_cli_streams_a_directory(tmp_path):
    X, rng, w = _data(11)
    y = X @ w + rng.normal(size=N)
    d = _write_parts(tmp_path, X, {"y": y}, [0, 700, N])
    runner = CliRunner()
    res = runner.invoke(app, ["fit", str(d), "--target", "y", "--stream", "--json",
                              "--lambdas", "0.001,0.01,0.1,1", "--no-standardize"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    assert rep["streamed"] and rep["rows"] == N and rep["parts"] == 2
    ref = RidgeCV(lambdas=[0.001, 0.01, 0.1, 1], cv=PredefinedSplit(predefined_test_fold(N, 5)),
                  scoring="neg_mean_squared_error").fit(X, y)
    np.testing.assert_allclose(list(rep["coefficients"].values()), ref.coef_, atol=1e-8)
    # the grid's edge is a note in the report (and a `note:` line), never a raw Python warning
    res = runner.invoke(app, ["fit", str(d), "--target", "y", "--stream", "--json",
                              "--lambdas", "10,100", "--no-standardize"])
    assert res.exit_code == 0, res.output
    assert any("smallest value of the grid" in w for w in json.loads(res.stdout)["warnings"])
    res = runner.invoke(app, ["fit", str(d), "--target", "y", "--stream",
                              "--lambdas", "10,100", "--no-standardize"])
    assert "note: the selected λ is the smallest value of the grid" in res.stderr
    assert "GridEdgeWarning" not in res.stderr
    # larger than --memory: streamed without --stream
    res = runner.invoke(app, ["fit", str(d), "--target", "y", "--memory", "64KB", "--json",
                              "--cv", "3"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["streamed"]
    res = runner.invoke(app, ["fit", str(d), "--target", "nope", "--stream"])
    assert res.exit_code == 2
    assert "no target column 'nope'" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    res = runner.invoke(app, ["fit", str(d), "--target", "y", "--stream", "--cv", "loo"])
    assert res.exit_code == 2 and "streamed data take --cv K" in res.stderr


# ------------------------------------------------------------------------ per-batch kernels
@pytest.mark.parametrize("K", [1, 4])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fold_moments_kernel_row_and_column_major_agree(K, dtype):
    """The row-block path (C-order X) and the column path (F-order X) give the definition."""
    from ridgeline.stats.batch import Batch, block_rows
    from ridgeline.stats.batch_moments import batch_fold_moments
    from ridgeline.stats.moments import FoldMomentsAccumulator

    rng = np.random.default_rng(3)
    p = 7
    m = 2 * block_rows(p + 2) + 37  # several blocks and a ragged last one
    X = (rng.normal(size=(m, p)) * 3 + 50).astype(dtype)
    y = rng.normal(size=m) + 10
    fold = rng.integers(0, K, m)
    if K > 2:
        fold[fold == K - 1] = 0  # an empty fold
    shift_x, shift_y = np.full(p, 49.0), np.array([9.5])
    got = []
    for order in "CF":
        acc = FoldMomentsAccumulator(K, shift_x, shift_y)
        Xo = np.asarray(X, order=order)
        half = m // 2  # two batches into one accumulator (its buffers are reused)
        batch_fold_moments(acc, Batch(Xo[:half], y[:half], fold[:half], "t", 0))
        batch_fold_moments(acc, Batch(np.asarray(Xo[half:], order=order), y[half:],
                                      fold[half:], "t", half))
        got.append(acc.result()[1])
    for k in range(K):
        rows = fold == k
        Xc = X[rows].astype(np.float64) - shift_x
        yc = y[rows] - shift_y[0]
        for mom in got:
            assert mom[k].n == rows.sum()
            np.testing.assert_allclose(mom[k].G, Xc.T @ Xc, rtol=1e-12, atol=1e-9)
            np.testing.assert_allclose(mom[k].C[:, 0], Xc.T @ yc, rtol=1e-12, atol=1e-9)
            np.testing.assert_allclose(mom[k].sx, Xc.sum(axis=0), rtol=1e-12, atol=1e-9)
            np.testing.assert_allclose(mom[k].yy[0], yc @ yc, rtol=1e-12)
            assert mom[k].sw == rows.sum()


def _newton(src, loss, lam, W0, b0, held_out, n_folds, *, fit_intercept=True, tol=1e-8,
            max_iter=100, reuse=None, curvature0=None, last_step_below=None):
    """The one Newton of the GLM engine on ``src`` (reuse: the source's default)."""
    from ridgeline.solvers.glm_fit import reuses_curvature
    from ridgeline.solvers.glm_models import make_model
    from ridgeline.solvers.newton import newton
    from ridgeline.solvers.problem import GLMProblem

    model = make_model(GLMProblem(src, loss, fit_intercept), held_out, n_folds)
    return newton(model, lam, W0, b0, fit_intercept=fit_intercept, tol=tol, max_iter=max_iter,
                  reuse=reuses_curvature(src) if reuse is None else reuse,
                  curvature0=curvature0, last_step_below=last_step_below)


def test_newton_reuses_curvature_in_memory_and_not_over_files(tmp_path):
    """In-memory sources reuse Hessians (fewer Hessian passes), files form one every pass;
    both stop at the same optimum."""
    from ridgeline.losses import BinomialLoss
    from ridgeline.solvers.glm_fit import reuses_curvature

    X, rng, w = _data(5, n=3000)
    y = (rng.random(3000) < 1 / (1 + np.exp(-(X - 2) @ w * 0.5))).astype(float)
    mem = ArraySource(X, y, batch_rows=700, seed=2)
    files = ridgeline.read_parquet(_write_parts(tmp_path, X, {"y": y}, [0, 1400, 3000]),
                                   target="y", seed=2)
    assert reuses_curvature(mem) and not reuses_curvature(files)
    lam = np.array([1e-3, 1e-2, 3e-4])
    held = np.array([-1, 0, 2])
    fits = [_newton(src, BinomialLoss(), lam, np.zeros((3, P, 1)), np.zeros((3, 1)), held, 3,
                    tol=1e-11) for src in (mem, files)]
    a, b = fits
    assert a.converged.all() and b.converged.all()
    assert a.n_hessian_passes < a.n_passes and b.n_hessian_passes == b.n_passes
    np.testing.assert_allclose(a.coef, b.coef, atol=1e-9, rtol=0)
    np.testing.assert_allclose(a.intercept, b.intercept, atol=1e-9, rtol=0)
    np.testing.assert_allclose(a.held_loss, b.held_loss, rtol=1e-10)


@pytest.mark.parametrize("kwargs", [{}, {"fit_intercept": False}, {"standardize": True}])
def test_ridge_single_alpha_streamed_equals_in_memory(tmp_path, kwargs):
    X, rng, w = _data(6)
    y = X @ w + rng.normal(size=N) + 4.0
    d = _write_parts(tmp_path, X, {"y": y}, [0, 700, N])
    a = ridgeline.Ridge(alpha=3.0, **kwargs).fit(ridgeline.read_parquet(d, target="y",
                                                                       batch_rows=256))
    b = ridgeline.Ridge(alpha=3.0, **kwargs).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=1e-10, atol=1e-10)
    assert a.lambda_ == pytest.approx(3.0 / N) and a.n_rows_ == N
    with pytest.raises(ValueError, match="needs the rows"):
        ridgeline.Ridge(solver="lsqr").fit(ArraySource(X, y))
    with pytest.raises(ValueError, match="y must be None"):
        ridgeline.Ridge().fit(ArraySource(X, y), y)


def test_logistic_single_fit_streamed_binary_and_multinomial(tmp_path):
    import pandas as pd

    X, rng, w = _data(7)
    eta = (X - 2.0) @ (w / np.arange(1, P + 1))
    y2 = np.where(rng.random(N) < 1 / (1 + np.exp(-eta)), 5, -1)
    y3 = np.digitize(eta + rng.normal(size=N), [-0.5, 0.5]) * 10.0
    d = _write_parts(tmp_path, X, {"y2": y2, "y3": y3}, [0, 800, N])
    for col, y, kw in (("y2", y2, {}), ("y3", y3, {}), ("y2", y2, {"fit_intercept": False})):
        src = ridgeline.read_parquet(d, target=col, features=[f"x{j}" for j in range(P)])
        a = ridgeline.LogisticRegression(C=0.3, tol=1e-11, **kw).fit(src)
        b = ridgeline.LogisticRegression(C=0.3, tol=1e-11, **kw).fit(X, y)
        np.testing.assert_array_equal(a.classes_, b.classes_)
        np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8, rtol=0)
        np.testing.assert_allclose(a.intercept_, b.intercept_, atol=1e-8, rtol=0)
        assert a.lambda_ == pytest.approx(b.lambda_, rel=1e-14) and a.grad_norm_ <= 1e-11
        assert a.n_rows_ == N and 2 < a.n_passes_ < 30
        frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(P)])
        np.testing.assert_array_equal(a.predict(frame), b.predict(X))
    with pytest.raises(ValueError, match="l1_ratio > 0 is not available"):
        ridgeline.LogisticRegression(l1_ratio=0.5).fit(src)
    with pytest.raises(ValueError, match="found only"):
        ridgeline.LogisticRegression().fit(ArraySource(X, np.ones(N)))


def test_weight_column_equals_in_memory_sample_weight(tmp_path):
    """A weight column weights every pass as sample_weight does in memory (ridge CV,
    logistic CV and single fits, multinomial, Poisson), Parquet and CSV alike."""
    import pyarrow.csv as pacsv

    X, rng, w = _data(8)
    s = rng.uniform(0.2, 3.0, size=N)
    s[::7] = 0.0  # zero weights are allowed: those rows drop out
    y = X @ w + 25 * rng.normal(size=N)
    eta = (X - 2.0) @ (w / np.arange(1, P + 1))
    yb = (rng.random(N) < 1 / (1 + np.exp(-eta))).astype(float)
    y3 = np.digitize(eta + rng.normal(size=N), [-0.5, 0.5]).astype(float)
    yc = rng.poisson(np.exp(0.2 * eta)).astype(float)
    cols = {"y": y, "yb": yb, "y3": y3, "yc": yc, "s": s}
    d = _write_parts(tmp_path, X, cols, [0, 600, N])
    feats = [f"x{j}" for j in range(P)]
    pacsv.write_csv(pa.table({**{f: X[:, j] for j, f in enumerate(feats)}, **cols}),
                    tmp_path / "all.csv")
    cv = PredefinedSplit(predefined_test_fold(N, 4, 0))

    def src(target, csv=False):
        read = ridgeline.read_csv if csv else ridgeline.read_parquet
        return read(tmp_path / "all.csv" if csv else d, target=target, features=feats,
                    weight_column="s", batch_rows=400)

    for csv in (False, True):
        a = RidgeCV(alphas=np.geomspace(0.1, 1e6, 15), cv=4).fit(src("y", csv))
        b = RidgeCV(alphas=np.geomspace(0.1, 1e6, 15), cv=cv).fit(X, y, sample_weight=s)
        assert a.alpha_ == b.alpha_
        np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-9, atol=1e-10)
    a = LogisticRegressionCV(Cs=np.logspace(-2, 2, 5), cv=4, tol=1e-11).fit(src("yb"))
    b = LogisticRegressionCV(Cs=np.logspace(-2, 2, 5), cv=cv, tol=1e-11).fit(
        X, yb, sample_weight=s)
    assert a.C_ == b.C_
    np.testing.assert_allclose(a.scores_, b.scores_, atol=1e-9, rtol=0)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8, rtol=0)
    for target, yy in (("yb", yb), ("y3", y3)):
        a = ridgeline.LogisticRegression(C=0.5, tol=1e-11).fit(src(target))
        b = ridgeline.LogisticRegression(C=0.5, tol=1e-11).fit(X, yy, sample_weight=s)
        np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8, rtol=0)
        np.testing.assert_allclose(a.intercept_, b.intercept_, atol=1e-8, rtol=0)
        assert a.lambda_ == pytest.approx(b.lambda_, rel=1e-13)
    a = PoissonRegressor(alpha=0.05, tol=1e-11).fit(src("yc"))
    b = PoissonRegressor(alpha=0.05, tol=1e-11).fit(X, yc, sample_weight=s)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8, rtol=0)
    # the same through an ArraySource
    a = ridgeline.Ridge(alpha=7.0).fit(ArraySource(X, y, sample_weight=s, batch_rows=300))
    b = ridgeline.Ridge(alpha=7.0).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10, atol=1e-12)


def test_weight_column_bad_values_are_named(tmp_path):
    X, _, w = _data(9, n=300)
    s = np.ones(300)
    s[170] = -0.5
    d = _write_parts(tmp_path, X, {"y": X @ w, "s": s}, [0, 150, 300])
    with pytest.raises(SourceError, match=r"part-01\.parquet rows 0\u2013149: weight column "
                                          r"'s' has negative values, first at row 20"):
        RidgeCV(cv=3).fit(ridgeline.read_parquet(d, target="y", weight_column="s"))
    s[170] = np.nan
    d = _write_parts(tmp_path, X, {"y": X @ w, "s": s}, [0, 150, 300], name="nan")
    with pytest.raises(SourceError, match=r"column 's' has 1 NaN value"):
        RidgeCV(cv=3).fit(ridgeline.read_parquet(d, target="y", weight_column="s"))
    with pytest.raises(SourceError, match=r"no weight column 'w'"):
        ridgeline.read_parquet(d, target="y", weight_column="w")
    with pytest.raises(ValueError, match=r"'s' is also listed as a feature"):
        ridgeline.read_parquet(d, target="y", features=["x0", "s"], weight_column="s")
    with pytest.raises(ValueError, match="the source holds the weights"):
        RidgeCV(cv=3).fit(ridgeline.read_parquet(d, target="y"), sample_weight=s)


@pytest.mark.parametrize("offset", [0.0, 1e4])
def test_single_fold_raw_gram_path_equals_the_definition(offset, monkeypatch):
    """Centered rows take the copy-free Gram (XᵀX, shifted afterwards); offset rows fall back
    to the shifted copy. Both give the moments about the reference point."""
    from ridgeline.stats import batch_moments as source_mod
    from ridgeline.stats.batch import Batch
    from ridgeline.stats.batch_moments import batch_fold_moments
    from ridgeline.stats.moments import FoldMomentsAccumulator

    rng = np.random.default_rng(11)
    m, p = 5000, 6
    X = rng.normal(size=(m, p)) * np.linspace(0.5, 3, p) + offset
    y = X @ rng.normal(size=p) + rng.normal(size=m)
    shift_x, shift_y = X[:100].mean(axis=0), np.array([y[:100].mean()])
    used = []
    raw = source_mod._raw_gram
    monkeypatch.setattr(source_mod, "_raw_gram", lambda *a: used.append(raw(*a)) or used[-1])
    acc = FoldMomentsAccumulator(1, shift_x, shift_y)
    batch_fold_moments(acc, Batch(X, y, np.zeros(m, dtype=np.int64), "t", 0))
    mom = acc.result()[1][0]
    assert used == [offset == 0.0]
    Xc, yc = X - shift_x, y - shift_y[0]
    scale = np.sqrt(np.outer(np.diag(Xc.T @ Xc), np.diag(Xc.T @ Xc)))
    assert np.abs(mom.G - Xc.T @ Xc).max() <= 1e-13 * scale.max()
    np.testing.assert_allclose(mom.C[:, 0], Xc.T @ yc, rtol=1e-11, atol=1e-9 * np.abs(yc).sum())
    np.testing.assert_allclose(mom.sx, Xc.sum(axis=0), atol=1e-8 * np.abs(Xc).sum())
    np.testing.assert_allclose(mom.yy[0], yc @ yc, rtol=1e-12)
    assert mom.n == m and mom.sw == m


def test_reused_curvature_with_secant_corrections_reaches_the_optimum(monkeypatch):
    """Started from a subset's answer and curvature, the gradient-only passes end at the full
    optimum, and the secant corrections take fewer passes than the plain chord steps."""
    from ridgeline.losses import BinomialLoss
    from ridgeline.solvers import glm_models

    rng = np.random.default_rng(12)
    n, p = 20000, 8
    X = rng.normal(size=(n, p)) * np.linspace(0.5, 2, p) + 0.5
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ rng.normal(size=p) * 0.5 - 0.3)))).astype(float)
    lam, held = np.array([1e-4]), np.array([-1])
    sub = _newton(ArraySource(X[:1500], y[:1500]), BinomialLoss(), lam, np.zeros((1, p, 1)),
                  np.zeros((1, 1)), held, 1, tol=1e-6, reuse=False)
    ref = _in_memory_logistic(X, y, lam[0])
    runs = {}
    for memory in (10, 0):
        monkeypatch.setattr(glm_models, "SECANT_MEMORY", memory)
        fit = _newton(ArraySource(X, y, batch_rows=5000), BinomialLoss(), lam, sub.coef,
                      sub.intercept, held, 1, tol=1e-10, curvature0=sub.curvature)
        assert fit.converged[0] and fit.n_hessian_passes == 0
        np.testing.assert_allclose(fit.coef[0, :, 0], ref.coef_[0], rtol=0, atol=1e-8)
        np.testing.assert_allclose(fit.intercept[:, 0], ref.intercept_, rtol=0, atol=1e-8)
        runs[memory] = fit.n_passes
    assert runs[10] < runs[0]


def test_last_newton_step_taken_without_its_pass():
    """``last_step_below``: once max|∇f| is small enough relative to its start, the last
    Newton step is taken unevaluated — one pass fewer, and the returned point is the stepped
    one."""
    from ridgeline.losses import BinomialLoss

    rng = np.random.default_rng(13)
    n, p = 3000, 5
    X = rng.normal(size=(n, p))
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ rng.normal(size=p) - 0.2)))).astype(float)
    lam, held = np.array([1e-3]), np.array([-1])
    src = ArraySource(X, y)
    args = (src, BinomialLoss(), lam, np.zeros((1, p, 1)), np.zeros((1, 1)), held, 1)
    full = _newton(*args, tol=1e-12, reuse=False)
    plain = _newton(*args, tol=1e-4, reuse=False)
    short = _newton(*args, tol=1e-4, reuse=False, last_step_below=0.05)
    # plain evaluates the point the short fit stepped to, and stops there
    assert short.converged[0] and short.n_passes == plain.n_passes - 1
    np.testing.assert_allclose(short.coef, plain.coef, rtol=1e-13)
    assert short.grad_norm[0] > plain.grad_norm[0]  # the last evaluated point's gradient
    assert np.abs(short.coef[0] - full.coef[0]).max() < 1e-3
    ref = ridgeline.LogisticRegression(C=1 / (2 * lam[0] * n), tol=1e-11).fit(X, y)
    np.testing.assert_allclose(full.coef[0, :, 0], ref.coef_[0], atol=1e-9)


def _in_memory_logistic(X, y, lam):
    return ridgeline.LogisticRegression(C=1 / (2 * lam * X.shape[0]), tol=1e-11).fit(X, y)


def test_line_search_failing_with_a_reused_curvature_re_forms_it_at_the_current_point():
    """Heavy-tailed Poisson data started from a subset's answer and curvature: a step with
    the reused curvature that fails its line search is not halved on; the current point is
    evaluated again with a Hessian (before the fix: 41 Hessian passes, more than pure
    Newton's 24). The optimum is pure Newton's."""
    from ridgeline.losses import PoissonLoss

    rng = np.random.default_rng(0)
    n, p = 160000, 5
    X = rng.standard_t(3, size=(n, p))
    eta = np.clip(X @ np.array([0.3, -0.2, 0.1, 0.0, 0.2]), -5, 5)
    y = rng.poisson(np.exp(eta)).astype(float)
    lam, held = np.array([1e-4]), np.array([-1])
    with np.errstate(over="ignore", invalid="ignore"):
        sub = _newton(ArraySource(X[:n // 10], y[:n // 10]), PoissonLoss(), lam,
                      np.zeros((1, p, 1)), np.zeros((1, 1)), held, 1, tol=1e-6, reuse=False)
        args = (ArraySource(X, y), PoissonLoss(), lam, sub.coef, sub.intercept, held, 1)
        chord = _newton(*args, tol=1e-9, curvature0=sub.curvature)
        pure = _newton(*args, tol=1e-9, reuse=False)
    assert chord.converged[0] and pure.converged[0]
    assert chord.n_hessian_passes <= pure.n_hessian_passes
    np.testing.assert_allclose(chord.coef, pure.coef, atol=1e-8)


def _fold_column_logistic(tmp_path, n_classes):
    X, rng, _ = _data(21, n=800)
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    y = np.argmax(Z[:, :n_classes] + rng.gumbel(size=(800, n_classes)), axis=1).astype(float)
    folds = rng.integers(0, 4, size=800)
    d = _write_parts(tmp_path, X, {"y": y, "f": folds}, [0, 300, 800])
    return ridgeline.read_parquet(d, target="y", fold_column="f"), X, y, folds


@pytest.mark.filterwarnings("ignore::ridgeline.selection.GridEdgeWarning")
@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_cv_refit_on_a_fold_column_source_equals_in_memory(tmp_path, n_classes):
    src, X, y, folds = _fold_column_logistic(tmp_path, n_classes)
    Cs = [1.0, 0.1, 0.01]
    a = LogisticRegressionCV(Cs=Cs, cv=4, tol=1e-11).fit(src)
    b = LogisticRegressionCV(Cs=Cs, cv=PredefinedSplit(folds), tol=1e-11).fit(X, y)
    assert a.C_ == b.C_
    np.testing.assert_allclose(a.scores_, b.scores_, atol=1e-9, rtol=0)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8, rtol=0)
    np.testing.assert_allclose(a.intercept_, b.intercept_, atol=1e-8, rtol=0)


@pytest.mark.filterwarnings("ignore::ridgeline.selection.GridEdgeWarning")
@pytest.mark.parametrize("n_classes", [2, 3])
def test_auto_grid_on_a_fold_column_source_equals_in_memory(tmp_path, n_classes):
    src, X, y, folds = _fold_column_logistic(tmp_path, n_classes)
    a = LogisticRegressionCV(Cs="auto", cv=4, tol=1e-11, refit=False).fit(src)
    b = LogisticRegressionCV(Cs="auto", cv=PredefinedSplit(folds), tol=1e-11,
                             refit=False).fit(X, y)
    np.testing.assert_allclose(a.Cs_, b.Cs_, rtol=1e-10)
    np.testing.assert_allclose(a.scores_, b.scores_, atol=1e-9, rtol=0)


@pytest.mark.filterwarnings("ignore::ridgeline.selection.GridEdgeWarning")
def test_logistic_cv_on_a_fold_column_source_without_refit_equals_in_memory(tmp_path):
    """The K-fold path itself serves a fold column (the refit and the automatic grid, which
    take one-fold passes, are tested above)."""
    for n_classes in (2, 3):
        (tmp_path / str(n_classes)).mkdir()
        src, X, y, folds = _fold_column_logistic(tmp_path / str(n_classes), n_classes)
        Cs = [1.0, 0.1, 0.01]
        a = LogisticRegressionCV(Cs=Cs, cv=4, tol=1e-11, refit=False).fit(src)
        b = LogisticRegressionCV(Cs=Cs, cv=PredefinedSplit(folds), tol=1e-11,
                                 refit=False).fit(X, y)
        assert a.C_ == b.C_
        np.testing.assert_allclose(a.scores_, b.scores_, atol=1e-9, rtol=0)
        np.testing.assert_allclose(a.coefs_paths_, b.coefs_paths_, atol=1e-8, rtol=0)
        np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8, rtol=0)
