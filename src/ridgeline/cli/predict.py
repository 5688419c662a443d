"""``ridgeline predict``: apply a saved model to new data, with the encoding seen at fit time."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ridgeline.cli._app import EXIT_BAD_INPUT, EXIT_FIT_FAILED, app, busy, err, fail, note
from ridgeline.cli._offset import read_offset
from ridgeline.cli._options import BUILTIN_DATASETS, MODELS, QuietOpt

if TYPE_CHECKING:  # loaded inside the functions: parsing the command line imports no NumPy
    import numpy as np

    from ridgeline.io import FeatureEncoding, Table

# estimator classes each model kind may hold (lasso/elasticnet: a refit under rule '1se')
_CLASSES = {
    "ridge": ("RidgeCV",),
    "logistic": ("LogisticRegressionCV",),
    "poisson": ("PoissonRegressor",),
    "lasso": ("LassoCV", "Lasso"),
    "elasticnet": ("ElasticNetCV", "ElasticNet"),
}


@dataclass(frozen=True)
class SavedModel:
    """A model file written by ``ridgeline fit``, checked."""

    estimator: Any
    kind: str
    targets: list[str]
    encoding: FeatureEncoding
    offset: str | None = None  # the --offset column the model was fitted with


def read_model(path: Path) -> SavedModel:
    """Load a model file of the command line and check its metadata (ValueError if invalid)."""
    from ridgeline.io import FeatureEncoding, load_model

    loaded = load_model(path)
    extra = loaded.extra
    if "encoding" not in extra:
        raise ValueError(f"model file {path} has no feature encoding: it was not written by "
                         "'ridgeline fit -o' (load it with ridgeline.io.load_estimator)")
    kind, targets = extra.get("model"), extra.get("targets")
    if kind not in MODELS:
        raise ValueError(f"model file {path} names an unknown model kind {kind!r}")
    if not isinstance(targets, list) or not targets or not all(
            isinstance(t, str) for t in targets):
        raise ValueError(f"model file {path} has an invalid target list")
    encoding = FeatureEncoding.from_json(extra["encoding"])
    est = loaded.estimator
    name = type(est).__name__
    if name not in _CLASSES[kind]:
        raise ValueError(f"model file {path} holds a {name}, not a {kind} model")
    n_in = getattr(est, "n_features_in_", None)
    if n_in != len(encoding.feature_names) or not hasattr(est, "coef_"):
        raise ValueError(f"model file {path} is inconsistent: the estimator expects {n_in} "
                         f"features, the encoding gives {len(encoding.feature_names)}")
    offset = extra.get("offset")
    if offset is not None and (not isinstance(offset, str) or not offset or kind != "poisson"):
        raise ValueError(f"model file {path} has an invalid offset column {offset!r}")
    return SavedModel(est, kind, targets, encoding, offset)


def read_data(data: str, encoding: FeatureEncoding) -> Table:
    """A data file, or ``builtin:NAME``, encoded as at fit time."""
    from ridgeline.io import load_builtin, read_features

    if data.startswith("builtin:"):
        name = data.split(":", 1)[1]
        if name not in BUILTIN_DATASETS:
            raise ValueError(f"unknown built-in data set {name!r}; choose one of: "
                             f"{', '.join(BUILTIN_DATASETS)}")
        table = load_builtin(name)
        if table.feature_names != encoding.feature_names:
            raise ValueError(f"the model's features ({', '.join(encoding.feature_names)}) are "
                             f"not those of {data}")
        return table
    return read_features(data, encoding)


def prediction_columns(saved: SavedModel, X: np.ndarray,
                       offset: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """``predicted_<target>`` columns, and ``proba_<class>`` for classifiers; ``offset``:
    the values of the model's offset column."""
    import numpy as np

    est = saved.estimator
    pred = np.asarray(est.predict(X) if offset is None else est.predict(X, offset=offset))
    if saved.kind == "logistic":
        columns = {f"predicted_{saved.targets[0]}": pred}
        proba = np.asarray(est.predict_proba(X))
        for k, cls in enumerate(est.classes_):
            columns[f"proba_{cls}"] = proba[:, k]
        return columns
    pred = pred.reshape(X.shape[0], -1)
    if pred.shape[1] != len(saved.targets):
        raise ValueError(f"the model predicts {pred.shape[1]} targets but names "
                         f"{len(saved.targets)}")
    return {f"predicted_{t}": pred[:, i] for i, t in enumerate(saved.targets)}


@app.command()
def predict(
    model: Annotated[Path, typer.Argument(help="A model file written by 'ridgeline fit -o'.",
                                          show_default=False)],
    data: Annotated[str, typer.Argument(
        help="CSV, Parquet or Arrow file with the model's feature columns (by name; other "
             "columns are ignored), or builtin:NAME.", show_default=False)],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the predictions to this .csv/.parquet/.arrow file "
                               "(atomically) instead of CSV on stdout.", show_default=False)]
        = None,
    quiet: QuietOpt = False,
) -> None:
    """Predict with a saved model: CSV on stdout, or a file; class probabilities too."""
    from ridgeline.io import table_to_bytes, write_table

    try:
        saved = read_model(model)
        with busy(f"reading {data}...", quiet):
            table = read_data(data, saved.encoding)
            offset = None if saved.offset is None else read_offset(data, saved.offset,
                                                                    table.n_rows)
    except (ValueError, OSError) as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    for line in table.notes:
        note(line, quiet)
    try:
        columns = prediction_columns(saved, table.X, offset)
    except Exception as exc:
        fail(f"prediction failed: {type(exc).__name__}: {exc}", EXIT_FIT_FAILED)
    if output is None:
        sys.stdout.write(table_to_bytes(columns, "csv").decode("utf-8"))
        return
    try:
        written = write_table(output, columns)
    except ValueError as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    except OSError as exc:
        fail(f"could not write {output}: {exc}", EXIT_FIT_FAILED)
    if not quiet:
        err.print(f"wrote {table.n_rows} predictions to {written}", soft_wrap=True)
