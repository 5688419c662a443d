"""Multinomial logistic fits and K-fold CV on a statistics source: one pass per Newton step.

The multinomial analogue of :mod:`ridgeline.selection.stream_glm`. Every pass
(``source.multinomial_pass``, see :class:`~ridgeline.stats.multinomial.MultinomialPassResult`)
evaluates B softmax models at once — the K fold models of cross-validation, or the single
full-data model — returning each model's loss, gradient and Hessian summed over its training
rows, and its held-out loss and accuracy. Model j minimizes (W (p, C), b (C,))::

    f_j(W, b) = (1 / n_j) Σ_{i ∈ train_j} s_i ℓ(y_i, x_iᵀW + b) + λ_j ‖W‖²_F

**Intercepts.** The softmax is unchanged when every class's intercept moves by the same
amount, so b is defined up to a shift. As in memory (:mod:`ridgeline.solvers.newton`), the
intercept is eliminated by the Schur complement with the pseudo-inverse of its C×C block,
whose range excludes that shift: starting from ``b = 0``, every step keeps ``Σ_c b_c = 0``,
and the accepted intercepts are re-centered to remove rounding drift. The coefficients W are
unique for λ > 0 (the penalty fixes their shift too), so the streamed and in-memory solutions
agree to the tolerance.

**Steps.** A pass at a *trial* point serves both the line search and the next step: when the
trial passes the Armijo test it is accepted and its gradient and Hessian give the next Newton
direction (one pass per iteration); otherwise the step is halved and the next pass evaluates
the shorter trial. Members step in lockstep and stop independently at ``max|∇f| ≤ tol`` over
every entry of (W, b).

**Hessian reuse.** A softmax Hessian costs ``n (p+1)² C(C−1)/2`` flops against ``2 n p C`` for
the gradient, so over sources whose passes cost flops (in memory:
:func:`~ridgeline.selection.stream_glm.reuses_curvature`) a pass asks for Hessians only when a
member needs one — the chord method of :mod:`ridgeline.selection.stream_lockstep`, whose
lockstep loop this module shares with the scalar-η GLMs (the softmax specifics are
:class:`_SoftmaxModel`). The stopping rule is unchanged, so the answer is the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ridgeline.selection.glm_scoring import GLMScorer
from ridgeline.selection.result import RidgeCVResult
from ridgeline.selection.stream_glm import (
    StreamNewtonResult,
    held_out_scores,
    kfold_result,
    reuses_curvature,
    subset_then_full,
)
from ridgeline.selection.stream_lockstep import lockstep_newton
from ridgeline.solvers.glm_problem import Curvature


class StreamMultinomialResult(StreamNewtonResult):
    """Solutions of B multinomial models from :func:`stream_multinomial_newton` (the fields of
    :class:`~ridgeline.selection.stream_glm.StreamNewtonResult`, with the softmax shapes).

    Attributes
    ----------
    coef : ndarray (B, p, C)
    intercept : ndarray (B, C)
        Centered: each row sums to zero (zeros without an intercept).
    n_iter : ndarray of int (B,)
        Accepted Newton steps.
    grad_norm : ndarray (B,)
        Largest absolute gradient entry at the solution.
    converged : ndarray of bool (B,)
    objective : ndarray (B,)
        ``f_j`` at the solution.
    held_sw, held_loss, held_correct : ndarray (B,)
        Held-out sums at the solution (see
        :class:`~ridgeline.stats.multinomial.MultinomialPassResult`).
    n_passes : int
        Passes over the data.
    solver : str
    n_hessian_passes : int
        Passes that also formed Hessians (the others formed gradients only).
    n_subset_passes : int
        Passes over a subset of the rows that found the starting point
        (:func:`~ridgeline.selection.stream_glm.subset_then_full`), not in ``n_passes``.
    curvature : list of Curvature or None, length B
        Each member's last curvature (to start a nearby problem with).
    """


def _curvature(r, i: int, fit_intercept: bool) -> Curvature:
    """Schur-complement Hessian of pass member i (means over its training rows)."""
    Hww, Hwb, Hbb = (a / r.sw[i] for a in r.hessian_blocks(i))
    if not fit_intercept:
        return Curvature(S=0.5 * (Hww + Hww.T), Hwb=None, Hbb_pinv=None)
    # H_bb is singular (an equal shift of every intercept changes nothing): its
    # pseudo-inverse gives the step without such a shift
    Hbb_pinv = np.linalg.pinv(0.5 * (Hbb + Hbb.T), rcond=1e-12, hermitian=True)
    S = Hww - Hwb @ Hbb_pinv @ Hwb.T
    return Curvature(S=0.5 * (S + S.T), Hwb=Hwb, Hbb_pinv=Hbb_pinv)


def multinomial_pass(source, coef, intercept, held_out, n_folds, classes, progress,
                     hessian: bool = True):
    """``source.multinomial_pass`` with a clear error for sources that lack it."""
    run = getattr(source, "multinomial_pass", None)
    if run is None:
        raise TypeError(f"{type(source).__name__} has no multinomial_pass: streamed "
                        "multinomial logistic regression needs a file, array or Dask source")
    return run(coef, intercept, held_out, n_folds, classes=classes, hessian=hessian,
               progress=progress)


def stream_multinomial_newton(source, lam: np.ndarray, coef0: np.ndarray,
                              intercept0: np.ndarray, held_out: np.ndarray, n_folds: int, *,
                              classes: np.ndarray | None = None, fit_intercept: bool = True,
                              tol: float = 1e-8, max_iter: int = 100,
                              progress: Callable[[int], None] | None = None,
                              reuse: bool | None = None,
                              curvature0: Sequence[Curvature | None] | None = None,
                              last_step_below: float | None = None,
                              subset_first: bool = False) -> StreamMultinomialResult:
    """Minimize ``f_j`` for B multinomial models by damped Newton, one pass per iteration.

    Parameters
    ----------
    source : BatchSource or DaskSource (anything with ``multinomial_pass``)
    lam : ndarray (B,)
        Canonical penalty of each model.
    coef0 : ndarray (B, p, C), intercept0 : ndarray (B, C)
        Starting point (the intercepts are centered first; ignored without an intercept).
    held_out : ndarray of int (B,)
        Fold held out by each model (-1: none, the full data).
    n_folds : int
    classes : ndarray (C,), optional
        Sorted class labels of the target (default: the targets are indices in [0, C)).
    fit_intercept : bool
    tol : float
        Stop a member at ``max|∇f_j| ≤ tol``.
    max_iter : int
        Most accepted steps per member.
    progress : callable, optional
        Passed to every pass (rows read).
    reuse : bool, optional
        Reuse Hessians while they pay (default: ``reuses_curvature(source)``); False forms
        one at every pass (pure Newton).
    curvature0 : sequence of Curvature or None, length B, optional
        A curvature per member to start with (from the previous λ, or a subset fit).
    last_step_below : float, optional
        As :func:`~ridgeline.selection.stream_glm.stream_newton`: once ``max|∇f|`` is at most
        this fraction of its first value, the next step is taken unevaluated and the member
        stops.
    subset_first : bool
        Fit on a subset of the rows first when the source can serve one
        (:func:`~ridgeline.selection.stream_glm.subset_then_full`): for a start far from
        the answer.

    Returns
    -------
    StreamMultinomialResult
    """
    if subset_first:
        def newton(src, coef, intercept, **kw):
            return stream_multinomial_newton(src, lam, coef, intercept, held_out, n_folds,
                                             classes=classes, fit_intercept=fit_intercept,
                                             max_iter=max_iter, progress=progress, **kw)
        return subset_then_full(source, newton, coef0, intercept0, tol=tol)
    W = np.array(coef0, dtype=np.float64)
    B, _, C = W.shape
    b = np.array(intercept0, dtype=np.float64).reshape(B, C)
    b = b - b.mean(axis=1, keepdims=True) if fit_intercept else np.zeros((B, C))
    held_out = np.asarray(held_out, dtype=np.int64)
    model = _SoftmaxModel(source, held_out, n_folds, classes, fit_intercept, progress)
    out = lockstep_newton(model, lam, W, b, fit_intercept=fit_intercept, tol=tol,
                          max_iter=max_iter,
                          reuse=reuses_curvature(source) if reuse is None else bool(reuse),
                          curvature0=curvature0, last_step_below=last_step_below,
                          held_out=held_out)
    return StreamMultinomialResult.from_lockstep(out)


class _SoftmaxModel:
    """:class:`~ridgeline.selection.stream_lockstep.LockstepModel` of B softmax models
    (W (B, p, C), b (B, C)): Newton steps with the member's (reused) Schur-complement
    curvature; intercepts kept centered."""

    def __init__(self, source, held_out, n_folds, classes, fit_intercept, progress):
        self.source, self.held_out, self.n_folds = source, held_out, n_folds
        self.classes, self.fit_intercept, self.progress = classes, fit_intercept, progress

    def run_pass(self, act, W, b, hessian):
        return multinomial_pass(self.source, W, b, self.held_out[act], self.n_folds,
                                self.classes, self.progress, hessian=hessian)

    def gradient(self, r, i, W, lam):
        p, C = W.shape
        gW = r.grad[i, :p] / r.sw[i] + 2.0 * lam * W
        gb = r.grad[i, p] / r.sw[i] if self.fit_intercept else np.zeros(C)
        return gW, gb

    def curvature(self, r, i):
        return _curvature(r, i, self.fit_intercept)

    def step(self, j, W, b, gW, gb, curv, lam, fresh):
        dW, db = curv.solve(lam, gW, gb)
        return dW, (db if self.fit_intercept else np.zeros_like(gb))

    def intercept(self, b):
        return b - b.mean() if self.fit_intercept else np.zeros_like(b)


@dataclass
class StreamMultinomialSelection:
    """K-fold CV of a multinomial logistic model on a source.

    Attributes
    ----------
    result : RidgeCVResult
    coef : ndarray (L, K, p, C)
        Per-λ, per-fold coefficients (grid order).
    intercept : ndarray (L, K, C)
    n_iter : ndarray of int (L, K)
    grad_norm : ndarray (L, K)
    converged : ndarray of bool (L, K)
    n_passes : int
    solver : str
    """

    result: RidgeCVResult
    coef: np.ndarray
    intercept: np.ndarray
    n_iter: np.ndarray
    grad_norm: np.ndarray
    converged: np.ndarray
    n_passes: int
    solver: str = "newton"


def stream_kfold_multinomial(source, summary, n_folds: int, classes: np.ndarray,
                             lambdas: np.ndarray, alphas: np.ndarray, scorer: GLMScorer, *,
                             fit_intercept: bool = True, tol: float = 1e-8, max_iter: int = 100,
                             rule: str = "min", fixed_C: bool = True, warn_stacklevel: int = 0,
                             progress: Callable[[int], None] | None = None
                             ) -> StreamMultinomialSelection:
    """K-fold CV scores of every λ, all K folds per pass, warm-started from strong to weak λ.

    As :func:`ridgeline.selection.stream_glm.stream_kfold_glm` for the softmax loss
    (``fixed_C``: fold k is fit at ``λ·n_w/n_w,train,k``, scikit-learn's fixed C). The first
    (strongest) λ starts from ``W = 0, b = 0``; each next λ from the previous solutions.

    Parameters
    ----------
    source : BatchSource or DaskSource
    summary : TargetSummary
        Of the same folds (weighted row counts per fold).
    n_folds : int
    classes : ndarray (C,)
        Sorted class labels of the target.
    lambdas, alphas : ndarray (L,)
        Canonical grid on the full data, and the same grid in the estimator's parameter (C).
    scorer : GLMScorer
        ``"accuracy"`` or ``"neg_log_loss"`` (computed from the passes' held-out sums).

    Returns
    -------
    StreamMultinomialSelection
    """
    if scorer.name not in ("accuracy", "neg_log_loss"):
        raise ValueError(f"scoring={scorer.name!r} needs held-out predictions; on a streamed "
                         "source use 'accuracy' or 'neg_log_loss'")
    lambdas = np.asarray(lambdas, dtype=np.float64)
    classes = np.asarray(classes, dtype=np.float64)
    L, K, p, C = lambdas.size, n_folds, source.n_features, classes.size
    folds = np.arange(K)
    n_total = summary.sw.sum()
    train_sw = n_total - summary.sw
    if np.any(summary.sw <= 0):
        raise ValueError(f"a fold has no rows: too few rows for {K} folds")
    scale = n_total / train_sw if fixed_C else np.ones(K)
    W, b = np.zeros((K, p, C)), np.zeros((K, C))
    coef, inter = np.zeros((L, K, p, C)), np.zeros((L, K, C))
    n_iter = np.zeros((L, K), dtype=np.int64)
    grad_norm, converged = np.zeros((L, K)), np.zeros((L, K), dtype=bool)
    scores = np.zeros((K, L))
    passes = 0
    curvature = None
    for i in np.argsort(-lambdas, kind="stable"):
        # the first (strongest) λ from W = 0 via a subset fit; each next one from the
        # previous solutions and their curvature
        fit = stream_multinomial_newton(source, lambdas[i] * scale, W, b, folds, K,
                                        classes=classes, fit_intercept=fit_intercept, tol=tol,
                                        max_iter=max_iter, progress=progress,
                                        curvature0=curvature, subset_first=curvature is None)
        passes += fit.n_passes  # as stream_kfold_glm: a subset fit's passes not counted
        W, b, curvature = fit.coef, fit.intercept, fit.curvature
        coef[i], inter[i], n_iter[i] = W, b, fit.n_iter
        grad_norm[i], converged[i] = fit.grad_norm, fit.converged
        scores[:, i] = held_out_scores(fit, scorer)
    res = kfold_result(lambdas, alphas, scorer, scores, rule, warn_stacklevel)
    return StreamMultinomialSelection(result=res, coef=coef, intercept=inter, n_iter=n_iter,
                                      grad_norm=grad_norm, converged=converged,
                                      n_passes=passes)
