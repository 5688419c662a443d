"""Shared plotting helpers (private): axes creation, λ axes, λ marks, legends."""

from __future__ import annotations

import matplotlib  # noqa: F401 (a clear ImportError here, not at the first plot)
import numpy as np

#: gids of the marked vertical lines (tests and reports find them by gid)
GID_LAMBDA_MIN = "lambda_min"
GID_LAMBDA_1SE = "lambda_1se"
GID_LAMBDA_CHOSEN = "lambda_chosen"
GID_LAMBDA_BEST = "lambda_best"

#: the legend names every feature up to this many features (else the top ``top_k``)
MAX_LEGEND_FEATURES = 10

X_KINDS = ("lambda", "param", "dof")


def get_ax(ax, figsize=(6.4, 4.2)):
    """``ax`` itself, or the axes of a new figure (pyplot imported only then)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def check_x(x: str) -> str:
    if x not in X_KINDS:
        raise ValueError(f"x must be one of {X_KINDS}, got {x!r}")
    return x


def x_values(x: str, lambdas, params=None, dof=None, param_name: str = "alpha"):
    """``(values (L,), axis label, log scale?)`` for an x axis kind."""
    lambdas = np.asarray(lambdas, dtype=np.float64)
    if x == "lambda":
        return lambdas, "λ (canonical: mean loss + λ·penalty)", True
    if x == "param":
        if params is None:
            raise ValueError("this result has no parameter grid: use x='lambda'")
        return np.asarray(params, dtype=np.float64), param_name or "parameter", True
    if dof is None or not np.all(np.isfinite(dof)):
        raise ValueError("effective degrees of freedom are not available for this result: use "
                         "x='lambda'")
    return np.asarray(dof, dtype=np.float64), "effective degrees of freedom", False


def lambda_to_x(lam: float, lambdas, xs, log_x: bool) -> float:
    """Position of a λ (on the grid or between points) on an axis with values ``xs``."""
    lambdas = np.asarray(lambdas, dtype=np.float64)
    xs = np.asarray(xs, dtype=np.float64)
    hit = np.flatnonzero(np.isclose(lambdas, lam, rtol=1e-12, atol=0.0))
    if hit.size:
        return float(xs[hit[0]])
    pos = lambdas > 0
    order = np.argsort(lambdas[pos])
    ll = np.log(lambdas[pos][order])
    target = xs[pos][order]
    t = np.log(target) if log_x else target
    v = float(np.interp(np.log(lam), ll, t)) if lam > 0 else float(t[0])
    return float(np.exp(v)) if log_x else v


def set_x_axis(ax, label: str, log_x: bool) -> None:
    ax.set_xlabel(label)
    if log_x:
        ax.set_xscale("log")


def mark_lambda(ax, lam, lambdas, xs, log_x: bool, *, gid: str, name: str, style: str = "--",
                color: str = "0.25") -> None:
    """A labelled vertical line at λ (nothing when λ is None)."""
    if lam is None or not np.isfinite(lam):
        return
    pos = lambda_to_x(float(lam), lambdas, xs, log_x)
    ax.axvline(pos, linestyle=style, color=color, linewidth=1.2, gid=gid,
               label=f"{name} = {lam:.3g}")


def mark_cv(ax, lam_min, lam_1se, lambdas, xs, log_x: bool) -> None:
    """λ_min (dashed) and λ_1se (dotted) vertical lines with labels and gids."""
    mark_lambda(ax, lam_min, lambdas, xs, log_x, gid=GID_LAMBDA_MIN, name="λ_min", style="--")
    if lam_1se is not None and lam_min is not None and np.isclose(lam_1se, lam_min):
        mark_lambda(ax, lam_1se, lambdas, xs, log_x, gid=GID_LAMBDA_1SE,
                    name="λ_1se (= λ_min)", style=":")
    else:
        mark_lambda(ax, lam_1se, lambdas, xs, log_x, gid=GID_LAMBDA_1SE, name="λ_1se",
                    style=":")


def labelled(n: int, importance, top_k: int) -> np.ndarray:
    """Boolean mask of the items named in the legend: all when ``n ≤ 10``, else the top k."""
    if n <= MAX_LEGEND_FEATURES:
        return np.ones(n, dtype=bool)
    mask = np.zeros(n, dtype=bool)
    order = np.argsort(-np.asarray(importance, dtype=np.float64), kind="stable")
    mask[order[:max(int(top_k), 0)]] = True
    return mask


def sorted_by(xs):
    """Index order that sorts an x axis increasingly."""
    return np.argsort(np.asarray(xs, dtype=np.float64), kind="stable")


def legend(ax, **kw) -> None:
    handles, _labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize="small", **kw)
