"""``ridgeline fit`` on data larger than memory: the streamed (out-of-core) path.

Used with ``--stream``, or automatically when the Parquet/CSV file or directory is larger than
``--memory``. Ridge (all-λ K-fold CV in one pass), logistic regression (binary or
multinomial; Newton, one pass per iteration for all folds) and Poisson regression (the same
Newton passes; λ by :func:`~ridgeline.selection.glm_cv.glm_cv`, then the
full-data refit) are available; folds are hashed from the row position with ``--seed``.
Progress is shown by rows read. ``--output`` saves a model file that ``ridgeline predict``
reads like an in-memory fit's (a source has numeric feature columns only: no one-hot
encoding, no imputation).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from rich.markup import escape
from rich.progress import Progress
from sklearn.exceptions import ConvergenceWarning

from ridgeline.cli._app import (
    EXIT_BAD_INPUT,
    EXIT_FIT_FAILED,
    BadInput,
    fail,
    memory_message,
    note,
    out,
    steps_progress,
)
from ridgeline.cli._options import ModelOptions
from ridgeline.cli._scaling import scale_source, source_scale, unscale_fitted
from ridgeline.estimators import LogisticRegressionCV, PoissonRegressor, RidgeCV
from ridgeline.estimators._glm import source_classes, source_problem
from ridgeline.io import MODEL_SUFFIX, FeatureEncoding
from ridgeline.losses import PoissonLoss
from ridgeline.path.glm_path import auto_glm_grid
from ridgeline.report.fitting import DEFAULT_SCORING, FittedModel
from ridgeline.selection import GridEdgeWarning
from ridgeline.selection.glm_cv import glm_cv
from ridgeline.solvers.problem import GLMProblem
from ridgeline.stats.files import CSVSource, ParquetSource, parse_memory
from ridgeline.stats.source import SourceError

STREAM_MODELS = ("ridge", "logistic", "poisson")


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


def _folds(opts: ModelOptions) -> int:
    if not isinstance(opts.cv, int):
        raise BadInput(f"--cv {opts.cv} needs the rows in memory; streamed data take --cv K")
    return opts.cv


def _estimator(opts: ModelOptions, n_rows: int | None):
    """The estimator of a streamed ridge or logistic fit (None for poisson: see _fit)."""
    K = _folds(opts)
    if opts.model == "ridge":
        return RidgeCV(lambdas=opts.lambdas, alphas="auto", n_lambdas=opts.n_lambdas or 100,
                       cv=K, rule=opts.rule,
                       scoring=opts.scoring or "neg_mean_squared_error",
                       standardize=opts.standardized, refine=opts.refine)
    if opts.model == "logistic":
        if opts.lambdas is not None:
            if not n_rows:
                raise BadInput("--lambdas with a streamed CSV source needs the row count: "
                               "give the grid size with --n-lambdas instead")
            Cs = 1.0 / (2.0 * np.asarray(opts.lambdas) * n_rows)
        else:
            Cs = "auto"  # the in-memory CLI's grid; its size is set in _fit
        return LogisticRegressionCV(Cs=Cs, cv=K, rule=opts.rule, l1_ratios=(0.0,),
                                    scoring=opts.scoring or "neg_log_loss")
    if opts.model == "poisson":
        return None
    raise BadInput(f"--model {opts.model} cannot be streamed yet; streamed models: "
                   f"{', '.join(STREAM_MODELS)}")


def _auto_Cs(source, K: int, n_lambdas: int) -> np.ndarray:
    """The in-memory CLI's automatic logistic grid on a source: ``n_lambdas`` values spanning
    5%–99% of the null model's effective dof (a target summary and one pass at the null
    model; :func:`~ridgeline.path.auto_glm_grid`), as C."""
    summary = source.target_summary(K, progress=source.progress)
    problem = source_problem(source, source_classes(source, summary), True)
    lam = auto_glm_grid(problem, n_lambdas, summary=summary)
    return 1.0 / (2.0 * lam * float(summary.sw.sum()))


def _fit(est, source, opts: ModelOptions) -> FittedModel:
    """Fit on the source; the estimator, the CV curve and the chosen λ as a FittedModel.

    Poisson: λ by K-fold CV over the grid (``--lambdas``, or 20 values spanning 5%–99% of the
    null model's effective degrees of freedom, as in memory), then ``PoissonRegressor`` at
    that λ on every row. Logistic without ``--lambdas``: the same automatic grid
    (``--n-lambdas`` values, default 20), as in memory. With ``--standardize`` (the default)
    logistic and Poisson are fitted on standardized features (one more pass for the scale,
    :mod:`ridgeline.cli._scaling`) and returned on the original scale; ridge standardizes in
    ``RidgeCV``.
    """
    if opts.model == "ridge" or not opts.standardized:
        return _fit_source(est, source, opts)
    scale = source_scale(source, _folds(opts))
    return unscale_fitted(_fit_source(est, scale_source(source, scale), opts), scale)


def _fit_source(est, source, opts: ModelOptions) -> FittedModel:
    """:func:`_fit` on the source as it is."""
    K = _folds(opts)
    if opts.model == "poisson":
        scoring = opts.scoring or DEFAULT_SCORING["poisson"]
        problem = GLMProblem(source, PoissonLoss(), progress=source.progress)
        cv = glm_cv(problem, K, lambdas=opts.lambdas, n_lambdas=opts.n_lambdas or 20,
                    scoring=scoring, rule=opts.rule, warn_stacklevel=1)
        est = PoissonRegressor(alpha=cv.lambda_).fit(source)
        return FittedModel("poisson", est, cv.result, cv.lambda_, "alpha", cv.lambda_, K,
                           None, cv.result.scoring, False)
    if opts.model == "logistic" and isinstance(est.Cs, str):
        est.set_params(Cs=_auto_Cs(source, K, opts.n_lambdas or 20))
    est.fit(source)
    if opts.model == "ridge":
        return FittedModel("ridge", est, est.selection_, float(est.lambda_), "alpha",
                           float(est.alpha_), K, None, est.selection_.scoring,
                           bool(est.standardize))
    return FittedModel("logistic", est, est.cv_result_, float(est.lambda_), "C",
                       float(est.C_), K, None, est.cv_result_.scoring, False)


def check_output(output: Path) -> None:
    """Refuse an ``--output`` that cannot be written, before a long fit (BadInput)."""
    parent = output.parent
    target = output if output.suffix else output.with_name(output.name + MODEL_SUFFIX)
    if target.is_dir():
        raise BadInput(f"--output {target} is a directory; give a file name")
    if not parent.is_dir():
        raise BadInput(f"--output {output}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise BadInput(f"--output {output}: the directory {parent} is not writable")


def save_stream_model(fitted: FittedModel, source, output: Path) -> Path:
    """Save the model file ``ridgeline predict`` reads (atomic; a failure exits with 1)."""
    from ridgeline.cli.fit import cli_metadata, save_fitted  # fit.py imports this module

    extra = cli_metadata(fitted, targets=[source.target_name],
                         encoding=FeatureEncoding(tuple(source.feature_names)),
                         data=str(source.path))
    extra["streamed"] = True
    # ``predict`` selects the encoding's columns by name and hands the estimator an array, as
    # for an in-memory fit: without the source's column names, which would make scikit-learn
    # warn that the array has none
    est = copy.copy(fitted.estimator)
    if hasattr(est, "feature_names_in_"):
        del est.feature_names_in_
    return save_fitted(dataclasses.replace(fitted, estimator=est), output, extra)


def run_stream_fit(data: Path, target: list[str] | None, features: str | None,
                   opts: ModelOptions, memory: str, quiet: bool, as_json: bool,
                   output: Path | None) -> None:
    """Fit on a streamed source and print a short report (or JSON); exits 2 on bad input."""
    try:
        if output is not None:
            check_output(output)
        source = open_source(data, target, features, memory, opts.seed)
        est = _estimator(opts, source.n_rows_hint())
    except (BadInput, SourceError, ValueError, OSError) as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    with steps_progress(quiet or as_json) as progress, \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GridEdgeWarning)
        warnings.simplefilter("always", ConvergenceWarning)
        source.progress = _RowsProgress(progress, source.n_rows_hint())
        try:
            fitted = _fit(est, source, opts)
        except (SourceError, ValueError, TypeError) as exc:
            fail(str(exc), EXIT_BAD_INPUT)
        except MemoryError as exc:
            fail(memory_message(exc), EXIT_FIT_FAILED)
        except Exception as exc:  # a failure of the solver: one line, exit 1
            fail(f"the fit failed: {type(exc).__name__}: {exc}", EXIT_FIT_FAILED)
    if not (np.all(np.isfinite(fitted.coef)) and np.all(np.isfinite(fitted.intercept))):
        fail("the fit failed: it produced non-finite coefficients", EXIT_FIT_FAILED)
    notes = [str(w.message) for w in caught
             if issubclass(w.category, GridEdgeWarning | ConvergenceWarning)]
    for line in notes:  # after the fit: a failure of the fit stays the only line
        note(line, quiet or as_json)
    saved = save_stream_model(fitted, source, output) if output is not None else None
    report = stream_report(fitted, source, saved)
    report["warnings"] = notes
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    elif not quiet:
        print_stream(report)


def stream_report(fitted: FittedModel, source, saved: Path | None) -> dict[str, Any]:
    """The JSON report of a streamed fit.

    ``coefficients`` maps each feature to its coefficient, and ``intercept`` is a number;
    for a multinomial model (3 or more classes) ``coefficients`` maps each row label
    (``"target=class"``) to such a mapping and ``intercept`` is a list, one per class.
    """
    from ridgeline.cli.fit import coefficient_rows  # fit.py imports this module

    res, est = fitted.result, fitted.estimator
    coef, inter = fitted.coef, fitted.intercept
    names = source.feature_names
    se = np.asarray(res.se, dtype=np.float64)
    report: dict[str, Any] = {
        "model": fitted.kind,
        "estimator": type(est).__name__,
        "data": str(source.path),
        "parts": len(source.parts),
        "rows": int(getattr(est, "n_rows_", 0)),
        "n_features": len(names),
        "features": list(names),
        "targets": [source.target_name],
        "streamed": True,
        "cv": f"{res.n_splits}-fold (hashed row positions, seed {source.seed})",
        "n_splits": res.n_splits,
        "scoring": res.scoring,
        "rule": res.rule,
        "standardize": bool(fitted.standardize),
        "lambda": float(fitted.lambda_),
        "param_name": fitted.param_name,
        fitted.param_name: float(fitted.param),
        "cv_score": float(res.best_score),
        "cv_curve": {
            "lambda": np.asarray(res.lambdas, dtype=np.float64).tolist(),
            "mean_score": np.asarray(res.mean_score, dtype=np.float64).tolist(),
            "se": [float(v) if np.isfinite(v) else None for v in se],
        },
        "model_file": str(saved) if saved else None,
    }
    report.update(res.off_grid_report())  # --refine: lambda_off_grid, score_off_grid
    if fitted.is_classifier:
        report["classes"] = [str(c) for c in est.classes_]
    if coef.shape[0] == 1:
        report["intercept"] = float(inter[0])
        report["coefficients"] = {n: float(c) for n, c in zip(names, coef[0], strict=True)}
    else:
        rows = coefficient_rows(fitted, [source.target_name])
        report["intercept"] = inter.tolist()
        report["coefficients"] = {
            label: {n: float(c) for n, c in zip(names, coef[r], strict=True)}
            for r, label in enumerate(rows)}
    return report


def print_stream(report: dict[str, Any]) -> None:
    """The human-readable output of a streamed fit."""
    grid = report["cv_curve"]["lambda"]
    out.print(f"{report['model']} on {escape(report['data'])} ({report['parts']} part(s), "
              f"{report['rows']} rows, streamed)")
    out.print(f"{report['cv']} over {len(grid)} λ values from {max(grid):.3g} to "
              f"{min(grid):.3g}, scoring {report['scoring']}, rule {report['rule']}: "
              f"λ = {report['lambda']:.4g} ({report['param_name']} = "
              f"{report[report['param_name']]:.4g}), CV score {report['cv_score']:.6g}")
    coefs = report["coefficients"]
    if isinstance(report["intercept"], list):  # one row per class
        labels = list(coefs)[:4]
        features = list(coefs[labels[0]])
        out.print("intercept " + ", ".join(f"{v:.6g}" for v in report["intercept"][:4]))
        out.print(f"  {'':<24}" + "".join(f" {escape(lab):>14}" for lab in labels))
        for name in features[:30]:
            out.print(f"  {escape(name):<24}"
                      + "".join(f" {coefs[lab][name]: 14.6g}" for lab in labels))
        more = len(features) - 30
        if len(coefs) > len(labels):
            out.print(f"  (the coefficients of {', '.join(map(escape, list(coefs)[4:]))} not "
                      "shown; --json lists all)")
    else:
        out.print(f"intercept {report['intercept']:.6g}")
        for name, value in list(coefs.items())[:30]:
            out.print(f"  {escape(name):<24} {value: .6g}")
        more = len(coefs) - 30
    if more > 0:
        out.print(f"  ... {more} more (--json lists all)")
    if report["model_file"]:
        out.print(f"model saved to {escape(report['model_file'])}")


__all__ = ["EXIT_BAD_INPUT", "STREAM_MODELS", "run_stream_fit", "wants_stream"]
