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
    """``decision_function(D)`` returns ``D``; ``predict`` takes the arg-max class."""

    def __init__(self, classes=None):
        self.classes = classes

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
        if D.ndim == 1 or D.shape[1] == 1:
            return self.classes_[(D.ravel() > 0).astype(int)]
        return self.classes_[np.argmax(D, axis=1)]

    def __sklearn_is_fitted__(self) -> bool:
        return True
