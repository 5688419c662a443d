"""Shrinkage factors ``d²/(d² + n_w λ)`` along the principal directions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ridgeline.diagnostics.shrinkage import Shrinkage
from ridgeline.plot._common import (
    GID_LAMBDA_CHOSEN,
    check_x,
    get_ax,
    highlight_lines,
    legend,
    mark_lambda,
    set_x_axis,
    sorted_by,
    top_indices,
    x_values,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

KINDS = ("lambda", "direction")


def _along_lambda(ax, result, x: str, top_k: int) -> None:
    """One line per principal direction against λ (the largest ``top_k`` highlighted), and
    the estimator's λ marked."""
    check_x(x)
    r = result.n_components
    xs, label, log_x = x_values(x, result.lambdas, result.params, result.dof, "alpha")
    o = sorted_by(xs)
    show = top_indices(r, result.singular_values, top_k)
    names = [f"PC{j + 1} (d = {result.singular_values[j]:.3g})" for j in range(r)]
    highlight_lines(ax, xs[o], result.factors[o], names,
                    [f"direction:{j + 1}" for j in range(r)], show)
    mark_lambda(ax, result.lambda_chosen, result.lambdas, xs, log_x,
                gid=GID_LAMBDA_CHOSEN, name="estimator's λ", style="--")
    set_x_axis(ax, label, log_x)


def plot_shrinkage(result: Shrinkage, *, kind: str = "lambda", lambdas=None, x: str = "lambda",
                   top_k: int = 10, ax=None) -> Axes:
    """Shrinkage factors of ridge along the principal directions.

    Parameters
    ----------
    result : Shrinkage
        From :func:`ridgeline.diagnostics.shrinkage_factors`.
    kind : {"lambda", "direction"}, default="lambda"
        ``"lambda"``: one curve per principal direction against λ (gid
        ``"direction:<j>"``, j from 1 = largest singular value); every direction up to 10,
        else the ``top_k`` of largest variance, in distinct colours and named in the legend
        (the others thin and grey). ``"direction"``: the
        factors against the direction index, one line per λ of ``lambdas`` (gid
        ``"lambda:<λ>"``).
    lambdas : sequence of float, optional
        ``kind="direction"``: the λ to draw (default: the estimator's λ, else three grid
        points — the ends and the middle).
    x : {"lambda", "param", "dof"}, default="lambda"
        The x axis of ``kind="lambda"``.
    top_k : int, default=10
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    if not isinstance(result, Shrinkage):
        raise TypeError("plot_shrinkage takes a Shrinkage (ridgeline.diagnostics."
                        f"shrinkage_factors), got {type(result).__name__}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    ax = get_ax(ax)
    r = result.n_components
    if kind == "lambda":
        _along_lambda(ax, result, x, top_k)
    else:
        chosen = _lambdas_to_draw(result, lambdas)
        idx = np.arange(1, r + 1)
        for lam in chosen:
            ax.plot(idx, result.factors_at(lam), "o-", markersize=4, gid=f"lambda:{lam:.6g}",
                    label=f"λ = {lam:.3g} (dof {result.factors_at(lam).sum():.3g})")
        ax.set_xlabel("principal direction (by decreasing singular value)")
        if r <= 30:
            ax.set_xticks(idx)
    ax.set_ylim(-0.02, 1.05)
    ax.set_ylabel("shrinkage factor d²/(d² + n_w λ)")
    std = ", standardized" if result.standardize else ""
    ax.set_title(f"ridge shrinkage along the principal directions (n_w = {result.n_w:.4g}{std})")
    legend(ax)
    return ax


def _lambdas_to_draw(result: Shrinkage, lambdas) -> list:
    if lambdas is not None:
        return [float(v) for v in np.atleast_1d(lambdas)]
    if result.lambda_chosen is not None:
        return [float(result.lambda_chosen)]
    g = np.sort(result.lambdas)
    picks = np.unique([g[0], g[g.size // 2], g[-1]])
    return [float(v) for v in picks]
