"""Sufficient statistics (ridgeline.stats) against their definitions, written out directly."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from conftest import make_regression
from ridgeline.stats import Moments, accumulate, fold_moments, iter_row_chunks
from ridgeline.stats import chunks as chunks_module
from ridgeline.stats.moments import reference_point

RTOL = 1e-12


def _direct(X, Y, s, shift_x, shift_y):
    """The moments by their definition, relative to the given shift."""
    Xt, Yt = X - shift_x, Y - shift_y
    return {
        "sw": s.sum(),
        "sx": s @ Xt,
        "sy": s @ Yt,
        "G": Xt.T @ (s[:, None] * Xt),
        "C": Xt.T @ (s[:, None] * Yt),
        "yy": s @ Yt**2,
    }


def _assert_moments(m: Moments, ref: dict, rtol=RTOL, atol=0.0):
    for name, value in ref.items():
        got = getattr(m, name)
        scale = max(np.max(np.abs(value)), 1.0)
        np.testing.assert_allclose(got, value, rtol=rtol, atol=atol + rtol * scale, err_msg=name)


@pytest.mark.parametrize("weighted", [False, True])
def test_accumulate_matches_definition(weighted):
    X, Y, s = make_regression(0, n=50, p=4, k=2, weighted=weighted)
    m = accumulate(X, Y, s)
    shift_x = s @ X / s.sum()
    shift_y = s @ Y / s.sum()
    np.testing.assert_allclose(m.shift_x, shift_x, rtol=1e-13)
    np.testing.assert_allclose(m.shift_y, shift_y, rtol=1e-13)
    assert m.n == 50
    _assert_moments(m, _direct(X, Y, s, m.shift_x, m.shift_y))
    # about the weighted mean the first moments vanish
    assert np.max(np.abs(m.sx)) <= 1e-12 * np.abs(X).sum()
    np.testing.assert_array_equal(m.G, m.G.T)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_centered_moments(fit_intercept):
    X, Y, s = make_regression(1, n=35, p=3, k=2, weighted=True)
    cm = accumulate(X, Y, s).centered(fit_intercept)
    sw = s.sum()
    mx = s @ X / sw if fit_intercept else np.zeros(3)
    my = s @ Y / sw if fit_intercept else np.zeros(2)
    ref = _direct(X, Y, s, mx, my)
    np.testing.assert_allclose(cm.G, ref["G"], rtol=1e-11, atol=1e-11 * np.abs(ref["G"]).max())
    np.testing.assert_allclose(cm.C, ref["C"], rtol=1e-11, atol=1e-11 * np.abs(ref["C"]).max())
    np.testing.assert_allclose(cm.yy, ref["yy"], rtol=1e-11)
    assert cm.sw == pytest.approx(sw, rel=1e-14)
    # centering points are relative to the shift: add it back for absolute coordinates
    m = accumulate(X, Y, s)
    np.testing.assert_allclose(cm.mean_x + m.shift_x, mx, atol=1e-12 * np.abs(X).max())
    np.testing.assert_allclose(cm.mean_y + m.shift_y, my, atol=1e-12 * np.abs(Y).max())


def test_rows_subset_and_explicit_shift():
    X, Y, s = make_regression(2, n=30, p=4, k=1, weighted=True)
    rows = np.array([17, 3, 4, 5, 29, 0])
    shift = (np.arange(4.0), np.array([0.5]))
    m = accumulate(X, Y, s, rows=rows, shift=shift)
    assert m.n == rows.size
    _assert_moments(m, _direct(X[rows], Y[rows], s[rows], *shift))
    # a contiguous run (turned into a slice internally) gives the same statistics
    m2 = accumulate(X, Y, s, rows=np.arange(5, 12), shift=shift)
    _assert_moments(m2, _direct(X[5:12], Y[5:12], s[5:12], *shift))


def test_many_chunks_equal_one_chunk(monkeypatch):
    X, Y, s = make_regression(3, n=103, p=3, k=2, weighted=True)
    one = accumulate(X, Y, s)
    monkeypatch.setattr(chunks_module, "chunk_rows", lambda n_features, budget=0: 7)
    seen = [idx for idx, _ in iter_row_chunks(X)]
    assert len(seen) == 15
    many = accumulate(X, Y, s)
    _assert_moments(many, {k: getattr(one, k) for k in ("sw", "sx", "sy", "G", "C", "yy")},
                    rtol=1e-12, atol=1e-12)
    held = accumulate(X, Y, s, rows=np.arange(0, 103, 2))
    _assert_moments(held, _direct(X[::2], Y[::2], s[::2], held.shift_x, held.shift_y),
                    rtol=1e-12, atol=1e-12)


def test_iter_row_chunks_covers_rows_in_order():
    X = np.arange(40.0).reshape(20, 2)
    rows = np.array([3, 1, 4, 15, 9, 2, 6])
    got = list(iter_row_chunks(X, rows, chunk=3))
    assert [len(i) for i, _ in got] == [3, 3, 1]
    np.testing.assert_array_equal(np.concatenate([c for _, c in got]), X[rows])
    got = list(iter_row_chunks(X, slice(2, 11), chunk=4))
    np.testing.assert_array_equal(np.concatenate([c for _, c in got]), X[2:11])


def test_fold_moments_partition_and_overlap():
    X, Y, s = make_regression(4, n=24, p=3, k=2, weighted=True)
    parts = np.array_split(np.random.default_rng(0).permutation(24), 4)
    total, folds = fold_moments(X, Y, s, parts)
    direct = accumulate(X, Y, s)
    _assert_moments(total, {k: getattr(direct, k) for k in ("sw", "sx", "sy", "G", "C", "yy")},
                    rtol=1e-11, atol=1e-11)
    for t, f in zip(parts, folds, strict=True):
        _assert_moments(f, _direct(X[t], Y[t], s[t], f.shift_x, f.shift_y))
    # training statistics are total − held-out
    train = total - folds[0]
    rows = np.setdiff1d(np.arange(24), parts[0])
    _assert_moments(train, _direct(X[rows], Y[rows], s[rows], train.shift_x, train.shift_y),
                    rtol=1e-11, atol=1e-11)
    assert train.n == rows.size
    # overlapping test sets: the total is not the sum of the folds
    over = [np.arange(0, 10), np.arange(5, 24)]
    total2, _ = fold_moments(X, Y, s, over)
    assert total2.n == 24
    assert total2.sw == pytest.approx(s.sum(), rel=1e-14)


def test_combining_different_reference_points_is_refused():
    X, Y, s = make_regression(5, n=10, p=2)
    a = accumulate(X, Y, s)
    b = accumulate(X, Y, s, shift=(np.zeros(2), np.zeros(1)))
    with pytest.raises(ValueError, match="different reference points"):
        a + b


def test_zero_weight_means_refused():
    X, Y, _ = make_regression(6, n=10, p=2)
    m = accumulate(X, Y, np.zeros(10), shift=(np.zeros(2), np.zeros(1)))
    with pytest.raises(ValueError, match="sample weights"):
        m.means()


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_moments_equal_dense(fmt, fit_intercept, forbid_densify):
    rng = np.random.default_rng(7)
    n, p = 40, 6
    X = rng.normal(size=(n, p)) * (rng.uniform(size=(n, p)) < 0.4) + 0.0
    X[:, 0] += 3.0  # a dense, far-from-zero column stresses the centering update
    Y = rng.normal(size=(n, 2))
    s = rng.uniform(0.5, 2.0, n)
    Xs = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    forbid_densify(n, p)
    ms = accumulate(Xs, Y, s)
    md = accumulate(X, Y, s)
    np.testing.assert_array_equal(ms.shift_x, np.zeros(p))  # sparse data are never shifted
    _assert_moments(ms, _direct(X, Y, s, np.zeros(p), ms.shift_y), rtol=1e-12, atol=1e-12)
    cs, cd = ms.centered(fit_intercept), md.centered(fit_intercept)
    for name in ("G", "C", "yy"):
        a, b = getattr(cs, name), getattr(cd, name)
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-11 * np.abs(b).max(), err_msg=name)
    np.testing.assert_allclose(cs.mean_x + ms.shift_x, cd.mean_x + md.shift_x, atol=1e-12)


def test_sparse_with_nonzero_shift_is_refused():
    X = sp.random(10, 3, density=0.5, format="csr", random_state=0)
    Y = np.ones((10, 1))
    with pytest.raises(ValueError, match="zero x shift"):
        accumulate(X, Y, np.ones(10), shift=(np.ones(3), np.zeros(1)))


def test_reference_point_sparse_is_zero():
    X = sp.random(10, 3, density=0.5, format="csr", random_state=0)
    Y = np.arange(10.0)[:, None]
    s = np.linspace(1, 2, 10)
    sx, sy = reference_point(X, Y, s)
    np.testing.assert_array_equal(sx, np.zeros(3))
    np.testing.assert_allclose(sy, [s @ Y[:, 0] / s.sum()], rtol=1e-14)


@pytest.mark.parametrize("order", ["C", "F"])
def test_order_and_float32(order):
    X, Y, s = make_regression(8, n=30, p=4, k=1, weighted=True)
    X32 = np.asarray(X, dtype=np.float32, order=order)
    m = accumulate(X32, Y, s)
    assert m.G.dtype == np.float64 and m.C.dtype == np.float64
    ref = accumulate(np.ascontiguousarray(X32, dtype=np.float64), Y, s)
    for name in ("sw", "sx", "sy", "G", "C", "yy"):
        # first moments about the mean are round-off: compare on the scale of the data
        np.testing.assert_allclose(getattr(m, name), getattr(ref, name), rtol=1e-12,
                                   atol=1e-12 * np.abs(X).sum(), err_msg=name)
