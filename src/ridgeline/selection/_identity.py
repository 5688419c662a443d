"""Stand-in estimators that hand precomputed predictions to scikit-learn scorers (no refit)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin


class IdentityRegressor(RegressorMixin, BaseEstimator):
    """``predict(P)`` returns ``P``: lets a scorer ``scorer(est, P, y)`` score predictions P."""

    def fit(self, X, y=None):  # pragma: no cover - never fitted
        return self

    def predict(self, X):
        return X

    def __sklearn_is_fitted__(self) -> bool:
        return True


class IdentityClassifier(ClassifierMixin, BaseEstimator):
    """``decision_function(D)`` returns ``D``; ``predict`` takes the arg-max class, or with
    ``multilabel=True`` the 0/1 indicator ``D > 0`` (one column per label)."""

    def __init__(self, classes=None, multilabel=False):
        self.classes = classes
        self.multilabel = multilabel

    def fit(self, X, y=None):  # pragma: no cover - never fitted
        return self

    @property
    def classes_(self):
        return np.asarray(self.classes)

    def decision_function(self, D):
        D = np.asarray(D)
        return D[:, 0] if D.ndim == 2 and D.shape[1] == 1 else D

    def predict(self, D):
        D = np.asarray(D)
        if self.multilabel:
            return (D > 0).astype(np.int64)
        if D.ndim == 1 or D.shape[1] == 1:
            return self.classes_[(D.ravel() > 0).astype(int)]
        return self.classes_[np.argmax(D, axis=1)]

    def __sklearn_is_fitted__(self) -> bool:
        return True


class IdentityGLM(BaseEstimator):
    """A fitted GLM stand-in whose input is the linear predictor η itself (no refit, no X).

    ``decision_function(E)`` returns E, ``predict_proba`` applies the inverse link (logistic or
    softmax), ``predict`` gives classes (classifiers) or the mean (Poisson). Lets any
    scikit-learn scorer score held-out or leave-one-out linear predictors.
    """

    def __init__(self, loss=None, classes=None):
        self.loss = loss
        self.classes = classes

    def fit(self, X, y=None):  # pragma: no cover - never fitted
        return self

    @property
    def _estimator_type(self):
        return "regressor" if self.classes is None else "classifier"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = self._estimator_type
        return tags

    @property
    def classes_(self):
        return np.asarray(self.classes)

    def decision_function(self, E):
        E = np.asarray(E)
        return E[:, 0] if E.ndim == 2 and E.shape[1] == 1 else E

    def predict_proba(self, E):
        E = np.asarray(E)
        if self.loss.multi:
            return self.loss.mean(E)
        p1 = self.loss.mean(E[:, 0] if E.ndim == 2 else E)
        return np.column_stack([1.0 - p1, p1])

    def predict(self, E):
        E = np.asarray(E)
        if self.classes is None:
            return self.loss.mean(E[:, 0] if E.ndim == 2 else E)
        if E.ndim == 1 or E.shape[1] == 1:
            return self.classes_[(E.ravel() > 0).astype(int)]
        return self.classes_[np.argmax(E, axis=1)]

    def __sklearn_is_fitted__(self) -> bool:
        return True
