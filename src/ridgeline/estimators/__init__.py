"""scikit-learn–compatible estimators (thin: validate, call the engine, store ``*_``)."""

from ridgeline.estimators.group_lasso import GroupLasso, GroupLassoCV
from ridgeline.estimators.lasso import ElasticNet, Lasso
from ridgeline.estimators.lasso_cv import ElasticNetCV, LassoCV
from ridgeline.estimators.logistic import LogisticRegression
from ridgeline.estimators.logistic_cv import LogisticRegressionCV
from ridgeline.estimators.poisson import PoissonRegressor
from ridgeline.estimators.ridge import Ridge, RidgeClassifier
from ridgeline.estimators.ridge_cv import RidgeClassifierCV, RidgeCV
from ridgeline.estimators.sparse_paths import enet_path, group_lasso_path

__all__ = [
    "ElasticNet",
    "ElasticNetCV",
    "GroupLasso",
    "GroupLassoCV",
    "Lasso",
    "LassoCV",
    "LogisticRegression",
    "LogisticRegressionCV",
    "PoissonRegressor",
    "Ridge",
    "RidgeCV",
    "RidgeClassifier",
    "RidgeClassifierCV",
    "enet_path",
    "group_lasso_path",
]
