"""Cross-validated lasso and elastic net: ``LassoCV``, ``ElasticNetCV``.

For each ``l1_ratio`` a grid of ``alphas`` (default: 100 from α_max down to ``eps·α_max``, as
scikit-learn) is solved on every training fold by warm-started, certified coordinate descent.
With n ≥ p the folds are solved from fold statistics (one pass over X, DESIGN's central idea).
The (l1_ratio, alpha) with the best mean held-out MSE is refit on all data; a choice on the
small-alpha edge of the grid warns (:class:`~ridgeline.selection.GridEdgeWarning`).
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import check_cv
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping, process_routing
from sklearn.utils.validation import column_or_1d

from ridgeline.estimators._base import LinearPredictMixin, SparseInputMixin, store_coef
from ridgeline.estimators._grid_budget import sparse_cv_grid
from ridgeline.estimators._sparse import (
    alpha_grid,
    check_cd_params,
    check_finite_fit,
    check_precompute,
    enet_penalty,
    ls_problem,
    warn_alpha_edge,
    warn_not_certified,
)
from ridgeline.estimators._standardize import Standardization
from ridgeline.estimators._validation import check_weights, check_X_y
from ridgeline.path.sparse_path import ls_lambda_max, ls_path
from ridgeline.selection.sparse_cv import ls_cv, ls_folds
from ridgeline.solvers.ls_problem import use_gram


class _EnetCVBase(SparseInputMixin, LinearPredictMixin, RegressorMixin, BaseEstimator):
    """Shared fit of :class:`LassoCV` and :class:`ElasticNetCV`."""

    def _l1_ratios(self) -> np.ndarray:
        raise NotImplementedError

    def fit(self, X, y, sample_weight=None, **params):
        """Choose (l1_ratio, alpha) by K-fold CV on X (n, p) and y (n,), then refit.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
        **params
            Parameters for the CV splitter's ``split`` (e.g. ``groups=`` for
            ``GroupKFold``), routed as scikit-learn routes them: only with
            ``sklearn.set_config(enable_metadata_routing=True)``; without it any such
            parameter raises ``ValueError`` rather than being dropped.

        Returns
        -------
        self
        """
        check_cd_params(self.tol, self.max_iter)
        precompute = check_precompute(self.precompute)
        X, y = check_X_y(self, X, y)
        y = column_or_1d(y, warn=True).astype(np.float64)
        s = check_weights(sample_weight, X)
        ratios = self._l1_ratios()
        splits = cv_splits(self, X, y, sample_weight, params)
        sparse_cv_grid(self.alphas, ratios.size, X.shape[0], X.shape[1], splits)
        gram = use_gram(X, X.shape[0], False, False, precompute)
        std = Standardization.plan(X, s, standardize=self.standardize,
                                   fit_intercept=self.fit_intercept,
                                   l1_only=bool(np.all(ratios == 1.0)))
        Xf = std.data(X)
        folds = ls_folds(Xf, y, s, splits, fit_intercept=self.fit_intercept, gram=gram)
        problem = folds.full_problem(self.fit_intercept)  # all rows: λ_max and the refit
        if problem is None:
            problem = ls_problem(Xf, y, s, self.fit_intercept, precompute)
        grids, tops, mse, cvs = self._cv_ratios(Xf, y, s, splits, ratios, std, folds, problem)
        mean = np.array([m.mean(axis=1) for m in mse])  # (R, L)
        r, i = np.unravel_index(int(np.argmin(mean)), mean.shape)
        self.l1_ratio_ = float(ratios[r])
        self.alpha_ = float(grids[r][i])
        # scikit-learn's shapes: a given grid serves every l1_ratio, so it is stored once
        counted = isinstance(self.alphas, numbers.Integral)
        self.alphas_ = np.array(grids) if counted and len(grids) > 1 else grids[0]
        self.mse_path_ = np.squeeze(np.array(mse))  # (R, L, K) without its length-1 axes
        self.selection_ = cvs[r].result(grids[r], "neg_mean_squared_error")
        self.fold_gaps_ = cvs[r].fold_certificates
        self.fold_converged_ = cvs[r].fold_converged
        warn_alpha_edge(grids[r], int(i), tops[r], dof=self.selection_.dof,
                        n_features=X.shape[1])
        self._refit(X, problem, grids[r][: i + 1] * (1.0 + self.l1_ratio_), std)
        return self

    def get_metadata_routing(self):
        """scikit-learn's metadata routing: ``fit``'s extra parameters go to the CV
        splitter's ``split``.

        Returns
        -------
        sklearn.utils.metadata_routing.MetadataRouter
        """
        return (MetadataRouter(owner=self).add_self_request(self)
                .add(splitter=check_cv(self.cv),
                     method_mapping=MethodMapping().add(caller="fit", callee="split")))

    def _cv_ratios(self, Xf, y, s, splits, ratios, std, folds, problem):
        """Per l1_ratio: the alpha grid (descending), alpha_max, the (L, K) held-out MSE and
        the :class:`~ridgeline.selection.sparse_cv.SparseCV`."""
        grids, tops, mse, cvs = [], [], [], []
        for rho in ratios:
            pen = enet_penalty(rho, Xf.shape[1], self.penalty_factor, self.positive, std)
            lam_max = ls_lambda_max(problem, pen)
            alphas = alpha_grid(lam_max, self.alphas, self.eps, 1.0 + rho)
            cv = ls_cv(Xf, y, s, splits, pen, alphas * (1.0 + rho),
                       fit_intercept=self.fit_intercept, tol=self.tol,
                       max_epochs=self.max_iter, gram=folds.held is not None, folds=folds)
            warn_not_certified(cv.paths, type(self).__name__, self.tol, stacklevel=4)
            grids.append(alphas)
            tops.append(lam_max / (1.0 + rho))
            mse.append(-cv.fold_scores.T)  # (L, K)
            cvs.append(cv)
        return grids, tops, mse, cvs

    def _refit(self, X, problem, lams, std):
        pen = enet_penalty(self.l1_ratio_, X.shape[1], self.penalty_factor, self.positive, std)
        path = ls_path(problem, pen, lams, tol=self.tol, max_epochs=self.max_iter,
                       polish="last")
        warn_not_certified([path], type(self).__name__, self.tol)
        store_coef(self, std.coef_out(path.coefs[-1])[:, None], path.intercepts[-1:], True,
                   X.dtype)
        check_finite_fit(self)
        self.dual_gap_ = float(path.certificates[-1])
        self.n_iter_ = int(path.n_iter[-1])
        self.lambda_ = float(lams[-1])
        self.mix_ = pen.mix


def cv_splits(est, X, y, sample_weight, params: dict) -> list:
    """The (train, test) splits of ``est.cv``, given the splitter's routed ``params``.

    As scikit-learn: extra ``fit`` parameters are routed to the splitter only while metadata
    routing is enabled; otherwise they raise rather than being silently dropped.
    """
    cv = check_cv(est.cv)
    if not get_config().get("enable_metadata_routing", False):
        if params:
            raise ValueError(
                f"{type(est).__name__}.fit got {', '.join(sorted(params))}: passing extra "
                "keyword arguments (for the CV splitter) to fit is only supported if "
                "enable_metadata_routing=True (sklearn.set_config(enable_metadata_routing="
                "True)); or pass the splits themselves as cv=")
        return list(cv.split(X, y))
    routed = process_routing(est, "fit", sample_weight=sample_weight, **params)
    return list(cv.split(X, y, **routed.splitter.split))


def _common_init(est, *, eps, alphas, fit_intercept, precompute, max_iter, tol, cv, copy_X,
                 verbose, n_jobs, positive, random_state, selection, penalty_factor,
                 standardize):
    est.eps = eps
    est.alphas = alphas
    est.fit_intercept = fit_intercept
    est.precompute = precompute
    est.max_iter = max_iter
    est.tol = tol
    est.cv = cv
    est.copy_X = copy_X
    est.verbose = verbose
    est.n_jobs = n_jobs
    est.positive = positive
    est.random_state = random_state
    est.selection = selection
    est.penalty_factor = penalty_factor
    est.standardize = standardize


class ElasticNetCV(_EnetCVBase):
    """Elastic net with (l1_ratio, alpha) chosen by K-fold CV (the smallest mean held-out
    MSE); drop-in for scikit-learn's.

    Parameters
    ----------
    l1_ratio : float or list of float, default=0.5
        scikit-learn's mixing ρ; a list is searched too.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid (any ``eps > 0``, as scikit-learn:
        ``eps=1`` gives a grid of identical alphas equal to alpha_max, every coefficient 0).
    alphas : int or array-like, default=100
        Number of alphas on the automatic grid, or the grid itself (scikit-learn's ``alpha``).
    fit_intercept, precompute, max_iter, tol, positive, penalty_factor :
        As :class:`ridgeline.ElasticNet` (tol: canonical duality gap ≤ tol × var(y); 0 is
        accepted; ``precompute`` is True, False or "auto": a user-supplied Gram matrix is
        refused, ridgeline forms its own). Every fold's path is solved to the optimum, and
        so is the refit, whatever tol.
    standardize : bool, default=False
        Penalize the standardized features, as :class:`ridgeline.ElasticNet`: the same as
        scaling X by the full data's weighted standard deviations before the fit (every fold
        shares that scale; ``alpha_max``, the grid and ``mse_path_`` are those of the scaled
        problem) and reporting ``coef_`` on the original scale. The lasso reweights its
        penalty factors by ``σ``; an ``l1_ratio < 1`` scales X in a copy (a sparse X keeps
        its sparsity pattern).
    cv : int, cross-validation generator or iterable, default=None (5-fold)
    copy_X, verbose, n_jobs, random_state, selection :
        Accepted for compatibility (X is never modified, whatever ``copy_X``).

    Attributes
    ----------
    alpha_, l1_ratio_ : float
        The chosen values; ``lambda_`` and ``mix_`` are the canonical ones.
    alphas_ : ndarray (n_alphas,) or (n_l1_ratio, n_alphas)
        Descending. (n_l1_ratio, n_alphas) only for a count of alphas with several l1_ratio
        (each has its own alpha_max); given alphas serve every l1_ratio and are stored once,
        as scikit-learn. For a target no feature explains (e.g. a constant y: alpha_max
        ≤ ``np.finfo(float).resolution``) the automatic grid is that resolution, repeated.
    mse_path_ : ndarray (n_l1_ratio, n_alphas, n_folds) without its length-1 axes
        As scikit-learn (``np.squeeze``): (n_alphas, n_folds) for one l1_ratio.
    dual_gap_ : float
        Duality gap of the refit (canonical objective).
    fold_gaps_, fold_converged_ : ndarray (n_folds, n_alphas)
        Every fold's certificate at every alpha of the chosen l1_ratio.
    selection_ : RidgeCVResult
        Mean score, standard errors, λ_min and λ_1se of the chosen l1_ratio.
    coef_, intercept_, n_iter_

    Warns
    -----
    GridEdgeWarning
        When the chosen alpha is the smallest of the grid (the CV error still falls towards
        it), or the largest while below alpha_max. At or above alpha_max every coefficient is
        zero, so the null model chosen there is an answer, not an edge.
    """

    def __init__(self, *, l1_ratio=0.5, eps=1e-3, alphas=100, fit_intercept=True,
                 precompute="auto", max_iter=1000, tol=1e-4, cv=None, copy_X=True, verbose=0,
                 n_jobs=None, positive=False, random_state=None, selection="cyclic",
                 penalty_factor=None, standardize=False):
        self.l1_ratio = l1_ratio
        _common_init(self, eps=eps, alphas=alphas, fit_intercept=fit_intercept,
                     precompute=precompute, max_iter=max_iter, tol=tol, cv=cv, copy_X=copy_X,
                     verbose=verbose, n_jobs=n_jobs, positive=positive,
                     random_state=random_state, selection=selection,
                     penalty_factor=penalty_factor, standardize=standardize)

    def _l1_ratios(self):
        ratios = np.atleast_1d(np.asarray(self.l1_ratio, dtype=np.float64))
        if ratios.size == 0:
            raise ValueError("l1_ratio is an empty list")
        if np.any((ratios < 0) | (ratios > 1)) or not np.all(np.isfinite(ratios)):
            raise ValueError(f"l1_ratio must lie in [0, 1], got {self.l1_ratio!r}")
        if np.any(ratios == 0) and isinstance(self.alphas, (int, np.integer)):
            raise ValueError("l1_ratio=0 (pure ridge) has no finite alpha_max: give alphas "
                             "explicitly, or use ridgeline.RidgeCV")
        return ratios


class LassoCV(_EnetCVBase):
    """Lasso with alpha chosen by K-fold CV (the smallest mean held-out MSE); drop-in for
    scikit-learn's ``LassoCV``.

    See :class:`ElasticNetCV` for the parameters (``standardize`` included), attributes and
    warnings; here ``l1_ratio`` is fixed at 1 and ``lambda_ = 2·alpha_``.
    """

    def __init__(self, *, eps=1e-3, alphas=100, fit_intercept=True, precompute="auto",
                 max_iter=1000, tol=1e-4, copy_X=True, cv=None, verbose=False, n_jobs=None,
                 positive=False, random_state=None, selection="cyclic", penalty_factor=None,
                 standardize=False):
        _common_init(self, eps=eps, alphas=alphas, fit_intercept=fit_intercept,
                     precompute=precompute, max_iter=max_iter, tol=tol, cv=cv, copy_X=copy_X,
                     verbose=verbose, n_jobs=n_jobs, positive=positive,
                     random_state=random_state, selection=selection,
                     penalty_factor=penalty_factor, standardize=standardize)

    def _l1_ratios(self):
        return np.array([1.0])
