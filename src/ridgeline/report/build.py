"""The HTML report: what λ was chosen and why, and what L2 regularization did to the model.

:func:`build_report` takes a :class:`~ridgeline.report.fitting.FittedModel` and its data and
computes every section with :mod:`ridgeline.diagnostics` (the numbers) and
:mod:`ridgeline.plot` (the figures), each with a short plain-language explanation; sections
that do not apply to the model say why.  :func:`write_report` writes the page atomically.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ridgeline import __version__
from ridgeline.io import Table
from ridgeline.report import html as h
from ridgeline.report.fitting import FittedModel

__all__ = ["Progress", "Report", "SectionOutcome", "build_report", "write_report"]

#: ``progress(description, done, total)``: called before each step of the report.
Progress = Callable[[str, int, int], None]

SECTION_TITLES: dict[str, str] = {
    "data": "The data",
    "cv": "Choosing λ: the cross-validation curve",
    "path": "The regularization path",
    "train_validation": "Training vs validation error: over- and underfitting",
    "bias_variance": "Bias and variance",
    "shrinkage": "Shrinkage along the principal directions",
    "coefficients": "Coefficients and their stability",
    "l1_vs_l2": "L1 vs L2",
}

_MODEL_WORDS = {
    "ridge": "ridge regression (squared error + λ‖w‖²)",
    "logistic": "L2-regularized logistic regression (log loss + λ‖w‖²)",
    "poisson": "L2-regularized Poisson regression (Poisson deviance + λ‖w‖²)",
    "lasso": "the lasso (squared error + λ‖w‖₁)",
    "elasticnet": "the elastic net (squared error + λ(mix·‖w‖₁ + (1 − mix)‖w‖²))",
}
_METHOD_WORDS = {
    "kfold": "{k}-fold cross-validation",
    "loo": "exact leave-one-out cross-validation",
    "gcv": "generalized cross-validation (GCV)",
    "alo": "approximate leave-one-out (ALO)",
}
_MAX_FEATURE_ROWS = 40


@dataclass
class SectionOutcome:
    """What happened to one section of the report.

    Attributes
    ----------
    ident : str
        Anchor of the section (a key of :data:`SECTION_TITLES`).
    title : str
    status : {"shown", "skipped", "failed"}
        ``skipped``: it does not apply to this model (the page says why); ``failed``: an
        error occurred while computing it (the page says which).
    note : str
        Why it was skipped, or the error.
    seconds : float
    images : int
        Number of embedded figures.
    """

    ident: str
    title: str
    status: str
    note: str = ""
    seconds: float = 0.0
    images: int = 0


@dataclass
class Report:
    """A built report: the page and what each section did.

    Attributes
    ----------
    html : str
        The whole self-contained page.
    sections : list of SectionOutcome
    """

    html: str
    sections: list[SectionOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[SectionOutcome]:
        """Sections that raised an error."""
        return [s for s in self.sections if s.status == "failed"]

    @property
    def n_images(self) -> int:
        """Number of embedded figures."""
        return sum(s.images for s in self.sections)


class _Skip(Exception):
    """The section does not apply to this model; the message says why."""


@dataclass
class _Context:
    fitted: FittedModel
    table: Table
    X: np.ndarray
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

    def step(self, description: str) -> None:
        self.progress(description, self.done, self.total)
        self.done += 1


# --------------------------------------------------------------------------- public API


def build_report(fitted: FittedModel, table: Table, *, bv_rounds: int = 20,
                 bv_lambdas: int = 8, compare: bool = True, seed: int = 0,
                 progress: Progress | None = None, command: str | None = None,
                 dpi: int = 110) -> Report:
    """Compute every section of the report and assemble the page.

    Parameters
    ----------
    fitted : FittedModel
        From :func:`~ridgeline.report.fitting.fit_model` on ``table``.
    table : Table
        The data the model was fit on.
    bv_rounds : int, default=20
        Training sets drawn per λ for the bias–variance section (its cost is
        ``bv_rounds × bv_lambdas`` fits); 0 leaves the section out.
    bv_lambdas : int, default=8
        Number of λ of the bias–variance section (spread over the CV grid, the chosen λ
        included).
    compare : bool, default=True
        Include the L1 vs L2 comparison (squared-loss regression only).
    seed : int, default=0
        Seed of the resampling (bias–variance) and of the folds where the model has none.
    progress : callable, optional
        ``progress(description, done, total)``, called before each step.
    command : str, optional
        The command line that produced the report, shown in its footer.
    dpi : int, default=110
        Resolution of the embedded PNG figures (their size in pixels scales with it).

    Returns
    -------
    Report
    """
    if bv_rounds < 0 or bv_rounds == 1:
        raise ValueError(f"bv_rounds must be 0 (no bias–variance section) or at least 2, got "
                         f"{bv_rounds}")
    if bv_lambdas < 1:
        raise ValueError(f"bv_lambdas must be at least 1, got {bv_lambdas}")
    if not 30 <= dpi <= 600:
        raise ValueError(f"dpi must lie in [30, 600], got {dpi}")
    ctx = _context(fitted, table, bv_rounds, bv_lambdas, compare, seed, progress)
    ctx.dpi = int(dpi)
    builders: list[tuple[str, Callable[[_Context], str]]] = [
        ("data", _data), ("cv", _cv), ("path", _path),
        ("train_validation", _train_validation), ("bias_variance", _bias_variance),
        ("shrinkage", _shrinkage), ("coefficients", _coefficients), ("l1_vs_l2", _l1_vs_l2),
    ]
    ctx.total = len(builders) + (len(_bv_grid(ctx)) - 1 if _bv_applies(ctx) else 0)
    outcomes, bodies = [], []
    for ident, builder in builders:
        outcome, body = _run_section(ctx, ident, builder)
        outcomes.append(outcome)
        bodies.append(body)
    ctx.progress("done", ctx.total, ctx.total)
    page = _page(ctx, outcomes, bodies, command)
    return Report(page, outcomes)


def write_report(path: str | Path, report: Report) -> Path:
    """Write a report's page atomically (temporary file, then rename).

    Parameters
    ----------
    path : str or Path
        Destination (``.html``).
    report : Report

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    OSError
        If it cannot be written; nothing is left at ``path`` then.
    """
    return h.write_html(path, report.html)


# --------------------------------------------------------------------------- assembly


def _context(fitted, table, bv_rounds, bv_lambdas, compare, seed, progress) -> _Context:
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
    lam = float(np.atleast_1d(fitted.lambda_)[0])
    return _Context(fitted, table, table.X, y, list(table.feature_names),
                    np.asarray(fitted.result.lambdas, dtype=np.float64), splits, lam, seed,
                    bv_rounds, bv_lambdas, compare, progress or (lambda *_: None))


def _run_section(ctx: _Context, ident: str, builder) -> tuple[SectionOutcome, str]:
    title = SECTION_TITLES[ident]
    ctx.step(title)
    start = time.perf_counter()
    try:
        body = builder(ctx)
        status, note = "shown", ""
    except _Skip as why:
        status, note = "skipped", str(why)
        body = h.paragraph(f"Not shown: {why}", "skipped")
    except Exception as exc:  # a section failing must not lose the rest of the report
        status = "failed"
        note = f"{type(exc).__name__}: {exc}"
        where = traceback.extract_tb(exc.__traceback__)[-1]
        body = h.paragraph(f"This section could not be computed ({note}; at "
                           f"{Path(where.filename).name}:{where.lineno}).", "note")
    for line in ctx.notes.pop(ident, []):
        body += h.paragraph(line, "note")
    outcome = SectionOutcome(ident, title, status, note, time.perf_counter() - start,
                             body.count("<img "))
    return outcome, h.section(ident, title, body)


def _page(ctx: _Context, outcomes: list[SectionOutcome], bodies: list[str],
          command: str | None) -> str:
    f, t = ctx.fitted, ctx.table
    title = f"ridgeline report: {f.kind} on {t.source}"
    nav = "".join(f'<li><a href="#{h.esc(o.ident)}">{h.esc(o.title)}</a>'
                  + (" (not shown)" if o.status != "shown" else "") + "</li>" for o in outcomes)
    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    footer = [f"Generated by ridgeline {__version__} on {created}. This page is "
              "self-contained: its figures are embedded and it loads nothing from the network."]
    if command:
        footer.append(f"Command: {command}")
    timing = ", ".join(f"{o.ident} {o.seconds:.2f} s" for o in outcomes)
    footer.append(f"Fit {f.seconds:.2f} s; sections: {timing}.")
    return h.html_document(
        title,
        f"<h1>{h.esc(title)}</h1>"
        + h.paragraph("What λ was chosen and why, and what the penalty does to this model.",
                      "lead")
        + _summary(ctx)
        + f"<nav><h3>Contents</h3><ol>{nav}</ol></nav>"
        + "".join(bodies)
        + "<footer>" + "".join(h.paragraph(line) for line in footer) + "</footer>",
    )


def _score_words(scoring: str) -> tuple[str, bool]:
    """(what the score measures, whether it is a negated error)."""
    names = {"neg_mean_squared_error": "mean squared error", "mse": "mean squared error",
             "neg_log_loss": "log loss", "neg_mean_poisson_deviance": "mean Poisson deviance",
             "neg_root_mean_squared_error": "root mean squared error", "rmse": "RMSE"}
    if scoring in names:
        return names[scoring], scoring.startswith("neg_") or scoring in ("mse", "rmse")
    if scoring.startswith("neg_"):
        return scoring[4:].replace("_", " "), True
    return scoring, False


def _best(ctx: _Context) -> tuple[str, float, float]:
    """(score name, value as shown (errors positive), its SE) at the chosen λ."""
    res = ctx.fitted.result
    i = int(np.atleast_1d(res.index_)[0])
    mean = np.asarray(res.mean_score, dtype=np.float64)
    se = np.asarray(res.se, dtype=np.float64)
    if mean.ndim == 2:
        mean, se = mean.mean(axis=1), np.sqrt(np.nanmean(se**2, axis=1))
    name, negated = _score_words(res.scoring)
    value = -mean[i] if negated else mean[i]
    return name, float(value), float(se[i])


def _method(res) -> str:
    return _METHOD_WORDS[res.method].format(k=res.n_splits)


def _summary(ctx: _Context) -> str:
    f, t = ctx.fitted, ctx.table
    res = f.result
    name, value, se = _best(ctx)
    param = np.atleast_1d(f.param)
    lam = np.atleast_1d(f.lambda_)
    why = ("the best mean cross-validated score" if res.rule == "min" else
           "the strongest regularization whose cross-validated score is within one standard "
           "error of the best (the '1se' rule: a simpler model, statistically as good)")
    lines = [
        f"Model: {_MODEL_WORDS[f.kind]}, fitted by {type(f.estimator).__name__}, on "
        f"{t.n_rows} rows and {t.X.shape[1]} features; target {', '.join(t.target_names)}.",
        f"Chosen λ = {', '.join(h.fmt(v) for v in lam[:4])} (the estimator's own "
        f"{f.param_name} = {', '.join(h.fmt(v) for v in param[:4])}"
        + (f", l1_ratio = {h.fmt(f.l1_ratio)}" if f.kind == "elasticnet" else "")
        + f"), because it has {why}.",
        f"λ was chosen by {_method(res)} over {res.lambdas.size} values; at the chosen λ the "
        f"cross-validated {name} is {h.fmt(value)}"
        + (f" ± {h.fmt(se)} (standard error)." if np.isfinite(se) else "."),
    ]
    return '<div class="summary">' + "".join(h.paragraph(x) for x in lines) + "</div>"


def _figure(ctx: _Context, draw: Callable, *, alt: str, caption: str | None = None,
            width: float = 7.0, height: float = 4.2, gid: str = "") -> str:
    fig = h.new_figure(width, height)
    draw(fig)
    return h.figure_html(h.figure_to_png(fig, dpi=ctx.dpi), alt=alt, caption=caption, gid=gid)


def _explain(*lines: str) -> str:
    return '<div class="explain">' + "".join(h.paragraph(x) for x in lines) + "</div>"


# --------------------------------------------------------------------------- sections


def _data(ctx: _Context) -> str:
    t = ctx.table
    enc = t.encoding
    source_cols = len(enc.columns) if enc is not None else t.X.shape[1]
    parts = [h.paragraph(
        f"{t.n_rows} rows from {t.source}: {source_cols} feature column(s), which became "
        f"{t.X.shape[1]} column(s) of the design matrix X, and the target "
        f"{', '.join(t.target_names)}.")]
    parts += [h.paragraph(n, "note") for n in t.notes]
    y = np.asarray(t.y)
    if ctx.fitted.is_classifier:
        classes, counts = np.unique(y, return_counts=True)
        parts.append(h.table_html(["class", "rows", "share"],
                                  [[str(c), int(n), n / y.size] for c, n in
                                   zip(classes, counts, strict=True)],
                                  caption="Target classes"))
    else:
        Y = y.reshape(t.n_rows, -1).astype(np.float64)
        parts.append(h.table_html(
            ["target", "mean", "sd", "min", "median", "max"],
            [[name, Y[:, k].mean(), Y[:, k].std(), Y[:, k].min(), float(np.median(Y[:, k])),
              Y[:, k].max()] for k, name in enumerate(t.target_names)],
            caption="Target"))
    X = t.X
    mean, sd = X.mean(axis=0), X.std(axis=0)
    mean = np.where(np.abs(mean) <= 1e-12 * np.maximum(sd, 1e-300), 0.0, mean)  # rounding
    rows = [[name, mean[j], sd[j], X[:, j].min(), X[:, j].max()]
            for j, name in enumerate(t.feature_names[:_MAX_FEATURE_ROWS])]
    parts.append(h.table_html(["feature", "mean", "sd", "min", "max"], rows,
                              caption="Features (columns of X)"))
    if X.shape[1] > _MAX_FEATURE_ROWS:
        parts.append(h.paragraph(f"({X.shape[1] - _MAX_FEATURE_ROWS} more features not listed.)"))
    return "".join(parts)


def _cv(ctx: _Context) -> str:
    from ridgeline.plot import plot_cv

    f = ctx.fitted
    res = f.result
    name = _best(ctx)[0]
    own = np.asarray(res.alphas, dtype=np.float64)
    i_min, i_1se = int(np.atleast_1d(res.index_min)[0]), int(np.atleast_1d(res.index_1se)[0])
    mean = np.asarray(res.mean_score, dtype=np.float64)
    if mean.ndim == 2:
        mean = mean.mean(axis=1)
    _, negated = _score_words(res.scoring)
    shown = -mean if negated else mean
    held_out = {"kfold": "each fold's held-out rows, by a model fit on the other folds",
                "loo": "each row by a model fit on all the other rows (exactly, from one "
                       "factorization)",
                "gcv": "generalized cross-validation, a rotation-invariant approximation of "
                       "leave-one-out",
                "alo": "each row by the model fit without it, approximated by one Newton step "
                       "from the full fit (no refits)"}[res.method]
    body = _explain(
        f"For every λ of the grid, the model was scored on data it was not fit on: "
        f"{held_out}. The curve is the cross-validated {name} per λ (averaged over the "
        "held-out rows); the band is ±1 standard error.",
        "Small λ (left) lets the model follow the training data closely; large λ (right) "
        "pulls the coefficients toward zero. The dashed line marks λ_min, the best mean "
        "score; the dotted line marks λ_1se, the strongest regularization still within one "
        "standard error of it.",
    )
    body += _figure(ctx, lambda fig: plot_cv(res, ax=fig.add_subplot()),
                    alt=f"Cross-validated {name} against λ with a one-standard-error band",
                    caption=f"CV {name} per λ ({_method(res)}).", gid="fig-cv")
    rows = [["λ_min (best score)", res.lambdas[i_min], own[i_min], shown[i_min]],
            ["λ_1se (one-SE rule)", res.lambdas[i_1se], own[i_1se], shown[i_1se]]]
    body += h.table_html(["", "λ", f.param_name, name], rows, caption="The two candidates")
    chosen = "λ_min" if res.rule == "min" else "λ_1se"
    body += h.paragraph(f"Rule '{res.rule}': the model uses {chosen} = "
                        f"{h.fmt(float(np.atleast_1d(f.lambda_)[0]))} ({f.param_name} = "
                        f"{h.fmt(float(np.atleast_1d(f.param)[0]))}).")
    body += "".join(h.paragraph(n, "note") for n in f.notes)
    return body


def _path_estimator(ctx: _Context):
    return ctx.fitted.estimator


def _path(ctx: _Context) -> str:
    from ridgeline.diagnostics import regularization_path
    from ridgeline.plot import plot_path

    f = ctx.fitted
    path = regularization_path(_path_estimator(ctx), ctx.X, ctx.table.y, lambdas=ctx.grid,
                               feature_names=ctx.names)
    sparse = f.kind in ("lasso", "elasticnet")
    text = [
        "Each line is one coefficient, refit at every λ of the grid (large λ on the right). "
        + ("The L1 part of the penalty sets coefficients exactly to zero one after another "
           "as λ grows: the path selects features." if sparse else
           "The L2 penalty λ‖w‖² shrinks every coefficient smoothly toward zero; none becomes "
           "exactly zero, so every feature stays in the model, each with a smaller weight."),
        f"Effective degrees of freedom measure how complex the fit is: {path.dof_method}.",
    ]
    body = _explain(*text)
    marks = None if f.result.per_target else f.result  # one λ per target: none to mark
    body += _figure(ctx,
                    lambda fig: plot_path(path, cv=marks, output=0, ax=fig.add_subplot()),
                    alt="Coefficients against λ, one line per feature", width=7.5,
                    height=4.6, caption="Coefficient paths (original feature scale).",
                    gid="fig-path")
    if np.all(np.isfinite(path.dof)):
        i = int(np.argmin(np.abs(np.log(path.lambdas) - np.log(ctx.lam)))) if ctx.lam > 0 \
            else int(np.argmin(path.lambdas))
        body += h.paragraph(f"Effective degrees of freedom run from {h.fmt(path.dof.max())} "
                            f"(weakest λ) to {h.fmt(path.dof.min())} (strongest); about "
                            f"{h.fmt(path.dof[i])} at the chosen λ.")
    if path.n_outputs > 1:
        body += h.paragraph(f"Drawn for the first output ({path.output_names[0]}) of "
                            f"{path.n_outputs}.", "note")
    return body


def _train_validation(ctx: _Context) -> str:
    from ridgeline.diagnostics import train_validation_curve
    from ridgeline.plot import plot_train_validation

    f = ctx.fitted
    curve = train_validation_curve(f.estimator, ctx.X, ctx.table.y, lambdas=ctx.grid,
                                   cv=ctx.splits)
    body = _explain(
        "Training error is measured on the rows each fold's model was fit on; validation "
        "error on the rows it never saw. Their gap is how much the model flatters itself.",
        "Overfitting (small λ, left): training error is low but validation error is higher — "
        "the model learns noise. Underfitting (large λ, right): both errors are high — the "
        "penalty is so strong that the model misses real structure. The best λ sits between.",
    )
    body += _figure(ctx, lambda fig: plot_train_validation(curve, ax=fig.add_subplot()),
                    alt="Training and validation error against λ",
                    caption=f"{curve.error_label}, {curve.n_splits} folds.",
                    gid="fig-train-validation")
    lam = curve.lambdas
    picks = {"weakest λ": int(np.argmin(lam)), "best validation": curve.index_min,
             "strongest λ": int(np.argmax(lam))}
    rows = [[k, lam[i], curve.train_error[i], curve.validation_error[i], curve.gap[i]]
            for k, i in picks.items()]
    body += h.table_html(["", "λ", "training", "validation", "gap"], rows,
                         caption=curve.error_label)
    return body


def _bv_applies(ctx: _Context) -> bool:
    return ctx.bv_rounds >= 2


def _bv_grid(ctx: _Context) -> np.ndarray:
    grid = np.unique(ctx.grid[ctx.grid > 0])[::-1]
    if grid.size == 0:
        return np.array([ctx.lam])
    k = min(ctx.bv_lambdas, grid.size)
    idx = np.unique(np.round(np.linspace(0, grid.size - 1, k)).astype(int))
    picked = set(grid[idx].tolist())
    if ctx.lam > 0:
        picked.add(ctx.lam)
    return np.array(sorted(picked, reverse=True))


def _bias_variance(ctx: _Context) -> str:
    from ridgeline.plot import plot_bias_variance

    if not _bv_applies(ctx):
        raise _Skip("the bias–variance budget is 0 rounds (--bv-rounds 0).")
    f = ctx.fitted
    bv = _bias_variance_with_progress(ctx, _bv_grid(ctx))
    zero_one = bv.loss == "0-1"
    lines = [
        "The data were split once into a pool and held-out test rows; the model was refit on "
        f"{bv.n_rounds} bootstrap resamples of the pool at each λ shown, and its predictions "
        "on the test rows compared.",
        "Bias: how far the average prediction is from the truth (high when λ is large: "
        "underfitting). Variance: how much predictions change from one training set to "
        "another (high when λ is small: overfitting). "
        + ("For classification (0-1 loss) the decomposition is Domingos' (2000)." if zero_one
           else "Expected squared error = noise + bias² + variance: the penalty trades a "
                "little bias for a large cut in variance, and the best λ balances the two."),
    ]
    if not zero_one:
        lines.append(
            "On real data the truth is unknown: the noise level is estimated (see below the "
            "figure), and bias² is what remains of the measured error after noise and "
            "variance, so it is an estimate too — it can even come out negative where the "
            "noise estimate is high. Read the variance and the measured error first.")
    body = _explain(*lines)
    body += _figure(ctx, lambda fig: plot_bias_variance(bv, ax=fig.add_subplot()),
                    alt="Bias, variance and noise against λ",
                    caption=f"{bv.loss} loss, {bv.n_rounds} rounds, {bv.n_test} test rows; "
                            f"noise: {bv.noise_source}.", gid="fig-bias-variance")
    best = int(np.nanargmin(bv.expected_error))
    body += h.paragraph(f"The measured test error is smallest at λ = {h.fmt(bv.lambdas[best])}"
                        f" among the λ shown (the model's chosen λ is {h.fmt(ctx.lam)}).")
    if np.asarray(ctx.table.y).ndim == 2 and not f.is_classifier:
        ctx.notes.setdefault("bias_variance", []).append(
            f"Computed for the first target ({ctx.table.target_names[0]}) only.")
    return body


def _bias_variance_with_progress(ctx: _Context, lambdas: np.ndarray):
    """:func:`ridgeline.diagnostics.bias_variance` one λ at a time, to report progress.

    The test rows are fixed once and every call gets the same seed, so each λ sees the same
    bootstrap resamples: the pieces are exactly one decomposition over the whole grid.
    """
    from ridgeline.diagnostics import bias_variance

    rng = np.random.default_rng(ctx.seed)
    n = ctx.X.shape[0]
    perm = rng.permutation(n)
    m = max(1, round(0.3 * n))
    test, pool = perm[:m], perm[m:]
    parts = []
    for k, lam in enumerate(lambdas):
        if k:
            ctx.step(f"bias–variance: λ {k + 1} of {lambdas.size}")
        parts.append(bias_variance(ctx.fitted.estimator, ctx.X[pool], ctx.y[pool],
                                   lambdas=[float(lam)], n_rounds=ctx.bv_rounds,
                                   X_test=ctx.X[test], y_test=ctx.y[test],
                                   random_state=ctx.seed))
    return _concat_bias_variance(parts)


def _concat_bias_variance(parts: list):
    """One BiasVariance from per-λ pieces (array fields concatenated along λ)."""
    first = parts[0]
    changes = {}
    for fld in dataclasses.fields(first):
        value = getattr(first, fld.name)
        if isinstance(value, np.ndarray):
            changes[fld.name] = np.concatenate([getattr(p, fld.name) for p in parts])
    return dataclasses.replace(first, **changes)


def _shrinkage(ctx: _Context) -> str:
    from ridgeline.diagnostics import shrinkage_factors
    from ridgeline.plot import plot_shrinkage

    f = ctx.fitted
    if f.kind != "ridge":
        raise _Skip("shrinkage factors d²/(d² + n_w λ) come from ridge's closed form; "
                    f"{f.kind} has no such per-direction formula (see the path instead).")
    sh = shrinkage_factors(f.estimator, ctx.X, ctx.table.y, lambdas=ctx.grid)
    body = _explain(
        "Ridge has a closed form in the principal directions of X (its singular vectors): "
        "the least-squares fit along direction j is multiplied by d_j²/(d_j² + n_w λ), "
        "where d_j measures how much the data vary along it.",
        "Directions with a lot of variance (large d) keep almost all of their fit; directions "
        "with little variance — where the least-squares coefficients are noisy and unstable — "
        "are shrunk most. The sum of the factors is the effective degrees of freedom.",
    )
    body += _figure(ctx, lambda fig: plot_shrinkage(sh, kind="lambda", ax=fig.add_subplot()),
                    alt="Shrinkage factor of each principal direction against λ",
                    caption="Shrinkage factor per principal direction.", gid="fig-shrinkage")
    body += _figure(ctx, lambda fig: plot_shrinkage(sh, kind="direction", lambdas=[ctx.lam],
                                               ax=fig.add_subplot()),
                    alt="Shrinkage factor against the principal direction at the chosen λ",
                    caption="At the chosen λ, from the largest-variance direction (1) down.",
                    width=7.0, height=3.6, gid="fig-shrinkage-directions")
    return body


def _coefficients(ctx: _Context) -> str:
    from ridgeline.diagnostics import coefficient_stability, standardized_coefficients
    from ridgeline.plot import plot_coefficients

    f = ctx.fitted
    ranking = standardized_coefficients(f.estimator, ctx.X, feature_names=ctx.names)
    stab = coefficient_stability(f.estimator, ctx.X, ctx.table.y, lambda_=ctx.lam,
                                 cv=ctx.splits, feature_names=ctx.names)
    sparse = f.kind in ("lasso", "elasticnet")
    body = _explain(
        "Standardized coefficient = coefficient × standard deviation of its feature: the "
        "change in the prediction (on the linear scale) for a one-standard-deviation change "
        "of the feature, comparable across features.",
        f"Stability: the model was refit at the same λ on each of the {stab.n_splits} "
        "training folds. Coefficients that keep their size and sign across folds are "
        "trustworthy; those that flip sign are not distinguishable from zero here."
        + (" Selection frequency is the share of folds in which the L1 penalty kept the "
           "feature." if sparse else ""),
    )
    body += _figure(ctx, lambda fig: plot_coefficients(stab, ax=fig.add_subplot()),
                    alt="Coefficient of each feature on every training fold",
                    caption="Per-fold coefficients (dots), their mean ± sd, and the full-data "
                            "fit.", width=7.0, height=max(3.0, 0.28 * min(20, len(ctx.names))
                                                            + 1.5),
                    gid="fig-coefficients")
    out = 0
    header = ["feature", "coefficient", "standardized", "fold mean", "fold sd", "min", "max",
              "sign agreement"] + (["selected"] if sparse else [])
    rows = []
    for j in ranking.order[:30]:
        row = [ctx.names[j], ranking.coef[j, out], ranking.std_coef[j, out],
               stab.mean[j, out], stab.std[j, out], stab.min[j, out], stab.max[j, out],
               stab.sign_agreement[j, out]]
        if sparse:
            row.append(stab.selection_frequency[j])
        rows.append(row)
    label = ranking.output_names[out] if ranking.output_names else ""
    body += h.table_html(header, rows, caption=f"Coefficients at λ = {h.fmt(ctx.lam)}, largest "
                                               f"standardized first ({label})")
    if len(ctx.names) > 30:
        body += h.paragraph(f"({len(ctx.names) - 30} smaller coefficients not listed.)")
    return body


def _l1_vs_l2(ctx: _Context) -> str:
    from ridgeline import compare_penalties
    from ridgeline.plot import plot_compare

    f = ctx.fitted
    if not ctx.compare:
        raise _Skip("the comparison was turned off (--no-compare).")
    if f.kind in ("logistic", "poisson"):
        raise _Skip(f"the comparison fits squared-loss models (ridge, lasso, elastic net); "
                    f"{f.kind} regression uses a different loss.")
    if np.asarray(ctx.table.y).ndim == 2:
        raise _Skip("the comparison takes a single target.")
    rho = f.l1_ratio if f.kind == "elasticnet" and f.l1_ratio is not None else 0.5
    comp = compare_penalties(ctx.X, ctx.y, penalties=("l2", "l1", "elasticnet"),
                             cv=ctx.splits, l1_ratio=rho)
    body = _explain(
        "The same folds, three penalties. L2 (ridge) shrinks all coefficients but keeps "
        "every feature; L1 (lasso) sets some coefficients exactly to zero — it selects "
        "features, at the price of more erratic choices among correlated ones; the elastic "
        "net mixes both.",
        "If the CV errors are within a standard error of each other, the data cannot tell "
        "the penalties apart: pick by what you need (all features with stable weights, or a "
        "short list).",
    )
    body += _figure(ctx, lambda fig: plot_compare(comp, feature_names=ctx.names, axes=fig),
                    alt="Coefficients under L2, L1 and elastic-net penalties side by side",
                    caption="Cross-validated coefficients per penalty.", width=9.0,
                    height=max(3.2, 0.26 * min(10, len(ctx.names)) + 1.8),
                    gid="fig-l1-vs-l2")
    rows = [[r.penalty, r.cv_mse, r.cv_se, r.n_nonzero, r.lambda_, r.own_param, r.l1_norm,
             r.l2_norm] for r in comp.rows]
    body += h.table_html(["penalty", "CV MSE", "± SE", "nonzero", "λ", "estimator's own",
                          "‖w‖₁", "‖w‖₂"], rows,
                         caption=f"{comp.n_splits}-fold CV on the same folds")
    return body
