"""Evidence (empirical Bayes) λ for ridge: the exact marginal likelihood from one factorization.

The Gaussian ridge model (on the centered data when an intercept is fitted, as scikit-learn's
``BayesianRidge``; on standardized features with ``standardize=True``)::

    y = Xw + ε,   ε ~ N(0, σ² I),   w ~ N(0, τ² I),

with sample weights ``s_i`` acting as frequency weights (row i counts ``s_i`` times, as in the
canonical objective and in scikit-learn's ``BayesianRidge``): for integer weights the evidence
is exactly that of the data with row i repeated ``s_i`` times, and ``n_w = Σ s_i`` is the
number of observations. (The other reading, ``ε_i ~ N(0, σ²/s_i)``, counts n observations
instead: the same without weights or with weights summing to n; it is not what
``BayesianRidge`` computes, nor computable from a source's moments alone.)

With the factor ``XᵀSX = V diag(e) Vᵀ``, ``z = VᵀXᵀSy``, the penalty ``a = σ²/τ²`` and
``Q(a) = ‖y‖²_S − Σ_j z_j²/(e_j + a)`` (the minimum of the penalized residual sum
``‖y − Xw‖²_S + a‖w‖²``) the log marginal likelihood is::

    log p(y | σ², a) = −(n_w/2) log(2πσ²) − ½ Σ_j log(1 + e_j/a) − Q(a)/(2σ²).

The noise variance is profiled out analytically, ``σ̂²(a) = Q(a)/n_w``, which leaves a function
of ``t = log a`` alone::

    ℓ(a) = −(n_w/2)(log(2π Q(a)/n_w) + 1) − ½ Σ_j log(1 + e_j/a),
    dℓ/dt = ½ [dof(a) − n_w · a‖w(a)‖² / Q(a)],    dof(a) = Σ_j e_j/(e_j + a).

A zero of the slope is MacKay's (1992) fixed point ``a = γ·RSS/((n_w − γ)‖w‖²)`` that
``BayesianRidge`` iterates towards (with its gamma hyperpriors at zero); here the grid (with a
log scan of the spectrum's range) brackets the zeros of the slope and Brent's method finds them
to rounding level in ``t`` (:func:`maximize_evidence`). The canonical
λ is ``a/n_w`` (scikit-learn ``Ridge(alpha=a)``; ``BayesianRidge``'s ``lambda_/alpha_`` is
``a``). The posterior covariance of ``w`` is ``σ̂² (XᵀSX + a I)⁻¹``.

MacKay, D. J. C. (1992), "Bayesian interpolation", Neural Computation 4(3), 415–447; Tipping,
M. E. (2001), "Sparse Bayesian learning and the relevance vector machine", JMLR 1, 211–244.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy.optimize import brentq

from ridgeline.solvers.spectral import Factor

#: Decades searched beyond an end of the grid for a zero of the slope.
_EXPAND_DECADES = 40
_LN10 = float(np.log(10.0))


@dataclass
class RidgeEvidence:
    """The evidence-maximizing ridge penalty and what comes with it.

    Attributes
    ----------
    lambda_ : float or ndarray (k,)
        Canonical λ maximizing the evidence (one per target with ``per_target``).
    alpha : float or ndarray (k,)
        The same as scikit-learn's ``Ridge`` ``alpha = λ·n_w`` (``BayesianRidge``'s
        ``lambda_/alpha_``).
    noise_variance : ndarray (k,)
        Profiled noise variance ``σ̂² = Q(a)/n_w`` at the maximizer, per target.
    prior_variance : ndarray (k,)
        Prior variance of the (standardized, with ``standardize=True``) coefficients
        ``τ̂² = σ̂²/a``, per target.
    log_evidence : ndarray (k,)
        Profiled log marginal likelihood at the maximizer, per target.
    lambdas : ndarray (L,)
        The grid that bracketed the maximizer.
    curve : ndarray (L, k)
        Profiled log evidence at every λ of the grid, per target.
    interior : bool or ndarray (k,)
        Whether a finite maximum was found (False: the evidence grows towards an end of the
        λ range and ``lambda_`` is the best grid value).
    """

    lambda_: float | np.ndarray
    alpha: float | np.ndarray
    noise_variance: np.ndarray
    prior_variance: np.ndarray
    log_evidence: np.ndarray
    lambdas: np.ndarray
    curve: np.ndarray
    interior: bool | np.ndarray


class _Parts:
    """What the profiled evidence of every target needs of a factor (precomputed once)."""

    def __init__(self, F: Factor, fit_intercept: bool):
        e = np.asarray(F.e, dtype=np.float64)
        if np.any(F.yy <= 0):
            t = int(np.flatnonzero(F.yy <= 0)[0])
            raise ValueError(f"target {t} is constant (after centering): its evidence has no "
                             "maximum (the noise variance estimate is 0)")
        self.n_w = float(F.sw)
        self.e = e
        self.z2 = np.asarray(F.Z, dtype=np.float64) ** 2  # (r, k)
        top = float(e.max()) if e.size else 0.0
        self.pos = e > top * max(F.n_features, F.n, 1) * np.finfo(np.float64).eps
        self._e_safe = np.where(self.pos, e, 1.0)  # no 0/0 in slope_at's unused branch
        #: slopes this close to 0 are rounding noise (a plateau), not a sign
        self.tol = 1e-10 * (e.size + self.n_w)
        # Q(a) = base + Σ_pos z² a/(e(e + a)) + Σ_rest z²/(e + a): positive terms only, and an
        # interpolating fit (rank + intercept = rows) has base = 0 exactly
        base = F.yy - (self.z2[self.pos] / e[self.pos, None]).sum(axis=0)
        interpolates = F.rank + (1 if fit_intercept else 0) >= F.n
        self.base = np.zeros_like(base) if interpolates else np.maximum(base, 0.0)

    def q(self, a: np.ndarray, cols=slice(None)) -> np.ndarray:
        """``Q(a)`` for penalties ``a`` (L,) and the targets ``cols``, shape (L, k)."""
        a = np.asarray(a, dtype=np.float64)[:, None]
        e, pos = self.e[None, :], self.pos[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(pos, a / (e * (e + a)), 1.0 / (e + a))
        return self.base[cols][None, :] + w @ self.z2[:, cols]

    def value(self, a: np.ndarray, cols=slice(None)) -> np.ndarray:
        """Profiled log evidence ``ℓ(a)``, shape (L, k); ``−inf`` where ``a ≤ 0``."""
        a = np.asarray(a, dtype=np.float64)
        ok = a > 0
        safe = np.where(ok, a, 1.0)
        logdet = np.log1p(self.e[None, :] / safe[:, None]).sum(axis=1)  # (L,)
        with np.errstate(divide="ignore"):
            fit = np.log(2 * np.pi * self.q(safe, cols) / self.n_w) + 1.0
        out = -0.5 * self.n_w * fit - 0.5 * logdet[:, None]
        return np.where(ok[:, None], out, -np.inf)

    def slopes(self, ts: np.ndarray, cols=slice(None)) -> np.ndarray:
        """``dℓ/d log a`` at ``a = exp(ts)`` (T,), shape (T, k)."""
        a = np.exp(np.asarray(ts, dtype=np.float64))
        D = 1.0 / (self.e[None, :] + a[:, None])  # (T, r)
        dof = D @ self.e
        aw = a[:, None] * ((D * D) @ self.z2[:, cols])  # a‖w‖² per target
        return 0.5 * (dof[:, None] - self.n_w * aw / self.q(a, cols))

    def slope_at(self, t: float, cols=slice(None)) -> float:
        """``dℓ/d log a`` at one ``t`` summed over the targets ``cols``: :meth:`slopes` for a
        scalar, with 1-D products only (Brent's method calls it a dozen times per fit, where
        the batched form's set-up was most of a small problem's cost)."""
        a = math.exp(t)
        D = 1.0 / (self.e + a)
        w = np.where(self.pos, a / (self._e_safe * (self._e_safe + a)), D)
        q = self.base[cols] + w @ self.z2[:, cols]
        aw = a * ((D * D) @ self.z2[:, cols])
        return float(0.5 * np.sum(float(D @ self.e) - self.n_w * aw / q))

    def scan(self, ts: np.ndarray) -> np.ndarray:
        """``ts`` (log penalties of the grid) with a log scan of the spectrum's range added
        (10 points a decade from ``e_min/10³`` to ``e_max·10³``), sorted and unique."""
        e = self.e[self.pos]
        if e.size == 0:
            return np.unique(ts)
        lo, hi = np.log(e.min()) - 3 * _LN10, np.log(e.max()) + 3 * _LN10
        extra = np.linspace(lo, hi, int(np.ceil((hi - lo) / _LN10 * 10)) + 1)
        return np.unique(np.concatenate([ts, extra]))


def log_evidence_curve(F: Factor, penalties: np.ndarray, *, fit_intercept: bool) -> np.ndarray:
    """Profiled log marginal likelihood ``ℓ(a)`` (module docstring) per penalty and target.

    Parameters
    ----------
    F : Factor
        Full-data factorization (primal, SVD or dual route).
    penalties : ndarray (L,)
        Penalties ``a = n_w·λ`` in the scale of the factor's Gram.
    fit_intercept : bool
        Whether the data were centered (an interpolating fit is detected with it).

    Returns
    -------
    ndarray (L, k)
    """
    return _Parts(F, fit_intercept).value(np.asarray(penalties, dtype=np.float64))


def _zeros(slope, ts: np.ndarray, gs: np.ndarray, tol: float) -> list[tuple[float, float]]:
    """Brackets of the slope's zeros where it turns from + to − between grid points (slopes
    within ``tol`` of 0, rounding noise on a plateau, are skipped), plus beyond an end of the
    grid where it points outwards (the evidence still rises)."""
    idx = np.flatnonzero(np.abs(gs) > tol)
    out = [(float(ts[i]), float(ts[j])) for i, j in pairwise(idx) if gs[i] > 0 > gs[j]]
    if idx.size and gs[idx[-1]] > 0:
        out += _widen(slope, float(ts[idx[-1]]), 1.0, tol)
    if idx.size and gs[idx[0]] < 0:
        out += _widen(slope, float(ts[idx[0]]), -1.0, tol)
    return out


def _widen(slope, end: float, sign: float, tol: float) -> list[tuple[float, float]]:
    """A bracket of the first zero of the slope beyond ``end`` (upwards for ``sign > 0``),
    searched decade by decade; empty when the evidence keeps rising or levels off."""
    prev = end
    for j in range(1, _EXPAND_DECADES + 1):
        t = end + sign * j * _LN10
        g = sign * slope(t)
        if abs(g) <= tol:
            return []
        if g < 0:
            return [(prev, t) if sign > 0 else (t, prev)]
        prev = t
    return []


def _maximize(value, slope, ts: np.ndarray, gs: np.ndarray, tol: float) -> float | None:
    """The ``t = log a`` of the largest local maximum of a scalar profiled evidence, or None.

    ``ts`` ascending, ``gs`` the slope there. Brent's method on the slope in each bracket
    (:func:`_zeros`), to ``1e-13`` in ``t``; the largest ``value`` wins.
    """
    best_t, best_v = None, -np.inf
    for lo, hi in _zeros(slope, ts, gs, tol):
        t = brentq(slope, lo, hi, xtol=1e-13, rtol=4 * np.finfo(np.float64).eps)
        v = float(value(t))
        if v > best_v:
            best_t, best_v = float(t), v
    return best_t


def maximize_evidence(F: Factor, lambdas: np.ndarray, *, fit_intercept: bool,
                      per_target: bool = False, warn: bool = True,
                      stacklevel: int = 2) -> RidgeEvidence:
    """Maximize the profiled evidence over continuous log λ, with ``lambdas`` as the bracket.

    The slope ``dℓ/d log a`` is evaluated on the grid and on a log scan of the spectrum's
    range (:meth:`_Parts.scan`: a coarse user grid such as scikit-learn's three default
    ``alphas`` misses no maximum); every local maximum so bracketed (or found by widening the
    search up to 40 decades beyond an end where the evidence still rises) is refined by
    Brent's method on the slope, and the largest is returned. When the fit can interpolate
    (numerical rank, plus one with an intercept, equal to the number of rows: ``p ≥ n``) and
    an intercept is fitted, ``ℓ`` grows without bound as ``λ → 0`` (``σ̂² → 0``); that end is
    never chosen over a finite maximum. Without any finite maximum (e.g. features unrelated
    to the target: the evidence rises up to ``λ = ∞``) the best grid λ is returned and, with
    ``warn``, a :class:`~ridgeline.selection.GridEdgeWarning` says so.

    Parameters
    ----------
    F : Factor
        Full-data factorization.
    lambdas : ndarray (L,)
        Canonical grid (any order; values ≤ 0 are ignored as brackets).
    fit_intercept : bool
    per_target : bool
        One λ per target (else one λ maximizing the sum of the targets' log evidences).
    warn : bool
    stacklevel : int
        Of the warning (2 = the caller of this function).

    Returns
    -------
    RidgeEvidence
    """
    parts = _Parts(F, fit_intercept)
    lam = np.asarray(lambdas, dtype=np.float64)
    curve = parts.value(lam * parts.n_w)  # (L, k)
    pos = lam > 0
    if not pos.any():
        raise ValueError("the evidence needs at least one positive λ on the grid")
    t_best, interior = _search(parts, np.log(lam[pos] * parts.n_w), curve[pos], per_target)
    if warn and not np.all(interior):
        _warn_no_maximum(stacklevel + 1)
    a = np.exp(t_best)
    k = curve.shape[1]
    q = np.array([parts.q(a[j:j + 1], [j])[0, 0] for j in range(k)])
    logev = np.array([parts.value(a[j:j + 1], [j])[0, 0] for j in range(k)])
    sigma2 = q / parts.n_w
    lam_best = a / parts.n_w if per_target else float(a[0] / parts.n_w)
    return RidgeEvidence(lambda_=lam_best, alpha=a.copy() if per_target else float(a[0]),
                         noise_variance=sigma2, prior_variance=sigma2 / a, log_evidence=logev,
                         lambdas=lam, curve=curve, interior=interior)


def _search(parts: _Parts, ts_grid: np.ndarray, curve: np.ndarray, per_target: bool):
    """``(t_best (k,), interior)``: the log penalty of the largest finite maximum of each
    target's evidence (``per_target``) or of their sum, else the best grid point's; and
    whether it was found (ndarray (k,) per target, else bool)."""
    ts = parts.scan(ts_grid)
    k = curve.shape[1]
    if per_target:
        gs = parts.slopes(ts)  # (T, k)
        found = [_maximize(lambda t, j=j: parts.value(np.exp([t]), [j])[0, 0],
                           lambda t, j=j: parts.slope_at(t, [j]), ts,
                           gs[:, j], parts.tol) for j in range(k)]
        fallback = ts_grid[np.argmax(curve, axis=0)]
        t_best = np.array([fallback[j] if f is None else f for j, f in enumerate(found)])
        return t_best, np.array([f is not None for f in found])
    f = _maximize(lambda t: parts.value(np.exp([t]))[0].sum(), parts.slope_at, ts,
                  parts.slopes(ts).sum(axis=1), k * parts.tol)
    t0 = ts_grid[np.argmax(curve.sum(axis=1))] if f is None else f
    return np.full(k, t0), f is not None


def _warn_no_maximum(stacklevel: int) -> None:
    from ridgeline.selection.result import GridEdgeWarning

    warnings.warn(
        "the evidence has no finite maximum in λ: it rises towards an end of the λ range "
        "(λ → ∞: the features explain nothing beyond the noise; λ → 0: the fit interpolates "
        "the data), so the best λ of the grid is used", GridEdgeWarning, stacklevel=stacklevel)


def posterior_std(F: Factor, penalties: np.ndarray, noise_variance: np.ndarray) -> np.ndarray:
    """Posterior standard deviations of the coefficients, shape (p, k), original units.

    The posterior covariance of target t's (standardized) coefficients is
    ``σ_t² (XᵀSX + a_t I)⁻¹ = σ_t² [V diag(1/(e + a_t)) Vᵀ + (I − V Vᵀ)/a_t]`` (the second
    term for directions the factor does not hold: the dual route's null space); with
    ``standardize=True`` the standard deviations are divided by the feature scales.

    Parameters
    ----------
    F : Factor
    penalties : ndarray (k,)
        Penalty ``a_t = n_w·λ_t`` of each target (all positive).
    noise_variance : ndarray (k,)
        ``σ_t²`` of each target.
    """
    pen = np.asarray(penalties, dtype=np.float64)
    V2 = _squared_basis(F)  # (p, r)
    rest = None if V2.shape[1] >= V2.shape[0] else np.maximum(1.0 - V2.sum(axis=1), 0.0)
    out = np.empty((F.n_features, pen.size))
    uniq, inv = np.unique(pen, return_inverse=True)
    for i, a in enumerate(uniq):
        var = V2 @ (1.0 / (F.e + a))
        if rest is not None:
            var = var + rest / a
        cols = np.flatnonzero(inv == i)
        out[:, cols] = np.sqrt(var[:, None] * np.asarray(noise_variance)[cols][None, :])
    return out / F.scale[:, None]


def _squared_basis(F: Factor, block: int = 256) -> np.ndarray:
    """``V ⊙ V`` (p, r) of the standardized space; a kernel-form factor forms V by blocks."""
    if F.V is not None:
        return F.V * F.V
    r = F.e.size
    out = np.empty((F.n_features, r))
    for a in range(0, r, block):
        b = min(a + block, r)
        E = np.zeros((r, b - a))
        E[np.arange(a, b), np.arange(b - a)] = 1.0
        Vb = F.basis_times(E) * F.scale[:, None]
        out[:, a:b] = Vb * Vb
    return out
