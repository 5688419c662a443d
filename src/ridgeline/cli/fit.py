"""``ridgeline fit``: choose λ, say what was chosen and why, save the model."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
)
from ridgeline.cli._fit_text import coefficient_rows, cv_words, print_fit
from ridgeline.cli._offset import offset_features, read_offset
from ridgeline.cli._options import (
    CvOpt,
    DataArg,
    DatasetOpt,
    DropnaOpt,
    FeaturesOpt,
    ImputeOpt,
    JsonOpt,
    L1RatioOpt,
    LambdasOpt,
    MaxCategoriesOpt,
    MemoryOpt,
    ModelOpt,
    ModelOptions,
    ModelOutputOpt,
    NLambdasOpt,
    OffsetOpt,
    QuietOpt,
    RefineOpt,
    RuleOpt,
    ScoringOpt,
    SeedOpt,
    StandardizeOpt,
    StreamOpt,
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

def _fit_table(table: Table, opts: ModelOptions, offset: str | None = None) -> FittedModel:
    """:func:`fit_model` on the table; for the models other than ridge (which standardizes
    itself) ``--standardize`` fits on the standardized columns and returns the model on the
    original scale (:mod:`ridgeline.cli._scaling`). ``offset``: the ``--offset`` column."""
    from ridgeline.cli._scaling import fit_standardized
    from ridgeline.estimators._range import check_model_range
    from ridgeline.report.fitting import fit_model

    check_model_range(opts.model, table.X, table.y, standardized=bool(opts.standardized),
                      names=table.feature_names, target_name=table.target_names)

    def fit(X: np.ndarray, standardize: bool | None) -> FittedModel:
        return fit_model(opts.model, X, table.y, cv=opts.cv, lambdas=opts.lambdas,
                         n_lambdas=opts.n_lambdas, rule=opts.rule, scoring=opts.scoring,
                         standardize=standardize, l1_ratio=opts.l1_ratio, seed=opts.seed,
                         refine=opts.refine, offset=values)

    values = None if offset is None else read_offset(table.source, offset, table.n_rows)

    if opts.model == "ridge":
        return fit(table.X, opts.standardized)
    if opts.standardized:
        return replace(fit_standardized(table.X, lambda X: fit(X, None)), offset_column=offset)
    return replace(fit(table.X, None), offset_column=offset)


def run_fit(table: Table, opts: ModelOptions, quiet: bool, offset: str | None = None
            ) -> FittedModel:
    """Fit with λ chosen by CV, mapping failures to exit codes (2: bad input, 1: failed)."""
    from ridgeline.report.fitting import FitFailedError

    try:
        with busy(f"fitting {opts.model} on {table.n_rows} rows × {table.X.shape[1]} features "
                  f"({cv_words(opts.cv)})...", quiet):
            return _fit_table(table, opts, offset)
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
        **({"offset": fitted.offset_column} if fitted.offset_column else {}),
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
    refine: RefineOpt = False,
    offset: OffsetOpt = None,
    as_json: JsonOpt = False,
    output: ModelOutputOpt = None,
    quiet: QuietOpt = False,
    stream: StreamOpt = False,
    memory: MemoryOpt = "2GB",
) -> None:
    """Choose λ by cross-validation, print the CV table and coefficients, save the model."""
    try:
        opts = parse_model_options(model, cv, lambdas, n_lambdas, rule, scoring, standardize,
                                   l1_ratio, seed, refine=refine)
        check_output_file(output)
        streamed = _streamed(data, stream, memory, dropna)
        features = offset_features(offset, opts.model, data, target, features, streamed, dropna)
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
    fitted = run_fit(table, opts, quiet or as_json, offset)
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
    report.update(res.off_grid_report())  # --refine: lambda_off_grid, score_off_grid
    if fitted.kind == "ridge":
        report["sklearn_alpha"] = report["alpha"]  # the name used by earlier versions
    if fitted.offset_column:
        report["offset"] = fitted.offset_column
    if fitted.l1_ratio is not None:
        report["l1_ratio"] = fitted.l1_ratio
        report["mix"] = fitted.mix
    if fitted.is_classifier:
        report["classes"] = [str(c) for c in fitted.estimator.classes_]
    return report
