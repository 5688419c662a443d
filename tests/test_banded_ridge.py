"""Banded ridge (one λ per feature group): the CV loss from fold statistics against explicit
refits, its exact gradient and Hessian against finite differences, the one-group case against
RidgeCV, the optimizer against the grid it starts from, and bad input."""

import numpy as np
import pytest
from sklearn.linear_model import Ridge as SkRidge
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.model_selection import KFold

from ridgeline import BandedRidgeCV, RidgeCV
from ridgeline.selection.banded_cv import BandedCV

GROUPS3 = [np.arange(0, 3), np.arange(3, 6), np.arange(6, 9)]


def _data(n=90, p=9, k=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3.0, p) + rng.uniform(-2, 2, p)
    Y = X[:, :3] @ rng.standard_normal((3, k)) + rng.standard_normal((n, k))
    s = rng.uniform(0.3, 2.0, n)
    return X, Y, s


def _explicit_fit(X, Y, s, d):
    """Weighted ridge with per-feature penalty d (Σ s r² + Σ d_j w_j²) through scikit-learn's
    Ridge on rescaled columns (w_j = u_j / √d_j)."""
    root = np.sqrt(d)
    m = SkRidge(alpha=1.0).fit(X / root, Y, sample_weight=s)
    coef = np.reshape(m.coef_, (-1, X.shape[1]))  # (p,) for a y of shape (n, 1)
    return coef.T / root[:, None], np.atleast_1d(m.intercept_)


def _explicit_scores(X, Y, s, splits, lam_feat, scoring, standardize):
    out = []
    for tr, te in splits:
        sw = s[tr].sum()
        scale = np.ones(X.shape[1])
        if standardize:
            mx = s[tr] @ X[tr] / sw
            scale = np.sqrt(s[tr] @ (X[tr] - mx) ** 2 / sw)
        per_target = []
        for t in range(Y.shape[1]):
            lam = lam_feat if lam_feat.ndim == 1 else lam_feat[t]
            W, b = _explicit_fit(X[tr], Y[tr, t:t + 1], s[tr], sw * lam * scale**2)
            pred = X[te] @ W[:, 0] + b[0]
            if scoring == "r2":
                per_target.append(r2_score(Y[te, t], pred, sample_weight=s[te]))
            else:
                per_target.append(-mean_squared_error(Y[te, t], pred, sample_weight=s[te]))
        out.append(per_target)
    return np.array(out)


@pytest.mark.parametrize("scoring", ["neg_mean_squared_error", "r2"])
@pytest.mark.parametrize("standardize", [False, True])
def test_cv_value_equals_explicit_refits(scoring, standardize):
    X, Y, s = _data()
    splits = list(KFold(4, shuffle=True, random_state=1).split(X))
    cv = BandedCV(X, Y, s, splits, GROUPS3, fit_intercept=True, standardize=standardize,
                  scoring=scoring)
    shared = np.array([0.02, 0.4, 3.0])
    got = cv.fold_scores(shared)
    want = _explicit_scores(X, Y, s, splits, shared[cv.feature_group], scoring, standardize)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    per_target = np.array([[0.01, 1.0, 0.2], [2.0, 0.05, 0.3]])
    got = cv.fold_scores(per_target)
    want = _explicit_scores(X, Y, s, splits, per_target[:, cv.feature_group], scoring,
                            standardize)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def _fd(fun, theta, h=1e-5):
    return np.stack([(fun(theta + h * e) - fun(theta - h * e)) / (2 * h)
                     for e in np.eye(theta.shape[-1])], axis=-1)


@pytest.mark.parametrize("groups", [GROUPS3, "features"])
def test_gradient_and_hessian_equal_finite_differences(groups):
    X, Y, s = _data(n=70, p=6 if groups == "features" else 9, k=3)
    groups = [np.array([j]) for j in range(6)] if groups == "features" else groups
    splits = list(KFold(3, shuffle=True, random_state=0).split(X))
    cv = BandedCV(X, Y, s, splits, groups, fit_intercept=True, standardize=False,
                  scoring="neg_mean_squared_error")
    rng = np.random.default_rng(3)
    G = len(groups)
    theta = np.log(rng.uniform(0.01, 2.0, G))
    _, g = cv.shared_loss(theta)
    np.testing.assert_allclose(g, _fd(lambda t: cv.shared_loss(t)[0], theta), rtol=1e-6,
                               atol=1e-9 * np.abs(g).max())
    cols = np.arange(3)
    Th = np.log(rng.uniform(0.01, 2.0, (3, G)))
    _, g, H = cv.target_loss(Th, cols)
    fd_g = _fd(lambda t: cv.target_loss(t, cols, hessian=False)[0], Th)
    fd_H = _fd(lambda t: cv.target_loss(t, cols, hessian=False)[1], Th)
    np.testing.assert_allclose(g, fd_g, rtol=1e-6, atol=1e-9 * np.abs(g).max())
    np.testing.assert_allclose(H, fd_H, rtol=1e-5, atol=1e-7 * np.abs(H).max())


def test_one_group_equals_ridgecv_kfold_curve():
    X, Y, s = _data(k=1)
    lams = np.array([0.003, 0.1, 2.0])
    kf = KFold(5, shuffle=True, random_state=2)
    ref = RidgeCV(lambdas=lams, cv=kf, scoring="neg_mean_squared_error").fit(X, Y[:, 0], s)
    cv = BandedCV(X, Y, s, list(kf.split(X)), [np.arange(9)], fit_intercept=True,
                  standardize=False, scoring="neg_mean_squared_error")
    got = [cv.fold_scores(np.array([lam])).mean() for lam in ref.selection_.lambdas]
    np.testing.assert_allclose(got, ref.selection_.mean_score, rtol=1e-10)


def test_optimum_not_worse_than_best_grid_point_and_baseline_is_ridgecv():
    X, Y, s = _data(k=2)
    alphas = np.geomspace(1e-2, 1e3, 12)
    kf = KFold(5, shuffle=True, random_state=0)
    est = BandedRidgeCV(GROUPS3, alphas=alphas, cv=kf).fit(X, Y, sample_weight=s)
    # the canonical convention on every fold: RidgeCV's lambdas= (alphas= keeps α fixed)
    ref = RidgeCV(lambdas=alphas / s.sum(), cv=kf, scoring="neg_mean_squared_error")
    ref.fit(X, Y, sample_weight=s)
    sel = est.selection_
    assert sel.baseline_score == pytest.approx(ref.best_score_, rel=1e-10)
    assert sel.baseline_lambda == pytest.approx(ref.lambda_, rel=1e-12)
    assert est.best_score_ >= sel.grid_scores.max() - 1e-12 * abs(sel.grid_scores.max())
    assert est.best_score_ == pytest.approx(sel.history[-1], rel=1e-9)
    assert sel.converged


def test_coefficients_are_the_weighted_banded_fit_at_the_chosen_lambdas():
    X, Y, s = _data(k=2)
    est = BandedRidgeCV(GROUPS3, cv=4).fit(X, Y, sample_weight=s)
    lam_feat = est.lambdas_[np.repeat(np.arange(3), 3)]
    W, b = _explicit_fit(X, Y, s, s.sum() * lam_feat)
    np.testing.assert_allclose(est.coef_, W.T, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(est.intercept_, b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(est.alphas_, est.lambdas_ * s.sum(), rtol=1e-15)
    np.testing.assert_allclose(est.predict(X[:5]), X[:5] @ W + b, rtol=1e-9)


def _informative_first_group(seed=0, n=240):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 60))
    w = np.zeros(60)
    w[:20] = rng.standard_normal(20)
    y = X @ w + 1.0 * rng.standard_normal(n)
    return X, y


def test_groups_that_need_different_lambdas_get_them_and_beat_one_lambda():
    X, y = _informative_first_group()
    groups = np.repeat([0, 1, 2], 20)  # labels
    est = BandedRidgeCV(groups, cv=KFold(5, shuffle=True, random_state=0)).fit(X, y)
    lam = est.lambdas_
    assert lam[0] * 100 < lam[1] and lam[0] * 100 < lam[2]
    base = est.selection_.baseline_score  # negative MSE of the best single λ
    assert est.best_score_ > base + 0.1 * abs(base)


def test_per_target_lambdas_follow_each_target():
    X, y0 = _informative_first_group(seed=1)
    rng = np.random.default_rng(5)
    y1 = X[:, 20:40] @ rng.standard_normal(20) + rng.standard_normal(X.shape[0])
    Y = np.column_stack([y0, y1])
    groups = [np.arange(0, 20), np.arange(20, 40), np.arange(40, 60)]
    kf = KFold(5, shuffle=True, random_state=0)
    est = BandedRidgeCV(groups, cv=kf, alpha_per_target=True).fit(X, Y)
    lam = est.lambdas_
    assert lam.shape == (2, 3) and est.coef_.shape == (2, 60)
    assert lam[0, 0] * 100 < lam[0, 1] and lam[1, 1] * 100 < lam[1, 0]
    for t in range(2):  # each target's own optimization
        one = BandedRidgeCV(groups, cv=kf).fit(X, Y[:, t])
        assert est.best_score_[t] == pytest.approx(one.best_score_, rel=1e-7)
        np.testing.assert_allclose(est.coef_[t], one.coef_, rtol=1e-4, atol=1e-6)
    assert np.all(est.selection_.converged)


def test_per_feature_lambdas():
    X, y = _informative_first_group(n=150)
    X, y = X[:, [0, 1, 2, 40, 41, 42]], X[:, [0, 1, 2]] @ [1.0, -2.0, 0.5] \
        + np.random.default_rng(0).standard_normal(150)
    est = BandedRidgeCV("features", cv=5).fit(X, y)
    assert est.lambdas_.shape == (6,) and len(est.groups_) == 6
    assert est.lambdas_[:3].max() < est.lambdas_[3:].min()
    assert est.best_score_ >= est.selection_.baseline_score


@pytest.mark.parametrize(("groups", "words"), [
    ([np.arange(0, 5), np.array([], dtype=int), np.arange(5, 9)], "group 1 is empty"),
    ([np.arange(0, 5), np.arange(4, 9)], "feature 4 is in groups 0 and 1"),
    ([np.arange(0, 5), np.arange(5, 8)], r"features \[8\] are in no group"),
    ([np.arange(0, 5), np.arange(5, 10)], "group 1 has feature index 9 out of range for 9"),
    ([np.arange(0, 5), np.array([5, 6, 7, -1])], "feature index -1 out of range"),
    ([np.array([0, 0, 1]), np.arange(2, 9)], "feature 0 is twice"),
    (np.zeros(8), "one label per feature: got shape (8,) for 9 features"),
    ("feature", "groups must be 'features'"),
    ([np.arange(9.0)], "group 0 must be a 1-d array of integer feature indices"),
])
def test_bad_groups_are_refused(groups, words):
    X, Y, _ = _data(k=1)
    with pytest.raises(ValueError, match=words if "[" in words else _escape(words)):
        BandedRidgeCV(groups).fit(X, Y[:, 0])


def _escape(words):
    import re
    return re.escape(words)


@pytest.mark.parametrize(("alphas", "words"), [
    ([1.0, -2.0], r"alphas\[1\] is -2.0"),
    ([np.nan, 1.0], r"alphas\[0\] is nan"),
    ([0.0], r"alphas\[0\] is 0.0"),
])
def test_bad_start_alphas_are_refused(alphas, words):
    X, Y, _ = _data(k=1)
    with pytest.raises(ValueError, match="alphas must be positive and finite.*" + words):
        BandedRidgeCV(GROUPS3, alphas=alphas).fit(X, Y[:, 0])


def test_other_bad_settings_are_refused():
    X, Y, _ = _data(k=1)
    with pytest.raises(ValueError, match=r"scoring must be .* got 'neg_mean_absolute_error'"):
        BandedRidgeCV(GROUPS3, scoring="neg_mean_absolute_error").fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="max_iter must be a positive integer, got 0"):
        BandedRidgeCV(GROUPS3, max_iter=0).fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="tol must be a positive finite number, got -1"):
        BandedRidgeCV(GROUPS3, tol=-1).fit(X, Y[:, 0])
