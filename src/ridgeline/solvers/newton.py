"""Damped Newton (IRLS) for B penalized GLMs in lockstep, one pass over the data per step.

The one Newton loop of ridgeline: arrays, files and Dask collections all reach it through the
passes of a statistics source (:class:`~ridgeline.solvers.glm_models.LockstepModel`), and B
models — the K training folds of cross-validation and/or the full-data model — step together
so that one pass serves all of them.

- A pass at a *trial* point serves both the line search and the next step: when the trial
  passes the Armijo test it is accepted and its gradient (and Hessian) give the next
  direction; otherwise the step is halved and the next pass evaluates the shorter trial.
  Members stop independently at ``max|∇f| ≤ tol``.
- **Hessian reuse** (the chord method, Kelley 1995, *Iterative Methods for Linear and
  Nonlinear Equations*, §5.4): with ``reuse``, a pass asks for Hessians only when a member
  needs one — at the start without a curvature, after a step with the reused curvature cut
  ``max|∇f|`` by less than :data:`REFRESH_RATE`, or after a line search failed with it.
  A stale curvature still gives a descent direction (``S + 2λI`` is positive definite) and
  the stopping rule is unchanged, so the answer is the same; only the passes get cheaper.
- A line search that fails with a *reused* curvature is not halved further: the member's
  current point is evaluated again with a Hessian, and the step recomputed from it.
- Hessians serve as curvature only, so a pass is asked for ``hessian="shared"`` (several
  members may share one Gram pass at their mean curvature) or ``"own"``, and an in-memory
  source may form them in float32 (:mod:`ridgeline.stats.array_source`); the gradient, the
  line search and the stopping test are float64, so the answer is the same.
- ``start``: the members' loss and gradient at the starting point are known (the previous λ
  of a path, where the loss gradient does not depend on λ), so the first step needs no pass.
- **Rounding floor.** A tolerance below what float64 can reach (``tol=1e-18``) is not chased
  for ``max_iter`` steps: once :data:`STALL_STEPS` accepted steps in a row neither halve the
  smallest gradient seen nor predict a decrease that f can resolve, the member stops there,
  converged to rounding level (its ``grad_norm`` tells how close).
- ``polish``: a member that meets the tolerance takes one more (evaluated) Newton step, which
  brings its gradient to rounding level: the answer then agrees with any other solver's
  tight solution to ~1e-12 rather than to the tolerance (DESIGN.md).
- ``last_step_below``: once a member's ``max|∇f|`` is at most this fraction of its first
  value, its next step (with a fresh Hessian) is taken without a pass to evaluate it and the
  member stops — for fits whose answer is only a starting point (a subset fit).

The line search only accepts points that decrease the objective, so the iteration cannot
diverge; near the optimum, where ``f`` runs out of digits, a full step that raises ``f`` by no
more than rounding is accepted and the gradient decides (:func:`floor_ok`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ridgeline.solvers.curvature import Curvature, kkt_norms
from ridgeline.solvers.glm_models import LockstepModel

ARMIJO = 1e-4
MAX_HALVINGS = 40
#: Re-form a member's Hessian when a step with the reused one cut max|∇f| by less than this.
REFRESH_RATE = 0.25
#: A member whose accepted steps have not halved its smallest max|∇f| this many times in a
#: row, while their predicted decrease is below what f resolves, is at the rounding floor.
STALL_STEPS = 3


@dataclass
class PassPoint:
    """Members' mean loss and loss gradient (penalty excluded) at their current point, and
    the held-out sums there: what the next λ of a path starts from without a pass.

    Attributes
    ----------
    loss : ndarray (B,)
    grad_W : ndarray (B, p, m)
    grad_b : ndarray (B, m)
    held : ndarray (3, B)
        Held-out weight, loss and correct predictions.
    """

    loss: np.ndarray
    grad_W: np.ndarray
    grad_b: np.ndarray
    held: np.ndarray


@dataclass
class GLMFit:
    """Solutions of B penalized GLMs (Newton's or L-BFGS's).

    Attributes
    ----------
    coef : ndarray (B, p, m)
    intercept : ndarray (B, m)
    n_iter : ndarray of int (B,)
        Accepted steps.
    grad_norm : ndarray (B,)
        Largest absolute gradient entry at the solution (the KKT certificate).
    converged : ndarray of bool (B,)
        ``grad_norm ≤ tol``, or no decrease left in floating point.
    objective : ndarray (B,)
    held_sw, held_loss, held_correct : ndarray (B,)
        Held-out sums at the solution (weight, loss, correct predictions).
    n_passes : int
        Passes over the data.
    solver : str
    n_hessian_passes : int
        Passes that also formed Hessians.
    n_subset_passes : int
        Passes over a subset of the rows that found the starting point (not in n_passes).
    curvature : list of Curvature or None, length B
        Each member's last curvature (to start a nearby problem with).
    point : PassPoint or None
        Loss and gradients at the solution.
    """

    coef: np.ndarray
    intercept: np.ndarray
    n_iter: np.ndarray
    grad_norm: np.ndarray
    converged: np.ndarray
    objective: np.ndarray
    held_sw: np.ndarray
    held_loss: np.ndarray
    held_correct: np.ndarray
    n_passes: int
    solver: str = "newton"
    n_hessian_passes: int = 0
    n_subset_passes: int = 0
    curvature: list | None = None
    point: PassPoint | None = None


def newton(model: LockstepModel, lam: np.ndarray, W: np.ndarray, b: np.ndarray, *,
           fit_intercept: bool, tol: float, max_iter: int, reuse: bool,
           curvature0: Sequence[Curvature | None] | None = None,
           last_step_below: float | None = None, start: PassPoint | None = None,
           polish: bool = False) -> GLMFit:
    """Minimize ``f_j`` for B models from (W (B, p, m), b (B, m)) by damped Newton.

    Parameters
    ----------
    model : LockstepModel
        The loss family over the source and members (:func:`~ridgeline.solvers.glm_models.
        make_model`).
    lam : ndarray (B,)
        Canonical penalty of each member.
    fit_intercept : bool
    tol : float
        Stop a member at ``max|∇f_j| ≤ tol``.
    max_iter : int
        Most accepted steps per member.
    reuse : bool
        Reuse Hessians while they pay (module docstring); False forms one every pass.
    curvature0 : sequence of Curvature or None, length B, optional
        A curvature per member to start with.
    last_step_below : float, optional
        See the module docstring.
    start : PassPoint, optional
        The members' loss and gradient at (W, b): the first step is taken without a pass
        (members without a ``curvature0`` are evaluated by the first pass as usual).
    polish : bool
        Take one more evaluated step after meeting ``tol`` (module docstring).

    Returns
    -------
    GLMFit
    """
    st = _Lockstep(model, lam, W, b, fit_intercept, tol, max_iter, reuse, curvature0,
                   last_step_below, polish)
    if start is not None:
        st.seed(start)
    while not st.done.all():
        act = np.flatnonzero(~st.done)
        Wt = st.W[act] + _along(st.t[act], st.W) * st.dW[act]
        bt = st.b[act] + _along(st.t[act], st.b) * st.db[act]
        fresh = bool(st.need[act].any()) or not reuse
        # several members' Hessians from one shared Gram pass, unless one proved too rough
        shared = fresh and reuse and act.size > 1 and not st.own[act].any()
        r = model.run_pass(act, Wt, bt, ("shared" if shared else "own") if fresh else False)
        st.passes += 1
        st.hess_passes += fresh
        for i, j in enumerate(act):
            st.visit(r, i, int(j), Wt[i], bt[i], fresh, shared)
    return st.result()


class _Lockstep:
    """The state of B members between passes (see :func:`newton`)."""

    def __init__(self, model, lam, W, b, fit_intercept, tol, max_iter, reuse, curvature0,
                 last_step_below, polish=False):
        self.model, self.fit_intercept = model, fit_intercept
        self.polish = np.full(np.shape(W)[0], bool(polish))  # one more step still to take
        self.tol, self.max_iter, self.last_step_below = tol, max_iter, last_step_below
        self.lam = np.asarray(lam, dtype=np.float64)
        self.W, self.b = np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)
        B = self.W.shape[0]
        self.n_iter = np.zeros(B, dtype=np.int64)
        self.converged, self.done = np.zeros(B, dtype=bool), np.zeros(B, dtype=bool)
        self.gnorm, self.g_first, self.f = np.full(B, np.inf), np.full(B, np.inf), \
            np.full(B, np.inf)
        self.held = np.zeros((3, B))
        self.gl_W, self.gl_b = np.zeros_like(self.W), np.zeros_like(self.b)
        self.loss = np.zeros(B)
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)
        self.t = np.zeros(B)  # 0: the trial is the current point itself (first pass)
        self.slope = np.zeros(B)
        self.curv: list = list(curvature0) if curvature0 is not None else [None] * B
        if len(self.curv) != B:
            raise ValueError(f"curvature0 has {len(self.curv)} entries for {B} models")
        self.need = np.array([c is None for c in self.curv])
        self.seen = np.zeros(B, dtype=bool)  # the member's first point has been evaluated
        self.stale = np.zeros(B, dtype=bool)  # its direction came from a reused curvature
        self.shared = np.zeros(B, dtype=bool)  # its curvature is a shared pass's (approximate)
        self.own = np.zeros(B, dtype=bool)  # a shared curvature proved too rough for it
        self.steps = np.zeros(B, dtype=np.int64)  # steps taken with the current curvature
        self.best = np.full(B, np.inf)  # smallest max|∇f| seen
        self.stall = np.zeros(B, dtype=np.int64)  # accepted steps in a row that did not halve it
        self.passes = self.hess_passes = 0

    def seed(self, start: PassPoint) -> None:
        """Members with a curvature start from the known loss and gradient (no pass)."""
        for j in np.flatnonzero(~self.need):
            self.seen[j] = True
            self._take(int(j), start.loss[j], start.grad_W[j], start.grad_b[j],
                       start.held[:, j])
            self._next_step(int(j), fresh=False)

    def visit(self, r, i: int, j: int, Wt: np.ndarray, bt: np.ndarray, fresh: bool,
              shared: bool = False) -> None:
        """Member j's share (index i) of a pass at its trial point (Wt, bt) (``shared``: the
        pass's Hessians were one shared Gram's)."""
        loss, gW, gb = self.model.loss_gradient(r, i)
        ft = loss + self.lam[j] * float(np.sum(Wt * Wt))
        first = not self.seen[j]
        self.seen[j] = True
        if self.t[j] != 0.0:
            if not self._accepted(j, ft):
                return
            self.W[j], self.b[j] = Wt, self.model.intercept(bt)
            self.n_iter[j] += 1
        g_old = self.gnorm[j]
        self._take(j, loss, gW, gb, (r.held_sw[i], r.held_loss[i], r.held_correct[i]))
        if first:
            self.g_first[j] = self.gnorm[j]
        if fresh:
            self.curv[j] = self.model.curvature(r, i)
            self.need[j], self.shared[j], self.steps[j] = False, shared, 0
        elif self.gnorm[j] > REFRESH_RATE * g_old:
            self.need[j] = True  # the reused curvature stopped paying: re-form it next
            # a shared curvature too rough from its first step on: this member's own next
            self.own[j] |= bool(self.shared[j] and self.steps[j] <= 1)
        self._next_step(j, fresh)

    def _accepted(self, j: int, ft: float) -> bool:
        """Armijo test of member j's trial; on failure halve the step, or re-form a reused
        curvature at the current point, or stop at the rounding floor."""
        f, t, slope = self.f[j], self.t[j], self.slope[j]
        if np.isfinite(ft) and (ft <= f + ARMIJO * t * slope or floor_ok(f, ft, slope, t)):
            return True
        if self.converged[j]:  # the polishing step did not pay: keep the converged point
            self.done[j] = True
            return False
        if self.stale[j]:
            self.t[j] = 0.0  # the reused curvature failed: evaluate here with a Hessian
            self.need[j] = True
            return False
        self.t[j] *= 0.5
        if self.t[j] < 2.0 ** -MAX_HALVINGS:
            self.done[j] = True  # no decrease possible in floating point
            self.converged[j] = at_rounding_floor(f, slope)
        return False

    def _take(self, j: int, loss: float, gW: np.ndarray, gb: np.ndarray, held) -> None:
        """Member j's accepted point: objective, gradient and its norm."""
        lam = self.lam[j]
        self.loss[j], self.gl_W[j], self.gl_b[j] = loss, gW, gb
        self.f[j] = loss + lam * float(np.sum(self.W[j] * self.W[j]))
        self.held[:, j] = held
        g = gW + 2.0 * lam * self.W[j]
        self.gnorm[j] = float(kkt_norms(g[None], gb[None], self.fit_intercept)[0])

    def _next_step(self, j: int, fresh: bool) -> None:
        """Stop member j, or set its next direction and unit trial step."""
        if self.gnorm[j] <= self.tol:
            self.converged[j] = True
            self.done[j] = not self.polish[j]
            self.polish[j] = False
            if self.done[j]:
                return
            fresh = True  # the polishing step: a full Newton step, no secant corrections
        else:
            self.converged[j] = False
        self.stall[j] = 0 if self.gnorm[j] <= 0.5 * self.best[j] else self.stall[j] + 1
        self.best[j] = min(self.best[j], self.gnorm[j])
        if self.stall[j] >= STALL_STEPS and at_rounding_floor(self.f[j], self.slope[j]):
            self.converged[j] = self.done[j] = True  # no progress left in floating point
            return
        if self.n_iter[j] >= self.max_iter:
            self.done[j] = True
            return
        lam = float(self.lam[j])
        gW, gb = self.gl_W[j] + 2.0 * lam * self.W[j], self.gl_b[j]
        self.dW[j], self.db[j] = self.model.step(j, self.W[j], self.b[j], gW, gb,
                                                 self.curv[j], lam, fresh)
        self.stale[j] = not fresh
        self.steps[j] += 1
        self.slope[j] = float(np.sum(gW * self.dW[j]) + np.sum(gb * self.db[j]))
        if self.slope[j] >= 0:  # no descent direction left: at the rounding floor
            self.converged[j] = at_rounding_floor(self.f[j], self.slope[j])
            self.done[j] = True
            return
        if (self.last_step_below is not None and fresh
                and self.gnorm[j] <= self.last_step_below * self.g_first[j]):
            self.W[j] += self.dW[j]  # the last step, unevaluated (see last_step_below)
            self.b[j] = self.model.intercept(self.b[j] + self.db[j])
            self.n_iter[j] += 1
            self.converged[j] = self.done[j] = True
            return
        self.t[j] = 1.0

    def result(self) -> GLMFit:
        point = PassPoint(self.loss.copy(), self.gl_W.copy(), self.gl_b.copy(),
                          self.held.copy())
        return GLMFit(coef=self.W, intercept=self.b, n_iter=self.n_iter, grad_norm=self.gnorm,
                      converged=self.converged, objective=self.f, held_sw=self.held[0],
                      held_loss=self.held[1], held_correct=self.held[2], n_passes=self.passes,
                      n_hessian_passes=self.hess_passes, curvature=self.curv, point=point)


def _along(t: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Step lengths t (m,) shaped to scale rows of an (m, ...) array like ``like``."""
    return t.reshape((-1,) + (1,) * (like.ndim - 1))


def floor_ok(f, f_t, slope, t) -> bool:
    """Accept a full step whose predicted decrease is below what f can resolve.

    Near the optimum, Armijo's test compares differences of f at rounding level and would
    reject good Newton steps at random; there the quadratic model is exact, so a full step that
    raises f by no more than rounding is taken (the gradient test decides convergence).
    """
    scale = max(abs(f), 1e-300)
    return t == 1.0 and -slope <= 1e-10 * scale and f_t <= f + 1e-12 * scale


def at_rounding_floor(f, slope) -> bool:
    """True when the predicted decrease of the step is below float64 resolution."""
    return -slope <= 1e-13 * max(abs(f), 1.0)
