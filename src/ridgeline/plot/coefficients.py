"""Standardized coefficients (ranked bars) and coefficient stability across folds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ridgeline.diagnostics.coefficients import CoefficientRanking, CoefficientStability
from ridgeline.plot._common import get_ax, legend

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def plot_coefficients(result, *, top_k: int = 20, output: int = 0, ax=None) -> Axes:
    """Ranked standardized coefficients, or per-fold coefficients with their spread.

    Parameters
    ----------
    result : CoefficientRanking or CoefficientStability
        ``CoefficientRanking``: horizontal bars of ``coef × sd(x)``, most important on top
        (gids ``"coef:<feature>"``). ``CoefficientStability``: per feature, the fold
        coefficients as dots (gid ``"folds"``), their mean ± sd (gid ``"fold_mean"``) and the
        full-data coefficient (gid ``"full"``), all on the standardized scale ``coef ×
        sd(x)`` (``result.scale``), where sizes compare; features ordered by the size of
        the standardized full-data coefficient.
    top_k : int, default=20
        Features shown (the most important).
    output : int, default=0
        Output (target / class) for multi-output models.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    if isinstance(result, CoefficientRanking):
        return _ranking(result, top_k, output, get_ax(ax))
    if isinstance(result, CoefficientStability):
        return _stability(result, top_k, output, get_ax(ax))
    raise TypeError("plot_coefficients takes a CoefficientRanking or CoefficientStability, got "
                    f"{type(result).__name__}")


def _check_output(output: int, m: int) -> None:
    if not 0 <= output < m:
        raise ValueError(f"output must lie in [0, {m}), got {output}")


def _ranking(res: CoefficientRanking, top_k: int, output: int, ax):
    _check_output(output, res.std_coef.shape[1])
    idx = res.order[:top_k]
    vals = res.std_coef[idx, output]
    pos = np.arange(idx.size)[::-1]
    bars = ax.barh(pos, vals, color=np.where(vals >= 0, "tab:blue", "tab:red"))
    for b, j in zip(bars, idx, strict=True):
        b.set_gid(f"coef:{res.feature_names[j]}")
    ax.axvline(0.0, color="0.4", linewidth=0.8, gid="zero")
    ax.set_yticks(pos, [res.feature_names[j] for j in idx])
    out = f" ({res.output_names[output]})" if len(res.output_names) > 1 else ""
    ax.set_xlabel(f"standardized coefficient: coef × sd(x){out}")
    shown = f"top {idx.size} of {len(res.feature_names)}" \
        if idx.size < len(res.feature_names) else "all features"
    ax.set_title(f"{res.estimator}: standardized coefficients ({shown})")
    return ax


def _stability(res: CoefficientStability, top_k: int, output: int, ax):
    _check_output(output, res.full_coef.shape[1])
    full = res.standardized("full_coef")[:, output]
    idx = np.argsort(-np.abs(full), kind="stable")[:top_k]
    pos = np.arange(idx.size)[::-1]
    K = res.n_splits
    folds = res.standardized("fold_coef")[:, idx, output]  # (K, k)
    ax.plot(folds.ravel(), np.repeat(pos[None, :], K, axis=0).ravel(), "o", color="0.55",
            markersize=3, alpha=0.7, gid="folds", label=f"{K} training folds")
    ax.errorbar(res.standardized("mean")[idx, output], pos,
                xerr=res.standardized("std")[idx, output], fmt="none", ecolor="tab:blue",
                capsize=3, gid="fold_mean", label="fold mean ± sd")
    ax.plot(full[idx], pos, "D", color="tab:red", markersize=5, gid="full", label="all data")
    ax.axvline(0.0, color="0.4", linewidth=0.8, gid="zero")
    labels = [f"{res.feature_names[j]} ({res.selection_frequency[j]:.0%})"
              if res.model in ("lasso", "elasticnet", "group") else res.feature_names[j]
              for j in idx]
    ax.set_yticks(pos, labels)
    what = "coefficient" if res.scale is None else "standardized coefficient: coef × sd(x)"
    ax.set_xlabel(f"{what}\nat λ = {res.lambda_:.3g} ({res.param_name} = {res.param:.3g})")
    sel = " (selected in % of folds)" if res.model in ("lasso", "elasticnet", "group") else ""
    ax.set_title(f"{res.estimator}: coefficient stability across folds{sel}",
                 fontsize="medium")
    legend(ax)
    return ax
