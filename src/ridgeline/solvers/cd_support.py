"""The support step of the residual coordinate-descent engine (elastic net, singletons).

On the face of the orthant where the current coefficients lie — support ``S`` (the non-zero
and the unpenalized coordinates) and signs σ fixed — the objective of
:func:`ridgeline.solvers.cd.solve_blocks` is the quadratic

    (1/2n_w)‖y - X̃_S w_S‖²_H + ½ Σ_S b_j w_j² + Σ_S a_j σ_j w_j,

minimized by one Cholesky solve of ``X̃_SᵀHX̃_S/n_w + diag(b_S)``. Moving towards that
minimizer until the first penalized coordinate would change sign (which is then set to zero)
lowers the objective: an active-set ("feature-sign") step, Lee, Battle, Raina & Ng (2007),
"Efficient sparse coding algorithms", NIPS. Once coordinate descent has found the support, one
such step lands on the solution to rounding, where coordinate descent alone converges only
linearly (slowly when the active columns are correlated).
"""

from __future__ import annotations

import numpy as np

from ridgeline.solvers.cd_gram import face_step


def support_step(state, y: np.ndarray, w: np.ndarray, b: np.ndarray, a_feat: np.ndarray,
                 nonneg: bool, primal: float) -> bool:
    """Take the face step from ``w`` if it lowers the objective below ``primal``.

    Parameters
    ----------
    state : the residual state of :func:`ridgeline.solvers.cd.solve_blocks` (its design
        ``X̃``, weights ``h`` and true residual ``R = y - X̃w``, updated in place on success).
    y : ndarray (n,)
    w : ndarray (p,)
        Current coefficients, updated in place on success.
    b, a_feat : ndarray (p,)
        Ridge and L1 weights per feature.
    primal : float
        The objective at ``w``.

    Returns
    -------
    bool
        Whether the step was taken.
    """
    design = state.design
    S = np.flatnonzero((w != 0) | (a_feat == 0))
    if S.size == 0:
        return False
    XS = design.columns(S)
    hX = XS * design.h[:, None]
    M = hX.T @ XS / design.n_w
    M[np.diag_indices_from(M)] += b[S]
    rhs = hX.T @ y / design.n_w - a_feat[S] * np.sign(w[S])
    try:
        np.linalg.cholesky(M)  # positive definite, or the face has no unique minimizer
        xs = np.linalg.solve(M, rhs)
    except np.linalg.LinAlgError:
        return False
    x = np.zeros_like(w)
    x[S] = xs
    x = face_step(w, x, a_feat, nonneg)
    R = y - XS @ x[S]
    value = (0.5 * float(design.h @ (R * R)) / design.n_w + 0.5 * float(b @ (x * x))
             + float(a_feat @ np.abs(x)))
    if not value < primal:
        return False
    w[:] = x
    state.R = R
    design.shift[0] = 0.0
    return True


def worth_trying(n_rows: int, n_support: int, sweep_cost: float) -> bool:
    """Whether a support step (``n·k² + k³/3`` flops) costs at most the sweeps just done."""
    k = n_support
    return 0 < k <= n_rows and n_rows * k * k + k ** 3 / 3 <= sweep_cost


class SupportTrigger:
    """When to try a support step: once the sweeps since the last try cost more than one.

    Parameters
    ----------
    a_feat : ndarray (p,) or None
        L1 weight per feature (None for groups: never tries).
    n_rows : int
    """

    def __init__(self, a_feat: np.ndarray | None, n_rows: int):
        self.a_feat, self.n_rows, self.cost = a_feat, n_rows, 0.0

    def spent(self, flops: float) -> None:
        """Count sweeps done (their flops) since the last try."""
        self.cost += flops

    def step(self, state, y, w, b, nonneg: bool, primal: float, force: bool = False) -> bool:
        """Try :func:`support_step` if it is worth it (or ``force``); whether it was taken."""
        if self.a_feat is None:
            return False
        k = int(np.count_nonzero((w != 0) | (self.a_feat == 0)))
        if not (force or worth_trying(self.n_rows, k, self.cost)):
            return False
        self.cost = 0.0
        return support_step(state, y, w, b, self.a_feat, nonneg, primal)
