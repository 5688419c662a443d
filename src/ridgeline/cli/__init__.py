"""The ``ridgeline`` command line: fit, predict, report, demo, version.

Exit codes: 0 success, 1 the fit (or writing its output) failed, 2 bad usage or bad input;
every failure is one line on stderr (``error: ...``).
"""

from __future__ import annotations

from ridgeline import __version__
from ridgeline.cli import fit as _fit_command  # noqa: F401  (registers the command)
from ridgeline.cli import predict as _predict_command  # noqa: F401
from ridgeline.cli import report as _report_command  # noqa: F401
from ridgeline.cli._app import EXIT_BAD_INPUT, EXIT_FIT_FAILED, EXIT_OK, app, out

__all__ = ["EXIT_BAD_INPUT", "EXIT_FIT_FAILED", "EXIT_OK", "app", "main"]


@app.command()
def version() -> None:
    """Print the ridgeline version."""
    out.print(__version__)


def main() -> None:
    """Entry point of the ``ridgeline`` script."""
    app()


if __name__ == "__main__":
    main()
