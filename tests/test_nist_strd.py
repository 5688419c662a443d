"""NIST StRD linear regression (Wampler1, Wampler2): Ridge(alpha=0) to ≥ 10 correct digits.

The Wampler problems are degree-5 polynomials in x = 0, 1, …, 20 with exact (Wampler1, 2) data;
their certified coefficients are the generating ones. The log relative error (LRE) of every
coefficient must be at least 10: these designs are ill-conditioned (condition number ~5e15
uncentered), which is what the SVD route and its refinement step are for.
"""

from __future__ import annotations

import numpy as np
import pytest

import ridgeline as rl

_X = np.arange(21, dtype=np.float64)
_CASES = {
    "Wampler1": np.ones(6),
    "Wampler2": np.array([1.0, 0.1, 0.01, 0.001, 1e-4, 1e-5]),
}


@pytest.mark.parametrize("name", sorted(_CASES))
def test_wampler_ten_digits(name):
    beta = _CASES[name]
    X = np.column_stack([_X**k for k in range(1, 6)])
    y = beta[0] + X @ beta[1:]
    m = rl.Ridge(alpha=0.0).fit(X, y)
    b = np.concatenate([[m.intercept_], m.coef_])
    lre = -np.log10(np.abs(b - beta) / np.abs(beta) + 1e-300)
    assert m.solver_ == "svd"
    assert lre.min() >= 10.0
