"""Compiled (numba) row loops of the passes over a batch, each reading every row once.

:func:`gradient_sums` is a GLM gradient pass (:func:`softmax_gradient_sums` the softmax
one, measured ~4× faster than the NumPy route); :func:`column_sums` the column sums and ``Xᵀy``
beside a batch's Gram matrix (:func:`ridgeline.stats.source.batch_fold_moments`), one read of
X instead of a BLAS product with a two-column matrix (measured 10 ms against 25 ms on a
250,000 × 100 float64 batch).

A gradient-only pass — no Hessian, unit weights, every row training every model, the pass
the Newton/L-BFGS fits on a source spend most of their passes on — needs per model j::

    Σ_i ℓ(y_i, η_ij),   Σ_i ℓ'(y_i, η_ij) x_i,   Σ_i ℓ'(y_i, η_ij),   η_ij = x_iᵀw_j + b_j

The NumPy route (:func:`ridgeline.stats.source.batch_glm_stats`) forms these a block at a
time with two BLAS calls and a dozen element-wise calls per block; this loop does one row at
a time while the row is in L1 cache: a dot product, the loss and its derivative (one ``exp``
for the binomial and Poisson losses, two for the Tweedie and gamma deviances), and an axpy
into the gradient. On a 250,000 × 100 float64 batch it takes ~10–13 ms (binomial) against
~15–22 ms for the blocked NumPy route, near the ~9 ms it takes BLAS just to read X for
``Xw`` (measured on this project's 2-core AMD EPYC machine; two such passes at once, as two
Dask workers run them, take ~15–18 ms each). The binomial loss is written
``log(1 + e^{−|η|})`` with ``log`` rather than ``log1p`` (1.5× faster here): the two differ
by at most 1.1e-16 per row, absolute.

Sums are accumulated per block of :data:`_SUM_ROWS` rows and then added to the totals, so a
batch's rounding error grows with its number of blocks rather than its rows. The loop may
reassociate and contract floating-point operations (SIMD) but keeps IEEE NaN/inf semantics,
so a non-finite feature still turns the sums non-finite — which the caller uses as its
NaN/inf check of the rows (a finite result proves every row finite: each feature value enters
its row's η through a product, ``NaN·0 = NaN`` and ``±inf·0 = NaN``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

#: Loss families the compiled pass implements (``loss.name`` → family code). Code 2 is the
#: Tweedie deviance of power ``loss.power`` with the log link (the gamma deviance is power 2;
#: see :mod:`ridgeline.losses.tweedie`), taken by the kernels' ``power`` argument.
FAMILIES = {"binomial": 0, "poisson": 1, "gamma": 2, "tweedie": 2}

#: Rows per partial sum (see the module docstring).
_SUM_ROWS = 4096

# reassociation (SIMD reductions) and FMA contraction, but no "nnan"/"ninf": NaN and inf must
# propagate, they are the pass's check of the rows
_FAST = {"reassoc", "contract", "arcp"}


def compiled_rows(X: np.ndarray, held_out: np.ndarray, hessian: bool,
                  weights: np.ndarray | None) -> bool:
    """Whether a pass over the rows X can take a compiled loop here: gradient-only, unit
    weights, every row training every model (no held-out fold), C-ordered float64 rows."""
    return (not hessian and weights is None and bool(np.all(held_out < 0))
            and X.dtype == np.float64 and X.flags.c_contiguous)


def family_args(loss) -> tuple[int, float, float]:
    """``(family code, eta_max, power)`` of ``loss`` for the kernels (KeyError for a loss
    outside :data:`FAMILIES`)."""
    return (FAMILIES[loss.name], float(getattr(loss, "eta_max", np.inf)),
            float(getattr(loss, "power", 0.0)))


@njit(cache=True, nogil=True, fastmath=_FAST)
def _loss_and_slope(family, y, eta, eta_max, power):
    """``(ℓ(y, η), ℓ'(y, η))`` of one row (see :mod:`ridgeline.losses`)."""
    if family == 0:  # binomial: log(1 + e^η) − yη, written not to overflow
        e = math.exp(-abs(eta))
        loss = max(eta, 0.0) + math.log(1.0 + e) - y * eta
        p = (1.0 if eta >= 0.0 else e) / (1.0 + e)
        return loss, p - y
    if family == 2:
        v, d, _ = _tweedie(y, eta, eta_max, power)
        return v, d
    # Poisson deviance 2(y log(y/μ) − y + μ), μ = e^η
    mu = math.exp(min(eta, eta_max))
    ylogy = y * math.log(y) if y > 0.0 else 0.0
    return 2.0 * (ylogy - y * eta - y + mu), 2.0 * (mu - y)


@njit(cache=True, nogil=True, fastmath=_FAST)
def _tweedie(y, eta, eta_max, p):
    """``(ℓ, ℓ', c)`` of the log-link Tweedie deviance of power p ∈ {0} ∪ [1, 2] (c: ℓ'',
    safeguarded as ``max(ℓ'', μ²)`` for p = 0; see :mod:`ridgeline.losses.tweedie`)."""
    a = math.exp(min((1.0 - p) * eta, eta_max))  # μ^{1−p}
    b = math.exp(min((2.0 - p) * eta, eta_max))  # μ^{2−p}
    d = 2.0 * (b - y * a)
    c = 2.0 * ((2.0 - p) * b - (1.0 - p) * y * a)
    if p == 1.0:
        ylogy = y * math.log(y) if y > 0.0 else 0.0
        v = 2.0 * (ylogy - y * eta - y + b)
    elif p == 2.0:
        v = 2.0 * (eta - math.log(y) + y * a - 1.0)
    elif p == 0.0:
        v = (y - a) * (y - a)
        c = max(c, b)
    else:
        head = max(y, 0.0) ** (2.0 - p) / ((1.0 - p) * (2.0 - p))
        v = 2.0 * (head - y * a / (1.0 - p) + b / (2.0 - p))
    return v, d, c


@njit(cache=True, nogil=True, fastmath=_FAST)
def gradient_sums(X, y, W, b, family, eta_max, power=0.0):
    """Loss, gradient and intercept-gradient sums of B models over the rows of X.

    Parameters
    ----------
    X : ndarray (m, p) float64, C-ordered
    y : ndarray (m,) float64
        Targets, already encoded for the loss (0/1 for the binomial).
    W : ndarray (B, p), b : ndarray (B,)
        The models' coefficients and intercepts.
    family : int
        A value of :data:`FAMILIES`.
    eta_max : float
        Largest η before ``exp`` (Poisson; see :mod:`ridgeline.losses.poisson`).
    power : float, default=0.0
        The Tweedie power of family 2 (ignored by the others).

    Returns
    -------
    loss : ndarray (B,), grad_w : ndarray (B, p), grad_b : ndarray (B,)
    """
    m, p = X.shape
    B = W.shape[0]
    loss = np.zeros(B)
    grad = np.zeros((B, p))
    gb = np.zeros(B)
    part_g = np.zeros((B, p))
    part_l = np.zeros(B)
    part_b = np.zeros(B)
    for a in range(0, m, _SUM_ROWS):
        part_g[:] = 0.0
        part_l[:] = 0.0
        part_b[:] = 0.0
        for i in range(a, min(a + _SUM_ROWS, m)):
            for j in range(B):
                eta = b[j]
                for k in range(p):
                    eta += X[i, k] * W[j, k]
                v, d = _loss_and_slope(family, y[i], eta, eta_max, power)
                part_l[j] += v
                part_b[j] += d
                for k in range(p):
                    part_g[j, k] += d * X[i, k]
        loss += part_l
        gb += part_b
        grad += part_g
    return loss, grad, gb


@njit(cache=True, nogil=True, fastmath=_FAST)
def column_sums(X, y):
    """``(Σ_i x_i, Σ_i y_i x_i)`` of X (m, p) C-ordered float64 and y (m,), each (p,)."""
    m, p = X.shape
    S = np.zeros(p)
    c = np.zeros(p)
    part_s = np.zeros(p)
    part_c = np.zeros(p)
    for a in range(0, m, _SUM_ROWS):
        part_s[:] = 0.0
        part_c[:] = 0.0
        for i in range(a, min(a + _SUM_ROWS, m)):
            yi = y[i]
            for k in range(p):
                part_s[k] += X[i, k]
                part_c[k] += yi * X[i, k]
        S += part_s
        c += part_c
    return S, c


@njit(cache=True, nogil=True, fastmath=_FAST)
def softmax_gradient_sums(X, labels, WT, b):
    """Softmax loss and gradient sums of B models over the rows of X (gradient-only pass).

    Parameters
    ----------
    X : ndarray (m, p) float64, C-ordered
    labels : ndarray of int64 (m,)
        Class indices in ``[0, C)``.
    WT : ndarray (B, C, p)
        Coefficients, class-major (``W[j].T`` of each model).
    b : ndarray (B, C)

    Returns
    -------
    loss : ndarray (B,)
        ``Σ_i (logsumexp(η_i) − η_{i, y_i})``.
    grad : ndarray (B, C, p + 1)
        ``Σ_i (π_ic − [y_i = c]) x̃_i`` with ``x̃ = [x, 1]`` (class-major).
    """
    m, p = X.shape
    B, C = b.shape
    loss = np.zeros(B)
    grad = np.zeros((B, C, p + 1))
    part_g = np.zeros((B, C, p + 1))
    part_l = np.zeros(B)
    eta = np.zeros(C)
    for a in range(0, m, _SUM_ROWS):
        part_g[:] = 0.0
        part_l[:] = 0.0
        for i in range(a, min(a + _SUM_ROWS, m)):
            y = labels[i]
            for j in range(B):
                top = -np.inf
                for c in range(C):
                    e = b[j, c]
                    for k in range(p):
                        e += X[i, k] * WT[j, c, k]
                    eta[c] = e
                    top = max(top, e)
                eta_y = eta[y]
                tot = 0.0
                for c in range(C):
                    eta[c] = math.exp(eta[c] - top)  # overwritten by e^{η_c − max η}
                    tot += eta[c]
                part_l[j] += top + math.log(tot) - eta_y  # logsumexp(η) − η_y
                for c in range(C):
                    r = eta[c] / tot - (1.0 if c == y else 0.0)
                    for k in range(p):
                        part_g[j, c, k] += r * X[i, k]
                    part_g[j, c, p] += r
        loss += part_l
        grad += part_g
    return loss, grad


@njit(cache=True, nogil=True, fastmath=_FAST)
def eta_sums(eta, y, tw, hw, weighted, family, eta_max, hessian, power=0.0):
    """The per-row part of a GLM pass of B models, from their linear predictors.

    Given ``η = W Xᵀ + b`` (one BLAS product), one loop over each model's row of η forms the
    loss and held-out sums and the rows' gradient and curvature factors, which ``G X`` and
    ``Xᵀ diag(H_j) X`` then turn into the gradient and Hessian.

    Parameters
    ----------
    eta : ndarray (B, m)
    y : ndarray (m,)
        Targets encoded for the loss (0/1 for the binomial).
    tw, hw : ndarray (B, m)
        Training and held-out weights (ignored when not ``weighted``: every row then trains
        every model with unit weight).
    weighted : bool
    family, eta_max : int, float
        A value of :data:`FAMILIES`; the largest η before ``exp``.
    hessian, power : bool, float
        Also form the curvature factors H; the Tweedie power of family 2 (default 0).

    Returns
    -------
    sums : ndarray (6, B)
        Rows: ``Σ tw``, ``Σ tw ℓ``, ``Σ tw ℓ'``, ``Σ hw``, ``Σ hw ℓ``, ``Σ hw [sign(η) = y]``.
    G : ndarray (B, m)
        ``tw ℓ'``.
    H : ndarray (B, m), ``tw ℓ''`` (empty (B, 0) without ``hessian``)
    """
    B, m = eta.shape
    sums = np.zeros((6, B))
    G = np.empty((B, m))
    H = np.empty((B, m if hessian else 0))
    for j in range(B):
        for a in range(0, m, _SUM_ROWS):
            s0 = s1 = s2 = s3 = s4 = s5 = 0.0
            for i in range(a, min(a + _SUM_ROWS, m)):
                e = eta[j, i]
                v, d, c = _loss_slope_curvature(family, y[i], e, eta_max, power)
                t = tw[j, i] if weighted else 1.0
                s0 += t
                s1 += t * v
                s2 += t * d
                G[j, i] = t * d
                if hessian:
                    H[j, i] = t * c
                if weighted:
                    u = hw[j, i]
                    s3 += u
                    s4 += u * v
                    if (e > 0.0) == (y[i] > 0.5):
                        s5 += u
            sums[0, j] += s0
            sums[1, j] += s1
            sums[2, j] += s2
            sums[3, j] += s3
            sums[4, j] += s4
            sums[5, j] += s5
    return sums, G, H


@njit(cache=True, nogil=True, fastmath=_FAST)
def _loss_slope_curvature(family, y, eta, eta_max, power):
    """``(ℓ, ℓ', ℓ'')`` of one row (see :func:`_loss_and_slope`)."""
    if family == 0:
        e = math.exp(-abs(eta))
        loss = max(eta, 0.0) + math.log(1.0 + e) - y * eta
        p = (1.0 if eta >= 0.0 else e) / (1.0 + e)
        return loss, p - y, p * (1.0 - p)
    if family == 2:
        return _tweedie(y, eta, eta_max, power)
    mu = math.exp(min(eta, eta_max))
    ylogy = y * math.log(y) if y > 0.0 else 0.0
    return 2.0 * (ylogy - y * eta - y + mu), 2.0 * (mu - y), 2.0 * mu


@njit(cache=True, nogil=True, fastmath=_FAST)
def scale_rows(X, r, out):
    """``out[i] = r[i] · X[i]`` for rows X (m, p) into ``out`` (m, p) of any float dtype (a
    float32 copy of float64 rows for a single-precision ``syrk``: one read of X, where NumPy's
    mixed-dtype multiply takes about twice as long)."""
    m, p = out.shape
    for i in range(m):
        ri = r[i]
        for k in range(p):
            out[i, k] = X[i, k] * ri
