"""scikit-learn–compatible estimators (thin: validate, call the engine, store ``*_``)."""

from ridgeline.estimators.ridge import Ridge, RidgeClassifier
from ridgeline.estimators.ridge_cv import RidgeClassifierCV, RidgeCV

__all__ = ["Ridge", "RidgeCV", "RidgeClassifier", "RidgeClassifierCV"]
