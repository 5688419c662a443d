"""Choosing λ for GLMs by K-fold cross-validation: scores of a fold path, and the choice.

The K training sets are the members of one path (:func:`ridgeline.path.glm_path`), solved
together along the λ grid from strong to weak regularization so each pass over the data
serves every fold — on an in-memory array (with any scikit-learn splitter's splits), files or
a Dask collection alike. This module only scores and chooses:

- per-sample scorers (accuracy, log loss, Poisson deviance) from the held-out sums that every
  pass returns with each fold model (no rows needed: files and Dask too);
- any other scikit-learn scorer from held-out linear predictors, one product per fold — on
  in-memory arrays only (:func:`held_out_predictors`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline.path.glm_path import GLMPath, glm_path
from ridgeline.selection.glm_scoring import GLMScorer
from ridgeline.selection.result import RidgeCVResult, edge_sides, select_1se, select_min, warn_edges
from ridgeline.solvers.problem import GLMProblem
from ridgeline.stats.array_source import ArraySource
from ridgeline.stats.members import member_roles


@dataclass
class GLMSelection:
    """What λ selection for a GLM produced.

    Attributes
    ----------
    result : RidgeCVResult
        The CV curve, standard errors, λ_min / λ_1se (``method`` is ``"kfold"`` or ``"alo"``).
    path : GLMPath
        K-fold: the per-fold paths (batch axis = fold). ALO: the full-data path (batch of 1),
        so the fit at the chosen λ needs no refit.
    """

    result: RidgeCVResult
    path: GLMPath


def finish(lambdas, alphas, method, scorer, fold_scores, mean, se, dof, rule, n_splits,
           warn_stacklevel) -> RidgeCVResult:
    """The CV result of a curve (mean score and its SE per λ) under ``rule``; warns
    (GridEdgeWarning, at ``warn_stacklevel`` when non-zero) when the choice is on an edge."""
    idx_min = int(select_min(mean))
    idx_1se = idx_min if np.isnan(se).all() else int(select_1se(lambdas, mean, se, idx_min))
    res = RidgeCVResult(lambdas=lambdas, alphas=alphas, method=method, scoring=scorer.name,
                        fold_scores=fold_scores, mean_score=mean, se=se, dof=dof,
                        index_min=idx_min, index_1se=idx_1se,
                        lambda_min=float(lambdas[idx_min]), lambda_1se=float(lambdas[idx_1se]),
                        rule=rule, per_target=False, train_mse=None, n_splits=n_splits)
    if warn_stacklevel:
        # a grid of C = 1/(2 n λ) runs against λ; an alpha grid (alpha = λ) runs with it
        inverse = lambdas.size > 1 and bool(np.all(np.diff(alphas) * np.diff(lambdas) < 0))
        warn_edges(edge_sides(lambdas, np.array([res.index_])), dof=dof, lambdas=lambdas,
                   stacklevel=warn_stacklevel + 1,
                   remedy="widen the grid past that edge" + (
                       " (a grid of C = 1/(2 n λ) runs the other way: smaller Cs give a "
                       "larger λ)" if inverse else ""))
    return res


def check_scorer_fits(problem: GLMProblem, scorer: GLMScorer) -> None:
    """Refuse, before any pass, a scorer that needs held-out predictions on a source that
    keeps no rows (files, Dask)."""
    if scorer.per_sample is None and not isinstance(problem.source, ArraySource):
        raise ValueError(f"scoring={scorer.name!r} needs held-out predictions, which a "
                         "streamed fit does not keep: use 'neg_mean_poisson_deviance' "
                         "(Poisson), 'neg_log_loss' or 'accuracy' (logistic)")


def kfold_glm(problem: GLMProblem, lambdas, alphas, scorer: GLMScorer, *,
              n_folds: int | None = None, splits=None, summary=None, labels=None,
              classes=None, solver: str = "auto", tol: float = 1e-8, max_iter: int = 100,
              rule: str = "min", fixed_C: bool = True,
              warn_stacklevel: int = 0) -> GLMSelection:
    """K-fold CV scores of every λ along one warm-started path of all the folds.

    Parameters
    ----------
    problem : GLMProblem
        Its source holds the folds: the fold rule of files and Dask, or an array's splits
        (``GLMProblem.from_arrays(..., splits=...)``).
    lambdas, alphas : ndarray (L,)
        Canonical grid on the full data and the same grid in the estimator's parameter (C).
    scorer : GLMScorer
    n_folds : int, optional
        K (the number of folds of the source's rule, or of its splits).
    splits : list of (train, test), optional
        For an in-memory problem: the splits to use (``n_folds`` is then their number).
    summary : TargetSummary, optional
        The source's target summary for ``n_folds`` (taken when not given).
    labels : ndarray (n,), optional
        Original class labels, for scikit-learn scorers (in-memory only).
    classes : ndarray, optional
        The estimator's classes, for scikit-learn scorers.
    fixed_C : bool
        True (scikit-learn's convention): fold k is fit at the same C, i.e. at
        ``λ·n_w/n_w,train,k``; False: at the same canonical λ (which does not depend on n).
    """
    check_scorer_fits(problem, scorer)
    if splits is not None:
        splits = list(splits)
        problem, n_folds = problem.with_splits(splits), len(splits)
    lambdas = np.asarray(lambdas, dtype=np.float64)
    K = int(n_folds)
    folds = np.arange(K)
    if summary is None:
        summary = problem.source.target_summary(K, progress=problem.progress)
    train_sw = problem.train_weights(summary, folds, K)
    if np.any(train_sw <= 0):
        raise ValueError(f"a fold has no training rows: too few rows for {K} folds")
    _, test = member_roles(problem.source, folds, K)
    if np.any(test.astype(np.float64) @ summary.sw <= 0):
        raise ValueError(f"a fold has no rows: too few rows for {K} folds")
    scale = float(np.sum(summary.sw)) / train_sw if fixed_C else None
    path = glm_path(problem, lambdas, held_out=folds, n_folds=K, lambda_scale=scale,
                    solver=solver, tol=tol, max_iter=max_iter, summary=summary)
    if scorer.per_sample is not None:
        scores = held_out_scores(path, scorer).T  # (K, L)
    else:
        scores = _predicted_scores(problem, path, scorer, labels, classes)
    L = lambdas.size
    mean = scores.mean(axis=0)
    se = scores.std(axis=0, ddof=1) / np.sqrt(K) if K > 1 else np.full(L, np.nan)
    res = finish(lambdas, alphas, "kfold", scorer, scores[:, :, None], mean, se,
                 np.full(L, np.nan), rule, K, warn_stacklevel)
    return GLMSelection(result=res, path=path)


def held_out_scores(path: GLMPath, scorer: GLMScorer) -> np.ndarray:
    """Each fold model's held-out score (L, K) from the path's held-out sums: accuracy, or the
    negated mean loss (log loss, Poisson deviance)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if scorer.name == "accuracy":
            return path.held_correct / path.held_sw
        return -path.held_loss / path.held_sw


def _predicted_scores(problem: GLMProblem, path: GLMPath, scorer: GLMScorer, labels,
                      classes) -> np.ndarray:
    """Fold scores (K, L) of a scikit-learn scorer on the held-out linear predictors."""
    src = problem.source
    K, L = path.coef.shape[1], path.coef.shape[0]
    y = target_matrix(problem, src.y)
    s = np.ones(src.y.size) if src.s is None else src.s
    labels = src.y if labels is None else labels
    scores = np.zeros((K, L))
    for k, (rows, E) in enumerate(held_out_predictors(problem, path)):
        for i in range(L):
            scores[k, i] = scorer.score(y[rows], labels[rows], E[:, i], s[rows],
                                        problem.loss, classes)
    return scores


def held_out_predictors(problem: GLMProblem, path: GLMPath):
    """For each fold k of an in-memory source: ``(test rows (n_k,), η (n_k, L, m))`` of its
    models along the path."""
    src = problem.source
    K = path.coef.shape[1]
    _, test = member_roles(src, np.arange(K), K)
    ids = src.fold_ids(K)
    offset = getattr(src, "offset", None)
    for k in range(K):
        rows = np.flatnonzero(test[k][ids])
        eta = linear_predictors(src.X[rows], path.coef[:, k], path.intercept[:, k])
        yield rows, eta if offset is None else eta + offset[rows, None, None]


def linear_predictors(X, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """η for every λ: coef (L, p, m), intercept (L, m) → (n, L, m) (X dense or sparse)."""
    L, p, m = coef.shape
    E = np.asarray(X @ coef.transpose(1, 0, 2).reshape(p, L * m)).reshape(-1, L, m)
    return E + intercept


def target_matrix(problem: GLMProblem, y: np.ndarray) -> np.ndarray:
    """In-memory targets as the scorers take them: one-hot (n, C) for the softmax, else y."""
    if problem.multi:
        return np.eye(problem.n_outputs)[np.asarray(y, dtype=np.int64)]
    return y
