"""``GridEdgeWarning`` of ``LassoCV``, ``ElasticNetCV``, ``GroupLassoCV`` and the command line.

The rule is ridge's and logistic's (:func:`ridgeline.selection.result.edge_sides`): warn when
the chosen alpha is an end of the grid, where the CV curve was still falling. For the sparse
models the top of an automatic grid is alpha_max, where every coefficient is already zero: the
curve cannot fall beyond it, so choosing it (the null model) never warns; a given grid whose
largest alpha lies below alpha_max does warn there.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from sklearn.model_selection import KFold
from typer.testing import CliRunner

import ridgeline as rl
from ridgeline.cli import app
from ridgeline.selection import GridEdgeWarning

FOLDS = list(KFold(4, shuffle=True, random_state=0).split(np.zeros(200)))


def _signal(seed=0, n=200, p=6, noise=0.1):
    """A dense signal: with little noise the best alpha is tiny (the low edge of a short
    grid); with more, sparse and inside the default grid."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    beta = np.linspace(1.0, 3.0, p) if noise < 1 else np.r_[0, 0, 0.3, 0, 0.5, 1.0]
    return X, X @ beta + noise * rng.normal(size=n)


def _noise(seed=1, n=200, p=6):
    """No signal (a seed where CV picks the null model at alpha_max)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, p)), rng.normal(size=n)


def _fit(est, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    return [w for w in caught if issubclass(w.category, GridEdgeWarning)]


ESTIMATORS = {
    "LassoCV": lambda **kw: rl.LassoCV(cv=FOLDS, **kw),
    "ElasticNetCV": lambda **kw: rl.ElasticNetCV(l1_ratio=[0.5, 0.9], cv=FOLDS, **kw),
    "GroupLassoCV": lambda **kw: rl.GroupLassoCV(groups=2, cv=FOLDS, **kw),
}


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_low_edge_warns_when_the_curve_still_falls(name):
    X, y = _signal()
    est = ESTIMATORS[name](alphas=8, eps=0.1)
    caught = _fit(est, X, y)
    grid = est.selection_.alphas  # of the chosen l1_ratio
    assert est.alpha_ == pytest.approx(grid.min())
    mse = -est.selection_.mean_score
    assert mse[-1] < mse[-2]  # the error still falling at the edge
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "smallest value of the grid" in message and "lower eps" in message
    assert caught[0].filename == __file__  # points at the caller of fit


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_interior_choice_and_null_model_do_not_warn(name):
    X, y = _signal(noise=2.0)
    est = ESTIMATORS[name]()  # 100 alphas down to 1e-3·alpha_max: the optimum is inside
    assert _fit(est, X, y) == []
    grid = est.selection_.alphas
    assert grid.min() < est.alpha_ < grid.max()
    X, y = _noise()
    est = ESTIMATORS[name](alphas=10, eps=0.1)
    assert _fit(est, X, y) == []
    assert est.alpha_ == pytest.approx(est.selection_.alphas.max())  # alpha_max
    assert np.all(est.coef_ == 0.0)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_a_given_grid_below_alpha_max_warns_at_its_top(name):
    X, y = _noise()
    alpha_max = ESTIMATORS[name](alphas=3).fit(X, y).selection_.alphas.max()
    est = ESTIMATORS[name](alphas=alpha_max * np.array([0.5, 0.2, 0.05, 0.01]))
    caught = _fit(est, X, y)
    assert est.alpha_ == pytest.approx(0.5 * alpha_max)
    assert len(caught) == 1 and "largest value of the grid" in str(caught[0].message)
    assert "alpha_max" in str(caught[0].message)


def test_a_one_point_grid_does_not_warn():
    X, y = _signal()
    assert _fit(rl.LassoCV(alphas=[0.01], cv=FOLDS), X, y) == []


def _csv(path, X, y):
    pacsv.write_csv(pa.table({**{f"x{j}": X[:, j] for j in range(X.shape[1])}, "y": y}), path)
    return str(path)


def test_cli_notes_the_edge_for_sparse_models(tmp_path):
    edge = _csv(tmp_path / "edge.csv", *_signal())
    inside = _csv(tmp_path / "inside.csv", *_signal(noise=2.0))
    runner = CliRunner()
    for model in ("lasso", "elasticnet"):
        res = runner.invoke(app, ["fit", edge, "-t", "y", "--model", model, "--json",
                                  "--lambdas", "1,0.3,0.1"])
        assert res.exit_code == 0, res.output
        report = json.loads(res.stdout)
        assert report["lambda"] == [0.1]
        assert any("smallest value of the grid" in w for w in report["warnings"]), report
        res = runner.invoke(app, ["fit", inside, "-t", "y", "--model", model, "--json"])
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["warnings"] == []
