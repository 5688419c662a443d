"""Choose λ for ridge: K-fold, leave-one-out or GCV over a whole grid from one factorization.

:func:`select_ridge` is the single entry point used by the estimators and the command line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.linalg import svds
from sklearn.model_selection import check_cv

from ridgeline.path.grid import auto_lambda_grid, extend_grid
from ridgeline.selection._identity import IdentityClassifier, IdentityRegressor
from ridgeline.selection.kfold import (
    DualFold,
    LsqrFold,
    PrimalFold,
    dual_folds,
    moment_folds,
    primal_folds,
)
from ridgeline.selection.loo import check_exact, gcv_curve, loo_curve
from ridgeline.selection.result import (
    RidgeCVResult,
    edge_sides,
    select_1se,
    select_min,
    warn_edges,
)
from ridgeline.selection.scoring import Scorer, resolve_scorer
from ridgeline.solvers.dual import dual_factor, weighted_means, weighted_scale
from ridgeline.solvers.iterative import centered_operator, lsqr_path
from ridgeline.solvers.spectral import Factor, factor_from_moments, needs_svd, svd_factor
from ridgeline.stats.moments import Moments, accumulate

SOLVERS = ("auto", "eigh", "svd", "dual", "lsqr")


@dataclass
class RidgeSelection:
    """What :func:`select_ridge` returns: the CV result and the full-data factorization.

    ``factor`` is None only for the iterative route, where ``lsqr_coef``/``lsqr_intercept``
    hold the full-data solution at the chosen λ instead.
    """

    result: RidgeCVResult
    factor: Factor | None
    route: str
    lsqr_coef: np.ndarray | None = None
    lsqr_intercept: np.ndarray | None = None


def choose_route(X, solver: str) -> str:
    """Pick the factorization: primal eigen (n ≥ p), dual kernel (p > n) or LSQR (both huge)."""
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; choose one of {SOLVERS}")
    if solver != "auto":
        return solver
    n, p = X.shape
    if p <= n and p <= 8000:
        return "eigh"
    if p > n and n <= 12000:
        return "dual"
    if p <= 4000:
        return "eigh"
    return "lsqr"


def full_factor(X, Y, s, route: str, *, fit_intercept: bool, standardize: bool,
                min_penalty: float, moments: Moments | None = None) -> Factor:
    """Factor the whole data set by the given route (SVD fallback when ill-conditioned).

    ``moments`` are the total moments of (X, Y) when already accumulated (primal routes).
    """
    if route == "dual":
        return dual_factor(X, Y, s, fit_intercept=fit_intercept, standardize=standardize)
    m = accumulate(X, Y, s) if moments is None else moments
    F = factor_from_moments(m.centered(fit_intercept), shift_x=m.shift_x, shift_y=m.shift_y,
                            standardize=standardize)
    if route == "svd" or needs_svd(F, min_penalty):
        F = svd_factor(X, Y, s, F.mean_x, F.mean_y, F.scale)
    return F


def _splits(cv, X, y_split, groups, classifier: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    splitter = check_cv(cv, y_split, classifier=classifier)
    splits = [(np.asarray(tr), np.asarray(te)) for tr, te in splitter.split(X, y_split, groups)]
    for tr, te in splits:
        if tr.size == 0 or te.size == 0:
            raise ValueError("a cross-validation split has an empty training or test set")
    return splits


def select_ridge(
    X,
    Y: np.ndarray,
    s: np.ndarray,
    *,
    lambdas: np.ndarray | None = None,
    n_lambdas: int = 100,
    cv=5,
    scoring=None,
    rule: str = "min",
    fit_intercept: bool = True,
    standardize: bool = False,
    per_target: bool = False,
    solver: str = "auto",
    convention: str = "canonical",
    extend: bool | int = False,
    warn_edge: bool = True,
    groups=None,
    y_split=None,
    classes=None,
    y_labels=None,
    to_alpha=None,
    warn_stacklevel: int = 2,
) -> RidgeSelection:
    """Score every λ of a grid by K-fold CV, exact LOO or GCV, and choose one.

    Parameters
    ----------
    X : ndarray (n, p) or scipy.sparse matrix
    Y : ndarray (n, k)
    s : ndarray (n,)
        Sample weights (non-negative, positive sum).
    lambdas : ndarray (L,), optional
        Canonical λ grid; derived from the spectrum of X when None.
    cv : int, "loo", "gcv", None (= "loo"), CV splitter or iterable of (train, test)
    scoring : None, str or callable
        Default: R² for K-fold (as scikit-learn's GridSearchCV), MSE for LOO/GCV; accuracy for
        classifiers under K-fold.
    rule : {"min", "1se"}
    convention : {"canonical", "fixed"}
        ``canonical``: a training fold with weight sum n_k is penalized by ``n_k·λ`` (λ means
        the same on every fold). ``fixed``: every fit uses the full-data penalty ``n_w·λ``,
        i.e. a fixed scikit-learn ``alpha`` (what scikit-learn's own CV does).
    extend : bool or int
        When the chosen λ is at an end of the grid, extend the grid beyond it and re-score (up
        to ``extend`` times, 3 when True) instead of only warning.
    classes, y_labels : for classifiers scored by class labels (ridge classifiers).
    to_alpha : callable, optional
        Maps canonical λ to the caller's parameter convention (stored in the result).
    warn_stacklevel : int
        Where a :class:`GridEdgeWarning` points: 2 = the caller of this function.
    """
    if rule not in ("min", "1se"):
        raise ValueError(f"rule must be 'min' or '1se', got {rule!r}")
    if convention not in ("canonical", "fixed"):
        raise ValueError(f"convention must be 'canonical' or 'fixed', got {convention!r}")
    route = choose_route(X, solver)
    method = _method(cv)
    classifier = classes is not None
    default = ("accuracy" if classifier else "r2") if method == "kfold" else "mse"
    scorer = resolve_scorer(scoring, default)
    if method != "kfold" and route == "lsqr":
        raise ValueError(
            f"exact {method.upper()} needs a factorization, which solver='lsqr' never forms: "
            "use K-fold cross-validation (cv=K) with lsqr, or another solver"
        )
    check_exact(method, scorer, rule)
    sw = float(s.sum())
    given = lambdas is not None
    lam = None if lambdas is None else np.asarray(lambdas, dtype=np.float64)
    min_pen = 0.0 if lam is None else float(lam.min()) * sw

    ctx = _Context(X, Y, s, fit_intercept, standardize, convention, scorer, classifier,
                   classes, y_labels, per_target, route)
    factor = None
    if method == "kfold":
        splits = _splits(cv, X, Y[:, 0] if y_split is None else y_split, groups, classifier)
        factor = ctx.prepare_folds(splits, lam, min_pen)
    if factor is None and route != "lsqr":
        factor = full_factor(X, Y, s, route, fit_intercept=fit_intercept,
                             standardize=standardize, min_penalty=min_pen)
    if lam is None:
        lam = _auto_grid(X, s, factor, n_lambdas, fit_intercept, standardize)
    if factor is not None and needs_svd(factor, float(lam.min()) * sw) and factor.method == "eigh":
        factor = svd_factor(X, Y, s, factor.mean_x, factor.mean_y, factor.scale)

    if method == "kfold":
        evaluate = ctx.kfold
    elif method == "loo":
        evaluate = lambda grid: ctx.loo(factor, grid)  # noqa: E731
    else:
        evaluate = lambda grid: ctx.gcv(factor, grid)  # noqa: E731

    result = _score_grid(lam, evaluate, factor, method, scorer, rule, per_target,
                         fit_intercept, to_alpha, sw, extend=extend,
                         warn_edge=warn_edge, given=given, warn_stacklevel=warn_stacklevel + 1)
    sel = RidgeSelection(result=result, factor=factor, route=route)
    if route == "lsqr":
        chosen = np.atleast_1d(result.lambda_) * sw
        fit = lsqr_path(X, Y, s, np.unique(chosen), fit_intercept=fit_intercept,
                        standardize=standardize)
        sel.lsqr_coef, sel.lsqr_intercept = _pick_lsqr(fit, np.unique(chosen), chosen, Y.shape[1])
    return sel


def _score_grid(lam, evaluate, factor, method, scorer, rule, per_target, fit_intercept,
                to_alpha, sw, *, extend, warn_edge, given, warn_stacklevel) -> RidgeCVResult:
    """Score a grid (extending it past an edge up to ``extend`` times) and warn at an edge.

    ``warn_stacklevel`` is handed to :func:`warn_edges` (2 = the caller of this function).
    """
    rounds = 3 if extend is True else int(extend or 0)
    while True:
        result = _assemble(lam, evaluate(lam), factor, method, scorer, rule, per_target,
                           fit_intercept, to_alpha, sw)
        sides = edge_sides(lam, result.index_)
        if not sides or rounds <= 0:
            break
        for side in sides:
            lam = extend_grid(lam, side)
        rounds -= 1
    if sides and warn_edge and (given or lam.size > 1):
        dof_max = factor.rank + (1 if fit_intercept else 0) if factor is not None else None
        warn_edges(sides, dof=result.dof, lambdas=lam, dof_max=dof_max,
                   stacklevel=warn_stacklevel)
    return result


def select_ridge_moments(
    total: Moments,
    held: list[Moments],
    *,
    lambdas: np.ndarray | None = None,
    n_lambdas: int = 100,
    scoring=None,
    rule: str = "min",
    fit_intercept: bool = True,
    standardize: bool = False,
    per_target: bool = False,
    convention: str = "canonical",
    extend: bool | int = False,
    warn_edge: bool = True,
    to_alpha=None,
    warn_stacklevel: int = 2,
) -> RidgeSelection:
    """K-fold CV of every λ from fold statistics alone (streamed or distributed data).

    The same computation as :func:`select_ridge` with K-fold CV on the primal route, entered
    from the moments of the whole data (``total``) and of each held-out fold (``held``,
    partitioning the rows): training statistics are ``total − held[k]``, one eigendecomposition
    per fold scores every λ. Only statistics scorers (R², MSE, RMSE) are available — no rows
    are left for predictions — and there is no SVD fallback for an ill-conditioned Gram.

    Parameters
    ----------
    total : Moments
        Moments of every row (p features, k targets).
    held : list of Moments, length K
        Moments of each fold's rows, about the same reference point as ``total``.
    lambdas, n_lambdas, scoring, rule, fit_intercept, standardize, per_target, convention,
    extend, warn_edge, to_alpha, warn_stacklevel : as :func:`select_ridge` (default score R²).

    Returns
    -------
    RidgeSelection
        ``factor`` is the full-data factorization (for the refit at the chosen λ).
    """
    if rule not in ("min", "1se"):
        raise ValueError(f"rule must be 'min' or '1se', got {rule!r}")
    if convention not in ("canonical", "fixed"):
        raise ValueError(f"convention must be 'canonical' or 'fixed', got {convention!r}")
    if len(held) < 2:
        raise ValueError(f"K-fold cross-validation needs at least 2 folds, got {len(held)}")
    scorer = resolve_scorer(scoring, "r2")
    if scorer.kind != "stats":
        raise ValueError(f"scoring={scorer.name!r} needs held-out predictions; from fold "
                         "statistics only 'r2', 'neg_mean_squared_error' and "
                         "'neg_root_mean_squared_error' can be scored")
    for k, h in enumerate(held):
        if h.sw <= 0:
            raise ValueError(f"fold {k} has no rows: too few rows for {len(held)} folds")
    sw = float(total.sw)
    given = lambdas is not None
    ctx = _Context(None, None, None, fit_intercept, standardize, convention, scorer, False,
                   None, None, per_target, "eigh", sw=sw)
    ctx.folds = moment_folds(total, held, fit_intercept=fit_intercept, standardize=standardize)
    factor = factor_from_moments(total.centered(fit_intercept), shift_x=total.shift_x,
                                 shift_y=total.shift_y, standardize=standardize)
    lam = auto_lambda_grid(factor.e, sw, n_lambdas) if lambdas is None \
        else np.asarray(lambdas, dtype=np.float64)
    result = _score_grid(lam, ctx.kfold, factor, "kfold", scorer, rule, per_target,
                         fit_intercept, to_alpha, sw, extend=extend, warn_edge=warn_edge,
                         given=given, warn_stacklevel=warn_stacklevel + 1)
    return RidgeSelection(result=result, factor=factor, route="eigh")


def _pick_lsqr(fit, uniq, chosen, k):
    if chosen.size == 1:
        return fit.coef[0], fit.intercept[0]
    pos = np.searchsorted(uniq, chosen)
    coef = np.stack([fit.coef[pos[t], :, t] for t in range(k)], axis=1)
    inter = np.array([fit.intercept[pos[t], t] for t in range(k)])
    return coef, inter


def _method(cv) -> str:
    if cv is None or (isinstance(cv, str) and cv.lower() == "loo"):
        return "loo"
    if isinstance(cv, str):
        if cv.lower() == "gcv":
            return "gcv"
        raise ValueError(f"cv must be an int, 'loo', 'gcv', None or a CV splitter, got {cv!r}")
    return "kfold"


def _auto_grid(X, s, factor, n_lambdas, fit_intercept, standardize) -> np.ndarray:
    sw = float(s.sum())
    if factor is not None:
        return auto_lambda_grid(factor.e, sw, n_lambdas)
    mean = weighted_means(X, s) if fit_intercept else np.zeros(X.shape[1])
    scale = weighted_scale(X, s, mean) if standardize else np.ones(X.shape[1])
    op = centered_operator(X, s, mean, scale)
    top = svds(op, k=1, return_singular_vectors=False, random_state=0)[0] ** 2
    return np.geomspace(10.0 * top, 1e-6 * top, n_lambdas) / sw


class _Context:
    """State shared by the scoring routines of one :func:`select_ridge` call."""

    def __init__(self, X, Y, s, fit_intercept, standardize, convention, scorer: Scorer,
                 classifier, classes, y_labels, per_target, route, sw=None):
        self.X, self.Y, self.s = X, Y, s
        self.fit_intercept, self.standardize = fit_intercept, standardize
        self.convention, self.scorer = convention, scorer
        self.classifier, self.classes, self.y_labels = classifier, classes, y_labels
        self.per_target, self.route = per_target, route
        self.sw = float(s.sum()) if sw is None else float(sw)
        self.folds: list = []

    def penalty(self, lam: np.ndarray, sw_rows: float) -> np.ndarray:
        return lam * (sw_rows if self.convention == "canonical" else self.sw)

    # ---- K-fold -----------------------------------------------------------------------------
    def prepare_folds(self, splits, lam, min_pen: float) -> Factor | None:
        """Factor every fold; returns the full-data factor when it comes for free (primal)."""
        X, Y, s = self.X, self.Y, self.s
        if self.route == "dual":
            self.folds, kernel = dual_folds(X, Y, s, splits, fit_intercept=self.fit_intercept,
                                            standardize=self.standardize)
            return dual_factor(X, Y, s, fit_intercept=self.fit_intercept,
                               standardize=self.standardize, kernel=kernel)
        if self.route == "lsqr":
            self.folds = [LsqrFold(np.asarray(tr), np.asarray(te)) for tr, te in splits]
            return None
        # the grid may be unknown yet (automatic): guard accuracy for the smallest known λ
        lmin = float(np.min(lam)) if lam is not None else 0.0
        self.folds, total = primal_folds(
            X, Y, s, splits, fit_intercept=self.fit_intercept, standardize=self.standardize,
            min_penalty=lambda sw_tr: float(self.penalty(np.array([lmin]), sw_tr)[0]),
            force_svd=self.route == "svd",
        )
        return full_factor(X, Y, s, self.route, fit_intercept=self.fit_intercept,
                           standardize=self.standardize, min_penalty=min_pen, moments=total)

    def kfold(self, lam: np.ndarray) -> dict:
        scores, train = [], []
        for f in self.folds:
            sw_tr = self._train_sw(f)
            pen = self.penalty(lam, sw_tr)
            if isinstance(f, PrimalFold):
                f.factor.check_penalties(pen)
            elif isinstance(f, DualFold):
                f.check_penalties(pen)
            if isinstance(f, PrimalFold) and self.scorer.kind == "stats":
                sc = self.scorer.from_sse(f.sse(pen), f.sst(), f.held_sw())
            else:
                preds = self._predictions(f, pen)
                sc = self._score_predictions(preds, f.test)
            scores.append(sc)
            if not isinstance(f, LsqrFold):
                train.append(f.train_mse(pen))
        return {"fold_scores": np.stack(scores), "train_mse": np.stack(train) if train else None}

    def _train_sw(self, f) -> float:
        if isinstance(f, PrimalFold):
            return f.factor.sw
        if isinstance(f, DualFold):
            return f.sw_train
        return float(self.s[f.train].sum())

    def _predictions(self, f, pen) -> np.ndarray:
        if isinstance(f, LsqrFold):
            return f.predictions(self.X, self.Y, self.s, pen, fit_intercept=self.fit_intercept,
                                 standardize=self.standardize)
        return f.predictions(self.X, pen)

    def _score_predictions(self, preds: np.ndarray, test: np.ndarray) -> np.ndarray:
        Yt, st = self.Y[test], self.s[test]
        out = np.empty((preds.shape[0], Yt.shape[1]))
        for i, P in enumerate(preds):
            out[i] = self._score_one(P, Yt, st, test)
        return out

    def _score_one(self, P, Yt, st, test) -> np.ndarray:
        sc = self.scorer
        if sc.kind != "estimator":
            return sc.from_predictions(Yt, P, st)
        if self.classifier:
            est = IdentityClassifier(classes=self.classes)
            return np.full(Yt.shape[1], sc.fn(est, P, self.y_labels[test], sample_weight=st))
        est = IdentityRegressor()
        if self.per_target:
            return np.array([sc.fn(est, P[:, t], Yt[:, t], sample_weight=st)
                             for t in range(Yt.shape[1])])
        val = sc.fn(est, P if P.shape[1] > 1 else P[:, 0],
                    Yt if Yt.shape[1] > 1 else Yt[:, 0], sample_weight=st)
        return np.full(Yt.shape[1], val)

    # ---- LOO and GCV ------------------------------------------------------------------------
    def loo(self, F: Factor, lam: np.ndarray) -> dict:
        pen = lam * self.sw
        F.check_penalties(pen)
        est, ys = None, None
        if self.scorer.kind == "estimator":
            est = IdentityClassifier(classes=self.classes) if self.classifier \
                else IdentityRegressor()
            ys = self.y_labels if self.classifier else \
                (self.Y if self.Y.shape[1] > 1 else self.Y[:, 0])
        mean, se = loo_curve(self.X, self.Y, self.s, F, pen, self.scorer,
                             fit_intercept=self.fit_intercept, score_estimator=est, y_score=ys)
        return {"mean": mean, "se": se}

    def gcv(self, F: Factor, lam: np.ndarray) -> dict:
        pen = lam * self.sw
        F.check_penalties(pen)
        g = gcv_curve(F, pen, fit_intercept=self.fit_intercept)
        return {"mean": g, "se": np.full_like(g, np.nan)}


def _assemble(lam, ev: dict, factor, method, scorer, rule, per_target, fit_intercept,
              to_alpha, sw) -> RidgeCVResult:
    fold_scores = ev.get("fold_scores")
    if fold_scores is not None:
        K = fold_scores.shape[0]
        mean_t = fold_scores.mean(axis=0)  # (L, k)
        se_t = fold_scores.std(axis=0, ddof=1) / np.sqrt(K) if K > 1 \
            else np.full_like(mean_t, np.nan)
        agg_folds = fold_scores.mean(axis=2)  # (K, L)
        se_agg = agg_folds.std(axis=0, ddof=1) / np.sqrt(K) if K > 1 \
            else np.full(mean_t.shape[0], np.nan)
    else:
        K = 0
        mean_t, se_t = ev["mean"], ev["se"]
        se_agg = np.sqrt(np.nanmean(se_t**2, axis=1)) if np.isfinite(se_t).any() \
            else np.full(mean_t.shape[0], np.nan)
    if per_target:
        mean, se = mean_t, se_t
    else:
        mean, se = mean_t.mean(axis=1), se_agg
    idx_min = select_min(mean)
    idx_1se = idx_min if np.isnan(se).all() else select_1se(lam, mean, se, idx_min)
    pick = (lambda i: lam[i]) if not per_target else (lambda i: lam[np.asarray(i)])
    dof = np.full(lam.size, np.nan)
    if factor is not None:
        dof = factor.dof(lam * sw) + (1.0 if fit_intercept else 0.0)
    return RidgeCVResult(
        lambdas=lam,
        alphas=to_alpha(lam) if to_alpha is not None else lam.copy(),
        method=method,
        scoring=scorer.name,
        fold_scores=fold_scores,
        mean_score=mean,
        se=se,
        dof=dof,
        index_min=idx_min if per_target else int(idx_min),
        index_1se=idx_1se if per_target else int(idx_1se),
        lambda_min=pick(idx_min) if per_target else float(lam[idx_min]),
        lambda_1se=pick(idx_1se) if per_target else float(lam[idx_1se]),
        rule=rule,
        per_target=per_target,
        train_mse=ev.get("train_mse"),
        n_splits=K,
    )

