"""Load an installed scikit-learn test file with ridgeline's estimators in place of its own.

Nothing of scikit-learn's test code is copied into this tree: at collection time the
installed file's source is parsed, its ``from sklearn.linear_model[...] import`` statements
are rewritten so that every public estimator class ridgeline also ships comes from
``ridgeline`` instead, pytest's assertion rewriting is applied, and the result is compiled
(with the installed file's name, so tracebacks show scikit-learn's lines) and executed as
the module ``conformance.sk_<stem>``.

Only public estimator *classes* are substituted: a name is taken from ridgeline when
``ridgeline.__all__`` exports a ``BaseEstimator`` subclass of that name and
``sklearn.linear_model`` has one too.  Functions (``enet_path``, ``ridge_regression``)
and private names (``_RidgeGCV``) stay scikit-learn's.
"""

from __future__ import annotations

import ast
import sys
import types
from functools import cache
from pathlib import Path

REPLACED_PACKAGE = "sklearn.linear_model"


@cache
def substitutes() -> dict[str, type]:
    """Public estimator classes ridgeline provides under scikit-learn's names."""
    import sklearn.linear_model
    from sklearn.base import BaseEstimator

    import ridgeline

    out = {}
    for name in ridgeline.__all__:
        obj = getattr(ridgeline, name)
        if (isinstance(obj, type) and issubclass(obj, BaseEstimator)
                and hasattr(sklearn.linear_model, name)):
            out[name] = obj
    return out


def sklearn_root() -> Path:
    """The installed ``sklearn`` package directory."""
    import sklearn

    return Path(sklearn.__file__).parent


def suite_target(stub: Path) -> str | None:
    """The ``SKLEARN_TESTS`` string a stub file declares (read statically), or None."""
    tree = ast.parse(stub.read_text(encoding="utf-8"))
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "SKLEARN_TESTS"
                and isinstance(node.value, ast.Constant)):
            return str(node.value.value)
    return None


def _is_replaced_module(module: str | None) -> bool:
    """``sklearn.linear_model`` or one of its submodules (``._ridge``, ``._glm`` ...)."""
    return module is not None and (module == REPLACED_PACKAGE
                                   or module.startswith(REPLACED_PACKAGE + "."))


class _ImportRewriter(ast.NodeTransformer):
    """Split ``from sklearn.linear_model... import A, B`` into ridgeline and sklearn parts."""

    def __init__(self, names: dict[str, type]):
        """``names``: the classes to take from ridgeline, by name."""
        self.names = names
        self.replaced: list[str] = []

    def visit_ImportFrom(self, node: ast.ImportFrom):
        """Take the names ridgeline provides from ``ridgeline``; keep the others."""
        if not _is_replaced_module(node.module) or node.level:
            return node
        ours = [a for a in node.names if a.name in self.names]
        if not ours:
            return node
        self.replaced += [a.asname or a.name for a in ours]
        new = [ast.ImportFrom(module="ridgeline", names=ours, level=0)]
        rest = [a for a in node.names if a.name not in self.names]
        if rest:
            new.insert(0, ast.ImportFrom(module=node.module, names=rest, level=0))
        for stmt in new:
            ast.copy_location(stmt, node)
        return new


def rewritten_tree(source: str, filename: str) -> tuple[ast.Module, list[str]]:
    """The parsed test file with ridgeline's classes imported; also the names replaced."""
    tree = ast.parse(source, filename=filename)
    rewriter = _ImportRewriter(substitutes())
    tree = ast.fix_missing_locations(rewriter.visit(tree))
    return tree, rewriter.replaced


def load_suite(target: Path, stem: str, config=None) -> types.ModuleType:
    """Compile and execute the rewritten ``target`` as module ``conformance.sk_<stem>``."""
    source = target.read_text(encoding="utf-8")
    tree, replaced = rewritten_tree(source, str(target))
    try:
        from _pytest.assertion.rewrite import rewrite_asserts

        rewrite_asserts(tree, source.encode(), str(target), config)
    except ImportError:  # pragma: no cover - plain asserts still work
        pass
    code = compile(tree, str(target), "exec", dont_inherit=True)
    name = f"conformance.sk_{stem}"
    module = types.ModuleType(name)
    module.__file__ = str(target)
    module.__conformance_replaced__ = tuple(replaced)
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module
