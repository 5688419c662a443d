"""Shared fitting machinery of the GLM estimators (logistic, Poisson)."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight

from ridgeline.estimators._validation import check_labels, check_two_classes, check_weights
from ridgeline.losses import BinomialLoss, MultinomialLoss
from ridgeline.selection.stream_glm import (
    StreamNewtonResult,
    choose_source_solver,
    null_start,
    stream_fit,
)
from ridgeline.solvers.glm_problem import GLMFit, GLMProblem
from ridgeline.solvers.glm_solve import choose_solver, resolve_glm_solver, solve


def encode_labels(est, X, y, sample_weight):
    """Classes, encoded targets (0/1 (n,) or one-hot (n, K)), loss, and weights (class weights in).

    Sets ``est.classes_``.
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
    if K == 2:
        return codes.astype(np.float64), BinomialLoss(), s, y
    return np.eye(K)[codes], MultinomialLoss(), s, y


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


def check_penalty_alias(penalty, C: float) -> float:
    """scikit-learn 1.8's deprecated ``penalty``: 'l2' is the default, None means C = inf."""
    if penalty == "deprecated" or penalty == "l2":
        return C
    if penalty is None or penalty == "none":
        return np.inf
    raise ValueError(f"penalty={penalty!r} is not available: ridgeline's logistic regression "
                     "fits the L2 penalty (use l1_ratio=0, and C=np.inf for no penalty)")


def fit_glm(problem: GLMProblem, lam: float, *, solver: str, tol: float, max_iter: int,
            start=None, who: str = "the model", stacklevel: int = 4) -> tuple[GLMFit, str]:
    """One solution at λ; warns (ConvergenceWarning) with the final gradient norm if needed.

    ``stacklevel`` as for :func:`warn_convergence` (4: the caller of the caller of this).
    """
    name = choose_solver(problem, resolve_glm_solver(solver))
    W0, b0 = start if start is not None else problem.zeros()
    fit = solve(problem, lam, W0, b0, solver=name, tol=tol, max_iter=max_iter)
    warn_convergence(fit, tol, max_iter, who, stacklevel=stacklevel)
    return fit, name


def warn_convergence(fit, tol: float, max_iter: int, who: str, stacklevel: int = 4) -> None:
    """A ConvergenceWarning naming the final gradient norm, if any solution missed ``tol``.

    ``fit`` is a :class:`~ridgeline.solvers.glm_problem.GLMFit` or a
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


def warn_if_separable(problem: GLMProblem, fit: GLMFit, lam: float, who: str) -> None:
    """Without a penalty, separable classes have no finite optimum: say so."""
    if lam > 0:
        return
    eta = problem.linear(fit.coef, fit.intercept)
    mean_loss = float(problem.loss_value(eta)[0])
    if mean_loss < 1e-6:
        warnings.warn(
            f"{who}: the classes are linearly separable (training log loss {mean_loss:.1e}); "
            "without a penalty (C=inf) the coefficients grow without bound and the returned "
            "ones are cut off where the solver stopped. Use a finite C.",
            ConvergenceWarning, stacklevel=3)



class LabeledBinomialLoss(BinomialLoss):
    """The binary log loss on targets given as two class labels: ``y → [y == positive]``."""

    def __init__(self, positive: float):
        self.positive = float(positive)

    def encode(self, y: np.ndarray) -> np.ndarray:
        return (np.asarray(y) == self.positive).astype(np.float64)


def check_source_solver(solver: str, who: str, source=None) -> str:
    """Streamed GLMs are fit by Newton/IRLS or L-BFGS (one pass per iteration); returns the
    one to use on ``source`` (``"auto"``: L-BFGS for large p, see
    :func:`~ridgeline.selection.stream_glm.choose_source_solver`)."""
    name = resolve_glm_solver(solver)
    if name not in ("auto", "newton", "lbfgs"):
        raise ValueError(f"{who} on a statistics source is fit by Newton/IRLS or L-BFGS (one "
                         f"pass per iteration): use solver='auto', 'newton' or 'lbfgs', got "
                         f"{solver!r}")
    return name if source is None else choose_source_solver(source, name)


def fit_glm_source(source, loss, lam: float, summary, *, fit_intercept: bool, tol: float,
                   max_iter: int, start=None, who: str = "the model", stacklevel: int = 4,
                   solver: str = "newton") -> StreamNewtonResult:
    """The full-data model at λ on a statistics source (one pass per iteration).

    ``start`` is ``(coef (p,), intercept)``; default the null model from ``summary`` (a
    :class:`~ridgeline.stats.TargetSummary`). ``solver``: ``"newton"`` (from the null model
    through a subset of the rows when the source can serve one) or ``"lbfgs"`` (preconditioned
    with the summary's feature scales when it has them). Warns (ConvergenceWarning) if not
    converged.
    """
    full = np.array([-1])
    if start is None:
        W0, b0 = null_start(loss, summary, full, source.n_features, fit_intercept)
    else:
        W0, b0 = np.asarray(start[0], dtype=np.float64)[None], np.array([float(start[1])])
    fit = stream_fit(source, loss, np.array([lam]), W0, b0, full, summary.n.size,
                     solver=solver, fit_intercept=fit_intercept, tol=tol, max_iter=max_iter,
                     progress=getattr(source, "progress", None),
                     feature_scale=summary.feature_scale() if summary.sx is not None else None,
                     subset_first=start is None)
    warn_convergence(fit, tol, max_iter, who, stacklevel=stacklevel)
    return fit
