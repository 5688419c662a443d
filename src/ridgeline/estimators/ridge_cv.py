"""Drop-in ``RidgeCV`` and ``RidgeClassifierCV``: every λ scored from one factorization."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MultiOutputMixin, RegressorMixin

from ridgeline.distributed import dask_source
from ridgeline.estimators._base import (
    LinearClassifierMixin,
    LinearPredictMixin,
    SparseInputMixin,
    resolve_solver,
    store_coef,
)
from ridgeline.estimators._validation import (
    as_2d_targets,
    check_grid,
    check_source_fit,
    check_weights,
    check_X_y,
    is_source,
    source_cv,
)
from ridgeline.estimators.ridge import encode_classes, store_classifier_coef
from ridgeline.selection.engine import select_ridge, select_ridge_moments
from ridgeline.selection.loo import loo_residuals, projected_rows
from ridgeline.selection.loo_moments import select_ridge_exact_moments

_GCV_MODES = {None: "auto", "auto": "auto", "svd": "svd", "eigen": "eigh"}


class _RidgeCVMixin:
    """Grid handling, selection and the final fit shared by the two CV estimators."""

    def _grid(self, sw: float):
        """(canonical λ grid or None for automatic, convention, alpha→λ scale)."""
        if self.lambdas is not None:
            return check_grid(self.lambdas, "lambdas"), "canonical"
        if isinstance(self.alphas, str):
            if self.alphas != "auto":
                raise ValueError(f"alphas must be numbers or 'auto', got {self.alphas!r}")
            return None, "fixed"
        return check_grid(self.alphas, "alphas") / sw, "fixed"

    def _select(self, X, Y, s, *, per_target, classes=None, y_labels=None, y_split=None,
                groups=None):
        sw = float(s.sum())
        lam, convention = self._grid(sw)
        solver = resolve_solver(self.solver)
        if solver == "auto" and self.cv is None:
            solver = _GCV_MODES.get(getattr(self, "gcv_mode", None), "auto")
        sel = select_ridge(
            X, Y, s, lambdas=lam, n_lambdas=self.n_lambdas, cv=self.cv, scoring=self.scoring,
            rule=self.rule, fit_intercept=self.fit_intercept, standardize=self.standardize,
            per_target=per_target, solver=solver, convention=convention,
            extend=self.extend_grid, groups=groups, y_split=y_split, classes=classes,
            y_labels=y_labels, to_alpha=lambda g: g * sw,
            warn_stacklevel=4,  # the user's call to fit()
        )
        coef, inter = self._chosen(sel, sw, Y.shape[1], per_target)
        if self.store_cv_results:
            self._store_loo(X, Y, s, sel, sel.result.lambdas * sw, y_labels is not None)
        return coef, inter

    def _chosen(self, sel, sw: float, k: int, per_target: bool):
        """Store the selection's attributes; the full-data fit at the chosen λ."""
        res = sel.result
        self.selection_ = res
        self.lambda_ = res.lambda_ if per_target else float(res.lambda_)
        # alpha_ is the grid value itself (not λ·n_w recomputed, which may differ in the last bit)
        self.alpha_ = res.alphas[res.index_] if per_target else float(res.alphas[res.index_])
        self.best_score_ = res.best_score
        if sel.factor is None:
            return sel.lsqr_coef, sel.lsqr_intercept
        pen = np.broadcast_to(np.atleast_1d(self.lambda_) * sw, (k,))
        F = sel.factor
        F.check_penalties(pen)
        coef = F.coef_per_target(pen)
        return coef, F.intercept(coef)

    def _fit_source(self, source, y, sample_weight, groups):
        """Every α scored from passes over a statistics source, then the refit.

        K-fold (``cv=K``): one pass for the per-fold moments. GCV: one pass for the total
        moments. Exact LOO (``cv=None``/``"loo"``): that pass and one ``loo_pass`` for the
        leave-one-out error sums. ``store_cv_results`` is refused (per-row values).
        """
        if self.store_cv_results:
            raise ValueError("store_cv_results=True keeps a value per row and α, which a "
                             "statistics source does not return (its passes give sums): fit "
                             "in memory, or use selection_.mean_score for the CV curve")
        check_source_fit(self, source, y, sample_weight, groups=groups)
        method = source_cv(self.cv)
        if resolve_solver(self.solver) not in ("auto", "eigh") or self.gcv_mode == "svd":
            what = f"solver={self.solver!r}" if self.gcv_mode != "svd" else "gcv_mode='svd'"
            raise ValueError(f"{what} needs the rows; a statistics source is fit from its Gram "
                             "matrices (solver='auto' or 'eigh')")
        if method == "loo" and not hasattr(source, "loo_pass"):
            raise ValueError(f"{type(source).__name__} has no loo_pass: exact LOO is not "
                             "available for it, use cv='gcv' or cv=K")
        progress = getattr(source, "progress", None)
        stats = source.fold_moments(1 if isinstance(method, str) else method, progress=progress)
        sw = float(stats.total.sw)
        k = stats.total.n_targets
        per_target = bool(self.alpha_per_target) and k > 1
        lam, convention = self._grid(sw)
        common = dict(lambdas=lam, n_lambdas=self.n_lambdas, scoring=self.scoring,
                      rule=self.rule, fit_intercept=self.fit_intercept,
                      standardize=self.standardize, extend=self.extend_grid,
                      per_target=per_target, to_alpha=lambda g: g * sw, warn_stacklevel=4)
        if isinstance(method, str):
            sel = select_ridge_exact_moments(
                stats.total, method=method, **common,
                loo_pass=lambda model: source.loo_pass(model, progress=progress))
        else:
            sel = select_ridge_moments(stats.total, stats.folds, convention=convention, **common)
        coef, inter = self._chosen(sel, sw, k, per_target)
        store_coef(self, coef, inter, k == 1, np.float64)
        self.n_rows_ = stats.n_rows
        return self

    def _store_loo(self, X, Y, s, sel, penalties, classifier):
        if self.cv is not None:
            raise ValueError("cv!=None and store_cv_results=True are incompatible")
        F = sel.factor
        U = projected_rows(X, F)
        out = np.empty((Y.shape[0], Y.shape[1], penalties.size))
        for i, a in enumerate(penalties):
            e = loo_residuals(U, F, Y, s, float(a), self.fit_intercept)
            out[:, :, i] = s[:, None] * e * e if self.scoring is None else Y - e
        self.cv_results_ = out[:, 0, :] if (Y.shape[1] == 1) else out


class RidgeCV(SparseInputMixin, _RidgeCVMixin, LinearPredictMixin, MultiOutputMixin,
              RegressorMixin, BaseEstimator):
    """Ridge regression with λ chosen by exact LOO, GCV or K-fold CV — one factorization.

    A drop-in for scikit-learn's ``RidgeCV``: same parameters, same ``alpha_`` and coefficients.
    ``cv=None`` is exact leave-one-out (as scikit-learn); ``cv=K`` or any splitter scores every
    α from per-fold statistics (one eigendecomposition per fold, no refit per α); ``cv="gcv"`` is
    Golub–Heath–Wahba generalized cross-validation.

    Parameters
    ----------
    alphas : array-like or "auto", default=(0.1, 1.0, 10.0)
        Grid in scikit-learn's convention (``Σ s_i r_i² + α‖w‖²``); every fit, including the
        fits on training folds, uses the same α — exactly scikit-learn's semantics. ``"auto"``
        derives ``n_lambdas`` values from the spectrum of X.
    fit_intercept : bool, default=True
    scoring : None, str or callable
        None: MSE for LOO/GCV and R² for K-fold (as scikit-learn). Also ``"r2"``,
        ``"neg_mean_squared_error"``, ``"neg_root_mean_squared_error"`` (from statistics),
        ``"neg_mean_absolute_error"`` and any scikit-learn scorer (from predictions).
    cv : None, int, "loo", "gcv", CV splitter or iterable of splits
    gcv_mode : {None, "auto", "svd", "eigen"}
        Factorization used for LOO (as scikit-learn).
    store_cv_results : bool, default=False
        Keep per-sample LOO squared errors (or predictions with a scorer) in ``cv_results_``
        (in memory only: a statistics source's passes return sums, so it is refused there).
    alpha_per_target : bool, default=False
        Choose α separately for each target (with K-fold too, unlike scikit-learn).
    lambdas : array-like, optional
        Canonical λ grid (``(1/n_w) Σ s_i r_i² + λ‖w‖²``); overrides ``alphas``. Training folds
        are then penalized by ``n_fold·λ`` so that λ means the same on every fold.
    n_lambdas : int, default=100
        Size of the automatic grid.
    rule : {"min", "1se"}, default="min"
        Best mean score, or the largest λ within one standard error of it.
    extend_grid : bool or int, default=False
        Extend the grid past an edge when the choice lands there (instead of only warning).
    standardize : bool, default=False
        Penalize standardized features (K-fold: scaled per training fold; LOO and GCV: scaled
        once on all the data); coefficients are reported on the original scale.
    solver : str, default="auto"
        ``"auto"``, ``"eigh"``, ``"svd"``, ``"dual"`` or ``"lsqr"`` (K-fold only).

    Attributes
    ----------
    alpha_ : float or ndarray (n_targets,)
    lambda_ : float or ndarray (n_targets,)
        Canonical λ = alpha_ / n_w.
    best_score_ : float or ndarray
    coef_, intercept_, n_features_in_, feature_names_in_ : as scikit-learn.
    cv_results_ : ndarray (only with ``store_cv_results=True``)
    selection_ : RidgeCVResult
        The whole CV curve: mean and standard error per λ, per-fold scores, λ_min, λ_1se, dof.
    """

    def __init__(self, alphas=(0.1, 1.0, 10.0), *, fit_intercept=True, scoring=None, cv=None,
                 gcv_mode=None, store_cv_results=False, alpha_per_target=False, lambdas=None,
                 n_lambdas=100, rule="min", extend_grid=False, standardize=False,
                 solver="auto"):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.cv = cv
        self.gcv_mode = gcv_mode
        self.store_cv_results = store_cv_results
        self.alpha_per_target = alpha_per_target
        self.lambdas = lambdas
        self.n_lambdas = n_lambdas
        self.rule = rule
        self.extend_grid = extend_grid
        self.standardize = standardize
        self.solver = solver

    def fit(self, X, y=None, sample_weight=None, groups=None):
        """Choose α and fit on all of X (n, p) and y (n,) or (n, k); returns self.

        ``X`` may also be a statistics source (``ridgeline.read_parquet(path, target=...)``,
        ``read_csv``, :class:`~ridgeline.stats.ArraySource`, a Dask collection) with
        ``y=None``: ``cv=K`` is all-α K-fold CV from one pass over it (folds from the source's
        fold rule), ``cv="gcv"`` GCV from one pass, ``cv=None``/``"loo"`` exact LOO from two
        (the Gram, then the leverages); the refit comes from the same statistics. Only
        scorers computable from sums (MSE, RMSE, R²) are available there.
        """
        if self.gcv_mode not in _GCV_MODES:
            raise ValueError(f"gcv_mode must be one of {list(_GCV_MODES)}, got {self.gcv_mode!r}")
        if (src := dask_source(X, y, sample_weight, groups=groups)) is not None:
            X, y, sample_weight, groups = src, None, None, None
        if is_source(X):
            return self._fit_source(X, y, sample_weight, groups)
        X, y = check_X_y(self, X, y)
        Y, squeeze = as_2d_targets(y)
        s = check_weights(sample_weight, X)
        per_target = bool(self.alpha_per_target) and Y.shape[1] > 1
        coef, inter = self._select(X, Y, s, per_target=per_target, groups=groups)
        store_coef(self, coef, inter, squeeze, X.dtype)
        return self


class RidgeClassifierCV(SparseInputMixin, _RidgeCVMixin, LinearClassifierMixin, ClassifierMixin,
                        BaseEstimator):
    """Ridge classifier with α chosen by exact LOO (default) or K-fold CV, as scikit-learn's.

    Under K-fold the default score is accuracy (stratified folds, as ``GridSearchCV``); under
    LOO it is the squared error of the ±1 indicator targets, as scikit-learn. Parameters and
    attributes follow :class:`RidgeCV`, plus ``class_weight`` and ``classes_``.
    """

    def __init__(self, alphas=(0.1, 1.0, 10.0), *, fit_intercept=True, scoring=None, cv=None,
                 class_weight=None, store_cv_results=False, lambdas=None, n_lambdas=100,
                 rule="min", extend_grid=False, standardize=False, solver="auto"):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.cv = cv
        self.class_weight = class_weight
        self.store_cv_results = store_cv_results
        self.lambdas = lambdas
        self.n_lambdas = n_lambdas
        self.rule = rule
        self.extend_grid = extend_grid
        self.standardize = standardize
        self.solver = solver

    def fit(self, X, y, sample_weight=None, groups=None):
        """Choose α and fit on X (n, p) and labels y (n,); returns self."""
        X, y = check_X_y(self, X, y, y_numeric=False)
        Y, s = encode_classes(self, X, y, sample_weight)
        y = np.asarray(y).ravel()
        coef, inter = self._select(X, Y, s, per_target=False, classes=self.classes_,
                                   y_labels=y, y_split=y, groups=groups)
        store_classifier_coef(self, coef, inter, X.dtype)
        return self
