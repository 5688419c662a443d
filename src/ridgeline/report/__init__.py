"""The self-contained HTML report: what λ was chosen and why, and what L2 does to the model.

Public API
----------
fit_model(kind, X, y, *, cv=5, lambdas=None, n_lambdas=None, rule="min", scoring=None,
          standardize=None, l1_ratio=0.5, seed=0) -> FittedModel
    Fit ``ridge``, ``logistic``, ``poisson``, ``lasso`` or ``elasticnet`` with λ chosen by
    K-fold CV, LOO, GCV or ALO (:data:`CV_SUPPORT`), on a canonical λ grid.
build_report(fitted, table, *, bv_rounds=20, bv_lambdas=8, compare=True, seed=0,
             progress=None, command=None) -> Report
    Every section (data, CV curve, for classifiers held-out ROC/AUC, confusion matrix and
    calibration, path, train vs validation, bias–variance, shrinkage, coefficients with
    stability, L1 vs L2), computed with :mod:`ridgeline.diagnostics` and drawn with
    :mod:`ridgeline.plot`, as one page with embedded PNG figures; every section uses the
    model's folds, data scaling and λ.
write_report(path, report) -> Path
    Write the page atomically.
"""

from typing import TYPE_CHECKING

from ridgeline._lazy import attach

if TYPE_CHECKING:  # the names as static tools see them; each loads on first use
    from ridgeline.report.build import Report, SectionOutcome, build_report, write_report
    from ridgeline.report.fitting import (
        CV_SUPPORT,
        DEFAULT_SCORING,
        MODELS,
        FitFailedError,
        FittedModel,
        check_cv_spec,
        fit_model,
    )

__getattr__, __dir__ = attach(__name__, {
    "ridgeline.report.build": ["Report", "SectionOutcome", "build_report", "write_report"],
    "ridgeline.report.fitting": [
        "CV_SUPPORT", "DEFAULT_SCORING", "MODELS", "FitFailedError", "FittedModel",
        "check_cv_spec", "fit_model",
    ],
})

__all__ = [
    "CV_SUPPORT",
    "DEFAULT_SCORING",
    "MODELS",
    "FitFailedError",
    "FittedModel",
    "Report",
    "SectionOutcome",
    "build_report",
    "check_cv_spec",
    "fit_model",
    "write_report",
]
