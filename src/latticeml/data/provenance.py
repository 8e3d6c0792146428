"""Provenance records: checksums of source files, package version, git commit."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import latticeml

__all__ = ["sha256_file", "git_commit", "provenance_record"]


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
