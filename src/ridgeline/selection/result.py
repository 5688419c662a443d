"""The cross-validation result object and the rules that pick λ from it."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np


class GridEdgeWarning(UserWarning):
    """The selected λ lies at an end of the grid: the optimum may lie outside it."""


@dataclass
class RidgeCVResult:
    """Everything cross-validation learned about λ.

    Scores are "greater is better" (errors negated, as in scikit-learn).

    Attributes
    ----------
    lambdas : ndarray (L,)
        Canonical λ grid (in the order evaluated).
    alphas : ndarray (L,)
        The same grid in the estimator's own parameter convention (e.g. scikit-learn ``alpha``).
    method : str
        ``"kfold"``, ``"loo"`` or ``"gcv"``.
    scoring : str
        Name of the scoring rule.
    fold_scores : ndarray (K, L, k) or None
        Per-fold, per-λ, per-target held-out scores (K-fold); None for LOO and GCV, which keep
        only the mean and its standard error (per-sample LOO errors: ``store_cv_results``).
    mean_score : ndarray (L,) or (L, k)
        CV curve: mean over folds (averaged over targets unless ``per_target``).
    se : ndarray, same shape as ``mean_score``
        Standard error of the mean over folds (NaN for GCV).
    dof : ndarray (L,)
        Effective degrees of freedom on the full data (including the intercept).
    index_min, index_1se : int or ndarray (k,)
        Grid positions of the best score and of the one-standard-error choice.
    lambda_min, lambda_1se : float or ndarray (k,)
    rule : str
        ``"min"`` or ``"1se"``: which of the two the estimator used.
    per_target : bool
    train_mse : ndarray (K, L) or None
        Training mean squared error per fold (the over/under-fitting picture).
    n_splits : int
    lambda_off_grid : float or ndarray (k,) or None
        The exact optimum of the criterion over continuous λ, with the grid only as its
        bracket (``RidgeCV(refine=True)`` for K-fold/LOO/GCV; always for ``cv="evidence"``);
        None when only the grid was scored. When set and ``rule == "min"`` it is
        :attr:`lambda_`.
    score_off_grid : float or ndarray (k,) or None
        The criterion at ``lambda_off_grid`` ("greater is better", as ``mean_score``); with
        ``refine`` never below the best grid point's score.
    alpha_off_grid : float or ndarray (k,) or None
        ``lambda_off_grid`` in the estimator's own convention (as ``alphas``: a grid value
        maps to the given alpha itself); None when the caller gave no map (then ``λ·n_w``
        for scikit-learn's ``alpha``).
    """

    lambdas: np.ndarray
    alphas: np.ndarray
    method: str
    scoring: str
    fold_scores: np.ndarray | None
    mean_score: np.ndarray
    se: np.ndarray
    dof: np.ndarray
    index_min: int | np.ndarray
    index_1se: int | np.ndarray
    lambda_min: float | np.ndarray
    lambda_1se: float | np.ndarray
    rule: str
    per_target: bool
    train_mse: np.ndarray | None
    n_splits: int
    lambda_off_grid: float | np.ndarray | None = None
    score_off_grid: float | np.ndarray | None = None
    alpha_off_grid: float | np.ndarray | None = None

    @property
    def index_(self) -> int | np.ndarray:
        """Grid position chosen by :attr:`rule`."""
        return self.index_min if self.rule == "min" else self.index_1se

    @property
    def lambda_(self) -> float | np.ndarray:
        """Canonical λ chosen by :attr:`rule` (the off-grid optimum when there is one)."""
        if self.rule == "min" and self.lambda_off_grid is not None:
            return self.lambda_off_grid
        return self.lambda_min if self.rule == "min" else self.lambda_1se

    @property
    def off_grid(self) -> bool:
        """Whether :attr:`lambda_` is the off-grid optimum (set, and ``rule == "min"``)."""
        return self.rule == "min" and self.lambda_off_grid is not None

    @property
    def best_score(self) -> float | np.ndarray:
        """Mean CV score at the chosen λ (:attr:`score_off_grid` when λ is off the grid)."""
        if self.off_grid and self.score_off_grid is not None:
            sc = self.score_off_grid
            return np.asarray(sc, dtype=np.float64).copy() if self.per_target else float(sc)
        idx = self.index_
        if self.per_target:
            return self.mean_score[idx, np.arange(self.mean_score.shape[1])]
        return float(self.mean_score[idx])

    def summary(self) -> str:
        """A few lines of text: the grid, the chosen λ and why (and the off-grid optimum)."""
        lam = np.atleast_1d(self.lambda_)
        own = np.atleast_1d(self.alphas[np.atleast_1d(self.index_)])
        if self.off_grid and self.alpha_off_grid is not None:
            own = np.atleast_1d(self.alpha_off_grid)
        lines = [
            f"{self.method} cross-validation over {self.lambdas.size} λ "
            f"[{self.lambdas.min():.3g}, {self.lambdas.max():.3g}], scoring={self.scoring}",
            f"rule={self.rule}: λ = {', '.join(f'{v:.4g}' for v in lam[:5])}"
            + (" ..." if lam.size > 5 else "")
            + f" (the estimator's own parameter: {', '.join(f'{v:.4g}' for v in own[:5])}; "
            f"mean score {np.atleast_1d(self.best_score)[0]:.6g})",
        ]
        if self.off_grid:
            lines.append(self.off_grid_note())
        return "\n".join(lines)

    def off_grid_note(self) -> str:
        """One line on the off-grid λ: its score beside the grid's best, and its bracket."""
        lam = np.atleast_1d(self.lambda_off_grid)
        score = np.atleast_1d(self.score_off_grid if self.score_off_grid is not None
                              else np.nan)
        grid = np.atleast_1d(self.lambda_min)
        mean = np.asarray(self.mean_score).reshape(self.lambdas.size, -1)
        idx = np.atleast_1d(self.index_min)
        best = mean[idx, np.arange(idx.size)] if self.per_target else mean[idx[0]]
        head = (f"λ off the grid = {', '.join(f'{v:.6g}' for v in lam[:5])} "
                f"(mean score {score[0]:.10g}; the grid's best λ = {grid[0]:.6g}: {best[0]:.10g})")
        if self.method == "evidence":
            return head + ": the exact maximizer of the evidence"
        edge = edge_sides(self.lambdas, idx)
        where = ("; the grid's best is at its end: searched in the edge interval only, the "
                 "optimum may lie beyond the grid" if edge else "")
        return (head + ": the maximizer over continuous log λ between the grid's best and its "
                f"neighbours{where}")

    def off_grid_report(self) -> dict:
        """``lambda_off_grid`` and ``score_off_grid`` as lists (a JSON report's keys), or an
        empty dict when λ is not off the grid."""
        if not self.off_grid:
            return {}
        score = self.score_off_grid if self.score_off_grid is not None else np.nan
        return {"lambda_off_grid": np.atleast_1d(self.lambda_off_grid).astype(float).tolist(),
                "score_off_grid": np.atleast_1d(score).astype(float).tolist()}


def select_min(mean: np.ndarray) -> np.ndarray:
    """First position of the maximum along axis 0 (ties keep grid order, as scikit-learn).

    A NaN score is never the maximum (``np.argmax`` alone would pick the first NaN); when
    every score is NaN the first position is returned.
    """
    mean = np.asarray(mean, dtype=np.float64)
    return np.argmax(np.where(np.isnan(mean), -np.inf, mean), axis=0)


def select_1se(lambdas: np.ndarray, mean: np.ndarray, se: np.ndarray,
               index_min: np.ndarray) -> np.ndarray:
    """Largest λ whose mean score is within one standard error of the best.

    Hastie, Tibshirani & Friedman (2009), *The Elements of Statistical Learning*, §7.10.
    """
    cols = mean.shape[1] if mean.ndim == 2 else None
    m2 = mean.reshape(mean.shape[0], -1)
    s2 = se.reshape(se.shape[0], -1)
    best = np.atleast_1d(index_min)
    out = np.empty(m2.shape[1], dtype=np.int64)
    for t in range(m2.shape[1]):
        b = best[t]
        thresh = m2[b, t] - (s2[b, t] if np.isfinite(s2[b, t]) else 0.0)
        ok = np.flatnonzero(m2[:, t] >= thresh)
        out[t] = ok[np.argmax(lambdas[ok])]
    return out if cols is not None else out[0]


def edge_sides(lambdas: np.ndarray, index: np.ndarray) -> set[str]:
    """Which ends of the grid (``"high"``/``"low"``) the chosen positions sit on."""
    if lambdas.size < 2:
        return set()
    hi, lo = int(np.argmax(lambdas)), int(np.argmin(lambdas))
    sides = set()
    for i in np.atleast_1d(index):
        if i == hi:
            sides.add("high")
        elif i == lo:
            sides.add("low")
    return sides


def warn_edges(sides: set[str], *, dof: np.ndarray | None = None, lambdas=None,
               dof_max: float | None = None, stacklevel: int = 2,
               remedy: str = "widen the grid (alphas/lambdas) or pass extend_grid=True") -> None:
    """Warn that the chosen λ sits on an edge of the grid.

    ``stacklevel`` counts from the caller of this function (2 = the caller's caller).
    """
    for side in sorted(sides):
        which = "largest" if side == "high" else "smallest"
        extra = ""
        if side == "low" and dof is not None and dof_max and np.isfinite(dof).all():
            d = float(dof[int(np.argmin(lambdas))])
            if d >= 0.75 * dof_max:
                extra = (f" (there the effective degrees of freedom are {d:.1f} of at most "
                         f"{dof_max:.0f}: the data call for little regularization)")
        warnings.warn(
            f"the selected λ is the {which} value of the grid{extra}; the optimum may lie "
            f"beyond it: {remedy}",
            GridEdgeWarning,
            stacklevel=stacklevel + 1,
        )
