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
