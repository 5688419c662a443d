"""L2-regularized logistic regression: ``LogisticRegression`` and ``LogisticRegressionCV``.

Objective (DESIGN.md), for two classes (binary log loss) or more (multinomial/softmax)::

    minimize  (1/n_w) Σ_i s_i ℓ(y_i, x_iᵀW + b)  +  λ ‖W‖²_F,        λ = 1 / (2 C n_w)

which is scikit-learn's ``C Σ s_i ℓ_i + ½‖W‖²`` divided by ``C n_w``: the same minimizer.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import check_cv
from sklearn.utils.validation import check_is_fitted

from ridgeline.distributed import dask_source
from ridgeline.estimators._base import SparseInputMixin, store_coef
from ridgeline.estimators._glm import (
    LabeledBinomialLoss,
    check_C,
    check_l1_ratio,
    check_penalty_alias,
    check_source_solver,
    check_tol_iter,
    encode_labels,
    fit_glm,
    fit_glm_source,
    warn_convergence,
    warn_if_separable,
)
from ridgeline.estimators._logistic_sparse import (
    check_binary,
    check_weighted_classes,
    cv_binary,
    fit_binary,
    sparse_lambda,
)
from ridgeline.estimators._validation import (
    check_source_fit,
    check_X,
    check_X_y,
    is_source,
    source_folds,
)
from ridgeline.losses import BinomialLoss, MultinomialLoss
from ridgeline.path.glm_path import auto_glm_grid
from ridgeline.selection.glm_scoring import resolve_glm_scorer
from ridgeline.selection.glm_select import alo_glm, kfold_glm
from ridgeline.selection.stream_glm import stream_kfold_glm
from ridgeline.selection.stream_multinomial import (
    stream_kfold_multinomial,
    stream_multinomial_newton,
)
from ridgeline.selection.stream_select import stream_logistic_grid
from ridgeline.solvers.glm_problem import GLMProblem
from ridgeline.solvers.glm_solve import NEWTON_MAX_DIM, choose_solver, resolve_glm_solver
from ridgeline.stats.source import MAX_TARGET_VALUES


def multinomial_source_solver(solver: str) -> str:
    """Streamed multinomial fits are Newton's (L-BFGS on a source takes scalar-η losses)."""
    if resolve_glm_solver(solver) == "lbfgs":
        raise ValueError("solver='lbfgs' on a statistics source fits binary logistic and "
                         "Poisson models; a multinomial one is fit by Newton (solver='auto' "
                         "or 'newton')")
    return "newton"


def source_classes(source, summary) -> np.ndarray:
    """The class labels of a source's target (2 to MAX_TARGET_VALUES of them), or a clear error."""
    if summary.values is None or summary.values.size < 2:
        found = (f"more than {MAX_TARGET_VALUES} distinct values" if summary.values is None
                 else f"only {float(summary.values[0])!r}")
        raise ValueError(f"streamed logistic regression needs exactly two classes "
                         f"(binary) or 3 to {MAX_TARGET_VALUES} (multinomial) in column "
                         f"{source.target_name!r}, found {found}")
    return summary.values


def lambda_from_C(C, n_w: float):
    """Canonical λ = 1/(2 C n_w) (0 for C = inf)."""
    C = np.asarray(C, dtype=np.float64)
    return np.where(np.isinf(C), 0.0, 1.0 / (2.0 * np.where(np.isinf(C), 1.0, C) * n_w))


class _LogisticMixin(SparseInputMixin, ClassifierMixin):
    """Prediction for fitted ``coef_`` (1 or K, p) and ``intercept_``."""

    def decision_function(self, X):
        """Log-odds (n,) for two classes, class scores (n, K) otherwise."""
        check_is_fitted(self)
        X = check_X(self, X)
        d = np.asarray(X @ self.coef_.T) + self.intercept_
        return d[:, 0] if d.shape[1] == 1 else d

    def predict_proba(self, X):
        """Class probabilities, shape (n, n_classes), columns in ``classes_`` order."""
        d = self.decision_function(X)
        if d.ndim == 1:
            p1 = self._loss().mean(d)
            return np.column_stack([1.0 - p1, p1])
        return self._loss().mean(d)

    def predict_log_proba(self, X):
        """Natural log of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Class labels, shape (n,)."""
        d = self.decision_function(X)
        if d.ndim == 1:
            return self.classes_[(d > 0).astype(int)]
        return self.classes_[np.argmax(d, axis=1)]

    def _loss(self):
        return BinomialLoss() if self.classes_.size == 2 else MultinomialLoss()

    def _store(self, coef: np.ndarray, intercept: np.ndarray, dtype) -> None:
        """coef (p, m), intercept (m,) → scikit-learn's ``coef_`` (m, p), ``intercept_`` (m,)."""
        inter = intercept if self.fit_intercept else np.zeros_like(intercept)
        store_coef(self, coef, inter, False, dtype)


class LogisticRegression(_LogisticMixin, BaseEstimator):
    """L2-regularized logistic regression (binary or multinomial), a drop-in for scikit-learn's.

    Minimizes ``(1/n_w) Σ s_i ℓ(y_i, x_iᵀW + b) + λ‖W‖²`` with ``λ = 1/(2 C n_w)``
    (``lambda_``): the same solution as ``sklearn.linear_model.LogisticRegression(C=C)`` at a
    tight tolerance. Two classes use the binary log loss; more use the multinomial (softmax)
    loss. The intercept is never penalized.

    Parameters
    ----------
    penalty : deprecated
        As in scikit-learn 1.8+: use ``l1_ratio=0`` (L2) and ``C=np.inf`` (no penalty).
    C : float, default=1.0
        Inverse regularization strength (> 0); ``np.inf`` for none.
    l1_ratio : float, default=0.0
        Must be 0 (the L2 penalty).
    dual : bool, default=False
        Must be False (the primal problem is solved).
    tol : float, default=1e-8
        Stop when the largest absolute entry of the objective's gradient is ≤ tol (the measure
        scikit-learn's lbfgs uses too). The default is tighter than scikit-learn's 1e-4, which
        stops short of the optimum; Newton reaches 1e-8 in one or two more steps.
    fit_intercept : bool, default=True
    intercept_scaling, random_state, verbose, n_jobs :
        Accepted for compatibility; unused (no liblinear, no randomness).
    class_weight : dict or "balanced", optional
        Multiplies the sample weights.
    solver : {"auto", "newton", "lbfgs", "trust-ncg"} or a scikit-learn name, default="auto"
        ``auto``: Newton (Cholesky-free eigen-solve of ``XᵀWX + 2λI``) when the Hessian has at
        most 1000 rows, else trust-region Newton-CG. scikit-learn's ``"newton-cholesky"`` maps to
        Newton, ``"newton-cg"``/``"liblinear"`` to trust-region, ``"sag"``/``"saga"`` to auto.
    max_iter : int, default=100
    warm_start : bool, default=False
        Start from the previous fit's coefficients when shapes match.

    Attributes
    ----------
    classes_ : ndarray (n_classes,)
    coef_ : ndarray (1, n_features) for two classes, else (n_classes, n_features)
    intercept_ : ndarray (1,) or (n_classes,)
    n_iter_ : ndarray (1,)
    lambda_ : float
        Canonical λ = 1/(2 C n_w).
    solver_ : str
        The solver that ran.
    grad_norm_ : float
        Largest absolute gradient entry at the solution (the optimality certificate).
    n_passes_, n_rows_ : int
        Fits on a statistics source or Dask collection only: passes over all the rows (the
        target summary included) and the number of rows.
    n_features_in_, feature_names_in_ : as scikit-learn.
    """

    def __init__(self, penalty="deprecated", *, C=1.0, l1_ratio=0.0, dual=False, tol=1e-8,
                 fit_intercept=True, intercept_scaling=1, class_weight=None, random_state=None,
                 solver="auto", max_iter=100, verbose=0, warm_start=False, n_jobs=None):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs

    def fit(self, X, y=None, sample_weight=None):
        """Fit on X (n, p) dense or sparse and labels y (n,); returns self.

        ``X`` may also be a statistics source (``ridgeline.read_parquet(path, target=...)``,
        with ``y=None``) or a Dask array/data frame (with ``y`` and ``sample_weight`` as Dask
        collections or column names): an L2 fit by Newton with one pass over the rows per
        iteration (binary or multinomial); over a Dask collection a few partitions are fit
        first and their Hessian is reused, so most passes over all the rows form gradients
        only.
        """
        C = check_penalty_alias(self.penalty, check_C(self.C))
        rho = float(check_l1_ratio(self.l1_ratio)[0])
        check_tol_iter(self.tol, self.max_iter)
        if self.dual:
            raise ValueError("dual=True is not available: ridgeline solves the primal problem")
        resolve_glm_solver(self.solver)
        if (src := dask_source(X, y, sample_weight)) is not None:
            X, y, sample_weight = src, None, None
        if is_source(X):
            return self._fit_source(X, y, sample_weight, C, rho)
        X, y = check_X_y(self, X, y, y_numeric=False)
        Y, loss, s, _ = encode_labels(self, X, y, sample_weight)
        if rho > 0 and np.isfinite(C):
            return self._fit_sparse(X, Y, s, C, rho)
        problem = GLMProblem(X, Y, s, loss, self.fit_intercept)
        lam = float(lambda_from_C(C, s.sum()))
        fit, name = fit_glm(problem, lam, solver=self.solver, tol=self.tol,
                            max_iter=self.max_iter, start=self._start(problem),
                            who="LogisticRegression")
        warn_if_separable(problem, fit, lam, "LogisticRegression")
        self._store(fit.coef[0], fit.intercept[0], X.dtype)
        self.n_iter_ = np.array([int(fit.n_iter[0])])
        self.lambda_ = lam
        self.solver_ = name
        self.grad_norm_ = float(fit.grad_norm[0])
        return self

    def _fit_source(self, source, y, sample_weight, C: float, rho: float):
        """The L2 fit on a statistics source: Newton or L-BFGS, one pass over the rows per
        iteration."""
        check_source_fit(self, source, y, sample_weight, class_weight=self.class_weight,
                         warm_start=self.warm_start)
        if rho > 0:
            raise ValueError("l1_ratio > 0 is not available on a statistics source")
        if not np.isfinite(C):
            raise ValueError("C=inf (no penalty) is not available on a statistics source")
        solver = check_source_solver(self.solver, "LogisticRegression", source)
        progress = getattr(source, "progress", None)
        summary = source.target_summary(1, progress=progress, columns=solver == "lbfgs")
        self.classes_ = source_classes(source, summary)
        lam = float(lambda_from_C(C, float(summary.sw.sum())))
        p, k = source.n_features, self.classes_.size
        if k == 2:
            fit = fit_glm_source(source, LabeledBinomialLoss(self.classes_[1]), lam, summary,
                                 fit_intercept=self.fit_intercept, tol=self.tol,
                                 max_iter=self.max_iter, who="LogisticRegression",
                                 solver=solver)
            self._store(fit.coef[0][:, None], fit.intercept[:1], np.float64)
        else:
            solver = multinomial_source_solver(self.solver)
            fit = stream_multinomial_newton(
                source, np.array([lam]), np.zeros((1, p, k)), np.zeros((1, k)), np.array([-1]),
                1, classes=self.classes_, fit_intercept=self.fit_intercept, tol=self.tol,
                max_iter=self.max_iter, progress=progress, subset_first=True)
            warn_convergence(fit, self.tol, self.max_iter, "LogisticRegression")
            self._store(fit.coef[0], fit.intercept[0], np.float64)
        self.n_iter_ = np.array([int(fit.n_iter[0])])
        self.lambda_ = lam
        self.solver_ = solver
        self.grad_norm_ = float(fit.grad_norm[0])
        self.n_passes_ = int(fit.n_passes) + 1  # + the target summary
        self.n_rows_ = summary.n_rows
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            sparse_penalty = float(np.max(check_l1_ratio(self.l1_ratio))) > 0
        except ValueError:
            sparse_penalty = False
        if sparse_penalty:  # the L1 / elastic-net solver is binary (see _fit_sparse)
            tags.classifier_tags.multi_class = False
        return tags

    def _fit_sparse(self, X, Y, s, C: float, rho: float):
        """``l1_ratio > 0``: certified proximal Newton (binary problems)."""
        check_binary(self.classes_, "LogisticRegression")
        check_weighted_classes(np.ravel(Y), s, self.classes_, "LogisticRegression")
        path, lam = fit_binary(X, Y, s, C, rho, fit_intercept=self.fit_intercept,
                               penalty_factor=None, tol=self.tol, max_iter=self.max_iter,
                               who="LogisticRegression")
        self._store(path.coefs[0][:, None], path.intercepts[:1], X.dtype)
        self.n_iter_ = np.array([int(path.n_iter[0])])
        self.lambda_ = lam
        self.solver_ = "prox-newton"
        self.grad_norm_ = float(path.certificates[0])
        return self

    def _start(self, problem):
        if not (self.warm_start and hasattr(self, "coef_")):
            return None
        W = np.asarray(self.coef_, dtype=np.float64).T
        if W.shape != (problem.n_features, problem.n_outputs):
            return None
        b = np.asarray(self.intercept_, dtype=np.float64).reshape(-1)
        return W[None].copy(), b[None].copy()


class LogisticRegressionCV(_LogisticMixin, BaseEstimator):
    """Logistic regression with C chosen by K-fold CV along warm-started paths, or by ALO.

    A drop-in for scikit-learn 1.9's ``LogisticRegressionCV`` (L2 penalty) with the attributes
    of its ``use_legacy_attributes=False`` layout, and one addition: ``method="alo"`` scores
    every C by approximate leave-one-out (Rad & Maleki 2020) from one fit per C on all the
    data — no folds — and then needs no refit.

    K-fold: the K training folds are solved together along the C grid from strong to weak
    regularization (warm starts, Hessians reused, one pass over X serving every fold), each
    to ``max|∇f| ≤ tol``; held-out scores need one product per fold.

    Parameters
    ----------
    Cs : int, array-like or "auto", default=10
        An int gives ``np.logspace(-4, 4, Cs)`` (scikit-learn's grid); or the grid itself;
        ``"auto"``: 20 values whose effective degrees of freedom at the null model span 5% to
        99% of the rank (see :func:`ridgeline.path.auto_glm_grid`); on a statistics source
        the same grid, from one more pass at the null model.
    l1_ratios : must be None, "warn" or (0,)
    fit_intercept : bool, default=True
    cv : int, splitter or iterable, default=None (5-fold stratified)
    dual : must be False
    penalty : deprecated, as :class:`LogisticRegression`
    scoring : str or callable, default=None
        ``None``/"warn" → accuracy (scikit-learn's current default). ``"neg_log_loss"`` and
        ``"accuracy"`` are computed directly; any scikit-learn scorer works (``roc_auc``,
        ``neg_brier_score``, ...).
    solver, tol, max_iter, class_weight : as :class:`LogisticRegression`
    refit : bool, default=True
        Refit on all the data at the best C (``method="kfold"``); otherwise average the
        folds' coefficients at each fold's best C, as scikit-learn does.
    method : {"kfold", "alo"}, default="kfold"
    rule : {"min", "1se"}, default="min"
        Best mean score, or the largest λ (smallest C) within one standard error of it.
    n_jobs, verbose, intercept_scaling, random_state : accepted, unused.
    use_legacy_attributes : bool, default=False
        True gives scikit-learn's older dict layout of ``scores_``/``coefs_paths_`` and arrays
        for ``C_``.

    Attributes
    ----------
    C_ : float
    Cs_ : ndarray (n_cs,)
    l1_ratio_ : float (0.0), l1_ratios_ : ndarray ([0.])
    scores_ : ndarray (n_folds, 1, n_cs) (K-fold) or (1, 1, n_cs) (ALO: one "fold")
    coefs_paths_ : ndarray (n_folds, 1, n_cs, n_classes', n_features + intercept)
    n_iter_ : ndarray (n_folds, 1, n_cs)
    coef_, intercept_, classes_ : as :class:`LogisticRegression`
    lambda_ : float
        Canonical λ of ``C_`` on the full data.
    cv_result_ : RidgeCVResult
        The CV curve (mean ± SE per C), λ_min and λ_1se.
    """

    def __init__(self, *, Cs=10, l1_ratios="warn", fit_intercept=True, cv=None, dual=False,
                 penalty="deprecated", scoring=None, solver="auto", tol=1e-8, max_iter=100,
                 class_weight=None, n_jobs=None, verbose=0, refit=True, intercept_scaling=1.0,
                 random_state=None, use_legacy_attributes=False, method="kfold", rule="min"):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.dual = dual
        self.penalty = penalty
        self.scoring = scoring
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.refit = refit
        self.intercept_scaling = intercept_scaling
        self.random_state = random_state
        self.use_legacy_attributes = use_legacy_attributes
        self.method = method
        self.rule = rule

    def _grid(self) -> np.ndarray | None:
        if isinstance(self.Cs, str):
            if self.Cs != "auto":
                raise ValueError(f"Cs must be an int, a grid of C or 'auto', got {self.Cs!r}")
            return None
        if isinstance(self.Cs, (int, np.integer)) and not isinstance(self.Cs, bool):
            if self.Cs < 1:
                raise ValueError(f"Cs must be a positive int or a grid of C, got {self.Cs!r}")
            return np.logspace(-4, 4, int(self.Cs))
        Cs = np.asarray(self.Cs, dtype=np.float64).ravel()
        if Cs.size == 0:
            raise ValueError("Cs is empty: give at least one C")
        for C in Cs:
            check_C(float(C), "every C in Cs")
        return Cs

    def fit(self, X, y=None, sample_weight=None):
        """Choose C on X (n, p) and labels y (n,), then fit at it; returns self.

        ``X`` may also be a statistics source (``ridgeline.read_parquet(path, target=...)``,
        ``read_csv``, a :class:`ridgeline.distributed.DaskSource`) with ``y=None``, or a Dask
        array / data frame with its ``y`` and ``sample_weight``: K-fold CV (``cv=K``, default
        5; folds from the source's fold rule) with all K folds advanced by one pass per Newton
        iteration, then the refit at the chosen C. Two classes in the target column fit the
        binary model, 3 to 64 (numeric labels) the multinomial one (each pass also carries
        the C(C−1)/2 class-pair Hessian blocks of every fold).
        """
        if (src := dask_source(X, y, sample_weight)) is not None:
            X, y, sample_weight = src, None, None
        if is_source(X):
            return self._fit_source(X, y, sample_weight)
        Cs = self._grid()
        if self.penalty not in ("deprecated", "l2"):
            check_penalty_alias(self.penalty, 1.0)
        ratios = np.array([0.0])
        if not (isinstance(self.l1_ratios, str) and self.l1_ratios == "warn"):
            ratios = check_l1_ratio(self.l1_ratios, "l1_ratios")
        check_tol_iter(self.tol, self.max_iter)
        if self.dual:
            raise ValueError("dual=True is not available: ridgeline solves the primal problem")
        if self.method not in ("kfold", "alo"):
            raise ValueError(f"method must be 'kfold' or 'alo', got {self.method!r}")
        if self.rule not in ("min", "1se"):
            raise ValueError(f"rule must be 'min' or '1se', got {self.rule!r}")
        resolve_glm_solver(self.solver)
        X, y = check_X_y(self, X, y, y_numeric=False)
        Y, loss, s, labels = encode_labels(self, X, y, sample_weight)
        problem = GLMProblem(X, Y, s, loss, self.fit_intercept)
        scorer = resolve_glm_scorer(None if self.scoring == "warn" else self.scoring, loss)
        if Cs is None:  # "auto": 20 values spanning 5%..99% of the null model's dof
            lambdas = auto_glm_grid(problem, 20)
            Cs = 1.0 / (2.0 * lambdas * s.sum())
        lambdas = lambda_from_C(Cs, s.sum())
        if np.any(ratios > 0):
            if self.method != "kfold":
                raise ValueError("l1_ratios > 0 needs method='kfold' (ALO is for the smooth "
                                 "L2 penalty)")
            self._fit_sparse_cv(X, Y, s, labels, loss, scorer, np.asarray(Cs, float), ratios)
            if self.use_legacy_attributes:
                self._legacy_layout()
            return self
        if self.method == "alo":
            self._fit_alo(problem, labels, lambdas, Cs, scorer, X.dtype)
        else:
            self._fit_kfold(problem, X, labels, lambdas, Cs, scorer, X.dtype)
        self.Cs_ = Cs
        self.l1_ratio_ = 0.0
        self.l1_ratios_ = np.array([0.0])
        if self.use_legacy_attributes:
            self._legacy_layout()
        return self

    def _fit_source(self, source, y, sample_weight):
        """K-fold CV over Cs and the refit, streamed (binary or multinomial, L2 penalty)."""
        Cs = self._grid()
        check_source_fit(self, source, y, sample_weight, class_weight=self.class_weight,
                         dual=self.dual)
        if self.method != "kfold":
            raise ValueError("on a statistics source method must be 'kfold'")
        if self.rule not in ("min", "1se"):
            raise ValueError(f"rule must be 'min' or '1se', got {self.rule!r}")
        if not (isinstance(self.l1_ratios, str) and self.l1_ratios == "warn") and np.any(
                check_l1_ratio(self.l1_ratios, "l1_ratios") > 0):
            raise ValueError("l1_ratios > 0 is not available on a statistics source")
        if self.penalty not in ("deprecated", "l2"):
            raise ValueError(f"penalty={self.penalty!r} is not available on a statistics "
                             "source")
        check_tol_iter(self.tol, self.max_iter)
        solver = check_source_solver(self.solver, "LogisticRegressionCV", source)
        K = source_folds(self.cv, default=5)
        progress = getattr(source, "progress", None)
        summary = source.target_summary(K, progress=progress, columns=solver == "lbfgs")
        self.classes_ = source_classes(source, summary)
        n = float(summary.sw.sum())
        multi = self.classes_.size > 2
        loss = None if multi else LabeledBinomialLoss(self.classes_[1])
        grid_passes = 0
        if multi:
            multinomial_source_solver(self.solver)
        if Cs is None:  # "auto": the in-memory grid, from one pass at the null model
            lambdas = stream_logistic_grid(source, summary, K, self.classes_, 20,
                                           fit_intercept=self.fit_intercept, progress=progress)
            Cs = 1.0 / (2.0 * lambdas * n)
            grid_passes = 1
        if multi:
            return self._fit_source_multinomial(source, summary, Cs, K, progress, grid_passes)
        scale = summary.feature_scale() if solver == "lbfgs" else None
        scorer = resolve_glm_scorer(None if self.scoring == "warn" else self.scoring, loss)
        lambdas = lambda_from_C(Cs, n)
        sel = stream_kfold_glm(source, loss, summary, K, lambdas, Cs, scorer,
                               fit_intercept=self.fit_intercept, tol=self.tol,
                               max_iter=self.max_iter, rule=self.rule, warn_stacklevel=4,
                               progress=progress, solver=solver, feature_scale=scale)
        res = sel.result
        idx = int(res.index_)
        passes = sel.n_passes + 1 + grid_passes
        if self.refit:
            C, lam = float(Cs[idx]), float(lambdas[idx])
            start = (sel.coef[idx].mean(axis=0), float(sel.intercept[idx].mean()))
            fit = fit_glm_source(source, loss, lam, summary, fit_intercept=self.fit_intercept,
                                 tol=self.tol, max_iter=self.max_iter, start=start,
                                 who="LogisticRegressionCV (refit)", stacklevel=5,
                                 solver=solver)
            coef, inter = fit.coef[0], fit.intercept[:1]
            passes += fit.n_passes
        else:
            best = np.argmax(res.fold_scores[:, :, 0], axis=1)
            coef = np.mean([sel.coef[best[k], k] for k in range(K)], axis=0)
            inter = np.array([np.mean([sel.intercept[best[k], k] for k in range(K)])])
            C = float(np.mean(Cs[best]))
            lam = float(lambda_from_C(C, n))
        self._store(coef[:, None], inter, np.float64)
        self.C_, self.lambda_, self.Cs_ = C, lam, Cs
        self.l1_ratio_, self.l1_ratios_ = 0.0, np.array([0.0])
        self.solver_ = solver
        self.cv_result_ = res
        self.scores_ = res.fold_scores[:, :, 0][:, None, :]
        self.n_iter_ = sel.n_iter.T[:, None, :]
        self.coefs_paths_ = self._paths(sel.coef.transpose(1, 0, 2)[..., None],
                                        sel.intercept.T[..., None])
        self.n_passes_ = passes
        self.n_rows_ = summary.n_rows
        if self.use_legacy_attributes:
            self._legacy_layout()
        return self

    def _fit_source_multinomial(self, source, summary, Cs, K, progress, grid_passes=0):
        """Streamed K-fold CV over Cs and the refit for 3 or more classes (softmax loss)."""
        classes = self.classes_
        scorer = resolve_glm_scorer(None if self.scoring == "warn" else self.scoring,
                                    MultinomialLoss())
        n = float(summary.sw.sum())
        lambdas = lambda_from_C(Cs, n)
        sel = stream_kfold_multinomial(source, summary, K, classes, lambdas, Cs, scorer,
                                       fit_intercept=self.fit_intercept, tol=self.tol,
                                       max_iter=self.max_iter, rule=self.rule,
                                       warn_stacklevel=5, progress=progress)
        warn_convergence(sel, self.tol, self.max_iter, "LogisticRegressionCV", stacklevel=5)
        res = sel.result
        idx = int(res.index_)
        passes = sel.n_passes + 1 + grid_passes
        if self.refit:
            C, lam = float(Cs[idx]), float(lambdas[idx])
            fit = stream_multinomial_newton(
                source, np.array([lam]), sel.coef[idx].mean(axis=0)[None],
                sel.intercept[idx].mean(axis=0)[None], np.array([-1]), K, classes=classes,
                fit_intercept=self.fit_intercept, tol=self.tol, max_iter=self.max_iter,
                progress=progress)
            warn_convergence(fit, self.tol, self.max_iter, "LogisticRegressionCV (refit)",
                             stacklevel=5)
            coef, inter = fit.coef[0], fit.intercept[0]
            passes += fit.n_passes
        else:
            best = np.argmax(res.fold_scores[:, :, 0], axis=1)
            coef = np.mean([sel.coef[best[k], k] for k in range(K)], axis=0)
            inter = np.mean([sel.intercept[best[k], k] for k in range(K)], axis=0)
            C = float(np.mean(Cs[best]))
            lam = float(lambda_from_C(C, n))
        self._store(coef, inter, np.float64)
        self.C_, self.lambda_, self.Cs_ = C, lam, Cs
        self.l1_ratio_, self.l1_ratios_ = 0.0, np.array([0.0])
        self.solver_ = "newton"
        self.cv_result_ = res
        self.scores_ = res.fold_scores[:, :, 0][:, None, :]
        self.n_iter_ = sel.n_iter.T[:, None, :]
        self.coefs_paths_ = self._paths(sel.coef.transpose(1, 0, 2, 3),
                                        sel.intercept.transpose(1, 0, 2))
        self.n_passes_ = passes
        self.n_rows_ = summary.n_rows
        if self.use_legacy_attributes:
            self._legacy_layout()
        return self

    def _fit_kfold(self, problem, X, labels, lambdas, Cs, scorer, dtype):
        cv = check_cv(self.cv, labels, classifier=True)
        splits = list(cv.split(X, labels))
        sel = kfold_glm(problem, labels, splits, lambdas, Cs, scorer, classes=self.classes_,
                        solver=self.solver, tol=self.tol, max_iter=self.max_iter,
                        rule=self.rule, warn_stacklevel=4)
        path = sel.path
        warn_convergence(path, self.tol, self.max_iter, "LogisticRegressionCV", stacklevel=4)
        res = sel.result
        idx = int(res.index_)
        if self.refit:
            C = float(Cs[idx])
            start = (path.coef[idx].mean(axis=0)[None], path.intercept[idx].mean(axis=0)[None])
            lam = float(lambdas[idx])
            fit, name = fit_glm(problem, lam, solver=self.solver, tol=self.tol,
                                max_iter=self.max_iter, start=start,
                                who="LogisticRegressionCV (refit)", stacklevel=5)
            coef, inter = fit.coef[0], fit.intercept[0]
            self.solver_ = name
        else:
            best = np.argmax(res.fold_scores[:, :, 0], axis=1)
            F = len(splits)
            coef = np.mean([path.coef[best[k], k] for k in range(F)], axis=0)
            inter = np.mean([path.intercept[best[k], k] for k in range(F)], axis=0)
            C = float(np.mean(Cs[best]))
            lam = float(lambda_from_C(C, problem.weights.sum()))
            self.solver_ = path.solver
        self._store(coef, inter, dtype)
        self.C_ = C
        self.lambda_ = lam
        self.cv_result_ = res
        self.scores_ = res.fold_scores[:, :, 0][:, None, :]
        self.n_iter_ = path.n_iter.T[:, None, :]
        self.coefs_paths_ = self._paths(path.coef.transpose(1, 0, 2, 3),
                                        path.intercept.transpose(1, 0, 2))

    def _fit_alo(self, problem, labels, lambdas, Cs, scorer, dtype):
        name = choose_solver(problem, resolve_glm_solver(self.solver))
        if name != "newton":
            d = problem.n_features * problem.n_outputs
            why = (f"solver={self.solver!r} was asked for" if self.solver != "auto" else
                   f"the Hessian would have {d} rows, above the limit of {NEWTON_MAX_DIM}")
            raise ValueError(f"method='alo' needs the Newton solver's Hessian ({why}): use "
                             "method='kfold'")
        sel = alo_glm(problem, labels, lambdas, Cs, scorer, classes=self.classes_, tol=self.tol,
                      max_iter=self.max_iter, rule=self.rule, warn_stacklevel=4)
        path = sel.path
        warn_convergence(path, self.tol, self.max_iter, "LogisticRegressionCV", stacklevel=4)
        res = sel.result
        idx = int(res.index_)
        self._store(path.coef[idx, 0], path.intercept[idx, 0], dtype)
        self.C_ = float(Cs[idx])
        self.lambda_ = float(lambdas[idx])
        self.solver_ = "newton"
        self.cv_result_ = res
        self.scores_ = res.mean_score[None, None, :]
        self.n_iter_ = path.n_iter.T[:, None, :]
        self.coefs_paths_ = self._paths(path.coef.transpose(1, 0, 2, 3),
                                        path.intercept.transpose(1, 0, 2))

    def _fit_sparse_cv(self, X, Y, s, labels, loss, scorer, Cs, ratios):
        """K-fold over every (l1_ratio, C) with certified proximal-Newton paths."""
        check_binary(self.classes_, "LogisticRegressionCV")
        check_weighted_classes(np.ravel(Y), s, self.classes_, "LogisticRegressionCV")
        splits = list(check_cv(self.cv, labels, classifier=True).split(X, labels))

        def score(rows, eta):
            return scorer.score(Y[rows], labels[rows], eta[:, None], s[rows], loss,
                                self.classes_)

        scores, cvs = cv_binary(X, Y, s, splits, Cs, ratios, fit_intercept=self.fit_intercept,
                                penalty_factor=None, tol=self.tol, max_iter=self.max_iter,
                                score=score)
        mean = scores.mean(axis=0)  # (R, L)
        r, i = np.unravel_index(int(np.argmax(mean)), mean.shape)
        rho = float(ratios[r])
        self.cv_result_ = cvs[r].result(Cs, scorer.name, self.rule)
        i = int(self.cv_result_.index_)
        self.scores_ = scores
        paths = cvs[r].paths
        coefs = np.array([p.coefs for p in paths])[..., None]  # (F, L, p, 1)
        inters = np.array([p.intercepts for p in paths])[..., None]
        self.coefs_paths_ = self._paths(coefs, inters)
        self.n_iter_ = np.array([[p.n_iter for p in cv.paths] for cv in cvs]).transpose(1, 0, 2)
        self.Cs_ = Cs
        self.l1_ratios_ = ratios
        self.l1_ratio_ = rho
        if self.refit:
            C = float(Cs[i])
            path, lam = fit_binary(X, Y, s, C, rho, fit_intercept=self.fit_intercept,
                                   penalty_factor=None, tol=self.tol, max_iter=self.max_iter,
                                   who="LogisticRegressionCV (refit)")
            coef, inter = path.coefs[0][:, None], path.intercepts[:1]
        else:
            best = np.argmax(scores[:, r, :], axis=1)
            coef = np.mean([paths[k].coefs[best[k]] for k in range(len(paths))], axis=0)[:, None]
            inter = np.array([np.mean([paths[k].intercepts[best[k]] for k in range(len(paths))])])
            C = float(np.mean(Cs[best]))
            lam = float(sparse_lambda(C, rho, s.sum()))
        self._store(coef, inter, X.dtype)
        self.C_ = C
        self.lambda_ = float(lam)
        self.solver_ = "prox-newton"

    def _paths(self, coef, intercept):
        """(F, L, p, m), (F, L, m) → scikit-learn's (F, 1, L, m, p [+1])."""
        C = coef.transpose(0, 1, 3, 2)
        if self.fit_intercept:
            C = np.concatenate([C, intercept[..., None]], axis=-1)
        return C[:, None]

    def _legacy_layout(self):
        """scikit-learn's older attribute layout (dicts keyed by class; the l1-ratio axis is
        kept when ``l1_ratios`` was given, as scikit-learn does)."""
        keys = self.classes_[1:] if self.classes_.size == 2 else self.classes_
        n_cls = len(keys)
        axis = not (self.l1_ratios is None or isinstance(self.l1_ratios, str))
        scores = self.scores_.transpose(0, 2, 1)  # (F, L, 1)
        paths = self.coefs_paths_[:, 0]  # (F, L, m, d)
        self.scores_ = {k: scores if axis else scores[:, :, 0] for k in keys}
        cols = [0] if self.classes_.size == 2 else range(n_cls)
        self.coefs_paths_ = {k: paths[:, :, i, None, :] if axis else paths[:, :, i, :]
                             for k, i in zip(keys, cols, strict=True)}
        self.C_ = np.full(n_cls, self.C_)
        self.l1_ratio_ = np.full(n_cls, self.l1_ratio_)
        n_iter = self.n_iter_.transpose(0, 2, 1)[None]  # (1, F, L, 1)
        self.n_iter_ = n_iter if axis else n_iter[..., 0]
