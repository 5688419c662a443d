"""Per-batch kernels of the GLM pass: loss, gradient and Hessian sums of B models.

Pure functions of one :class:`~ridgeline.stats.batch.Batch`; files run them batch by batch and
Dask partition by partition, and the results add.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ridgeline.stats.batch import Batch, block_rows, check_finite
from ridgeline.stats.row_kernels import FAMILIES, compiled_rows, gradient_sums
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
        _glm_block(out, X[rows], (encode(y) if encode is not None else y)[:, None],
                   batch.fold[rows], None if weights is None else weights[rows], loss, coef,
                   intercept, held_out, hessian, buf)
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
        np.ascontiguousarray(intercept), FAMILIES[loss.name],
        float(getattr(loss, "eta_max", np.inf)))
    if check is not None and not (np.isfinite(value).all() and np.isfinite(grad_w).all()):
        check_finite(X, *check)  # raises, naming the row (else the model overflowed)
    out = GLMPassResult.zeros(B, p, False)
    out.sw += X.shape[0]
    out.loss += value
    out.grad_w += grad_w
    out.grad_b += grad_b
    return out


def _glm_block(out: GLMPassResult, X: np.ndarray, yb: np.ndarray, fold: np.ndarray,
               weights: np.ndarray | None, loss, coef: np.ndarray, intercept: np.ndarray,
               held_out: np.ndarray, hessian: bool, buf: np.ndarray | None) -> None:
    """Add one block of rows (X (r, p), encoded targets yb (r, 1)) to ``out`` in place
    (``buf``: a (≥ r, p) float64 workspace for the Hessian's scaled rows)."""
    eta = X @ coef.T + intercept[None, :]  # (r, B)
    val = loss.value(yb, eta)
    g, h = loss.derivatives(yb, eta)
    if weights is None and np.all(held_out < 0):  # every row trains every model, unit weight
        out.sw += X.shape[0]
        out.loss += val.sum(axis=0)
        out.grad_w += g.T @ X
        out.grad_b += g.sum(axis=0)
        if hessian:
            out.hess_wb += h.T @ X
            out.hess_bb += h.sum(axis=0)
            _add_scaled_grams(out.hess_ww, X, h, buf)
        return
    held = fold[:, None] == held_out[None, :]  # (r, B)
    tw = (~held).astype(np.float64)
    hw = held.astype(np.float64)
    if weights is not None:
        tw *= weights[:, None]
        hw *= weights[:, None]
    correct = ((eta > 0) == (yb > 0.5)).astype(np.float64)
    out.sw += tw.sum(axis=0)
    out.loss += np.einsum("mb,mb->b", tw, val)
    out.grad_w += (tw * g).T @ X
    out.grad_b += np.einsum("mb,mb->b", tw, g)
    out.held_sw += hw.sum(axis=0)
    out.held_loss += np.einsum("mb,mb->b", hw, val)
    out.held_correct += np.einsum("mb,mb->b", hw, correct)
    if hessian:
        th = tw * h
        out.hess_wb += th.T @ X
        out.hess_bb += th.sum(axis=0)
        _add_scaled_grams(out.hess_ww, X, th, buf)


def _add_scaled_grams(H: np.ndarray, X: np.ndarray, d: np.ndarray, buf: np.ndarray) -> None:
    """``H[j] += Xᵀ diag(d[:, j]) X`` for every model j (``d ≥ 0``), via ``buf``."""
    Xr = buf[:X.shape[0]]
    for j in range(d.shape[1]):
        np.multiply(X, np.sqrt(d[:, j])[:, None], out=Xr)
        H[j] += Xr.T @ Xr
