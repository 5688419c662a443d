"""glmnet's ``standardize=TRUE`` for the GLM estimators (logistic, Poisson).

The penalty applies to the coefficients of the standardized features ``x_j / σ_j`` and the
coefficients are reported on the original scale, ``w_j = v_j / σ_j``; with an unpenalized
intercept, centering changes only the intercept, so the columns are scaled and not centered
(sparse X stays sparse) and the intercept needs no change. ``σ`` and the scaling are those of
the sparse estimators (:func:`ridgeline.estimators._standardize.column_scale`): the weighted
standard deviation of each column, about its weighted mean with an intercept (about zero
without one), 1 for a constant column — glmnet's definition (Friedman, Hastie & Tibshirani
(2010), J. Stat. Softw. 33(1)).
"""

from __future__ import annotations

import numpy as np

from ridgeline.estimators._standardize import column_scale, scale_columns


def check_standardize(standardize) -> bool:
    if not isinstance(standardize, bool | np.bool_):
        raise ValueError(f"standardize must be True or False, got {standardize!r}")
    return bool(standardize)


def standardized(X, s: np.ndarray, standardize: bool, fit_intercept: bool):
    """``(X / σ, σ)`` when standardizing, else ``(X, None)``.

    Parameters
    ----------
    X : ndarray (n, p) or scipy.sparse matrix
    s : ndarray (n,)
        The weights of the loss (class weights included).
    """
    if not standardize:
        return X, None
    scale = column_scale(X, s, fit_intercept)
    return scale_columns(X, scale), scale
