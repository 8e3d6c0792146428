"""Atomic creation of output files: write to a temporary file, rename on success."""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from latticeml.errors import OutputDirectoryError, OutputExistsError, OutputPathError

__all__ = ["check_output_path", "atomic_path", "check_free_space", "remove_stale_temporaries"]


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def check_output_path(
    path: str | os.PathLike,
    *,
    force: bool = False,
    inputs: Sequence[str | os.PathLike] = (),
    probe: bool = True,
) -> Path:
    """Validate an output path before any work is done.

    Refuses, with nothing written and the inputs untouched: a directory (also with
    ``force``), a path equal to or the same file as (symlink, hard link) one of ``inputs``, an
    existing non-regular file, a missing parent directory, a directory this process cannot
    create files in, and an existing file without ``force``.

    Parameters
    ----------
    path : path-like
        The file to be written.
    force : bool
        Allow overwriting an existing regular file.
    inputs : sequence of path-like
        Files the job reads; the output must be none of them.
    probe : bool
        Create and remove a temporary file in the parent directory to prove that it is
        writable (catches read-only file systems and permissions that ``os.access`` misses).

    Returns
    -------
    Path
        The path.

    Raises
    ------
    OutputPathError
        If the path is a directory, an input, not a regular file, or not writable.
    OutputDirectoryError
        If the parent directory does not exist.
    OutputExistsError
        If the file exists and ``force`` is false.
    """
    if str(path) == "":
        raise OutputPathError(path, "empty path; --out names the file to write, e.g. out.h5")
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(
            path, f"is a directory; --out names a file, e.g. {str(path / 'out.h5')!r}"
        )
    for inp in inputs:
        if _same_file(path, Path(inp)):
            raise OutputPathError(
                path,
                f"is the input file {str(inp)!r}; writing it would destroy the input, "
                "choose another --out",
            )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputDirectoryError(parent)
    if path.exists() or path.is_symlink():
        if path.exists() and not path.is_file():
            raise OutputPathError(path, "exists and is not a regular file; choose another --out")
        if not force:
            raise OutputExistsError(path)
    if probe:
        tmp = _temp_file(path, ".probe")
        with contextlib.suppress(OSError):
            tmp.unlink()
    return path


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files a killed writer of ``path`` left next to it.

    Every writer of this package writes ``.<name>.<random or pid>.tmp`` and renames it; a
    ``SIGKILL`` (a SLURM time limit, an out-of-memory kill) between the two leaves it behind.
    A job that owns ``path`` -- the one writer of a checkpoint or of a training folder, or a
    job that replaces its output -- calls this when it starts. Only files of that exact pattern
    are touched; the file itself never is.

    Returns
    -------
    list of Path
        The removed files.
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    removed = []
    if not parent.is_dir():
        return removed
    for stale in parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
            removed.append(stale)
    return removed


def _temp_file(path: Path, suffix: str) -> Path:
    """Create an empty hidden file ``.<name>.XXXX<suffix>`` next to ``path``; return its path.

    Raises
    ------
    OutputPathError
        If the directory does not accept new files (permissions, read-only, full).
    """
    parent = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=parent)
    except OSError as exc:
        raise OutputPathError(
            path, f"cannot create files in {str(parent)!r} ({exc.strerror or exc})"
        ) from None
    os.close(fd)
    return Path(tmp)


def check_free_space(path: str | os.PathLike, need: int) -> None:
    """Refuse to start writing ``need`` bytes next to ``path`` when its file system lacks them.

    A full disk in the middle of an HDF5 write can leave the library in a state where closing
    the file crashes the process (seen: a segmentation fault after the HDF5 error dump); the
    estimate is checked before the first byte is written, with 5 % and 1 MiB of margin.

    Raises
    ------
    OutputPathError
        With the estimate and the free space.
    """
    parent = Path(path).parent if str(Path(path).parent) else Path(".")
    try:
        st = os.statvfs(parent)
    except OSError:
        return
    free = st.f_bavail * st.f_frsize
    want = int(need * 1.05) + 2**20
    if free < want:
        raise OutputPathError(
            path, f"needs about {want / 2**20:.1f} MiB, but its file system has "
            f"{free / 2**20:.1f} MiB free; free some space or choose another --out")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, force: bool = False,
                need: int = 0) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` on success.

    If the body raises (or the process is killed), no file named ``path`` is created or
    replaced, and the temporary file is removed where possible.

    Parameters
    ----------
    path : path-like
        Final file name.
    force : bool
        Allow replacing an existing file.
    need : int
        Estimated bytes of the file (0: unknown); checked against the free space first.

    Yields
    ------
    Path
        Name of a temporary file in the same directory (same file system, so the rename is
        atomic), not yet created: the body creates it.
    """
    path = check_output_path(path, force=force, probe=False)
    if need:
        check_free_space(path, need)
    tmp = _temp_file(path, ".tmp")
    # The body creates the file afresh: opening the empty reservation with O_TRUNC ("wb",
    # h5py's "w") makes ext4 flush the whole file to disk when it is closed (auto_da_alloc
    # treats a truncation to zero as a replace-via-truncate), which halved the write speed of
    # large files. The name is random, so it stays unique once the reservation is gone.
    tmp.unlink()
    try:
        yield tmp
        if path.is_dir():  # appeared while we worked
            raise OutputPathError(path, "became a directory while the file was written")
        if path.exists() and not force:
            raise OutputExistsError(path)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
