"""Shared fitting machinery of the GLM estimators (logistic, Poisson).

Arrays and statistics sources (files, Dask) take the same road: the estimator builds a
:class:`~ridgeline.solvers.problem.GLMProblem` over a source — an
:class:`~ridgeline.stats.array_source.ArraySource` for validated in-memory arrays — and the one
engine solves it.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight

from ridgeline.estimators._validation import check_labels, check_two_classes, check_weights
from ridgeline.losses import BinomialLoss, MultinomialLoss
from ridgeline.path.glm_path import glm_path
from ridgeline.solvers.glm_fit import choose_solver
from ridgeline.solvers.newton import GLMFit
from ridgeline.solvers.problem import GLMProblem
from ridgeline.stats.source import MAX_TARGET_VALUES


def encode_labels(est, X, y, sample_weight):
    """Classes, encoded targets, loss and weights (class weights in), and the labels.

    The targets are 0/1 (n,) for two classes (binary log loss) and class indices (n,) for more
    (softmax). Sets ``est.classes_``.
    """
    y = check_labels(y)
    enc = LabelEncoder()
    codes = enc.fit_transform(y)
    est.classes_ = enc.classes_
    check_two_classes(est.classes_)
    K = est.classes_.size
    s = check_weights(sample_weight, X)
    if est.class_weight is not None:
        # as scikit-learn 1.9: "balanced" counts classes by their (sample-)weighted totals
        cw = compute_class_weight(est.class_weight, classes=est.classes_, y=y,
                                  sample_weight=None if sample_weight is None else s)
        s = s * cw[codes]
        if not s.sum() > 0:
            raise ValueError("class_weight and sample_weight leave no sample with positive "
                             "weight")
    loss = BinomialLoss() if K == 2 else MultinomialLoss()
    return codes.astype(np.float64), loss, s, y


def label_problem(est, X, y, sample_weight, fit_intercept: bool, splits=None) -> GLMProblem:
    """The logistic problem of validated arrays (sets ``est.classes_``); the weights are the
    source's (``problem.source.weights``)."""
    codes, loss, s, _ = encode_labels(est, X, y, sample_weight)
    return GLMProblem.from_arrays(X, codes, s, loss, fit_intercept,
                                  n_classes=est.classes_.size, splits=splits)


def check_C(C, name: str = "C") -> float:
    """A positive C (``np.inf`` allowed: no penalty)."""
    if not isinstance(C, numbers.Real) or isinstance(C, bool):
        raise TypeError(f"{name} must be a positive number, got {C!r}")
    if np.isnan(C) or C <= 0:
        raise ValueError(f"{name} must be positive (np.inf for no penalty), got {C!r}")
    return float(C)


def check_l1_ratio(l1_ratio, name: str = "l1_ratio") -> np.ndarray:
    """The l1 ratio(s) in [0, 1], as a 1-d float array (None means 0: the L2 penalty)."""
    try:
        vals = np.atleast_1d(np.asarray(l1_ratio if l1_ratio is not None else 0.0, dtype=float))
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in [0, 1], got {l1_ratio!r}") from None
    if vals.ndim != 1 or vals.size == 0:
        raise ValueError(f"{name} must be a number or a non-empty list, got {l1_ratio!r}")
    if np.any(~np.isfinite(vals)) or np.any((vals < 0) | (vals > 1)):
        raise ValueError(f"{name} must lie in [0, 1], got {l1_ratio!r}")
    return vals


def check_tol_iter(tol, max_iter) -> None:
    if not isinstance(tol, numbers.Real) or not tol > 0:
        raise ValueError(f"tol must be a positive number, got {tol!r}")
    if not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")


def fit_glm(problem: GLMProblem, lam: float, *, solver: str, tol: float, max_iter: int,
            start=None, summary=None, who: str = "the model", reuse: bool | None = None,
            stacklevel: int = 4) -> tuple[GLMFit, str]:
    """The full-data model at λ (from the null model through a subset of the rows, or from
    ``start = (W (1, p, m), b (1, m))``), Newton's polished to rounding level; warns
    (ConvergenceWarning) with the final gradient norm if needed. Returns the fit and the
    solver that ran.

    ``reuse=False`` forms a fresh Hessian at every Newton step (plain Newton: each step is a
    function of the current point only, so ``max_iter=2`` is two warm-started
    ``max_iter=1`` fits); None lets the solver reuse Hessians while they pay.
    ``stacklevel`` as for :func:`warn_convergence` (4: the caller of the caller of this).
    """
    name = choose_solver(problem, solver)
    path = glm_path(problem, np.array([lam]), solver=name, tol=tol, max_iter=max_iter,
                    start=start, summary=summary, polish=True, reuse=reuse)
    fit = GLMFit(coef=path.coef[0], intercept=path.intercept[0], n_iter=path.n_iter[0],
                 grad_norm=path.grad_norm[0], converged=path.converged[0],
                 objective=path.objective[0], held_sw=path.held_sw[0],
                 held_loss=path.held_loss[0], held_correct=path.held_correct[0],
                 n_passes=path.n_passes, solver=name, n_hessian_passes=path.n_hessian_passes)
    warn_convergence(fit, tol, max_iter, who, stacklevel=stacklevel)
    return fit, name


def warn_convergence(fit, tol: float, max_iter: int, who: str, stacklevel: int = 4) -> None:
    """A ConvergenceWarning naming the final gradient norm, if any solution missed ``tol``.

    ``fit`` is a :class:`~ridgeline.solvers.newton.GLMFit` or a
    :class:`~ridgeline.path.glm_path.GLMPath` (anything with ``converged``, ``grad_norm``,
    ``n_iter`` and ``solver``).
    """
    bad = ~np.asarray(fit.converged, dtype=bool)
    if not bad.any():
        return
    g = float(np.max(np.asarray(fit.grad_norm)[bad]))
    its = int(np.max(np.asarray(fit.n_iter)[bad]))
    where = f" at {int(bad.sum())} of {bad.size} grid points" if bad.size > 1 else ""
    warnings.warn(
        f"{who} did not converge{where} ({fit.solver}, {its} of max_iter={max_iter} "
        f"iterations): the largest gradient entry is {g:.2e} > tol={tol:g}. Increase "
        "max_iter, standardize the features (StandardScaler), increase the penalty (smaller C "
        "/ larger alpha), or loosen tol.",
        ConvergenceWarning, stacklevel=stacklevel)


def warn_if_separable(fit: GLMFit, lam: float, who: str, stacklevel: int = 3) -> None:
    """Without a penalty, separable classes have no finite optimum: say so (``stacklevel``
    3: the caller of the caller of this)."""
    if lam > 0:
        return
    mean_loss = float(fit.objective[0])  # λ = 0: the objective is the mean loss
    if mean_loss < 1e-6:
        warnings.warn(
            f"{who}: the classes are linearly separable (training log loss {mean_loss:.1e}); "
            "without a penalty (C=inf) the coefficients grow without bound and the returned "
            "ones are cut off where the solver stopped. Use a finite C.",
            ConvergenceWarning, stacklevel=stacklevel)


class LabeledBinomialLoss(BinomialLoss):
    """The binary log loss on targets given as two class labels: ``y → [y == positive]``."""

    def __init__(self, positive: float):
        self.positive = float(positive)

    def encode(self, y: np.ndarray) -> np.ndarray:
        return (np.asarray(y) == self.positive).astype(np.float64)


def source_classes(source, summary) -> np.ndarray:
    """The class labels of a source's target (2 to MAX_TARGET_VALUES of them), or a clear error."""
    if summary.values is None or summary.values.size < 2:
        found = (f"more than {MAX_TARGET_VALUES} distinct values" if summary.values is None
                 else f"only {float(summary.values[0])!r}")
        raise ValueError(f"streamed logistic regression needs exactly two classes "
                         f"(binary) or 3 to {MAX_TARGET_VALUES} (multinomial) in column "
                         f"{source.target_name!r}, found {found}")
    return summary.values


def source_problem(source, classes: np.ndarray, fit_intercept: bool) -> GLMProblem:
    """The logistic problem of a statistics source whose target holds ``classes``."""
    progress = getattr(source, "progress", None)
    if classes.size == 2:
        return GLMProblem(source, LabeledBinomialLoss(classes[1]), fit_intercept,
                          progress=progress)
    return GLMProblem(source, MultinomialLoss(), fit_intercept, classes=classes,
                      progress=progress)
