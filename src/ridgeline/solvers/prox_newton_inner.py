"""The inner solve of proximal Newton: one Newton model's weighted lasso, solved inexactly.

Each outer step of :mod:`ridgeline.solvers.prox_newton` (and of the multinomial solver)
minimizes the second-order model of the loss plus the exact penalty,

    M(w) = (1/2n_w) ‖t - X̃w‖²_H + ½ Σ_j b_j w_j² + Σ_g a_g ‖w_g‖,

whose gradient at the current point is the loss gradient. The model need not be solved
exactly: the step is certified by the *outer* KKT residual, not by the inner one. So the
inner solve stops as soon as the model's own KKT residual (the distance of ``-∇M`` to the
subdifferential of the penalty, the measure the outer stop uses) is at most ``η_k`` times the
outer residual, with the forcing term ``η_k = min(0.1, r_k / r_0)`` falling with the outer
residual ``r_k`` so that the fast local convergence of Newton's method is kept — the adaptive
stopping rule of Lee, Sun & Saunders (2014), "Proximal Newton-type methods for minimizing
composite functions", SIAM J. Optim. 24(3), section 3.3, and of Byrd, Nocedal & Oztoprak
(2016), "An inexact successive quadratic approximation method for L-1 regularized
optimization", Math. Program. 157(2). A duality-gap stop, by contrast, cannot be met on a
model with a tiny L1 weight and collinear columns: the dual point must be rescaled to
``‖X̃ᵀθ‖_∞ ≤ a``, and the gap stays large long after the model's coefficients have settled.

Two forms of the model, as in :mod:`ridgeline.solvers.cd`:

* **Gram** (:class:`GramModel`): ``Q = X̃ᵀHX̃/n_w + diag(b)``, ``q = X̃ᵀHt/n_w`` formed once per
  Newton step (``O(n d²)``), then every coordinate sweep costs ``O(d²)`` independent of n
  (:func:`ridgeline.solvers.cd.solve_gram`, compiled). Used for singleton blocks (the elastic
  net) when the model has at most :data:`GRAM_MAX_DIM` coefficients.
* **residual** (:class:`ResidualModel`): :func:`ridgeline.solvers.cd.solve_blocks` on the
  weighted residual (``O(nnz)`` a sweep), for many coefficients and for group penalties.

Either runs in chunks of sweeps that double in length, warm-started, with the model's KKT
residual checked between chunks; three chunks in a row that cut the residual by less than a
tenth end the solve early (no more sweeps would help: the outer loop decides).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ridgeline.solvers.cd import solve_blocks, solve_gram
from ridgeline.solvers.cd_certificate import Blocks
from ridgeline.solvers.cd_design import CDDesign

#: Largest number of model coefficients solved in Gram form (Q is d × d).
GRAM_MAX_DIM = 500
#: The forcing term's cap: the inner residual asked is at most this times the outer one.
FORCING_CAP = 0.1
#: Sweeps of the first chunk; each next chunk doubles.
FIRST_CHUNK = 8
#: Chunks in a row that cut the model's residual by less than a tenth before the solve stops.
STALL_CHUNKS = 3
#: The duality gap the chunks are asked for: none they could reach, so that each runs its
#: sweeps (a gap at rounding level says nothing of the KKT residual, which is quadratically
#: larger); the KKT residual between chunks decides.
NO_GAP = 1e-300


@dataclass
class InnerFit:
    """The model's approximate minimizer.

    Attributes
    ----------
    coef : ndarray (d,)
    n_epochs : int
        Coordinate sweeps.
    kkt : float
        The model's KKT residual at ``coef``.
    """

    coef: np.ndarray
    n_epochs: int
    kkt: float


def model_kkt(w: np.ndarray, grad: np.ndarray, blocks: Blocks, a: np.ndarray,
              nonneg: bool) -> float:
    """``max`` over blocks of ``dist(-∇M_g, ∂(a_g‖w_g‖))`` (``grad`` includes the ridge part)."""
    if blocks.trivial:
        ag = np.empty(w.size)
        ag[blocks.idx] = a
        zero = w == 0
        res = np.abs(grad + ag * np.sign(w))
        gz = -grad[zero] if nonneg else np.abs(grad[zero])
        res[zero] = np.maximum(gz - ag[zero], 0.0)
        return float(res.max(initial=0.0))
    worst = 0.0
    for k in range(blocks.n_blocks):
        cols = blocks.idx[blocks.ptr[k]:blocks.ptr[k + 1]]
        norm = float(np.linalg.norm(w[cols]))
        if norm > 0:
            r = float(np.linalg.norm(grad[cols] + a[k] * w[cols] / norm))
        else:
            r = max(float(np.linalg.norm(grad[cols])) - a[k], 0.0)
        worst = max(worst, r)
    return worst


def forcing_target(kkt: float, kkt0: float, kkt_tol: float) -> float:
    """The model residual to reach: ``η_k·r_k`` with ``η_k = min(0.1, r_k/r_0)``, but never
    below a quarter of the outer tolerance (no step needs to be more exact than the answer)."""
    eta = FORCING_CAP if not kkt0 > 0 else min(FORCING_CAP, kkt / kkt0)
    return max(0.25 * kkt_tol, eta * kkt)


class GramModel:
    """``M(w) = yy/2 - qᵀw + ½wᵀQw + Σ a_j|w_j|`` with ``Q`` including the ridge part."""

    def __init__(self, Q: np.ndarray, q: np.ndarray, yy: float):
        self.Q, self.q, self.yy = Q, q, float(yy)

    @classmethod
    def from_design(cls, design: CDDesign, t: np.ndarray, b: np.ndarray) -> GramModel:
        """The Gram form of ``(1/2n_w)‖t - X̃w‖²_H + ½Σ b_j w_j²`` for a :class:`CDDesign`."""
        X, h, mu, n_w = design.X, design.h, design.mu, design.n_w
        if sp.issparse(X):
            G = np.asarray((X.T @ sp.csc_matrix(X.multiply(h[:, None]))).toarray(),
                           dtype=np.float64)
        else:
            G = (X.T * h) @ X
        hx = design.hxs
        Q = G - np.outer(mu, hx) - np.outer(hx, mu) + float(h.sum()) * np.outer(mu, mu)
        Q = 0.5 * (Q + Q.T) / n_w
        Q[np.diag_indices_from(Q)] += b
        q = design.rmatvec(t) / n_w
        return cls(Q, q, float(t @ (h * t)) / n_w)

    def run(self, w: np.ndarray, blocks: Blocks, a: np.ndarray, nonneg: bool,
            epochs: int) -> tuple[np.ndarray, int]:
        """``epochs`` sweeps from ``w``: ``(coef, sweeps done)``."""
        ag = np.empty(w.size)
        ag[blocks.idx] = a
        fit = solve_gram(self.Q, self.q, self.yy, ag, nonneg=nonneg, w0=w, gap_tol=NO_GAP,
                         max_epochs=epochs, screen=False)
        return fit.coef, fit.n_epochs

    def gradient(self, w: np.ndarray) -> np.ndarray:
        return self.Q @ w - self.q


class ResidualModel:
    """``M`` on the weighted residual of a :class:`CDDesign` (any blocks, any size)."""

    def __init__(self, design: CDDesign, t: np.ndarray, b: np.ndarray):
        self.design, self.t, self.b = design, t, b
        self.yy = float(t @ (design.h * t)) / design.n_w
        self._last = None  # (coef, residual, X̃ᵀHR/n_w) of the last chunk

    def run(self, w: np.ndarray, blocks: Blocks, a: np.ndarray, nonneg: bool,
            epochs: int) -> tuple[np.ndarray, int]:
        """``epochs`` sweeps from ``w``: ``(coef, sweeps done)``."""
        warm = {}
        if self._last is not None and np.array_equal(self._last[0], w):
            warm = {"R0": self._last[1], "xtr0": self._last[2]}
        fit = solve_blocks(self.design, self.t, blocks, a, self.b, nonneg=nonneg, w0=w,
                           gap_tol=NO_GAP, max_epochs=epochs, **warm)
        self._last = (fit.coef.copy(), fit.residual, fit.xtr)
        return fit.coef, fit.n_epochs

    def gradient(self, w: np.ndarray) -> np.ndarray:
        if self._last is not None and np.array_equal(self._last[0], w):
            return -self._last[2] + self.b * w
        R = self.t - self.design.matvec(w)
        return -self.design.rmatvec(R) / self.design.n_w + self.b * w


def newton_model(design: CDDesign, t: np.ndarray, blocks: Blocks, b: np.ndarray):
    """The Gram form for singleton blocks of at most :data:`GRAM_MAX_DIM` coefficients,
    else the residual form."""
    if blocks.trivial and design.n_features <= GRAM_MAX_DIM:
        return GramModel.from_design(design, t, b)
    return ResidualModel(design, t, b)


def solve_inner(model, blocks: Blocks, a: np.ndarray, *, nonneg: bool, w0: np.ndarray,
                target: float, budget: int) -> InnerFit:
    """Sweep the model from ``w0`` until its KKT residual is at most ``target``.

    Chunks of :data:`FIRST_CHUNK`, then twice as many sweeps, …, within ``budget`` sweeps in
    all; stops early after :data:`STALL_CHUNKS` chunks in a row that cut the residual by less
    than a tenth (see the module docstring).
    """
    w = np.array(w0, dtype=np.float64)
    grad = model.gradient(w)
    kkt = model_kkt(w, grad, blocks, a, nonneg)
    epochs, chunk, best, stalls = 0, FIRST_CHUNK, kkt, 0
    while kkt > target and epochs < budget and stalls < STALL_CHUNKS:
        w, done = model.run(w, blocks, a, nonneg, min(chunk, budget - epochs))
        epochs += max(done, 1)
        kkt = model_kkt(w, model.gradient(w), blocks, a, nonneg)
        stalls = stalls + 1 if kkt > 0.9 * best else 0
        best = min(best, kkt)
        chunk *= 2
    return InnerFit(w, epochs, kkt)


#: The polishing step asks its model for this fraction of the residual it starts from.
POLISH_FACTOR = 1e-3
#: Outer steps in a row that do not halve the smallest residual seen before the solve stops.
STALL_STEPS = 10
#: A residual this small against the solve's first one is at the rounding floor of float64.
FLOOR_REL = 1e3 * np.finfo(np.float64).eps


class OuterStop:
    """The outer loop's stop: the KKT residual at most ``kkt_tol``; with ``polish``, then one
    more step, with its model solved to :data:`POLISH_FACTOR` of the residual, kept only if it
    lowered the residual.

    The certificate is met either way; the polishing step takes a solution that just met a
    loose tolerance most of the way to the optimum (Newton's local convergence squares the
    residual), so that a warm-started path and a cold solve at the same λ agree far better
    than the tolerance promises, as the squared-loss paths' polish does.

    A residual that stops falling also stops the loop: after :data:`STALL_STEPS` steps in a
    row that do not halve the smallest residual seen. Where it stopped at the rounding floor
    (at most :data:`FLOOR_REL` of the first residual) the solve counts as converged (a
    ``tol`` below what float64 resolves, e.g. 1e-18, is not chased for ``max_iter`` steps);
    elsewhere (an inner model whose coordinate descent can go no further) it does not.
    """

    def __init__(self, kkt_tol: float, polish: bool):
        self.kkt_tol, self.polish = kkt_tol, polish
        self.kkt0: float | None = None
        self.saved: tuple | None = None
        self.best, self.since = np.inf, 0

    def converged(self, kkt: float) -> bool:
        """Whether a solve that ended at residual ``kkt`` counts as converged."""
        return kkt <= self.kkt_tol or (self.kkt0 is not None and kkt <= FLOOR_REL * self.kkt0)

    @property
    def polishing(self) -> bool:
        return self.saved is not None

    def check(self, kkt: float, state: tuple) -> tuple[bool, tuple]:
        """``(stop, state to keep)`` at a point of residual ``kkt`` whose ``state`` (any
        tuple, its solver's point) is given."""
        if self.kkt0 is None:
            self.kkt0 = kkt
        if self.saved is not None:
            return True, state if kkt <= self.saved[0] else self.saved[1]
        if kkt <= self.kkt_tol:
            if not self.polish:
                return True, state
            self.saved = (kkt, state)
            return False, state
        self.since = self.since + 1 if kkt >= 0.5 * self.best else 0
        self.best = min(self.best, kkt)
        return self.since >= STALL_STEPS, state

    def target(self, kkt: float) -> float:
        """The model residual the next inner solve is asked for."""
        if self.polishing:
            return POLISH_FACTOR * kkt
        return forcing_target(kkt, self.kkt0, self.kkt_tol)
