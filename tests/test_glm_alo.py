"""GLM λ selection: approximate leave-one-out against n refits, and K-fold against fold refits.

ALO (Rad & Maleki 2020) estimates refitting without sample i *at the same C*: the summed loss
keeps its penalty ``n_w λ ‖W‖²``, so in the canonical (mean-loss) convention the exact refit uses
``λ_i = λ · n_w / (n_w − s_i)``. The exact leave-one-out fits here are just that: member i of
one batch trains on every row but i (a split per sample), at its own λ_i.

Ported to the one engine of commit 9ac2026 (``alo_predictors`` / ``alo_glm`` now live in
``ridgeline.selection.glm_alo``; ``kfold_glm(problem, lambdas, alphas, scorer, splits=,
labels=, classes=, fixed_C=)``; multinomial targets are class indices). Nothing was dropped:
the Hessian that the one-Newton-step definition used to form with the removed
``GLMProblem.hessian_times`` is now formed from the formulas (``glm_data.hessian_ref``).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit, softmax
from sklearn import metrics
from sklearn.model_selection import KFold, ShuffleSplit, TimeSeriesSplit
from threadpoolctl import threadpool_limits

from glm_data import (
    cold_fit,
    dense,
    eta_derivatives,
    hessian_ref,
    linear,
    per_sample,
    problem_of,
)
from ridgeline.losses import LOSSES
from ridgeline.path.glm_path import glm_path
from ridgeline.selection.glm_alo import alo_glm, alo_predictors
from ridgeline.selection.glm_scoring import resolve_glm_scorer
from ridgeline.selection.glm_select import kfold_glm
from ridgeline.solvers.glm_fit import fit as glm_fit

KINDS = ["binomial", "multinomial", "poisson"]


def make_data(kind: str, seed: int, n: int, p: int, K: int = 3, weighted: bool = False):
    """Standard normal features, targets drawn from a moderately informative model."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    if kind == "binomial":
        y = (rng.uniform(size=n) < expit(X @ rng.normal(size=p) * 0.4 + 0.2)).astype(float)
    elif kind == "multinomial":
        P = softmax(X @ rng.normal(size=(p, K)) * 0.4, axis=1)
        lab = (rng.uniform(size=(n, 1)) > np.cumsum(P, axis=1)).sum(axis=1)
        y = np.eye(K)[np.minimum(lab, K - 1)]
    else:
        y = rng.poisson(np.exp(X @ rng.normal(size=p) * 0.15 + 0.3)).astype(float)
    s = rng.uniform(0.5, 2.0, n) if weighted else np.ones(n)
    return X, y, s


def full_fit(kind, X, y, s, lam, fit_intercept=True):
    problem = problem_of(kind, X, y, s, fit_intercept)
    fit = cold_fit(problem, lam, "newton", tol=1e-10)
    assert fit.converged[0]
    return problem, fit


def exact_loo_eta(kind, X, y, s, lam, fit, fit_intercept=True):
    """η of sample i from the fit without sample i at the same C: λ_i = λ n_w / (n_w − s_i).

    All n refits are one batch: member i trains on every row but i (its own split) at its own
    λ_i, warm-started at the full-data solution. Many tiny factorizations: one BLAS thread is
    much faster than several here.
    """
    with threadpool_limits(limits=1):
        return _exact_loo_eta(kind, X, y, s, lam, fit, fit_intercept)


def _exact_loo_eta(kind, X, y, s, lam, fit, fit_intercept):
    n = X.shape[0]
    nw = s.sum()
    lam_i = lam * nw / (nw - s)
    rows = np.arange(n)
    splits = [(np.delete(rows, i), rows[i:i + 1]) for i in range(n)]
    batch = problem_of(kind, X, y, s, fit_intercept, splits=splits)
    loo = glm_fit(batch, lam_i, np.repeat(fit.coef, n, axis=0),
                  np.repeat(fit.intercept, n, axis=0), rows, n, solver="newton", tol=1e-9)
    assert loo.converged.all()
    return np.einsum("ip,ipm->im", X, loo.coef) + loo.intercept


# ---------------------------------------------------------------------------------------------
# ALO against n exact refits (n = 300, p = 20)
# ---------------------------------------------------------------------------------------------

ALO_CASES = [
    ("binomial", 1e-3), ("binomial", 1e-2), ("binomial", 1e-1),
    ("multinomial", 3e-3), ("multinomial", 3e-2), ("multinomial", 3e-1),
    ("poisson", 1e-3), ("poisson", 1e-2), ("poisson", 1e-1),
]


@pytest.mark.parametrize(("kind", "lam"), ALO_CASES)
def test_alo_matches_exact_leave_one_out(kind, lam):
    X, y, s = make_data(kind, 7, n=300, p=20)
    problem, fit = full_fit(kind, X, y, s, lam)
    eta_alo, dof = alo_predictors(problem, fit.coef, fit.intercept, lam)
    assert eta_alo.shape == (300, problem.n_outputs)
    eta_loo = exact_loo_eta(kind, X, y, s, lam, fit)
    l_alo, l_loo = per_sample(kind, y, eta_alo), per_sample(kind, y, eta_loo)
    assert np.mean(np.abs(l_alo - l_loo)) <= 0.01 * np.mean(l_loo)
    assert np.mean(l_alo) == pytest.approx(np.mean(l_loo), rel=0.01)
    # leave-one-out is pessimistic against the training loss
    l_train = per_sample(kind, y, linear(X, fit.coef[0], fit.intercept[0]))
    assert np.mean(l_alo) > np.mean(l_train)
    bound = (21 * 2 if kind == "multinomial" else 21)
    assert 0 < dof < bound


@pytest.mark.parametrize("kind", KINDS)
def test_alo_matches_exact_leave_one_out_weighted(kind):
    """Unequal weights: each refit has its own λ_i = λ n_w / (n_w − s_i)."""
    X, y, s = make_data(kind, 8, n=300, p=20, weighted=True)
    lam = 0.01
    problem, fit = full_fit(kind, X, y, s, lam)
    eta_alo, _ = alo_predictors(problem, fit.coef, fit.intercept, lam)
    eta_loo = exact_loo_eta(kind, X, y, s, lam, fit)
    l_alo, l_loo = per_sample(kind, y, eta_alo), per_sample(kind, y, eta_loo)
    assert (s @ np.abs(l_alo - l_loo)) / s.sum() <= 0.01 * (s @ l_loo) / s.sum()


def _one_newton_step_loo(kind, X, y, s, fit, lam, fit_intercept):
    """The definition ALO rests on: one exact Newton step on ``f − ω_i ℓ_i`` from the full
    solution, for every i, with the Hessian formed from the formulas (pseudo-inverse for the
    free common intercept shift of multinomial)."""
    X = dense(X)
    n, p = X.shape
    W, b = fit.coef[0], fit.intercept[0]
    m = W.shape[1]
    d = p * m + (m if fit_intercept else 0)
    H = hessian_ref(kind, X, y, s, W, b, lam, fit_intercept)
    eta = linear(X, W, b, fit_intercept)
    g, Bh = eta_derivatives(kind, y, eta)  # ℓ' (n, m) and ℓ'' (n, m, m)
    om = s / s.sum()
    out = np.empty((n, m))
    for i in range(n):
        A = np.zeros((d, m))  # ∂η_i/∂θ
        for k in range(m):
            A[k:p * m:m, k] = X[i]
            if fit_intercept:
                A[p * m + k, k] = 1.0
        Hi = H - om[i] * A @ Bh[i] @ A.T
        step = np.linalg.pinv(Hi, rcond=1e-12, hermitian=True) @ (A @ (om[i] * g[i]))
        out[i] = eta[i] + A.T @ step
    return out


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("fmt", [None, sp.csr_matrix, sp.csc_matrix], ids=["dense", "csr", "csc"])
def test_alo_is_one_newton_step_without_the_sample(kind, fit_intercept, fmt):
    X, y, s = make_data(kind, 9, n=40, p=4, weighted=True)
    lam = 0.02
    problem = problem_of(kind, X if fmt is None else fmt(X), y, s, fit_intercept)
    fit = cold_fit(problem, lam, "newton", tol=1e-12)
    eta_alo, _ = alo_predictors(problem, fit.coef, fit.intercept, lam)
    np.testing.assert_allclose(eta_alo, _one_newton_step_loo(kind, X, y, s, fit, lam,
                                                             fit_intercept), rtol=1e-8,
                               atol=1e-9)


# ---------------------------------------------------------------------------------------------
# degrees of freedom
# ---------------------------------------------------------------------------------------------


def hat_trace(kind, X, y, s, fit, lam, fit_intercept):
    """``tr(D^½ X̃ H⁻¹ X̃ᵀ D^½)`` for scalar losses, D = diag(ω ℓ''), formed explicitly."""
    om = s / s.sum()
    eta = X @ fit.coef[0, :, 0] + (fit.intercept[0, 0] if fit_intercept else 0.0)
    _, h = LOSSES[kind].derivatives(y, eta)
    D = om * h
    Xt = np.column_stack([X, np.ones(len(y))]) if fit_intercept else X
    pen = 2 * lam * np.eye(Xt.shape[1])
    if fit_intercept:
        pen[-1, -1] = 0.0
    H = Xt.T @ (D[:, None] * Xt) + pen
    return float(np.trace(np.linalg.solve(H, Xt.T @ (D[:, None] * Xt))))


@pytest.mark.parametrize("kind", ["binomial", "poisson"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_alo_dof_limits_and_hat_trace(kind, fit_intercept):
    p = 5
    X, y, s = make_data(kind, 10, n=120, p=p, weighted=True)
    lambdas = np.array([1e-9, 1e-4, 1e-2, 1.0, 1e4])
    dofs = []
    for lam in lambdas:
        problem, fit = full_fit(kind, X, y, s, lam, fit_intercept)
        _, dof = alo_predictors(problem, fit.coef, fit.intercept, lam)
        assert dof == pytest.approx(hat_trace(kind, X, y, s, fit, lam, fit_intercept), rel=1e-8)
        dofs.append(dof)
    dofs = np.array(dofs)
    top = p + 1 if fit_intercept else p
    assert np.all(dofs >= 0) and np.all(dofs <= top + 1e-8)
    assert np.all(np.diff(dofs) < 0)  # more penalty, fewer effective parameters
    # λ → 0: the unpenalized GLM uses every parameter; λ → ∞: only the intercept is left
    assert dofs[0] == pytest.approx(top, abs=1e-6)
    assert dofs[-1] == pytest.approx(1.0 if fit_intercept else 0.0, abs=1e-3)


def test_alo_dof_multinomial_limits():
    p, K = 4, 3
    X, y, s = make_data("multinomial", 11, n=150, p=p, K=K)
    top = (p + 1) * (K - 1)  # a common shift of all classes is free
    dofs = []
    for lam in (1e-9, 1e-2, 1e4):
        problem, fit = full_fit("multinomial", X, y, s, lam)
        dofs.append(alo_predictors(problem, fit.coef, fit.intercept, lam)[1])
    assert dofs[0] == pytest.approx(top, abs=1e-5)
    assert top > dofs[1] > dofs[2] > 0
    assert dofs[2] == pytest.approx(K - 1, abs=1e-2)


# ---------------------------------------------------------------------------------------------
# K-fold with explicit splits against fold-by-fold refits
# ---------------------------------------------------------------------------------------------


def _scores_by_refit(kind, X, y, s, labels, splits, lambdas, scoring, fixed_C=True):
    """Held-out score (F, L) of cold-start fits on each training fold, scored by hand.

    ``fixed_C``: each fold is fit at the same C (λ·n_w/n_w,train), as scikit-learn does;
    otherwise at the same canonical λ.
    """
    out = np.empty((len(splits), len(lambdas)))
    for k, (tr, te) in enumerate(splits):
        problem = problem_of(kind, X[tr], y[tr], s[tr], True)
        scale = s.sum() / s[tr].sum() if fixed_C else 1.0
        for i, lam in enumerate(lambdas):
            fit = cold_fit(problem, float(lam) * scale, "newton", tol=1e-10, max_iter=100)
            assert fit.converged[0]
            E = X[te] @ fit.coef[0] + fit.intercept[0]
            w = s[te]
            if scoring == "neg_log_loss":
                v = -per_sample(kind, y[te], E)
            elif scoring == "accuracy":
                pred = np.argmax(E, axis=1) if kind == "multinomial" else (E[:, 0] > 0)
                v = (pred == labels[te]).astype(float)
            elif scoring == "neg_mean_poisson_deviance":
                v = -metrics.mean_poisson_deviance(y[te], np.exp(E[:, 0]), sample_weight=w)
                v = np.full(len(te), v)
            elif scoring == "roc_auc":
                v = np.full(len(te), metrics.roc_auc_score(labels[te], E[:, 0], sample_weight=w))
            out[k, i] = w @ v / w.sum()
    return out


KFOLD_CASES = [
    ("binomial", "neg_log_loss"), ("binomial", "accuracy"), ("binomial", "roc_auc"),
    ("multinomial", "neg_log_loss"), ("multinomial", "accuracy"),
    ("poisson", "neg_mean_poisson_deviance"),
]


@pytest.mark.parametrize(("kind", "scoring"), KFOLD_CASES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fixed_C", [True, False])
def test_kfold_glm_equals_fold_refits(kind, scoring, weighted, fixed_C):
    X, y, s = make_data(kind, 12, n=80, p=4, weighted=weighted)
    labels = np.argmax(y, axis=1) if kind == "multinomial" else y.astype(int)
    classes = None if kind == "poisson" else np.unique(labels)
    splits = list(KFold(4, shuffle=True, random_state=0).split(X))
    lambdas = np.array([0.01, 0.3, 1e-3])  # not sorted: results come back in this order
    alphas = 1.0 / (2.0 * lambdas * s.sum())
    problem = problem_of(kind, X, y, s, True)
    scorer = resolve_glm_scorer(scoring, problem.loss)
    assert scorer.name == scoring
    sel = kfold_glm(problem, lambdas, alphas, scorer, splits=splits, labels=labels,
                    classes=classes, tol=1e-10, fixed_C=fixed_C)
    res = sel.result
    assert res.method == "kfold" and res.n_splits == 4
    assert res.fold_scores.shape == (4, 3, 1)
    np.testing.assert_array_equal(res.lambdas, lambdas)
    np.testing.assert_array_equal(res.alphas, alphas)
    ref = _scores_by_refit(kind, X, y, s, labels, splits, lambdas, scoring, fixed_C)
    np.testing.assert_allclose(res.fold_scores[:, :, 0], ref, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(res.mean_score, ref.mean(axis=0), rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(res.se, ref.std(axis=0, ddof=1) / 2.0, rtol=1e-6, atol=1e-8)
    assert res.index_min == int(np.argmax(res.mean_score))
    assert res.lambda_min == lambdas[res.index_min]
    assert sel.path.coef.shape == (3, 4, 4, problem.n_outputs)


@pytest.mark.parametrize(("kind", "scoring"), [("binomial", "roc_auc"),
                                               ("multinomial", "neg_log_loss"),
                                               ("poisson", "neg_mean_poisson_deviance")])
@pytest.mark.parametrize("splitter", ["shuffle", "timeseries"])
def test_kfold_glm_with_partial_splits_equals_refits(kind, scoring, splitter):
    """Overlapping training sets and rows in no test set (ShuffleSplit), growing prefixes
    with a gap (TimeSeriesSplit): each split's score is that of the refit on its rows."""
    X, y, s = make_data(kind, 15, n=90, p=4, weighted=True)
    labels = np.argmax(y, axis=1) if kind == "multinomial" else y.astype(int)
    classes = None if kind == "poisson" else np.unique(labels)
    if splitter == "shuffle":
        splits = list(ShuffleSplit(3, train_size=0.5, test_size=0.3, random_state=2).split(X))
    else:
        splits = list(TimeSeriesSplit(3, gap=4).split(X))
    lambdas = np.array([0.01, 0.1])
    problem = problem_of(kind, X, y, s, True)
    sel = kfold_glm(problem, lambdas, lambdas, resolve_glm_scorer(scoring, problem.loss),
                    splits=splits, labels=labels, classes=classes, tol=1e-10)
    ref = _scores_by_refit(kind, X, y, s, labels, splits, lambdas, scoring)
    np.testing.assert_allclose(sel.result.fold_scores[:, :, 0], ref, rtol=1e-7, atol=1e-8)


def test_kfold_glm_fold_paths_are_fold_fits():
    X, y, s = make_data("multinomial", 13, n=60, p=3, weighted=True)
    labels = np.argmax(y, axis=1)
    splits = [(np.arange(20, 60), np.arange(20)), (np.arange(40), np.arange(40, 60))]
    lambdas = np.array([0.05, 0.005])
    problem = problem_of("multinomial", X, y, s, True)
    sel = kfold_glm(problem, lambdas, lambdas, resolve_glm_scorer("neg_log_loss", problem.loss),
                    splits=splits, labels=labels, classes=np.arange(3), tol=1e-10)
    for k, (tr, _) in enumerate(splits):
        fold = problem_of("multinomial", X[tr], y[tr], s[tr], True)
        for i, lam in enumerate(lambdas):
            # the same C on each fold: λ scaled by n_w / n_w,train
            fit = cold_fit(fold, float(lam) * s.sum() / s[tr].sum(), "newton", tol=1e-10)
            np.testing.assert_allclose(sel.path.coef[i, k], fit.coef[0], rtol=1e-7, atol=1e-9)
            np.testing.assert_allclose(sel.path.intercept[i, k], fit.intercept[0], rtol=1e-7,
                                       atol=1e-9)


# ---------------------------------------------------------------------------------------------
# alo_glm: the ALO curve over a grid
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_alo_glm_curve(kind):
    X, y, s = make_data(kind, 14, n=100, p=5, weighted=True)
    labels = np.argmax(y, axis=1) if kind == "multinomial" else y
    classes = np.arange(3) if kind == "multinomial" else (None if kind == "poisson" else
                                                          np.array([0.0, 1.0]))
    lambdas = np.array([0.1, 1e-3, 0.01])
    problem = problem_of(kind, X, y, s, True)
    scoring = "neg_mean_poisson_deviance" if kind == "poisson" else "neg_log_loss"
    sel = alo_glm(problem, labels, lambdas, lambdas, resolve_glm_scorer(scoring, problem.loss),
                  classes=classes, tol=1e-10)
    res = sel.result
    assert res.method == "alo" and res.fold_scores is None
    path = glm_path(problem, lambdas, solver="newton", tol=1e-10)
    # both paths stop at max|∇f| ≤ 1e-10, through different Hessian sequences
    np.testing.assert_allclose(sel.path.coef, path.coef, rtol=0, atol=1e-8)
    for i, lam in enumerate(lambdas):
        eta, dof = alo_predictors(problem, sel.path.coef[i], sel.path.intercept[i], float(lam))
        vals = per_sample(kind, y, eta)
        # alo_glm may reuse the eigenbasis of a neighbouring optimum whose curvature weights
        # differ by ≤ 1% (scalar losses): leverages then differ at that order, scores far less
        assert res.mean_score[i] == pytest.approx(-(s @ vals) / s.sum(), rel=1e-4)
        assert res.dof[i] == pytest.approx(dof, rel=1e-2)
    assert res.index_min == int(np.argmax(res.mean_score))


@pytest.mark.parametrize("kind", ["binomial", "poisson"])
def test_alo_grid_with_reused_basis_matches_exact_leave_one_out(kind):
    """Over a fine grid alo_glm reuses one leverage basis; every λ stays within 1% of LOO."""
    X, y, s = make_data(kind, 21, n=300, p=20)
    lambdas = np.array([2e-3, 1.8e-3, 1.6e-3, 1.4e-3])
    problem = problem_of(kind, X, y, s, True)
    scoring = "neg_mean_poisson_deviance" if kind == "poisson" else "neg_log_loss"
    labels = y if kind == "poisson" else y.astype(int)
    classes = None if kind == "poisson" else np.array([0, 1])
    sel = alo_glm(problem, labels, lambdas, lambdas, resolve_glm_scorer(scoring, problem.loss),
                  classes=classes, tol=1e-10)
    for i, lam in enumerate(lambdas):
        fit = cold_fit(problem, float(lam), "newton", tol=1e-10)
        loo = per_sample(kind, y, exact_loo_eta(kind, X, y, s, float(lam), fit))
        assert -sel.result.mean_score[i] == pytest.approx(np.mean(loo), rel=0.01)
