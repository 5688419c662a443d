"""Per-chunk sums of the GLM and softmax passes of B models, in any array-API namespace.

The device side of :class:`ridgeline.backend.source.ArrayAPISource`: the same sums as
:func:`ridgeline.stats.batch_glm.glm_rows` and :func:`ridgeline.stats.multinomial.multinomial_rows`
(see :class:`~ridgeline.stats.source.GLMPassResult` and
:class:`~ridgeline.stats.multinomial.MultinomialPassResult`), computed where X lives (NumPy,
PyTorch on any device, CuPy). A chunk of m rows with training and held-out weights
``tw``, ``hw`` (m, B) — each row's sample weight where it trains / scores model j, else 0 —
adds, with ``η = X Wᵀ + b`` (m, B) and the per-row loss terms ``ℓ, ℓ', ℓ''``::

    sw += Σ tw    loss += Σ tw ℓ    grad_w += (tw ℓ')ᵀ X    grad_b += Σ tw ℓ'
    hess_ww[j] += Xᵀ diag(tw ℓ'')_j X    hess_wb += (tw ℓ'')ᵀ X    hess_bb += Σ tw ℓ''
    held_sw += Σ hw    held_loss += Σ hw ℓ    held_correct += Σ hw [(η > 0) = (y > ½)]

Precision (DESIGN.md): η and the gradients are formed from the chunk widened to the
accumulation dtype (float64), so a float32 X gives float64-accurate losses and gradients; the
Hessian GEMMs run in X's dtype (the fast float32 GEMM on a GPU) and are accumulated in float64.
A float32 Hessian only slows Newton (an inexact Newton step): the fixed point, where the
float64 gradient vanishes, is the float64 problem's. Sums stay on the device until
:meth:`GLMSums.result` copies the O(B p²) totals to the host as NumPy float64.

The loss terms are those of :mod:`ridgeline.losses` (binary log loss, Poisson deviance, the
softmax), written with array-API functions; ``tests/test_backend.py`` checks them against it.
"""

from __future__ import annotations

import math

import numpy as np

from ridgeline.backend.array_api import Backend, to_host
from ridgeline.stats.multinomial import MultinomialPassResult
from ridgeline.stats.source import GLMPassResult, symmetric_hessians

#: ``loss.name`` of the scalar-η losses the GLM pass implements.
FAMILIES = ("binomial", "poisson")


def loss_terms(xp, family: str, y, eta, eta_max: float, hessian: bool):
    """``(ℓ, ℓ', ℓ'')`` (each (m, B); ℓ'' None without ``hessian``) for targets y (m, 1) and
    linear predictors η (m, B); finite for every η (see :mod:`ridgeline.losses`)."""
    if family == "binomial":  # log(1 + e^η) − yη, σ(η) − y, σ(1 − σ)
        z = xp.exp(-xp.abs(eta))
        val = xp.where(eta > 0, eta, 0.0) + xp.log1p(z) - y * eta
        mu = xp.where(eta >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
        return val, mu - y, mu * (1.0 - mu) if hessian else None
    # Poisson deviance 2(y log(y/μ) − y + μ), μ = e^η (η capped at eta_max before exp)
    mu = xp.exp(xp.clip(eta, max=eta_max)) if math.isfinite(eta_max) else xp.exp(eta)
    ylogy = xp.where(y > 0, y * xp.log(xp.where(y > 0, y, 1.0)), 0.0)
    return 2.0 * (ylogy - y * eta - y + mu), 2.0 * (mu - y), 2.0 * mu if hessian else None


class GLMSums:
    """Device accumulators of a :class:`~ridgeline.stats.source.GLMPassResult` of B models.

    Parameters
    ----------
    bk : Backend
    coef : ndarray (B, p);  intercept : ndarray (B,)
        The models (host float64; copied to the device once).
    family : {"binomial", "poisson"}
    eta_max : float
        Poisson: η is capped here before ``exp`` (the loss's ``eta_max``).
    hessian : bool
    """

    def __init__(self, bk: Backend, coef: np.ndarray, intercept: np.ndarray, family: str,
                 eta_max: float, hessian: bool):
        B, p = coef.shape
        self.bk, self.family, self.eta_max, self.hessian = bk, family, eta_max, hessian
        self.WT = bk.asarray(np.ascontiguousarray(coef.T))  # (p, B)
        self.b = bk.asarray(intercept)
        self.rows = [bk.zeros((B,)) for _ in range(6)]  # sw, loss, grad_b, held ×3
        self.grad_w = bk.zeros((B, p))
        self.hess_wb = bk.zeros((B, p)) if hessian else None
        self.hess_bb = bk.zeros((B,)) if hessian else None
        self.hess_ww = [bk.zeros((p, p)) for _ in range(B)] if hessian else None

    def add(self, Xc, y, tw, hw) -> None:
        """Add a chunk: rows Xc (m, p) in X's dtype, targets y (m, 1), weights tw, hw (m, B)
        (accumulation dtype)."""
        bk, xp = self.bk, self.bk.xp
        Xa = bk.to_acc(Xc)
        eta = Xa @ self.WT + self.b
        val, g, h = loss_terms(xp, self.family, y, eta, self.eta_max, self.hessian)
        hit = xp.astype((eta > 0) == (y > 0.5), bk.acc)
        G = tw * g
        for i, part in enumerate((tw, tw * val, G, hw, hw * val, hw * hit)):
            self.rows[i] = self.rows[i] + xp.sum(part, axis=0)
        self.grad_w = self.grad_w + G.T @ Xa
        if self.hessian:
            H = tw * h
            self.hess_wb = self.hess_wb + H.T @ Xa
            self.hess_bb = self.hess_bb + xp.sum(H, axis=0)
            for j in range(H.shape[1]):
                Hj = bk.to_out(H[:, j:j + 1])
                self.hess_ww[j] = self.hess_ww[j] + bk.to_acc((Xc * Hj).T @ Xc)

    def result(self) -> GLMPassResult:
        """The sums on the host (NumPy float64), Hessians made exactly symmetric."""
        sw, loss, grad_b, held_sw, held_loss, held_correct = (to_host(r) for r in self.rows)
        hess_ww = None
        if self.hessian:
            hess_ww = np.stack([to_host(H) for H in self.hess_ww])
        out = GLMPassResult(sw=sw, loss=loss, grad_w=to_host(self.grad_w), grad_b=grad_b,
                            hess_ww=hess_ww,
                            hess_wb=None if self.hess_wb is None else to_host(self.hess_wb),
                            hess_bb=None if self.hess_bb is None else to_host(self.hess_bb),
                            held_sw=held_sw, held_loss=held_loss, held_correct=held_correct)
        return symmetric_hessians(out)


class SoftmaxSums:
    """Device accumulators of a :class:`~ridgeline.stats.multinomial.MultinomialPassResult`.

    With ``x̃ = [x, 1]``, ``π = softmax(η)`` and one-hot targets ``Y``, a chunk adds the
    training sums ``Σ tw ℓ``, ``Σ tw x̃ (π − Y)ᵀ`` and the Hessian blocks
    ``Σ tw π_c (δ_cd − π_d) x̃ x̃ᵀ`` (one GEMM in X's dtype per block c ≤ d, mirrored), and
    the held-out loss and accuracy (argmax η = label).

    Parameters
    ----------
    bk : Backend
    coef : ndarray (B, p, C);  intercept : ndarray (B, C)
    hessian : bool
    """

    def __init__(self, bk: Backend, coef: np.ndarray, intercept: np.ndarray, hessian: bool):
        B, p, C = coef.shape
        self.bk, self.shape, self.hessian = bk, (B, p, C), hessian
        self.W = bk.asarray(np.ascontiguousarray(coef.transpose(1, 0, 2).reshape(p, B * C)))
        self.b = bk.asarray(intercept)
        self.rows = [bk.zeros((B,)) for _ in range(5)]  # sw, loss, held ×3
        self.grad = bk.zeros((p + 1, B * C))
        self.hess = {}

    def add(self, Xc, lab, tw, hw) -> None:
        """Add a chunk: rows Xc (m, p) in X's dtype, class indices ``lab`` (m,) (device int),
        weights tw, hw (m, B) (accumulation dtype)."""
        bk, xp = self.bk, self.bk.xp
        B, p, C = self.shape
        m = Xc.shape[0]
        Xa = xp.concat([bk.to_acc(Xc), xp.ones((m, 1), dtype=bk.acc, device=bk.device)],
                       axis=1)  # x̃ (m, p + 1)
        eta = xp.reshape(Xa[:, :p] @ self.W, (m, B, C)) + self.b
        Y = xp.astype(xp.reshape(lab, (m, 1)) == xp.arange(C, device=bk.device), bk.acc)
        top = xp.max(eta, axis=2, keepdims=True)
        e = xp.exp(eta - top)
        tot = xp.sum(e, axis=2, keepdims=True)
        pi = e / tot
        val = (top + xp.log(tot))[:, :, 0] - xp.sum(eta * Y[:, None, :], axis=2)  # (m, B)
        hit = xp.astype(xp.argmax(eta, axis=2) == xp.reshape(lab, (m, 1)), bk.acc)
        for i, part in enumerate((tw, tw * val, hw, hw * val, hw * hit)):
            self.rows[i] = self.rows[i] + xp.sum(part, axis=0)
        R = (pi - Y[:, None, :]) * tw[:, :, None]
        self.grad = self.grad + Xa.T @ xp.reshape(R, (m, B * C))
        if self.hessian:
            self._add_hessian(Xc, pi, tw)

    def _add_hessian(self, Xc, pi, tw) -> None:
        bk, xp = self.bk, self.bk.xp
        B, _, C = self.shape
        Xt = xp.concat([Xc, xp.ones((Xc.shape[0], 1), dtype=Xc.dtype, device=bk.device)],
                       axis=1)
        for j in range(B):
            for c in range(C):
                for d in range(c, C):
                    w = tw[:, j] * pi[:, j, c] * ((1.0 if c == d else 0.0) - pi[:, j, d])
                    H = bk.to_acc((Xt * bk.to_out(xp.reshape(w, (-1, 1)))).T @ Xt)
                    key = (j, c, d)
                    self.hess[key] = self.hess[key] + H if key in self.hess else H

    def result(self) -> MultinomialPassResult:
        """The sums on the host (NumPy float64)."""
        B, p, C = self.shape
        out = MultinomialPassResult.zeros(B, p, C, self.hessian)
        out.sw, out.loss, out.held_sw, out.held_loss, out.held_correct = \
            (to_host(r) for r in self.rows)
        out.grad = to_host(self.grad).reshape(p + 1, B, C).transpose(1, 0, 2).copy()
        for (j, c, d), H in self.hess.items():
            Hh = to_host(H)
            Hh = np.triu(Hh) + np.triu(Hh, 1).T
            out.hess[j, c, d] = Hh
            out.hess[j, d, c] = Hh
        return out
