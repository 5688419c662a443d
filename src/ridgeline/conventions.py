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

from numpy.typing import ArrayLike

from ridgeline._conventions_checks import (
    FloatOrArray,
    _as_float,
    _check_n_w,
    _out,
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
from ridgeline.conventions_nn import (
    adamw_weight_decay,
    adamw_weight_decay_from_sgd,
    decay_rate,
    keras_l2,
    lambda_from_adamw_weight_decay,
    lambda_from_decay_rate,
    lambda_from_keras_l2,
    lambda_from_torch_weight_decay,
    sgd_weight_decay_from_adamw,
    torch_weight_decay,
)
from ridgeline.conventions_sklearn import (
    canonical_from_sklearn_enet,
    lambda_from_sklearn_C,
    lambda_from_sklearn_ridge,
    sklearn_C,
    sklearn_enet_from_canonical,
    sklearn_ridge_alpha,
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
