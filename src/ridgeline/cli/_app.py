"""The typer application, the consoles, exit codes and the one-line error convention.

This module and the command modules' signatures are all that ``ridgeline --help`` (or a usage
error) imports: NumPy, scikit-learn and the rest of ridgeline load inside the commands, after
the arguments are parsed (tests/test_startup.py).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.segment import Segments
from rich.table import Table as RichTable
from typer.core import TyperCommand, TyperGroup

try:  # recent typer vendors click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer depends on click itself
    from click.exceptions import ClickException

EXIT_OK = 0
EXIT_FIT_FAILED = 1
EXIT_BAD_INPUT = 2

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class BadInput(Exception):
    """A user error: reported as one line with exit code 2."""


def memory_message(exc: BaseException) -> str:
    """One line for a MemoryError: what ran out (the allocation that failed) and what to try."""
    detail = " ".join(str(exc).split()) or "an allocation failed"
    return (f"out of memory ({detail}): the data or the λ grid need more memory than this "
            "machine has; use a smaller grid (--n-lambdas, --lambdas), fewer rows (a sample "
            "of the data) or fewer features")


def _untyped_flags(params: list[Any]) -> list[Any]:
    """The parameters, with no type shown for flags in --help.

    typer 0.29's rich help shows ``<bool>`` in the type column of every flag (``--json``,
    ``--quiet``, ``--help``), which take no value: an empty metavar leaves the column blank.
    """
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


class _Command(TyperCommand):
    """A command whose flags show no type in --help."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _untyped_flags(super().get_params(ctx))


class _OneLineErrors(TyperGroup):
    """A command group whose usage errors are one line (``error: ...``), exit code 2."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _untyped_flags(super().get_params(ctx))

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except ClickException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                out.print(exc.format_message())
                sys.exit(exc.exit_code)
            message = " ".join(exc.format_message().split())
            err.print(f"[bold red]error:[/] {escape(message)} (see --help)", soft_wrap=True,
                      emoji=False)
            sys.exit(exc.exit_code)
        except typer.Abort:
            err.print("[bold red]error:[/] aborted")
            sys.exit(EXIT_FIT_FAILED)
        except MemoryError as exc:  # what ran out, and what to try
            err.print(f"[bold red]error:[/] {escape(memory_message(exc))}", emoji=False)
            sys.exit(EXIT_FIT_FAILED)
        except Exception as exc:  # a bug: still one line, the traceback on request
            if os.environ.get("RIDGELINE_DEBUG"):
                raise
            message = " ".join(f"{type(exc).__name__}: {exc}".split())
            err.print(f"[bold red]error:[/] unexpected {escape(message)} (RIDGELINE_DEBUG=1 "
                      "shows the traceback)", emoji=False)
            sys.exit(EXIT_FIT_FAILED)
        sys.exit(code if isinstance(code, int) else EXIT_OK)


class _App(typer.Typer):
    """The typer application; its commands are :class:`_Command` unless they name a class."""

    def command(self, *args: Any, cls: type[TyperCommand] | None = None, **kwargs: Any) -> Any:
        return super().command(*args, cls=cls or _Command, **kwargs)


app = _App(
    cls=_OneLineErrors,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="ridgeline: L2-regularized models with exact, fast choice of λ.",
)


def fail(message: str, code: int) -> NoReturn:
    """Print ``error: message`` on one line to stderr and exit with ``code``."""
    flat = " ".join(str(message).split())
    err.print(f"[bold red]error:[/] {escape(flat)}", soft_wrap=True, emoji=False)
    raise typer.Exit(code)


def note(message: str, quiet: bool) -> None:
    """Print a ``note:`` line to stderr unless ``quiet``."""
    if not quiet:
        err.print(f"[yellow]note:[/] {escape(message)}", soft_wrap=True, emoji=False)


@contextmanager
def busy(message: str, quiet: bool) -> Iterator[None]:
    """A spinner with elapsed time on stderr while a single long call runs (terminals only)."""
    if quiet or not err.is_terminal:
        yield
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True) as progress:
        progress.add_task(message, total=None)
        yield


def steps_progress(quiet: bool) -> Progress:
    """A progress display with a bar, for work made of counted steps (terminals only)."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                    console=err, transient=True, disable=quiet or not err.is_terminal)


_UNBOUNDED = 100_000  # "no width limit" for measuring a table


def print_table(table: RichTable, console: Console | None = None) -> None:
    """Print a rich table on stdout (or ``console``): whole when piped, fitted to a terminal.

    When the output is not a terminal (a pipe or a file) the table is printed at its natural
    width, however wide. In a terminal, long cells fold onto further lines to fit the width
    (nothing is replaced by "…"); a terminal too narrow for one character per column cuts the
    table, and a line after it says so.
    """
    con = out if console is None else console
    if con.is_terminal:
        for column in table.columns:
            column.overflow = "fold"
        con.print(table)
        _, right, _, left = table.padding
        needed = len(table.columns) * (1 + left + right + 1) + 1  # 1 character, padding, rule
        if con.width < needed:
            con.print(f"(the table was cut: it needs at least {needed} columns, the terminal "
                      f"has {con.width}; --json, or output to a file, shows it whole)")
        return
    width = Measurement.get(con, con.options.update_width(_UNBOUNDED), table).maximum
    con.print(Segments(con.render(table, con.options.update_width(width))))
