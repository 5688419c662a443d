"""The penalties of ``ridgeline.penalties``: values, proximal operators, subdifferentials, λ_max.

Every reference here is written from the definitions:

- elastic net ``P(w) = Σ_j f_j (α|w_j| + (1-α) w_j²)`` (optionally with ``w ≥ 0``),
- group lasso ``P(w) = Σ_g ω_g ‖w_g‖₂`` (``ω_g = √|g|`` by default),
- Tikhonov ``P(w) = wᵀMw`` for a symmetric PSD ``M``,

and the proximal operators are checked against a generic minimizer of
``½‖w - v‖² + t·P(w)`` (scipy.optimize on a smooth splitting ``w = u⁺ - u⁻`` for the L1 part),
against the optimality condition ``v - w ∈ t·∂P(w)``, and against perturbations.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from ridgeline.penalties import ElasticNetPenalty, GroupPenalty, TikhonovPenalty, adaptive_weights
from ridgeline.penalties.elastic_net import check_factors, check_mix

# ---------------------------------------------------------------------------------------------
# generic references
# ---------------------------------------------------------------------------------------------


def _enet_value_ref(w, mix, f, nonneg=False) -> float:
    if nonneg and np.any(w < 0):
        return np.inf
    return float(sum(fj * (mix * abs(x) + (1 - mix) * x * x) for x, fj in zip(w, f, strict=True)))


def _group_value_ref(w, groups, weights) -> float:
    return float(sum(om * np.sqrt(sum(w[j] ** 2 for j in g))
                     for g, om in zip(groups, weights, strict=True)))


def _prox_enet_ref(v, t, mix, f, nonneg):
    """argmin ½‖w - v‖² + t·P(w) by L-BFGS-B on ``w = u - z`` with ``u, z ≥ 0`` (smooth)."""
    p = v.size
    a, b = t * mix * f, 2 * t * (1 - mix) * f

    def fun(x):
        u, z = x[:p], x[p:]
        w = u - z
        val = 0.5 * np.sum((w - v) ** 2) + a @ (u + z) + 0.5 * b @ (w * w)
        gw = (w - v) + b * w
        return val, np.concatenate([gw + a, -gw + a])

    bounds = [(0, None)] * p + [(0, 0) if nonneg else (0, None)] * p
    res = minimize(fun, np.zeros(2 * p), jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000})
    return res.x[:p] - res.x[p:]


def _prox_objective(penalty, v, t, w) -> float:
    return 0.5 * float(np.sum((w - v) ** 2)) + t * penalty.value(w)


# ---------------------------------------------------------------------------------------------
# elastic net
# ---------------------------------------------------------------------------------------------

RNG_V = np.random.default_rng(0).normal(size=9) * 2.0
FACTORS = np.array([1.0, 0.0, 2.5, 0.3, 1.0, 4.0, 0.7, 1.0, 0.0])


@pytest.mark.parametrize("mix", [0.0, 0.35, 1.0])
@pytest.mark.parametrize("nonneg", [False, True])
def test_enet_value_matches_definition(mix, nonneg):
    pen = ElasticNetPenalty.make(mix, 9, FACTORS, nonneg=nonneg)
    w = np.abs(RNG_V) if nonneg else RNG_V
    assert pen.value(w) == pytest.approx(_enet_value_ref(w, mix, FACTORS), rel=1e-14)
    if nonneg:
        assert pen.value(RNG_V) == np.inf
    assert pen.value(np.zeros(9)) == 0.0


@pytest.mark.parametrize("mix", [0.0, 0.35, 1.0])
@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_enet_coefficients_reproduce_scaled_penalty(mix, scale):
    pen = ElasticNetPenalty.make(mix, 9, FACTORS)
    lam = 0.83
    a, b = pen.coefficients(lam, scale)
    w = RNG_V
    split = a @ np.abs(w) + 0.5 * b @ (w * w)
    assert split == pytest.approx(scale * lam * pen.value(w), rel=1e-14)
    # the unpenalized features carry no weight at all
    assert np.all(a[FACTORS == 0] == 0) and np.all(b[FACTORS == 0] == 0)


@pytest.mark.parametrize("mix", [0.0, 0.35, 1.0])
@pytest.mark.parametrize("nonneg", [False, True])
@pytest.mark.parametrize("t", [0.05, 0.6, 3.0])
def test_enet_prox_is_the_argmin(mix, nonneg, t):
    pen = ElasticNetPenalty.make(mix, 9, FACTORS, nonneg=nonneg)
    w = pen.prox(RNG_V, t)
    ref = _prox_enet_ref(RNG_V, t, mix, FACTORS, nonneg)
    np.testing.assert_allclose(w, ref, atol=1e-6)
    # the exact zeros are exactly zero (soft thresholding), not just small
    a = t * mix * FACTORS
    thresholded = (RNG_V if nonneg else np.abs(RNG_V)) <= a
    assert np.all(w[thresholded] == 0.0)
    assert np.all(w[~thresholded] != 0.0)
    # no nearby point does better (strong convexity: strictly worse)
    best = _prox_objective(pen, RNG_V, t, w)
    rng = np.random.default_rng(1)
    for _ in range(50):
        other = w + 1e-3 * rng.normal(size=9)
        if nonneg:
            other = np.maximum(other, 0.0)
        assert _prox_objective(pen, RNG_V, t, other) > best


@pytest.mark.parametrize("mix", [0.35, 1.0])
@pytest.mark.parametrize("nonneg", [False, True])
def test_enet_subdiff_distance_zero_exactly_at_prox(mix, nonneg):
    # w = prox(v, t) minimizes ½‖w - v‖² + t·P: gradient of the smooth part is w - v, λ = t
    pen = ElasticNetPenalty.make(mix, 9, FACTORS, nonneg=nonneg)
    t = 0.6
    w = pen.prox(RNG_V, t)
    dist = pen.subdiff_distance(w, w - RNG_V, t)
    assert dist.shape == (9,)
    assert np.max(dist) <= 1e-13
    # moved off the optimum, every coordinate's residual is what it should be by hand
    w2 = w + 0.1
    g = w2 - RNG_V
    a, b = pen.coefficients(t)
    d2 = pen.subdiff_distance(w2, g, t)
    gg = g + b * w2
    expected = np.abs(gg + a * np.sign(w2))
    np.testing.assert_allclose(d2, expected, rtol=1e-13, atol=1e-15)
    assert np.all(d2[FACTORS > 0] > 0)


def test_enet_subdiff_distance_at_zero():
    pen = ElasticNetPenalty.make(1.0, 3, [1.0, 2.0, 1.0])
    g = np.array([0.5, -1.5, 3.0])
    # at w = 0 the residual is max(|g| - λ f, 0)
    np.testing.assert_allclose(pen.subdiff_distance(np.zeros(3), g, 1.0), [0.0, 0.0, 2.0])
    pos = ElasticNetPenalty.make(1.0, 3, [1.0, 2.0, 1.0], nonneg=True)
    # under w ≥ 0 only a descent direction into w > 0 counts: -g ≤ λ f
    np.testing.assert_allclose(pos.subdiff_distance(np.zeros(3), -g, 1.0), [0.0, 0.0, 2.0])
    np.testing.assert_allclose(pos.subdiff_distance(np.zeros(3), g, 1.0), [0.0, 0.0, 0.0])


@pytest.mark.parametrize("nonneg", [False, True])
@pytest.mark.parametrize("mix", [0.4, 1.0])
def test_enet_lambda_max_is_the_exact_threshold(nonneg, mix):
    # prox with identity smooth part: w = 0 is optimal for ½‖w - v‖² + λP iff λ ≥ λ_max(-v)
    pen = ElasticNetPenalty.make(mix, 9, FACTORS, nonneg=nonneg)
    v = RNG_V.copy()
    v[FACTORS == 0] = 0.0  # unpenalized coordinates: their own fit is 0 at the null model
    lam_max = pen.lambda_max(-v)
    g_abs = np.maximum(v, 0) if nonneg else np.abs(v)
    pen_mask = FACTORS > 0
    assert lam_max == pytest.approx(np.max(g_abs[pen_mask] / (mix * FACTORS[pen_mask])),
                                    rel=1e-14)
    assert np.all(pen.prox(v, lam_max) == 0.0)
    assert np.count_nonzero(pen.prox(v, lam_max * (1 - 1e-6))) == 1


def test_enet_lambda_max_edge_cases():
    ridge = ElasticNetPenalty.make(0.0, 3)
    assert ridge.lambda_max(np.array([0.1, 0.0, 0.0])) == np.inf
    assert ridge.lambda_max(np.zeros(3)) == 0.0
    pen = ElasticNetPenalty.make(1.0, 3, [0.0, 1.0, 1.0])
    # the gradient of an unpenalized feature does not count
    assert pen.lambda_max(np.array([100.0, 0.5, -2.0])) == pytest.approx(2.0)
    pos = ElasticNetPenalty.make(1.0, 3, nonneg=True)
    # under w ≥ 0 a positive gradient (pushing w below 0) never activates a feature
    assert pos.lambda_max(np.array([3.0, -0.5, 1.0])) == pytest.approx(0.5)
    assert pos.lambda_max(np.array([3.0, 0.5, 1.0])) == 0.0


# ---------------------------------------------------------------------------------------------
# group lasso
# ---------------------------------------------------------------------------------------------

GROUPS = [[0, 1, 2], [3], [4, 5], [6, 7, 8, 9]]


def test_group_specs_agree():
    by_index = GroupPenalty.make(GROUPS, 10)
    labels = ["a", "a", "a", "b", "c", "c", "d", "d", "d", "d"]
    by_label = GroupPenalty.make(labels, 10)
    for g1, g2 in zip(by_index.groups, by_label.groups, strict=True):
        np.testing.assert_array_equal(g1, g2)
    np.testing.assert_allclose(by_index.weights, np.sqrt([3, 1, 2, 4]))
    by_size = GroupPenalty.make(2, 10)
    assert by_size.n_groups == 5
    np.testing.assert_array_equal(by_size.groups[3], [6, 7])
    np.testing.assert_allclose(by_size.weights, np.full(5, np.sqrt(2)))
    # labels in order of first appearance, not sorted
    shuffled = GroupPenalty.make([2, 0, 2, 1], 4)
    np.testing.assert_array_equal(shuffled.groups[0], [0, 2])
    np.testing.assert_array_equal(shuffled.groups[1], [1])
    idx, ptr = by_index.flat()
    np.testing.assert_array_equal(idx, np.arange(10))
    np.testing.assert_array_equal(ptr, [0, 3, 4, 6, 10])


def test_group_value_matches_definition():
    w = np.append(RNG_V, 0.7)
    pen = GroupPenalty.make(GROUPS, 10, weights=[1.0, 0.0, 2.0, 0.5])
    assert pen.value(w) == pytest.approx(_group_value_ref(w, GROUPS, [1.0, 0.0, 2.0, 0.5]),
                                         rel=1e-14)
    default = GroupPenalty.make(GROUPS, 10)
    assert default.value(w) == pytest.approx(
        _group_value_ref(w, GROUPS, np.sqrt([3, 1, 2, 4])), rel=1e-14)


@pytest.mark.parametrize("t", [0.1, 0.5, 1.5])
def test_group_prox_is_the_argmin(t):
    v = np.concatenate([RNG_V, [0.4]])
    pen = GroupPenalty.make(GROUPS, 10)
    w = pen.prox(v, t)
    # optimality: per group either ‖v_g‖ ≤ tω_g and w_g = 0, or v_g - w_g = tω_g w_g/‖w_g‖
    for g, om in zip(pen.groups, pen.weights, strict=True):
        nv = np.linalg.norm(v[g])
        if nv <= t * om:
            assert np.all(w[g] == 0.0)
        else:
            assert np.linalg.norm(w[g]) > 0
            np.testing.assert_allclose(v[g] - w[g], t * om * w[g] / np.linalg.norm(w[g]),
                                       atol=1e-14)
    # and no nearby point does better
    best = _prox_objective(pen, v, t, w)
    rng = np.random.default_rng(2)
    for _ in range(100):
        assert _prox_objective(pen, v, t, w + 1e-3 * rng.normal(size=10)) > best
    assert np.max(pen.subdiff_distance(w, w - v, t)) <= 1e-13


def test_group_prox_zeroes_some_groups_and_not_others():
    v = np.array([0.1, 0.1, 0.1, 5.0, 0.2, -0.1, 3.0, 0.0, 0.0, 0.0])
    pen = GroupPenalty.make(GROUPS, 10)
    w = pen.prox(v, 0.5)
    norms = pen.norms(w)
    assert norms[0] == 0.0 and norms[2] == 0.0
    assert norms[1] == pytest.approx(5.0 - 0.5) and norms[3] == pytest.approx(3.0 - 0.5 * 2)


def test_group_lambda_max_and_subdiff():
    pen = GroupPenalty.make(GROUPS, 10, weights=[1.0, 2.0, 0.0, 1.0])
    g = np.arange(10.0) - 4.0
    expected = max(np.linalg.norm(g[[0, 1, 2]]) / 1.0, abs(g[3]) / 2.0,
                   np.linalg.norm(g[6:]) / 1.0)
    assert pen.lambda_max(g) == pytest.approx(expected, rel=1e-14)
    d = pen.subdiff_distance(np.zeros(10), g, expected)
    # group 2 is unpenalized: its whole gradient is a residual at w = 0
    assert d[2] == pytest.approx(np.linalg.norm(g[4:6]))
    assert np.max(d[[0, 1, 3]]) <= 1e-13
    d_below = pen.subdiff_distance(np.zeros(10), g, expected * (1 - 1e-6))
    assert np.max(d_below[[0, 1, 3]]) > 0


@pytest.mark.parametrize(
    ("groups", "match"),
    [
        ([[0, 1, 2], [2, 3], [4, 5]], "overlap"),
        ([[0, 1], [3, 4, 5]], "cover"),
        ([[0, 1, 2], [3, 4, 5, 6]], "outside"),
        ([[0, 1, 2], [], [3, 4, 5]], "empty"),
        ([[0, 0, 1], [2, 3, 4, 5]], "twice"),
        (4, "multiple"),
        ([0, 0, 1], "one label per feature"),
        (None, "required"),
    ],
)
def test_group_bad_specs_raise(groups, match):
    with pytest.raises(ValueError, match=match):
        GroupPenalty.make(groups, 6)


def test_group_bad_weights_raise():
    with pytest.raises(ValueError, match="one value per group"):
        GroupPenalty.make(GROUPS, 10, weights=[1.0, 1.0])
    with pytest.raises(ValueError, match="non-negative"):
        GroupPenalty.make(GROUPS, 10, weights=[1.0, -1.0, 1.0, 1.0])


# ---------------------------------------------------------------------------------------------
# Tikhonov
# ---------------------------------------------------------------------------------------------


def _psd(p, seed=3, rank=None):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(p, rank or p))
    return A @ A.T


def test_tikhonov_value_gradient_prox():
    M = _psd(5, rank=3)
    pen = TikhonovPenalty.make(M, 5)
    w = RNG_V[:5]
    assert pen.value(w) == pytest.approx(float(w @ M @ w), rel=1e-13)
    # gradient by central differences
    eps = 1e-6
    fd = np.array([(pen.value(w + eps * e) - pen.value(w - eps * e)) / (2 * eps)
                   for e in np.eye(5)])
    np.testing.assert_allclose(pen.gradient(w), fd, rtol=1e-7)
    # prox: w - v + t·2Mw = 0
    t = 0.3
    out = pen.prox(w, t)
    np.testing.assert_allclose(out - w + t * pen.gradient(out), 0.0, atol=1e-13)
    assert np.max(pen.subdiff_distance(out, out - w, t)) <= 1e-13
    diag = TikhonovPenalty.diagonal([1.0, 0.0, 2.0])
    assert diag.value(np.array([1.0, 5.0, 1.0])) == pytest.approx(3.0)
    assert pen.lambda_max(np.array([0.0, 1e-3, 0, 0, 0])) == np.inf
    assert pen.lambda_max(np.zeros(5)) == 0.0


def test_tikhonov_bad_matrix_raises():
    M = _psd(4)
    asym = M.copy()
    asym[0, 1] += 0.5
    with pytest.raises(ValueError, match="symmetric"):
        TikhonovPenalty.make(asym, 4)
    indefinite = M - 2.0 * np.linalg.eigvalsh(M)[-1] * np.outer(np.ones(4), np.ones(4)) / 4
    assert np.linalg.eigvalsh(indefinite)[0] < -1e-3
    with pytest.raises(ValueError, match="positive semi-definite"):
        TikhonovPenalty.make(indefinite, 4)
    with pytest.raises(ValueError, match="shape"):
        TikhonovPenalty.make(M, 5)
    bad = M.copy()
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        TikhonovPenalty.make(bad, 4)
    with pytest.raises(ValueError, match="1-d array"):
        TikhonovPenalty.diagonal([1.0, -1.0])
    # a PSD matrix with a zero eigenvalue (a difference penalty) is accepted
    D = np.diff(np.eye(5), axis=0)
    TikhonovPenalty.make(D.T @ D, 5)


# ---------------------------------------------------------------------------------------------
# adaptive weights and validation helpers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0])
def test_adaptive_weights_values(gamma):
    beta = np.array([0.5, -2.0, 1.0, 4.0])
    f = adaptive_weights(beta, gamma)
    raw = np.abs(beta) ** (-gamma)
    np.testing.assert_allclose(f, raw / raw.mean(), rtol=1e-14)
    assert f.mean() == pytest.approx(1.0)


def test_adaptive_weights_zero_pilot():
    beta = np.array([0.5, 0.0, 2.0])
    f = adaptive_weights(beta, 1.0)
    finite = np.array([2.0, 0.5])
    np.testing.assert_allclose(f[[0, 2]], finite / finite.mean(), rtol=1e-14)
    assert f[1] == pytest.approx(1e12 * f[0], rel=1e-12)
    g = adaptive_weights(beta, 2.0, eps=0.1)
    raw = np.array([4.0, 100.0, 0.25])
    np.testing.assert_allclose(g, raw / raw.mean(), rtol=1e-14)
    with pytest.raises(ValueError, match="every pilot coefficient is zero"):
        adaptive_weights(np.zeros(3))
    with pytest.raises(ValueError, match="gamma"):
        adaptive_weights(beta, 0.0)
    with pytest.raises(ValueError, match="NaN"):
        adaptive_weights(np.array([1.0, np.nan]))


def test_check_factors_and_mix():
    np.testing.assert_array_equal(check_factors(None, 3), np.ones(3))
    np.testing.assert_array_equal(check_factors([0, 1, 2], 3), [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="one value per feature"):
        check_factors([1.0, 1.0], 3)
    with pytest.raises(ValueError, match="non-negative"):
        check_factors([1.0, -0.1, 1.0], 3)
    with pytest.raises(ValueError, match="finite"):
        check_factors([1.0, np.inf, 1.0], 3)
    assert check_mix(0.25) == 0.25
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match=r"l1_ratio must lie in \[0, 1\]"):
            check_mix(bad)
    with pytest.raises(ValueError, match="must be a number"):
        check_mix("half")
    with pytest.raises(ValueError, match="mix"):
        ElasticNetPenalty.make(1.2, 3)
