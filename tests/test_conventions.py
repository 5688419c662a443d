"""Tests for ridgeline.conventions: the conversions are exact, invertible and validated.

Exactness is shown by optimization: a library's fitted solution must satisfy the optimality
conditions of ridgeline's canonical objective at the converted λ, and must visibly violate them
at a plausible but wrong conversion (so the checks are sharp enough to tell the difference).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression, Ridge

from ridgeline import conventions as cv

L2_NAMES = [name for name, c in cv.CONVENTIONS.items() if not c.elastic_net]


# --------------------------------------------------------------------------------------------
# data and canonical-objective helpers (written from the canonical definition only)
# --------------------------------------------------------------------------------------------


def _regression_data(seed: int, weighted: bool, n: int = 80, p: int = 7, sparse: bool = False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 3.0, p) + rng.normal(size=p)
    w = rng.normal(size=p)
    if sparse:
        w[: p // 2] = 0.0
    y = X @ w + 1.5 + rng.normal(size=n)
    s = rng.uniform(0.2, 3.0, n) if weighted else np.ones(n)
    return X, y, s


def _classification_data(seed: int, weighted: bool, n: int = 150, p: int = 5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + rng.normal(size=p)
    z = X @ rng.normal(scale=0.7, size=p) - 0.3
    y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-z))).astype(float)
    s = rng.uniform(0.2, 3.0, n) if weighted else np.ones(n)
    return X, y, s


def _canonical_ridge(X, y, s, lam):
    """Closed-form minimizer of (1/n_w) Σ s_i (y_i - x_iᵀw - b)² + λ‖w‖²."""
    n_w = s.sum()
    x_mean = s @ X / n_w
    y_mean = s @ y / n_w
    Xc = X - x_mean
    yc = y - y_mean
    A = Xc.T @ (s[:, None] * Xc) + n_w * lam * np.eye(X.shape[1])
    w = np.linalg.solve(A, Xc.T @ (s * yc))
    return w, y_mean - x_mean @ w


def _ridge_gradient(X, y, s, lam, w, b):
    """Gradient in (w, b) of the canonical squared-error L2 objective."""
    r = y - X @ w - b
    n_w = s.sum()
    return np.r_[-2.0 / n_w * X.T @ (s * r) + 2.0 * lam * w, -2.0 / n_w * np.sum(s * r)]


def _logistic_gradient(X, y, s, lam, w, b):
    """Gradient of (1/n_w) Σ s_i [log(1 + e^{z_i}) - y_i z_i] + λ‖w‖², z = Xw + b."""
    z = X @ w + b
    resid = s * (1.0 / (1.0 + np.exp(-z)) - y) / s.sum()
    return np.r_[X.T @ resid + 2.0 * lam * w, resid.sum()]


def _enet_kkt_violation(X, y, s, lam, mix, w, b):
    """Largest violation of the KKT conditions of the canonical elastic-net objective.

    (1/n_w) Σ s_i (y_i - x_iᵀw - b)² + λ (mix ‖w‖₁ + (1 - mix) ‖w‖²): with g the gradient of
    the smooth part, g_j + λ·mix·sign(w_j) = 0 where w_j ≠ 0, |g_j| <= λ·mix where w_j = 0,
    and the intercept's gradient is 0.
    """
    n_w = s.sum()
    r = y - X @ w - b
    g = -2.0 / n_w * X.T @ (s * r) + 2.0 * lam * (1.0 - mix) * w
    active = w != 0
    viol_active = np.abs(g[active] + lam * mix * np.sign(w[active]))
    viol_zero = np.maximum(np.abs(g[~active]) - lam * mix, 0.0)
    viol_b = abs(2.0 / n_w * np.sum(s * r))
    return max(viol_active.max(initial=0.0), viol_zero.max(initial=0.0), viol_b)


# --------------------------------------------------------------------------------------------
# exactness by optimization
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("alpha", [1e-3, 0.7, 25.0, 3000.0])
def test_sklearn_ridge_solves_canonical_objective(weighted, alpha):
    X, y, s = _regression_data(0, weighted)
    n_w = s.sum()
    model = Ridge(alpha=alpha, solver="cholesky")
    model.fit(X, y, sample_weight=s if weighted else None)
    lam = cv.lambda_from_sklearn_ridge(alpha, n_w)
    assert lam == pytest.approx(alpha / n_w, rel=1e-15)

    w, b = _canonical_ridge(X, y, s, lam)
    np.testing.assert_allclose(model.coef_, w, rtol=1e-10, atol=1e-12 * np.abs(w).max())
    np.testing.assert_allclose(model.intercept_, b, rtol=1e-10, atol=1e-12)
    scale = np.abs(_ridge_gradient(X, y, s, 0.0, np.zeros_like(w), 0.0)).max()
    assert np.abs(_ridge_gradient(X, y, s, lam, model.coef_, model.intercept_)).max() < (
        1e-10 * scale
    )
    # a plausible mistake (forgetting the 1/n_w) is not the same problem
    w_wrong, _ = _canonical_ridge(X, y, s, alpha)
    assert np.abs(model.coef_ - w_wrong).max() > 1e-6 * np.abs(w).max()


@pytest.mark.parametrize("weighted", [False, True])
def test_sklearn_ridge_alpha_reproduces_canonical_solution(weighted):
    X, y, s = _regression_data(1, weighted)
    lam = 0.37
    alpha = cv.sklearn_ridge_alpha(lam, s.sum())
    model = Ridge(alpha=alpha, solver="cholesky").fit(X, y, sample_weight=s)
    w, b = _canonical_ridge(X, y, s, lam)
    np.testing.assert_allclose(model.coef_, w, rtol=1e-10)
    np.testing.assert_allclose(model.intercept_, b, rtol=1e-10)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("C", [0.01, 0.3, 20.0])
@pytest.mark.parametrize(("solver", "tol"), [("newton-cholesky", 1e-10), ("lbfgs", 1e-6)])
def test_sklearn_logistic_C_solves_canonical_objective(weighted, C, solver, tol):
    X, y, s = _classification_data(2, weighted)
    n_w = s.sum()
    model = LogisticRegression(C=C, tol=1e-12, max_iter=100_000, solver=solver)
    model.fit(X, y, sample_weight=s if weighted else None)
    w, b = model.coef_.ravel(), float(model.intercept_[0])

    lam = cv.lambda_from_sklearn_C(C, n_w)
    assert lam == pytest.approx(1.0 / (2.0 * C * n_w), rel=1e-15)
    scale = np.abs(_logistic_gradient(X, y, s, 0.0, np.zeros_like(w), 0.0)).max()
    grad = _logistic_gradient(X, y, s, lam, w, b)
    assert np.abs(grad).max() < tol * scale
    # forgetting the ½ (λ = 1/(C n_w)) leaves a clearly non-zero gradient
    wrong = _logistic_gradient(X, y, s, 2.0 * lam, w, b)
    assert np.abs(wrong).max() > 100 * tol * scale


def test_sklearn_C_round_trip_through_a_fit():
    X, y, s = _classification_data(3, weighted=True)
    lam = 0.004
    C = cv.sklearn_C(lam, s.sum())
    model = LogisticRegression(C=C, tol=1e-12, max_iter=1000, solver="newton-cholesky")
    model.fit(X, y, sample_weight=s)
    grad = _logistic_gradient(X, y, s, lam, model.coef_.ravel(), model.intercept_[0])
    assert np.abs(grad).max() < 1e-10


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("l1_ratio", [0.2, 0.5, 0.9, 1.0])
def test_sklearn_enet_solves_canonical_objective(weighted, l1_ratio):
    X, y, s = _regression_data(4, weighted, sparse=True)
    alpha = 0.35
    Model = Lasso if l1_ratio == 1.0 else ElasticNet
    kwargs = {} if l1_ratio == 1.0 else {"l1_ratio": l1_ratio}
    model = Model(alpha=alpha, tol=1e-14, max_iter=1_000_000, **kwargs)
    model.fit(X, y, sample_weight=s if weighted else None)
    w, b = model.coef_, float(model.intercept_)
    # the check is only meaningful with both zero and non-zero coefficients
    assert 0 < np.count_nonzero(w) < w.size

    lam, mix = cv.canonical_from_sklearn_enet(alpha, l1_ratio)
    assert lam == pytest.approx(alpha * (1 + l1_ratio), rel=1e-15)
    assert mix == pytest.approx(2 * l1_ratio / (1 + l1_ratio), rel=1e-15)
    assert _enet_kkt_violation(X, y, s, lam, mix, w, b) < 1e-9
    # the naive reading (λ = alpha, mix = l1_ratio) is a different problem
    assert _enet_kkt_violation(X, y, s, alpha, l1_ratio, w, b) > 1e-2


@pytest.mark.parametrize(("lam", "mix"), [(0.6, 0.3), (0.5, 0.8), (0.4, 1.0)])
def test_sklearn_enet_from_canonical_reproduces_canonical_solution(lam, mix):
    X, y, s = _regression_data(5, weighted=True, sparse=True)
    alpha, l1_ratio = cv.sklearn_enet_from_canonical(lam, mix)
    model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-14, max_iter=1_000_000)
    model.fit(X, y, sample_weight=s)
    assert 0 < np.count_nonzero(model.coef_) < model.coef_.size
    assert _enet_kkt_violation(X, y, s, lam, mix, model.coef_, model.intercept_) < 1e-9


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("lambda_g", [1e-3, 0.5, 40.0])
def test_glum_ridge_is_canonical(weighted, lambda_g):
    glum = pytest.importorskip("glum")
    X, y, s = _regression_data(6, weighted)
    model = glum.GeneralizedLinearRegressor(
        family="normal", alpha=lambda_g, l1_ratio=0, gradient_tol=1e-14
    )
    model.fit(X, y, sample_weight=s if weighted else None)
    lam = cv.lambda_from_glmnet(lambda_g)
    assert lam == lambda_g
    w, b = _canonical_ridge(X, y, s, lam)
    np.testing.assert_allclose(model.coef_, w, rtol=1e-10, atol=1e-12 * np.abs(w).max())
    np.testing.assert_allclose(model.intercept_, b, rtol=1e-10, atol=1e-12)
    # and it is the same fit as sklearn's Ridge at the converted alpha
    ridge = Ridge(alpha=cv.convert(lambda_g, from_="glmnet", to="sklearn_ridge", n_w=s.sum()))
    ridge.fit(X, y, sample_weight=s)
    np.testing.assert_allclose(model.coef_, ridge.coef_, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("a", [0.25, 0.6, 1.0])
def test_glum_enet_is_canonical(a):
    glum = pytest.importorskip("glum")
    X, y, s = _regression_data(7, weighted=True, sparse=True)
    lambda_g = 0.3
    model = glum.GeneralizedLinearRegressor(
        family="normal", alpha=lambda_g, l1_ratio=a, gradient_tol=1e-14
    )
    model.fit(X, y, sample_weight=s)
    assert 0 < np.count_nonzero(model.coef_) < model.coef_.size
    lam, mix = cv.canonical_from_glmnet_enet(lambda_g, a)
    assert _enet_kkt_violation(X, y, s, lam, mix, model.coef_, model.intercept_) < 1e-9
    assert _enet_kkt_violation(X, y, s, lambda_g, a, model.coef_, model.intercept_) > 1e-2


def test_torch_and_keras_fixed_points_match_canonical_solution():
    """At the canonical minimizer the libraries' update directions vanish.

    PyTorch (coupled decay) steps along ∇mean_loss + wd·w; Keras along
    ∇(mean_loss + l·Σw²) = ∇mean_loss + 2l·w. Neither touches the bias.
    """
    X, y, s = _regression_data(8, weighted=False)
    lam = 0.21
    w, b = _canonical_ridge(X, y, s, lam)
    data_grad = _ridge_gradient(X, y, s, 0.0, w, b)  # gradient of the mean loss alone
    scale = np.abs(_ridge_gradient(X, y, s, 0.0, np.zeros_like(w), 0.0)).max()

    wd = cv.torch_weight_decay(lam)
    torch_step = data_grad + np.r_[wd * w, 0.0]
    assert np.abs(torch_step).max() < 1e-12 * scale
    assert cv.lambda_from_torch_weight_decay(wd) == lam

    l2 = cv.keras_l2(lam)
    keras_step = data_grad + np.r_[2.0 * l2 * w, 0.0]
    assert np.abs(keras_step).max() < 1e-12 * scale
    assert cv.lambda_from_keras_l2(l2) == lam


# --------------------------------------------------------------------------------------------
# values and algebra
# --------------------------------------------------------------------------------------------


def test_known_values():
    assert cv.lambda_from_sklearn_ridge(10.0, 100) == pytest.approx(0.1)
    assert cv.sklearn_ridge_alpha(0.1, 100) == pytest.approx(10.0)
    assert cv.lambda_from_sklearn_C(0.5, 100) == pytest.approx(0.01)
    assert cv.sklearn_C(0.01, 100) == pytest.approx(0.5)
    assert cv.lambda_from_sklearn_C(math.inf, 100) == 0.0
    assert cv.sklearn_C(0.0, 100) == math.inf
    assert cv.lambda_from_glmnet(0.3) == 0.3
    assert cv.glmnet_lambda(0.3) == 0.3
    assert cv.lambda_from_torch_weight_decay(1e-4) == 5e-5
    assert cv.torch_weight_decay(5e-5) == 1e-4
    assert cv.lambda_from_keras_l2(0.01) == 0.01
    assert cv.keras_l2(0.01) == 0.01
    assert cv.canonical_from_sklearn_enet(0.1, 1.0) == pytest.approx((0.2, 1.0))
    assert cv.canonical_from_sklearn_enet(0.1, 0.0) == pytest.approx((0.1, 0.0))
    assert cv.canonical_from_sklearn_enet(0.3, 0.5) == pytest.approx((0.45, 2.0 / 3.0))
    assert cv.sklearn_enet_from_canonical(0.45, 2.0 / 3.0) == pytest.approx((0.3, 0.5))
    assert cv.canonical_from_glmnet_enet(0.3, 0.0) == pytest.approx((cv.lambda_from_glmnet(0.3), 0))
    assert cv.glmnet_enet_from_canonical(0.2, 1.0) == pytest.approx((0.1, 1.0))


@settings(max_examples=200)
@given(
    alpha=st.floats(1e-6, 1e6),
    rho=st.floats(0.0, 1.0),
    w=st.lists(st.floats(-10, 10), min_size=1, max_size=6),
)
def test_enet_penalty_identity(alpha, rho, w):
    """Twice sklearn's penalty equals the canonical penalty at the converted (λ, mix)."""
    w = np.asarray(w)
    l1, l2 = np.abs(w).sum(), (w**2).sum()
    lam, mix = cv.canonical_from_sklearn_enet(alpha, rho)
    library = 2.0 * (alpha * rho * l1 + 0.5 * alpha * (1.0 - rho) * l2)
    canonical = lam * (mix * l1 + (1.0 - mix) * l2)
    assert canonical == pytest.approx(library, rel=1e-12, abs=1e-300)
    lam_g, mix_g = cv.canonical_from_glmnet_enet(alpha, rho)
    assert (lam_g, mix_g) == (lam, mix)


# --------------------------------------------------------------------------------------------
# round trips
# --------------------------------------------------------------------------------------------

_positive = st.floats(1e-8, 1e8)
_n_w = st.floats(1e-3, 1e9)


@settings(max_examples=300)
@given(pair=st.sampled_from(list(itertools.permutations(L2_NAMES, 2))), value=_positive, n_w=_n_w)
def test_convert_round_trip_every_pair(pair, value, n_w):
    a, b = pair
    there = cv.convert(value, from_=a, to=b, n_w=n_w)
    back = cv.convert(there, from_=b, to=a, n_w=n_w)
    assert isinstance(there, float)
    assert back == pytest.approx(value, rel=1e-13)


@settings(max_examples=200)
@given(name=st.sampled_from(L2_NAMES), value=_positive, n_w=_n_w)
def test_convert_matches_direct_functions(name, value, n_w):
    direct = {
        "canonical": (lambda v: v, lambda v: v),
        "sklearn_ridge": (
            lambda v: cv.lambda_from_sklearn_ridge(v, n_w),
            lambda v: cv.sklearn_ridge_alpha(v, n_w),
        ),
        "sklearn_C": (lambda v: cv.lambda_from_sklearn_C(v, n_w), lambda v: cv.sklearn_C(v, n_w)),
        "glmnet": (cv.lambda_from_glmnet, cv.glmnet_lambda),
        "torch_weight_decay": (cv.lambda_from_torch_weight_decay, cv.torch_weight_decay),
        "keras_l2": (cv.lambda_from_keras_l2, cv.keras_l2),
    }[name]
    assert cv.convert(value, from_=name, to="canonical", n_w=n_w) == direct[0](value)
    assert cv.convert(value, from_="canonical", to=name, n_w=n_w) == direct[1](value)
    assert cv.convert(value, from_=name, to=name, n_w=n_w) == value


@settings(max_examples=300)
@given(lam=_positive, n_w=_n_w)
def test_scalar_round_trips(lam, n_w):
    rel = 1e-14
    assert cv.lambda_from_sklearn_ridge(cv.sklearn_ridge_alpha(lam, n_w), n_w) == pytest.approx(
        lam, rel=rel
    )
    assert cv.lambda_from_sklearn_C(cv.sklearn_C(lam, n_w), n_w) == pytest.approx(lam, rel=rel)
    assert cv.lambda_from_glmnet(cv.glmnet_lambda(lam)) == lam
    assert cv.lambda_from_torch_weight_decay(cv.torch_weight_decay(lam)) == lam
    assert cv.lambda_from_keras_l2(cv.keras_l2(lam)) == lam


@settings(max_examples=300)
@given(alpha=st.one_of(st.just(0.0), st.floats(1e-300, 1e8)), rho=st.floats(0.0, 1.0))
def test_enet_round_trips(alpha, rho):
    for forward, backward in [
        (cv.canonical_from_sklearn_enet, cv.sklearn_enet_from_canonical),
        (cv.canonical_from_glmnet_enet, cv.glmnet_enet_from_canonical),
    ]:
        lam, mix = forward(alpha, rho)
        assert 0.0 <= mix <= 1.0
        alpha2, rho2 = backward(lam, mix)
        assert alpha2 == pytest.approx(alpha, rel=1e-14, abs=0.0)
        assert rho2 == pytest.approx(rho, rel=1e-14, abs=1e-300)
        # and starting from the canonical side
        lam2, mix2 = forward(*backward(alpha, rho))
        assert lam2 == pytest.approx(alpha, rel=1e-14, abs=0.0)
        assert mix2 == pytest.approx(rho, rel=1e-14, abs=1e-300)


def test_zero_and_infinite_strengths():
    for name in L2_NAMES:
        zero = cv.convert(0.0, from_="canonical", to=name, n_w=10.0)
        assert zero == (math.inf if name == "sklearn_C" else 0.0)
        assert cv.convert(zero, from_=name, to="canonical", n_w=10.0) == 0.0
    assert cv.convert(math.inf, from_="sklearn_C", to="sklearn_ridge", n_w=7.0) == 0.0


# --------------------------------------------------------------------------------------------
# vectorization and types
# --------------------------------------------------------------------------------------------


def test_vectorized_and_broadcasting():
    lam = np.array([0.0, 0.1, 2.0])
    n_w = np.array([[10.0], [50.0]])
    C = cv.sklearn_C(lam, n_w)
    assert isinstance(C, np.ndarray)
    assert C.shape == (2, 3)
    assert C.dtype == np.float64
    assert np.all(np.isinf(C[:, 0]))
    np.testing.assert_allclose(C[:, 1:], 1.0 / (2.0 * lam[1:] * n_w), rtol=1e-15)
    np.testing.assert_allclose(cv.lambda_from_sklearn_C(C, n_w), np.broadcast_to(lam, (2, 3)))

    alpha = cv.sklearn_ridge_alpha([0.5, 1.5], 4)
    np.testing.assert_array_equal(alpha, [2.0, 6.0])
    lam_e, mix_e = cv.canonical_from_sklearn_enet(np.array([1.0, 2.0]), 1.0)
    np.testing.assert_array_equal(lam_e, [2.0, 4.0])
    np.testing.assert_array_equal(mix_e, [1.0, 1.0])
    np.testing.assert_array_equal(
        cv.convert(np.array([1.0, 3.0]), from_="torch_weight_decay", to="keras_l2"), [0.5, 1.5]
    )


def test_scalars_give_python_floats_and_inputs_are_not_mutated():
    assert type(cv.lambda_from_sklearn_ridge(np.float32(2), 4)) is float
    assert type(cv.glmnet_lambda(1)) is float
    arr = np.array([1.0, 2.0])
    out = cv.keras_l2(arr)
    out[0] = 99.0
    np.testing.assert_array_equal(arr, [1.0, 2.0])


def test_no_runtime_warnings_on_edge_values():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cv.sklearn_C(np.array([0.0, 1.0]), 3.0)[0] == math.inf
        assert cv.lambda_from_sklearn_C(math.inf, 1e-3) == 0.0
        with pytest.raises(ValueError, match="not representable"):
            cv.lambda_from_sklearn_ridge(1e300, 1e-300)
        with pytest.raises(ValueError, match="not representable"):
            cv.sklearn_C(1e-310, 1e-10)
        with pytest.raises(ValueError, match="not representable"):
            cv.torch_weight_decay(1.5e308)


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------

_NAN, _INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("func", "args", "match"),
    [
        (cv.lambda_from_sklearn_ridge, (-1.0, 10.0), "alpha must be non-negative"),
        (cv.lambda_from_sklearn_ridge, (_NAN, 10.0), "alpha must not be NaN"),
        (cv.lambda_from_sklearn_ridge, (_INF, 10.0), "alpha must be finite"),
        (cv.lambda_from_sklearn_ridge, (1.0, 0.0), "n_w .* must be > 0"),
        (cv.lambda_from_sklearn_ridge, (1.0, -3.0), "n_w .* must be > 0"),
        (cv.lambda_from_sklearn_ridge, (1.0, _NAN), "n_w .* must not be NaN"),
        (cv.lambda_from_sklearn_ridge, (1.0, _INF), "n_w .* must be finite"),
        (cv.lambda_from_sklearn_ridge, (1.0, None), "n_w, the total sample weight"),
        (cv.lambda_from_sklearn_ridge, ([1.0, -2.0], 5.0), "alpha must be non-negative; got -2.0"),
        (cv.lambda_from_sklearn_ridge, ("ten", 5.0), "alpha must be a real number"),
        (cv.lambda_from_sklearn_ridge, (1 + 2j, 5.0), "alpha must be real-valued"),
        (cv.lambda_from_sklearn_ridge, (None, 5.0), "alpha is required"),
        (cv.sklearn_ridge_alpha, (-0.1, 10.0), "lam must be non-negative"),
        (cv.sklearn_ridge_alpha, (0.1, [10.0, 0.0]), "n_w .* must be > 0"),
        (cv.lambda_from_sklearn_C, (0.0, 10.0), "C must be strictly positive"),
        (cv.lambda_from_sklearn_C, (-1.0, 10.0), "C must be non-negative"),
        (cv.lambda_from_sklearn_C, (_NAN, 10.0), "C must not be NaN"),
        (cv.lambda_from_sklearn_C, (1.0, 0.0), "n_w .* must be > 0"),
        (cv.sklearn_C, (_INF, 10.0), "lam must be finite"),
        (cv.sklearn_C, (_NAN, 10.0), "lam must not be NaN"),
        (cv.sklearn_C, (0.1, -1.0), "n_w .* must be > 0"),
        (cv.canonical_from_sklearn_enet, (-1.0, 0.5), "alpha must be non-negative"),
        (cv.canonical_from_sklearn_enet, (1.0, 1.5), r"l1_ratio must lie in \[0, 1\]"),
        (cv.canonical_from_sklearn_enet, (1.0, _NAN), "l1_ratio must not be NaN"),
        (cv.sklearn_enet_from_canonical, (_INF, 0.5), "lam must be finite"),
        (cv.sklearn_enet_from_canonical, (1.0, -0.1), r"mix must lie in \[0, 1\]"),
        (cv.canonical_from_glmnet_enet, (-0.5, 0.5), "lambda_g must be non-negative"),
        (cv.canonical_from_glmnet_enet, (0.5, 2.0), r"a must lie in \[0, 1\]"),
        (cv.glmnet_enet_from_canonical, (0.5, _NAN), "mix must not be NaN"),
        (cv.lambda_from_glmnet, (_NAN,), "lambda_g must not be NaN"),
        (cv.glmnet_lambda, (-1.0,), "lam must be non-negative"),
        (cv.lambda_from_torch_weight_decay, (-1e-4,), "weight_decay must be non-negative"),
        (cv.lambda_from_torch_weight_decay, (_INF,), "weight_decay must be finite"),
        (cv.torch_weight_decay, (_NAN,), "lam must not be NaN"),
        (cv.lambda_from_keras_l2, (-0.01,), "l2 must be non-negative"),
        (cv.keras_l2, (np.array([0.1, _INF]),), "lam must be finite"),
    ],
)
def test_bad_input_raises(func, args, match):
    with pytest.raises(ValueError, match=match):
        func(*args)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"from_": "sklearn", "to": "canonical"}, "unknown convention 'sklearn' for from_"),
        ({"from_": "canonical", "to": "adamw"}, "unknown convention 'adamw' for to"),
        ({"from_": "sklearn_ridge", "to": "canonical"}, "n_w.*required.*sklearn_ridge"),
        ({"from_": "canonical", "to": "sklearn_C"}, "n_w.*required.*sklearn_C"),
        ({"from_": "sklearn_enet", "to": "canonical"}, "canonical_from_sklearn_enet"),
        ({"from_": "canonical", "to": "glmnet_enet"}, "glmnet_enet_from_canonical"),
        ({"from_": "keras_l2", "to": "glmnet", "n_w": 0.0}, "n_w .* must be > 0"),
    ],
)
def test_convert_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        cv.convert(1.0, **kwargs)


def test_convert_validates_value():
    with pytest.raises(ValueError, match="C must be strictly positive"):
        cv.convert(0.0, from_="sklearn_C", to="canonical", n_w=3.0)
    with pytest.raises(ValueError, match="weight_decay must be non-negative"):
        cv.convert(-1.0, from_="torch_weight_decay", to="torch_weight_decay")


# --------------------------------------------------------------------------------------------
# the table
# --------------------------------------------------------------------------------------------


def test_conventions_table():
    assert set(L2_NAMES) == {
        "canonical",
        "sklearn_ridge",
        "sklearn_C",
        "glmnet",
        "torch_weight_decay",
        "keras_l2",
    }
    assert {"sklearn_enet", "glmnet_enet"} <= set(cv.CONVENTIONS)
    for name, conv in cv.CONVENTIONS.items():
        assert conv.name == name
        assert conv.library
        assert conv.objective
        assert conv.formula
    # needs_n_w is accurate: exactly these conversions fail without it
    for name in L2_NAMES:
        if cv.CONVENTIONS[name].needs_n_w:
            with pytest.raises(ValueError, match="n_w"):
                cv.convert(1.0, from_=name, to="canonical")
        else:
            assert cv.convert(1.0, from_=name, to="canonical") > 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        cv.CONVENTIONS["canonical"].formula = "oops"
    with pytest.raises(TypeError):
        cv.CONVENTIONS["new"] = cv.CONVENTIONS["canonical"]
