"""The compiled row loops of the passes (ridgeline.stats.row_kernels) against their NumPy
definitions: the same sums, the same NaN/inf check, the same answers through a source."""

import numpy as np
import pytest

import ridgeline.stats.batch_glm as S
from ridgeline import LogisticRegression, PoissonRegressor
from ridgeline.losses import BinomialLoss, PoissonLoss
from ridgeline.stats import ArraySource
from ridgeline.stats.batch import Batch
from ridgeline.stats.batch_glm import batch_glm_stats
from ridgeline.stats.batch_moments import batch_fold_moments
from ridgeline.stats.moments import FoldMomentsAccumulator
from ridgeline.stats.row_kernels import column_sums, gradient_sums
from ridgeline.stats.source import SourceError


class _Labeled(BinomialLoss):
    """A binomial loss on two labels, as the estimators build for y ∈ {-1, 5}."""

    def encode(self, y):
        return (np.asarray(y) == 5.0).astype(np.float64)


def _numpy_route(monkeypatch, *args, **kw):
    with monkeypatch.context() as m:
        m.setattr(S, "_compiled_pass_applies", lambda *a: False)
        return batch_glm_stats(*args, **kw)


def _batch(X, y):
    return Batch(X, y, np.zeros(X.shape[0], dtype=np.int64), "part 0", 0)


def _rel(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.mark.parametrize("B", [1, 3])
@pytest.mark.parametrize("family", ["binomial", "labeled", "poisson"])
def test_compiled_gradient_pass_equals_numpy_route(monkeypatch, family, B):
    """Loss, gradient and intercept gradient of B models equal the blocked NumPy route's to
    rounding, over more rows than one partial-sum block, with |η| up to ~40."""
    rng = np.random.default_rng(1)
    m, p = 9000, 7
    X = rng.normal(size=(m, p))
    if family == "poisson":
        loss, y = PoissonLoss(), rng.poisson(3.0, m).astype(float)
        scale = 0.3
    elif family == "labeled":
        loss, y = _Labeled(), rng.choice([-1.0, 5.0], m)
        scale = 5.0
    else:
        loss, y = BinomialLoss(), (rng.random(m) < 0.4).astype(float)
        scale = 5.0
    W = rng.normal(size=(B, p)) * scale
    b = rng.normal(size=B)
    held = -np.ones(B, dtype=np.int64)
    assert S._compiled_pass_applies(X, loss, held, False, None)
    fast = batch_glm_stats(_batch(X, y), loss, W, b, held, False)
    slow = _numpy_route(monkeypatch, _batch(X, y), loss, W, b, held, False)
    for name in ("loss", "grad_w", "grad_b"):
        assert _rel(getattr(fast, name), getattr(slow, name)) < 1e-12, name
    np.testing.assert_array_equal(fast.sw, slow.sw)
    assert fast.hess_ww is None


def test_poisson_overflow_is_capped_like_the_loss(monkeypatch):
    """η beyond the cap: the compiled pass caps it before exp, as PoissonLoss does."""
    X = np.array([[800.0], [1.0], [-3.0]])
    y = np.array([1.0, 0.0, 2.0])
    args = (_batch(X, y), PoissonLoss(), np.ones((1, 1)), np.zeros(1), np.array([-1]), False)
    fast = batch_glm_stats(*args)
    slow = _numpy_route(monkeypatch, *args)
    assert np.isfinite(fast.loss).all()
    assert _rel(fast.loss, slow.loss) < 1e-14 and _rel(fast.grad_w, slow.grad_w) < 1e-14


def test_routes_that_need_numpy_still_agree(monkeypatch):
    """Weights, held-out folds, Hessians, float32 or column-major rows take the NumPy route;
    the compiled pass is only used where it computes the same thing."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(500, 4))
    held = np.array([-1])
    loss = BinomialLoss()
    assert not S._compiled_pass_applies(X, loss, held, True, None)
    assert not S._compiled_pass_applies(X, loss, held, False, np.ones(500))
    assert not S._compiled_pass_applies(X, loss, np.array([0]), False, None)
    assert not S._compiled_pass_applies(X.astype(np.float32), loss, held, False, None)
    assert not S._compiled_pass_applies(np.asfortranarray(X), loss, held, False, None)
    y = (rng.random(500) < 0.5).astype(float)
    W, b = rng.normal(size=(1, 4)), np.zeros(1)
    F = batch_glm_stats(_batch(np.asfortranarray(X), y), loss, W, b, held, False)
    C = batch_glm_stats(_batch(X, y), loss, W, b, held, False)
    assert _rel(F.grad_w, C.grad_w) < 1e-12 and _rel(F.loss, C.loss) < 1e-12


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("w", [0.0, 1.0])
def test_compiled_pass_finds_a_non_finite_feature(bad, w):
    """A NaN or ±inf feature makes the compiled sums non-finite — even where its coefficient
    is zero (NaN·0, inf·0 are NaN) — and the pass then names the column and row."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(6000, 3))
    X[4321, 1] = bad
    y = (rng.random(6000) < 0.5).astype(float)
    W = np.array([[0.5, w, -0.2]])
    check = (["a", "b", "c"], "partition 7", "partition row")
    with pytest.raises(SourceError, match=r"partition 7: column 'b' .* first at partition row "
                                          r"4321"):
        batch_glm_stats(_batch(X, y), BinomialLoss(), W, np.zeros(1), np.array([-1]), False,
                        check=check)
    for loss, yy in [(PoissonLoss(), np.ones(6000))]:
        with pytest.raises(SourceError, match="column 'b'"):
            batch_glm_stats(_batch(X, yy), loss, W, np.zeros(1), np.array([-1]), False,
                            check=check)


def test_column_sums_and_raw_gram_moments():
    """Column sums and Xᵀy equal NumPy's; the one-fold moments built with them equal the
    explicit centered sums."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(10000, 6)) + 0.5
    y = X @ rng.normal(size=6) + rng.normal(size=10000)
    S_, c = column_sums(X, y)
    assert _rel(S_, X.sum(axis=0)) < 1e-13 and _rel(c, X.T @ y) < 1e-13
    sx, sy = X[:100].mean(axis=0), np.array([y[:100].mean()])
    acc = FoldMomentsAccumulator(1, sx, sy)
    batch_fold_moments(acc, _batch(X, y))
    total, _ = acc.result()
    Xc, yc = X - sx, y - sy[0]
    assert _rel(total.G, Xc.T @ Xc) < 1e-12
    assert _rel(total.C[:, 0], Xc.T @ yc) < 1e-12
    assert _rel(total.sx, Xc.sum(axis=0)) < 1e-10


def test_kernel_direct_call_shapes():
    """gradient_sums returns (B,), (B, p), (B,) for B models."""
    X = np.arange(12.0).reshape(4, 3) / 10
    y = np.array([0.0, 1.0, 1.0, 0.0])
    loss, g, gb = gradient_sums(X, y, np.zeros((2, 3)), np.zeros(2), 0, np.inf)
    assert loss.shape == (2,) and g.shape == (2, 3) and gb.shape == (2,)
    # at η = 0 every row's loss is log 2 and its slope 1/2 − y
    np.testing.assert_allclose(loss, 4 * np.log(2.0), rtol=1e-15)
    np.testing.assert_allclose(gb, 0.0, atol=1e-15)
    np.testing.assert_allclose(g[0], (0.5 - y) @ X, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("Est", [LogisticRegression, PoissonRegressor])
def test_source_fits_match_in_memory_through_compiled_passes(Est):
    """Fits on an array source (whose gradient-only passes are compiled) equal the
    in-memory fits."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(4000, 5))
    eta = X @ rng.normal(size=5) * 0.5
    if Est is LogisticRegression:
        y = (rng.random(4000) < 1 / (1 + np.exp(-eta))).astype(float)
        est = Est(C=0.5, tol=1e-10)
    else:
        y = rng.poisson(np.exp(eta)).astype(float)
        est = Est(alpha=0.01, tol=1e-10)
    ref = Est(**est.get_params()).fit(X, y)
    src = est.fit(ArraySource(X, y, batch_rows=700))
    np.testing.assert_allclose(src.coef_, ref.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(src.intercept_, ref.intercept_, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("B,C,scale", [(1, 3, 0.5), (2, 5, 30.0), (1, 2, 1.0)])
def test_compiled_softmax_pass_equals_numpy_route(B, C, scale):
    """The gradient-only softmax pass (unit weights, no held-out rows) by the compiled loop
    equals the NumPy route (forced here with explicit unit weights), including scores whose
    exponentials underflow (|η| in the hundreds)."""
    from ridgeline.stats.multinomial import batch_multinomial_stats

    rng = np.random.default_rng(6)
    m, p = 9000, 6
    X = rng.normal(size=(m, p))
    lab = rng.integers(0, C, m)
    fold = np.zeros(m, dtype=np.int64)
    W = rng.normal(size=(B, p, C)) * scale
    b = rng.normal(size=(B, C))
    held = -np.ones(B, dtype=np.int64)
    fast = batch_multinomial_stats(X, lab, fold, W, b, held, False)
    slow = batch_multinomial_stats(X, lab, fold, W, b, held, False, weights=np.ones(m))
    assert np.isfinite(fast.loss).all()
    assert _rel(fast.loss, slow.loss) < 1e-12 and _rel(fast.grad, slow.grad) < 1e-12
    np.testing.assert_array_equal(fast.sw, slow.sw)
    np.testing.assert_array_equal(fast.held_sw, 0.0)
    # accumulating into an existing result adds, as the NumPy route does
    again = batch_multinomial_stats(X, lab, fold, W, b, held, False, out=fast)
    assert again is fast and _rel(fast.loss, 2 * slow.loss) < 1e-12
