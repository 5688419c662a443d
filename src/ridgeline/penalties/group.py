"""Group lasso (group L2) ``P(w) = Σ_g ω_g ‖w_g‖₂`` over non-overlapping groups.

Yuan & Lin (2006), "Model selection and estimation in regression with grouped variables",
JRSS-B 68(1): the default weights ``ω_g = √|g|`` make groups of different sizes comparable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def groups_from_spec(groups, n_features: int) -> list[np.ndarray]:
    """Column indices of each group from ``groups``.

    ``groups`` is either an int ``m`` (consecutive groups of ``m`` features; ``n_features``
    must be a multiple of ``m``), a sequence of index lists (one per group), or a label per
    feature (array of length ``n_features``; groups in order of first appearance).

    Raises
    ------
    ValueError
        If groups overlap, leave features out, name features that do not exist or are empty.
    """
    if isinstance(groups, (int, np.integer)) and not isinstance(groups, bool):
        m = int(groups)
        if m < 1 or n_features % m:
            raise ValueError(f"groups={m}: the number of features ({n_features}) must be a "
                             "positive multiple of the group size")
        return [np.arange(s, s + m) for s in range(0, n_features, m)]
    if groups is None:
        raise ValueError("groups is required: an int group size, a list of index lists, "
                         "or one label per feature")
    seq = list(groups)
    if seq and all(np.ndim(g) == 0 for g in seq):
        if len(seq) != n_features:
            raise ValueError(f"groups as labels needs one label per feature ({n_features}), "
                             f"got {len(seq)}")
        labels = np.asarray(seq)
        _check_labels(labels)
        _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
        order = np.argsort(first)
        return [np.flatnonzero(inverse == k) for k in order]
    return _check_index_groups([np.asarray(g) for g in seq], n_features)


def _check_labels(labels: np.ndarray) -> None:
    """Refuse missing group labels (NaN, None): every feature must belong to a group."""
    if labels.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(labels))
    elif labels.dtype.kind == "O":
        bad = np.flatnonzero([v is None or (isinstance(v, float) and not np.isfinite(v))
                              for v in labels])
    else:
        return
    if bad.size:
        raise ValueError(f"groups has no label for feature(s) {bad[:10].tolist()} (NaN or "
                         "None): give every feature a group label")


def _check_index_groups(groups: list[np.ndarray], n_features: int) -> list[np.ndarray]:
    if not groups:
        raise ValueError("groups is empty")
    count = np.zeros(n_features, dtype=np.int64)
    out = []
    for k, g in enumerate(groups):
        if g.size == 0:
            raise ValueError(f"group {k} is empty")
        if g.ndim != 1 or not np.issubdtype(g.dtype, np.integer):
            raise ValueError(f"group {k} must be a list of integer feature indices")
        if g.min() < 0 or g.max() >= n_features:
            bad = int(g.max() if g.max() >= n_features else g.min())
            raise ValueError(f"group {k} names feature {bad}, outside [0, {n_features})")
        if np.unique(g).size != g.size:
            raise ValueError(f"group {k} lists a feature twice")
        count[g] += 1
        out.append(g.astype(np.int64))
    if np.any(count > 1):
        j = int(np.argmax(count > 1))
        raise ValueError(f"groups overlap: feature {j} belongs to {int(count[j])} groups; "
                         "overlapping group lasso is not supported")
    if np.any(count == 0):
        missing = np.flatnonzero(count == 0)
        raise ValueError(f"groups do not cover every feature: {missing.size} features in no "
                         f"group (first: {missing[:5].tolist()}); put each in a group "
                         "(a group of its own, with weight 0, leaves it unpenalized)")
    return out


@dataclass(frozen=True)
class GroupPenalty:
    """``P(w) = Σ_g ω_g ‖w_g‖₂``.

    Parameters
    ----------
    groups : list of int arrays
        Column indices of each group (a partition of the features).
    weights : ndarray of shape (n_groups,)
        ``ω_g ≥ 0``; 0 leaves a group unpenalized.
    """

    groups: list
    weights: np.ndarray

    @classmethod
    def make(cls, groups, n_features: int, weights=None) -> GroupPenalty:
        idx = groups_from_spec(groups, n_features)
        if weights is None:
            w = np.sqrt([g.size for g in idx], dtype=np.float64)
        else:
            w = np.asarray(weights, dtype=np.float64)
            if w.shape != (len(idx),):
                raise ValueError(f"group_weights must have one value per group ({len(idx)}), "
                                 f"got shape {w.shape}")
            if not np.all(np.isfinite(w)) or np.any(w < 0):
                raise ValueError("group_weights must be finite and non-negative")
        return cls(idx, w)

    @property
    def n_groups(self) -> int:
        return len(self.groups)

    @property
    def n_features(self) -> int:
        return int(sum(g.size for g in self.groups))

    def flat(self) -> tuple[np.ndarray, np.ndarray]:
        """``(indices, ptr)``: group k's columns are ``indices[ptr[k]:ptr[k+1]]``."""
        ptr = np.zeros(self.n_groups + 1, dtype=np.int64)
        ptr[1:] = np.cumsum([g.size for g in self.groups])
        return np.concatenate(self.groups).astype(np.int64), ptr

    def norms(self, w: np.ndarray) -> np.ndarray:
        """``‖w_g‖₂`` per group."""
        return np.array([np.linalg.norm(w[g]) for g in self.groups])

    def value(self, w: np.ndarray) -> float:
        return float(self.weights @ self.norms(np.asarray(w, dtype=np.float64)))

    def prox(self, v: np.ndarray, step: float) -> np.ndarray:
        """``argmin_w ½‖w - v‖² + step·P(w)``: block soft-thresholding."""
        v = np.asarray(v, dtype=np.float64)
        out = np.zeros_like(v)
        for g, wg in zip(self.groups, self.weights, strict=True):
            norm = np.linalg.norm(v[g])
            if norm > step * wg:
                out[g] = v[g] * (1.0 - step * wg / norm)
        return out

    def subdiff_distance(self, w: np.ndarray, grad: np.ndarray, lam: float) -> np.ndarray:
        """Per group, ``dist(-grad_g, λ ∂P_g(w_g))`` (the KKT residual of ``smooth + λP``)."""
        out = np.empty(self.n_groups)
        for k, (g, wg) in enumerate(zip(self.groups, self.weights, strict=True)):
            norm = np.linalg.norm(w[g])
            if norm > 0:
                out[k] = np.linalg.norm(grad[g] + lam * wg * w[g] / norm)
            else:
                out[k] = max(np.linalg.norm(grad[g]) - lam * wg, 0.0)
        return out

    def lambda_max(self, grad0: np.ndarray) -> float:
        """Smallest λ with ``w = 0`` optimal: ``max_g ‖g_g‖ / ω_g`` over penalized groups."""
        best = 0.0
        for g, wg in zip(self.groups, self.weights, strict=True):
            if wg > 0:
                best = max(best, float(np.linalg.norm(grad0[g])) / wg)
        return best
