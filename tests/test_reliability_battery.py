"""Hostile-input battery for the public estimators (issue 18): every case asserts the exact
outcome — the error type and the words that name the problem — or a correct answer.

The other parts of the battery live beside it: model files (``test_reliability_modelfile``),
data files and extreme values (``test_reliability_data``), grid sizes and memory
(``test_reliability_resources``), output paths and killed saves (``test_reliability_io``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sklearn.linear_model as sk

import ridgeline as rl

RNG = np.random.default_rng(0)
X = RNG.standard_normal((40, 4))
Y_REG = X @ np.array([1.0, 2.0, 0.0, -1.0]) + RNG.standard_normal(40)
Y_BIN = (Y_REG > 0).astype(np.int64)
Y_COUNT = np.abs(np.round(Y_REG))

REGRESSORS = {
    "Ridge": rl.Ridge,
    "RidgeCV": rl.RidgeCV,
    "Lasso": rl.Lasso,
    "LassoCV": lambda: rl.LassoCV(cv=3),
    "ElasticNet": rl.ElasticNet,
    "ElasticNetCV": lambda: rl.ElasticNetCV(cv=3),
    "GroupLasso": lambda: rl.GroupLasso(groups=[0, 0, 1, 1]),
    "GroupLassoCV": lambda: rl.GroupLassoCV(groups=[0, 0, 1, 1], cv=3),
    "PoissonRegressor": rl.PoissonRegressor,
}
CLASSIFIERS = {
    "LogisticRegression": rl.LogisticRegression,
    "LogisticRegressionCV": lambda: rl.LogisticRegressionCV(cv=3, scoring="neg_log_loss",
                                                           l1_ratios=(0.0,)),
    "RidgeClassifier": rl.RidgeClassifier,
    "RidgeClassifierCV": rl.RidgeClassifierCV,
}
ESTIMATORS = {**REGRESSORS, **CLASSIFIERS}


def _target(name: str) -> np.ndarray:
    if name in CLASSIFIERS:
        return Y_BIN
    return Y_COUNT if name == "PoissonRegressor" else Y_REG


def _with(a: np.ndarray, value) -> np.ndarray:
    out = np.array(a, dtype=np.float64)
    out.flat[9] = value
    return out


# (case name, how to make (X, y) from the estimator's target, error type, words in the message)
BAD_FITS = [
    ("nan in X", lambda y: (_with(X, np.nan), y), ValueError, "Input X contains NaN"),
    ("inf in X", lambda y: (_with(X, np.inf), y), ValueError, "Input X contains infinity"),
    ("-inf in X", lambda y: (_with(X, -np.inf), y), ValueError, "Input X contains infinity"),
    ("nan in y", lambda y: (X, _with(y, np.nan)), ValueError, "Input y contains NaN"),
    ("inf in y", lambda y: (X, _with(y, np.inf)), ValueError, "Input y contains infinity"),
    ("no rows", lambda y: (X[:0], y[:0]), ValueError, "0 sample(s)"),
    ("one row", lambda y: (X[:1], y[:1]), ValueError, "1 sample(s)"),
    ("no columns", lambda y: (X[:, :0], y), ValueError, "0 feature(s)"),
    ("y one short", lambda y: (X, y[:-1]), ValueError, "inconsistent numbers of samples"),
    ("X 3-d", lambda y: (X[:, :, None], y), ValueError, "dim 3"),
    ("X 1-d", lambda y: (X[:, 0], y), ValueError, "Expected 2D array"),
    ("complex X", lambda y: (X.astype(complex), y), ValueError, "Complex data not supported"),
    ("text in X", lambda y: (np.array([[1.0, "a", 3.0, 4.0]] * 40, dtype=object), y),
     ValueError, "could not convert string to float: 'a'"),
    ("column near 1e306", lambda y: (X * np.array([1.0, 1.0, 1e306, 1.0]), y), ValueError,
     f"column 2 holds {X[np.argmax(np.abs(X[:, 2])), 2] * 1e306:.4g} (row index "
     f"{np.argmax(np.abs(X[:, 2]))})"),
]


@pytest.mark.parametrize("case", BAD_FITS, ids=[c[0] for c in BAD_FITS])
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_bad_data_refused_with_its_name(name, case):
    _, make, error, words = case
    Xc, yc = make(_target(name))
    with pytest.raises(error) as info:
        ESTIMATORS[name]().fit(Xc, yc)
    assert words in str(info.value)


@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_one_class_refused(name):
    with pytest.raises(ValueError, match=r"only one class \(0\.0\) in y"):
        CLASSIFIERS[name]().fit(X, np.zeros(40))


def test_all_zero_counts_refused():
    with pytest.raises(ValueError, match="Poisson targets are all zero"):
        rl.PoissonRegressor().fit(X, np.zeros(40))


def test_negative_counts_refused():
    words = r"Poisson targets must be non-negative counts; y has values down to -\d"
    with pytest.raises(ValueError, match=words):
        rl.PoissonRegressor().fit(X, Y_REG)


BAD_PARAMS = [
    ("Ridge", {"alpha": -1}, "alpha must be non-negative, got -1"),
    ("Ridge", {"alpha": np.nan}, "alpha must be finite, got nan"),
    ("Lasso", {"alpha": -1}, "alpha must be finite and non-negative, got -1"),
    ("Lasso", {"alpha": np.inf}, "alpha must be finite and non-negative, got inf"),
    ("Lasso", {"tol": -1}, "tol must be a finite non-negative number, got -1"),
    ("Lasso", {"max_iter": 0}, "max_iter must be a positive integer, got 0"),
    ("ElasticNet", {"l1_ratio": 2}, "l1_ratio must lie in [0, 1], got 2"),
    ("ElasticNet", {"l1_ratio": -0.1}, "l1_ratio must lie in [0, 1], got -0.1"),
    ("GroupLasso", {"alpha": -1}, "alpha must be finite and non-negative, got -1"),
    ("LogisticRegression", {"C": -1}, "C must be positive (np.inf for no penalty), got -1"),
    ("LogisticRegression", {"C": 0}, "C must be positive (np.inf for no penalty), got 0"),
    ("LogisticRegression", {"C": np.nan}, "C must be positive (np.inf for no penalty), got nan"),
    ("LogisticRegression", {"tol": -1}, "tol must be a positive number, got -1"),
    ("LogisticRegression", {"l1_ratio": 3}, "l1_ratio must lie in [0, 1], got 3"),
    ("PoissonRegressor", {"alpha": -1}, "alpha must be non-negative, got -1"),
    ("RidgeCV", {"alphas": [1, -1]}, "alphas must be non-negative, got [1, -1]"),
    ("RidgeCV", {"alphas": []}, "alphas is empty"),
    ("RidgeCV", {"alphas": [np.nan]}, "alphas must be finite, got [nan]"),
    ("RidgeCV", {"cv": 1}, "n_splits=2 or more, got n_splits=1"),
    ("RidgeCV", {"cv": 100}, "n_splits=100 greater than the number of samples: n_samples=40"),
    ("LassoCV", {"alphas": [-1, 1]}, "alphas[0] == -1, must be >= 0.0 and finite"),
    ("LassoCV", {"cv": 1}, "n_splits=2 or more, got n_splits=1"),
    ("LassoCV", {"eps": -1}, "eps must be a finite positive number, got -1"),
    ("ElasticNetCV", {"l1_ratio": [0.5, 2]}, "l1_ratio must lie in [0, 1], got [0.5, 2]"),
    ("LogisticRegressionCV", {"Cs": [-1, 1]}, "every C in Cs must be positive"),
    ("LogisticRegressionCV", {"Cs": 0}, "Cs must be a positive int or a grid of C, got 0"),
    ("LogisticRegressionCV", {"cv": 1}, "n_splits=2 or more, got n_splits=1"),
]
_CLASSES = {"Ridge": rl.Ridge, "Lasso": rl.Lasso, "ElasticNet": rl.ElasticNet,
            "GroupLasso": lambda **k: rl.GroupLasso(groups=[0, 0, 1, 1], **k),
            "LogisticRegression": rl.LogisticRegression, "PoissonRegressor": rl.PoissonRegressor,
            "RidgeCV": rl.RidgeCV, "LassoCV": rl.LassoCV, "ElasticNetCV": rl.ElasticNetCV,
            "LogisticRegressionCV": rl.LogisticRegressionCV}


@pytest.mark.parametrize("name, params, words", BAD_PARAMS,
                         ids=[f"{n}-{next(iter(p))}={next(iter(p.values()))}"
                              for n, p, _ in BAD_PARAMS])
def test_bad_parameter_named(name, params, words):
    est = _CLASSES[name](**params)
    with pytest.raises(ValueError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        est.fit(X, _target(name))
    assert words in str(info.value)


BAD_PREDICT = [
    ("3 columns", X[:, :3], "X has 3 features, but {cls} is expecting 4 features as input"),
    ("nan", _with(X, np.nan), "Input X contains NaN"),
    ("inf", _with(X, np.inf), "Input X contains infinity"),
    ("no rows", X[:0], "0 sample(s)"),
    ("1-d", X[0], "Expected 2D array"),
]


@pytest.fixture(scope="module")
def fitted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {name: make().fit(X, _target(name)) for name, make in ESTIMATORS.items()}


@pytest.mark.parametrize("case", BAD_PREDICT, ids=[c[0] for c in BAD_PREDICT])
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_bad_predict_input_refused(fitted, name, case):
    _, Xp, words = case
    est = fitted[name]
    with pytest.raises(ValueError) as info:
        est.predict(Xp)
    assert words.format(cls=type(est).__name__) in str(info.value)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_unfitted_predict_refused(name):
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError, match="not fitted yet"):
        ESTIMATORS[name]().predict(X)


@pytest.mark.parametrize("name", ["Ridge", "Lasso", "ElasticNet", "LogisticRegression"])
def test_constant_and_duplicated_data_give_the_reference_answer(name):
    """Degenerate but valid data: constant columns and 2 distinct rows repeated 20 times.
    The answer equals scikit-learn's (same objective) to 1e-6."""
    Xd = np.vstack([X[:2]] * 20)
    Xd[:, 3] = 1.0
    y = _target(name)
    yd = np.tile(y[:2], 20) if name != "LogisticRegression" else np.tile([0, 1], 20)
    ours = _CLASSES[name]().fit(Xd, yd)
    ref = getattr(sk, name)(**({"tol": 1e-12, "max_iter": 10_000}
                                if name != "Ridge" else {})).fit(Xd, yd)
    np.testing.assert_allclose(ours.predict(Xd), ref.predict(Xd), rtol=1e-6, atol=1e-8)
