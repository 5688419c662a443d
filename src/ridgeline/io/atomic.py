"""Atomic file writes: a temporary file in the target's directory, fsync, rename.

A reader sees the old file or the whole new one, never a half-written one; a write that
fails (or is killed) leaves the destination as it was, and the next write to the same file
removes the temporary files that killed writes left behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

_NEW_FILE_MODE = 0o644


def atomic_write(target: str | os.PathLike[str], write: Callable[[IO[bytes]], Any]) -> None:
    """Write a file atomically: a temporary file in the same directory, fsync, then rename.

    Parameters
    ----------
    target : str or os.PathLike
        Destination.  An existing file is replaced only once the new content is
        complete, and keeps its permissions (new files get ``rw-r--r--``).
    write : callable
        ``write(fh)`` writes the content to the binary file object ``fh``.

    Raises
    ------
    OSError
        If the file cannot be written; the temporary file is removed and the
        destination is left as it was.  Exceptions from ``write`` propagate likewise.
    """
    target = Path(target)
    _remove_stale_temps(target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def _remove_stale_temps(target: Path) -> None:
    """Remove the temporary files that earlier saves of ``target`` left when they were killed.

    Only names of this writer's own pattern for this target (``.<name>.<8 random
    characters>.tmp``, regular files) are touched. A save of the same file running at the
    same moment in another process then fails cleanly at its rename and the file it would
    have replaced stays intact.
    """
    prefix = f".{target.name}."
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if (name.startswith(prefix) and name.endswith(".tmp")
                and len(name) == len(prefix) + 8 + len(".tmp")
                and entry.is_file(follow_symlinks=False)):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _mode_for(target: Path) -> int:
    """Keep an existing file's permissions; new files get rw-r--r--."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        return _NEW_FILE_MODE


def _fsync_directory(directory: Path) -> None:
    """Persist the rename (POSIX only; best effort)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
