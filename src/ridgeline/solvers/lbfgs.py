"""L-BFGS for B penalized GLMs in lockstep: one gradient-only pass per iteration.

The one L-BFGS loop of ridgeline (arrays, files and Dask alike, through the passes of a
statistics source). Every pass is asked for the loss and gradient only: O(n·p) per model
instead of the O(n·p²) of ``XᵀWX``, and nothing p×p is formed — what makes large p (and large
p·C softmax models) affordable. The curvature comes from the last ``memory`` steps of each
model (Liu & Nocedal 1989, "On the limited memory BFGS method for large scale optimization",
*Math. Programming* 45; the two-loop recursion of Nocedal & Wright, *Numerical Optimization*,
2nd ed., Algorithm 7.4) from the initial inverse Hessian of
:mod:`ridgeline.solvers.lbfgs_metric` (the penalty exactly, the data term scaled by the
features' moments).

**Pass accounting.** As in the Newton solver, a pass at a *trial* point serves both the line
search and the next iteration: its gradient is the one the next direction is built from (and
the other end of the next curvature pair), so an iteration whose unit step is accepted costs
exactly one pass.

**Line search.** Backtracking on the sufficient-decrease (Armijo) condition, one pass per
trial. A rejected trial is shortened to the minimizer of the cubic that interpolates
``φ(0), φ'(0), φ(t), φ'(t)`` — both slopes are free — safeguarded to ``[0.1 t, 0.5 t]``
(Nocedal & Wright §3.5). Near the optimum ``f`` runs out of digits before the gradient does; a
trial whose ``f`` does not rise beyond rounding is then accepted on the *approximate Armijo*
condition ``φ'(t) ≤ (2δ − 1) φ'(0)`` (Hager & Zhang 2005, *SIAM J. Optim.* 16), which the
gradient can still decide, or on the full-step floor test the Newton solver uses.

**Curvature pairs.** ``s = x₊ − x``, ``y = ∇f(x₊) − ∇f(x)`` of the full objective. The objective
is convex, so ``sᵀy ≥ 2λ‖s_w‖² ≥ 0`` and a step that satisfies Armijo without the Wolfe
curvature condition still gives a valid pair. A pair with ``sᵀy ≤ ε ‖s‖ ‖y‖`` (rounding) is
skipped. When the line search cannot decrease ``f`` along an L-BFGS direction the member's
pairs are dropped and the search restarts once along ``−H0 ∇f``.

**Stopping.** A member stops at ``max|∇f_j| ≤ tol`` (converged), after ``max_iter`` accepted
steps, when no trial decreases ``f`` even along ``−H0 ∇f`` (converged when the predicted
decrease is below what ``f`` resolves, as for Newton), or — a tolerance below what float64
can reach — after :data:`STALL_STEPS` accepted steps in a row that neither halved the
smallest gradient nor lowered ``f`` beyond a few units in the last place (converged to
rounding level).
"""

from __future__ import annotations

import numpy as np

from ridgeline.solvers.curvature import kkt_norms
from ridgeline.solvers.glm_models import LockstepModel
from ridgeline.solvers.lbfgs_metric import Memory, Metric, feature_moments
from ridgeline.solvers.newton import ARMIJO, GLMFit, PassPoint, at_rounding_floor, floor_ok

#: Trial passes one line search may spend before it gives up on its direction.
_MAX_TRIALS = 30
#: ``f`` has not risen beyond rounding when ``f_t ≤ f + _F_EPS · max(|f|, tiny)``.
_F_EPS = 1e-12
#: Accepted steps in a row that neither halve the smallest max|∇f| nor lower f by more than
#: a few units in the last place, after which a member is at the rounding floor (converged).
#: (f alone runs out of digits long before the gradient does — on wine at max|∇f| ≈ 7e-8 —
#: and the gradient alone can stall for 80 steps on badly scaled data: only both together
#: mark the floor.)
STALL_STEPS = 20


def lbfgs(model: LockstepModel, lam: np.ndarray, W: np.ndarray, b: np.ndarray, *,
          fit_intercept: bool, tol: float, max_iter: int, memory: int = 10,
          x_mean: np.ndarray | None = None, x_scale: np.ndarray | None = None,
          null_curvature: float = 1.0) -> GLMFit:
    """Minimize ``f_j`` for B models from (W (B, p, m), b (B, m)) by L-BFGS.

    Parameters
    ----------
    model : LockstepModel
    lam : ndarray (B,)
        Canonical penalty of each member.
    fit_intercept : bool
    tol : float
        Stop a member at ``max|∇f_j| ≤ tol``.
    max_iter : int
        Most accepted steps per member.
    memory : int
        Curvature pairs kept per member (the ``m`` of L-BFGS).
    x_mean, x_scale : ndarray (p,), optional
        Feature means and standard deviations (a preconditioner need not be exact). They
        shape the initial inverse Hessian, which makes the iteration count that of
        standardized features; give them whenever the features are not standardized.
    null_curvature : float
        The mean loss curvature ℓ'' that scales ``H0`` before the first pair.

    Returns
    -------
    GLMFit
        With ``solver="lbfgs"``; ``n_iter`` counts accepted steps.
    """
    _check(tol, max_iter, memory)
    st = _Search(model, lam, W, b, fit_intercept, tol, max_iter, memory,
                 feature_moments(x_mean, x_scale, np.shape(W)[1]), null_curvature)
    while not st.done.all():
        act = np.flatnonzero(~st.done)
        Xt = st.X[act] + st.t[act, None] * st.D[act]
        r = model.run_pass(act, *st.split(Xt), False)
        st.passes += 1
        for i, j in enumerate(act):
            st.visit(r, i, int(j), Xt[i])
    return st.result()


class _Search:
    """The state of B members between passes (see :func:`lbfgs`); a member's point is the
    flat vector ``x = [W; b]`` of length (p + 1)·m."""

    def __init__(self, model, lam, W, b, fit_intercept, tol, max_iter, memory, moments,
                 null_curvature):
        self.model, self.fit_intercept, self.tol, self.max_iter = model, fit_intercept, tol, \
            max_iter
        self.memory, self.moments, self.c0 = memory, moments, float(null_curvature)
        self.lam = np.asarray(lam, dtype=np.float64)
        W = np.array(W, dtype=np.float64)
        b = np.array(b, dtype=np.float64) if fit_intercept else np.zeros(np.shape(b))
        B, p, m = W.shape
        self.shape = (p, m)
        self.X = np.concatenate([W.reshape(B, p * m), b.reshape(B, m)], axis=1)
        self.G, self.D = np.zeros_like(self.X), np.zeros_like(self.X)
        self.f, self.slope, self.t = np.full(B, np.inf), np.zeros(B), np.zeros(B)
        self.trials = np.zeros(B, dtype=np.int64)
        self.restarted = np.zeros(B, dtype=bool)  # the current search runs along −H0 ∇f
        self.n_iter = np.zeros(B, dtype=np.int64)
        self.converged, self.done = np.zeros(B, dtype=bool), np.zeros(B, dtype=bool)
        self.gnorm = np.full(B, np.inf)
        self.held = np.zeros((3, B))
        self.loss = np.zeros(B)
        self.mem: list[Memory | None] = [None] * B
        self.best = np.full(B, np.inf)  # smallest max|∇f| seen
        self.stall = np.zeros(B, dtype=np.int64)
        self.passes = 0

    def split(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Flat points (a, (p + 1)·m) → (W (a, p, m), b (a, m))."""
        p, m = self.shape
        return X[:, :p * m].reshape(-1, p, m), X[:, p * m:]

    def visit(self, r, i: int, j: int, xt: np.ndarray) -> None:
        """Member j's share (index i) of a pass at its trial point ``xt``."""
        p, m = self.shape
        loss, gW, gb = self.model.loss_gradient(r, i)
        wt = xt[:p * m]
        ft = loss + self.lam[j] * float(wt @ wt)
        gt = np.concatenate([(gW.ravel() + 2.0 * self.lam[j] * wt), np.ravel(gb)])
        if self.t[j] == 0.0:  # the starting point
            if not np.isfinite(ft):
                raise ValueError("the objective is not finite at the starting point of the "
                                 f"model holding out fold {self.model.held_out[j]}")
            metric = Metric(float(self.lam[j]), *self.moments, self.fit_intercept)
            self.mem[j] = Memory(self.memory, metric, self.c0)
        elif self._accepted(j, ft, float(gt @ self.D[j])):
            self.mem[j].push(xt - self.X[j], gt - self.G[j])
            self.X[j] = xt
            self.n_iter[j] += 1
        else:
            return
        flat = bool(np.isfinite(self.f[j])
                    and not ft < self.f[j] - 4.0 * np.finfo(float).eps * abs(self.f[j]))
        self.f[j], self.G[j], self.loss[j] = ft, gt, loss
        self.held[:, j] = r.held_sw[i], r.held_loss[i], r.held_correct[i]
        self.gnorm[j] = float(kkt_norms(gt[None, :p * m], gt[None, p * m:],
                                        self.fit_intercept)[0])
        halved = self.gnorm[j] <= 0.5 * self.best[j]
        self.stall[j] = self.stall[j] + 1 if flat and not halved else 0
        self.best[j] = min(self.best[j], self.gnorm[j])
        if self.gnorm[j] <= self.tol or self.stall[j] >= STALL_STEPS:
            self.converged[j] = self.done[j] = True
        elif self.n_iter[j] >= self.max_iter:
            self.done[j] = True
        else:
            self.restarted[j] = False
            self._new_search(j)
            if self.slope[j] >= 0:  # rounding made the direction ascend: use −H0 ∇f
                self.mem[j].clear()
                self.restarted[j] = True
                self._new_search(j)

    def _accepted(self, j: int, ft: float, dt: float) -> bool:
        """The sufficient-decrease test of member j's trial; on failure a shorter trial, a
        restart along ``−H0 ∇f``, or the stop at the rounding floor."""
        if _sufficient(self.f[j], self.slope[j], self.t[j], ft, dt):
            return True
        self.trials[j] += 1
        if self.trials[j] < _MAX_TRIALS:
            self.t[j] = _cubic_step(self.t[j], self.f[j], self.slope[j], ft, dt)
        elif self.restarted[j] or len(self.mem[j]) == 0:  # no decrease left
            self.done[j] = True
            self.converged[j] = at_rounding_floor(self.f[j], self.slope[j])
        else:
            self.mem[j].clear()  # retry once along −H0 ∇f
            self.restarted[j] = True
            self._new_search(j)
        return False

    def _new_search(self, j: int) -> None:
        """Start member j's line search along its L-BFGS direction with the unit step."""
        self.D[j] = self.mem[j].direction(self.G[j])
        self.slope[j] = float(self.G[j] @ self.D[j])
        self.t[j] = 1.0
        self.trials[j] = 0

    def result(self) -> GLMFit:
        W, b = self.split(self.X)
        b = np.array([self.model.intercept(bj) for bj in b])
        gW, gb = self.split(self.G)
        point = PassPoint(self.loss.copy(), gW - 2.0 * self.lam[:, None, None] * W,
                          gb.copy(), self.held.copy())
        return GLMFit(coef=W.copy(), intercept=b, n_iter=self.n_iter, grad_norm=self.gnorm,
                      converged=self.converged, objective=self.f, held_sw=self.held[0],
                      held_loss=self.held[1], held_correct=self.held[2],
                      n_passes=self.passes, solver="lbfgs", point=point)


def _sufficient(f: float, slope: float, t: float, ft: float, dt: float) -> bool:
    """Sufficient decrease, decided by ``f`` where it resolves it and by the slopes where not."""
    if not np.isfinite(ft):
        return False
    if ft <= f + ARMIJO * t * slope or floor_ok(f, ft, slope, t):
        return True
    flat = ft <= f + _F_EPS * max(abs(f), 1e-300)  # f cannot tell: ask the gradient
    return flat and dt <= (2.0 * ARMIJO - 1.0) * slope


def _cubic_step(t: float, f0: float, d0: float, ft: float, dt: float) -> float:
    """Shorter trial: minimizer of the cubic through ``φ(0)=f0, φ'(0)=d0, φ(t)=ft, φ'(t)=dt``,
    kept in ``[0.1 t, 0.5 t]`` (Nocedal & Wright eq. 3.59)."""
    lo, hi = 0.1 * t, 0.5 * t
    if not (np.isfinite(ft) and np.isfinite(dt)):
        return lo
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        d1 = d0 + dt - 3.0 * (f0 - ft) / (0.0 - t)
        disc = d1 * d1 - d0 * dt
        if disc >= 0.0:  # (NaN when it overflowed: falls through to the quadratic)
            d2 = np.sqrt(disc)
            new = t - t * (dt + d2 - d1) / (dt - d0 + 2.0 * d2)
        else:  # no real cubic minimizer: the quadratic through f0, d0, ft
            curv = ft - f0 - d0 * t
            new = -d0 * t * t / (2.0 * curv) if curv > 0.0 else np.nan
    return float(np.clip(new, lo, hi)) if np.isfinite(new) else hi


def _check(tol, max_iter, memory) -> None:
    if not (isinstance(tol, int | float | np.floating) and np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number, got {tol!r}")
    if isinstance(memory, bool) or not isinstance(memory, int | np.integer) or memory < 1:
        raise ValueError(f"memory must be a positive integer, got {memory!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 0:
        raise ValueError(f"max_iter must be a non-negative integer, got {max_iter!r}")
