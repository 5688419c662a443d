"""Regression tests for the lasso / elastic-net / Poisson fixes of issue 17 (scikit-learn's own
test files run on ridgeline's classes): one test per fix, asserting numbers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sklearn
import sklearn.linear_model as sk
from sklearn.model_selection import GroupKFold

from ridgeline import ElasticNet, ElasticNetCV, GroupLassoCV, Lasso, LassoCV, PoissonRegressor

RESOLUTION = np.finfo(np.float64).resolution

#: these data choose the smallest alpha of a short grid; the edge warning is not under test
pytestmark = pytest.mark.filterwarnings("ignore::ridgeline.GridEdgeWarning")


def _data(n=50, p=200, informative=10, seed=0):
    """scikit-learn's ``build_dataset``: few samples, many noisy features."""
    rs = np.random.RandomState(seed)
    w = rs.randn(p)
    w[informative:] = 0.0
    X = rs.randn(n, p)
    return X, X @ w


# --- missing-validation ---------------------------------------------------------------------

@pytest.mark.parametrize("alphas, err, match", [
    ((1, -1, -100), ValueError, r"alphas\[1\] == -1, must be >= 0.0"),
    ((-0.1, -1.0), ValueError, r"alphas\[0\] == -0.1, must be >= 0.0"),
    ((1, 1.0, "1"), TypeError, r"alphas\[2\] must be an instance of float, not str"),
    ((1.0, np.nan), ValueError, r"alphas\[1\] == nan"),
    ([], ValueError, "alphas is empty"),
    (0.5, TypeError, "a count of alphas"),
    ("10", TypeError, "a count of alphas"),
])
def test_cv_alphas_checked_entry_by_entry(alphas, err, match):
    X, y = _data(20, 5)
    for Est in (LassoCV, ElasticNetCV, GroupLassoCV):
        with pytest.raises(err, match=match):
            Est(alphas=alphas).fit(X, y)


def test_nonfinite_fit_raises():
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = rng.randint(0, 2, size=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # refused before the solve, naming the columns (issue 18), where scikit-learn's
        # solver reports "non-finite parameter values" after it
        with pytest.raises(ValueError, match=r"column 0 holds 1\.7\d\de\+308 \(row index"):
            ElasticNet(alpha=0.1).fit(X, y)


def test_warm_start_from_nonfinite_coef_raises():
    X, y = _data(30, 5)
    est = Lasso(alpha=0.1, warm_start=True).fit(X, y)
    est.coef_[2] = np.nan
    with pytest.raises(ValueError, match="non-finite values"):
        est.fit(X, y)


def test_check_input_false_keeps_scikit_learns_layout_contract():
    X, y = _data(20, 10)
    XF = np.asfortranarray(X)
    ref = ElasticNet(alpha=0.05, tol=1e-6).fit(X, y)
    est = ElasticNet(alpha=0.05, tol=1e-6).fit(XF, y, check_input=False)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-12, atol=1e-14)  # layout rounding
    with pytest.raises(ValueError, match="Fortran-ordered"):
        ElasticNet(alpha=0.05).fit(np.ascontiguousarray(X), y, check_input=False)
    with pytest.raises(TypeError, match="float32 or float64"):
        ElasticNet(alpha=0.05).fit(np.asfortranarray(X.astype(np.int64)), y, check_input=False)
    # scikit-learn reorders X itself with sample_weight or a precomputed Gram: no refusal
    sw = np.full(20, 1.25)
    est = ElasticNet(alpha=0.05, tol=1e-6).fit(np.ascontiguousarray(X), y, sample_weight=sw,
                                               check_input=False)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(sw, 1.25)
    ElasticNet(alpha=0.05, precompute=True).fit(np.ascontiguousarray(X), y, check_input=False)


# --- missing-warning ------------------------------------------------------------------------

@pytest.mark.parametrize("Est", [Lasso, ElasticNet])
def test_alpha_zero_warns_and_is_least_squares(Est):
    X = np.array([[-1.0], [0.0], [1.0]])
    y = np.array([-1.0, 0.0, 1.0])
    with pytest.warns(UserWarning, match="With alpha=0.*LinearRegression"):
        est = Est(alpha=0).fit(X, y)
    assert est.coef_[0] == pytest.approx(1.0, abs=1e-14)
    assert est.intercept_ == pytest.approx(0.0, abs=1e-14)


# --- warm-start -----------------------------------------------------------------------------

@pytest.mark.parametrize("sparse_X", [False, True])
def test_warm_start_from_converged_fit_is_zero_iterations(sparse_X):
    import scipy.sparse as sp

    X, y = _data()
    X = sp.csr_array(X) if sparse_X else X
    est = ElasticNet(alpha=1e-3, tol=1e-3).fit(X, y)
    cold_iter, cold_coef = est.n_iter_, est.coef_.copy()
    assert cold_iter > 2
    assert est.fit(X, y).n_iter_ == cold_iter
    est.set_params(warm_start=True).fit(X, y)
    assert est.n_iter_ == 0
    np.testing.assert_allclose(est.coef_, cold_coef, rtol=0, atol=1e-12)


def test_warm_start_after_a_new_alpha_solves_to_the_cold_answer():
    X, y = _data(60, 20)
    est = Lasso(alpha=0.5, warm_start=True).fit(X, y)
    est.set_params(alpha=0.05).fit(X, y)
    cold = Lasso(alpha=0.05).fit(X, y)
    assert est.n_iter_ > 0
    np.testing.assert_allclose(est.coef_, cold.coef_, rtol=1e-9, atol=1e-10)


# --- shape-type -----------------------------------------------------------------------------

def test_given_alphas_stored_once_for_every_l1_ratio():
    X, y = _data(200, 100, informative=100)
    kw = dict(alphas=[0.01, 0.1, 0.05], l1_ratio=[0.5, 0.7], cv=3, max_iter=150)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = ElasticNetCV(**kw).fit(X, y)
        theirs = sk.ElasticNetCV(**kw).fit(X, y)
    np.testing.assert_array_equal(ours.alphas_, [0.1, 0.05, 0.01])
    assert ours.alphas_.shape == theirs.alphas_.shape == (3,)
    assert ours.mse_path_.shape == theirs.mse_path_.shape == (2, 3, 3)
    assert ours.alpha_ == 0.01 and ours.l1_ratio_ == 0.5


@pytest.mark.parametrize("kw", [
    dict(alphas=5, l1_ratio=[0.5, 0.7]),
    dict(alphas=5, l1_ratio=[0.5]),
    dict(alphas=[0.3], l1_ratio=0.5),
    dict(alphas=[0.3, 0.1], l1_ratio=[0.2, 0.9]),
])
def test_cv_attribute_shapes_are_scikit_learns(kw):
    X, y = _data(40, 6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = ElasticNetCV(cv=4, **kw).fit(X, y)
        theirs = sk.ElasticNetCV(cv=4, **kw).fit(X, y)
    assert ours.alphas_.shape == theirs.alphas_.shape
    assert ours.mse_path_.shape == theirs.mse_path_.shape


def test_float32_in_float32_out():
    X, y = _data(40, 6)
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for est in (Lasso(alpha=0.1), ElasticNet(alpha=0.1), LassoCV(cv=3),
                    ElasticNetCV(cv=3, l1_ratio=[0.5, 1.0])):
            assert est.fit(X32, y32).coef_.dtype == np.float32
        counts = np.random.RandomState(0).poisson(2.0, size=40).astype(np.float32)
        assert PoissonRegressor(alpha=0.1).fit(X32, counts).coef_.dtype == np.float32


# --- numerical ------------------------------------------------------------------------------

@pytest.mark.parametrize("Est", [LassoCV, ElasticNetCV, GroupLassoCV])
@pytest.mark.parametrize("value", [0.0, 5.0])
def test_constant_target_grid_is_the_resolution(Est, value):
    rng = np.random.RandomState(0)
    X, X_test = rng.random_sample((10, 3)), rng.random_sample((10, 3))
    y = np.full(10, value)
    est = Est(alphas=3).fit(X, y)
    np.testing.assert_array_equal(est.alphas_, [RESOLUTION] * 3)
    np.testing.assert_array_equal(est.predict(X_test), y)


def test_cv_refit_is_the_exact_optimum():
    """ridgeline polishes past tol: its LassoCV equals scikit-learn's solved to 1e-14, where
    scikit-learn's own LassoCV / MultiTaskLassoCV at tol=1e-4 are 1e-4 away."""
    rs = np.random.RandomState(0)
    w = rs.randn(10)
    X = rs.randn(50, 10)
    y = X @ w
    ours = LassoCV(alphas=5, eps=2e-3).fit(X, y)
    exact = sk.MultiTaskLassoCV(alphas=5, eps=2e-3, tol=1e-14, max_iter=100_000).fit(
        X, y[:, None])
    assert ours.alpha_ == pytest.approx(exact.alpha_, rel=1e-14)
    np.testing.assert_allclose(ours.coef_, exact.coef_[0], rtol=0, atol=1e-12)


# --- metadata routing (fit(**params) to the CV splitter) ------------------------------------

def _grouped():
    rs = np.random.RandomState(1)
    X = rs.randn(60, 8)
    y = X @ rs.randn(8) + 0.5 * rs.randn(60)
    return X, y, np.repeat(np.arange(6), 10)


@pytest.mark.parametrize("Est", [LassoCV, ElasticNetCV])
def test_params_without_routing_raise(Est):
    X, y, groups = _grouped()
    with pytest.raises(ValueError, match="only supported if enable_metadata_routing=True"):
        Est(cv=GroupKFold(3)).fit(X, y, groups=groups)


@pytest.mark.parametrize("Est", [LassoCV, ElasticNetCV])
def test_groups_routed_to_the_splitter(Est):
    X, y, groups = _grouped()
    splits = list(GroupKFold(3).split(X, y, groups))
    ref = Est(alphas=10, cv=splits).fit(X, y)
    with sklearn.config_context(enable_metadata_routing=True):
        est = Est(alphas=10, cv=GroupKFold(3)).fit(X, y, groups=groups)
        theirs = getattr(sk, Est.__name__)(alphas=10, cv=GroupKFold(3), tol=1e-12,
                                           max_iter=100_000).fit(X, y, groups=groups)
        with pytest.raises(TypeError, match="not routed"):
            Est(cv=GroupKFold(3)).fit(X, y, not_a_param=groups)
    assert est.alpha_ == ref.alpha_
    np.testing.assert_array_equal(est.mse_path_, ref.mse_path_)
    assert est.alpha_ == pytest.approx(theirs.alpha_, rel=1e-12)
    np.testing.assert_allclose(est.mse_path_, theirs.mse_path_, rtol=1e-6)
