"""Provenance records: checksums of source files, package version, git commit, machine.

:func:`machine_record` names what the bytes of a Monte Carlo file depend on besides seed and
parameters: the kernel backend, the CPU that Numba compiled for and the numba/LLVM versions
(docs/workflow/reproducibility.md). It holds no host name, path or time, so two runs on one machine
write the same record.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import latticeml
from latticeml.errors import ParameterError

__all__ = [
    "sha256_file",
    "git_commit",
    "cpu_model",
    "machine_record",
    "machine_summary",
    "source_backends",
    "provenance_record",
    "source_record",
    "distinct_sources",
]


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


@functools.cache
def cpu_model() -> str:
    """Return the processor model (``/proc/cpuinfo`` on Linux), else ``platform.processor()``."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


@functools.cache
def _numba_target() -> tuple[str, str, str, str]:
    import llvmlite
    import llvmlite.binding as llvm
    import numba

    name = numba.config.CPU_NAME or llvm.get_host_cpu_name()
    if numba.config.CPU_FEATURES is not None:
        features = numba.config.CPU_FEATURES
    else:
        features = llvm.get_host_cpu_features().flatten()
    enabled = ",".join(sorted(f for f in features.split(",") if f.startswith("+")))
    return name, enabled, numba.__version__, llvmlite.__version__


def machine_record(backend: str) -> dict[str, str]:
    """Attributes naming the code and machine that computed a Monte Carlo file's numbers.

    Parameters
    ----------
    backend : str
        Kernel backend that ran (``"simd"`` or ``"scalar"``; the scalar-field worm kernels
        are plain Numba, ``"scalar"``).

    Returns
    -------
    dict
        ``backend``, ``cpu_model`` (the processor), ``cpu_target`` and ``cpu_features`` (the
        CPU and the enabled features Numba compiled for: the host's, or those set by
        ``NUMBA_CPU_NAME`` / ``NUMBA_CPU_FEATURES``), ``numba_version``, ``llvmlite_version``.
    """
    name, features, numba_version, llvmlite_version = _numba_target()
    return {
        "backend": backend,
        "cpu_model": cpu_model(),
        "cpu_target": name,
        "cpu_features": features,
        "numba_version": numba_version,
        "llvmlite_version": llvmlite_version,
    }


def machine_summary(attrs: dict[str, Any]) -> str:
    """One line of a file's machine record for the ``inspect`` commands (``-`` if absent)."""
    return (
        f"backend {attrs.get('backend', '-')}, numba {attrs.get('numba_version', '-')}, "
        f"compiled for {attrs.get('cpu_target', '-')} on {attrs.get('cpu_model', '-')}"
    )


def source_backends(attrs: list[dict[str, Any]]) -> str:
    """Backends that generated a dataset's sources, sorted and comma-separated.

    Ensemble files written before backends existed count as ``"unknown"``.
    """
    return ",".join(sorted({str(a.get("backend", "unknown")) for a in attrs}))


def provenance_record(params: dict[str, Any], *, backend: str) -> dict[str, str]:
    """Attributes that say which code, parameters and machine made a dataset file.

    Parameters
    ----------
    params : dict
        Resolved parameters (JSON-serializable).
    backend : str
        Backends of the source ensembles (:func:`source_backends`); each source's own record
        is kept in ``provenance/sources``.

    Returns
    -------
    dict
        ``package_version``, ``git_commit``, ``params`` (JSON text, sorted keys) and the
        :func:`machine_record` of this process (which computed the targets).
    """
    return {
        "package_version": latticeml.__version__,
        "git_commit": git_commit(),
        "params": json.dumps(params, sort_keys=True, default=str),
        **machine_record(backend),
    }


def source_record(path: str | os.PathLike, n: int, attrs: dict[str, Any]) -> dict[str, Any]:
    """Return the record of one source ensemble in a dataset's ``provenance/sources``.

    Parameters
    ----------
    path : path-like
        The ensemble file.
    n : int
        Number of its configurations in the dataset.
    attrs : dict
        Its attributes (generation parameters, machine record, digests).

    Returns
    -------
    dict
        ``path`` (as given), ``sha256`` of the whole file, ``n`` and ``attrs``
        (stored as JSON by :func:`latticeml.data._h5.write_sources`).
    """
    return {"path": str(path), "sha256": sha256_file(path), "n": int(n), "attrs": attrs}


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
