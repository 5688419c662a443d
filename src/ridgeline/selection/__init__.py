"""Choosing λ: K-fold from fold statistics, exact LOO, GCV, the min and 1-SE rules."""

from ridgeline.selection.engine import RidgeSelection, choose_route, full_factor, select_ridge
from ridgeline.selection.result import GridEdgeWarning, RidgeCVResult
from ridgeline.selection.scoring import Scorer, resolve_scorer

__all__ = [
    "GridEdgeWarning",
    "RidgeCVResult",
    "RidgeSelection",
    "Scorer",
    "choose_route",
    "full_factor",
    "resolve_scorer",
    "select_ridge",
]
