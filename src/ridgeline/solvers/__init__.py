"""Solvers: ridge (one factorization answers every λ), the GLM engine, coordinate descent.

- :mod:`~ridgeline.solvers.spectral`: eigendecomposition of the p×p Gram (n ≥ p), with an SVD
  of the design matrix as fallback when the Gram is too ill-conditioned for the requested λ.
- :mod:`~ridgeline.solvers.dual`: eigendecomposition of the n×n kernel (p > n).
- :mod:`~ridgeline.solvers.iterative`: LSQR on a centering linear operator (huge sparse p), never
  forming a p×p or n×n matrix.

The spectral and dual factors expose the same :class:`~ridgeline.solvers.spectral.Factor`
interface (coefficients, degrees of freedom, training RSS and hat-matrix diagonals for every
penalty), so paths and selection never need to know which one they hold.

GLMs (logistic, Poisson) have one Newton (:mod:`~ridgeline.solvers.newton`) and one L-BFGS
(:mod:`~ridgeline.solvers.lbfgs`) over the passes of a statistics source, for B models at
once (:mod:`~ridgeline.solvers.glm_models`, :func:`~ridgeline.solvers.glm_fit.fit`).
Sparse penalties use certified coordinate descent (:mod:`~ridgeline.solvers.cd`) and proximal
Newton (:mod:`~ridgeline.solvers.prox_newton`).
"""

from ridgeline.solvers.dual import dual_factor
from ridgeline.solvers.iterative import LsqrResult, lsqr_path
from ridgeline.solvers.spectral import Factor, factor_from_moments, svd_factor

__all__ = ["Factor", "LsqrResult", "dual_factor", "factor_from_moments", "lsqr_path", "svd_factor"]
