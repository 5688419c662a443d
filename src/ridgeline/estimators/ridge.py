"""Drop-in ``Ridge`` and ``RidgeClassifier`` (scikit-learn 1.9 parameters and attributes)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, MultiOutputMixin, RegressorMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import type_of_target

from ridgeline.distributed import dask_source
from ridgeline.estimators._base import (
    LinearClassifierMixin,
    LinearPredictMixin,
    SparseInputMixin,
    resolve_solver,
    solve_ridge,
    store_coef,
)
from ridgeline.estimators._range import SINGLE_RIDGE_RATIO_LIMIT
from ridgeline.estimators._validation import (
    as_2d_targets,
    check_labels,
    check_source_fit,
    check_strength,
    check_two_classes,
    check_weights,
    check_X_y,
    is_source,
)
from ridgeline.solvers.spectral import factor_from_moments


class Ridge(SparseInputMixin, LinearPredictMixin, MultiOutputMixin, RegressorMixin, BaseEstimator):
    """Linear least squares with an L2 penalty, scikit-learn's ``Ridge`` exactly.

    Minimizes ``Σ s_i (y_i − x_iᵀw − b)² + alpha·‖w‖²`` (scikit-learn's scale), which is the
    canonical ridgeline objective ``(1/n_w) Σ s_i (y_i − x_iᵀw − b)² + λ‖w‖²`` with
    ``λ = alpha / n_w`` (reported as ``lambda_``).

    Parameters
    ----------
    alpha : float or array of shape (n_targets,), default=1.0
        Penalty in scikit-learn's convention; one per target allowed.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept (by weighted centering; sparse X is never densified).
    copy_X : bool, default=True
        Kept for compatibility; X is never modified.
    max_iter, tol : iterative solver (``"lsqr"``) limits.
    solver : str, default="auto"
        ``"auto"`` picks the Gram eigendecomposition (n ≥ p), the dual kernel form (p > n), or
        LSQR (both huge). scikit-learn's names are accepted and give the same solution.
        ``alpha=0`` on X that is rank-deficient after centering (e.g. p ≥ n with an intercept)
        is refused with a ValueError by the direct routes (every name but ``"lsqr"``): the
        solution is not unique. Use ``alpha > 0``, or ``solver="lsqr"`` for the minimum-norm
        solution (scikit-learn returns one of the solutions).
    positive : bool, default=False
        Constrain coefficients to be non-negative (NNLS on the augmented system).
    random_state : ignored (no randomized solver); kept for compatibility.
    standardize : bool, default=False
        Penalize standardized features; coefficients are reported on the original scale.
        Without it, columns whose ranges differ by more than 1e10 are refused (the
        eigendecomposition would lose the smaller columns' digits).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) (also for y of shape (n, 1)) or (n_targets, n_features)
    intercept_ : numpy float (float64, or float32 for float32 X) or ndarray of shape (n_targets,)
    lambda_ : float or ndarray
        Canonical λ = alpha / n_w.
    n_features_in_, feature_names_in_ : as scikit-learn.
    n_iter_ : ndarray of shape (n_targets,)
        LSQR iterations per target; 1 for the direct (factorization) solvers.
    solver_ : str
        The route actually used (``"eigh"``, ``"svd"``, ``"dual"``, ``"lsqr"``, ``"nnls"``).
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True, copy_X=True, max_iter=None, tol=1e-4,
                 solver="auto", positive=False, random_state=None, standardize=False):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver
        self.positive = positive
        self.random_state = random_state
        self.standardize = standardize

    _max_scale_ratio = SINGLE_RIDGE_RATIO_LIMIT

    def fit(self, X, y=None, sample_weight=None):
        """Fit on X (n, p) dense or sparse and y (n,) or (n, k); returns self.

        ``X`` may also be a statistics source (``ridgeline.read_parquet(path, target=...)``,
        with ``y=None``) or a Dask array/data frame (with ``y`` and ``sample_weight`` as Dask
        collections or column names): the fit then takes one pass over the rows for their
        moments and solves from those (``solver="auto"``/``"eigh"`` only).
        """
        if (src := dask_source(X, y, sample_weight)) is not None:
            X, y, sample_weight = src, None, None
        if is_source(X):
            return self._fit_source(X, y, sample_weight)
        X, y = check_X_y(self, X, y)
        Y, squeeze = as_2d_targets(y)
        s = check_weights(sample_weight, X)
        self._fit_targets(X, Y, s, squeeze)
        return self

    def _fit_source(self, source, y, sample_weight):
        """One pass over a statistics source for its moments, then the solve at ``alpha``."""
        check_source_fit(self, source, y, sample_weight, positive=self.positive)
        if resolve_solver(self.solver) not in ("auto", "eigh"):
            raise ValueError(f"solver={self.solver!r} needs the rows; a statistics source is "
                             "fit from its Gram matrix (solver='auto' or 'eigh')")
        stats = source.fold_moments(1, progress=getattr(source, "progress", None))
        m = stats.total
        k = m.n_targets
        alpha = check_strength(self.alpha, "alpha")
        if alpha.ndim > 1 or (alpha.ndim == 1 and alpha.size not in (1, k)):
            raise ValueError(f"alpha has {alpha.size} values but the source has {k} targets: "
                             "give one alpha or one per target")
        F = factor_from_moments(m.centered(self.fit_intercept), shift_x=m.shift_x,
                                shift_y=m.shift_y, standardize=self.standardize)
        pen = np.broadcast_to(alpha, (k,)).astype(np.float64)
        F.check_penalties(pen)
        coef = F.coef_per_target(pen)
        store_regression_coef(self, coef, F.intercept(coef), k == 1, np.float64)
        self.lambda_ = float(alpha) / m.sw if alpha.ndim == 0 else alpha / m.sw
        self.solver_ = "eigh"
        self.n_iter_ = None
        self.n_rows_ = stats.n_rows
        return self

    def _fit_targets(self, X, Y, s, squeeze):
        alpha = check_strength(self.alpha, "alpha")
        if alpha.ndim > 1 or (alpha.ndim == 1 and alpha.size not in (1, Y.shape[1])):
            raise ValueError(
                f"alpha has {alpha.size} values but y has {Y.shape[1]} targets: give one alpha "
                "or one per target"
            )
        coef, inter, route, n_iter = solve_ridge(
            X, Y, s, alpha, fit_intercept=self.fit_intercept, standardize=self.standardize,
            solver=self.solver, positive=self.positive, tol=self.tol, max_iter=self.max_iter)
        store_regression_coef(self, coef, inter, squeeze, X.dtype)
        sw = float(s.sum())
        self.lambda_ = float(alpha) / sw if alpha.ndim == 0 else alpha / sw
        self.solver_ = route
        self.n_iter_ = n_iter


try:  # scikit-learn's marker of linear classifiers (check_estimator's class_weight check)
    from sklearn.linear_model._base import LinearClassifierMixin as _SklearnLinearClassifier
except ImportError:  # pragma: no cover - moved in another scikit-learn version
    _SklearnLinearClassifier = ClassifierMixin


class RidgeClassifierMixin(LinearClassifierMixin, _SklearnLinearClassifier):
    """Prediction and tags shared by the ridge classifiers: multilabel y is supported.

    Also a scikit-learn ``LinearClassifierMixin`` (whose methods ridgeline's override), which
    is how scikit-learn recognizes a linear classifier.
    """

    def predict(self, X):
        """Class labels of shape (n,), or a 0/1 indicator (n, n_labels) for multilabel y."""
        if getattr(self, "multilabel_", False):
            return (self._decision(X) > 0).astype(np.int64)
        return super().predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class RidgeClassifier(SparseInputMixin, RidgeClassifierMixin, ClassifierMixin, BaseEstimator):
    """Classifier that regresses ±1 class indicators with a ridge penalty (scikit-learn's).

    Each class gets a target column that is +1 for its samples and −1 otherwise (one column
    for two classes); the prediction is the class with the largest decision value. A multilabel
    y (a 0/1 indicator of shape (n, n_labels)) gives one ±1 column per label and predictions
    ``decision > 0`` as an indicator. The penalty follows :class:`Ridge` (``lambda_ = alpha /
    n_w``, with class weights folded into the sample weights).

    Parameters are those of :class:`Ridge` plus ``class_weight`` (dict or ``"balanced"``).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,) (``arange(n_labels)`` for multilabel y)
    multilabel_ : bool
        Whether y was a multilabel indicator.
    coef_ : ndarray of shape (n_features,) for two classes, else (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    lambda_, n_features_in_, feature_names_in_, solver_, n_iter_ : as :class:`Ridge`.
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True, copy_X=True, max_iter=None, tol=1e-4,
                 class_weight=None, solver="auto", positive=False, random_state=None,
                 standardize=False):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.class_weight = class_weight
        self.solver = solver
        self.positive = positive
        self.random_state = random_state
        self.standardize = standardize

    _max_scale_ratio = SINGLE_RIDGE_RATIO_LIMIT

    def fit(self, X, y, sample_weight=None):
        """Fit on X (n, p) and class labels y (n,) or a multilabel indicator; returns self."""
        X, y = check_X_y(self, X, y, y_numeric=False)
        Y, s = encode_classes(self, X, y, sample_weight)
        alpha = check_strength(self.alpha, "alpha")
        if alpha.ndim != 0:
            raise ValueError("RidgeClassifier takes a single alpha")
        coef, inter, route, n_iter = solve_ridge(
            X, Y, s, alpha, fit_intercept=self.fit_intercept, standardize=self.standardize,
            solver=self.solver, positive=self.positive, tol=self.tol, max_iter=self.max_iter)
        store_classifier_coef(self, coef, inter, X.dtype)
        self.lambda_ = float(alpha) / float(s.sum())
        self.solver_ = route
        self.n_iter_ = n_iter
        return self


def encode_classes(est, X, y, sample_weight) -> tuple[np.ndarray, np.ndarray]:
    """±1 indicator targets (n, k) and sample weights with class weights folded in.

    Sets ``est.classes_`` and ``est.multilabel_`` (y a 0/1 indicator of shape (n, n_labels):
    one ±1 column per label, ``classes_ = arange(n_labels)``).
    """
    if sp.issparse(y):
        y = y.toarray()
    est.multilabel_ = np.ndim(y) == 2 and type_of_target(y) == "multilabel-indicator"
    if not est.multilabel_:
        y = check_labels(y)
    binarizer = LabelBinarizer(pos_label=1, neg_label=-1)
    Y = binarizer.fit_transform(y).astype(np.float64)
    est.classes_ = binarizer.classes_
    if not est.multilabel_:
        check_two_classes(est.classes_)
    s = check_weights(sample_weight, X)
    if est.class_weight is not None:
        s = s * compute_sample_weight(est.class_weight, y)
    return Y, s


def store_regression_coef(est, coef: np.ndarray, intercept: np.ndarray, squeeze: bool,
                          dtype) -> None:
    """:func:`store_coef` in scikit-learn 1.9's shapes and types for regressors: a 1-d y's
    ``intercept_`` is a numpy scalar of ``dtype`` (``np.float64``, or ``np.float32`` for
    float32 X), not a Python float; a y of shape (n, 1) gives ``coef_`` of shape (p,) and
    ``intercept_`` of shape (1,)."""
    store_coef(est, coef, intercept, squeeze, dtype)
    if squeeze:
        est.intercept_ = np.asarray(intercept, dtype=dtype)[0]
    elif est.coef_.shape[0] == 1:
        est.coef_ = est.coef_[0]


def store_classifier_coef(est, coef: np.ndarray, intercept: np.ndarray, dtype) -> None:
    """scikit-learn 1.9 shapes: ``coef_`` (p,) for two classes, (n_classes, p) otherwise;
    ``intercept_`` always 1-d."""
    store_coef(est, coef, intercept, False, dtype)
    if est.coef_.shape[0] == 1:
        est.coef_ = est.coef_[0]
