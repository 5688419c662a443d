"""The ``ridgeline`` command line: choose λ for a ridge model and say what was chosen and why.

Exit codes: 0 success, 1 the fit itself failed, 2 bad usage or bad input (one clear line).
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table as RichTable

from ridgeline import __version__
from ridgeline.estimators import RidgeCV
from ridgeline.io import BUILTIN_DATASETS, Table, load_builtin, read_table, save_estimator
from ridgeline.selection import GridEdgeWarning, RidgeCVResult

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="ridgeline: L2-regularized models with exact, fast choice of λ.",
)
out = Console()
err = Console(stderr=True)

EXIT_FIT_FAILED = 1
EXIT_BAD_INPUT = 2


class _BadInput(Exception):
    """Raised for user errors: reported as one line with exit code 2."""


def _fail(message: str, code: int) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _parse_cv(cv: str) -> int | str:
    key = cv.strip().lower()
    if key in ("loo", "gcv"):
        return key
    try:
        k = int(key)
    except ValueError:
        raise _BadInput(f"--cv must be a number of folds, 'loo' or 'gcv', got {cv!r}") from None
    if k < 2:
        raise _BadInput(f"--cv needs at least 2 folds, got {k}")
    return k


def _parse_lambdas(text: str | None) -> np.ndarray | None:
    if text is None or text.strip().lower() == "auto":
        return None
    try:
        values = np.array([float(v) for v in text.replace(";", ",").split(",") if v.strip()])
    except ValueError:
        raise _BadInput(f"--lambdas must be comma-separated numbers or 'auto', got {text!r}") \
            from None
    if values.size == 0:
        raise _BadInput("--lambdas is empty: give at least one value")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise _BadInput(f"--lambdas must be finite and non-negative, got {text!r}")
    return values


def _load(data: Path | None, target: list[str] | None, features: str | None,
          dataset: str) -> Table:
    feats = [f.strip() for f in features.split(",") if f.strip()] if features else None
    if data is None:
        if dataset not in BUILTIN_DATASETS:
            raise _BadInput(f"unknown built-in data set {dataset!r}; choose from "
                            f"{sorted(BUILTIN_DATASETS)}")
        table = load_builtin(dataset)
        if target and list(target) != list(table.target_names) and \
                not set(target) <= set(table.target_names):
            raise _BadInput(f"the built-in {dataset!r} data set has target column(s) "
                            f"{table.target_names}, not {target}")
        return table
    if not target:
        raise _BadInput("--target is required when a DATA file is given")
    tgt = target[0] if len(target) == 1 else list(target)
    return read_table(data, target=tgt, features=feats)


@app.command()
def fit(
    data: Annotated[Path | None, typer.Argument(
        help="CSV, Parquet or Arrow file (or a directory of Parquet files). Without it, a "
             "data set shipped with scikit-learn is used (see --dataset).")] = None,
    target: Annotated[list[str] | None, typer.Option(
        "--target", "-t", help="Target column (repeat for several targets).")] = None,
    features: Annotated[str | None, typer.Option(
        help="Comma-separated feature columns (default: every other column).")] = None,
    dataset: Annotated[str, typer.Option(
        help="Built-in data set used when DATA is omitted.")] = "diabetes",
    cv: Annotated[str, typer.Option(
        help="Number of folds, 'loo' (exact leave-one-out) or 'gcv'.")] = "5",
    lambdas: Annotated[str | None, typer.Option(
        help="Comma-separated canonical λ values, or 'auto' (derived from the data).")] = None,
    n_lambdas: Annotated[int, typer.Option(help="Size of the automatic grid.")] = 100,
    rule: Annotated[str, typer.Option(
        help="'min' (best CV score) or '1se' (largest λ within one standard error).")] = "min",
    scoring: Annotated[str, typer.Option(
        help="Scoring rule: mse, rmse, r2, mae or any scikit-learn scorer name.")] = "mse",
    standardize: Annotated[bool, typer.Option(
        help="Penalize standardized features (coefficients reported on the original scale).")]
        = True,
    seed: Annotated[int, typer.Option(help="Seed of the fold shuffle.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Save the fitted model (JSON + arrays, never pickle).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
        = False,
) -> None:
    """Choose λ by cross-validation, print the CV table and coefficients, save the model."""
    try:
        if rule not in ("min", "1se"):
            raise _BadInput(f"--rule must be 'min' or '1se', got {rule!r}")
        cv_spec = _parse_cv(cv)
        grid = _parse_lambdas(lambdas)
        table = _load(data, target, features, dataset)
        if isinstance(cv_spec, int) and cv_spec > table.n_rows:
            raise _BadInput(f"--cv {cv_spec} folds but the data have only {table.n_rows} rows")
    except (_BadInput, ValueError, OSError) as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    splitter = cv_spec
    if isinstance(cv_spec, int):
        from sklearn.model_selection import KFold

        splitter = KFold(cv_spec, shuffle=True, random_state=seed)
    model = RidgeCV(alphas="auto", lambdas=grid, n_lambdas=n_lambdas, cv=splitter,
                    scoring=scoring, rule=rule, standardize=standardize,
                    alpha_per_target=len(table.target_names) > 1)
    y = table.y
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GridEdgeWarning)
        try:
            if quiet or as_json:
                model.fit(table.X, y)
            else:
                with err.status(f"cross-validating ridge on {table.n_rows} rows × "
                                f"{table.X.shape[1]} features..."):
                    model.fit(table.X, y)
        except ValueError as exc:
            _fail(str(exc), EXIT_BAD_INPUT)
        except Exception as exc:
            _fail(f"the fit failed: {type(exc).__name__}: {exc}", EXIT_FIT_FAILED)
    elapsed = time.perf_counter() - start
    notes = [str(w.message) for w in caught if issubclass(w.category, GridEdgeWarning)]
    saved = None
    if output is not None:
        try:
            saved = save_estimator(model, output)
        except (OSError, ValueError) as exc:
            _fail(f"could not save the model to {output}: {exc}", EXIT_FIT_FAILED)
    report = _report(model, table, elapsed, notes, saved)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    elif not quiet:
        _print_report(model, table, report)


def _report(model: RidgeCV, table: Table, elapsed: float, notes: list[str],
            saved: Path | None) -> dict:
    res: RidgeCVResult = model.selection_
    coef = np.atleast_2d(model.coef_)
    return {
        "ridgeline_version": __version__,
        "data": table.source,
        "n_rows": table.n_rows,
        "n_features": int(table.X.shape[1]),
        "targets": table.target_names,
        "method": res.method,
        "n_splits": res.n_splits,
        "scoring": res.scoring,
        "rule": res.rule,
        "lambda": np.atleast_1d(res.lambda_).tolist(),
        "lambda_min": np.atleast_1d(res.lambda_min).tolist(),
        "lambda_1se": np.atleast_1d(res.lambda_1se).tolist(),
        "sklearn_alpha": np.atleast_1d(model.alpha_).tolist(),
        "best_score": np.atleast_1d(res.best_score).tolist(),
        "cv_curve": {
            "lambda": res.lambdas.tolist(),
            "dof": res.dof.tolist(),
            "mean_score": np.asarray(res.mean_score).tolist(),
            "se": np.where(np.isfinite(res.se), res.se, None).tolist(),
        },
        "coefficients": {
            name: {f: float(c) for f, c in zip(table.feature_names, coef[t], strict=True)}
            for t, name in enumerate(table.target_names)
        },
        "intercept": np.atleast_1d(model.intercept_).tolist(),
        "seconds": round(elapsed, 4),
        "warnings": notes,
        "model_file": str(saved) if saved else None,
    }


def _rows_to_show(L: int, marks: set[int], limit: int = 15) -> list[int]:
    step = max(1, L // limit)
    return sorted(set(range(0, L, step)) | {L - 1} | marks)


def _print_report(model: RidgeCV, table: Table, report: dict) -> None:
    res: RidgeCVResult = model.selection_
    single = not res.per_target
    i_min = int(np.atleast_1d(res.index_min)[0])
    i_1se = int(np.atleast_1d(res.index_1se)[0])
    how = {"kfold": f"{res.n_splits}-fold cross-validation", "loo": "exact leave-one-out",
           "gcv": "generalized cross-validation"}[res.method]
    out.print(f"[bold]ridgeline {__version__}[/] — ridge on [cyan]{table.source}[/] "
              f"({table.n_rows} rows, {table.X.shape[1]} features, target "
              f"{', '.join(table.target_names)})")
    out.print(f"λ chosen by {how} over {res.lambdas.size} values, scoring = {res.scoring} "
              f"(greater is better), in {report['seconds']:.3f} s")
    tab = RichTable(title="CV curve" + ("" if single else " (averaged over targets)"))
    for col in ("λ", "dof", "CV score", "± SE", ""):
        tab.add_column(col, justify="right")
    mean = res.mean_score if single else np.asarray(res.mean_score).mean(axis=1)
    se = res.se if single else np.sqrt(np.nanmean(np.asarray(res.se) ** 2, axis=1))
    for i in _rows_to_show(res.lambdas.size, {i_min, i_1se}):
        mark = " ".join(m for m, j in (("← min", i_min), ("← 1se", i_1se)) if j == i)
        style = "bold green" if i == (i_min if res.rule == "min" else i_1se) else None
        tab.add_row(f"{res.lambdas[i]:.4g}", f"{res.dof[i]:.2f}", f"{mean[i]:.5g}",
                    "—" if not np.isfinite(se[i]) else f"{se[i]:.3g}", mark, style=style)
    out.print(tab)
    lam = np.atleast_1d(res.lambda_)
    why = ("it has the best mean CV score" if res.rule == "min" else
           "it is the largest λ whose mean CV score is within one standard error of the best")
    out.print(f"[bold green]chosen λ = {', '.join(f'{v:.4g}' for v in lam[:5])}[/] "
              f"(rule '{res.rule}': {why}; scikit-learn alpha = "
              f"{np.atleast_1d(model.alpha_)[0]:.4g})")
    for note in report["warnings"]:
        out.print(f"[yellow]note:[/] {note}")
    coef = np.atleast_2d(model.coef_)
    sd = table.X.std(axis=0)
    ctab = RichTable(title="Coefficients (sorted by standardized size)")
    ctab.add_column("feature")
    for name in table.target_names[:4]:
        ctab.add_column(f"{name}", justify="right")
        ctab.add_column("standardized", justify="right")
    order = np.argsort(-np.abs(coef[0] * sd))
    for j in order[:30]:
        cells = []
        for t in range(min(coef.shape[0], 4)):
            cells += [f"{coef[t, j]:.5g}", f"{coef[t, j] * sd[j]:.4g}"]
        ctab.add_row(table.feature_names[j], *cells)
    out.print(ctab)
    inter = np.atleast_1d(model.intercept_)
    out.print(f"intercept: {', '.join(f'{v:.5g}' for v in inter[:4])}")
    if report["model_file"]:
        out.print(f"model saved to [cyan]{report['model_file']}[/]")


@app.command()
def version() -> None:
    """Print the ridgeline version."""
    out.print(__version__)


def main() -> None:
    """Entry point of the ``ridgeline`` script."""
    app()


if __name__ == "__main__":
    main()
