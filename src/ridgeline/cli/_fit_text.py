"""The text output of ``ridgeline fit``: the CV table, the choice and why, the coefficients.

Split from :mod:`ridgeline.cli.fit`, which parses, fits, reports JSON and saves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table as RichTable

from ridgeline import __version__
from ridgeline.cli._app import out, print_table

if TYPE_CHECKING:
    from ridgeline.io import Table
    from ridgeline.report.fitting import FittedModel

_HOW = {"kfold": "{k}-fold cross-validation", "loo": "exact leave-one-out",
        "gcv": "generalized cross-validation", "alo": "approximate leave-one-out (ALO)",
        "evidence": "the evidence (marginal likelihood)", "aic": "AIC", "bic": "BIC"}


def coefficient_rows(fitted: FittedModel, target_names: list[str]) -> list[str]:
    """A label per row of the coefficient matrix: a target, or a class (multinomial)."""
    coef = fitted.coef
    if fitted.is_classifier:
        classes = [str(c) for c in fitted.estimator.classes_]
        if coef.shape[0] == 1:
            return [f"{target_names[0]}={classes[-1]}"]
        return [f"{target_names[0]}={c}" for c in classes]
    return list(target_names)


#: Selection methods that score λ by a criterion on all the data: the score's name.
_CRITERIA = {"evidence": "log evidence", "aic": "−AIC", "bic": "−BIC"}


def cv_words(cv: int | str) -> str:
    """A few words for a ``--cv`` value: "5-fold CV", "leave-one-out", "evidence", ..."""
    if isinstance(cv, int):
        return f"{cv}-fold CV"
    return {"loo": "leave-one-out", "gcv": "GCV", "alo": "ALO", "evidence": "evidence",
            "aic": "AIC", "bic": "BIC"}[cv]


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
    criterion = _CRITERIA.get(res.method)
    tab = RichTable(title=("CV curve" if criterion is None else f"{criterion} per λ")
                    + ("" if single else " (averaged over targets)"))
    for col in ("λ", fitted.param_name, "dof", criterion or "CV score", "± SE", ""):
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
    why = ("it is the strongest regularization whose mean CV score is within one standard "
           "error of the best" if res.rule != "min" else
           "it has the best mean CV score" if res.method not in _CRITERIA else
           f"it has the best {_CRITERIA[res.method]}")
    extra = f", l1_ratio = {fitted.l1_ratio:g}" if fitted.kind == "elasticnet" else ""
    out.print(f"[bold green]chosen λ = {', '.join(f'{v:.4g}' for v in lam[:5])}[/] "
              f"(rule '{res.rule}': {why}; {type(fitted.estimator).__name__} "
              f"{fitted.param_name} = {np.atleast_1d(fitted.param)[0]:.4g}{extra})")
    if res.off_grid:  # --refine
        out.print(escape(res.off_grid_note()))
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
