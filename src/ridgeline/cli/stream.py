"""``ridgeline fit`` on data larger than memory: the streamed (out-of-core) path.

Used with ``--stream``, or automatically when the Parquet/CSV file or directory is larger than
``--memory``. Ridge (all-λ K-fold CV in one pass) and logistic regression (Newton, one pass per
iteration for all folds) are available; folds are hashed from the row position with
``--seed``. Progress is shown by rows read.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import Progress

from ridgeline.cli._app import (
    EXIT_BAD_INPUT,
    EXIT_FIT_FAILED,
    BadInput,
    fail,
    note,
    out,
    steps_progress,
)
from ridgeline.cli._options import ModelOptions
from ridgeline.estimators import LogisticRegressionCV, RidgeCV
from ridgeline.selection import GridEdgeWarning
from ridgeline.stats.files import CSVSource, ParquetSource, parse_memory
from ridgeline.stats.source import SourceError

STREAM_MODELS = ("ridge", "logistic")


def data_bytes(path: Path) -> int:
    """Total size of a file or of the files under a directory."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size if path.exists() else 0


def wants_stream(data: Path | None, stream: bool, memory: str) -> bool:
    """Stream when asked, or when the data on disk exceed the memory budget."""
    if data is None:
        if stream:
            raise BadInput("--stream needs a DATA file or directory")
        return False
    budget = parse_memory(memory)
    return stream or data_bytes(data) > budget


def open_source(data: Path, target: list[str] | None, features: str | None, memory: str,
                seed: int):
    """A Parquet or CSV source for DATA (a directory holding ``*.csv`` only is read as CSV)."""
    if not target or len(target) != 1:
        raise BadInput("--stream needs exactly one --target")
    feats = [f.strip() for f in features.split(",") if f.strip()] if features else None
    csv = data.suffix.lower() == ".csv" or (
        data.is_dir() and not any(data.rglob("*.parquet")) and any(data.rglob("*.csv")))
    cls = CSVSource if csv else ParquetSource
    return cls(data, target[0], feats, memory=memory, seed=seed)


class _RowsProgress:
    """A rich progress bar of rows read, one bar per pass over the data."""

    def __init__(self, progress: Progress, total: int | None):
        self.progress, self.total, self.passes = progress, total, 0
        self.task = progress.add_task("pass 1: rows read", total=total)
        self.done = 0

    def __call__(self, rows: int) -> None:
        self.done += rows
        if self.total and self.done > self.total:  # a new pass began
            self.passes += 1
            self.done = rows
            self.progress.reset(self.task, total=self.total,
                                description=f"pass {self.passes + 1}: rows read")
        self.progress.update(self.task, completed=self.done)


def _estimator(opts: ModelOptions, n_rows: int | None):
    K = opts.cv if isinstance(opts.cv, int) else None
    if K is None:
        raise BadInput(f"--cv {opts.cv} needs the rows in memory; streamed data take --cv K")
    if opts.model == "ridge":
        return RidgeCV(lambdas=opts.lambdas, alphas="auto", n_lambdas=opts.n_lambdas or 100,
                       cv=K, rule=opts.rule,
                       scoring=opts.scoring or "neg_mean_squared_error",
                       standardize=True if opts.standardize is None else opts.standardize)
    if opts.model == "logistic":
        if opts.lambdas is not None:
            if not n_rows:
                raise BadInput("--lambdas with a streamed CSV source needs the row count: "
                               "give the grid size with --n-lambdas instead")
            Cs = 1.0 / (2.0 * np.asarray(opts.lambdas) * n_rows)
        else:
            Cs = np.logspace(-4, 4, opts.n_lambdas or 20)
        return LogisticRegressionCV(Cs=Cs, cv=K, rule=opts.rule,
                                    scoring=opts.scoring or "neg_log_loss")
    raise BadInput(f"--model {opts.model} cannot be streamed yet; streamed models: "
                   f"{', '.join(STREAM_MODELS)}")


def run_stream_fit(data: Path, target: list[str] | None, features: str | None,
                   opts: ModelOptions, memory: str, quiet: bool, as_json: bool,
                   output: Path | None) -> None:
    """Fit on a streamed source and print a short report (or JSON); exits 2 on bad input."""
    try:
        if output is not None:
            raise BadInput("--output is not available for a streamed fit yet")
        source = open_source(data, target, features, memory, opts.seed)
        est = _estimator(opts, source.n_rows_hint())
    except (BadInput, SourceError, ValueError, OSError) as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    with steps_progress(quiet or as_json) as progress, \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GridEdgeWarning)
        source.progress = _RowsProgress(progress, source.n_rows_hint())
        try:
            est.fit(source)
        except (SourceError, ValueError, TypeError) as exc:
            fail(str(exc), EXIT_BAD_INPUT)
        except Exception as exc:  # a failure of the solver: one line, exit 1
            fail(f"the fit failed: {type(exc).__name__}: {exc}", EXIT_FIT_FAILED)
    report = stream_report(est, source, opts)
    report["warnings"] = [str(w.message) for w in caught
                          if issubclass(w.category, GridEdgeWarning)]
    for line in report["warnings"]:  # after the fit: a failure stays the only line
        note(line, quiet or as_json)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    elif not quiet:
        print_stream(report)


def stream_report(est, source, opts: ModelOptions) -> dict[str, Any]:
    """The JSON report of a streamed fit."""
    res = est.selection_ if opts.model == "ridge" else est.cv_result_
    coef = np.ravel(est.coef_)
    return {
        "model": opts.model,
        "data": str(source.path),
        "parts": len(source.parts),
        "rows": int(getattr(est, "n_rows_", 0)),
        "streamed": True,
        "cv": f"{res.n_splits}-fold (hashed row positions, seed {source.seed})",
        "scoring": res.scoring,
        "rule": res.rule,
        "lambda": float(est.lambda_),
        "cv_score": float(res.best_score),
        "intercept": float(np.ravel(est.intercept_)[0]),
        "coefficients": {n: float(c) for n, c in zip(source.feature_names, coef, strict=True)},
    }


def print_stream(report: dict[str, Any]) -> None:
    out.print(f"{report['model']} on {report['data']} ({report['parts']} part(s), "
              f"{report['rows']} rows, streamed)")
    out.print(f"{report['cv']}, scoring {report['scoring']}, rule {report['rule']}: "
              f"λ = {report['lambda']:.4g}, CV score {report['cv_score']:.6g}")
    out.print(f"intercept {report['intercept']:.6g}")
    for name, value in list(report["coefficients"].items())[:30]:
        out.print(f"  {name:<24} {value: .6g}")
    if len(report["coefficients"]) > 30:
        out.print(f"  ... {len(report['coefficients']) - 30} more")


__all__ = ["EXIT_BAD_INPUT", "run_stream_fit", "wants_stream"]
