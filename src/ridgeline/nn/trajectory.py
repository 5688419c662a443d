"""The record of λ over training steps, kept by every decay and controller."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LambdaTrajectory:
    """λ as a function of the training step.

    Attributes
    ----------
    steps : ndarray of int, shape (k,)
        Optimizer steps (0-based) at which λ was recorded.
    lam : ndarray of float, shape (k,)
        The λ in force at those steps (after any schedule multiplier).
    """

    steps: np.ndarray
    lam: np.ndarray

    @classmethod
    def from_pairs(cls, pairs: list[tuple[int, float]]) -> LambdaTrajectory:
        """Build from ``[(step, λ), ...]``."""
        if not pairs:
            return cls(np.zeros(0, dtype=np.int64), np.zeros(0))
        steps, lam = zip(*pairs, strict=True)
        return cls(np.asarray(steps, dtype=np.int64), np.asarray(lam, dtype=np.float64))

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def final(self) -> float:
        """The last recorded λ (NaN when empty)."""
        return float(self.lam[-1]) if len(self.lam) else float("nan")

    def thin(self, max_points: int = 50) -> LambdaTrajectory:
        """At most ``max_points`` evenly spaced records (first and last kept), for reports."""
        if len(self) <= max_points:
            return self
        idx = np.unique(np.linspace(0, len(self) - 1, max_points).round().astype(np.int64))
        return LambdaTrajectory(self.steps[idx], self.lam[idx])

    def to_dict(self) -> dict[str, list]:
        """JSON-ready ``{"steps": [...], "lam": [...]}``."""
        return {"steps": self.steps.tolist(), "lam": self.lam.tolist()}
