"""What a model file may hold: array dtypes, and the fitted attributes of a linear model.

:class:`ModelFileError` is the one error a model file that cannot be trusted (or an estimator
that cannot be saved faithfully) raises; it names the member or attribute and the problem.

The checks here see only what the reader knows *before* it allocates an array: the JSON values
of ``meta.json`` and each array's declared shape and dtype (:class:`ArraySpec`).
:func:`check_fitted_layout` refuses a linear model whose ``coef_``, ``intercept_``,
``classes_``, ``feature_names_in_`` ... do not agree with ``n_features_in_`` and the classes;
:func:`check_fitted_values` then refuses non-finite coefficients once the arrays are read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "DIAGNOSTIC_ATTRIBUTES",
    "FITTED_NAME",
    "ArraySpec",
    "ModelFileError",
    "check_fitted_layout",
    "check_fitted_values",
    "dtype_problem",
]

#: public fitted attribute names (``coef_``, ``n_features_in_`` ...)
FITTED_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*_\Z")

#: fitted attributes that only report how λ was chosen (a ``RidgeCVResult``); ``predict`` never
#: reads them, so :func:`~ridgeline.io.modelfile.save_estimator` lists them as skipped
DIAGNOSTIC_ATTRIBUTES = frozenset({"selection_", "cv_result_"})

_ALLOWED_KINDS = frozenset("biufcU")
#: the attributes whose presence marks a fitted linear model; all of them are then required
_LINEAR_CORE = ("coef_", "intercept_", "n_features_in_")
#: regularization strengths: a non-negative number, or an array of them
_STRENGTHS = ("alpha_", "C_", "lambda_", "l1_ratio_", "mix_")


class ModelFileError(ValueError):
    """A model file that cannot be trusted, or an estimator that cannot be stored faithfully.

    Parameters
    ----------
    message : str
        What is wrong, naming the file and the member or attribute.
    member : str, optional
        The zip member or fitted attribute at fault.
    """

    def __init__(self, message: str, member: str | None = None) -> None:
        super().__init__(message)
        self.member = member


@dataclass(frozen=True)
class ArraySpec:
    """The declared shape and dtype of one ``.npy`` member.

    Attributes
    ----------
    shape : tuple of int
        Declared shape (non-negative dimensions).
    dtype : numpy.dtype
        Declared dtype.
    """

    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def nbytes(self) -> int:
        """Bytes of the array data: ``prod(shape) * itemsize`` (exact, as a Python int)."""
        return math.prod(self.shape) * self.dtype.itemsize

    def describe(self) -> str:
        """``shape dtype`` as a message shows it, e.g. ``(3, 4) float64``."""
        return f"{self.shape} {self.dtype}"


def dtype_problem(dtype: np.dtype) -> str | None:
    """Why an array of ``dtype`` cannot be in a model file, or None if it can.

    Model files hold boolean, integer, float, complex and unicode arrays; object arrays would
    need pickle, and structured, byte-string and date-time arrays are refused.
    """
    if dtype.hasobject:
        return "has object dtype, which would need pickle"
    if dtype.fields is not None or dtype.subdtype is not None:
        return f"has a structured dtype {dtype}"
    if dtype.kind not in _ALLOWED_KINDS:
        return (f"has dtype {dtype}; model files hold boolean, integer, float, complex or "
                "unicode arrays only")
    return None


# --------------------------------------------------------------------------- layout


def check_fitted_layout(est: Any, fitted: Mapping[str, Any], specs: Mapping[str, ArraySpec],
                        *, where: str) -> None:
    """Refuse fitted attributes whose types and shapes a working model cannot have.

    Parameters
    ----------
    est : estimator
        The estimator being rebuilt (it tells whether a ``classes_`` is required).
    fitted : mapping
        The JSON-stored fitted attributes.
    specs : mapping of str to ArraySpec
        The declared shape and dtype of each array-stored fitted attribute.
    where : str
        How messages name the file (``"model file PATH"``).

    Raises
    ------
    ModelFileError
        If an attribute is missing, of the wrong type, dtype or shape, naming it.

    Notes
    -----
    A model holding none of ``coef_``, ``intercept_``, ``n_features_in_`` and ``classes_`` is
    unfitted and passes.  Otherwise all three of :data:`_LINEAR_CORE` are required (and
    ``classes_`` for a classifier); ``coef_`` must be a float array of shape ``(p,)`` or
    ``(k, p)`` with ``p = n_features_in_`` (logistic models ``(k, p)`` only, Poisson ``(p,)``
    only, as their ``predict`` needs); ``intercept_`` a number (``coef_`` of one row) or a
    float array of one entry per row of ``coef_``; ``classes_`` a 1-d array of at least two
    labels whose count matches the rows of ``coef_`` (one row or ``(p,)`` for two classes;
    multilabel models excepted); ``feature_names_in_`` a 1-d unicode array of ``p`` names.
    """
    clash = sorted(set(fitted) & set(specs))
    if clash:
        raise ModelFileError(f"{where} stores fitted attribute(s) {clash} twice "
                             "(in meta.json and as an array member)", clash[0])
    present = set(fitted) | set(specs)
    if not present & {*_LINEAR_CORE, "classes_"}:
        _check_strengths(fitted, specs, where)
        return
    classifier = "classes_" in present or _is_classifier(est)
    required = _LINEAR_CORE + (("classes_",) if classifier else ())
    missing = [name for name in required if name not in present]
    if missing:
        raise ModelFileError(
            f"{where} is missing fitted attribute(s) {', '.join(missing)}: a fitted "
            f"{type(est).__name__} needs {', '.join(required)}", missing[0])
    p = _n_features(fitted, where)
    coef = _coef_spec(specs, fitted, p, _coef_ndims(est), where)
    rows = coef.shape[0] if len(coef.shape) == 2 else None
    _check_intercept(fitted, specs, rows, where)
    if classifier:
        multilabel = fitted.get("multilabel_", False)
        if "multilabel_" in specs or not isinstance(multilabel, bool):
            shown = "an array" if "multilabel_" in specs else repr(multilabel)
            raise _attr_error(where, "multilabel_", f"is {shown}, not true or false")
        _check_classes(specs, fitted, rows, multilabel, where)
    _check_feature_names(specs, fitted, p, where)
    _check_strengths(fitted, specs, where)


def _is_classifier(est: Any) -> bool:
    from sklearn.base import is_classifier  # here: importing ridgeline.io stays light

    try:
        return bool(is_classifier(est))
    except (AttributeError, TypeError, ValueError):
        return getattr(est, "_estimator_type", None) == "classifier"


def _attr_error(where: str, name: str, problem: str) -> ModelFileError:
    return ModelFileError(f"{where}: fitted attribute {name} {problem}", name)


def _array_spec(specs: Mapping[str, ArraySpec], fitted: Mapping[str, Any], name: str,
                kinds: str, kind_words: str, where: str) -> ArraySpec:
    """The spec of an attribute that must be an array member of one of ``kinds``."""
    if name not in specs:
        value = fitted[name]
        raise _attr_error(where, name, f"must be {kind_words} array, got "
                                       f"{type(value).__name__} {_short(value)}")
    spec = specs[name]
    if spec.dtype.kind not in kinds:
        raise _attr_error(where, name, f"must be {kind_words} array, got dtype {spec.dtype} "
                                       f"(member {name}.npy)")
    return spec


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _n_features(fitted: Mapping[str, Any], where: str) -> int:
    if "n_features_in_" not in fitted:
        raise _attr_error(where, "n_features_in_", "must be an integer in meta.json, not an array")
    p = fitted["n_features_in_"]
    if not isinstance(p, int) or isinstance(p, bool):
        raise _attr_error(where, "n_features_in_", f"must be an integer, got "
                                                   f"{type(p).__name__} {_short(p)}")
    if p < 1:
        raise _attr_error(where, "n_features_in_", f"is {p}; a fitted model has at least one "
                                                   "feature")
    return p


def _coef_ndims(est: Any) -> tuple[int, ...]:
    """The ``coef_`` dimensions the estimator's ``predict`` handles."""
    from ridgeline.estimators.logistic import LogisticMixin
    from ridgeline.estimators.poisson import PoissonRegressor

    if isinstance(est, LogisticMixin):
        return (2,)
    if isinstance(est, PoissonRegressor):
        return (1,)
    return (1, 2)


def _coef_spec(specs: Mapping[str, ArraySpec], fitted: Mapping[str, Any], p: int,
               ndims: tuple[int, ...], where: str) -> ArraySpec:
    coef = _array_spec(specs, fitted, "coef_", "f", "a float", where)
    shape = coef.shape
    if len(shape) not in ndims or shape[-1] != p or (len(shape) == 2 and shape[0] < 1):
        need = " or ".join({1: f"({p},)", 2: f"(k, {p}) with k >= 1"}[n] for n in ndims)
        raise _attr_error(where, "coef_", f"has shape {shape}; n_features_in_ = {p} needs "
                                          f"{need} (member coef_.npy)")
    return coef


def _check_intercept(fitted: Mapping[str, Any], specs: Mapping[str, ArraySpec],
                     rows: int | None, where: str) -> None:
    """A number for one row of ``coef_``; else a float array of one entry per row."""
    if "intercept_" in fitted:
        value = fitted["intercept_"]
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise _attr_error(where, "intercept_", f"must be a number or a float array, got "
                                                   f"{type(value).__name__} {_short(value)}")
        shape: tuple[int, ...] = ()
    else:
        shape = _array_spec(specs, fitted, "intercept_", "f", "a float", where).shape
    expected = 1 if rows is None else rows
    ok = expected == 1 if shape == () else len(shape) == 1 and shape[0] == expected
    if not ok:
        coef = "one row" if rows is None else f"{rows} row(s)"
        raise _attr_error(where, "intercept_", f"has shape {shape}, but coef_ has {coef}: "
                                               f"it needs {expected} value(s)")


def _check_classes(specs: Mapping[str, ArraySpec], fitted: Mapping[str, Any], rows: int | None,
                   multilabel: bool, where: str) -> None:
    spec = _array_spec(specs, fitted, "classes_", "biufU", "a boolean, integer, float or "
                                                           "unicode", where)
    if len(spec.shape) != 1 or spec.shape[0] < 2:
        raise _attr_error(where, "classes_", f"has shape {spec.shape}; a classifier has a 1-d "
                                             "array of at least two classes")
    if multilabel:
        return
    n_classes = spec.shape[0]
    ok = (rows is None and n_classes == 2) or rows == n_classes or (rows == 1 and n_classes == 2)
    if not ok:
        shape = "(p,)" if rows is None else f"{rows} row(s)"
        raise _attr_error(where, "classes_", f"holds {n_classes} classes but coef_ has {shape}")


def _check_feature_names(specs: Mapping[str, ArraySpec], fitted: Mapping[str, Any], p: int,
                         where: str) -> None:
    if "feature_names_in_" not in specs and "feature_names_in_" not in fitted:
        return
    spec = _array_spec(specs, fitted, "feature_names_in_", "U", "a unicode", where)
    if spec.shape != (p,):
        raise _attr_error(where, "feature_names_in_", f"has shape {spec.shape}; "
                                                      f"n_features_in_ = {p} needs ({p},)")


def _check_strengths(fitted: Mapping[str, Any], specs: Mapping[str, ArraySpec],
                     where: str) -> None:
    """``alpha_``, ``C_``, ``lambda_`` ...: a non-negative number or a numeric array."""
    for name in _STRENGTHS:
        if name in specs:
            spec = specs[name]
            if spec.dtype.kind not in "iuf" or len(spec.shape) > 1:
                raise _attr_error(where, name, f"must be a number or a 1-d numeric array, got "
                                               f"{spec.describe()}")
        elif name in fitted:
            value = fitted[name]
            if (not isinstance(value, int | float) or isinstance(value, bool)
                    or value < 0):
                raise _attr_error(where, name, f"must be a non-negative number, got "
                                               f"{type(value).__name__} {_short(value)}")


# --------------------------------------------------------------------------- values


def check_fitted_values(arrays: Mapping[str, np.ndarray], *, where: str) -> None:
    """Refuse non-finite coefficients and repeated or non-finite class labels.

    Parameters
    ----------
    arrays : mapping of str to numpy.ndarray
        The array-stored fitted attributes, as read (after :func:`check_fitted_layout`).
    where : str
        How messages name the file.

    Raises
    ------
    ModelFileError
        If ``coef_`` or ``intercept_`` holds NaN or infinity, or ``classes_`` holds a
        repeated label or a NaN, naming the attribute and the first bad position.
    """
    for name in ("coef_", "intercept_"):
        if name in arrays:
            _require_finite(arrays[name], name, "coefficients", where)
    classes = arrays.get("classes_")
    if classes is not None and classes.ndim == 1:
        if classes.dtype.kind == "f":
            _require_finite(classes, "classes_", "class labels", where)
        if np.unique(classes).size != classes.size:
            raise _attr_error(where, "classes_", "holds a repeated class label")


def _require_finite(array: np.ndarray, name: str, what: str, where: str) -> None:
    finite = np.isfinite(array)
    if not finite.all():
        index = tuple(int(i) for i in np.argwhere(~finite)[0])
        value = array[index] if index else array[()]
        at = f" at {index if len(index) > 1 else index[0]}" if index else ""
        raise _attr_error(where, name, f"holds {value}{at} (member {name}.npy): a model needs "
                                       f"finite {what}")
