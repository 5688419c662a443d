"""L1 vs L2, side by side: every penalty's CV path on the same folds, in one table."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import check_cv

from ridgeline.estimators import ElasticNetCV, GroupLassoCV, LassoCV, RidgeCV

PENALTIES = ("l2", "l1", "elasticnet", "group")


@dataclass
class PenaltyRow:
    """One penalty's cross-validated fit."""

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
    """Rows of :func:`compare_penalties`, with a printable table."""

    rows: list
    n_splits: int

    def __getitem__(self, name: str) -> PenaltyRow:
        for row in self.rows:
            if row.penalty == name:
                return row
        raise KeyError(name)

    def table(self) -> str:
        """A plain-text table (one line per penalty)."""
        head = (f"{'penalty':<11} {'CV MSE':>11} {'± SE':>10} {'nonzero':>8} {'λ':>10} "
                f"{'‖w‖₁':>10} {'‖w‖₂':>10}  chosen")
        lines = [head, "-" * len(head)]
        for r in self.rows:
            lines.append(f"{r.penalty:<11} {r.cv_mse:>11.5g} {r.cv_se:>10.3g} {r.n_nonzero:>8d} "
                         f"{r.lambda_:>10.4g} {r.l1_norm:>10.4g} {r.l2_norm:>10.4g}  {r.own_param}")
        lines.append(f"({self.n_splits}-fold CV on the same folds for every penalty)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def compare_penalties(X, y, penalties=("l2", "l1", "elasticnet"), *, cv=5, l1_ratio=0.5,
                      groups=None, alphas=100, sample_weight=None, fit_intercept=True,
                      tol=1e-4, max_iter=1000) -> PenaltyComparison:
    """Fit each penalty's cross-validated path on the same folds and tabulate the outcome.

    Parameters
    ----------
    X : array (n, p) or sparse;  y : array (n,)
    penalties : sequence of {"l2", "l1", "elasticnet", "group"}
    cv : int, splitter or iterable
        Split once; every penalty uses the same folds.
    l1_ratio : float
        scikit-learn's ρ for "elasticnet".
    groups : int, index lists or labels
        Required for "group".
    alphas : int
        Grid size for the sparse penalties (the L2 grid is ridgeline's automatic dof grid,
        extended when the optimum sits on its edge).

    Returns
    -------
    PenaltyComparison
        Per penalty: best mean CV MSE and its standard error, nonzero coefficients, the
        canonical λ chosen, the estimator's own parameter, and ‖w‖₁, ‖w‖₂ of the refit.
    """
    unknown = [p for p in penalties if p not in PENALTIES]
    if unknown or not penalties:
        raise ValueError(f"penalties must be a non-empty subset of {PENALTIES}, got {penalties!r}")
    if "group" in penalties and groups is None:
        raise ValueError("the 'group' penalty needs groups=")
    y_arr = np.asarray(y)
    splits = list(check_cv(cv).split(X, y_arr))
    rows = []
    for name in penalties:
        est = _estimator(name, splits, l1_ratio, groups, alphas, fit_intercept, tol, max_iter)
        est.fit(X, y, sample_weight=sample_weight)
        res = est.selection_
        idx = res.index_
        coef = np.asarray(est.coef_, dtype=np.float64).ravel()
        own = (f"alpha={est.alpha_:.4g}" + (f", l1_ratio={est.l1_ratio_:g}"
                                             if name == "elasticnet" else ""))
        rows.append(PenaltyRow(name, float(-res.mean_score[idx]), float(res.se[idx]),
                               int(np.count_nonzero(coef)), float(est.lambda_), own,
                               float(np.abs(coef).sum()), float(np.linalg.norm(coef)), coef))
    return PenaltyComparison(rows, len(splits))


def _estimator(name, splits, l1_ratio, groups, alphas, fit_intercept, tol, max_iter):
    common = {"cv": splits, "fit_intercept": fit_intercept}
    if name == "l2":
        return RidgeCV(alphas="auto", scoring="neg_mean_squared_error", extend_grid=True,
                       **common)
    sparse = {"alphas": alphas, "tol": tol, "max_iter": max_iter, **common}
    if name == "l1":
        return LassoCV(**sparse)
    if name == "elasticnet":
        return ElasticNetCV(l1_ratio=l1_ratio, **sparse)
    return GroupLassoCV(groups=groups, **sparse)
