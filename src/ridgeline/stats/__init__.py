"""Sufficient statistics: weighted Gram matrices and moments, per fold, in one pass.

Everything ridge regression needs for any λ — fits, paths, LOO, GCV and K-fold held-out
errors — is a function of a few small matrices accumulated in one pass over the data:

    n_w = Σ s_i,   sx = Σ s_i x̃_i,   sy = Σ s_i ỹ_i,
    G = Σ s_i x̃_i x̃_iᵀ,   C = Σ s_i x̃_i ỹ_iᵀ,   yy = Σ s_i ỹ_i²   (per target)

where ``x̃ = x - shift_x`` and ``ỹ = y - shift_y`` are shifted by a fixed reference point (the
global weighted mean for dense data, zero for sparse data so that X is never densified). The
statistics of a union of disjoint row sets are the sums of their statistics, so the training
statistics of a CV fold are ``total - held_out``.
"""

from typing import TYPE_CHECKING

from ridgeline._lazy import attach

if TYPE_CHECKING:  # the names as static tools see them; each loads on first use
    from ridgeline.stats.array_source import ArraySource
    from ridgeline.stats.batch_source import BatchSource
    from ridgeline.stats.chunks import iter_row_chunks
    from ridgeline.stats.files import CSVSource, ParquetSource, parse_memory, read_csv, read_parquet
    from ridgeline.stats.folds import hash_folds, predefined_test_fold, row_folds, splitmix64
    from ridgeline.stats.moments import (
        FoldMomentsAccumulator,
        Moments,
        MomentsAccumulator,
        accumulate,
        fold_moments,
    )
    from ridgeline.stats.source import (
        FoldMomentsResult,
        GLMPassResult,
        SourceError,
        StatisticsSource,
        TargetSummary,
        is_source,
    )

__getattr__, __dir__ = attach(__name__, {
    "ridgeline.stats.array_source": ["ArraySource"],
    "ridgeline.stats.batch_source": ["BatchSource"],
    "ridgeline.stats.chunks": ["iter_row_chunks"],
    "ridgeline.stats.files": [
        "CSVSource", "ParquetSource", "parse_memory", "read_csv", "read_parquet",
    ],
    "ridgeline.stats.folds": ["hash_folds", "predefined_test_fold", "row_folds", "splitmix64"],
    "ridgeline.stats.moments": [
        "FoldMomentsAccumulator", "Moments", "MomentsAccumulator", "accumulate", "fold_moments",
    ],
    "ridgeline.stats.source": [
        "FoldMomentsResult", "GLMPassResult", "SourceError", "StatisticsSource", "TargetSummary",
        "is_source",
    ],
})

__all__ = [
    "ArraySource",
    "BatchSource",
    "CSVSource",
    "FoldMomentsAccumulator",
    "FoldMomentsResult",
    "GLMPassResult",
    "Moments",
    "MomentsAccumulator",
    "ParquetSource",
    "SourceError",
    "StatisticsSource",
    "TargetSummary",
    "accumulate",
    "fold_moments",
    "hash_folds",
    "is_source",
    "iter_row_chunks",
    "parse_memory",
    "predefined_test_fold",
    "read_csv",
    "read_parquet",
    "row_folds",
    "splitmix64",
]
