"""The GLM estimators: LogisticRegression, LogisticRegressionCV and PoissonRegressor.

Drop-in agreement with scikit-learn 1.9 (fitted at a tight tolerance with its exact
``newton-cholesky`` solver), the CV attributes and their layouts, ALO and the 1-SE rule, bad
input, convergence warnings and optimality certificates, sparse / float32 / pandas input, warm
starts and solver names.

The objective (``shared/DESIGN.md``) is ``(1/n_w) Σ s_i ℓ(y_i, x_iᵀW + b) + λ‖W‖²`` with
``λ = 1/(2 C n_w)`` for scikit-learn's ``C`` and ``λ = alpha`` for ``PoissonRegressor``.
"""

from __future__ import annotations

import functools
import inspect
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.special import expit, softmax
from sklearn import linear_model as sk
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from conftest import rel_err
from ridgeline import GridEdgeWarning, LogisticRegression, LogisticRegressionCV, PoissonRegressor

pytestmark = pytest.mark.filterwarnings("ignore::ridgeline.selection.result.GridEdgeWarning")

CS = np.logspace(-3, 3, 8)
# for held-out log loss against scikit-learn: its log_loss clips probabilities at machine eps,
# so a held-out point misclassified with |η| > 36 (C ≥ 1e3 on nearly separable folds) scores
# differently from the exact loss computed here; stop the grid short of that regime
CS_SK = np.logspace(-3, 2, 8)


# ---------------------------------------------------------------------------------------------
# data and references
# ---------------------------------------------------------------------------------------------


@functools.cache
def _data(name: str):
    """Small classification sets: shipped ones, a binary iris subset, synthetic 2- and 4-class."""
    if name == "iris":
        return load_iris(return_X_y=True)
    if name == "iris_binary":
        X, y = load_iris(return_X_y=True)
        return X[50:], y[50:]
    if name == "wine":
        return load_wine(return_X_y=True)
    if name == "breast_cancer":
        X, y = load_breast_cancer(return_X_y=True)
        return StandardScaler().fit_transform(X), y
    if name == "synthetic4":
        return make_classification(120, 6, n_informative=4, n_classes=4, random_state=0)
    if name == "synthetic2":
        return make_classification(90, 5, n_informative=3, n_redundant=0, flip_y=0.1,
                                   random_state=1)
    raise AssertionError(name)


def _weights(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.3, 3.0, n)


def _sk_logistic(**kw):
    """scikit-learn's LogisticRegression solved to (near) machine precision."""
    kw = {"tol": 1e-12, "max_iter": 1000, "solver": "newton-cholesky", **kw}
    return sk.LogisticRegression(**kw)


def _centered(v):
    """Multinomial intercepts / decision values are defined up to a shift common to all classes."""
    v = np.asarray(v, dtype=np.float64)
    if v.ndim == 1 and v.size > 1:
        return v - v.mean()
    if v.ndim == 2 and v.shape[1] > 1:
        return v - v.mean(axis=1, keepdims=True)
    return v


def _assert_same_logistic(ours, theirs, X, rtol=1e-6):
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.coef_.shape == theirs.coef_.shape
    assert ours.intercept_.shape == theirs.intercept_.shape
    assert rel_err(ours.coef_, theirs.coef_) <= rtol
    multi = theirs.classes_.size > 2
    bo = _centered(ours.intercept_) if multi else ours.intercept_
    bt = _centered(theirs.intercept_) if multi else theirs.intercept_
    # an intercept near zero is compared on the scale of the whole parameter vector
    scale = max(np.max(np.abs(bt)), np.max(np.abs(theirs.coef_)))
    assert np.max(np.abs(bo - bt)) <= rtol * scale
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.predict_log_proba(X), theirs.predict_log_proba(X),
                               rtol=1e-5, atol=1e-6)
    d_o, d_t = ours.decision_function(X), theirs.decision_function(X)
    assert d_o.shape == d_t.shape
    if multi:
        d_o, d_t = _centered(d_o), _centered(d_t)
    np.testing.assert_allclose(d_o, d_t, rtol=1e-6, atol=1e-6 * np.abs(d_t).max())
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def _gradient(est, X, y, s=None):
    """The objective's gradient at the fitted (coef_, intercept_), from the formulas."""
    X = np.asarray(X, dtype=np.float64)
    s = np.ones(X.shape[0]) if s is None else np.asarray(s, dtype=np.float64)
    om = s / s.sum()
    W = np.asarray(est.coef_, dtype=np.float64).T  # (p, m)
    eta = X @ W + est.intercept_
    if est.classes_.size == 2:
        r = expit(eta[:, 0]) - (y == est.classes_[1])
        r = r[:, None]
    else:
        r = softmax(eta, axis=1) - (y[:, None] == est.classes_[None, :])
    r = r * om[:, None]
    gW = X.T @ r + 2.0 * est.lambda_ * W
    gb = r.sum(axis=0) if est.fit_intercept else np.zeros(r.shape[1])
    return np.concatenate([gW.ravel(), gb])


def _separable(seed=3, n=40):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, (X[:, 0] + 0.3 * X[:, 1] > 0).astype(int)


def _counts(seed=5, n=70, p=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, p)
    y = rng.poisson(np.exp(0.3 * X @ rng.normal(size=p) + 0.4)).astype(float)
    return X, y


def _sparse_design(seed=7, n=80, p=6):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * (rng.uniform(size=(n, p)) < 0.5)
    eta = X @ rng.normal(size=p) + rng.normal(size=n)
    return X, (eta > 0).astype(int), np.digitize(eta, [-1.0, 1.0])


# ---------------------------------------------------------------------------------------------
# 1. LogisticRegression and PoissonRegressor agree with scikit-learn
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["iris", "wine", "synthetic4", "iris_binary", "breast_cancer"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_logistic_matches_sklearn(name, fit_intercept, weighted):
    X, y = _data(name)
    s = _weights(len(y)) if weighted else None
    ours = LogisticRegression(fit_intercept=fit_intercept).fit(X, y, sample_weight=s)
    theirs = _sk_logistic(fit_intercept=fit_intercept).fit(X, y, sample_weight=s)
    _assert_same_logistic(ours, theirs, X)
    assert ours.n_iter_.shape == theirs.n_iter_.shape == (1,)
    n_w = len(y) if s is None else s.sum()
    assert ours.lambda_ == pytest.approx(1.0 / (2.0 * n_w), rel=1e-14)


@pytest.mark.parametrize("C", [1e-3, 0.05, 20.0])
@pytest.mark.parametrize("name", ["iris", "synthetic2"])
def test_logistic_matches_sklearn_across_C(C, name):
    X, y = _data(name)
    ours = LogisticRegression(C=C).fit(X, y)
    theirs = _sk_logistic(C=C).fit(X, y)
    _assert_same_logistic(ours, theirs, X)


@pytest.mark.parametrize("class_weight", ["balanced", "dict"])
@pytest.mark.parametrize("labels", ["int", "str"])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_logistic_class_weight_and_labels_match_sklearn(class_weight, labels, n_classes,
                                                        weighted):
    """class_weight multiplies sample_weight; "balanced" uses the sample-weighted class counts
    (scikit-learn ≥ 1.6: ``compute_class_weight(..., sample_weight=sample_weight)``)."""
    X, y = _data("iris")
    keep = np.r_[0:50, 50:80, 100:120] if n_classes == 3 else np.r_[50:100, 100:115]
    X, y = X[keep], y[keep]  # unbalanced classes
    names = np.array(["setosa", "versicolor", "virginica"])
    y = names[y] if labels == "str" else y
    if class_weight == "dict":
        cls = np.unique(y)
        class_weight = {c: w for c, w in zip(cls, [3.0, 1.0, 0.5], strict=False)}
    s = _weights(len(y), seed=1) if weighted else None
    ours = LogisticRegression(class_weight=class_weight).fit(X, y, sample_weight=s)
    theirs = _sk_logistic(class_weight=class_weight).fit(X, y, sample_weight=s)
    _assert_same_logistic(ours, theirs, X)
    assert ours.predict(X).dtype == y.dtype


def test_string_and_integer_labels_give_the_same_model():
    X, y = _data("iris")
    names = np.array(["setosa", "versicolor", "virginica"])
    a = LogisticRegression().fit(X, y)
    b = LogisticRegression().fit(X, names[y])
    np.testing.assert_array_equal(b.classes_, names)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(names[a.predict(X)], b.predict(X))


@pytest.mark.parametrize("name", ["synthetic2", "iris"])
def test_logistic_C_inf_matches_sklearn(name):
    """No penalty on a non-separable problem: the unpenalized maximum-likelihood fit."""
    X, y = _data(name)
    if name == "iris":  # petal features separate setosa: keep the two overlapping classes
        X, y = X[50:, :2], y[50:]
    ours = LogisticRegression(C=np.inf).fit(X, y)
    theirs = _sk_logistic(C=np.inf).fit(X, y)
    assert ours.lambda_ == 0.0
    _assert_same_logistic(ours, theirs, X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        alias = LogisticRegression(penalty=None).fit(X, y)
    np.testing.assert_array_equal(alias.coef_, ours.coef_)


@pytest.mark.parametrize("alpha", [0.01, 1.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_poisson_matches_sklearn(alpha, fit_intercept, weighted):
    X, y = _counts()
    s = _weights(len(y), seed=2) if weighted else None
    ours = PoissonRegressor(alpha=alpha, fit_intercept=fit_intercept).fit(X, y, sample_weight=s)
    theirs = sk.PoissonRegressor(alpha=alpha, fit_intercept=fit_intercept, tol=1e-12,
                                 max_iter=1000, solver="newton-cholesky").fit(X, y, sample_weight=s)
    assert ours.coef_.shape == theirs.coef_.shape
    assert rel_err(ours.coef_, theirs.coef_) <= 1e-6
    assert ours.intercept_ == pytest.approx(theirs.intercept_, rel=1e-6, abs=1e-9)
    assert ours.lambda_ == alpha
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-6)
    for w in (None, s):
        assert ours.score(X, y, sample_weight=w) == pytest.approx(
            theirs.score(X, y, sample_weight=w), rel=1e-8, abs=1e-9)


# ---------------------------------------------------------------------------------------------
# 2. LogisticRegressionCV
# ---------------------------------------------------------------------------------------------


def _sk_logistic_cv(**kw):
    """scikit-learn's LogisticRegressionCV, every fold solved to a tight tolerance."""
    kw = {"tol": 1e-10, "max_iter": 10000, "l1_ratios": (0,), "use_legacy_attributes": False,
          "solver": "newton-cholesky", **kw}
    return sk.LogisticRegressionCV(**kw)


def _folds(seed=0, k=4):
    return StratifiedKFold(k, shuffle=True, random_state=seed)


@pytest.mark.parametrize("name", ["breast_cancer", "iris", "synthetic2"])
@pytest.mark.parametrize("scoring", ["neg_log_loss", "accuracy", "default"])
@pytest.mark.parametrize("refit", [True, False])
def test_logistic_cv_matches_sklearn(name, scoring, refit):
    """Same C_, held-out scores, fold paths and final coefficients as scikit-learn.

    scikit-learn fits every training fold with the same ``C`` (its objective sums the loss over
    the fold), so a fold of ``n_k`` samples has ``λ = 1/(2 C n_k)``.
    """
    X, y = _data(name)
    cv = _folds()
    kw = {} if scoring == "default" else {"scoring": scoring}
    ours = LogisticRegressionCV(Cs=CS_SK, cv=cv, refit=refit, tol=1e-10, **kw).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = _sk_logistic_cv(Cs=CS_SK, cv=cv, refit=refit,  # our default: the log loss
                                 scoring="neg_log_loss" if scoring == "default" else scoring
                                 ).fit(X, y)
    assert ours.scores_.shape == theirs.scores_.shape == (4, 1, CS_SK.size)
    np.testing.assert_allclose(ours.scores_, theirs.scores_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.C_, theirs.C_, rtol=1e-12)
    assert ours.coefs_paths_.shape == theirs.coefs_paths_.shape
    assert rel_err(ours.coefs_paths_, theirs.coefs_paths_) <= 1e-6
    _assert_same_logistic(ours, theirs, X)


@pytest.mark.parametrize("name", ["breast_cancer", "iris"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_logistic_cv_attribute_shapes(name, fit_intercept):
    X, y = _data(name)
    K = np.unique(y).size
    m = 1 if K == 2 else K
    p = X.shape[1]
    ours = LogisticRegressionCV(Cs=CS, cv=_folds(k=3), fit_intercept=fit_intercept).fit(X, y)
    assert isinstance(ours.C_, float) and ours.C_ in CS
    assert ours.l1_ratio_ == 0.0
    np.testing.assert_array_equal(ours.Cs_, CS)
    np.testing.assert_array_equal(ours.l1_ratios_, [0.0])
    assert ours.scores_.shape == (3, 1, CS.size)
    assert ours.n_iter_.shape == (3, 1, CS.size)
    assert ours.coefs_paths_.shape == (3, 1, CS.size, m, p + int(fit_intercept))
    assert ours.coef_.shape == (m, p)
    assert ours.intercept_.shape == (m,)
    if not fit_intercept:
        assert np.all(ours.intercept_ == 0)
    # the K-fold curve behind C_
    res = ours.cv_result_
    assert res.method == "kfold"
    np.testing.assert_allclose(res.mean_score, ours.scores_[:, 0].mean(axis=0), rtol=1e-12)
    np.testing.assert_equal(ours.C_, CS[int(np.argmax(ours.scores_[:, 0].mean(axis=0)))])


def test_logistic_cv_int_Cs_is_sklearns_grid():
    X, y = _data("synthetic2")
    ours = LogisticRegressionCV(Cs=6, cv=3).fit(X, y)
    np.testing.assert_allclose(ours.Cs_, np.logspace(-4, 4, 6), rtol=1e-15)


def test_logistic_cv_auto_grid():
    X, y = _data("breast_cancer")
    ours = LogisticRegressionCV(Cs="auto", cv=3, scoring="neg_log_loss").fit(X, y)
    assert ours.Cs_.size == 20 and np.all(ours.Cs_ > 0) and ours.C_ in ours.Cs_
    with pytest.raises(ValueError, match="Cs"):
        LogisticRegressionCV(Cs="many").fit(X, y)


@pytest.mark.parametrize("name", ["iris", "synthetic2"])
def test_logistic_cv_refit_false_averages_fold_solutions(name):
    """refit=False: the mean of each fold's coefficients at that fold's best C (scikit-learn)."""
    X, y = _data(name)
    ours = LogisticRegressionCV(Cs=CS, cv=_folds(k=3), refit=False,
                                scoring="neg_log_loss").fit(X, y)
    best = np.argmax(ours.scores_[:, 0], axis=1)
    paths = ours.coefs_paths_[:, 0]  # (F, L, m, p + 1)
    w = np.mean([paths[k, best[k]] for k in range(3)], axis=0)
    np.testing.assert_allclose(ours.coef_, w[:, :-1], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.intercept_, w[:, -1], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.C_, np.mean(CS[best]), rtol=1e-14)
    assert ours.lambda_ == pytest.approx(1.0 / (2.0 * ours.C_ * len(y)), rel=1e-12)


@pytest.mark.parametrize("l1_ratios", ["warn", (0,)])
@pytest.mark.parametrize("name", ["iris", "iris_binary"])
def test_logistic_cv_legacy_attributes_match_sklearn_layout(l1_ratios, name):
    X, y = _data(name)
    kw = {"Cs": CS[:5], "cv": StratifiedKFold(3), "use_legacy_attributes": True,
          "l1_ratios": l1_ratios}
    ours = LogisticRegressionCV(**kw).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        theirs = _sk_logistic_cv(**kw).fit(X, y)
    for attr in ("scores_", "coefs_paths_"):
        a, b = getattr(ours, attr), getattr(theirs, attr)
        assert isinstance(a, dict)
        assert list(a) == list(b)
        assert {k: v.shape for k, v in a.items()} == {k: v.shape for k, v in b.items()}
    for attr in ("C_", "l1_ratio_", "n_iter_"):
        assert np.shape(getattr(ours, attr)) == np.shape(getattr(theirs, attr)), attr
    np.testing.assert_array_equal(ours.C_, ours.C_[0])


def test_logistic_cv_legacy_attributes_hold_the_same_numbers():
    X, y = _data("iris")
    new = LogisticRegressionCV(Cs=CS, cv=_folds(k=3)).fit(X, y)
    old = LogisticRegressionCV(Cs=CS, cv=_folds(k=3), use_legacy_attributes=True).fit(X, y)
    for i, c in enumerate(new.classes_):
        np.testing.assert_array_equal(old.scores_[c], new.scores_[:, 0])
        np.testing.assert_array_equal(old.coefs_paths_[c], new.coefs_paths_[:, 0, :, i])
    np.testing.assert_array_equal(old.C_, np.full(3, new.C_))
    np.testing.assert_array_equal(old.coef_, new.coef_)


@pytest.mark.parametrize("name", ["breast_cancer", "iris"])
@pytest.mark.parametrize("scoring", ["neg_log_loss", "accuracy"])
def test_logistic_cv_alo(name, scoring):
    """ALO: one full-data fit per C, no folds; coef_ is LogisticRegression(C=C_) on all data."""
    X, y = _data(name)
    Cs = np.logspace(-3, 3, 13)
    s = _weights(len(y), seed=3)
    ours = LogisticRegressionCV(Cs=Cs, method="alo", scoring=scoring, tol=1e-10).fit(
        X, y, sample_weight=s)
    assert ours.cv_result_.method == "alo"
    assert ours.C_ in Cs[1:-1]  # an interior choice on these data
    assert ours.scores_.shape == (1, 1, Cs.size)
    assert ours.lambda_ == pytest.approx(1.0 / (2.0 * ours.C_ * s.sum()), rel=1e-12)
    ref = LogisticRegression(C=ours.C_, tol=1e-10).fit(X, y, sample_weight=s)
    assert rel_err(ours.coef_, ref.coef_) <= 1e-6
    assert rel_err(_centered(ours.intercept_), _centered(ref.intercept_)) <= 1e-6
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-7)


@pytest.mark.parametrize("method", ["kfold", "alo"])
@pytest.mark.parametrize("name", ["breast_cancer", "iris"])
def test_logistic_cv_one_standard_error_rule(method, name):
    X, y = _data(name)
    Cs = np.logspace(-3, 3, 13)
    kw = {"Cs": Cs, "cv": _folds(), "method": method, "scoring": "accuracy"}
    best = LogisticRegressionCV(**kw).fit(X, y)
    one_se = LogisticRegressionCV(rule="1se", **kw).fit(X, y)
    assert one_se.C_ <= best.C_
    res = one_se.cv_result_
    i_min, i_1se = res.index_min, res.index_1se
    np.testing.assert_equal(one_se.C_, Cs[i_1se])
    # within one standard error of the best mean score, and the largest λ that is
    assert res.mean_score[i_1se] >= res.mean_score[i_min] - res.se[i_min]
    ok = res.mean_score >= res.mean_score[i_min] - res.se[i_min]
    assert Cs[i_1se] == Cs[ok].min()
    ref = LogisticRegression(C=one_se.C_, tol=1e-10).fit(X, y)
    assert rel_err(one_se.coef_, ref.coef_) <= 1e-6


@pytest.mark.parametrize("weighted", [False, True])
def test_logistic_cv_lambda_is_canonical(weighted):
    X, y = _data("synthetic2")
    s = _weights(len(y), seed=4) if weighted else None
    ours = LogisticRegressionCV(Cs=CS, cv=3).fit(X, y, sample_weight=s)
    n_w = len(y) if s is None else s.sum()
    assert ours.lambda_ == pytest.approx(1.0 / (2.0 * ours.C_ * n_w), rel=1e-12)
    ref = LogisticRegression(C=ours.C_, tol=1e-10).fit(X, y, sample_weight=s)
    assert rel_err(ours.coef_, ref.coef_) <= 1e-6


@pytest.mark.filterwarnings("default::ridgeline.selection.result.GridEdgeWarning")
@pytest.mark.parametrize("method", ["kfold", "alo"])
def test_logistic_cv_grid_edge_warning(method):
    X, y = _data("breast_cancer")
    # weak penalties win on these standardized, nearly separable data: the largest C
    with pytest.warns(GridEdgeWarning, match="grid"):
        est = LogisticRegressionCV(Cs=[1e-4, 1e-3, 1e-2], method=method, cv=3,
                                   scoring="neg_log_loss").fit(X, y)
    assert est.C_ == 1e-2
    with pytest.warns(GridEdgeWarning, match="grid"):
        est = LogisticRegressionCV(Cs=[1e3, 1e4, 1e5], method=method, cv=3,
                                   scoring="neg_log_loss").fit(X, y)
    assert est.C_ == 1e3
    with warnings.catch_warnings():
        warnings.simplefilter("error", GridEdgeWarning)
        est = LogisticRegressionCV(Cs=np.logspace(-3, 3, 13), method=method, cv=3,
                                   scoring="neg_log_loss").fit(X, y)
    assert 1e-3 < est.C_ < 1e3


def _caught(fn, category):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        fn()
    return [w for w in rec if issubclass(w.category, category)]


def test_logistic_cv_grid_edge_warning_advice_fits_the_estimator():
    """The advice must be something LogisticRegressionCV accepts (it has no extend_grid)."""
    X, y = _data("breast_cancer")
    (w,) = _caught(lambda: LogisticRegressionCV(Cs=[1e-4, 1e-3], cv=3).fit(X, y),
                   GridEdgeWarning)
    msg = str(w.message)
    for word in re.findall(r"(\w+)=", msg):
        assert word in LogisticRegressionCV().get_params(), (word, msg)


# ---------------------------------------------------------------------------------------------
# 3. Bad input
# ---------------------------------------------------------------------------------------------


def _tiny():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(24, 3))
    return X, (X[:, 0] + rng.normal(size=24) > 0).astype(int)


def _with(X, i, j, v):
    X = X.copy()
    X[i, j] = v
    return X


_X, _Y = _tiny()
_NAN_Y = np.where(np.arange(24) == 3, np.nan, _Y.astype(float))
_NEG_W = np.where(np.arange(24) == 4, -1.0, 1.0)
_LR, _CV = LogisticRegression, LogisticRegressionCV

BAD_FITS = [
    ("one_class", _LR(), _X, np.zeros(24), None, ValueError, "one class"),
    ("one_class_str", _LR(), _X, np.array(["a"] * 24), None, ValueError, "one class"),
    ("one_class_cv", _CV(), _X, np.ones(24), None, ValueError, "one class"),
    ("nan_label", _LR(), _X, _NAN_Y, None, ValueError, "NaN"),
    ("nan_label_cv", _CV(), _X, _NAN_Y, None, ValueError, "NaN"),
    ("continuous_y", _LR(), _X, np.linspace(0, 1, 24), None, ValueError, "continuous"),
    ("nan_X", _LR(), _with(_X, 2, 1, np.nan), _Y, None, ValueError, "NaN"),
    ("inf_X", _LR(), _with(_X, 2, 1, np.inf), _Y, None, ValueError, "infinity"),
    ("nan_X_cv", _CV(), _with(_X, 2, 1, np.nan), _Y, None, ValueError, "NaN"),
    ("inf_X_cv", _CV(), _with(_X, 2, 1, -np.inf), _Y, None, ValueError, "infinity"),
    ("nan_X_poisson", PoissonRegressor(), _with(_X, 0, 0, np.nan), _Y, None, ValueError, "NaN"),
    ("inf_X_poisson", PoissonRegressor(), _with(_X, 0, 0, np.inf), _Y, None, ValueError,
     "infinity"),
    ("negative_weight", _LR(), _X, _Y, _NEG_W, ValueError, "[Nn]egative.*sample_weight"),
    ("negative_weight_cv", _CV(), _X, _Y, _NEG_W, ValueError, "[Nn]egative.*sample_weight"),
    ("negative_weight_poisson", PoissonRegressor(), _X, _Y, _NEG_W, ValueError,
     "[Nn]egative.*sample_weight"),
    ("nan_weight", _LR(), _X, _Y, np.where(np.arange(24) == 4, np.nan, 1.0), ValueError,
     "sample_weight contains NaN"),
    ("zero_weights", _LR(), _X, _Y, np.zeros(24), ValueError, "[Ss]ample.weight"),
    ("C_negative", _LR(C=-1.0), _X, _Y, None, ValueError, "C must be positive"),
    ("C_zero", _LR(C=0.0), _X, _Y, None, ValueError, "C must be positive"),
    ("C_nan", _LR(C=np.nan), _X, _Y, None, ValueError, "C must be positive"),
    ("C_string", _LR(C="1"), _X, _Y, None, TypeError, "C must be a positive number"),
    ("Cs_negative", _CV(Cs=[1.0, -1.0]), _X, _Y, None, ValueError, "C in Cs must be positive"),
    ("Cs_zero", _CV(Cs=[0.0, 1.0]), _X, _Y, None, ValueError, "C in Cs must be positive"),
    ("Cs_nan", _CV(Cs=[1.0, np.nan]), _X, _Y, None, ValueError, "C in Cs must be positive"),
    ("Cs_empty", _CV(Cs=[]), _X, _Y, None, ValueError, "Cs is empty"),
    ("Cs_int_zero", _CV(Cs=0), _X, _Y, None, ValueError, "Cs must be a positive int"),
    ("poisson_negative_y", PoissonRegressor(), _X, _Y - 0.5, None, ValueError,
     "non-negative"),
    ("poisson_all_zero", PoissonRegressor(), _X, np.zeros(24), None, ValueError, "all zero"),
    ("poisson_alpha_negative", PoissonRegressor(alpha=-1.0), _X, _Y, None, ValueError,
     "alpha must be non-negative"),
    ("poisson_alpha_nan", PoissonRegressor(alpha=np.nan), _X, _Y, None, ValueError,
     "alpha must be finite"),
    ("l1_ratios_alo", _CV(l1_ratios=(0.5,), method="alo"), _X, _Y, None, ValueError,
     "method='kfold'"),
    ("l1_ratio_out_of_range", _LR(l1_ratio=2.0), _X, _Y, None, ValueError, r"\[0, 1\]"),
    ("l1_ratios_out_of_range", _CV(l1_ratios=[0.5, 1.5]), _X, _Y, None, ValueError,
     r"\[0, 1\]"),
    ("penalty", _LR(penalty="l3"), _X, _Y, None, ValueError, "penalty must be one of"),
    ("dual", _LR(dual=True), _X, _Y, None, ValueError, "dual=True"),
    ("dual_cv", _CV(dual=True), _X, _Y, None, ValueError, "dual=True"),
    ("solver", _LR(solver="cd"), _X, _Y, None, ValueError, "unknown solver 'cd'"),
    ("solver_cv", _CV(solver="cd"), _X, _Y, None, ValueError, "unknown solver 'cd'"),
    ("solver_poisson", PoissonRegressor(solver="cd"), _X, _Y, None, ValueError,
     "unknown solver 'cd'"),
    ("method", _CV(method="loo"), _X, _Y, None, ValueError,
     "method must be 'kfold', 'alo' or 'evidence'"),
    ("alo_needs_newton", _CV(method="alo", solver="lbfgs"), _X, _Y, None, ValueError,
     "method='alo' needs the Newton solver"),
    ("rule", _CV(rule="max"), _X, _Y, None, ValueError, "rule must be 'min' or '1se'"),
    ("scoring", _CV(scoring="nope"), _X, _Y, None, ValueError, "unknown scoring 'nope'"),
    ("tol", _LR(tol=0.0), _X, _Y, None, ValueError, "tol must be a positive"),
    ("max_iter", _LR(max_iter=-1), _X, _Y, None, ValueError,
     "max_iter must be a non-negative"),
    ("max_iter_poisson", PoissonRegressor(max_iter=0), _X, _Y, None, ValueError,
     "max_iter must be a positive"),
    ("y_length", _LR(), _X, _Y[:10], None, ValueError, "inconsistent numbers of samples"),
    ("class_weight_unknown", _LR(class_weight={7: 2.0}), _X, _Y, None, ValueError,
     "class_weight"),
]


@pytest.mark.parametrize(("est", "X", "y", "s", "exc", "match"),
                         [case[1:] for case in BAD_FITS], ids=[case[0] for case in BAD_FITS])
def test_bad_input_is_rejected_with_a_clear_message(est, X, y, s, exc, match):
    with pytest.raises(exc, match=match):
        est.fit(X, y, sample_weight=s)


@pytest.mark.parametrize(("Est", "method"), [
    (Est, method)
    for Est in (LogisticRegression, LogisticRegressionCV, PoissonRegressor)
    for method in ("predict", "decision_function", "predict_proba", "predict_log_proba", "score")
    if hasattr(Est, method)
])
def test_wrong_width_at_predict_time(Est, method):
    est = Est(**({"Cs": 3, "cv": 3} if Est is LogisticRegressionCV else {})).fit(_X, _Y)
    args = (_X[:, :2], _Y) if method == "score" else (_X[:, :2],)
    with pytest.raises(ValueError, match=r"X has 2 features, but .* is expecting 3 features"):
        getattr(est, method)(*args)
    with pytest.raises(ValueError, match="NaN"):
        getattr(est, method)(_with(_X, 0, 0, np.nan), *args[1:])


# ---------------------------------------------------------------------------------------------
# 4. No ConvergenceWarning at default settings on scikit-learn's shipped data sets
# ---------------------------------------------------------------------------------------------

LOADERS = {"breast_cancer": load_breast_cancer, "digits": load_digits, "iris": load_iris,
           "wine": load_wine}


def _fit_strict(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("ignore", GridEdgeWarning)
        return est.fit(X, y)


@pytest.mark.parametrize("name", list(LOADERS))
def test_logistic_default_converges_on_shipped_data(name):
    X, y = LOADERS[name](return_X_y=True)
    est = _fit_strict(LogisticRegression(), X, y)
    assert est.grad_norm_ <= est.tol
    assert np.all(np.abs(_gradient(est, X, y)) <= 1.01 * est.tol)


@pytest.mark.parametrize("name", [
    "breast_cancer", "iris", "wine",
    pytest.param("digits", marks=pytest.mark.slow),  # 1797 × 64, 10 classes: the slow one
])
def test_logistic_cv_default_converges_on_shipped_data(name):
    X, y = LOADERS[name](return_X_y=True)
    est = _fit_strict(LogisticRegressionCV(), X, y)
    assert est.C_ in est.Cs_


# ---------------------------------------------------------------------------------------------
# 5. Convergence warnings, separable data and the KKT certificate
# ---------------------------------------------------------------------------------------------


def _gradient_in_message(w) -> float:
    m = re.search(r"gradient[^0-9]*([0-9.]+e[-+][0-9]+)", str(w.message))
    assert m, str(w.message)
    return float(m.group(1))


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "trust-ncg"])
@pytest.mark.parametrize("name", ["synthetic2", "iris"])
def test_max_iter_too_small_warns_with_the_gradient_norm(solver, name):
    X, y = _data(name)
    with pytest.warns(ConvergenceWarning, match="did not converge") as rec:
        est = LogisticRegression(max_iter=1, solver=solver).fit(X, y)
    (w,) = [w for w in rec if issubclass(w.category, ConvergenceWarning)]
    assert w.filename == __file__
    assert est.grad_norm_ > est.tol
    assert _gradient_in_message(w) == pytest.approx(est.grad_norm_, rel=5e-3)
    assert np.max(np.abs(_gradient(est, X, y))) == pytest.approx(est.grad_norm_, rel=1e-6)
    assert est.n_iter_[0] == 1


def test_max_iter_too_small_warns_cv_and_poisson():
    X, y = _data("iris")
    with pytest.warns(ConvergenceWarning, match="gradient") as rec:
        LogisticRegressionCV(Cs=CS, cv=3, max_iter=1, l1_ratios=(0,), scoring=None).fit(X, y)
    assert _gradient_in_message(rec[0]) > 1e-8
    Xc, yc = _counts()
    with pytest.warns(ConvergenceWarning, match="gradient") as rec:
        est = PoissonRegressor(alpha=0.01, max_iter=1).fit(Xc, yc)
    assert _gradient_in_message(rec[0]) == pytest.approx(est.grad_norm_, rel=5e-3)


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "trust-ncg"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_separable_without_penalty_warns_and_stops(solver, n_classes):
    X, y = _separable()
    if n_classes == 3:
        y = np.digitize(X[:, 0] + 0.3 * X[:, 1], [-0.5, 0.5])
    with pytest.warns(ConvergenceWarning, match="separable"):
        est = LogisticRegression(C=np.inf, solver=solver).fit(X, y)
    assert np.all(np.isfinite(est.coef_)) and np.all(np.isfinite(est.intercept_))
    assert est.n_iter_[0] <= est.max_iter
    np.testing.assert_array_equal(est.predict(X), y)


def _warning_case(case):
    if case == "not_converged":
        return LogisticRegression(max_iter=1), *_data("synthetic2"), ConvergenceWarning
    if case == "not_converged_poisson":
        return PoissonRegressor(alpha=0.01, max_iter=1), *_counts(), ConvergenceWarning
    if case == "not_converged_cv":
        return LogisticRegressionCV(Cs=CS, cv=3, max_iter=1), *_data("iris"), ConvergenceWarning
    if case == "separable":
        return LogisticRegression(C=np.inf), *_separable(), ConvergenceWarning
    method = case.removeprefix("grid_edge_")
    est = LogisticRegressionCV(Cs=[1e-4, 1e-3], method=method, cv=3)
    return est, *_data("breast_cancer"), GridEdgeWarning


@pytest.mark.parametrize("case", ["not_converged", "not_converged_poisson", "not_converged_cv",
                                  "separable", "grid_edge_kfold", "grid_edge_alo"])
def test_warnings_point_at_the_callers_line(case):
    """As for RidgeCV (tests/test_warnings.py): every warning names the user's call to fit."""
    est, X, y, category = _warning_case(case)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1
        est.fit(X, y)
    where = {(w.filename, w.lineno) for w in rec if issubclass(w.category, category)}
    assert where == {(__file__, line)}


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "trust-ncg"])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_separable_with_penalty_reaches_a_kkt_point(solver, n_classes, fit_intercept):
    X, y = _separable()
    if n_classes == 3:
        y = np.digitize(X[:, 0] + 0.3 * X[:, 1], [-0.5, 0.5])
    s = _weights(len(y), seed=6)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = LogisticRegression(C=1.0, solver=solver, fit_intercept=fit_intercept).fit(
            X, y, sample_weight=s)
    assert np.all(np.isfinite(est.coef_))
    assert est.grad_norm_ <= est.tol
    g = _gradient(est, X, y, s)
    assert np.max(np.abs(g)) <= est.tol * 1.01
    assert np.max(np.abs(g)) == pytest.approx(est.grad_norm_, rel=1e-3, abs=1e-12)


# ---------------------------------------------------------------------------------------------
# 6. Sparse, float32, pandas, warm starts, solver names
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [sp.csr_matrix, sp.csc_matrix], ids=["csr", "csc"])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("solver", ["auto", "lbfgs", "trust-ncg"])
def test_logistic_sparse_equals_dense(fmt, n_classes, solver):
    X, y2, y3 = _sparse_design()
    y = y2 if n_classes == 2 else y3
    a = LogisticRegression(solver=solver).fit(fmt(X), y)
    b = LogisticRegression(solver=solver).fit(X, y)
    assert rel_err(a.coef_, b.coef_) <= 1e-6
    assert rel_err(_centered(a.intercept_), _centered(b.intercept_)) <= 1e-6
    np.testing.assert_allclose(a.predict_proba(fmt(X)), b.predict_proba(X), atol=1e-8)


@pytest.mark.parametrize("fmt", [sp.csr_matrix, sp.csc_matrix], ids=["csr", "csc"])
@pytest.mark.parametrize("method", ["kfold", "alo"])
def test_logistic_cv_sparse_equals_dense(fmt, method):
    X, _, y = _sparse_design()
    # both solved to 1e-10: dense and sparse take different (float32 vs exact) curvatures, so
    # at the default 1e-8 their fold solutions agree only to the tolerance
    kw = {"Cs": CS, "cv": _folds(k=3), "method": method, "scoring": "neg_log_loss",
          "tol": 1e-10}
    a = LogisticRegressionCV(**kw).fit(fmt(X), y)
    b = LogisticRegressionCV(**kw).fit(X, y)
    assert a.C_ == b.C_
    np.testing.assert_allclose(a.scores_, b.scores_, rtol=1e-8, atol=1e-10)
    assert rel_err(a.coef_, b.coef_) <= 1e-6


@pytest.mark.parametrize("fmt", [sp.csr_matrix, sp.csc_matrix], ids=["csr", "csc"])
def test_poisson_sparse_equals_dense(fmt):
    X, _, _ = _sparse_design()
    y = np.random.default_rng(8).poisson(np.exp(0.3 * X.sum(axis=1))).astype(float)
    a = PoissonRegressor(alpha=0.05).fit(fmt(X), y)
    b = PoissonRegressor(alpha=0.05).fit(X, y)
    assert rel_err(a.coef_, b.coef_) <= 1e-6
    assert a.intercept_ == pytest.approx(b.intercept_, rel=1e-6)


@pytest.mark.parametrize("make", [
    lambda: (LogisticRegression(), "y2"),
    lambda: (LogisticRegression(), "y3"),
    lambda: (LogisticRegressionCV(Cs=4, cv=3), "y2"),
    lambda: (PoissonRegressor(alpha=0.1), "counts"),
], ids=["binary", "multinomial", "cv", "poisson"])
def test_float32_stays_float32(make):
    est, target = make()
    X, y2, y3 = _sparse_design()
    y = {"y2": y2, "y3": y3, "counts": np.abs(y3).astype(float)}[target]
    X32 = X.astype(np.float32)
    est.fit(X32, y)
    assert est.coef_.dtype == np.float32
    ref = type(est)(**est.get_params()).fit(X, y)
    assert rel_err(est.coef_, ref.coef_) <= 1e-4
    out = est.predict_proba(X32) if hasattr(est, "predict_proba") else est.predict(X32)
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize("Est", [LogisticRegression, LogisticRegressionCV, PoissonRegressor])
def test_dataframe_sets_feature_names(Est):
    X, y2, _ = _sparse_design()
    names = [f"f{i}" for i in range(X.shape[1])]
    est = Est().fit(pd.DataFrame(X, columns=names), y2)
    np.testing.assert_array_equal(est.feature_names_in_, names)
    assert est.n_features_in_ == X.shape[1]
    with pytest.warns(UserWarning, match="feature names"):
        from_array = est.predict(X)
    np.testing.assert_allclose(est.predict(pd.DataFrame(X, columns=names)), from_array,
                               rtol=1e-14)
    with pytest.raises(ValueError, match="feature names"):
        est.predict(pd.DataFrame(X, columns=names[::-1]))


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "trust-ncg"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_warm_start(solver, n_classes):
    X, y2, y3 = _sparse_design()
    y = y2 if n_classes == 2 else y3
    est = LogisticRegression(C=1.0, warm_start=True, solver=solver, tol=1e-10).fit(X, y)
    cold = LogisticRegression(C=1.1, solver=solver, tol=1e-10).fit(X, y)
    est.set_params(C=1.1).fit(X, y)
    assert est.n_iter_[0] < cold.n_iter_[0]
    assert rel_err(est.coef_, cold.coef_) <= 1e-6
    # without warm_start a refit starts cold
    again = LogisticRegression(C=1.0, solver=solver, tol=1e-10).fit(X, y)
    again.set_params(C=1.1).fit(X, y)
    assert again.n_iter_[0] == cold.n_iter_[0]


def test_warm_start_with_a_new_shape_starts_cold():
    X, y2, y3 = _sparse_design()
    est = LogisticRegression(warm_start=True).fit(X, y2)
    est.fit(X, y3)  # 3 classes now: the binary solution cannot seed it
    ref = LogisticRegression().fit(X, y3)
    np.testing.assert_array_equal(est.coef_, ref.coef_)
    est.fit(X[:, :4], y3)
    assert est.coef_.shape == (3, 4)


def test_poisson_warm_start():
    X, y = _counts()
    est = PoissonRegressor(alpha=0.1, warm_start=True, tol=1e-10).fit(X, y)
    cold = PoissonRegressor(alpha=0.11, tol=1e-10).fit(X, y)
    est.set_params(alpha=0.11).fit(X, y)
    assert est.n_iter_ < cold.n_iter_
    assert rel_err(est.coef_, cold.coef_) <= 1e-6


SOLVER_NAMES = ["auto", "newton", "lbfgs", "trust-ncg", "newton-cholesky", "newton-cg",
                "liblinear", "sag", "saga"]


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_solver_names_give_the_same_coefficients(n_classes, fit_intercept):
    X, y = _data("iris_binary" if n_classes == 2 else "iris")
    ref = LogisticRegression(solver="newton", fit_intercept=fit_intercept).fit(X, y)
    assert ref.solver_ == "newton"
    # "trust-ncg", "newton-cg" and scikit-learn's other names are aliases of "auto" (Newton
    # for this small Hessian), "newton-cholesky" of "newton": solver_ is the one that ran
    for solver in SOLVER_NAMES:
        est = LogisticRegression(solver=solver, fit_intercept=fit_intercept).fit(X, y)
        assert rel_err(est.coef_, ref.coef_) <= 1e-6, solver
        assert rel_err(_centered(est.intercept_), _centered(ref.intercept_)) <= 1e-6, solver
        assert est.solver_ == ("lbfgs" if solver == "lbfgs" else "newton"), solver


def test_poisson_solver_names_give_the_same_coefficients():
    X, y = _counts()
    ref = PoissonRegressor(alpha=0.05, solver="newton").fit(X, y)
    for solver in ["auto", "lbfgs", "trust-ncg", "newton-cholesky"]:
        est = PoissonRegressor(alpha=0.05, solver=solver).fit(X, y)
        assert rel_err(est.coef_, ref.coef_) <= 1e-6, solver
        assert est.intercept_ == pytest.approx(ref.intercept_, rel=1e-6), solver


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
def test_logistic_cv_solvers_agree(solver):
    X, y = _data("iris")
    X = StandardScaler().fit_transform(X)  # L-BFGS crawls on the raw, ill-conditioned features
    # C ≤ 100 and a tight tol: the weakly penalized iris folds are nearly separable and
    # ill-conditioned, so a gradient of 1e-8 still leaves ~1e-6 in the coefficients
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        a = LogisticRegressionCV(Cs=CS_SK, cv=_folds(k=3), solver=solver, max_iter=1000,
                                 tol=1e-10, scoring="neg_log_loss").fit(X, y)
    b = LogisticRegressionCV(Cs=CS_SK, cv=_folds(k=3), solver="newton", tol=1e-10,
                             scoring="neg_log_loss").fit(X, y)
    assert a.C_ == b.C_
    np.testing.assert_allclose(a.scores_, b.scores_, rtol=0, atol=1e-6)
    assert rel_err(a.coef_, b.coef_) <= 1e-6


# ---------------------------------------------------------------------------------------------
# 7. Public exports
# ---------------------------------------------------------------------------------------------


def test_public_exports():
    import ridgeline
    from ridgeline import LogisticRegression as A
    from ridgeline import LogisticRegressionCV as B
    from ridgeline import PoissonRegressor as C

    assert A is LogisticRegression and B is LogisticRegressionCV and C is PoissonRegressor
    for name in ("LogisticRegression", "LogisticRegressionCV", "PoissonRegressor"):
        assert name in ridgeline.__all__
