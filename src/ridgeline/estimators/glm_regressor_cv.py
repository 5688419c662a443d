"""L2 GLM regressors with the penalty chosen by cross-validation: ``PoissonRegressorCV`` and
the base it shares with ``GammaRegressorCV`` and ``TweedieRegressorCV``
(:mod:`ridgeline.estimators.gamma_tweedie_cv`).

The objective is the regressor's (e.g. :class:`~ridgeline.PoissonRegressor`): the mean
unhalved deviance plus ``λ‖w‖²`` with ``λ = alpha`` (scikit-learn's ``alpha`` of
``PoissonRegressor``, ``GammaRegressor``, ``TweedieRegressor``, whose objective is half of
it). Every fold model is fit at the same alpha (the loss is a mean: alpha does not depend on
n), as ``GridSearchCV(PoissonRegressor(), {"alpha": alphas})`` would.

λ is chosen by the engine the command line uses
(:func:`~ridgeline.selection.glm_cv.glm_cv`): K-fold CV with the K training folds solved
together along one warm-started path (every pass over the data serves every fold), or
approximate leave-one-out (:func:`~ridgeline.selection.glm_alo.alo_glm`) from one full-data
fit per alpha; then one refit on all the data at the chosen alpha
(:func:`~ridgeline.estimators._glm.fit_glm`), which is the regressor's own fit.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import d2_tweedie_score
from sklearn.model_selection import check_cv
from sklearn.utils.validation import check_is_fitted

from ridgeline.distributed import dask_source
from ridgeline.estimators._base import SparseInputMixin
from ridgeline.estimators._glm import check_tol_iter, fit_glm, warn_convergence
from ridgeline.estimators._offset import check_offset_fit, predict_log_link
from ridgeline.estimators._range import NEWTON_RATIO_LIMIT
from ridgeline.estimators._validation import (
    check_grid,
    check_source_fit,
    check_weights,
    check_X,
    check_X_y,
    is_source,
    one_target,
    source_folds,
)
from ridgeline.losses import PoissonLoss
from ridgeline.losses.domain import check_target_domain
from ridgeline.path.budget import check_count
from ridgeline.path.glm_path import auto_glm_grid
from ridgeline.selection.glm_alo import alo_glm
from ridgeline.selection.glm_cv import glm_cv
from ridgeline.selection.glm_evidence import evidence_glm
from ridgeline.selection.glm_scoring import resolve_glm_scorer
from ridgeline.solvers.glm_fit import choose_solver, resolve_solver
from ridgeline.solvers.problem import GLMProblem


class GLMRegressorCV(SparseInputMixin, RegressorMixin, BaseEstimator):
    """Base of the L2 log-link GLM regressors with ``alpha`` chosen by K-fold CV or ALO.

    A subclass names its loss (:meth:`_loss`), its Tweedie power (for :meth:`score`'s D²)
    and the targets it takes (:meth:`_check_targets`).

    Parameters
    ----------
    alphas : array-like or None, default=None
        The grid of alphas (= canonical λ; any order, searched strongest first). None: an
        automatic grid of ``n_alphas`` values spanning 5% to 99% of the effective degrees of
        freedom at the null model (:func:`ridgeline.path.auto_glm_grid`; one more pass).
    n_alphas : int, default=20
    cv : int, splitter or iterable, default=5
        As scikit-learn's ``cv`` (an int gives ``KFold(cv)``, unshuffled). On a statistics
        source, the number of folds of its fold rule.
    method : {"kfold", "alo", "evidence"}, default="kfold"
        ``"alo"``: approximate leave-one-out (Rad & Maleki 2020) from one full-data fit per
        alpha, arrays in memory. ``"evidence"`` (Poisson): the largest Laplace-approximate
        evidence (:mod:`ridgeline.selection.glm_evidence`) from the same one path.
    scoring : str, callable or None, default=None
        None: the mean held-out deviance of the model's family, negated (greater is better;
        ``neg_mean_poisson_deviance`` for Poisson). Any scikit-learn scorer name or callable
        (arrays in memory).
    rule : {"min", "1se"}, default="min"
        Best mean score, or the largest alpha within one standard error of it.
    fit_intercept : bool, default=True
    solver : {"auto", "newton", "lbfgs"} or scikit-learn's "newton-cholesky"
    max_iter : int, default=100
    tol : float, default=1e-8
        Stop each solve when the largest absolute gradient entry is ≤ tol.

    Attributes
    ----------
    alpha_ : float
        The chosen alpha (= ``lambda_``).
    alphas_ : ndarray (n_alphas,)
        The grid searched, strongest first.
    coef_ : ndarray (n_features,)
    intercept_ : float
    n_iter_ : int
        Iterations of the final fit at ``alpha_``.
    scores_ : ndarray (n_folds, n_alphas)
        Held-out score of every fold at every alpha (K-fold); ``(1, n_alphas)``, the ALO
        score, for ``method="alo"``.
    best_score_ : float
        The mean score at ``alpha_``.
    selection_ : RidgeCVResult
        The CV curve (mean ± SE per alpha, effective dof for ALO), λ_min and λ_1se.
    lambda_ : float
    solver_ : str
    grad_norm_ : float
        Largest absolute gradient entry of the final fit.
    n_passes_ : int
        Passes over the data of the whole fit (the CV path and the refit).

    Notes
    -----
    ``fit(X, y, offset=np.log(exposure))`` models counts (or amounts) per unit of exposure:
    ``η = Xw + b + offset`` in every fold and in the refit; ``predict(X, offset=...)`` then
    gives the expected totals and ``predict(X)`` (offset 0) the rate per unit of exposure.
    """

    _max_scale_ratio = NEWTON_RATIO_LIMIT
    #: Tweedie power of the family (D² of :meth:`score`).
    _power = 1.0

    def __init__(self, *, alphas=None, n_alphas=20, cv=5, method="kfold", scoring=None,
                 rule="min", fit_intercept=True, solver="auto", max_iter=100, tol=1e-8):
        self.alphas = alphas
        self.n_alphas = n_alphas
        self.cv = cv
        self.method = method
        self.scoring = scoring
        self.rule = rule
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol

    # ---- the family (subclasses) ----------------------------------------------------------
    def _loss(self):
        raise NotImplementedError

    def _check_targets(self, y: np.ndarray, s: np.ndarray) -> None:
        """Refuse targets the family cannot take (ValueError naming them)."""

    # ---- fitting --------------------------------------------------------------------------
    def _grid(self) -> np.ndarray | None:
        """The given grid, strongest first (None: automatic)."""
        if self.alphas is None:
            check_count(self.n_alphas, "n_alphas", solved=True)
            return None
        grid = check_grid(self.alphas, "alphas")
        if grid.size == 0:
            raise ValueError("alphas is empty: give at least one alpha")
        return np.sort(grid)[::-1].copy()

    def _check_params(self) -> None:
        check_tol_iter(self.tol, self.max_iter)
        resolve_solver(self.solver)
        if self.method not in ("kfold", "alo", "evidence"):
            raise ValueError(f"method must be 'kfold', 'alo' or 'evidence', got "
                             f"{self.method!r}")
        if self.method == "evidence" and (self.scoring is not None or self.rule != "min"):
            raise ValueError("method='evidence' ranks alpha by the Laplace evidence: it takes "
                             "no scoring and rule='min' only (it has no standard error)")
        if self.rule not in ("min", "1se"):
            raise ValueError(f"rule must be 'min' or '1se', got {self.rule!r}")
        if not isinstance(self.fit_intercept, bool | np.bool_):
            raise ValueError(f"fit_intercept must be True or False, got {self.fit_intercept!r}")

    def fit(self, X, y=None, sample_weight=None, offset=None):
        """Choose alpha on X (n, p) and targets y (n,), then fit at it; returns self.

        ``offset`` (n,), optional: a fixed term of the linear predictor
        (``η = Xw + b + offset``, e.g. ``np.log(exposure)``), in every fold and the refit;
        arrays in memory. ``X`` may also be a statistics source
        (``ridgeline.read_parquet(path, target=...)``) or a Dask collection (``y`` then
        None, or the Dask target): K-fold CV over the source's fold rule (``cv=K``).
        """
        self._check_params()
        grid = self._grid()
        loss = self._loss()
        who = type(self).__name__
        if (src := dask_source(X, y, sample_weight)) is not None:
            X, y, sample_weight = src, None, None
        if offset is not None:
            check_offset_fit(X, 0.0, who)
        if is_source(X):
            if self.method != "kfold":
                raise ValueError(f"{who}: on a statistics source method must be 'kfold'")
            check_source_fit(self, X, y, sample_weight)
            problem = GLMProblem(X, loss, self.fit_intercept,
                                 progress=getattr(X, "progress", None))
            K, labels, dtype = source_folds(self.cv, default=5), None, np.float64
        else:
            X, y = check_X_y(self, X, y, y_numeric=True)
            y = one_target(y)
            s = check_weights(sample_weight, X)
            self._check_targets(y, s)
            splits = None if self.method != "kfold" else \
                list(check_cv(self.cv, y, classifier=False).split(X, y))
            problem = GLMProblem.from_arrays(X, y, s, loss, self.fit_intercept, splits=splits,
                                             offset=offset)
            K, labels, dtype = (1 if splits is None else len(splits)), y, X.dtype
        if self.method in ("alo", "evidence"):
            res, start, passes, _ = self._alo(problem, labels, grid,
                                              resolve_glm_scorer(self.scoring, loss))
        else:
            res, start, passes, summary = self._kfold(problem, K, grid)
            if labels is None:  # a statistics source
                self.n_rows_ = int(summary.n_rows)
        self._refit(problem, res, start, passes, dtype)
        return self

    def _kfold(self, problem: GLMProblem, K: int, grid):
        """The K-fold curve (the command line's :func:`glm_cv`); returns the result, the refit's
        start (the folds' mean at the chosen alpha), the passes taken and the target
        summary."""
        cv = glm_cv(problem, K, lambdas=grid, n_lambdas=self.n_alphas, scoring=self.scoring,
                    rule=self.rule, tol=self.tol, max_iter=self.max_iter, warn_stacklevel=4,
                    solver=self.solver)
        path, res = cv.path, cv.result
        warn_convergence(path, self.tol, self.max_iter, type(self).__name__, stacklevel=4)
        idx = int(res.index_)
        self.scores_ = res.fold_scores[:, :, 0]
        self.solver_ = path.solver
        start = (path.coef[idx].mean(axis=0)[None], path.intercept[idx].mean(axis=0)[None])
        return res, start, cv.n_passes, cv.summary

    def _alo(self, problem: GLMProblem, labels, grid, scorer):
        """The ALO curve of one full-data path; returns the result, the chosen solution (the
        refit's start), the passes taken and None."""
        if choose_solver(problem, self.solver) != "newton":
            raise ValueError(f"method={self.method!r} needs the Newton solver's Hessian (solver="
                             f"{self.solver!r}, {problem.n_features} features): use "
                             "method='kfold'")
        passes = 0
        if grid is None:
            grid = auto_glm_grid(problem, self.n_alphas)
            passes += 2
        if self.method == "evidence":  # Laplace evidence (Poisson; others are refused)
            sel = evidence_glm(problem, grid, grid, tol=self.tol, max_iter=self.max_iter,
                               warn_stacklevel=4)
        else:
            sel = alo_glm(problem, labels, grid, grid, scorer, classes=None, tol=self.tol,
                          max_iter=self.max_iter, rule=self.rule, warn_stacklevel=4)
        path, res = sel.path, sel.result
        warn_convergence(path, self.tol, self.max_iter, type(self).__name__, stacklevel=4)
        idx = int(res.index_)
        self.scores_ = res.mean_score[None, :]
        self.solver_ = "newton"
        return res, (path.coef[idx], path.intercept[idx]), passes + path.n_passes, None

    def _refit(self, problem: GLMProblem, res, start, passes: int, dtype) -> None:
        """The final fit at the chosen alpha (polished, as the regressor's own fit)."""
        lam = float(res.lambdas[int(res.index_)])
        fit, name = fit_glm(problem, lam, solver=self.solver, tol=self.tol,
                            max_iter=self.max_iter, start=start,
                            who=f"{type(self).__name__} (refit)", stacklevel=5)
        self.coef_ = fit.coef[0, :, 0].astype(dtype, copy=False)
        self.intercept_ = float(fit.intercept[0, 0]) if self.fit_intercept else 0.0
        self.n_iter_ = int(fit.n_iter[0])
        self.grad_norm_ = float(fit.grad_norm[0])
        self.alpha_ = self.lambda_ = lam
        self.alphas_ = np.asarray(res.alphas, dtype=np.float64)
        self.selection_ = res
        self.best_score_ = float(res.mean_score[int(res.index_)])
        self.solver_ = name
        self.n_passes_ = int(passes) + int(fit.n_passes)

    # ---- prediction -----------------------------------------------------------------------
    def predict(self, X, offset=None):
        """The mean μ = exp(Xw + b + offset), shape (n,); without ``offset`` (0), the mean per
        unit of exposure of a model fitted with ``offset = log(exposure)``."""
        check_is_fitted(self)
        X = check_X(self, X)
        return predict_log_link(X, self.coef_, self.intercept_, offset)

    def score(self, X, y, sample_weight=None, offset=None):
        """D², the fraction of the family's deviance explained (scikit-learn's
        ``d2_tweedie_score``), of the predictions with ``offset``."""
        return d2_tweedie_score(y, self.predict(X, offset), sample_weight=sample_weight,
                                power=self._power)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = self._power >= 1.0
        return tags


def check_counts(y: np.ndarray, s: np.ndarray, what: str = "Poisson") -> None:
    """Non-negative targets with a positive weighted mean (log-link count models)."""
    check_target_domain(PoissonLoss(), float(y.min()), float(s @ y) / float(s.sum()), who=what,
                        where="y")


class PoissonRegressorCV(GLMRegressorCV):
    """Poisson regression (log link) with an L2 penalty whose ``alpha`` is chosen by K-fold
    cross-validation or approximate leave-one-out.

    The model of :class:`~ridgeline.PoissonRegressor` (``alpha`` = canonical λ): its
    ``coef_`` equals ``PoissonRegressor(alpha=alpha_).fit(X, y).coef_``. Parameters and
    attributes as :class:`GLMRegressorCV` (the default ``scoring`` is the mean held-out
    Poisson deviance, negated: ``"neg_mean_poisson_deviance"``).

    Examples
    --------
    >>> import numpy as np
    >>> from ridgeline import PoissonRegressorCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> exposure = rng.uniform(0.5, 2.0, size=200)
    >>> y = rng.poisson(exposure * np.exp(0.3 * X[:, 0]))
    >>> model = PoissonRegressorCV(cv=5).fit(X, y, offset=np.log(exposure))
    >>> rate = model.predict(X)  # expected count per unit of exposure
    """

    _power = 1.0

    def _loss(self):
        return PoissonLoss()

    def _check_targets(self, y: np.ndarray, s: np.ndarray) -> None:
        check_counts(y, s, "Poisson")


