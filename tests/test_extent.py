"""The one-pass column extent against NumPy's two reductions."""

import numpy as np
import pytest

from ridgeline.stats.extent import column_max_min


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
def test_column_max_min_equals_numpy(dtype, order):
    rng = np.random.default_rng(0)
    X = np.asarray(rng.standard_normal((257, 7)) * [1, 1e3, 1e-3, 1e150, 1, 1, 1], dtype=dtype,
                   order=order)
    X[:, 5] = -2.5  # a constant column
    X[-1, 6] = 9.0  # the extreme in the last row
    hi, lo = column_max_min(X)
    assert hi.dtype == lo.dtype == np.float64
    np.testing.assert_array_equal(hi, X.max(axis=0).astype(np.float64))
    np.testing.assert_array_equal(lo, X.min(axis=0).astype(np.float64))
