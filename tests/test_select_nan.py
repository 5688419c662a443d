"""A NaN CV score is never chosen, by every selection that picks the best grid point."""

import numpy as np
import pytest

from ridgeline.losses.binomial import BinomialLoss
from ridgeline.selection.glm_scoring import resolve_glm_scorer
from ridgeline.selection.glm_select import finish
from ridgeline.selection.result import select_min


@pytest.mark.parametrize(("mean", "expected"), [
    ([np.nan, 1.0, 2.0], 2),
    ([3.0, np.nan, 2.0], 0),
    ([np.nan, np.nan, np.nan], 0),
    ([1.0, 1.0, 0.5], 0),  # ties keep grid order
])
def test_select_min_skips_nan(mean, expected):
    assert select_min(np.array(mean)) == expected


def test_select_min_per_target_columns():
    mean = np.array([[np.nan, 1.0], [0.0, np.nan], [1.0, 0.0]])
    assert select_min(mean).tolist() == [2, 0]


def test_glm_finish_never_chooses_a_nan_score():
    lam = np.array([1.0, 0.1, 0.01])
    mean = np.array([np.nan, -0.4, -0.5])
    res = finish(lam, 1 / lam, "kfold", resolve_glm_scorer("neg_log_loss", BinomialLoss()),
                 None, mean, np.full(3, np.nan), np.ones(3), "min", 5, 0)
    assert res.index_min == 1
    assert res.lambda_min == 0.1
