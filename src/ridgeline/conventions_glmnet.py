"""Exact conversions between glmnet's ``(lambda, alpha)`` and canonical ``(λ, mix)``, per family.

glmnet (Friedman, Hastie & Tibshirani (2010), "Regularization paths for generalized linear
models via coordinate descent", J. Stat. Softw. 33(1)) minimizes, for family ``f``::

    D_f(β) + λ_g [ ((1 - a)/2) ‖β‖² + a ‖β‖₁ ]

with ``D_f = -(1/n_w) Σ_i s_i log-likelihood_i`` (``(1/2n_w) Σ s_i r_i²`` for the gaussian).
ridgeline's canonical objective is ``(1/n_w) Σ s_i ℓ_i + λ (mix ‖β‖₁ + (1 - mix) ‖β‖²)`` with
its own losses, which are ``κ_f · D_f`` up to a constant:

    family        canonical loss ℓ                         κ_f   canonical (λ, mix)
    ------------  ---------------------------------------  ----  -------------------------------
    gaussian      squared error (y - ŷ)² (not halved)      2     λ = λ_g(1+a),   mix = 2a/(1+a)
    binomial      log loss = −log-likelihood               1     λ = λ_g(1+a)/2, mix = 2a/(1+a)
    multinomial   softmax log loss = −log-likelihood       1     λ = λ_g(1+a)/2, mix = 2a/(1+a)
    poisson       deviance = 2·(−log-likelihood) + const   2     λ = λ_g(1+a),   mix = 2a/(1+a)

Multiplying glmnet's objective by ``κ_f`` and matching ``λ·mix = κ_f λ_g a`` and
``λ(1 - mix) = κ_f λ_g (1 - a)/2`` gives the table. For the multinomial family the penalty is
on every class coefficient (``type.multinomial="ungrouped"``) or on the norm of each feature's
K class coefficients (``"grouped"``): the conversion is the same.

R glmnet's gaussian family standardizes y internally by its weighted standard deviation
``sd_y = √(Σ s_i (y_i - ȳ)² / n_w)`` (``ȳ`` the weighted mean; about 0 with
``intercept=FALSE``) and divides λ by it, which leaves the L1 part on the scale of y but divides
its L2 part by ``sd_y``: the objective it actually minimizes is
``(1/2n_w)Σ s_i r_i² + λ_g [a‖β‖₁ + ((1 - a)/(2 sd_y))‖β‖²]``. Pass ``sd_y`` to convert R
glmnet's gaussian fits (``sd_y=None`` is the documented objective, which glum implements
exactly). The other families have no such scaling. ``penalty.factor`` is rescaled by glmnet to
sum to the number of features, as ridgeline's ``penalty_factor`` is
(:func:`ridgeline.penalties.elastic_net.check_factors`); with ``standardize=TRUE`` (glmnet's
default) the penalty is on the coefficients of standardized columns.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ridgeline._conventions_checks import (
    FloatOrArray,
    _check_fraction,
    _check_strength,
    _out,
    _representable,
)

__all__ = [
    "GLMNET_FAMILIES",
    "canonical_from_glmnet",
    "canonical_from_glmnet_enet",
    "glmnet_enet_from_canonical",
    "glmnet_from_canonical",
    "glmnet_lambda",
    "lambda_from_glmnet",
]

#: glmnet family → κ_f, the factor from glmnet's data term to the canonical mean loss.
_KAPPA = {"gaussian": 2.0, "binomial": 1.0, "multinomial": 1.0, "poisson": 2.0}

GLMNET_FAMILIES = tuple(_KAPPA)
"""The glmnet families with a canonical conversion."""


def _kappa(family: object, sd_y: ArrayLike | None) -> tuple[float, np.ndarray | None]:
    """``κ_f`` and the validated ``sd_y`` (None unless gaussian with a given scale)."""
    if not isinstance(family, str) or family not in _KAPPA:
        raise ValueError(f"unknown glmnet family {family!r}; expected one of "
                         f"{', '.join(repr(f) for f in GLMNET_FAMILIES)} (glmnet's 'mgaussian' "
                         "and 'cox' families have no canonical conversion)")
    if sd_y is None:
        return _KAPPA[family], None
    if family != "gaussian":
        raise ValueError(f"sd_y applies to family='gaussian' only: glmnet scales y internally "
                         f"for the gaussian family alone, not for {family!r}")
    sd = _check_strength(sd_y, "sd_y", allow_zero=False)
    return _KAPPA[family], sd


def canonical_from_glmnet(lambda_g: ArrayLike, a: ArrayLike = 0.0, *, family: str,
                          sd_y: ArrayLike | None = None) -> tuple[FloatOrArray, FloatOrArray]:
    """Canonical ``(λ, mix)`` equivalent to glmnet ``(lambda, alpha)`` for a given family.

    See the module docstring for the objectives: ``λ = κ_f λ_g (1 + a)/2`` and
    ``mix = 2a/(1 + a)``, with ``κ_f = 2`` for ``"gaussian"`` and ``"poisson"`` and 1 for
    ``"binomial"`` and ``"multinomial"``. With ``sd_y`` (gaussian only, R glmnet's internal
    scaling of y) ``λ·mix = 2λ_g a`` and ``λ(1 - mix) = λ_g(1 - a)/sd_y``.

    Parameters
    ----------
    lambda_g : float or array_like
        glmnet's ``lambda`` (glum's ``alpha``), finite and ``>= 0``.
    a : float or array_like, default=0.0
        glmnet's mixing ``alpha`` (glum's ``l1_ratio``) in ``[0, 1]``.
    family : {"gaussian", "binomial", "multinomial", "poisson"}
        Required: the conversion depends on it.
    sd_y : float, optional
        Gaussian only: the weighted standard deviation of y that R glmnet divides by.

    Returns
    -------
    lam : float or ndarray
    mix : float or ndarray

    Raises
    ------
    ValueError
        For an unknown family, ``sd_y`` with another family, or invalid values.

    Examples
    --------
    >>> canonical_from_glmnet(0.1, 1.0, family="binomial")
    (0.1, 1.0)
    >>> canonical_from_glmnet(0.1, 1.0, family="poisson")
    (0.2, 1.0)
    """
    kappa, sd = _kappa(family, sd_y)
    lg = _check_strength(lambda_g, "lambda_g")
    am = _check_fraction(a, "a")
    with np.errstate(over="ignore", under="ignore"):
        if sd is None:
            lam = lg * (1.0 + am) * (kappa / 2.0)
            mix = 2.0 * am / (1.0 + am)
        else:
            l2 = (1.0 - am) / (2.0 * sd)
            lam = kappa * lg * (am + l2)
            mix = am / (am + l2)
    lg, lam, mix = np.broadcast_arrays(lg, lam, mix)
    return _out(_representable(lam, lg, "lambda")), _out(mix)


def glmnet_from_canonical(lam: ArrayLike, mix: ArrayLike = 0.0, *, family: str,
                          sd_y: ArrayLike | None = None) -> tuple[FloatOrArray, FloatOrArray]:
    """glmnet ``(lambda, alpha)`` for a given family equivalent to canonical ``(λ, mix)``.

    The inverse of :func:`canonical_from_glmnet`: ``λ_g = (2λ/κ_f)(1 - mix/2)`` and
    ``a = mix/(2 - mix)``; with ``sd_y`` (gaussian), ``λ_g = (λ/2)(mix + 2 sd_y (1 - mix))``
    and ``a = mix / (mix + 2 sd_y (1 - mix))``.

    Parameters
    ----------
    lam : float or array_like
        Canonical ``λ``, finite and ``>= 0``.
    mix : float or array_like, default=0.0
        Canonical L1 share in ``[0, 1]``.
    family : {"gaussian", "binomial", "multinomial", "poisson"}
    sd_y : float, optional
        Gaussian only, as in :func:`canonical_from_glmnet`.

    Returns
    -------
    lambda_g : float or ndarray
    a : float or ndarray
    """
    kappa, sd = _kappa(family, sd_y)
    la = _check_strength(lam, "lam")
    m = _check_fraction(mix, "mix")
    with np.errstate(over="ignore", under="ignore"):
        if sd is None:
            lg = la * (1.0 - 0.5 * m) * (2.0 / kappa)
            a = m / (2.0 - m)
        else:
            total = m + 2.0 * sd * (1.0 - m)
            lg = la * total / kappa
            a = m / total
    la, lg, a = np.broadcast_arrays(la, lg, a)
    return _out(_representable(lg, la, "lambda_g")), _out(a)


def lambda_from_glmnet(lambda_g: ArrayLike, *, family: str = "gaussian",
                       sd_y: ArrayLike | None = None) -> FloatOrArray:
    """Canonical ``λ`` equivalent to a glmnet / glum ridge ``lambda`` (mixing ``alpha = 0``).

    glmnet's gaussian family (``alpha = 0``) and glum's
    ``GeneralizedLinearRegressor(family="normal", alpha=λ_g, l1_ratio=0)`` minimize
    ``(1 / (2 n_w)) Σ_i s_i (y_i - ŷ_i)² + (λ_g / 2) ‖w‖²``. Twice that is the canonical
    objective with ``λ = λ_g``: the two conventions coincide and no ``n_w`` is needed. For
    another ``family`` this is :func:`canonical_from_glmnet` at ``a = 0`` (``λ = λ_g/2`` for the
    binomial and multinomial families).

    Parameters
    ----------
    lambda_g : float or array_like
        glmnet's ``lambda`` (glum's ``alpha``), finite and ``>= 0``.
    family : str, default="gaussian"
        The glmnet family; this function is the gaussian conversion unless told otherwise.
    sd_y : float, optional
        R glmnet's internal scale of y (gaussian only, see the module docstring).

    Returns
    -------
    lam : float or ndarray

    Raises
    ------
    ValueError
        If ``lambda_g`` is NaN, negative or infinite, or the family is unknown.

    Notes
    -----
    Without ``sd_y`` this is glmnet's *documented* objective with ``standardize=FALSE``; with R
    glmnet's default ``standardize=TRUE`` the penalty is on the coefficients of standardized
    columns. glum implements the objective exactly (checked numerically in ridgeline's tests).
    """
    return canonical_from_glmnet(lambda_g, 0.0, family=family, sd_y=sd_y)[0]


def glmnet_lambda(lam: ArrayLike, *, family: str = "gaussian",
                  sd_y: ArrayLike | None = None) -> FloatOrArray:
    """glmnet / glum ridge ``lambda`` equivalent to canonical ``λ`` (equal for the gaussian).

    Parameters
    ----------
    lam : float or array_like
        Canonical ``λ``, finite and ``>= 0``.
    family, sd_y :
        As :func:`lambda_from_glmnet`.

    Returns
    -------
    lambda_g : float or ndarray

    Raises
    ------
    ValueError
        If ``lam`` is NaN, negative or infinite, or the family is unknown.

    See Also
    --------
    lambda_from_glmnet : The inverse, with the objective spelled out.
    """
    return glmnet_from_canonical(lam, 0.0, family=family, sd_y=sd_y)[0]


def canonical_from_glmnet_enet(lambda_g: ArrayLike, a: ArrayLike, *, family: str = "gaussian",
                               sd_y: ArrayLike | None = None
                               ) -> tuple[FloatOrArray, FloatOrArray]:
    """Canonical ``(λ, mix)`` equivalent to glmnet ``(lambda, alpha)`` / glum ``(alpha, l1_ratio)``.

    glmnet's gaussian elastic net (and glum's ``GeneralizedLinearRegressor`` with
    ``alpha=λ_g, l1_ratio=a``) minimizes::

        (1 / (2 n_w)) Σ_i s_i (y_i - ŷ_i)² + λ_g (a ‖w‖₁ + ((1 - a) / 2) ‖w‖²)

    which is scikit-learn's ``ElasticNet`` objective with ``alpha = λ_g`` and ``l1_ratio = a``.
    Hence ``λ = λ_g (1 + a)`` and ``mix = 2a / (1 + a)``. Other families: see
    :func:`canonical_from_glmnet` (this is it, with ``family="gaussian"`` by default).

    Parameters
    ----------
    lambda_g : float or array_like
        glmnet's ``lambda`` (glum's ``alpha``), finite and ``>= 0``.
    a : float or array_like
        glmnet's mixing ``alpha`` (glum's ``l1_ratio``) in ``[0, 1]``.
    family, sd_y :
        As :func:`canonical_from_glmnet`.

    Returns
    -------
    lam : float or ndarray
    mix : float or ndarray

    Raises
    ------
    ValueError
        If ``lambda_g`` is NaN, negative or infinite, ``a`` is outside ``[0, 1]`` or the
        family is unknown.
    """
    return canonical_from_glmnet(lambda_g, a, family=family, sd_y=sd_y)


def glmnet_enet_from_canonical(lam: ArrayLike, mix: ArrayLike, *, family: str = "gaussian",
                               sd_y: ArrayLike | None = None
                               ) -> tuple[FloatOrArray, FloatOrArray]:
    """glmnet ``(lambda, alpha)`` / glum ``(alpha, l1_ratio)`` equivalent to canonical ``(λ, mix)``.

    The inverse of :func:`canonical_from_glmnet_enet`: for the gaussian family
    ``λ_g = λ (1 - mix / 2)`` and ``a = mix / (2 - mix)``.

    Parameters
    ----------
    lam : float or array_like
        Canonical ``λ``, finite and ``>= 0``.
    mix : float or array_like
        Canonical L1 share in ``[0, 1]``.
    family, sd_y :
        As :func:`glmnet_from_canonical`.

    Returns
    -------
    lambda_g : float or ndarray
    a : float or ndarray

    Raises
    ------
    ValueError
        If ``lam`` is NaN, negative or infinite, ``mix`` is outside ``[0, 1]`` or the family
        is unknown.
    """
    return glmnet_from_canonical(lam, mix, family=family, sd_y=sd_y)
