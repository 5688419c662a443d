"""Stub for scikit-learn's installed test file named below, run on ridgeline.

Nothing of scikit-learn's code is copied here: ``conftest.py`` compiles the installed
file with ridgeline's classes in place of scikit-learn's
(Ridge, RidgeCV, RidgeClassifier, RidgeClassifierCV).
See README.md in this directory.
"""

SKLEARN_TESTS = "linear_model/tests/test_ridge.py"
