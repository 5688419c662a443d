"""ridgeline.backend: arrays of any array-API library (NumPy, torch CPU) through the one engine.

The statistics source :class:`ArrayAPISource` is checked pass by pass against
:class:`ridgeline.stats.ArraySource` on the same NumPy data; ``ridge_cv``, ``logistic_fit`` and
``logistic_cv`` (thin wrappers over the engine) against ridgeline's NumPy estimators (which are
themselves tested against scikit-learn and explicit refits) or against a closed form.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.model_selection import PredefinedSplit

import ridgeline
from ridgeline.backend import (
    ArrayAPISource,
    ArrayLogisticCVResult,
    ArrayRidgeCVResult,
    logistic_cv,
    logistic_fit,
    ridge_cv,
    to_numpy,
)
from ridgeline.backend.passes import loss_terms
from ridgeline.losses import BinomialLoss, PoissonLoss
from ridgeline.stats import ArraySource, SourceError, is_source, predefined_test_fold

LAMBDAS = np.geomspace(1e-3, 30.0, 15)


def _ridge_data(seed=0, n=240, p=7):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 3.0, size=p) + rng.normal(3.0, 1.0, size=p)
    y = X @ rng.normal(size=p) + 2.0 * rng.normal(size=n) + 4.0
    folds = rng.integers(0, 5, size=n)
    s = rng.uniform(0.2, 2.0, size=n)
    return X, y, folds, s


def _logit_data(seed=1, n=300, p=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + 0.5
    y = (X @ rng.normal(size=p) - 0.5 + rng.logistic(size=n) > 0).astype(np.float64)
    folds = rng.integers(0, 4, size=n)
    s = rng.uniform(0.5, 1.5, size=n)
    return X, y, folds, s


def _reference_ridge(X, y, folds, lam, *, fit_intercept=True, s=None, rule="min"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ridgeline.GridEdgeWarning)
        return ridgeline.RidgeCV(lambdas=lam, cv=PredefinedSplit(folds), rule=rule,
                                 scoring="neg_mean_squared_error",
                                 fit_intercept=fit_intercept).fit(X, y, sample_weight=s)


def _torch():
    return pytest.importorskip("torch")


def _convert(kind, *arrays):
    """The arrays as NumPy float64, torch float64 or torch float32 (folds stay integer)."""
    if kind == "numpy":
        return arrays
    torch = _torch()
    dt = torch.float64 if kind == "torch64" else torch.float32
    return tuple(None if a is None else
                 torch.as_tensor(a) if np.issubdtype(np.asarray(a).dtype, np.integer)
                 else torch.as_tensor(a, dtype=dt) for a in arrays)


KINDS = ["numpy", "torch64", "torch32"]


def _tol(kind):
    return 1e-4 if kind == "torch32" else 1e-8


def _check_namespace(kind, *arrays):
    for a in arrays:
        if kind == "numpy":
            assert isinstance(a, np.ndarray) and a.dtype == np.float64
        else:
            torch = _torch()
            assert isinstance(a, torch.Tensor)
            assert a.dtype == (torch.float64 if kind == "torch64" else torch.float32)


def _rel(a, b):
    a, b = np.asarray(to_numpy(a), dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# ---- the statistics source -----------------------------------------------------------------------
def _source_data(seed=11, n=257, p=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, size=p) + rng.normal(2.0, 1.0, size=p)
    eta = X @ rng.normal(size=p) * 0.3 - 1.0
    y01 = (eta + rng.logistic(size=n) > 0).astype(np.float64)
    counts = rng.poisson(np.exp(0.3 * np.tanh(eta))).astype(np.float64)
    labels = rng.integers(0, 3, size=n).astype(np.float64)
    folds = 10 * rng.integers(1, 5, size=n)  # ids 10..40, mapped to 0..3
    s = rng.uniform(0.2, 2.0, size=n)
    return X, y01, counts, labels, folds, s


def _pair(kind, X, y, folds, s, chunk=64):
    """The same data as an ArrayAPISource of ``kind`` and as an ArraySource (float32 kept)."""
    Xa, ya, fa, sa = _convert(kind, X, y, folds, s)
    src = ArrayAPISource(Xa, ya, fa, sa, chunk_rows=chunk)
    f32 = kind == "torch32"
    X_ref = X.astype(np.float32) if f32 else X
    y_ref, s_ref = ((a.astype(np.float32).astype(np.float64) if f32 else a) for a in (y, s))
    codes = np.unique(folds, return_inverse=True)[1]
    return src, ArraySource(X_ref, y_ref, folds=codes, sample_weight=s_ref, batch_rows=chunk)


def _same(a, b, tol, what):
    assert _rel(a, b) <= tol, f"{what}: {_rel(a, b):.1e} > {tol:g}"


@pytest.mark.parametrize("kind", KINDS)
def test_source_moments_and_summary_equal_arraysource(kind):
    X, y, _, _, folds, s = _source_data()
    src, ref = _pair(kind, X, y, folds, s)
    assert is_source(src) and src.in_memory and src.n_features == 5
    a, b = src.fold_moments(4), ref.fold_moments(4)
    # float32: the Gram GEMMs run in float32 (accumulated in float64)
    tol = 1e-5 if kind == "torch32" else 1e-12
    assert a.n_rows == b.n_rows == 257
    for ma, mb in zip([a.total, *a.folds], [b.total, *b.folds], strict=True):
        ca, cb = ma.centered(), mb.centered()
        assert ma.n == mb.n and ma.sw == pytest.approx(mb.sw, rel=tol)
        for f in ("G", "C", "yy"):
            _same(getattr(ca, f), getattr(cb, f), tol, f)
        _same(ca.mean_x + ma.shift_x, cb.mean_x + mb.shift_x, 1e-12 if tol < 1e-6 else 1e-6,
              "mean")
    if kind != "torch32":  # same reference point: the raw sums agree too
        for f in ("G", "C", "sx", "sy", "yy"):
            assert np.allclose(getattr(a.total, f), getattr(b.total, f), rtol=1e-12,
                               atol=1e-12 * np.abs(b.total.G).max())
    ta, tb = src.target_summary(4, columns=True), ref.target_summary(4, columns=True)
    assert np.array_equal(ta.n, tb.n) and np.array_equal(ta.values, tb.values)
    for f in ("sw", "sy", "sx", "sxx"):
        _same(getattr(ta, f), getattr(tb, f), 1e-12, f)
    assert (ta.y_min, ta.y_max) == (tb.y_min, tb.y_max)


@pytest.mark.parametrize("kind", KINDS)
def test_source_glm_and_softmax_passes_equal_arraysource(kind):
    X, y01, counts, labels, folds, s = _source_data(seed=12)
    src, ref = _pair(kind, X, y01, folds, s)
    rng = np.random.default_rng(0)
    W, b, held = 0.3 * rng.normal(size=(3, 5)), rng.normal(size=3), np.array([-1, 0, 2])
    # float32: η, the loss and the gradient from X widened exactly; Hessian GEMMs in float32
    tol_h = 1e-5 if kind == "torch32" else 1e-12
    for loss, y in ((BinomialLoss(), y01), (PoissonLoss(), counts)):
        ya = _convert(kind, y)[0]
        ra = src.with_target(ya).glm_pass(loss, W, b, held, 4)
        rb = ArraySource(ref.X, y, folds=np.unique(folds, return_inverse=True)[1],
                         sample_weight=ref.s).glm_pass(loss, W, b, held, 4)
        for f in rb.__dataclass_fields__:
            _same(getattr(ra, f), getattr(rb, f), tol_h if f.startswith("hess") else 1e-12,
                  f"{loss.name} {f}")
        assert np.array_equal(ra.hess_ww, ra.hess_ww.transpose(0, 2, 1))
    Wm, bm = 0.3 * rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 3))
    la = _convert(kind, labels)[0]
    ra = src.with_target(la).multinomial_pass(Wm, bm, np.array([-1, 3]), 4)
    rb = ArraySource(ref.X, labels, folds=np.unique(folds, return_inverse=True)[1],
                     sample_weight=ref.s).multinomial_pass(Wm, bm, np.array([-1, 3]), 4)
    for f in rb.__dataclass_fields__:
        _same(getattr(ra, f), getattr(rb, f), tol_h if f == "hess" else 1e-12, f"softmax {f}")


def test_source_loss_terms_are_ridgelines_losses():
    import array_api_compat.numpy as xp

    eta = np.concatenate([np.linspace(-40, 40, 81), [-800.0, 800.0]])[:, None] * [1.0, 0.5]
    for loss, y in ((BinomialLoss(), np.array([0.0, 1.0])), (PoissonLoss(), np.array([0, 3.0]))):
        for yv in y:
            val, g, h = loss_terms(xp, loss.name, np.full((eta.shape[0], 1), yv), eta,
                                   getattr(loss, "eta_max", np.inf), True)
            g_ref, h_ref = loss.derivatives(yv, eta)
            assert np.allclose(val, loss.value(yv, eta), rtol=1e-13, atol=1e-15)
            assert np.allclose(g, g_ref, rtol=1e-13, atol=1e-300)
            assert np.allclose(h, h_ref, rtol=1e-13, atol=1e-300)


def test_source_hashed_folds_fold_rule_and_errors():
    X, y, counts, _, folds, _ = _source_data(seed=13, n=120, p=3)
    src = ArrayAPISource(X, y)  # no folds: rows hashed by position, as ArraySource and files
    assert np.array_equal(src.fold_ids(5), predefined_test_fold(120, 5, 0))
    W, b = np.full((5, 3), 0.1), np.zeros(5)
    ra = src.glm_pass(BinomialLoss(), W, b, np.arange(5), 5)
    rb = ArraySource(X, y).glm_pass(BinomialLoss(), W, b, np.arange(5), 5)
    _same(ra.held_loss, rb.held_loss, 1e-12, "held_loss")
    _same(ra.hess_ww, rb.hess_ww, 1e-12, "hess_ww")
    given = ArrayAPISource(X, y, folds)  # 4 fold ids
    assert np.array_equal(given.fold_labels, [10, 20, 30, 40])
    assert not given.fold_ids(1).any() and np.array_equal(given.fold_ids(6), given.fold_ids(4))
    with pytest.raises(ValueError, match="holds 4 folds"):
        given.fold_ids(3)
    with pytest.raises(TypeError, match="implements the losses"):
        given.glm_pass(object(), W[:1], b[:1], [-1], 1)
    with pytest.raises(SourceError, match="not one of the 2 classes"):
        given.with_target(counts).multinomial_pass(np.zeros((1, 3, 2)), np.zeros((1, 2)), [-1], 1)
    # held-out squared errors from explicit predictions, against NumPy
    sse = given.with_target(counts).squared_error_pass(W[:2], np.array([0.5, -1.0]), [0, 3], 4)
    for j, k in enumerate([10, 40]):
        r = counts[folds == k] - X[folds == k] @ W[j] - [0.5, -1.0][j]
        assert sse[j] == pytest.approx(r @ r, rel=1e-12)


def test_estimators_fit_an_array_api_source():
    """ridgeline's estimators take the source as X: torch data through the NumPy road."""
    torch = _torch()
    X, y, _, labels, _, _ = _source_data(seed=14, n=200, p=4)
    for target in (y, labels):
        est = ridgeline.LogisticRegression(C=0.5, tol=1e-10)
        a = est.fit(ArrayAPISource(torch.as_tensor(X), torch.as_tensor(target))).coef_
        assert _rel(a, ridgeline.LogisticRegression(C=0.5, tol=1e-10).fit(X, target).coef_) \
            <= 1e-8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ridgeline.GridEdgeWarning)
        a = ridgeline.RidgeCV(lambdas=LAMBDAS, cv=5).fit(
            ArrayAPISource(torch.as_tensor(X), torch.as_tensor(y)))
        b = ridgeline.RidgeCV(lambdas=LAMBDAS, cv=5).fit(ArraySource(X, y))
    assert a.lambda_ == b.lambda_ and _rel(a.coef_, b.coef_) <= 1e-10


# ---- ridge ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_cv_matches_ridgecv(kind, fit_intercept):
    X, y, folds, _ = _ridge_data()
    ref = _reference_ridge(X, y, folds, LAMBDAS, fit_intercept=fit_intercept)
    sel = ref.selection_
    Xa, ya, fa = _convert(kind, X, y, folds)
    res = ridge_cv(Xa, ya, LAMBDAS, fa, fit_intercept=fit_intercept)
    assert isinstance(res, ArrayRidgeCVResult)
    _check_namespace(kind, res.fold_mse, res.mean_mse, res.se_mse, res.coef, res.intercept,
                     res.coef_path, res.lambdas)
    tol = _tol(kind)
    assert res.fold_mse.shape == (5, LAMBDAS.size)
    assert _rel(res.fold_mse, -sel.fold_scores[:, :, 0]) <= tol
    assert _rel(res.mean_mse, -sel.mean_score) <= tol
    assert _rel(res.se_mse, sel.se) <= 10 * tol
    assert res.lambda_ == pytest.approx(ref.lambda_, rel=1e-12)
    assert _rel(res.coef, ref.coef_) <= tol
    assert float(to_numpy(res.intercept)) == pytest.approx(ref.intercept_, rel=tol, abs=tol)


def test_ridge_cv_weights_and_1se_rule():
    X, y, folds, s = _ridge_data(seed=3)
    ref = _reference_ridge(X, y, folds, LAMBDAS, s=s, rule="1se")
    res = ridge_cv(X, y, LAMBDAS, folds, sample_weight=s, rule="1se")
    assert _rel(res.fold_mse, -ref.selection_.fold_scores[:, :, 0]) <= 1e-8
    assert res.index_1se == ref.selection_.index_1se
    assert res.lambda_1se == pytest.approx(ref.selection_.lambda_1se)
    assert res.lambda_min == pytest.approx(ref.selection_.lambda_min)
    assert res.lambda_ == res.lambda_1se and res.lambda_1se >= res.lambda_min
    assert _rel(res.coef, ref.coef_) <= 1e-8
    assert float(res.intercept) == pytest.approx(ref.intercept_, rel=1e-10)


@pytest.mark.parametrize("kind", ["numpy", "torch64"])
def test_ridge_cv_predictions_route_and_chunks_agree(kind):
    X, y, folds, s = _ridge_data(seed=4)
    Xa, ya, fa, sa = _convert(kind, X, y, folds, s)
    a = ridge_cv(Xa, ya, LAMBDAS, fa, sample_weight=sa).to_numpy()
    b = ridge_cv(Xa, ya, LAMBDAS, fa, sample_weight=sa, held_out="predictions",
                 chunk_rows=17).to_numpy()
    assert isinstance(a.fold_mse, np.ndarray)
    assert _rel(b.fold_mse, a.fold_mse) <= 1e-10
    assert _rel(b.coef_path, a.coef_path) <= 1e-10


def test_ridge_cv_path_is_the_closed_form_and_folds_are_refits():
    """Slow definitions: full-data fits from the normal equations; one fold from a refit."""
    X, y, folds, s = _ridge_data(seed=5, n=120, p=4)
    res = ridge_cv(X, y, LAMBDAS, folds, sample_weight=s)
    sw = s.sum()
    mx, my = s @ X / sw, s @ y / sw
    Xc, yc = X - mx, y - my
    for i, lam in enumerate(LAMBDAS):
        w = np.linalg.solve(Xc.T @ (s[:, None] * Xc) + sw * lam * np.eye(4), Xc.T @ (s * yc))
        assert np.allclose(res.coef_path[i], w, rtol=1e-10, atol=1e-12)
        assert res.intercept_path[i] == pytest.approx(my - mx @ w, rel=1e-10)
        e = np.linalg.eigvalsh(Xc.T @ (s[:, None] * Xc))
        assert res.dof[i] == pytest.approx(1 + np.sum(e / (e + sw * lam)), rel=1e-10)
    te, tr = folds == 2, folds != 2
    st = s[tr]
    mxt, myt = st @ X[tr] / st.sum(), st @ y[tr] / st.sum()
    A = (X[tr] - mxt).T @ (st[:, None] * (X[tr] - mxt)) + st.sum() * LAMBDAS[7] * np.eye(4)
    w = np.linalg.solve(A, (X[tr] - mxt).T @ (st * (y[tr] - myt)))
    r = y[te] - myt - (X[te] - mxt) @ w
    mse = s[te] @ r**2 / s[te].sum()
    assert res.fold_mse[2, 7] == pytest.approx(mse, rel=1e-10)


def test_ridge_cv_integer_design_and_column_target():
    X, y, folds, _ = _ridge_data(seed=6)
    Xi = np.round(X * 10).astype(np.int64)
    a = ridge_cv(Xi, y[:, None], LAMBDAS, folds)
    b = ridge_cv(Xi.astype(np.float64), y, LAMBDAS, folds)
    assert a.coef.dtype == np.float64
    assert np.array_equal(a.coef, b.coef)


# ---- logistic ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_logistic_fit_matches_logisticregression(kind, fit_intercept):
    X, y, _, s = _logit_data()
    lam = 0.003
    C = 1.0 / (2.0 * lam * s.sum())
    Xr = X.astype(np.float32).astype(np.float64) if kind == "torch32" else X
    ref = ridgeline.LogisticRegression(C=C, tol=1e-11, fit_intercept=fit_intercept)
    ref.fit(Xr, y, sample_weight=s)
    Xa, ya, sa = _convert(kind, X, y, s)
    fit = logistic_fit(Xa, ya, lam, sample_weight=sa, fit_intercept=fit_intercept, tol=1e-11)
    _check_namespace(kind, fit.coef, fit.intercept)
    assert fit.converged and fit.grad_norm <= 1e-11
    # float32 in: the optimum is that of the float32-rounded X, to float32 output precision
    tol = 1e-6 if kind == "torch32" else 1e-8
    assert _rel(fit.coef, ref.coef_[0]) <= tol
    assert float(to_numpy(fit.intercept)) == pytest.approx(ref.intercept_[0], abs=tol)
    # the certificate, recomputed independently in NumPy from the returned solution
    w = np.asarray(to_numpy(fit.coef), dtype=np.float64)
    b = float(to_numpy(fit.intercept))
    mu = 1.0 / (1.0 + np.exp(-(Xr @ w + b)))
    g = Xr.T @ (s * (mu - y)) / s.sum() + 2 * lam * w
    assert np.max(np.abs(g)) <= (1e-5 if kind == "torch32" else 1e-9)


@pytest.mark.parametrize("kind", KINDS)
def test_logistic_cv_matches_logisticregressioncv(kind):
    X, y, folds, _ = _logit_data(seed=2)
    lam = np.geomspace(1e-4, 0.3, 10)
    Cs = 1.0 / (2.0 * lam * X.shape[0])
    Xr = X.astype(np.float32).astype(np.float64) if kind == "torch32" else X
    ref = ridgeline.LogisticRegressionCV(Cs=Cs, cv=PredefinedSplit(folds), tol=1e-10,
                                         scoring="neg_log_loss").fit(Xr, y)
    Xa, ya, fa = _convert(kind, X, y, folds)
    res = logistic_cv(Xa, ya, lam, fa, convention="fixed", tol=1e-10)
    assert isinstance(res, ArrayLogisticCVResult)
    _check_namespace(kind, res.fold_log_loss, res.mean_log_loss, res.coef, res.intercept)
    tol = 1e-6 if kind == "torch32" else 1e-8
    assert _rel(res.fold_log_loss, -ref.scores_[:, 0, :]) <= tol
    assert res.lambda_ == pytest.approx(ref.lambda_, rel=1e-12)
    assert _rel(res.coef, ref.coef_[0]) <= tol
    assert float(to_numpy(res.intercept)) == pytest.approx(ref.intercept_[0], abs=tol)
    assert res.n_iter.shape == (4, 10) and res.n_iter.min() >= 0


@pytest.mark.parametrize("kind", ["numpy", "torch64"])
def test_logistic_cv_weighted_1se_matches_logisticregressioncv(kind):
    X, y, folds, s = _logit_data(seed=5)
    lam = np.geomspace(1e-4, 0.3, 8)
    Cs = 1.0 / (2.0 * lam * s.sum())
    ref = ridgeline.LogisticRegressionCV(Cs=Cs, cv=PredefinedSplit(folds), tol=1e-10, rule="1se",
                                         scoring="neg_log_loss").fit(X, y, sample_weight=s)
    Xa, ya, fa, sa = _convert(kind, X, y, folds, s)
    res = logistic_cv(Xa, ya, lam, fa, sample_weight=sa, convention="fixed", rule="1se",
                      tol=1e-10)
    assert _rel(res.fold_log_loss, -ref.scores_[:, 0, :]) <= 1e-8
    assert res.index_1se == ref.cv_result_.index_1se
    assert res.lambda_ == pytest.approx(ref.lambda_, rel=1e-12)
    assert _rel(res.coef, ref.coef_[0]) <= 1e-8
    assert float(to_numpy(res.intercept)) == pytest.approx(ref.intercept_[0], abs=1e-8)


def test_logistic_cv_canonical_folds_are_independent_fits_and_1se():
    X, y, folds, s = _logit_data(seed=3)
    lam = np.geomspace(1e-3, 0.1, 6)
    res = logistic_cv(X, y, lam, folds, sample_weight=s, rule="1se", tol=1e-10)
    k, i = 1, 3
    tr, te = folds != k, folds == k
    fit = logistic_fit(X[tr], y[tr], lam[i], sample_weight=s[tr], tol=1e-10)
    eta = X[te] @ fit.coef + fit.intercept
    loss = np.logaddexp(0.0, eta) - y[te] * eta
    assert res.fold_log_loss[k, i] == pytest.approx(s[te] @ loss / s[te].sum(), rel=1e-9)
    acc = s[te] @ ((eta > 0) == (y[te] > 0.5)) / s[te].sum()
    assert res.fold_accuracy[k, i] == pytest.approx(acc, rel=1e-12)
    m, se = res.mean_log_loss, res.se_log_loss
    assert res.index_min == int(np.argmin(m))
    ok = np.flatnonzero(m <= m[res.index_min] + se[res.index_min])
    assert res.index_1se == ok[np.argmax(lam[ok])]
    assert res.lambda_ == lam[res.index_1se]
    full = logistic_fit(X, y, res.lambda_, sample_weight=s, tol=1e-10)
    assert np.allclose(res.coef, full.coef, rtol=1e-8, atol=1e-10)


def test_logistic_labels_any_two_values():
    X, y, _, _ = _logit_data(seed=4)
    a = logistic_fit(X, y, 0.01)
    b = logistic_fit(X, np.where(y > 0, 7, -3), 0.01)
    c = logistic_fit(X, y > 0, 0.01)
    assert np.allclose(a.coef, b.coef, rtol=1e-12) and np.allclose(a.coef, c.coef, rtol=1e-12)


def test_logistic_separable_unpenalized_does_not_hang_or_nan():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    fit = logistic_fit(X, y, 0.0, max_iter=30)
    assert np.all(np.isfinite(fit.coef)) and fit.coef[0] > 5.0  # heading to +∞, finite
    # the gradient vanishes only at infinity: the stop rule (max|∇f| ≤ tol) ends it early
    assert fit.n_iter <= 30 and (fit.grad_norm <= 1e-8) == fit.converged


# ---- validation ----------------------------------------------------------------------------------
def test_bad_input_errors():
    X, y, folds, _ = _ridge_data(seed=7, n=40, p=3)
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        ridge_cv(Xn, y, LAMBDAS, folds)
    yi = y.copy()
    yi[0] = np.inf
    with pytest.raises(ValueError, match="y contains infinity"):
        ridge_cv(X, yi, LAMBDAS, folds)
    with pytest.raises(ValueError, match="2-D"):
        ridge_cv(X[:, 0], y, LAMBDAS, folds)
    with pytest.raises(ValueError, match="y has 39 entries but X has 40 rows"):
        ridge_cv(X, y[:-1], LAMBDAS, folds)
    with pytest.raises(ValueError, match="folds must be a 1-D array of 40"):
        ridge_cv(X, y, LAMBDAS, folds[:-2])
    with pytest.raises(ValueError, match="at least 2 folds"):
        ridge_cv(X, y, LAMBDAS, np.zeros(40, dtype=int))
    with pytest.raises(ValueError, match="non-negative"):
        ridge_cv(X, y, [0.1, -1.0], folds)
    with pytest.raises(ValueError, match="lambdas is empty"):
        ridge_cv(X, y, [], folds)
    with pytest.raises(ValueError, match="rule"):
        ridge_cv(X, y, LAMBDAS, folds, rule="best")
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        ridge_cv(X, y, LAMBDAS, folds, sample_weight=-np.ones(40))
    with pytest.raises(TypeError, match="expected arrays"):
        ridge_cv(X.tolist(), y, LAMBDAS, folds)
    Xs = np.column_stack([X, X[:, :1]])  # rank-deficient: λ = 0 is not unique
    with pytest.raises(ValueError, match="non-singular Gram"):
        ridge_cv(Xs, y, [0.0, 1.0], folds)
    yb = (y > np.median(y)).astype(float)
    with pytest.raises(ValueError, match="single class"):
        logistic_fit(X, np.ones(40), 0.1)
    with pytest.raises(ValueError, match="3 classes"):
        logistic_fit(X, np.arange(40) % 3, 0.1)
    with pytest.raises(ValueError, match="non-negative"):
        logistic_fit(X, yb, -0.1)
    with pytest.raises(ValueError, match="single number"):
        logistic_fit(X, yb, [0.1, 0.2])
    with pytest.raises(ValueError, match="non-negative"):
        logistic_cv(X, yb, [0.1, -0.2], folds)
    with pytest.raises(ValueError, match="X contains NaN"):
        logistic_cv(Xn, yb, [0.1], folds)
    with pytest.raises(ValueError, match="convention"):
        logistic_cv(X, yb, [0.1], folds, convention="sklearn")
    yf = yb.copy()
    yf[folds != 0] = 1.0  # every training set but fold 0's sees one class
    yf[folds == 0] = 0.0
    with pytest.raises(ValueError, match=r"training set of fold .* single class"):
        logistic_cv(X, yf, [0.1], folds)


def test_mixed_namespaces_are_refused():
    torch = _torch()
    X, y, folds, _ = _ridge_data(seed=8, n=40, p=3)
    with pytest.raises(TypeError, match="one array library"):
        ridge_cv(X, torch.as_tensor(y), LAMBDAS, folds)
    with pytest.raises(TypeError, match="one array library"):
        logistic_fit(torch.as_tensor(X), (y > 0).astype(float), 0.1)


def test_torch_nan_is_refused():
    torch = _torch()
    X, y, folds, _ = _ridge_data(seed=9, n=40, p=3)
    Xt = torch.as_tensor(X, dtype=torch.float32)
    Xt[0, 0] = float("nan")
    with pytest.raises(ValueError, match="X contains NaN"):
        ridge_cv(Xt, torch.as_tensor(y, dtype=torch.float32), LAMBDAS, torch.as_tensor(folds))


def test_importing_ridgeline_does_not_import_torch():
    code = ("import sys, ridgeline, ridgeline.backend; "
            "sys.exit(1 if 'torch' in sys.modules or 'cupy' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
