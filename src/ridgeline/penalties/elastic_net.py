"""The elastic-net family ``P(w) = Σ_j f_j (α|w_j| + (1-α) w_j²)``, with bounds ``w_j ≥ 0``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def check_mix(mix: float, name: str = "l1_ratio") -> float:
    """A mixing parameter in ``[0, 1]``, as a float."""
    try:
        value = float(mix)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in [0, 1], got {mix!r}") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {mix!r}")
    return value


def check_factors(factors, n_features: int, name: str = "penalty_factor") -> np.ndarray:
    """The per-feature weights ``f_j`` of a user's ``penalty_factor``, with glmnet's meaning.

    ``factors`` is ``None`` (all ones) or ``n_features`` finite values ≥ 0, glmnet's
    ``penalty.factor``. As glmnet does (Friedman, Hastie & Tibshirani (2010), "Regularization
    paths for generalized linear models via coordinate descent", J. Stat. Softw. 33(1); its
    code rescales ``vp = vp · nvars / sum(vp)``), the factors are rescaled to sum to
    ``n_features``: ``f_j = factor_j · p / Σ_k factor_k``. Only their ratios therefore matter —
    uniform factors of any size are the plain penalty — and the same raw factors give the
    same coefficients as glmnet's. Factors that are all zero (nothing penalized) are kept.
    This is the one place where a ``penalty_factor`` parameter becomes weights: every
    estimator and path that takes one must pass it through here (``ElasticNetPenalty`` itself
    takes weights literally).

    Returns
    -------
    ndarray (n_features,)
    """
    return glmnet_scaled(checked_factors(factors, n_features, name))


def checked_factors(factors, n_features: int, name: str = "factors") -> np.ndarray:
    """Validated literal weights: ``None`` (all ones) or ``n_features`` finite values ≥ 0."""
    if factors is None:
        return np.ones(n_features)
    f = np.asarray(factors, dtype=np.float64)
    if f.ndim != 1 or f.size != n_features:
        raise ValueError(f"{name} must have one value per feature ({n_features}), "
                         f"got shape {f.shape}")
    if not np.all(np.isfinite(f)):
        raise ValueError(f"{name} must be finite, got {int(np.sum(~np.isfinite(f)))} "
                         "non-finite values")
    if np.any(f < 0):
        raise ValueError(f"{name} must be non-negative: feature {int(np.argmax(f < 0))} "
                         f"has {f[f < 0][0]!r}")
    return f


def glmnet_scaled(factors: np.ndarray) -> np.ndarray:
    """``factors · p / Σ factors`` (glmnet's normalization); all-zero factors unchanged."""
    total = float(factors.sum())
    if total == 0.0:
        return factors.copy()
    return factors / total * factors.size


def soft_threshold(v: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """``sign(v) · max(|v| - t, 0)`` elementwise."""
    return np.sign(v) * np.maximum(np.abs(v) - t, 0.0)


def adaptive_weights(coef: np.ndarray, gamma: float = 1.0, *, eps: float = 0.0) -> np.ndarray:
    """Adaptive-lasso penalty factors ``f_j = 1 / |β̂_j|^γ`` from a pilot estimate ``β̂``.

    Zou (2006), "The adaptive lasso and its oracle properties", JASA 101(476). A pilot
    coefficient of exactly zero gets an infinite factor, which is clipped to ``1/eps^γ`` when
    ``eps > 0`` and otherwise to 1e12 times the largest finite factor (the feature is then
    excluded in practice). Factors are rescaled so that their mean is 1, which leaves the
    solutions unchanged up to the scale of λ.
    """
    b = np.abs(np.asarray(coef, dtype=np.float64)).ravel()
    if gamma <= 0 or not np.isfinite(gamma):
        raise ValueError(f"gamma must be positive and finite, got {gamma!r}")
    if not np.all(np.isfinite(b)):
        raise ValueError("the pilot coefficients contain NaN or inf")
    if eps > 0:
        b = np.maximum(b, eps)
    with np.errstate(divide="ignore"):
        f = b ** (-gamma)
    finite = np.isfinite(f)
    if not finite.any():
        raise ValueError("every pilot coefficient is zero: adaptive weights are undefined")
    f[~finite] = 1e12 * f[finite].max()
    return f / f[finite].mean()


@dataclass(frozen=True)
class ElasticNetPenalty:
    """``P(w) = Σ_j f_j (α|w_j| + (1-α) w_j²)``, optionally with ``w ≥ 0``.

    Parameters
    ----------
    mix : float in [0, 1]
        α of DESIGN.md: 1 is the lasso, 0 is ridge (this is *not* scikit-learn's ``l1_ratio``;
        see :func:`ridgeline.conventions.canonical_from_sklearn_enet`).
    factors : ndarray of shape (p,)
        Per-feature weights ``f_j ≥ 0``, used as given; 0 leaves a feature unpenalized. A
        user's ``penalty_factor`` (glmnet's ``penalty.factor``) becomes weights through
        :func:`check_factors`, which rescales them to ``Σ_j f_j = p`` as glmnet does.
    nonneg : bool
        Constrain every coefficient to be non-negative.
    """

    mix: float
    factors: np.ndarray
    nonneg: bool = False

    def check_solvable(self) -> ElasticNetPenalty:
        """Refuse what the coordinate-descent solvers do not handle: bounds on free features.

        Unpenalized coordinates are minimized as one exact (unconstrained) block, so
        ``nonneg`` needs every coefficient L1-penalized.
        """
        if self.nonneg and (self.mix == 0.0 or np.any(self.factors == 0)):
            raise ValueError("positive=True needs every coefficient L1-penalized: it is not "
                             "available with unpenalized features (penalty_factor 0) or a "
                             "pure L2 penalty (l1_ratio=0)")
        return self

    @classmethod
    def make(cls, mix: float, n_features: int, factors=None, nonneg: bool = False):
        """Validated parameters; ``factors`` are literal weights (for a ``penalty_factor``
        parameter pass ``check_factors(penalty_factor, n_features)``)."""
        return cls(check_mix(mix, "mix"), checked_factors(factors, n_features, "penalty_factor"),
                   bool(nonneg))

    @property
    def n_features(self) -> int:
        return self.factors.size

    def coefficients(self, lam: float, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """``(a, b)`` such that ``scale·λ·P(w) = Σ a_j|w_j| + ½ Σ b_j w_j²``."""
        a = scale * lam * self.mix * self.factors
        b = 2.0 * scale * lam * (1.0 - self.mix) * self.factors
        return a, b

    def value(self, w: np.ndarray) -> float:
        """``P(w)``; ``inf`` when a bound is violated."""
        w = np.asarray(w, dtype=np.float64)
        if self.nonneg and np.any(w < 0):
            return np.inf
        f = self.factors
        return float(self.mix * f @ np.abs(w) + (1.0 - self.mix) * f @ (w * w))

    def prox(self, v: np.ndarray, step: float) -> np.ndarray:
        """``argmin_w ½‖w - v‖² + step·P(w)`` (closed form, coordinate-wise)."""
        a, b = self.coefficients(step)
        w = soft_threshold(np.asarray(v, dtype=np.float64), a) / (1.0 + b)
        return np.maximum(w, 0.0) if self.nonneg else w

    def subdiff_distance(self, w: np.ndarray, grad: np.ndarray, lam: float) -> np.ndarray:
        """Per feature, ``dist(-grad_j, λ ∂P_j(w_j))``: zero for every j exactly at an optimum.

        ``grad`` is the gradient of the (canonical) smooth part; the result is the optimality
        (KKT) residual of ``smooth + λP``.
        """
        a, b = self.coefficients(lam)
        g = np.asarray(grad, dtype=np.float64) + b * w
        out = np.abs(g + a * np.sign(w))
        zero = w == 0
        if self.nonneg:
            # at 0 the subdifferential of a|w| + ι(w≥0) is (-∞, a]: need -g ≤ a
            out[zero] = np.maximum(-g[zero] - a[zero], 0.0)
        else:
            out[zero] = np.maximum(np.abs(g[zero]) - a[zero], 0.0)
        return out

    def lambda_max(self, grad0: np.ndarray) -> float:
        """Smallest λ for which ``w = 0`` is optimal, given the smooth gradient at ``w = 0``.

        ``grad0`` is the gradient of the canonical smooth part at the point where every
        penalized coefficient is zero (and the unpenalized ones and the intercept are fitted).
        The ridge part does not act at 0, so λ_max is ``max_j |g_j| / (α f_j)`` (only
        ``-g_j`` counts under ``w ≥ 0``); it is infinite for ridge (α = 0) unless the gradient
        vanishes.
        """
        g = np.asarray(grad0, dtype=np.float64)
        g = np.maximum(-g, 0.0) if self.nonneg else np.abs(g)
        pen = self.factors > 0
        if not np.any(g[pen] > 0):
            return 0.0
        if self.mix == 0.0:
            return np.inf
        return float(np.max(g[pen] / (self.mix * self.factors[pen])))
