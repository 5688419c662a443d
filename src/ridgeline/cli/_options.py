"""Options shared by ``fit`` and ``report``, their parsing, and reading the data they name."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ridgeline.cli._app import BadInput

if TYPE_CHECKING:
    import numpy as np

    from ridgeline.io import Table

# The choices the options name. They are written out here, not imported, so that parsing the
# command line (and --help) imports no NumPy, pyarrow or scikit-learn; tests/test_startup.py
# checks that they equal ridgeline.report.fitting.MODELS and ridgeline.io's.
MODELS: tuple[str, ...] = ("ridge", "logistic", "poisson", "lasso", "elasticnet")
BUILTIN_DATASETS: tuple[str, ...] = ("diabetes", "linnerud")
IMPUTE_CHOICES: tuple[str, ...] = ("mean",)

# ---------------------------------------------------------------- option types (fit, report)

DataArg = Annotated[Path | None, typer.Argument(
    help="CSV, Parquet or Arrow file (or a directory of Parquet files). Without it, a data "
         "set shipped with scikit-learn is used (see --dataset).", show_default=False)]
TargetOpt = Annotated[list[str] | None, typer.Option(
    "--target", "-t", help="Target column (repeat for several targets; ridge only).",
    show_default=False)]
FeaturesOpt = Annotated[str | None, typer.Option(
    help="Comma-separated feature columns (default: every other column).",
    show_default=False)]
DatasetOpt = Annotated[str, typer.Option(help="Built-in data set used when DATA is omitted.")]
ModelOpt = Annotated[str, typer.Option(
    "--model", "-m", help=f"Model: {', '.join(MODELS)}.")]
CvOpt = Annotated[str, typer.Option(
    help="Number of folds, or 'loo' / 'gcv' / 'evidence' / 'aic' / 'bic' (ridge), 'alo' "
         "(logistic, poisson).")]
LambdasOpt = Annotated[str | None, typer.Option(
    help="Comma-separated canonical λ values (the same meaning for every model), or 'auto'.",
    show_default=False)]
NLambdasOpt = Annotated[int | None, typer.Option(
    help="Size of the automatic grid (default 100; 20 for logistic and poisson).",
    show_default=False)]
RuleOpt = Annotated[str, typer.Option(
    help="'min' (best CV score) or '1se' (strongest regularization within one standard "
         "error of the best).")]
ScoringOpt = Annotated[str | None, typer.Option(
    help="Scoring rule (default: mean squared error; log loss for logistic; Poisson "
         "deviance for poisson); any scikit-learn scorer name.", show_default=False)]
StandardizeOpt = Annotated[bool | None, typer.Option(
    "--standardize/--no-standardize",
    help="Penalize standardized features (each column divided by its standard deviation, "
         "as glmnet; coefficients and the saved model stay in the original units). On by "
         "default for every model; --no-standardize penalizes the raw units.",
    show_default=False)]
L1RatioOpt = Annotated[float, typer.Option(
    help="scikit-learn's l1_ratio of the elastic net (canonical mix = 2ρ/(1+ρ)).")]
ImputeOpt = Annotated[str | None, typer.Option(
    help="Replace missing feature values: 'mean' (of the column; a category's frequency for "
         "one-hot columns). Default: refuse them.", show_default=False)]
DropnaOpt = Annotated[bool, typer.Option(
    "--dropna", help="Drop the rows whose target is missing (a note says how many). "
                     "Default: refuse them. Missing features: see --impute.")]
MaxCategoriesOpt = Annotated[int, typer.Option(
    help="Refuse a text column with more distinct values than this.")]
TextColumnOpt = Annotated[list[str] | None, typer.Option(
    "--text-column", metavar="NAME",
    help="Treat this feature column as text (one-hot encoded) whatever it holds: a column of "
         "codes, or numbers with a few other values, which is otherwise refused. Repeat for "
         "several columns.",
    show_default=False)]
RefineOpt = Annotated[bool, typer.Option(
    "--refine", help="Ridge: choose λ off the grid, the exact optimum of the CV curve over "
                     "continuous log λ between the best grid point's neighbours (--rule min).")]
SeedOpt = Annotated[int, typer.Option(help="Seed of the fold shuffle.")]
OffsetOpt = Annotated[str | None, typer.Option(
    "--offset", metavar="COLUMN",
    help="Poisson: a column added to the linear predictor with coefficient 1, used as it is: "
         "the log of each row's exposure (time, area, population), for counts per unit of "
         "exposure. Not a feature; 'predict' reads it from its data too.", show_default=False)]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON report.")]
ModelOutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", help="Save the fitted model (JSON + arrays, never pickle).",
    show_default=False)]
StreamOpt = Annotated[bool, typer.Option(
    "--stream", help="Stream DATA (Parquet/CSV file or directory) in bounded memory: "
                     "ridge, logistic or poisson, K-fold on hashed row positions.")]
MemoryOpt = Annotated[str, typer.Option(
    help="Memory budget: DATA larger than this is streamed; sizes the record batches.")]


@dataclass(frozen=True)
class ModelOptions:
    """The parsed model options of ``fit`` and ``report``.

    ``standardize`` is None when neither ``--standardize`` nor ``--no-standardize`` was given
    (standardized, the default for every model).
    """

    model: str
    cv: int | str
    lambdas: np.ndarray | None
    n_lambdas: int | None
    rule: str
    scoring: str | None
    standardize: bool | None
    l1_ratio: float
    seed: int
    refine: bool = False

    @property
    def standardized(self) -> bool:
        """Whether the penalty applies to standardized features (the default, every model)."""
        return self.standardize is not False


def check_n_lambdas(kind: str, n_lambdas: int) -> None:
    """``--n-lambdas``: at least 1 and a grid that fits — at most the solve cap for the
    iterative models, the memory for ridge (:mod:`ridgeline.path.budget`) — refused before
    the data are read."""
    from ridgeline.path.budget import check_count

    try:
        check_count(n_lambdas, "--n-lambdas", solved=kind != "ridge")
    except (TypeError, ValueError) as exc:
        raise BadInput(str(exc)) from None


def parse_model_options(model: str, cv: str, lambdas: str | None, n_lambdas: int | None,
                        rule: str, scoring: str | None, standardize: bool | None,
                        l1_ratio: float, seed: int, refine: bool = False) -> ModelOptions:
    """Check every model option (raising :class:`BadInput` with a one-line message)."""
    kind = model.strip().lower()
    if kind not in MODELS:
        raise BadInput(f"--model must be one of {', '.join(MODELS)}, got {model!r}")
    if rule not in ("min", "1se"):
        raise BadInput(f"--rule must be 'min' or '1se', got {rule!r}")
    if refine and (kind != "ridge" or rule != "min"):
        raise BadInput("--refine is available for --model ridge with --rule min only, got "
                       f"--model {kind} --rule {rule}")
    if n_lambdas is not None:
        check_n_lambdas(kind, n_lambdas)
    if not 0.0 < l1_ratio <= 1.0:
        raise BadInput(f"--l1-ratio must lie in (0, 1], got {l1_ratio}")
    if kind in ("lasso", "elasticnet") and scoring not in (None, "mse",
                                                          "neg_mean_squared_error"):
        raise BadInput(f"--model {kind} is scored by mean squared error only, got "
                       f"--scoring {scoring}")
    spec = parse_cv(cv)
    from ridgeline.report.fitting import check_cv_spec

    try:
        check_cv_spec(kind, spec)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    return ModelOptions(kind, spec, parse_lambdas(lambdas), n_lambdas, rule, scoring,
                        standardize, l1_ratio, seed, bool(refine))


def parse_cv(cv: str) -> int | str:
    """A number of folds (≥ 2) or one of ``loo``, ``gcv``, ``evidence``, ``aic``, ``bic``,
    ``alo``."""
    key = cv.strip().lower()
    if key in ("loo", "gcv", "evidence", "aic", "bic", "alo"):
        return key
    try:
        k = int(key)
    except ValueError:
        raise BadInput(f"--cv must be a number of folds, 'loo', 'gcv', 'evidence', 'aic', 'bic' "
                       f"or 'alo', got {cv!r}") from None
    if k < 2:
        raise BadInput(f"--cv needs at least 2 folds, got {k}")
    return k


def parse_lambdas(text: str | None) -> np.ndarray | None:
    """Comma-separated canonical λ values, or None for ``auto``/absent."""
    if text is None or text.strip().lower() == "auto":
        return None
    import numpy as np

    try:
        values = np.array([float(v) for v in text.replace(";", ",").split(",") if v.strip()])
    except ValueError:
        raise BadInput(f"--lambdas must be comma-separated numbers or 'auto', got {text!r}") \
            from None
    if values.size == 0:
        raise BadInput("--lambdas is empty: give at least one value")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise BadInput(f"--lambdas must be finite and non-negative, got {text!r}")
    return values


def load_table(data: Path | None, target: list[str] | None, features: str | None,
               dataset: str, *, kind: str, impute: str | None,
               max_categories: int, dropna: bool = False,
               text_columns: list[str] | None = None) -> Table:
    """Read DATA (or the built-in data set) for a model of the given kind; ``dropna`` drops
    the rows whose target is missing (the built-in data sets have none); ``text_columns``
    are one-hot encoded whatever they hold (``--text-column``)."""
    if impute is not None and impute not in IMPUTE_CHOICES:
        raise BadInput(f"--impute must be one of {', '.join(IMPUTE_CHOICES)}, got {impute!r}")
    if max_categories < 1:
        raise BadInput(f"--max-categories must be at least 1, got {max_categories}")
    feats = [f.strip() for f in features.split(",") if f.strip()] if features else None
    from ridgeline.io import load_builtin, read_table

    if data is None:
        if dataset not in BUILTIN_DATASETS:
            raise BadInput(f"unknown built-in data set {dataset!r}; choose one of: "
                           f"{', '.join(BUILTIN_DATASETS)}")
        table = load_builtin(dataset)
        if target and not set(target) <= set(table.target_names):
            raise BadInput(f"the built-in {dataset!r} data set has target column(s) "
                           f"{', '.join(table.target_names)}, not {', '.join(target)}")
        if kind != "ridge" and len(table.target_names) > 1:
            raise BadInput(f"--model {kind} takes one target; the built-in {dataset!r} data "
                           f"set has {len(table.target_names)}")
        return table
    if not target:
        raise BadInput("--target is required when a DATA file is given")
    if kind != "ridge" and len(target) > 1:
        raise BadInput(f"--model {kind} takes a single --target, got {len(target)}")
    tgt = target[0] if len(target) == 1 else list(target)
    return read_table(data, target=tgt, features=feats, impute=impute,
                      max_categories=max_categories, labels=kind == "logistic", dropna=dropna,
                      text_columns=text_columns or None)


def check_output_file(path: Path | None, what: str = "--output") -> None:
    """Refuse an output file that cannot be written, before any fitting starts.

    The file may exist (it is replaced atomically) but must not be a directory, and its
    directory must exist and be writable: otherwise a long fit would end in a failed save.
    """
    if path is None:
        return
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise BadInput(f"{what} {path} is a directory: give a file name")
    if not parent.is_dir():
        raise BadInput(f"{what} {path}: the directory {parent} does not exist (create it first)")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BadInput(f"{what} {path}: the directory {parent} is not writable")
