"""Which rows train and which rows score each model of a pass.

A pass evaluates B models at once (the K fold models of cross-validation and/or the full-data
model). Every row carries a *fold id* in ``[0, F)``, and model j is described by two boolean
masks over the fold ids: the folds it trains on and the folds it is scored on.

- Under a fold rule (files, Dask, hashed rows) model j holds out fold ``held_out[j]``: it
  trains on every other fold and is scored on that one; ``held_out[j] = -1`` is the
  full-data model (:func:`fold_roles`).
- An in-memory source built from arbitrary (train, test) splits
  (:class:`~ridgeline.stats.array_source.ArraySource` with ``splits=``) gives each row the id
  of its membership pattern across the splits, and ``held_out[j] = k`` names split k
  (``source.roles``); any scikit-learn splitter is served this way, overlapping or partial
  splits included.

Per-model sums over training rows then follow from per-fold sums by a mask product
(:func:`train_sums`), the way ridge's training statistics are ``total − held-out``.
"""

from __future__ import annotations

import numpy as np


def fold_roles(held_out: np.ndarray, n_folds: int) -> tuple[np.ndarray, np.ndarray]:
    """Training and scoring masks ``(train, test)``, each (B, n_folds) bool, of models that
    hold out folds ``held_out`` (B,) (``-1``: none, the full-data model)."""
    held_out = np.asarray(held_out, dtype=np.int64)
    ids = np.arange(int(n_folds))
    test = held_out[:, None] == ids[None, :]
    return ~test, test


def member_roles(source, held_out: np.ndarray, n_folds: int) -> tuple[np.ndarray, np.ndarray]:
    """``(train, test)`` masks of the models ``held_out`` over ``source``'s fold ids: the
    source's own (``source.roles``, splits) or the fold rule's (:func:`fold_roles`)."""
    roles = getattr(source, "roles", None)
    if roles is not None:
        return roles(held_out, n_folds)
    return fold_roles(held_out, n_folds)


def train_sums(train: np.ndarray, per_fold: np.ndarray) -> np.ndarray:
    """Per-model sums (B, ...) over training folds from per-fold sums (F, ...)."""
    return np.tensordot(train.astype(np.float64), per_fold, axes=(1, 0))


def member_weights(fold: np.ndarray, held_out: np.ndarray, weights: np.ndarray | None
                   ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Training and held-out weights ``(tw, hw)``, each (m, B), of rows with fold ids ``fold``
    (m,) for models holding out ``held_out`` (B,), times the sample ``weights`` (m,) (unit
    weights when None). ``(None, None)`` when every row trains every model with unit weight
    (nothing held out): the kernels then skip the weighting."""
    if weights is None and bool(np.all(held_out < 0)):
        return None, None
    held = fold[:, None] == held_out[None, :]
    return masked_weights(held, weights)


def masked_weights(held: np.ndarray, weights: np.ndarray | None,
                   used: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(tw, hw)`` from a held-out mask ``held`` (m, B) (and, optionally, a mask ``used``
    (m, B) of the rows that take part at all), times the sample weights (m,)."""
    train = ~held if used is None else used & ~held
    tw = train.astype(np.float64)
    hw = held.astype(np.float64)
    if weights is not None:
        tw *= weights[:, None]
        hw *= weights[:, None]
    return tw, hw
