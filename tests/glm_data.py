"""Synthetic GLM data shared by the GLM test files."""

from __future__ import annotations

import numpy as np
from scipy.special import expit, softmax


def make_glm_data(kind: str, seed: int, n: int, p: int, K: int = 3, weighted: bool = True):
    """Shifted, unevenly scaled features; targets drawn from the model (not separable).

    ``kind``: "binomial" (0/1 targets), "multinomial" (one-hot, K classes) or "poisson".
    Returns ``(X (n, p), y, sample weights (n,))``.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, p) + 0.5 * rng.normal(size=p)
    if kind == "binomial":
        eta = X @ rng.normal(size=p) * 0.5 + 0.3
        y = (rng.uniform(size=n) < expit(eta)).astype(float)
    elif kind == "multinomial":
        E = X @ rng.normal(size=(p, K)) * 0.5
        u = rng.uniform(size=(n, 1))
        lab = np.minimum((u > np.cumsum(softmax(E, axis=1), axis=1)).sum(axis=1), K - 1)
        y = np.eye(K)[lab]
    else:
        eta = 0.3 * X @ rng.normal(size=p) + 0.2
        y = rng.poisson(np.exp(eta)).astype(float)
    s = rng.uniform(0.3, 3.0, n) if weighted else np.ones(n)
    return X, y, s
