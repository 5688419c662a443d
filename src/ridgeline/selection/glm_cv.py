"""Choosing λ of a GLM over a grid by K-fold CV, for estimators without a CV class.

:func:`glm_cv` is what the command line needs to pick λ of a Poisson model (or any GLM
problem) on data it may never hold: one pass for the target summary (and the checks it
allows), one pass for an automatic grid, then the K-fold path of
:func:`~ridgeline.selection.glm_select.kfold_glm` (all K folds per pass). Every fold model is
fit at the same canonical λ (the loss is a mean, so λ does not depend on n). The full-data
refit at the chosen λ is the caller's (e.g. ``PoissonRegressor(alpha=λ).fit(source)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline.losses.domain import check_target_domain
from ridgeline.path.budget import check_count
from ridgeline.path.glm_path import GLMPath, auto_glm_grid
from ridgeline.selection.glm_scoring import resolve_glm_scorer
from ridgeline.selection.glm_select import check_scorer_fits, kfold_glm
from ridgeline.selection.result import RidgeCVResult
from ridgeline.solvers.problem import GLMProblem
from ridgeline.stats.source import TargetSummary


@dataclass
class GLMCV:
    """K-fold choice of λ for a GLM (no refit).

    Attributes
    ----------
    result : RidgeCVResult
        The CV curve over ``lambdas``; ``result.lambda_`` is the chosen λ.
    lambdas : ndarray (L,)
        The canonical grid, strongest penalty first.
    auto_grid : bool
        Whether ``lambdas`` is the automatic grid (:func:`~ridgeline.path.auto_glm_grid`).
    path : GLMPath
        Per-λ, per-fold solutions.
    summary : TargetSummary
    n_passes : int
        Passes over the source: the summary, the grid's (if automatic) and the CV's.
    """

    result: RidgeCVResult
    lambdas: np.ndarray
    auto_grid: bool
    path: GLMPath
    summary: TargetSummary
    n_passes: int

    @property
    def lambda_(self) -> float:
        """The chosen canonical λ."""
        return float(self.result.lambda_)


def glm_cv(problem: GLMProblem, n_folds: int, *, lambdas=None, n_lambdas: int = 20,
           scoring=None, rule: str = "min", tol: float = 1e-8, max_iter: int = 100,
           warn_stacklevel: int = 0, solver: str = "auto") -> GLMCV:
    """Choose the canonical λ of a GLM by K-fold CV over a grid (the source's folds).

    Parameters
    ----------
    problem : GLMProblem
        Binary (0/1 or ``loss.encode``) or Poisson targets.
    n_folds : int
        K ≥ 2.
    lambdas : array-like, optional
        Canonical λ values (≥ 0, any order; used strongest first). Default: the automatic
        grid of ``n_lambdas`` values (one more pass).
    n_lambdas : int, default=20
    scoring : str, optional
        Default: the mean held-out Poisson deviance (Poisson) or log loss (binary), negated;
        over files and Dask a per-sample scorer.
    rule : {"min", "1se"}
    tol, max_iter : stopping rule of each fold's solve.
    solver : {"auto", "newton", "lbfgs"} or an alias (see
        :func:`~ridgeline.solvers.glm_fit.choose_solver`).
    warn_stacklevel : int
        Stack level of a :class:`~ridgeline.selection.GridEdgeWarning` (0: none raised).

    Raises
    ------
    ValueError
        Bad targets for the loss (negative or all-zero counts), a bad grid, too few rows for
        ``n_folds``, or a scorer that needs held-out predictions on a streamed source.
    """
    if rule not in ("min", "1se"):
        raise ValueError(f"rule must be 'min' or '1se', got {rule!r}")
    if lambdas is not None:
        lambdas = np.asarray(lambdas, dtype=np.float64).ravel()
        if lambdas.size == 0 or not np.all(np.isfinite(lambdas)) or np.any(lambdas < 0):
            raise ValueError("the λ grid must be non-empty, finite and non-negative")
        lambdas = np.sort(lambdas)[::-1].copy()  # strong to weak: the warm-start order
    else:  # an integer ≥ 1 within the solve cap, refused before any pass
        n_lambdas = check_count(n_lambdas, "n_lambdas", solved=True)
    scorer = resolve_glm_scorer(scoring, problem.loss)
    check_scorer_fits(problem, scorer)  # refused before any pass over the data
    summary = problem.source.target_summary(n_folds, progress=problem.progress)
    check_glm_target(problem.loss, summary, problem.source.target_name)
    passes = 1
    auto = lambdas is None
    if auto:
        lambdas = auto_glm_grid(problem, n_lambdas)
        passes += 1
    sel = kfold_glm(problem, lambdas, lambdas, scorer, n_folds=n_folds, summary=summary,
                    solver=solver, tol=tol, max_iter=max_iter, rule=rule, fixed_C=False,
                    warn_stacklevel=warn_stacklevel + 1 if warn_stacklevel else 0)
    return GLMCV(result=sel.result, lambdas=lambdas, auto_grid=auto, path=sel.path,
                 summary=summary, n_passes=passes + sel.path.n_passes)


def check_glm_target(loss, summary, target_name: str) -> None:
    """Refuse targets the loss cannot take, from a target summary (ValueError): see
    :func:`ridgeline.losses.domain.check_target_domain`."""
    check_target_domain(loss, float(summary.y_min), float(summary.sy.sum() / summary.sw.sum()),
                        who=loss.name.capitalize(), where=f"column {target_name!r}")
