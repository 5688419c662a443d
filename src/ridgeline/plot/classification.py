"""A classifier's held-out predictions: ROC curves and the reliability (calibration) diagram.

Both take the true labels and predicted probabilities (ideally cross-validated, e.g. the
report's held-out predictions), as scikit-learn's ``*.from_predictions`` displays do, and
compute with :func:`sklearn.metrics.roc_curve`, :func:`sklearn.metrics.roc_auc_score` and
:func:`sklearn.calibration.calibration_curve`. Two classes: one curve, for ``pos_label``
(default the second class, ``predict_proba``'s column 1); more: one one-vs-rest curve per
class (at most ``max_classes``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ridgeline.plot._common import get_ax

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_calibration", "plot_roc"]


def _classes_and_proba(y_true, proba, classes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(classes (K,), integer codes (n,), probabilities (n, K))``, checked."""
    y = np.asarray(y_true).ravel()
    classes = np.unique(y) if classes is None else np.asarray(classes).ravel()
    P = np.asarray(proba, dtype=np.float64)
    if P.ndim == 1:
        if classes.size != 2:
            raise ValueError(f"1-D probabilities are the second class's of two; there are "
                             f"{classes.size} classes: pass one column per class")
        P = np.column_stack([1.0 - P, P])
    if P.ndim != 2 or P.shape != (y.size, classes.size):
        raise ValueError(f"proba must have shape ({y.size}, {classes.size}) (one column per "
                         f"class), got {np.shape(proba)}")
    if not np.all(np.isfinite(P)):
        raise ValueError("proba has non-finite values")
    order = np.argsort(classes, kind="stable")
    pos = np.minimum(np.searchsorted(classes[order], y), classes.size - 1)
    found = classes[order][pos] == y
    if not np.all(found):
        missing = sorted({str(v) for v in y[~found].tolist()})
        raise ValueError(f"y_true has labels not among the classes: {', '.join(missing[:5])}")
    pos = order[pos]
    return classes, pos.astype(np.int64), P


def _curves(classes: np.ndarray, max_classes: int, pos_label) -> list[int]:
    """The class columns drawn: ``pos_label``'s (default the second) of two, else the first
    ``max_classes``."""
    if classes.size > 2:
        return list(range(min(classes.size, max_classes)))
    if pos_label is None:
        return [1]
    hit = np.flatnonzero(classes == pos_label)
    if hit.size != 1:
        raise ValueError(f"pos_label {pos_label!r} is not one of the classes "
                         f"{', '.join(str(c) for c in classes)}")
    return [int(hit[0])]


def plot_roc(y_true, proba, *, classes=None, pos_label=None, max_classes: int = 10,
             ax=None) -> Axes:
    """ROC curve(s) with their AUC, and the chance diagonal.

    Parameters
    ----------
    y_true : array (n,)
        True class labels.
    proba : array (n, K) or (n,)
        Predicted probabilities, one column per class in the order of ``classes``; or, for
        two classes, the second class's probability.
    classes : array (K,), optional
        Default: the sorted distinct labels of ``y_true``.
    pos_label : label, optional
        The class whose curve is drawn when there are two (default the second).
    max_classes : int, default=10
        One-vs-rest curves drawn for more than two classes.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Curves have gid ``"roc:<class>"``; the diagonal ``"chance"``.
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    classes, codes, P = _classes_and_proba(y_true, proba, classes)
    ax = get_ax(ax, figsize=(5.0, 4.6))
    ax.plot([0, 1], [0, 1], linestyle=":", color="0.5", linewidth=1.0, gid="chance",
            label="chance (AUC 0.5)")
    colors = [f"C{k % 10}" for k in range(classes.size)]
    for k in _curves(classes, max_classes, pos_label):
        truth = codes == k
        if truth.all() or not truth.any():
            continue  # one class only in y_true: no curve
        fpr, tpr, _ = roc_curve(truth, P[:, k])
        auc = roc_auc_score(truth, P[:, k])
        name = str(classes[k]) + ("" if classes.size == 2 else " vs rest")
        ax.plot(fpr, tpr, color=colors[k], linewidth=1.6, gid=f"roc:{classes[k]}",
                label=f"{name} (AUC {auc:.3f})")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("false positive rate (1 − specificity)")
    ax.set_ylabel("true positive rate (recall)")
    ax.set_title("ROC curve" + ("s, one vs rest" if classes.size > 2 else ""))
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_calibration(y_true, proba, *, classes=None, pos_label=None, n_bins: int = 10,
                     strategy: str = "quantile", max_classes: int = 10, ax=None) -> Axes:
    """Reliability diagram: observed frequency against mean predicted probability per bin.

    Parameters
    ----------
    y_true, proba, classes, pos_label, max_classes
        As :func:`plot_roc`.
    n_bins : int, default=10
    strategy : {"quantile", "uniform"}, default="quantile"
        Bins of equal counts (informative when probabilities crowd near 0 or 1, e.g. a rare
        class) or of equal width.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Curves have gid ``"calibration:<class>"``; the diagonal ``"perfect"``.
    """
    from sklearn.calibration import calibration_curve

    if strategy not in ("quantile", "uniform"):
        raise ValueError(f"strategy must be 'quantile' or 'uniform', got {strategy!r}")
    classes, codes, P = _classes_and_proba(y_true, proba, classes)
    ax = get_ax(ax, figsize=(5.0, 4.6))
    ax.plot([0, 1], [0, 1], linestyle=":", color="0.5", linewidth=1.0, gid="perfect",
            label="perfectly calibrated")
    for k in _curves(classes, max_classes, pos_label):
        truth = codes == k
        if truth.all() or not truth.any():
            continue
        observed, predicted = calibration_curve(truth, P[:, k], n_bins=n_bins,
                                                strategy=strategy)
        name = str(classes[k]) + ("" if classes.size == 2 else " vs rest")
        ax.plot(predicted, observed, marker="o", markersize=4, linewidth=1.4,
                color=f"C{k % 10}", gid=f"calibration:{classes[k]}", label=name)
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("mean predicted probability (per bin)")
    ax.set_ylabel("observed frequency")
    ax.set_title(f"Reliability diagram ({n_bins} {strategy} bins)")
    ax.legend(loc="upper left", fontsize="small")
    return ax
