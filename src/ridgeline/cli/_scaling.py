"""``--standardize`` for every model of the command line (the default, as for ridge).

Ridge standardizes inside :class:`~ridgeline.RidgeCV` (``standardize=True``, each training
fold by its own scale). The other models (lasso, elastic net, logistic, Poisson) are fitted on
the features divided by their standard deviations over all rows (glmnet's
``standardize=TRUE``; a constant column keeps scale 1), and the fitted estimator is then moved
back to the original units: ``coef_ / σ`` (the intercept is unchanged, the columns are scaled,
not centered), so the saved model predicts on raw inputs. λ, the CV curve and the grid are
those of the standardized problem. An estimator with a ``standardize`` parameter of its own
(lasso, elastic net, Poisson) gets it set, so that it describes what was fitted: refitting it on
the raw rows gives the same model.

Streamed fits (logistic, Poisson) compute the scale in one extra pass and divide each batch's
features by it as the passes read them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from ridgeline.estimators._standardize import column_scale
from ridgeline.report.fitting import FittedModel


def feature_scale(X: np.ndarray) -> np.ndarray:
    """Standard deviation of every column of X (about its mean; 1 for a constant column)."""
    return column_scale(X, np.ones(X.shape[0]), center=True)


def fit_standardized(X: np.ndarray, fit: Callable[[np.ndarray], FittedModel]) -> FittedModel:
    """``fit`` on the standardized columns of X, returned on the original scale.

    Parameters
    ----------
    X : ndarray (n, p)
    fit : callable
        Fits a model on an (n, p) array (the standardized X) and returns the FittedModel.

    Returns
    -------
    FittedModel
        With ``standardize=True`` and an estimator that predicts on raw X.
    """
    scale = feature_scale(X)
    return unscale_fitted(fit(np.divide(X, scale.astype(X.dtype, copy=False))), scale)


def unscale_fitted(fitted: FittedModel, scale: np.ndarray) -> FittedModel:
    """A model fitted on ``X / scale`` as one on X: ``coef_`` (and a logistic CV's
    ``coefs_paths_``) divided by ``scale``; ``standardize`` recorded."""
    est = fitted.estimator
    coef = np.asarray(est.coef_)
    est.coef_ = (coef / scale).astype(coef.dtype, copy=False)
    p = scale.size
    paths = getattr(est, "coefs_paths_", None)
    if isinstance(paths, np.ndarray) and paths.shape[-1] in (p, p + 1):
        paths = paths.astype(np.float64, copy=True)
        paths[..., :p] /= scale
        est.coefs_paths_ = paths
    if "standardize" in est.get_params(deep=False):
        est.set_params(standardize=True)
    return dataclasses.replace(fitted, standardize=True)


def scale_source(source, scale: np.ndarray):
    """``source`` whose passes see every batch's features divided by ``scale``.

    Parameters
    ----------
    source : BatchSource
        A file source (its passes read rows through ``batches``); changed in place.
    scale : ndarray (p,)

    Returns
    -------
    The same source.
    """
    read = source.batches

    def batches(n_folds: int, progress=None):
        for batch in read(n_folds, progress):
            X = batch.X
            yield dataclasses.replace(batch, X=np.divide(X, scale.astype(X.dtype, copy=False)))

    source.batches = batches
    return source


def source_scale(source, n_folds: int) -> np.ndarray:
    """The features' standard deviations over every row of a source (one pass)."""
    summary = source.target_summary(n_folds, progress=source.progress, columns=True)
    return summary.feature_scale()[1]
