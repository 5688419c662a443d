"""The score curves of one ridge λ selection: K-fold, exact LOO and GCV over a grid.

:class:`_Context` holds the data and settings of one :func:`ridgeline.selection.engine.select_ridge`
call (or of a selection from statistics, :func:`~ridgeline.selection.engine.select_ridge_moments`):
it factors the folds once (:meth:`_Context.prepare_folds`) and then scores any grid of λ by
K-fold (per-fold scores and training MSE), exact LOO or GCV (mean and standard error).
"""

from __future__ import annotations

import numpy as np

from ridgeline.selection._identity import IdentityClassifier, IdentityRegressor
from ridgeline.selection.kfold import DualFold, LsqrFold, PrimalFold, dual_folds, primal_folds
from ridgeline.selection.loo import gcv_curve, loo_curve
from ridgeline.selection.routes import full_factor
from ridgeline.selection.scoring import Scorer
from ridgeline.solvers.dual import dual_factor
from ridgeline.solvers.spectral import Factor


class _Context:
    """State shared by the scoring routines of one
    :func:`~ridgeline.selection.engine.select_ridge` call."""

    def __init__(self, X, Y, s, fit_intercept, standardize, convention, scorer: Scorer,
                 classifier, classes, y_labels, per_target, route, sw=None,
                 score_weighted: bool = True):
        self.X, self.Y, self.s = X, Y, s
        # held-out scores weighted by s (else unweighted, and a scorer callable gets no
        # sample_weight=); statistics scorers need the fitting weights (or uniform ones)
        self.score_weighted = score_weighted
        self.stats_weights_ok = score_weighted or s is None or bool(np.all(s == s[0]))
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
            if isinstance(f, PrimalFold) and self.scorer.kind == "stats" \
                    and self.stats_weights_ok:
                sc = self.scorer.from_sse(f.sse(pen), f.sst(), f.held_sw(), n_rows=f.held.n)
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
        Yt = self.Y[test]
        st = self.s[test] if self.score_weighted else np.ones(Yt.shape[0])
        kw = {"sample_weight": st} if self.score_weighted else {}
        out = np.empty((preds.shape[0], Yt.shape[1]))
        for i, P in enumerate(preds):
            out[i] = self._score_one(P, Yt, st, test, kw)
        return out

    def _score_one(self, P, Yt, st, test, kw) -> np.ndarray:
        sc = self.scorer
        if sc.kind != "estimator":
            return sc.from_predictions(Yt, P, st)
        if self.classifier:
            est = IdentityClassifier(classes=self.classes, multilabel=self.y_labels.ndim == 2)
            return np.full(Yt.shape[1], sc.fn(est, P, self.y_labels[test], **kw))
        est = IdentityRegressor()
        if self.per_target:
            return np.array([sc.fn(est, P[:, t], Yt[:, t], **kw)
                             for t in range(Yt.shape[1])])
        val = sc.fn(est, P if P.shape[1] > 1 else P[:, 0],
                    Yt if Yt.shape[1] > 1 else Yt[:, 0], **kw)
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
                             fit_intercept=self.fit_intercept, score_estimator=est, y_score=ys,
                             score_weighted=self.score_weighted)
        return {"mean": mean, "se": se}

    def gcv(self, F: Factor, lam: np.ndarray) -> dict:
        pen = lam * self.sw
        F.check_penalties(pen)
        g = gcv_curve(F, pen, fit_intercept=self.fit_intercept)
        return {"mean": g, "se": np.full_like(g, np.nan)}
