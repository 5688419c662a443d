"""L1 / elastic-net binary logistic regression (``l1_ratio > 0``) by proximal Newton.

scikit-learn's ``C Σ s_i ℓ_i + ρ‖w‖₁ + ½(1-ρ)‖w‖²`` divided by ``C·n_w`` is the canonical
objective with ``λ = (1+ρ)/(2 C n_w)`` and ``mix = 2ρ/(1+ρ)`` (the elastic-net conversion
of :mod:`ridgeline.conventions` applied to ``alpha = 1/(2 C n_w)``).
"""

from __future__ import annotations

import numpy as np

from ridgeline.estimators._sparse import enet_penalty, warn_not_certified
from ridgeline.path.sparse_path import logistic_path
from ridgeline.selection.sparse_cv import logistic_cv
from ridgeline.solvers.prox_newton import LogisticL1Problem


def check_binary(classes: np.ndarray, who: str) -> None:
    if classes.size != 2:
        raise ValueError(f"Only binary classification is supported. {who} with l1_ratio > 0 "
                         f"fits two-class problems; got {classes.size} classes. Fit one binary "
                         "model per class, or use l1_ratio=0 (the L2 penalty) for multinomial "
                         "regression")


def check_weighted_classes(y01: np.ndarray, s: np.ndarray, classes: np.ndarray, who: str) -> None:
    """Both classes need positive total weight: otherwise the unpenalized intercept has no
    finite optimum and no solve can be certified."""
    for label, mask in ((classes[0], y01 == 0), (classes[1], y01 == 1)):
        if not s[mask].sum() > 0:
            raise ValueError(f"{who} with l1_ratio > 0: class {np.asarray(label).item()!r} has "
                             "zero total sample weight, so only one class is left to fit (the "
                             "intercept would diverge); give both classes positive weight")


def sparse_lambda(C, rho: float, n_w: float) -> np.ndarray:
    """Canonical λ of ``(C, l1_ratio=ρ)``."""
    return (1.0 + rho) / (2.0 * np.asarray(C, dtype=np.float64) * n_w)


def fit_binary(X, y01, s, C: float, rho: float, *, fit_intercept: bool, penalty_factor,
               tol: float, max_iter: int, who: str, start=None):
    """One certified solve; returns the ``SparsePath`` of length 1 and λ."""
    problem = LogisticL1Problem(X, y01, s, fit_intercept)
    penalty = enet_penalty(rho, X.shape[1], penalty_factor, False)
    lam = float(sparse_lambda(C, rho, problem.n_w))
    path = logistic_path(problem, penalty, np.array([lam]), tol=tol, max_iter=max_iter)
    warn_not_certified([path], who, tol, stacklevel=4)
    return path, lam


def cv_binary(X, y01, s, splits, Cs, ratios, *, fit_intercept: bool, penalty_factor, tol: float,
              max_iter: int, score):
    """K-fold scores (F, R, L) over every ``(l1_ratio, C)`` and the per-fold paths of each ratio."""
    n_w = float(s.sum())
    scores, cvs = [], []
    for rho in ratios:
        penalty = enet_penalty(rho, X.shape[1], penalty_factor, False)
        lams = sparse_lambda(Cs, rho, n_w)
        cv = logistic_cv(X, y01, s, splits, penalty, lams, fit_intercept=fit_intercept,
                         tol=tol, max_iter=max_iter, score=score)
        warn_not_certified(cv.paths, "LogisticRegressionCV", tol, stacklevel=4)
        scores.append(cv.fold_scores)
        cvs.append(cv)
    return np.stack(scores, axis=1), cvs
