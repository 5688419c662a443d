"""The report's section "Choosing λ by evidence and information criteria" (private).

Beside the model's own (cross-validated) choice it shows, along the same λ grid, the criteria
that need no held-out rows: for ridge the exact log marginal likelihood (evidence) and AIC/BIC
from one factorization (:mod:`ridgeline.selection.evidence`, :mod:`ridgeline.selection.
criteria`); for logistic and Poisson regression the Laplace-approximate evidence and AIC/BIC
from one warm-started full-data path (:mod:`ridgeline.selection.glm_evidence`); for the lasso
and the elastic net AIC/BIC along their path (no Gaussian prior, so no evidence). The table of
:func:`ridgeline.diagnostics.information_criteria` at the fitted λ closes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ridgeline.report import html as h
from ridgeline.report._context import METHOD_WORDS, Context, Skip, explain, figure

#: the curves' names (all "lower is better") and their row keys in the choices table
EVIDENCE, AIC, BIC = "−2 log evidence", "AIC", "BIC"
KEYS = {EVIDENCE: "evidence", AIC: "aic", BIC: "bic"}


@dataclass
class CriteriaCurves:
    """Criteria along the grid (lower is better) and what each picks.

    Attributes
    ----------
    lambdas : ndarray (L,)
        The model's grid (λ > 0 only).
    params : ndarray (L,)
        The same in the estimator's own parameter.
    curves : dict of name → ndarray (L,)
        ``−2 log evidence`` (where there is one), ``AIC``, ``BIC``.
    how : str
        How the evidence was computed, in words.
    """

    lambdas: np.ndarray
    params: np.ndarray
    curves: dict[str, np.ndarray] = field(default_factory=dict)
    how: str = ""

    def pick(self, name: str) -> int:
        """Grid position of the curve's minimum."""
        v = self.curves[name]
        return int(np.nanargmin(np.where(np.isfinite(v), v, np.nan)))


def _with_ic(out: CriteriaCurves, loglik: np.ndarray, dof: np.ndarray, n: float):
    out.curves[AIC] = 2.0 * dof - 2.0 * loglik
    out.curves[BIC] = np.log(n) * dof - 2.0 * loglik
    return out


def criteria_curves(ctx: Context) -> CriteriaCurves:
    """The criteria of the report's model along its grid (one factorization or one path)."""
    from ridgeline.diagnostics._models import model_spec

    f = ctx.fitted
    keep = ctx.grid > 0
    if not keep.any():
        raise Skip("the grid has no λ > 0")
    out = CriteriaCurves(ctx.grid[keep], np.asarray(f.result.alphas, np.float64)[keep])
    spec = model_spec(f.estimator)
    if f.kind == "ridge":
        return _ridge(ctx, spec, out)
    if f.kind in ("logistic", "poisson"):
        return _glm(ctx, spec, out)
    return _sparse(ctx, out)


def _ridge(ctx: Context, spec, out: CriteriaCurves) -> CriteriaCurves:
    from ridgeline.diagnostics._fits import ridge_factor
    from ridgeline.selection.criteria import information_criterion
    from ridgeline.selection.evidence import log_evidence_curve

    y = np.asarray(ctx.y, dtype=np.float64)[:, None]
    n = float(y.shape[0])
    F = ridge_factor(spec, ctx.X_fit, y, np.ones(y.shape[0]), float(out.lambdas.min()) * n)
    pen = out.lambdas * n
    fi = spec.fit_intercept
    out.curves[EVIDENCE] = -2.0 * log_evidence_curve(F, pen, fit_intercept=fi)[:, 0]
    out.curves[AIC] = information_criterion(F, pen, which="aic", fit_intercept=fi)[:, 0]
    out.curves[BIC] = information_criterion(F, pen, which="bic", fit_intercept=fi)[:, 0]
    out.how = ("the exact marginal likelihood of the Gaussian model y = Xw + ε with "
               "w ~ N(0, τ²I), the noise variance profiled out, from one factorization")
    return out


def _glm(ctx: Context, spec, out: CriteriaCurves) -> CriteriaCurves:
    from ridgeline.diagnostics._fits import glm_problem
    from ridgeline.selection.glm_evidence import glm_evidence_path
    from ridgeline.solvers.glm_fit import choose_solver

    if getattr(ctx.fitted, "offset_column", None):
        raise Skip("the evidence of a model with an offset is not computed here")
    problem = glm_problem(spec, ctx.X_fit, ctx.y, np.ones(ctx.y.shape[0]))[0]
    if choose_solver(problem, "auto") != "newton":
        raise Skip("the Laplace evidence needs the Hessian, which is too large for this many "
                   "features (and classes)")
    ev = glm_evidence_path(problem, out.lambdas, tol=spec.base.tol, max_iter=spec.base.max_iter)
    out.curves[EVIDENCE] = -2.0 * ev.log_evidence
    out.how = ("the Laplace approximation of the marginal likelihood at each optimum "
               "(MacKay 1992), from one warm-started path on all the rows")
    return _with_ic(out, ev.log_likelihood, ev.dof, ev.n_w)


def _sparse(ctx: Context, out: CriteriaCurves) -> CriteriaCurves:
    from ridgeline.diagnostics import regularization_path
    from ridgeline.diagnostics.information import gaussian_log_likelihood

    path = regularization_path(ctx.fitted.estimator, ctx.X_fit, ctx.y, lambdas=out.lambdas)
    s = np.ones(ctx.y.shape[0])
    y = np.asarray(ctx.y, dtype=np.float64)[:, None]
    loglik = np.array([gaussian_log_likelihood(
        y, np.asarray(ctx.X_fit @ path.coef[i]) + path.intercept[i], s)
        for i in range(path.lambdas.size)])
    order = np.searchsorted(np.sort(path.lambdas), out.lambdas)  # back to the grid's order
    back = np.argsort(path.lambdas)[order]
    return _with_ic(out, loglik[back], path.dof[back], float(y.shape[0]))


_WHY = ("Cross-validation scores each λ on rows the model did not see. Two other families of "
        "criteria use the full-data fit alone. The evidence (marginal likelihood) treats the "
        "penalty as a Gaussian prior on the coefficients and asks how probable the data are "
        "under each λ, averaging over the coefficients; AIC and BIC add a price per effective "
        "degree of freedom to −2 × the log-likelihood (BIC's, log n, is the steeper).")


def evidence_section(ctx: Context) -> str:
    """The criteria curves, what each picks beside the model's own λ, and AIC/BIC at the fit."""
    from ridgeline.plot.evidence import plot_criteria

    f = ctx.fitted
    cc = criteria_curves(ctx)
    how = (f"The evidence here is {cc.how}." if EVIDENCE in cc.curves else
           "The L1 penalty is no Gaussian prior, so there is no evidence curve here; AIC and "
           "BIC use the path's effective degrees of freedom.")
    body = explain(_WHY, how + " Every curve is drawn relative to its own minimum; the dot "
                   "marks the λ it picks, the dashed line the model's own choice.")
    body += figure(ctx, lambda fig: plot_criteria(cc.lambdas, cc.curves, chosen=ctx.lam,
                                                  ax=fig.add_subplot()),
                   alt="Log evidence, AIC and BIC against λ, each relative to its minimum",
                   caption="Selection criteria per λ (lower is better).", gid="fig-criteria")
    rows, keys = [], []
    for name, values in cc.curves.items():
        i = cc.pick(name)
        rows.append([f"{name} (minimum)", cc.lambdas[i], cc.params[i], values[i]])
        keys.append(KEYS[name])
    words = METHOD_WORDS.get(f.result.method, f.result.method).format(k=f.result.n_splits)
    rows.append([f"the model's choice ({words})", ctx.lam,
                 float(np.atleast_1d(f.param)[0]), ""])
    keys.append("model")
    body += h.table_html(["criterion", "λ", f.param_name, "value"], rows,
                         caption="The λ each criterion picks", ident="criteria-choices",
                         row_keys=keys)
    return body + _at_fit(ctx)


def _at_fit(ctx: Context) -> str:
    """The table of :func:`~ridgeline.diagnostics.information_criteria` at the fitted λ."""
    from ridgeline.diagnostics import information_criteria

    ic = information_criteria(ctx.fitted.estimator, ctx.X_fit, ctx.table.y)
    rows = [["log-likelihood", ic.log_likelihood], ["effective degrees of freedom", ic.dof],
            ["AIC", ic.aic], ["BIC", ic.bic], ["rows", ic.n]]
    return (h.table_html(["at the fitted λ", "value"], rows,
                         caption="Information criteria of the fitted model",
                         ident="information-criteria",
                         row_keys=["log_likelihood", "dof", "aic", "bic", "n"])
            + h.paragraph(f"Degrees of freedom: {ic.dof_method}.", "note"))
