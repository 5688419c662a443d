"""The HTML report: what λ was chosen and why, and what L2 regularization did to the model.

:func:`build_report` takes a :class:`~ridgeline.report.fitting.FittedModel` and its data and
computes every section with :mod:`ridgeline.diagnostics` (the numbers) and
:mod:`ridgeline.plot` (the figures), each with a short plain-language explanation; sections
that do not apply to the model say why.  :func:`write_report` writes the page atomically.

The sections live in :mod:`~ridgeline.report.sections`, :mod:`~ridgeline.report.classification`
(classifiers only), :mod:`~ridgeline.report._bias_variance` and
:mod:`~ridgeline.report.l1_vs_l2`; all of them use the model's own folds, data scaling and λ
(:mod:`~ridgeline.report._context`). The summary's key numbers are a table whose rows carry a
``data-key`` (``lambda``, the parameter's name, ``cv_score``, ``cv_se``, and for classifiers
``roc_auc``, ``brier``, ``accuracy``, ``balanced_accuracy``).
"""

from __future__ import annotations

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
from ridgeline.report._bias_variance import bias_variance_section, bv_applies, bv_grid
from ridgeline.report._context import (
    SECTION_TITLES,
    Context,
    Progress,
    Skip,
    best,
    make_context,
    method_words,
)
from ridgeline.report.classification import classification_section
from ridgeline.report.evidence import evidence_section
from ridgeline.report.fitting import FittedModel
from ridgeline.report.l1_vs_l2 import l1_vs_l2_section
from ridgeline.report.sections import (
    coefficients_section,
    cv_section,
    data_section,
    path_section,
    shrinkage_section,
    train_validation_section,
)

__all__ = ["Progress", "Report", "SectionOutcome", "build_report", "write_report"]

_MODEL_WORDS = {
    "ridge": "ridge regression (squared error + λ‖w‖²)",
    "logistic": "L2-regularized logistic regression (log loss + λ‖w‖²)",
    "poisson": "L2-regularized Poisson regression (Poisson deviance + λ‖w‖²)",
    "lasso": "the lasso (squared error + λ‖w‖₁)",
    "elasticnet": "the elastic net (squared error + λ(mix·‖w‖₁ + (1 − mix)‖w‖²))",
}

#: the sections in page order; "classification" only for classifiers
BUILDERS: dict[str, Callable[[Context], str]] = {
    "data": data_section,
    "cv": cv_section,
    "evidence": evidence_section,
    "classification": classification_section,
    "path": path_section,
    "train_validation": train_validation_section,
    "bias_variance": bias_variance_section,
    "shrinkage": shrinkage_section,
    "coefficients": coefficients_section,
    "l1_vs_l2": l1_vs_l2_section,
}


@dataclass
class SectionOutcome:
    """What happened to one section of the report.

    Attributes
    ----------
    ident : str
        Anchor of the section (a key of ``SECTION_TITLES``).
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


# --------------------------------------------------------------------------- public API


def build_report(fitted: FittedModel, table: Table, *, bv_rounds: int = 20,
                 bv_lambdas: int = 8, compare: bool = True, seed: int = 0,
                 progress: Progress | None = None, command: str | None = None,
                 dpi: int = 110) -> Report:
    """Compute every section of the report and assemble the page.

    Parameters
    ----------
    fitted : FittedModel
        From :func:`~ridgeline.report.fitting.fit_model` on ``table`` (or the command line's
        fit, which may standardize: every section then uses the same scaling).
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
    ctx = make_context(fitted, table, bv_rounds, bv_lambdas, compare, seed, progress)
    ctx.dpi = int(dpi)
    idents = [k for k in BUILDERS if k != "classification" or fitted.is_classifier]
    ctx.total = len(idents) + (len(bv_grid(ctx)) - 1 if bv_applies(ctx) else 0)
    outcomes, bodies = [], []
    for ident in idents:
        outcome, body = _run_section(ctx, ident, BUILDERS[ident])
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


def _run_section(ctx: Context, ident: str, builder) -> tuple[SectionOutcome, str]:
    title = SECTION_TITLES[ident]
    ctx.step(title)
    start = time.perf_counter()
    try:
        body = builder(ctx)
        status, note = "shown", ""
    except Skip as why:
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


def _page(ctx: Context, outcomes: list[SectionOutcome], bodies: list[str],
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


def _summary(ctx: Context) -> str:
    f, t = ctx.fitted, ctx.table
    res = f.result
    name, value, se = best(ctx)
    param = np.atleast_1d(f.param)
    lam = np.atleast_1d(f.lambda_)
    why = ("the best mean cross-validated score" if res.rule == "min" else
           "the strongest regularization whose cross-validated score is within one standard "
           "error of the best (the '1se' rule: a simpler model, statistically as good)")
    scaled = (" The penalty applies to standardized features; coefficients are on the "
              "original scale." if f.standardize else "")
    lines = [
        f"Model: {_MODEL_WORDS[f.kind]}, fitted by {type(f.estimator).__name__}, on "
        f"{t.n_rows} rows and {t.X.shape[1]} features; target {', '.join(t.target_names)}."
        + scaled,
        f"Chosen λ = {', '.join(h.fmt(v) for v in lam[:4])} (the estimator's own "
        f"{f.param_name} = {', '.join(h.fmt(v) for v in param[:4])}"
        + (f", l1_ratio = {h.fmt(f.l1_ratio)}" if f.kind == "elasticnet" else "")
        + f"), because it has {why}.",
        f"λ was chosen by {method_words(res)} over {res.lambdas.size} values; at the chosen λ "
        f"the cross-validated {name} is {h.fmt(value)}"
        + (f" ± {h.fmt(se)} (standard error)." if np.isfinite(se) else "."),
    ]
    return ('<div class="summary">' + "".join(h.paragraph(x) for x in lines)
            + _key_numbers(ctx, name, value, se) + "</div>")


def _key_numbers(ctx: Context, name: str, value: float, se: float) -> str:
    """The summary's numbers as a table, each row keyed by ``data-key``."""
    f = ctx.fitted
    rows = [["λ (canonical)", ctx.lam], [f.param_name, float(np.atleast_1d(f.param)[0])],
            [f"cross-validated {name}", value], ["± standard error", se]]
    keys = ["lambda", f.param_name, "cv_score", "cv_se"]
    words = {"roc_auc": f"held-out {ctx.facts.get('auc_words', 'ROC AUC')}",
             "brier": "held-out Brier score",
             "accuracy": "held-out accuracy", "balanced_accuracy": "held-out balanced accuracy"}
    for key, label in words.items():
        if key in ctx.facts:
            rows.append([label, ctx.facts[key]])
            keys.append(key)
    first = " (first target)" if np.atleast_1d(f.lambda_).size > 1 else ""
    return h.table_html(["", "value"], rows, caption=f"Key numbers{first}", ident="key-numbers",
                        row_keys=keys)
