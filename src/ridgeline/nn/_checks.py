"""Validation at the public boundary of ``ridgeline.nn``: strengths, modules, learning rates."""

from __future__ import annotations

import math
from numbers import Real

import torch
from torch import nn


def check_lambda(value: object, name: str = "lam") -> float:
    """Return ``value`` as a Python float after checking it is a finite number ``>= 0``.

    Accepts Python and numpy real scalars and 0-d tensors (detached; use
    :func:`~ridgeline.nn.l2_penalty` directly when ``λ`` itself must carry gradient).

    Raises
    ------
    TypeError
        For booleans, strings, multi-element tensors and other non-numbers.
    ValueError
        For NaN, negative or infinite values.
    """
    number = _as_real(value, name)
    if math.isnan(number):
        raise ValueError(f"{name} must not be NaN")
    if number < 0:
        raise ValueError(f"{name} must be non-negative; got {number!r}")
    if math.isinf(number):
        raise ValueError(f"{name} must be finite; got {number!r}")
    return number


def check_positive(value: object, name: str) -> float:
    """A finite number ``> 0`` (learning rates, rates, step sizes)."""
    number = check_lambda(value, name)
    if number == 0:
        raise ValueError(f"{name} must be strictly positive; got 0.0")
    return number


def check_fraction(value: object, name: str, *, closed_right: bool = False) -> float:
    """A number in ``[0, 1)`` (or ``[0, 1]`` with ``closed_right``)."""
    number = check_lambda(value, name)
    if number > 1 or (number == 1 and not closed_right):
        bound = "]" if closed_right else ")"
        raise ValueError(f"{name} must lie in [0, 1{bound}; got {number!r}")
    return number


def check_module(module: object, name: str = "module") -> nn.Module:
    """Raise a TypeError unless ``module`` is a ``torch.nn.Module``."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module; got {type(module).__name__}")
    return module


def check_optimizer(optimizer: object) -> torch.optim.Optimizer:
    """Raise a TypeError unless ``optimizer`` is a ``torch.optim.Optimizer``."""
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer; got {type(optimizer).__name__}"
        )
    return optimizer


def _as_real(value: object, name: str) -> float:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a real number; got a bool")
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise TypeError(f"{name} must be a scalar; got a tensor of shape {tuple(value.shape)}")
        if value.is_complex():
            raise TypeError(f"{name} must be real-valued; got a complex tensor")
        return float(value.detach())
    if isinstance(value, Real):
        return float(value)
    if hasattr(value, "dtype") and getattr(value, "shape", None) == ():  # numpy 0-d array
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            pass
    raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
