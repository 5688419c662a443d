"""Grid sizes and grids bounded by what they need (issue 18, "Resources").

A grid asked for by size (``n_lambdas``, ``alphas``, ``Cs``) or given as values is refused
before any work when its memory exceeds the machine's budget, or — on the iterative paths,
where each point is a solve on every fold — when it has more than
``MAX_SOLVED_POINTS`` points. The refusal names the parameter, the size asked for and the
largest size that fits. Where a real fit would be impossible (10⁹ λ need > 100 GiB, 10⁷ C
would run for days) getting the ValueError at all shows the refusal came first.

With a small patched memory budget, "the number that fits" is checked for what it claims:
that many points fit, one more is refused.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from typer.testing import CliRunner

from ridgeline import (
    ElasticNetCV,
    GroupLassoCV,
    Lasso,
    LassoCV,
    LogisticRegression,
    LogisticRegressionCV,
    PoissonRegressor,
    Ridge,
    RidgeClassifierCV,
    RidgeCV,
    auto_glm_grid,
    auto_lambda_grid,
    enet_path,
    glm_path,
    group_lasso_path,
    ridge_path,
    select_ridge,
)
from ridgeline.cli import app
from ridgeline.diagnostics import (
    bias_variance,
    regularization_path,
    shrinkage_factors,
    train_validation_curve,
)
from ridgeline.losses import LOSSES
from ridgeline.path import budget
from ridgeline.path.budget import (
    MAX_SOLVED_POINTS,
    GridBudgetError,
    check_count,
    check_grid_budget,
    format_bytes,
)
from ridgeline.report import fit_model
from ridgeline.selection.glm_cv import glm_cv
from ridgeline.solvers.problem import GLMProblem
from ridgeline.solvers.spectral import Factor
from ridgeline.stats import ArraySource

runner = CliRunner()
HUGE = 10**9  # points: > 100 GiB for any grid, and 10⁵ times the solve cap
CAP = f"{MAX_SOLVED_POINTS:,}"

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 3))
y = X @ np.array([1.0, -0.5, 0.0]) + 0.3 * rng.normal(size=40)
Y3 = np.column_stack([y, -y + 0.1 * rng.normal(size=40), y + 1.0])
LABELS = (y > 0).astype(int)
COUNTS = rng.poisson(np.exp(0.3 * X[:, 0])).astype(float)


def _logistic_problem() -> GLMProblem:
    return GLMProblem.from_arrays(X, LABELS.astype(float), None, LOSSES["binomial"], True)


def _factor() -> Factor:
    return select_ridge(X, y[:, None], np.ones(40), lambdas=np.array([0.1]), cv="gcv").factor


def _fits(message: str, name: str) -> int:
    """The size the message says fits (``use NAME ≤ N`` or ``at most N values in NAME``)."""
    pattern = (rf"(?:use {re.escape(name)} ≤ ([\d,]+)|give at most ([\d,]+) values in "
               rf"{re.escape(name)})")
    found = re.search(pattern, message)
    assert found, message
    return int((found.group(1) or found.group(2)).replace(",", ""))


# ---- refused up front: sizes no machine could run ---------------------------------------------

#: (id, call, parameter named in the message, what the message says was asked, the size that
#: fits or None when it depends on this machine's memory)
REFUSED = [
    ("ridgecv-loo", lambda: RidgeCV(alphas="auto", n_lambdas=HUGE).fit(X, y),
     "n_lambdas", "n_lambdas=1000000000", None),
    ("ridgecv-kfold", lambda: RidgeCV(alphas="auto", n_lambdas=HUGE, cv=5).fit(X, y),
     "n_lambdas", "n_lambdas=1000000000", None),
    ("ridgecv-gcv", lambda: RidgeCV(alphas="auto", n_lambdas=HUGE, cv="gcv").fit(X, y),
     "n_lambdas", "n_lambdas=1000000000", None),
    ("ridgecv-per-target", lambda: RidgeCV(alphas="auto", n_lambdas=HUGE, alpha_per_target=True,
                                           cv=3).fit(X, Y3),
     "n_lambdas", "n_lambdas=1000000000", None),
    ("ridgecv-source", lambda: RidgeCV(alphas="auto", n_lambdas=HUGE, cv=3).fit(
        ArraySource(X, y)), "n_lambdas", "n_lambdas=1000000000", None),
    ("ridgeclassifiercv", lambda: RidgeClassifierCV(alphas="auto", n_lambdas=HUGE).fit(X, LABELS),
     "n_lambdas", "n_lambdas=1000000000", None),
    ("lassocv-count", lambda: LassoCV(alphas=10**8).fit(X, y),
     "alphas", "alphas=100000000", MAX_SOLVED_POINTS),
    ("lassocv-grid", lambda: LassoCV(alphas=np.logspace(0, -4, 10_001)).fit(X, y),
     "alphas", "alphas with 10,001 values", MAX_SOLVED_POINTS),
    ("enetcv-count", lambda: ElasticNetCV(alphas=10**8).fit(X, y),
     "alphas", "alphas=100000000", MAX_SOLVED_POINTS),
    ("enetcv-ratios-times-alphas", lambda: ElasticNetCV(l1_ratio=[0.1, 0.5, 0.9],
                                                        alphas=5000).fit(X, y),
     "alphas", "alphas=5000 and 3 l1_ratio values (15,000 grid points)", 3333),
    ("enetcv-many-ratios", lambda: ElasticNetCV(l1_ratio=np.linspace(0.01, 1, 20_000)).fit(X, y),
     "l1_ratio", "l1_ratio with 20,000 values", MAX_SOLVED_POINTS),
    ("grouplassocv", lambda: GroupLassoCV(groups=[0, 0, 1], alphas=10**6).fit(X, y),
     "alphas", "alphas=1000000", MAX_SOLVED_POINTS),
    ("logisticcv-1e7", lambda: LogisticRegressionCV(Cs=10**7, l1_ratios=(0,)).fit(X, LABELS),
     "Cs", "Cs=10000000", MAX_SOLVED_POINTS),
    ("logisticcv-1e9", lambda: LogisticRegressionCV(Cs=HUGE, l1_ratios=(0,)).fit(X, LABELS),
     "Cs", "Cs=1000000000", MAX_SOLVED_POINTS),
    ("logisticcv-alo", lambda: LogisticRegressionCV(Cs=10**7, method="alo",
                                                    l1_ratios=(0,)).fit(X, LABELS),
     "Cs", "Cs=10000000", MAX_SOLVED_POINTS),
    ("logisticcv-grid", lambda: LogisticRegressionCV(Cs=np.logspace(-4, 4, 10_001),
                                                     l1_ratios=(0,)).fit(X, LABELS),
     "Cs", "Cs with 10,001 values", MAX_SOLVED_POINTS),
    ("logisticcv-l1-ratios", lambda: LogisticRegressionCV(Cs=200, l1_ratios=np.linspace(0, 1, 100)
                                                          ).fit(X, LABELS),
     "Cs", "Cs=200 and 100 l1_ratios values (20,000 grid points)", 100),
    ("logisticcv-source", lambda: LogisticRegressionCV(Cs=10**7, cv=3, l1_ratios=(0,)).fit(
        ArraySource(X, LABELS.astype(float))), "Cs", "Cs=10000000", MAX_SOLVED_POINTS),
    ("enet-path-count", lambda: enet_path(X, y, lambdas=10**6),
     "lambdas", "lambdas=1000000", MAX_SOLVED_POINTS),
    ("enet-path-grid", lambda: enet_path(X, y, lambdas=np.logspace(0, -3, 20_000)),
     "lambdas", "lambdas with 20,000 values", MAX_SOLVED_POINTS),
    ("group-lasso-path", lambda: group_lasso_path(X, y, [0, 0, 1], lambdas=10**6),
     "lambdas", "lambdas=1000000", MAX_SOLVED_POINTS),
    ("glm-path", lambda: glm_path(_logistic_problem(), np.logspace(0, -4, 20_000)),
     "lambdas", "lambdas with 20,000 values", MAX_SOLVED_POINTS),
    ("auto-glm-grid", lambda: auto_glm_grid(_logistic_problem(), HUGE),
     "n_lambdas", "n_lambdas=1000000000", MAX_SOLVED_POINTS),
    ("glm-cv", lambda: glm_cv(_logistic_problem(), 5, n_lambdas=HUGE),
     "n_lambdas", "n_lambdas=1000000000", MAX_SOLVED_POINTS),
    ("auto-lambda-grid", lambda: auto_lambda_grid(np.array([3.0, 2.0, 1.0]), 1.0, HUGE),
     "n_lambdas", "n_lambdas=1000000000", None),
    ("select-ridge", lambda: select_ridge(X, y[:, None], np.ones(40), n_lambdas=HUGE, cv=5),
     "n_lambdas", "n_lambdas=1000000000", None),
    ("regularization-path-ridge", lambda: regularization_path(Ridge(), X, y, n_lambdas=HUGE),
     "n_lambdas", "n_lambdas=1000000000", None),
    ("regularization-path-logistic", lambda: regularization_path(LogisticRegression(), X, LABELS,
                                                                 n_lambdas=100_000),
     "n_lambdas", "n_lambdas=100000", MAX_SOLVED_POINTS),
    ("regularization-path-lasso", lambda: regularization_path(Lasso(), X, y, n_lambdas=100_000),
     "n_lambdas", "n_lambdas=100000", MAX_SOLVED_POINTS),
    ("train-validation-ridge", lambda: train_validation_curve(Ridge(), X, y, n_lambdas=HUGE),
     "n_lambdas", "n_lambdas=1000000000", None),
    ("train-validation-lasso", lambda: train_validation_curve(Lasso(), X, y, n_lambdas=100_000),
     "n_lambdas", "n_lambdas=100000", MAX_SOLVED_POINTS),
    ("shrinkage", lambda: shrinkage_factors(Ridge(), X, y, n_lambdas=HUGE),
     "n_lambdas", "n_lambdas=1000000000", None),
    ("bias-variance-ridge", lambda: bias_variance(Ridge(), X, y, n_lambdas=HUGE, n_rounds=2),
     "n_lambdas", "n_lambdas=1000000000", None),
    ("bias-variance-logistic", lambda: bias_variance(LogisticRegression(), X, LABELS,
                                                     n_lambdas=20_000, n_rounds=2),
     "n_lambdas", "n_lambdas=20000", MAX_SOLVED_POINTS),
    ("fit-model-ridge", lambda: fit_model("ridge", X, y, n_lambdas=HUGE),
     "n_lambdas", "n_lambdas=1000000000", None),
    ("fit-model-logistic", lambda: fit_model("logistic", X, LABELS, n_lambdas=100_000),
     "n_lambdas", "n_lambdas=100000", MAX_SOLVED_POINTS),
    ("fit-model-poisson", lambda: fit_model("poisson", X, COUNTS, n_lambdas=100_000),
     "n_lambdas", "n_lambdas=100000", MAX_SOLVED_POINTS),
    ("fit-model-lasso", lambda: fit_model("lasso", X, y, n_lambdas=100_000),
     "alphas", "alphas=100000", MAX_SOLVED_POINTS),
]


@pytest.mark.parametrize(("call", "name", "asked", "fits"), [c[1:] for c in REFUSED],
                         ids=[c[0] for c in REFUSED])
def test_oversized_grid_is_refused_naming_parameter_and_what_fits(call, name, asked, fits):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's FutureWarnings on some defaults
        with pytest.raises(GridBudgetError) as info:
            call()
    message = str(info.value)
    assert f"{asked} is too large" in message
    most = _fits(message, name)
    if fits is not None:
        assert most == fits
        assert f"at most {CAP} grid points are taken" in message
    else:  # memory: the message says how much, and the size that fits is below the request
        assert "of memory" in message and "GiB" in message
        assert 1 <= most < HUGE


def test_grid_budget_error_is_a_value_error():
    assert issubclass(GridBudgetError, ValueError)


# ---- the size that fits is what it says: that many fit, one more does not ---------------------

@pytest.fixture
def small_budget(monkeypatch):
    """A memory budget of 96 KiB, so that the sizes that fit are small enough to run."""
    monkeypatch.setattr(budget, "memory_budget", lambda: 96 * 1024)


def _ridge_auto(**kw):
    return lambda n: RidgeCV(alphas="auto", n_lambdas=n, **kw).fit(X, y)


MEMORY_BOUND = [
    ("ridgecv-loo", _ridge_auto(), "n_lambdas"),
    ("ridgecv-kfold", _ridge_auto(cv=5), "n_lambdas"),
    ("ridgecv-store-cv-results", _ridge_auto(store_cv_results=True), "n_lambdas"),
    ("ridgecv-per-target", lambda n: RidgeCV(alphas="auto", n_lambdas=n, cv=4,
                                             alpha_per_target=True).fit(X, Y3), "n_lambdas"),
    ("ridgecv-alphas-given", lambda n: RidgeCV(alphas=np.logspace(-3, 3, n), cv=5).fit(X, y),
     "alphas"),
    ("ridgecv-lambdas-given", lambda n: RidgeCV(lambdas=np.logspace(-3, 1, n)).fit(X, y),
     "lambdas"),
    ("lassocv-count", lambda n: LassoCV(alphas=n, cv=3).fit(X, y), "alphas"),
    ("logisticcv-count", lambda n: LogisticRegressionCV(Cs=n, cv=3, l1_ratios=(0,)).fit(
        X, LABELS), "Cs"),
    ("enet-path", lambda n: enet_path(X, y, lambdas=n), "lambdas"),
    ("ridge-path", lambda n: ridge_path(_factor(), np.logspace(-3, 1, n)), "lambdas"),
    ("glm-path", lambda n: glm_path(_logistic_problem(), np.logspace(0, -2, n)), "lambdas"),
]


@pytest.mark.parametrize(("fit", "name"), [c[1:] for c in MEMORY_BOUND],
                         ids=[c[0] for c in MEMORY_BOUND])
def test_the_size_that_fits_fits_and_one_more_does_not(small_budget, fit, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # grid-edge and convergence warnings of tiny grids
        with pytest.raises(GridBudgetError) as info:
            fit(5_000)  # below the solve cap: memory binds
        message = str(info.value)
        assert "of memory" in message and "more than the 96 KiB a grid may use" in message
        most = _fits(message, name)
        assert 2 <= most < 5_000
        fit(most)  # fits: no error
        with pytest.raises(GridBudgetError, match=rf"{name}.* is too large"):
            fit(most + 1)


# ---- normal grids still work ------------------------------------------------------------------

@pytest.mark.parametrize("n", [100, 1000])
def test_ridge_grids_of_usual_sizes_fit(n):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = RidgeCV(alphas="auto", n_lambdas=n, cv=5).fit(X, y)
    assert est.selection_.lambdas.size == n


def test_iterative_grids_of_usual_sizes_fit():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert LassoCV(alphas=300, cv=3).fit(X, y).alphas_.size == 300
        assert LogisticRegressionCV(Cs=100, cv=3, l1_ratios=(0,)).fit(X, LABELS).Cs_.size == 100
        assert enet_path(X, y, lambdas=1000).lambdas.size == 1000
        assert auto_glm_grid(_logistic_problem(), 1000).size == 1000


def test_poisson_estimator_has_no_grid_and_fits():
    assert np.all(np.isfinite(PoissonRegressor(alpha=0.1).fit(X, COUNTS).coef_))


# ---- the budget module ------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "shown"), [(1e9, "1000000000.0 (float)"),
                                              ("100", "'100' (str)"), (True, "True (bool)"),
                                              (None, "None (NoneType)")])
def test_a_grid_size_must_be_an_integer(value, shown):
    with pytest.raises(TypeError, match=re.escape(f"n_lambdas must be an integer (the number "
                                                  f"of grid points), got {shown}")):
        check_count(value, "n_lambdas")


@pytest.mark.parametrize("value", [0, -5])
def test_a_grid_size_must_be_positive(value):
    with pytest.raises(ValueError, match=f"n_lambdas must be at least 1, got {value}"):
        check_count(value, "n_lambdas")


@pytest.mark.parametrize("value", [1, 100, MAX_SOLVED_POINTS])
def test_a_grid_size_within_the_solve_cap_is_accepted(value):
    assert check_count(value, "Cs", solved=True) == value


def test_one_more_than_the_solve_cap_is_refused():
    with pytest.raises(GridBudgetError, match=rf"Cs=10001 is too large.*use Cs ≤ {CAP}"):
        check_count(MAX_SOLVED_POINTS + 1, "Cs", solved=True)


def test_a_closed_form_grid_has_no_solve_cap():
    check_grid_budget("n_lambdas", 10 * MAX_SOLVED_POINTS, bytes_per_point=8)


@pytest.mark.parametrize(("per_point", "fits"), [(1024, 96), (1000, 98), (96 * 1024, 1)])
def test_the_size_that_fits_is_the_budget_over_the_bytes_per_point(small_budget, per_point,
                                                                   fits):
    with pytest.raises(GridBudgetError, match=f"use n_lambdas ≤ {fits} "):
        check_grid_budget("n_lambdas", fits + 1, bytes_per_point=per_point)
    check_grid_budget("n_lambdas", fits, bytes_per_point=per_point)


def test_not_even_one_point_fits_says_what_to_reduce(small_budget):
    with pytest.raises(GridBudgetError, match="not even one point fits: use fewer features"):
        check_grid_budget("lambdas", 3, given=True, bytes_per_point=10**6)


@pytest.mark.parametrize(("n", "text"), [(512, "512 bytes"), (2048, "2 KiB"),
                                         (7.45 * 2**30, "7.45 GiB"), (3 * 2**40, "3 TiB")])
def test_format_bytes(n, text):
    assert format_bytes(n) == text


def test_the_budget_is_a_share_of_this_machines_memory():
    total = budget.physical_memory()
    assert total is not None and total > 0
    assert budget.memory_budget() == int(budget.MEMORY_FRACTION * total)


# ---- the command line -------------------------------------------------------------------------

@pytest.mark.parametrize(("model", "fits"), [("ridge", None), ("logistic", CAP),
                                             ("poisson", CAP), ("lasso", CAP),
                                             ("elasticnet", CAP)])
def test_cli_refuses_a_huge_n_lambdas_before_reading_data(model, fits):
    res = runner.invoke(app, ["fit", "--model", model, "--n-lambdas", str(HUGE), "-q"])
    assert res.exit_code == 2, res.output
    assert "--n-lambdas=1000000000 is too large" in res.output
    assert "unexpected" not in res.output and "MemoryError" not in res.output
    most = _fits(res.output, "--n-lambdas")
    if fits is not None:
        assert f"{most:,}" == fits
    else:
        assert 1 <= most < HUGE


def test_cli_report_refuses_a_huge_n_lambdas(tmp_path):
    res = runner.invoke(app, ["report", "--model", "logistic", "--n-lambdas", "20000", "-o",
                              str(tmp_path / "r.html")])
    assert res.exit_code == 2, res.output
    assert "--n-lambdas=20000 is too large" in res.output
    assert f"use --n-lambdas ≤ {CAP}" in res.output


def test_cli_fit_reports_a_memory_error_as_out_of_memory(monkeypatch):
    import ridgeline.cli.fit as cli_fit

    def boom(*args, **kwargs):
        raise MemoryError("Unable to allocate 7.45 GiB for an array with shape (1000000000,)")

    monkeypatch.setattr(cli_fit, "_fit_table", boom)
    res = runner.invoke(app, ["fit", "--target", "target", "-q"])
    assert res.exit_code == 1, res.output
    assert "out of memory (Unable to allocate 7.45 GiB" in res.output
    assert "use a smaller grid (--n-lambdas, --lambdas), fewer rows" in res.output
    assert "unexpected" not in res.output


def test_cli_generic_handler_reports_a_memory_error_as_out_of_memory(monkeypatch):
    import ridgeline.cli.fit as cli_fit

    def boom(*args, **kwargs):
        raise MemoryError("Unable to allocate 2 GiB")

    monkeypatch.setattr(cli_fit, "parse_model_options", boom)
    res = runner.invoke(app, ["fit", "-q"])
    assert res.exit_code == 1, res.output
    assert "out of memory (Unable to allocate 2 GiB)" in res.output
    assert "unexpected" not in res.output
