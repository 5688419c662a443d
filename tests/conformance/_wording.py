"""The wording rule: same exception type (or warning category), different words.

scikit-learn's tests pin messages with ``pytest.raises(SomeError, match=...)`` and
``pytest.warns(SomeWarning, match=...)``.  ridgeline raises the same exception type (emits
the same warning category) for the same problem but words it its own way.  Inside the
conformance modules ``pytest`` is replaced by :class:`PytestProxy`, whose ``raises`` and
``warns`` check the type/category exactly as pytest does and, when only ``match`` fails,
record the pair (pattern, message) and let the test go on.  If the test then passes, the
conftest reports it as xfailed by this rule (the reason shows the first pair); if it fails
for another reason, that failure is reported as usual.  A missing exception or warning, or
one of another type, fails as in pytest.
"""

from __future__ import annotations

import contextlib
import re

import pytest

#: (pattern, actual message) pairs recorded while the current test runs
RECORDED: list[tuple[str, str]] = []

REASON_PREFIX = "rule wording: same exception type or warning category, message differs"


def _matches(pattern, exc: BaseException) -> bool:
    """``re.search`` on the message (and notes) exactly as ``pytest.raises(match=)`` does."""
    text = "\n".join([str(exc), *getattr(exc, "__notes__", [])])
    return re.search(pattern, text) is not None


@contextlib.contextmanager
def _raises_cm(expected, match, kwargs):
    """Context manager form: the type is enforced, the wording only recorded."""
    __tracebackhide__ = True
    with pytest.raises(expected, **kwargs) as info:
        yield info
    if match is not None and not _matches(match, info.value):
        RECORDED.append((str(match), str(info.value)))


@contextlib.contextmanager
def _warns_cm(expected, match, kwargs):
    """Context manager form: the category is enforced, the wording only recorded."""
    __tracebackhide__ = True
    with pytest.warns(expected, **kwargs) as record:
        yield record
    if match is None:
        return
    ours = [w for w in record if issubclass(w.category, expected)]
    if not any(re.search(match, str(w.message)) for w in ours):
        RECORDED.append((str(match), str(ours[0].message) if ours else ""))


def _call_form(cm, expected, match, args, kwargs):
    """The legacy call form ``raises(Exc, func, *args, **kwargs)`` (and ``warns``)."""
    __tracebackhide__ = True
    func, *rest = args
    with cm(expected, match, {}) as info:
        result = func(*rest, **kwargs)
    return info if cm is _raises_cm else result


def raises(expected, *args, match=None, **kwargs):
    """``pytest.raises`` that records (instead of failing on) a ``match`` mismatch."""
    __tracebackhide__ = True
    if args:
        return _call_form(_raises_cm, expected, match, args, kwargs)
    return _raises_cm(expected, match, kwargs)


def warns(expected=Warning, *args, match=None, **kwargs):
    """``pytest.warns`` that records (instead of failing on) a ``match`` mismatch."""
    __tracebackhide__ = True
    if args:
        return _call_form(_warns_cm, expected, match, args, kwargs)
    return _warns_cm(expected, match, kwargs)


class PytestProxy:
    """Stands in for the ``pytest`` module inside a conformance module."""

    raises = staticmethod(raises)
    warns = staticmethod(warns)

    def __getattr__(self, name):
        """Everything but ``raises`` and ``warns`` is pytest's own."""
        return getattr(pytest, name)


def reset() -> None:
    """Forget the pairs recorded by the previous test."""
    RECORDED.clear()


def reason() -> str | None:
    """The xfail reason for the current test, or None when nothing was recorded."""
    if not RECORDED:
        return None
    pattern, message = RECORDED[0]
    more = f" (+{len(RECORDED) - 1} more)" if len(RECORDED) > 1 else ""
    return f"{REASON_PREFIX}: expected /{pattern}/, got {message[:160]!r}{more}"
