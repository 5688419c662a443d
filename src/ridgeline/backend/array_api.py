"""Namespace, dtype and device helpers for code written against the Python array API standard.

:class:`~ridgeline.backend.source.ArrayAPISource` and the functions of :mod:`ridgeline.backend`
take arrays from one namespace (NumPy, CuPy, PyTorch, ... as seen through
:func:`array_api_compat.array_namespace`) and return arrays of the same namespace, on the same
device. The dtype rules are DESIGN.md's:

- float32 input stays float32 at the boundary: results are float32.
- Large products (Gram and Hessian GEMMs) run in the input dtype, on row chunks; their p×p
  results are **accumulated in float64**, and sums over rows (losses, gradients) are formed in
  float64, *where the namespace and device allow it* (PyTorch on Apple MPS has no float64;
  there the accumulation dtype falls back to float32). The small results go to the host as
  NumPy float64, where the engine's p×p algebra (eigendecompositions, Newton systems) runs.
- Integer and boolean inputs are promoted to float64.

Nothing here imports a GPU library: ``array_api_compat`` recognizes a torch or CuPy array without
``ridgeline`` importing torch or CuPy itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import array_api_compat
import numpy as np

#: Rows per chunk of a Gram GEMM: each chunk's p×p product is formed in the input dtype and
#: added to a float64 accumulator (bounds the float32 rounding to a chunk's length of sums).
DEFAULT_CHUNK_ROWS = 65_536


@dataclass(frozen=True)
class Backend:
    """The namespace, device and dtypes a computation runs with.

    Attributes
    ----------
    xp : module
        The array-API-compatible namespace (``array_api_compat.numpy``, ``.torch``, ``.cupy``).
    device : object
        Device of the input arrays (``"cpu"`` for NumPy, a ``torch.device``, ...).
    dtype : dtype
        Floating dtype of the input (and of the results): float32 or float64.
    acc : dtype
        Accumulation dtype: float64 unless the device lacks it.
    """

    xp: Any
    device: Any
    dtype: Any
    acc: Any

    @property
    def name(self) -> str:
        """Short name of the namespace: ``"numpy"``, ``"torch"``, ``"cupy"``, ..."""
        return self.xp.__name__.rsplit(".", 1)[-1]

    def zeros(self, shape, dtype=None):
        """Zeros in the accumulation dtype (or ``dtype``) on the backend's device."""
        return self.xp.zeros(shape, dtype=self.acc if dtype is None else dtype,
                             device=self.device)

    def asarray(self, values, dtype=None):
        """An array of ``values`` (a Python/NumPy value) on the device, accumulation dtype."""
        return self.xp.asarray(values, dtype=self.acc if dtype is None else dtype,
                               device=self.device)

    def from_host(self, values):
        """Host values (NumPy, floats) as an array of the output dtype on the device."""
        return self.xp.asarray(np.asarray(values, dtype=np.float64), dtype=self.dtype,
                               device=self.device)

    def to_acc(self, a):
        """``a`` in the accumulation dtype (no copy when it already is)."""
        return a if a.dtype == self.acc else self.xp.astype(a, self.acc)

    def to_out(self, a):
        """``a`` in the output (input) dtype; a NumPy scalar becomes a 0-d array."""
        if isinstance(a, np.generic):
            a = np.asarray(a)
        return a if a.dtype == self.dtype else self.xp.astype(a, self.dtype)


def get_namespace(*arrays) -> Any:
    """The common array namespace of ``arrays`` (``None`` entries are skipped).

    Raises
    ------
    TypeError
        When the arrays come from different libraries (e.g. a NumPy array and a torch tensor),
        or one is not an array at all.
    """
    present = [a for a in arrays if a is not None]
    for a in present:
        if not array_api_compat.is_array_api_obj(a):
            raise TypeError(
                f"expected arrays (NumPy, CuPy, PyTorch, ...), got {type(a).__name__}: convert "
                "lists with numpy.asarray or torch.as_tensor first"
            )
    try:
        return array_api_compat.array_namespace(*present)
    except TypeError as exc:
        kinds = sorted({type(a).__module__.split(".")[0] + "." + type(a).__name__
                        for a in present})
        raise TypeError(
            f"all arrays must come from one array library, got {', '.join(kinds)}: convert "
            "them to one library (and one device) first"
        ) from exc


def device_of(*arrays):
    """The common device of ``arrays``; a ``ValueError`` when they live on different devices."""
    devs = [array_api_compat.device(a) for a in arrays if a is not None]
    first = devs[0]
    for d in devs[1:]:
        if str(d) != str(first):
            raise ValueError(f"all arrays must be on one device, got {first} and {d}")
    return first


def _has_float64(xp, device) -> bool:
    try:
        xp.zeros((1,), dtype=xp.float64, device=device)
    except (TypeError, RuntimeError, ValueError):  # e.g. torch on MPS
        return False
    return True


def make_backend(X, *others) -> Backend:
    """Resolve namespace, device and dtypes from the design matrix ``X`` and companions.

    The floating dtype is X's (float32 or float64); any other dtype of X is promoted to float64
    (float32 where the device has no float64).
    """
    xp = get_namespace(X, *others)
    device = device_of(X, *others)
    acc = xp.float64 if _has_float64(xp, device) else xp.float32
    if X.dtype == xp.float32:
        dtype = xp.float32
    elif X.dtype == xp.float64:
        dtype = xp.float64
    elif xp.isdtype(X.dtype, ("integral", "bool")):
        dtype = acc
    else:
        raise TypeError(f"X must be real floating point, integer or boolean, got {X.dtype}")
    return Backend(xp=xp, device=device, dtype=dtype, acc=acc)


def to_numpy(a) -> np.ndarray | Any:
    """A NumPy copy of an array from any supported namespace (other objects are returned as-is).

    Torch tensors are detached and moved to the CPU; CuPy arrays are copied to the host.
    """
    if a is None or isinstance(a, (int, float, str, bool)):
        return a
    if isinstance(a, np.ndarray):
        return a
    if array_api_compat.is_torch_array(a):
        return a.detach().cpu().numpy()
    if array_api_compat.is_cupy_array(a):
        return a.get()
    if array_api_compat.is_array_api_obj(a):
        return np.asarray(a)
    return a


def to_host(a) -> np.ndarray:
    """A small result of any namespace (a device sum) as a NumPy float64 array."""
    return np.asarray(to_numpy(a), dtype=np.float64)


def check_finite(bk: Backend, a, name: str) -> None:
    """Raise ``ValueError`` when ``a`` contains NaN or ±inf."""
    xp = bk.xp
    if xp.isdtype(a.dtype, "real floating") and not bool(xp.all(xp.isfinite(a))):
        bad = "NaN" if bool(xp.any(xp.isnan(a))) else "infinity"
        raise ValueError(f"{name} contains {bad}: remove or impute such rows first")


def as_vector(bk: Backend, a, n: int, name: str):
    """``a`` as a 1-D array of length ``n`` (an (n, 1) column is flattened)."""
    if a.ndim == 2 and a.shape[1] == 1:
        a = bk.xp.reshape(a, (a.shape[0],))
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D of length {n}, got shape {tuple(a.shape)}")
    if a.shape[0] != n:
        raise ValueError(f"{name} has {a.shape[0]} entries but X has {n} rows")
    return a


def check_design(bk: Backend, X):
    """Validate a 2-D, finite, non-empty design matrix; returns it in the output dtype."""
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {tuple(X.shape)}")
    if X.shape[0] < 2 or X.shape[1] < 1:
        raise ValueError(f"X needs at least 2 rows and 1 column, got shape {tuple(X.shape)}")
    X = bk.to_out(X)
    check_finite(bk, X, "X")
    return X


def check_weights(bk: Backend, sample_weight, n: int):
    """Sample weights in the accumulation dtype: ones by default, else non-negative and finite
    with a positive sum."""
    if sample_weight is None:
        return bk.xp.ones((n,), dtype=bk.acc, device=bk.device)
    s = bk.to_acc(as_vector(bk, sample_weight, n, "sample_weight"))
    check_finite(bk, s, "sample_weight")
    if bool(bk.xp.any(s < 0)):
        raise ValueError("sample_weight must be non-negative")
    if not float(bk.xp.sum(s)) > 0:
        raise ValueError("sample_weight must have a positive sum")
    return s


def check_lambdas(lambdas) -> np.ndarray:
    """A non-empty 1-D float64 NumPy grid of finite, non-negative canonical λ (any namespace)."""
    lam = np.asarray(to_numpy(lambdas), dtype=np.float64).reshape(-1)
    if lam.size == 0:
        raise ValueError("lambdas is empty: give at least one λ")
    if not np.all(np.isfinite(lam)):
        raise ValueError("lambdas must be finite")
    if np.any(lam < 0):
        raise ValueError(f"every λ must be non-negative, got min(lambdas) = {lam.min():g}")
    return lam


def check_folds(folds, n: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Fold ids (n,) of any namespace → (sorted distinct ids, row indices of each fold).

    Fold assignment is bookkeeping: it is done on the host with NumPy (n integers).
    """
    f = np.asarray(to_numpy(folds))
    if f.ndim != 1 or f.shape[0] != n:
        raise ValueError(f"folds must be a 1-D array of {n} fold ids (one per row), got shape "
                         f"{f.shape}")
    integral = np.issubdtype(f.dtype, np.integer) or np.issubdtype(f.dtype, np.bool_)
    if not integral and not (np.issubdtype(f.dtype, np.floating) and np.all(f == np.round(f))):
        raise TypeError(f"folds must hold integer fold ids, got dtype {f.dtype}")
    ids, inv = np.unique(f, return_inverse=True)
    if ids.size < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, got {ids.size} distinct id")
    rows = [np.flatnonzero(inv == k) for k in range(ids.size)]
    return ids, rows


def chunk_bounds(n: int, chunk_rows: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` covering ``range(n)`` in pieces of at most ``chunk_rows``."""
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be positive, got {chunk_rows}")
    m = max(1, math.ceil(n / chunk_rows))
    step = math.ceil(n / m)
    return [(a, min(a + step, n)) for a in range(0, n, step)]


def take_rows(bk: Backend, X, rows: np.ndarray):
    """Rows ``rows`` (host int indices) of ``X``; a slice view when they are contiguous."""
    if rows.size and rows[-1] - rows[0] + 1 == rows.size:
        return X[int(rows[0]): int(rows[-1]) + 1, ...]
    idx = bk.xp.asarray(rows.astype(np.int64), device=bk.device)
    return bk.xp.take(X, idx, axis=0)


__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "Backend",
    "check_design",
    "check_finite",
    "check_folds",
    "check_lambdas",
    "check_weights",
    "chunk_bounds",
    "get_namespace",
    "make_backend",
    "to_host",
    "to_numpy",
]
