"""Per-sample losses of the linear predictor η = Xw + b: value, first and second derivative.

Each loss works on the linear predictor only, so the solvers share one objective::

    f(w, b) = (1/n_w) Σ_i s_i ℓ(y_i, η_i) + λ Σ_j w_j²

=================  =======================================  ===============================
loss               ℓ(y, η)                                  targets
=================  =======================================  ===============================
``BinomialLoss``   log(1 + e^η) − y η                        y ∈ {0, 1}, shape (n,)
``MultinomialLoss``  logsumexp(η) − η_y                      one-hot Y, shape (n, K)
``PoissonLoss``    2 (y log(y/μ) − y + μ), μ = e^η (deviance)  y ≥ 0, shape (n,)
``GammaLoss``      2 (−log(y/μ) + (y − μ)/μ), μ = e^η          y > 0, shape (n,)
``TweedieLoss(p)``  Tweedie deviance, p ∈ {0} ∪ [1, 2], μ = e^η  see losses.tweedie
=================  =======================================  ===============================
"""

from ridgeline.losses.binomial import BinomialLoss
from ridgeline.losses.gamma import GammaLoss
from ridgeline.losses.multinomial import MultinomialLoss
from ridgeline.losses.poisson import PoissonLoss
from ridgeline.losses.tweedie import TweedieLoss

LOSSES = {"binomial": BinomialLoss, "multinomial": MultinomialLoss, "poisson": PoissonLoss}

# (GammaLoss and TweedieLoss(power) are not in LOSSES, the table of the parameter-free
# losses the selection engine picks by name)
__all__ = ["LOSSES", "BinomialLoss", "GammaLoss", "MultinomialLoss", "PoissonLoss",
           "TweedieLoss"]
