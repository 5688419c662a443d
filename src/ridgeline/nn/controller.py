"""Base of the adaptive-λ controllers: a log-λ state, bounds, cadence and a logged record."""

from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ridgeline.nn._checks import check_positive
from ridgeline.nn.decay import WeightDecay
from ridgeline.nn.trajectory import LambdaTrajectory

__all__ = ["ControllerHistory", "LambdaController", "LossFn"]

logger = logging.getLogger("ridgeline.nn.adaptive")

LossFn = Callable[[], torch.Tensor]
"""A no-argument callable returning a (mean) loss on a validation batch."""


@dataclass(frozen=True)
class ControllerHistory:
    """Every update of a controller.

    Attributes
    ----------
    steps : ndarray of int, shape (k,)
        Optimizer step count (``decay.step_count``) at each update.
    lam : ndarray, shape (k,)
        λ after each update.
    signal : ndarray, shape (k,)
        The quantity the update was driven by (see each controller).
    """

    steps: np.ndarray
    lam: np.ndarray
    signal: np.ndarray

    def trajectory(self) -> LambdaTrajectory:
        """The λ record as a :class:`LambdaTrajectory`."""
        return LambdaTrajectory(self.steps, self.lam)


class LambdaController(ABC):
    """Adjusts ``decay.lam`` between optimizer steps; call :meth:`update` after each step.

    Parameters
    ----------
    decay : WeightDecay
        The decay whose base λ is controlled (must start at ``λ > 0``: control is on log λ).
    every : int, default 1
        Update every ``every``-th call (the calls in between cost nothing).
    warmup : int, default 0
        Ignore calls while ``decay.step_count <= warmup``.
    lam_min, lam_max : float, default 1e-8 and 1e4
        Bounds of λ (decoupled decay is also kept below ``decay.lam_ceiling``, where one
        step would shrink the weights by half).
    log_every : int, default 100
        Log λ at INFO level on ``ridgeline.nn.adaptive`` every ``log_every`` updates (every
        update is logged at DEBUG level).
    """

    name = "controller"

    def __init__(self, decay: WeightDecay, *, every: int = 1, warmup: int = 0,
                 lam_min: float = 1e-8, lam_max: float = 1e4, log_every: int = 100) -> None:
        if not isinstance(decay, WeightDecay):
            raise TypeError(f"decay must be a ridgeline.nn.WeightDecay; got {type(decay).__name__}")
        if decay.lam <= 0:
            raise ValueError("adaptive control works on log λ: start the WeightDecay at λ > 0")
        self.lam_min = check_positive(lam_min, "lam_min")
        self.lam_max = check_positive(lam_max, "lam_max")
        if self.lam_min >= self.lam_max:
            raise ValueError(f"lam_min ({lam_min}) must be < lam_max ({lam_max})")
        self.every = _positive_int(every, "every")
        self.warmup = _positive_int(warmup, "warmup", allow_zero=True)
        self.log_every = _positive_int(log_every, "log_every", allow_zero=True)
        self.decay = decay
        self.log_lam = math.log(min(max(decay.lam, self.lam_min), self.lam_max))
        decay.lam = math.exp(self.log_lam)
        self.n_calls = 0
        self.n_val_evals = 0
        self._records: list[tuple[int, float, float]] = []

    @property
    def lam(self) -> float:
        """The current λ."""
        return self.decay.lam

    def update(self, val_loss: LossFn, train_loss: float | LossFn | None = None) -> float:
        """One control step (or none, per ``every``/``warmup``); returns the λ now in force.

        Parameters
        ----------
        val_loss : callable
            ``val_loss() -> tensor``: the mean loss of the current model on a validation
            batch (differentiable through the model's parameters).
        train_loss : float or callable, optional
            The training loss of the step just taken (used by the gap rule).
        """
        if not callable(val_loss):
            raise TypeError("val_loss must be a callable returning the validation loss tensor")
        self.n_calls += 1
        if self.decay.step_count <= self.warmup or (self.n_calls - 1) % self.every:
            return self.lam
        signal, delta = self._step(val_loss, train_loss)
        self._move(delta, signal)
        return self.lam

    @abstractmethod
    def _step(self, val_loss: LossFn, train_loss: float | LossFn | None) -> tuple[float, float]:
        """Return ``(signal, change of log λ)``."""

    def _move(self, delta: float, signal: float) -> None:
        old = self.lam
        upper = min(self.lam_max, max(self.decay.lam_ceiling, self.lam_min))
        self.log_lam = min(max(self.log_lam + delta, math.log(self.lam_min)), math.log(upper))
        self.decay.lam = math.exp(self.log_lam)
        self._records.append((self.decay.step_count, self.lam, signal))
        logger.debug("%s step %d: λ %.4g -> %.4g (signal %.4g)", self.name,
                     self.decay.step_count, old, self.lam, signal)
        if self.log_every and len(self._records) % self.log_every == 0:
            logger.info("%s step %d: λ = %.4g (signal %.4g)", self.name,
                        self.decay.step_count, self.lam, signal)

    def history(self) -> ControllerHistory:
        """All updates so far."""
        if not self._records:
            empty = np.zeros(0)
            return ControllerHistory(empty.astype(np.int64), empty, empty)
        steps, lam, signal = (np.asarray(c) for c in zip(*self._records, strict=True))
        return ControllerHistory(steps.astype(np.int64), lam.astype(np.float64),
                                 signal.astype(np.float64))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lam={self.lam:.4g}, updates={len(self._records)})"


def _positive_int(value: object, name: str, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '>= 1'}; got {value}")
    return int(value)


def loss_value(loss: float | LossFn | None, name: str) -> float:
    """A finite float from a number, a 0-d tensor or a callable returning one (no graph)."""
    if loss is None:
        raise ValueError(f"{name} is required by this controller")
    if callable(loss):
        with torch.no_grad():
            loss = loss()
    value = float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)
    if not math.isfinite(value):
        raise ValueError(f"{name} is not finite ({value}); the model has diverged")
    return value
