"""scikit-learn's penalty parameters and ridgeline's canonical λ: ``Ridge``'s alpha,
``LogisticRegression``'s C, ``ElasticNet``'s (alpha, l1_ratio). Re-exported by
:mod:`ridgeline.conventions`, which states the canonical objective."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ridgeline._conventions_checks import (
    FloatOrArray,
    _check_fraction,
    _check_n_w,
    _check_strength,
    _out,
    _representable,
)

__all__ = [
    "canonical_from_sklearn_enet",
    "lambda_from_sklearn_C",
    "lambda_from_sklearn_ridge",
    "sklearn_C",
    "sklearn_enet_from_canonical",
    "sklearn_ridge_alpha",
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
