"""``ridgeline report`` and ``ridgeline demo``: the self-contained HTML report."""

from __future__ import annotations

import shlex
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ridgeline.cli._app import (
    EXIT_BAD_INPUT,
    EXIT_FIT_FAILED,
    BadInput,
    app,
    fail,
    note,
    out,
    steps_progress,
)
from ridgeline.cli._options import (
    CvOpt,
    DataArg,
    DatasetOpt,
    DropnaOpt,
    FeaturesOpt,
    ImputeOpt,
    L1RatioOpt,
    LambdasOpt,
    MaxCategoriesOpt,
    ModelOpt,
    NLambdasOpt,
    QuietOpt,
    RefineOpt,
    RuleOpt,
    ScoringOpt,
    SeedOpt,
    StandardizeOpt,
    TargetOpt,
    TextColumnOpt,
    check_output_file,
    load_table,
    parse_model_options,
)
from ridgeline.cli.fit import run_fit, save_model

if TYPE_CHECKING:  # loaded inside the functions: parsing the command line imports no NumPy
    from ridgeline.io import Table
    from ridgeline.report import FittedModel

BvRoundsOpt = Annotated[int, typer.Option(
    help="Bias–variance budget: training sets drawn per λ (cost ≈ rounds × 8 fits); 0 leaves "
         "the section out.")]


def make_report(fitted: FittedModel, table: Table, output: Path, *, bv_rounds: int,
                compare: bool, seed: int, quiet: bool) -> Path:
    """Build the report with a progress bar and write it atomically (exit 1 on failure)."""
    from ridgeline.report import Report, build_report, write_report
    from ridgeline.selection import GridEdgeWarning

    command = "ridgeline " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    with steps_progress(quiet) as progress:
        task = progress.add_task("report", total=None)

        def advance(description: str, done: int, total: int) -> None:
            progress.update(task, description=f"report: {description}", completed=done,
                            total=total, refresh=True)

        # the sections' own CV fits (L1 vs L2, ...) may warn: one-line notes, not tracebacks
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", GridEdgeWarning)
            try:
                report: Report = build_report(fitted, table, bv_rounds=bv_rounds,
                                              compare=compare, seed=seed, progress=advance,
                                              command=command)
            except ValueError as exc:
                fail(str(exc), EXIT_BAD_INPUT)
    for line in dict.fromkeys(str(w.message) for w in caught
                              if issubclass(w.category, GridEdgeWarning)):
        note(f"in the report's sections: {line}", quiet)
    try:
        path = write_report(output, report)
    except OSError as exc:
        fail(f"could not write the report to {output}: {exc}", EXIT_FIT_FAILED)
    if report.failed:
        names = "; ".join(f"{s.title}: {s.note}" for s in report.failed)
        fail(f"the report was written to {path} but {len(report.failed)} section(s) failed "
             f"({names})", EXIT_FIT_FAILED)
    for section in report.sections:
        if section.status == "skipped":
            note(f"section '{section.title}' not shown: {section.note}", quiet)
    return path


@app.command()
def report(
    data: DataArg = None,
    target: TargetOpt = None,
    features: FeaturesOpt = None,
    dataset: DatasetOpt = "diabetes",
    model: ModelOpt = "ridge",
    cv: CvOpt = "5",
    lambdas: LambdasOpt = None,
    n_lambdas: NLambdasOpt = None,
    rule: RuleOpt = "min",
    scoring: ScoringOpt = None,
    standardize: StandardizeOpt = None,
    l1_ratio: L1RatioOpt = 0.5,
    impute: ImputeOpt = None,
    dropna: DropnaOpt = False,
    max_categories: MaxCategoriesOpt = 50,
    text_column: TextColumnOpt = None,
    seed: SeedOpt = 0,
    refine: RefineOpt = False,
    bv_rounds: BvRoundsOpt = 20,
    compare: Annotated[bool, typer.Option(
        "--compare/--no-compare", help="Include L1 vs L2 (squared-loss models).")] = True,
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="The HTML file to write (atomically).")]
        = Path("ridgeline-report.html"),
    quiet: QuietOpt = False,
) -> None:
    """Write a self-contained HTML report: the data, the chosen λ and why, the path, train vs
    validation, bias–variance, shrinkage, coefficients with stability, L1 vs L2."""
    try:
        if bv_rounds < 0 or bv_rounds == 1:
            raise BadInput(f"--bv-rounds must be 0 (leave the section out) or at least 2, got "
                           f"{bv_rounds}")
        opts = parse_model_options(model, cv, lambdas, n_lambdas, rule, scoring, standardize,
                                   l1_ratio, seed, refine=refine)
        check_output_file(output)
        table = load_table(data, target, features, dataset, kind=opts.model, impute=impute,
                           max_categories=max_categories, dropna=dropna,
                           text_columns=text_column)
    except (BadInput, ValueError, OSError) as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    fitted = run_fit(table, opts, quiet)
    for line in table.notes:  # after the fit: a failure stays the only line
        note(line, quiet)
    path = make_report(fitted, table, output, bv_rounds=bv_rounds, compare=compare, seed=seed,
                       quiet=quiet)
    if not quiet:
        out.print(f"report written to {path}", soft_wrap=True)


@app.command()
def demo(
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="Directory for the model file and the report.")]
        = Path("ridgeline-demo"),
    bv_rounds: BvRoundsOpt = 20,
    quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                        help="Print only the report's path.")] = False,
) -> None:
    """Fit ridge on the built-in diabetes data, save the model, write the report, print its
    path."""
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"cannot create the directory {output}: {exc}", EXIT_BAD_INPUT)
    opts = parse_model_options("ridge", "5", None, None, "min", None, None, 0.5, 0)
    table = load_table(None, None, None, "diabetes", kind="ridge", impute=None,
                       max_categories=50)
    fitted = run_fit(table, opts, quiet)
    model_path = save_model(fitted, table, output / "model.ridgeline")
    path = make_report(fitted, table, output / "report.html", bv_rounds=bv_rounds,
                       compare=True, seed=0, quiet=quiet)
    import numpy as np

    lam = float(np.atleast_1d(fitted.lambda_)[0])
    alpha = float(np.atleast_1d(fitted.param)[0])
    if not quiet:
        out.print(f"ridge on the diabetes data ({table.n_rows} rows, {table.X.shape[1]} "
                  f"features): λ = {lam:.4g} (alpha = {alpha:.4g}) by 5-fold CV")
        out.print(f"model: {model_path}", soft_wrap=True)
        out.print(f"predict: ridgeline predict {model_path} builtin:diabetes", soft_wrap=True)
    out.print(f"report: {path.resolve()}", soft_wrap=True)
