"""L1 vs L2 side by side: a :func:`ridgeline.compare_penalties` table, or two or more paths."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ridgeline.compare import PenaltyComparison
from ridgeline.diagnostics.path import RegularizationPath
from ridgeline.plot._common import MAX_LEGEND_FEATURES
from ridgeline.plot.path import plot_path

_TITLES = {"l2": "L2 (ridge)", "l1": "L1 (lasso)", "elasticnet": "elastic net",
           "group": "group lasso"}


def _axes(axes, k: int, sharey: bool):
    """``k`` panels side by side; each keeps its own x range (coefficients of different
    penalties differ in size: a shared axis leaves the smaller ones looking empty)."""
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, k, figsize=(4.6 * k, 4.4), sharex=False, sharey=sharey,
                               squeeze=False, layout="constrained")
        return axes[0]
    if hasattr(axes, "get_axes") and not hasattr(axes, "plot"):  # a Figure
        fig = axes
        got = fig.subplots(1, k, sharex=False, sharey=sharey, squeeze=False)
        return got[0]
    arr = np.asarray(axes, dtype=object).ravel()
    if arr.size != k:
        raise ValueError(f"need {k} axes (one per panel), got {arr.size}")
    return arr


def plot_compare(source, *, feature_names=None, x: str = "lambda", top_k: int = 10,
                 scale=None, axes=None) -> np.ndarray:
    """L1 vs L2 (and elastic net, group lasso) side by side, one panel per penalty.

    Parameters
    ----------
    source : PenaltyComparison or sequence of RegularizationPath
        ``compare_penalties(...)``'s result: each panel shows that penalty's cross-validated
        coefficients as horizontal bars (features in the same order in every panel; gids
        ``"coef:<feature>"``; each panel its own x range, so that small coefficients stay
        visible — read each panel's axis), titled with the chosen parameter, its CV MSE ±
        SE and number of nonzeros, one per line. Or two or
        more paths (e.g. ``regularization_path(Lasso(), X, y)`` and
        ``regularization_path(Ridge(), X, y)``): each panel is :func:`plot_path`.
    feature_names : sequence of str (p,), optional
        For a ``PenaltyComparison`` (which holds none); default ``x0, x1, …``.
    x : {"lambda", "param", "dof"}, default="lambda"
        The x axis of path panels ("dof" puts L1 and L2 on a common scale).
    top_k : int, default=10
        Features shown for a comparison with more than 10 features: those whose bar is
        largest relative to the largest bar of its own panel, in any panel (so that every
        penalty's main features are shown, however much it shrinks); the highlighted
        features of path panels (ranked by standardized size there).
    scale : array-like (p,), optional
        Standard deviation of each feature (e.g. ``X.std(axis=0)``), for a comparison: the
        bars are then the standardized coefficients ``coef × sd(x)``, where sizes compare
        across features, and rank them (default: the comparison's own ``scale`` when it
        has one, else the coefficients as fitted).
    axes : sequence of Axes, or a Figure, optional
        One Axes per panel, or a Figure to lay them out in; default a new figure.

    Returns
    -------
    ndarray of matplotlib Axes, one per panel (in the order of the penalties / paths).
    """
    if isinstance(source, PenaltyComparison):
        return _comparison(source, feature_names, top_k, axes, scale)
    if isinstance(source, RegularizationPath):
        source = [source]
    if isinstance(source, Sequence) and source and \
            all(isinstance(p, RegularizationPath) for p in source):
        if len(source) < 2:
            raise ValueError("plot_compare needs at least two paths to set side by side")
        out = _axes(axes, len(source), sharey=False)
        for ax, path in zip(out, source, strict=True):
            plot_path(path, x=x, top_k=top_k, ax=ax)
            ax.set_title(f"{path.estimator} ({path.model})")
        return out
    raise TypeError("plot_compare takes compare_penalties's PenaltyComparison or a sequence of "
                    f"RegularizationPath, got {type(source).__name__}")


def _standardize_bars(comp: PenaltyComparison, coefs: np.ndarray, scale):
    """``(bars, x label)``: ``coefs × scale`` when a scale is given (or the comparison has
    one), else the coefficients as fitted."""
    if scale is None:
        scale = getattr(comp, "scale", None)
    if scale is None:
        return coefs, "coefficient"
    scale = np.asarray(scale, dtype=np.float64).ravel()
    if scale.size != coefs.shape[1] or not np.all(np.isfinite(scale)):
        raise ValueError(f"scale must hold one finite standard deviation per feature "
                         f"({coefs.shape[1]}), got {scale.size} values")
    return coefs * scale, "standardized coefficient: coef × sd(x)"


def _shown(coefs: np.ndarray, top_k: int) -> np.ndarray:
    """Indices of the features drawn: all up to 10, else the ``top_k`` largest relative to
    the largest of their panel, in any panel (in feature order)."""
    p = coefs.shape[1]
    if p <= MAX_LEGEND_FEATURES:
        return np.arange(p)
    size = np.abs(coefs)
    top = size.max(axis=1, keepdims=True)
    rel = np.divide(size, top, out=np.zeros_like(size), where=top > 0).max(axis=0)
    return np.sort(np.argsort(-rel, kind="stable")[:top_k])


def _comparison(comp: PenaltyComparison, feature_names, top_k: int, axes,
                scale=None) -> np.ndarray:
    rows = comp.rows
    if not rows:
        raise ValueError("the comparison has no rows")
    coefs = np.array([np.asarray(r.coef, dtype=np.float64).ravel() for r in rows])  # (k, p)
    p = coefs.shape[1]
    if feature_names is None:  # the comparison's own (a DataFrame's columns), else x0, x1, …
        feature_names = getattr(comp, "feature_names", None) or [f"x{j}" for j in range(p)]
    names = [str(v) for v in feature_names]
    if len(names) != p:
        raise ValueError(f"feature_names has {len(names)} names for {p} features")
    coefs, xlabel = _standardize_bars(comp, coefs, scale)
    show = _shown(coefs, top_k)
    out = _axes(axes, len(rows), sharey=True)
    pos = np.arange(show.size)[::-1]
    for ax, row, c in zip(out, rows, coefs, strict=True):
        bars = ax.barh(pos, c[show], color=np.where(c[show] == 0, "0.75", "tab:blue"),
                       gid=f"bars:{row.penalty}")
        for b, j in zip(bars, show, strict=True):
            b.set_gid(f"coef:{names[j]}")
        ax.axvline(0.0, color="0.4", linewidth=0.8, gid="zero")
        ax.set_yticks(pos, [names[j] for j in show])
        ax.set_xlabel(xlabel)
        ax.set_title(f"{_TITLES.get(row.penalty, row.penalty)}\n{row.own_param}\nCV MSE "
                     f"{row.cv_mse:.4g} ± {row.cv_se:.2g}\n{row.n_nonzero} nonzero",
                     fontsize="small")
    if p > show.size:
        out[0].set_ylabel(f"top {show.size} of {p} features")
    return out
