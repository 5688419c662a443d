"""Per-batch kernels of the GLM pass: loss, gradient and Hessian sums of B models.

Pure functions of one :class:`~ridgeline.stats.batch.Batch`; files run them batch by batch and
Dask partition by partition, and the results add.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from ridgeline.stats.batch import Batch, block_rows, check_finite
from ridgeline.stats.members import member_weights
from ridgeline.stats.row_kernels import (
    FAMILIES,
    compiled_rows,
    eta_sums,
    family_args,
    gradient_sums,
    scale_rows,
)
from ridgeline.stats.source import GLMPassResult


def batch_glm_stats(batch: Batch, loss, coef: np.ndarray, intercept: np.ndarray,
                    held_out: np.ndarray, hessian: bool,
                    weights: np.ndarray | None = None,
                    check: tuple[Sequence[str], str, str | None] | None = None
                    ) -> GLMPassResult:
    """:class:`GLMPassResult` of one batch for B models (see :meth:`StatisticsSource.glm_pass`).

    ``weights`` (m,) are per-row sample weights (unit weights when None): every sum, the
    weight totals ``sw``/``held_sw`` included, is weighted. The rows are taken a cache-sized
    block at a time, so the products ``X_b w`` and ``X_bᵀ g`` (and the Hessian's ``syrk``)
    read each block of X from memory once. With ``check = (feature names, span, first_at)``
    each block is also checked for NaN/inf while it is in cache (:func:`check_finite`).
    """
    X = batch.X
    B, p = coef.shape
    encode = getattr(loss, "encode", None)  # e.g. class labels → 0/1
    if _compiled_pass_applies(X, loss, held_out, hessian, weights):
        return _compiled_gradient_pass(batch, loss, coef, intercept,
                                       encode(batch.y) if encode is not None else batch.y,
                                       check)
    out = GLMPassResult.zeros(B, p, hessian)
    R = block_rows(p * (3 if hessian else 1) + 4 * B)
    # one scaled-rows buffer for every block's Hessian: under Dask's worker setting
    # MALLOC_TRIM_THRESHOLD_ a fresh 2 MiB temporary per block page-faults every time
    # (measured 0.19 s instead of 0.11 s per 250,000 × 100 Hessian pass)
    buf = np.empty((min(R, X.shape[0]), p)) if hessian else None
    for a in range(0, X.shape[0], R):
        rows = slice(a, a + R)
        y = batch.y[rows]
        if check is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                if not np.isfinite(np.sum(X[rows], dtype=np.float64)):
                    check_finite(X, *check)  # raises, naming the row (unless an overflow)
        tw, hw = member_weights(batch.fold[rows], held_out,
                                None if weights is None else weights[rows])
        glm_rows(out, X[rows], (encode(y) if encode is not None else y)[:, None], tw, hw,
                 loss, coef, intercept, hessian, buf)
    return out


def _compiled_pass_applies(X: np.ndarray, loss, held_out: np.ndarray, hessian: bool,
                           weights: np.ndarray | None) -> bool:
    """Whether :func:`ridgeline.stats.row_kernels.gradient_sums` can serve a batch's pass: a
    gradient-only pass of a loss it implements, unit weights, every row training every model,
    C-ordered float64 rows."""
    return (compiled_rows(X, held_out, hessian, weights)
            and getattr(loss, "name", None) in FAMILIES and X.shape[0] > 0)


def _compiled_gradient_pass(batch: Batch, loss, coef: np.ndarray, intercept: np.ndarray,
                            y: np.ndarray, check) -> GLMPassResult:
    """The gradient-only pass of one batch by the compiled row loop; its sums double as the
    NaN/inf check of the rows (a non-finite feature makes them non-finite)."""
    X = batch.X
    B, p = coef.shape
    value, grad_w, grad_b = gradient_sums(
        X, np.ascontiguousarray(y, dtype=np.float64), np.ascontiguousarray(coef),
        np.ascontiguousarray(intercept), *family_args(loss))
    if check is not None and not (np.isfinite(value).all() and np.isfinite(grad_w).all()):
        check_finite(X, *check)  # raises, naming the row (else the model overflowed)
    out = GLMPassResult.zeros(B, p, False)
    out.sw += X.shape[0]
    out.loss += value
    out.grad_w += grad_w
    out.grad_b += grad_b
    return out


def glm_rows(out: GLMPassResult, X, yb: np.ndarray, tw: np.ndarray | None,
             hw: np.ndarray | None, loss, coef: np.ndarray, intercept: np.ndarray,
             hessian: bool, buf: np.ndarray | None = None,
             offset: np.ndarray | None = None) -> np.ndarray:
    """Add rows X (r, p) with encoded targets yb (r, 1) to ``out`` in place; returns the
    models' linear predictors η (r, B).

    ``η = W Xᵀ + b (+ offset)`` (B, r) is one product (``offset`` (r,): a fixed per-row
    term of every model's η, e.g. log exposure: glmnet's and glum's ``offset``; added here,
    before the compiled loop, which takes η as given), the loss, held-out and per-row
    factors one compiled loop over it (:func:`~ridgeline.stats.row_kernels.eta_sums`), and
    the gradient and Hessian one product with X each. ``tw``/``hw`` (r, B) are each row's
    training and held-out weight for every model
    (:func:`~ridgeline.stats.members.member_weights`; both None: every row trains every model
    with unit weight). X may be dense (float64 or float32) or SciPy sparse; ``buf`` is a
    (q, p) workspace for the Hessian's scaled rows (float32 for a curvature), taken ``q`` rows
    at a time (default: one float64 block of
    :func:`~ridgeline.stats.batch.block_rows` rows).
    """
    family = getattr(loss, "name", None)
    if family not in FAMILIES:
        raise TypeError(f"glm_pass takes the binomial or Poisson loss, got "
                        f"{type(loss).__name__} ({family!r}); the softmax has multinomial_pass")
    # B long rows of η: measured 4.7 ms for W Xᵀ against 8.5 ms for X Wᵀ (100,000 × 100, B = 5)
    etaT = _right_product(coef, X.T) if not sp.issparse(X) else \
        np.ascontiguousarray(np.asarray(X @ coef.T).T)
    etaT += intercept[:, None]
    if offset is not None:
        etaT += offset[None, :]
    weighted = tw is not None
    empty = np.empty((etaT.shape[0], 0))
    code, eta_max, power = family_args(loss)
    sums, G, H = eta_sums(etaT, np.ascontiguousarray(yb[:, 0]),
                          tw.T if weighted else empty, hw.T if weighted else empty, weighted,
                          code, eta_max, hessian, power)
    out.sw += sums[0]
    out.loss += sums[1]
    out.grad_b += sums[2]
    out.held_sw += sums[3]
    out.held_loss += sums[4]
    out.held_correct += sums[5]
    if hessian:  # gradient and H_wb from one read of X: [G; H] X
        B = G.shape[0]
        both = _right_product(np.concatenate([G, H]), X)
        out.grad_w += both[:B]
        out.hess_wb += both[B:]
        out.hess_bb += H.sum(axis=1)
        add_scaled_grams(out.hess_ww, X, H.T, buf)
    else:
        out.grad_w += _right_product(G, X)
    return etaT.T


def _right_product(D: np.ndarray, X) -> np.ndarray:
    """``D X`` (B, p) for D (B, r) and dense or sparse X (r, p), in float64."""
    if sp.issparse(X):
        return np.asarray((X.T @ D.T).T)
    return D @ X


def add_scaled_grams(H: np.ndarray, X, d: np.ndarray, buf: np.ndarray | None = None) -> None:
    """``H[j] += Xᵀ diag(d[:, j]) X`` for every model j (``d ≥ 0``).

    Dense X: the rows are scaled by ``√d`` into ``buf`` (float64 (q, p), reused; default one
    cache-sized block) ``q`` rows at a time, and each block's ``ZᵀZ`` is a BLAS ``syrk``.
    Sparse X: one sparse product per model (X stays sparse).
    """
    if sp.issparse(X):
        for j in range(d.shape[1]):
            Z = sp.csr_matrix(X.multiply(np.sqrt(d[:, j])[:, None]))
            H[j] += (Z.T @ Z).toarray()
        return
    m, p = X.shape
    if buf is None:
        buf = np.empty((min(m, block_rows(p)), p))
    q = buf.shape[0]
    compiled = X.dtype == np.float64 and X.flags.c_contiguous and buf.flags.c_contiguous
    for a in range(0, m, q):
        Xa = X[a:a + q]
        Z = buf[:Xa.shape[0]]
        for j in range(d.shape[1]):
            root = np.sqrt(d[a:a + q, j])
            if compiled:
                scale_rows(Xa, root, Z)
            else:
                np.multiply(Xa, root[:, None], out=Z)
            H[j] += Z.T @ Z
