"""The report's L1 vs L2 section (private): ridge, lasso and elastic net on the same folds and
the same data scaling as the model the report describes.

The penalty of the model itself is not refit: its row is the model's own CV result (λ, CV MSE
± SE, coefficients), so the table agrees with the rest of the report. That needs a K-fold,
MSE-scored, single-target model; otherwise every row is fit here (on the model's folds, or
folds drawn for the report) and a note says why the model's own row may differ. The other
penalties are :func:`ridgeline.compare_penalties` with the model's folds, standardization and
rule; the sparse grids run down to 1e-4·λ_max (glmnet's ``lambda.min.ratio`` when n > p;
1e-2 otherwise), and a λ that still lands on a grid's edge is said in the section.
"""

from __future__ import annotations

import warnings

import numpy as np

from ridgeline.report import html as h
from ridgeline.report._context import Context, Skip, explain, figure, method_words

#: the comparison's penalty for each model kind the report can compare
SAME_PENALTY = {"ridge": "l2", "lasso": "l1", "elasticnet": "elasticnet"}
PENALTIES = ("l2", "l1", "elasticnet")
_TITLES = {"l2": "L2 (ridge)", "l1": "L1 (lasso)", "elasticnet": "elastic net"}
_MSE = ("neg_mean_squared_error", "mse")


def reuse_reason(ctx: Context) -> str | None:
    """None when the model's own CV result is its penalty's row; else why it is refit."""
    f = ctx.fitted
    res = f.result
    if f.splits is None:
        return (f"the model's λ was chosen by {method_words(res)}, while this comparison "
                f"scores every penalty by {len(ctx.splits)}-fold CV on the same folds")
    if res.scoring not in _MSE:
        return (f"the model's λ was chosen by {res.scoring}, while this comparison scores "
                "every penalty by the mean squared error")
    return None


def l1_vs_l2_section(ctx: Context) -> str:
    """The three penalties side by side: CV MSE ± SE, λ, nonzeros, standardized coefficients."""
    f = ctx.fitted
    if not ctx.compare:
        raise Skip("the comparison was turned off (--no-compare).")
    if f.kind not in SAME_PENALTY:
        raise Skip(f"the comparison fits squared-loss models (ridge, lasso, elastic net); "
                   f"{f.kind} regression uses a different loss.")
    if np.asarray(ctx.table.y).ndim == 2:
        raise Skip("the comparison takes a single target.")
    rows, why = _rows(ctx)
    same = SAME_PENALTY[f.kind]
    sd = ctx.X.std(axis=0)
    body = explain(
        "The same folds and the same data scaling as the model, three penalties. L2 (ridge) "
        "shrinks all coefficients but keeps every feature; L1 (lasso) sets some coefficients "
        "exactly to zero — it selects features, at the price of more erratic choices among "
        "correlated ones; the elastic net mixes both.",
        "If the CV errors are within a standard error of each other, the data cannot tell "
        "the penalties apart: pick by what you need (all features with stable weights, or a "
        "short list).",
    )
    body += figure(ctx, lambda fig: _draw(fig, rows, sd, ctx.names),
                   alt="Standardized coefficients under L2, L1 and elastic-net penalties side "
                       "by side",
                   caption="Cross-validated coefficients per penalty, standardized "
                           "(coefficient × the feature's standard deviation) so that their "
                           "sizes compare across features; each panel has its own x scale.",
                   width=9.6, height=max(3.6, 0.26 * min(10, len(ctx.names)) + 2.4),
                   gid="fig-l1-vs-l2")
    table = []
    for r in rows:
        std = np.asarray(r.coef) * sd
        source = "the model (its own CV)" if r.penalty == same and why is None else "fit here"
        table.append([_TITLES[r.penalty], r.cv_mse, r.cv_se, r.n_nonzero, r.lambda_,
                      r.own_param, float(np.abs(std).sum()), float(np.linalg.norm(std)),
                      source])
    scaled = " standardized features," if f.standardize else ""
    body += h.table_html(["penalty", "CV MSE", "± SE", "nonzero", "λ", "estimator's own",
                          "‖w‖₁ (standardized)", "‖w‖₂ (standardized)", "row"], table,
                         caption=f"{len(ctx.splits)}-fold CV on the same folds,{scaled} rule "
                                 f"'{f.result.rule}'",
                         ident="l1-vs-l2-table", row_keys=[r.penalty for r in rows])
    if why is not None:
        mine = next(r for r in rows if r.penalty == same)
        ctx.note("l1_vs_l2", f"The {_TITLES[same]} row is refit here: {why}, so its λ "
                             f"({h.fmt(mine.lambda_)}) may differ from the model's "
                             f"({h.fmt(ctx.lam)}).")
    return body


def _rows(ctx: Context) -> tuple[list, str | None]:
    """The three rows in :data:`PENALTIES` order, and why the model's row is refit (or None)."""
    from ridgeline.compare import penalty_row

    f = ctx.fitted
    same = SAME_PENALTY[f.kind]
    why = reuse_reason(ctx)
    rows = {}
    if why is None:
        own = f"alpha={float(np.atleast_1d(f.param)[0]):.4g}" + (
            f", l1_ratio={f.l1_ratio:g}" if f.kind == "elasticnet" else "")
        rows[same] = penalty_row(same, f.result, f.coef[0], own)
    for name in PENALTIES:
        if name not in rows:
            rows[name] = _fit_row(ctx, name)
    return [rows[name] for name in PENALTIES], why


def _fit_row(ctx: Context, name: str):
    """One penalty by :func:`ridgeline.compare_penalties`; its grid-edge and convergence
    warnings become notes of the section."""
    from sklearn.exceptions import ConvergenceWarning

    from ridgeline.compare import compare_penalties
    from ridgeline.selection import GridEdgeWarning

    f = ctx.fitted
    n, p = ctx.X.shape
    rho = f.l1_ratio if f.kind == "elasticnet" and f.l1_ratio is not None else 0.5
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GridEdgeWarning)
        warnings.simplefilter("always", ConvergenceWarning)
        comp = compare_penalties(ctx.X, ctx.y, (name,), cv=ctx.splits, l1_ratio=rho,
                                 eps=1e-4 if n > p else 1e-2,
                                 lambdas=ctx.grid if f.kind == "ridge" else None,
                                 standardize=f.standardize, rule=f.result.rule,
                                 feature_names=ctx.names)
    for line in dict.fromkeys(str(w.message) for w in caught
                              if issubclass(w.category, GridEdgeWarning | ConvergenceWarning)):
        ctx.note("l1_vs_l2", f"{_TITLES[name]}: {line}")
    return comp.rows[0]


def _draw(fig, rows: list, sd: np.ndarray, names: list[str]) -> None:
    """Standardized coefficient bars (``coef × sd``), one panel per penalty, a shared
    feature axis."""
    from ridgeline.compare import PenaltyComparison
    from ridgeline.plot import plot_compare

    axes = fig.subplots(1, len(rows), sharey=True, squeeze=False)[0]
    plot_compare(PenaltyComparison(rows, 0, list(names)), scale=sd, axes=list(axes))
