"""Limited-memory curvature pairs and the two-loop recursion over them.

Shared by the L-BFGS solver (:mod:`ridgeline.solvers.lbfgs`, from a scaled diagonal ``H0``)
and by Newton with a reused Hessian (:mod:`ridgeline.solvers.glm_models`, from the reused
Newton matrix ``(S + 2λI)⁻¹``): Nocedal & Wright, *Numerical Optimization*, 2nd ed.,
Algorithm 7.4.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np

#: A curvature pair is skipped when ``sᵀy ≤ PAIR_EPS ‖s‖ ‖y‖`` (rounding, not curvature).
PAIR_EPS = 1e-10


class CurvaturePairs:
    """The newest ``memory`` curvature pairs ``(s, y) = (Δθ, Δ∇f)`` of one model and the
    two-loop recursion over them, from any initial inverse Hessian ``h0``."""

    def __init__(self, memory: int):
        self.pairs: deque[tuple[np.ndarray, np.ndarray, float]] = deque(maxlen=memory)

    def __len__(self) -> int:
        return len(self.pairs)

    def clear(self) -> None:
        self.pairs.clear()

    def push(self, s: np.ndarray, y: np.ndarray) -> bool:
        """Store the pair unless its curvature ``sᵀy`` is not clearly positive (rounding)."""
        sy = float(s @ y)
        if not (np.isfinite(sy) and sy > PAIR_EPS * np.linalg.norm(s) * np.linalg.norm(y)):
            return False
        self.pairs.append((s, y, 1.0 / sy))
        return True

    def direction(self, g: np.ndarray, h0: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """``−H g`` with ``H`` the pairs' update of ``h0`` (``h0(q) = H0 q``)."""
        q = g.copy()
        alpha = []
        for s, y, rho in reversed(self.pairs):
            a = rho * float(s @ q)
            q -= a * y
            alpha.append(a)
        r = h0(q)
        for (s, y, rho), a in zip(self.pairs, reversed(alpha), strict=True):
            r += (a - rho * float(y @ r)) * s
        return -r


class Secants(CurvaturePairs):
    """Quasi-Newton corrections of one model's reused curvature.

    Between Hessians, the accepted points' gradient changes are curvature pairs and the step
    is the two-loop recursion started from the reused Newton matrix, ``H0 = (S + 2λI)⁻¹``,
    instead of ``H0`` alone. ``H0`` already matches the Hessian to a few percent (a nearby
    point's, or a subset's), and the pairs remove much of what is left along the directions
    taken, so each gradient-only pass contracts the gradient further than the chord step would.
    """

    def __init__(self, memory: int):
        super().__init__(memory)
        self.last: tuple[np.ndarray, np.ndarray] | None = None

    def restart(self, x: np.ndarray, g: np.ndarray) -> None:
        """A Hessian was formed at ``x``: forget the pairs, measure from here."""
        self.clear()
        self.last = (x, g)

    def record(self, x: np.ndarray, g: np.ndarray) -> None:
        """The accepted point ``x`` with gradient ``g``: one more pair (if clearly convex)."""
        if self.last is not None:
            self.push(x - self.last[0], g - self.last[1])
        self.last = (x, g)
