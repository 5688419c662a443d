"""The report's classification section (private): what a practitioner looks at first.

Every number here is computed on held-out (cross-validated) predictions, never on the rows a
model was fit on: each row's class probabilities come from the model fit at the chosen C on
the other folds. With K-fold CV those are the very fold fits that scored C (the CV estimator's
``coefs_paths_``, nothing refit); with ALO the model is refit at the chosen C on the report's
stratified folds. From them, with scikit-learn's metrics: ROC curve and AUC (one-vs-rest,
macro-averaged, for more than two classes), the confusion matrix at the stated threshold,
the reliability diagram and the Brier score, and the held-out log loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline.report import html as h
from ridgeline.report._context import Context, explain, figure

#: a class rarer than this share makes accuracy misleading (the note says so)
RARE_SHARE = 0.10


@dataclass
class HeldOut:
    """Cross-validated class probabilities.

    Attributes
    ----------
    classes : ndarray (K,)
    codes : ndarray (n,) of int
        Each row's true class, as a position in ``classes``.
    proba : ndarray (n, K)
        Each row's probabilities from the model fit without its fold.
    fold : ndarray (n,) of int
        The fold each row was held out in.
    how : str
        Where the predictions come from, in words.
    positive : int
        The class of the binary ROC and calibration curves: the rarer of two (the event of
        interest, e.g. a default), the second when they are equally common.
    """

    classes: np.ndarray
    codes: np.ndarray
    proba: np.ndarray
    fold: np.ndarray
    how: str
    positive: int = 1

    @property
    def predicted(self) -> np.ndarray:
        """Predicted class positions: the most probable class (threshold 0.5 for two)."""
        return np.argmax(self.proba, axis=1)


def class_balance_html(y: np.ndarray) -> str:
    """The class counts and shares, with a warning when a class is rarer than 10 %."""
    classes, counts = np.unique(np.asarray(y), return_counts=True)
    share = counts / counts.sum()
    body = h.table_html(["class", "rows", "share"],
                        [[str(c), int(n), float(s)] for c, n, s in
                         zip(classes, counts, share, strict=True)],
                        caption="Target classes", ident="class-balance",
                        row_keys=[str(c) for c in classes])
    note = imbalance_note(classes, counts)
    return body + (h.paragraph(note, "note") if note else "")


def imbalance_note(classes: np.ndarray, counts: np.ndarray) -> str | None:
    """Why accuracy misleads when the smallest class is under :data:`RARE_SHARE`, else None."""
    share = counts / counts.sum()
    rare, common = int(np.argmin(share)), int(np.argmax(share))
    if share[rare] >= RARE_SHARE:
        return None
    return (f"Class imbalance: '{classes[rare]}' is only {share[rare]:.1%} of the rows "
            f"({int(counts[rare])} of {int(counts.sum())}). Accuracy is misleading here: "
            f"always predicting '{classes[common]}' would be right {share[common]:.1%} of the "
            "time. This report therefore chooses λ by the log loss and judges the model by "
            "the held-out ROC AUC, the Brier score and calibration, and by each class's recall "
            "in the confusion matrix (their mean is the balanced accuracy).")


def held_out(ctx: Context) -> HeldOut:
    """Cross-validated probabilities at the chosen C (see the module docstring)."""
    f = ctx.fitted
    classes = np.asarray(f.estimator.classes_)
    codes = np.searchsorted(classes, ctx.y)
    reused = _from_cv_paths(ctx, classes.size)
    if reused is not None:
        proba, fold = reused
        how = (f"the {len(f.splits)} folds that chose λ: each row predicted by the model fit "
               "at the chosen C on the other folds (the CV's own fits)")
    else:
        proba, fold = _refit(ctx, classes)
        how = (f"{len(ctx.splits)} stratified folds drawn for this report (λ was chosen by "
               f"{f.result.method.upper()}, without folds): each row predicted by the model "
               "refit at the chosen C on the other folds")
    counts = np.bincount(codes, minlength=classes.size)
    positive = int(np.argmin(counts)) if classes.size == 2 and counts[0] != counts[1] else 1
    return HeldOut(classes, codes, proba, fold, how, positive)


def _from_cv_paths(ctx: Context, K: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Held-out probabilities from the CV estimator's per-fold solutions, or None."""
    f = ctx.fitted
    est = f.estimator
    paths = getattr(est, "coefs_paths_", None)
    Cs = np.asarray(getattr(est, "Cs_", []), dtype=np.float64)
    n, p = ctx.X.shape
    if f.splits is None or not isinstance(paths, np.ndarray) or paths.ndim != 5 or \
            paths.shape[0] != len(f.splits) or paths.shape[-1] not in (p, p + 1):
        return None
    at = np.flatnonzero(Cs == float(est.C_))
    if at.size != 1 or paths.shape[3] != (1 if K == 2 else K):
        return None
    proba, fold = np.empty((n, K)), np.empty(n, dtype=np.int64)
    for k, (_, test) in enumerate(f.splits):
        W = paths[k, 0, at[0]]  # (m, p [+ 1])
        eta = ctx.X[test] @ W[:, :p].T + (W[:, p] if W.shape[1] > p else 0.0)
        proba[test] = _probabilities(eta)
        fold[test] = k
    return proba, fold


def _refit(ctx: Context, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Refit at the chosen C (the same C on every fold, as the CV estimator) on ctx.splits."""
    from sklearn.base import clone

    from ridgeline.diagnostics._models import model_spec

    f = ctx.fitted
    base = model_spec(f.estimator).base
    n = ctx.X.shape[0]
    proba, fold = np.zeros((n, classes.size)), np.empty(n, dtype=np.int64)
    for k, (train, test) in enumerate(ctx.splits):
        est = clone(base).set_params(C=float(f.param)).fit(ctx.X_fit[train], ctx.y[train])
        cols = np.searchsorted(classes, est.classes_)
        proba[np.ix_(test, cols)] = est.predict_proba(ctx.X_fit[test])
        fold[test] = k
    return proba, fold


def _probabilities(eta: np.ndarray) -> np.ndarray:
    """Class probabilities from linear predictors (n, 1) (binary) or (n, K) (softmax)."""
    if eta.shape[1] == 1:
        p1 = 1.0 / (1.0 + np.exp(-eta[:, 0]))
        return np.column_stack([1.0 - p1, p1])
    z = eta - eta.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def metrics(ho: HeldOut) -> dict[str, float]:
    """Held-out ROC AUC, Brier score, log loss, accuracy, balanced accuracy, majority rate."""
    from sklearn.metrics import (
        accuracy_score,
        balanced_accuracy_score,
        brier_score_loss,
        log_loss,
        roc_auc_score,
    )

    K = ho.classes.size
    labels = np.arange(K)
    P = np.clip(ho.proba, 0.0, 1.0)
    if K == 2:
        auc = roc_auc_score(ho.codes == ho.positive, P[:, ho.positive])
        brier = brier_score_loss(ho.codes == ho.positive, P[:, ho.positive])
    else:
        auc = roc_auc_score(ho.codes, P, multi_class="ovr", average="macro", labels=labels)
        brier = float(np.mean(np.sum((P - np.eye(K)[ho.codes]) ** 2, axis=1)))
    counts = np.bincount(ho.codes, minlength=K)
    return {"roc_auc": float(auc), "brier": float(brier),
            "log_loss": float(log_loss(ho.codes, P, labels=labels)),
            "accuracy": float(accuracy_score(ho.codes, ho.predicted)),
            "balanced_accuracy": float(balanced_accuracy_score(ho.codes, ho.predicted)),
            "majority": float(counts.max() / counts.sum())}


def threshold_words(ho: HeldOut) -> str:
    """The decision rule the confusion matrix uses, in words (argmax, as ``predict``: a tie
    goes to the first class)."""
    if ho.classes.size == 2:
        c = ho.classes[ho.positive]
        return (f"threshold 0.5: a row is predicted '{c}' when its held-out P({c}) "
                f"{'>' if ho.positive == 1 else '≥'} 0.5, as predict() does")
    return "the most probable class (argmax of the probabilities), as predict() does"


def classification_section(ctx: Context) -> str:
    """ROC + AUC, the confusion matrix at the stated threshold, calibration + Brier score."""
    from ridgeline.plot import plot_calibration, plot_roc

    ho = held_out(ctx)
    m = metrics(ho)
    K = ho.classes.size
    labels = [str(c) for c in ho.classes]
    auc_words = "ROC AUC" if K == 2 else "ROC AUC (one-vs-rest, macro average)"
    ctx.facts.update(m, auc_words=auc_words)
    body = explain(
        f"Every number in this section is computed on held-out predictions, from {ho.how}. "
        "Predictions on the training rows would flatter the model.",
        "ROC curve: the true positive rate against the false positive rate as the threshold "
        "moves; its area (AUC) is the chance that a random positive row gets a higher "
        "probability than a random negative one (0.5: no better than chance). The "
        "reliability diagram compares predicted probabilities with observed frequencies "
        "(on the diagonal: well calibrated); the Brier score is the mean squared error of "
        "the probabilities (0 is perfect).",
    )
    counts = np.bincount(ho.codes, minlength=K)
    note = imbalance_note(ho.classes, counts)
    if note:
        body += h.paragraph(note, "note")
    rows = [[auc_words, m["roc_auc"]],
            ["Brier score" + (" (multiclass: Σ over classes, range 0–2)" if K > 2 else ""),
             m["brier"]],
            ["log loss", m["log_loss"]],
            ["accuracy", m["accuracy"]],
            ["balanced accuracy (mean recall over classes)", m["balanced_accuracy"]],
            ["accuracy of always predicting the largest class", m["majority"]]]
    body += h.table_html(["held-out metric", "value"], rows, caption="Held-out performance",
                         ident="classification-metrics",
                         row_keys=["roc_auc", "brier", "log_loss", "accuracy",
                                   "balanced_accuracy", "majority"])

    def draw(fig):
        ax_roc, ax_cal = fig.subplots(1, 2)
        pos = ho.classes[ho.positive]
        plot_roc(ho.classes[ho.codes], ho.proba, classes=ho.classes, pos_label=pos, ax=ax_roc)
        plot_calibration(ho.classes[ho.codes], ho.proba, classes=ho.classes, pos_label=pos,
                         ax=ax_cal)

    body += figure(ctx, draw, alt="Held-out ROC curve and reliability diagram",
                   caption="Left: ROC curve" + ("s (one vs rest)" if K > 2 else "")
                           + f", {auc_words} {m['roc_auc']:.3f}. Right: reliability diagram "
                             "(bins of equal counts), Brier score "
                           + f"{m['brier']:.4g}.", width=9.6, height=4.6,
                   gid="fig-classification")
    body += confusion_html(ho, labels)
    note = low_recall_note(ho)
    if note:
        body += h.paragraph(note, "note")
    return body


def low_recall_note(ho: HeldOut) -> str | None:
    """Two classes, the positive one mostly missed at 0.5: what its share as the threshold
    would give (recall and precision); else None."""
    if ho.classes.size != 2:
        return None
    pos = ho.positive
    truth = ho.codes == pos
    n_pos = int(truth.sum())
    found = int(np.sum(truth & (ho.predicted == pos)))
    if n_pos == 0 or found >= 0.5 * n_pos:
        return None
    c, share = ho.classes[pos], n_pos / truth.size
    flagged = ho.proba[:, pos] >= share
    recall = float(np.sum(flagged & truth)) / n_pos
    precision = float(np.sum(flagged & truth)) / max(int(flagged.sum()), 1)
    return (f"At threshold 0.5 the model finds {found} of the {n_pos} '{c}' rows. A rare class "
            f"needs a lower threshold: at {share:.3g} (its share of the rows) it would find "
            f"{recall:.0%} of them (recall), and {precision:.0%} of the rows it flags would be "
            f"'{c}' (precision). The ROC curve shows every threshold: choose one by what each "
            "kind of error costs.")


def confusion_html(ho: HeldOut, labels: list[str]) -> str:
    """The K×K confusion matrix (rows: true class; columns: predicted) with each row's
    share and recall, as a table whose count cells carry ``data-count``."""
    from sklearn.metrics import confusion_matrix

    K = ho.classes.size
    cm = confusion_matrix(ho.codes, ho.predicted, labels=np.arange(K))
    head = "".join(f"<th>predicted {h.esc(c)}</th>" for c in labels)
    body = []
    for i, c in enumerate(labels):
        total = max(int(cm[i].sum()), 1)
        cells = "".join(f'<td class="num" data-count="{int(v)}">{int(v)} '
                        f"({v / total:.1%})</td>" for v in cm[i])
        recall = h.fmt(float(cm[i, i] / total))
        body.append(f'<tr data-key="{h.esc(c)}"><th>true {h.esc(c)}</th>{cells}'
                    f'<td class="num">{recall}</td></tr>')
    cap = (f"Confusion matrix of the held-out predictions at {threshold_words(ho)}; "
           "each row's percentages are shares of that true class.")
    return (f'<table id="confusion-matrix"><caption>{h.esc(cap)}</caption><thead><tr><th></th>'
            f"{head}<th>recall</th></tr></thead><tbody>{''.join(body)}</tbody></table>")
