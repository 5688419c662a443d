"""Deselection rules: which collected scikit-learn tests do not test a ridgeline drop-in.

Every rule is decided from the test file itself (static inspection of the test function's
source, the module-level helpers it calls, the module-level fixtures it requests) and from
the test's parameter values; no test is named by hand.  In the order they apply:

``internal``
    The test function, or a module-level helper/class it uses (transitively), references a
    private name of ``sklearn.linear_model``: a name starting with ``_`` or one imported from
    a private submodule (``_solve_cholesky``, ``_RidgeGCV``, ``_logistic_regression_path``,
    ``cd_fast``, ``LinearModelLoss``, ``NewtonCholeskySolver`` ...).  Fixtures are not
    followed here: a fixture that uses an internal to compute a *reference* answer does not
    make the test a test of that internal.
    A string naming a private module of it (``monkeypatch.setattr("sklearn.linear_model.
    _coordinate_descent.Lasso", ...)``) counts too.
``internal-param``
    A parameter value (of ``parametrize`` or of a parametrized fixture) is such a private
    object, or an instance/subclass defined in the test file of a private base class (e.g.
    ``_GeneralizedLinearRegressor``, which ridgeline has no counterpart of).
``sklearn-only``
    Nothing in the test (function, helpers, fixtures, parameter values) involves an
    estimator ridgeline replaces: it tests scikit-learn against itself
    (``MultiTaskLasso``, ``GammaRegressor``, ``SGDClassifier`` ...).
``private-api``
    The test, a helper or a fixture it uses reads a private attribute of scikit-learn's
    estimator that ridgeline's class of the same name lacks (``model._get_loss()``,
    ``clf._predict_proba_lr``, ``lrcv._get_scorer()``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cache

from conformance._loader import REPLACED_PACKAGE, substitutes

RULES = {
    "internal": "uses a private name of sklearn.linear_model",
    "internal-param": "a parameter is a private sklearn.linear_model object",
    "sklearn-only": "involves no estimator ridgeline replaces",
    "private-api": "reads a private attribute of scikit-learn's estimator",
}


def _is_private_path(module: str) -> bool:
    """True for a private submodule of the replaced package (``sklearn.linear_model._x``)."""
    rest = module[len(REPLACED_PACKAGE):].lstrip(".")
    return any(part.startswith("_") for part in rest.split(".") if part)


@dataclass
class ModuleIndex:
    """Top-level definitions, imports and fixtures of one test module's source."""

    defs: dict[str, ast.AST] = field(default_factory=dict)
    internal: set[str] = field(default_factory=set)
    replaced: set[str] = field(default_factory=set)
    fixtures: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, tree: ast.Module) -> ModuleIndex:
        """Index ``tree`` (the *original* source: imports as scikit-learn wrote them)."""
        import sklearn.linear_model

        index = cls()
        ours = substitutes()
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    local = alias.asname or alias.name
                    if node.module.startswith(REPLACED_PACKAGE) and alias.name in ours:
                        index.replaced.add(local)
                    elif node.module.startswith(REPLACED_PACKAGE) and (
                            alias.name.startswith("_") or (
                                _is_private_path(node.module)
                                and not hasattr(sklearn.linear_model, alias.name))):
                        index.internal.add(local)
            elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                index.defs[node.name] = node
                if any(_is_fixture(d) for d in getattr(node, "decorator_list", [])):
                    index.fixtures.add(node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name):
                            index.defs.setdefault(n.id, node)
        return index

    def function(self, name: str, cls_name: str | None) -> ast.AST | None:
        """The ``def`` node of a test function (or method of a top-level class)."""
        if cls_name is None:
            return self.defs.get(name)
        owner = self.defs.get(cls_name)
        for node in getattr(owner, "body", []):
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return node
        return None

    def references(self, func: ast.AST, extra: set[str], *, fixtures: bool) -> Facts:
        """What ``func`` (and the module-level ``extra`` names) use, following module-level
        helpers and, optionally, fixtures."""
        seen: set[str] = set()
        facts = Facts.of(func)
        todo = [facts.names, extra]
        if fixtures and isinstance(func, ast.FunctionDef):
            todo.append({a.arg for a in func.args.args} & self.fixtures)
        while todo:
            for name in todo.pop() - seen:
                seen.add(name)
                node = self.defs.get(name)
                if node is None or (name in self.fixtures and not fixtures):
                    continue
                more = Facts.of(node)
                facts.merge(more)
                todo.append(more.names)
                if fixtures and isinstance(node, ast.FunctionDef) and name in self.fixtures:
                    todo.append({a.arg for a in node.args.args} & self.fixtures)
        facts.names |= seen
        return facts


@dataclass
class Facts:
    """Names, attribute names and string constants found in some definitions."""

    names: set[str]
    attrs: set[str]
    strings: set[str]

    @classmethod
    def of(cls, node: ast.AST) -> Facts:
        """The facts of one definition: a function's decorators are left out (parameters
        are judged from their values), a class's base classes are included."""
        parts = [node]
        if isinstance(node, ast.FunctionDef):
            parts = [*node.body, *node.args.defaults, *node.args.kw_defaults]
        nodes = [n for part in parts if part is not None for n in ast.walk(part)]
        return cls({n.id for n in nodes if isinstance(n, ast.Name)},
                   {n.attr for n in nodes if isinstance(n, ast.Attribute)},
                   {n.value for n in nodes
                    if isinstance(n, ast.Constant) and isinstance(n.value, str)})

    def merge(self, other: Facts) -> None:
        """Add ``other``'s facts to these."""
        self.names |= other.names
        self.attrs |= other.attrs
        self.strings |= other.strings


@cache
def private_api() -> frozenset[str]:
    """Private attributes of scikit-learn's replaced estimators that ridgeline's lack."""
    import sklearn.linear_model

    out: set[str] = set()
    for name, ours in substitutes().items():
        theirs = getattr(sklearn.linear_model, name)
        out |= {a for a in dir(theirs) if a.startswith("_") and not a.startswith("__")
                and not hasattr(ours, a)}
    return frozenset(out)


def _is_fixture(decorator: ast.AST) -> bool:
    """``@pytest.fixture`` or ``@pytest.fixture(...)``."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr == "fixture"


def _names_private_module(text: str) -> bool:
    """A string such as ``"sklearn.linear_model._coordinate_descent.Lasso"``."""
    return text.startswith(REPLACED_PACKAGE + ".") and _is_private_path(text)


def _is_internal_object(obj, module_name: str) -> bool:
    """A private sklearn.linear_model object, an instance of one, or a class of the test file
    built on one."""
    cls = obj if isinstance(obj, type) else type(obj)
    if callable(obj) and not isinstance(obj, type) and hasattr(obj, "__name__"):
        mod = getattr(obj, "__module__", "") or ""
        return mod.startswith(REPLACED_PACKAGE) and obj.__name__.startswith("_")
    for klass in cls.__mro__:
        mod = klass.__module__ or ""
        if klass.__name__.startswith("_") and mod.startswith(REPLACED_PACKAGE):
            return cls.__name__.startswith("_") or cls.__module__ == module_name
    return False


def _is_ours(obj) -> bool:
    """A ridgeline class or an instance of one."""
    cls = obj if isinstance(obj, type) else type(obj)
    return (cls.__module__ or "").split(".")[0] == "ridgeline"


def _flatten(values):
    """Parameter values, with tuples/lists/dicts opened (fixture params are often tuples)."""
    for v in values:
        if isinstance(v, tuple | list):
            yield from _flatten(v)
        elif isinstance(v, dict):
            yield from _flatten(v.values())
        else:
            yield v


def rule_for(index: ModuleIndex, item, module_name: str) -> str | None:
    """The first rule that deselects ``item`` (a pytest Function), or None to keep it."""
    cls_name = item.cls.__name__ if getattr(item, "cls", None) else None
    func = index.function(item.originalname, cls_name)
    if func is None:
        return None
    callspec = getattr(item, "callspec", None)
    params = list(_flatten(callspec.params.values())) if callspec else []
    # a helper of the test file passed as a parameter is read like a call to it
    helpers = {v.__name__ for v in params
               if getattr(v, "__module__", None) == module_name and hasattr(v, "__name__")}
    own = index.references(func, helpers, fixtures=False)
    if own.names & index.internal or any(_names_private_module(t) for t in own.strings):
        return "internal"
    if any(_is_internal_object(v, module_name) for v in params):
        return "internal-param"
    full = index.references(func, helpers, fixtures=True)
    if not full.names & index.replaced and not any(_is_ours(v) for v in params):
        return "sklearn-only"
    if full.attrs & private_api():
        return "private-api"
    return None
