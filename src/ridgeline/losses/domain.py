"""The targets each log-link deviance can take, checked once for every estimator and source.

Poisson (Tweedie power 1) and Tweedie powers in (1, 2) take y ≥ 0; the gamma (power 2) takes
y > 0; the normal deviance on the log link (power 0) takes any y. Every log-link model needs a
positive weighted mean target (its best constant is the log of that mean).
"""

from __future__ import annotations

#: Tweedie power of the families that have no ``power`` attribute.
_POWERS = {"poisson": 1.0, "gamma": 2.0}


def check_target_domain(loss, y_min: float, mean: float, *, who: str, where: str) -> None:
    """Refuse targets outside ``loss``'s domain with a ValueError naming them.

    Parameters
    ----------
    loss : a loss of :mod:`ridgeline.losses`
        Classification losses take any encoded labels: nothing is checked.
    y_min : float
        The smallest target.
    mean : float
        The weighted mean target.
    who : str
        The model, as the message names it (``"Poisson"``, ``"GammaRegressor"``, ...).
    where : str
        The targets, as the message names them (``"y"``, ``"column 'count'"``).
    """
    power = getattr(loss, "power", _POWERS.get(loss.name))
    if power is None:
        return
    if power == 2.0 and not y_min > 0:
        raise ValueError(f"{who} targets must be positive (gamma deviance); {where} has values "
                         f"down to {y_min:g}")
    if power >= 1.0 and y_min < 0:
        counts = " counts" if loss.name == "poisson" else ""
        raise ValueError(f"{who} targets must be non-negative{counts}; {where} has values down "
                         f"to {y_min:g}")
    if power >= 1.0 and not mean > 0:
        raise ValueError(f"{who} targets are all zero in {where}: the mean must be positive "
                         "for a log-link model")
    if not mean > 0:
        raise ValueError(f"{who}: the weighted mean of {where} is {mean:g}; a log-link model "
                         "needs a positive mean target")
