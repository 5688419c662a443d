"""Drop-in ``RidgeCV`` and ``RidgeClassifierCV``: every λ scored from one factorization."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, MultiOutputMixin, RegressorMixin

from ridgeline.distributed import dask_source
from ridgeline.estimators._base import LinearPredictMixin, SparseInputMixin, resolve_solver
from ridgeline.estimators._grid_budget import ridge_cv_grid
from ridgeline.estimators._range import SPECTRAL_RATIO_LIMIT
from ridgeline.estimators._validation import (
    as_2d_targets,
    check_grid,
    check_source_fit,
    check_weights,
    check_X_y,
    is_source,
    source_cv,
)
from ridgeline.estimators.ridge import (
    RidgeClassifierMixin,
    encode_classes,
    store_classifier_coef,
    store_regression_coef,
)
from ridgeline.path.budget import check_count
from ridgeline.selection.continuous import check_refine
from ridgeline.selection.criteria import CRITERIA, evidence_attributes, select_criterion_moments
from ridgeline.selection.engine import select_ridge, select_ridge_moments
from ridgeline.selection.loo import loo_residuals, projected_rows
from ridgeline.selection.loo_moments import select_ridge_exact_moments
from ridgeline.selection.scoring import scores_weighted

_GCV_MODES = {None: "auto", "auto": "auto", "svd": "svd", "eigen": "eigh"}


class _RidgeCVMixin:
    """Grid handling, selection and the final fit shared by the two CV estimators."""

    _max_scale_ratio = SPECTRAL_RATIO_LIMIT

    def _grid(self, sw: float):
        """(canonical λ grid or None for automatic, convention, map from λ to alpha).

        The map returns a given ``alphas`` grid's own values (``alpha_`` is then exactly one
        of them, as in scikit-learn), not ``λ·n_w``, which may differ in the last bit.
        """
        if self.lambdas is not None:
            return check_grid(self.lambdas, "lambdas"), "canonical", lambda g: g * sw
        if isinstance(self.alphas, str):
            if self.alphas != "auto":
                raise ValueError(f"alphas must be numbers or 'auto', got {self.alphas!r}")
            check_count(self.n_lambdas, "n_lambdas", bytes_per_point=0)  # memory: with X
            return None, "fixed", lambda g: g * sw
        check_alpha_types(self.alphas)
        alphas = check_grid(self.alphas, "alphas")
        lam = alphas / sw
        return lam, "fixed", exact_alphas(lam, alphas, sw)

    def _select(self, X, Y, s, *, per_target, weighted, squeeze=False, classes=None,
                y_labels=None, y_split=None, groups=None):
        if self.store_cv_results and self.cv is not None:
            raise ValueError("cv!=None and store_cv_results=True are incompatible")
        sw = float(s.sum())
        lam, convention, to_alpha = self._grid(sw)
        ridge_cv_grid(self, lam, X.shape[0], X.shape[1], Y.shape[1])
        solver = resolve_solver(self.solver)
        if solver == "auto" and self.cv is None:
            solver = _GCV_MODES.get(gcv_mode_for(X, getattr(self, "gcv_mode", None)), "auto")
        exact = self.cv is None or isinstance(self.cv, str)
        sel = select_ridge(
            X, Y, s, lambdas=lam, n_lambdas=self.n_lambdas, cv=self.cv, scoring=self.scoring,
            rule=self.rule, fit_intercept=self.fit_intercept, standardize=self.standardize,
            per_target=per_target, solver=solver, convention=convention,
            extend=self.extend_grid, groups=groups, y_split=y_split, classes=classes,
            y_labels=y_labels, to_alpha=to_alpha, refine=self.refine,
            warn_stacklevel=4,  # the user's call to fit()
            score_weighted=scores_weighted(self.scoring, weights_given=weighted, exact=exact),
        )
        coef, inter = self._chosen(sel, sw, Y.shape[1], per_target)
        if self.store_cv_results:
            self._store_loo(X, Y, s, sel, classifier=y_labels is not None, squeeze=squeeze)
        return coef, inter

    def _chosen(self, sel, sw: float, k: int, per_target: bool):
        """Store the selection's attributes; the full-data fit at the chosen α."""
        res = sel.result
        self.selection_ = res
        self.lambda_ = res.lambda_ if per_target else float(res.lambda_)
        # alpha_ is the grid value itself (not λ·n_w recomputed, which may differ in the last
        # bit), and the refit uses it: coef_ is Ridge(alpha=alpha_)'s
        own = res.alphas[res.index_]
        if res.off_grid:  # refine=True (or an exact criterion): alpha_ = λ_off_grid·n_w
            own = res.alpha_off_grid if res.alpha_off_grid is not None \
                else np.asarray(res.lambda_off_grid, dtype=np.float64) * sw
        self.alpha_ = np.asarray(own, dtype=np.float64) if per_target else float(own)
        self.best_score_ = res.best_score
        for name in ("coef_std_", "noise_variance_", "log_evidence_"):  # an earlier evidence fit
            self.__dict__.pop(name, None)
        if sel.factor is None:
            return sel.lsqr_coef, sel.lsqr_intercept
        pen = np.broadcast_to(np.atleast_1d(self.alpha_).astype(np.float64), (k,))
        F = sel.factor
        F.check_penalties(pen)
        coef = F.coef_per_target(pen)
        if res.method == "evidence":  # posterior std (k, p) or (p,), σ̂², log evidence
            self.coef_std_, self.noise_variance_, self.log_evidence_ = evidence_attributes(
                F, pen, fit_intercept=self.fit_intercept)
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
        if isinstance(self.alphas, str) and self.lambdas is None:
            check_count(self.n_lambdas, "n_lambdas")  # before the pass; with p after it
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
        lam, convention, to_alpha = self._grid(sw)
        ridge_cv_grid(self, lam, int(stats.n_rows), stats.total.G.shape[0], k, source=True)
        common = dict(lambdas=lam, n_lambdas=self.n_lambdas, scoring=self.scoring,
                      rule=self.rule, fit_intercept=self.fit_intercept,
                      standardize=self.standardize, extend=self.extend_grid,
                      per_target=per_target, to_alpha=to_alpha, warn_stacklevel=4)
        if method in CRITERIA and not self.refine:  # from the total moments alone
            sel = select_criterion_moments(stats.total, method=method, **common)
        elif isinstance(method, str):
            if check_refine(self.refine, self.rule):
                raise ValueError("refine=True from a statistics source is available with "
                                 f"K-fold CV (cv=K) only, got cv={self.cv!r}")
            sel = select_ridge_exact_moments(
                stats.total, method=method, **common,
                loo_pass=lambda model: source.loo_pass(model, progress=progress))
        else:
            sel = select_ridge_moments(stats.total, stats.folds, convention=convention,
                                       refine=self.refine, **common)
        coef, inter = self._chosen(sel, sw, k, per_target)
        store_regression_coef(self, coef, inter, k == 1, np.float64)
        self.n_rows_ = stats.n_rows
        return self

    def _store_loo(self, X, Y, s, sel, *, classifier: bool, squeeze: bool):
        """``cv_results_``: per-sample LOO squared errors (``s_i e_i²``), or the LOO predictions
        with a scorer, of shape (n, n_alphas) for a 1-d y of a regressor, else (n, k, n_alphas);
        float32 for float32 X (as scikit-learn)."""
        F = sel.factor
        penalties = sel.result.alphas
        U = projected_rows(X, F)
        out = np.empty((Y.shape[0], Y.shape[1], penalties.size))
        for i, a in enumerate(penalties):
            e = loo_residuals(U, F, Y, s, float(a), self.fit_intercept)
            out[:, :, i] = s[:, None] * e * e if self.scoring is None else Y - e
        out = out[:, 0, :] if squeeze and not classifier else out
        self.cv_results_ = out.astype(X.dtype, copy=False)


def check_alpha_types(alphas) -> None:
    """Every value of an ``alphas`` grid is a real number (TypeError otherwise, as
    scikit-learn: a string such as ``"1"`` is not converted)."""
    if isinstance(alphas, numbers.Real):
        return
    arr = alphas if isinstance(alphas, np.ndarray) else np.asarray(alphas, dtype=object)
    if arr.dtype.kind in "biuf":
        return
    for i, a in enumerate(arr.ravel().tolist()):
        if not isinstance(a, numbers.Real):
            raise TypeError(f"alphas[{i}] must be an instance of float, not "
                            f"{type(a).__name__} ({a!r})")


def exact_alphas(lam: np.ndarray, alphas: np.ndarray, sw: float):
    """Map from λ to alpha: the given grid value for a λ of the grid ``lam = alphas/sw``,
    ``λ·sw`` for any other λ (a grid extended past its edge)."""
    given = dict(zip(lam.tolist(), alphas.tolist(), strict=True))

    def to_alpha(grid):
        grid = np.asarray(grid, dtype=np.float64)
        vals = [given.get(v, v * sw) for v in grid.ravel().tolist()]
        return np.array(vals, dtype=np.float64).reshape(grid.shape)

    return to_alpha


def gcv_mode_for(X, gcv_mode):
    """``gcv_mode`` as used for X: ``"svd"`` on sparse X warns and is ``"eigen"`` (as
    scikit-learn 1.9; X is never densified for it)."""
    if gcv_mode == "svd" and sp.issparse(X):
        warnings.warn(
            "The 'svd' mode is not supported for sparse X: gcv_mode='eigen' is used instead "
            "(scikit-learn 1.11 will refuse it); leave the default or pass gcv_mode='eigen' "
            "to silence this warning",
            FutureWarning,
            stacklevel=4,
        )
        return "eigen"
    return gcv_mode


class RidgeCV(SparseInputMixin, _RidgeCVMixin, LinearPredictMixin, MultiOutputMixin,
              RegressorMixin, BaseEstimator):
    """Ridge regression with λ chosen by exact LOO, GCV or K-fold CV — one factorization.

    A drop-in for scikit-learn's ``RidgeCV``: same parameters, same ``alpha_`` and coefficients.
    ``cv=None`` is exact leave-one-out (as scikit-learn); ``cv=K`` or any splitter scores every
    α from per-fold statistics (one eigendecomposition per fold, no refit per α); ``cv="gcv"`` is
    Golub–Heath–Wahba generalized cross-validation; ``"evidence"``, ``"aic"``, ``"bic"`` below.

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
        ``"neg_mean_absolute_error"`` and any scikit-learn scorer (from predictions). With
        sample weights, held-out scores are weighted as scikit-learn 1.9 routes the weights: a
        scorer callable gets ``sample_weight=`` under LOO, under K-fold when its metric takes
        ``sample_weight``, and as its ``set_score_request`` says under metadata routing.
    cv : None, int, "loo", "gcv", "evidence", "aic", "bic", CV splitter or iterable of splits
        ``"evidence"``: empirical Bayes, the exact maximizer over continuous λ of the marginal
        likelihood (scikit-learn ``BayesianRidge``'s ``lambda_/alpha_`` with gamma priors at
        0); ``"aic"``/``"bic"``: the grid's best AIC/BIC with the effective degrees of freedom
        (:mod:`ridgeline.selection.criteria`). These take scoring=None, rule="min", no lsqr.
    gcv_mode : {None, "auto", "svd", "eigen"}
        Factorization used for LOO (as scikit-learn); ``"svd"`` on sparse X warns
        (FutureWarning) and is ``"eigen"``, as in scikit-learn 1.9 (X is never densified).
    store_cv_results : bool, default=False
        Keep per-sample LOO squared errors (or predictions with a scorer) in ``cv_results_``,
        of shape (n, n_alphas) for a 1-d y, else (n, n_targets, n_alphas) (in memory only: a
        statistics source's passes return sums, so it is refused there).
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
    refine : bool, default=False
        Choose λ off the grid: the maximizer of the mean CV score (K-fold, LOO or GCV) over
        continuous log λ, searched between the best grid point's neighbours (at a grid end,
        in the edge interval only) with the same fold factorizations
        (:mod:`ridgeline.selection.continuous`); its score is never below the best grid
        point's. ``alpha_`` is then ``lambda_·n_w``, generally not one of ``alphas`` (hence
        off by default: scikit-learn's ``alpha_`` is one of them), and ``best_score_`` the
        score there. Needs ``rule="min"``; from a statistics source, K-fold only. With a
        piecewise-constant score (accuracy) it returns a λ at least as good as the grid's.

    Attributes
    ----------
    alpha_ : float or ndarray (n_targets,)
        One of the given ``alphas`` exactly (the final fit is ``Ridge(alpha=alpha_)``'s); with
        ``refine=True`` or ``cv="evidence"`` the off-grid optimum ``lambda_·n_w``.
    lambda_ : float or ndarray (n_targets,)
        Canonical λ = alpha_ / n_w.
    best_score_ : float or ndarray
    coef_, intercept_, n_features_in_, feature_names_in_ : as scikit-learn.
    cv_results_ : ndarray (only with ``store_cv_results=True``)
    selection_ : RidgeCVResult
        The whole CV curve: mean and standard error per λ, per-fold scores, λ_min, λ_1se, dof.
    coef_std_, noise_variance_, log_evidence_ : (``cv="evidence"`` only)
        Posterior standard deviations of the coefficients (shape of ``coef_``), the noise
        variance σ̂² and the log evidence at ``alpha_`` (per target when several).
    """

    def __init__(self, alphas=(0.1, 1.0, 10.0), *, fit_intercept=True, scoring=None, cv=None,
                 gcv_mode=None, store_cv_results=False, alpha_per_target=False, lambdas=None,
                 n_lambdas=100, rule="min", extend_grid=False, standardize=False,
                 solver="auto", refine=False):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.cv = cv
        self.gcv_mode = gcv_mode
        self.refine = refine
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
        coef, inter = self._select(X, Y, s, per_target=per_target, squeeze=squeeze,
                                   weighted=sample_weight is not None, groups=groups)
        store_regression_coef(self, coef, inter, squeeze, X.dtype)
        return self


class RidgeClassifierCV(SparseInputMixin, _RidgeCVMixin, RidgeClassifierMixin, ClassifierMixin,
                        BaseEstimator):
    """Ridge classifier with α chosen by exact LOO (default) or K-fold CV, as scikit-learn's.

    Under K-fold the default score is accuracy (stratified folds, as ``GridSearchCV``); under
    LOO it is the squared error of the ±1 indicator targets, as scikit-learn. A multilabel y
    (0/1 indicator) is fitted as :class:`RidgeClassifier` does (``cv_results_`` is always
    (n, n_targets, n_alphas)). Parameters and attributes follow :class:`RidgeCV`, plus
    ``class_weight``, ``classes_`` and ``multilabel_``. ``refine=True`` (off by default) is
    :class:`RidgeCV`'s: under K-fold accuracy, a step function of λ, it keeps the grid's λ
    unless a strictly better step lies between its neighbours.
    """

    def __init__(self, alphas=(0.1, 1.0, 10.0), *, fit_intercept=True, scoring=None, cv=None,
                 class_weight=None, store_cv_results=False, lambdas=None, n_lambdas=100,
                 rule="min", extend_grid=False, standardize=False, solver="auto",
                 refine=False):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.cv = cv
        self.class_weight = class_weight
        self.refine = refine
        self.store_cv_results = store_cv_results
        self.lambdas = lambdas
        self.n_lambdas = n_lambdas
        self.rule = rule
        self.extend_grid = extend_grid
        self.standardize = standardize
        self.solver = solver

    def fit(self, X, y, sample_weight=None, groups=None):
        """Choose α and fit on X (n, p) and labels y (n,) or a multilabel indicator (n, k);
        returns self."""
        X, y = check_X_y(self, X, y, y_numeric=False)
        Y, s = encode_classes(self, X, y, sample_weight)
        y = np.asarray(y.toarray() if sp.issparse(y) else y)
        y = y if self.multilabel_ else y.ravel()
        labels, classes = y, self.classes_
        if self.multilabel_ and (self.cv is None or isinstance(self.cv, str)):
            # a LOO scorer sees the arg-max label of each row, as scikit-learn's
            labels, classes = np.argmax(Y, axis=1), np.arange(Y.shape[1])
        coef, inter = self._select(
            X, Y, s, per_target=False, classes=classes, y_labels=labels, y_split=y,
            groups=groups, weighted=sample_weight is not None or self.class_weight is not None)
        store_classifier_coef(self, coef, inter, X.dtype)
        return self
