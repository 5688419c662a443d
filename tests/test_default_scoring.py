"""Default scoring of the CV estimators (issue 19, item 1).

``LogisticRegressionCV`` ranks C by the held-out log loss unless told otherwise — for K-fold
and ALO, binary and multinomial, L2 and elastic net — with no FutureWarning; ``score`` uses the
same rule. On imbalanced classes accuracy is flat and picks the edge of the grid.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import expit
from sklearn.metrics import accuracy_score, log_loss

from ridgeline import LogisticRegressionCV
from ridgeline.losses import BinomialLoss, MultinomialLoss, PoissonLoss
from ridgeline.selection.glm_scoring import resolve_glm_scorer

L2 = {"l1_ratios": (0,)}  # silences scikit-learn 1.9's l1_ratios FutureWarning only


def _imbalanced(seed: int = 0, n: int = 600, p: int = 8):
    """About 2-3 % positives driven by three of p standard normal features."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    eta = X @ np.r_[1.0, -0.8, 0.5, np.zeros(p - 3)] - 4.2
    return X, (rng.uniform(size=n) < expit(eta)).astype(int)


def _three_classes(seed: int = 1, n: int = 150, p: int = 4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    logits = X @ rng.normal(size=(p, 3))
    y = np.array([rng.choice(3, p=np.exp(r) / np.exp(r).sum()) for r in logits])
    return X, y


def test_default_scoring_is_log_loss_without_a_warning():
    X, y = _imbalanced()
    assert LogisticRegressionCV().get_params()["scoring"] == "neg_log_loss"
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        est = LogisticRegressionCV(Cs=5, **L2).fit(X, y)
    assert est.cv_result_.scoring == "neg_log_loss"


@pytest.mark.parametrize("method", ["alo", "kfold"])
def test_default_picks_an_interior_C_where_accuracy_picks_the_edge(method):
    X, y = _imbalanced()
    assert 0.01 < y.mean() < 0.04
    default = LogisticRegressionCV(Cs=20, method=method, **L2).fit(X, y)
    explicit = LogisticRegressionCV(Cs=20, method=method, scoring="neg_log_loss",
                                    **L2).fit(X, y)
    assert default.C_ == explicit.C_
    grid = np.logspace(-4, 4, 20)
    assert grid[0] < default.C_ < grid[-1]  # not an edge of the grid
    if method == "alo":  # accuracy is flat: every C predicts "no" and ties at the first C
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the GridEdgeWarning is the point here
            acc = LogisticRegressionCV(Cs=20, method="alo", scoring=None, **L2).fit(X, y)
        assert grid[0] == acc.C_


@pytest.mark.parametrize("kw", [{"method": "alo"}, {"l1_ratios": (0.5,)}, {"l1_ratios": (1.0,)}],
                         ids=["multinomial-alo", "multinomial-enet", "binary-l1"])
def test_default_equals_log_loss_for_multinomial_and_sparse_fits(kw):
    X, y = _three_classes()
    if kw.get("l1_ratios") == (1.0,):
        y = (y == 0).astype(int)
    kw = {**L2, **kw}
    default = LogisticRegressionCV(Cs=6, **kw).fit(X, y)
    explicit = LogisticRegressionCV(Cs=6, scoring="neg_log_loss", **kw).fit(X, y)
    assert default.C_ == explicit.C_
    np.testing.assert_array_equal(default.scores_, explicit.scores_)


@pytest.mark.filterwarnings("ignore::ridgeline.GridEdgeWarning")
def test_score_follows_the_scoring_rule():
    X, y = _three_classes()
    est = LogisticRegressionCV(Cs=4, **L2).fit(X, y)
    assert est.score(X, y) == pytest.approx(-log_loss(y, est.predict_proba(X)), rel=1e-12)
    acc = LogisticRegressionCV(Cs=4, scoring=None, **L2).fit(X, y)
    assert acc.score(X, y) == accuracy_score(y, acc.predict(X))


def test_scikit_learns_warn_placeholder_is_refused():
    X, y = _imbalanced()
    with pytest.raises(ValueError, match=r"scoring='warn'.*default is scoring='neg_log_loss'"):
        LogisticRegressionCV(Cs=3, scoring="warn", **L2).fit(X, y)


@pytest.mark.parametrize(("loss", "name"), [(BinomialLoss(), "neg_log_loss"),
                                            (MultinomialLoss(), "neg_log_loss"),
                                            (PoissonLoss(), "neg_mean_poisson_deviance")])
def test_glm_scorer_default_is_the_models_proper_rule(loss, name):
    assert resolve_glm_scorer(None, loss).name == name
