"""Cross-validation curve with its ±1 SE band, and the training vs validation curve."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ridgeline.diagnostics.train_validation import TrainValidationCurve
from ridgeline.plot._common import (
    check_x,
    get_ax,
    lambda_to_x,
    legend,
    mark_cv,
    set_x_axis,
    sorted_by,
    x_values,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: gid of the marker of the off-grid optimum (``RidgeCV(refine=True)``)
GID_LAMBDA_OFF_GRID = "lambda_off_grid"

_ERROR_NAMES = {
    "neg_mean_squared_error": "mean squared error",
    "neg_root_mean_squared_error": "root mean squared error",
    "neg_mean_absolute_error": "mean absolute error",
    "neg_median_absolute_error": "median absolute error",
    "neg_log_loss": "log loss",
    "neg_mean_poisson_deviance": "mean Poisson deviance",
    "neg_brier_score": "Brier score",
    "neg_mean_absolute_percentage_error": "mean absolute percentage error",
}


def _cv_result(result):
    for attr in ("selection_", "cv_result_"):
        if hasattr(result, attr):
            return getattr(result, attr), type(result).__name__
    if hasattr(result, "mean_score") and hasattr(result, "lambdas"):
        return result, None
    raise TypeError("plot_cv takes a RidgeCVResult (e.g. RidgeCV().fit(...).selection_) or a "
                    f"fitted CV estimator, got {type(result).__name__}")


def plot_cv(result, *, x: str = "lambda", ax=None) -> Axes:
    """The cross-validation curve: mean held-out error (or score) per λ with a ±1 SE band.

    Parameters
    ----------
    result : RidgeCVResult or fitted CV estimator
        ``RidgeCV``/``LassoCV``/``ElasticNetCV``/``GroupLassoCV`` (``selection_``) or
        ``LogisticRegressionCV`` (``cv_result_``), or the result itself. Scores named
        ``neg_*`` are drawn as the error they negate (e.g. mean squared error); others (R²,
        accuracy) as scores.
    x : {"lambda", "param", "dof"}, default="lambda"
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        The mean curve (gid ``"cv_mean"``), the band (a ``PolyCollection``, gid
        ``"cv_se_band"``) and vertical lines ``"lambda_min"`` / ``"lambda_1se"``. A result
        with an optimum off the grid (``refine=True``: ``lambda_off_grid``) also has a star
        marker there (gid ``"lambda_off_grid"``, :data:`GID_LAMBDA_OFF_GRID`) at its score,
        in the legend; not for per-target results (one curve is drawn, their mean). With
        ``x="dof"`` its position is interpolated in log λ between the grid's.
    """
    if isinstance(result, TrainValidationCurve):
        return plot_train_validation(result, x=x, ax=ax)
    res, owner = _cv_result(result)
    check_x(x)
    mean = np.asarray(res.mean_score, dtype=np.float64)
    se = np.asarray(res.se, dtype=np.float64)
    per_target = mean.ndim == 2
    if per_target:
        mean, se = mean.mean(axis=1), np.sqrt(np.nanmean(se**2, axis=1))
    scoring = str(res.scoring)
    is_error = scoring.startswith("neg_")
    y = -mean if is_error else mean
    name = _ERROR_NAMES.get(scoring, scoring[4:].replace("_", " ") if is_error else scoring)
    ax = get_ax(ax)
    xs, label, log_x = x_values(x, res.lambdas, res.alphas, res.dof,
                                "alpha" if owner != "LogisticRegressionCV" else "C")
    o = sorted_by(xs)
    ax.plot(xs[o], y[o], "o-", markersize=3, color="tab:blue", gid="cv_mean",
            label=f"CV {name}" + (f" ({res.method})" if res.method != "kfold" else ""))
    if np.isfinite(se).any():
        ax.fill_between(xs[o], (y - se)[o], (y + se)[o], color="tab:blue", alpha=0.2,
                        gid="cv_se_band", label="±1 SE")
    if not per_target:
        mark_cv(ax, res.lambda_min, res.lambda_1se, res.lambdas, xs, log_x)
        _mark_off_grid(ax, res, x, xs, log_x, is_error)
    set_x_axis(ax, label, log_x)
    ax.set_ylabel(name)
    folds = f"{res.n_splits}-fold " if res.method == "kfold" else ""
    ax.set_title(f"{owner + ': ' if owner else ''}{folds}cross-validation")
    legend(ax)
    return ax


def _mark_off_grid(ax, res, x: str, xs, log_x: bool, is_error: bool) -> None:
    """A star at the off-grid optimum (λ, its score), when the result has one."""
    lam = getattr(res, "lambda_off_grid", None)
    score = getattr(res, "score_off_grid", None)
    if lam is None or score is None or not np.isfinite(score):
        return
    alpha = getattr(res, "alpha_off_grid", None)
    if x == "param" and alpha is not None:
        pos = float(alpha)
    else:
        pos = lambda_to_x(float(lam), res.lambdas, xs, log_x)
    ax.plot([pos], [-score if is_error else score], linestyle="none", marker="*",
            markersize=13, color="tab:red", zorder=4, gid=GID_LAMBDA_OFF_GRID,
            label=f"λ off the grid = {float(lam):.4g}")


def plot_train_validation(curve: TrainValidationCurve, *, x: str = "lambda", ax=None) -> Axes:
    """Training and validation error per λ, each with a ±1 SE band (over folds).

    Parameters
    ----------
    curve : TrainValidationCurve
        From :func:`ridgeline.diagnostics.train_validation_curve`.
    x : {"lambda", "param", "dof"}, default="lambda"
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Lines with gids ``"train"`` and ``"validation"``, bands ``"train_se_band"`` and
        ``"validation_se_band"``, vertical lines ``"lambda_min"`` / ``"lambda_1se"``.
    """
    if not isinstance(curve, TrainValidationCurve):
        raise TypeError("plot_train_validation takes a TrainValidationCurve (ridgeline."
                        f"diagnostics.train_validation_curve), got {type(curve).__name__}")
    check_x(x)
    ax = get_ax(ax)
    xs, label, log_x = x_values(x, curve.lambdas, curve.params, curve.dof, curve.param_name)
    o = sorted_by(xs)
    for key, mean, se, color, name in (
            ("train", curve.train_error, curve.train_se, "tab:green", "training"),
            ("validation", curve.validation_error, curve.validation_se, "tab:orange",
             "validation")):
        ax.plot(xs[o], mean[o], "o-", markersize=3, color=color, gid=key, label=name)
        if np.isfinite(se).any():
            ax.fill_between(xs[o], (mean - se)[o], (mean + se)[o], color=color, alpha=0.2,
                            gid=f"{key}_se_band")
    mark_cv(ax, curve.lambda_min, curve.lambda_1se, curve.lambdas, xs, log_x)
    set_x_axis(ax, label, log_x)
    ax.set_ylabel(curve.error_label)
    ax.set_title(f"{curve.estimator}: training vs validation ({curve.n_splits} folds)")
    legend(ax)
    return ax
