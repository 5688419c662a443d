"""Regression tests for the logistic fixes of issue 17 (scikit-learn's own test_logistic.py
run on ridgeline's LogisticRegression / LogisticRegressionCV), one block per category."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from scipy.special import expit
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import brier_score_loss, get_scorer, log_loss
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

import ridgeline.solvers.prox_newton_inner as inner_mod
from ridgeline import LogisticRegression, LogisticRegressionCV
from ridgeline.path.sparse_path import logistic_path
from ridgeline.penalties import ElasticNetPenalty
from ridgeline.selection.result import GridEdgeWarning
from ridgeline.solvers.cd_certificate import Blocks
from ridgeline.solvers.prox_newton import LogisticL1Problem, solve_prox_newton

try:
    import sklearn.callback  # scikit-learn >= 1.9
    HAS_CALLBACKS = True
except ImportError:  # pragma: no cover
    HAS_CALLBACKS = False

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
CV_KW = {"l1_ratios": (0,), "scoring": "neg_log_loss"}


def _quiet(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y, **kw)


# --- elasticnet-penalty / missing-warning / deprecation-warning ---------------------------


def test_penalty_spellings_map_onto_l1_ratio_and_C():
    X, y = make_classification(random_state=0)
    for penalty, kw in [("elasticnet", {"l1_ratio": 0.5}), ("l1", {"l1_ratio": 1.0}),
                        ("l2", {"l1_ratio": 0.0})]:
        with pytest.warns(FutureWarning, match="'penalty' was deprecated"):
            old = LogisticRegression(penalty=penalty, C=0.3, **kw).fit(X, y)
        new = LogisticRegression(C=0.3, **kw).fit(X, y)
        np.testing.assert_array_equal(old.coef_, new.coef_)
    with pytest.warns(UserWarning, match="Setting penalty=None will ignore the C"):
        none = _quiet_warn(LogisticRegression(penalty=None, C=4.0), X, y)
    np.testing.assert_array_equal(none.coef_, LogisticRegression(C=np.inf).fit(X, y).coef_)


def _quiet_warn(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


@pytest.mark.parametrize(("penalty", "l1_ratio", "match"), [
    ("l1", 0.0, "Inconsistent values: penalty=l1 with l1_ratio=0.0"),
    ("l2", 1.0, "Inconsistent values: penalty=l2 with l1_ratio=1.0"),
    ("l1", 0.5, r"only used when penalty is 'elasticnet'\. Got \(penalty=l1\)"),
])
def test_contradicting_penalty_and_l1_ratio_warn(penalty, l1_ratio, match):
    X, y = make_classification(n_samples=40, random_state=1)
    with pytest.warns(UserWarning, match=match):
        _quiet_warn(LogisticRegression(penalty=penalty, l1_ratio=l1_ratio), X, y)


def test_scikit_learn_deprecations_warn_and_bad_penalty_is_refused():
    X, y = make_classification(n_samples=40, random_state=2)
    with pytest.warns(FutureWarning, match="'l1_ratio=None' was deprecated"):
        LogisticRegression(l1_ratio=None).fit(X, y)
    with pytest.warns(FutureWarning, match="'n_jobs' has no effect"):
        LogisticRegression(n_jobs=1).fit(X, y)
    with pytest.warns(FutureWarning, match="default value for l1_ratios will change"):
        LogisticRegressionCV(Cs=3, l1_ratios="warn").fit(X, y)
    with warnings.catch_warnings():  # l1_ratios' default is None, the L2 penalty: no warning
        warnings.simplefilter("error", FutureWarning)
        LogisticRegressionCV(Cs=3).fit(X, y)
    with warnings.catch_warnings():  # scoring's default is "neg_log_loss": no FutureWarning
        warnings.simplefilter("error", FutureWarning)
        LogisticRegressionCV(Cs=3, l1_ratios=(0,)).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", GridEdgeWarning)  # UserWarnings about the grid
        warnings.simplefilter("ignore", ConvergenceWarning)  # and about separable data
        LogisticRegressionCV(Cs=3, **CV_KW).fit(X, y)  # explicit values: no warning
        LogisticRegression(C=np.inf).fit(X, y)
    with pytest.raises(ValueError, match="penalty must be one of"):
        LogisticRegression(penalty="l3").fit(X, y)


# --- refuses-valid: max_iter=0 -----------------------------------------------------------


def test_zero_max_iter_returns_the_starting_model():
    y = Y_IRIS == 2
    with pytest.warns(ConvergenceWarning, match="max_iter=0"):
        est = LogisticRegression(max_iter=0).fit(X_IRIS, y)
    assert est.n_iter_[0] == 0
    np.testing.assert_array_equal(est.coef_, 0.0)
    np.testing.assert_array_equal(est.predict_proba(X_IRIS), 0.5)
    assert est.score(X_IRIS, y) == pytest.approx(100 / 150)
    fitted = LogisticRegression(warm_start=True).fit(X_IRIS, y)
    with pytest.warns(ConvergenceWarning):
        again = fitted.set_params(max_iter=0).fit(X_IRIS, y)
    assert np.all(again.coef_ != 0)  # warm start: the previous fit is the starting model


# --- scorer-missing-class / scoring-api ---------------------------------------------------


def test_held_out_fold_missing_a_class_is_scored_against_every_class():
    clf = LogisticRegressionCV(cv=KFold(3), scoring="neg_brier_score",
                               Cs=np.logspace(-6, 3, 10), l1_ratios=(0,)).fit(X_IRIS, Y_IRIS)
    assert clf.C_ == 1e-6
    brier = -clf.scores_[:, 0, :]
    assert np.all(brier > 1.4) and brier.min() < 1.6
    # fold 0 at C = 1e-6, by hand: the brier score over all three classes
    _, test = next(KFold(3).split(X_IRIS))
    model = LogisticRegression(C=1e-6).fit(X_IRIS, Y_IRIS)
    model.coef_ = clf.coefs_paths_[0, 0, 0, :, :-1]
    model.intercept_ = clf.coefs_paths_[0, 0, 0, :, -1]
    want = brier_score_loss(Y_IRIS[test], model.predict_proba(X_IRIS[test]), labels=[0, 1, 2])
    assert -clf.scores_[0, 0, 0] == pytest.approx(want, rel=1e-12)


def test_score_uses_scoring_and_params_need_routing():
    X, y = make_classification(n_samples=120, random_state=3)
    est = LogisticRegressionCV(Cs=4, **CV_KW).fit(X, y)
    assert est.score(X, y) == pytest.approx(-log_loss(y, est.predict_proba(X)), rel=1e-12)
    with pytest.raises(ValueError, match="only supported if enable_metadata_routing=True"):
        est.fit(X, y, extra=1)
    with pytest.raises(ValueError, match="only supported if enable_metadata_routing=True"):
        LogisticRegressionCV(**CV_KW).score(X, y, extra=1)


def test_metadata_routing_gives_the_scorer_weights_only_when_requested():
    X, y = make_classification(n_samples=400, random_state=4)
    sw = np.where(np.arange(400) < 200, 2.0, 1.0)
    with sklearn.config_context(enable_metadata_routing=True):
        plain = get_scorer("accuracy").set_score_request(sample_weight=False)
        weighted = get_scorer("accuracy").set_score_request(sample_weight=True)
        a = LogisticRegressionCV(Cs=3, l1_ratios=(0,), scoring=plain).fit(X, y,
                                                                          sample_weight=sw)
        b = LogisticRegressionCV(Cs=3, l1_ratios=(0,), scoring=weighted).fit(X, y,
                                                                             sample_weight=sw)
        with pytest.raises(TypeError, match="not routed to any object"):
            a.score(X, y, sample_weight=sw)
        assert b.score(X, y, sample_weight=sw) == pytest.approx(
            np.average(b.predict(X) == y, weights=sw), rel=1e-12)
    # the fits are the same; only the scores' weighting differs
    np.testing.assert_array_equal(a.coef_, b.coef_)
    folds = list(StratifiedKFold(5).split(X, y))
    path = a.coefs_paths_[0, 0, 1]
    pred = (X[folds[0][1]] @ path[0, :-1] + path[0, -1]) > 0
    assert a.scores_[0, 0, 1] == pytest.approx(np.mean(pred == y[folds[0][1]]), rel=1e-12)
    assert not np.allclose(a.scores_, b.scores_)


# --- missing-api: sparsify / densify, callbacks -------------------------------------------


def test_sparsify_and_densify_keep_predictions():
    est = LogisticRegression(C=0.05, l1_ratio=1.0).fit(X_IRIS, Y_IRIS)
    dense = est.decision_function(X_IRIS)
    assert sp.issparse(est.sparsify().coef_)
    np.testing.assert_allclose(est.decision_function(sp.csr_matrix(X_IRIS)), dense,
                               rtol=1e-13, atol=1e-13)
    assert isinstance(est.densify().coef_, np.ndarray)
    np.testing.assert_array_equal(est.decision_function(X_IRIS), dense)


class _Recorder:
    """A minimal scikit-learn fit callback that keeps what its hooks see."""

    def __init__(self):
        self.calls = []

    def setup(self, estimator, context):
        self.calls.append(("setup", None, None))

    def teardown(self, estimator, context):
        self.calls.append(("teardown", None, None))

    def on_fit_task_begin(self, estimator, context, *, fitted_estimator=None):
        self.calls.append(("begin", context.task_name, fitted_estimator))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.calls.append(("end", context.task_name, fitted_estimator))
        return False


@pytest.mark.skipif(not HAS_CALLBACKS, reason="scikit-learn < 1.9 has no callbacks")
def test_callbacks_see_each_iteration_as_a_cut_short_fit():
    X, y = make_classification(n_features=4, random_state=0)
    cb = _Recorder()
    est = LogisticRegression(solver="lbfgs").set_callbacks(cb).fit(X, y)
    n = int(est.n_iter_[0])
    names = [c[0] for c in cb.calls]
    assert names.count("setup") == names.count("teardown") == 1
    assert names.count("begin") == names.count("end") == n + 2  # fit, n iterations, 1 empty
    ends = [c[2] for c in cb.calls if c[0] == "end" and c[1] == "lbfgs-iter"]
    assert ends[-1] is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        two = LogisticRegression(solver="lbfgs", max_iter=2).fit(X, y)
    np.testing.assert_array_equal(ends[1].coef_, two.coef_)
    with pytest.warns(UserWarning, match="only supported in LogisticRegression for solver"):
        LogisticRegression(solver="newton-cholesky").set_callbacks(cb)


# --- multinomial-centering / warm-start / shape-type --------------------------------------


@pytest.mark.parametrize("C", [150.0, np.inf])
def test_multinomial_coefficients_sum_to_zero_over_classes(C):
    X = (X_IRIS - X_IRIS.mean(0)) / X_IRIS.std(0)
    est = _quiet(LogisticRegression(C=C), X, Y_IRIS)
    np.testing.assert_allclose(est.coef_.sum(axis=0), 0.0, atol=1e-13)
    assert abs(est.intercept_.sum()) < 1e-13
    cv = LogisticRegressionCV(Cs=3, cv=3, refit=False, **CV_KW).fit(X, Y_IRIS)
    np.testing.assert_allclose(cv.coefs_paths_.sum(axis=3), 0.0, atol=1e-13)


@pytest.mark.parametrize("solver", ["newton-cholesky", "newton-cg"])
def test_newton_steps_continue_exactly_under_warm_start(solver):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        two = LogisticRegression(solver=solver, max_iter=2).fit(X_IRIS, Y_IRIS)
        one = LogisticRegression(solver=solver, max_iter=1, warm_start=True)
        one.fit(X_IRIS, Y_IRIS).fit(X_IRIS, Y_IRIS)
    np.testing.assert_allclose(one.coef_, two.coef_, rtol=1e-10)


def test_legacy_attributes_keep_every_l1_ratio():
    X, y = make_classification(n_samples=200, n_classes=3, n_informative=3, random_state=0)
    est = _quiet(LogisticRegressionCV(Cs=3, l1_ratios=[0.0, 1.0], cv=2, tol=1e-2,
                                      scoring="neg_log_loss", use_legacy_attributes=True), X, y)
    assert np.asarray(list(est.coefs_paths_.values())).shape == (3, 2, 3, 2, 21)
    assert np.asarray(list(est.scores_.values())).shape == (3, 2, 3, 2)
    assert est.n_iter_.shape == (1, 2, 3, 2)


# --- numerical: elastic-net CV scores match cold fits -------------------------------------


def test_elastic_net_cv_scores_match_cold_fits_at_a_loose_tol():
    X, y = make_classification(n_samples=1000, random_state=0)
    cv = StratifiedKFold(5)
    est = LogisticRegressionCV(Cs=[1.0, 10.0], l1_ratios=[0.1], cv=cv, tol=1e-3,
                               scoring="neg_log_loss").fit(X, y)
    for i, C in enumerate([1.0, 10.0]):
        cold = cross_val_score(LogisticRegression(C=C, l1_ratio=0.1, tol=1e-3), X, y, cv=cv,
                               scoring="neg_log_loss").mean()
        assert est.scores_[:, 0, i].mean() == pytest.approx(cold, rel=1e-4)


# --- timeouts: the inexact inner solves ---------------------------------------------------


def _collinear_problem():
    X, y = make_classification(n_samples=100, n_informative=3, random_state=0)  # 2 redundant
    return LogisticL1Problem(X, y.astype(float), np.ones(100), True), X.shape[1]


def test_tiny_l1_weight_on_collinear_columns_needs_few_sweeps():
    # C = 1e4, l1_ratio = 1: the inner lasso has a = 1e-6 and a singular Gram; a duality-gap
    # stop cannot be met there (it ran 100,000 sweeps), the KKT-relative stop needs few
    problem, p = _collinear_problem()
    a = np.full(p, 1e-6)
    fit = solve_prox_newton(problem, Blocks.singletons(p), a, np.zeros(p), kkt_tol=3e-3)
    assert fit.converged and fit.kkt <= 3e-3
    assert fit.n_iter <= 5 and fit.n_epochs < 500


def test_unreachable_tolerance_stops_at_the_rounding_floor():
    problem, p = _collinear_problem()
    a = np.full(p, 0.01)
    t = time.perf_counter()
    fit = solve_prox_newton(problem, Blocks.singletons(p), a, np.zeros(p), kkt_tol=1e-30,
                            max_iter=10_000)
    assert time.perf_counter() - t < 5.0
    assert fit.n_iter < 40 and fit.kkt < 1e-13
    assert fit.converged  # at the rounding floor, as the smooth Newton solver counts it


def test_gram_and_residual_inner_solves_agree(monkeypatch):
    problem, p = _collinear_problem()
    a, b = np.full(p, 0.01), np.full(p, 0.02)
    gram = solve_prox_newton(problem, Blocks.singletons(p), a, b, kkt_tol=1e-10)
    monkeypatch.setattr(inner_mod, "GRAM_MAX_DIM", 0)
    resid = solve_prox_newton(problem, Blocks.singletons(p), a, b, kkt_tol=1e-10)
    assert gram.kkt <= 1e-10 and resid.kkt <= 1e-10
    np.testing.assert_allclose(gram.coef, resid.coef, atol=1e-8)
    assert gram.objective == pytest.approx(resid.objective, rel=1e-13)


def test_ridge_ratio_path_starts_from_zero_coefficients():
    # l1_ratio = 0 inside an elastic-net grid: the λ → ∞ model has zero coefficients (it
    # used to be the unpenalized fit, whose ~0 gradient made the tolerance ~1e-12 too tight)
    problem, p = _collinear_problem()
    X, y = problem.X, problem.y
    path = logistic_path(problem, ElasticNetPenalty.make(0.0, p), np.array([1e-2]), tol=1e-4,
                         max_iter=100)
    g0 = X.T @ (expit(np.full(100, np.log(y.mean() / (1 - y.mean())))) - y) / 100
    assert path.certificate_tols[0] == pytest.approx(1e-4 * np.abs(g0).max(), rel=1e-10)
    assert path.converged[0]
