"""Per-batch kernel of the exact leave-one-out pass: LOO error sums of every λ from a factor.

With the full-data ridge fit factored as ``XcᵀSXc = V diag(e) Vᵀ`` (features centered at
``x̄`` and divided by ``scale`` when standardizing) and ``Z = Vᵀ XcᵀSYc``, row i has the
projection ``u_i = Vᵀ((x_i − x̄)/scale)`` (r,), and for a penalty ``a`` with shrinkages
``d_j = 1/(e_j + a)``:

    fitted, centered:  ŷ_i − ȳ = u_iᵀ diag(d) Z                       (k,)
    leverage:          h_i = s_i/n_w·[intercept] + s_i Σ_j d_j u_ij²    (weighted hat matrix)
    LOO residual:      e_i = (y_i − ŷ_i) / (1 − h_i)                    (penalty held fixed)

so one pass over the rows gives every penalty's and target's ``Σ s_i e_i²`` and ``Σ s_i e_i⁴``
(the LOO mean squared error and its standard error, R², RMSE), whatever the batching: the
results add (:class:`LooPassResult`). Pure functions of arrays: files run them batch by batch,
Dask partition by partition, and the in-memory LOO (:func:`ridgeline.selection.loo.loo_sums`)
chunk by chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline.stats.batch import block_rows


@dataclass(frozen=True)
class LooModel:
    """The full-data ridge fits of L penalties as the LOO pass needs them (small, picklable).

    Attributes
    ----------
    basis : ndarray (p, r) or None
        ``V / scale[:, None]``: ``x ↦ basisᵀx − center`` is the projection ``u``. None (and
        ``center`` None) for a kernel-form factor whose caller supplies the projections
        (in memory only: a pass needs the basis).
    center : ndarray (r,) or None
        ``basisᵀ x̄`` (zeros without an intercept).
    mean_y : ndarray (k,)
        ``ȳ`` (zeros without an intercept).
    shrink : ndarray (L, r)
        ``d_lj = 1/(e_j + a_l)`` (0 where ``e_j + a_l = 0``).
    coef : ndarray (L, r, k)
        Eigenbasis coefficients ``d_l ⊙ Z`` of each penalty.
    sw : float
        ``n_w = Σ s_i`` of the factored rows.
    fit_intercept : bool
        Whether the hat matrix includes the intercept's ``s_i/n_w``.
    """

    basis: np.ndarray | None
    center: np.ndarray | None
    mean_y: np.ndarray
    shrink: np.ndarray
    coef: np.ndarray
    sw: float
    fit_intercept: bool

    @property
    def n_penalties(self) -> int:
        return self.shrink.shape[0]

    @property
    def n_targets(self) -> int:
        return self.mean_y.size

    def project(self, X: np.ndarray) -> np.ndarray:
        """``u`` of rows ``X`` (m, p), shape (m, r), float64 whatever X's dtype."""
        return np.asarray(X @ self.basis, dtype=np.float64) - self.center[None, :]


@dataclass
class LooPassResult:
    """Sums over rows of the exact LOO residuals ``e_i`` of L penalties and k targets.

    Attributes
    ----------
    sse : ndarray (L, k)
        ``Σ s_i e_i²`` (inf/NaN when a row with positive weight has leverage 1).
    sse2 : ndarray (L, k)
        ``Σ s_i e_i⁴`` (for the standard error of the LOO mean squared error).
    n_rows : int
        Rows visited.
    """

    sse: np.ndarray
    sse2: np.ndarray
    n_rows: int = 0

    @classmethod
    def zeros(cls, L: int, k: int) -> LooPassResult:
        return cls(np.zeros((L, k)), np.zeros((L, k)), 0)

    def __add__(self, other: LooPassResult) -> LooPassResult:
        return LooPassResult(self.sse + other.sse, self.sse2 + other.sse2,
                             self.n_rows + other.n_rows)


def check_loo_model(model: LooModel, n_features: int, n_targets: int) -> None:
    """ValueError unless ``model`` fits a source of ``n_features`` features and ``n_targets``
    targets."""
    if not isinstance(model, LooModel):
        raise TypeError(f"loo_pass needs a LooModel, got {type(model).__name__}")
    L, r = model.shrink.shape
    if model.basis is None or model.center is None:
        raise ValueError("loo_pass: the model has no basis (a kernel-form factor): a pass over "
                         "the rows needs the eigenvectors")
    if (model.basis.shape != (n_features, r) or model.center.shape != (r,)
            or model.coef.shape != (L, r, model.n_targets)):
        raise ValueError(f"loo_pass: basis {model.basis.shape}, center {model.center.shape}, "
                         f"shrink {model.shrink.shape}, coef {model.coef.shape} do not fit "
                         f"{n_features} features")
    if model.n_targets != n_targets:
        raise ValueError(f"loo_pass: the model has {model.n_targets} targets, the source "
                         f"{n_targets}")


def inverse_one_minus_leverage(U2: np.ndarray, D: np.ndarray, s: np.ndarray, sw: float,
                               fit_intercept: bool) -> np.ndarray:
    """``1/(1 − h_i)`` of every row and penalty, shape (m, L).

    ``U2 = u ⊙ u`` (m, r), ``D`` the shrinkages (L, r), ``s`` the rows' weights (m,), ``sw`` the
    factored rows' weight sum: ``h_i = s_i (U2 Dᵀ)_i + s_i/sw·[fit_intercept]``; ``inf`` where
    the leverage is 1 (the LOO error is undefined).
    """
    H = (U2 @ D.T) * s[:, None]
    if fit_intercept:
        H += (s / sw)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(H < 1.0 - 1e-12, 1.0 / (1.0 - H), np.inf)


def add_loo_sums(model: LooModel, U: np.ndarray, Yc: np.ndarray, s: np.ndarray,
                 out: LooPassResult) -> None:
    """Add rows with projections ``U`` (m, r), centered targets ``Yc = Y − ȳ`` (m, k) and
    weights ``s`` (m,) to ``out`` (in place): ``Σ s_i e_i²`` and ``Σ s_i e_i⁴`` per penalty and
    target."""
    L, k = model.n_penalties, Yc.shape[1]
    inv = inverse_one_minus_leverage(U * U, model.shrink, s, model.sw,
                                     model.fit_intercept)  # (m, L)
    with np.errstate(invalid="ignore", over="ignore"):
        if k == 1:  # all penalties in one product
            E = (Yc - U @ model.coef[:, :, 0].T) * inv  # (m, L)
            E *= E
            out.sse[:, 0] += s @ E
            E *= E
            out.sse2[:, 0] += s @ E
        else:  # one wide product per penalty
            for i in range(L):
                E = (Yc - U @ model.coef[i]) * inv[:, i:i + 1]  # (m, k)
                E *= E
                out.sse[i] += s @ E
                E *= E
                out.sse2[i] += s @ E
    out.n_rows += U.shape[0]


def batch_loo_sums(model: LooModel, X: np.ndarray, Y: np.ndarray,
                   s: np.ndarray | None = None) -> LooPassResult:
    """The LOO sums of one batch: rows ``X`` (m, p), targets ``Y`` (m, k), weights ``s`` (m,)
    (None: unit weights), processed in cache-sized row blocks (the (m, L) temporaries never
    exceed a block)."""
    m = X.shape[0]
    out = LooPassResult.zeros(model.n_penalties, Y.shape[1])
    w = np.ones(m) if s is None else np.asarray(s, dtype=np.float64)
    R = block_rows(2 * (model.shrink.shape[1] + model.n_penalties))
    for a in range(0, m, R):
        b = min(a + R, m)
        Yc = np.asarray(Y[a:b], dtype=np.float64) - model.mean_y
        add_loo_sums(model, model.project(X[a:b]), Yc, w[a:b], out)
    return out
