"""Ridge λ chosen by a criterion of the full-data fit: evidence, AIC or BIC (no held-out rows).

Beside K-fold, LOO and GCV, :func:`~ridgeline.selection.engine.select_ridge` takes
``cv="evidence"`` (the profiled marginal likelihood of :mod:`ridgeline.selection.evidence`,
maximized exactly over continuous λ), ``cv="aic"`` and ``cv="bic"``. Each curve is stored
"greater is better" in :attr:`~ridgeline.selection.RidgeCVResult.mean_score`: the log evidence,
−AIC and −BIC per λ (averaged over targets unless per target).

The information criteria use the Gaussian log-likelihood of the weighted training residuals
with the noise variance profiled at each λ, ``σ̂²(λ) = RSS_w(λ)/n_w`` (``RSS_w = Σ s_i r_i²``,
``n_w = Σ s_i``; weights count as frequencies, ``n_w = n`` without weights)::

    log L(λ) = −(n_w/2) (log(2π σ̂²(λ)) + 1)
    AIC(λ)   = −2 log L(λ) + 2 df(λ)                  (Akaike 1974)
    BIC(λ)   = −2 log L(λ) + log(n_w) df(λ)           (Schwarz 1978)
    df(λ)    = Σ_j e_j/(e_j + n_w λ) + 1[intercept]   (effective degrees of freedom)

with the full constant ``n_w(log 2π + 1)`` kept and the noise variance *not* counted as a
parameter (it would add the same 2, resp. log n_w, at every λ and change no choice). Using the
effective degrees of freedom (the trace of the hat matrix) for a penalized fit follows Hastie,
Tibshirani & Friedman (2009), *The Elements of Statistical Learning*, §7.5–7.7. When the fit can
interpolate (df → n) the profiled likelihood grows without bound and AIC/BIC favour the
smallest λ: use the evidence, GCV or LOO there.

Akaike, H. (1974), "A new look at the statistical model identification", IEEE Transactions on
Automatic Control 19(6), 716–723. Schwarz, G. (1978), "Estimating the dimension of a model",
Annals of Statistics 6(2), 461–464.
"""

from __future__ import annotations

import numpy as np

from ridgeline.selection.evidence import (
    RidgeEvidence,
    _Parts,
    log_evidence_curve,
    maximize_evidence,
    posterior_std,
)
from ridgeline.selection.grid_scoring import _score_grid
from ridgeline.selection.result import RidgeCVResult
from ridgeline.selection.routes import moments_factor
from ridgeline.selection.scoring import Scorer
from ridgeline.solvers.spectral import Factor
from ridgeline.stats.moments import Moments

#: The selection methods of this module and the name of their score.
CRITERIA = {"evidence": "log_evidence", "aic": "neg_aic", "bic": "neg_bic"}


def information_criterion(F: Factor, penalties: np.ndarray, *, which: str,
                          fit_intercept: bool) -> np.ndarray:
    """AIC or BIC (module docstring) of the ridge fit per penalty and target, shape (L, k).

    Parameters
    ----------
    F : Factor
        Full-data factorization.
    penalties : ndarray (L,)
        Penalties ``a = n_w·λ``.
    which : {"aic", "bic"}
    fit_intercept : bool
        Whether the intercept counts as one degree of freedom.
    """
    if which not in ("aic", "bic"):
        raise ValueError(f"which must be 'aic' or 'bic', got {which!r}")
    pen = np.asarray(penalties, dtype=np.float64)
    n_w = float(F.sw)
    df = F.dof(pen) + (1.0 if fit_intercept else 0.0)  # (L,)
    with np.errstate(divide="ignore"):
        minus2ll = n_w * (np.log(2 * np.pi * F.rss(pen) / n_w) + 1.0)  # (L, k)
    per_df = 2.0 if which == "aic" else float(np.log(n_w))
    return minus2ll + per_df * df[:, None]


def criterion_scorer(method: str, scoring, route: str, rule: str) -> Scorer:
    """The score of a criterion ``method``; refuses what it cannot serve (a ``scoring``, the
    one-standard-error rule, the LSQR route)."""
    what = {"evidence": "the evidence", "aic": "AIC", "bic": "BIC"}[method]
    if scoring is not None:
        raise ValueError(f"cv={method!r} chooses λ by {what} of the full-data fit, not by a "
                         f"held-out score: leave scoring=None (got scoring={scoring!r})")
    if rule == "1se":
        raise ValueError(f"the one-standard-error rule needs per-fold scores; cv={method!r} "
                         "has none: use rule='min'")
    if route == "lsqr":
        raise ValueError(f"cv={method!r} needs a factorization, which solver='lsqr' never "
                         "forms: use another solver")
    return Scorer(name=CRITERIA[method], kind="criterion")


def criterion_evaluator(method: str, F: Factor, *, fit_intercept: bool):
    """The curve of a criterion ``method`` as a function of the canonical grid: a dict with
    ``mean`` (L, k), greater is better, and ``se`` (NaN)."""

    def evaluate(lam: np.ndarray) -> dict:
        pen = np.asarray(lam, dtype=np.float64) * F.sw
        F.check_penalties(pen)
        if method == "evidence":
            mean = log_evidence_curve(F, pen, fit_intercept=fit_intercept)
        else:
            mean = -information_criterion(F, pen, which=method, fit_intercept=fit_intercept)
        return {"mean": mean, "se": np.full_like(mean, np.nan)}

    return evaluate


def evidence_off_grid(result: RidgeCVResult, F: Factor, *, fit_intercept: bool, to_alpha=None,
                      warn: bool = True, stacklevel: int = 2) -> RidgeEvidence:
    """Maximize the evidence exactly with the result's grid as the bracket, and store the
    maximizer as ``result.lambda_off_grid`` (its log evidence, averaged over targets unless
    per target, as ``score_off_grid``; ``to_alpha`` of it as ``alpha_off_grid``) when a
    finite maximum exists.

    ``stacklevel`` of the warning that there is none (2 = the caller of this function).
    """
    ev = maximize_evidence(F, result.lambdas, fit_intercept=fit_intercept,
                           per_target=result.per_target, warn=warn, stacklevel=stacklevel + 1)
    if np.any(ev.interior):
        result.lambda_off_grid = ev.lambda_
        result.score_off_grid = ev.log_evidence if result.per_target \
            else float(ev.log_evidence.mean())
        if to_alpha is not None:
            alpha = to_alpha(np.atleast_1d(ev.lambda_))
            result.alpha_off_grid = alpha if result.per_target else float(alpha[0])
    return ev


def evidence_attributes(F: Factor, penalties: np.ndarray, *, fit_intercept: bool):
    """What ``RidgeCV(cv="evidence")`` stores at the chosen penalty of each target.

    Parameters
    ----------
    F : Factor
    penalties : ndarray (k,)
        Chosen penalty ``a_t = n_w·λ_t`` per target.
    fit_intercept : bool

    Returns
    -------
    coef_std : ndarray (p,) for one target, else (k, p)
        Posterior standard deviations of the coefficients (:func:`posterior_std`).
    noise_variance, log_evidence : float for one target, else ndarray (k,)
        Profiled ``σ̂² = Q(a)/n_w`` and the profiled log evidence at ``a``.
    """
    parts = _Parts(F, fit_intercept)
    pen = np.asarray(penalties, dtype=np.float64)
    k = pen.size
    uniq, inv = np.unique(pen, return_inverse=True)
    cols = np.arange(k)
    sigma2 = parts.q(uniq)[inv, cols] / parts.n_w
    logev = parts.value(uniq)[inv, cols]
    std = posterior_std(F, pen, sigma2).T  # (k, p)
    if k == 1:
        return std[0], float(sigma2[0]), float(logev[0])
    return std, sigma2, logev


def select_criterion_moments(total: Moments, *, method: str, lambdas: np.ndarray | None = None,
                             n_lambdas: int = 100, scoring=None, rule: str = "min",
                             fit_intercept: bool = True, standardize: bool = False,
                             per_target: bool = False, extend: bool | int = False,
                             warn_edge: bool = True, to_alpha=None, warn_stacklevel: int = 2):
    """Evidence, AIC or BIC of every λ from the total moments of a statistics source.

    As :func:`~ridgeline.selection.engine.select_ridge` with ``cv=method`` on the primal route
    (no SVD fallback): the criteria need only the factor of the total Gram. The factor's row
    count ``n`` is the source's (rows of zero weight included).

    Returns
    -------
    RidgeSelection
    """
    from ridgeline.selection.engine import RidgeSelection  # the engine imports this module

    if method not in CRITERIA:
        raise ValueError(f"method must be one of {sorted(CRITERIA)}, got {method!r}")
    if rule not in ("min", "1se"):
        raise ValueError(f"rule must be 'min' or '1se', got {rule!r}")
    scorer = criterion_scorer(method, scoring, "eigh", rule)
    factor, lam, sw = moments_factor(total, lambdas, n_lambdas, fit_intercept=fit_intercept,
                                     standardize=standardize)
    result = _score_grid(lam, criterion_evaluator(method, factor, fit_intercept=fit_intercept),
                         factor, method, scorer, rule, per_target, fit_intercept, to_alpha, sw,
                         extend=extend, warn_edge=warn_edge and method != "evidence",
                         given=lambdas is not None, warn_stacklevel=warn_stacklevel + 1)
    if method == "evidence":
        evidence_off_grid(result, factor, fit_intercept=fit_intercept, to_alpha=to_alpha,
                          warn=warn_edge, stacklevel=warn_stacklevel + 1)
    return RidgeSelection(result=result, factor=factor, route="eigh")
