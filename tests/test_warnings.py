"""Grid-edge warnings point at the user's own line and say what the edge means."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes

from ridgeline import GridEdgeWarning, RidgeCV, select_ridge


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True)


def _caught(fn):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        fn()
    return [w for w in rec if issubclass(w.category, GridEdgeWarning)]


def test_edge_warning_points_at_the_callers_line(diabetes):
    X, y = diabetes
    rec = _caught(lambda: RidgeCV(alphas=[0.1, 1.0, 10.0], cv=5).fit(X, y))
    assert len(rec) == 1 and rec[0].filename == __file__
    rec = _caught(lambda: select_ridge(X, y[:, None], np.ones(len(y)),
                                       lambdas=np.array([1e-6, 1e-5]), cv=5))
    assert len(rec) == 1 and rec[0].filename == __file__


def test_low_edge_message_explains_only_when_dof_is_near_full(diabetes):
    X, y = diabetes
    (w,) = _caught(lambda: RidgeCV(alphas=[0.1, 1.0, 10.0], cv=5).fit(X, y))
    assert "little regularization" in str(w.message) and "of at most 11" in str(w.message)
    (w,) = _caught(lambda: RidgeCV(alphas=[1e4, 1e5], cv=5).fit(X, y))
    assert "smallest" in str(w.message) and "little regularization" not in str(w.message)
    (w,) = _caught(lambda: RidgeCV(alphas=[1e-6, 1e-5], cv=5).fit(X, y))
    assert "largest" in str(w.message)


def test_interior_choice_is_silent(diabetes):
    X, y = diabetes
    assert _caught(lambda: RidgeCV(alphas=np.logspace(-4, 4, 30), cv=5).fit(X, y)) == []
