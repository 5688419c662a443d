"""Input and output: data tables for the command line and safe (pickle-free) model files."""

from ridgeline.io.modelfile import (
    FORMAT_NAME,
    FORMAT_VERSION,
    MODEL_SUFFIX,
    load_estimator,
    load_model_file,
    save_estimator,
    save_model_file,
)
from ridgeline.io.tables import (
    BUILTIN_DATASETS,
    SUPPORTED_EXTENSIONS,
    Table,
    load_builtin,
    read_table,
    table_from_frame,
)

__all__ = [
    "BUILTIN_DATASETS",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MODEL_SUFFIX",
    "SUPPORTED_EXTENSIONS",
    "Table",
    "load_builtin",
    "load_estimator",
    "load_model_file",
    "read_table",
    "save_estimator",
    "save_model_file",
    "table_from_frame",
]
