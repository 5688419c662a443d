"""Stub for scikit-learn's installed test file named below, run on ridgeline.

Nothing of scikit-learn's code is copied here: ``conftest.py`` compiles the installed
file with ridgeline's classes in place of scikit-learn's
(PoissonRegressor, GammaRegressor, TweedieRegressor, Ridge).
See README.md in this directory.
"""

SKLEARN_TESTS = "linear_model/_glm/tests/test_glm.py"
