"""Shared slow-but-obvious references for the ridge tests.

Everything here is written from the canonical objective only,

    (1/n_w) Σ_i s_i (y_i − x_iᵀw − b)² + λ‖w‖²,   n_w = Σ s_i,   a = n_w·λ,

and solved by ``numpy.linalg.lstsq`` on the augmented system
``[S^{1/2}Xc; √a I] w ≈ [S^{1/2}yc; 0]`` (with the intercept recovered from the weighted
means). None of it calls ridgeline.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import metrics


@pytest.fixture(scope="module")
def client():
    """A Dask client on a 2-worker LocalCluster (processes, one thread each), per test module
    (a module may kill a worker); skipped without ``distributed``."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=50)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def make_regression(seed: int, n: int = 40, p: int = 5, k: int = 1, *, weighted: bool = False,
                    noise: float = 1.0, offset: float = 2.0):
    """Correlated, shifted, unevenly scaled features; ``k`` targets; optional weights."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, p))
    mix = np.eye(p) + 0.4 * rng.normal(size=(p, p))
    X = Z @ mix * rng.uniform(0.5, 3.0, p) + offset * rng.normal(size=p)
    W = rng.normal(size=(p, k))
    Y = X @ W + rng.normal(size=k) + noise * rng.normal(size=(n, k))
    s = rng.uniform(0.3, 3.0, n) if weighted else np.ones(n)
    return X, Y, s


def dense(X) -> np.ndarray:
    return X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)


def weighted_scale_ref(X, s, mean) -> np.ndarray:
    """Weighted standard deviation about ``mean`` (1 for a constant column)."""
    sd = np.sqrt(s @ (X - mean) ** 2 / s.sum())
    return np.where(sd > 0, sd, 1.0)


def ridge_reference(X, Y, s, a, *, fit_intercept: bool = True, standardize: bool = False):
    """Weighted ridge by least squares on the augmented system, coefficients on X's scale.

    ``a`` is the unnormalized penalty (``n_w·λ``); with ``standardize`` the penalty applies to
    the features divided by their weighted standard deviation about the (weighted) mean, or
    about zero without an intercept. Returns ``(coef (p, k), intercept (k,))``.
    """
    X = dense(X)
    Y = np.asarray(Y, dtype=np.float64)
    Y2 = Y[:, None] if Y.ndim == 1 else Y
    s = np.asarray(s, dtype=np.float64)
    sw = s.sum()
    p = X.shape[1]
    mx = s @ X / sw if fit_intercept else np.zeros(p)
    my = s @ Y2 / sw if fit_intercept else np.zeros(Y2.shape[1])
    scale = weighted_scale_ref(X, s, mx) if standardize else np.ones(p)
    root = np.sqrt(s)[:, None]
    A = np.vstack([(X - mx) / scale * root, np.sqrt(a) * np.eye(p)])
    B = np.vstack([(Y2 - my) * root, np.zeros((p, Y2.shape[1]))])
    v = np.linalg.lstsq(A, B, rcond=None)[0]
    coef = v / scale[:, None]
    return coef, my - mx @ coef


def hat_matrix(X, s, a, *, fit_intercept: bool = True) -> np.ndarray:
    """The n×n weighted ridge hat matrix ``ŷ = H y`` (intercept included), formed explicitly."""
    X = dense(X)
    sw = s.sum()
    n, p = X.shape
    mx = s @ X / sw if fit_intercept else np.zeros(p)
    Xc = X - mx
    M = np.linalg.solve(Xc.T @ (s[:, None] * Xc) + a * np.eye(p), Xc.T * s[None, :])
    H = Xc @ M
    if fit_intercept:
        H = H + np.outer(np.ones(n), s) / sw
    return H


def fold_scores_by_refit(X, Y, s, splits, lambdas, *, scoring: str, convention: str,
                         fit_intercept: bool = True, standardize: bool = False) -> np.ndarray:
    """Held-out scores (K, L, k) by refitting every fold and every λ from scratch."""
    X = dense(X)
    Y = np.asarray(Y, dtype=np.float64)
    sw_all = s.sum()
    out = np.empty((len(splits), len(lambdas), Y.shape[1]))
    for i, (train, test) in enumerate(splits):
        sw_tr = s[train].sum()
        for j, lam in enumerate(lambdas):
            a = lam * (sw_tr if convention == "canonical" else sw_all)
            coef, b = ridge_reference(X[train], Y[train], s[train], a,
                                      fit_intercept=fit_intercept, standardize=standardize)
            pred = X[test] @ coef + b
            out[i, j] = held_out_score(Y[test], pred, s[test], scoring)
    return out


def held_out_score(y, pred, w, scoring: str) -> np.ndarray:
    """Per-target held-out score (greater is better), weighted, written out by hand."""
    resid = y - pred
    if scoring == "neg_mean_squared_error":
        return -(w @ resid**2) / w.sum()
    if scoring == "neg_mean_absolute_error":
        return -(w @ np.abs(resid)) / w.sum()
    if scoring == "r2":
        ybar = w @ y / w.sum()
        return 1.0 - (w @ resid**2) / (w @ (y - ybar) ** 2)
    if scoring == "explained_variance":
        return np.atleast_1d(metrics.explained_variance_score(
            y, pred, sample_weight=w, multioutput="raw_values"))
    raise AssertionError(scoring)


def loo_residuals_by_refit(X, Y, s, a, *, fit_intercept: bool = True) -> np.ndarray:
    """``y_i − ŷ_i^{(−i)}`` from n refits, every refit with the same penalty ``a``."""
    X = dense(X)
    n = X.shape[0]
    out = np.empty_like(np.asarray(Y, dtype=np.float64))
    for i in range(n):
        keep = np.arange(n) != i
        coef, b = ridge_reference(X[keep], Y[keep], s[keep], a, fit_intercept=fit_intercept)
        out[i] = Y[i] - (X[i] @ coef + b)
    return out


def rel_err(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


_SPARSE_CLASSES = [
    getattr(sp, f"{fmt}_{kind}")
    for fmt in ("csr", "csc", "coo", "bsr", "lil", "dok", "dia")
    for kind in ("matrix", "array")
]


@pytest.fixture
def forbid_densify(monkeypatch):
    """``arm(n, p)`` makes densifying any sparse matrix with n_features columns (or rows) fail.

    Only the data matrix (and its row subsets / transpose) is protected: the p×p Gram and the
    n×n kernel, which are small by construction, may still be made dense.
    """

    def arm(n_samples: int, n_features: int) -> None:
        assert n_samples != n_features

        def guarded(cls, name):
            original = getattr(cls, name)

            def method(self, *args, **kwargs):
                shape = self.shape
                if n_features in shape and shape != (n_features, n_features):
                    raise AssertionError(f"{name}() densified sparse X (shape {shape})")
                return original(self, *args, **kwargs)

            return method

        for cls in _SPARSE_CLASSES:
            for name in ("toarray", "todense"):
                monkeypatch.setattr(cls, name, guarded(cls, name))

    return arm
