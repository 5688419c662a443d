"""What every section of the report shares (private): the fitted model, its data in the scale
the model was fit on, the folds, and small HTML/figure helpers.

The model space
---------------
A section that refits the model (path, train vs validation, bias–variance, stability, held-out
predictions) must fit the very problem whose λ the report states. Ridge standardizes inside
:class:`~ridgeline.RidgeCV` (``standardize=True``: its diagnostics standardize too), so its
sections use X as it is. The command line fits the other models on ``X / σ`` (σ: each column's
standard deviation over all rows) and moves the coefficients back to the original units
(``FittedModel.standardize`` is then True): their sections use :attr:`Context.X_fit` ``= X / σ``
and report coefficients back on the original scale (divided by σ), as the model does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ridgeline.io import Table
from ridgeline.report import html as h
from ridgeline.report.fitting import FittedModel

#: ``progress(description, done, total)``: called before each step of the report.
Progress = Callable[[str, int, int], None]

SECTION_TITLES: dict[str, str] = {
    "data": "The data",
    "cv": "Choosing λ: the cross-validation curve",
    "evidence": "Choosing λ by evidence and information criteria",
    "classification": "How well it classifies: ROC, confusion matrix, calibration",
    "path": "The regularization path",
    "train_validation": "Training vs validation error: over- and underfitting",
    "bias_variance": "Bias and variance",
    "shrinkage": "Shrinkage along the principal directions",
    "coefficients": "Coefficients and their stability",
    "l1_vs_l2": "L1 vs L2",
}

METHOD_WORDS = {
    "kfold": "{k}-fold cross-validation",
    "loo": "exact leave-one-out cross-validation",
    "gcv": "generalized cross-validation (GCV)",
    "alo": "approximate leave-one-out (ALO)",
    "evidence": "the evidence (marginal likelihood) on all the data",
    "aic": "the Akaike information criterion (AIC) on all the data",
    "bic": "the Bayesian information criterion (BIC) on all the data",
}


class Skip(Exception):
    """The section does not apply to this model; the message says why."""


@dataclass
class Context:
    """The fitted model, its data and the report's settings, shared by the sections.

    ``X`` is the design matrix as read; ``X_fit`` the one the model's λ refers to (``X / scale``
    where :attr:`scale` is set, see the module docstring). ``facts`` collects numbers a section
    computed for the summary (e.g. the held-out ROC AUC).
    """

    fitted: FittedModel
    table: Table
    X: np.ndarray
    X_fit: np.ndarray
    scale: np.ndarray | None
    y: np.ndarray  # one target (the first) for the single-target diagnostics
    names: list[str]
    grid: np.ndarray
    splits: list[tuple[np.ndarray, np.ndarray]]
    lam: float
    seed: int
    bv_rounds: int
    bv_lambdas: int
    compare: bool
    progress: Progress
    dpi: int = 110
    done: int = 0
    total: int = 0
    notes: dict[str, list[str]] = field(default_factory=dict)
    facts: dict[str, object] = field(default_factory=dict)

    def step(self, description: str) -> None:
        self.progress(description, self.done, self.total)
        self.done += 1

    def note(self, ident: str, line: str) -> None:
        """A note shown at the end of section ``ident``."""
        self.notes.setdefault(ident, []).append(line)


def make_context(fitted: FittedModel, table: Table, bv_rounds: int, bv_lambdas: int,
                 compare: bool, seed: int, progress: Progress | None) -> Context:
    """The :class:`Context` of a report: folds (the model's, else drawn with ``seed``) and the
    model space."""
    y = np.asarray(table.y)
    if y.ndim == 2:
        y = y[:, 0]
    splits = fitted.splits
    if splits is None:
        from sklearn.model_selection import KFold, StratifiedKFold

        k = min(5, table.n_rows)
        if fitted.is_classifier:
            splits = list(StratifiedKFold(k, shuffle=True, random_state=seed).split(table.X, y))
        else:
            splits = list(KFold(k, shuffle=True, random_state=seed).split(table.X))
    X = np.asarray(table.X)
    scale = model_scale(fitted, X)
    X_fit = X if scale is None else np.divide(X, scale.astype(X.dtype, copy=False))
    lam = float(np.atleast_1d(fitted.lambda_)[0])
    return Context(fitted, table, X, X_fit, scale, y, list(table.feature_names),
                   np.asarray(fitted.result.lambdas, dtype=np.float64), splits, lam, seed,
                   bv_rounds, bv_lambdas, compare, progress or (lambda *_: None))


def model_scale(fitted: FittedModel, X: np.ndarray) -> np.ndarray | None:
    """σ of every column (1 for a constant one) when the model was fit on ``X / σ`` (every
    standardized model but ridge, which standardizes inside its estimator); else None."""
    if not fitted.standardize or fitted.kind == "ridge":
        return None
    from ridgeline.estimators._standardize import column_scale

    return column_scale(X, np.ones(X.shape[0]), center=True)


def to_original_scale(result, scale: np.ndarray | None, fields: tuple[str, ...]):
    """``result`` (a dataclass) with its coefficient ``fields`` divided by ``scale``: arrays
    (p, m), or (L or K, p, m) with a leading λ/fold axis; a ``scale`` field it has (the
    features' standard deviations) becomes that of the original features."""
    if scale is None:
        return result
    changes = {}
    for name in fields:
        value = np.asarray(getattr(result, name), dtype=np.float64)
        changes[name] = value / (scale[:, None] if value.ndim == 2 else scale[None, :, None])
    own = getattr(result, "scale", None)  # the features' sd, where the result records it
    if own is not None and "scale" in {f.name for f in dataclasses.fields(result)}:
        changes["scale"] = np.asarray(own, dtype=np.float64) * scale  # sd(X) = sd(X / σ)·σ
    return dataclasses.replace(result, **changes)


def score_words(scoring: str) -> tuple[str, bool]:
    """(what the score measures, whether it is a negated error)."""
    names = {"neg_mean_squared_error": "mean squared error", "mse": "mean squared error",
             "neg_log_loss": "log loss", "neg_mean_poisson_deviance": "mean Poisson deviance",
             "neg_root_mean_squared_error": "root mean squared error", "rmse": "RMSE",
             "log_evidence": "log evidence", "neg_aic": "AIC", "neg_bic": "BIC"}
    if scoring in names:
        return names[scoring], scoring.startswith("neg_") or scoring in ("mse", "rmse")
    if scoring.startswith("neg_"):
        return scoring[4:].replace("_", " "), True
    return scoring, False


def best(ctx: Context) -> tuple[str, float, float]:
    """(score name, value as shown (errors positive), its SE) at the chosen λ."""
    res = ctx.fitted.result
    i = int(np.atleast_1d(res.index_)[0])
    mean = np.asarray(res.mean_score, dtype=np.float64)
    se = np.asarray(res.se, dtype=np.float64)
    if mean.ndim == 2:
        mean, se = mean.mean(axis=1), np.sqrt(np.nanmean(se**2, axis=1))
    name, negated = score_words(res.scoring)
    value = -mean[i] if negated else mean[i]
    return name, float(value), float(se[i])


def method_words(res) -> str:
    """How λ was chosen, in words (e.g. "5-fold cross-validation")."""
    return METHOD_WORDS[res.method].format(k=res.n_splits)


def figure(ctx: Context, draw: Callable, *, alt: str, caption: str | None = None,
           width: float = 7.0, height: float = 4.2, gid: str = "") -> str:
    """A figure drawn by ``draw(fig)``, embedded as a PNG ``<figure>``."""
    fig = h.new_figure(width, height)
    draw(fig)
    return h.figure_html(h.figure_to_png(fig, dpi=ctx.dpi), alt=alt, caption=caption, gid=gid)


def explain(*lines: str) -> str:
    """The plain-language box at the top of a section."""
    return '<div class="explain">' + "".join(h.paragraph(x) for x in lines) + "</div>"
