"""K-fold CV of banded ridge (one λ per feature group) with exact gradients over log λ.

The folds are RidgeCV's (:func:`ridgeline.selection.kfold.primal_folds`: one pass for every
fold's statistics, training = total − held-out, per-fold centering and scaling). For a vector
of per-group λ the training systems ``G_k + n_k·diag(λ)`` no longer share an eigenbasis, so each
evaluation solves them (:mod:`ridgeline.solvers.banded`); the held-out error and its gradient
with respect to ``log λ`` (adjoint: one more solve with the same matrix) come from the fold
statistics alone. The canonical objective is penalized on every fold as the estimators'
``lambdas=`` are: a training fold with weight sum ``n_k`` is penalized by ``n_k·λ_g``.

The optimum of the mean CV loss (MSE, or 1 − R²) over ``log λ`` is found with L-BFGS-B (one λ
vector shared by the targets) or a batched projected Newton method with the exact Hessian (one
λ vector per target, :mod:`ridgeline.selection.banded_newton`), both started from the best
single λ of a grid scored by the existing eigendecomposition of each fold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from ridgeline.selection.banded_newton import newton_per_target
from ridgeline.selection.kfold import PrimalFold, primal_folds
from ridgeline.selection.scoring import resolve_scorer
from ridgeline.solvers.banded import (
    FoldSystem,
    banded_coef,
    per_target_value_grad,
    shared_value_grad,
)
from ridgeline.solvers.spectral import feature_scale
from ridgeline.stats.moments import Moments, accumulate

SCORINGS = ("neg_mean_squared_error", "r2")


@dataclass
class BandedCVResult:
    """The outcome of a banded-ridge λ search.

    Attributes
    ----------
    groups : list of int ndarray
        The feature indices of each group.
    lambdas : ndarray (G,) or (k, G)
        Canonical λ per group (per target and group with per-target selection).
    alphas : ndarray, as ``lambdas``
        ``lambdas·n_w``: scikit-learn's ``Ridge`` scale of each group's penalty on all the data.
    best_score : float or ndarray (k,)
        Mean CV score at ``lambdas`` (neg MSE or R²; greater is better).
    baseline_lambda, baseline_score : float or ndarray (k,)
        The best single λ of the start grid and its mean CV score (the optimization's start).
    grid, grid_scores : ndarray (L,) and (L,) or (L, k)
        The start grid (canonical λ) and its mean CV scores.
    history : ndarray
        Mean CV score (averaged over targets) at the start and after each iteration.
    n_iter : int or ndarray (k,)
    converged : bool or ndarray (k,)
        Whether the projected-gradient tolerance was met.
    scoring : str
    per_target : bool
    bounds : (float, float)
        The box on each λ.
    """

    groups: list
    lambdas: np.ndarray
    alphas: np.ndarray
    best_score: float | np.ndarray
    baseline_lambda: float | np.ndarray
    baseline_score: float | np.ndarray
    grid: np.ndarray
    grid_scores: np.ndarray
    history: np.ndarray
    n_iter: int | np.ndarray
    converged: bool | np.ndarray
    scoring: str
    per_target: bool
    bounds: tuple[float, float]


def group_indicator(groups: list[np.ndarray], p: int) -> np.ndarray:
    """``E`` (p, G) with ``E[j, g] = 1`` when feature j belongs to group g (a partition)."""
    E = np.zeros((p, len(groups)))
    for g, idx in enumerate(groups):
        E[idx, g] = 1.0
    return E


def check_scoring(scoring) -> str:
    """The canonical name of an MSE or R² scoring (None: MSE); anything else is refused."""
    name = resolve_scorer("neg_mean_squared_error" if scoring is None else scoring, "").name
    if name not in SCORINGS:
        raise ValueError(f"scoring must be None, 'neg_mean_squared_error' (or 'mse') or 'r2' "
                         f"for banded ridge (its gradient is exact for those), got {scoring!r}")
    return name


class BandedCV:
    """Fold statistics of one banded-ridge selection and the CV loss over log λ.

    Parameters
    ----------
    X : ndarray (n, p) or scipy.sparse matrix
    Y : ndarray (n, k)
    s : ndarray (n,)
        Sample weights.
    splits : list of (train, test) index arrays
    groups : list of int ndarray
        A partition of the p features.
    fit_intercept, standardize : bool
    scoring : {"neg_mean_squared_error", "r2"}
    min_lambda : float
        The smallest λ that will be evaluated (guards the accuracy of the fold factors).
    """

    def __init__(self, X, Y: np.ndarray, s: np.ndarray, splits, groups: list[np.ndarray], *,
                 fit_intercept: bool, standardize: bool, scoring: str, min_lambda: float = 0.0):
        self.scorer = resolve_scorer(scoring, scoring)
        self.fit_intercept, self.standardize = fit_intercept, standardize
        self.folds, self.total = primal_folds(
            X, Y, s, splits, fit_intercept=fit_intercept, standardize=standardize,
            min_penalty=lambda sw_tr: min_lambda * sw_tr)
        self.groups = groups
        self.E = group_indicator(groups, X.shape[1])
        self.feature_group = np.argmax(self.E, axis=1)
        self.n_targets = Y.shape[1]
        self.sw = float(self.total.sw)
        K = len(self.folds)
        self.systems = [_fold_system(f, self.total, X, Y, s, fit_intercept,
                                     self.scorer.name == "r2", K) for f in self.folds]

    # ---- scores -----------------------------------------------------------------------------
    def fold_scores(self, lambdas: np.ndarray) -> np.ndarray:
        """Held-out scores (K, k) of per-group λ (G,) shared by the targets, or (k, G)."""
        lam = np.asarray(lambdas, dtype=np.float64)
        out = []
        for f, sysk in zip(self.folds, self.systems, strict=True):
            if lam.ndim == 1:
                sse, _ = shared_value_grad(sysk, lam[self.feature_group], self.E, grad=False)
            else:
                cols = np.arange(self.n_targets)
                sse = per_target_value_grad(sysk, lam[:, self.feature_group], self.E, cols,
                                            hessian=False)[0]
            out.append(self.scorer.from_sse(sse[None], f.sst(), f.held_sw(),
                                            n_rows=f.held.n)[0])
        return np.stack(out)

    def grid_scores(self, grid: np.ndarray) -> np.ndarray:
        """Mean CV scores (L, k) of single λ values from each fold's eigendecomposition."""
        total = 0.0
        for f in self.folds:
            pen = grid * f.factor.sw
            f.factor.check_penalties(pen)
            total = total + self.scorer.from_sse(f.sse(pen), f.sst(), f.held_sw(),
                                                 n_rows=f.held.n)
        return total / len(self.folds)

    # ---- the loss and its derivatives -------------------------------------------------------
    def shared_loss(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean CV loss over targets of one λ vector ``exp(theta)`` (G,), and its gradient."""
        lam = np.exp(theta)[self.feature_group]
        loss, grad = 0.0, np.zeros(theta.size)
        for sysk in self.systems:
            sse, g = shared_value_grad(sysk, lam, self.E)
            loss += float(sysk.weight @ sse)
            grad += g
        return loss / self.n_targets, grad / self.n_targets

    def target_loss(self, theta: np.ndarray, cols: np.ndarray, hessian: bool = True):
        """CV loss (m,), gradient (m, G) and Hessian (m, G, G) of targets ``cols`` at their
        own ``exp(theta)`` (m, G)."""
        lam = np.exp(theta)[:, self.feature_group]
        m, G = theta.shape
        loss, grad = np.zeros(m), np.zeros((m, G))
        hess = np.zeros((m, G, G)) if hessian else None
        for sysk in self.systems:
            sse, g, H = per_target_value_grad(sysk, lam, self.E, cols, hessian=hessian)
            loss += sysk.weight[cols] * sse
            grad += g
            if hessian:
                hess += H
        return loss, grad, hess

    # ---- the full-data fit ------------------------------------------------------------------
    def refit(self, lambdas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coefficients (p, k) and intercepts (k,) on all the data at per-group λ (G,)/(k, G)."""
        t = self.total
        cm = t.centered(self.fit_intercept)
        p = cm.G.shape[0]
        scale = feature_scale(np.diag(cm.G), cm.sw) if self.standardize else np.ones(p)
        lam = np.asarray(lambdas, dtype=np.float64)
        pen = cm.sw * (lam[self.feature_group] if lam.ndim == 1 else lam[:, self.feature_group])
        W = banded_coef(cm.G / np.outer(scale, scale), cm.C / scale[:, None], pen)
        coef = W / scale[:, None]
        inter = (cm.mean_y + t.shift_y) - (cm.mean_x + t.shift_x) @ coef
        return coef, inter


def _fold_system(f: PrimalFold, total: Moments, X, Y, s, fit_intercept: bool, r2: bool,
                 K: int) -> FoldSystem:
    """A fold's training system and held-out statistics about the training means, in the
    fold's scaled coordinates (the same algebra as :meth:`PrimalFold.sse`)."""
    F, h = f.factor, f.held
    n = X.shape[0]
    if f.train.size + f.test.size == n and np.union1d(f.train, f.test).size == n:
        tr = total - h
    else:
        tr = accumulate(X, Y, s, rows=f.train, shift=(total.shift_x, total.shift_y))
    cm = tr.centered(fit_intercept)
    mx, my = F.mean_x - h.shift_x, F.mean_y - h.shift_y
    a = h.yy - 2 * my * h.sy + h.sw * my**2
    B = h.C - np.outer(h.sx, my) - np.outer(mx, h.sy) + h.sw * np.outer(mx, my)
    M = h.G - np.outer(h.sx, mx) - np.outer(mx, h.sx) + h.sw * np.outer(mx, mx)
    sc = F.scale
    S2 = np.outer(sc, sc)
    if r2:
        sst = f.sst()
        weight = np.divide(1.0, sst, out=np.zeros_like(sst), where=sst > 0)
    else:
        weight = np.full(a.shape, 1.0 / h.sw)
    return FoldSystem(G=cm.G / S2, C=cm.C / sc[:, None], n=float(cm.sw), a=a,
                      B=B / sc[:, None], M=0.5 * (M + M.T) / S2, weight=weight / K)


def optimize_banded(cv: BandedCV, grid: np.ndarray, *, per_target: bool, bounds,
                    max_iter: int, tol: float) -> BandedCVResult:
    """Minimize the mean CV loss over log λ per group, from the best single λ of ``grid``.

    Parameters
    ----------
    cv : BandedCV
    grid : ndarray (L,)
        Canonical λ values scored first (one λ for every group); the best starts the search.
    per_target : bool
        One λ vector per target (batched Newton) instead of one shared (L-BFGS-B).
    bounds : (float, float)
        Box on every λ (positive).
    max_iter : int
    tol : float
        Stop when the projected gradient of the loss over log λ is at most ``tol`` times the
        starting loss (per target with ``per_target``).
    """
    G = len(cv.groups)
    lo, hi = np.log(bounds[0]), np.log(bounds[1])
    gs = cv.grid_scores(grid)  # (L, k)
    if per_target:
        best = np.argmax(np.where(np.isnan(gs), -np.inf, gs), axis=0)
        base_lam, base_score = grid[best], gs[best, np.arange(gs.shape[1])]
        theta0 = np.repeat(np.clip(np.log(base_lam), lo, hi)[:, None], G, axis=1)
        out = newton_per_target(cv.target_loss, theta0, lo, hi, tol=tol, max_iter=max_iter)
        theta, n_iter, conv, hist_loss = out
        grid_scores = gs
    else:
        mean = gs.mean(axis=1)
        best = int(np.argmax(np.where(np.isnan(mean), -np.inf, mean)))
        base_lam, base_score = float(grid[best]), float(mean[best])
        theta0 = np.full(G, np.clip(np.log(base_lam), lo, hi))
        theta, n_iter, conv, hist_loss = _lbfgs_shared(cv, theta0, lo, hi, max_iter, tol)
        grid_scores = mean
    lam = np.exp(theta)
    scores = cv.fold_scores(lam).mean(axis=0)
    score = scores if per_target else float(scores.mean())
    offset = 1.0 if cv.scorer.name == "r2" else 0.0
    return BandedCVResult(
        groups=cv.groups, lambdas=lam, alphas=lam * cv.sw, best_score=score,
        baseline_lambda=base_lam, baseline_score=base_score, grid=grid,
        grid_scores=grid_scores, history=offset - np.asarray(hist_loss), n_iter=n_iter,
        converged=conv, scoring=cv.scorer.name, per_target=per_target,
        bounds=(float(bounds[0]), float(bounds[1])))


def _lbfgs_shared(cv: BandedCV, theta0: np.ndarray, lo: float, hi: float, max_iter: int,
                  tol: float):
    """L-BFGS-B over one shared log λ vector; the loss is scaled by its starting value so
    that ``tol`` bounds the relative projected gradient. Returns (θ, n_iter, converged,
    loss history)."""
    f0, g0 = cv.shared_loss(theta0)
    scale = f0 if f0 > 0 else 1.0
    history = [f0]
    if _projected_gradient(theta0, g0 / scale, lo, hi) <= tol:
        return theta0, 0, True, history

    def fun(theta):
        f, g = cv.shared_loss(theta)
        return f / scale, g / scale

    def record(intermediate_result):
        history.append(float(intermediate_result.fun) * scale)

    res = minimize(fun, theta0, jac=True, method="L-BFGS-B", callback=record,
                   bounds=[(lo, hi)] * theta0.size,
                   options={"maxiter": max_iter, "gtol": tol, "ftol": 1e-15, "maxls": 40})
    theta = res.x
    if res.fun * scale > f0:  # never worse than the start
        theta = theta0
    _, g = cv.shared_loss(theta)
    conv = _projected_gradient(theta, g / scale, lo, hi) <= tol
    return theta, int(res.nit), bool(conv), history


def _projected_gradient(theta, g, lo, hi) -> float:
    """``max |θ − clip(θ − ∇, lo, hi)|`` (L-BFGS-B's measure of stationarity on a box)."""
    return float(np.max(np.abs(theta - np.clip(theta - g, lo, hi)), initial=0.0))
