"""The lockstep damped-Newton loop of B models on a statistics source, one pass per iteration.

:func:`ridgeline.selection.stream_glm.stream_newton` (scalar-η GLMs: binomial, Poisson) and
:func:`ridgeline.selection.stream_multinomial.stream_multinomial_newton` (softmax) are this
loop with a different :class:`LockstepModel` — how a pass is run, how a member's gradient,
curvature and step are read from it. The loop itself:

- A pass at a *trial* point serves both the line search and the next step: when the trial
  passes the Armijo test it is accepted and its gradient (and Hessian) give the next
  direction; otherwise the step is halved and the next pass evaluates the shorter trial.
  Members step in lockstep and stop independently at ``max|∇f| ≤ tol``.
- **Hessian reuse** (the chord method, Kelley 1995, *Iterative Methods for Linear and
  Nonlinear Equations*, §5.4): with ``reuse``, a pass asks for Hessians only when a member
  needs one — at the start without a ``curvature0``, after a step with the reused curvature
  cut ``max|∇f|`` by less than :data:`REFRESH_RATE`, or after a line search failed with it.
  The stopping rule is unchanged, so the answer is the same.
- A line search that fails with a *reused* curvature is not halved further: the member's
  current point is evaluated again with a Hessian, and the step recomputed from it (a stale
  curvature can give a direction that only tiny steps descend along).
- ``last_step_below``: once a member's ``max|∇f|`` is at most this fraction of its value at
  the first pass, its next step (with a fresh Hessian) is taken without a pass to evaluate
  it and the member stops — for fits whose answer is only a starting point.

Every member's objective is ``f_j = loss_j / sw_j + λ_j ‖W_j‖²`` (DESIGN.md), from the pass's
sums over the member's training rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ridgeline.solvers.glm_problem import Curvature, kkt_norms


class EmptyTrainingRows(ValueError):
    """A member of a pass has no training rows (e.g. its folds are not in a subset)."""


ARMIJO = 1e-4
MAX_HALVINGS = 40
#: Re-form a member's Hessian when a step with the reused one cut max|∇f| by less than this.
REFRESH_RATE = 0.25


class LockstepModel(Protocol):
    """What the loop needs of a model family (shapes: W (B, p, ...), b (B, ...))."""

    def run_pass(self, act: np.ndarray, W: np.ndarray, b: np.ndarray, hessian: bool):
        """One pass for members ``act`` at (W, b); a result with ``sw``, ``loss``,
        ``held_sw``, ``held_loss``, ``held_correct`` per member."""

    def gradient(self, r, i: int, W: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray]:
        """Member i's gradient ``(∂f/∂W, ∂f/∂b)`` at W (zeros for b without an intercept)."""

    def curvature(self, r, i: int) -> Curvature:
        """Member i's curvature from a pass that formed Hessians."""

    def step(self, j: int, W: np.ndarray, b: np.ndarray, gW: np.ndarray, gb: np.ndarray,
             curv: Curvature, lam: float, fresh: bool) -> tuple[np.ndarray, np.ndarray]:
        """The step ``(ΔW, Δb)`` of member j at an accepted point (``fresh``: its curvature
        was formed there)."""

    def intercept(self, b: np.ndarray) -> np.ndarray:
        """An accepted intercept as stored (e.g. re-centered, or zero without one)."""


@dataclass
class LockstepResult:
    """Where :func:`lockstep_newton` left B models (see the callers' result classes)."""

    coef: np.ndarray
    intercept: np.ndarray
    n_iter: np.ndarray
    grad_norm: np.ndarray
    converged: np.ndarray
    objective: np.ndarray
    held: np.ndarray  # (3, B): held-out weight, loss and correct predictions
    n_passes: int
    n_hessian_passes: int
    curvature: list


def lockstep_newton(model: LockstepModel, lam: np.ndarray, W: np.ndarray, b: np.ndarray, *,
                    fit_intercept: bool, tol: float, max_iter: int, reuse: bool,
                    curvature0: Sequence[Curvature | None] | None = None,
                    last_step_below: float | None = None,
                    held_out: np.ndarray | None = None) -> LockstepResult:
    """Minimize ``f_j`` for B models from (W, b) by damped Newton in lockstep (module doc).

    ``held_out`` (B,) only names a member with no training rows in the error.
    """
    lam = np.asarray(lam, dtype=np.float64)
    W, b = np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)
    B, p = W.shape[0], W.shape[1]
    n_iter = np.zeros(B, dtype=np.int64)
    converged = np.zeros(B, dtype=bool)
    done = np.zeros(B, dtype=bool)
    gnorm = np.full(B, np.inf)
    g_first = np.full(B, np.inf)
    f = np.full(B, np.inf)
    held = np.zeros((3, B))
    dW, db = np.zeros_like(W), np.zeros_like(b)
    t = np.zeros(B)  # 0: the trial is the current point itself (first pass)
    slope = np.zeros(B)
    curv: list[Curvature | None] = list(curvature0) if curvature0 is not None else [None] * B
    if len(curv) != B:
        raise ValueError(f"curvature0 has {len(curv)} entries for {B} models")
    need = np.array([c is None for c in curv])  # the next pass must bring this member's Hessian
    seen = np.zeros(B, dtype=bool)  # the member's first point has been evaluated
    stale = np.zeros(B, dtype=bool)  # its current direction came from a reused curvature
    passes = hess_passes = 0
    while not done.all():
        act = np.flatnonzero(~done)
        Wt = W[act] + _along(t[act], W) * dW[act]
        bt = b[act] + _along(t[act], b) * db[act]
        fresh = bool(need[act].any()) or not reuse
        r = model.run_pass(act, Wt, bt, fresh)
        passes += 1
        hess_passes += fresh
        for i, j in enumerate(act):
            if r.sw[i] <= 0:
                fold = held_out[j] if held_out is not None else j
                raise EmptyTrainingRows(f"the model holding out fold {fold} has no training "
                                        "rows")
            ft = r.loss[i] / r.sw[i] + lam[j] * float(np.sum(Wt[i] * Wt[i]))
            first = not seen[j]
            seen[j] = True
            if t[j] != 0.0:
                ok = np.isfinite(ft) and (ft <= f[j] + ARMIJO * t[j] * slope[j]
                                          or floor_ok(f[j], ft, slope[j], t[j]))
                if not ok and stale[j]:
                    t[j] = 0.0  # the reused curvature failed: evaluate here with a Hessian
                    need[j] = True
                    continue
                if not ok:
                    t[j] *= 0.5
                    if t[j] < 2.0 ** -MAX_HALVINGS:
                        done[j] = True  # no decrease possible in floating point
                        converged[j] = at_rounding_floor(f[j], slope[j])
                    continue
                W[j], b[j] = Wt[i], model.intercept(bt[i])
                n_iter[j] += 1
            f[j] = ft
            held[:, j] = r.held_sw[i], r.held_loss[i], r.held_correct[i]
            gW, gb = model.gradient(r, i, W[j], float(lam[j]))
            g_old = gnorm[j]
            gnorm[j] = float(kkt_norms(gW.reshape(1, p, -1), np.reshape(gb, (1, -1)),
                                       fit_intercept)[0])
            if first:
                g_first[j] = gnorm[j]
            if fresh:
                curv[j] = model.curvature(r, i)
                need[j] = False
            elif gnorm[j] > REFRESH_RATE * g_old:
                need[j] = True  # the reused curvature stopped paying: re-form it next
            if gnorm[j] <= tol:
                converged[j] = done[j] = True
                continue
            if n_iter[j] >= max_iter:
                done[j] = True
                continue
            dW[j], db[j] = model.step(j, W[j], b[j], gW, gb, curv[j], float(lam[j]), fresh)
            stale[j] = not fresh
            slope[j] = float(np.sum(gW * dW[j]) + np.sum(gb * db[j]))
            if slope[j] >= 0:  # no descent direction left: at the rounding floor
                converged[j] = at_rounding_floor(f[j], slope[j])
                done[j] = True
                continue
            if (last_step_below is not None and fresh
                    and gnorm[j] <= last_step_below * g_first[j]):
                W[j] += dW[j]  # the last step, unevaluated (see last_step_below)
                b[j] = model.intercept(b[j] + db[j])
                n_iter[j] += 1
                converged[j] = done[j] = True
                continue
            t[j] = 1.0
    return LockstepResult(coef=W, intercept=b, n_iter=n_iter, grad_norm=gnorm,
                          converged=converged, objective=f, held=held, n_passes=passes,
                          n_hessian_passes=hess_passes, curvature=curv)


def _along(t: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Step lengths t (m,) shaped to scale rows of an (m, ...) array like ``like``."""
    return t.reshape((-1,) + (1,) * (like.ndim - 1))


def floor_ok(f, f_t, slope, t) -> bool:
    """A full step whose predicted decrease is below what f resolves (see solvers.newton)."""
    scale = max(abs(f), 1e-300)
    return t == 1.0 and -slope <= 1e-10 * scale and f_t <= f + 1e-12 * scale


def at_rounding_floor(f, slope) -> bool:
    return -slope <= 1e-13 * max(abs(f), 1.0)
