"""K-fold cross-validation of sparse paths (lasso, elastic net, group lasso, L1 logistic).

Squared loss with the Gram engine follows DESIGN's central idea: one pass gives each held-out
fold's statistics ``G_k``, and training fold k solves on ``G - G_k``; the held-out predictions
of all λ are one product per fold. Every fold's path is certified (duality gap / KKT).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline.path.glm_sparse_path import multinomial_path
from ridgeline.path.sparse_path import SparsePath, logistic_path, ls_path
from ridgeline.selection.kfold import _train_is_complement
from ridgeline.selection.result import RidgeCVResult, select_1se, select_min
from ridgeline.solvers.ls_problem import LSProblem
from ridgeline.solvers.prox_newton import LogisticL1Problem
from ridgeline.solvers.prox_newton_multinomial import MultinomialL1Problem
from ridgeline.stats.moments import Moments, accumulate, fold_moments, reference_point


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


#: below this fraction of the magnitude of its terms, a held-out SSE computed from fold
#: statistics has lost too many digits to cancellation and is recomputed from the rows
_CANCELLATION = 1e-7


def held_out_sse(m: Moments, coefs: np.ndarray, intercepts: np.ndarray) -> np.ndarray:
    """Weighted held-out SSE of every λ from the held-out rows' statistics ``m`` alone.

    With ``x̃ = x - shift_x``, ``ỹ = y - shift_y`` and ``b̃ = b + shift_xᵀw - shift_y``::

        Σ s (ỹ - x̃ᵀw - b̃)² = yy - 2wᵀC + wᵀGw - 2b̃(sy - wᵀsx) + b̃²·sw

    Entries that lost more than ``-log10(1e-7)`` digits to cancellation are NaN (the caller
    recomputes them from the rows).

    Parameters
    ----------
    m : Moments
        Statistics of the held-out rows (one target).
    coefs : ndarray (L, p)
    intercepts : ndarray (L,)

    Returns
    -------
    ndarray (L,)
    """
    W = coefs
    bt = intercepts + W @ m.shift_x - m.shift_y[0]
    wGw = np.einsum("lp,lp->l", W @ m.G, W)
    sse = (m.yy[0] - 2.0 * (W @ m.C[:, 0]) + wGw - 2.0 * bt * (m.sy[0] - W @ m.sx)
           + bt * bt * m.sw)
    scale = m.yy[0] + wGw + bt * bt * m.sw
    return np.where(sse >= _CANCELLATION * scale, sse, np.nan)


@dataclass
class LSFolds:
    """The training problems of every split, built once and shared by every penalty.

    Attributes
    ----------
    train : list of LSProblem
        One per split.
    held : list of Moments or None
        Statistics of each held-out set (Gram engine only): held-out errors come from them.
    total : Moments or None
        Statistics of all rows when the held-out sets partition them (Gram engine only).
    """

    train: list
    held: list | None
    total: Moments | None

    def full_problem(self, fit_intercept: bool) -> LSProblem | None:
        """The all-rows problem from the fold statistics (no extra pass), if at hand."""
        return None if self.total is None else LSProblem.from_moments(self.total, fit_intercept)


def _partitions(test_sets: list[np.ndarray], n: int) -> bool:
    counts = np.zeros(n, dtype=np.int64)
    for t in test_sets:
        np.add.at(counts, t, 1)
    return bool(np.all(counts == 1))


def ls_folds(X, y: np.ndarray, s: np.ndarray, splits, *, fit_intercept: bool,
             gram: bool) -> LSFolds:
    """Training problems of every split; with ``gram``, from one pass over X (fold statistics)."""
    n = X.shape[0]
    if not gram:
        train = []
        for tr, _ in splits:
            h = np.zeros(n)
            h[tr] = s[tr]
            train.append(LSProblem.from_data(X, y, h, fit_intercept, gram=False))
        return LSFolds(train, None, None)
    Y = y[:, None]
    shift = reference_point(X, Y, s)
    tests = [np.asarray(te) for _, te in splits]
    total, held = fold_moments(X, Y, s, tests, shift=shift)
    train = []
    for (tr, te), m in zip(splits, held, strict=True):
        if _train_is_complement(np.asarray(tr), np.asarray(te), n):
            part = total - m
        else:
            part = accumulate(X, Y, s, rows=np.asarray(tr), shift=shift)
        train.append(LSProblem.from_moments(part, fit_intercept))
    return LSFolds(train, held, total if _partitions(tests, n) else None)


def ls_cv(X, y: np.ndarray, s: np.ndarray, splits, penalty, lambdas: np.ndarray, *,
          fit_intercept: bool, tol: float, max_epochs: int, gram: bool,
          tikhonov=None, folds: LSFolds | None = None, polish: bool = True) -> SparseCV:
    """Held-out weighted MSE of a squared-loss sparse path on each split.

    With ``gram`` the training problems come from fold statistics (one pass over X) and the
    held-out errors from the held-out statistics (no pass at all), except where cancellation
    would cost digits. Pass ``folds`` (from :func:`ls_folds`) to share them across penalties.
    ``polish`` (default) solves every fold's path to the rounding floor, so the CV curve is
    the exact one whatever ``tol``: at a loose tol two neighbouring λ can swap places (on
    80 × 1,500 data, tol=1e-4 picks another α than the exact curve, for scikit-learn too).
    """
    if folds is None:
        folds = ls_folds(X, y, s, splits, fit_intercept=fit_intercept, gram=gram)
    scores, paths = np.empty((len(splits), lambdas.size)), []
    for k, ((_, te), problem) in enumerate(zip(splits, folds.train, strict=True)):
        path = ls_path(problem, penalty, lambdas, tol=tol, max_epochs=max_epochs,
                       tikhonov=tikhonov, polish=polish)
        w_te = s[te]
        sse = (held_out_sse(folds.held[k], path.coefs, path.intercepts)
               if folds.held is not None else np.full(lambdas.size, np.nan))
        lost = np.isnan(sse)
        if lost.any():
            pred = np.asarray(X[te] @ path.coefs[lost].T) + path.intercepts[lost]
            sse[lost] = w_te @ (y[te, None] - pred) ** 2
        scores[k] = -sse / w_te.sum()
        paths.append(path)
    return SparseCV(lambdas, scores, paths)


def logistic_cv(X, y01: np.ndarray, s: np.ndarray, splits, penalty, lambdas: np.ndarray, *,
                fit_intercept: bool, tol: float, max_iter: int, score, n_classes: int = 2,
                grouped: bool = False, same_C: bool = False, polish: bool = True) -> SparseCV:
    """Held-out scores of a logistic sparse path; ``score(test_rows, eta)`` → float.

    Two classes (``y01`` in {0, 1}): the binary path, ``eta`` (n_test,). More (``y01`` the
    class codes): the multinomial path (``grouped``: one group per feature), ``eta``
    (n_test, n_classes); the paths are :class:`~ridgeline.path.glm_sparse_path.MultinomialPath`.
    ``same_C`` (scikit-learn's convention): training fold k solves at
    ``λ·n_w/n_w,train,k`` — the same ``C`` — rather than at the same canonical λ; the result
    keeps the full-data grid ``lambdas``. ``polish`` (default) takes every solution one Newton
    step past the tolerance (see :func:`~ridgeline.path.sparse_path.logistic_path`), so that
    the CV curve hardly depends on ``tol`` or on the warm starts.
    """
    scores, paths = np.empty((len(splits), lambdas.size)), []
    n_w = float(s.sum())
    for k, (tr, te) in enumerate(splits):
        lams = lambdas * (n_w / float(s[tr].sum())) if same_C else lambdas
        if n_classes > 2:
            problem = MultinomialL1Problem(X[tr], y01[tr], s[tr], fit_intercept, n_classes)
            path = multinomial_path(problem, penalty, lams, grouped=grouped, tol=tol,
                                    max_iter=max_iter, polish=polish)
            Xte = X[te]
            scores[k] = [score(te, np.asarray(Xte @ path.coefs[i]) + path.intercepts[i])
                         for i in range(lambdas.size)]
        else:
            problem = LogisticL1Problem(X[tr], y01[tr], s[tr], fit_intercept)
            path = logistic_path(problem, penalty, lams, tol=tol, max_iter=max_iter,
                                 polish=polish)
            eta = _held_out_predictions(X, te, path)
            scores[k] = [score(te, eta[:, i]) for i in range(lambdas.size)]
        paths.append(path)
    return SparseCV(lambdas, scores, paths)
