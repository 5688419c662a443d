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

from ridgeline.diagnostics._checks import (
    check_data,
    check_lambdas,
    feature_names_of,
    input_feature_names,
)
from ridgeline.diagnostics._fits import weight_sum
from ridgeline.diagnostics._models import is_fitted, model_spec, own_cv, own_lambda
from ridgeline.diagnostics._stability import (
    coef_matrix,
    glm_folds,
    ridge_folds,
    sparse_fits,
)
from ridgeline.diagnostics._table import fmt, text_table, to_dict


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
    scale : ndarray (p,) or None
        Sample-weighted standard deviation of each feature on all the data (1 for a
        constant one): ``coef · scale`` puts the coefficients on the standardized scale,
        where their sizes compare (:meth:`standardized`).
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
    scale: np.ndarray | None = None

    def standardized(self, name: str) -> np.ndarray:
        """The field ``name`` (``"fold_coef"``, ``"full_coef"``, ``"mean"``, ``"std"``,
        ``"min"``, ``"max"``) times the feature scale: coefficients per one standard deviation
        of their feature (unchanged when :attr:`scale` is None)."""
        if name not in ("fold_coef", "full_coef", "mean", "std", "min", "max"):
            raise ValueError(f"no coefficient field {name!r}: use fold_coef, full_coef, mean, "
                             "std, min or max")
        value = getattr(self, name)
        return value if self.scale is None else value * self.scale[:, None]

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


def _output_names(estimator, m: int) -> list:
    classes = getattr(estimator, "classes_", None)
    if classes is not None:
        names = [str(c) for c in classes]
        if m == len(names):
            return names
        if m == 1 and len(names) == 2:
            return [names[1]]
    return ["y"] if m == 1 else [f"y{t}" for t in range(m)]


def feature_scale(X, s: np.ndarray) -> np.ndarray:
    """Sample-weighted standard deviation of each column of X (1 for a constant column): the
    scale of the standardized coefficients ``coef · scale``."""
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
    coef = coef_matrix(estimator)
    p = coef.shape[0]
    if X.shape[1] != p:
        raise ValueError(f"X has {X.shape[1]} features but the estimator has {p} coefficients")
    names = feature_names_of(estimator, p, feature_names if feature_names is not None
                             else names_in)
    scale = feature_scale(X, s)
    std = coef * scale[:, None]
    imp = np.linalg.norm(std, axis=1)
    order = np.argsort(-imp, kind="stable")
    rank = np.empty(p, dtype=np.int64)
    rank[order] = np.arange(1, p + 1)
    return CoefficientRanking(feature_names=names, output_names=_output_names(estimator,
                                                                              coef.shape[1]),
                              coef=coef, scale=scale, std_coef=std, importance=imp,
                              order=order, rank=rank, estimator=type(estimator).__name__)


def _refits(spec, X, y, s, lam: float, n_w: float, cv, groups):
    """``(fold coefficients (K, p, m), full-data coefficients (p, m), output names)``."""
    if spec.sparse:  # warm-started paths to λ, the estimator's standardization included
        fold_coef, full_coef = sparse_fits(spec, X, y, s, lam, cv, groups)
        return fold_coef, full_coef, ["y"]
    fold = ridge_folds if spec.kind == "ridge" else glm_folds
    fold_coef = fold(spec, X, y, s, lam, cv, groups)  # (K, p, m)
    full = spec.at(lam, n_w).fit(X, y, sample_weight=s)
    full_coef = coef_matrix(full)
    return fold_coef, full_coef, _output_names(full, full_coef.shape[1])


def _stability_lambda(estimator, spec, n_w: float, lambda_) -> float:
    """The canonical λ of the refits: ``lambda_`` checked, else the estimator's own."""
    if lambda_ is not None:
        return float(check_lambdas([lambda_], "lambda_")[0])
    lam = own_lambda(estimator, spec, n_w)
    if lam is None:
        raise ValueError(f"{spec.name} has not chosen a λ yet: fit it first or pass lambda_=")
    return lam


def coefficient_stability(estimator, X, y, *, lambda_=None, cv=None, sample_weight=None,
                          groups=None, feature_names=None) -> CoefficientStability:
    """Refit the model at one canonical λ on every training fold; summarize the coefficients.

    The fits solve the estimator's own problem (its ``standardize`` included: every fold
    shares the full data's scale, as the CV estimators do). Lasso, elastic-net and group-lasso
    fits follow a certified, warm-started path from λ_max down to λ, as the CV estimators
    reach their λ, so that they converge within the estimator's ``max_iter``.

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
    lam = _stability_lambda(estimator, spec, n_w, lambda_)
    names = feature_names_of(estimator, X.shape[1], feature_names if feature_names is not None
                             else names_in)
    cv = own_cv(estimator) if cv is None else cv
    fold_coef, full_coef, outputs = _refits(spec, X, y, s, lam, n_w, cv, groups)
    if full_coef.shape != fold_coef.shape[1:]:
        raise AssertionError("fold and full-data coefficients disagree in shape")
    K = fold_coef.shape[0]
    agree = (np.sign(fold_coef) == np.sign(full_coef)[None]).mean(axis=0)
    selected = np.any(fold_coef != 0, axis=2).mean(axis=0)
    return CoefficientStability(
        feature_names=names, output_names=outputs,
        lambda_=lam, param=float(spec.to_param(lam, n_w)), param_name=spec.param_name,
        fold_coef=fold_coef, full_coef=full_coef, mean=fold_coef.mean(axis=0),
        std=fold_coef.std(axis=0, ddof=1) if K > 1 else np.zeros_like(full_coef),
        min=fold_coef.min(axis=0), max=fold_coef.max(axis=0), sign_agreement=agree,
        selection_frequency=selected, n_splits=K, model=spec.dof_kind, estimator=spec.name,
        scale=feature_scale(X, s))
