"""One weighted Gram pass for the Hessians of all K fold models of cross-validation.

The loss Hessian of fold model j is ``Σ_{i ∈ train_j} s_i ℓ''(η_ij) x̃_i x̃_iᵀ`` (x̃ = [x, 1]):
K products of about n·(K−1)/K rows each. Where the models' curvature weights are replaced by
their mean over the models, ``h̄_i = mean_j ℓ''(η_ij)``, the rows fall into groups by fold id
and one weighted Gram per group — one pass over X in all —

    A_g = Σ_{i ∈ g} s_i h̄_i x̃_i x̃_iᵀ

gives every model's Hessian as the sum of its training groups' (ridge's "training = total −
held-out", with curvature weights): K times fewer flops. Only the small difference between a
model's own η and the mean is left out, so the Newton step keeps nearly the rate of an exact
Hessian, and the solver's line search and gradient test (exact) decide convergence; a model for
which the shared Hessian proves too rough gets its own (:mod:`ridgeline.solvers.newton`).
"""

from __future__ import annotations

import numpy as np

from ridgeline.stats.batch import block_rows


def group_order(ids: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows sorted by group (stable) and each group's [start, stop) in that order."""
    order = np.argsort(ids, kind="stable")
    return order, np.searchsorted(ids[order], np.arange(n_groups + 1))


def group_grams(X: np.ndarray, w: np.ndarray, order: np.ndarray, bounds: np.ndarray, *,
                dtype=np.float64) -> np.ndarray:
    """``A_g = Σ_{i ∈ g} w_i x̃_i x̃_iᵀ`` (G, p + 1, p + 1) for weights ``w ≥ 0`` (n,).

    Each group's rows are gathered a cache-sized block at a time into ``Z = √w ⊙ [x, 1]`` and
    ``ZᵀZ`` (a BLAS ``syrk``, in ``dtype``: float32 for a curvature, half the flops' time) is
    added in float64, so X is read from memory once.
    """
    p = X.shape[1]
    G = bounds.size - 1
    out = np.zeros((G, p + 1, p + 1))
    R = 4 * block_rows(p + 1)
    Z = np.empty((R, p + 1), dtype=dtype)
    root = np.sqrt(np.maximum(w, 0.0))
    for g in range(G):
        lo, hi = int(bounds[g]), int(bounds[g + 1])
        for a in range(lo, hi, R):
            idx = order[a:min(a + R, hi)]
            r = idx.size
            Zr = Z[:r]
            np.multiply(X[idx], root[idx][:, None], out=Zr[:, :p])
            Zr[:, p] = root[idx]
            out[g] += Zr.T @ Zr
    return out


def shared_hessians(A: np.ndarray, train: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every model's Hessian sums ``(H_ww (B, p, p), H_wb (B, p), H_bb (B,))`` from the group
    Grams ``A`` (G, p + 1, p + 1) and the models' training masks ``train`` (B, G)."""
    H = np.tensordot(train.astype(np.float64), A, axes=(1, 0))  # (B, p + 1, p + 1)
    p = A.shape[1] - 1
    return H[:, :p, :p], H[:, :p, p], H[:, p, p]
