"""λ grids and regularization paths."""

from ridgeline.path.glm_path import GLMPath, auto_glm_grid, glm_path
from ridgeline.path.grid import auto_lambda_grid, extend_grid
from ridgeline.path.ridge_path import RidgePath, ridge_path

__all__ = ["GLMPath", "RidgePath", "auto_glm_grid", "auto_lambda_grid", "extend_grid",
           "glm_path", "ridge_path"]
