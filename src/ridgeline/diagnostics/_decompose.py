"""The loss decompositions of :mod:`ridgeline.diagnostics.bias_variance`, from predictions.

Given the predictions of R training rounds at L λ and m test points, the squared loss splits
into bias², variance and noise (Geman, Bienenstock & Doursat 1992), the 0-1 loss into
Domingos' (2000) terms; each noise term is known, measured or estimated as the caller says.
"""

from __future__ import annotations

import numpy as np

from ridgeline.diagnostics._fits import as_dense

__all__ = ["domingos", "nonneg", "squared_terms", "zero_one_terms"]


def nonneg(v, name) -> float:
    v = float(v)
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be finite and non-negative, got {v!r}")
    return v


def squared_terms(P, y_test, f_test, noise, X, y) -> dict:
    R = P.shape[0]
    P = P.astype(np.float64)
    main = P.mean(axis=0)  # (L, m)
    var_pt = P.var(axis=0, ddof=1)  # (L, m)
    variance = var_pt.mean(axis=1)
    err_pt = ((P - y_test) ** 2).mean(axis=0)  # (L, m)
    measured = err_pt.mean(axis=1)
    se = err_pt.std(axis=1, ddof=1) / np.sqrt(err_pt.shape[1]) if err_pt.shape[1] > 1 \
        else np.full(err_pt.shape[0], np.nan)
    sigma2, source = _noise_squared(noise, y_test, f_test, X, y)
    target = f_test if f_test is not None else y_test
    bias2 = ((main - target) ** 2 - var_pt / R).mean(axis=1)
    if f_test is None:
        bias2 = bias2 - sigma2
    noise_arr = np.full(variance.size, sigma2)
    return {"bias2": bias2, "variance": variance, "noise": noise_arr,
            "total": bias2 + variance + noise_arr, "expected_error": measured,
            "expected_error_se": se, "noise_source": source}


def _noise_squared(noise, y_test, f_test, X, y) -> tuple[float, str]:
    if isinstance(noise, str):
        if noise not in ("auto", "estimate"):
            raise ValueError(f"noise must be 'auto', 'estimate' or a number, got {noise!r}")
        if noise == "auto" and f_test is not None:
            return float(np.mean((y_test - f_test) ** 2)), \
                "measured: mean (y_test − f_test)² at the test points"
        n, p = X.shape
        if n > p + 1:
            return _ols_noise(X, y), f"estimated: least-squares RSS/(n − p − 1) on the pool " \
                                     f"(n={n}, p={p})"
        if noise == "estimate":
            raise ValueError(f"cannot estimate the noise by least squares with n={n} ≤ p+1="
                             f"{p + 1}: give noise=σ² or f_test")
        return 0.0, "assumed zero (n ≤ p+1, no truth given): bias² includes the noise"
    if np.ndim(noise) != 0:
        raise ValueError("for squared loss, noise is the variance σ² (a number)")
    return nonneg(noise, "noise"), "known: σ² given"


def _ols_noise(X, y) -> float:
    Xd = as_dense(X)
    A = np.column_stack([Xd, np.ones(Xd.shape[0])])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    r = y - A @ coef
    rank = np.linalg.matrix_rank(A)
    return float(r @ r / (Xd.shape[0] - rank))


# ---- 0-1 loss (Domingos) -----------------------------------------------------------------------
def zero_one_terms(P, y_test, f_test, noise) -> dict:
    classes = np.unique(np.concatenate([np.unique(P), np.unique(y_test)] +
                                       ([np.unique(f_test)] if f_test is not None else [])))
    codes = np.searchsorted(classes, P)  # (R, L, m)
    t = np.searchsorted(classes, y_test)
    ystar = np.searchsorted(classes, f_test) if f_test is not None else t
    noise_free = f_test is None
    out = domingos(codes, ystar, classes.size)
    wrong = (codes != t[None, None, :]).mean(axis=0)  # (L, m)
    measured = wrong.mean(axis=1)
    se = wrong.std(axis=1, ddof=1) / np.sqrt(wrong.shape[1]) if wrong.shape[1] > 1 \
        else np.full(wrong.shape[0], np.nan)
    if noise_free:
        if not (isinstance(noise, str) and noise == "auto"):
            raise ValueError("a 0-1 noise level needs the optimal classes f_test")
        noise_term, source = np.zeros(measured.size), \
            "assumed zero: the observed test labels are taken as the optimal predictions " \
            "(Domingos 2000)"
    else:
        N, source = _noise_zero_one(noise, y_test, f_test)
        if classes.size > 2 and np.any(N > 0):
            raise ValueError("the Domingos noise term is implemented for two classes; with more "
                             "classes give noise=0")
        p_star = (codes == ystar[None, None, :]).mean(axis=0)  # (L, m)
        noise_term = ((2.0 * p_star - 1.0) * N[None, :]).mean(axis=1)
    return {"bias2": out["bias"], "variance": out["variance"], "noise": noise_term,
            "total": noise_term + out["bias"] + out["variance"], "expected_error": measured,
            "expected_error_se": se, "noise_source": source,
            "variance_unbiased": out["variance_unbiased"],
            "variance_biased": out["variance_biased"]}


def _noise_zero_one(noise, y_test, f_test) -> tuple[np.ndarray, str]:
    m = y_test.size
    if isinstance(noise, str):
        if noise != "auto":
            raise ValueError(f"for 0-1 loss, noise must be 'auto', a probability or an array, "
                             f"got {noise!r}")
        return np.zeros(m), "assumed zero: f_test taken as noise-free labels"
    N = np.broadcast_to(np.asarray(noise, dtype=np.float64), (m,)).copy()
    if not np.all(np.isfinite(N)) or np.any((N < 0) | (N > 1)):
        raise ValueError("for 0-1 loss, noise is P(t ≠ y*) per test point: values in [0, 1]")
    return N, "known: P(t ≠ y*) given"


def domingos(codes: np.ndarray, ystar: np.ndarray, n_classes: int) -> dict:
    """Domingos (2000) terms from class codes ``codes`` (R, L, m) and optimal codes (m,).

    Returns ``bias``, net ``variance``, ``variance_unbiased``, ``variance_biased`` (each (L,))
    and ``main`` (L, m) (the mode over rounds; ties go to the smallest class code).
    """
    R = codes.shape[0]
    counts = np.stack([(codes == k).sum(axis=0) for k in range(n_classes)])  # (C, L, m)
    main = np.argmax(counts, axis=0)  # (L, m)
    B = (main != ystar[None, :]).astype(np.float64)
    n_main = np.take_along_axis(counts, main[None], axis=0)[0]
    V = 1.0 - n_main / R
    hits = (codes == ystar[None, None, :]).sum(axis=0)  # (L, m) rounds predicting y*
    off = R - n_main  # rounds predicting anything but y_m
    with np.errstate(invalid="ignore", divide="ignore"):
        c_biased = -np.where(off > 0, hits / np.where(off > 0, off, 1), 1.0)
    c2 = np.where(B > 0, c_biased, 1.0)
    return {"bias": B.mean(axis=1), "variance": (c2 * V).mean(axis=1),
            "variance_unbiased": ((1.0 - B) * V).mean(axis=1),
            "variance_biased": (B * V).mean(axis=1), "main": main}


# ---- closed form for ridge ---------------------------------------------------------------------
