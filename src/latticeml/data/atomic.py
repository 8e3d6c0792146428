"""Atomic creation of output files: write to a temporary file, rename on success."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from latticeml.errors import OutputDirectoryError, OutputExistsError

__all__ = ["check_output_path", "atomic_path"]


def check_output_path(path: str | os.PathLike, *, force: bool = False) -> Path:
    """Validate an output path before any work is done.

    Parameters
    ----------
    path : path-like
        The file to be written.
    force : bool
        Allow overwriting an existing file.

    Returns
    -------
    Path
        The path.

    Raises
    ------
    OutputDirectoryError
        If the parent directory does not exist.
    OutputExistsError
        If the file exists and ``force`` is false.
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputDirectoryError(parent)
    if path.exists() and not force:
        raise OutputExistsError(path)
    return path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` on success.

    If the body raises (or the process is killed), no file named ``path`` is created or
    replaced, and the temporary file is removed where possible.

    Parameters
    ----------
    path : path-like
        Final file name.
    force : bool
        Allow replacing an existing file.

    Yields
    ------
    Path
        Temporary file in the same directory (same file system, so the rename is atomic).
    """
    path = check_output_path(path, force=force)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent if str(path.parent) else "."
    )
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        if path.exists() and not force:  # appeared while we worked
            raise OutputExistsError(path)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
