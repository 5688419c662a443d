"""GLM fits and K-fold CV on a statistics source: Newton/IRLS with one pass per iteration.

Every pass (:meth:`~ridgeline.stats.source.StatisticsSource.glm_pass`) evaluates B models at
once — the K fold models of cross-validation, or the single full-data model — returning each
model's loss, gradient and Hessian summed over its training rows, and its held-out loss and
accuracy. The objective of model j is the one of :mod:`ridgeline.solvers.glm_problem`::

    f_j(w, b) = (1 / n_j) Σ_{i ∈ train_j} ℓ(y_i, x_iᵀw + b) + λ_j ‖w‖²

A pass at a *trial* point serves both the line search and the next step: when the trial
passes the Armijo test it is accepted and its gradient and Hessian give the next Newton
direction (one pass per iteration); otherwise the step is halved and the next pass evaluates
the shorter trial. Members step in lockstep and stop independently at ``max|∇f| ≤ tol``. The
optimum is unique (λ > 0), so this reaches the in-memory solvers' solution.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ridgeline.selection.glm_scoring import GLMScorer
from ridgeline.selection.glm_select import _finish
from ridgeline.selection.result import RidgeCVResult
from ridgeline.solvers.glm_problem import Curvature, kkt_norms

_ARMIJO = 1e-4
_MAX_HALVINGS = 40


@dataclass
class StreamNewtonResult:
    """Solutions of B models from :func:`stream_newton`.

    Attributes
    ----------
    coef : ndarray (B, p)
    intercept : ndarray (B,)
    n_iter : ndarray of int (B,)
        Accepted Newton steps.
    grad_norm : ndarray (B,)
        Largest absolute gradient entry at the solution.
    converged : ndarray of bool (B,)
    held_sw, held_loss, held_correct : ndarray (B,)
        Held-out sums at the solution (see :class:`~ridgeline.stats.source.GLMPassResult`).
    n_passes : int
        Passes over the data.
    solver : str
    """

    coef: np.ndarray
    intercept: np.ndarray
    n_iter: np.ndarray
    grad_norm: np.ndarray
    converged: np.ndarray
    held_sw: np.ndarray
    held_loss: np.ndarray
    held_correct: np.ndarray
    n_passes: int
    solver: str = "newton"


def _curvature(r, j: int, fit_intercept: bool) -> Curvature:
    """Schur-complement Hessian of member j (means over its training rows)."""
    sw = r.sw[j]
    Hww = r.hess_ww[j] / sw
    if not fit_intercept:
        return Curvature(S=0.5 * (Hww + Hww.T), Hwb=None, Hbb_pinv=None)
    Hwb = (r.hess_wb[j] / sw)[:, None]
    Hbb = np.array([[r.hess_bb[j] / sw]])
    Hbb_pinv = np.linalg.pinv(Hbb, rcond=1e-12, hermitian=True)
    S = Hww - Hwb @ Hbb_pinv @ Hwb.T
    return Curvature(S=0.5 * (S + S.T), Hwb=Hwb, Hbb_pinv=Hbb_pinv)


def stream_newton(source, loss, lam: np.ndarray, coef0: np.ndarray, intercept0: np.ndarray,
                  held_out: np.ndarray, n_folds: int, *, fit_intercept: bool = True,
                  tol: float = 1e-8, max_iter: int = 100,
                  progress: Callable[[int], None] | None = None) -> StreamNewtonResult:
    """Minimize ``f_j`` for B models by damped Newton, one pass over the source per iteration.

    Parameters
    ----------
    source : StatisticsSource
    loss : BinomialLoss or PoissonLoss
    lam : ndarray (B,)
        Canonical penalty of each model.
    coef0 : ndarray (B, p), intercept0 : ndarray (B,)
        Starting point.
    held_out : ndarray of int (B,)
        Fold held out by each model (-1: none, the full data).
    n_folds : int
    fit_intercept : bool
    tol : float
        Stop a member at ``max|∇f_j| ≤ tol``.
    max_iter : int
        Most accepted steps per member.
    """
    lam = np.asarray(lam, dtype=np.float64)
    W = np.array(coef0, dtype=np.float64)
    b = np.array(intercept0, dtype=np.float64) if fit_intercept else np.zeros(W.shape[0])
    B = W.shape[0]
    held_out = np.asarray(held_out, dtype=np.int64)
    n_iter = np.zeros(B, dtype=np.int64)
    converged = np.zeros(B, dtype=bool)
    done = np.zeros(B, dtype=bool)
    gnorm = np.full(B, np.inf)
    f = np.full(B, np.inf)
    held = np.zeros((3, B))
    dW, db = np.zeros_like(W), np.zeros_like(b)
    t = np.zeros(B)  # 0: the trial is the current point itself (first pass)
    slope = np.zeros(B)
    passes = 0
    while not done.all():
        act = np.flatnonzero(~done)
        Wt = W[act] + t[act, None] * dW[act]
        bt = b[act] + t[act] * db[act]
        r = source.glm_pass(loss, Wt, bt, held_out[act], n_folds, hessian=True,
                            progress=progress)
        passes += 1
        for i, j in enumerate(act):
            if r.sw[i] <= 0:
                raise ValueError(f"the model holding out fold {held_out[j]} has no training "
                                 "rows")
            ft = r.loss[i] / r.sw[i] + lam[j] * float(Wt[i] @ Wt[i])
            first = t[j] == 0.0
            if not first:
                ok = np.isfinite(ft) and (ft <= f[j] + _ARMIJO * t[j] * slope[j]
                                          or _floor_ok(f[j], ft, slope[j], t[j]))
                if not ok:
                    t[j] *= 0.5
                    if t[j] < 2.0 ** -_MAX_HALVINGS:
                        done[j] = True  # no decrease possible in floating point
                        converged[j] = _at_rounding_floor(f[j], slope[j])
                    continue
                W[j], b[j] = Wt[i], bt[i]
                n_iter[j] += 1
            f[j] = ft
            held[:, j] = r.held_sw[i], r.held_loss[i], r.held_correct[i]
            gW = r.grad_w[i] / r.sw[i] + 2.0 * lam[j] * W[j]
            gb = r.grad_b[i] / r.sw[i] if fit_intercept else 0.0
            gnorm[j] = float(kkt_norms(gW[None, :, None], np.array([[gb]]), fit_intercept)[0])
            if gnorm[j] <= tol:
                converged[j] = done[j] = True
                continue
            if n_iter[j] >= max_iter:
                done[j] = True
                continue
            step_w, step_b = _curvature(r, i, fit_intercept).solve(
                float(lam[j]), gW[:, None], np.array([gb]))
            dW[j], db[j] = step_w[:, 0], float(step_b[0]) if fit_intercept else 0.0
            slope[j] = float(gW @ dW[j]) + (gb * db[j] if fit_intercept else 0.0)
            if slope[j] >= 0:  # no descent direction left: at the rounding floor
                converged[j] = _at_rounding_floor(f[j], slope[j])
                done[j] = True
                continue
            t[j] = 1.0
    return StreamNewtonResult(coef=W, intercept=b, n_iter=n_iter, grad_norm=gnorm,
                              converged=converged, held_sw=held[0], held_loss=held[1],
                              held_correct=held[2], n_passes=passes)


def _floor_ok(f, f_t, slope, t) -> bool:
    """A full step whose predicted decrease is below what f resolves (see solvers.newton)."""
    scale = max(abs(f), 1e-300)
    return t == 1.0 and -slope <= 1e-10 * scale and f_t <= f + 1e-12 * scale


def _at_rounding_floor(f, slope) -> bool:
    return -slope <= 1e-13 * max(abs(f), 1.0)


def null_start(loss, summary, held_out: np.ndarray, p: int,
               fit_intercept: bool) -> tuple[np.ndarray, np.ndarray]:
    """The null model of each member (W = 0, b = best constant on its training rows)."""
    B = held_out.size
    b = np.zeros(B)
    if fit_intercept:
        for j, k in enumerate(held_out):
            sw = summary.sw.sum() - (summary.sw[k] if k >= 0 else 0.0)
            sy = summary.sy.sum() - (summary.sy[k] if k >= 0 else 0.0)
            b[j] = loss.null_eta(np.array([sy / sw]), np.array([1.0]))
    return np.zeros((B, p)), b


@dataclass
class StreamGLMSelection:
    """K-fold CV of a GLM on a source.

    Attributes
    ----------
    result : RidgeCVResult
    coef : ndarray (L, K, p)
        Per-λ, per-fold coefficients (grid order).
    intercept : ndarray (L, K)
    n_iter : ndarray (L, K)
    n_passes : int
    """

    result: RidgeCVResult
    coef: np.ndarray
    intercept: np.ndarray
    n_iter: np.ndarray
    n_passes: int


def stream_kfold_glm(source, loss, summary, n_folds: int, lambdas: np.ndarray,
                     alphas: np.ndarray, scorer: GLMScorer, *, fit_intercept: bool = True,
                     tol: float = 1e-8, max_iter: int = 100, rule: str = "min",
                     fixed_C: bool = True, warn_stacklevel: int = 0,
                     progress: Callable[[int], None] | None = None) -> StreamGLMSelection:
    """K-fold CV scores of every λ, all K folds per pass, warm-started from strong to weak λ.

    As :func:`ridgeline.selection.glm_select.kfold_glm` (``fixed_C``: fold k is fit at
    ``λ·n/n_train,k``, scikit-learn's fixed C), with the folds of the source's fold rule.
    ``scorer`` must be per-sample ("accuracy", "neg_log_loss", "neg_mean_poisson_deviance").
    """
    if scorer.name not in ("accuracy", "neg_log_loss", "neg_mean_poisson_deviance"):
        raise ValueError(f"scoring={scorer.name!r} needs held-out predictions; on a streamed "
                         "source use 'accuracy', 'neg_log_loss' (logistic) or "
                         "'neg_mean_poisson_deviance' (Poisson)")
    lambdas = np.asarray(lambdas, dtype=np.float64)
    L, K, p = lambdas.size, n_folds, source.n_features
    folds = np.arange(K)
    n_total = summary.sw.sum()
    train_sw = n_total - summary.sw
    if np.any(summary.sw <= 0):
        raise ValueError(f"a fold has no rows: too few rows for {K} folds")
    scale = n_total / train_sw if fixed_C else np.ones(K)
    W, b = null_start(loss, summary, folds, p, fit_intercept)
    coef, inter = np.zeros((L, K, p)), np.zeros((L, K))
    n_iter = np.zeros((L, K), dtype=np.int64)
    scores = np.zeros((K, L))
    passes = 0
    for i in np.argsort(-lambdas, kind="stable"):
        fit = stream_newton(source, loss, lambdas[i] * scale, W, b, folds, K,
                            fit_intercept=fit_intercept, tol=tol, max_iter=max_iter,
                            progress=progress)
        passes += fit.n_passes
        W, b = fit.coef, fit.intercept
        coef[i], inter[i], n_iter[i] = W, b, fit.n_iter
        if scorer.name == "accuracy":
            scores[:, i] = fit.held_correct / fit.held_sw
        else:
            scores[:, i] = -fit.held_loss / fit.held_sw
    mean = scores.mean(axis=0)
    se = scores.std(axis=0, ddof=1) / np.sqrt(K) if K > 1 else np.full(L, np.nan)
    res = _finish(lambdas, alphas, "kfold", scorer, scores[:, :, None], mean, se,
                  np.full(L, np.nan), rule, K, warn_stacklevel)
    return StreamGLMSelection(result=res, coef=coef, intercept=inter, n_iter=n_iter,
                              n_passes=passes)
