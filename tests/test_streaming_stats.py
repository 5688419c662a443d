"""Chunked (streamed) accumulation of per-fold moments equals the in-memory computation."""

import numpy as np
import pytest
import scipy.sparse as sp

from ridgeline.stats import FoldMomentsAccumulator, fold_moments


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_stream_equals_in_memory(sparse, chunk):
    rng = np.random.default_rng(3)
    n, p, k, K = 150, 6, 2, 4
    X = rng.normal(size=(n, p)) + 2.0
    if sparse:
        X[rng.random((n, p)) < 0.6] = 0.0
        X = sp.csr_matrix(X)
    Y = rng.normal(size=(n, k))
    s = rng.uniform(0.2, 2.0, size=n)
    fold = rng.integers(0, K, size=n)
    shift = (np.zeros(p), np.zeros(k))
    total_ref, folds_ref = fold_moments(X, Y, s, [np.flatnonzero(fold == j) for j in range(K)],
                                        shift=shift)
    acc = FoldMomentsAccumulator(K, *shift)
    for a in range(0, n, chunk):
        acc.update(X[a : a + chunk], Y[a : a + chunk], s[a : a + chunk], fold[a : a + chunk])
    total, folds = acc.result()
    for got, ref in zip([total, *folds], [total_ref, *folds_ref], strict=True):
        assert got.n == ref.n
        np.testing.assert_allclose(got.G, ref.G, rtol=1e-12, atol=1e-10)
        np.testing.assert_allclose(got.C, ref.C, rtol=1e-12, atol=1e-10)
        np.testing.assert_allclose(got.yy, ref.yy, rtol=1e-12)
        np.testing.assert_allclose(got.sx, ref.sx, rtol=1e-12, atol=1e-10)
        assert got.sw == pytest.approx(ref.sw, rel=1e-13)


def test_bad_fold_ids():
    acc = FoldMomentsAccumulator(2, np.zeros(1), np.zeros(1))
    with pytest.raises(ValueError, match="fold ids must lie"):
        acc.update(np.ones((2, 1)), np.ones((2, 1)), np.ones(2), np.array([0, 2]))
    with pytest.raises(ValueError, match="shape"):
        acc.update(np.ones((2, 1)), np.ones((2, 1)), np.ones(2), np.array([0]))
