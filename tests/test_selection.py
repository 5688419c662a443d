"""λ selection: every shortcut against its slow definition (refits, an explicit hat matrix)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import GroupKFold, KFold, RepeatedKFold, ShuffleSplit

from conftest import (
    fold_scores_by_refit,
    hat_matrix,
    held_out_score,
    loo_residuals_by_refit,
    make_regression,
    rel_err,
    ridge_reference,
)
from ridgeline import GridEdgeWarning, RidgeCV, auto_lambda_grid, select_ridge
from ridgeline.path import extend_grid, ridge_path

pytestmark = pytest.mark.filterwarnings("ignore::ridgeline.selection.result.GridEdgeWarning")

SCORINGS = ["neg_mean_squared_error", "r2", "neg_mean_absolute_error"]
ROUTES = ["eigh", "svd", "dual", "lsqr"]
LAMBDAS = np.geomspace(3.0, 1e-3, 6)


def _tol(route):
    return 1e-7 if route == "lsqr" else 1e-8


def _splitters():
    return {
        "kfold_shuffle": KFold(4, shuffle=True, random_state=3),
        "repeated": RepeatedKFold(n_splits=3, n_repeats=2, random_state=4),
        "shuffle_split": ShuffleSplit(4, test_size=0.25, train_size=0.5, random_state=5),
        "group": GroupKFold(4),
    }


def _groups(n):
    return np.arange(n) % 7


def _kfold_scores(X, Y, s, splitter, scoring, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridEdgeWarning)
        groups = _groups(X.shape[0]) if isinstance(splitter, GroupKFold) else None
        sel = select_ridge(X, Y, s, lambdas=LAMBDAS, cv=splitter, scoring=scoring,
                           groups=groups, **kw)
    return sel.result


# ---------------------------------------------------------------------------------------------
# 2. K-fold from fold statistics vs explicit refits
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("split_name", ["kfold_shuffle", "repeated", "shuffle_split", "group"])
@pytest.mark.parametrize("convention", ["canonical", "fixed"])
@pytest.mark.parametrize("standardize", [False, True])
def test_kfold_equals_refits(route, split_name, convention, standardize):
    X, Y, s = make_regression(20, n=36, p=5, k=2, weighted=True)
    splitter = _splitters()[split_name]
    groups = _groups(36) if split_name == "group" else None
    splits = list(splitter.split(X, Y[:, 0], groups))
    for scoring in SCORINGS:
        res = _kfold_scores(X, Y, s, splitter, scoring, solver=route, convention=convention,
                            standardize=standardize)
        ref = fold_scores_by_refit(X, Y, s, splits, LAMBDAS, scoring=scoring,
                                   convention=convention, standardize=standardize)
        assert res.fold_scores.shape == (len(splits), LAMBDAS.size, 2)
        assert rel_err(res.fold_scores, ref) <= _tol(route), scoring
        np.testing.assert_allclose(res.mean_score, ref.mean(axis=(0, 2)), rtol=_tol(route),
                                   atol=_tol(route) * np.abs(ref).max())


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("standardize", [False, True])
def test_kfold_intercept_and_per_fold_standardization(route, fit_intercept, standardize):
    X, Y, s = make_regression(21, n=30, p=4, k=2, weighted=True)
    X[:, 1] *= 50.0  # standardization matters
    splitter = KFold(3, shuffle=True, random_state=0)
    splits = list(splitter.split(X))
    for convention in ("canonical", "fixed"):
        res = _kfold_scores(X, Y, s, splitter, "neg_mean_squared_error", solver=route,
                            convention=convention, fit_intercept=fit_intercept,
                            standardize=standardize)
        ref = fold_scores_by_refit(X, Y, s, splits, LAMBDAS, scoring="neg_mean_squared_error",
                                   convention=convention, fit_intercept=fit_intercept,
                                   standardize=standardize)
        assert rel_err(res.fold_scores, ref) <= _tol(route), convention


@pytest.mark.parametrize("route", ["eigh", "dual"])
@pytest.mark.parametrize("standardize", [False, True])
def test_kfold_p_greater_than_n(route, standardize):
    X, Y, s = make_regression(22, n=16, p=30, k=1, weighted=True)
    splitter = KFold(4, shuffle=True, random_state=1)
    splits = list(splitter.split(X))
    for scoring in SCORINGS:
        res = _kfold_scores(X, Y, s, splitter, scoring, solver=route, standardize=standardize)
        ref = fold_scores_by_refit(X, Y, s, splits, LAMBDAS, scoring=scoring,
                                   convention="canonical", standardize=standardize)
        assert rel_err(res.fold_scores, ref) <= 1e-8, scoring


def test_conventions_differ_as_stated():
    """canonical: fold penalty n_train·λ; fixed: n_w·λ — they differ, each matching its refit."""
    X, Y, s = make_regression(23, n=20, p=3, k=1, weighted=True)
    splitter = KFold(2, shuffle=True, random_state=0)
    a = _kfold_scores(X, Y, s, splitter, "neg_mean_squared_error", convention="canonical")
    b = _kfold_scores(X, Y, s, splitter, "neg_mean_squared_error", convention="fixed")
    assert rel_err(a.fold_scores, b.fold_scores) > 1e-4


def test_ridgecv_groups_and_alphas_use_fixed_penalty():
    """RidgeCV(alphas) passes groups to the splitter and fits every fold with the same alpha."""
    X, Y, s = make_regression(24, n=35, p=4, k=1, weighted=True)
    groups = _groups(35)
    alphas = np.array([0.5, 5.0, 50.0])
    cv = GroupKFold(5)
    est = RidgeCV(alphas=alphas, cv=cv, scoring="neg_mean_squared_error")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridEdgeWarning)
        est.fit(X, Y[:, 0], sample_weight=s, groups=groups)
    splits = list(cv.split(X, Y[:, 0], groups))
    for _, test in splits:  # whole groups held out
        assert not set(groups[test]) & set(groups[np.setdiff1d(np.arange(35), test)])
    ref = fold_scores_by_refit(X, Y, s, splits, alphas / s.sum(),
                               scoring="neg_mean_squared_error", convention="fixed")
    assert rel_err(est.selection_.fold_scores, ref) <= 1e-8
    best = int(np.argmax(ref.mean(axis=(0, 2))))
    assert est.alpha_ == pytest.approx(alphas[best], rel=1e-12)
    coef, b = ridge_reference(X, Y, s, alphas[best])
    assert rel_err(est.coef_, coef[:, 0]) <= 1e-9
    assert est.intercept_ == pytest.approx(b[0], rel=1e-9)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("route", ["eigh", "dual", "lsqr"])
def test_kfold_sparse_equals_dense(fmt, route, forbid_densify):
    rng = np.random.default_rng(25)
    n, p = 32, 6
    Xd = rng.normal(size=(n, p)) * (rng.uniform(size=(n, p)) < 0.4) + 0.0
    Y = Xd @ rng.normal(size=(p, 2)) + rng.normal(size=(n, 2))
    s = rng.uniform(0.5, 2.0, n)
    X = sp.csr_matrix(Xd) if fmt == "csr" else sp.csc_matrix(Xd)
    splitter = KFold(4, shuffle=True, random_state=2)
    dense_res = {sc: _kfold_scores(Xd, Y, s, splitter, sc, solver=route) for sc in SCORINGS}
    forbid_densify(n, p)
    for scoring in SCORINGS:
        res = _kfold_scores(X, Y, s, splitter, scoring, solver=route)
        assert rel_err(res.fold_scores, dense_res[scoring].fold_scores) <= _tol(route)


# ---------------------------------------------------------------------------------------------
# 3. LOO vs n refits, GCV vs the explicit hat matrix
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["eigh", "svd", "dual"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(("n", "p"), [(20, 4), (12, 20)])
def test_loo_equals_refits(route, fit_intercept, n, p):
    X, Y, s = make_regression(30, n=n, p=p, k=2, weighted=True)
    sw = s.sum()
    lam = np.array([2.0, 0.1, 0.005])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridEdgeWarning)
        res = {sc: select_ridge(X, Y, s, lambdas=lam, cv=None, scoring=sc, solver=route,
                                fit_intercept=fit_intercept).result for sc in SCORINGS}
    for j, l in enumerate(lam):
        e = loo_residuals_by_refit(X, Y, s, l * sw, fit_intercept=fit_intercept)
        mse = -(s @ e**2) / sw  # weighted LOO squared error, per target
        assert res["neg_mean_squared_error"].mean_score[j] == pytest.approx(mse.mean(), rel=1e-8)
        mae = -(s @ np.abs(e)) / sw
        assert res["neg_mean_absolute_error"].mean_score[j] == pytest.approx(mae.mean(), rel=1e-8)
        r2 = held_out_score(Y, Y - e, s, "r2")
        assert res["r2"].mean_score[j] == pytest.approx(r2.mean(), rel=1e-8)
        # standard error of the mean weighted squared error, per target, pooled over targets
        loss = e**2
        var = s @ (loss - s @ loss / sw) ** 2 / sw
        se = np.sqrt(np.mean(var / n))
        assert res["neg_mean_squared_error"].se[j] == pytest.approx(se, rel=1e-7)


def test_loo_sparse_equals_dense(forbid_densify):
    rng = np.random.default_rng(31)
    n, p = 25, 6
    Xd = rng.normal(size=(n, p)) * (rng.uniform(size=(n, p)) < 0.5) + 0.0
    y = Xd @ rng.normal(size=p) + rng.normal(size=n)
    s = rng.uniform(0.5, 2.0, n)
    lam = np.array([1.0, 0.1, 0.01])
    dense_res = select_ridge(Xd, y[:, None], s, lambdas=lam, cv=None, warn_edge=False).result
    for fmt in ("csr", "csc"):
        X = sp.csr_matrix(Xd) if fmt == "csr" else sp.csc_matrix(Xd)
        forbid_densify(n, p)
        res = select_ridge(X, y[:, None], s, lambdas=lam, cv=None, warn_edge=False).result
        np.testing.assert_allclose(res.mean_score, dense_res.mean_score, rtol=1e-9)
        ref = [-(s @ loo_residuals_by_refit(Xd, y[:, None], s, l * s.sum())[:, 0] ** 2) / s.sum()
               for l in lam]
        np.testing.assert_allclose(res.mean_score, ref, rtol=1e-8)


@pytest.mark.parametrize("route", ["eigh", "svd", "dual"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_gcv_equals_hat_matrix_formula(route, fit_intercept, weighted):
    X, Y, s = make_regression(32, n=20, p=5, k=2, weighted=weighted)
    n, sw = 20, s.sum()
    lam = np.array([5.0, 0.3, 0.01])
    res = select_ridge(X, Y, s, lambdas=lam, cv="gcv", solver=route, warn_edge=False,
                       fit_intercept=fit_intercept).result
    assert res.method == "gcv"
    for j, l in enumerate(lam):
        H = hat_matrix(X, s, l * sw, fit_intercept=fit_intercept)
        rss = s @ (Y - H @ Y) ** 2
        gcv = (rss / sw) / (1.0 - np.trace(H) / n) ** 2
        assert res.mean_score[j] == pytest.approx(-gcv.mean(), rel=1e-9)
        assert res.dof[j] == pytest.approx(np.trace(H), rel=1e-10)


def test_loo_and_gcv_with_lsqr_solver_do_not_crash_obscurely():
    """LOO/GCV need a factorization: with solver="lsqr" either fall back or say so clearly."""
    X, Y, _ = make_regression(33, n=20, p=4, k=1)
    ref = RidgeCV(alphas=[0.1, 1.0, 10.0], solver="eigh").fit(X, Y[:, 0])
    for cv in (None, "gcv"):
        est = RidgeCV(alphas=[0.1, 1.0, 10.0], solver="lsqr", cv=cv)
        try:
            est.fit(X, Y[:, 0])
        except ValueError as exc:
            assert "lsqr" in str(exc).lower()
        else:
            if cv is None:
                assert est.alpha_ == ref.alpha_
                assert rel_err(est.coef_, ref.coef_) <= 1e-7


# ---------------------------------------------------------------------------------------------
# 8. selection rules, per-target choice, grid edges, automatic grid, dof
# ---------------------------------------------------------------------------------------------


def test_one_standard_error_rule():
    X, Y, s = make_regression(40, n=60, p=8, k=1, noise=3.0)
    lam = np.geomspace(30.0, 1e-4, 40)
    cv = KFold(5, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridEdgeWarning)
        res = select_ridge(X, Y, s, lambdas=lam, cv=cv, rule="1se",
                           scoring="neg_mean_squared_error").result
    mean, se = res.mean_score, res.se
    np.testing.assert_allclose(se, res.fold_scores.mean(axis=2).std(axis=0, ddof=1) / np.sqrt(5),
                               rtol=1e-12)
    i_min, i_1se = res.index_min, res.index_1se
    assert mean[i_min] == mean.max()
    assert res.lambda_1se >= res.lambda_min
    assert res.lambda_1se > res.lambda_min  # a strict move on this noisy problem
    assert res.lambda_ == res.lambda_1se
    threshold = mean[i_min] - se[i_min]
    assert mean[i_1se] >= threshold
    assert np.all(mean[lam > res.lambda_1se] < threshold)  # the largest such λ
    est = RidgeCV(lambdas=lam, cv=cv, rule="1se", scoring="neg_mean_squared_error").fit(X, Y)
    assert est.lambda_ == pytest.approx(res.lambda_1se, rel=1e-12)


@pytest.mark.parametrize("scoring", ["neg_mean_squared_error", "r2", "neg_mean_absolute_error"])
def test_per_target_kfold_equals_separate_selection(scoring):
    rng = np.random.default_rng(41)
    n, p = 50, 6
    X = rng.normal(size=(n, p))
    # very different signal-to-noise per target: different best λ
    Y = np.column_stack([X @ rng.normal(size=p) + 0.1 * rng.normal(size=n),
                         0.2 * X[:, 0] + 3.0 * rng.normal(size=n),
                         X @ rng.normal(size=p) + rng.normal(size=n)])
    lam = np.geomspace(100.0, 1e-4, 30)
    cv = KFold(5, shuffle=True, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridEdgeWarning)
        joint = select_ridge(X, Y, np.ones(n), lambdas=lam, cv=cv, scoring=scoring,
                             per_target=True).result
        alone = [select_ridge(X, Y[:, [t]], np.ones(n), lambdas=lam, cv=cv,
                              scoring=scoring).result for t in range(3)]
    np.testing.assert_array_equal(joint.lambda_, [r.lambda_ for r in alone])
    assert len(set(np.asarray(joint.lambda_).tolist())) > 1
    np.testing.assert_allclose(joint.best_score, [r.best_score for r in alone], rtol=1e-10)
    est = RidgeCV(lambdas=lam, cv=cv, scoring=scoring, alpha_per_target=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridEdgeWarning)
        est.fit(X, Y)
    np.testing.assert_array_equal(est.lambda_, joint.lambda_)
    for t in range(3):
        coef, b = ridge_reference(X, Y[:, [t]], np.ones(n), joint.lambda_[t] * n)
        assert rel_err(est.coef_[t], coef[:, 0]) <= 1e-9
        assert est.intercept_[t] == pytest.approx(b[0], rel=1e-9, abs=1e-12)


def test_grid_edge_warning_both_ends():
    X, Y, _ = make_regression(42, n=40, p=4, noise=0.01)
    with pytest.warns(GridEdgeWarning, match="smallest"):
        RidgeCV(alphas=[1e2, 1e3, 1e4]).fit(X, Y[:, 0])
    rng = np.random.default_rng(0)
    noise = rng.normal(size=40)
    with pytest.warns(GridEdgeWarning, match="largest"):
        RidgeCV(alphas=[1e-6, 1e-5, 1e-4], cv=5).fit(X, noise)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GridEdgeWarning)
        RidgeCV(alphas=np.geomspace(1e-4, 1e4, 30)).fit(X, Y[:, 0] + 0.5 * noise)


@pytest.mark.parametrize("cv", [None, 5])
def test_extend_grid_moves_choice_inside(cv):
    X, Y, s = make_regression(43, n=50, p=6, noise=2.0)
    wide = np.geomspace(1e4, 1e-6, 101)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridEdgeWarning)
        best = select_ridge(X, Y, s, lambdas=wide, cv=cv).result
    lam_star = best.lambda_
    assert 0 < best.index_ < 100  # interior optimum on the wide grid
    # a grid entirely below the optimum: λ_min is its largest value
    start = lam_star * np.geomspace(1e-2, 1e-3, 11)
    with pytest.warns(GridEdgeWarning):
        edge = select_ridge(X, Y, s, lambdas=start, cv=cv).result
    assert edge.lambda_ == start.max()
    with warnings.catch_warnings():
        warnings.simplefilter("error", GridEdgeWarning)
        ext = select_ridge(X, Y, s, lambdas=start, cv=cv, extend=True).result
    assert ext.lambdas.size > start.size
    assert ext.lambdas.max() > start.max()
    assert ext.index_ not in (int(np.argmax(ext.lambdas)), int(np.argmin(ext.lambdas)))
    # it lands on the optimum of the wide grid, up to one grid step (both are 10/decade)
    assert abs(np.log10(ext.lambda_ / lam_star)) <= 0.1 + 1e-9
    steps = np.diff(np.log10(np.sort(ext.lambdas)))
    np.testing.assert_allclose(steps, 0.1, rtol=1e-6)  # the extension keeps the spacing
    est = RidgeCV(lambdas=start, cv=cv, extend_grid=True).fit(X, Y[:, 0])
    assert est.lambda_ == pytest.approx(ext.lambda_, rel=1e-12)


def test_extend_grid_helper():
    g = np.geomspace(1.0, 1e-2, 5)
    hi = extend_grid(g, "high", decades=1.0)
    np.testing.assert_allclose(hi, np.geomspace(10.0, 1e-2, 7), rtol=1e-12)
    lo = extend_grid(g, "low", decades=1.0)
    np.testing.assert_allclose(lo, np.geomspace(1.0, 1e-3, 7), rtol=1e-12)
    with pytest.raises(ValueError, match="side"):
        extend_grid(g, "middle")


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_auto_grid_and_dof_is_hat_trace(fit_intercept):
    X, Y, s = make_regression(44, n=40, p=6, weighted=True)
    sw = s.sum()
    est = RidgeCV(alphas="auto", n_lambdas=30, fit_intercept=fit_intercept)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridEdgeWarning)
        est.fit(X, Y[:, 0], sample_weight=s)
    res = est.selection_
    lam = res.lambdas
    assert lam.size == 30
    assert np.all(lam > 0) and np.all(np.diff(lam) < 0)
    np.testing.assert_allclose(np.diff(np.log(lam)), np.log(lam[1] / lam[0]), rtol=1e-9)
    dof = res.dof - (1.0 if fit_intercept else 0.0)
    assert dof[0] == pytest.approx(0.05, rel=1e-6)
    assert dof[-1] == pytest.approx(0.99 * 6, rel=1e-6)
    for j in (0, 7, 29):
        H = hat_matrix(X, s, lam[j] * sw, fit_intercept=fit_intercept)
        assert res.dof[j] == pytest.approx(np.trace(H), rel=1e-10)
    np.testing.assert_allclose(res.alphas, lam * sw, rtol=1e-14)


def test_auto_lambda_grid_function():
    e = np.array([0.0, 1e-3, 0.5, 2.0, 10.0])
    g = auto_lambda_grid(e, sw=4.0, n_lambdas=12)
    assert g.shape == (12,) and np.all(np.diff(g) < 0)
    live = e[1:]
    dof = [np.sum(live / (live + 4.0 * l)) for l in (g[0], g[-1])]
    assert dof[0] == pytest.approx(0.05, rel=1e-8)
    assert dof[1] == pytest.approx(0.99 * 4, rel=1e-8)
    with pytest.raises(ValueError, match="no variance"):
        auto_lambda_grid(np.zeros(3), sw=1.0)
    with pytest.raises(ValueError, match="n_lambdas"):
        auto_lambda_grid(e, sw=1.0, n_lambdas=0)


def test_ridge_path_equals_independent_fits():
    X, Y, s = make_regression(45, n=30, p=5, k=2, weighted=True)
    sel = select_ridge(X, Y, s, lambdas=LAMBDAS, cv="gcv", warn_edge=False)
    path = ridge_path(sel.factor, LAMBDAS)
    for j, l in enumerate(LAMBDAS):
        coef, b = ridge_reference(X, Y, s, l * s.sum())
        assert rel_err(path.coef[j], coef) <= 1e-9
        assert rel_err(path.intercept[j], b) <= 1e-9
        assert path.dof[j] == pytest.approx(np.trace(hat_matrix(X, s, l * s.sum())), rel=1e-10)


# ---------------------------------------------------------------------------------------------
# property tests
# ---------------------------------------------------------------------------------------------


@st.composite
def _problems(draw):
    n = draw(st.integers(8, 24))
    p = draw(st.integers(1, 8))
    k = draw(st.integers(1, 2))
    seed = draw(st.integers(0, 2**32 - 1))
    weighted = draw(st.booleans())
    fit_intercept = draw(st.booleans())
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.3, 3.0, p) + rng.normal(size=p)
    Y = X @ rng.normal(size=(p, k)) + rng.normal(size=(n, k))
    s = rng.uniform(0.2, 3.0, n) if weighted else np.ones(n)
    return X, Y, s, fit_intercept


@settings(max_examples=25, deadline=None)
@given(problem=_problems(), n_splits=st.integers(2, 4), convention=st.sampled_from(
    ["canonical", "fixed"]), scoring=st.sampled_from(SCORINGS), shuffle_seed=st.integers(0, 99))
def test_property_kfold_equals_refits(problem, n_splits, convention, scoring, shuffle_seed):
    X, Y, s, fit_intercept = problem
    lam = np.array([10.0, 0.5, 0.02])
    cv = KFold(n_splits, shuffle=True, random_state=shuffle_seed)
    res = select_ridge(X, Y, s, lambdas=lam, cv=cv, scoring=scoring, convention=convention,
                       fit_intercept=fit_intercept, warn_edge=False).result
    ref = fold_scores_by_refit(X, Y, s, list(cv.split(X)), lam, scoring=scoring,
                               convention=convention, fit_intercept=fit_intercept)
    if scoring == "r2":  # R² of a tiny fold can be huge in magnitude: compare element-wise
        np.testing.assert_allclose(res.fold_scores, ref, rtol=1e-8, atol=1e-10)
    else:
        assert rel_err(res.fold_scores, ref) <= 1e-8


@settings(max_examples=25, deadline=None)
@given(problem=_problems(), lam=st.floats(1e-2, 10.0))
def test_property_loo_equals_refits(problem, lam):
    X, Y, s, fit_intercept = problem
    res = select_ridge(X, Y, s, lambdas=np.array([lam]), cv=None,
                       fit_intercept=fit_intercept).result
    e = loo_residuals_by_refit(X, Y, s, lam * s.sum(), fit_intercept=fit_intercept)
    ref = -np.mean((s @ e**2) / s.sum())
    assert res.mean_score[0] == pytest.approx(ref, rel=1e-8)
