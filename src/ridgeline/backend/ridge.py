"""K-fold ridge cross-validation over a whole λ grid, written against the array API.

Objective (DESIGN.md), for each training set T and each λ of the grid::

    minimize  (1/n_T) Σ_{i∈T} s_i (y_i − x_iᵀw − b)²  +  λ ‖w‖²,      n_T = Σ_{i∈T} s_i

(the intercept ``b`` unpenalized; with ``fit_intercept`` the data are centered at the training
set's weighted means). In the Gram's unnormalized scale the penalty is ``a = n_T·λ``.

Factor once, answer every λ:

1. One pass over X: for every fold k, ``A_k = Σ_{i∈k} s_i a_i a_iᵀ`` with ``a_i = [x_i − m,
   y_i − m_y, 1]`` (one GEMM per row chunk, see :mod:`ridgeline.backend.gram`).
2. Training moments of fold k are ``Σ_j A_j − A_k``; centering is a rank-one update.
3. One ``eigh`` per fold of the training Gram ``V diag(e) Vᵀ``; with ``z = Vᵀc`` the coefficients
   for all λ are one product ``W = (z / (e + a)) Vᵀ`` of shape (L, p).
4. The held-out squared error for all λ comes from the held-out fold's own moments (about the
   training means): ``SSE(λ) = a₀ − 2 W B + rowsum((W M) ⊙ W)`` (no second pass); or, with
   ``held_out="predictions"``, from the held-out predictions ``(X_k − m_T) Wᵀ`` (one product
   per row chunk, a second pass over X).
5. Mean and standard error of the held-out MSE over folds; λ by the minimum or the
   one-standard-error rule; the full-data fit for every λ from one more ``eigh``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from ridgeline.backend.array_api import (
    DEFAULT_CHUNK_ROWS,
    Backend,
    as_vector,
    check_design,
    check_finite,
    check_folds,
    check_lambdas,
    check_weights,
    chunk_bounds,
    make_backend,
    take_rows,
    to_numpy,
)
from ridgeline.backend.gram import AugmentedMoments, augmented_moments


@dataclass
class ArrayRidgeCVResult:
    """What :func:`ridge_cv` returns; arrays live in the input's namespace and device.

    Attributes
    ----------
    lambdas : array (L,)
        Canonical λ grid, in the order given.
    fold_mse : array (K, L)
        Weighted held-out mean squared error of each fold (row k: the k-th smallest fold id).
    mean_mse : array (L,)
        Mean of ``fold_mse`` over folds (the CV curve).
    se_mse : array (L,)
        Standard error of that mean: ``std(fold_mse, ddof=1) / √K``.
    index_min, index_1se : int
        Grid position of the smallest mean MSE (first in grid order on ties) and of the largest
        λ whose mean MSE is within one standard error of it.
    lambda_min, lambda_1se, lambda_ : float
        The corresponding λ; ``lambda_`` is the one chosen by ``rule``.
    rule : str
        ``"min"`` or ``"1se"``.
    coef : array (p,)
        Full-data coefficients at ``lambda_``.
    intercept : array (0-d)
        Full-data intercept at ``lambda_`` (0 without ``fit_intercept``).
    coef_path : array (L, p), intercept_path : array (L,)
        Full-data fits for every λ of the grid.
    dof : array (L,)
        Effective degrees of freedom of the full-data fits (``Σ e/(e+a)``, + 1 with an
        intercept).
    fold_ids : ndarray (K,)
        The distinct fold ids (NumPy).
    backend : str
        Namespace the computation ran in (``"numpy"``, ``"torch"``, ...), with its device.
    """

    lambdas: Any
    fold_mse: Any
    mean_mse: Any
    se_mse: Any
    index_min: int
    index_1se: int
    lambda_min: float
    lambda_1se: float
    lambda_: float
    rule: str
    coef: Any
    intercept: Any
    coef_path: Any
    intercept_path: Any
    dof: Any
    fold_ids: np.ndarray
    backend: str

    def to_numpy(self) -> ArrayRidgeCVResult:
        """A copy whose arrays are NumPy arrays (on the host)."""
        return replace(self, **{f.name: to_numpy(getattr(self, f.name)) for f in fields(self)})


@dataclass
class _Centered:
    """Centered moments of a set of rows: Gram (p, p), cross-products (p,), ‖y − m_y‖², the
    centering point relative to the shift, and the weight sum."""

    G: Any
    c: Any
    yy: Any
    mx: Any
    my: Any
    sw: float


def _center(m: AugmentedMoments, fit_intercept: bool) -> _Centered:
    G, c, sx, yy, sy, sw = m.parts()
    swf = float(sw)
    if swf <= 0:
        raise ValueError("a training set has zero total sample weight")
    if not fit_intercept:  # the moments were taken about the origin
        return _Centered(G, c, yy, 0.0 * sx, 0.0 * sy, swf)
    mx, my = sx / sw, sy / sw
    Gc = G - sx[:, None] * mx[None, :]
    return _Centered(0.5 * (Gc + Gc.T), c - sx * my, yy - sy * my, mx, my, swf)


def _shrink(bk: Backend, e, penalties: np.ndarray):
    """``1/(e + a)`` for every penalty a: array (L, p); 0 where ``e + a == 0``."""
    xp = bk.xp
    d = e[None, :] + bk.asarray(penalties)[:, None]
    pos = d > 0
    return xp.where(pos, 1.0 / xp.where(pos, d, xp.ones_like(d)), xp.zeros_like(d))


def _eig(bk: Backend, C: _Centered, penalties: np.ndarray, what: str):
    """Eigenpairs of the centered Gram and the coefficients for every penalty (L, p)."""
    xp = bk.xp
    e, V = xp.linalg.eigh(C.G)
    e = xp.where(e > 0, e, xp.zeros_like(e))
    p = e.shape[0]
    emax = float(e[-1])
    rank = int(xp.sum(e > emax * p * float(np.finfo(np.float64).eps))) if emax > 0 else 0
    if np.any(penalties <= 0) and rank < p:
        raise ValueError(
            f"λ = 0 needs a non-singular Gram matrix, but {what} has numerical rank {rank} < "
            f"{p} features (after centering): use positive λ"
        )
    z = C.c @ V  # Vᵀc, shape (p,)
    D = _shrink(bk, e, penalties)
    W = (D * z[None, :]) @ V.T  # (L, p): coefficients for every λ in one product
    return e, W, D


def _held_out_sse(bk: Backend, H: AugmentedMoments, C: _Centered, W):
    """Held-out weighted SSE (L,) from the held-out moments, about the training means."""
    hG, hc, hsx, hyy, hsy, hsw = H.parts()
    mx, my = C.mx, C.my
    a0 = hyy - 2.0 * my * hsy + hsw * my * my
    B = hc - hsx * my - mx * hsy + hsw * mx * my
    M = hG - hsx[:, None] * mx[None, :] - mx[:, None] * hsx[None, :] \
        + hsw * (mx[:, None] * mx[None, :])
    sse = a0 - 2.0 * (W @ B) + bk.xp.sum((W @ M) * W, axis=1)
    return bk.xp.where(sse > 0, sse, bk.xp.zeros_like(sse))


def _held_out_sse_pred(bk: Backend, X, y, s, rows, shift_x, shift_y, C: _Centered, W,
                       chunk_rows: int):
    """Held-out weighted SSE (L,) from explicit predictions ``m_y + (x − m) Wᵀ``, by chunks."""
    sse = bk.zeros((W.shape[0],))
    for a, b in chunk_bounds(rows.size, chunk_rows):
        r = rows[a:b]
        Xc = bk.to_acc(take_rows(bk, X, r) - shift_x) - C.mx
        resid = (take_rows(bk, y, r) - shift_y - C.my)[:, None] - Xc @ W.T  # (m, L)
        sse = sse + take_rows(bk, s, r) @ (resid * resid)
    return sse


def ridge_cv(X, y, lambdas, folds, *, fit_intercept: bool = True, sample_weight=None,
             rule: str = "min", held_out: str = "moments",
             chunk_rows: int = DEFAULT_CHUNK_ROWS) -> ArrayRidgeCVResult:
    """K-fold cross-validated ridge regression for every λ of a grid, in X's array namespace.

    For every fold k and every λ, fits on the other folds

        minimize  (1/n_T) Σ_{i∈T} s_i (y_i − x_iᵀw − b)² + λ‖w‖²

    (``n_T`` the training weight sum, ``b`` unpenalized), scores the weighted mean squared error
    on fold k, and picks λ from the mean CV curve. Every fold is factored once; see the module
    docstring for the algorithm (one pass over X, K + 1 eigendecompositions of p×p matrices).

    Parameters
    ----------
    X : array (n, p)
        NumPy, CuPy, PyTorch (any device) or another array-API array. float32 stays float32:
        the Gram GEMMs run in float32 and are accumulated in float64.
    y : array (n,)
        Targets, same namespace and device.
    lambdas : array-like (L,)
        Canonical λ ≥ 0 (λ = 0 only when every training Gram is non-singular).
    folds : array (n,) of int
        Fold id of each row (any namespace); at least two distinct ids.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept (center at the training means).
    sample_weight : array (n,), optional
        Non-negative weights ``s_i`` (default 1).
    rule : {"min", "1se"}, default="min"
        Which λ the full-data fit uses: the CV minimum, or the largest λ within one standard
        error of it.
    held_out : {"moments", "predictions"}, default="moments"
        Score held-out folds from their moments (no second pass) or from explicit predictions.
    chunk_rows : int
        Rows per GEMM (bounds float32 rounding and the size of temporaries).

    Returns
    -------
    ArrayRidgeCVResult
        Arrays in X's namespace and device, float32 for float32 X.
    """
    if rule not in ("min", "1se"):
        raise ValueError(f"rule must be 'min' or '1se', got {rule!r}")
    if held_out not in ("moments", "predictions"):
        raise ValueError(f"held_out must be 'moments' or 'predictions', got {held_out!r}")
    bk = make_backend(X, y, sample_weight)
    xp = bk.xp
    X = check_design(bk, X)
    n, p = X.shape
    y = bk.to_acc(as_vector(bk, y, n, "y"))
    check_finite(bk, y, "y")
    s = check_weights(bk, sample_weight, n)
    lam = check_lambdas(lambdas)
    ids, rows = check_folds(folds, n)
    weighted = sample_weight is not None

    # reference point: weighted means of the first chunk (any point near the data will do)
    head = slice(0, min(n, chunk_rows))
    if fit_intercept:
        s0 = s[head]
        sw0 = float(xp.sum(s0))
        sw0 = sw0 if sw0 > 0 else 1.0
        shift_x = bk.to_out((s0 @ bk.to_acc(X[head, ...])) / sw0)
        shift_y = (s0 @ y[head]) / sw0
    else:
        shift_x = xp.zeros((p,), dtype=bk.dtype, device=bk.device)
        shift_y = bk.asarray(0.0)

    held = [augmented_moments(bk, X, y, s, r, shift_x, shift_y, weighted=weighted,
                              chunk_rows=chunk_rows) for r in rows]
    total = held[0]
    for h in held[1:]:
        total = total + h

    K, L = len(held), lam.size
    sse_rows = []
    hsw = []
    for k, h in enumerate(held):
        C = _center(total - h, fit_intercept)
        _, W, _ = _eig(bk, C, lam * C.sw, f"the training set of fold {ids[k]}")
        if held_out == "moments":
            sse = _held_out_sse(bk, h, C, W)
        else:
            sse = _held_out_sse_pred(bk, X, y, s, rows[k], shift_x, shift_y, C, W, chunk_rows)
        w_k = float(h.parts()[5])
        if w_k <= 0:
            raise ValueError(f"fold {ids[k]} has zero total sample weight")
        sse_rows.append(sse / w_k)
        hsw.append(w_k)
    fold_mse = xp.stack(sse_rows, axis=0)  # (K, L)
    mean = xp.mean(fold_mse, axis=0)
    se = xp.std(fold_mse, axis=0, correction=1) / float(np.sqrt(K))

    mean_h, se_h = to_numpy(mean), to_numpy(se)
    i_min = int(np.argmin(mean_h))
    ok = np.flatnonzero(mean_h <= mean_h[i_min] + se_h[i_min])
    i_1se = int(ok[np.argmax(lam[ok])])
    idx = i_min if rule == "min" else i_1se

    Ct = _center(total, fit_intercept)
    e, Wf, D = _eig(bk, Ct, lam * Ct.sw, "X")
    dof = xp.sum(e[None, :] * D, axis=1) + (1.0 if fit_intercept else 0.0)
    mx_abs = bk.to_acc(shift_x) + Ct.mx if fit_intercept else bk.zeros((p,))
    my_abs = shift_y + Ct.my if fit_intercept else bk.asarray(0.0)
    inter_path = my_abs - Wf @ mx_abs if fit_intercept else bk.zeros((L,))
    out = bk.to_out
    return ArrayRidgeCVResult(
        lambdas=bk.asarray(lam, dtype=bk.dtype),
        fold_mse=out(fold_mse),
        mean_mse=out(mean),
        se_mse=out(se),
        index_min=i_min,
        index_1se=i_1se,
        lambda_min=float(lam[i_min]),
        lambda_1se=float(lam[i_1se]),
        lambda_=float(lam[idx]),
        rule=rule,
        coef=out(Wf[idx, ...]),
        intercept=out(inter_path[idx]),
        coef_path=out(Wf),
        intercept_path=out(inter_path),
        dof=out(dof),
        fold_ids=ids,
        backend=f"{bk.name}:{bk.device}",
    )
