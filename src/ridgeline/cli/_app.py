"""The typer application, the consoles, exit codes and the one-line error convention."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from typer.core import TyperGroup

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


class _OneLineErrors(TyperGroup):
    """A command group whose usage errors are one line (``error: ...``), exit code 2."""

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
        except Exception as exc:  # a bug: still one line, the traceback on request
            if os.environ.get("RIDGELINE_DEBUG"):
                raise
            message = " ".join(f"{type(exc).__name__}: {exc}".split())
            err.print(f"[bold red]error:[/] unexpected {escape(message)} (RIDGELINE_DEBUG=1 "
                      "shows the traceback)", emoji=False)
            sys.exit(EXIT_FIT_FAILED)
        sys.exit(code if isinstance(code, int) else EXIT_OK)


app = typer.Typer(
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
