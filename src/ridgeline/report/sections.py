"""The report's sections on the data, the choice of λ, the path, training vs validation error,
shrinkage and the coefficients (private).

Each ``section(ctx) -> str`` returns the section's HTML body, or raises
:class:`~ridgeline.report._context.Skip` with the reason it does not apply. Every refit runs
on ``ctx.X_fit`` (the scale the model was fit on) and coefficients are shown on the original
feature scale, as the model reports them.
"""

from __future__ import annotations

import numpy as np

from ridgeline.report import html as h
from ridgeline.report._context import (
    Context,
    Skip,
    best,
    explain,
    figure,
    method_words,
    score_words,
    to_original_scale,
)
from ridgeline.report.classification import class_balance_html

_MAX_FEATURE_ROWS = 40
_MAX_COEF_ROWS = 30


def data_section(ctx: Context) -> str:
    """Rows, columns, encoding notes, the target (or its classes) and the features."""
    t = ctx.table
    enc = t.encoding
    source_cols = len(enc.columns) if enc is not None else t.X.shape[1]
    parts = [h.paragraph(
        f"{t.n_rows} rows from {t.source}: {source_cols} feature column(s), which became "
        f"{t.X.shape[1]} column(s) of the design matrix X, and the target "
        f"{', '.join(t.target_names)}.")]
    parts += [h.paragraph(n, "note") for n in t.notes]
    y = np.asarray(t.y)
    if ctx.fitted.is_classifier:
        parts.append(class_balance_html(ctx.y))
    else:
        Y = y.reshape(t.n_rows, -1).astype(np.float64)
        parts.append(h.table_html(
            ["target", "mean", "sd", "min", "median", "max"],
            [[name, Y[:, k].mean(), Y[:, k].std(), Y[:, k].min(), float(np.median(Y[:, k])),
              Y[:, k].max()] for k, name in enumerate(t.target_names)],
            caption="Target"))
    X = t.X
    mean, sd = X.mean(axis=0), X.std(axis=0)
    mean = np.where(np.abs(mean) <= 1e-12 * np.maximum(sd, 1e-300), 0.0, mean)  # rounding
    rows = [[name, mean[j], sd[j], X[:, j].min(), X[:, j].max()]
            for j, name in enumerate(t.feature_names[:_MAX_FEATURE_ROWS])]
    parts.append(h.table_html(["feature", "mean", "sd", "min", "max"], rows,
                              caption="Features (columns of X)"))
    if X.shape[1] > _MAX_FEATURE_ROWS:
        parts.append(h.paragraph(f"({X.shape[1] - _MAX_FEATURE_ROWS} more features not listed.)"))
    if ctx.fitted.standardize:
        parts.append(h.paragraph(
            "The penalty applies to standardized features (each column divided by its "
            "standard deviation), so that λ treats every feature alike whatever its units; "
            "coefficients are reported on the original scale. Every section below uses the "
            "same scaling."))
    return "".join(parts)


_HELD_OUT = {"kfold": "each fold's held-out rows, by a model fit on the other folds",
             "loo": "each row by a model fit on all the other rows (exactly, from one "
                    "factorization)",
             "gcv": "generalized cross-validation, a rotation-invariant approximation of "
                    "leave-one-out",
             "alo": "each row by the model fit without it, approximated by one Newton step "
                    "from the full fit (no refits)"}


def cv_section(ctx: Context) -> str:
    """The CV curve, λ_min and λ_1se, and the rule's choice."""
    from ridgeline.plot import plot_cv

    f = ctx.fitted
    res = f.result
    name = best(ctx)[0]
    own = np.asarray(res.alphas, dtype=np.float64)
    i_min, i_1se = int(np.atleast_1d(res.index_min)[0]), int(np.atleast_1d(res.index_1se)[0])
    mean = np.asarray(res.mean_score, dtype=np.float64)
    if mean.ndim == 2:
        mean = mean.mean(axis=1)
    shown = -mean if score_words(res.scoring)[1] else mean
    body = explain(*_cv_words(res, name))
    body += figure(ctx, lambda fig: plot_cv(res, ax=fig.add_subplot()),
                   alt=f"Cross-validated {name} against λ with a one-standard-error band",
                   caption=f"CV {name} per λ ({method_words(res)}).", gid="fig-cv")
    rows = [["λ_min (best score)", res.lambdas[i_min], own[i_min], shown[i_min]],
            ["λ_1se (one-SE rule)", res.lambdas[i_1se], own[i_1se], shown[i_1se]]]
    body += h.table_html(["", "λ", f.param_name, name], rows, caption="The two candidates",
                         ident="cv-candidates", row_keys=["min", "1se"])
    chosen = "λ_1se" if res.rule != "min" else "the optimum off the grid, λ" if res.off_grid \
        else "λ_min"
    body += h.paragraph(f"Rule '{res.rule}': the model uses {chosen} = "
                        f"{h.fmt(float(np.atleast_1d(f.lambda_)[0]))} ({f.param_name} = "
                        f"{h.fmt(float(np.atleast_1d(f.param)[0]))}).")
    if res.off_grid:
        body += h.paragraph(res.off_grid_note())
    body += "".join(h.paragraph(n, "note") for n in f.notes)
    return body


_CRITERION_WORDS = {
    "evidence": "the log evidence: the probability of the data under the Gaussian model with "
                "the prior w ~ N(0, τ²I), its noise and prior variances set by the data (for "
                "logistic and Poisson models, its Laplace approximation at the fit)",
    "aic": "−AIC = 2·log-likelihood − 2·dof, the fit to the data less twice the effective "
           "degrees of freedom",
    "bic": "−BIC = 2·log-likelihood − log(n)·dof, which charges each degree of freedom more "
           "than AIC once n > 7",
}


def _cv_words(res, name: str) -> tuple[str, str]:
    """The two paragraphs that say how the curve was scored and how to read it."""
    if res.method in _CRITERION_WORDS:
        return (f"For every λ of the grid, the model was fit on all the data and scored by "
                f"{_CRITERION_WORDS[res.method]}. No rows were held out, and there is no "
                "standard error.",
                "Small λ (left) lets the model follow the training data closely; large λ "
                "(right) pulls the coefficients toward zero. The dashed line marks the best "
                "λ of the grid.")
    return (f"For every λ of the grid, the model was scored on data it was not fit on: "
            f"{_HELD_OUT[res.method]}. The curve is the cross-validated {name} per λ (averaged "
            "over the held-out rows); the band is ±1 standard error.",
            "Small λ (left) lets the model follow the training data closely; large λ (right) "
            "pulls the coefficients toward zero. The dashed line marks λ_min, the best mean "
            "score; the dotted line marks λ_1se, the strongest regularization still within one "
            "standard error of it.")


def path_section(ctx: Context) -> str:
    """Coefficients along the CV grid, with effective degrees of freedom."""
    from ridgeline.diagnostics import regularization_path
    from ridgeline.plot import plot_path

    f = ctx.fitted
    path = regularization_path(f.estimator, ctx.X_fit, ctx.table.y, lambdas=ctx.grid,
                               feature_names=ctx.names)
    path = to_original_scale(path, ctx.scale, ("coef",))
    sparse = f.kind in ("lasso", "elasticnet")
    text = [
        "Each line is one coefficient, refit at every λ of the grid (large λ on the right). "
        + ("The L1 part of the penalty sets coefficients exactly to zero one after another "
           "as λ grows: the path selects features." if sparse else
           "The L2 penalty λ‖w‖² shrinks every coefficient smoothly toward zero; none becomes "
           "exactly zero, so every feature stays in the model, each with a smaller weight."),
        f"Effective degrees of freedom measure how complex the fit is: {path.dof_method}.",
    ]
    body = explain(*text)
    marks = None if f.result.per_target else f.result  # one λ per target: none to mark
    body += figure(ctx,
                   lambda fig: plot_path(path, cv=marks, output=0, ax=fig.add_subplot()),
                   alt="Coefficients against λ, one line per feature", width=7.5,
                   height=4.6, caption="Coefficient paths (original feature scale).",
                   gid="fig-path")
    if np.all(np.isfinite(path.dof)):
        i = int(np.argmin(np.abs(np.log(path.lambdas) - np.log(ctx.lam)))) if ctx.lam > 0 \
            else int(np.argmin(path.lambdas))
        body += h.paragraph(f"Effective degrees of freedom run from {h.fmt(path.dof.max())} "
                            f"(weakest λ) to {h.fmt(path.dof.min())} (strongest); about "
                            f"{h.fmt(path.dof[i])} at the chosen λ.")
    if path.n_outputs > 1:
        body += h.paragraph(f"Drawn for the first output ({path.output_names[0]}) of "
                            f"{path.n_outputs}.", "note")
    return body


def train_validation_section(ctx: Context) -> str:
    """Training and validation error per λ on the model's folds."""
    from ridgeline.diagnostics import train_validation_curve
    from ridgeline.plot import plot_train_validation

    f = ctx.fitted
    curve = train_validation_curve(f.estimator, ctx.X_fit, ctx.table.y, lambdas=ctx.grid,
                                   cv=ctx.splits)
    body = explain(
        "Training error is measured on the rows each fold's model was fit on; validation "
        "error on the rows it never saw. Their gap is how much the model flatters itself.",
        "Overfitting (small λ, left): training error is low but validation error is higher — "
        "the model learns noise. Underfitting (large λ, right): both errors are high — the "
        "penalty is so strong that the model misses real structure. The best λ sits between.",
    )
    body += figure(ctx, lambda fig: plot_train_validation(curve, ax=fig.add_subplot()),
                   alt="Training and validation error against λ",
                   caption=f"{curve.error_label}, {curve.n_splits} folds.",
                   gid="fig-train-validation")
    lam = curve.lambdas
    picks = {"weakest λ": int(np.argmin(lam)), "best validation": curve.index_min,
             "strongest λ": int(np.argmax(lam))}
    rows = [[k, lam[i], curve.train_error[i], curve.validation_error[i], curve.gap[i]]
            for k, i in picks.items()]
    body += h.table_html(["", "λ", "training", "validation", "gap"], rows,
                         caption=curve.error_label)
    return body


def shrinkage_section(ctx: Context) -> str:
    """Ridge's shrinkage factor per principal direction."""
    from ridgeline.diagnostics import shrinkage_factors
    from ridgeline.plot import plot_shrinkage

    f = ctx.fitted
    if f.kind != "ridge":
        raise Skip("shrinkage factors d²/(d² + n_w λ) come from ridge's closed form; "
                   f"{f.kind} has no such per-direction formula (see the path instead).")
    sh = shrinkage_factors(f.estimator, ctx.X_fit, ctx.table.y, lambdas=ctx.grid)
    body = explain(
        "Ridge has a closed form in the principal directions of X (its singular vectors): "
        "the least-squares fit along direction j is multiplied by d_j²/(d_j² + n_w λ), "
        "where d_j measures how much the data vary along it.",
        "Directions with a lot of variance (large d) keep almost all of their fit; directions "
        "with little variance — where the least-squares coefficients are noisy and unstable — "
        "are shrunk most. The sum of the factors is the effective degrees of freedom.",
    )
    body += figure(ctx, lambda fig: plot_shrinkage(sh, kind="lambda", ax=fig.add_subplot()),
                   alt="Shrinkage factor of each principal direction against λ",
                   caption="Shrinkage factor per principal direction.", gid="fig-shrinkage")
    body += figure(ctx, lambda fig: plot_shrinkage(sh, kind="direction", lambdas=[ctx.lam],
                                                   ax=fig.add_subplot()),
                   alt="Shrinkage factor against the principal direction at the chosen λ",
                   caption="At the chosen λ, from the largest-variance direction (1) down.",
                   width=7.0, height=3.6, gid="fig-shrinkage-directions")
    return body


def coefficients_section(ctx: Context) -> str:
    """The fitted coefficients, ranked by standardized size, and their stability over folds."""
    from ridgeline.diagnostics import coefficient_stability, standardized_coefficients
    from ridgeline.plot import plot_coefficients

    f = ctx.fitted
    ranking = standardized_coefficients(f.estimator, ctx.X, feature_names=ctx.names)
    stab = coefficient_stability(f.estimator, ctx.X_fit, ctx.table.y, lambda_=ctx.lam,
                                 cv=ctx.splits, feature_names=ctx.names)
    stab = to_original_scale(stab, ctx.scale, ("fold_coef", "full_coef", "mean", "std", "min",
                                               "max"))
    sparse = f.kind in ("lasso", "elasticnet")
    body = explain(
        "Standardized coefficient = coefficient × standard deviation of its feature: the "
        "change in the prediction (on the linear scale) for a one-standard-deviation change "
        "of the feature, comparable across features.",
        f"Stability: the model was refit at the same λ on each of the {stab.n_splits} "
        "training folds. Coefficients that keep their size and sign across folds are "
        "trustworthy; those that flip sign are not distinguishable from zero here."
        + (" Selection frequency is the share of folds in which the L1 penalty kept the "
           "feature." if sparse else ""),
    )
    body += figure(ctx, lambda fig: plot_coefficients(stab, ax=fig.add_subplot()),
                   alt="Coefficient of each feature on every training fold",
                   caption="Per-fold coefficients (dots), their mean ± sd, and the full-data "
                           "fit.", width=7.0,
                   height=max(3.0, 0.28 * min(20, len(ctx.names)) + 1.5),
                   gid="fig-coefficients")
    body += _coefficient_table(ctx, ranking, stab, sparse)
    return body


def _coefficient_table(ctx: Context, ranking, stab, sparse: bool) -> str:
    out = 0
    header = ["feature", "coefficient", "standardized", "fold mean", "fold sd", "min", "max",
              "sign agreement"] + (["selected"] if sparse else [])
    rows, keys = [], []
    for j in ranking.order[:_MAX_COEF_ROWS]:
        row = [ctx.names[j], ranking.coef[j, out], ranking.std_coef[j, out],
               stab.mean[j, out], stab.std[j, out], stab.min[j, out], stab.max[j, out],
               stab.sign_agreement[j, out]]
        if sparse:
            row.append(stab.selection_frequency[j])
        rows.append(row)
        keys.append(ctx.names[j])
    if ctx.fitted.is_classifier:
        label = ranking.output_names[out] if ranking.output_names else ""
        label = f"log-odds of class {label}" if len(ranking.output_names) == 1 else \
            f"class {label}"
    else:
        label = ctx.table.target_names[0]
    body = h.table_html(header, rows, caption=f"Coefficients at λ = {h.fmt(ctx.lam)}, largest "
                                              f"standardized first ({label}); fold statistics "
                                              "on the original scale",
                        ident="coefficients-table", row_keys=keys)
    if len(ctx.names) > _MAX_COEF_ROWS:
        body += h.paragraph(f"({len(ctx.names) - _MAX_COEF_ROWS} smaller coefficients not "
                            "listed.)")
    return body
