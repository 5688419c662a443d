"""Rendering ``rich`` tables to plain text (for ``str()``, logs and files)."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table


def render(table: Table, width: int = 110) -> str:
    """The table as plain text (no colour codes), ``width`` characters at most."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    console.print(table)
    return buffer.getvalue().rstrip("\n")


def show(table: Table) -> None:
    """Print the table to the terminal (with colour where the terminal has it)."""
    Console().print(table)


def fmt(value: float | None, spec: str = ".4g") -> str:
    """Format a number, ``—`` for ``None`` or NaN."""
    if value is None or value != value:
        return "—"
    return format(value, spec)


class TableView:
    """``summary()`` (plain text), ``print()`` and ``str()`` for a class with a ``table()``."""

    _text_width = 110

    def table(self) -> Table:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def summary(self) -> str:
        """The table of :meth:`table` as plain text."""
        return render(self.table(), width=self._text_width)

    def print(self) -> None:
        """Print the table to the terminal."""
        show(self.table())

    def __str__(self) -> str:
        return self.summary()
