"""Issue 18, data: values near the float range, column scales far apart, linear-algebra
failures, schema drift across Parquet parts, and numeric columns with stray text.

Every case asserts the exact outcome: the error type and the words that name the problem (the
column, the value, the row, the part file), or the correct answer (a closed-form or
scaled-Newton reference, the fit on rescaled data, or scikit-learn where it is accurate).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
import scipy.sparse as sp
from sklearn.linear_model import Lasso as SkLasso
from sklearn.linear_model import Ridge as SkRidge
from typer.testing import CliRunner

import ridgeline as rl
from ridgeline import _lapack
from ridgeline._lapack import LinearAlgebraError
from ridgeline.cli import app
from ridgeline.estimators._range import (
    NEWTON_RATIO_LIMIT,
    SINGLE_RIDGE_RATIO_LIMIT,
    SPECTRAL_RATIO_LIMIT,
    DataRangeError,
    check_range,
    overflow_limit,
)
from ridgeline.solvers.curvature import Curvature

RNG = np.random.default_rng(7)
N = 60
NAMES = ["a", "b", "c", "d"]
X0 = RNG.normal(size=(N, 4)) * np.array([1.0, 1.0, 1.0, 0.5])  # "d" has the smallest spread
Y_REG = X0 @ np.array([1.0, -2.0, 0.5, 1.5]) + RNG.normal(scale=0.3, size=N)
Y_CLS = (X0 @ np.array([1.0, -1.0, 0.5, 0.3]) + RNG.normal(scale=0.7, size=N) > 0).astype(int)
Y_CNT = RNG.poisson(np.exp(0.3 * X0 @ np.array([1.0, -1.0, 0.5, 0.3]))).astype(float)
runner = CliRunner()


def _scaled(factor: float, j: int = 1) -> np.ndarray:
    X = X0.copy()
    X[:, j] *= factor
    return X


def _frame(X: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(X, columns=NAMES)


def _words(text: str) -> str:
    return " ".join(text.split())


# (factory, target) of every public estimator class
ESTIMATORS = {
    "Ridge": (lambda: rl.Ridge(), Y_REG),
    "RidgeCV": (lambda: rl.RidgeCV(alphas=[0.1, 1.0]), Y_REG),
    "RidgeClassifier": (lambda: rl.RidgeClassifier(), Y_CLS),
    "RidgeClassifierCV": (lambda: rl.RidgeClassifierCV(alphas=[0.1, 1.0]), Y_CLS),
    "LogisticRegression": (lambda: rl.LogisticRegression(), Y_CLS),
    "LogisticRegressionCV": (lambda: rl.LogisticRegressionCV(Cs=3, cv=3, l1_ratios=(0.0,)),
                             Y_CLS),
    "PoissonRegressor": (lambda: rl.PoissonRegressor(), Y_CNT),
    "Lasso": (lambda: rl.Lasso(alpha=0.01), Y_REG),
    "ElasticNet": (lambda: rl.ElasticNet(alpha=0.01), Y_REG),
    "LassoCV": (lambda: rl.LassoCV(cv=3), Y_REG),
    "ElasticNetCV": (lambda: rl.ElasticNetCV(cv=3), Y_REG),
    "GroupLasso": (lambda: rl.GroupLasso(groups=[0, 0, 1, 1]), Y_REG),
    "GroupLassoCV": (lambda: rl.GroupLassoCV(groups=[0, 0, 1, 1], cv=3), Y_REG),
}
RATIO_LIMITED = {"Ridge": 1e14, "RidgeCV": 1e11, "RidgeClassifier": 1e14,
                 "RidgeClassifierCV": 1e11, "LogisticRegression": 1e13,
                 "LogisticRegressionCV": 1e13, "PoissonRegressor": 1e13}


# --------------------------------------------------------------------------- overflow


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_values_whose_squares_overflow_are_refused_with_the_column_value_and_row(name):
    make, y = ESTIMATORS[name]
    X = _scaled(1e200)
    row = int(np.argmax(np.abs(X[:, 1])))
    with pytest.raises(DataRangeError) as err:
        make().fit(_frame(X), y)
    msg = str(err.value)
    assert isinstance(err.value, ValueError)
    assert f"column 'b' (index 1) holds {X[row, 1]:.4g} (row index {row})" in msg
    assert "beyond float64's largest number" in msg and "Rescale the column(s)" in msg


@pytest.mark.parametrize("name", ["Ridge", "RidgeCV", "Lasso", "PoissonRegressor"])
def test_a_target_whose_squares_overflow_is_refused(name):
    make, _ = ESTIMATORS[name]
    y = np.abs(Y_REG) + 1.0
    y[5] = 3e200
    with pytest.raises(DataRangeError, match=r"^y holds 3e\+200 \(row index 5\): with 60 rows"):
        make().fit(X0, y)


def test_overflow_names_columns_by_index_for_arrays_largest_first():
    X = X0.copy()
    X[3, 0], X[8, 2] = 1e180, -5e190
    with pytest.raises(DataRangeError, match=r"^column 2 holds -5e\+190 \(row index 8\); "
                                             r"column 0 holds 1e\+180 \(row index 3\): with 60 "
                                             r"rows, XᵀX would reach n·max\|x\|² ≈ 1\.5e\+383"):
        rl.Ridge().fit(X, Y_REG)


def test_scikit_learn_ridge_also_fails_there_and_we_name_the_column():
    X = _scaled(1e200)
    with pytest.raises(ValueError), np.errstate(over="ignore"):  # scikit-learn: its Gram
        SkRidge().fit(X, Y_REG)                                  # overflows, then refused
    with pytest.raises(DataRangeError, match="column 1 holds"):
        rl.Ridge().fit(X, Y_REG)


@pytest.mark.parametrize("n", [2, 80, 10**6])
def test_overflow_limit_keeps_the_sum_of_squares_16_times_below_the_largest_float(n):
    limit = overflow_limit(n)
    assert limit == pytest.approx(np.sqrt(np.finfo(np.float64).max / (16 * n)), rel=1e-12)
    assert n * limit**2 == pytest.approx(np.finfo(np.float64).max / 16, rel=1e-12)


def test_values_just_below_the_limit_fit_with_standardize_and_match_the_rescaled_fit():
    factor = 0.5 * overflow_limit(N) / np.abs(X0[:, 1]).max()
    big = rl.Ridge(standardize=True).fit(_scaled(factor), Y_REG)
    ref = rl.Ridge(standardize=True).fit(X0, Y_REG)
    np.testing.assert_allclose(big.coef_ * np.array([1, factor, 1, 1]), ref.coef_, rtol=1e-9)


def test_sparse_input_is_checked_too():
    X = sp.csr_matrix(_scaled(1e200))
    row = int(np.argmax(np.abs(X0[:, 1])))
    with pytest.raises(DataRangeError, match=rf"column 1 holds \S+ \(row index {row}\)"):
        rl.Ridge().fit(X, Y_REG)


# --------------------------------------------------------------------------- scale ratio


@pytest.mark.parametrize("name", sorted(RATIO_LIMITED))
def test_columns_too_far_apart_for_the_solver_are_refused_naming_both(name):
    make, y = ESTIMATORS[name]
    X = _scaled(RATIO_LIMITED[name])
    spread = np.ptp(X, axis=0)
    ratio = spread[1] / spread[3]
    limit = (SINGLE_RIDGE_RATIO_LIMIT if name in ("Ridge", "RidgeClassifier") else
             SPECTRAL_RATIO_LIMIT if "Ridge" in name else NEWTON_RATIO_LIMIT)
    with pytest.raises(DataRangeError) as err:
        make().fit(_frame(X), y)
    msg = str(err.value)
    assert msg.startswith(f"column 'b' (index 1) spreads over {spread[1]:.3g} but column 'd' "
                          f"(index 3) over {spread[3]:.3g}, a ratio of {ratio:.3g}: {name} ")
    assert f"accurate up to a ratio of {limit:.3g} only" in msg
    assert "standardize=True" in msg


@pytest.mark.parametrize("make", [
    lambda: rl.Ridge(standardize=True),
    lambda: rl.RidgeCV(alphas=[0.1, 1.0, 10.0], standardize=True),
    lambda: rl.Lasso(alpha=0.01, standardize=True, tol=1e-12),
], ids=["Ridge", "RidgeCV", "Lasso"])
def test_standardized_fits_take_any_ratio_and_equal_the_fit_on_the_rescaled_data(make):
    factor = 1e40
    big = make().fit(_scaled(factor), Y_REG)
    ref = make().fit(X0, Y_REG)
    np.testing.assert_allclose(big.coef_ * np.array([1, factor, 1, 1]), ref.coef_, rtol=1e-8)
    assert big.intercept_ == pytest.approx(ref.intercept_, rel=1e-9)


@pytest.mark.parametrize("cls,y", [(rl.LogisticRegression, Y_CLS),
                                   (rl.PoissonRegressor, Y_CNT)], ids=["logistic", "poisson"])
def test_standardized_glms_take_any_ratio_and_equal_the_fit_on_the_rescaled_data(cls, y):
    factor = 1e40
    big = cls(standardize=True).fit(_scaled(factor), y)
    ref = cls(standardize=True).fit(X0, y)
    np.testing.assert_allclose(np.ravel(big.coef_) * np.array([1, factor, 1, 1]),
                               np.ravel(ref.coef_), rtol=1e-7)


def test_a_column_that_varies_only_at_rounding_level_has_no_scale_of_its_own():
    X = X0.copy()
    X[:, 2] = 1.0 + np.where(np.arange(N) % 2, 2.0**-42, 0.0)  # spread 2e-13 of its magnitude
    check_range(X, ratio_limit=SPECTRAL_RATIO_LIMIT)  # not refused
    X[:, 2] = 1.0 + np.where(np.arange(N) % 2, 2.0**-36, 0.0)  # 1.5e-11: a scale of its own
    with pytest.raises(DataRangeError, match=r"column 2 over 1\.46e-11, a ratio of"):
        check_range(X, ratio_limit=SPECTRAL_RATIO_LIMIT)


def test_without_an_intercept_the_spread_is_the_largest_magnitude():
    X = X0.copy()
    X[:, 0] = 5e11 + X0[:, 0]  # centered spread ~5, magnitude 5e11
    check_range(X, ratio_limit=SPECTRAL_RATIO_LIMIT, center=True)
    with pytest.raises(DataRangeError, match=r"column 0 spreads over 5e\+11"):
        check_range(X, ratio_limit=SPECTRAL_RATIO_LIMIT, center=False)


# --------------------------------------------------------------------------- correct answers


def _ridge_reference(X, y, alpha):
    """Ridge with an intercept in scaled coordinates: (Ẑ'Ẑ + αD⁻²) v = Ẑ'y, w = v / d."""
    xm, ym = X.mean(0), y.mean()
    d = np.abs(X - xm).max(0)
    Z = (X - xm) / d
    v = np.linalg.solve(Z.T @ Z + alpha * np.diag(1 / d**2), Z.T @ (y - ym))
    return v / d


def _glm_reference(X, y, penalty, family):
    """Newton in scaled coordinates for Σ loss + ½·penalty·‖w‖² (scikit-learn's scales)."""
    d = np.abs(X).max(0)
    A = np.column_stack([X / d, np.ones(len(y))])
    P = np.r_[penalty / d**2, 0.0]
    theta = np.zeros(A.shape[1])
    if family == "poisson":
        theta[-1] = np.log(y.mean())
    for _ in range(100):
        eta = A @ theta
        mu = 1 / (1 + np.exp(-eta)) if family == "logistic" else np.exp(eta)
        w = mu * (1 - mu) if family == "logistic" else mu
        step = np.linalg.solve((A.T * w) @ A + np.diag(P), A.T @ (mu - y) + P * theta)
        theta -= step
        if np.abs(step).max() < 1e-15 * max(1.0, np.abs(theta).max()):
            break
    return theta[:-1] / d


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")  # scikit-learn's, at 1e8
@pytest.mark.parametrize("factor", [1e4, 1e8, 1e-8], ids=["1e4", "1e8", "1e-8"])
def test_ridge_with_columns_far_apart_below_the_limit_is_exact_and_matches_sklearn(factor):
    X = _scaled(factor)
    ours = rl.Ridge(alpha=0.5).fit(X, Y_REG)
    np.testing.assert_allclose(ours.coef_, _ridge_reference(X, Y_REG, 0.5), rtol=1e-9)
    theirs = SkRidge(alpha=0.5, solver="cholesky").fit(X, Y_REG)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-9)


@pytest.mark.parametrize("factor", [1e6, 1e9, 1e11], ids=["1e6", "1e9", "1e11"])
def test_logistic_regression_with_columns_far_apart_is_exact(factor):
    # the Newton step's Cholesky factor is equilibrated: unscaled, 1e6 gave zero coefficients
    X = _scaled(factor)
    ours = rl.LogisticRegression(C=1.0).fit(X, Y_CLS)
    np.testing.assert_allclose(ours.coef_.ravel(), _glm_reference(X, Y_CLS, 1.0, "logistic"),
                               rtol=1e-7)


@pytest.mark.parametrize("factor", [1e6, 1e9, 1e11], ids=["1e6", "1e9", "1e11"])
def test_poisson_regression_with_columns_far_apart_is_exact(factor):
    X = _scaled(factor)
    ours = rl.PoissonRegressor(alpha=0.1, tol=1e-10).fit(X, Y_CNT)
    ref = _glm_reference(X, Y_CNT, 0.1 * N, "poisson")  # mean deviance/2 + α/2‖w‖²
    np.testing.assert_allclose(ours.coef_, ref, rtol=1e-7)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # its gap test
def test_lasso_has_no_ratio_limit_and_matches_sklearn_at_1e100():
    X = _scaled(1e100)
    ours = rl.Lasso(alpha=0.01, tol=1e-12).fit(X, Y_REG)
    theirs = SkLasso(alpha=0.01, tol=1e-12, max_iter=100_000).fit(X, Y_REG)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-8)


def test_equilibrated_cholesky_solves_a_graded_hessian_exactly():
    rng = np.random.default_rng(3)
    B = rng.normal(size=(20, 3))
    D = np.array([1.0, 1e8, 1e-3])
    S = D[:, None] * (B.T @ B / 20) * D[None, :]
    r = rng.normal(size=3)
    lam = 1e-4
    dw, _ = Curvature(S=S, Hwb=None, Hbb_pinv=None).solve(lam, r[:, None], np.zeros(1))
    Shat = B.T @ B / 20 + 2 * lam * np.diag(1 / D**2)
    ref = -np.linalg.solve(Shat, r / D) / D
    np.testing.assert_allclose(dw.ravel(), ref, rtol=1e-10)


# --------------------------------------------------------------------------- linear algebra


with np.errstate(over="ignore"):  # the Gram of a column near 1e200: what LAPACK fails on
    _OVERFLOWED_GRAM = _scaled(1e200, 2).T @ _scaled(1e200, 2)


@pytest.mark.parametrize("call,words", [
    (lambda: _lapack.svd(np.array([[1.0, np.nan], [0.0, 1.0]])),
     "singular value decomposition of the centered data matrix (2×2) failed"),
    (lambda: _lapack.pinv(np.array([[np.nan, 1.0], [1.0, 1.0]]), "H"),
     "pseudo-inverse of H (2×2) failed"),
    (lambda: _lapack.lstsq(np.array([[np.nan, 1.0], [1.0, 1.0]]), np.ones(2), "P"),
     "least-squares solution of P (2×2) failed"),
    (lambda: _lapack.eigvalsh(_OVERFLOWED_GRAM, "G"),
     "eigenvalue computation of G (4×4) failed (Eigenvalues did not converge)"),
], ids=["svd", "pinv", "lstsq", "eigvalsh"])
def test_a_failed_factorization_is_a_clear_value_error(call, words):
    with pytest.raises(LinearAlgebraError) as err:
        call()
    assert isinstance(err.value, ValueError)
    assert words in str(err.value)
    assert "NaN or infinite" in str(err.value) and "rescale the columns" in str(err.value)


def test_a_singular_system_is_named_as_such():
    with pytest.raises(LinearAlgebraError, match=r"solution of S \(2×2\) failed \(Singular "
                                                 r"matrix\); all its entries are zero"):
        _lapack.solve(np.zeros((2, 2)), np.ones(2), "S")


def test_the_command_lines_fit_reports_a_factorization_failure_as_a_failed_fit(monkeypatch):
    from ridgeline.report import _fitters, fitting

    def broken(*args, **kwargs):
        raise LinearAlgebraError("the eigendecomposition of G (2×2) failed (x)")

    monkeypatch.setitem(_fitters.FITTERS, "ridge", broken)
    with pytest.raises(fitting.FitFailedError, match=r"linear algebra failed: the "
                                                     r"eigendecomposition of G"):
        fitting.fit_model("ridge", X0, Y_REG, cv=3)


# --------------------------------------------------------------------------- command line


def _csv(path: Path, columns: dict) -> Path:
    pacsv.write_csv(pa.table(columns), path)
    return path


@pytest.mark.parametrize("model", ["ridge", "logistic", "lasso"])
def test_cli_refuses_a_huge_column_by_name_and_data_row(tmp_path, model):
    y = Y_CLS if model == "logistic" else Y_REG
    path = _csv(tmp_path / "d.csv", {"a": X0[:, 0], "huge": X0[:, 1] * 1e200, "y": y})
    row = int(np.argmax(np.abs(X0[:, 1])))
    res = runner.invoke(app, ["fit", str(path), "--target", "y", "--model", model, "-q"])
    assert res.exit_code == 2, res.output
    assert f"column 'huge' (index 1) holds {X0[row, 1] * 1e200:.4g} (data row {row + 1})" \
        in _words(res.stderr)


def test_cli_refuses_columns_far_apart_without_standardize_and_fits_with_it(tmp_path):
    path = _csv(tmp_path / "d.csv", {"a": X0[:, 0], "wide": X0[:, 1] * 1e14, "d": X0[:, 3],
                                     "y": Y_CLS})
    res = runner.invoke(app, ["fit", str(path), "--target", "y", "--model", "logistic",
                              "--no-standardize", "-q"])
    assert res.exit_code == 2
    msg = _words(res.stderr)
    assert "column 'wide' (index 1) spreads over" in msg and "column 'd' (index 2)" in msg
    assert "--model logistic factors" in msg and "--standardize" in msg
    res = runner.invoke(app, ["fit", str(path), "--target", "y", "--model", "logistic",
                              "--cv", "3", "-q"])
    assert res.exit_code == 0, res.output


def test_cli_names_an_overflowing_target(tmp_path):
    y = Y_REG.copy()
    y[4] = 1e300
    path = _csv(tmp_path / "d.csv", {"a": X0[:, 0], "b": X0[:, 1], "price": y})
    res = runner.invoke(app, ["fit", str(path), "--target", "price", "-q"])
    assert res.exit_code == 2
    assert "target 'price' holds 1e+300 (data row 5)" in _words(res.stderr)


@pytest.mark.parametrize("ratio", [1e11, 1e12, 5e12])
def test_single_ridge_fits_are_exact_up_to_their_ratio_limit(ratio):
    """Below SINGLE_RIDGE_RATIO_LIMIT a Ridge fit is not refused and equals the solution of
    the equilibrated normal equations (an exact reference) to 1e-10 per coefficient."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((200, 5)) * np.logspace(0, np.log10(ratio), 5)
    y = X @ (1.0 / np.logspace(0, np.log10(ratio), 5)) + rng.standard_normal(200)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    d = 1.0 / np.sqrt((Xc ** 2).sum(axis=0) + 1.0)
    A = (Xc.T @ Xc + np.eye(5)) * np.outer(d, d)
    ref = d * np.linalg.solve(A, d * (Xc.T @ yc))
    np.testing.assert_allclose(rl.Ridge(alpha=1.0).fit(X, y).coef_, ref, rtol=1e-10)
