"""K-fold cross-validation of sparse paths (lasso, elastic net, group lasso, L1 logistic).

Squared loss with the Gram engine follows DESIGN's central idea: one pass gives each held-out
fold's statistics ``G_k``, and training fold k solves on ``G - G_k``; the held-out predictions
of all λ are one product per fold. Every fold's path is certified (duality gap / KKT).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline.path.sparse_path import SparsePath, logistic_path, ls_path
from ridgeline.selection.kfold import _train_is_complement
from ridgeline.selection.result import RidgeCVResult, select_1se, select_min
from ridgeline.solvers.ls_problem import LSProblem
from ridgeline.solvers.prox_newton import LogisticL1Problem
from ridgeline.stats.moments import accumulate, fold_moments, reference_point


@dataclass
class SparseCV:
    """Per-fold held-out scores and certified paths.

    Attributes
    ----------
    lambdas : ndarray (L,)
    fold_scores : ndarray (K, L)
        Held-out score (greater is better; negated MSE for squared loss).
    paths : list of SparsePath
        One per fold.
    """

    lambdas: np.ndarray
    fold_scores: np.ndarray
    paths: list

    @property
    def fold_certificates(self) -> np.ndarray:
        return np.array([p.certificates for p in self.paths])

    @property
    def fold_converged(self) -> np.ndarray:
        return np.array([p.converged for p in self.paths])

    def result(self, alphas: np.ndarray, scoring: str, rule: str = "min") -> RidgeCVResult:
        """The CV curve as a :class:`RidgeCVResult` (dof = mean number of nonzeros)."""
        K = self.fold_scores.shape[0]
        mean = self.fold_scores.mean(axis=0)
        se = (self.fold_scores.std(axis=0, ddof=1) / np.sqrt(K) if K > 1
              else np.full(mean.shape, np.nan))
        i_min = int(select_min(mean))
        i_1se = i_min if np.isnan(se).all() else int(select_1se(self.lambdas, mean, se, i_min))
        dof = np.mean([p.n_nonzero for p in self.paths], axis=0)
        return RidgeCVResult(lambdas=self.lambdas, alphas=alphas, method="kfold",
                             scoring=scoring, fold_scores=self.fold_scores[:, :, None],
                             mean_score=mean, se=se, dof=dof, index_min=i_min, index_1se=i_1se,
                             lambda_min=float(self.lambdas[i_min]),
                             lambda_1se=float(self.lambdas[i_1se]), rule=rule,
                             per_target=False, train_mse=None, n_splits=K)


def _held_out_predictions(X, rows, path: SparsePath) -> np.ndarray:
    """(n_test, L) predictions of every λ of ``path`` on ``rows``."""
    return np.asarray(X[rows] @ path.coefs.T) + path.intercepts


def ls_cv(X, y: np.ndarray, s: np.ndarray, splits, penalty, lambdas: np.ndarray, *,
          fit_intercept: bool, tol: float, max_epochs: int, gram: bool,
          tikhonov=None) -> SparseCV:
    """Held-out weighted MSE of a squared-loss sparse path on each split.

    With ``gram`` the training problems come from fold statistics (one pass over X).
    """
    n = X.shape[0]
    train_problems = []
    if gram:
        Y = y[:, None]
        shift = reference_point(X, Y, s)
        tests = [np.asarray(te) for _, te in splits]
        total, held = fold_moments(X, Y, s, tests, shift=shift)
        for (tr, te), m in zip(splits, held, strict=True):
            if _train_is_complement(np.asarray(tr), np.asarray(te), n):
                train = total - m
            else:
                train = accumulate(X, Y, s, rows=np.asarray(tr), shift=shift)
            train_problems.append(LSProblem.from_moments(train, fit_intercept))
    else:
        for tr, _ in splits:
            h = np.zeros(n)
            h[tr] = s[tr]
            train_problems.append(LSProblem.from_data(X, y, h, fit_intercept, gram=False))
    scores, paths = np.empty((len(splits), lambdas.size)), []
    for k, ((_, te), problem) in enumerate(zip(splits, train_problems, strict=True)):
        path = ls_path(problem, penalty, lambdas, tol=tol, max_epochs=max_epochs,
                       tikhonov=tikhonov)
        pred = _held_out_predictions(X, te, path)
        w_te = s[te]
        scores[k] = -(w_te @ (y[te, None] - pred) ** 2) / w_te.sum()
        paths.append(path)
    return SparseCV(lambdas, scores, paths)


def logistic_cv(X, y01: np.ndarray, s: np.ndarray, splits, penalty, lambdas: np.ndarray, *,
                fit_intercept: bool, tol: float, max_iter: int, score) -> SparseCV:
    """Held-out scores of a binary logistic sparse path; ``score(test_rows, eta)`` → float."""
    scores, paths = np.empty((len(splits), lambdas.size)), []
    for k, (tr, te) in enumerate(splits):
        problem = LogisticL1Problem(X[tr], y01[tr], s[tr], fit_intercept)
        path = logistic_path(problem, penalty, lambdas, tol=tol, max_iter=max_iter)
        eta = _held_out_predictions(X, te, path)
        scores[k] = [score(te, eta[:, i]) for i in range(lambdas.size)]
        paths.append(path)
    return SparseCV(lambdas, scores, paths)
