"""scikit-learn–compatible estimators (thin: validate, call the engine, store ``*_``)."""

from ridgeline.estimators.logistic import LogisticRegression, LogisticRegressionCV
from ridgeline.estimators.poisson import PoissonRegressor
from ridgeline.estimators.ridge import Ridge, RidgeClassifier
from ridgeline.estimators.ridge_cv import RidgeClassifierCV, RidgeCV

__all__ = [
    "LogisticRegression",
    "LogisticRegressionCV",
    "PoissonRegressor",
    "Ridge",
    "RidgeCV",
    "RidgeClassifier",
    "RidgeClassifierCV",
]
