"""Group lasso: ``GroupLasso`` and ``GroupLassoCV`` (block coordinate descent, certified).

Objective, in scikit-learn's style (``alpha`` as in ``Lasso``)::

    (1/2n_w) Σ_i s_i (y_i - x_iᵀw - b)²  +  alpha · Σ_g ω_g ‖w_g‖₂,      ω_g = √|g| by default

which is half the canonical ``(1/n_w) Σ s r² + λ Σ_g ω_g‖w_g‖`` with ``λ = 2·alpha``. Whole
groups are zero or not (Yuan & Lin 2006). Groups are given as an int (consecutive groups of
that size), a list of index lists, or one label per feature; they must partition the features.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import check_cv
from sklearn.utils.validation import column_or_1d

from ridgeline.estimators._base import LinearPredictMixin, SparseInputMixin, store_coef
from ridgeline.estimators._grid_budget import sparse_cv_grid
from ridgeline.estimators._sparse import (
    alpha_grid,
    check_alpha,
    check_cd_params,
    ls_problem,
    warn_alpha_edge,
    warn_not_certified,
)
from ridgeline.estimators._standardize import Standardization
from ridgeline.estimators._validation import check_weights, check_X_y
from ridgeline.path.sparse_path import ls_lambda_max, ls_path
from ridgeline.penalties import GroupPenalty
from ridgeline.selection.sparse_cv import ls_cv


class _GroupBase(SparseInputMixin, LinearPredictMixin, RegressorMixin, BaseEstimator):
    def _data(self, X, y, sample_weight):
        """Validated ``(X, y, s, penalty, std)``; X is scaled when ``standardize``."""
        check_cd_params(self.tol, self.max_iter)
        X, y = check_X_y(self, X, y)
        y = column_or_1d(y, warn=True).astype(np.float64)
        s = check_weights(sample_weight, X)
        groups = self.groups if self.groups is not None else 1
        penalty = GroupPenalty.make(groups, X.shape[1], self.group_weights)
        std = Standardization.plan(X, s, standardize=self.standardize,
                                   fit_intercept=self.fit_intercept, l1_only=False, gram=False)
        return X, y, s, penalty, std

    def _store(self, X, path, i, lam, std):
        coef = std.coef_out(path.coefs[i])
        store_coef(self, coef[:, None], path.intercepts[i:i + 1], True, X.dtype)
        self.dual_gap_ = float(path.certificates[i])
        self.n_iter_ = int(path.n_iter[i])
        self.lambda_ = float(lam)
        norms = np.array([np.linalg.norm(coef[g]) for g in self.groups_])
        self.group_norms_ = norms
        self.n_active_groups_ = int(np.count_nonzero(norms))


class GroupLasso(_GroupBase):
    """Linear regression with a group-lasso penalty.

    Parameters
    ----------
    alpha : float, default=1.0
        Strength (canonical ``lambda_ = 2·alpha``).
    groups : int, list of index arrays or array of labels, default=None
        The groups (None: every feature its own group, i.e. the lasso with weights 1).
    group_weights : array of shape (n_groups,), optional
        ``ω_g`` (default ``√|g|``; 0 leaves a group unpenalized).
    fit_intercept : bool, default=True
    max_iter : int, default=1000
        Maximum block sweeps.
    tol : float, default=1e-4
        Stop when the canonical duality gap is at most ``tol × var(y)`` (0: to the
        solver's rounding floor or ``max_iter``).
    warm_start : bool, default=False
        Start from the previous ``coef_``; one that already meets ``tol`` is kept as it is
        (``n_iter_ = 0``), as :class:`ridgeline.ElasticNet`.
    standardize : bool, default=False
        Penalize the groups of the standardized features ``x_j / σ_j`` (``σ_j`` the
        sample-weighted standard deviation; about zero without intercept; 1 for a constant
        column): ``Σ_g ω_g ‖(σ_j w_j)_{j∈g}‖₂``. Coefficients are reported on the original
        scale, as scaling X by hand, fitting and dividing by ``σ``. X is scaled in a copy
        (a sparse X keeps its sparsity pattern).

    Attributes
    ----------
    coef_ : ndarray (n_features,)
    intercept_ : float
    groups_ : list of int arrays
    group_norms_ : ndarray (n_groups,)
        ``‖w_g‖₂`` per group, on the original scale (0 for the groups removed).
    n_active_groups_ : int
    dual_gap_ : float
    n_iter_ : int
    lambda_ : float
    """

    def __init__(self, alpha=1.0, *, groups=None, group_weights=None, fit_intercept=True,
                 max_iter=1000, tol=1e-4, warm_start=False, standardize=False):
        self.alpha = alpha
        self.groups = groups
        self.group_weights = group_weights
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.standardize = standardize

    def fit(self, X, y, sample_weight=None):
        """Fit on X (n, p) dense or sparse and y (n,).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        alpha = check_alpha(self.alpha)
        X, y, s, penalty, std = self._data(X, y, sample_weight)
        self.groups_ = penalty.groups
        w0 = None
        coef = getattr(self, "coef_", None) if self.warm_start else None
        if coef is not None and np.shape(coef) == (X.shape[1],):
            w0 = std.coef_in(np.asarray(coef, dtype=np.float64))
        problem = ls_problem(std.data(X), y, s, self.fit_intercept, "auto", groups=True)
        lam = 2.0 * alpha
        path = ls_path(problem, penalty, np.array([lam]), tol=self.tol,
                       max_epochs=self.max_iter, w0=w0, polish=True, keep_w0=w0 is not None)
        warn_not_certified([path], "GroupLasso", self.tol)
        self._store(X, path, 0, lam, std)
        return self


class GroupLassoCV(_GroupBase):
    """Group lasso with alpha chosen by K-fold cross-validation (mean squared error).

    Parameters
    ----------
    groups, group_weights, fit_intercept, max_iter, tol, standardize :
        As :class:`GroupLasso` (with ``standardize`` every fold shares the full data's scale,
        as scaling X by hand before the CV).
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid (any ``eps > 0``).
    alphas : int or array-like, default=100
        Grid size (from the exact α_max down) or the grid itself.
    cv : int, splitter or iterable, default=None (5-fold)

    Attributes
    ----------
    alpha_, alphas_, mse_path_ (n_alphas, n_folds), selection_, fold_gaps_, fold_converged_,
    plus those of :class:`GroupLasso`.

    Warns
    -----
    GridEdgeWarning
        When the chosen alpha is the smallest of the grid, or the largest while below
        alpha_max (as :class:`ridgeline.LassoCV`).
    """

    def __init__(self, *, groups=None, group_weights=None, eps=1e-3, alphas=100,
                 fit_intercept=True, max_iter=1000, tol=1e-4, cv=None, standardize=False):
        self.groups = groups
        self.group_weights = group_weights
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.standardize = standardize

    def fit(self, X, y, sample_weight=None):
        """Choose alpha by K-fold CV, then refit on all data.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        X, y, s, penalty, std = self._data(X, y, sample_weight)
        self.groups_ = penalty.groups
        splits = list(check_cv(self.cv).split(X, y))
        sparse_cv_grid(self.alphas, 1, X.shape[0], X.shape[1], splits)
        Xf = std.data(X)
        problem = ls_problem(Xf, y, s, self.fit_intercept, "auto", groups=True)
        lam_max = ls_lambda_max(problem, penalty)
        self.alphas_ = alpha_grid(lam_max, self.alphas, self.eps, 2.0)
        lams = 2.0 * self.alphas_
        cv = ls_cv(Xf, y, s, splits, penalty, lams, fit_intercept=self.fit_intercept,
                   tol=self.tol, max_epochs=self.max_iter, gram=problem.gram)
        warn_not_certified(cv.paths, "GroupLassoCV", self.tol)
        self.mse_path_ = -cv.fold_scores.T
        i = int(np.argmin(self.mse_path_.mean(axis=1)))
        self.alpha_ = float(self.alphas_[i])
        self.selection_ = cv.result(self.alphas_, "neg_mean_squared_error")
        self.fold_gaps_ = cv.fold_certificates
        self.fold_converged_ = cv.fold_converged
        warn_alpha_edge(self.alphas_, i, lam_max / 2.0, dof=self.selection_.dof,
                        n_features=X.shape[1])
        path = ls_path(problem, penalty, lams[: i + 1], tol=self.tol, max_epochs=self.max_iter,
                       polish="last")
        warn_not_certified([path], "GroupLassoCV", self.tol)
        self._store(X, path, i, lams[i], std)
        return self
