"""Gamma and Tweedie GLMs: the losses (finite differences), the compiled pass, and the
estimators against scikit-learn's ``GammaRegressor`` / ``TweedieRegressor`` at tight tolerance.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import linear_model as sk
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_tweedie_deviance

from ridgeline import GammaRegressor, PoissonRegressor, TweedieRegressor, read_csv
from ridgeline.losses import GammaLoss, PoissonLoss, TweedieLoss
from ridgeline.stats.row_kernels import FAMILIES, eta_sums, family_args, gradient_sums

POWERS = [0.0, 1.0, 1.2, 1.5, 1.8, 2.0]


def _loss(power):
    return GammaLoss() if power == "gamma" else TweedieLoss(power)


def _targets(power, mu, rng):
    """Targets in the family's domain with mean ≈ μ (zeros for 1 ≤ p < 2)."""
    if power in ("gamma", 2.0):
        return rng.gamma(2.0, mu / 2.0)
    if power == 0.0:
        return mu + 0.3 * rng.normal(size=mu.shape)
    return rng.poisson(mu) * rng.gamma(3.0, 1.0 / 3.0, size=mu.shape)


def _data(power, seed=0, n=150, p=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    mu = np.exp(X @ (0.3 * rng.normal(size=p)) + 0.4)
    return X, _targets(power, mu, rng), rng.uniform(0.2, 3.0, size=n)


# ---- the losses ---------------------------------------------------------------------------


@pytest.mark.parametrize("power", ["gamma", *POWERS])
def test_loss_derivatives_equal_finite_differences(power):
    rng = np.random.default_rng(1)
    eta = rng.normal(size=40)
    y = _targets(power, np.exp(rng.normal(size=40)), rng)
    loss, h = _loss(power), 1e-6
    fd1 = (loss.value(y, eta + h) - loss.value(y, eta - h)) / (2 * h)
    np.testing.assert_allclose(loss.gradient(y, eta), fd1, rtol=1e-7, atol=1e-7)
    g, c = loss.derivatives(y, eta)
    np.testing.assert_array_equal(g, loss.gradient(y, eta))
    fd2 = (loss.gradient(y, eta + h) - loss.gradient(y, eta - h)) / (2 * h)
    mu = np.exp(eta)
    if power == 0.0:  # max(ℓ'', μ²): the true ℓ'' where it is at least μ² (y ≤ 1.5μ)
        np.testing.assert_allclose(c, np.maximum(fd2, mu**2), rtol=1e-6, atol=1e-7)
        assert np.any(fd2 < 0) and np.all(c >= mu**2 * (1 - 1e-14))
    else:
        np.testing.assert_allclose(c, fd2, rtol=1e-6, atol=1e-7)
        assert np.all(c >= 0)


@pytest.mark.parametrize("power", ["gamma", *POWERS])
def test_loss_value_is_twice_sklearns_unit_deviance_and_null_eta_is_optimal(power):
    rng = np.random.default_rng(2)
    eta = rng.normal(size=25)
    y = _targets(power, np.exp(rng.normal(size=25)), rng)
    loss = _loss(power)
    p = 2.0 if power == "gamma" else power
    ref = np.array([mean_tweedie_deviance([yi], [mi], power=p) for yi, mi in
                    zip(y, np.exp(eta), strict=True)])
    np.testing.assert_allclose(loss.value(y, eta), ref, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(loss.value(y, np.log(np.where(y > 0, y, 1.0)))[y > 0], 0.0,
                               atol=1e-13)
    s = rng.uniform(0.5, 2.0, size=25)
    b = loss.null_eta(y, s)
    assert abs(s @ loss.gradient(y, np.full(25, b))) <= 1e-12 * s.sum()


def test_tweedie_one_and_two_are_poisson_and_gamma():
    rng = np.random.default_rng(3)
    eta, y = rng.normal(size=30), rng.gamma(2.0, 1.0, size=30)
    for tw, ref in ((TweedieLoss(1), PoissonLoss), (TweedieLoss(2), GammaLoss)):
        np.testing.assert_allclose(tw.value(y, eta), ref.value(y, eta), rtol=1e-14,
                                   atol=1e-14)
        for a, b in zip(tw.derivatives(y, eta), ref.derivatives(y, eta), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-14)


@pytest.mark.parametrize("power", [-1, 0.5, 2.5, 3, "1.5x", True])
def test_tweedie_loss_refuses_powers_outside_its_domain(power):
    with pytest.raises(ValueError, match=r"power must be 0 \(normal\) or a number in \[1, 2\]"):
        TweedieLoss(power)


# ---- the compiled pass ----------------------------------------------------------------------


@pytest.mark.parametrize("power", ["gamma", *POWERS])
@pytest.mark.parametrize("weighted", [False, True])
def test_compiled_kernels_equal_the_loss(power, weighted):
    rng = np.random.default_rng(4)
    m, B, p = 5000, 2, 3  # more rows than one partial-sum block
    X = rng.normal(size=(m, p))
    W, b = 0.3 * rng.normal(size=(B, p)), np.array([0.2, -0.1])
    eta = X @ W.T + b
    y = _targets(power, np.exp(rng.normal(size=m)), rng)
    loss = _loss(power)
    code, eta_max, pw = family_args(loss)
    assert code == FAMILIES[loss.name] == 2 and pw == (2.0 if power == "gamma" else power)
    tw = rng.uniform(0, 2, size=(m, B)) if weighted else np.ones((m, B))
    empty = np.empty((B, 0))
    sums, G, H = eta_sums(np.ascontiguousarray(eta.T), y, tw.T if weighted else empty,
                          tw.T if weighted else empty, weighted, code, eta_max, True, pw)
    val = loss.value(y[:, None], eta)
    g, h = loss.derivatives(y[:, None], eta)
    np.testing.assert_allclose(sums[1], (tw * val).sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(G.T, tw * g, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(H.T, tw * h, rtol=1e-12, atol=1e-14)
    lv, gw, gb = gradient_sums(X, y, W, b, code, eta_max, pw)
    np.testing.assert_allclose(lv, val.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(gw, g.T @ X, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(gb, g.sum(axis=0), rtol=1e-10, atol=1e-9)


# ---- the estimators against scikit-learn ----------------------------------------------------


def _sk_model(power, link, fit_intercept, alpha):
    kw = dict(alpha=alpha, fit_intercept=fit_intercept, solver="newton-cholesky", tol=1e-12,
              max_iter=10_000)
    if power == "gamma":
        return sk.GammaRegressor(**kw)
    return sk.TweedieRegressor(power=power, link=link, **kw)


def _ours(power, link, fit_intercept, alpha, **kw):
    if power == "gamma":
        return GammaRegressor(alpha=alpha, fit_intercept=fit_intercept, **kw)
    return TweedieRegressor(power=power, link=link, alpha=alpha, fit_intercept=fit_intercept,
                            **kw)


def _sk_objective(est, X, y, s, power, alpha):
    """scikit-learn's objective ``(1/2n_w) Σ s dev + (α/2)‖w‖²`` at an estimator's solution."""
    p = 2.0 if power == "gamma" else power
    dev = mean_tweedie_deviance(y, est.predict(X), sample_weight=s, power=p)
    return 0.5 * dev + 0.5 * alpha * float(est.coef_ @ est.coef_)


CASES = [("gamma", "log"), (0.0, "log"), (0.0, "identity"), (1.0, "log"), (1.2, "log"),
         (1.5, "log"), (1.8, "log"), (2.0, "log")]


@pytest.mark.filterwarnings("ignore:The inner solver of NewtonCholeskySolver")  # theirs, p=0
@pytest.mark.parametrize(("power", "link"), CASES)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_equals_sklearn_at_tight_tolerance(power, link, fit_intercept, weighted):
    X, y, s = _data(power, seed=5)
    s = s if weighted else None
    alpha = 0.05
    ours = _ours(power, link, fit_intercept, alpha).fit(X, y, sample_weight=s)
    theirs = _sk_model(power, link, fit_intercept, alpha).fit(X, y, sample_weight=s)
    scale = max(np.abs(theirs.coef_).max(), abs(theirs.intercept_))
    assert np.abs(ours.coef_ - theirs.coef_).max() <= 1e-8 * scale
    assert abs(ours.intercept_ - theirs.intercept_) <= 1e-8 * scale
    f_ours, f_theirs = (_sk_objective(e, X, y, s, power, alpha) for e in (ours, theirs))
    assert f_ours <= f_theirs + 1e-12 * abs(f_theirs)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-8)
    np.testing.assert_allclose(ours.score(X, y, s), theirs.score(X, y, s), rtol=1e-9,
                               atol=1e-10)
    assert not fit_intercept or ours.intercept_ != 0.0


@pytest.mark.parametrize(("power", "link"), CASES)
def test_gradient_at_the_solution_is_at_rounding_level(power, link):
    X, y, s = _data(power, seed=6)
    alpha = 0.1
    est = _ours(power, link, True, alpha, tol=1e-12).fit(X, y, sample_weight=s)
    eta = X @ est.coef_ + est.intercept_
    d = 2.0 * (eta - y) if link == "identity" else _loss(power).gradient(y, eta)
    n_w = s.sum()
    g = np.append(X.T @ (s * d) / n_w + 2.0 * alpha * est.coef_, (s @ d) / n_w)
    assert np.abs(g).max() <= 1e-12
    assert est.grad_norm_ <= 1e-12


def test_tweedie_one_is_poisson_and_two_is_gamma():
    X, y, s = _data(1.5, seed=7)
    a = TweedieRegressor(power=1, alpha=0.2).fit(X, y, sample_weight=s)
    b = PoissonRegressor(alpha=0.2).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-11, atol=1e-13)
    assert a.intercept_ == pytest.approx(b.intercept_, rel=1e-11)
    X, y, s = _data(2.0, seed=7)
    a = TweedieRegressor(power=2, alpha=0.2).fit(X, y, sample_weight=s)
    b = GammaRegressor(alpha=0.2).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-11, atol=1e-13)
    assert a.intercept_ == pytest.approx(b.intercept_, rel=1e-11)


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cholesky", "newton", "auto"])
def test_every_solver_reaches_the_same_optimum_and_sparse_equals_dense(solver):
    X, y, _ = _data(1.5, seed=8)
    ref = TweedieRegressor(power=1.5, alpha=0.1, solver="newton").fit(X, y)
    est = TweedieRegressor(power=1.5, alpha=0.1, solver=solver, tol=1e-11).fit(
        sp.csr_matrix(X), y)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-9, atol=1e-11)
    assert est.solver_ == ("lbfgs" if solver == "lbfgs" else "newton")


def test_file_source_equals_arrays(tmp_path):
    X, y, _ = _data("gamma", seed=9, n=120, p=3)
    path = tmp_path / "gamma.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="a,b,c,y", comments="")
    ref = GammaRegressor(alpha=0.3, tol=1e-12).fit(X, y)
    for solver in ("newton", "lbfgs"):
        est = GammaRegressor(alpha=0.3, solver=solver, tol=1e-12).fit(
            read_csv(path, target="y"))
        np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-9, atol=1e-12)
        assert est.intercept_ == pytest.approx(ref.intercept_, rel=1e-9)
        assert list(est.feature_names_in_) == ["a", "b", "c"]
    np.savetxt(path, np.column_stack([X, y - 10]), delimiter=",", header="a,b,c,y",
               comments="")
    with pytest.raises(ValueError, match=r"GammaRegressor targets must be positive \(gamma "
                                         r"deviance\); column 'y' has values down to -"):
        GammaRegressor().fit(read_csv(path, target="y"))
    with pytest.raises(ValueError, match="link='identity' is not available on a statistics "
                                         "source"):
        TweedieRegressor().fit(read_csv(path, target="y"))


def test_warm_start_continues_from_the_previous_solution():
    X, y, _ = _data("gamma", seed=10)
    est = GammaRegressor(alpha=0.1, warm_start=True).fit(X, y)
    first = est.n_iter_
    est.fit(X, y)
    assert first >= 3 and est.n_iter_ <= 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        short = GammaRegressor(alpha=0.1, max_iter=1).fit(X, y)
    assert short.n_iter_ == 1


# ---- bad input -------------------------------------------------------------------------------


def test_bad_targets_are_refused_naming_the_problem():
    X, y, _ = _data("gamma", seed=11, n=30)
    y0 = y.copy()
    y0[4] = 0.0
    with pytest.raises(ValueError, match=r"GammaRegressor targets must be positive \(gamma "
                                         r"deviance\); y has values down to 0"):
        GammaRegressor().fit(X, y0)
    y0[4] = -2.5
    with pytest.raises(ValueError, match=r"GammaRegressor targets must be positive .* down to "
                                         r"-2\.5"):
        GammaRegressor().fit(X, y0)
    with pytest.raises(ValueError, match=r"TweedieRegressor\(power=1.5\) targets must be "
                                         "non-negative; y has values down to -2.5"):
        TweedieRegressor(power=1.5).fit(X, y0)
    y0[4] = 0.0
    with pytest.raises(ValueError, match=r"TweedieRegressor\(power=2\) targets must be "
                                         "positive"):
        TweedieRegressor(power=2).fit(X, y0)
    TweedieRegressor(power=1.5).fit(X, y0)  # zeros are fine below power 2
    with pytest.raises(ValueError, match=r"TweedieRegressor\(power=1.2\) targets are all zero "
                                         "in y: the mean must be positive for a log-link model"):
        TweedieRegressor(power=1.2).fit(X, np.zeros(30))
    with pytest.raises(ValueError, match=r"TweedieRegressor\(power=0\): the weighted mean of "
                                         "y is -1"):
        TweedieRegressor(power=0, link="log").fit(X, -np.ones(30))


@pytest.mark.parametrize("power", [-1, 0.5, 2.5, 3])
def test_tweedie_regressor_refuses_unsupported_powers(power):
    X, y, _ = _data("gamma", seed=12, n=20)
    with pytest.raises(ValueError, match=rf"power must be 0 \(normal\) or a number in \[1, 2\] "
                                         rf"\(1 Poisson, 2 gamma\), got {power}"):
        TweedieRegressor(power=power).fit(X, y)


def test_links_and_other_parameters_are_checked():
    X, y, _ = _data("gamma", seed=13, n=20)
    with pytest.raises(ValueError, match="link='identity' is supported only with power=0 "
                                         r"\(ridge regression\), got power=1.5"):
        TweedieRegressor(power=1.5, link="identity").fit(X, y)
    with pytest.raises(ValueError, match=r"link must be one of \('auto', 'log', 'identity'\), "
                                         "got 'logit'"):
        TweedieRegressor(link="logit").fit(X, y)
    with pytest.raises(ValueError, match="unknown solver 'cd'"):
        GammaRegressor(solver="cd").fit(X, y)
    with pytest.raises(ValueError, match="alpha must be a single number"):
        GammaRegressor(alpha=[1.0, 2.0]).fit(X, y)
    with pytest.raises(ValueError, match="tol must be a positive number, got 0"):
        GammaRegressor(tol=0).fit(X, y)
    assert TweedieRegressor(power=0)._family() == (0.0, "identity")
    assert TweedieRegressor(power=1.5)._family() == (1.5, "log")


@pytest.mark.parametrize(("bad", "word"), [(np.nan, "NaN"), (np.inf, "infinity")])
def test_non_finite_input_is_refused(bad, word):
    X, y, _ = _data("gamma", seed=14, n=20)
    Xb = X.copy()
    Xb[3, 1] = bad
    with pytest.raises(ValueError, match=f"Input X contains {word}"):
        GammaRegressor().fit(Xb, y)
    yb = y.copy()
    yb[2] = bad
    with pytest.raises(ValueError, match=f"Input y contains {word}"):
        TweedieRegressor(power=1.5).fit(X, yb)


# ---- offsets ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("power", "link"), [("gamma", "log"), (1.5, "log"), (0.0, "log"),
                                             (0.0, "identity")])
def test_offset_enters_the_linear_predictor(power, link):
    X, y, s = _data(power, seed=15)
    o = np.random.default_rng(15).normal(scale=0.3, size=y.size)
    alpha = 0.1
    est = _ours(power, link, True, alpha, tol=1e-12).fit(X, y, sample_weight=s, offset=o)
    eta = X @ est.coef_ + est.intercept_ + o
    d = 2.0 * (eta - y) if link == "identity" else _loss(power).gradient(y, eta)
    n_w = s.sum()
    g = np.append(X.T @ (s * d) / n_w + 2.0 * alpha * est.coef_, (s @ d) / n_w)
    assert np.abs(g).max() <= 1e-12
    mean = eta if link == "identity" else np.exp(eta)
    np.testing.assert_allclose(est.predict(X, offset=o), mean, rtol=1e-13)
    # a constant offset c moves only the intercept, by −c
    plain = _ours(power, link, True, alpha, tol=1e-12).fit(X, y, sample_weight=s)
    shifted = _ours(power, link, True, alpha, tol=1e-12).fit(X, y, sample_weight=s,
                                                              offset=np.full(y.size, 0.7))
    np.testing.assert_allclose(shifted.coef_, plain.coef_, rtol=1e-9, atol=1e-12)
    assert shifted.intercept_ == pytest.approx(plain.intercept_ - 0.7, abs=1e-10)


def test_offset_is_checked():
    X, y, _ = _data("gamma", seed=16, n=20)
    with pytest.raises(ValueError, match=r"offset must have one value per row, shape \(20,\); "
                                         r"got shape \(19,\)"):
        GammaRegressor().fit(X, y, offset=np.zeros(19))
    est = GammaRegressor().fit(X, y)
    with pytest.raises(ValueError, match="offset has NaN or infinite values, first at row 2"):
        est.predict(X, offset=np.array([0, 0, np.nan] + [0] * 17))
