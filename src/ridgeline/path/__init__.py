"""λ grids and regularization paths."""

from ridgeline.path.grid import auto_lambda_grid, extend_grid
from ridgeline.path.ridge_path import RidgePath, ridge_path

__all__ = ["RidgePath", "auto_lambda_grid", "extend_grid", "ridge_path"]
