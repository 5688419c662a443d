"""GLM losses and the penalized GLM objective, checked by finite differences.

Every derivative is compared with central differences of the value it claims to differentiate:
the per-sample losses (ℓ', ℓ'', the multinomial K×K blocks and Hessian-vector products), the
loss, gradient and Hessian sums of a source pass (read through the solvers' model,
``make_model(problem, held_out, K).loss_gradient`` / ``.curvature``) against the objective
``f(W, b) = (1/n_w) Σ s_i ℓ(y_i, η_i) + λ‖W‖²`` computed here from X, y and s, and the Newton
direction of the eliminated-intercept :class:`Curvature` against a Hessian formed from the
formulas.

Ported to the one engine of commit 9ac2026. Dropped, with the code they tested:

- ``GLMProblem.hessian_times`` (Newton-CG's and the trust region's Hessian-vector product;
  removed with them): the property it certified — the Hessian is the derivative of the
  gradient — is now tested on the pass's Hessian sums;
- ``weighted_gram`` (the in-memory Gram helper; passes form the Hessians now): "sparse X
  gives the dense Hessian" is tested on the pass's sums and curvatures;
- ``GLMProblem.pack`` / ``unpack`` / ``single`` / ``linear`` / ``derivatives`` (the in-memory
  problem's internals): a member of a pass is checked against the same member in a batch,
  and the null start against ``loss.null_eta``. Without an intercept the solvers keep b at 0
  (the pass itself takes b as given), so the "b is ignored" check went with ``linear``.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit, softmax, xlogy

import glm_data
from glm_data import FULL, LOSS_REF, hessian_ref, objective_ref, problem_of, reference_point
from ridgeline.losses import LOSSES, BinomialLoss, MultinomialLoss, PoissonLoss
from ridgeline.solvers.curvature import kkt_norms
from ridgeline.solvers.glm_models import make_model

KINDS = ["binomial", "multinomial", "poisson"]


def make_glm_data(kind: str, seed: int, n: int = 40, p: int = 4, **kw):
    """This file's default size of :func:`glm_data.make_glm_data`."""
    return glm_data.make_glm_data(kind, seed, n, p, **kw)


def n_out(kind: str, y: np.ndarray) -> int:
    return y.shape[1] if kind == "multinomial" else 1


def fd_gradient(fun, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of a scalar function of an array."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        g[idx] = (fun(x + e) - fun(x - e)) / (2 * h)
    return g


def fd_hessian(fun, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Mixed central second differences of a scalar function of a vector."""
    d = x.size
    H = np.empty((d, d))
    E = np.eye(d) * h
    for i in range(d):
        for k in range(i, d):
            H[i, k] = H[k, i] = (fun(x + E[i] + E[k]) - fun(x + E[i] - E[k])
                                 - fun(x - E[i] + E[k]) + fun(x - E[i] - E[k])) / (4 * h * h)
    return H


def pack(W: np.ndarray, b: np.ndarray, fit_intercept: bool) -> np.ndarray:
    """θ = (W (p, m) row-major, b (m,)) (no b without an intercept): the Curvature's order."""
    return np.concatenate([W.ravel(), b.ravel()]) if fit_intercept else W.ravel().copy()


def unpack(theta: np.ndarray, p: int, m: int, fit_intercept: bool):
    W = theta[: p * m].reshape(p, m)
    b = theta[p * m:].reshape(m) if fit_intercept else np.zeros(m)
    return W, b


def pass_gradient(problem, W, b, lam, held_out=FULL, hessian=False):
    """``(r, [(f_j, gW_j (p, m), gb_j (m,))])``: one pass at (W (B, p, m), b (B, m)) read by
    the solvers' model, the penalty added."""
    r = problem.run_pass(W, b, held_out, 1, hessian)
    model = make_model(problem, held_out, 1)
    lam = np.broadcast_to(lam, (W.shape[0],))
    out = []
    for j in range(W.shape[0]):
        loss, gW, gb = model.loss_gradient(r, j)
        out.append((loss + lam[j] * float(np.sum(W[j] * W[j])), gW + 2.0 * lam[j] * W[j], gb))
    return r, out


def pass_hessian(problem, r, j: int, lam: float) -> np.ndarray:
    """Member j's penalized Hessian in θ (see :func:`pack`) from the pass's Hessian sums."""
    sw = float(r.sw[j])
    if problem.multi:
        Hww, Hwb, Hbb = (a / sw for a in r.hessian_blocks(j))
    else:
        Hww = r.hess_ww[j] / sw
        Hwb, Hbb = (r.hess_wb[j] / sw)[:, None], np.array([[r.hess_bb[j] / sw]])
    d = Hww.shape[0]
    Hww = Hww + 2.0 * lam * np.eye(d)
    if not problem.fit_intercept:
        return Hww
    return np.block([[Hww, Hwb], [Hwb.T, Hbb]])


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
# the penalized objective of a pass
# ---------------------------------------------------------------------------------------------

#: Two members: the full data and a model trained without every fourth row.
HELD = np.array([-1, 0])


def _problem_and_point(kind, fit_intercept, sparse=None, seed=0, n=30, p=4):
    X, y, s = make_glm_data(kind, seed, n=n, p=p)
    test = np.arange(0, n, 4)
    train = np.setdiff1d(np.arange(n), test)
    s2 = s.copy()
    s2[test] = 0.0  # the second member's training weights
    S = np.column_stack([s, s2])
    Xm = X if sparse is None else sparse(X)
    problem = problem_of(kind, Xm, y, s, fit_intercept, splits=[(train, test)])
    m = n_out(kind, y)
    rng = np.random.default_rng(seed + 100)
    W = 0.3 * rng.normal(size=(2, p, m))
    b = 0.3 * rng.normal(size=(2, m)) if fit_intercept else np.zeros((2, m))
    return X, y, S, problem, W, b


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [None, sp.csr_matrix], ids=["dense", "csr"])
def test_pass_objective_and_gradient_by_finite_differences(kind, fit_intercept, sparse):
    X, y, S, problem, W, b = _problem_and_point(kind, fit_intercept, sparse)
    lam = 0.07
    B, p, m = W.shape
    r, members = pass_gradient(problem, W, b, lam, HELD)
    for j in range(B):
        f, gW, gb = members[j]
        assert gW.shape == (p, m) and gb.shape == (m,)
        assert r.sw[j] == pytest.approx(S[:, j].sum(), rel=1e-14)
        E = X @ W[j] + b[j]
        assert r.loss[j] == pytest.approx(S[:, j] @ glm_data.per_sample(kind, y, E), rel=1e-13)
        ref = objective_ref(kind, X, y, S[:, j], W[j], b[j], lam, fit_intercept)
        assert f == pytest.approx(ref, rel=1e-13)
        fdW = fd_gradient(lambda V, j=j: objective_ref(kind, X, y, S[:, j], V, b[j], lam,
                                                       fit_intercept), W[j])
        np.testing.assert_allclose(gW, fdW, atol=1e-8)
        if fit_intercept:
            fdb = fd_gradient(lambda c, j=j: objective_ref(kind, X, y, S[:, j], W[j], c, lam,
                                                           fit_intercept), b[j])
            np.testing.assert_allclose(gb, fdb, atol=1e-8)
        else:
            np.testing.assert_array_equal(gb, 0.0)
        # the held-out member's held-out sums: the rows its training weights leave out
        te = S[:, j] == 0
        assert r.held_sw[j] == pytest.approx(S[te, 0].sum(), rel=1e-14, abs=0)
        assert r.held_loss[j] == pytest.approx(
            S[te, 0] @ glm_data.per_sample(kind, y[te], E[te]), rel=1e-13, abs=0)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [None, sp.csr_matrix], ids=["dense", "csr"])
def test_pass_hessian_by_finite_differences(kind, fit_intercept, sparse):
    """The Hessian sums of a pass (with the penalty) against central differences of the pass's
    gradient, second differences of the objective, and the formula."""
    X, y, S, problem, W, b = _problem_and_point(kind, fit_intercept, sparse, seed=1)
    lam = 0.05
    B, p, m = W.shape
    r, _ = pass_gradient(problem, W, b, lam, HELD, hessian=True)
    for j in range(B):
        H = pass_hessian(problem, r, j, lam)
        np.testing.assert_allclose(H, H.T, atol=1e-14)
        theta = pack(W[j], b[j], fit_intercept)

        def grad(t, j=j):
            Wt, bt = unpack(t, p, m, fit_intercept)
            _, out = pass_gradient(problem, Wt[None], bt[None], lam, HELD[j:j + 1])
            return pack(out[0][1], out[0][2], fit_intercept)

        eps = 1e-6
        fd1 = np.column_stack([(grad(theta + eps * e) - grad(theta - eps * e)) / (2 * eps)
                               for e in np.eye(theta.size)])
        np.testing.assert_allclose(H, fd1, atol=1e-8)
        fd2 = fd_hessian(lambda t, j=j: objective_ref(
            kind, X, y, S[:, j], *unpack(t, p, m, fit_intercept), lam, fit_intercept), theta)
        np.testing.assert_allclose(H, fd2, atol=1e-6)
        np.testing.assert_allclose(H, hessian_ref(kind, X, y, S[:, j], W[j], b[j], lam,
                                                  fit_intercept), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [None, sp.csc_matrix], ids=["dense", "csc"])
def test_curvature_newton_direction_matches_full_hessian(kind, fit_intercept, sparse):
    X, y, S, _, W, b = _problem_and_point(kind, fit_intercept, seed=2)
    s = S[:, 0]
    problem = problem_of(kind, X if sparse is None else sparse(X), y, s, fit_intercept)
    W, b = W[:1], b[:1]
    p, m = problem.n_features, problem.n_outputs
    r = problem.run_pass(W, b, FULL, 1, True)
    curv = make_model(problem, FULL, 1).curvature(r, 0)
    for lam in (0.03, 1.7):
        H = hessian_ref(kind, X, y, s, W[0], b[0], lam, fit_intercept)
        np.testing.assert_allclose(H, H.T, atol=1e-14)
        _, gW, gb = reference_point(kind, X, y, s, W[0], b[0], lam, fit_intercept)
        g = pack(gW, gb, fit_intercept)
        dW, db = curv.solve(lam, gW, gb)
        assert dW.shape == (p, m) and db.shape == (m,)
        d = pack(dW, db, fit_intercept)
        ref = -np.linalg.pinv(H, rcond=1e-12, hermitian=True) @ g
        dW_ref, db_ref = unpack(ref, p, m, fit_intercept)
        # W is identified; η = XW + b and the quadratic model g·d + ½ dᵀHd must agree
        np.testing.assert_allclose(dW, dW_ref, rtol=1e-9, atol=1e-11)
        deta = X @ dW + (db if fit_intercept else 0.0)
        deta_ref = X @ dW_ref + (db_ref if fit_intercept else 0.0)
        np.testing.assert_allclose(deta, deta_ref, rtol=1e-9, atol=1e-11)
        model = g @ d + 0.5 * d @ H @ d
        assert model == pytest.approx(g @ ref + 0.5 * ref @ H @ ref, rel=1e-10)
        np.testing.assert_allclose(H @ d, -g, atol=1e-11)  # a true Newton step
        if not fit_intercept:
            np.testing.assert_array_equal(db, 0.0)
        elif kind == "multinomial":
            # the common intercept shift is free; the pseudo-inverse step takes none of it
            assert abs(db.sum()) < 1e-12
            np.testing.assert_allclose(db, db_ref, rtol=1e-9, atol=1e-11)
        else:
            np.testing.assert_allclose(db, db_ref, rtol=1e-9, atol=1e-11)
        # (S + 2λI)⁻¹ is the W-block of the (pseudo-)inverse Hessian
        Hinv = np.linalg.pinv(H, rcond=1e-12, hermitian=True)
        np.testing.assert_allclose(curv.inverse(lam), Hinv[: p * m, : p * m], rtol=1e-8,
                                   atol=1e-10)


@pytest.mark.parametrize("kind", ["binomial", "poisson"])
def test_curvature_schur_complement_closed_form(kind):
    """Scalar losses: S = Xᵀ D X − (Xᵀd)(Xᵀd)ᵀ / Σd with d = ω ℓ''(η)."""
    X, y, s = make_glm_data(kind, 3, n=25, p=3)
    problem = problem_of(kind, X, y, s, True)
    W = np.array([[[0.2], [-0.1], [0.3]]])
    b = np.array([[0.1]])
    eta = X @ W[0, :, 0] + b[0, 0]
    _, hh = LOSSES[kind].derivatives(y, eta)
    d = s / s.sum() * hh
    S_ref = X.T @ (d[:, None] * X) - np.outer(X.T @ d, X.T @ d) / d.sum()
    r = problem.run_pass(W, b, FULL, 1, True)
    curv = make_model(problem, FULL, 1).curvature(r, 0)
    np.testing.assert_allclose((curv.V * curv.e) @ curv.V.T, S_ref, atol=1e-13)
    np.testing.assert_allclose(curv.inverse(0.2), np.linalg.inv(S_ref + 0.4 * np.eye(3)),
                               rtol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_curvature_sparse_matches_dense(kind):
    """CSR, CSC and float32 X give the dense float64 Hessian sums and curvature."""
    X, y, s = make_glm_data(kind, 4, n=30, p=4)
    X = X.astype(np.float32).astype(np.float64)  # values a float32 copy holds exactly
    m = n_out(kind, y)
    rng = np.random.default_rng(0)
    W = 0.2 * rng.normal(size=(1, 4, m))
    b = 0.1 * rng.normal(size=(1, m))
    curvs, hess = [], []
    for Xm in (X, sp.csr_matrix(X), sp.csc_matrix(X), X.astype(np.float32),
               sp.csr_matrix(X.astype(np.float32))):
        problem = problem_of(kind, Xm, y, s, True)
        r = problem.run_pass(W, b, FULL, 1, True)
        curvs.append(make_model(problem, FULL, 1).curvature(r, 0))
        hess.append(pass_hessian(problem, r, 0, 0.0))
    for c, H in zip(curvs[1:], hess[1:], strict=True):
        np.testing.assert_allclose(H, hess[0], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(c.inverse(0.1), curvs[0].inverse(0.1), rtol=1e-10)
        np.testing.assert_allclose(c.Hwb, curvs[0].Hwb, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------


def test_kkt_norms():
    gW = np.array([[[0.1], [-0.3]], [[0.0], [0.2]]])
    gb = np.array([[0.05], [-0.7]])
    np.testing.assert_allclose(kkt_norms(gW, gb, True), [0.3, 0.7])
    np.testing.assert_allclose(kkt_norms(gW, gb, False), [0.3, 0.2])
    # softmax shapes (B, p, C) and (B, C)
    gW3 = np.zeros((2, 3, 4))
    gW3[1, 2, 3] = -0.4
    gb3 = np.array([[0.0, 0.1, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(kkt_norms(gW3, gb3, True), [0.1, 0.4])
    np.testing.assert_allclose(kkt_norms(gW3, gb3, False), [0.0, 0.4])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_member_alone_and_null_start(kind, fit_intercept):
    """A member in a pass of its own is the same member of a batch; the null start is W = 0
    and, with an intercept, each member's best constant on its training rows (binary and
    Poisson; the softmax starts at b = 0)."""
    _, y, S, problem, W, b = _problem_and_point(kind, fit_intercept)
    r2, both = pass_gradient(problem, W, b, 0.0, HELD)
    r1, alone = pass_gradient(problem, W[1:], b[1:], 0.0, HELD[1:])
    assert r1.sw[0] == pytest.approx(r2.sw[1], rel=1e-15)
    assert alone[0][0] == pytest.approx(both[1][0], rel=1e-13)
    np.testing.assert_allclose(alone[0][1], both[1][1], rtol=1e-12, atol=1e-15)
    W0, b0 = glm_data.null_start(problem, HELD, 1)
    assert W0.shape == W.shape and b0.shape == b.shape and not W0.any()
    if fit_intercept and kind != "multinomial":
        for j in range(2):
            np.testing.assert_allclose(b0[j], problem.loss.null_eta(y, S[:, j]), rtol=1e-14)
    else:
        assert not b0.any()
