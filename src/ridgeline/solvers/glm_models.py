"""How the solvers read a pass of B models: gradients, curvatures and steps per loss family.

The Newton and L-BFGS loops (:mod:`ridgeline.solvers.newton`, :mod:`ridgeline.solvers.lbfgs`)
are written once; a *model* tells them how a pass is run and how one member's gradient,
curvature and Newton step are read from its result:

- :class:`ScalarModel` — binary log loss and Poisson deviance (``glm_pass``).
- :class:`SoftmaxModel` — the multinomial loss (``multinomial_pass``): the softmax is unchanged
  by an equal shift of every class's intercept, so the intercept is eliminated with the
  pseudo-inverse of its singular C×C block (whose range excludes that shift) and the accepted
  intercepts are re-centered to sum to zero.

Scalar models step by the member's Newton step, corrected by secant pairs while its curvature
is reused (:class:`~ridgeline.solvers.secants.Secants`); softmax models by the plain (chord)
Newton step.

Shapes: W (B, p, m), b (B, m) for every family (m = 1 or C); a member's gradient is
``(gW (p, m), gb (m,))`` of the mean loss over its training rows (penalty not included).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from ridgeline.solvers.curvature import Curvature
from ridgeline.solvers.problem import GLMProblem
from ridgeline.solvers.secants import Secants

#: Curvature pairs kept to correct a reused Hessian (:class:`~ridgeline.solvers.secants.Secants`).
SECANT_MEMORY = 10


class EmptyTrainingRows(ValueError):
    """A member of a pass has no training rows (e.g. its folds are not in a subset)."""


class LockstepModel(Protocol):
    """What the solver loops need of a loss family."""

    def run_pass(self, act: np.ndarray, W: np.ndarray, b: np.ndarray, hessian: bool):
        """One pass for members ``act`` at (W, b); a result with ``sw``, ``loss``,
        ``held_sw``, ``held_loss``, ``held_correct`` per member."""

    def loss_gradient(self, r, i: int) -> tuple[float, np.ndarray, np.ndarray]:
        """Pass member i's mean loss and its gradient ``(gW (p, m), gb (m,))``."""

    def curvature(self, r, i: int) -> Curvature:
        """Pass member i's curvature from a pass that formed Hessians."""

    def step(self, j: int, W: np.ndarray, b: np.ndarray, gW: np.ndarray, gb: np.ndarray,
             curv: Curvature, lam: float, fresh: bool) -> tuple[np.ndarray, np.ndarray]:
        """The step ``(ΔW, Δb)`` of member j at an accepted point (``fresh``: its curvature
        was formed there)."""

    def intercept(self, b: np.ndarray) -> np.ndarray:
        """An accepted intercept as stored (re-centered, or zero without one)."""


class _Model:
    """Shared parts of the families: the problem, the members and their pass, and the step:
    the member's Newton step, corrected by secant pairs while its curvature is reused."""

    def __init__(self, problem: GLMProblem, held_out: np.ndarray, n_folds: int):
        self.problem = problem
        self.held_out = np.asarray(held_out, dtype=np.int64)
        self.n_folds = int(n_folds)
        self.fit_intercept = problem.fit_intercept
        self.secants = [Secants(SECANT_MEMORY) for _ in range(self.held_out.size)]

    def run_pass(self, act, W, b, hessian):
        r = self.problem.run_pass(W, b, self.held_out[act], self.n_folds, hessian)
        bad = np.flatnonzero(np.asarray(r.sw) <= 0)
        if bad.size:
            fold = int(self.held_out[act[bad[0]]])
            raise EmptyTrainingRows(f"the model holding out fold {fold} has no training rows")
        return r

    def step(self, j, W, b, gW, gb, curv, lam, fresh):
        theta, grad = np.append(W.ravel(), b), np.append(gW.ravel(), gb)
        sec = self.secants[j]
        if fresh:
            sec.restart(theta, grad)
        else:
            sec.record(theta, grad)
        if not len(sec):
            dW, db = curv.solve(lam, gW, gb)
        else:
            step = sec.direction(grad, _newton_matrix(curv, lam, gW.shape))
            dW, db = step[:W.size].reshape(W.shape), step[W.size:]
        return dW, self.intercept(db)

    def intercept(self, b):
        return b if self.fit_intercept else np.zeros_like(b)


def _newton_matrix(curv: Curvature, lam: float,
                   shape: tuple[int, int]) -> Callable[[np.ndarray], np.ndarray]:
    """``q ↦ (S + 2λI)⁻¹ q`` on ``θ = (W (p, m) flattened, b (m,))`` (the Newton solve, sign
    flipped)."""
    d = shape[0] * shape[1]

    def h0(q: np.ndarray) -> np.ndarray:
        dw, db = curv.solve(lam, q[:d].reshape(shape), q[d:])
        return -np.append(dw.ravel(), db if curv.Hwb is not None else np.zeros_like(db))
    return h0


class ScalarModel(_Model):
    """Binary or Poisson models (m = 1)."""

    def loss_gradient(self, r, i):
        sw = r.sw[i]
        gb = np.array([r.grad_b[i] / sw if self.fit_intercept else 0.0])
        return float(r.loss[i] / sw), (r.grad_w[i] / sw)[:, None], gb

    def curvature(self, r, i):
        sw = r.sw[i]
        return Curvature.from_blocks(r.hess_ww[i] / sw, (r.hess_wb[i] / sw)[:, None],
                                     np.array([[r.hess_bb[i] / sw]]), self.fit_intercept)


class SoftmaxModel(_Model):
    """Multinomial models (m = C): intercepts kept centered (the softmax is unchanged by an
    equal shift of every class's intercept)."""

    def loss_gradient(self, r, i):
        sw = r.sw[i]
        p = r.grad.shape[1] - 1
        gb = r.grad[i, p] / sw if self.fit_intercept else np.zeros(r.grad.shape[2])
        return float(r.loss[i] / sw), r.grad[i, :p] / sw, gb

    def curvature(self, r, i):
        Hww, Hwb, Hbb = (a / r.sw[i] for a in r.hessian_blocks(i))
        return Curvature.from_blocks(Hww, Hwb, Hbb, self.fit_intercept)

    def step(self, j, W, b, gW, gb, curv, lam, fresh):
        """The Newton step with the (reused) curvature: secant corrections stop the softmax a
        little elsewhere inside the tolerance (an intercept 1e-7 from a separate fit's at
        tol=1e-8) for 8 % fewer passes on digits' CV path, not worth it."""
        dW, db = curv.solve(lam, gW, gb)
        return dW, self.intercept(db)

    def intercept(self, b):
        return b - b.mean() if self.fit_intercept else np.zeros_like(b)


def make_model(problem: GLMProblem, held_out: np.ndarray, n_folds: int) -> LockstepModel:
    """The model of ``problem``'s loss family for members ``held_out`` (B,)."""
    family = SoftmaxModel if problem.multi else ScalarModel
    return family(problem, held_out, n_folds)
