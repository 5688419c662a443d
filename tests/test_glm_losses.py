"""GLM losses and the penalized GLM objective, checked by finite differences.

Every derivative is compared with central differences of the value it claims to differentiate:
the per-sample losses (ℓ', ℓ'', the multinomial K×K blocks and Hessian-vector products), the
objective ``f(W, b) = Σ ω_i ℓ(y_i, η_i) + λ‖W‖²`` of :class:`GLMProblem` (gradient and
Hessian-vector products), and the Newton direction of the eliminated-intercept
:class:`Curvature` against a Hessian formed explicitly.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit, logsumexp, softmax, xlogy

import glm_data
from ridgeline.losses import LOSSES, BinomialLoss, MultinomialLoss, PoissonLoss
from ridgeline.solvers.glm_problem import GLMProblem, kkt_norms, weighted_gram

KINDS = ["binomial", "multinomial", "poisson"]

#: The per-sample losses written straight from their definitions (no ridgeline code).
LOSS_REF = {
    "binomial": lambda y, eta: np.logaddexp(0.0, eta) - y * eta,
    "multinomial": lambda Y, E: logsumexp(E, axis=-1) - np.sum(Y * E, axis=-1),
    "poisson": lambda y, eta: 2.0 * (xlogy(y, y) - y * eta - y + np.exp(eta)),
}


def make_glm_data(kind: str, seed: int, n: int = 40, p: int = 4, **kw):
    """This file's default size of :func:`glm_data.make_glm_data`."""
    return glm_data.make_glm_data(kind, seed, n, p, **kw)


def n_out(kind: str, y: np.ndarray) -> int:
    return y.shape[1] if kind == "multinomial" else 1


def objective_ref(X, y, s, kind, W, b, lam, fit_intercept):
    """``Σ ω_i ℓ(y_i, x_iᵀW + b) + λ‖W‖²`` for one member: W (p, m), b (m,)."""
    X = X.toarray() if sp.issparse(X) else X
    E = X @ W + (b if fit_intercept else 0.0)
    eta = E if kind == "multinomial" else E[:, 0]
    om = s / s.sum()
    return float(om @ LOSS_REF[kind](y, eta) + lam * np.sum(W * W))


def fd_gradient(fun, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of a scalar function of an array."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        g[idx] = (fun(x + e) - fun(x - e)) / (2 * h)
    return g


def problem_gradient(problem, W, b, lam):
    eta = problem.linear(W, b)
    r, _ = problem.derivatives(eta)
    gW, gb = problem.loss_gradient(r)
    return gW + 2.0 * lam * W, gb


# ---------------------------------------------------------------------------------------------
# per-sample losses
# ---------------------------------------------------------------------------------------------


def test_loss_registry():
    assert set(LOSSES) == set(KINDS)
    assert (LOSSES["binomial"], LOSSES["multinomial"], LOSSES["poisson"]) == (
        BinomialLoss, MultinomialLoss, PoissonLoss)
    assert [LOSSES[k].multi for k in KINDS] == [False, True, False]
    assert [LOSSES[k].name for k in KINDS] == KINDS


def _scalar_cases(kind):
    if kind == "binomial":
        eta = np.linspace(-12.0, 12.0, 41)
        ys = [0.0, 1.0]
    else:
        eta = np.linspace(-5.0, 3.0, 33)
        ys = [0.0, 1.0, 2.5, 7.0]
    y = np.repeat(ys, eta.size)
    return y, np.tile(eta, len(ys))


@pytest.mark.parametrize("kind", ["binomial", "poisson"])
def test_scalar_loss_value_matches_definition(kind):
    loss = LOSSES[kind]
    y, eta = _scalar_cases(kind)
    np.testing.assert_allclose(loss.value(y, eta), LOSS_REF[kind](y, eta), rtol=1e-13,
                               atol=1e-13)


@pytest.mark.parametrize("kind", ["binomial", "poisson"])
def test_scalar_loss_derivatives_by_finite_differences(kind):
    loss = LOSSES[kind]
    y, eta = _scalar_cases(kind)
    h = 1e-5
    fp, f0, fm = loss.value(y, eta + h), loss.value(y, eta), loss.value(y, eta - h)
    d1_fd = (fp - fm) / (2 * h)
    g = loss.gradient(y, eta)
    np.testing.assert_allclose(g, d1_fd, rtol=1e-7, atol=1e-8)

    # ℓ'' from the second difference of the value ...
    h2 = 1e-4
    d2_fd = (loss.value(y, eta + h2) - 2 * f0 + loss.value(y, eta - h2)) / h2**2
    g2, hh = loss.derivatives(y, eta)
    np.testing.assert_allclose(hh, d2_fd, rtol=1e-5, atol=2e-6)
    # ... and, more tightly, from central differences of ℓ'
    d2_fd_g = (loss.gradient(y, eta + h) - loss.gradient(y, eta - h)) / (2 * h)
    np.testing.assert_allclose(hh, d2_fd_g, rtol=1e-8, atol=3e-11)
    np.testing.assert_array_equal(g2, g)
    assert np.all(hh >= 0)


def test_scalar_loss_closed_forms():
    eta = np.linspace(-6, 6, 13)
    for y in (0.0, 1.0):
        g, h = BinomialLoss.derivatives(np.full_like(eta, y), eta)
        np.testing.assert_allclose(g, expit(eta) - y, rtol=1e-15)
        np.testing.assert_allclose(h, expit(eta) * expit(-eta), rtol=1e-12)
    np.testing.assert_allclose(BinomialLoss.mean(eta), expit(eta))
    y = np.full_like(eta, 3.0)
    g, h = PoissonLoss.derivatives(y, eta)
    np.testing.assert_allclose(g, 2 * (np.exp(eta) - 3.0), rtol=1e-13)
    np.testing.assert_allclose(h, 2 * np.exp(eta), rtol=1e-13)
    np.testing.assert_allclose(PoissonLoss.mean(eta), np.exp(eta), rtol=1e-15)
    # the deviance is zero where the mean equals the count, and positive elsewhere
    counts = np.array([0.5, 1.0, 4.0, 11.0])
    np.testing.assert_allclose(PoissonLoss.value(counts, np.log(counts)), 0.0, atol=1e-14)
    assert np.all(PoissonLoss.value(counts, np.log(counts) + 0.1) > 0)
    assert PoissonLoss.value(np.array([0.0]), np.array([-3.0]))[0] == pytest.approx(
        2 * np.exp(-3.0), rel=1e-14)


def _multinomial_case(seed=0, n=7, K=4):
    rng = np.random.default_rng(seed)
    E = 2.0 * rng.normal(size=(n, K))
    Y = np.eye(K)[rng.integers(0, K, n)]
    return Y, E


def test_multinomial_value_and_gradient_by_finite_differences():
    Y, E = _multinomial_case()
    loss = MultinomialLoss
    np.testing.assert_allclose(loss.value(Y, E), LOSS_REF["multinomial"](Y, E), rtol=1e-14)
    h = 1e-5
    K = E.shape[1]
    fd = np.empty_like(E)
    for k in range(K):
        e = np.zeros(K)
        e[k] = h
        fd[:, k] = (loss.value(Y, E + e) - loss.value(Y, E - e)) / (2 * h)
    G = loss.gradient(Y, E)
    np.testing.assert_allclose(G, fd, rtol=1e-7, atol=1e-9)
    G2, P = loss.derivatives(Y, E)
    np.testing.assert_array_equal(G2, G)
    np.testing.assert_allclose(P, softmax(E, axis=1), rtol=1e-14)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(loss.mean(E), P, rtol=1e-15)
    np.testing.assert_allclose(G.sum(axis=1), 0.0, atol=1e-15)


def test_multinomial_hessian_blocks_by_finite_differences():
    Y, E = _multinomial_case(1)
    loss = MultinomialLoss
    n, K = E.shape
    _, P = loss.derivatives(Y, E)
    Hb = loss.hessian_blocks(P)
    assert Hb.shape == (n, K, K)
    # mixed second differences of the value
    h = 1e-4
    fd2 = np.empty((n, K, K))
    for k in range(K):
        for q in range(K):
            ek, eq = np.eye(K)[k] * h, np.eye(K)[q] * h
            fd2[:, k, q] = (loss.value(Y, E + ek + eq) - loss.value(Y, E + ek - eq)
                            - loss.value(Y, E - ek + eq) + loss.value(Y, E - ek - eq)) / (4 * h * h)
    np.testing.assert_allclose(Hb, fd2, atol=2e-7)
    # central differences of the gradient (tighter)
    h = 1e-6
    fd1 = np.empty((n, K, K))
    for q in range(K):
        eq = np.eye(K)[q] * h
        fd1[:, :, q] = (loss.gradient(Y, E + eq) - loss.gradient(Y, E - eq)) / (2 * h)
    np.testing.assert_allclose(Hb, fd1, atol=1e-9)
    # symmetric, positive semi-definite, rows summing to zero (the common-shift null space)
    np.testing.assert_allclose(Hb, Hb.transpose(0, 2, 1), atol=0)
    np.testing.assert_allclose(Hb.sum(axis=2), 0.0, atol=1e-15)
    assert np.linalg.eigvalsh(Hb).min() > -1e-15


def test_multinomial_hessian_times_by_finite_differences():
    Y, E = _multinomial_case(2, n=9, K=3)
    loss = MultinomialLoss
    _, P = loss.derivatives(Y, E)
    V = np.random.default_rng(3).normal(size=E.shape)
    HV = loss.hessian_times(P, V)
    np.testing.assert_allclose(HV, np.einsum("ikl,il->ik", loss.hessian_blocks(P), V),
                               rtol=1e-12, atol=1e-15)
    h = 1e-6
    fd = (loss.gradient(Y, E + h * V) - loss.gradient(Y, E - h * V)) / (2 * h)
    np.testing.assert_allclose(HV, fd, atol=1e-9)
    # batched leading axes (n, B, K) as the problem uses them
    P3, V3 = np.stack([P, P[::-1]], axis=1), np.stack([V, -V], axis=1)
    HV3 = loss.hessian_times(P3, V3)
    np.testing.assert_allclose(HV3[:, 0], HV, rtol=1e-15)
    np.testing.assert_allclose(HV3[:, 1], -loss.hessian_times(P[::-1], V), rtol=1e-15)


# ---------------------------------------------------------------------------------------------
# extreme linear predictors
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def strict():
    """No warnings of any kind and no overflow / invalid / divide (underflow to 0 is fine)."""
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        yield


def test_binomial_extreme_eta_is_finite_and_exact():
    eta = np.array([-800.0, -800.0, -50.0, 0.0, 50.0, 800.0, 800.0])
    y = np.array([0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0])
    with strict():
        v = BinomialLoss.value(y, eta)
        g, h = BinomialLoss.derivatives(y, eta)
        mu = BinomialLoss.mean(eta)
    for a in (v, g, h, mu):
        assert np.all(np.isfinite(a))
    np.testing.assert_allclose(v, [0.0, 800.0, 50.0, np.log(2.0), 50.0, 800.0, 0.0],
                               rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(g, [0.0, -1.0, -1.0, -0.5, 1.0, 1.0, 0.0], atol=1e-15)
    assert np.all(h >= 0) and h[0] == 0.0 and h[-1] == 0.0 and h[3] == 0.25


def test_multinomial_extreme_eta_is_finite_and_exact():
    E = np.array([[800.0, -800.0, 0.0],
                  [800.0, -800.0, 0.0],
                  [-800.0, -800.0, -800.0],
                  [800.0, 800.0, 0.0]])
    Y = np.eye(3)[[0, 1, 2, 2]]
    with strict():
        v = MultinomialLoss.value(Y, E)
        g, P = MultinomialLoss.derivatives(Y, E)
        HV = MultinomialLoss.hessian_times(P, np.ones_like(E))
        Hb = MultinomialLoss.hessian_blocks(P)
    for a in (v, g, P, HV, Hb):
        assert np.all(np.isfinite(a))
    np.testing.assert_allclose(v, [0.0, 1600.0, np.log(3.0), 800.0 + np.log(2.0)],
                               rtol=1e-14, atol=1e-12)  # 800·eps cancellation
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(HV, 0.0, atol=1e-15)  # common shift: no curvature


def test_poisson_extreme_eta_is_finite():
    eta = np.array([-800.0, -800.0, 0.0, 800.0, 800.0])
    y = np.array([0.0, 3.0, 1.0, 0.0, 5.0])
    with strict():
        v = PoissonLoss.value(y, eta)
        g, h = PoissonLoss.derivatives(y, eta)
        mu = PoissonLoss.mean(eta)
    for a in (v, g, h, mu):
        assert np.all(np.isfinite(a))
    np.testing.assert_allclose(v[:3], [0.0, 2 * (xlogy(3.0, 3.0) + 2400.0 - 3.0), 0.0],
                               atol=1e-12, rtol=1e-14)
    np.testing.assert_allclose(g[:3], [0.0, -6.0, 0.0], atol=1e-300)
    assert np.all(v >= 0) and np.all(h >= 0) and v[3] > 1e300


@pytest.mark.parametrize("kind", KINDS)
def test_null_eta_is_the_intercept_only_optimum(kind):
    _, y, s = make_glm_data(kind, 5, n=50)
    loss = LOSSES[kind]
    eta0 = loss.null_eta(y, s)
    E = np.broadcast_to(np.atleast_1d(eta0), (50, n_out(kind, y)))
    g = loss.gradient(y, E if loss.multi else E[:, 0])
    np.testing.assert_allclose(s @ g, 0.0, atol=1e-11)
    if loss.multi:
        assert abs(np.sum(eta0)) < 1e-12


# ---------------------------------------------------------------------------------------------
# the penalized objective of GLMProblem
# ---------------------------------------------------------------------------------------------


def _problem_and_point(kind, fit_intercept, sparse=None, seed=0, n=30, p=4):
    X, y, s = make_glm_data(kind, seed, n=n, p=p)
    s2 = s.copy()
    s2[::4] = 0.0  # a second member with held-out rows
    S = np.column_stack([s, s2])
    Xm = X if sparse is None else sparse(X)
    problem = GLMProblem(Xm, y, S, LOSSES[kind], fit_intercept)
    m = n_out(kind, y)
    rng = np.random.default_rng(seed + 100)
    W = 0.3 * rng.normal(size=(2, p, m))
    b = 0.3 * rng.normal(size=(2, m))
    return X, y, S, problem, W, b


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [None, sp.csr_matrix], ids=["dense", "csr"])
def test_objective_and_gradient_by_finite_differences(kind, fit_intercept, sparse):
    X, y, S, problem, W, b = _problem_and_point(kind, fit_intercept, sparse)
    lam = 0.07
    B, p, m = W.shape
    eta = problem.linear(W, b)
    assert eta.shape == (X.shape[0], B, m)
    f = problem.loss_value(eta) + lam * np.einsum("bpm,bpm->b", W, W)
    gW, gb = problem_gradient(problem, W, b, lam)
    assert gW.shape == (B, p, m) and gb.shape == (B, m)
    for j in range(B):
        ref = objective_ref(X, y, S[:, j], kind, W[j], b[j], lam, fit_intercept)
        assert f[j] == pytest.approx(ref, rel=1e-13)
        fdW = fd_gradient(lambda V, j=j: objective_ref(X, y, S[:, j], kind, V, b[j], lam,
                                                       fit_intercept), W[j])
        np.testing.assert_allclose(gW[j], fdW, atol=1e-8)
        if fit_intercept:
            fdb = fd_gradient(lambda c, j=j: objective_ref(X, y, S[:, j], kind, W[j], c, lam,
                                                           fit_intercept), b[j])
            np.testing.assert_allclose(gb[j], fdb, atol=1e-8)
        else:
            np.testing.assert_array_equal(gb[j], 0.0)
    # without an intercept b is ignored by the linear predictor
    if not fit_intercept:
        np.testing.assert_array_equal(problem.linear(W, b + 5.0), eta)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_hessian_times_by_finite_differences_of_gradient(kind, fit_intercept):
    _, _, _, problem, W, b = _problem_and_point(kind, fit_intercept, seed=1)
    lam = 0.05
    rng = np.random.default_rng(7)
    VW, vb = rng.normal(size=W.shape), rng.normal(size=b.shape)
    if not fit_intercept:
        vb = np.zeros_like(vb)
    _, h = problem.derivatives(problem.linear(W, b))
    HW, Hb = problem.hessian_times(h, VW, vb, lam)
    eps = 1e-6
    gWp, gbp = problem_gradient(problem, W + eps * VW, b + eps * vb, lam)
    gWm, gbm = problem_gradient(problem, W - eps * VW, b - eps * vb, lam)
    np.testing.assert_allclose(HW, (gWp - gWm) / (2 * eps), atol=1e-8)
    np.testing.assert_allclose(Hb, (gbp - gbm) / (2 * eps), atol=1e-8)


def full_hessian(problem, h, lam):
    """The penalized Hessian of member 0 in the packed (W, b) coordinates, column by column."""
    p, m = problem.n_features, problem.n_outputs
    d = p * m + (m if problem.fit_intercept else 0)
    H = np.empty((d, d))
    for i in range(d):
        e = np.zeros(d)
        e[i] = 1.0
        VW, vb = problem.unpack(e)
        HW, Hb = problem.hessian_times(h[:, :1], VW, vb, lam)
        H[:, i] = problem.pack(HW, Hb)
    return H


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [None, sp.csc_matrix], ids=["dense", "csc"])
def test_curvature_newton_direction_matches_full_hessian(kind, fit_intercept, sparse):
    X, y, S, _, W, b = _problem_and_point(kind, fit_intercept, seed=2)
    problem = GLMProblem(X if sparse is None else sparse(X), y, S[:, 0], LOSSES[kind],
                         fit_intercept)
    W, b = W[:1], b[:1]
    p, m = problem.n_features, problem.n_outputs
    _, h = problem.derivatives(problem.linear(W, b))
    curv = problem.curvature(h)
    for lam in (0.03, 1.7):
        H = full_hessian(problem, h, lam)
        np.testing.assert_allclose(H, H.T, atol=1e-14)
        gW, gb = problem_gradient(problem, W, b, lam)
        g = problem.pack(gW, gb)
        dW, db = curv.solve(lam, gW[0], gb[0])
        assert dW.shape == (p, m) and db.shape == (m,)
        d = problem.pack(dW[None], db[None])
        ref = -np.linalg.pinv(H, rcond=1e-12, hermitian=True) @ g
        dW_ref, db_ref = problem.unpack(ref)
        # W is identified; η = XW + b and the quadratic model g·d + ½ dᵀHd must agree
        np.testing.assert_allclose(dW, dW_ref[0], rtol=1e-9, atol=1e-11)
        Xd = X
        deta = Xd @ dW + (db if fit_intercept else 0.0)
        deta_ref = Xd @ dW_ref[0] + (db_ref[0] if fit_intercept else 0.0)
        np.testing.assert_allclose(deta, deta_ref, rtol=1e-9, atol=1e-11)
        model = g @ d + 0.5 * d @ H @ d
        assert model == pytest.approx(g @ ref + 0.5 * ref @ H @ ref, rel=1e-10)
        np.testing.assert_allclose(H @ d, -g, atol=1e-11)  # a true Newton step
        if not fit_intercept:
            np.testing.assert_array_equal(db, 0.0)
        elif kind == "multinomial":
            # the common intercept shift is free; the pseudo-inverse step takes none of it
            assert abs(db.sum()) < 1e-12
            np.testing.assert_allclose(db, db_ref[0], rtol=1e-9, atol=1e-11)
        else:
            np.testing.assert_allclose(db, db_ref[0], rtol=1e-9, atol=1e-11)
        # (S + 2λI)⁻¹ is the W-block of the (pseudo-)inverse Hessian
        Hinv = np.linalg.pinv(H, rcond=1e-12, hermitian=True)
        np.testing.assert_allclose(curv.inverse(lam), Hinv[: p * m, : p * m], rtol=1e-8,
                                   atol=1e-10)


@pytest.mark.parametrize("kind", ["binomial", "poisson"])
def test_curvature_schur_complement_closed_form(kind):
    """Scalar losses: S = Xᵀ D X − (Xᵀd)(Xᵀd)ᵀ / Σd with d = ω ℓ''(η)."""
    X, y, s = make_glm_data(kind, 3, n=25, p=3)
    problem = GLMProblem(X, y, s, LOSSES[kind], True)
    W = np.array([[[0.2], [-0.1], [0.3]]])
    b = np.array([[0.1]])
    eta = X @ W[0, :, 0] + b[0, 0]
    _, hh = LOSSES[kind].derivatives(y, eta)
    d = s / s.sum() * hh
    S_ref = X.T @ (d[:, None] * X) - np.outer(X.T @ d, X.T @ d) / d.sum()
    _, h = problem.derivatives(problem.linear(W, b))
    curv = problem.curvature(h)
    np.testing.assert_allclose((curv.V * curv.e) @ curv.V.T, S_ref, atol=1e-13)
    np.testing.assert_allclose(curv.inverse(0.2), np.linalg.inv(S_ref + 0.4 * np.eye(3)),
                               rtol=1e-10)


def test_curvature_sparse_matches_dense():
    X, y, s = make_glm_data("multinomial", 4, n=30, p=4)
    W = 0.2 * np.random.default_rng(0).normal(size=(1, 4, 3))
    b = np.array([[0.1, -0.2, 0.1]])
    curvs = []
    for Xm in (X, sp.csr_matrix(X), sp.csc_matrix(X)):
        problem = GLMProblem(Xm, y, s, MultinomialLoss, True)
        _, h = problem.derivatives(problem.linear(W, b))
        curvs.append(problem.curvature(h))
    for c in curvs[1:]:
        np.testing.assert_allclose(c.inverse(0.1), curvs[0].inverse(0.1), rtol=1e-10)
        np.testing.assert_allclose(c.Hwb, curvs[0].Hwb, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------------------------
# small helpers of the problem
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sparse", [None, sp.csr_matrix, sp.csc_matrix],
                         ids=["dense", "csr", "csc"])
def test_weighted_gram(sparse):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 5))
    w = rng.uniform(0, 2, 20)
    w[3] = 0.0
    Xm = X if sparse is None else sparse(X)
    np.testing.assert_allclose(weighted_gram(Xm, w), X.T @ (w[:, None] * X), rtol=1e-12)
    ws = rng.normal(size=20)  # signed weights (off-diagonal multinomial blocks)
    np.testing.assert_allclose(weighted_gram(Xm, ws, signed=True), X.T @ (ws[:, None] * X),
                               rtol=1e-11, atol=1e-13)


def test_kkt_norms():
    gW = np.array([[[0.1], [-0.3]], [[0.0], [0.2]]])
    gb = np.array([[0.05], [-0.7]])
    np.testing.assert_allclose(kkt_norms(gW, gb, True), [0.3, 0.7])
    np.testing.assert_allclose(kkt_norms(gW, gb, False), [0.3, 0.2])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_pack_unpack_single_zeros(kind, fit_intercept):
    _, y, S, problem, W, b = _problem_and_point(kind, fit_intercept)
    single = problem.single(1)
    assert single.n_batch == 1 and problem.n_batch == 2
    np.testing.assert_allclose(single.omega[:, 0], S[:, 1] / S[:, 1].sum(), rtol=1e-15)
    theta = single.pack(W[1:], b[1:])
    m = n_out(kind, y)
    assert theta.shape == (W[0].size + (m if fit_intercept else 0),)
    W2, b2 = single.unpack(theta)
    np.testing.assert_array_equal(W2, W[1:])
    np.testing.assert_array_equal(b2, b[1:] if fit_intercept else 0.0)
    eta = problem.linear(W, b)
    np.testing.assert_allclose(single.loss_value(eta[:, 1:]), problem.loss_value(eta)[1:],
                               rtol=1e-15)
    W0, b0 = problem.zeros()
    assert W0.shape == W.shape and not W0.any()
    if fit_intercept:
        for j in range(2):
            np.testing.assert_allclose(b0[j], problem.loss.null_eta(y, S[:, j]), rtol=1e-14)
    else:
        assert not b0.any()
