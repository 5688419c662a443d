"""``WeightDecay``: one decay step, composable with any torch optimizer.

Two ways to decay a weight ``w`` with canonical strength ``λ`` (objective ``mean loss +
λ‖w‖²``), at the optimizer's learning rate ``η``:

* **coupled** (L2 regularization): ``grad ← grad + 2λw`` before the optimizer's update, so
  momentum and adaptive scaling see the penalty's gradient. With ``SGD`` this is
  ``SGD(weight_decay=2λ)``, with ``Adam`` it is ``Adam(weight_decay=2λ)``, step for step.
* **decoupled** (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019):
  ``w ← (1 - 2ηλ) w`` before the optimizer's update, which then uses the loss gradient only.
  With ``Adam`` this is ``AdamW(weight_decay=2λ)`` (see
  :func:`ridgeline.conventions.adamw_weight_decay`), step for step; with plain SGD it equals
  the coupled decay. ``independent_of_lr=True`` uses a fixed reference rate ``η₀`` instead of
  the current ``η``, so learning-rate schedules no longer change the decay (the paper's
  Algorithm 2, where the decay is multiplied by the schedule but not by the learning rate).

λ may follow a schedule (``λ_t = λ · m(t)``, see :mod:`ridgeline.nn.schedule`) and may be
changed between steps (the adaptive controllers do); every step's ``λ_t`` is recorded.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any, Literal

import torch
from torch import nn

from ridgeline.nn._checks import check_lambda, check_optimizer, check_positive
from ridgeline.nn.masks import DecayMask, decayed_named
from ridgeline.nn.schedule import ScheduleLike, as_multiplier, multiplier_at
from ridgeline.nn.trajectory import LambdaTrajectory

__all__ = ["WeightDecay"]

Mode = Literal["coupled", "decoupled"]
_MODES = ("coupled", "decoupled")


class WeightDecay:
    """A weight-decay step to run before every optimizer step.

    Parameters
    ----------
    target : torch.nn.Module, DecayMask or iterable of tensors
        What to decay: a module's default mask (biases, normalization layers, embeddings
        excluded; see :func:`~ridgeline.nn.decay_mask`), a mask, or exactly these tensors.
    lam : float
        Canonical ``λ >= 0`` (the penalty ``λ‖w‖²``; ``2λ`` is PyTorch's coupled
        ``weight_decay``).
    mode : {"coupled", "decoupled"}, default "coupled"
        Add ``2λ_t w`` to the gradient, or shrink ``w`` by ``1 - 2ηλ_t`` (see the module
        docstring).
    independent_of_lr : bool, default False
        Decoupled mode only: shrink by ``1 - 2η₀λ_t`` with a fixed ``η₀`` (``ref_lr``).
    ref_lr : float, optional
        ``η₀`` for ``independent_of_lr``; defaults to the learning rate of the attached
        optimizer's first parameter group at :meth:`attach` time.
    schedule : callable or LR scheduler, optional
        Multiplier ``m(t)`` of the decay step count ``t``: a callable, a
        :class:`~ridgeline.nn.TorchSchedule`, or an LR-scheduler instance (followed as
        ``lr_t / lr_0``).

    Attributes
    ----------
    step_count : int
        Decay steps taken (one per optimizer step once attached).
    names : tuple of str
        The decayed parameters.

    Examples
    --------
    >>> model = torch.nn.Linear(4, 2)
    >>> opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    >>> decay = WeightDecay(model, lam=1e-2, mode="decoupled").attach(opt)  # = AdamW(wd=0.02)
    """

    def __init__(
        self,
        target: nn.Module | DecayMask | Iterable[torch.Tensor],
        lam: float,
        *,
        mode: Mode = "coupled",
        independent_of_lr: bool = False,
        ref_lr: float | None = None,
        schedule: ScheduleLike | None = None,
    ) -> None:
        if mode not in _MODES:
            raise ValueError(f"mode must be 'coupled' or 'decoupled'; got {mode!r}")
        if independent_of_lr and mode != "decoupled":
            raise ValueError("independent_of_lr applies to decoupled decay only (mode='decoupled')")
        if ref_lr is not None and not independent_of_lr:
            raise ValueError("ref_lr is used only with independent_of_lr=True")
        named = decayed_named(target)
        self.names = tuple(n for n, _ in named)
        self._params = [p for _, p in named]
        self._lam = check_lambda(lam)
        self.mode: Mode = mode
        self.independent_of_lr = independent_of_lr
        self.ref_lr = None if ref_lr is None else check_positive(ref_lr, "ref_lr")
        self._schedule = as_multiplier(schedule)
        self.step_count = 0
        self._history: list[tuple[int, float]] = []
        self._optimizer: torch.optim.Optimizer | None = None
        self._handle: Any = None
        self.track_sensitivity = False
        self.sensitivity: list[torch.Tensor | None] = []
        self._eta_max = 0.0

    # ---------------------------------------------------------------- λ
    @property
    def lam(self) -> float:
        """The base canonical ``λ`` (before the schedule); settable between steps."""
        return self._lam

    @lam.setter
    def lam(self, value: float) -> None:
        self._lam = check_lambda(value)

    @property
    def current_lam(self) -> float:
        """``λ · m(step_count)``: the λ the next step will apply."""
        return self._lam * multiplier_at(self._schedule, self.step_count)

    @property
    def lam_ceiling(self) -> float:
        """Largest base λ a controller should set: decoupled steps shrink by at most half
        (``2ηλ <= 0.5`` at the largest learning rate seen); ``inf`` for coupled decay."""
        if self.mode == "coupled" or self._eta_max <= 0:
            return float("inf")
        return 0.25 / self._eta_max

    @property
    def parameters(self) -> list[torch.Tensor]:
        """The decayed tensors."""
        return list(self._params)

    def trajectory(self) -> LambdaTrajectory:
        """``λ_t`` applied at every step so far."""
        return LambdaTrajectory.from_pairs(self._history)

    # ---------------------------------------------------------------- optimizer
    def attach(self, optimizer: torch.optim.Optimizer) -> WeightDecay:
        """Run the decay automatically before every ``optimizer.step()``; returns ``self``.

        Raises
        ------
        TypeError
            If ``optimizer`` is not a ``torch.optim.Optimizer``.
        ValueError
            If a decayed parameter is not optimized by it, or a decay is already attached.

        Warns
        -----
        UserWarning
            If a parameter group holding decayed parameters has its own ``weight_decay``
            (the decay would be applied twice).
        """
        check_optimizer(optimizer)
        if self._optimizer is not None:
            raise ValueError("this WeightDecay is already attached; call detach() first")
        self._lr_of(optimizer)  # raises when a parameter is missing
        _warn_double_decay(optimizer, self._params)
        if self.independent_of_lr and self.ref_lr is None:
            self.ref_lr = check_positive(optimizer.param_groups[0]["lr"], "ref_lr")
        self._optimizer = optimizer
        self._handle = optimizer.register_step_pre_hook(self._pre_hook)
        return self

    def detach(self) -> None:
        """Stop decaying on ``optimizer.step()``."""
        if self._handle is not None:
            self._handle.remove()
        self._handle = None
        self._optimizer = None

    def _pre_hook(self, optimizer: torch.optim.Optimizer, args: tuple, kwargs: dict) -> None:
        # torch passes (optimizer, *step_args): the closure is the first step argument
        closure = kwargs.get("closure", args[1] if len(args) > 1 else None)
        if closure is not None and self.mode == "coupled":
            raise RuntimeError(
                "coupled WeightDecay cannot run before a closure-based step (e.g. LBFGS): the "
                "closure recomputes the gradient; add l2_penalty(...) to the loss in the closure"
            )
        self._apply(self._lr_of(optimizer))

    def step(self, lr: float | None = None) -> None:
        """Apply one decay step by hand (when not attached), before ``optimizer.step()``.

        Parameters
        ----------
        lr : float, optional
            The learning rate ``η`` of the coming optimizer step; required in decoupled mode
            unless ``independent_of_lr`` with a ``ref_lr``.

        Raises
        ------
        RuntimeError
            If attached (the optimizer already runs it).
        ValueError
            If the decoupled decay has no learning rate.
        """
        if self._optimizer is not None:
            raise RuntimeError("attached WeightDecay runs on optimizer.step(); do not call step()")
        eta = None if lr is None else check_positive(lr, "lr")
        if self.mode == "decoupled" and eta is None and self.ref_lr is None:
            raise ValueError("decoupled decay needs the learning rate: step(lr=...)")
        self._apply([eta] * len(self._params))

    # ---------------------------------------------------------------- the update
    def _apply(self, lrs: list[float | None]) -> None:
        lam_t = self.current_lam
        wd = 2.0 * lam_t
        etas = [self.ref_lr if self.independent_of_lr else lr for lr in lrs]
        if self.mode == "decoupled":
            _check_shrink(etas, wd)
            self._eta_max = max((e for e in etas if e is not None), default=0.0)
        if self.track_sensitivity:
            self.sensitivity = _sensitivity(self._params, etas, wd)
        with torch.no_grad():
            for p, eta in zip(self._params, etas, strict=True):
                if p.grad is None:  # torch's optimizers skip these parameters too
                    continue
                if self.mode == "coupled":
                    p.grad.add_(p, alpha=wd)
                else:
                    p.mul_(1.0 - eta * wd)
        self._history.append((self.step_count, lam_t))
        self.step_count += 1

    def _lr_of(self, optimizer: torch.optim.Optimizer) -> list[float | None]:
        lr_by_id = {id(p): g.get("lr") for g in optimizer.param_groups for p in g["params"]}
        pairs = zip(self.names, self._params, strict=True)
        missing = [n for n, p in pairs if id(p) not in lr_by_id]
        if missing:
            raise ValueError(f"the optimizer does not optimize the decayed parameter(s) {missing}")
        return [_plain_float(lr_by_id[id(p)]) for p in self._params]

    def __repr__(self) -> str:
        n = sum(p.numel() for p in self._params)
        extra = ", independent_of_lr" if self.independent_of_lr else ""
        return (f"WeightDecay(mode={self.mode!r}{extra}, lam={self._lam:.4g}, "
                f"{len(self._params)} tensors / {n:,} weights, step={self.step_count})")


def _check_shrink(etas: list[float | None], wd: float) -> None:
    worst = max((eta for eta in etas if eta is not None), default=0.0) * wd
    if worst >= 1.0:
        raise ValueError(f"decoupled decay 2·lr·λ = {worst:.4g} >= 1 would zero or flip the "
                         "sign of the weights in one step; lower λ or the learning rate")


def _sensitivity(params: list[torch.Tensor], etas: list[float | None],
                 wd: float) -> list[torch.Tensor | None]:
    """``∂w_{t+1}/∂log λ`` of the decay part of the step: ``-2ηλ_t w_t`` (None: no step)."""
    out: list[torch.Tensor | None] = []
    for p, eta in zip(params, etas, strict=True):
        if p.grad is None or eta is None:
            out.append(None)
        else:
            out.append(p.detach().clone().mul_(-wd * eta))
    return out


def _plain_float(lr: Any) -> float | None:
    if lr is None:
        return None
    return float(lr.item()) if isinstance(lr, torch.Tensor) else float(lr)


def _warn_double_decay(optimizer: torch.optim.Optimizer, params: list[torch.Tensor]) -> None:
    ids = {id(p) for p in params}
    for i, group in enumerate(optimizer.param_groups):
        wd = group.get("weight_decay", 0.0)
        if wd and any(id(p) in ids for p in group["params"]):
            warnings.warn(
                f"optimizer parameter group {i} already has weight_decay={wd}; WeightDecay "
                "adds its own, so these parameters are decayed twice (set weight_decay=0)",
                UserWarning, stacklevel=3,
            )
