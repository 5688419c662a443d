"""L1 / elastic-net logistic regression (``l1_ratio > 0``) by proximal Newton.

scikit-learn's ``C Σ s_i ℓ_i + ρ‖w‖₁ + ½(1-ρ)‖w‖²`` divided by ``C·n_w`` is the canonical
objective with ``λ = (1+ρ)/(2 C n_w)`` and ``mix = 2ρ/(1+ρ)`` (the elastic-net conversion
of :mod:`ridgeline.conventions` applied to ``alpha = 1/(2 C n_w)``). Two classes use the
binary model; more the multinomial one, with ``‖W‖₁`` over every class coefficient
("ungrouped", scikit-learn's) or ``Σ_j ‖W_j‖₂`` over each feature's class coefficients
("grouped", glmnet's ``type.multinomial="grouped"``) in place of ``‖w‖₁``.
"""

from __future__ import annotations

import numpy as np

from ridgeline.estimators._sparse import enet_penalty, warn_not_certified
from ridgeline.path.glm_sparse_path import multinomial_path
from ridgeline.path.sparse_path import logistic_path
from ridgeline.selection.sparse_cv import logistic_cv
from ridgeline.solvers.prox_newton import LogisticL1Problem
from ridgeline.solvers.prox_newton_multinomial import MultinomialL1Problem

#: values of ``multinomial_penalty``: does each feature's class block form one group?
MULTINOMIAL_PENALTIES = {"ungrouped": False, "grouped": True}


def check_binary(classes: np.ndarray, who: str) -> None:
    if classes.size != 2:
        raise ValueError(f"Only binary classification is supported. {who} with l1_ratio > 0 "
                         f"fits two-class problems; got {classes.size} classes. Fit one binary "
                         "model per class, or use l1_ratio=0 (the L2 penalty) for multinomial "
                         "regression")


def check_multinomial_penalty(value) -> bool:
    """``multinomial_penalty`` → grouped (bool), or a clear error."""
    if not isinstance(value, str) or value not in MULTINOMIAL_PENALTIES:
        raise ValueError("multinomial_penalty must be 'ungrouped' (each class coefficient "
                         "penalized) or 'grouped' (each feature's class coefficients as one "
                         f"group), got {value!r}")
    return MULTINOMIAL_PENALTIES[value]


def check_weighted_classes(codes: np.ndarray, s: np.ndarray, classes: np.ndarray,
                           who: str) -> None:
    """Every class needs positive total weight: otherwise its unpenalized intercept has no
    finite optimum and no solve can be certified. ``codes`` are class indices (n,)."""
    for k, label in enumerate(classes):
        if not s[codes == k].sum() > 0:
            raise ValueError(f"{who} with l1_ratio > 0: class {np.asarray(label).item()!r} has "
                             "zero total sample weight, so its intercept would diverge; give "
                             "every class positive weight (or drop the class)")


def sparse_lambda(C, rho: float, n_w: float) -> np.ndarray:
    """Canonical λ of ``(C, l1_ratio=ρ)``."""
    return (1.0 + rho) / (2.0 * np.asarray(C, dtype=np.float64) * n_w)


def fit_binary(X, y01, s, C: float, rho: float, *, fit_intercept: bool, penalty_factor,
               tol: float, max_iter: int, who: str, start=None):
    """One certified solve; returns the ``SparsePath`` of length 1 and λ."""
    problem = LogisticL1Problem(X, y01, s, fit_intercept)
    penalty = enet_penalty(rho, X.shape[1], penalty_factor, False)
    lam = float(sparse_lambda(C, rho, problem.n_w))
    path = logistic_path(problem, penalty, np.array([lam]), tol=tol, max_iter=max_iter,
                         polish=True)
    warn_not_certified([path], who, tol, stacklevel=5)
    return path, lam


def fit_multinomial(X, codes, s, C: float, rho: float, *, n_classes: int, grouped: bool,
                    fit_intercept: bool, tol: float, max_iter: int, who: str):
    """One certified multinomial solve; returns the ``MultinomialPath`` of length 1 and λ."""
    problem = MultinomialL1Problem(X, codes, s, fit_intercept, n_classes)
    penalty = enet_penalty(rho, X.shape[1], None, False)
    lam = float(sparse_lambda(C, rho, problem.n_w))
    path = multinomial_path(problem, penalty, np.array([lam]), grouped=grouped, tol=tol,
                            max_iter=max_iter, polish=True)
    warn_not_certified([path], who, tol, stacklevel=5)
    return path, lam


def fit_sparse(X, codes, s, C: float, rho: float, *, n_classes: int, grouped: bool,
               fit_intercept: bool, tol: float, max_iter: int, who: str):
    """One certified solve, binary or multinomial by ``n_classes``.

    Returns
    -------
    coef : ndarray (p, m)
        ``m = 1`` for two classes, else ``n_classes``.
    intercept : ndarray (m,)
    lam : float
    path : SparsePath
    """
    kw = dict(fit_intercept=fit_intercept, tol=tol, max_iter=max_iter, who=who)
    if n_classes == 2:
        path, lam = fit_binary(X, codes, s, C, rho, penalty_factor=None, **kw)
        return path.coefs[0][:, None], path.intercepts[:1], lam, path
    path, lam = fit_multinomial(X, codes, s, C, rho, n_classes=n_classes, grouped=grouped, **kw)
    return path.coefs[0], path.intercepts[0], lam, path


def path_arrays(paths: list) -> tuple[np.ndarray, np.ndarray]:
    """The folds' coefficients (F, L, p, m) and intercepts (F, L, m), binary or multinomial."""
    coefs = np.array([p.coefs if p.coefs.ndim == 3 else p.coefs[..., None] for p in paths])
    inters = np.array([p.intercepts.reshape(p.lambdas.size, -1) for p in paths])
    return coefs, inters


def cv_logistic(X, codes, s, splits, Cs, ratios, *, n_classes: int, grouped: bool,
                fit_intercept: bool, tol: float, max_iter: int, score):
    """K-fold scores (F, R, L) over every ``(l1_ratio, C)`` and the per-fold paths of each ratio
    (binary or multinomial by ``n_classes``); each training fold is fit at the same ``C``, as
    scikit-learn does."""
    n_w = float(s.sum())
    scores, cvs = [], []
    for rho in ratios:
        penalty = enet_penalty(rho, X.shape[1], None, False)
        lams = sparse_lambda(Cs, rho, n_w)
        cv = logistic_cv(X, codes, s, splits, penalty, lams, fit_intercept=fit_intercept,
                         tol=tol, max_iter=max_iter, score=score, n_classes=n_classes,
                         grouped=grouped, same_C=True)
        warn_not_certified(cv.paths, "LogisticRegressionCV", tol, stacklevel=4)
        scores.append(cv.fold_scores)
        cvs.append(cv)
    return np.stack(scores, axis=1), cvs
