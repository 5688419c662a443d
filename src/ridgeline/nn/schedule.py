"""λ schedules: a multiplier of the step, from a callable or from any torch LR scheduler.

PyTorch has no weight-decay scheduler (pytorch/pytorch#22343). Here a schedule is anything
that maps the decay's step count ``t`` (0-based) to a multiplier ``m(t) >= 0``; the decay in
force is ``λ · m(t)``. :class:`TorchSchedule` reuses torch's LR-scheduler classes (cosine,
step, one-cycle, ...) for λ, and an LR-scheduler *instance* makes the decay follow that
scheduler's ratio ``lr_t / lr_0``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ridgeline.nn._checks import check_lambda

__all__ = ["ScheduleLike", "TorchSchedule", "as_multiplier", "multiplier_at"]

ScheduleLike = Callable[[int], float] | Any
"""``None``, a callable ``step -> multiplier``, or a torch LR-scheduler–like object."""


class TorchSchedule:
    """A λ multiplier driven by a torch LR-scheduler class.

    The scheduler runs on a private one-parameter optimizer whose learning rate starts at 1,
    so the "learning rate" it produces at step ``t`` is the multiplier ``m(t)``.

    Parameters
    ----------
    make : callable
        ``make(optimizer) -> LRScheduler``, e.g.
        ``lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=1000)``.

    Examples
    --------
    >>> from torch.optim.lr_scheduler import StepLR
    >>> m = TorchSchedule(lambda opt: StepLR(opt, step_size=2, gamma=0.5))
    >>> [m(t) for t in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, make: Callable[[torch.optim.Optimizer], Any]) -> None:
        if not callable(make):
            raise TypeError("make must be a callable optimizer -> LR scheduler")
        self._optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        self._scheduler = make(self._optimizer)
        if not hasattr(self._scheduler, "step"):
            raise TypeError("make(optimizer) must return an LR scheduler (with a step() method)")
        self._values = [self._current()]

    def _current(self) -> float:
        return float(self._optimizer.param_groups[0]["lr"])

    def __call__(self, step: int) -> float:
        """The multiplier at ``step`` (values are cached; the scheduler only moves forward)."""
        if step < 0:
            raise ValueError(f"step must be >= 0; got {step}")
        while len(self._values) <= step:
            self._optimizer.step()  # no gradient: a no-op that keeps the scheduler's order check
            self._scheduler.step()
            self._values.append(self._current())
        return self._values[step]


class _FollowScheduler:
    """Multiplier ``lr_t / lr_0`` of an existing LR scheduler (first parameter group)."""

    def __init__(self, scheduler: Any) -> None:
        self.scheduler = scheduler

    def __call__(self, step: int) -> float:
        base = float(self.scheduler.base_lrs[0])
        return float(self.scheduler.get_last_lr()[0]) / base if base > 0 else 0.0


def _constant(step: int) -> float:
    return 1.0


def as_multiplier(schedule: ScheduleLike | None) -> Callable[[int], float]:
    """Normalize a schedule to a callable ``step -> multiplier`` (not yet validated).

    ``None`` is the constant 1; an object with ``get_last_lr()`` and ``base_lrs`` (a torch LR
    scheduler) is followed as ``lr_t / lr_0``; any other callable is used as is.

    Raises
    ------
    TypeError
        For anything else.
    """
    if schedule is None:
        return _constant
    if hasattr(schedule, "get_last_lr") and hasattr(schedule, "base_lrs"):
        return _FollowScheduler(schedule)
    if callable(schedule):
        return schedule
    raise TypeError("schedule must be None, a callable step -> multiplier or an LR scheduler; "
                    f"got {type(schedule).__name__}")


def multiplier_at(schedule: Callable[[int], float], step: int) -> float:
    """Evaluate and validate ``schedule(step)``: a finite number ``>= 0``."""
    return check_lambda(schedule(step), f"schedule({step})")
