"""Provenance records: checksums of source files, package version, git commit."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import latticeml
from latticeml.errors import ParameterError

__all__ = ["sha256_file", "git_commit", "provenance_record", "distinct_sources"]


def sha256_file(path: str | os.PathLike, *, block: int = 1 << 22) -> str:
    """Return the hex SHA-256 digest of a file, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def git_commit() -> str:
    """Git commit of the latticeml source tree, with ``-dirty`` if modified, or ``"unknown"``."""
    here = Path(latticeml.__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10
        )
        if commit.returncode != 0:
            return "unknown"
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "."],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=10,
        )
        suffix = "-dirty" if dirty.stdout.strip() else ""
        return commit.stdout.strip() + suffix
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance_record(params: dict[str, Any]) -> dict[str, str]:
    """Attributes that say which code and parameters made a file.

    Parameters
    ----------
    params : dict
        Resolved parameters (JSON-serializable).

    Returns
    -------
    dict
        ``package_version``, ``git_commit`` and ``params`` (JSON text, sorted keys).
    """
    return {
        "package_version": latticeml.__version__,
        "git_commit": git_commit(),
        "params": json.dumps(params, sort_keys=True, default=str),
    }


def _file_key(path: str) -> tuple:
    try:
        st = os.stat(path)
        return ("inode", st.st_dev, st.st_ino)
    except OSError:
        return ("path", os.path.realpath(path))


def distinct_sources(
    paths: list[str] | tuple[str, ...], attrs: list[dict[str, Any]] | None = None
) -> None:
    """Refuse a source listed twice.

    Twice means: the same path, the same file under another name (symlink, hard link) or,
    given the sources' attributes, a copy with the same content digest.

    Parameters
    ----------
    paths : sequence of str
        Source files as given (``--inputs``).
    attrs : list of dict, optional
        Their attributes; sealed files carry ``content_sha256``.

    Raises
    ------
    ParameterError
        Naming both entries: their samples would enter the dataset twice.
    """
    seen: dict[Any, str] = {}
    for path in paths:
        key = _file_key(path)
        if key in seen:
            raise ParameterError(
                "--inputs",
                "distinct ensemble files",
                path,
                f"it is the same file as {seen[key]!r}; its samples would be duplicated",
            )
        seen[key] = path
    if attrs is None:
        return
    digests: dict[str, str] = {}
    for path, a in zip(paths, attrs, strict=True):
        digest = a.get("content_sha256")
        if digest is None:
            continue
        if digest in digests:
            raise ParameterError(
                "--inputs",
                "distinct ensembles",
                path,
                f"it has the same content as {digests[digest]!r} (a copy: same chain, same "
                "seed); its samples would be duplicated",
            )
        digests[digest] = path
