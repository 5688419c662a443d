"""Exact leave-one-out and generalized cross-validation from the full-data factorization.

With the hat matrix of the weighted, centered ridge fit,
``h_i(a) = s_i/n_w + s_i · u_iᵀ diag(1/(e + a)) u_i`` (``u_i`` = the i-th row of ``Xc V``), the
leave-one-out residual is exactly ``r_i(a) / (1 − h_i(a))`` (the penalty ``a`` held fixed), and
GCV replaces every ``h_i`` by their mean (Golub, Heath & Wahba 1979, "Generalized cross-
validation as a method for choosing a good ridge parameter", Technometrics 21(2)):
``GCV(a) = (RSS(a)/n_w) / (1 − dof(a)/n)²``.
"""

from __future__ import annotations

import numpy as np

from ridgeline.selection.scoring import Scorer
from ridgeline.solvers.spectral import Factor


def projected_rows(X, F: Factor) -> np.ndarray:
    """``((X − mean_x)/scale) V`` for all rows, shape (n, r), computed in row chunks."""
    out = np.empty((X.shape[0], F.e.size))
    for idx, U in F.iter_projection(X):
        out[idx] = U
    return out


def loo_residuals(U: np.ndarray, F: Factor, Y: np.ndarray, s: np.ndarray, penalty: float,
                  fit_intercept: bool) -> np.ndarray:
    """Exact LOO residuals ``y_i − ŷ_i^{(−i)}`` for one penalty, shape (n, k)."""
    return loo_residual_block(U, U * U, F, Y - F.mean_y, s, np.array([penalty]),
                              fit_intercept)[0]


def loo_residual_block(U: np.ndarray, U2: np.ndarray, F: Factor, Yc: np.ndarray, s: np.ndarray,
                       penalties: np.ndarray, fit_intercept: bool) -> np.ndarray:
    """Exact LOO residuals for several penalties at once, shape (L, n, k).

    ``U = ((X − mean_x)/scale) V``, ``U2 = U ⊙ U`` and ``Yc = Y − mean_y`` are precomputed.
    """
    D = F.shrink(penalties)  # (L, r)
    if Yc.shape[1] == 1:
        fitted = (U @ (D * F.Z[:, 0]).T).T[:, :, None]  # (L, n, 1)
    else:
        fitted = np.stack([U @ (d[:, None] * F.Z) for d in D])  # (L, n, k)
    inv = _inverse_one_minus_leverage(U2, D, s, F.sw, fit_intercept)  # (n, L)
    with np.errstate(invalid="ignore", over="ignore"):
        return (Yc[None, :, :] - fitted) * inv.T[:, :, None]


def _inverse_one_minus_leverage(U2: np.ndarray, D: np.ndarray, s: np.ndarray, sw: float,
                                fit_intercept: bool) -> np.ndarray:
    """``1/(1 − h_i)`` for rows with squared projections ``U2`` (m, r) and shrinkages ``D``
    (L, r): shape (m, L); ``inf`` where the leverage is 1 (the LOO error is undefined)."""
    H = (U2 @ D.T) * s[:, None]
    if fit_intercept:
        H += (s / sw)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(H < 1.0 - 1e-12, 1.0 / (1.0 - H), np.inf)


def _block_size(n: int, k: int, budget: int = 20_000_000) -> int:
    return max(1, budget // max(n * k, 1))


def loo_curve(
    X, Y: np.ndarray, s: np.ndarray, F: Factor, penalties: np.ndarray, scorer: Scorer,
    *, fit_intercept: bool, score_estimator=None, y_score=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean LOO score and its standard error for every penalty, each of shape (L, k).

    ``score_estimator``/``y_score`` serve scikit-learn scorer callables (kind ``estimator``):
    the scorer is called as ``scorer(score_estimator, loo_predictions, y_score)``.
    Without a standard error (NaN) except for the mean squared error.
    """
    if scorer.kind == "stats" and scorer.name == "neg_mean_squared_error":
        return loo_mse(X, Y, s, F, penalties, fit_intercept=fit_intercept)
    U = projected_rows(X, F)
    U2 = U * U
    Yc = Y - F.mean_y
    L, k = penalties.size, Y.shape[1]
    mean = np.empty((L, k))
    se = np.full((L, k), np.nan)
    step = _block_size(Y.shape[0], k)
    for a in range(0, L, step):
        E = loo_residual_block(U, U2, F, Yc, s, penalties[a : a + step], fit_intercept)
        for j, e in enumerate(E):
            i = a + j
            if scorer.kind == "estimator":
                pred = Y - e
                mean[i] = scorer.fn(score_estimator, pred if k > 1 else pred[:, 0], y_score,
                                    sample_weight=s)
            else:
                mean[i] = scorer.from_predictions(Y, Y - e, s)
    return np.where(np.isfinite(mean), mean, -np.inf), se


def loo_mse(X, Y: np.ndarray, s: np.ndarray, F: Factor, penalties: np.ndarray, *,
            fit_intercept: bool) -> tuple[np.ndarray, np.ndarray]:
    """Negative weighted LOO mean squared error and its standard error, each (L, k).

    One pass over the rows in chunks: each chunk is projected on the eigenvectors and its
    leave-one-out errors for every penalty are reduced at once, so neither the n×r projection
    nor any n×L array is ever held in memory.
    """
    L, k = penalties.size, Y.shape[1]
    D = F.shrink(penalties)  # (L, r)
    DZ = D[:, :, None] * F.Z[None, :, :]  # (L, r, k)
    sum1 = np.zeros((L, k))
    sum2 = np.zeros((L, k))
    sw = float(s.sum())
    for idx, U in F.iter_projection(X):  # U: (m, r)
        sc = s[idx]
        inv = _inverse_one_minus_leverage(U * U, D, sc, F.sw, fit_intercept)  # (m, L)
        with np.errstate(invalid="ignore", over="ignore"):
            Yc = Y[idx] - F.mean_y  # (m, k)
            if k == 1:  # all λ in one product
                E = (Yc - U @ DZ[:, :, 0].T) * inv  # (m, L)
                E *= E
                sum1[:, 0] += sc @ E
                E *= E
                sum2[:, 0] += sc @ E
            else:  # one wide product per λ
                for i in range(L):
                    E = (Yc - U @ DZ[i]) * inv[:, i : i + 1]  # (m, k)
                    E *= E
                    sum1[i] += sc @ E
                    E *= E
                    sum2[i] += sc @ E
    with np.errstate(invalid="ignore", over="ignore"):
        mean = sum1 / sw
        var = np.maximum(sum2 / sw - mean * mean, 0.0)
    se = np.sqrt(var / Y.shape[0])
    return np.where(np.isfinite(mean), -mean, -np.inf), se


def gcv_curve(F: Factor, penalties: np.ndarray, *, fit_intercept: bool) -> np.ndarray:
    """Negative GCV criterion for every penalty, shape (L, k)."""
    rss = F.rss(penalties)
    dof = F.dof(penalties) + (1.0 if fit_intercept else 0.0)
    denom = (1.0 - dof / F.n) ** 2
    with np.errstate(divide="ignore"):
        g = np.where(denom[:, None] > 0, (rss / F.sw) / denom[:, None], np.inf)
    return -g
