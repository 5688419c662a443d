"""L1 vs L2, side by side: every penalty's CV path on the same folds, in one table."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import check_cv

from ridgeline.estimators import (
    ElasticNet,
    ElasticNetCV,
    GroupLasso,
    GroupLassoCV,
    Lasso,
    LassoCV,
    RidgeCV,
)

PENALTIES = ("l2", "l1", "elasticnet", "group")


@dataclass
class PenaltyRow:
    """One penalty's cross-validated fit.

    Attributes
    ----------
    penalty : str
        One of :data:`PENALTIES`.
    cv_mse, cv_se : float
        Mean cross-validated MSE at the chosen λ and its standard error.
    n_nonzero : int
    lambda_ : float
        The canonical λ chosen.
    own_param : str
        The estimator's own parameter(s), e.g. ``"alpha=2.5"``.
    l1_norm, l2_norm : float
        ‖w‖₁ and ‖w‖₂ of the coefficients (original feature scale).
    coef : ndarray (p,)
        Coefficients of the refit at the chosen λ (original feature scale).
    """

    penalty: str
    cv_mse: float
    cv_se: float
    n_nonzero: int
    lambda_: float
    own_param: str
    l1_norm: float
    l2_norm: float
    coef: np.ndarray = field(repr=False)


@dataclass
class PenaltyComparison:
    """Rows of :func:`compare_penalties`, with printable tables.

    Attributes
    ----------
    rows : list of PenaltyRow
    n_splits : int
    feature_names : list of str
        One per coefficient: a DataFrame's columns, the names given, else ``x0, x1, …``.
    standardize : bool
        Whether every penalty applied to standardized features.
    rule : {"min", "1se"}
        How each row's λ was chosen.
    """

    rows: list
    n_splits: int
    feature_names: list[str] = field(default_factory=list)
    standardize: bool = False
    rule: str = "min"

    def __post_init__(self) -> None:
        if not self.feature_names and self.rows:
            p = np.asarray(self.rows[0].coef).size
            self.feature_names = [f"x{j}" for j in range(p)]

    def __getitem__(self, name: str) -> PenaltyRow:
        for row in self.rows:
            if row.penalty == name:
                return row
        raise KeyError(f"no penalty {name!r} in the comparison; it has "
                       f"{', '.join(r.penalty for r in self.rows)}")

    def table(self) -> str:
        """A plain-text table (one line per penalty)."""
        head = (f"{'penalty':<11} {'CV MSE':>11} {'± SE':>10} {'nonzero':>8} {'λ':>10} "
                f"{'‖w‖₁':>10} {'‖w‖₂':>10}  chosen")
        lines = [head, "-" * len(head)]
        for r in self.rows:
            lines.append(f"{r.penalty:<11} {r.cv_mse:>11.5g} {r.cv_se:>10.3g} {r.n_nonzero:>8d} "
                         f"{r.lambda_:>10.4g} {r.l1_norm:>10.4g} {r.l2_norm:>10.4g}  {r.own_param}")
        scaled = ", standardized features" if self.standardize else ""
        lines.append(f"({self.n_splits}-fold CV on the same folds for every penalty{scaled}; "
                     f"rule '{self.rule}')")
        return "\n".join(lines)

    def coef_table(self) -> str:
        """The coefficients: one line per feature (by name), one column per penalty."""
        width = max([7, *(len(n) for n in self.feature_names)])
        head = f"{'feature':<{width}} " + " ".join(f"{r.penalty:>11}" for r in self.rows)
        lines = [head, "-" * len(head)]
        coefs = [np.asarray(r.coef, dtype=np.float64).ravel() for r in self.rows]
        for j, name in enumerate(self.feature_names):
            lines.append(f"{name:<{width}} " + " ".join(f"{c[j]:>11.4g}" for c in coefs))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def penalty_row(penalty: str, result, coef, own_param: str) -> PenaltyRow:
    """One row from a CV result (at the grid position its rule chose) and the coefficients
    fitted there.

    Parameters
    ----------
    penalty : str
    result : RidgeCVResult
        MSE-scored (``neg_mean_squared_error``): the row's CV MSE is ``-mean_score`` at
        ``result.index_``, its standard error ``se`` there, λ ``lambdas`` there.
    coef : array (p,)
    own_param : str

    Returns
    -------
    PenaltyRow
    """
    idx = int(np.atleast_1d(result.index_)[0])
    coef = np.asarray(coef, dtype=np.float64).ravel()
    return PenaltyRow(penalty, float(-np.asarray(result.mean_score)[idx]),
                      float(np.asarray(result.se)[idx]), int(np.count_nonzero(coef)),
                      float(np.asarray(result.lambdas)[idx]), own_param,
                      float(np.abs(coef).sum()), float(np.linalg.norm(coef)), coef)


def compare_penalties(X, y, penalties=("l2", "l1", "elasticnet"), *, cv=5, l1_ratio=0.5,
                      groups=None, alphas=100, eps=1e-3, lambdas=None, standardize=False,
                      rule="min", sample_weight=None, fit_intercept=True, tol=1e-4,
                      max_iter=1000, feature_names=None) -> PenaltyComparison:
    """Fit each penalty's cross-validated path on the same folds and tabulate the outcome.

    Parameters
    ----------
    X : array (n, p), DataFrame or sparse;  y : array (n,)
    penalties : sequence of {"l2", "l1", "elasticnet", "group"}
    cv : int, splitter or iterable
        Split once; every penalty uses the same folds.
    l1_ratio : float
        scikit-learn's ρ for "elasticnet".
    groups : int, index lists or labels
        Required for "group".
    alphas : int
        Grid size for the sparse penalties.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the sparse penalties' automatic grids (glmnet uses 1e-4
        when n > p, 1e-2 otherwise).
    lambdas : array-like, optional
        Canonical λ grid of "l2" (e.g. the grid a ridge model was chosen on), scored as the
        automatic grid is: the same ``alpha = n_w·λ`` on every training fold, as
        ``RidgeCV(alphas=...)``. Default ridgeline's automatic dof grid, extended when the
        optimum sits on its edge.
    standardize : bool, default=False
        Penalize standardized features (each column divided by its standard deviation) in
        every penalty; coefficients are reported on the original scale.
    rule : {"min", "1se"}, default="min"
        Each penalty's λ: the best mean CV MSE, or the strongest regularization within one
        standard error of it (then refit there).
    feature_names : sequence of str (p,), optional
        Default: a DataFrame's column names, else ``x0, x1, …``.

    Returns
    -------
    PenaltyComparison
        Per penalty: mean CV MSE at the chosen λ and its standard error, nonzero
        coefficients, the canonical λ chosen, the estimator's own parameter, and ‖w‖₁, ‖w‖₂ of
        the refit; and the feature names.
    """
    _check_options(penalties, groups, rule)
    names = _feature_names(X, feature_names)
    y_arr = np.asarray(y)
    splits = list(check_cv(cv).split(X, y_arr))
    settings = {"fit_intercept": fit_intercept, "standardize": bool(standardize)}
    sparse = {"alphas": alphas, "eps": eps, "tol": tol, "max_iter": max_iter, **settings}
    if lambdas is not None:  # canonical λ → RidgeCV's alpha on all the (weighted) rows
        n_w = float(np.sum(sample_weight)) if sample_weight is not None else len(y_arr)
        lambdas = np.asarray(lambdas, dtype=np.float64).ravel() * n_w
    rows = []
    for name in penalties:
        est = _estimator(name, splits, l1_ratio, groups, lambdas, rule, settings, sparse)
        rows.append(_row(name, est, rule, (X, y, sample_weight), settings, tol, max_iter))
    return PenaltyComparison(rows, len(splits), names, bool(standardize), rule)


def _check_options(penalties, groups, rule: str) -> None:
    """Refuse unknown penalties, a group penalty without groups and an unknown rule."""
    unknown = [p for p in penalties if p not in PENALTIES]
    if unknown or not penalties:
        raise ValueError(f"penalties must be a non-empty subset of {PENALTIES}, got {penalties!r}")
    if "group" in penalties and groups is None:
        raise ValueError("the 'group' penalty needs groups=")
    if rule not in ("min", "1se"):
        raise ValueError(f"rule must be 'min' or '1se', got {rule!r}")


def _feature_names(X, given) -> list[str]:
    """The names given, else a DataFrame's columns, else ``x0, x1, …`` (checked against p)."""
    p = np.shape(X)[1] if len(np.shape(X)) == 2 else 1
    if given is not None:
        names = [str(v) for v in given]
        if len(names) != p:
            raise ValueError(f"feature_names has {len(names)} names for {p} features")
        return names
    cols = getattr(X, "columns", None)
    return [str(c) for c in cols] if cols is not None else [f"x{j}" for j in range(p)]


def _row(name, est, rule, data, settings, tol, max_iter) -> PenaltyRow:
    """Fit one penalty's CV estimator; its row at the rule's λ (sparse '1se': refit there)."""
    X, y, sample_weight = data
    est.fit(X, y, sample_weight=sample_weight)
    res = dataclasses.replace(est.selection_, rule=rule)
    coef = est.coef_
    alpha = float(np.asarray(res.alphas)[int(res.index_)])
    if name != "l2" and res.index_ != res.index_min:  # the CV estimator refits at λ_min
        coef = _single(name, est, alpha, settings, tol, max_iter).fit(
            X, y, sample_weight=sample_weight).coef_
    own = f"alpha={alpha:.4g}" + (f", l1_ratio={est.l1_ratio_:g}" if name == "elasticnet"
                                  else "")
    return penalty_row(name, res, coef, own)


def _estimator(name, splits, l1_ratio, groups, alphas_l2, rule, settings, sparse):
    if name == "l2":
        grid = {"alphas": alphas_l2} if alphas_l2 is not None else \
            {"alphas": "auto", "extend_grid": True}
        return RidgeCV(scoring="neg_mean_squared_error", cv=splits, rule=rule, **grid,
                       **settings)
    if name == "l1":
        return LassoCV(cv=splits, **sparse)
    if name == "elasticnet":
        return ElasticNetCV(l1_ratio=l1_ratio, cv=splits, **sparse)
    return GroupLassoCV(groups=groups, cv=splits, **sparse)


def _single(name, cv_est, alpha, settings, tol, max_iter):
    """The single-λ model of a sparse CV estimator, at ``alpha`` (the '1se' refit)."""
    common = {"alpha": alpha, "tol": tol, "max_iter": max_iter, **settings}
    if name == "l1":
        return Lasso(**common)
    if name == "elasticnet":
        return ElasticNet(l1_ratio=cv_est.l1_ratio_, **common)
    return GroupLasso(groups=cv_est.groups, **common)
