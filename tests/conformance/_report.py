"""Per-suite outcome counts for the terminal summary, and the optional results file.

Each conformance test ends in exactly one bucket:

``passed``, ``failed`` (includes errors in setup), ``listed`` (``differences.toml``),
``wording`` (xfailed by the message-wording rule), ``untriaged`` (``known_failures.txt``,
xfailed or skipped), ``fixed?`` (an untriaged test that passed: drop it from
``known_failures.txt``), ``skipped`` (scikit-learn's own skips, e.g. an array library that
is not installed).  ``deselected:<rule>`` counts come from collection.

With ``RIDGELINE_CONFORMANCE_RESULTS=path`` every outcome is also written to ``path`` as
JSON lines (id, bucket, seconds, error line): ``triage.py`` reads it.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict

from conformance._lists import UNTRIAGED
from conformance._wording import REASON_PREFIX

DIFFERENCE = "deliberate difference"
COLUMNS = ("passed", "failed", "listed", "wording", "untriaged", "fixed?", "skipped")


def _skip_reason(report) -> str:
    """The reason of a skipped report (``Skipped: ...`` stripped)."""
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return text.removeprefix("Skipped: ")


def bucket(report) -> str:
    """The bucket of a finished test's decisive report."""
    reason = getattr(report, "wasxfail", None)
    if reason is not None:
        if reason.startswith(REASON_PREFIX):
            return "wording"
        if reason.startswith(DIFFERENCE):
            return "listed"
        if reason.startswith(UNTRIAGED):
            return "fixed?" if report.passed else "untriaged"
        return "passed" if report.passed else "skipped"
    if report.skipped:
        reason = _skip_reason(report)
        if reason.startswith(DIFFERENCE):
            return "listed"
        return "untriaged" if reason.startswith(UNTRIAGED) else "skipped"
    return "passed" if report.passed else "failed"


_DETAIL = ("Not equal", "Arrays are not", "Mismatched elements", "Max absolute", "Max relative")


def error_line(report) -> str:
    """The one-line cause of a failure (``ExcType: message``, with numpy's tolerance and
    largest-difference lines for an array comparison), else ``""``."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is None:
        text = str(report.longrepr or "").strip()
        return text.splitlines()[-1] if text else ""
    lines = [ln.strip() for ln in (crash.message or "").splitlines() if ln.strip()]
    keep = lines[:1] + [ln for ln in lines[1:] if ln.startswith(_DETAIL)]
    return " / ".join(keep)[:300]


def test_line(report) -> str:
    """The failing line of scikit-learn's test file (``lineno: source``), else ``""``."""
    chain = getattr(report.longrepr, "chain", None) or [
        (getattr(report.longrepr, "reprtraceback", None), None, None)]
    for traceback, _, _ in reversed(chain):
        for entry in reversed(getattr(traceback, "reprentries", None) or []):
            loc = getattr(entry, "reprfileloc", None)
            path = loc.path.replace("\\", "/") if loc is not None else ""
            if "sklearn/" not in path or "/tests/" not in path:
                continue
            source = [ln[1:].strip() for ln in entry.lines if ln.startswith(">")]
            return f"{loc.lineno}: {source[-1] if source else ''}"
    return ""


class Tally:
    """Collects outcomes per suite; prints the table; writes the results file."""

    def __init__(self):
        """Empty counts; the results file opened when ``RIDGELINE_CONFORMANCE_RESULTS`` is set."""
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.seconds: Counter = Counter()
        path = os.environ.get("RIDGELINE_CONFORMANCE_RESULTS")
        self.out = open(path, "w", encoding="utf-8") if path else None  # noqa: SIM115

    def deselected(self, suite: str, rule: str, test_id: str) -> None:
        """Count a test removed at collection by ``rule`` (and log it when asked to)."""
        self.counts[suite][f"deselected:{rule}"] += 1
        self._write({"id": test_id, "bucket": f"deselected:{rule}", "seconds": 0.0})

    def _write(self, line: dict) -> None:
        """One JSON line to the results file, if there is one."""
        if self.out is not None:
            self.out.write(json.dumps(line) + "\n")
            self.out.flush()

    def record(self, suite: str, test_id: str, report, seconds: float) -> None:
        """Count a finished test (its decisive report) and log it when asked to."""
        kind = bucket(report)
        self.counts[suite][kind] += 1
        self.seconds[suite] += seconds
        if self.out is not None:
            self._write({"id": test_id, "bucket": kind, "seconds": round(seconds, 3),
                         "error": error_line(report) if kind == "failed" else "",
                         "line": test_line(report) if kind == "failed" else "",
                         "reason": getattr(report, "wasxfail", "") or (
                             _skip_reason(report) if report.skipped else "")})

    def lines(self, rules) -> list[str]:
        """The summary table, one row per suite (``-rule``: deselected by that rule)."""
        keys = [*COLUMNS, *(f"deselected:{r}" for r in rules)]
        heads = [*COLUMNS, *(f"-{r}" for r in rules), "seconds"]
        width = [len(h) + 2 for h in heads]
        rows = ["suite".ljust(28) + "".join(h.rjust(w) for h, w in zip(heads, width, strict=True))]
        total: Counter = Counter()
        for suite in sorted(self.counts):
            total.update(self.counts[suite])
            rows.append(self._row(suite, self.counts[suite], keys, width,
                                  self.seconds[suite]))
        rows.append(self._row("total", total, keys, width, sum(self.seconds.values())))
        return rows

    @staticmethod
    def _row(name, counts, keys, width, seconds) -> str:
        """One table row."""
        cells = [str(counts[k]).rjust(w) for k, w in zip(keys, width, strict=False)]
        return name.ljust(28) + "".join(cells) + f"{seconds:.1f}".rjust(width[-1])

    def close(self) -> None:
        """Close the results file."""
        if self.out is not None:
            self.out.close()
