"""Exact conversions between ridgeline's ``lambda_`` and other libraries' penalty parameters.

ridgeline has one canonical objective, and every estimator reports ``lambda_`` in it::

    minimize_{w, b}   (1/n_w) Σ_i s_i ℓ(y_i, x_iᵀw + b)  +  λ · P(w)

* ``s_i`` are the sample weights (default 1) and ``n_w = Σ_i s_i`` is their total;
* ``ℓ`` is the squared error ``(y - ŷ)²`` (*not* halved) for regression, and the log loss
  ``log(1 + exp(z)) - y z`` (``y ∈ {0, 1}``) for classification;
* ``P(w) = ‖w‖² = Σ_j w_j²`` for L2, ``‖w‖₁ = Σ_j |w_j|`` for L1, and for the elastic net with
  L1 share ``mix``: ``P(w) = mix · ‖w‖₁ + (1 - mix) · ‖w‖²``;
* the intercept ``b`` is never penalized.

Every other convention below differs from it by a positive factor on the whole objective (which
does not move the minimizer), so each conversion is exact: the same ``(w, b)`` minimizes both.

The conventions, with ``r_i = y_i - ŷ_i``, ``ρ`` scikit-learn's ``l1_ratio`` and ``a`` glmnet's
mixing ``alpha`` (glum's ``l1_ratio``)::

    name                 library: objective                                   canonical
    -------------------  ---------------------------------------------------  ---------------
    sklearn_ridge        Ridge(alpha):                                        λ = α / n_w
                         Σ s_i r_i² + α‖w‖²
    sklearn_C            LogisticRegression(C), L2:                           λ = 1/(2 C n_w)
                         C Σ s_i ℓ_i + ½‖w‖²
    sklearn_enet         ElasticNet(alpha, l1_ratio) / Lasso:                 λ = α(1+ρ)
                         (1/2n_w) Σ s_i r_i² + αρ‖w‖₁ + ½α(1-ρ)‖w‖²           mix = 2ρ/(1+ρ)
    glmnet               glmnet gaussian lambda (alpha = 0) / glum alpha:     λ = λ_g
                         (1/2n_w) Σ s_i r_i² + ½λ_g‖w‖²
    glmnet_enet          glmnet gaussian (lambda, alpha) / glum:              λ = λ_g(1+a)
                         (1/2n_w) Σ s_i r_i² + λ_g(a‖w‖₁ + ½(1-a)‖w‖²)        mix = 2a/(1+a)
    glmnet_binomial      glmnet binomial / multinomial (lambda, alpha):       λ = λ_g(1+a)/2
                         −(1/n_w) Σ s_i loglik_i + λ_g(a‖w‖₁ + ½(1-a)‖w‖²)    mix = 2a/(1+a)
    glmnet_poisson       glmnet poisson (lambda, alpha):                      λ = λ_g(1+a)
                         −(1/n_w) Σ s_i loglik_i + λ_g(a‖w‖₁ + ½(1-a)‖w‖²)    mix = 2a/(1+a)
    torch_weight_decay   PyTorch SGD/Adam weight_decay (coupled, not AdamW):  λ = wd / 2
                         mean loss, gradient step on ∇loss + wd·w
    keras_l2             Keras regularizers.l2(l):                            λ = l
                         mean loss + l Σ w_j²

glum's ``GeneralizedLinearRegressor(alpha=λ_g, l1_ratio=a)`` uses exactly glmnet's convention.
glmnet's conversion depends on its family (the canonical losses are the squared error, the
log-likelihood and the deviance): :func:`canonical_from_glmnet` / :func:`glmnet_from_canonical`
take the family as a required argument (and, for the gaussian family, R glmnet's internal
``sd_y`` scaling of the L2 part); :mod:`ridgeline.conventions_glmnet` derives every row. The
older ``lambda_from_glmnet``, ``glmnet_lambda``, ``canonical_from_glmnet_enet`` and
``glmnet_enet_from_canonical`` are the gaussian conversion unless given ``family=``.

*Decoupled* weight decay (``torch.optim.AdamW``, Loshchilov & Hutter 2019) is an update rule,
not a penalty: at learning rate ``η`` it multiplies every decayed weight by ``1 - η·wd`` per
step, before the optimizer's own update. A plain gradient step of size ``η_sgd`` on the
canonical objective shrinks the weights by ``1 - 2·η_sgd·λ`` (``∇ λ‖w‖² = 2λw``). Matching the
per-step shrink gives the exact converters :func:`adamw_weight_decay` /
:func:`lambda_from_adamw_weight_decay` (``wd = 2λ·η_sgd/η``, so ``wd = 2λ`` at equal learning
rates, where decoupled and coupled decay give identical SGD iterates),
:func:`adamw_weight_decay_from_sgd` / :func:`sgd_weight_decay_from_adamw` (``wd_adamw · η =
wd_sgd · η_sgd``) and, for learning-rate-independent decay ``w ← (1 - ρ) w``,
:func:`decay_rate` / :func:`lambda_from_decay_rate` (``ρ = 2·η·λ``).

The elastic-net rows are derived by doubling the library objective (which makes its data term
the canonical ``(1/n_w) Σ s_i r_i²``): the penalty becomes ``2αρ‖w‖₁ + α(1-ρ)‖w‖²``, and matching
``λ·mix = 2αρ`` and ``λ·(1 - mix) = α(1-ρ)`` gives ``λ = α(1+ρ)`` and ``mix = 2ρ/(1+ρ)``; the
inverse is ``α = λ(1 - mix/2)`` and ``ρ = mix/(2 - mix)``. Note that ``mix ≠ ρ`` in general:
the libraries halve the L2 term but not the L1 term, the canonical objective halves neither.

All functions are pure, accept Python floats or numpy arrays (broadcasting against each other),
return a Python ``float`` for scalar input and a float64 ``ndarray`` otherwise, and raise
``ValueError`` naming the offending argument for NaN, negative, non-finite (where not meaningful)
inputs and for ``n_w <= 0``. :data:`CONVENTIONS` describes every convention so that a CLI can
print it, and :func:`convert` converts a single L2 strength between any two named conventions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ridgeline._conventions_checks import (
    FloatOrArray,
    _as_float,
    _check_fraction,
    _check_n_w,
    _check_strength,
    _first,
    _out,
    _representable,
)
from ridgeline.conventions_glmnet import (
    GLMNET_FAMILIES,
    canonical_from_glmnet,
    canonical_from_glmnet_enet,
    glmnet_enet_from_canonical,
    glmnet_from_canonical,
    glmnet_lambda,
    lambda_from_glmnet,
)

__all__ = [
    "CONVENTIONS",
    "GLMNET_FAMILIES",
    "Convention",
    "adamw_weight_decay",
    "adamw_weight_decay_from_sgd",
    "canonical_from_glmnet",
    "canonical_from_glmnet_enet",
    "canonical_from_sklearn_enet",
    "convert",
    "decay_rate",
    "glmnet_enet_from_canonical",
    "glmnet_from_canonical",
    "glmnet_lambda",
    "keras_l2",
    "lambda_from_adamw_weight_decay",
    "lambda_from_decay_rate",
    "lambda_from_glmnet",
    "lambda_from_keras_l2",
    "lambda_from_sklearn_C",
    "lambda_from_sklearn_ridge",
    "lambda_from_torch_weight_decay",
    "sgd_weight_decay_from_adamw",
    "sklearn_C",
    "sklearn_enet_from_canonical",
    "sklearn_ridge_alpha",
    "torch_weight_decay",
]

# --------------------------------------------------------------------------------------------
# scikit-learn Ridge
# --------------------------------------------------------------------------------------------


def lambda_from_sklearn_ridge(alpha: ArrayLike, n_w: ArrayLike) -> FloatOrArray:
    """Canonical ``λ`` equivalent to scikit-learn ``Ridge(alpha=alpha)``.

    scikit-learn's :class:`~sklearn.linear_model.Ridge` (also ``RidgeCV``, ``RidgeClassifier``)
    minimizes ``Σ_i s_i (y_i - ŷ_i)² + α‖w‖²``. Dividing by ``n_w`` gives the canonical
    objective with ``λ = α / n_w``.

    Parameters
    ----------
    alpha : float or array_like
        scikit-learn's ``alpha``, finite and ``>= 0``.
    n_w : float or array_like
        Total sample weight ``Σ s_i`` of the training set (the number of samples when
        unweighted), finite and ``> 0``. Broadcasts against ``alpha``.

    Returns
    -------
    lam : float or ndarray
        ``alpha / n_w``.

    Raises
    ------
    ValueError
        If ``alpha`` is NaN, negative or infinite, or ``n_w`` is not finite and positive.

    Examples
    --------
    >>> lambda_from_sklearn_ridge(10.0, 100)
    0.1
    """
    a = _check_strength(alpha, "alpha")
    n = _check_n_w(n_w)
    with np.errstate(over="ignore", under="ignore"):
        lam = a / n
    return _out(_representable(lam, a, "lambda"))


def sklearn_ridge_alpha(lam: ArrayLike, n_w: ArrayLike) -> FloatOrArray:
    """scikit-learn ``Ridge`` ``alpha`` equivalent to canonical ``λ``: ``alpha = λ · n_w``.

    Parameters
    ----------
    lam : float or array_like
        Canonical ``λ``, finite and ``>= 0``.
    n_w : float or array_like
        Total sample weight ``Σ s_i``, finite and ``> 0``.

    Returns
    -------
    alpha : float or ndarray
        ``lam * n_w``.

    Raises
    ------
    ValueError
        If ``lam`` is NaN, negative or infinite, or ``n_w`` is not finite and positive.

    See Also
    --------
    lambda_from_sklearn_ridge : The inverse, with the objective spelled out.
    """
    la = _check_strength(lam, "lam")
    n = _check_n_w(n_w)
    with np.errstate(over="ignore", under="ignore"):
        alpha = la * n
    return _out(_representable(alpha, la, "alpha"))


# --------------------------------------------------------------------------------------------
# scikit-learn LogisticRegression (L2)
# --------------------------------------------------------------------------------------------


def lambda_from_sklearn_C(C: ArrayLike, n_w: ArrayLike) -> FloatOrArray:
    """Canonical ``λ`` equivalent to scikit-learn ``LogisticRegression(C=C)`` (L2 penalty).

    scikit-learn's L2 :class:`~sklearn.linear_model.LogisticRegression` minimizes
    ``C Σ_i s_i ℓ_i + ½‖w‖²`` with ``ℓ`` the log loss (``class_weight`` multiplies ``s_i``).
    Dividing by ``C n_w`` gives the canonical objective with ``λ = 1 / (2 C n_w)``. The same
    factor holds for the multinomial loss with ``‖W‖²`` the squared Frobenius norm.

    Parameters
    ----------
    C : float or array_like
        scikit-learn's inverse regularization strength, ``> 0``. ``C = inf`` (no penalty)
        maps to ``λ = 0``.
    n_w : float or array_like
        Total sample weight ``Σ s_i`` (including any ``class_weight`` factors), finite and
        ``> 0``.

    Returns
    -------
    lam : float or ndarray
        ``1 / (2 C n_w)``.

    Raises
    ------
    ValueError
        If ``C`` is NaN, negative or zero, or ``n_w`` is not finite and positive.

    Examples
    --------
    >>> lambda_from_sklearn_C(0.5, 100)
    0.01
    >>> lambda_from_sklearn_C(float("inf"), 100)
    0.0
    """
    c = _check_strength(C, "C", allow_zero=False, allow_inf=True)
    n = _check_n_w(n_w)
    with np.errstate(over="ignore", under="ignore"):
        lam = 0.5 / c / n
    return _out(_representable(lam, c, "lambda"))


def sklearn_C(lam: ArrayLike, n_w: ArrayLike) -> FloatOrArray:
    """scikit-learn ``LogisticRegression`` ``C`` equivalent to canonical ``λ``.

    ``C = 1 / (2 λ n_w)``; ``λ = 0`` maps to ``C = inf`` (unpenalized).

    Parameters
    ----------
    lam : float or array_like
        Canonical ``λ``, finite and ``>= 0``.
    n_w : float or array_like
        Total sample weight ``Σ s_i``, finite and ``> 0``.

    Returns
    -------
    C : float or ndarray
        ``1 / (2 lam n_w)``, ``inf`` where ``lam == 0``.

    Raises
    ------
    ValueError
        If ``lam`` is NaN, negative or infinite, or ``n_w`` is not finite and positive.

    See Also
    --------
    lambda_from_sklearn_C : The inverse, with the objective spelled out.
    """
    la = _check_strength(lam, "lam")
    n = _check_n_w(n_w)
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        c = 0.5 / la / n
    c = np.where(la == 0, np.inf, c)
    return _out(_representable(c, la, "C"))


# --------------------------------------------------------------------------------------------
# scikit-learn Lasso / ElasticNet
# --------------------------------------------------------------------------------------------


def canonical_from_sklearn_enet(
    alpha: ArrayLike, l1_ratio: ArrayLike
) -> tuple[FloatOrArray, FloatOrArray]:
    """Canonical ``(λ, mix)`` equivalent to scikit-learn ``ElasticNet(alpha, l1_ratio)``.

    scikit-learn's :class:`~sklearn.linear_model.ElasticNet` (and ``Lasso``, ``l1_ratio=1``)
    minimizes::

        (1 / (2 n_w)) Σ_i s_i (y_i - ŷ_i)² + α ρ ‖w‖₁ + (α (1 - ρ) / 2) ‖w‖²

    with ``ρ = l1_ratio`` (sample weights are rescaled internally, which is the ``1/n_w``).
    Twice this is the canonical data term plus ``2αρ‖w‖₁ + α(1-ρ)‖w‖²``, which equals the
    canonical ``λ (mix ‖w‖₁ + (1 - mix) ‖w‖²)`` for ``λ = α (1 + ρ)`` and
    ``mix = 2ρ / (1 + ρ)``. No ``n_w`` is needed.

    Parameters
    ----------
    alpha : float or array_like
        scikit-learn's ``alpha``, finite and ``>= 0``.
    l1_ratio : float or array_like
        scikit-learn's ``l1_ratio`` ``ρ`` in ``[0, 1]``.

    Returns
    -------
    lam : float or ndarray
        Canonical strength ``α (1 + ρ)``.
    mix : float or ndarray
        Canonical L1 share ``2ρ / (1 + ρ)``, in ``[0, 1]``.

    Raises
    ------
    ValueError
        If ``alpha`` is NaN, negative or infinite, or ``l1_ratio`` is outside ``[0, 1]``.

    Examples
    --------
    >>> canonical_from_sklearn_enet(0.1, 1.0)  # Lasso(alpha=0.1) is λ = 0.2 on ‖w‖₁
    (0.2, 1.0)
    """
    a = _check_strength(alpha, "alpha")
    rho = _check_fraction(l1_ratio, "l1_ratio")
    with np.errstate(over="ignore", under="ignore"):
        lam = a * (1.0 + rho)
    mix = 2.0 * rho / (1.0 + rho)
    a, mix = np.broadcast_arrays(a, mix)
    return _out(_representable(lam, a, "lambda")), _out(mix)


def sklearn_enet_from_canonical(
    lam: ArrayLike, mix: ArrayLike
) -> tuple[FloatOrArray, FloatOrArray]:
    """scikit-learn ``ElasticNet`` ``(alpha, l1_ratio)`` equivalent to canonical ``(λ, mix)``.

    The inverse of :func:`canonical_from_sklearn_enet`: ``alpha = λ (1 - mix / 2)`` and
    ``l1_ratio = mix / (2 - mix)``.

    Parameters
    ----------
    lam : float or array_like
        Canonical ``λ``, finite and ``>= 0``.
    mix : float or array_like
        Canonical L1 share in ``[0, 1]``.

    Returns
    -------
    alpha : float or ndarray
        scikit-learn's ``alpha``.
    l1_ratio : float or ndarray
        scikit-learn's ``l1_ratio``, in ``[0, 1]``.

    Raises
    ------
    ValueError
        If ``lam`` is NaN, negative or infinite, or ``mix`` is outside ``[0, 1]``.
    """
    la = _check_strength(lam, "lam")
    m = _check_fraction(mix, "mix")
    alpha = la * (1.0 - 0.5 * m)
    rho = m / (2.0 - m)
    la, rho = np.broadcast_arrays(la, rho)
    return _out(_representable(alpha, la, "alpha")), _out(rho)


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


# --------------------------------------------------------------------------------------------
# table and dispatcher
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Convention:
    """One library's penalty convention, relative to ridgeline's canonical objective.

    Attributes
    ----------
    name : str
        Key in :data:`CONVENTIONS` and name accepted by :func:`convert`.
    library : str
        The library and parameter the convention belongs to.
    objective : str
        The objective that library minimizes.
    formula : str
        The conversion to and from the canonical ``λ`` (and ``mix``).
    needs_n_w : bool
        Whether the conversion needs the total sample weight ``n_w``.
    elastic_net : bool
        Whether the convention is a ``(strength, l1 mix)`` pair; those are converted with
        the dedicated functions, not with :func:`convert`.
    """

    name: str
    library: str
    objective: str
    formula: str
    needs_n_w: bool = False
    elastic_net: bool = False


_TABLE = (
    Convention(
        "canonical",
        "ridgeline lambda_",
        "(1/n_w) Σ s_i ℓ(y_i, ŷ_i) + λ P(w),  ℓ = (y-ŷ)² or log loss, P = ‖w‖²",
        "λ",
    ),
    Convention(
        "sklearn_ridge",
        "scikit-learn Ridge(alpha)",
        "Σ s_i (y_i - ŷ_i)² + α ‖w‖²",
        "λ = α / n_w ;  α = λ n_w",
        needs_n_w=True,
    ),
    Convention(
        "sklearn_C",
        "scikit-learn LogisticRegression(C), L2",
        "C Σ s_i ℓ_i + ½ ‖w‖²",
        "λ = 1 / (2 C n_w) ;  C = 1 / (2 λ n_w)  (C = inf ⇔ λ = 0)",
        needs_n_w=True,
    ),
    Convention(
        "sklearn_enet",
        "scikit-learn ElasticNet(alpha, l1_ratio=ρ) / Lasso",
        "(1/(2n_w)) Σ s_i (y_i - ŷ_i)² + αρ ‖w‖₁ + ½ α(1-ρ) ‖w‖²",
        "λ = α(1+ρ), mix = 2ρ/(1+ρ) ;  α = λ(1 - mix/2), ρ = mix/(2 - mix)",
        elastic_net=True,
    ),
    Convention(
        "glmnet",
        "glmnet lambda (alpha=0) / glum alpha (l1_ratio=0)",
        "(1/(2n_w)) Σ s_i (y_i - ŷ_i)² + ½ λ_g ‖w‖²",
        "λ = λ_g",
    ),
    Convention(
        "glmnet_enet",
        "glmnet (lambda, alpha=a) / glum (alpha, l1_ratio=a)",
        "(1/(2n_w)) Σ s_i (y_i - ŷ_i)² + λ_g (a ‖w‖₁ + ½ (1-a) ‖w‖²)",
        "λ = λ_g(1+a), mix = 2a/(1+a) ;  λ_g = λ(1 - mix/2), a = mix/(2 - mix)",
        elastic_net=True,
    ),
    Convention(
        "glmnet_binomial",
        "glmnet family='binomial' or 'multinomial' (lambda, alpha=a)",
        "-(1/n_w) Σ s_i loglik_i + λ_g (a ‖w‖₁ + ½ (1-a) ‖w‖²)",
        "λ = λ_g(1+a)/2, mix = 2a/(1+a) ;  λ_g = λ(2 - mix), a = mix/(2 - mix)",
        elastic_net=True,
    ),
    Convention(
        "glmnet_poisson",
        "glmnet family='poisson' (lambda, alpha=a)",
        "-(1/n_w) Σ s_i loglik_i + λ_g (a ‖w‖₁ + ½ (1-a) ‖w‖²)",
        "λ = λ_g(1+a), mix = 2a/(1+a) ;  λ_g = λ(1 - mix/2), a = mix/(2 - mix)",
        elastic_net=True,
    ),
    Convention(
        "torch_weight_decay",
        "PyTorch SGD/Adam weight_decay (coupled; not AdamW)",
        "mean loss, update uses ∇loss + wd·w  ≡  mean loss + (wd/2) ‖w‖²",
        "λ = wd / 2 ;  wd = 2λ",
    ),
    Convention(
        "keras_l2",
        "Keras regularizers.l2(l)",
        "mean loss + l Σ w_j²",
        "λ = l",
    ),
)

CONVENTIONS: Mapping[str, Convention] = MappingProxyType({c.name: c for c in _TABLE})
"""Read-only mapping from convention name to its :class:`Convention` description."""

_Converter = Callable[..., FloatOrArray]

# name -> (to canonical, from canonical); n_w is passed as a second argument iff needed.
_SCALAR: Mapping[str, tuple[_Converter, _Converter]] = MappingProxyType(
    {
        "canonical": (glmnet_lambda, glmnet_lambda),
        "sklearn_ridge": (lambda_from_sklearn_ridge, sklearn_ridge_alpha),
        "sklearn_C": (lambda_from_sklearn_C, sklearn_C),
        "glmnet": (lambda_from_glmnet, glmnet_lambda),
        "torch_weight_decay": (lambda_from_torch_weight_decay, torch_weight_decay),
        "keras_l2": (lambda_from_keras_l2, keras_l2),
    }
)


def _resolve(name: object, role: str) -> Convention:
    if not isinstance(name, str) or name not in CONVENTIONS:
        valid = ", ".join(repr(n) for n in _SCALAR)
        raise ValueError(f"unknown convention {name!r} for {role}; expected one of {valid}")
    conv = CONVENTIONS[name]
    if conv.elastic_net:
        fn = ("canonical_from_" + name if role == "from_" else name + "_from_canonical") + "()"
        if name.startswith("glmnet_") and name != "glmnet_enet":
            fn = ("canonical_from_glmnet" if role == "from_" else "glmnet_from_canonical") + \
                f"(..., family={name.removeprefix('glmnet_')!r})"
        raise ValueError(
            f"{name!r} is an elastic-net (strength, mix) pair and cannot be converted with "
            f"convert(); use {fn} instead"
        )
    return conv


def convert(value: ArrayLike, *, from_: str, to: str, n_w: ArrayLike | None = None) -> FloatOrArray:
    """Convert an L2 penalty strength between two named conventions.

    Parameters
    ----------
    value : float or array_like
        The strength in convention ``from_`` (``C`` for ``"sklearn_C"``, which may be ``inf``).
    from_, to : str
        One of ``"canonical"``, ``"sklearn_ridge"``, ``"sklearn_C"``, ``"glmnet"``,
        ``"torch_weight_decay"``, ``"keras_l2"`` (see :data:`CONVENTIONS`).
    n_w : float or array_like, optional
        Total sample weight ``Σ s_i``; required when either side is ``"sklearn_ridge"`` or
        ``"sklearn_C"``, validated (and otherwise unused) when given.

    Returns
    -------
    converted : float or ndarray
        The same penalty in convention ``to``.

    Raises
    ------
    ValueError
        For an unknown or elastic-net convention name, a missing ``n_w`` where one is needed,
        or an invalid ``value`` / ``n_w``.

    Examples
    --------
    >>> convert(10.0, from_="sklearn_ridge", to="torch_weight_decay", n_w=100)
    0.2
    """
    src = _resolve(from_, "from_")
    dst = _resolve(to, "to")
    needing = [c.name for c in (src, dst) if c.needs_n_w]
    n = None
    if needing or n_w is not None:
        n = _check_n_w(n_w, context=" and ".join(dict.fromkeys(needing)) or "")
    to_canonical = _SCALAR[src.name][0]
    from_canonical = _SCALAR[dst.name][1]
    lam = to_canonical(value, n) if src.needs_n_w else to_canonical(value)
    if src.name == dst.name:  # identity: validated above, return the input unchanged
        return _out(_as_float(value, "value"))
    return from_canonical(lam, n) if dst.needs_n_w else from_canonical(lam)
