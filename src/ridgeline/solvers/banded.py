"""Ridge with one penalty per feature (banded ridge) from moments, with exact derivatives.

A training fold's centered (and optionally scaled) statistics ``G = XcᵀSXc`` (p, p) and
``C = XcᵀSYc`` (p, k) give the coefficients for per-feature penalties ``d_j = n·λ_{g(j)}``
(``n`` the fold's training weight sum, ``g(j)`` the group of feature j)::

    (G + diag(d)) w = c

The held-out weighted sum of squared errors needs only the held-out statistics about the
*training* means, ``a = Σ s (y − m_y)²``, ``B = Σ s (x − m_x)(y − m_y)`` and
``M = Σ s (x − m_x)(x − m_x)ᵀ``::

    SSE(w) = a − 2 Bᵀw + wᵀ M w

Its derivatives with respect to ``θ_g = log λ_g`` come from implicit differentiation of the
solve. With ``A = G + diag(d)``, ``r = B − M w`` and the adjoint ``v = A⁻¹ r``::

    ∂SSE/∂θ_g = 2 Σ_{j∈g} d_j v_j w_j

and with ``u_g = A⁻¹ (d ∘ w ∘ 1_g)`` (``1_g`` the indicator of group g)::

    ∂²SSE/∂θ_g∂θ_h = 2 (u_gᵀ M u_h − (d∘v∘1_g)ᵀ u_h − (d∘v∘1_h)ᵀ u_g) + δ_gh ∂SSE/∂θ_g

Each fold's objective is a weighted sum over targets ``Σ_t c_t SSE_t``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline._lapack import solve

#: Upper bound on the bytes of the per-target systems solved at once (targets are batched).
BATCH_BYTES = 256 * 2**20


@dataclass
class FoldSystem:
    """One training fold's banded-ridge system and its held-out statistics.

    Attributes
    ----------
    G : ndarray (p, p)
        Training centered weighted Gram (of the scaled features when standardizing).
    C : ndarray (p, k)
        Training centered weighted cross-products.
    n : float
        Training weight sum: feature j is penalized by ``n·λ_j``.
    a : ndarray (k,)
        Held-out ``Σ s (y − m_y)²`` about the training mean of y.
    B : ndarray (p, k)
        Held-out ``Σ s (x − m_x)(y − m_y)`` about the training means.
    M : ndarray (p, p)
        Held-out ``Σ s (x − m_x)(x − m_x)ᵀ`` about the training means.
    weight : ndarray (k,)
        Weight of each target's held-out SSE in the objective.
    """

    G: np.ndarray
    C: np.ndarray
    n: float
    a: np.ndarray
    B: np.ndarray
    M: np.ndarray
    weight: np.ndarray


def banded_coef(G: np.ndarray, C: np.ndarray, penalties: np.ndarray) -> np.ndarray:
    """Coefficients ``(G + diag(penalties)) w = C``, shape (p, k).

    ``penalties`` is (p,) (one penalty vector for every target) or (k, p) (one per target).
    """
    pen = np.asarray(penalties, dtype=np.float64)
    if pen.ndim == 1:
        A = G + np.diag(pen)
        return solve(A, C, "the banded ridge system G + diag(n·λ)")
    A = _stack(G, pen)
    W = solve(A, C.T[:, :, None], "the banded ridge systems G + diag(n·λ)")
    return W[:, :, 0].T


def _stack(G: np.ndarray, D: np.ndarray) -> np.ndarray:
    """``G + diag(D[t])`` for every row t of D (m, p): shape (m, p, p)."""
    m, p = D.shape
    A = np.repeat(G[None], m, axis=0)
    idx = np.arange(p)
    A[:, idx, idx] += D
    return A


def shared_value_grad(f: FoldSystem, lam: np.ndarray, E: np.ndarray,
                      grad: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Held-out SSE per target (k,) and the gradient of ``Σ_t c_t SSE_t`` over ``log λ``.

    Parameters
    ----------
    f : FoldSystem
    lam : ndarray (p,)
        Per-feature λ (``λ_{g(j)}``), shared by every target.
    E : ndarray (p, G)
        Group indicator matrix (``E[j, g] = 1`` when feature j is in group g).
    grad : bool
        Also compute the gradient (one more solve with the same matrix).

    Returns
    -------
    sse : ndarray (k,)
    gradient : ndarray (G,) or None
    """
    D = f.n * lam
    A = f.G + np.diag(D)
    W = solve(A, f.C, "the banded ridge system G + diag(n·λ)")
    MW = f.M @ W
    sse = f.a - 2 * np.einsum("pk,pk->k", f.B, W) + np.einsum("pk,pk->k", W, MW)
    if not grad:
        return np.maximum(sse, 0.0), None
    V = solve(A, (f.B - MW) * f.weight, "the banded ridge system G + diag(n·λ)")
    g = 2 * D * np.einsum("pk,pk->p", V, W)
    return np.maximum(sse, 0.0), g @ E


def per_target_value_grad(f: FoldSystem, lam: np.ndarray, E: np.ndarray, cols: np.ndarray,
                          hessian: bool = True):
    """Held-out SSE, gradient and Hessian of ``c_t SSE_t`` for each target's own λ vector.

    Parameters
    ----------
    f : FoldSystem
    lam : ndarray (m, p)
        Per-feature λ of each of the m targets ``cols``.
    E : ndarray (p, G)
        Group indicator matrix.
    cols : int ndarray (m,)
        The targets (columns of ``f.C``, ``f.B``, ``f.a``, ``f.weight``).
    hessian : bool
        Also compute the Hessian (m, G, G).

    Returns
    -------
    sse : ndarray (m,)
    gradient : ndarray (m, G)
        Of ``c_t SSE_t`` with respect to ``log λ`` of target t.
    hessian : ndarray (m, G, G) or None
    """
    m, p = lam.shape
    n_groups = E.shape[1]
    per = 8 * p * (2 * p + 3 * n_groups + 4)
    batch = max(1, BATCH_BYTES // per)
    sse, grad = np.empty(m), np.empty((m, n_groups))
    hess = np.empty((m, n_groups, n_groups)) if hessian else None
    for lo in range(0, m, batch):
        sl = slice(lo, min(m, lo + batch))
        out = _per_target_batch(f, lam[sl], E, cols[sl], hessian)
        sse[sl], grad[sl] = out[0], out[1]
        if hessian:
            hess[sl] = out[2]
    return sse, grad, hess


def _per_target_batch(f: FoldSystem, lam: np.ndarray, E: np.ndarray, cols: np.ndarray,
                      hessian: bool):
    D = f.n * lam  # (m, p)
    A = _stack(f.G, D)
    what = "the banded ridge systems G + diag(n·λ)"
    W = solve(A, f.C[:, cols].T[:, :, None], what)[:, :, 0]  # (m, p)
    MW = W @ f.M
    Bt = f.B[:, cols].T
    sse = f.a[cols] - 2 * np.einsum("mp,mp->m", Bt, W) + np.einsum("mp,mp->m", W, MW)
    c = f.weight[cols]
    DW = D * W
    rhs = np.concatenate([(Bt - MW)[:, :, None], DW[:, :, None] * E[None]], axis=2)
    X = solve(A, rhs, what)  # (m, p, 1 + G): the adjoint v and u_g = A⁻¹(d∘w∘1_g)
    v, U = X[:, :, 0], X[:, :, 1:]
    g = (2 * v * DW) @ E  # (m, G)
    H = None
    if hessian:
        Dv = (D * v)[:, :, None] * E[None]  # (m, p, G)
        Q1 = np.matmul(Dv.transpose(0, 2, 1), U)  # [t, h, g] = (d∘v∘1_h)ᵀ u_g
        Q2 = np.matmul(U.transpose(0, 2, 1), np.matmul(f.M, U))
        H = 2 * (Q2 - Q1 - Q1.transpose(0, 2, 1))
        idx = np.arange(E.shape[1])
        H[:, idx, idx] += g
        H *= c[:, None, None]
    return np.maximum(sse, 0.0), g * c[:, None], H
