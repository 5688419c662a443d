"""Information criteria (AIC, BIC) of a fitted model, with its effective degrees of freedom.

``AIC = 2·dof − 2 log L`` (Akaike 1974) and ``BIC = log(n)·dof − 2 log L`` (Schwarz 1978),
where log L is the exact log-likelihood of the data at the fitted coefficients and dof the
effective number of parameters of the *penalized* fit (Hastie, Tibshirani & Friedman 2009,
*ESL* §7.6; glum reports the same). Sample weights act as frequency weights: log L is
``Σ s_i log p(y_i)`` and n is ``Σ s_i`` (a logistic model's class weights shape its fit and
so its dof, not the likelihood of the data). The log-likelihood and dof per model:

==================================  =========================================================
model                               log L; dof (intercept included)
==================================  =========================================================
``Ridge``, ``RidgeCV``              Gaussian with the noise profiled out, σ̂² = RSS/n_w per
                                    target: ``−(n_w/2)(log 2πσ̂² + 1)``; the trace of the hat
                                    matrix ``Σ d²/(d² + n_w λ)`` (+1), per target
``Lasso``, ``LassoCV``              Gaussian as ridge; the number of nonzero coefficients
                                    (Zou, Hastie & Tibshirani 2007, unbiased for the lasso)
``ElasticNet(CV)``                  Gaussian; the ridge trace on the active set A,
                                    ``tr[(G_A + n_w λ(1−mix)F_A)⁻¹G_A]``
``GroupLasso(CV)``                  Gaussian; the trace of the linearized fit on the active
                                    groups, ``tr[(G_A + (n_w λ/2)∇²P(ŵ)_A)⁻¹G_A]`` with
                                    ``∇²P`` the curvature of ``Σ ω_g‖w_g‖`` at ŵ (the exact
                                    divergence of the group-lasso fit: Vaiter et al. 2012,
                                    "The degrees of freedom of the group lasso"; Yuan & Lin
                                    2006's approximation needs least-squares fits and an
                                    orthonormal design, which it does not)
``LogisticRegression(CV)`` (L2)     Bernoulli or categorical; ``tr[(H + P)⁻¹H]`` with H the
                                    loss Hessian at the fit, P the prior (2λ on W, 0 on b);
                                    the softmax's intercepts count C − 1 (one is redundant)
``PoissonRegressor`` (L2)           Poisson, ``log y!`` included; ``tr[(H + P)⁻¹H]``
==================================  =========================================================

The noise variance of the Gaussian models is not counted in dof (as statsmodels' OLS): it
adds the same 1 per target to every λ, which moves no comparison. An unpenalized model has
dof = p + 1 (its rank, plus the intercept). ``RidgeClassifier`` fits least squares on ±1
labels, which is no likelihood: it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
from scipy.special import gammaln, xlogy

from ridgeline.diagnostics._checks import check_data
from ridgeline.diagnostics._fits import (
    glm_dof,
    glm_problem,
    ridge_factor,
    sparse_dof,
    sparse_penalty,
)
from ridgeline.diagnostics._information_glm import LOG_LINK, family_power, log_link_criteria
from ridgeline.diagnostics._models import ModelSpec, is_fitted, model_spec
from ridgeline.diagnostics._table import text_table, to_dict
from ridgeline.estimators._standardize import column_scale
from ridgeline.solvers.problem import GLMProblem
from ridgeline.stats.moments import accumulate

__all__ = ["InformationCriteria", "information_criteria"]

_LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass
class InformationCriteria:
    """AIC and BIC of one fitted model on one data set.

    Attributes
    ----------
    log_likelihood : float
        ``Σ s_i log p(y_i | fit)`` (natural log; module docstring).
    dof : float
        Effective degrees of freedom, intercept included (see :attr:`dof_method`).
    aic : float
        ``2·dof − 2·log_likelihood``.
    bic : float
        ``log(n)·dof − 2·log_likelihood``.
    n : float
        Number of rows (the sum of the sample weights).
    model : str
        ``"ridge"``, ``"lasso"``, ``"elasticnet"``, ``"group"``, ``"logistic"``,
        ``"poisson"``, ``"gamma"`` or ``"normal (log link)"`` (Tweedie power 0).
    estimator : str
        Class name of the model.
    dof_method : str
    lambda_ : float or ndarray (k,)
        The canonical λ of the fit (per target for a per-target ``RidgeCV``).
    """

    log_likelihood: float
    dof: float
    aic: float
    bic: float
    n: float
    model: str
    estimator: str
    dof_method: str
    lambda_: float | np.ndarray

    def table(self) -> str:
        """One line: log L, dof, AIC, BIC, n."""
        return text_table(["model", "log L", "dof", "AIC", "BIC", "n"],
                          [[self.estimator, self.log_likelihood, self.dof, self.aic, self.bic,
                            self.n]], note=f"dof: {self.dof_method}")

    def to_dict(self) -> dict:
        """All fields as JSON-ready values."""
        return to_dict(self)


def criteria(log_likelihood: float, dof: float, n: float) -> tuple[float, float]:
    """``(AIC, BIC)`` of a log-likelihood with ``dof`` parameters on ``n`` rows."""
    return (2.0 * dof - 2.0 * log_likelihood,
            float(np.log(n)) * dof - 2.0 * log_likelihood)


def gaussian_log_likelihood(Y: np.ndarray, P: np.ndarray, s: np.ndarray) -> float:
    """Profiled Gaussian log-likelihood of targets Y (n, k) at predictions P (n, k):
    ``Σ_t −(n_w/2)(log 2πσ̂_t² + 1)``, ``σ̂_t² = Σ s (y − ŷ)² / n_w``."""
    n_w = float(s.sum())
    rss = s @ (Y - P) ** 2
    if np.any(rss <= 0):
        raise ValueError("the fit interpolates the data (zero residual sum of squares): the "
                         "Gaussian log-likelihood is unbounded")
    return float(np.sum(-0.5 * n_w * (_LOG_2PI + np.log(rss / n_w) + 1.0)))


def information_criteria(model, X, y, sample_weight=None, offset=None) -> InformationCriteria:
    """AIC and BIC of a fitted ridgeline model on ``(X, y)``, with its effective dof.

    Parameters
    ----------
    model : fitted ridgeline estimator
        ``Ridge``, ``RidgeCV``, ``Lasso(CV)``, ``ElasticNet(CV)``, ``GroupLasso(CV)``,
        ``LogisticRegression(CV)``, ``PoissonRegressor(CV)``, ``GammaRegressor(CV)`` or
        ``TweedieRegressor(CV)`` (log link, power 0, 1 or 2) with the L2 penalty. Its fitted
        coefficients and λ are used as they are (never refit, never modified).
    X : array (n, p) or sparse matrix
        Usually the training data (AIC and BIC are in-sample criteria).
    y : array (n,) or (n, k)
        Targets (class labels for logistic regression).
    sample_weight : array (n,), optional
        Frequency weights: log L sums ``s_i log p(y_i)`` and n is ``Σ s_i``.
    offset : array (n,), optional
        The log-link models' offset (log exposure), as at their fit.

    Returns
    -------
    InformationCriteria

    Raises
    ------
    TypeError
        ``model`` is not a supported ridgeline estimator (e.g. ``RidgeClassifier``).
    ValueError
        ``model`` is not fitted, X has another number of features than it was fit on, bad
        data (NaN, lengths), a per-target ``RidgeCV`` alpha with another number of targets,
        or an L1 part in a logistic/Poisson model.
    """
    name = type(model).__name__
    if isinstance(model, LOG_LINK):
        return _log_link(model, X, y, sample_weight, offset)
    if offset is not None:
        raise ValueError(f"offset= is for the log-link models (Poisson, gamma, Tweedie), not "
                         f"{name}")
    if name in ("RidgeClassifier", "RidgeClassifierCV"):
        raise TypeError(f"{name} fits least squares on ±1 class labels, which is no "
                        "likelihood: information criteria need LogisticRegression for "
                        "classes")
    spec = model_spec(model)
    if not is_fitted(model):
        raise ValueError(f"this {name} is not fitted: call fit first (information criteria "
                         "score the fitted coefficients)")
    X, y, s = check_data(X, y, sample_weight=sample_weight, y_numeric=spec.kind != "logistic")
    p_fit = getattr(model, "n_features_in_", X.shape[1])
    if X.shape[1] != p_fit:
        raise ValueError(f"X has {X.shape[1]} features, but {name} was fit on {p_fit}")
    compute = {"ridge": _ridge, "enet": _sparse, "group": _sparse, "logistic": _glm,
               "poisson": _glm}[spec.kind]
    log_lik, dof = compute(spec, model, X, y, s)
    n = float(s.sum())
    aic, bic = criteria(log_lik, dof, n)
    lam = np.asarray(model.lambda_, dtype=np.float64)
    return InformationCriteria(log_likelihood=log_lik, dof=dof, aic=aic, bic=bic, n=n,
                               model=spec.dof_kind, estimator=spec.name,
                               dof_method=spec.dof_method if spec.kind != "group" else
                               _GROUP_DOF, lambda_=float(lam) if lam.ndim == 0 else lam)


def _log_link(model, X, y, sample_weight, offset) -> InformationCriteria:
    """:func:`information_criteria` of a Poisson, gamma or Tweedie regressor."""
    name = type(model).__name__
    if not hasattr(model, "coef_"):
        raise ValueError(f"this {name} is not fitted: call fit first (information criteria "
                         "score the fitted coefficients)")
    X, y, s = check_data(X, y, sample_weight=sample_weight)
    if X.shape[1] != model.n_features_in_:
        raise ValueError(f"X has {X.shape[1]} features, but {name} was fit on "
                         f"{model.n_features_in_}")
    log_lik, dof, how = log_link_criteria(model, X, y, s, offset)
    n = float(s.sum())
    aic, bic = criteria(log_lik, dof, n)
    return InformationCriteria(log_likelihood=log_lik, dof=dof, aic=aic, bic=bic, n=n,
                               model=_FAMILY[family_power(model)], estimator=name,
                               dof_method=how, lambda_=float(model.lambda_))


_FAMILY = {0.0: "normal (log link)", 1.0: "poisson", 2.0: "gamma"}
_GROUP_DOF = ("trace of the linearized fit on the active groups, "
              "tr[(G_A + (n_w λ/2)∇²P(ŵ)_A)⁻¹G_A] (+1 for the intercept; Vaiter et al. 2012)")


def _targets(y: np.ndarray) -> np.ndarray:
    return y[:, None] if y.ndim == 1 else y


def _ridge(spec: ModelSpec, model, X, y, s) -> tuple[float, float]:
    Y = _targets(y)
    P = _targets(np.asarray(model.predict(X), dtype=np.float64))
    log_lik = gaussian_log_likelihood(Y, P, s)
    lam = np.atleast_1d(np.asarray(model.lambda_, dtype=np.float64))
    if lam.size not in (1, Y.shape[1]):
        raise ValueError(f"{spec.name} has {lam.size} per-target λ for {Y.shape[1]} targets")
    lam = np.broadcast_to(lam, (Y.shape[1],))
    sw = float(s.sum())
    F = ridge_factor(spec, X, Y, s, float(lam.min()) * sw)
    dof = F.dof(lam * sw) + (1.0 if spec.fit_intercept else 0.0)
    return log_lik, float(np.sum(dof))


def _sparse(spec: ModelSpec, model, X, y, s) -> tuple[float, float]:
    Y = _targets(y)
    if Y.shape[1] != 1:
        raise ValueError(f"{spec.name} takes one target, got y of shape {y.shape}")
    P = _targets(np.asarray(model.predict(X), dtype=np.float64))
    log_lik = gaussian_log_likelihood(Y, P, s)
    coef = np.asarray(model.coef_, dtype=np.float64).ravel()
    lam = float(model.lambda_)
    if spec.kind == "group":
        return log_lik, _group_dof(spec, X, s, coef, lam)
    point = SimpleNamespace(coefs=coef[None], lambdas=np.array([lam]))  # a one-λ path
    return log_lik, float(sparse_dof(spec, X, s, point)[0])


def _group_dof(spec: ModelSpec, X, s: np.ndarray, coef: np.ndarray, lam: float) -> float:
    """``tr[(G_A + (n_w λ/2)∇²P_A)⁻¹G_A]`` (+1) in the penalized (standardized) scale."""
    p = X.shape[1]
    penalty = sparse_penalty(spec, p)
    scale = (column_scale(X, s, spec.fit_intercept)
             if getattr(spec.base, "standardize", False) else np.ones(p))
    w = coef * scale  # the coefficients the penalty sees
    G = accumulate(X, np.zeros((X.shape[0], 1)), s).centered(spec.fit_intercept).G
    G = G / np.outer(scale, scale)
    curvature = np.zeros((p, p))
    active = []
    for g, weight in zip(penalty.groups, penalty.weights, strict=True):
        norm = float(np.linalg.norm(w[g]))
        if norm == 0.0:
            continue
        u = w[g] / norm
        curvature[np.ix_(g, g)] = weight / norm * (np.eye(g.size) - np.outer(u, u))
        active.append(g)
    dof = 1.0 if spec.fit_intercept else 0.0
    if not active:
        return dof
    A = np.concatenate(active)
    GA = G[np.ix_(A, A)]
    M = GA + 0.5 * float(s.sum()) * lam * curvature[np.ix_(A, A)]
    return dof + float(np.trace(np.linalg.lstsq(M, GA, rcond=None)[0]))


def _glm(spec: ModelSpec, model, X, y, s) -> tuple[float, float]:
    rho = float(np.max(np.atleast_1d(getattr(model, "l1_ratio", 0.0) or 0.0)))
    if spec.kind == "poisson" and rho > 0:
        raise ValueError("information criteria cover L2 Poisson regression (l1_ratio=0); "
                         f"got l1_ratio={rho!r}")
    problem, _, (labels, _) = glm_problem(spec, X, y, s)
    if spec.kind == "logistic":
        log_prob = np.asarray(model.predict_log_proba(X), dtype=np.float64)
        index = np.searchsorted(model.classes_, labels)
        if np.any(index >= model.classes_.size) or np.any(model.classes_[np.minimum(
                index, model.classes_.size - 1)] != labels):
            raise ValueError(f"y holds labels the model was not fit on (its classes: "
                             f"{model.classes_.tolist()})")
        log_lik = float(s @ log_prob[np.arange(labels.size), index])
    else:
        mu = np.asarray(model.predict(X), dtype=np.float64)
        log_lik = float(s @ (xlogy(labels, mu) - mu - gammaln(labels + 1.0)))
    W = np.asarray(model.coef_, dtype=np.float64).reshape(-1, X.shape[1]).T  # (p, m)
    b = np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64))
    if getattr(model, "standardize", False):  # the penalty acted on X / σ
        src = problem.source
        scale = column_scale(X, src.weights, spec.fit_intercept)
        problem = GLMProblem.from_arrays(X / scale if not hasattr(X, "tocsr") else
                                         X.multiply(1.0 / scale).tocsr(), src.y, src.weights,
                                         problem.loss, spec.fit_intercept,
                                         n_classes=problem.n_classes)
        W = W * scale[:, None]
    return log_lik, glm_dof(problem, W, b, float(model.lambda_))
