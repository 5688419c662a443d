"""``ridgeline fit``: choose λ, say what was chosen and why, save the model."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from ridgeline import __version__
from ridgeline.cli._app import (
    EXIT_BAD_INPUT,
    EXIT_FIT_FAILED,
    BadInput,
    app,
    busy,
    fail,
    memory_message,
    note,
    out,
    print_table,
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
    ModelOptions,
    NLambdasOpt,
    QuietOpt,
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

if TYPE_CHECKING:  # loaded inside the functions: parsing the command line imports no NumPy
    import numpy as np

    from ridgeline.io import FeatureEncoding, Table
    from ridgeline.report.fitting import FittedModel

MODEL_FILE_SCHEMA = 1  # version of the command line's "extra" metadata in model files

_HOW = {"kfold": "{k}-fold cross-validation", "loo": "exact leave-one-out",
        "gcv": "generalized cross-validation", "alo": "approximate leave-one-out (ALO)"}


def _fit_table(table: Table, opts: ModelOptions) -> FittedModel:
    """:func:`fit_model` on the table; for the models other than ridge (which standardizes
    itself) ``--standardize`` fits on the standardized columns and returns the model on the
    original scale (:mod:`ridgeline.cli._scaling`)."""
    from ridgeline.cli._scaling import fit_standardized
    from ridgeline.estimators._range import check_model_range
    from ridgeline.report.fitting import fit_model

    check_model_range(opts.model, table.X, table.y, standardized=bool(opts.standardized),
                      names=table.feature_names, target_name=table.target_names)

    def fit(X: np.ndarray, standardize: bool | None) -> FittedModel:
        return fit_model(opts.model, X, table.y, cv=opts.cv, lambdas=opts.lambdas,
                         n_lambdas=opts.n_lambdas, rule=opts.rule, scoring=opts.scoring,
                         standardize=standardize, l1_ratio=opts.l1_ratio, seed=opts.seed)

    if opts.model == "ridge":
        return fit(table.X, opts.standardized)
    if opts.standardized:
        return fit_standardized(table.X, lambda X: fit(X, None))
    return fit(table.X, None)


def run_fit(table: Table, opts: ModelOptions, quiet: bool) -> FittedModel:
    """Fit with λ chosen by CV, mapping failures to exit codes (2: bad input, 1: failed)."""
    from ridgeline.report.fitting import FitFailedError

    try:
        with busy(f"fitting {opts.model} on {table.n_rows} rows × {table.X.shape[1]} features "
                  f"({_cv_words(opts.cv)})...", quiet):
            return _fit_table(table, opts)
    except FitFailedError as exc:
        fail(f"the fit failed: {exc}", EXIT_FIT_FAILED)
    except (ValueError, TypeError) as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    except MemoryError as exc:
        fail(memory_message(exc), EXIT_FIT_FAILED)
    except Exception as exc:  # any other failure of the solver is a failed fit, one line
        fail(f"the fit failed: {type(exc).__name__}: {exc}", EXIT_FIT_FAILED)


def model_metadata(fitted: FittedModel, table: Table) -> dict[str, Any]:
    """What ``predict`` needs beside the estimator: the model kind, targets and encoding."""
    return cli_metadata(fitted, targets=table.target_names, encoding=table.encoding,
                        data=table.source)


def cli_metadata(fitted: FittedModel, *, targets: list[str], encoding: FeatureEncoding,
                 data: str) -> dict[str, Any]:
    """The command line's metadata of a model file (in-memory and streamed fits)."""
    import numpy as np

    return {
        "cli_schema": MODEL_FILE_SCHEMA,
        "model": fitted.kind,
        "targets": list(targets),
        "encoding": encoding.to_json(),
        "data": data,
        "lambda": np.atleast_1d(fitted.lambda_).tolist(),
        fitted.param_name: np.atleast_1d(fitted.param).tolist(),
        "cv": str(fitted.cv),
        "rule": fitted.result.rule,
        "scoring": fitted.scoring,
        "standardize": bool(fitted.standardize),
    }


def save_model(fitted: FittedModel, table: Table, output: Path) -> Path:
    """Save the estimator and the command line's metadata; a failure exits with code 1."""
    return save_fitted(fitted, output, model_metadata(fitted, table))


def save_fitted(fitted: FittedModel, output: Path, extra: dict[str, Any]) -> Path:
    """Save ``fitted.estimator`` with ``extra`` atomically; a failure exits with code 1."""
    from ridgeline.io import save_estimator

    try:
        return save_estimator(fitted.estimator, output, extra=extra)
    except (OSError, ValueError) as exc:
        fail(f"could not save the model to {output}: {exc}", EXIT_FIT_FAILED)


def _streamed(data, stream: bool, memory: str, dropna: bool) -> bool:
    """Whether DATA is streamed (``--stream``, or larger than ``--memory``); ``--dropna``
    is refused there (the streamed sources read no target before they fit)."""
    from ridgeline.cli.stream import wants_stream

    streamed = wants_stream(data, stream, memory)
    if streamed and dropna:
        raise BadInput("--dropna is not available for streamed data (--stream, or DATA "
                       "larger than --memory): drop the rows without a target first")
    return streamed


@app.command()
def fit(
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
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Save the fitted model (JSON + arrays, never pickle).",
        show_default=False)] = None,
    quiet: QuietOpt = False,
    stream: Annotated[bool, typer.Option(
        "--stream", help="Stream DATA (Parquet/CSV file or directory) in bounded memory: "
                         "ridge, logistic or poisson, K-fold on hashed row positions.")] = False,
    memory: Annotated[str, typer.Option(
        help="Memory budget: DATA larger than this is streamed; sizes the record batches.")]
        = "2GB",
) -> None:
    """Choose λ by cross-validation, print the CV table and coefficients, save the model."""
    try:
        opts = parse_model_options(model, cv, lambdas, n_lambdas, rule, scoring, standardize,
                                   l1_ratio, seed)
        check_output_file(output)
        streamed = _streamed(data, stream, memory, dropna)
    except (BadInput, ValueError, OSError) as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    if streamed:
        from ridgeline.cli.stream import run_stream_fit

        run_stream_fit(data, target, features, opts, memory, quiet, as_json, output)
        return
    try:
        table = load_table(data, target, features, dataset, kind=opts.model, impute=impute,
                           max_categories=max_categories, dropna=dropna,
                           text_columns=text_column)
    except (BadInput, ValueError, OSError) as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    fitted = run_fit(table, opts, quiet or as_json)
    for line in table.notes:  # after the fit: a failure stays the only line
        note(line, quiet or as_json)
    saved = save_model(fitted, table, output) if output is not None else None
    report = fit_report(fitted, table, saved)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    elif not quiet:
        print_fit(fitted, table, report)


# --------------------------------------------------------------------------- JSON


def _finite_or_none(values: np.ndarray) -> list:
    import numpy as np

    arr = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(arr), arr, None).tolist()


def coefficient_rows(fitted: FittedModel, target_names: list[str]) -> list[str]:
    """A label per row of the coefficient matrix: a target, or a class (multinomial)."""
    coef = fitted.coef
    if fitted.is_classifier:
        classes = [str(c) for c in fitted.estimator.classes_]
        if coef.shape[0] == 1:
            return [f"{target_names[0]}={classes[-1]}"]
        return [f"{target_names[0]}={c}" for c in classes]
    return list(target_names)


def fit_report(fitted: FittedModel, table: Table, saved: Path | None) -> dict[str, Any]:
    """The JSON report of ``fit``: data, CV curve, the choice, coefficients."""
    import numpy as np

    res = fitted.result
    coef = fitted.coef
    rows = coefficient_rows(fitted, table.target_names)
    report: dict[str, Any] = {
        "ridgeline_version": __version__,
        "data": table.source,
        "n_rows": table.n_rows,
        "n_features": int(table.X.shape[1]),
        "features": list(table.feature_names),
        "targets": list(table.target_names),
        "data_notes": list(table.notes),
        "model": fitted.kind,
        "estimator": type(fitted.estimator).__name__,
        "method": res.method,
        "n_splits": res.n_splits,
        "scoring": res.scoring,
        "rule": res.rule,
        "standardize": bool(fitted.standardize),
        "lambda": np.atleast_1d(fitted.lambda_).tolist(),
        "lambda_min": np.atleast_1d(res.lambda_min).tolist(),
        "lambda_1se": np.atleast_1d(res.lambda_1se).tolist(),
        "param_name": fitted.param_name,
        fitted.param_name: np.atleast_1d(fitted.param).tolist(),
        "best_score": np.atleast_1d(res.best_score).tolist(),
        "cv_curve": {
            "lambda": res.lambdas.tolist(),
            fitted.param_name: np.asarray(res.alphas, dtype=np.float64).tolist(),
            "dof": _finite_or_none(res.dof),
            "mean_score": np.asarray(res.mean_score).tolist(),
            "se": _finite_or_none(res.se),
        },
        "coefficients": {
            label: {f: float(c) for f, c in zip(table.feature_names, coef[r], strict=True)}
            for r, label in enumerate(rows)
        },
        "intercept": fitted.intercept.tolist(),
        "seconds": round(fitted.seconds, 4),
        "warnings": list(fitted.notes),
        "model_file": str(saved) if saved else None,
    }
    if fitted.kind == "ridge":
        report["sklearn_alpha"] = report["alpha"]  # the name used by earlier versions
    if fitted.l1_ratio is not None:
        report["l1_ratio"] = fitted.l1_ratio
        report["mix"] = fitted.mix
    if fitted.is_classifier:
        report["classes"] = [str(c) for c in fitted.estimator.classes_]
    return report


# --------------------------------------------------------------------------- text


def _cv_words(cv: int | str) -> str:
    return f"{cv}-fold CV" if isinstance(cv, int) else {"loo": "leave-one-out", "gcv": "GCV",
                                                        "alo": "ALO"}[cv]


def _rows_to_show(L: int, marks: set[int], limit: int = 15) -> list[int]:
    step = max(1, L // limit)
    return sorted(set(range(0, L, step)) | {L - 1} | marks)


def _cv_table(fitted: FittedModel, i_min: int, i_1se: int) -> tuple[RichTable, str | None]:
    """The CV curve at about 15 λ (one in k, the last, λ_min and λ_1se), and the line that
    says how many of the grid's λ it shows (None when it shows them all)."""
    import numpy as np

    res = fitted.result
    single = not res.per_target
    rows = _rows_to_show(res.lambdas.size, {i_min, i_1se})
    shown = None
    if len(rows) < res.lambdas.size:
        step = max(1, res.lambdas.size // 15)
        shown = (f"(showing {len(rows)} of {res.lambdas.size} λ: one in {step}, the last, min "
                 "and 1se; --json lists all)")
    tab = RichTable(title="CV curve" + ("" if single else " (averaged over targets)"))
    for col in ("λ", fitted.param_name, "dof", "CV score", "± SE", ""):
        tab.add_column(col, justify="right")
    mean = res.mean_score if single else np.asarray(res.mean_score).mean(axis=1)
    se = res.se if single else np.sqrt(np.nanmean(np.asarray(res.se) ** 2, axis=1))
    own = np.asarray(res.alphas, dtype=np.float64)
    for i in rows:
        mark = " ".join(m for m, j in (("← min", i_min), ("← 1se", i_1se)) if j == i)
        style = "bold green" if i == (i_min if res.rule == "min" else i_1se) else None
        dof = "—" if not np.isfinite(res.dof[i]) else f"{res.dof[i]:.2f}"
        tab.add_row(f"{res.lambdas[i]:.4g}", f"{own[i]:.4g}", dof, f"{mean[i]:.5g}",
                    "—" if not np.isfinite(se[i]) else f"{se[i]:.3g}", mark, style=style)
    return tab, shown


def print_fit(fitted: FittedModel, table: Table, report: dict[str, Any]) -> None:
    """The human-readable output of ``fit``."""
    import numpy as np

    res = fitted.result
    i_min = int(np.atleast_1d(res.index_min)[0])
    i_1se = int(np.atleast_1d(res.index_1se)[0])
    how = _HOW[res.method].format(k=res.n_splits)
    out.print(f"[bold]ridgeline {__version__}[/] — {fitted.kind} on "
              f"[cyan]{escape(table.source)}[/] ({table.n_rows} rows, {table.X.shape[1]} "
              "features, target "
              f"{escape(', '.join(table.target_names))})")
    penalized = "standardized" if fitted.standardize else "raw (unstandardized)"
    out.print(f"λ chosen by {how} over {res.lambdas.size} values, scoring = {res.scoring} "
              f"(greater is better), penalizing {penalized} features, in "
              f"{report['seconds']:.3f} s")
    cv_table, shown = _cv_table(fitted, i_min, i_1se)
    print_table(cv_table)
    if shown:
        out.print(shown)
    lam = np.atleast_1d(fitted.lambda_)
    why = ("it has the best mean CV score" if res.rule == "min" else
           "it is the strongest regularization whose mean CV score is within one standard "
           "error of the best")
    extra = f", l1_ratio = {fitted.l1_ratio:g}" if fitted.kind == "elasticnet" else ""
    out.print(f"[bold green]chosen λ = {', '.join(f'{v:.4g}' for v in lam[:5])}[/] "
              f"(rule '{res.rule}': {why}; {type(fitted.estimator).__name__} "
              f"{fitted.param_name} = {np.atleast_1d(fitted.param)[0]:.4g}{extra})")
    for line in report["warnings"]:
        out.print(f"[yellow]note:[/] {escape(line)}")
    _print_coefficients(fitted, table)
    if report["model_file"]:
        out.print(f"model saved to [cyan]{escape(report['model_file'])}[/]")


_MAX_COEF_ROWS = 4  # targets or classes whose coefficients the table shows


def _print_coefficients(fitted: FittedModel, table: Table) -> None:
    import numpy as np

    coef = fitted.coef
    sd = table.X.std(axis=0)
    rows = coefficient_rows(fitted, table.target_names)
    ctab = RichTable(title="Coefficients (sorted by standardized size)")
    ctab.add_column("feature")
    for name in rows[:_MAX_COEF_ROWS]:
        ctab.add_column(escape(name), justify="right")
        ctab.add_column("standardized", justify="right")
    order = np.argsort(-np.abs(coef[0] * sd))
    for j in order[:30]:
        cells = []
        for t in range(min(coef.shape[0], _MAX_COEF_ROWS)):
            cells += [f"{coef[t, j]:.5g}", f"{coef[t, j] * sd[j]:.4g}"]
        ctab.add_row(escape(table.feature_names[j]), *cells)
    print_table(ctab)
    if coef.shape[1] > 30:
        out.print(f"({coef.shape[1] - 30} smaller coefficients not shown; --json lists all)")
    if len(rows) > _MAX_COEF_ROWS:
        out.print(f"(the coefficients of {', '.join(rows[_MAX_COEF_ROWS:])} not shown; --json "
                  "lists all)")
    if fitted.kind in ("lasso", "elasticnet"):
        out.print(f"nonzero coefficients: {int(np.count_nonzero(coef[0]))} of {coef.shape[1]}")
    out.print(f"intercept: {', '.join(f'{v:.5g}' for v in fitted.intercept[:4])}")
