"""LSQR for ridge with very many (sparse) features: never forms XᵀX or XXᵀ.

Solves ``min ‖S^{1/2}(Yc − Xc w)‖² + a‖w‖²`` with scipy's LSQR (Paige & Saunders 1982,
"LSQR: An algorithm for sparse linear equations and sparse least squares", ACM TOMS 8(1)),
whose ``damp`` argument is exactly ``√a``. Centering is a rank-one correction inside the
linear operator, so sparse X stays sparse. Solves are cold-started: scipy's ``x0`` damps the
correction ``x − x0`` rather than ``x``, which would change the problem being solved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, lsqr

from ridgeline.solvers.dual import weighted_means, weighted_scale


@dataclass
class LsqrResult:
    """Result of :func:`lsqr_path`.

    Attributes
    ----------
    coef : ndarray of shape (L, p, k)
        Coefficients on the original feature scale for each penalty.
    intercept : ndarray of shape (L, k)
    n_iter : ndarray of shape (L, k)
        LSQR iterations per penalty and target.
    converged : ndarray of bool, shape (L, k)
    """

    coef: np.ndarray
    intercept: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray


def centered_operator(X, s: np.ndarray, mean_x: np.ndarray, scale: np.ndarray) -> LinearOperator:
    """The operator ``S^{1/2} (X − 1 mean_xᵀ) diag(1/scale)`` of shape (n, p)."""
    n, p = X.shape
    root = np.sqrt(s)
    Xo = sp.csr_matrix(X, dtype=np.float64) if sp.issparse(X) else np.asarray(X)

    def matvec(v: np.ndarray) -> np.ndarray:
        u = np.ravel(v) / scale
        return root * (np.asarray(Xo @ u).ravel() - mean_x @ u)

    def rmatvec(r: np.ndarray) -> np.ndarray:
        t = root * np.ravel(r)
        return (np.asarray(Xo.T @ t).ravel() - mean_x * t.sum()) / scale

    return LinearOperator((n, p), matvec=matvec, rmatvec=rmatvec, dtype=np.float64)


def lsqr_path(
    X,
    Y: np.ndarray,
    s: np.ndarray,
    penalties: np.ndarray,
    *,
    fit_intercept: bool = True,
    standardize: bool = False,
    tol: float = 1e-10,
    max_iter: int | None = None,
) -> LsqrResult:
    """Ridge solutions for each penalty ``a`` (unnormalized scale) by warm-started LSQR."""
    n, p = X.shape
    k = Y.shape[1]
    sw = float(s.sum())
    mean_x = weighted_means(X, s) if fit_intercept else np.zeros(p)
    mean_y = (s @ Y) / sw if fit_intercept else np.zeros(k)
    scale = weighted_scale(X, s, mean_x) if standardize else np.ones(p)
    A = centered_operator(X, s, mean_x, scale)
    B = (Y - mean_y) * np.sqrt(s)[:, None]
    penalties = np.asarray(penalties, dtype=np.float64)
    order = np.argsort(-penalties)
    L = penalties.size
    coef = np.zeros((L, p, k))
    n_iter = np.zeros((L, k), dtype=np.int64)
    converged = np.zeros((L, k), dtype=bool)
    limit = max_iter or max(4 * min(n, p), 200)
    for t in range(k):
        for i in order:
            out = lsqr(A, B[:, t], damp=np.sqrt(penalties[i]), atol=tol, btol=tol,
                       iter_lim=limit)
            coef[i, :, t] = out[0]
            n_iter[i, t] = out[2]
            converged[i, t] = out[1] in (1, 2, 4, 5) or out[1] == 0
    coef /= scale[None, :, None]
    intercept = mean_y[None, :] - np.einsum("p,lpk->lk", mean_x, coef)
    return LsqrResult(coef=coef, intercept=intercept, n_iter=n_iter, converged=converged)
