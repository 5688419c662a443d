"""Model-selection criteria against λ: −2·log evidence, AIC and BIC on one axes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from ridgeline.plot._common import GID_LAMBDA_CHOSEN, get_ax, legend, mark_lambda, set_x_axis

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: gid prefixes of the curves and of the marker at each curve's minimum
GID_CRITERION = "criterion:"
GID_CRITERION_MIN = "criterion_min:"


def plot_criteria(lambdas, curves: Mapping[str, np.ndarray], *, chosen: float | None = None,
                  chosen_name: str = "model's λ", ax=None) -> Axes:
    """Criteria to minimize (e.g. ``−2 log evidence``, ``AIC``, ``BIC``) against λ.

    Each curve is drawn relative to its own minimum (``criterion − min``, so curves on
    different scales share the axes) with a marker at the λ it picks.

    Parameters
    ----------
    lambdas : array-like (L,)
        Canonical λ (> 0; drawn on a log axis).
    curves : mapping of name → array (L,)
        Lower is better; non-finite values are left out.
    chosen : float, optional
        A λ to mark with a vertical line (the model's own choice, e.g. by cross-validation).
    chosen_name : str
        Its label.
    ax : matplotlib Axes, optional

    Returns
    -------
    Axes
    """
    lam = np.asarray(lambdas, dtype=np.float64)
    if lam.ndim != 1 or lam.size == 0 or np.any(lam <= 0):
        raise ValueError("lambdas must be a non-empty 1-d grid of λ > 0")
    if not curves:
        raise ValueError("curves is empty: give at least one criterion")
    ax = get_ax(ax)
    order = np.argsort(lam)
    for name, values in curves.items():
        v = np.asarray(values, dtype=np.float64)
        if v.shape != lam.shape:
            raise ValueError(f"curve {name!r} has shape {v.shape}, the grid {lam.shape}")
        ok = np.isfinite(v[order])
        if not ok.any():
            continue
        best = float(np.min(v[np.isfinite(v)]))
        line = ax.plot(lam[order][ok], v[order][ok] - best, label=name,
                       gid=GID_CRITERION + name)[0]
        i = int(np.nanargmin(np.where(np.isfinite(v), v, np.nan)))
        ax.plot([lam[i]], [0.0], marker="o", linestyle="none", color=line.get_color(),
                gid=GID_CRITERION_MIN + name, label=f"{name} picks λ = {lam[i]:.3g}")
    mark_lambda(ax, chosen, lam, lam, True, gid=GID_LAMBDA_CHOSEN, name=chosen_name)
    set_x_axis(ax, "λ (canonical: mean loss + λ·penalty)", True)
    ax.set_ylabel("criterion − its minimum (lower is better)")
    legend(ax)
    return ax
