"""scikit-learn's own test files, run on ridgeline's drop-in estimators (issue 17).

How it works (details in README.md of this directory):

1. Each ``test_<suite>.py`` here is a stub naming an installed scikit-learn test file
   (``SKLEARN_TESTS``).  :func:`pytest_pycollect_makemodule` collects it as a
   :class:`ConformanceModule`, whose module object is the installed file compiled with its
   ``sklearn.linear_model`` imports rewritten to ridgeline's classes (``_loader``).  Test ids
   read ``tests/conformance/test_ridge.py::test_name[params]``.
2. Tests that do not test a ridgeline drop-in are deselected by rule (``_rules``).
3. ``pytest.raises(match=)`` that fails only on the wording is recorded, and a test that
   otherwise passes is xfailed by the wording rule (``_wording``).
4. ``differences.toml`` (reviewed) → xfail(strict=True); ``known_failures.txt``
   (generated, untriaged) → xfail(strict=False) or skip; ``slow.txt`` → ``slow`` marker.

Environment: ``RIDGELINE_CONFORMANCE_UNTRIAGED=run`` ignores ``known_failures.txt`` (the
untriaged failures fail); ``RIDGELINE_CONFORMANCE_TIMEOUT`` (seconds, default 120) bounds
each test's call; ``RIDGELINE_CONFORMANCE_RESULTS=path`` writes every outcome as JSON
lines; ``SKLEARN_TESTS_GLOBAL_RANDOM_SEED`` works as in scikit-learn.
"""

from __future__ import annotations

import ast
import os
import signal
from pathlib import Path

import numpy as np
import pytest

try:  # scikit-learn's own definitions, so that its tests see the same fixtures
    from sklearn.conftest import global_dtype
    from sklearn.conftest import pytest_generate_tests as _sklearn_generate_tests
except ImportError:  # pragma: no cover - a scikit-learn installed without its conftest

    @pytest.fixture(params=[np.float64])
    def global_dtype(request):
        """float64 only (scikit-learn runs float32 with SKLEARN_RUN_FLOAT32_TESTS=1)."""
        return request.param

    def _sklearn_generate_tests(metafunc):
        """``global_random_seed`` = 42, scikit-learn's default."""
        if "global_random_seed" in metafunc.fixturenames:
            metafunc.parametrize("global_random_seed", [42])

from conformance import _lists, _wording
from conformance._loader import load_suite, sklearn_root, suite_target
from conformance._report import DIFFERENCE, Tally
from conformance._rules import RULES, ModuleIndex, rule_for

HERE = Path(__file__).parent
TIMEOUT = float(os.environ.get("RIDGELINE_CONFORMANCE_TIMEOUT", "120"))
_TALLY = Tally()
_DECISIVE: dict[str, tuple] = {}


class ConformanceTimeout(BaseException):
    """A conformance test ran past ``RIDGELINE_CONFORMANCE_TIMEOUT`` (a BaseException, so
    that ``except Exception`` in the code under test does not swallow it)."""


class ConformanceModule(pytest.Module):
    """A stub file whose module object is the rewritten, installed scikit-learn test file."""

    index: ModuleIndex

    def _getobj(self):
        """Load the installed file named by the stub (skip the module if it is absent)."""
        relative = suite_target(self.path)
        target = sklearn_root() / relative
        if not target.exists():
            pytest.skip(f"{relative} is not installed with this scikit-learn",
                        allow_module_level=True)
        module = load_suite(target, self.path.stem, self.config)
        self.index = ModuleIndex.build(ast.parse(target.read_text(encoding="utf-8")))
        module.pytest = _wording.PytestProxy()
        return module


def pytest_configure(config):
    """Register the markers scikit-learn's test files use (``--strict-markers``)."""
    for line in ("thread_unsafe: scikit-learn marker (free-threading runs)",
                 "parallel_threads(n): scikit-learn marker (free-threading runs)",
                 "iterations(n): scikit-learn marker (free-threading runs)"):
        config.addinivalue_line("markers", line)
    # scikit-learn's files parametrize with generators; pytest 9 warns at collection
    config.addinivalue_line(
        "filterwarnings",
        "ignore:Passing a non-Collection iterable to parametrize:pytest.PytestRemovedIn10Warning")


def pytest_pycollect_makemodule(module_path: Path, parent):
    """Collect this directory's stubs as :class:`ConformanceModule`."""
    if module_path.parent == HERE and suite_target(module_path):
        return ConformanceModule.from_parent(parent, path=module_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc):
    """``global_random_seed`` exactly as in scikit-learn (``SKLEARN_TESTS_GLOBAL_RANDOM_SEED``).

    ``tryfirst``: the seed leads every id (``test_x[42-long-...]``) however pytest was
    started; otherwise the id order would depend on when this conftest was loaded."""
    _sklearn_generate_tests(metafunc)


def _module_of(item) -> ConformanceModule | None:
    """The conformance module an item belongs to, if any."""
    node = item.getparent(pytest.Module)
    return node if isinstance(node, ConformanceModule) else None


def list_id(item) -> str:
    """The id used in the lists: ``test_ridge.py::test_name[params]``."""
    return f"{item.path.name}::{item.nodeid.split('::', 1)[1]}"


def _mark(item, differences, known, slow) -> None:
    """Apply the differences / known-failures / slow lists to one kept item."""
    tid = list_id(item)
    entry = _lists.lookup(differences, tid, patterns=True)
    if entry is not None:
        reason = f"{DIFFERENCE}: {entry.reason}"
        mark = (pytest.mark.skip(reason=reason) if entry.kind == "skip"
                else pytest.mark.xfail(strict=True, reason=reason))
        item.add_marker(mark)
    elif (entry := _lists.lookup(known, tid)) is not None:
        reason = f"{_lists.UNTRIAGED}: {entry.kind}: {entry.reason}"
        mark = (pytest.mark.skip(reason=reason) if entry.kind == "timeout"
                else pytest.mark.xfail(strict=False, reason=reason))
        item.add_marker(mark)
    if _lists.lookup(slow, tid) is not None:
        item.add_marker(pytest.mark.slow)


def pytest_collection_modifyitems(config, items):
    """Deselect by rule, then mark from the lists (only this directory's items)."""
    differences = _lists.differences()
    known = {} if os.environ.get("RIDGELINE_CONFORMANCE_UNTRIAGED") == "run" \
        else _lists.known_failures()
    slow = _lists.slow_tests()
    kept, dropped = [], []
    for item in items:
        module = _module_of(item)
        if module is None:
            kept.append(item)
            continue
        rule = rule_for(module.index, item, module.obj.__name__)
        if rule is not None:
            _TALLY.deselected(item.path.name, rule, list_id(item))
            dropped.append(item)
            continue
        _mark(item, differences, known, slow)
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _on_alarm(signum, frame):
    """SIGALRM handler: abort the running test."""
    raise ConformanceTimeout(f"over {TIMEOUT:g} s (RIDGELINE_CONFORMANCE_TIMEOUT)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Run a conformance test under the wording recorder and the time limit."""
    if _module_of(item) is None:
        return (yield)
    _wording.reset()
    armed = TIMEOUT > 0 and hasattr(signal, "SIGALRM")
    if armed:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
    try:
        return (yield)
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that passed with only message-wording mismatches is xfailed by that rule."""
    report = yield
    if call.when == "call" and report.passed and _module_of(item) is not None:
        reason = _wording.reason()
        if reason is not None and not hasattr(report, "wasxfail"):
            report.outcome = "skipped"
            report.wasxfail = reason
    return report


def pytest_runtest_logreport(report):
    """Tally each conformance test once, from its decisive report, at teardown."""
    prefix = f"{HERE.name}/"
    if f"/{prefix}" not in f"/{report.nodeid}" or "::" not in report.nodeid:
        return
    path, _, rest = report.nodeid.partition("::")
    tid = f"{Path(path).name}::{rest}"
    seconds, decisive = _DECISIVE.get(tid, (0.0, None))
    seconds += report.duration
    if report.when == "call" or (report.when == "setup" and not report.passed) or (
            report.when == "teardown" and report.failed):
        decisive = report
    if report.when != "teardown":
        _DECISIVE[tid] = (seconds, decisive)
        return
    _DECISIVE.pop(tid, None)
    if decisive is not None:
        _TALLY.record(Path(path).name, tid, decisive, seconds)


def pytest_terminal_summary(terminalreporter):
    """Per-suite counts: outcomes, and tests deselected by each rule."""
    if not _TALLY.counts:
        return
    terminalreporter.section("ridgeline conformance (scikit-learn's tests, issue 17)")
    for line in _TALLY.lines(list(RULES)):
        terminalreporter.write_line(line)
    _TALLY.close()
