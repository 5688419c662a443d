"""Coefficients you can compare and trust: standardized, ranked, and stable across folds.

- :func:`standardized_coefficients`: ``w_j · sd(x_j)`` — the change of the model's output
  (prediction or linear predictor) per one (weighted) standard deviation of feature j, so
  features on different scales compare; ranked by magnitude (‖·‖₂ over outputs).
- :func:`coefficient_stability`: the model refit at one canonical λ on every training fold of
  a cross-validation (the fold machinery of the CV estimators, no extra pass per fold for
  ridge): per-feature mean, spread, sign agreement with the full-data fit and, for sparse
  models, how often each feature is selected (nonzero) across folds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import check_cv

from ridgeline.diagnostics._checks import (
    check_data,
    check_lambdas,
    feature_names_of,
    input_feature_names,
)
from ridgeline.diagnostics._fits import glm_problem, sparse_penalty, weight_sum
from ridgeline.diagnostics._models import is_fitted, model_spec, own_cv, own_lambda
from ridgeline.diagnostics._table import fmt, text_table, to_dict
from ridgeline.selection.glm_scoring import resolve_glm_scorer
from ridgeline.selection.glm_select import kfold_glm
from ridgeline.selection.kfold import primal_folds
from ridgeline.selection.sparse_cv import ls_cv
from ridgeline.solvers.ls_problem import use_gram

#: above this many features the ridge fold fits are refits instead of p×p fold statistics
MAX_GRAM_FEATURES = 2000


@dataclass
class CoefficientRanking:
    """Standardized coefficients and their ranking.

    Attributes
    ----------
    feature_names : list of str (p,)
    output_names : list of str (m,)
    coef : ndarray (p, m)
        The fitted coefficients (original scale).
    scale : ndarray (p,)
        Weighted standard deviation of each feature (1 for a constant feature).
    std_coef : ndarray (p, m)
        ``coef · scale``.
    importance : ndarray (p,)
        ``‖std_coef_j‖₂`` over outputs (``|std_coef_j|`` for one output).
    order : ndarray (p,) of int
        Feature indices from most to least important.
    rank : ndarray (p,) of int
        1-based rank of each feature (1 = most important).
    estimator : str
    """

    feature_names: list
    output_names: list
    coef: np.ndarray
    scale: np.ndarray
    std_coef: np.ndarray
    importance: np.ndarray
    order: np.ndarray
    rank: np.ndarray
    estimator: str

    def top(self, k: int = 10) -> list:
        """Names of the ``k`` most important features, most important first."""
        return [self.feature_names[j] for j in self.order[:k]]

    def table(self, k: int | None = None) -> str:
        """One line per feature (the top ``k``, all by default), most important first."""
        idx = self.order if k is None else self.order[:k]
        many = len(self.output_names) > 1
        rows = []
        for j in idx:
            rows.append([self.feature_names[j], int(self.rank[j]),
                         self.coef[j, 0] if not many else float(np.linalg.norm(self.coef[j])),
                         self.scale[j],
                         self.std_coef[j, 0] if not many else self.importance[j]])
        head = ["feature", "rank", "coef" if not many else "‖coef‖", "sd(x)",
                "standardized" if not many else "‖standardized‖"]
        return text_table(head, rows, note=f"{self.estimator}: coefficient × sd(x) ranks the "
                                           "features")

    def to_dict(self) -> dict:
        """All fields as JSON-ready values."""
        return to_dict(self)


@dataclass
class CoefficientStability:
    """Coefficients refit on every training fold at one λ.

    Attributes
    ----------
    feature_names : list of str (p,)
    output_names : list of str (m,)
    lambda_ : float
        Canonical λ used on every fold (and for the full-data fit).
    param : float
        The estimator's parameter at λ on the full data.
    param_name : str
    fold_coef : ndarray (K, p, m)
        Coefficients of each training fold (original scale).
    full_coef : ndarray (p, m)
        Full-data coefficients at λ.
    mean, std : ndarray (p, m)
        Mean and standard deviation (ddof=1) over folds.
    min, max : ndarray (p, m)
    sign_agreement : ndarray (p, m)
        Fraction of folds whose coefficient has the sign of the full-data one (sign ∈
        {−1, 0, +1}, so a zero full-data coefficient agrees with the folds that drop it).
    selection_frequency : ndarray (p,)
        Fraction of folds in which the feature is selected (nonzero in any output); all ones
        for ridge, logistic and Poisson.
    n_splits : int
    model : str
    estimator : str
    """

    feature_names: list
    output_names: list
    lambda_: float
    param: float
    param_name: str
    fold_coef: np.ndarray
    full_coef: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    min: np.ndarray
    max: np.ndarray
    sign_agreement: np.ndarray
    selection_frequency: np.ndarray
    n_splits: int
    model: str
    estimator: str

    @property
    def relative_spread(self) -> np.ndarray:
        """``std / |mean|`` per coefficient (inf where the mean is 0 but the spread is not)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            out = self.std / np.abs(self.mean)
        return np.where((self.std == 0), 0.0, out)

    def table(self, output: int = 0) -> str:
        """One line per feature for output ``output``: full fit, fold mean ± sd, range, sign
        agreement, selection frequency."""
        rows = [[self.feature_names[j], self.full_coef[j, output], self.mean[j, output],
                 self.std[j, output], self.min[j, output], self.max[j, output],
                 self.sign_agreement[j, output], self.selection_frequency[j]]
                for j in range(len(self.feature_names))]
        return text_table(["feature", "full data", "fold mean", "fold sd", "min", "max",
                           "sign agree", "selected"], rows,
                          note=f"{self.estimator} at λ = {fmt(self.lambda_)} "
                               f"({self.param_name} = {fmt(self.param)}) on "
                               f"{self.n_splits} training folds")

    def to_dict(self) -> dict:
        """All fields as JSON-ready values."""
        return to_dict(self)


def _coef_matrix(estimator) -> np.ndarray:
    """``coef_`` as (p, m)."""
    coef = np.asarray(estimator.coef_, dtype=np.float64)
    if coef.ndim == 1:
        return coef[:, None]
    if coef.ndim == 2:
        return coef.T
    raise ValueError(f"coef_ of shape {coef.shape} is not a linear model's")


def _output_names(estimator, m: int) -> list:
    classes = getattr(estimator, "classes_", None)
    if classes is not None:
        names = [str(c) for c in classes]
        if m == len(names):
            return names
        if m == 1 and len(names) == 2:
            return [names[1]]
    return ["y"] if m == 1 else [f"y{t}" for t in range(m)]


def _weighted_sd(X, s: np.ndarray) -> np.ndarray:
    sw = float(s.sum())
    if sp.issparse(X):
        mean = np.asarray(X.T @ s).ravel() / sw
        sq = np.asarray(X.multiply(X).T @ s).ravel() / sw
        var = np.maximum(sq - mean**2, 0.0)
    else:
        Xd = np.asarray(X, dtype=np.float64)
        mean = s @ Xd / sw
        var = s @ (Xd - mean) ** 2 / sw
    sd = np.sqrt(var)
    return np.where(sd > 0, sd, 1.0)


def standardized_coefficients(estimator, X, *, sample_weight=None,
                              feature_names=None) -> CoefficientRanking:
    """Coefficients times feature standard deviations, ranked by magnitude.

    Parameters
    ----------
    estimator : fitted linear estimator
        Anything with ``coef_`` of shape (p,) or (m, p) (any ridgeline estimator; scikit-learn's
        linear models too).
    X : array (n, p) or sparse matrix
        Data giving the feature standard deviations (usually the training data).
    sample_weight : array (n,), optional
    feature_names : sequence of str (p,), optional

    Returns
    -------
    CoefficientRanking

    Raises
    ------
    ValueError
        If the estimator is not fitted, or X does not match its number of features.
    """
    if not hasattr(estimator, "fit"):
        raise TypeError(f"expected an estimator, got {type(estimator).__name__}")
    if not is_fitted(estimator) or not hasattr(estimator, "coef_"):
        raise ValueError(f"{type(estimator).__name__} is not fitted: call fit(X, y) first "
                         "(standardized coefficients need coef_)")
    names_in = input_feature_names(X)
    X, _, s = check_data(X, sample_weight=sample_weight)
    coef = _coef_matrix(estimator)
    p = coef.shape[0]
    if X.shape[1] != p:
        raise ValueError(f"X has {X.shape[1]} features but the estimator has {p} coefficients")
    names = feature_names_of(estimator, p, feature_names if feature_names is not None
                             else names_in)
    scale = _weighted_sd(X, s)
    std = coef * scale[:, None]
    imp = np.linalg.norm(std, axis=1)
    order = np.argsort(-imp, kind="stable")
    rank = np.empty(p, dtype=np.int64)
    rank[order] = np.arange(1, p + 1)
    return CoefficientRanking(feature_names=names, output_names=_output_names(estimator,
                                                                              coef.shape[1]),
                              coef=coef, scale=scale, std_coef=std, importance=imp,
                              order=order, rank=rank, estimator=type(estimator).__name__)


def coefficient_stability(estimator, X, y, *, lambda_=None, cv=None, sample_weight=None,
                          groups=None, feature_names=None) -> CoefficientStability:
    """Refit the model at one canonical λ on every training fold; summarize the coefficients.

    Parameters
    ----------
    estimator : ridgeline estimator
        As :func:`~ridgeline.diagnostics.regularization_path`. Its λ is used unless
        ``lambda_`` is given: the fitted ``lambda_`` (a CV estimator's choice) or, unfitted,
        its parameter's.
    X : array (n, p) or sparse matrix
    y : array (n,) or (n, k)
    lambda_ : float, optional
        Canonical λ, the same on every fold.
    cv : int, splitter or iterable, optional
        Default: the estimator's own K-fold ``cv`` (5 folds otherwise), split as it splits.
    sample_weight, groups : array (n,), optional
    feature_names : sequence of str (p,), optional

    Returns
    -------
    CoefficientStability

    Raises
    ------
    ValueError
        Unfitted CV estimator without ``lambda_``; negative or non-finite λ; bad data.
    """
    spec = model_spec(estimator)
    names_in = input_feature_names(X)
    X, y, s = check_data(X, y, sample_weight=sample_weight, y_numeric=spec.kind != "logistic")
    n_w = weight_sum(spec, X, y, s)
    if lambda_ is None:
        lam = own_lambda(estimator, spec, n_w)
        if lam is None:
            raise ValueError(f"{spec.name} has not chosen a λ yet: fit it first or pass "
                             "lambda_=")
    else:
        lam = float(check_lambdas([lambda_], "lambda_")[0])
    names = feature_names_of(estimator, X.shape[1], feature_names if feature_names is not None
                             else names_in)
    cv = own_cv(estimator) if cv is None else cv
    fold = {"ridge": _ridge_folds, "logistic": _glm_folds, "poisson": _glm_folds,
            "enet": _sparse_folds, "group": _sparse_folds}[spec.kind]
    fold_coef = fold(spec, X, y, s, lam, cv, groups)  # (K, p, m)
    full = spec.at(lam, n_w).fit(X, y, sample_weight=s)
    full_coef = _coef_matrix(full)
    if full_coef.shape != fold_coef.shape[1:]:
        raise AssertionError("fold and full-data coefficients disagree in shape")
    K = fold_coef.shape[0]
    agree = (np.sign(fold_coef) == np.sign(full_coef)[None]).mean(axis=0)
    selected = np.any(fold_coef != 0, axis=2).mean(axis=0)
    return CoefficientStability(
        feature_names=names, output_names=_output_names(full, full_coef.shape[1]),
        lambda_=lam, param=float(spec.to_param(lam, n_w)), param_name=spec.param_name,
        fold_coef=fold_coef, full_coef=full_coef, mean=fold_coef.mean(axis=0),
        std=fold_coef.std(axis=0, ddof=1) if K > 1 else np.zeros_like(full_coef),
        min=fold_coef.min(axis=0), max=fold_coef.max(axis=0), sign_agreement=agree,
        selection_frequency=selected, n_splits=K, model=spec.dof_kind, estimator=spec.name)


def _splits(cv, X, y_split, groups, classifier: bool) -> list:
    splitter = check_cv(cv, y_split, classifier=classifier)
    out = [(np.asarray(tr), np.asarray(te)) for tr, te in splitter.split(X, y_split, groups)]
    if len(out) < 2:
        raise ValueError(f"cross-validation needs at least 2 splits, got {len(out)}")
    return out


def _ridge_folds(spec, X, y, s, lam, cv, groups) -> np.ndarray:
    Y = y[:, None] if y.ndim == 1 else y
    splits = _splits(cv, X, Y[:, 0], groups, classifier=False)
    if X.shape[1] > MAX_GRAM_FEATURES:  # p×p fold statistics too large: one refit per fold
        return np.stack([_coef_matrix(spec.at(lam, float(s[tr].sum())).fit(
            X[tr], y[tr], sample_weight=s[tr])) for tr, _ in splits])
    folds, _ = primal_folds(X, Y, s, splits, fit_intercept=spec.fit_intercept,
                            standardize=bool(spec.base.standardize),
                            min_penalty=lambda sw_tr: lam * sw_tr)
    out = []
    for f in folds:
        pen = np.array([lam * f.factor.sw])
        f.factor.check_penalties(pen)
        out.append(f.factor.coef(pen)[0])  # (p, k)
    return np.stack(out)


def _glm_folds(spec, X, y, s, lam, cv, groups) -> np.ndarray:
    problem, _, (labels, classes) = glm_problem(spec, X, y, s)
    splits = _splits(cv, X, labels, groups, classifier=spec.kind == "logistic")
    scorer = resolve_glm_scorer(None, problem.loss)
    base = spec.base
    lam_arr = np.array([lam])
    sw = problem.source.weights.sum()
    sel = kfold_glm(problem, lam_arr, spec.to_param(lam_arr, sw), scorer, splits=splits,
                    labels=labels, classes=classes, solver=base.solver, tol=base.tol,
                    max_iter=base.max_iter, fixed_C=False)
    return sel.path.coef[0]  # (K, p, m)


def _sparse_folds(spec, X, y, s, lam, cv, groups) -> np.ndarray:
    if y.ndim != 1:
        if y.shape[1] != 1:
            raise ValueError(f"{spec.name} takes one target, got y of shape {y.shape}")
        y = y[:, 0]
    splits = _splits(cv, X, y, groups, classifier=False)
    penalty = sparse_penalty(spec, X.shape[1])
    is_group = spec.kind == "group"
    gram = False if is_group else use_gram(X, X.shape[0], False, False,
                                           getattr(spec.base, "precompute", "auto"))
    res = ls_cv(X, y, s, splits, penalty, np.array([lam]), fit_intercept=spec.fit_intercept,
                tol=spec.base.tol, max_epochs=spec.base.max_iter, gram=gram)
    return np.stack([p.coefs[0][:, None] for p in res.paths])
