"""Diagnostics of regularization: pure computation, no plotting (see :mod:`ridgeline.plot`).

Every function works on the canonical objective ``mean loss + λ·P(w)`` (intercept never
penalized) and reports the canonical λ beside the estimator's own parameter (``alpha``/``C``).
Each returns one small dataclass whose arrays have documented shapes, with ``table()`` (plain
text) and ``to_dict()`` (JSON-ready) for reports. Supported estimators: ``Ridge``, ``RidgeCV``,
``LogisticRegression(CV)`` (L2), ``PoissonRegressor``, ``Lasso``, ``LassoCV``,
``ElasticNet(CV)``, ``GroupLasso(CV)`` — fitted or not (never modified).

Public API
----------
regularization_path(estimator, X, y, *, lambdas=None, n_lambdas=50, sample_weight=None,
                    feature_names=None) -> RegularizationPath
    Coefficients (L, p, m), intercepts and effective dof for every λ; λ_min/λ_1se of a fitted
    CV estimator. dof: ridge, trace of the hat matrix; logistic/Poisson, trace of the weighted
    (IRLS) hat matrix at each solution; lasso, number of nonzeros (Zou et al. 2007); elastic
    net, trace over the active set; group lasso, number of nonzeros.
train_validation_curve(estimator, X, y, *, lambdas=None, n_lambdas=30, cv=None,
                       sample_weight=None, groups=None, error=None, convention="auto")
                       -> TrainValidationCurve
    Fold-averaged training and validation error ± SE per λ on the estimator's own folds
    (ridge: from fold statistics; GLMs: batched warm-started paths; sparse: per-fold paths).
bias_variance(estimator, X, y, *, lambdas=None, n_lambdas=10, method="bootstrap",
              n_rounds=50, X_test=None, y_test=None, f_test=None, f_train=None, noise="auto",
              test_size=0.3, train_size=0.5, loss="auto", random_state=None) -> BiasVariance
    Resampling decomposition per λ for any estimator with fit/predict: squared loss into
    bias², variance and noise; 0-1 loss by Domingos (2000); with the measured test error.
ridge_bias_variance(X, coef, noise, lambdas, *, intercept=0.0, X_test=None,
                    fit_intercept=True) -> BiasVariance
    The exact fixed-design decomposition of ridge in the SVD basis (known w*, σ²).
shrinkage_factors(estimator, X, y=None, *, lambdas=None, n_lambdas=50, sample_weight=None)
                  -> Shrinkage
    d_j²/(d_j² + n_w λ) along the principal directions of the weighted, centered X.
standardized_coefficients(estimator, X, *, sample_weight=None, feature_names=None)
                          -> CoefficientRanking
    coef × sd(x) of a fitted linear estimator, ranked by magnitude.
coefficient_stability(estimator, X, y, *, lambda_=None, cv=None, sample_weight=None,
                      groups=None, feature_names=None) -> CoefficientStability
    Per-fold refits at one λ: mean, sd, range, sign agreement, selection frequency.
information_criteria(model, X, y, sample_weight=None) -> InformationCriteria
    AIC and BIC of a fitted model: exact log-likelihood (Gaussian with profiled noise,
    Bernoulli/categorical, Poisson) and effective dof of the penalized fit.

Result types: InformationCriteria, RegularizationPath, TrainValidationCurve, BiasVariance,
Shrinkage, CoefficientRanking, CoefficientStability.
"""

from ridgeline.diagnostics.bias_variance import BiasVariance, bias_variance, ridge_bias_variance
from ridgeline.diagnostics.coefficients import (
    CoefficientRanking,
    CoefficientStability,
    coefficient_stability,
    standardized_coefficients,
)
from ridgeline.diagnostics.information import InformationCriteria, information_criteria
from ridgeline.diagnostics.path import RegularizationPath, regularization_path
from ridgeline.diagnostics.shrinkage import Shrinkage, shrinkage_factors
from ridgeline.diagnostics.train_validation import TrainValidationCurve, train_validation_curve

__all__ = [
    "BiasVariance",
    "CoefficientRanking",
    "CoefficientStability",
    "InformationCriteria",
    "RegularizationPath",
    "Shrinkage",
    "TrainValidationCurve",
    "bias_variance",
    "coefficient_stability",
    "information_criteria",
    "regularization_path",
    "ridge_bias_variance",
    "shrinkage_factors",
    "standardized_coefficients",
    "train_validation_curve",
]
