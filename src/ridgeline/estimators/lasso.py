"""Lasso and elastic net with certified coordinate descent: ``Lasso``, ``ElasticNet``.

scikit-learn's objective ``(1/2n_w) Σ s_i (y_i - x_iᵀw - b)² + αρ‖w‖₁ + ½α(1-ρ)‖w‖²`` (ρ =
``l1_ratio``) is half of the canonical ``(1/n_w) Σ s_i r_i² + λ(mix·‖w‖₁ + (1-mix)‖w‖²)`` with
``λ = α(1+ρ)`` and ``mix = 2ρ/(1+ρ)``; both report the same coefficients. ``penalty_factor``
multiplies each feature's penalty (0 leaves it unpenalized), as glmnet's ``penalty.factor``.
``standardize=True`` penalizes the standardized features and reports coefficients on the
original scale (:mod:`ridgeline.estimators._standardize`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin

from ridgeline.estimators._base import LinearPredictMixin, SparseInputMixin, store_coef
from ridgeline.estimators._sparse import (
    check_alpha,
    check_cd_params,
    check_finite_fit,
    check_precompute,
    check_unchecked_layout,
    enet_lambda,
    enet_penalty,
    fit_targets,
    warn_alpha_zero,
    warn_not_certified,
)
from ridgeline.estimators._standardize import Standardization
from ridgeline.estimators._validation import as_2d_targets, check_weights, check_X_y
from ridgeline.solvers.ls_problem import use_gram


class _EnetBase(SparseInputMixin, LinearPredictMixin, MultiOutputMixin, RegressorMixin,
                BaseEstimator):
    """The fit shared by :class:`ElasticNet` and :class:`Lasso`."""

    def _l1(self):
        raise NotImplementedError

    def fit(self, X, y, sample_weight=None, check_input=True):
        """Fit on X (n, p) dense or sparse and y (n,) or (n, k).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), optional
        check_input : bool, default=True
            Input is always validated. ``False`` is scikit-learn's promise that a dense X
            is float32/float64 (else ``TypeError``) and, without ``sample_weight`` or
            ``precompute``, Fortran-ordered (else ``ValueError``); as in scikit-learn, a
            broken promise raises.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            When the fit is not finite (X or y so large that their products overflow), or a
            warm start's previous ``coef_`` is not finite.

        Warns
        -----
        UserWarning
            For ``alpha=0`` (least squares, as scikit-learn warns).
        """
        alpha = check_alpha(self.alpha)
        warn_alpha_zero(alpha, type(self).__name__)
        check_unchecked_layout(X, check_input, sample_weight, self.precompute)
        check_cd_params(self.tol, self.max_iter)
        precompute = check_precompute(self.precompute)
        if self.selection not in ("cyclic", "random"):
            raise ValueError(f"selection must be 'cyclic' or 'random', got {self.selection!r}")
        X, y = check_X_y(self, X, y)
        s = check_weights(sample_weight, X)
        Y, squeeze = as_2d_targets(y)
        if precompute is False and not sp.issparse(X):
            precompute = "auto"
        std = Standardization.plan(X, s, standardize=self.standardize,
                                   fit_intercept=self.fit_intercept, l1_only=self._l1() == 1.0,
                                   gram=use_gram(X, X.shape[0], False, False, precompute))
        penalty = enet_penalty(self._l1(), X.shape[1], self.penalty_factor, self.positive, std)
        lam = enet_lambda(alpha, self._l1())
        paths = fit_targets(X, Y, s, penalty, lam, fit_intercept=self.fit_intercept,
                            precompute=precompute, tol=self.tol, max_iter=self.max_iter,
                            coef0=std.coef_in(self._warm_coef(Y.shape[1], X.shape[1])),
                            std=std)
        warn_not_certified(paths, type(self).__name__, self.tol)
        self._store(paths, std, squeeze, X.dtype)
        check_finite_fit(self)
        self.lambda_ = lam
        self.mix_ = penalty.mix
        return self

    def _warm_coef(self, k: int, p: int) -> np.ndarray | None:
        """The previous ``coef_`` as (k, p), when ``warm_start`` and the shapes match."""
        if not self.warm_start or getattr(self, "coef_", None) is None:
            return None
        coef0 = np.atleast_2d(np.asarray(self.coef_, dtype=np.float64))
        if coef0.shape != (k, p):
            return None
        if not np.all(np.isfinite(coef0)):
            raise ValueError("warm_start=True starts from the previous coef_, which holds "
                             "non-finite values: refit with warm_start=False")
        return coef0

    def _store(self, paths, std, squeeze: bool, dtype) -> None:
        coef = std.coef_out(np.stack([p.coefs[0] for p in paths]))
        intercept = np.array([p.intercepts[0] for p in paths])
        store_coef(self, coef.T, intercept, squeeze, dtype)
        gaps = np.array([p.certificates[0] for p in paths])
        iters = [int(p.n_iter[0]) for p in paths]
        self.dual_gap_ = float(gaps[0]) if squeeze else gaps
        self.n_iter_ = iters[0] if squeeze else iters

    @property
    def sparse_coef_(self):
        """``coef_`` as a scipy.sparse CSR matrix."""
        return sp.csr_matrix(np.atleast_2d(self.coef_))


class ElasticNet(_EnetBase):
    """Elastic net (L1 + L2), a drop-in for scikit-learn's ``ElasticNet``.

    Parameters
    ----------
    alpha : float, default=1.0
        scikit-learn's penalty strength (canonical ``lambda_ = alpha·(1 + l1_ratio)``).
        ``alpha=0`` (least squares, solved exactly) warns as scikit-learn does.
    l1_ratio : float in [0, 1], default=0.5
        scikit-learn's mixing ρ (1 = lasso, 0 = ridge).
    fit_intercept : bool, default=True
    precompute : bool or "auto", default=False
        Use the Gram engine (cost per coordinate O(p), independent of n). ``"auto"`` (and
        ``False`` for n ≥ p ≤ 3000 dense problems, where it is always faster) picks it.
        Unlike scikit-learn, a user-supplied Gram matrix (an array) is refused with a
        ``ValueError``: ridgeline forms its own, from the weighted, centered X.
    max_iter : int, default=1000
        Maximum coordinate sweeps (support steps count as one each).
    copy_X : bool, default=True
        Accepted for compatibility: X is never modified, also with ``copy_X=False``
        (scikit-learn may then center or rescale it in place).
    tol : float, default=1e-4
        Stop when the duality gap of the canonical objective is at most ``tol`` times the
        weighted variance of y (the objective of the null model). ``tol=0`` (as in
        scikit-learn) runs the solver to its rounding floor or ``max_iter``. A solution that
        meets tol is then polished to the optimum (about 1e-11 relative), so the
        coefficients do not depend on tol; scikit-learn stops at tol.
    warm_start : bool, default=False
        Start from the previous ``coef_`` (of the same shape). One that already meets
        ``tol`` is kept as it is, with ``n_iter_ = 0``, as in scikit-learn. The solver's
        working sets and screening start afresh on each fit, so two warm-started fits of
        ``max_iter=k`` are not the iterate of one fit of ``2k`` (scikit-learn's plain cyclic
        sweeps are); each is certified by ``dual_gap_``.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    random_state, selection :
        Accepted for compatibility; coordinates are visited cyclically (deterministic).
    penalty_factor : array of shape (n_features,), optional
        Per-feature penalty multipliers ``≥ 0`` (0 = unpenalized); adaptive-lasso weights go
        here (:func:`ridgeline.penalties.adaptive_weights`). With ``standardize`` they
        multiply the penalty of the standardized coefficients (as glmnet's).
    standardize : bool, default=False
        Penalize the standardized features ``x_j / σ_j`` (``σ_j`` the sample-weighted standard
        deviation of column j, about the weighted mean with an intercept and about zero
        without; 1 for a constant column), as glmnet's ``standardize=TRUE``; ``coef_`` and
        ``intercept_`` are reported on the original scale, so this equals scaling X by hand,
        fitting and dividing the coefficients by ``σ``. The default keeps scikit-learn's
        answers. Neither a dense nor a sparse X is densified; the lasso, and the elastic net
        on the Gram engine, reweight the penalty instead of copying X.

    Attributes
    ----------
    coef_ : ndarray (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray (n_targets,)
    dual_gap_ : float or ndarray (n_targets,)
        Duality gap of the canonical objective at the solution: a certificate that the
        objective is within ``dual_gap_`` of the optimum.
    n_iter_ : int or list of int
        Coordinate sweeps and support steps (0 for a warm start that already met tol).
    lambda_ : float
        Canonical λ; ``mix_``: canonical L1 share ``2ρ/(1+ρ)``.
    """

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, precompute=False,
                 max_iter=1000, copy_X=True, tol=1e-4, warm_start=False, positive=False,
                 random_state=None, selection="cyclic", penalty_factor=None,
                 standardize=False):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.copy_X = copy_X
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.penalty_factor = penalty_factor
        self.standardize = standardize

    def _l1(self):
        return self.l1_ratio


class Lasso(_EnetBase):
    """Lasso (L1), a drop-in for scikit-learn's ``Lasso``: the elastic net with ``l1_ratio=1``.

    The canonical ``lambda_ = 2·alpha``. See :class:`ElasticNet` for the parameters and
    attributes, and for the differences from scikit-learn: ``precompute`` takes True, False
    or "auto" (a user-supplied Gram matrix is refused: ridgeline forms its own); ``copy_X``
    is accepted for compatibility and X is never modified; solutions are polished past
    ``tol`` to the optimum; a warm start keeps a start that already meets ``tol``.
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True, precompute=False, copy_X=True,
                 max_iter=1000, tol=1e-4, warm_start=False, positive=False, random_state=None,
                 selection="cyclic", penalty_factor=None, standardize=False):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.penalty_factor = penalty_factor
        self.standardize = standardize

    def _l1(self):
        return 1.0
