"""Scorers for GLM linear predictors (held-out folds or approximate leave-one-out).

All "greater is better". ``neg_log_loss``, ``accuracy`` and (Poisson) ``neg_mean_poisson_deviance``
are computed directly from η and give per-sample values (so a standard error over samples); any
other scikit-learn scorer name or callable is handed a stand-in estimator whose input is η.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from sklearn import metrics

from ridgeline.selection._identity import IdentityGLM


@dataclass(frozen=True)
class GLMScorer:
    """A resolved scoring rule for linear predictors.

    Attributes
    ----------
    name : str
    per_sample : callable or None
        ``(y, eta) -> (n,)`` values whose weighted mean is the score (direct scorers).
    sk_scorer : callable or None
        A scikit-learn scorer ``scorer(estimator, X, y, sample_weight=...)``.
    weighted : bool
        Whether the scorer is handed the sample weights (False where metadata routing says
        the scorer did not request them): the scores are then unweighted.
    """

    name: str
    per_sample: Callable | None = None
    sk_scorer: Callable | None = None
    weighted: bool = True

    def score(self, y, labels, eta: np.ndarray, w: np.ndarray, loss, classes) -> float:
        """Score of linear predictors ``eta`` (n, m) against encoded ``y`` / original ``labels``."""
        if not self.weighted:
            w = np.ones(len(labels) if labels is not None else len(y))
        if self.per_sample is not None:
            return float(w @ self.per_sample(loss, y, eta) / w.sum())
        est = IdentityGLM(loss=loss, classes=classes)
        if not self.weighted:
            return float(self.sk_scorer(est, eta, labels))
        try:
            return float(self.sk_scorer(est, eta, labels, sample_weight=w))
        except TypeError:
            return float(self.sk_scorer(est, eta, labels))

    def unweighted(self) -> GLMScorer:
        """The same scorer, handed no sample weights."""
        return replace(self, weighted=False)


def with_labels(scorer, classes):
    """A scikit-learn scorer whose metric takes ``labels`` (and, for two classes,
    ``pos_label``), rebuilt to be told all of ``classes``: a held-out fold that lacks a class
    must still be scored against every class the model predicts (as scikit-learn's
    ``LogisticRegressionCV`` does). Other scorers are returned as they are."""
    func = getattr(scorer, "_score_func", None)
    if func is None or classes is None:
        return scorer
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return scorer
    if "labels" not in params:
        return scorer
    kwargs = {"labels": np.asarray(classes)}
    if len(classes) <= 2 and "pos_label" in params:
        kwargs["pos_label"] = classes[-1]
    kwargs.update(getattr(scorer, "_kwargs", {}))
    return metrics.make_scorer(func, greater_is_better=getattr(scorer, "_sign", 1) > 0,
                               response_method=getattr(scorer, "_response_method", "predict"),
                               **kwargs)


def _neg_loss(loss, y, eta):
    return -loss.value(y, eta if loss.multi else eta[:, 0])


def _accuracy(loss, y, eta):
    if loss.multi:
        return (np.argmax(eta, axis=1) == np.argmax(y, axis=1)).astype(float)
    return ((eta[:, 0] > 0) == (y > 0.5)).astype(float)


def _neg_half_deviance(loss, y, eta):
    return -loss.value(y, eta[:, 0])


def resolve_glm_scorer(scoring, loss, classes=None) -> GLMScorer:
    """A scoring rule for linear predictors: a name, a scikit-learn callable, or ``None`` for
    the model's own proper rule — the mean log loss (classifiers) or the mean deviance of a
    regression loss (``neg_mean_poisson_deviance``, ``neg_mean_gamma_deviance``...), negated.

    ``classes``: the classifier's classes, which a metric that takes ``labels`` is told
    (:func:`with_labels`)."""
    classifier = loss.name in ("binomial", "multinomial")
    deviance = f"neg_mean_{loss.name}_deviance"  # a regression loss's own rule
    if scoring is None:
        scoring = "neg_log_loss" if classifier else deviance
    if isinstance(scoring, str):
        key = scoring.lower()
        if classifier and key in ("neg_log_loss", "log_loss"):
            return GLMScorer("neg_log_loss", per_sample=_neg_loss)
        if classifier and key == "accuracy":
            return GLMScorer("accuracy", per_sample=_accuracy)
        if not classifier and key == deviance:
            return GLMScorer(key, per_sample=_neg_half_deviance)
        try:
            fn = metrics.get_scorer(scoring)
        except ValueError as exc:
            raise ValueError(f"unknown scoring {scoring!r}: use a scikit-learn scorer name "
                             "(e.g. 'neg_log_loss', 'accuracy', 'roc_auc', 'neg_brier_score') "
                             "or a callable scorer(estimator, X, y)") from exc
        return GLMScorer(scoring, sk_scorer=with_labels(fn, classes))
    if callable(scoring):
        return GLMScorer(getattr(scoring, "__name__", repr(scoring)),
                         sk_scorer=with_labels(scoring, classes))
    raise TypeError(f"scoring must be None, a string or a callable, got {type(scoring).__name__}")
