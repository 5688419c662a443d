"""Scorers for held-out predictions: from sufficient statistics when possible, else predictions.

Three kinds, all "greater is better" (errors are negated, as in scikit-learn):

- ``stats``: computable from the held-out SSE and SST alone (MSE, RMSE, R²); K-fold scores then
  need no held-out predictions at all.
- ``pred``: a metric of ``(y_true, y_pred, sample_weight)`` giving one value per target (MAE,
  median absolute error, explained variance, ...).
- ``estimator``: any scikit-learn scorer ``scorer(estimator, X, y)``; it is handed a frozen
  linear model holding the coefficients of one fold and one λ (no refit).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn import get_config, metrics
from sklearn.utils.metadata_routing import get_routing_for_object

_STATS = {
    "neg_mean_squared_error": "mse",
    "mse": "mse",
    "neg_root_mean_squared_error": "rmse",
    "rmse": "rmse",
    "r2": "r2",
}

_PRED: dict[str, Callable] = {
    "neg_mean_absolute_error": metrics.mean_absolute_error,
    "mae": metrics.mean_absolute_error,
    "neg_median_absolute_error": metrics.median_absolute_error,
    "explained_variance": metrics.explained_variance_score,
    "neg_mean_absolute_percentage_error": metrics.mean_absolute_percentage_error,
}
_PRED_SIGN = {"explained_variance": 1.0}


@dataclass(frozen=True)
class Scorer:
    """A resolved scoring rule (greater is better).

    Attributes
    ----------
    name : str
        Canonical name (e.g. ``"neg_mean_squared_error"``) or the callable's repr.
    kind : {"stats", "pred", "estimator"}
    fn : callable or None
        The metric (``pred``) or scikit-learn scorer (``estimator``).
    sign : float
        +1 or -1 applied to ``pred`` metrics so that greater is better.
    """

    name: str
    kind: str
    fn: Callable | None = None
    sign: float = 1.0

    # ---- stats scorers -------------------------------------------------------------------
    def from_sse(self, sse: np.ndarray, sst: np.ndarray, sw: float,
                 n_rows: int | None = None) -> np.ndarray:
        """Per-target scores from SSE (L, k), SST (k,) and the held-out weight sum.

        R² of fewer than two held-out rows (``n_rows``) is NaN, as scikit-learn's ``r2_score``
        (a λ of NaN mean score is then never chosen over one with a score).
        """
        stat = _STATS[self.name]
        if stat == "mse":
            return -sse / sw
        if stat == "rmse":
            return -np.sqrt(sse / sw)
        if n_rows is not None and n_rows < 2:
            return np.full(np.shape(sse), np.nan)
        # R², with scikit-learn's convention for a constant held-out target
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = 1.0 - sse / sst[None, :]
        const = sst[None, :] <= 0
        return np.where(const, np.where(sse <= 1e-30, 1.0, 0.0), r2)

    # ---- prediction scorers -------------------------------------------------------------
    def from_predictions(self, y: np.ndarray, pred: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Per-target scores for one λ: ``y``, ``pred`` of shape (m, k), weights (m,)."""
        if self.kind == "stats":
            sse = (w @ (y - pred) ** 2)[None, :]
            sw = float(w.sum())
            sst = w @ (y - (w @ y) / sw) ** 2
            return self.from_sse(sse, sst, sw, n_rows=y.shape[0])[0]
        vals = self.fn(y, pred, sample_weight=w, multioutput="raw_values")
        return self.sign * np.atleast_1d(np.asarray(vals, dtype=np.float64))


def resolve_scorer(scoring, default: str) -> Scorer:
    """Turn ``None``, a metric name, or a scikit-learn scorer callable into a :class:`Scorer`."""
    if scoring is None:
        scoring = default
    if isinstance(scoring, str):
        key = scoring.lower()
        if key in _STATS:
            return Scorer(name=_canonical(key), kind="stats")
        if key in _PRED:
            return Scorer(name=_canonical(key), kind="pred", fn=_PRED[key],
                          sign=_PRED_SIGN.get(_canonical(key), -1.0))
        try:
            fn = metrics.get_scorer(scoring)
        except ValueError as exc:
            raise ValueError(
                f"unknown scoring {scoring!r}: use one of {sorted(set(_STATS) | set(_PRED))} "
                "or any scikit-learn scorer name or callable"
            ) from exc
        return Scorer(name=scoring, kind="estimator", fn=fn)
    if callable(scoring):
        return Scorer(name=getattr(scoring, "__name__", repr(scoring)), kind="estimator",
                      fn=scoring)
    raise TypeError(f"scoring must be None, a string or a callable, got {type(scoring).__name__}")


def scores_weighted(scoring, *, weights_given: bool, exact: bool) -> bool:
    """Whether a drop-in CV estimator weights its held-out scores by the sample weights and
    hands ``sample_weight=`` to a scorer callable, as scikit-learn 1.9 routes them.

    ``None`` and ridgeline's own metric names (statistics and prediction scorers): always
    (scikit-learn's default ``score`` and those metrics take the weights; unit weights change
    nothing). A scikit-learn scorer or callable: with metadata routing enabled, when its
    ``set_score_request(sample_weight=True)`` asks for them; otherwise when weights were given,
    under exact leave-one-out (``exact``) always, under K-fold when the scorer's metric has a
    ``sample_weight`` parameter (``GridSearchCV``'s rule). So ``make_scorer(f)`` with an ``f``
    of ``(y_true, y_pred)`` alone works wherever it does in scikit-learn.
    """
    if scoring is None:
        return True
    if isinstance(scoring, str):
        key = scoring.lower()
        if key in _STATS or key in _PRED:
            return True
        try:
            scoring = metrics.get_scorer(scoring)
        except ValueError:
            return False  # resolve_scorer reports the unknown name
    if get_config().get("enable_metadata_routing", False):
        return _score_request(scoring) is True
    if not weights_given:
        return False
    return exact or _accepts_sample_weight(scoring)


def _score_request(scorer):
    """A scorer's metadata request for ``sample_weight`` in ``score`` (None when unset or
    when the object declares none)."""
    try:
        requests = get_routing_for_object(scorer).score.requests
    except (AttributeError, TypeError, ValueError):
        return None
    return requests.get("sample_weight")


def _accepts_sample_weight(scorer) -> bool:
    """Whether a scorer's metric (or a plain scorer callable) has a ``sample_weight``
    parameter: scikit-learn's own test when it has one, else the callable's signature."""
    own = getattr(scorer, "_accept_sample_weight", None)
    if callable(own):
        return bool(own())
    try:
        return "sample_weight" in inspect.signature(scorer).parameters
    except (TypeError, ValueError):
        return False


def _canonical(key: str) -> str:
    return {
        "mse": "neg_mean_squared_error",
        "rmse": "neg_root_mean_squared_error",
        "mae": "neg_mean_absolute_error",
    }.get(key, key)
