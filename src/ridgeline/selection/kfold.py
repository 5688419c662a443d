"""K-fold cross-validation for every λ from one factorization per fold.

Primal route (n ≥ p): each fold's training statistics are ``total − held_out`` (one pass over
the data for all folds), each fold is factored once (p×p eigendecomposition), and the held-out
sum of squared errors for every λ comes from the held-out fold's own statistics::

    SSE(λ) = Σ s (y − m_y)² − 2 wᵀ Σ s (x − m_x)(y − m_y) + wᵀ [Σ s (x − m_x)(x − m_x)ᵀ] w

with ``m_x, m_y`` the *training* means (per-fold centering), so MSE and R² need no held-out
predictions. Other scorers get predictions ``m_y + (X_te − m_x) w(λ)`` for all λ from one
product with the fold's eigenvectors.

Dual route (p > n): one n×n kernel of the whole data; each fold's training kernel is a
sub-block, re-centered with the training weights (a rank-one update), and held-out predictions
are kernel products.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ridgeline._lapack import eigh
from ridgeline.solvers.dual import centered_kernel, weighted_means, weighted_scale
from ridgeline.solvers.iterative import lsqr_path
from ridgeline.solvers.spectral import Factor, factor_from_moments, needs_svd, svd_factor
from ridgeline.stats.moments import Moments, accumulate, fold_moments, reference_point


@dataclass
class PrimalFold:
    """One fold of the primal route: the training factor and the held-out statistics."""

    factor: Factor
    held: Moments
    test: np.ndarray | None
    train: np.ndarray | None

    @functools.cached_property
    def _held_rotated(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The held-out statistics about the training means in the training eigenbasis:
        ``a`` (k,), ``Bt = VᵀB`` (r, k), ``Mt = VᵀMV`` (r, r). They do not depend on λ, and
        forming ``Mt`` costs two (p, p) products: made once per fold, not per scored grid (a
        refined or extended search scores many)."""
        F, h = self.factor, self.held
        mx, my = F.mean_x - h.shift_x, F.mean_y - h.shift_y
        a = h.yy - 2 * my * h.sy + h.sw * my**2
        B = h.C - np.outer(h.sx, my) - np.outer(mx, h.sy) + h.sw * np.outer(mx, my)
        M = h.G - np.outer(h.sx, mx) - np.outer(mx, h.sx) + h.sw * np.outer(mx, mx)
        B = B / F.scale[:, None]
        M = M / np.outer(F.scale, F.scale)
        return a, F.V.T @ B, F.V.T @ M @ F.V

    def sse(self, penalties: np.ndarray) -> np.ndarray:
        """Weighted held-out sum of squared errors, shape (L, k), from statistics only."""
        F = self.factor
        a, Bt, Mt = self._held_rotated
        D = F.shrink(penalties)  # (L, r)
        out = np.empty((D.shape[0], F.n_targets))
        if F.n_targets == 1:  # all λ in two matrix products
            Yl = D * F.Z[:, 0]  # (L, r): coefficients in the eigenbasis
            out[:, 0] = a[0] - 2 * (Yl @ Bt[:, 0]) + np.einsum("lr,lr->l", Yl @ Mt, Yl)
        else:
            for i in range(D.shape[0]):
                Yl = D[i][:, None] * F.Z
                out[i] = a - 2 * np.einsum("rk,rk->k", Yl, Bt) \
                    + np.einsum("rk,rk->k", Mt @ Yl, Yl)
        return np.maximum(out, 0.0)

    def sst(self) -> np.ndarray:
        """Held-out weighted total sum of squares about the held-out mean, shape (k,)."""
        h = self.held
        return np.maximum(h.yy - h.sy**2 / h.sw, 0.0) if h.sw > 0 else np.zeros_like(h.yy)

    def held_sw(self) -> float:
        return self.held.sw

    def predictions(self, X, penalties: np.ndarray) -> np.ndarray:
        """Held-out predictions for every penalty, shape (L, m, k)."""
        F = self.factor
        P = F.project(X[self.test])
        D = F.shrink(penalties)
        return F.mean_y + np.einsum("mr,lr,rk->lmk", P, D, F.Z, optimize=True)

    def train_mse(self, penalties: np.ndarray) -> np.ndarray:
        return self.factor.rss(penalties).mean(axis=1) / self.factor.sw


@dataclass
class DualFold:
    """One fold of the dual route: kernel eigenpairs of the training rows."""

    e: np.ndarray  # (r,)
    P: np.ndarray  # (m, r)  centered cross-kernel times S^{1/2} Q
    W: np.ndarray  # (r, k)  Qᵀ S^{1/2} Yc_train
    resid_yy: np.ndarray  # (k,) part of ‖ỹ‖² outside span(Q)
    mean_y: np.ndarray
    sw_train: float
    test: np.ndarray
    n_features: int

    def check_penalties(self, penalties: np.ndarray) -> None:
        """Refuse a zero penalty when the training Gram is singular (rank < p)."""
        if np.any(np.asarray(penalties) <= 0) and self.e.size < self.n_features:
            raise ValueError(
                f"a zero regularization strength needs a non-singular Gram matrix, but a "
                f"training fold has numerical rank {self.e.size} < {self.n_features} features: "
                "use a positive λ (alpha)"
            )

    def shrink(self, penalties: np.ndarray) -> np.ndarray:
        return 1.0 / (self.e[None, :] + np.asarray(penalties)[:, None])

    def predictions(self, X, penalties: np.ndarray) -> np.ndarray:
        D = self.shrink(penalties)
        return self.mean_y + np.einsum("mr,lr,rk->lmk", self.P, D, self.W, optimize=True)

    def train_mse(self, penalties: np.ndarray) -> np.ndarray:
        a = np.asarray(penalties)[:, None]
        frac = (a / (self.e[None, :] + a)) ** 2  # (L, r)
        rss = frac @ (self.W**2) + self.resid_yy[None, :]
        return rss.mean(axis=1) / self.sw_train


def _train_is_complement(train: np.ndarray, test: np.ndarray, n: int) -> bool:
    if train.size + test.size != n:
        return False
    seen = np.zeros(n, dtype=bool)
    seen[train] = True
    seen[test] = True
    return bool(seen.all())


def primal_folds(
    X,
    Y: np.ndarray,
    s: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    *,
    fit_intercept: bool,
    standardize: bool,
    min_penalty: Callable[[float], float],
    force_svd: bool = False,
) -> tuple[list[PrimalFold], Moments]:
    """Factor every training fold from statistics (training = total − held-out).

    A fold is refactored from a thin SVD of its rows when its Gram is too ill-conditioned for
    its smallest penalty ``min_penalty(sw_train)``, or always with ``force_svd``.

    Returns the folds and the total moments (from which the full-data fit needs no new pass).
    """
    n = X.shape[0]
    shift = reference_point(X, Y, s)
    total, held = fold_moments(X, Y, s, [test for _, test in splits], shift=shift)
    folds = []
    for (train, test), h in zip(splits, held, strict=True):
        if _train_is_complement(train, test, n):
            tr = total - h
        else:
            tr = accumulate(X, Y, s, rows=train, shift=shift)
        F = _training_factor(tr, fit_intercept, standardize)
        if force_svd or needs_svd(F, min_penalty(tr.sw)):
            F = svd_factor(X, Y, s, F.mean_x, F.mean_y, F.scale, rows=np.sort(train))
        folds.append(PrimalFold(factor=F, held=h, test=np.asarray(test),
                                train=np.sort(np.asarray(train))))
    return folds, total


def _training_factor(tr: Moments, fit_intercept: bool, standardize: bool) -> Factor:
    if tr.sw <= 0:
        raise ValueError("a training fold has zero total sample weight")
    return factor_from_moments(tr.centered(fit_intercept), shift_x=tr.shift_x,
                               shift_y=tr.shift_y, standardize=standardize)


def moment_folds(total: Moments, held: list[Moments], *, fit_intercept: bool,
                 standardize: bool) -> list[PrimalFold]:
    """Primal folds from statistics only: fold k trains on ``total − held[k]``.

    The held-out sets must partition the rows. The folds carry no row indices (``test`` and
    ``train`` are None), so they score by statistics (:meth:`PrimalFold.sse`) only.
    """
    return [PrimalFold(factor=_training_factor(total - h, fit_intercept, standardize), held=h,
                       test=None, train=None) for h in held]


def dual_folds(
    X,
    Y: np.ndarray,
    s: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    *,
    fit_intercept: bool,
    standardize: bool,
) -> tuple[list[DualFold], np.ndarray | None]:
    """Factor every training fold through the kernel (p > n).

    Returns the folds and the full-data centered kernel when one was formed (without
    standardization), so that the full-data factor can reuse it.
    """
    p = X.shape[1]
    K_global = None
    if not standardize:
        m0 = weighted_means(X, s) if fit_intercept else np.zeros(p)
        K_global = centered_kernel(X, s, m0, np.ones(p))
    folds = []
    for train, test in splits:
        train, test = np.asarray(train), np.asarray(test)
        st = s[train]
        sw = float(st.sum())
        if sw <= 0:
            raise ValueError("a training fold has zero total sample weight")
        if K_global is None:
            Xtr = X[train]
            m = weighted_means(Xtr, st) if fit_intercept else np.zeros(p)
            K = centered_kernel(X, s, m, weighted_scale(Xtr, st, m))
        else:
            K = K_global
        rows = np.concatenate([train, test])
        Ksub = K[np.ix_(rows, train)]
        if fit_intercept:
            g = Ksub @ st / sw  # (ntr + nte,)
            c = float(st @ g[: train.size]) / sw
            Ksub = Ksub - g[:, None] - g[: train.size][None, :] + c
        my = (st @ Y[train]) / sw if fit_intercept else np.zeros(Y.shape[1])
        root = np.sqrt(st)
        Ktr = Ksub[: train.size] * root[:, None] * root[None, :]
        e, Q = eigh(0.5 * (Ktr + Ktr.T), "a training fold's kernel matrix")
        keep = e > max(e[-1], 0.0) * train.size * np.finfo(np.float64).eps
        e, Q = e[keep], Q[:, keep]
        yt = (Y[train] - my) * root[:, None]
        W = Q.T @ yt
        resid = np.maximum(np.einsum("nk,nk->k", yt, yt) - np.einsum("rk,rk->k", W, W), 0.0)
        P = (Ksub[train.size :] * root[None, :]) @ Q
        folds.append(DualFold(e=e, P=P, W=W, resid_yy=resid, mean_y=my, sw_train=sw, test=test,
                              n_features=p))
    return folds, K_global


class LsqrFold:
    """A fold of the iterative route: LSQR refits for every penalty (no factorization)."""

    def __init__(self, train: np.ndarray, test: np.ndarray):
        self.train, self.test = train, test

    def predictions(self, X, Y: np.ndarray, s: np.ndarray, pen: np.ndarray, *,
                    fit_intercept: bool, standardize: bool) -> np.ndarray:
        """Held-out predictions for every penalty, shape (L, m, k)."""
        fit = lsqr_path(X[self.train], Y[self.train], s[self.train], pen,
                        fit_intercept=fit_intercept, standardize=standardize)
        Xt = X[self.test]
        out = np.empty((pen.size, self.test.size, Y.shape[1]))
        for i in range(pen.size):
            out[i] = np.asarray(Xt @ fit.coef[i]) + fit.intercept[i]
        return out
