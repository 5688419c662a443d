"""Neural-network weight decay and ridgeline's canonical λ: PyTorch ``weight_decay``, Keras
``l2``, AdamW's decoupled decay and per-step decay rates. Re-exported by
:mod:`ridgeline.conventions`, which states the canonical objective."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ridgeline._conventions_checks import (
    FloatOrArray,
    _check_strength,
    _first,
    _out,
    _representable,
)

__all__ = [
    "adamw_weight_decay",
    "adamw_weight_decay_from_sgd",
    "decay_rate",
    "keras_l2",
    "lambda_from_adamw_weight_decay",
    "lambda_from_decay_rate",
    "lambda_from_keras_l2",
    "lambda_from_torch_weight_decay",
    "sgd_weight_decay_from_adamw",
    "torch_weight_decay",
]

# --------------------------------------------------------------------------------------------
# PyTorch weight_decay and Keras l2
# --------------------------------------------------------------------------------------------


def lambda_from_torch_weight_decay(weight_decay: ArrayLike) -> FloatOrArray:
    """Canonical ``λ`` equivalent to a PyTorch *coupled* ``weight_decay``: ``λ = wd / 2``.

    ``torch.optim.SGD`` (and ``Adam``, ``RMSprop``, ... with their ``weight_decay`` argument)
    add ``wd · w`` to the gradient of the training loss before the update. When that loss is
    the (weighted) mean loss ``(1/n_w) Σ s_i ℓ_i`` (e.g. ``MSELoss()`` or
    ``BCEWithLogitsLoss()`` with the default ``reduction="mean"``), the optimizer follows the
    gradient of ``(1/n_w) Σ s_i ℓ_i + (wd / 2) ‖w‖²``, since ``∇(λ‖w‖²) = 2λw``. Hence
    ``λ = wd / 2``.

    Parameters
    ----------
    weight_decay : float or array_like
        PyTorch's ``weight_decay``, finite and ``>= 0``.

    Returns
    -------
    lam : float or ndarray
        ``weight_decay / 2``.

    Raises
    ------
    ValueError
        If ``weight_decay`` is NaN, negative or infinite.

    Notes
    -----
    This does **not** hold for ``torch.optim.AdamW``, whose *decoupled* decay
    ``w ← w - lr · wd · w`` is not the gradient of any fixed penalty on the loss; its effective
    strength depends on the learning rate (and the adaptive scaling). Also, PyTorch decays every
    parameter in the group, including biases, unless they are put in a group with
    ``weight_decay=0``; the canonical objective never penalizes the intercept.
    """
    wd = _check_strength(weight_decay, "weight_decay")
    return _out(0.5 * wd)


def torch_weight_decay(lam: ArrayLike) -> FloatOrArray:
    """PyTorch coupled ``weight_decay`` equivalent to canonical ``λ``: ``wd = 2 λ``.

    Parameters
    ----------
    lam : float or array_like
        Canonical ``λ``, finite and ``>= 0``.

    Returns
    -------
    weight_decay : float or ndarray
        ``2 * lam``. Valid for SGD / Adam's coupled ``weight_decay``, not for ``AdamW``.

    Raises
    ------
    ValueError
        If ``lam`` is NaN, negative or infinite.

    See Also
    --------
    lambda_from_torch_weight_decay : The inverse, with the caveats spelled out.
    """
    la = _check_strength(lam, "lam")
    with np.errstate(over="ignore"):
        wd = 2.0 * la
    return _out(_representable(wd, la, "weight_decay"))


def lambda_from_keras_l2(l2: ArrayLike) -> FloatOrArray:
    """Canonical ``λ`` equivalent to Keras ``regularizers.l2(l2)``: ``λ = l2``.

    Keras adds ``l2 · Σ_j w_j²`` to the training loss, which for a model compiled with a
    mean loss (``"mse"``, ``"binary_crossentropy"`` from logits, default reduction) is the
    canonical objective with ``λ = l2``. Put the regularizer on the kernel only
    (``kernel_regularizer``), not on the bias, to keep the intercept unpenalized.

    Parameters
    ----------
    l2 : float or array_like
        Keras' L2 factor, finite and ``>= 0``.

    Returns
    -------
    lam : float or ndarray
        ``l2``.

    Raises
    ------
    ValueError
        If ``l2`` is NaN, negative or infinite.

    Notes
    -----
    With ``sample_weight``, Keras' default ``"sum_over_batch_size"`` reduction divides the
    weighted sum by the number of samples ``n`` rather than by ``n_w``; the equivalent
    canonical strength is then ``l2 · n / n_w`` (identical when the weights average to 1).
    """
    return _out(_check_strength(l2, "l2"))


def keras_l2(lam: ArrayLike) -> FloatOrArray:
    """Keras ``regularizers.l2`` factor equivalent to canonical ``λ`` (they are equal).

    Parameters
    ----------
    lam : float or array_like
        Canonical ``λ``, finite and ``>= 0``.

    Returns
    -------
    l2 : float or ndarray
        ``lam``.

    Raises
    ------
    ValueError
        If ``lam`` is NaN, negative or infinite.

    See Also
    --------
    lambda_from_keras_l2 : The inverse, with the caveats spelled out.
    """
    return _out(_check_strength(lam, "lam"))


# --------------------------------------------------------------------------------------------
# decoupled weight decay (AdamW) and learning-rate-independent decay
# --------------------------------------------------------------------------------------------


def _check_lr(lr: ArrayLike, name: str) -> NDArray[np.float64]:
    """Validate a learning rate: finite and strictly positive."""
    return _check_strength(lr, name, allow_zero=False)


def _sgd_lr_or(lr: NDArray[np.float64], sgd_lr: ArrayLike | None) -> NDArray[np.float64]:
    return lr if sgd_lr is None else _check_lr(sgd_lr, "sgd_lr")


def adamw_weight_decay(
    lam: ArrayLike, lr: ArrayLike, *, sgd_lr: ArrayLike | None = None
) -> FloatOrArray:
    """``torch.optim.AdamW`` ``weight_decay`` that shrinks the weights like canonical ``λ``.

    AdamW at learning rate ``lr`` multiplies each decayed weight by ``1 - lr·wd`` per step
    (before its Adam update). A gradient step of size ``sgd_lr`` on the canonical objective
    ``mean loss + λ‖w‖²`` multiplies it by ``1 - 2·sgd_lr·λ`` (plus the loss gradient). Equal
    shrink per step gives ``wd = 2·λ·sgd_lr / lr``.

    Parameters
    ----------
    lam : float or array_like
        Canonical ``λ``, finite and ``>= 0``.
    lr : float or array_like
        AdamW's learning rate, finite and ``> 0``.
    sgd_lr : float or array_like, optional
        Step size of the reference gradient step; defaults to ``lr``, which gives
        ``wd = 2λ``: with plain SGD as the inner optimizer, decoupled decay with that ``wd``
        produces exactly the iterates of ``SGD(weight_decay=2λ)``.

    Returns
    -------
    weight_decay : float or ndarray
        ``2 * lam * sgd_lr / lr``.

    Raises
    ------
    ValueError
        If ``lam`` is NaN, negative or infinite, or a learning rate is not finite and ``> 0``.

    Notes
    -----
    With Adam's per-coordinate scaling the decoupled decay is not the gradient of any fixed
    penalty (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019); the
    conversion matches the multiplicative shrink per step, which is exact, not the optimum.

    Examples
    --------
    >>> round(adamw_weight_decay(0.025, lr=1e-3, sgd_lr=0.1), 12)
    5.0
    """
    la = _check_strength(lam, "lam")
    eta = _check_lr(lr, "lr")
    ref = _sgd_lr_or(eta, sgd_lr)
    with np.errstate(over="ignore", under="ignore"):
        wd = 2.0 * la * (ref / eta)  # ref / eta is exactly 1.0 at equal rates
    return _out(_representable(wd, la, "weight_decay"))


def lambda_from_adamw_weight_decay(
    weight_decay: ArrayLike, lr: ArrayLike, *, sgd_lr: ArrayLike | None = None
) -> FloatOrArray:
    """Canonical ``λ`` whose gradient step shrinks the weights like AdamW's decoupled decay.

    The inverse of :func:`adamw_weight_decay`: ``λ = wd · lr / (2 · sgd_lr)``.

    Parameters
    ----------
    weight_decay : float or array_like
        AdamW's ``weight_decay``, finite and ``>= 0``.
    lr : float or array_like
        AdamW's learning rate, finite and ``> 0``.
    sgd_lr : float or array_like, optional
        Step size of the reference gradient step on the canonical objective; defaults to
        ``lr`` (then ``λ = wd / 2``).

    Returns
    -------
    lam : float or ndarray
        ``weight_decay * lr / (2 * sgd_lr)``.

    Raises
    ------
    ValueError
        If ``weight_decay`` is NaN, negative or infinite, or a learning rate is not finite and
        ``> 0``.
    """
    wd = _check_strength(weight_decay, "weight_decay")
    eta = _check_lr(lr, "lr")
    ref = _sgd_lr_or(eta, sgd_lr)
    with np.errstate(over="ignore", under="ignore"):
        lam = 0.5 * wd * (eta / ref)
    return _out(_representable(lam, wd, "lambda"))


def adamw_weight_decay_from_sgd(
    weight_decay: ArrayLike, lr: ArrayLike, sgd_lr: ArrayLike
) -> FloatOrArray:
    """AdamW ``weight_decay`` at ``lr`` with the per-step shrink of SGD's at ``sgd_lr``.

    ``SGD(lr=sgd_lr, weight_decay=wd_sgd)`` shrinks the weights by ``1 - sgd_lr·wd_sgd`` per
    step (through the gradient), ``AdamW(lr=lr, weight_decay=wd)`` by ``1 - lr·wd``: equal
    shrink gives ``wd = wd_sgd · sgd_lr / lr``. For example ``SGD(lr=0.1, weight_decay=5e-4)``
    decays like ``AdamW(lr=1e-3, weight_decay=0.05)``.

    Parameters
    ----------
    weight_decay : float or array_like
        SGD's (coupled) ``weight_decay``, finite and ``>= 0`` (canonical ``λ = wd_sgd / 2``).
    lr : float or array_like
        AdamW's learning rate, finite and ``> 0``.
    sgd_lr : float or array_like
        SGD's learning rate, finite and ``> 0``.

    Returns
    -------
    weight_decay : float or ndarray
        AdamW's ``weight_decay``, ``weight_decay * sgd_lr / lr``.

    Raises
    ------
    ValueError
        If ``weight_decay`` is NaN, negative or infinite, or a learning rate is not finite and
        ``> 0``.

    Examples
    --------
    >>> round(adamw_weight_decay_from_sgd(5e-4, lr=1e-3, sgd_lr=0.1), 12)
    0.05
    """
    wd = _check_strength(weight_decay, "weight_decay")
    return adamw_weight_decay(0.5 * wd, lr, sgd_lr=sgd_lr)


def sgd_weight_decay_from_adamw(
    weight_decay: ArrayLike, lr: ArrayLike, sgd_lr: ArrayLike
) -> FloatOrArray:
    """SGD (coupled) ``weight_decay`` at ``sgd_lr`` with the per-step shrink of AdamW's at ``lr``.

    The inverse of :func:`adamw_weight_decay_from_sgd`: ``wd_sgd = wd · lr / sgd_lr``.

    Parameters
    ----------
    weight_decay : float or array_like
        AdamW's ``weight_decay``, finite and ``>= 0``.
    lr : float or array_like
        AdamW's learning rate, finite and ``> 0``.
    sgd_lr : float or array_like
        SGD's learning rate, finite and ``> 0``.

    Returns
    -------
    weight_decay : float or ndarray
        SGD's ``weight_decay``, ``weight_decay * lr / sgd_lr``.

    Raises
    ------
    ValueError
        If ``weight_decay`` is NaN, negative or infinite, or a learning rate is not finite and
        ``> 0``.
    """
    lam = lambda_from_adamw_weight_decay(weight_decay, lr, sgd_lr=sgd_lr)
    return torch_weight_decay(lam)


def decay_rate(lam: ArrayLike, lr: ArrayLike) -> FloatOrArray:
    """Per-step shrink fraction ``ρ = 2·lr·λ`` of a gradient step on ``λ‖w‖²``.

    Learning-rate-independent decoupled decay applies ``w ← (1 - ρ) w`` each step (the weight
    decay of Loshchilov & Hutter, ICLR 2019, Algorithm 2, before its schedule multiplier). It
    equals the decay part of a gradient step of size ``lr`` on the canonical objective when
    ``ρ = 2·lr·λ``.

    Parameters
    ----------
    lam : float or array_like
        Canonical ``λ``, finite and ``>= 0``.
    lr : float or array_like
        The reference step size, finite and ``> 0``.

    Returns
    -------
    rate : float or ndarray
        ``2 * lr * lam``, in ``[0, 1)``.

    Raises
    ------
    ValueError
        If ``lam`` is NaN, negative or infinite, ``lr`` is not finite and ``> 0``, or the rate
        is ``>= 1`` (a step that would zero or flip the sign of the weights).
    """
    la = _check_strength(lam, "lam")
    eta = _check_lr(lr, "lr")
    with np.errstate(over="ignore", under="ignore"):
        rho = 2.0 * eta * la
    bad = rho >= 1.0
    if bad.any():
        raise ValueError(
            f"the decay rate 2·lr·λ = {_first(rho, bad)!r} must be < 1 (a larger per-step "
            "shrink would zero or flip the sign of the weights)"
        )
    return _out(_representable(rho, la, "decay rate"))


def lambda_from_decay_rate(rate: ArrayLike, lr: ArrayLike) -> FloatOrArray:
    """Canonical ``λ = ρ / (2·lr)`` of a per-step shrink ``w ← (1 - ρ) w``.

    The inverse of :func:`decay_rate`.

    Parameters
    ----------
    rate : float or array_like
        The per-step shrink fraction ``ρ``, in ``[0, 1)``.
    lr : float or array_like
        The reference step size, finite and ``> 0``.

    Returns
    -------
    lam : float or ndarray
        ``rate / (2 * lr)``.

    Raises
    ------
    ValueError
        If ``rate`` is NaN, negative or ``>= 1``, or ``lr`` is not finite and ``> 0``.
    """
    rho = _check_strength(rate, "rate")
    bad = rho >= 1.0
    if bad.any():
        raise ValueError(f"rate must lie in [0, 1); got {_first(rho, bad)!r}")
    eta = _check_lr(lr, "lr")
    with np.errstate(over="ignore", under="ignore"):
        lam = rho / (2.0 * eta)
    return _out(_representable(lam, rho, "lambda"))
