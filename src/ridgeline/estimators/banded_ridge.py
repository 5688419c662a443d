"""``BandedRidgeCV``: ridge with one λ per feature group, chosen by exact-gradient K-fold CV."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.model_selection import check_cv

from ridgeline.estimators._base import LinearPredictMixin, SparseInputMixin
from ridgeline.estimators._validation import as_2d_targets, check_weights, check_X_y
from ridgeline.estimators.ridge import store_regression_coef
from ridgeline.path.grid import auto_lambda_grid
from ridgeline.selection.banded_cv import BandedCV, check_scoring, optimize_banded

#: Size of the automatic start grid (single λ for every group) when ``alphas`` is None.
START_GRID = 30


class BandedRidgeCV(SparseInputMixin, LinearPredictMixin, MultiOutputMixin, RegressorMixin,
                    BaseEstimator):
    """Banded ridge: one λ per feature group (or per feature), chosen by K-fold CV.

    Minimizes ``(1/n_w) Σ s_i (y_i − x_iᵀw − b)² + Σ_g λ_g ‖w_g‖²`` with the λ vector that
    minimizes the K-fold CV error. The folds are factored once from their statistics (as
    :class:`RidgeCV`'s K-fold); the CV error and its exact gradient with respect to ``log λ``
    come from one solve per fold and one more with the same matrix (the adjoint). The search
    starts at the best single λ of a grid (the one-group ridge answer on the same folds) and
    runs L-BFGS-B (one λ vector shared by the targets) or a batched Newton method with the exact
    Hessian (``alpha_per_target=True``), within a box of three decades beyond the grid.

    Parameters
    ----------
    groups : None, "features", list of index arrays, or array of shape (n_features,)
        The feature groups: a partition of the columns (every feature in exactly one group),
        given as index lists or as one label per feature (groups in sorted label order).
        ``"features"``: one λ per feature. None: one group (ordinary ridge CV).
    alphas : array-like, optional
        Start grid in scikit-learn's ``Ridge`` scale (``Σ s_i r_i² + α‖w‖²`` on all the data,
        i.e. λ = α / n_w), positive. None: 30 values from the spectrum of X.
    cv : int, CV splitter or iterable of (train, test), default=5
        K-fold splits (an int is ``KFold(cv)``, as scikit-learn's regressors).
    fit_intercept : bool, default=True
    standardize : bool, default=False
        Penalize standardized features (scaled per training fold); coefficients are reported
        on the original scale.
    alpha_per_target : bool, default=False
        One λ vector per target (each target's own CV error); otherwise one vector shared by
        every target, minimizing the CV error averaged over targets.
    max_iter : int, default=100
        Iterations of the optimizer at most.
    tol : float, default=1e-7
        Stop when the projected gradient of the CV loss with respect to ``log λ`` is at most
        ``tol`` times the starting loss.
    scoring : None, "neg_mean_squared_error" (or "mse"), or "r2"
        The CV criterion (None: MSE). R² is averaged over folds, as scikit-learn.

    Attributes
    ----------
    coef_ : ndarray (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray (n_targets,)
    lambdas_ : ndarray (n_groups,) or (n_targets, n_groups)
        Canonical λ per group (per target and group with ``alpha_per_target``).
    alphas_ : ndarray, as ``lambdas_``
        ``lambdas_·n_w``: each group's penalty in scikit-learn's ``Ridge`` scale.
    best_score_ : float or ndarray (n_targets,)
        Mean CV score at ``lambdas_`` (negative MSE or R²).
    groups_ : list of ndarray
        The feature indices of each group.
    n_iter_ : int or ndarray (n_targets,)
    selection_ : BandedCVResult
        The start grid and its scores, the best single-λ baseline, the score history, the
        bounds and convergence flags.
    n_features_in_, feature_names_in_ : as scikit-learn.
    """

    def __init__(self, groups=None, *, alphas=None, cv=5, fit_intercept=True,
                 standardize=False, alpha_per_target=False, max_iter=100, tol=1e-7,
                 scoring=None):
        self.groups = groups
        self.alphas = alphas
        self.cv = cv
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.alpha_per_target = alpha_per_target
        self.max_iter = max_iter
        self.tol = tol
        self.scoring = scoring

    def fit(self, X, y, sample_weight=None):
        """Choose the λ of every group and fit on all of X (n, p) and y (n,) or (n, k)."""
        X, y = check_X_y(self, X, y)
        Y, squeeze = as_2d_targets(y)
        s = check_weights(sample_weight, X)
        groups = resolve_groups(self.groups, X.shape[1])
        scoring = check_scoring(self.scoring)
        _check_iterations(self.max_iter, self.tol)
        sw = float(s.sum())
        grid = None if self.alphas is None else start_alphas(self.alphas) / sw
        splits = _splits(self.cv, X, Y)
        # the folds' eigendecompositions only score the start grid (the banded solves never
        # use them): no SVD fallback for small penalties (min_lambda=inf)
        cv = BandedCV(X, Y, s, splits, groups, fit_intercept=self.fit_intercept,
                      standardize=self.standardize, scoring=scoring, min_lambda=np.inf)
        spectra = [f.factor for f in cv.folds]
        if grid is None:
            grid = auto_lambda_grid(spectra[0].e, spectra[0].sw, START_GRID)
        top = max(float(F.e[-1]) / F.sw for F in spectra if F.e.size)
        bounds = (max(float(grid.min()) * 1e-3, 1e-10 * top), float(grid.max()) * 1e3)
        per_target = bool(self.alpha_per_target) and Y.shape[1] > 1
        res = optimize_banded(cv, np.sort(grid)[::-1], per_target=per_target, bounds=bounds,
                              max_iter=int(self.max_iter), tol=float(self.tol))
        coef, inter = cv.refit(res.lambdas)
        store_regression_coef(self, coef, inter, squeeze, X.dtype)
        self.selection_ = res
        self.groups_ = groups
        self.lambdas_ = res.lambdas
        self.alphas_ = res.alphas
        self.best_score_ = res.best_score
        self.n_iter_ = res.n_iter
        return self


def _splits(cv, X, Y) -> list[tuple[np.ndarray, np.ndarray]]:
    splitter = check_cv(cv, Y[:, 0], classifier=False)
    splits = [(np.asarray(tr), np.asarray(te)) for tr, te in splitter.split(X, Y[:, 0])]
    if len(splits) < 2:
        raise ValueError(f"cross-validation needs at least 2 splits, got {len(splits)}")
    for tr, te in splits:
        if tr.size == 0 or te.size == 0:
            raise ValueError("a cross-validation split has an empty training or test set")
    return splits


def _check_iterations(max_iter, tol) -> None:
    if not isinstance(max_iter, numbers.Integral) or isinstance(max_iter, bool) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    if not isinstance(tol, numbers.Real) or not np.isfinite(tol) or tol <= 0:
        raise ValueError(f"tol must be a positive finite number, got {tol!r}")


def start_alphas(alphas) -> np.ndarray:
    """The start grid as a 1-d float64 array of positive finite values (refused otherwise)."""
    try:
        grid = np.atleast_1d(np.asarray(alphas, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"alphas must be numbers, got {alphas!r}") from exc
    if grid.ndim != 1 or grid.size == 0:
        raise ValueError(f"alphas must be a non-empty 1-d grid, got shape {grid.shape}")
    bad = np.flatnonzero(~np.isfinite(grid) | (grid <= 0))
    if bad.size:
        raise ValueError(f"alphas must be positive and finite (the search is over log λ), "
                         f"but alphas[{bad[0]}] is {float(grid[bad[0]])!r}")
    return grid


def resolve_groups(groups, p: int) -> list[np.ndarray]:
    """The feature groups as a partition of ``range(p)``: a list of sorted index arrays.

    ``None``: one group; ``"features"``: one group per feature; a list of index arrays (or
    boolean masks); or one label per feature (a 1-d array of length p). Empty groups,
    overlapping groups, features in no group and indices out of range are refused.
    """
    if groups is None:
        return [np.arange(p)]
    if isinstance(groups, str):
        if groups != "features":
            raise ValueError(f"groups must be 'features', a list of index arrays or one label "
                             f"per feature, got {groups!r}")
        return [np.array([j]) for j in range(p)]
    if isinstance(groups, np.ndarray) or all(np.ndim(g) == 0 for g in groups):
        return _from_labels(np.asarray(groups), p)
    return _from_lists(list(groups), p)


def _from_labels(labels: np.ndarray, p: int) -> list[np.ndarray]:
    if labels.ndim != 1 or labels.size != p:
        raise ValueError(f"groups as labels needs one label per feature: got shape "
                         f"{labels.shape} for {p} features")
    if labels.dtype.kind == "f" and np.isnan(labels).any():
        raise ValueError(f"groups: the label of feature {int(np.flatnonzero(np.isnan(labels))[0])}"
                         " is NaN")
    _, codes = np.unique(labels, return_inverse=True)
    return [np.flatnonzero(codes == g) for g in range(codes.max() + 1)]


def _from_lists(groups: list, p: int) -> list[np.ndarray]:
    owner = np.full(p, -1)
    out = []
    for g, idx in enumerate(groups):
        idx = np.asarray(idx)
        if idx.dtype == bool:
            if idx.shape != (p,):
                raise ValueError(f"group {g} is a boolean mask of shape {idx.shape}, not ({p},)")
            idx = np.flatnonzero(idx)
        if idx.size == 0:
            raise ValueError(f"group {g} is empty: every group needs at least one feature")
        if idx.ndim != 1 or idx.dtype.kind not in "iu":
            raise ValueError(f"group {g} must be a 1-d array of integer feature indices, "
                             f"got {idx.dtype} of shape {idx.shape}")
        out_of_range = idx[(idx < 0) | (idx >= p)]
        if out_of_range.size:
            raise ValueError(f"group {g} has feature index {int(out_of_range[0])} out of range "
                             f"for {p} features")
        for j in idx:
            if owner[j] >= 0:
                where = "twice" if owner[j] == g else f"in groups {owner[j]} and {g}"
                raise ValueError(f"groups overlap: feature {int(j)} is {where}")
            owner[j] = g
        out.append(np.sort(idx.astype(np.int64)))
    missing = np.flatnonzero(owner < 0)
    if missing.size:
        raise ValueError(f"groups must cover every feature: features {missing[:10].tolist()}"
                         f"{' ...' if missing.size > 10 else ''} are in no group")
    return out
