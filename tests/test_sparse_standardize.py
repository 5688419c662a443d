"""``standardize=True`` of the sparse estimators and paths equals scaling X by hand.

The definition (glmnet's ``standardize=TRUE``): divide each column of X by its sample-weighted
standard deviation σ_j (about the weighted mean with an intercept, about zero without one; 1
for a constant column), fit, and divide the coefficients by σ. Every route the estimators take
(penalty factors for the lasso, a rescaled Gram for a single elastic net, a scaled copy of X
otherwise) is checked against that definition, dense and sparse, with and without sample
weights; and ``tol=0`` and ``eps ≥ 1`` are accepted as in scikit-learn.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold

import ridgeline as rl
from ridgeline.estimators._standardize import column_scale, scale_columns

pytestmark = pytest.mark.filterwarnings("ignore::ridgeline.selection.GridEdgeWarning")

TIGHT = {"tol": 1e-13, "max_iter": 100_000}
SCALES = np.array([1.0, 30.0, 0.02, 500.0, 1.0, 4.0, 0.3, 1e3])


def _data(n=70, seed=0, weighted=True, constant=True):
    """Columns on very different scales, one of them constant; half the entries zero."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, SCALES.size)) * (rng.uniform(size=(n, SCALES.size)) < 0.6)
    X = Z * SCALES + 0.5 * SCALES
    if constant:
        X[:, 4] = 2.5
    y = Z @ rng.normal(size=SCALES.size) + rng.normal(size=n)
    s = rng.uniform(0.2, 2.0, size=n) if weighted else np.ones(n)
    s[:3] = 0.0 if weighted else 1.0  # zero weights count for nothing, also in σ
    return X, y, s


def _sd(X, s, center=True):
    """The definition, dense and slow: weighted standard deviations, 1 for constants."""
    X = np.asarray(X.todense()) if sp.issparse(X) else np.asarray(X)
    m = s @ X / s.sum() if center else np.zeros(X.shape[1])
    sd = np.sqrt(s @ (X - m) ** 2 / s.sum())
    return np.where(sd > 1e-10 * np.sqrt(sd**2 + m**2), sd, 1.0)


def _fmt(X, fmt):
    return X if fmt == "dense" else getattr(sp, f"{fmt}_matrix")(X)


def _by_hand(make, X, y, s, fit_intercept=True):
    """Fit ``make()`` on X/σ, return (σ, the fit, its coefficients on the original scale)."""
    sd = _sd(X, s, fit_intercept)
    Xs = X.multiply(1.0 / sd).tocsr() if sp.issparse(X) else X / sd
    est = make().fit(Xs, y, sample_weight=s)
    return sd, est, np.asarray(est.coef_) / sd


def _same(std, ref_coef, ref_intercept, sd, atol=1e-8):
    """Compare on the standardized scale (coefficients × σ), where all are of one size."""
    np.testing.assert_allclose(np.asarray(std.coef_) * sd, np.asarray(ref_coef) * sd,
                               atol=atol, rtol=0)
    np.testing.assert_allclose(std.intercept_, ref_intercept, atol=atol * 100, rtol=1e-9)


# --------------------------------------------------------------------------------- σ itself
@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
def test_column_scale_is_the_weighted_standard_deviation(fmt, center):
    X, _, s = _data()
    X[:, 6] = 0.0  # an all-zero column: scale 1
    got = column_scale(_fmt(X, fmt), s, center)
    np.testing.assert_allclose(got, _sd(X, s, center), rtol=1e-12)
    assert got[4] == (1.0 if center else got[4]) and got[6] == 1.0
    if not center:
        assert got[4] == pytest.approx(2.5)  # a constant is no zero about zero


def test_scale_columns_keeps_dtype_format_and_pattern():
    X, _, s = _data()
    sd = _sd(X, s)
    for fmt in ("dense", "csr", "csc"):
        A = _fmt(X.astype(np.float32), fmt)
        B = scale_columns(A, sd)
        assert B.dtype == np.float32 and (not sp.issparse(A) or B.format == A.format)
        dense = B.toarray() if sp.issparse(B) else B
        np.testing.assert_allclose(dense, X / sd, rtol=1e-6)
        if sp.issparse(A):
            assert B.nnz == A.nnz


# --------------------------------------------------------------------------- single fits
ESTIMATORS = {
    "lasso": lambda **kw: rl.Lasso(alpha=0.05, **kw),
    "enet_gram": lambda **kw: rl.ElasticNet(alpha=0.05, l1_ratio=0.4, precompute=True, **kw),
    "enet_residual": lambda **kw: rl.ElasticNet(alpha=0.05, l1_ratio=0.4, precompute=False,
                                                **kw),
    "lasso_pf": lambda **kw: rl.Lasso(alpha=0.05, penalty_factor=[0, 1, 2, 1, 1, 0.5, 1, 3],
                                      **kw),
    "enet_pos": lambda **kw: rl.ElasticNet(alpha=0.02, l1_ratio=0.7, positive=True, **kw),
}


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_enet_standardize_equals_scaling_by_hand(name, fmt, weighted, fit_intercept):
    X, y, s = _data(weighted=weighted)
    make = ESTIMATORS[name]
    std = make(standardize=True, fit_intercept=fit_intercept, **TIGHT).fit(
        _fmt(X, fmt), y, sample_weight=s)
    sd, ref, coef = _by_hand(lambda: make(fit_intercept=fit_intercept, **TIGHT), _fmt(X, fmt),
                             y, s, fit_intercept)
    _same(std, coef, ref.intercept_, sd)
    assert std.lambda_ == ref.lambda_ and std.dual_gap_ == pytest.approx(ref.dual_gap_,
                                                                         abs=1e-10)
    assert 0 < np.count_nonzero(std.coef_) <= X.shape[1] - fit_intercept
    assert std.coef_[4] == 0.0 or not fit_intercept  # the constant column
    np.testing.assert_allclose(std.predict(_fmt(X, fmt)), ref.predict(X / sd), atol=1e-7)


def test_standardize_on_wide_data_and_several_targets():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 60)) * rng.uniform(0.01, 100, size=60)
    Y = np.column_stack([X[:, :3] @ [1 / X[:, 0].std(), 2 / X[:, 1].std(), -1 / X[:, 2].std()],
                         X[:, 5] / X[:, 5].std()]) + rng.normal(size=(30, 2))
    s = np.ones(30)
    for make in (lambda **kw: rl.Lasso(alpha=0.1, **kw),
                 lambda **kw: rl.ElasticNet(alpha=0.1, l1_ratio=0.5, **kw)):
        std = make(standardize=True, **TIGHT).fit(X, Y)
        sd, ref, coef = _by_hand(lambda make=make: make(**TIGHT), X, Y, s)
        assert std.coef_.shape == (2, 60)
        _same(std, coef, ref.intercept_, sd)


def test_scaling_a_column_scales_its_coefficient_only():
    """The point of standardizing: the fit no longer depends on the units of X."""
    X, y, s = _data()
    units = np.array([1e3, 1.0, 7.0, 1e-2, 1.0, 1.0, 0.5, 2.0])
    for est in (rl.Lasso(alpha=0.05), rl.ElasticNet(alpha=0.05, l1_ratio=0.3),
                rl.GroupLasso(alpha=0.05, groups=2)):
        a = est.set_params(standardize=True, **TIGHT).fit(X, y, sample_weight=s)
        coef = a.coef_.copy()
        b = est.fit(X * units, y, sample_weight=s)
        np.testing.assert_allclose(b.coef_ * units * _sd(X, s), coef * _sd(X, s), atol=1e-8)


def test_float32_warm_start_and_unchanged_input():
    X, y, s = _data()
    X32 = X.astype(np.float32)
    keep = X32.copy()
    est = rl.ElasticNet(alpha=0.05, l1_ratio=0.5, standardize=True, tol=1e-10).fit(X32, y)
    assert est.coef_.dtype == np.float32 and np.array_equal(X32, keep)
    ref = rl.ElasticNet(alpha=0.05, l1_ratio=0.5, standardize=True, **TIGHT).fit(X, y)
    np.testing.assert_allclose(est.coef_ * _sd(X, np.ones(70)), ref.coef_ * _sd(X, np.ones(70)),
                               atol=1e-4)
    Xs = sp.csc_matrix(X)
    for est in (rl.ElasticNet(alpha=0.05, l1_ratio=0.5, precompute=False),
                rl.GroupLasso(alpha=0.05, groups=2)):
        cold = est.set_params(standardize=True, **TIGHT).fit(Xs, y, sample_weight=s).coef_
        warm = est.set_params(alpha=0.04, warm_start=True).fit(Xs, y, sample_weight=s).coef_
        again = est.set_params(alpha=0.05).fit(Xs, y, sample_weight=s).coef_
        assert not np.allclose(warm, cold)
        np.testing.assert_allclose(again, cold, atol=1e-8)


def test_standardize_must_be_a_bool():
    X, y, _ = _data()
    for est in (rl.Lasso(standardize="yes"), rl.LassoCV(standardize=1),
                rl.GroupLasso(standardize=None)):
        with pytest.raises(TypeError, match="standardize must be True or False"):
            est.fit(X, y)


# ------------------------------------------------------------------------------ group lasso
@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("weighted", [True, False])
def test_group_lasso_standardize_equals_scaling_by_hand(fmt, weighted):
    X, y, s = _data(weighted=weighted)
    groups = [[0, 1, 2], [3, 4], [5, 6, 7]]
    std = rl.GroupLasso(alpha=0.1, groups=groups, standardize=True, **TIGHT).fit(
        _fmt(X, fmt), y, sample_weight=s)
    sd, ref, coef = _by_hand(lambda: rl.GroupLasso(alpha=0.1, groups=groups, **TIGHT),
                             _fmt(X, fmt), y, s)
    _same(std, coef, ref.intercept_, sd)
    np.testing.assert_allclose(std.group_norms_,
                               [np.linalg.norm(std.coef_[g]) for g in groups], rtol=1e-12)


# --------------------------------------------------------------------------------- CV fits
def _folds(n=70):
    return list(KFold(4, shuffle=True, random_state=2).split(np.zeros(n)))


@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("make", [
    lambda **kw: rl.LassoCV(alphas=25, **kw),
    lambda **kw: rl.ElasticNetCV(l1_ratio=[0.3, 1.0], alphas=15, **kw),
    lambda **kw: rl.ElasticNetCV(l1_ratio=0.5, alphas=[0.3, 0.1, 0.03, 0.01, 0.003], **kw),
    lambda **kw: rl.GroupLassoCV(groups=[[0, 1], [2, 3, 4], [5, 6, 7]], alphas=15, **kw),
], ids=["LassoCV", "ElasticNetCV-list", "ElasticNetCV-grid", "GroupLassoCV"])
def test_cv_standardize_equals_scaling_by_hand(make, fmt):
    X, y, s = _data()
    std = make(standardize=True, cv=_folds(), tol=1e-12, max_iter=100_000).fit(
        _fmt(X, fmt), y, sample_weight=s)
    sd, ref, coef = _by_hand(lambda: make(cv=_folds(), tol=1e-12, max_iter=100_000),
                             _fmt(X, fmt), y, s)
    np.testing.assert_allclose(std.alphas_, ref.alphas_, rtol=1e-12)
    assert std.alpha_ == pytest.approx(ref.alpha_, rel=1e-12)
    assert np.argmin(np.abs(std.alphas_ - std.alpha_)) == np.argmin(
        np.abs(ref.alphas_ - ref.alpha_))  # the same grid point
    np.testing.assert_allclose(std.mse_path_, ref.mse_path_, rtol=1e-7)
    _same(std, coef, ref.intercept_, sd)
    assert np.count_nonzero(std.coef_) > 0


def test_cv_standardize_changes_the_choice_on_badly_scaled_data():
    """Raw units punish the small-scale columns; standardized, every column is on equal
    terms and the held-out error is lower."""
    X, y, _ = _data(n=200, seed=5, weighted=False, constant=False)
    raw = rl.LassoCV(cv=_folds(200)).fit(X, y)
    std = rl.LassoCV(cv=_folds(200), standardize=True).fit(X, y)
    assert std.mse_path_.mean(axis=1).min() < 0.8 * raw.mse_path_.mean(axis=1).min()
    assert np.count_nonzero(std.coef_) > np.count_nonzero(raw.coef_)


# ----------------------------------------------------------------------------------- paths
@pytest.mark.parametrize("fmt", ["dense", "csc"])
@pytest.mark.parametrize("mix", [1.0, 0.6])
def test_enet_path_standardize_equals_scaling_by_hand(mix, fmt):
    X, y, s = _data()
    pf = np.linspace(0.5, 2.0, X.shape[1])
    kw = {"mix": mix, "sample_weight": s, "penalty_factor": pf, "tol": 1e-12,
          "max_iter": 100_000}
    std = rl.enet_path(_fmt(X, fmt), y, lambdas=12, standardize=True, **kw)
    sd = _sd(X, s)
    ref = rl.enet_path(_fmt(X / sd, fmt), y, lambdas=12, **kw)
    np.testing.assert_allclose(std.lambdas, ref.lambdas, rtol=1e-12)
    np.testing.assert_allclose(std.coefs * sd, ref.coefs, atol=1e-8)
    np.testing.assert_allclose(std.intercepts, ref.intercepts, atol=1e-7)
    np.testing.assert_allclose(std.objectives, ref.objectives, rtol=1e-9)


def test_group_lasso_path_standardize_equals_scaling_by_hand():
    X, y, s = _data()
    std = rl.group_lasso_path(X, y, 2, lambdas=8, sample_weight=s, standardize=True,
                              tol=1e-12, max_iter=100_000)
    sd = _sd(X, s)
    ref = rl.group_lasso_path(X / sd, y, 2, lambdas=8, sample_weight=s, tol=1e-12,
                              max_iter=100_000)
    np.testing.assert_allclose(std.coefs * sd, ref.coefs, atol=1e-8)
    np.testing.assert_allclose(std.intercepts, ref.intercepts, atol=1e-7)


# --------------------------------------------------------------- what scikit-learn accepts
@pytest.mark.parametrize("est", [
    rl.Lasso(alpha=0.05, tol=0, max_iter=300),
    rl.ElasticNet(alpha=0.05, tol=0, max_iter=300, precompute=False),
    rl.GroupLasso(alpha=0.05, groups=2, tol=0, max_iter=300, standardize=True),
    rl.LassoCV(tol=0, max_iter=30, alphas=5, cv=3),
    rl.ElasticNetCV(tol=0, max_iter=30, alphas=5, cv=3),
    rl.GroupLassoCV(groups=2, tol=0, max_iter=30, alphas=5, cv=3, standardize=True),
], ids=lambda e: type(e).__name__)
def test_tol_zero_is_accepted_and_terminates(est):
    """tol=0 asks for an exact zero gap: the solvers stop at max_iter (or a zero gap) and
    the answer is at least as good as at a tight tolerance. (The group lasso standardizes:
    its block steps crawl on raw columns of scales 0.02 and 500 in one group.)"""
    X, y, _ = _data(weighted=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert np.all(np.isfinite(est.coef_))
    assert est.n_iter_ <= est.max_iter and est.dual_gap_ >= -1e-9
    if not hasattr(est, "cv"):
        tight = est.__class__(**{**est.get_params(), "tol": 1e-12, "max_iter": 100_000})
        tight.fit(X, y)
        assert est.dual_gap_ <= max(tight.dual_gap_, 1e-10) or est.n_iter_ == est.max_iter


@pytest.mark.parametrize("eps", [1.0, 3.0])
@pytest.mark.parametrize("make", [
    lambda eps: rl.LassoCV(eps=eps, alphas=6, cv=3),
    lambda eps: rl.ElasticNetCV(eps=eps, l1_ratio=[0.5, 1.0], alphas=6, cv=3),
    lambda eps: rl.GroupLassoCV(groups=2, eps=eps, alphas=6, cv=3),
], ids=["LassoCV", "ElasticNetCV", "GroupLassoCV"])
def test_eps_at_least_one_gives_the_null_model(make, eps):
    """eps=1: a grid of identical alphas equal to alpha_max, every coefficient zero."""
    X, y, _ = _data(weighted=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no GridEdgeWarning for the null model either
        est = make(eps).fit(X, y)
    grid = np.atleast_2d(est.alphas_)
    top = grid.min(axis=1)  # alpha_max, per l1_ratio
    if eps == 1.0:
        np.testing.assert_allclose(grid, np.repeat(top[:, None], 6, axis=1), rtol=1e-14)
    np.testing.assert_allclose(grid.max(axis=1), top * eps, rtol=1e-12)
    assert np.all(est.coef_ == 0.0)
    assert est.intercept_ == pytest.approx(y.mean())


def test_bad_eps_and_tol_are_refused():
    X, y, _ = _data()
    for est, match in [(rl.LassoCV(eps=0.0), "eps must be a finite positive number"),
                       (rl.ElasticNetCV(eps=-1.0), "eps must be a finite positive number"),
                       (rl.GroupLassoCV(eps=np.inf), "eps must be a finite positive number"),
                       (rl.Lasso(tol=-1.0), "tol must be a finite non-negative number"),
                       (rl.GroupLasso(tol=np.nan), "tol must be a finite non-negative number")]:
        with pytest.raises(ValueError, match=match):
            est.fit(X, y)
    with pytest.raises(ValueError, match="eps must be a finite positive number"):
        rl.enet_path(X, y, eps=0.0)
    with pytest.raises(ValueError, match="tol must be a finite non-negative number"):
        rl.enet_path(X, y, tol=-1.0)
