"""Penalties ``P(w)``: value, proximal operator, subdifferential distance and λ_max.

The canonical objective (``ridgeline.conventions``) is ``mean loss + λ·P(w)``:

- :class:`ElasticNetPenalty`: ``Σ_j f_j (α|w_j| + (1-α) w_j²)``: L2 (α=0), L1 (α=1) and the
  elastic net, with per-feature penalty factors ``f_j`` (0 = unpenalized; a user's
  ``penalty_factor`` is glmnet's ``penalty.factor``, rescaled as glmnet does to sum to the
  number of features; adaptive-lasso weights are factors) and optional non-negativity.
- :class:`GroupPenalty`: ``Σ_g ω_g ‖w_g‖₂`` (group lasso), ``ω_g = √|g|`` by default.
- :class:`TikhonovPenalty`: ``wᵀPw`` for a symmetric positive semi-definite ``P``.
"""

from ridgeline.penalties.elastic_net import ElasticNetPenalty, adaptive_weights
from ridgeline.penalties.group import GroupPenalty
from ridgeline.penalties.tikhonov import TikhonovPenalty

__all__ = ["ElasticNetPenalty", "GroupPenalty", "TikhonovPenalty", "adaptive_weights"]
