"""Regularization path plot: one line per feature against λ, the parameter, or dof."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ridgeline.diagnostics.path import RegularizationPath
from ridgeline.plot._common import (
    GID_LAMBDA_CHOSEN,
    check_x,
    get_ax,
    highlight_lines,
    legend,
    mark_cv,
    mark_lambda,
    set_x_axis,
    sorted_by,
    top_indices,
    x_values,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def cv_marks(cv) -> tuple[float | None, float | None]:
    """``(λ_min, λ_1se)`` from a CV result, a train/validation curve or a fitted CV estimator."""
    if cv is None:
        return None, None
    res = cv
    for attr in ("selection_", "cv_result_"):
        if hasattr(cv, attr):
            res = getattr(cv, attr)
            break
    if not (hasattr(res, "lambda_min") and hasattr(res, "lambda_1se")):
        raise TypeError("cv must be a RidgeCVResult, a TrainValidationCurve or a fitted CV "
                        f"estimator, got {type(cv).__name__}")
    lam_min, lam_1se = np.asarray(res.lambda_min), np.asarray(res.lambda_1se)
    if lam_min.ndim:
        raise ValueError("a per-target CV result has one λ per target: plot one target")
    return float(lam_min), float(lam_1se)


def _mark_lambdas(ax: Axes, path: RegularizationPath, cv, xs: np.ndarray, log_x: bool) -> None:
    """λ_min and λ_1se (the path's, else ``cv``'s), and the estimator's own λ when it lies on
    the grid's range and is neither."""
    lam_min, lam_1se = path.lambda_min, path.lambda_1se
    if lam_min is None and cv is not None:
        lam_min, lam_1se = cv_marks(cv)
    mark_cv(ax, lam_min, lam_1se, path.lambdas, xs, log_x)
    chosen = path.lambda_chosen
    inside = chosen is not None and path.lambdas.min() <= chosen <= path.lambdas.max()
    if inside and not any(v is not None and np.isclose(chosen, v) for v in (lam_min, lam_1se)):
        mark_lambda(ax, chosen, path.lambdas, xs, log_x, gid=GID_LAMBDA_CHOSEN,
                    name="estimator's λ", style="-.", color="tab:red")


def plot_path(path: RegularizationPath, *, x: str = "lambda", output: int = 0,
              top_k: int = 10, cv=None, ax=None) -> Axes:
    """Coefficient paths, one line per feature, with λ_min and λ_1se marked.

    Parameters
    ----------
    path : RegularizationPath
        From :func:`ridgeline.diagnostics.regularization_path`.
    x : {"lambda", "param", "dof"}, default="lambda"
        Canonical λ (log axis), the estimator's own parameter (log axis), or the effective
        degrees of freedom.
    output : int, default=0
        Which output (target / class) to draw for multi-output paths.
    top_k : int, default=10
        With more than 10 features only the ``top_k`` largest are highlighted and named in
        the legend, ranked by standardized size — the largest ``|coef| · sd(x)`` along the
        path (``path.scale``), the ranking of
        :func:`~ridgeline.diagnostics.standardized_coefficients`; the others are drawn thin
        and grey.
    cv : RidgeCVResult, TrainValidationCurve or fitted CV estimator, optional
        Where λ_min / λ_1se come from when the path has none of its own.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One ``Line2D`` per feature (gid ``"feature:<name>"``): the highlighted ones in
        distinct colours with their name as label, the others grey with a label starting
        with ``"_"``; a zero line (gid ``"zero"``), vertical lines with gids ``"lambda_min"``
        and ``"lambda_1se"`` (and ``"lambda_chosen"`` for the estimator's own λ when it lies
        on the grid's range and is neither). The legend sits outside the axes, on the
        right, the features listed from the largest to the smallest coefficient at the
        least regularized end of the path, the order in which the lines end there.
    """
    if not isinstance(path, RegularizationPath):
        raise TypeError("plot_path takes a RegularizationPath (ridgeline.diagnostics."
                        f"regularization_path), got {type(path).__name__}")
    check_x(x)
    if not 0 <= output < path.n_outputs:
        raise ValueError(f"output must lie in [0, {path.n_outputs}), got {output}")
    ax = get_ax(ax)
    xs, label, log_x = x_values(x, path.lambdas, path.params, path.dof, path.param_name)
    order = sorted_by(xs)
    coef = path.coef[:, :, output]
    scale = np.ones(path.n_features) if path.scale is None else np.asarray(path.scale)
    show = top_indices(path.n_features, np.abs(coef).max(axis=0) * scale, top_k)
    lines = highlight_lines(ax, xs[order], coef[order], path.feature_names,
                            [f"feature:{name}" for name in path.feature_names], show)
    end = coef[int(np.argmin(path.lambdas)), show]  # where the lines have spread apart
    lines = [lines[i] for i in np.argsort(-end, kind="stable")]
    ax.axhline(0.0, color="0.6", linewidth=0.8, gid="zero")
    _mark_lambdas(ax, path, cv, xs, log_x)
    set_x_axis(ax, label, log_x)
    out = f" ({path.output_names[output]})" if path.n_outputs > 1 else ""
    ax.set_ylabel(f"coefficient{out}")
    ax.set_title(f"{path.estimator}: regularization path")
    by = "|coef| × sd(x)" if path.scale is not None else "|coef|"
    legend(ax, first=lines, title=f"top {show.size} of {path.n_features}\nby {by}"
           if show.size < path.n_features else None)
    return ax
