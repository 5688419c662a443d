"""The penalized GLM objective shared by the Newton, L-BFGS and trust-region solvers.

For a loss ℓ on the linear predictor η = XW + b (see :mod:`ridgeline.losses`)::

    f(W, b) = Σ_i ω_i ℓ(y_i, η_i) + λ ‖W‖²_F,      ω_i = s_i / Σ_k s_k

with W of shape (p, m) (m = 1 for binary and Poisson, m = K for multinomial) and an unpenalized
intercept b of shape (m,). The Hessian in W is ``Xᵀ B X + 2λI`` where B holds the per-sample
curvature ω_i ℓ''(η_i) (a K×K block per sample for multinomial): the weighted Gram statistic of
:mod:`ridgeline.stats`, here with curvature weights. The intercept is eliminated exactly by the
Schur complement (weighted centering), as the ridge engine does.

**Batches.** A problem holds B weight vectors ω (n, B) over the same X and y: B independent fits
(e.g. the training sets of K-fold CV, each with zero weight on its held-out rows) that share
every pass over X — ``X @ [W_1 … W_B]`` is one matrix product. Parameters then carry a leading
batch axis: W (B, p, m), b (B, m), η (n, B, m).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ridgeline.stats.chunks import iter_row_chunks


@dataclass
class GLMFit:
    """Solutions of the penalized GLM objective for a batch of B weightings (B = 1 for one fit).

    Attributes
    ----------
    coef : ndarray (B, p, m)
    intercept : ndarray (B, m)
    n_iter : ndarray (B,) of int
        Outer iterations (Newton steps, L-BFGS iterations or trust-region steps).
    grad_norm : ndarray (B,)
        Largest absolute entry of the objective's gradient at each solution (KKT residual).
    converged : ndarray (B,) of bool
        ``grad_norm <= tol`` (or, for Newton, no further decrease possible in floating point).
    objective : ndarray (B,)
    solver : str
    n_hessian : int
        Hessians formed (Newton only; 0 otherwise).
    """

    coef: np.ndarray
    intercept: np.ndarray
    n_iter: np.ndarray
    grad_norm: np.ndarray
    converged: np.ndarray
    objective: np.ndarray
    solver: str
    n_hessian: int = 0


@dataclass
class Curvature:
    """The loss Hessian at one point with the intercept eliminated, eigendecomposed on demand.

    ``S = H_ww − H_wb H_bb⁺ H_bw = V diag(e) Vᵀ``, so ``(S + 2λI)⁻¹`` costs O(d²) for any λ:
    one decomposition serves every λ the curvature is reused for. (``H_bb`` is singular for
    multinomial — shifting every class's intercept alike changes nothing — and the
    pseudo-inverse picks the step with no such shift.) numpy's LAPACK only: scipy's
    separately bundled OpenBLAS fights numpy's for the cores when the two alternate (measured
    1.4× slower on digits with a scipy Cholesky here).
    """

    S: np.ndarray
    Hwb: np.ndarray | None
    Hbb_pinv: np.ndarray | None
    _eig: tuple | None = field(default=None, repr=False)

    @property
    def V(self) -> np.ndarray:
        return self._eigen()[1]

    @property
    def e(self) -> np.ndarray:
        return self._eigen()[0]

    def _eigen(self):
        if self._eig is None:
            e, V = np.linalg.eigh(self.S)
            self._eig = (np.maximum(e, 0.0), V)
        return self._eig

    def solve(self, lam: float, gW: np.ndarray, gb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Newton direction ``−H(λ)⁻¹ g`` for one problem: gW (p, m), gb (m,)."""
        p, m = gW.shape
        r = gW.reshape(-1)
        if self.Hwb is not None:
            r = r - self.Hwb @ (self.Hbb_pinv @ gb)
        e, V = self._eigen()
        d = e + 2.0 * lam
        floor = 1e-12 * max(float(e[-1]) + 2.0 * lam, 1e-300)
        inv = np.where(d > floor, 1.0 / np.maximum(d, floor), 0.0)
        dw = -(V @ (inv * (V.T @ r)))
        if self.Hwb is None:
            return dw.reshape(p, m), np.zeros(m)
        db = -(self.Hbb_pinv @ (gb + self.Hwb.T @ dw))
        return dw.reshape(p, m), db

    def inverse(self, lam: float) -> np.ndarray:
        """``(S + 2λI)⁻¹`` as a dense (d, d) matrix."""
        e, V = self._eigen()
        d = e + 2.0 * lam
        inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1.0), 0.0)
        return (V * inv) @ V.T


@dataclass
class GLMProblem:
    """Data, loss and weights of a batch of penalized GLM fits (λ is given per call).

    Parameters
    ----------
    X : ndarray (n, p) or scipy.sparse matrix
    y : ndarray (n,) for binary (0/1) and Poisson, (n, K) one-hot for multinomial
    weights : ndarray (n,) or (n, B)
        Non-negative sample weights, each column with a positive sum (normalized internally).
    loss : a loss of :mod:`ridgeline.losses`
    fit_intercept : bool
    """

    X: object
    y: np.ndarray
    weights: np.ndarray
    loss: object
    fit_intercept: bool = True
    omega: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        s = np.asarray(self.weights, dtype=np.float64)
        s = s[:, None] if s.ndim == 1 else s
        self._raw = s
        self.omega = s / s.sum(axis=0)
        # targets broadcast against η (n, B, m) or its squeezed (n, B)
        self._yb = self.y[:, None, :] if self.loss.multi else self.y[:, None]

    # ---- shapes --------------------------------------------------------------------------
    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def n_outputs(self) -> int:
        return self.y.shape[1] if self.loss.multi else 1

    @property
    def sparse(self) -> bool:
        return sp.issparse(self.X)

    @property
    def n_batch(self) -> int:
        return self.omega.shape[1]

    def single(self, b: int) -> GLMProblem:
        """Member ``b`` of the batch as a problem of its own (same X, no copy)."""
        return GLMProblem(self.X, self.y, self.omega[:, b], self.loss, self.fit_intercept)

    def zeros(self) -> tuple[np.ndarray, np.ndarray]:
        """The null model for every member: W = 0 and, with an intercept, the best constant."""
        B, m = self.n_batch, self.n_outputs
        b = np.zeros((B, m))
        if self.fit_intercept:
            for j in range(B):
                b[j] = self.loss.null_eta(self.y, self.omega[:, j])
        return np.zeros((B, self.n_features, m)), b

    # ---- value and gradient --------------------------------------------------------------
    def linear(self, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        """η = XW + b for every member: W (B, p, m), b (B, m) → η (n, B, m)."""
        B, p, m = W.shape
        Wm = W.transpose(1, 0, 2).reshape(p, B * m)
        if sp.issparse(self.X):
            eta = np.asarray(self.X @ Wm)
        else:  # (Wᵀ Xᵀ)ᵀ: BLAS handles a few long output rows much faster than n short ones
            eta = np.ascontiguousarray((Wm.T @ self.X.T).T)
        eta = eta.reshape(-1, B, m)
        return eta + b if self.fit_intercept else eta

    def _squeeze(self, eta: np.ndarray) -> np.ndarray:
        return eta if self.loss.multi else eta[..., 0]

    def loss_value(self, eta: np.ndarray, cols=None) -> np.ndarray:
        """Weighted mean loss of each member (B,) (or of members ``cols`` given η[:, cols])."""
        om = self.omega if cols is None else self.omega[:, cols]
        vals = self.loss.value(self._yb, self._squeeze(eta))
        return np.einsum("ib,ib->b", om, vals)

    def derivatives(self, eta: np.ndarray, cols=None) -> tuple[np.ndarray, np.ndarray]:
        """``(ω ℓ', curvature)``: weighted η-gradient (n, B, m) and ℓ'' (n, B) or p (n, B, K).

        With ``cols``, ``eta`` holds only those members' columns (n, len(cols), m).
        """
        g, h = self.loss.derivatives(self._yb, self._squeeze(eta))
        g = g if self.loss.multi else g[..., None]
        om = self.omega if cols is None else self.omega[:, cols]
        return g * om[:, :, None], h

    def loss_gradient(self, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gradient of the loss part in (W, b) from ``r = ω ℓ'`` (n, B, m): (B, p, m), (B, m)."""
        n, B, m = r.shape
        gW = np.asarray(self.X.T @ r.reshape(n, B * m)).reshape(-1, B, m).transpose(1, 0, 2)
        gb = r.sum(axis=0) if self.fit_intercept else np.zeros((B, m))
        return gW, gb

    # ---- curvature -----------------------------------------------------------------------
    def curvature(self, h: np.ndarray, j: int = 0) -> Curvature:
        """Eigendecomposed Schur-complement loss Hessian of member ``j`` at curvature ``h``."""
        return self._factor(*self._blocks(h[:, j], self.omega[:, j]))

    def shared_curvature(self, eta: np.ndarray, members) -> dict[int, Curvature]:
        """Hessians for several members from one pass over X, at the members' mean η.

        Each member's Hessian is the exact Gram of its own rows, weighted by the curvature at
        the batch's mean linear predictor. For K-fold CV the rows fall into K groups (each held
        out by one fold); one weighted Gram per group — one pass over X in all — gives every
        training fold's Hessian as the sum of the other groups' (the ridge engine's
        "training = total − held-out", here with curvature weights). Only the small difference
        between the folds' own η and their mean is left out, so each fold's Newton step keeps
        nearly the rate of an exact Hessian. Batches without such a structure get the Hessian
        of their mean weights.
        """
        _, h = self.loss.derivatives(self.y, self._squeeze(eta.mean(axis=1)))
        raw = self._raw
        groups = self._row_groups()
        if groups is None:
            one = self._factor(*self._blocks(h, self.omega.mean(axis=1)))
            return {j: one for j in members}
        keys, group_rows, row_w = groups
        parts = []
        for key, rows in zip(keys, group_rows, strict=True):
            if key[members].any():
                parts.append((key, self._blocks(h[rows], row_w[rows], rows)))
        out = {}
        for j in members:
            mine = [blk for key, blk in parts if key[j]]
            total = raw[:, j].sum()
            out[j] = self._factor(*(sum(b[i] for b in mine) / total for i in range(3)))
        return out

    def _row_groups(self):
        """Rows grouped by which members use them: ``(keys (G, B), rows per group, weights)``.

        None when a row's weight differs between the members that use it, or when there are
        more than 2B groups (no K-fold-like structure). Computed once per problem.
        """
        if not hasattr(self, "_groups"):
            raw = self._raw
            row_w = raw.max(axis=1)
            pattern = raw > 0
            B = self.n_batch
            self._groups = None
            if B <= 62 and bool(np.all(~pattern | (raw == row_w[:, None]))):
                codes = pattern.astype(np.int64) @ (np.int64(1) << np.arange(B, dtype=np.int64))
                uniq, inv = np.unique(codes, return_inverse=True)
                if uniq.size <= 2 * B:
                    order = np.argsort(inv, kind="stable")
                    bounds = np.searchsorted(inv[order], np.arange(uniq.size + 1))
                    rows = [np.sort(order[bounds[g]:bounds[g + 1]]) for g in range(uniq.size)]
                    keys = ((uniq[:, None] >> np.arange(B)) & 1).astype(bool)
                    self._groups = (keys, rows, row_w)
        return self._groups

    def _blocks(self, h: np.ndarray, om: np.ndarray, rows=None):
        """Loss Hessian blocks ``(H_ww, H_wb, H_bb)`` for weights ω (over ``rows`` if given)."""
        if self.loss.multi:
            return self._multinomial_blocks(h, om, rows)
        G, c, t = weighted_moments(self.X, om * h, rows)
        return G, c.reshape(-1, 1), np.array([[t]])

    def _factor(self, Hww, Hwb, Hbb) -> Curvature:
        if self.fit_intercept:
            Hbb_pinv = np.linalg.pinv(Hbb, rcond=1e-12, hermitian=True)
            S = Hww - Hwb @ Hbb_pinv @ Hwb.T
        else:
            Hwb = Hbb_pinv = None
            S = Hww
        return Curvature(S=0.5 * (S + S.T), Hwb=Hwb, Hbb_pinv=Hbb_pinv)

    def _multinomial_blocks(self, P: np.ndarray, om: np.ndarray, rows=None):
        """Softmax loss Hessian blocks; W is ordered row-major (feature j, class k).

        Block (k, q) is ``Xᵀ diag(ω p_k (δ_kq − p_q)) X``. Dense X: all K(K+1)/2 blocks come
        from one product per row chunk, ``Xᵀ [w_1 ⊙ X, …, w_P ⊙ X]``.
        """
        p, K = self.n_features, P.shape[1]
        pairs = [(k, q) for k in range(K) for q in range(k, K)]
        Wp = np.stack([om * (P[:, k] * ((k == q) - P[:, q])) for k, q in pairs], axis=1)
        if sp.issparse(self.X):
            blocks = [weighted_moments(self.X, Wp[:, i], rows, signed=k != q)
                      for i, (k, q) in enumerate(pairs)]
        else:
            G = np.zeros((p, len(pairs), p))
            C = np.zeros((p, len(pairs)))
            step = max(1, 2_000_000 // max(len(pairs) * p, 1))
            pos = 0
            for _, Xc in iter_row_chunks(self.X, rows, chunk=step):
                Wc = Wp[pos:pos + Xc.shape[0]]
                pos += Xc.shape[0]
                G += (Xc.T @ (Wc[:, :, None] * Xc[:, None, :]).reshape(Xc.shape[0], -1)
                      ).reshape(p, len(pairs), p)
                C += Xc.T @ Wc
            blocks = [(G[:, i, :], C[:, i], float(Wp[:, i].sum())) for i in range(len(pairs))]
        Hww = np.empty((p * K, p * K))
        Hwb = np.empty((p * K, K))
        Hbb = np.empty((K, K))
        for (k, q), (Gkq, col, t) in zip(pairs, blocks, strict=True):
            Hww[k::K, q::K] = Gkq
            Hww[q::K, k::K] = Gkq.T
            Hwb[k::K, q] = col
            Hwb[q::K, k] = col
            Hbb[k, q] = Hbb[q, k] = t
        return Hww, Hwb, Hbb

    def hessian_times(self, h: np.ndarray, VW: np.ndarray, vb: np.ndarray,
                      lam: float) -> tuple[np.ndarray, np.ndarray]:
        """Penalized Hessian times directions (VW (B, p, m), vb (B, m)), never forming it."""
        u = self.linear(VW, vb)
        if self.loss.multi:
            t = self.loss.hessian_times(h, u) * self.omega[:, :, None]
        else:
            t = u * (self.omega * h)[:, :, None]
        HW, Hb = self.loss_gradient(t)
        return HW + 2.0 * lam * VW, Hb

    # ---- flat parameter vector of a single problem (for scipy.optimize) ------------------
    def pack(self, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        """(1, p, m) and (1, m) → flat vector."""
        return np.concatenate([W.ravel(), b.ravel()]) if self.fit_intercept else W.ravel().copy()

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Flat vector → W (1, p, m), b (1, m)."""
        p, m = self.n_features, self.n_outputs
        W = theta[: p * m].reshape(1, p, m)
        b = theta[p * m:].reshape(1, m) if self.fit_intercept else np.zeros((1, m))
        return W, b


def weighted_moments(X, w: np.ndarray, rows=None,
                     signed: bool = False) -> tuple[np.ndarray, np.ndarray, float]:
    """``(Xᵀ diag(w) X, Xᵀw, Σw)`` over ``rows`` (all by default; ``w`` aligned with them).

    Float64, in bounded row chunks, one pass; sparse X stays sparse. Non-negative weights use
    the symmetric ``(√w X)ᵀ(√w X)`` product (half the flops).
    """
    p = X.shape[1]
    if sp.issparse(X):
        Xr = X if rows is None else X[rows]
        G = Xr.T @ sp.csr_matrix(Xr.multiply(w[:, None]))
        return (np.asarray(G.toarray(), dtype=np.float64), np.asarray(Xr.T @ w).ravel(),
                float(w.sum()))
    G = np.zeros((p, p))
    c = np.zeros(p)
    pos = 0
    for _, Xc in iter_row_chunks(X, rows):
        wc = w[pos:pos + Xc.shape[0]]
        pos += Xc.shape[0]
        if signed:
            G += Xc.T @ (Xc * wc[:, None])
        else:
            A = Xc * np.sqrt(np.maximum(wc, 0.0))[:, None]
            G += A.T @ A
        c += wc @ Xc
    return G, c, float(w.sum())


def weighted_gram(X, w: np.ndarray, signed: bool = False) -> np.ndarray:
    """``Xᵀ diag(w) X`` (p, p) over all rows (see :func:`weighted_moments`)."""
    return weighted_moments(X, w, None, signed)[0]


def kkt_norms(gW: np.ndarray, gb: np.ndarray, fit_intercept: bool) -> np.ndarray:
    """Largest absolute gradient entry of each member (B,): the stopping and KKT measure."""
    B = gW.shape[0]
    out = np.abs(gW.reshape(B, -1)).max(axis=1) if gW[0].size else np.zeros(B)
    if fit_intercept:
        out = np.maximum(out, np.abs(gb.reshape(B, -1)).max(axis=1))
    return out
