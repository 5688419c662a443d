"""Plots of the diagnostics (matplotlib): each ``plot_xxx(result, ..., ax=None) -> Axes``.

Importing this module imports matplotlib (``ridgeline`` and ``ridgeline.diagnostics`` do not);
``matplotlib.pyplot`` is imported only when a function has to create its own figure
(``ax=None``), so a report can draw on plain ``matplotlib.figure.Figure`` objects without
pyplot. Defaults: labelled axes, log λ axis
(canonical λ, or the estimator's parameter with ``x="param"``; ``x="dof"`` for effective
degrees of freedom); legends outside the data area, right of the axes; every feature
highlighted in its own colour when there are ≤ 10, else the ``top_k`` largest by
standardized size ``|coef| × sd(x)`` (the rest thin and grey); magnitudes compared on the
standardized scale. Marked λ are vertical lines with a label and a gid: ``"lambda_min"``,
``"lambda_1se"`` (CV choices), ``"lambda_chosen"`` (the estimator's own λ), ``"lambda_best"``
(smallest measured test error); feature lines have gid ``"feature:<name>"``.

Public API
----------
plot_path(path, *, x="lambda", output=0, top_k=10, cv=None, ax=None) -> Axes
    Coefficient paths of a RegularizationPath, one line per feature, λ_min/λ_1se marked.
plot_cv(result, *, x="lambda", ax=None) -> Axes
    CV curve (error or score) with a ±1 SE band, from a RidgeCVResult or a fitted CV
    estimator (RidgeCV, LogisticRegressionCV, LassoCV, ElasticNetCV, GroupLassoCV).
plot_train_validation(curve, *, x="lambda", ax=None) -> Axes
    Training vs validation error ± SE of a TrainValidationCurve.
plot_bias_variance(result, *, reference=None, x="lambda", ax=None) -> Axes
    bias², variance, noise, their sum and the measured test error of a BiasVariance;
    ``reference`` (e.g. the closed form) drawn dotted.
plot_shrinkage(result, *, kind="lambda", lambdas=None, x="lambda", top_k=10, ax=None) -> Axes
    Shrinkage factors d²/(d² + n_w λ) per principal direction (vs λ, or vs direction).
plot_coefficients(result, *, top_k=20, output=0, ax=None) -> Axes
    Ranked standardized coefficients (CoefficientRanking) or per-fold standardized
    coefficients with mean ± sd and selection frequency (CoefficientStability).
plot_compare(source, *, feature_names=None, x="lambda", top_k=10, scale=None, axes=None)
        -> ndarray[Axes]
    L1 vs L2 side by side, each panel with its own x range: compare_penalties's
    PenaltyComparison (coefficient bars per penalty; standardized with ``scale``) or two or
    more RegularizationPath (path panels); ``axes`` may be a Figure.
plot_criteria(lambdas, curves, *, chosen=None, chosen_name="model's λ", ax=None) -> Axes
    Selection criteria to minimize (−2 log evidence, AIC, BIC) against λ, each relative to
    its minimum, with the λ each picks and the model's own λ marked.

Constants: GID_LAMBDA_MIN, GID_LAMBDA_1SE, GID_LAMBDA_CHOSEN, GID_LAMBDA_BEST.
"""

from ridgeline.plot._common import (
    GID_LAMBDA_1SE,
    GID_LAMBDA_BEST,
    GID_LAMBDA_CHOSEN,
    GID_LAMBDA_MIN,
)
from ridgeline.plot.bias_variance import plot_bias_variance
from ridgeline.plot.classification import plot_calibration, plot_roc  # noqa: F401 (see its module)
from ridgeline.plot.coefficients import plot_coefficients
from ridgeline.plot.compare import plot_compare
from ridgeline.plot.cv import plot_cv, plot_train_validation
from ridgeline.plot.evidence import plot_criteria
from ridgeline.plot.path import plot_path
from ridgeline.plot.shrinkage import plot_shrinkage

__all__ = [
    "GID_LAMBDA_1SE",
    "GID_LAMBDA_BEST",
    "GID_LAMBDA_CHOSEN",
    "GID_LAMBDA_MIN",
    "plot_bias_variance",
    "plot_coefficients",
    "plot_compare",
    "plot_criteria",
    "plot_cv",
    "plot_path",
    "plot_shrinkage",
    "plot_train_validation",
]
