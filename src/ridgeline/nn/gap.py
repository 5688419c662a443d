"""A feedback rule on the generalization gap: raise λ while validation loss runs away."""

from __future__ import annotations

from typing import Literal

from ridgeline.nn._checks import check_fraction, check_lambda, check_positive
from ridgeline.nn.controller import LambdaController, LossFn, loss_value
from ridgeline.nn.decay import WeightDecay

__all__ = ["GapLambda"]


class GapLambda(LambdaController):
    """Adapt λ to hold the gap between validation and training loss at a target.

    **What it does.** With ``L̄_val`` and ``L̄_train`` exponential averages (factor
    ``smoothing``) of the validation-batch loss and the training loss reported at each
    update, the gap is ::

        g_t = (L̄_val − L̄_train) / L̄_train      (gap="relative", default)
        g_t =  L̄_val − L̄_train                  (gap="absolute")

    and the rule integrates its error in log λ::

        log λ ← log λ + κ · clip(g_t − target, −1, 1)

    A growing gap (overfitting) raises λ; a gap below the target (underfitting: both losses
    high and close) lowers it. It is a heuristic feedback rule, an integral controller in the
    sense of control theory (e.g. Åström & Murray, "Feedback Systems", 2008, ch. 10): it does
    **not** minimize the validation loss; its fixed points are the λ at which the (smoothed)
    gap equals ``target``, so the outcome depends on that target. It needs only loss values
    (no gradient), one validation-batch forward pass per update.

    Parameters
    ----------
    decay : WeightDecay
        The decay to control, at ``λ > 0``.
    target : float, default 0.2
        The gap to hold (relative: a validation loss 20 % above the training loss).
    rate : float, default 0.01
        ``κ``: the largest change of log λ per update.
    gap : {"relative", "absolute"}, default "relative"
        How the gap is measured.
    smoothing : float in [0, 1), default 0.9
        Exponential averaging of both losses.
    **kwargs
        ``every``, ``warmup``, ``lam_min``, ``lam_max``, ``log_every``
        (see :class:`~ridgeline.nn.LambdaController`).

    Notes
    -----
    The signal recorded in :meth:`history` is the gap ``g_t``. ``update`` needs
    ``train_loss`` (a float, tensor, or callable) besides ``val_loss``.
    """

    name = "gap"

    def __init__(self, decay: WeightDecay, *, target: float = 0.2, rate: float = 0.01,
                 gap: Literal["relative", "absolute"] = "relative", smoothing: float = 0.9,
                 **kwargs: object) -> None:
        super().__init__(decay, **kwargs)  # type: ignore[arg-type]
        if gap not in ("relative", "absolute"):
            raise ValueError(f"gap must be 'relative' or 'absolute'; got {gap!r}")
        self.target = check_lambda(target, "target")
        self.rate = check_positive(rate, "rate")
        self.gap = gap
        self.smoothing = check_fraction(smoothing, "smoothing")
        self._val: float | None = None
        self._train: float | None = None

    def _step(self, val_loss: LossFn, train_loss: float | LossFn | None) -> tuple[float, float]:
        tr = loss_value(train_loss, "train_loss")
        va = loss_value(val_loss, "val_loss")
        self.n_val_evals += 1
        self._train = _ema(self._train, tr, self.smoothing)
        self._val = _ema(self._val, va, self.smoothing)
        gap = self._val - self._train
        if self.gap == "relative":
            gap /= max(self._train, 1e-12)
        error = min(max(gap - self.target, -1.0), 1.0)
        return gap, self.rate * error


def _ema(old: float | None, new: float, factor: float) -> float:
    return new if old is None else factor * old + (1.0 - factor) * new
