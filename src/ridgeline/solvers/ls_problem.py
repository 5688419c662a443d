"""A weighted least-squares problem, ready for the coordinate-descent engines.

Holds either the Gram form (``Q0 = X̃ᵀSX̃/n_w``, ``q = X̃ᵀSỹ/n_w``; from the data or from the
fold statistics of :mod:`ridgeline.stats.moments`) or the residual form (a
:class:`~ridgeline.solvers.cd_design.CDDesign`). ``X̃``, ``ỹ`` are centered by the weighted
means when there is an intercept, which the problem restores with :meth:`intercept`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ridgeline._lapack import lstsq
from ridgeline.solvers.cd import CDFit, solve_blocks, solve_gram
from ridgeline.solvers.cd_certificate import Blocks
from ridgeline.solvers.cd_design import CDDesign
from ridgeline.solvers.cd_gram import converged, gram_path, smooth_inverse
from ridgeline.solvers.cd_gram_groups import block_lipschitz, group_path
from ridgeline.stats.moments import Moments, accumulate


@dataclass
class GramPath:
    """Solutions of one compiled Gram-form path (halved scale), in the order solved.

    Attributes
    ----------
    coefs : ndarray (L, p)
    primal, gaps : ndarray (L,)
        Objective and duality gap of each solution.
    epochs, n_screened : ndarray (L,) of int
    converged : ndarray (L,) of bool
    """

    coefs: np.ndarray
    primal: np.ndarray
    gaps: np.ndarray
    epochs: np.ndarray
    n_screened: np.ndarray
    converged: np.ndarray

#: largest p for which the Gram engine is chosen automatically (p² floats, p³/3 never needed)
GRAM_MAX_FEATURES = 3000


class LSProblem:
    """``(1/2n_w) Σ s_i (ỹ_i - x̃_iᵀw)²`` in Gram or residual form.

    Attributes
    ----------
    gram : bool
    yy : float
        ``ỹᵀSỹ/n_w`` (the weighted variance of y with an intercept).
    mean_x : ndarray (p,), mean_y : float
        Centering points (zeros without intercept).
    """

    def __init__(self, *, Q0=None, q=None, design=None, y=None, yy: float, mean_x, mean_y: float):
        self.Q0, self.q, self.design, self.y = Q0, q, design, y
        self.yy, self.mean_x, self.mean_y = float(yy), mean_x, float(mean_y)
        self._last = None  # (coef, residual, X̃ᵀHR/n_w) of the last residual-engine solve

    @property
    def gram(self) -> bool:
        return self.Q0 is not None

    @property
    def n_features(self) -> int:
        return self.mean_x.size

    @classmethod
    def from_data(cls, X, y: np.ndarray, s: np.ndarray, fit_intercept: bool,
                  gram: bool) -> LSProblem:
        """From arrays; ``gram`` picks the engine (see :func:`use_gram`)."""
        if gram:
            return cls.from_moments(accumulate(X, y[:, None], s), fit_intercept)
        design = CDDesign(X, s, fit_intercept)
        sw = design.n_w
        mean_y = float(s @ y) / sw if fit_intercept else 0.0
        yc = y - mean_y
        return cls(design=design, y=yc, yy=float(s @ (yc * yc)) / sw, mean_x=design.mu,
                   mean_y=mean_y)

    @classmethod
    def from_moments(cls, m: Moments, fit_intercept: bool) -> LSProblem:
        """From the (shifted) statistics of one target (``m.C`` of shape (p, 1))."""
        cm = m.centered(fit_intercept)
        sw = cm.sw
        return cls(Q0=np.ascontiguousarray(cm.G / sw), q=cm.C[:, 0] / sw, yy=cm.yy[0] / sw,
                   mean_x=m.shift_x + cm.mean_x, mean_y=float(m.shift_y[0] + cm.mean_y[0]))

    def intercept(self, w: np.ndarray) -> float:
        """``ȳ - x̄ᵀw`` (zero without intercept)."""
        return self.mean_y - float(self.mean_x @ w)

    def gradient(self, w: np.ndarray) -> np.ndarray:
        """Gradient of the halved data term ``-X̃ᵀS(ỹ - X̃w)/n_w`` (p,)."""
        if self.gram:
            return self.Q0 @ w - self.q
        return -self.design.rmatvec(self.y - self.design.matvec(w)) / self.design.n_w

    def fit_unpenalized(self, cols: np.ndarray) -> np.ndarray:
        """Coefficients with only ``cols`` free (least squares on them), others zero."""
        w = np.zeros(self.n_features)
        if cols.size == 0:
            return w
        if self.gram:
            QSS, rhs = self.Q0[np.ix_(cols, cols)], self.q[cols]
        else:
            XS = self.design.columns(cols)
            QSS = np.column_stack([self.design.rmatvec(XS[:, t]) for t in range(cols.size)])
            QSS = QSS[cols] / self.design.n_w
            rhs = self.design.rmatvec(self.y)[cols] / self.design.n_w
        w[cols] = lstsq(QSS, rhs, "the unpenalized columns' normal equations")[0]
        return w

    def solve_path(self, A: np.ndarray, Bd: np.ndarray, *, nonneg: bool, w0: np.ndarray,
                   gap_tol: float, max_epochs: int, screen: bool = True,
                   polish: bool = False, blocks: Blocks | None = None) -> GramPath:
        """Solve the rows of ``A`` (L1 weights, (L, p) or per block (L, n_groups)) and ``Bd``
        (ridge diagonals, (L, p)) in order, each warm-started from the last, in one compiled
        call (Gram form only). ``blocks``: groups for the group lasso (default: singletons).

        A block unpenalized in one row (``a = 0``) must be unpenalized in all of them.
        """
        L, p = Bd.shape
        free = np.flatnonzero(A[0] == 0) if L else np.zeros(0, np.int64)
        smooth = (free if blocks is None else blocks.columns(free)).astype(np.int64)
        Minvs = np.empty((L, smooth.size, smooth.size))
        for i in range(L if smooth.size else 0):
            Minvs[i] = smooth_inverse(self.Q0 + np.diag(Bd[i]), smooth)
        out = GramPath(np.empty((L, p)), np.empty(L), np.empty(L),
                       np.empty(L, dtype=np.int64), np.empty(L, dtype=np.int64),
                       np.empty(L, dtype=bool))
        w = np.array(w0, dtype=np.float64)
        q = np.ascontiguousarray(self.q)
        args = (np.ascontiguousarray(A), np.ascontiguousarray(Bd))
        if blocks is None:
            gram_path(self.Q0, q, self.yy, *args, smooth, Minvs, bool(nonneg), w,
                      float(gap_tol), int(max_epochs), bool(screen),
                      bool(polish or gap_tol == 0), out.coefs, out.primal, out.gaps,
                      out.epochs, out.n_screened)
        else:
            group_path(self.Q0, q, self.yy, blocks.idx, blocks.ptr, *args,
                       self._lipschitz(blocks, Bd), smooth, Minvs, w, float(gap_tol),
                       int(max_epochs), bool(screen), bool(polish or gap_tol == 0),
                       out.coefs, out.primal, out.gaps, out.epochs, out.n_screened)
        out.converged[:] = [converged(g, gap_tol, e, max_epochs)
                            for g, e in zip(out.gaps, out.epochs, strict=True)]
        return out

    def _lipschitz(self, blocks: Blocks, Bd: np.ndarray) -> np.ndarray:
        """``L_g`` of every row's ``Q0 + diag(Bd[l])`` (L, n_groups)."""
        if not np.any(Bd):
            return np.tile(block_lipschitz(self.Q0, blocks.idx, blocks.ptr), (Bd.shape[0], 1))
        return np.array([block_lipschitz(self.Q0 + np.diag(b), blocks.idx, blocks.ptr)
                         for b in Bd])

    def solve(self, blocks: Blocks, a: np.ndarray, b, *, nonneg: bool, w0: np.ndarray,
              gap_tol: float, max_epochs: int, screen: bool = True,
              polish: bool = False) -> CDFit:
        """Minimize the halved objective with block weights ``a`` and ridge part ``b``.

        ``b`` is per-feature (p,) or, in Gram form only, a full matrix (Tikhonov).
        """
        if self.gram and not blocks.trivial and np.ndim(b) == 1:
            fit = self.solve_path(a[None], b[None], nonneg=nonneg, w0=w0, gap_tol=gap_tol,
                                  max_epochs=max_epochs, screen=screen, polish=polish,
                                  blocks=blocks)
            return CDFit(fit.coefs[0], fit.primal[0], fit.gaps[0], gap_tol, fit.converged[0],
                         int(fit.epochs[0]), int(fit.n_screened[0]))
        if self.gram and blocks.trivial:
            B = b if np.ndim(b) == 2 else np.diag(b)
            return solve_gram(self.Q0 + B, self.q, self.yy, a[np.argsort(blocks.idx)],
                              nonneg=nonneg, w0=w0, gap_tol=gap_tol, max_epochs=max_epochs,
                              screen=screen, polish=polish)
        if np.ndim(b) == 2:
            raise ValueError("a Tikhonov matrix needs the Gram engine (p ≤ "
                             f"{GRAM_MAX_FEATURES} dense features)")
        R0 = xtr0 = None
        if self._last is not None and np.array_equal(self._last[0], w0):
            _, R0, xtr0 = self._last
        fit = solve_blocks(self.design, self.y, blocks, a, b, nonneg=nonneg, w0=w0,
                           gap_tol=gap_tol, max_epochs=max_epochs, screen=screen, R0=R0,
                           xtr0=xtr0, polish=polish)
        self._last = (fit.coef, fit.residual, fit.xtr)
        return fit


def use_gram(X, n_rows: int, groups: bool, tikhonov: bool, precompute="auto") -> bool:
    """The Gram engine for n ≥ p ≤ GRAM_MAX_FEATURES (or when asked); always for a Tikhonov
    matrix. ``groups`` (the group lasso) follows the same rule: both engines take blocks."""
    if tikhonov:
        return True
    if isinstance(precompute, bool):
        return precompute
    p = X.shape[1]
    return p <= GRAM_MAX_FEATURES and n_rows >= p
