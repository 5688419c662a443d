"""ridgeline.backend: the array-API ridge CV and Newton logistic code on NumPy and torch (CPU).

Every result is checked against ridgeline's NumPy estimators (which are themselves tested against
scikit-learn and explicit refits) or against a closed form.
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
    ArrayLogisticCVResult,
    ArrayRidgeCVResult,
    logistic_cv,
    logistic_fit,
    ridge_cv,
    to_numpy,
)

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
