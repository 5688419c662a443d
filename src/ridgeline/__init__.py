"""ridgeline: L2-regularized machine learning with exact, fast choice of λ.

One objective everywhere (see ``ridgeline.conventions``)::

    minimize  (1/n_w) Σ_i s_i ℓ(y_i, x_iᵀw + b)  +  λ Σ_j w_j²

with ℓ the squared error (ridge), the log loss (logistic, binary or multinomial) or the
Poisson deviance; and, for comparison, the L1, elastic-net and group-lasso relatives of
``Σ w_j²`` (``ridgeline.penalties``) with certified coordinate descent: ``Lasso``,
``ElasticNet``, ``GroupLasso``, their CV versions, ``enet_path`` and ``compare_penalties``.

The estimators are drop-ins for scikit-learn's and report the canonical ``lambda_`` beside
their own ``alpha``/``C``.
"""

from typing import TYPE_CHECKING

from ridgeline._lazy import attach

if TYPE_CHECKING:  # the names as static tools see them; at run time they load on first use
    from ridgeline import conventions, penalties
    from ridgeline.compare import PenaltyComparison, compare_penalties
    from ridgeline.estimators import (
        BandedRidgeCV,
        ElasticNet,
        ElasticNetCV,
        GammaRegressor,
        GammaRegressorCV,
        GroupLasso,
        GroupLassoCV,
        Lasso,
        LassoCV,
        LogisticRegression,
        LogisticRegressionCV,
        PoissonRegressor,
        PoissonRegressorCV,
        Ridge,
        RidgeClassifier,
        RidgeClassifierCV,
        RidgeCV,
        TweedieRegressor,
        TweedieRegressorCV,
        enet_path,
        group_lasso_path,
    )
    from ridgeline.path import (
        GLMPath,
        RidgePath,
        auto_glm_grid,
        auto_lambda_grid,
        glm_path,
        ridge_path,
    )
    from ridgeline.path.sparse_path import SparsePath
    from ridgeline.selection import GridEdgeWarning, RidgeCVResult, select_ridge
    from ridgeline.selection.glm_evidence import GLMEvidence, poisson_evidence
    from ridgeline.stats import ArraySource, read_csv, read_parquet

# ``import ridgeline`` imports none of these (nor NumPy, SciPy, scikit-learn or numba): each
# loads with its module the first time it is used (PEP 562; tests/test_startup.py).
__getattr__, __dir__ = attach(__name__, {
    ".": ["conventions", "penalties"],
    "ridgeline.compare": ["PenaltyComparison", "compare_penalties"],
    "ridgeline.estimators": [
        "ElasticNet", "ElasticNetCV", "GroupLasso", "GroupLassoCV", "Lasso", "LassoCV",
        "LogisticRegression", "LogisticRegressionCV", "PoissonRegressor", "Ridge",
        "RidgeClassifier", "RidgeClassifierCV", "RidgeCV", "enet_path", "group_lasso_path",
        "GammaRegressor", "TweedieRegressor",
        "PoissonRegressorCV", "GammaRegressorCV", "TweedieRegressorCV",
        "BandedRidgeCV",
    ],
    "ridgeline.path": ["GLMPath", "RidgePath", "auto_glm_grid", "auto_lambda_grid",
                       "glm_path", "ridge_path"],
    "ridgeline.path.sparse_path": ["SparsePath"],
    "ridgeline.selection": ["GridEdgeWarning", "RidgeCVResult", "select_ridge"],
    "ridgeline.selection.glm_evidence": ["GLMEvidence", "poisson_evidence"],
    "ridgeline.stats": ["ArraySource", "read_csv", "read_parquet"],
})

__version__ = "0.1.0"

__all__ = [
    "ArraySource",
    "BandedRidgeCV",
    "ElasticNet",
    "ElasticNetCV",
    "GLMEvidence",
    "GLMPath",
    "GammaRegressor",
    "GammaRegressorCV",
    "GridEdgeWarning",
    "GroupLasso",
    "GroupLassoCV",
    "Lasso",
    "LassoCV",
    "LogisticRegression",
    "LogisticRegressionCV",
    "PenaltyComparison",
    "PoissonRegressor",
    "PoissonRegressorCV",
    "Ridge",
    "RidgeCV",
    "RidgeCVResult",
    "RidgeClassifier",
    "RidgeClassifierCV",
    "RidgePath",
    "SparsePath",
    "TweedieRegressor",
    "TweedieRegressorCV",
    "__version__",
    "auto_glm_grid",
    "auto_lambda_grid",
    "compare_penalties",
    "conventions",
    "enet_path",
    "glm_path",
    "group_lasso_path",
    "penalties",
    "poisson_evidence",
    "read_csv",
    "read_parquet",
    "ridge_path",
    "select_ridge",
]
