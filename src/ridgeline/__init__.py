"""ridgeline: L2-regularized machine learning with exact, fast choice of λ.

One objective everywhere (see ``ridgeline.conventions``)::

    minimize  (1/n_w) Σ_i s_i ℓ(y_i, x_iᵀw + b)  +  λ Σ_j w_j²

with ℓ the squared error (ridge), the log loss (logistic, binary or multinomial) or the
Poisson deviance.

The estimators are drop-ins for scikit-learn's and report the canonical ``lambda_`` beside
their own ``alpha``/``C``.
"""

from ridgeline import conventions
from ridgeline.estimators import (
    LogisticRegression,
    LogisticRegressionCV,
    PoissonRegressor,
    Ridge,
    RidgeClassifier,
    RidgeClassifierCV,
    RidgeCV,
)
from ridgeline.path import GLMPath, RidgePath, auto_glm_grid, auto_lambda_grid, glm_path, ridge_path
from ridgeline.selection import GridEdgeWarning, RidgeCVResult, select_ridge

__version__ = "0.1.0"

__all__ = [
    "GLMPath",
    "GridEdgeWarning",
    "LogisticRegression",
    "LogisticRegressionCV",
    "PoissonRegressor",
    "Ridge",
    "RidgeCV",
    "RidgeCVResult",
    "RidgeClassifier",
    "RidgeClassifierCV",
    "RidgePath",
    "__version__",
    "auto_glm_grid",
    "auto_lambda_grid",
    "conventions",
    "glm_path",
    "ridge_path",
    "select_ridge",
]
