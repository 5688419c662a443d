"""The curvature side of the GLM engine: Cholesky vs eigen solves, float32 and shared Hessians.

A Newton step only needs a curvature: a Cholesky factor of ``S + 2λI`` per λ (or the
eigendecomposition), a Hessian formed in float32, or one Gram pass shared by the fold models
at their mean curvature. Each shortcut is tested against its exact definition here; that
the answers of the solvers do not change is tested where the solvers are (test_glm_solvers,
test_glm_alo).
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import KFold

from ridgeline.losses import BinomialLoss, PoissonLoss
from ridgeline.solvers.curvature import Curvature
from ridgeline.solvers.problem import GLMProblem
from ridgeline.stats.row_kernels import FAMILIES, eta_sums
from ridgeline.stats.shared_hessian import group_grams, group_order, shared_hessians


def _spd(d: int, seed: int, rank: int | None = None) -> np.ndarray:
    A = np.random.default_rng(seed).normal(size=(d, rank or d))
    return A @ A.T / d


@pytest.mark.parametrize("lam", [1e-6, 1e-2, 1.0])
@pytest.mark.parametrize("intercept", [False, True])
def test_cholesky_solve_equals_the_eigen_solve(lam, intercept):
    d = 12
    S = _spd(d, 0)
    Hwb = np.random.default_rng(1).normal(size=(d, 1)) if intercept else None
    Hbb = np.array([[2.0]]) if intercept else None
    gW, gb = np.random.default_rng(2).normal(size=(d, 1)), np.array([0.3])
    chol = Curvature.from_blocks(S + (Hwb @ Hwb.T / 2.0 if intercept else 0), Hwb, Hbb,
                                 intercept)
    eig = Curvature.from_blocks(chol.S + (Hwb @ Hwb.T / 2.0 if intercept else 0), Hwb, Hbb,
                                intercept)
    eig.e  # decomposed first: solves take the eigen route
    a, b = chol.solve(lam, gW, gb), eig.solve(lam, gW, gb)
    assert chol._chol and lam in chol._chol and chol._chol[lam] is not None
    np.testing.assert_allclose(a[0], b[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-9, atol=1e-12)
    # the direction solves the Newton system
    np.testing.assert_allclose((chol.S + 2 * lam * np.eye(d)) @ a[0][:, 0],
                               -(gW[:, 0] - (Hwb @ (chol.Hbb_pinv @ gb) if intercept else 0)),
                               rtol=1e-8, atol=1e-10)


def test_singular_curvature_at_zero_penalty_takes_the_pseudo_inverse():
    S = _spd(8, 3, rank=3)  # rank 3 of 8
    curv = Curvature(S=S, Hwb=None, Hbb_pinv=None)
    g = S @ np.ones(8)  # in the range of S
    dW, _ = curv.solve(0.0, g[:, None], np.zeros(1))
    assert curv._chol[0.0] is None  # no Cholesky of a singular matrix
    np.testing.assert_allclose(S @ dW[:, 0], -g, rtol=1e-8, atol=1e-10)


def _data(n=600, p=7, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ rng.normal(size=p)))).astype(float)
    return X, y, rng.uniform(0.5, 2.0, size=n)


@pytest.mark.parametrize("weighted", [False, True])
def test_shared_hessians_equal_exact_ones_at_a_common_point(weighted):
    """With every fold model at the same coefficients the mean curvature is each model's own,
    so the shared Gram pass gives exactly the models' Hessians."""
    X, y, s = _data()
    splits = list(KFold(4, shuffle=True, random_state=0).split(X))
    prob = GLMProblem.from_arrays(X, y, s if weighted else None, BinomialLoss(), True,
                                  splits=splits)
    W = np.tile(np.random.default_rng(5).normal(size=(1, 7, 1)) * 0.3, (4, 1, 1))
    b = np.full((4, 1), 0.2)
    exact = prob.run_pass(W, b, np.arange(4), 4, True)
    src = prob.source
    ids = src.fold_ids(4)
    _, h = BinomialLoss.derivatives(y, X @ W[0, :, 0] + 0.2)
    A = group_grams(X, h * src.weights, *group_order(ids, int(ids.max()) + 1))
    train, _ = src.roles(np.arange(4), 4)
    Hww, Hwb, Hbb = shared_hessians(A, train)
    np.testing.assert_allclose(Hww, exact.hess_ww, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Hwb, exact.hess_wb, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Hbb, exact.hess_bb, rtol=1e-12)
    shared = prob.run_pass(W, b, np.arange(4), 4, "shared")  # float32 products
    scale = np.abs(exact.hess_ww).max()
    assert np.abs(shared.hess_ww - exact.hess_ww).max() <= 1e-5 * scale
    assert np.abs(shared.hess_bb - exact.hess_bb).max() <= 1e-5 * np.abs(exact.hess_bb).max()
    # the gradient of a curvature pass stays exact
    np.testing.assert_allclose(shared.grad_w, exact.grad_w, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(shared.loss, exact.loss, rtol=1e-14)


def test_shared_hessian_is_the_mean_curvature_gram_when_models_differ():
    X, y, _ = _data(n=300, p=4, seed=1)
    splits = list(KFold(3, shuffle=True, random_state=1).split(X))
    prob = GLMProblem.from_arrays(X, y, None, BinomialLoss(), True, splits=splits)
    W = np.random.default_rng(2).normal(size=(3, 4, 1)) * 0.5
    b = np.array([[0.1], [-0.2], [0.3]])
    r = prob.run_pass(W, b, np.arange(3), 3, "shared")
    eta = X @ W[:, :, 0].T + b[:, 0]
    hbar = (BinomialLoss.derivatives(y[:, None], eta)[1]).mean(axis=1)
    for k, (tr, _) in enumerate(splits):
        ref = X[tr].T @ (X[tr] * hbar[tr, None])
        assert np.abs(r.hess_ww[k] - ref).max() <= 1e-5 * np.abs(ref).max()
        np.testing.assert_allclose(r.hess_bb[k], hbar[tr].sum(), rtol=1e-5)


def test_own_curvature_pass_is_float32_close_and_true_is_exact():
    X, y, s = _data(n=500, p=6, seed=3)
    prob = GLMProblem.from_arrays(X, y, s, PoissonLoss(), True)
    W, b = np.full((1, 6, 1), 0.05), np.array([[0.1]])
    exact = prob.run_pass(W, b, np.array([-1]), 1, True)
    mu = np.exp(X @ W[0, :, 0] + 0.1)
    ref = X.T @ (X * (s * 2 * mu)[:, None])
    np.testing.assert_allclose(exact.hess_ww[0], ref, rtol=1e-12)
    own = prob.run_pass(W, b, np.array([-1]), 1, "own")
    assert 0 < np.abs(own.hess_ww[0] - ref).max() <= 1e-5 * np.abs(ref).max()


@pytest.mark.parametrize("family", ["binomial", "poisson"])
@pytest.mark.parametrize("weighted", [False, True])
def test_eta_sums_kernel_equals_its_definition(family, weighted):
    rng = np.random.default_rng(7)
    m, B = 9000, 3  # more rows than one partial-sum block
    eta = rng.normal(size=(m, B)) * 3
    y = (rng.random(m) < 0.4).astype(float) if family == "binomial" else rng.poisson(2.0, m)
    y = np.asarray(y, dtype=float)
    tw = rng.uniform(0, 2, size=(m, B)) * (rng.random((m, B)) < 0.8)
    hw = rng.uniform(0, 2, size=(m, B)) * (tw == 0)
    loss = BinomialLoss() if family == "binomial" else PoissonLoss()
    sums, GT, HT = eta_sums(np.ascontiguousarray(eta.T), y, tw.T if weighted else
                            np.empty((B, 0)), hw.T if weighted else np.empty((B, 0)), weighted,
                            FAMILIES[family], float(getattr(loss, "eta_max", np.inf)), True)
    G, H = GT.T, HT.T
    val = loss.value(y[:, None], eta)
    g, h = loss.derivatives(y[:, None], eta)
    T = tw if weighted else np.ones((m, B))
    np.testing.assert_allclose(sums[0], T.sum(axis=0), rtol=1e-13)
    np.testing.assert_allclose(sums[1], (T * val).sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(sums[2], (T * g).sum(axis=0), rtol=1e-11, atol=1e-10)
    np.testing.assert_allclose(G, T * g, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(H, T * h, rtol=1e-12, atol=1e-15)
    if weighted:
        correct = (eta > 0) == (y[:, None] > 0.5)
        np.testing.assert_allclose(sums[3], hw.sum(axis=0), rtol=1e-13)
        np.testing.assert_allclose(sums[4], (hw * val).sum(axis=0), rtol=1e-12)
        np.testing.assert_allclose(sums[5], (hw * correct).sum(axis=0), rtol=1e-13)
    else:
        assert not sums[3:].any()


def test_a_pass_refuses_a_loss_it_has_no_row_loop_for():
    from ridgeline.losses import MultinomialLoss
    from ridgeline.stats import ArraySource

    X, y, _ = _data(n=50, p=3)
    with pytest.raises(TypeError, match="binomial or Poisson loss, got MultinomialLoss"):
        ArraySource(X, y).glm_pass(MultinomialLoss(), np.zeros((1, 3)), np.zeros(1),
                                   np.array([-1]), 1)
