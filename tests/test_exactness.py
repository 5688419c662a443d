"""Exact answers and the rounding floor: polished Newton, and tolerances float64 cannot reach.

- A final model's Newton ends with one more (evaluated) step: its coefficients equal
  scikit-learn's tight solution to ~1e-12, not just to the tolerance.
- ``tol=1e-18`` (below what float64 can reach) stops once the gradient stops falling —
  a handful of steps past the tolerance's reach, not ``max_iter``.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLR

import ridgeline as rl
from ridgeline.losses import BinomialLoss
from ridgeline.solvers.glm_fit import fit
from ridgeline.solvers.problem import GLMProblem


def _tight_sklearn(X, y, C):
    return SkLR(C=C, tol=1e-12, max_iter=10_000, solver="newton-cholesky").fit(X, y)


@pytest.mark.parametrize("load", [load_breast_cancer, load_wine])
def test_default_fit_equals_sklearns_tight_solution(load):
    X, y = load(return_X_y=True)
    ours = rl.LogisticRegression(C=0.7).fit(X, y)
    ref = _tight_sklearn(X, y, 0.7)
    rel = np.abs(ours.coef_ - ref.coef_).max() / np.abs(ref.coef_).max()
    assert rel <= 1e-9
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-9, atol=1e-9)


def test_polish_takes_one_more_evaluated_step_to_rounding_level():
    X, y = load_breast_cancer(return_X_y=True)
    prob = GLMProblem.from_arrays(X, (y == 1).astype(float), None, BinomialLoss(), True)
    W0, b0 = prob.null_start(prob.source.target_summary(1), np.array([-1]), 1)
    kw = dict(solver="newton", tol=1e-6, max_iter=100)
    plain = fit(prob, 1e-3, W0, b0, [-1], 1, **kw)
    polished = fit(prob, 1e-3, W0, b0, [-1], 1, polish=True, **kw)
    assert plain.converged[0] and polished.converged[0]
    assert polished.n_passes == plain.n_passes + 1
    assert polished.n_iter[0] == plain.n_iter[0] + 1
    assert plain.grad_norm[0] > 1e-11  # stopped at the tolerance ...
    assert polished.grad_norm[0] <= 1e-11  # ... one more step reaches rounding level
    # f has no digits left to show the gain: equal to rounding
    assert polished.objective[0] <= plain.objective[0] * (1 + 1e-14)


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
@pytest.mark.parametrize("load", [load_breast_cancer, load_wine])
def test_unreachable_tolerance_stops_at_the_rounding_floor(load, solver):
    X, y = load(return_X_y=True)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = rl.LogisticRegression(C=0.7, tol=1e-18, max_iter=10_000, solver=solver).fit(X, y)
    assert time.perf_counter() - t < 5.0  # generous bound for a loaded CI machine
    assert est.n_iter_[0] <= (60 if solver == "newton" else 1_000)
    assert est.grad_norm_ <= 1e-11  # it went to the floor before stopping
    ref = _tight_sklearn(X, y, 0.7)
    assert np.abs(est.coef_ - ref.coef_).max() <= 1e-8 * np.abs(ref.coef_).max()


def test_unreachable_tolerance_in_cv_with_class_weights_stops():
    X, y = load_breast_cancer(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("ignore", rl.GridEdgeWarning)
        est = rl.LogisticRegressionCV(Cs=5, cv=3, tol=1e-18, max_iter=10_000,
                                      class_weight="balanced").fit(X, y)
    assert est.n_iter_.max() <= 60


def test_solver_entry_refuses_a_bad_penalty_or_start():
    X, y = load_wine(return_X_y=True)
    prob = GLMProblem.from_arrays(X, (y == 1).astype(float), None, BinomialLoss(), True)
    W0, b0 = np.zeros((1, X.shape[1], 1)), np.zeros((1, 1))
    for lam in (-0.1, np.nan, np.inf):
        with pytest.raises(ValueError, match="finite and non-negative"):
            fit(prob, lam, W0, b0, [-1], 1, solver="lbfgs")
    with pytest.raises(ValueError, match="does not fit 1 models of 13 features"):
        fit(prob, 0.1, np.zeros((1, 12, 1)), b0, [-1], 1, solver="newton")
