"""Input and output: data tables for the command line and safe (pickle-free) model files."""

from typing import TYPE_CHECKING

from ridgeline._lazy import attach

if TYPE_CHECKING:  # the names as static tools see them; each loads on first use
    from ridgeline.io.modelfile import (
        FORMAT_NAME,
        FORMAT_VERSION,
        MODEL_SUFFIX,
        LoadedModel,
        ModelFileError,
        atomic_write,
        load_estimator,
        load_model,
        load_model_file,
        save_estimator,
        save_model_file,
    )
    from ridgeline.io.tables import (
        BUILTIN_DATASETS,
        IMPUTE_CHOICES,
        SUPPORTED_EXTENSIONS,
        FeatureEncoding,
        Table,
        load_builtin,
        read_features,
        read_table,
        table_from_frame,
        table_to_bytes,
        write_table,
    )

__getattr__, __dir__ = attach(__name__, {
    "ridgeline.io.modelfile": [
        "FORMAT_NAME", "FORMAT_VERSION", "MODEL_SUFFIX", "LoadedModel", "ModelFileError",
        "atomic_write", "load_estimator", "load_model", "load_model_file", "save_estimator",
        "save_model_file",
    ],
    "ridgeline.io.tables": [
        "BUILTIN_DATASETS", "IMPUTE_CHOICES", "SUPPORTED_EXTENSIONS", "FeatureEncoding", "Table",
        "load_builtin", "read_features", "read_table", "table_from_frame", "table_to_bytes",
        "write_table",
    ],
})

__all__ = [
    "BUILTIN_DATASETS",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "IMPUTE_CHOICES",
    "MODEL_SUFFIX",
    "SUPPORTED_EXTENSIONS",
    "FeatureEncoding",
    "LoadedModel",
    "ModelFileError",
    "Table",
    "atomic_write",
    "load_builtin",
    "load_estimator",
    "load_model",
    "load_model_file",
    "read_features",
    "read_table",
    "save_estimator",
    "save_model_file",
    "table_from_frame",
    "table_to_bytes",
    "write_table",
]
