"""The one-pass column extent against NumPy's two reductions."""

import numpy as np
import pytest

import ridgeline.stats.extent as extent
from ridgeline.stats.extent import column_max_min


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("compiled_size", [1, extent.COMPILED_SIZE])
def test_column_max_min_equals_numpy(dtype, order, compiled_size, monkeypatch):
    monkeypatch.setattr(extent, "COMPILED_SIZE", compiled_size)
    rng = np.random.default_rng(0)
    big = 1e150 if dtype == np.float64 else 1e30
    X = np.asarray(rng.standard_normal((257, 7)) * [1, 1e3, 1e-3, big, 1, 1, 1], dtype=dtype,
                   order=order)
    X[:, 5] = -2.5  # a constant column
    X[-1, 6] = 9.0  # the extreme in the last row
    hi, lo = column_max_min(X)
    assert hi.dtype == lo.dtype == np.float64
    np.testing.assert_array_equal(hi, X.max(axis=0).astype(np.float64))
    np.testing.assert_array_equal(lo, X.min(axis=0).astype(np.float64))
