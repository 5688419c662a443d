"""The canonical L2 penalty ``λ Σ w²`` of a network, as a differentiable tensor."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from ridgeline.nn._checks import check_lambda
from ridgeline.nn.masks import DecayMask, decayed_named

__all__ = ["l2_penalty"]


def l2_penalty(
    target: nn.Module | DecayMask | Iterable[torch.Tensor],
    lam: float | torch.Tensor,
) -> torch.Tensor:
    """``λ Σ_j w_j²`` over the decayed parameters: add it to a *mean* training loss.

    ``loss = criterion(model(x), y) + l2_penalty(model, lam)`` minimizes ridgeline's canonical
    objective ``mean loss + λ‖w‖²`` with biases, normalization layers and embeddings left
    unpenalized (see :func:`~ridgeline.nn.decay_mask`). Its gradient is ``2λw``, so a plain
    ``SGD`` step on it equals ``SGD(weight_decay=2λ)`` on the decayed parameters.

    Parameters
    ----------
    target : torch.nn.Module, DecayMask or iterable of tensors
        The model (default mask), a mask from :func:`~ridgeline.nn.decay_mask`, or the exact
        tensors to penalize.
    lam : float or 0-d tensor
        Canonical ``λ >= 0``. A tensor that requires grad stays in the graph
        (``∂/∂λ = Σ w²``); any other value is used as a constant.

    Returns
    -------
    torch.Tensor
        0-d tensor, the penalty, in the dtype and device of the first parameter.

    Raises
    ------
    TypeError
        For a ``target`` that is not a module, mask or iterable of tensors, or a non-numeric
        ``lam``.
    ValueError
        For a NaN, negative or infinite ``lam``, or a mask that decays nothing.
    """
    value = check_lambda(lam)
    params = [p for _, p in decayed_named(target)]
    squares = params[0].pow(2).sum()
    for p in params[1:]:
        squares = squares + p.pow(2).sum()
    if isinstance(lam, torch.Tensor) and lam.requires_grad:
        return lam.to(squares.dtype) * squares
    return value * squares
