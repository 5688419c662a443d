"""Hypergradient descent on log λ against the loss of a validation batch."""

from __future__ import annotations

import math
from typing import Literal

import torch

from ridgeline.nn._checks import check_fraction, check_positive
from ridgeline.nn.controller import LambdaController, LossFn
from ridgeline.nn.decay import WeightDecay

__all__ = ["HypergradientLambda"]

Normalize = Literal["rms", "cosine", "none"]


class HypergradientLambda(LambdaController):
    """Adapt λ by gradient descent on log λ of the validation loss one step ahead.

    **What it optimizes.** After each training step ``w_{t+1} = w_t − η(…) − 2ηλ_t w_t`` (the
    decay part, coupled or decoupled), the controller takes the validation loss of the *new*
    weights, ``L_val(w_{t+1})`` on a validation batch, and its exact derivative with respect to
    ``log λ`` through that one step::

        h_t = ∂L_val(w_{t+1}) / ∂log λ = ⟨∇_w L_val(w_{t+1}), −2ηλ_t w_t⟩

    (the validation gradient projected on the decay direction) and moves log λ against it,
    with ``m_t`` and ``v_t`` bias-corrected exponential averages of ``h`` and ``h²`` (factors
    ``smoothing`` and ``rms_decay``)::

        log λ ← log λ − β · m_t / √v_t      (normalize="rms", default)
        log λ ← log λ − β · m_t             (normalize="none")
        log λ ← log λ − β · m_t             (normalize="cosine", with h_t replaced by the
                                             cosine h_t / (‖∇L_val‖ ‖2ηλ_t w_t‖))

    It raises λ when shrinking the weights would lower the validation loss and lowers it
    otherwise. With ``"rms"`` the step is about ``β`` when the sign of ``h`` is consistent and
    smaller when it is noise, whatever the scale of the loss (Adam-style normalization of a
    scalar, Kingma & Ba, ICLR 2015). The cosine is scale-free too but, in high dimension, small
    (the validation gradient is nearly orthogonal to the weights), so λ moves slowly. This is a
    greedy (one-step) approximation of minimizing the validation loss at the end of training:
    it ignores the effect of λ on earlier steps (the short-horizon bias of one-step
    hypergradients).

    **Where it comes from.** Hypergradient descent: Baydin et al., "Online Learning Rate
    Adaptation with Hypergradient Descent", ICLR 2018 (there for the learning rate, using the
    derivative of the last update); for continuous regularization hyperparameters tuned on a
    validation set through the last elementary training step: Luketina et al., "Scalable
    Gradient-Based Tuning of Continuous Regularization Hyperparameters", ICML 2016. The
    derivative is exact for decoupled decay with any optimizer and for coupled decay with plain
    SGD; under momentum or Adam with coupled decay it ignores the optimizer state's dependence
    on λ. The normalizations and the control on log λ (λ stays positive, steps are relative)
    are choices of this implementation.

    **Cost.** One forward and backward pass on the validation batch per update
    (``torch.autograd.grad``: the training gradients in ``.grad`` are left untouched), plus a
    copy of the decayed weights per step to form ``∂w_{t+1}/∂log λ``.

    Parameters
    ----------
    decay : WeightDecay
        The decay to control, attached to the optimizer (or stepped by hand) at ``λ > 0``.
    hyper_lr : float, default 0.01
        ``β``: about the largest change of log λ per update.
    normalize : {"rms", "cosine", "none"}, default "rms"
        How the hypergradient is scaled (see above).
    smoothing : float in [0, 1), default 0.9
        Exponential averaging of the signal (0: none).
    rms_decay : float in [0, 1), default 0.99
        Exponential averaging of ``h²`` for ``normalize="rms"``.
    **kwargs
        ``every``, ``warmup``, ``lam_min``, ``lam_max``, ``log_every``
        (see :class:`~ridgeline.nn.LambdaController`).

    Notes
    -----
    The signal recorded in :meth:`history` is ``h_t`` (the cosine for ``normalize="cosine"``),
    before any averaging.
    """

    name = "hypergradient"

    def __init__(self, decay: WeightDecay, *, hyper_lr: float = 0.01,
                 normalize: Normalize = "rms", smoothing: float = 0.9, rms_decay: float = 0.99,
                 **kwargs: object) -> None:
        super().__init__(decay, **kwargs)  # type: ignore[arg-type]
        if normalize not in ("rms", "cosine", "none"):
            raise ValueError(f"normalize must be 'rms', 'cosine' or 'none'; got {normalize!r}")
        self.hyper_lr = check_positive(hyper_lr, "hyper_lr")
        self.normalize = normalize
        self.smoothing = check_fraction(smoothing, "smoothing")
        self.rms_decay = check_fraction(rms_decay, "rms_decay")
        self._mean = 0.0
        self._sq = 0.0
        self._n = 0
        decay.track_sensitivity = True

    def hypergradient(self, val_loss: LossFn) -> tuple[float, float]:
        """``(h_t, ‖∇L_val‖·‖∂w/∂log λ‖)`` for the last step; no state is changed.

        Raises
        ------
        RuntimeError
            If the decay has not taken a step since the controller was created.
        """
        sens = self.decay.sensitivity
        if not sens:
            raise RuntimeError("no decay step recorded yet: call update() after optimizer.step()")
        pairs = [(p, s) for p, s in zip(self.decay.parameters, sens, strict=True)
                 if s is not None]
        if not pairs:  # no decayed parameter had a gradient: the step did not depend on λ
            return 0.0, 0.0
        loss = val_loss()
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise TypeError("val_loss() must return a scalar tensor")
        self.n_val_evals += 1
        grads = torch.autograd.grad(loss, [p for p, _ in pairs], allow_unused=True)
        dot = 0.0
        g_sq = 0.0
        s_sq = 0.0
        for g, (_, s) in zip(grads, pairs, strict=True):
            s64 = s.to(torch.float64)
            s_sq += float(s64.pow(2).sum())
            if g is None:
                continue
            g64 = g.to(torch.float64)
            dot += float((g64 * s64).sum())
            g_sq += float(g64.pow(2).sum())
        return dot, math.sqrt(g_sq * s_sq)

    def _step(self, val_loss: LossFn, train_loss: object) -> tuple[float, float]:
        h, scale = self.hypergradient(val_loss)
        if self.normalize == "cosine":
            h = h / scale if scale > 0 else 0.0
        self._n += 1
        self._mean = self.smoothing * self._mean + (1.0 - self.smoothing) * h
        mean = self._mean / (1.0 - self.smoothing**self._n)
        if self.normalize != "rms":
            return h, -self.hyper_lr * mean
        self._sq = self.rms_decay * self._sq + (1.0 - self.rms_decay) * h * h
        rms = math.sqrt(self._sq / (1.0 - self.rms_decay**self._n))
        return h, (-self.hyper_lr * mean / rms) if rms > 0 else 0.0
