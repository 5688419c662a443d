"""scikit-learn–compatible estimators (thin: validate, call the engine, store ``*_``)."""

from typing import TYPE_CHECKING

from ridgeline._lazy import attach

if TYPE_CHECKING:  # the names as static tools see them; each loads on first use
    from ridgeline.estimators.banded_ridge import BandedRidgeCV
    from ridgeline.estimators.gamma_tweedie import GammaRegressor, TweedieRegressor
    from ridgeline.estimators.gamma_tweedie_cv import GammaRegressorCV, TweedieRegressorCV
    from ridgeline.estimators.glm_regressor_cv import PoissonRegressorCV
    from ridgeline.estimators.group_lasso import GroupLasso, GroupLassoCV
    from ridgeline.estimators.lasso import ElasticNet, Lasso
    from ridgeline.estimators.lasso_cv import ElasticNetCV, LassoCV
    from ridgeline.estimators.logistic import LogisticRegression
    from ridgeline.estimators.logistic_cv import LogisticRegressionCV
    from ridgeline.estimators.poisson import PoissonRegressor
    from ridgeline.estimators.ridge import Ridge, RidgeClassifier
    from ridgeline.estimators.ridge_cv import RidgeClassifierCV, RidgeCV
    from ridgeline.estimators.sparse_paths import enet_path, group_lasso_path

__getattr__, __dir__ = attach(__name__, {
    "ridgeline.estimators.banded_ridge": ["BandedRidgeCV"],
    "ridgeline.estimators.gamma_tweedie": ["GammaRegressor", "TweedieRegressor"],
    "ridgeline.estimators.gamma_tweedie_cv": ["GammaRegressorCV", "TweedieRegressorCV"],
    "ridgeline.estimators.glm_regressor_cv": ["PoissonRegressorCV"],
    "ridgeline.estimators.group_lasso": ["GroupLasso", "GroupLassoCV"],
    "ridgeline.estimators.lasso": ["ElasticNet", "Lasso"],
    "ridgeline.estimators.lasso_cv": ["ElasticNetCV", "LassoCV"],
    "ridgeline.estimators.logistic": ["LogisticRegression"],
    "ridgeline.estimators.logistic_cv": ["LogisticRegressionCV"],
    "ridgeline.estimators.poisson": ["PoissonRegressor"],
    "ridgeline.estimators.ridge": ["Ridge", "RidgeClassifier"],
    "ridgeline.estimators.ridge_cv": ["RidgeClassifierCV", "RidgeCV"],
    "ridgeline.estimators.sparse_paths": ["enet_path", "group_lasso_path"],
})

__all__ = [
    "BandedRidgeCV",
    "ElasticNet",
    "ElasticNetCV",
    "GammaRegressor",
    "GammaRegressorCV",
    "GroupLasso",
    "GroupLassoCV",
    "Lasso",
    "LassoCV",
    "LogisticRegression",
    "LogisticRegressionCV",
    "PoissonRegressor",
    "PoissonRegressorCV",
    "Ridge",
    "RidgeCV",
    "RidgeClassifier",
    "RidgeClassifierCV",
    "TweedieRegressor",
    "TweedieRegressorCV",
    "enet_path",
    "group_lasso_path",
]
