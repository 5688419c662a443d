"""A weighted least-squares problem, ready for the coordinate-descent engines.

Holds either the Gram form (``Q0 = X̃ᵀSX̃/n_w``, ``q = X̃ᵀSỹ/n_w``; from the data or from the
fold statistics of :mod:`ridgeline.stats.moments`) or the residual form (a
:class:`~ridgeline.solvers.cd_design.CDDesign`). ``X̃``, ``ỹ`` are centered by the weighted
means when there is an intercept, which the problem restores with :meth:`intercept`.
"""

from __future__ import annotations

import numpy as np

from ridgeline.solvers.cd import CDFit, solve_blocks, solve_gram
from ridgeline.solvers.cd_certificate import Blocks
from ridgeline.solvers.cd_design import CDDesign
from ridgeline.stats.moments import Moments, accumulate

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
        w[cols] = np.linalg.lstsq(QSS, rhs, rcond=None)[0]
        return w

    def solve(self, blocks: Blocks, a: np.ndarray, b, *, nonneg: bool, w0: np.ndarray,
              gap_tol: float, max_epochs: int, screen: bool = True) -> CDFit:
        """Minimize the halved objective with block weights ``a`` and ridge part ``b``.

        ``b`` is per-feature (p,) or, in Gram form only, a full matrix (Tikhonov).
        """
        if self.gram and blocks.trivial:
            B = b if np.ndim(b) == 2 else np.diag(b)
            return solve_gram(self.Q0 + B, self.q, self.yy, a[np.argsort(blocks.idx)],
                              nonneg=nonneg, w0=w0, gap_tol=gap_tol, max_epochs=max_epochs,
                              screen=screen)
        if np.ndim(b) == 2:
            raise ValueError("a Tikhonov matrix needs the Gram engine (p ≤ "
                             f"{GRAM_MAX_FEATURES} dense features)")
        R0 = xtr0 = None
        if self._last is not None and np.array_equal(self._last[0], w0):
            _, R0, xtr0 = self._last
        fit = solve_blocks(self.design, self.y, blocks, a, b, nonneg=nonneg, w0=w0,
                           gap_tol=gap_tol, max_epochs=max_epochs, screen=screen, R0=R0,
                           xtr0=xtr0)
        self._last = (fit.coef, fit.residual, fit.xtr)
        return fit


def use_gram(X, n_rows: int, groups: bool, tikhonov: bool, precompute="auto") -> bool:
    """The Gram engine for n ≥ p ≤ GRAM_MAX_FEATURES (or when asked), never for groups."""
    if tikhonov:
        return True
    if groups:
        return False
    if isinstance(precompute, bool):
        return precompute
    p = X.shape[1]
    return p <= GRAM_MAX_FEATURES and n_rows >= p
