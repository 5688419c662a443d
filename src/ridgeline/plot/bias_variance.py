"""Bias–variance curve: bias², variance, noise, their sum and the measured test error per λ."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ridgeline.diagnostics.bias_variance import BiasVariance
from ridgeline.plot._common import (
    GID_LAMBDA_BEST,
    check_x,
    get_ax,
    legend,
    mark_lambda,
    set_x_axis,
    sorted_by,
    x_values,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

_COMPONENTS = (("bias2", "tab:red"), ("variance", "tab:blue"), ("noise", "0.5"),
               ("total", "black"))


def _names(result: BiasVariance) -> dict:
    b = "bias²" if result.loss == "squared" else "bias"
    v = "variance" if result.loss == "squared" else "net variance"
    return {"bias2": b, "variance": v, "noise": "noise",
            "total": f"{b} + {v} + noise"}


def _measured(ax, result, xs: np.ndarray, o: np.ndarray) -> None:
    """The measured test error with its standard-error bars (gids for the tests)."""
    eb = ax.errorbar(xs[o], result.expected_error[o], yerr=result.expected_error_se[o],
                     fmt="o", markersize=3, color="tab:purple", capsize=2,
                     label=f"measured test error ± SE ({result.n_rounds} rounds)")
    eb.lines[0].set_gid("expected_error")
    for cap in eb.lines[1]:
        cap.set_gid("expected_error_cap")
    for bars in eb.lines[2]:
        bars.set_gid("expected_error_se")


def _reference(ax, reference, x: str) -> None:
    """A reference decomposition, dotted, with one legend entry for all its curves."""
    rx, _, _ = x_values(x, reference.lambdas, reference.params, None, reference.param_name)
    ro = sorted_by(rx)
    for key, color in _COMPONENTS:
        ref_label = f"dotted: {reference.method}" if key == "total" else f"_{key} (reference)"
        ax.plot(rx[ro], getattr(reference, key)[ro], ":", color=color, linewidth=1.6,
                gid=f"reference:{key}", label=ref_label)


def plot_bias_variance(result: BiasVariance, *, reference: BiasVariance | None = None,
                       x: str = "lambda", ax=None) -> Axes:
    """Bias², variance and noise per λ, their sum, and the measured expected test error.

    Parameters
    ----------
    result : BiasVariance
        From :func:`ridgeline.diagnostics.bias_variance` (or the closed form
        :func:`ridgeline.diagnostics.ridge_bias_variance`).
    reference : BiasVariance, optional
        Drawn dashed over the same λ axis (e.g. the closed form beside a resampling
        estimate); gids prefixed ``"reference:"``.
    x : {"lambda", "param"}, default="lambda"
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Lines with gids ``"bias2"``, ``"variance"``, ``"noise"``, ``"total"`` and (resampling)
        the measured error with SE bars (gid ``"expected_error"``), and a vertical line
        ``"lambda_best"`` at the smallest measured (else total) error. With a single setting
        (an estimator without λ) the components are bars instead.
    """
    if not isinstance(result, BiasVariance):
        raise TypeError("plot_bias_variance takes a BiasVariance (ridgeline.diagnostics."
                        f"bias_variance), got {type(result).__name__}")
    check_x(x)
    if x == "dof":
        raise ValueError("bias–variance results have no dof axis: use x='lambda' or 'param'")
    ax = get_ax(ax)
    names = _names(result)
    if not np.all(np.isfinite(result.lambdas)):
        return _bars(ax, result, names)
    xs, label, log_x = x_values(x, result.lambdas, result.params, None, result.param_name)
    o = sorted_by(xs)
    for key, color in _COMPONENTS:
        style = "--" if key == "noise" else "-"
        ax.plot(xs[o], getattr(result, key)[o], style, color=color, linewidth=1.6, gid=key,
                label=names[key])
    measured = result.n_rounds > 0
    if measured:
        _measured(ax, result, xs, o)
    if reference is not None:
        _reference(ax, reference, x)
    best = result.expected_error if measured else result.total
    i = int(np.nanargmin(best))
    mark_lambda(ax, float(result.lambdas[i]), result.lambdas, xs, log_x, gid=GID_LAMBDA_BEST,
                name="best λ", style="--")
    set_x_axis(ax, label, log_x)
    ax.set_ylabel("expected test error" if result.loss == "squared" else "expected 0-1 loss")
    ax.set_title(f"{result.estimator}: bias–variance ({result.method})")
    legend(ax)
    return ax


def _bars(ax, result: BiasVariance, names: dict):
    keys = [k for k, _ in _COMPONENTS]
    vals = [float(getattr(result, k)[0]) for k in keys]
    colors = [c for _, c in _COMPONENTS]
    bars = ax.bar([names[k] for k in keys], vals, color=colors, gid="components")
    for b, k in zip(bars, keys, strict=True):
        b.set_gid(k)
    if result.n_rounds > 0:
        ax.axhline(float(result.expected_error[0]), color="tab:purple", linestyle="--",
                   gid="expected_error", label="measured test error")
    ax.set_ylabel("expected test error" if result.loss == "squared" else "expected 0-1 loss")
    ax.set_title(f"{result.estimator}: bias–variance ({result.method})")
    legend(ax)
    return ax
