"""Choosing λ of a GLM on a statistics source: the grid and K-fold CV, streamed.

:func:`stream_glm_cv` is what an estimator or the command line needs to pick λ of a GLM
(Poisson, binary logistic) on data it never holds: one pass for the target summary (and the
checks it allows), one pass for an automatic grid, then
:func:`~ridgeline.selection.stream_glm.stream_kfold_glm` (all K folds per pass). The objective
of every fold model is DESIGN.md's::

    f_k(w, b) = (1 / n_k) Σ_{i ∉ fold k} ℓ(y_i, x_iᵀw + b) + λ ‖w‖²

at the same canonical λ on every fold (the loss is a mean, so λ does not depend on n). The
full-data refit at the chosen λ is the caller's (e.g. ``PoissonRegressor(alpha=λ).fit(source)``).

The automatic grid is the in-memory one (:func:`ridgeline.path.auto_glm_grid`): log-spaced λ
spanning 5%–99% of the effective degrees of freedom ``Σ e_j / (e_j + 2λ)``, where ``e_j`` are
the eigenvalues of the centered loss Hessian at the null model (intercept only). That Hessian
is one :meth:`~ridgeline.stats.source.StatisticsSource.glm_pass` at the null model, so a
streamed fit gets the grid an in-memory fit of the same rows gets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ridgeline.path.glm_path import grid_from_curvature
from ridgeline.selection.glm_scoring import resolve_glm_scorer
from ridgeline.selection.result import RidgeCVResult
from ridgeline.selection.stream_glm import (
    StreamGLMSelection,
    choose_source_solver,
    null_start,
    stream_kfold_glm,
)
from ridgeline.stats.source import TargetSummary


@dataclass
class StreamGLMCV:
    """K-fold choice of λ for a GLM on a statistics source (no refit).

    Attributes
    ----------
    result : RidgeCVResult
        The CV curve over ``lambdas``; ``result.lambda_`` is the chosen λ.
    lambdas : ndarray (L,)
        The canonical grid, strongest penalty first.
    auto_grid : bool
        Whether ``lambdas`` is the automatic grid (:func:`stream_glm_grid`).
    selection : StreamGLMSelection
        Per-λ, per-fold solutions and the passes the CV took.
    summary : TargetSummary
        Rows, target sums per fold and the target's range.
    n_passes : int
        Passes over the source: the summary, the grid's (if automatic) and the CV's.
    """

    result: RidgeCVResult
    lambdas: np.ndarray
    auto_grid: bool
    selection: StreamGLMSelection
    summary: TargetSummary
    n_passes: int

    @property
    def lambda_(self) -> float:
        """The chosen canonical λ."""
        return float(self.result.lambda_)

    @property
    def fold_mean(self) -> tuple[np.ndarray, float]:
        """Mean of the K fold solutions at the chosen λ, ``(coef (p,), intercept)``.

        A starting point for the full-data refit.
        """
        i = int(self.result.index_)
        return self.selection.coef[i].mean(axis=0), float(self.selection.intercept[i].mean())


def check_glm_target(loss, summary, target_name: str) -> None:
    """Refuse targets the loss cannot take, from a target summary (ValueError).

    Poisson: counts must be non-negative and not all zero.
    """
    if loss.name != "poisson":
        return
    if summary.y_min < 0:
        raise ValueError(f"Poisson targets must be non-negative counts; column "
                         f"{target_name!r} has values down to {summary.y_min:g}")
    if not summary.sy.sum() > 0:
        raise ValueError(f"Poisson targets are all zero in column {target_name!r}: the mean "
                         "count must be positive for a log-link model")


def stream_glm_grid(source, loss, summary, n_folds: int, n_lambdas: int = 20, *,
                    fit_intercept: bool = True,
                    progress: Callable[[int], None] | None = None) -> np.ndarray:
    """The automatic λ grid of :func:`ridgeline.path.auto_glm_grid`, in one pass over a source.

    The pass evaluates the full-data null model (``w = 0``, ``b`` the best constant from
    ``summary``) and returns its Hessian sums; with ``H_ww``, ``h_wb``, ``h_bb`` those sums
    over n rows, the centered curvature is ``S = (H_ww − h_wb h_wbᵀ / h_bb) / n``.

    Parameters
    ----------
    source : StatisticsSource
    loss : PoissonLoss or BinomialLoss (scalar η)
    summary : TargetSummary
        From ``source.target_summary(n_folds)``.
    n_folds : int
        K of the source's fold rule (the pass uses every row).
    n_lambdas : int
    fit_intercept : bool
    progress : callable, optional
        Called with the rows read.

    Returns
    -------
    ndarray (n_lambdas,)
        Canonical λ, strongest first.
    """
    full = np.array([-1])
    W0, b0 = null_start(loss, summary, full, source.n_features, fit_intercept)
    r = source.glm_pass(loss, W0, b0, full, n_folds, hessian=True, progress=progress)
    sw = float(r.sw[0])
    S = r.hess_ww[0] / sw
    if fit_intercept and r.hess_bb[0] > 0:
        S = S - np.outer(r.hess_wb[0], r.hess_wb[0]) / (float(r.hess_bb[0]) * sw)
    return grid_from_curvature(S, n_lambdas)


def stream_logistic_grid(source, summary: TargetSummary, n_folds: int, classes: np.ndarray,
                         n_lambdas: int = 20, *, fit_intercept: bool = True,
                         progress: Callable[[int], None] | None = None) -> np.ndarray:
    """The automatic λ grid of an in-memory ``LogisticRegressionCV(Cs="auto")`` (binary or
    multinomial), in one pass over a source.

    In memory (:func:`ridgeline.path.auto_glm_grid`) the null model's curvature is the Gram
    weighted by ``h = mean_c π_c (1 − π_c)`` (``π(1 − π)`` for two classes). At the null
    model π is the same on every row — the weighted class frequencies f with an intercept,
    1/C without — so ``S = h · G`` with G the weighted mean Gram of X (centered with an
    intercept). Two classes: G is one moments pass (``fold_moments``, a p×p Gram) and f comes
    from ``summary``. More: one softmax pass at ``W = 0, b = 0`` (π = 1/C), whose off-diagonal
    Hessian blocks are ``−Σ s_i x̃_i x̃_iᵀ / C²`` (x̃ = [x, 1]) and whose intercept gradient
    ``Σ s_i (1/C − y_ic)`` gives the class totals.

    Parameters
    ----------
    source : StatisticsSource (with ``multinomial_pass`` for more than two classes)
    summary : TargetSummary
        Of the same source (weighted totals of the target).
    n_folds : int
        K of the source's fold rule (the pass uses every row).
    classes : ndarray (C,)
        Sorted class labels of the target (C ≥ 2).
    n_lambdas : int
    fit_intercept : bool
    progress : callable, optional

    Returns
    -------
    ndarray (n_lambdas,)
        Canonical λ, strongest first.
    """
    C, p = classes.size, source.n_features
    if C == 2:
        m = source.fold_moments(1, progress=progress).total
        sw = float(m.sw)
        if not sw > 0:
            raise ValueError("the source has no rows with positive weight")
        lo, hi = float(classes[0]), float(classes[1])
        f = (float(summary.sy.sum()) / float(summary.sw.sum()) - lo) / (hi - lo)
        h = f * (1.0 - f) if fit_intercept else 0.25
        S = m.centered(fit_intercept).G / sw
        return grid_from_curvature(h * S, n_lambdas)
    run = getattr(source, "multinomial_pass", None)
    if run is None:
        raise TypeError(f"{type(source).__name__} has no multinomial_pass: the automatic "
                        "grid of a multinomial model needs a file, array or Dask source")
    r = run(np.zeros((1, p, C)), np.zeros((1, C)), np.array([-1]), n_folds, classes=classes,
            hessian=True, progress=progress)
    G = -float(C * C) * r.hess[0, 0, 1]  # Σ s x̃ x̃ᵀ, (p + 1) square
    sw = float(G[p, p])
    if not sw > 0:
        raise ValueError("the source has no rows with positive weight")
    if fit_intercept:
        f = (sw / C - r.grad[0, p]) / sw  # weighted class frequencies
        h = float(np.mean(f * (1.0 - f)))
        S = (G[:p, :p] - np.outer(G[:p, p], G[:p, p]) / sw) / sw
    else:
        h = (1.0 / C) * (1.0 - 1.0 / C)
        S = G[:p, :p] / sw
    return grid_from_curvature(h * S, n_lambdas)


def stream_glm_cv(source, loss, n_folds: int, *, lambdas=None, n_lambdas: int = 20,
                  scoring=None, rule: str = "min", fit_intercept: bool = True,
                  tol: float = 1e-8, max_iter: int = 100, warn_stacklevel: int = 0,
                  progress: Callable[[int], None] | None = None) -> StreamGLMCV:
    """Choose the canonical λ of a GLM on a source by K-fold CV over a grid.

    Parameters
    ----------
    source : StatisticsSource
        Rows of (X, y); folds come from its fold rule (hashed row positions by default).
    loss : PoissonLoss or BinomialLoss (scalar η; binary targets 0/1 or ``loss.encode``)
    n_folds : int
        K ≥ 2.
    lambdas : array-like, optional
        Canonical λ values (≥ 0, any order; used strongest first). Default: the automatic
        grid of ``n_lambdas`` values (:func:`stream_glm_grid`, one more pass).
    n_lambdas : int, default=20
    scoring : str, optional
        A per-sample scorer (:func:`~ridgeline.selection.stream_glm.stream_kfold_glm`);
        default mean Poisson deviance (Poisson) or accuracy (binary).
    rule : {"min", "1se"}
    fit_intercept : bool
    tol, max_iter : stopping rule of each fold's Newton solve.
    warn_stacklevel : int
        Stack level of a :class:`~ridgeline.selection.GridEdgeWarning` (0: none raised).
    progress : callable, optional
        Called with the rows read by every pass.

    Returns
    -------
    StreamGLMCV

    Raises
    ------
    ValueError
        Bad targets for the loss (negative or all-zero counts), a bad grid, too few rows for
        ``n_folds``, or a scorer that needs held-out predictions.
    """
    if rule not in ("min", "1se"):
        raise ValueError(f"rule must be 'min' or '1se', got {rule!r}")
    if lambdas is not None:
        lambdas = np.asarray(lambdas, dtype=np.float64).ravel()
        if lambdas.size == 0 or not np.all(np.isfinite(lambdas)) or np.any(lambdas < 0):
            raise ValueError("the λ grid must be non-empty, finite and non-negative")
        lambdas = np.sort(lambdas)[::-1].copy()  # strong to weak: the warm-start order
    elif n_lambdas < 1:
        raise ValueError(f"n_lambdas must be at least 1, got {n_lambdas}")
    scorer = resolve_glm_scorer(scoring, loss)
    if scorer.per_sample is None:  # refused before any pass over the data
        raise ValueError(f"scoring={scorer.name!r} needs held-out predictions, which a "
                         "streamed fit does not keep: use 'neg_mean_poisson_deviance' "
                         "(Poisson), 'neg_log_loss' or 'accuracy' (logistic)")
    solver = choose_source_solver(source, "auto")  # L-BFGS for large p
    summary = source.target_summary(n_folds, progress=progress, columns=solver == "lbfgs")
    check_glm_target(loss, summary, source.target_name)
    passes = 1
    auto = lambdas is None
    if auto:
        lambdas = stream_glm_grid(source, loss, summary, n_folds, n_lambdas,
                                  fit_intercept=fit_intercept, progress=progress)
        passes += 1
    sel = stream_kfold_glm(source, loss, summary, n_folds, lambdas, lambdas, scorer,
                           fit_intercept=fit_intercept, tol=tol, max_iter=max_iter, rule=rule,
                           fixed_C=False, warn_stacklevel=warn_stacklevel, progress=progress,
                           solver=solver,
                           feature_scale=summary.feature_scale() if solver == "lbfgs" else None)
    return StreamGLMCV(result=sel.result, lambdas=lambdas, auto_grid=auto, selection=sel,
                       summary=summary, n_passes=passes + sel.n_passes)


__all__ = ["StreamGLMCV", "check_glm_target", "stream_glm_cv",
           "stream_glm_grid"]
