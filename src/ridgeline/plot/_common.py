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


def top_indices(n: int, importance, top_k: int) -> np.ndarray:
    """Indices of the items highlighted and named in the legend, the most important first:
    all ``n`` when ``n ≤ 10``, else the ``top_k`` of largest ``importance``."""
    order = np.argsort(-np.asarray(importance, dtype=np.float64), kind="stable")
    return order if n <= MAX_LEGEND_FEATURES else order[:max(int(top_k), 0)]


def sorted_by(xs):
    """Index order that sorts an x axis increasingly."""
    return np.argsort(np.asarray(xs, dtype=np.float64), kind="stable")


#: colour of the lines that are drawn but not highlighted (thin, behind the others)
REST_COLOR = "0.78"


def distinct_colors(k: int) -> list:
    """``k`` distinct RGBA colours, none of them grey: tab10 without its grey, then tab20's
    light shades without theirs (18 in all); more than 18 are spread over the hue circle."""
    from matplotlib import colormaps

    tab10, tab20 = colormaps["tab10"], colormaps["tab20"]
    palette = [tab10(i) for i in range(10) if i != 7]
    palette += [tab20(i) for i in range(1, 20, 2) if i != 15]
    if k <= len(palette):
        return palette[:k]
    hsv = colormaps["hsv"]
    return [hsv(i / k) for i in range(k)]


def highlight_lines(ax, xs, ys, names: list, gids: list, show) -> list:
    """One line per column of ``ys`` (L, n), drawn in column order: the ``show`` ones in
    distinct colours (in the order of their indices in ``show``, a 1-d index array, the most
    important first), thick and labelled; the rest thin and grey (:data:`REST_COLOR`), behind,
    without a legend entry. Returns the highlighted lines in the order of ``show``."""
    colors = dict(zip((int(j) for j in show), distinct_colors(len(show)), strict=True))
    out = {}
    for j, name in enumerate(names):
        if j in colors:
            out[j] = ax.plot(xs, ys[:, j], color=colors[j], linewidth=1.7, zorder=3,
                             gid=gids[j], label=name)[0]
        else:
            ax.plot(xs, ys[:, j], color=REST_COLOR, linewidth=0.8, zorder=2, gid=gids[j],
                    label=f"_{name}")
    return [out[int(j)] for j in show]


def legend(ax, first=None, **kw) -> None:
    """The legend outside the data area: to the right of the axes, top-aligned (a figure with
    constrained layout, as :func:`get_ax` makes, shrinks the axes to make room). ``first``:
    handles to list first, in that order (the others follow as drawn)."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    if first:
        ids = [id(h) for h in first]
        rest = [(h, t) for h, t in zip(handles, labels, strict=True) if id(h) not in ids]
        handles = list(first) + [h for h, _ in rest]
        labels = [h.get_label() for h in first] + [t for _, t in rest]
    kw.setdefault("loc", "upper left")
    kw.setdefault("bbox_to_anchor", (1.02, 1.0))
    kw.setdefault("borderaxespad", 0.0)
    ax.legend(handles, labels, fontsize="small", **kw)
