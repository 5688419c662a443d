"""Lazy public names of a package (PEP 562): import a submodule when a name is first used.

``import ridgeline`` then costs almost nothing, and ``from ridgeline import RidgeCV`` imports only
what ``RidgeCV`` needs. A package declares where each public name lives::

    __getattr__, __dir__ = attach(__name__, {"ridgeline.estimators": ["Ridge", "RidgeCV"]})

Attribute access (``ridgeline.RidgeCV``), ``from ridgeline import RidgeCV`` and
``from ridgeline import *`` all go through the module's ``__getattr__``, which imports the
submodule, stores the value in the package's namespace (so the next access is a plain lookup)
and returns it. A name that is not declared but is a submodule of the package
(``ridgeline.stats.files``) is imported as a submodule, as an eager ``__init__`` would have.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def attach(package: str, names: Mapping[str, Iterable[str]]
           ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose public names load on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : mapping of str to iterable of str
        For each module (absolute name, or ``"."`` for a submodule named like the attribute),
        the public names it defines.

    Returns
    -------
    getattr, dir : callable
        Functions to assign to the package's ``__getattr__`` and ``__dir__``.

    Raises
    ------
    ValueError
        If a name is declared in two modules.
    """
    where: dict[str, str] = {}
    for module, attrs in names.items():
        for attr in attrs:
            if attr in where:
                raise ValueError(f"{package}: {attr!r} is declared in {where[attr]} and {module}")
            where[attr] = f"{package}.{attr}" if module == "." else module

    def __getattr__(name: str) -> Any:
        namespace = sys.modules[package].__dict__
        module = where.get(name)
        if module is None:
            if name.startswith("__") or importlib.util.find_spec(f"{package}.{name}") is None:
                raise AttributeError(f"module {package!r} has no attribute {name!r}")
            value = importlib.import_module(f"{package}.{name}")
        elif module == f"{package}.{name}":  # the public name is a submodule
            value = importlib.import_module(module)
        else:
            value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(sys.modules[package].__dict__) | set(where))

    return __getattr__, __dir__
