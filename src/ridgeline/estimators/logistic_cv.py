"""Logistic regression with C chosen by cross-validation: ``LogisticRegressionCV``.

The objective and λ = 1/(2 C n_w) are :class:`~ridgeline.LogisticRegression`'s. The K training
folds are the members of one warm-started path of the GLM engine
(:func:`ridgeline.selection.glm_select.kfold_glm`), on arrays with any scikit-learn splitter
and on files or Dask collections with the source's fold rule alike.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import check_cv
from sklearn.utils.metadata_routing import UNUSED

from ridgeline.distributed import dask_source
from ridgeline.estimators import _logistic_cv_support as support
from ridgeline.estimators._glm import (
    check_C,
    check_tol_iter,
    fit_glm,
    label_problem,
    source_classes,
    source_problem,
    warn_convergence,
)
from ridgeline.estimators._grid_budget import logistic_cv_count, logistic_cv_grid
from ridgeline.estimators._logistic_params import DEFAULT_L1_RATIOS, cv_l1_ratios, cv_scoring
from ridgeline.estimators._logistic_sparse import (
    check_multinomial_penalty,
    check_weighted_classes,
    cv_logistic,
    fit_sparse,
    path_arrays,
    sparse_lambda,
)
from ridgeline.estimators._validation import (
    check_source_fit,
    check_X_y,
    is_source,
    source_folds,
)
from ridgeline.estimators.logistic import LogisticMixin, centered_classes, lambda_from_C
from ridgeline.path.glm_path import auto_glm_grid
from ridgeline.selection.glm_scoring import resolve_glm_scorer
from ridgeline.selection.glm_select import kfold_glm
from ridgeline.solvers.glm_fit import resolve_solver


class LogisticRegressionCV(LogisticMixin, BaseEstimator):
    """Logistic regression with C chosen by K-fold CV along warm-started paths, or by ALO.

    A drop-in for scikit-learn 1.9's ``LogisticRegressionCV`` (L2 penalty) with the attributes
    of its ``use_legacy_attributes=False`` layout, and one addition: ``method="alo"`` scores
    every C by approximate leave-one-out (Rad & Maleki 2020) from one fit per C on all the
    data — no folds — and then needs no refit; ``method="evidence"`` ranks the Cs by the
    Laplace-approximate marginal likelihood (MacKay 1992;
    :mod:`ridgeline.selection.glm_evidence`), from the same one full-data path.

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
    l1_ratios : None, "warn" or a list of l1 ratios in [0, 1], default=None
        The default None is ``(0,)``, the L2 penalty, with no warning (scikit-learn 1.9's
        default ``"warn"`` is the same with a FutureWarning, and it deprecates None; its 1.10
        default ``(0.0,)`` is the same fit). With
        ``use_legacy_attributes=True`` a given list keeps an l1-ratio axis in the
        attributes, as scikit-learn's does. Ratios > 0 add the elastic net of
        :class:`LogisticRegression` (``method="kfold"``, arrays in memory), and every
        ``(l1_ratio, C)`` pair is scored on certified proximal-Newton paths (binary, or
        multinomial for more classes).
    multinomial_penalty : {"ungrouped", "grouped"}, default="ungrouped"
        As :class:`LogisticRegression` (multinomial fits with ``l1_ratios > 0``).
    fit_intercept : bool, default=True
    cv : int, splitter or iterable, default=None (5-fold stratified)
    dual : must be False
    penalty : deprecated, as :class:`LogisticRegression`
        ``'l1'``, ``'l2'``, ``'elasticnet'`` read as scikit-learn 1.9 reads them, with its
        FutureWarning.
    scoring : str, callable or None, default="neg_log_loss"
        Ranks the Cs (K-fold and ALO, binary and multinomial, L2 and elastic net). Default:
        the held-out mean log loss, negated — a proper scoring rule, where accuracy is flat
        on imbalanced classes and picks a grid edge (scikit-learn 1.11's default; 1.9 uses
        accuracy with a FutureWarning). ``None`` → accuracy, as scikit-learn. Log loss and
        accuracy are computed directly; any scikit-learn scorer works (``roc_auc``, ...),
        told all the classes (a held-out fold may miss one). Also the rule of :meth:`score`.
    solver, tol, max_iter, class_weight : as :class:`~ridgeline.LogisticRegression`
    refit : bool, default=True
        Refit on all the data at the best C (``method="kfold"``); otherwise average the
        folds' coefficients at each fold's best C, as scikit-learn does.
    method : {"kfold", "alo", "evidence"}, default="kfold"
        ``"evidence"``: the C of the largest Laplace log evidence (``scores_`` holds it per
        C); it takes the default ``scoring`` and ``rule="min"`` only (it has no standard
        error), and ``cv`` is not used.
    rule : {"min", "1se"}, default="min"
        Best mean score, or the largest λ (smallest C) within one standard error of it.
    n_jobs, verbose, intercept_scaling, random_state : accepted, unused.
    use_legacy_attributes : bool, default=False
        True gives scikit-learn's older dict layout of ``scores_``/``coefs_paths_`` and arrays
        for ``C_``. The default is the layout scikit-learn 1.10 makes its default (1.9's
        default is the legacy one, with a FutureWarning that ridgeline does not emit).

    Attributes
    ----------
    C_ : float
    Cs_ : ndarray (n_cs,)
    l1_ratio_ : float, l1_ratios_ : ndarray (n_l1,)
        The chosen and the given l1 ratios (``[0.]`` for the L2 penalty).
    scores_ : ndarray (n_folds, n_l1, n_cs) (K-fold) or (1, 1, n_cs) (ALO, evidence)
    coefs_paths_ : ndarray (n_folds, n_l1, n_cs, n_classes', n_features + intercept)
        Multinomial L2 paths centered over the classes, as ``coef_`` (see
        :class:`LogisticRegression`).
    n_iter_ : ndarray (n_folds, n_l1, n_cs)
    coef_, intercept_, classes_ : as :class:`LogisticRegression`
    lambda_ : float
        Canonical λ of ``C_`` on the full data.
    cv_result_ : RidgeCVResult
        The CV curve (mean ± SE per C), λ_min and λ_1se.
    """

    __metadata_request__score = {"sample_weight": UNUSED}  # noqa: RUF012 (sklearn's protocol)

    def __init__(self, *, Cs=10, l1_ratios=DEFAULT_L1_RATIOS, fit_intercept=True, cv=None,
                 dual=False, penalty="deprecated", scoring="neg_log_loss", solver="auto", tol=1e-8,
                 max_iter=100, class_weight=None, n_jobs=None, verbose=0, refit=True,
                 intercept_scaling=1.0, random_state=None, use_legacy_attributes=False,
                 method="kfold", rule="min", multinomial_penalty="ungrouped"):
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
        self.multinomial_penalty = multinomial_penalty


    def _grid(self) -> np.ndarray | None:
        if isinstance(self.Cs, str):
            if self.Cs != "auto":
                raise ValueError(f"Cs must be an int, a grid of C or 'auto', got {self.Cs!r}")
            return None
        if isinstance(self.Cs, (int, np.integer)) and not isinstance(self.Cs, bool):
            if self.Cs < 1:
                raise ValueError(f"Cs must be a positive int or a grid of C, got {self.Cs!r}")
            logistic_cv_count(self, 1)  # before the grid is made
            return np.logspace(-4, 4, int(self.Cs))
        Cs = np.asarray(self.Cs, dtype=np.float64).ravel()
        if Cs.size == 0:
            raise ValueError("Cs is empty: give at least one C")
        for C in Cs:
            check_C(float(C), "every C in Cs")
        return Cs

    def _check_params(self) -> np.ndarray:
        """Validate the parameters; returns the l1 ratios (``[0]`` for the L2 penalty)."""
        ratios, self._ratios_given = cv_l1_ratios(self, stacklevel=5)
        self._scoring = cv_scoring(self.scoring)
        check_tol_iter(self.tol, self.max_iter)
        if self.dual:
            raise ValueError("dual=True is not available: ridgeline solves the primal problem")
        if self.method not in ("kfold", "alo", "evidence"):
            raise ValueError(f"method must be 'kfold', 'alo' or 'evidence', got "
                             f"{self.method!r}")
        if self.rule not in ("min", "1se"):
            raise ValueError(f"rule must be 'min' or '1se', got {self.rule!r}")
        support.check_evidence_params(self)
        resolve_solver(self.solver)
        if np.any(ratios > 0) and self.method != "kfold":
            raise ValueError("l1_ratios > 0 needs method='kfold' (ALO and the evidence are "
                             "for the smooth L2 penalty)")
        return ratios

    def _scorer(self, loss, weighted: bool):
        """The resolved scorer (told the classes; unweighted where routing says so)."""
        scorer = resolve_glm_scorer(self._scoring, loss, self.classes_)
        if weighted:
            return scorer
        if scorer.per_sample is not None:  # held-out sums are weighted: score predictions
            scorer = resolve_glm_scorer(support.sk_scorer(self._scoring), loss, self.classes_)
        return scorer.unweighted()

    def fit(self, X, y=None, sample_weight=None, **params):
        """Choose C on X (n, p) and labels y (n,), then fit at it; returns self.

        ``X`` may also be a statistics source (``ridgeline.read_parquet(path, target=...)``,
        ``read_csv``, a :class:`ridgeline.distributed.DaskSource`) with ``y=None``, or a Dask
        array / data frame with its ``y`` and ``sample_weight``: K-fold CV (``cv=K``, default
        5; folds from the source's fold rule) with all K folds advanced by one pass per
        iteration, then the refit at the chosen C. Two classes in the target column fit the
        binary model, 3 to 64 (numeric labels) the multinomial one.

        ``**params`` go to the splitter and the scorer by scikit-learn's metadata routing
        (``sklearn.set_config(enable_metadata_routing=True)``); without it they are refused.
        """
        if (src := dask_source(X, y, sample_weight)) is not None:
            X, y, sample_weight = src, None, None
        Cs = self._grid()
        ratios = self._check_params()
        logistic_cv_count(self, ratios.size)
        split_params, weighted = support.fit_routing(self, sample_weight, params)
        if is_source(X):
            problem, K, summary, labels, dtype = self._source_problem(X, y, sample_weight, ratios)
            logistic_cv_grid(self, self.Cs, ratios.size, int(summary.n_rows), problem.n_features,
                             self.classes_.size)
        else:
            X, y = check_X_y(self, X, y, y_numeric=False)
            logistic_cv_grid(self, self.Cs, ratios.size, *X.shape, np.unique(y).size)
            if np.any(ratios > 0):
                return self._fit_sparse_cv(X, y, sample_weight, Cs, ratios, split_params,
                                           weighted)
            splits = None if self.method != "kfold" else \
                list(check_cv(self.cv, y, classifier=True).split(X, y, **split_params))
            problem = label_problem(self, X, y, sample_weight, self.fit_intercept, splits)
            K = 1 if splits is None else len(splits)
            summary = problem.source.target_summary(K)
            labels, dtype = y, X.dtype
        scorer = self._scorer(problem.loss, weighted)
        n_w = float(summary.sw.sum())
        passes = 1 if labels is None else 0  # the target summary of a source
        if Cs is None:  # "auto": 20 values spanning 5%..99% of the null model's dof
            lambdas = auto_glm_grid(problem, 20, summary=summary)
            Cs = 1.0 / (2.0 * lambdas * n_w)
            passes += 1
        lambdas = lambda_from_C(Cs, n_w)
        if self.method in ("alo", "evidence"):
            self._fit_full_data(problem, labels, lambdas, Cs, scorer, dtype)
        else:
            passes += self._fit_kfold(problem, K, summary, labels, lambdas, Cs, scorer, dtype)
        self.Cs_, self.l1_ratio_, self.l1_ratios_ = Cs, float(ratios[0]), ratios
        self.n_passes_ = passes
        if labels is None:
            self.n_rows_ = summary.n_rows
        if self.use_legacy_attributes:
            support.legacy_layout(self, self._ratios_given)
        return self

    def score(self, X, y, sample_weight=None, **score_params):
        """The ``scoring`` rule's score on ``(X, y)``: the mean log loss, negated, by
        default (greater is better, as the CV scores); accuracy for ``scoring=None``.

        ``score_params`` go to the scorer by scikit-learn's metadata routing (refused
        without it); ``sample_weight`` reaches the scorer without routing, and with routing
        when the scorer requested it.
        """
        return support.score(self, X, y, sample_weight, score_params)

    def get_metadata_routing(self):
        """scikit-learn's metadata routing of ``fit`` (to the splitter and the scorer) and of
        ``score`` (to the scorer)."""
        return support.metadata_router(self)

    def _source_problem(self, source, y, sample_weight, ratios):
        """``(problem, K, summary, labels=None, dtype)`` of a statistics source."""
        check_source_fit(self, source, y, sample_weight, class_weight=self.class_weight,
                         dual=self.dual)
        if self.method != "kfold":
            raise ValueError("on a statistics source method must be 'kfold'")
        if np.any(ratios > 0):
            raise ValueError("l1_ratios > 0 is not available on a statistics source")
        K = source_folds(self.cv, default=5)
        summary = source.target_summary(K, progress=getattr(source, "progress", None))
        self.classes_ = source_classes(source, summary)
        return source_problem(source, self.classes_, self.fit_intercept), K, summary, None, \
            np.float64

    def _fit_kfold(self, problem, K, summary, labels, lambdas, Cs, scorer, dtype) -> int:
        """K-fold CV along the C grid, then the refit (or the folds' average); returns the
        passes over the data it took."""
        sel = kfold_glm(problem, lambdas, Cs, scorer, n_folds=K, summary=summary,
                        labels=labels, classes=self.classes_, solver=self.solver, tol=self.tol,
                        max_iter=self.max_iter, rule=self.rule, warn_stacklevel=4)
        path, res = sel.path, sel.result
        warn_convergence(path, self.tol, self.max_iter, "LogisticRegressionCV", stacklevel=4)
        coefs, inters = centered_classes(path.coef, path.intercept)  # (L, F, p, m), (L, F, m)
        idx = int(res.index_)
        passes = path.n_passes
        self.solver_ = path.solver
        if self.refit:
            C, lam = float(Cs[idx]), float(lambdas[idx])
            start = (coefs[idx].mean(axis=0)[None], inters[idx].mean(axis=0)[None])
            fit, self.solver_ = fit_glm(problem, lam, solver=self.solver, tol=self.tol,
                                        max_iter=self.max_iter, start=start, summary=summary,
                                        who="LogisticRegressionCV (refit)", stacklevel=5)
            coef, inter = centered_classes(fit.coef[0], fit.intercept[0])
            passes += fit.n_passes
        else:
            best = np.argmax(res.fold_scores[:, :, 0], axis=1)
            coef = np.mean([coefs[best[k], k] for k in range(K)], axis=0)
            inter = np.mean([inters[best[k], k] for k in range(K)], axis=0)
            C = float(np.mean(Cs[best]))
            lam = float(lambda_from_C(C, float(summary.sw.sum())))
        self._store(coef, inter, dtype)
        self.C_, self.lambda_, self.cv_result_ = C, lam, res
        self.scores_ = res.fold_scores[:, :, 0][:, None, :]
        self.n_iter_ = path.n_iter.T[:, None, :]
        self.coefs_paths_ = self._paths(coefs.transpose(1, 0, 2, 3), inters.transpose(1, 0, 2))
        return passes

    def _fit_full_data(self, problem, labels, lambdas, Cs, scorer, dtype):
        """``method="alo"`` or ``"evidence"``: one full-data path, no refit."""
        support.fit_full_data(self, problem, labels, lambdas, Cs, scorer, dtype)

    def _fit_sparse_cv(self, X, labels, sample_weight, Cs, ratios, split_params: dict,
                       weighted: bool):
        """K-fold over every (l1_ratio, C) with certified proximal-Newton paths (binary or
        multinomial)."""
        grouped = check_multinomial_penalty(self.multinomial_penalty)
        problem = label_problem(self, X, labels, sample_weight, self.fit_intercept)
        codes, s, loss = problem.source.y, problem.source.weights, problem.loss
        K = self.classes_.size
        scorer = self._scorer(loss, weighted)
        if Cs is None:
            Cs = 1.0 / (2.0 * auto_glm_grid(problem, 20) * s.sum())
        Cs = np.asarray(Cs, dtype=np.float64)
        check_weighted_classes(codes, s, self.classes_, "LogisticRegressionCV")
        splits = list(check_cv(self.cv, labels, classifier=True).split(X, labels,
                                                                      **split_params))
        Y = codes if K == 2 else np.eye(K)[codes.astype(np.int64)]  # the scorer's targets

        def score(rows, eta):
            return scorer.score(Y[rows], labels[rows], eta.reshape(len(rows), -1), s[rows],
                                loss, self.classes_)

        kw = dict(fit_intercept=self.fit_intercept, tol=self.tol, max_iter=self.max_iter)
        scores, cvs = cv_logistic(X, codes, s, splits, Cs, ratios, n_classes=K,
                                  grouped=grouped, score=score, **kw)
        r, i = np.unravel_index(int(np.argmax(scores.mean(axis=0))), scores.shape[1:])
        rho = float(ratios[r])
        self.cv_result_ = cvs[r].result(Cs, scorer.name, self.rule)
        i = int(self.cv_result_.index_)
        every = [path_arrays(cv.paths) for cv in cvs]  # per ratio: (F, L, p, m), (F, L, m)
        coefs, inters = every[r]
        self.scores_, self.Cs_, self.l1_ratios_, self.l1_ratio_ = scores, Cs, ratios, rho
        self.coefs_paths_ = np.concatenate([self._paths(c, b) for c, b in every], axis=1)
        self.n_iter_ = np.array([[p.n_iter for p in cv.paths] for cv in cvs]).transpose(1, 0, 2)
        if self.refit:
            C = float(Cs[i])
            coef, inter, lam, _ = fit_sparse(X, codes, s, C, rho, n_classes=K, grouped=grouped,
                                             who="LogisticRegressionCV (refit)", **kw)
        else:
            best = np.argmax(scores[:, r, :], axis=1)
            folds = np.arange(best.size)
            coef, inter = coefs[folds, best].mean(axis=0), inters[folds, best].mean(axis=0)
            C = float(np.mean(Cs[best]))
            lam = float(sparse_lambda(C, rho, s.sum()))
        self._store(coef, inter, X.dtype)
        self.C_, self.lambda_, self.solver_ = C, float(lam), "prox-newton"
        if self.use_legacy_attributes:
            support.legacy_layout(self, self._ratios_given)
        return self

    def _paths(self, coef, intercept):
        """(F, L, p, m), (F, L, m) → scikit-learn's (F, 1, L, m, p [+1])."""
        C = coef.transpose(0, 1, 3, 2)
        if self.fit_intercept:
            C = np.concatenate([C, intercept[..., None]], axis=-1)
        return C[:, None]

