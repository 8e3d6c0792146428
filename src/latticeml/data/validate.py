"""Validation of stage-2 dataset files on open: structure, shapes, dtypes, values."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from latticeml.data import layout as L
from latticeml.data._h5 import attrs_dict
from latticeml.errors import FileFormatError

__all__ = ["DatasetInfo", "inspect_structure", "check_values", "check_su_n", "UNITARITY_TOL"]

#: Largest accepted max |U U^dagger - 1| and |det U - 1| of stored links.
UNITARITY_TOL = 1e-8


@dataclass(frozen=True)
class DatasetInfo:
    """Structure of a dataset file, read without loading the arrays.

    Attributes
    ----------
    path : Path
        The file.
    kind : str
        ``"gauge-dataset"`` or ``"scalar-dataset"``.
    n_samples : int
        Number of samples.
    shape : tuple of int
        Lattice shape.
    inputs : dict
        Input name -> (shape, dtype).
    targets : dict
        Target name -> (shape, dtype).
    attrs : dict
        File attributes.
    """

    path: Path
    kind: str
    n_samples: int
    shape: tuple[int, ...]
    inputs: dict[str, tuple[tuple[int, ...], np.dtype]]
    targets: dict[str, tuple[tuple[int, ...], np.dtype]]
    attrs: dict[str, Any]


def _expect(path, cond: bool, problem: str) -> None:
    if not cond:
        raise FileFormatError(path, problem)


def inspect_structure(f: h5py.File, path: str | os.PathLike, kind: str | None) -> DatasetInfo:
    """Check kind, version, required arrays, shapes and dtypes of an open dataset file.

    Parameters
    ----------
    f : h5py.File
        The open file.
    path : path-like
        Its name, for messages.
    kind : str or None
        Required kind, or ``None`` for either dataset kind.

    Returns
    -------
    DatasetInfo

    Raises
    ------
    FileFormatError
        Naming the file and the first problem found.
    """
    attrs = attrs_dict(f)
    got = attrs.get("kind")
    allowed = (kind,) if kind else (L.GAUGE_DATASET_KIND, L.SCALAR_DATASET_KIND)
    hint = ""
    if isinstance(got, str) and got.endswith("-ensemble"):
        hint = f" (an ensemble file: see `latticeml {got.split('-')[0]} inspect`)"
    _expect(path, got in allowed, f"expected kind {' or '.join(allowed)}, found {got!r}{hint}")
    version = attrs.get("format_version")
    _expect(
        path,
        version in L.DATASET_READABLE_VERSIONS,
        f"unknown format_version {version!r} (this latticeml reads "
        f"{', '.join(map(str, L.DATASET_READABLE_VERSIONS))}); rebuild the dataset with this "
        "version",
    )
    for key in ("shape", "n_samples", "package_version", "params"):
        _expect(path, key in attrs, f"missing attribute {key!r}")
    shape = tuple(int(s) for s in attrs["shape"])
    n = int(attrs["n_samples"])
    _expect(path, L.TARGETS in f and len(f[L.TARGETS]) > 0, "missing group 'targets'")
    inputs: dict = {}
    if got == L.GAUGE_DATASET_KIND:
        _expect(path, "n_colors" in attrs, "missing attribute 'n_colors'")
        D, N = len(shape), int(attrs["n_colors"])
        for name in (L.LINKS, L.BETA):
            _expect(path, name in f, f"missing dataset {name!r}")
        ds = f[L.LINKS]
        want = (n, *shape, D, N, N)
        _expect(path, ds.shape == want, f"{L.LINKS} has shape {ds.shape}, expected {want}")
        _expect(path, ds.dtype.kind == "c", f"{L.LINKS} has dtype {ds.dtype}, expected complex")
        for name in (L.LINKS, L.PLAQUETTE_INPUT, L.POLYAKOV_INPUT):
            if name in f:
                inputs[name.split("/")[-1]] = (f[name].shape, f[name].dtype)
        param = L.BETA
    else:
        for name in (L.KL, L.MU):
            _expect(path, name in f, f"missing dataset {name!r}")
        ds = f[L.KL]
        want = (n, 4, *shape)
        _expect(path, ds.shape == want, f"{L.KL} has shape {ds.shape}, expected {want}")
        _expect(path, ds.dtype.kind in "iu", f"{L.KL} has dtype {ds.dtype}, expected integer")
        inputs["kl"] = (ds.shape, ds.dtype)
        param = L.MU
    _expect(path, f[param].shape == (n,), f"{param} has shape {f[param].shape}, expected ({n},)")
    targets = {}
    for name, ds in f[L.TARGETS].items():
        _expect(
            path,
            ds.shape[:1] == (n,),
            f"targets/{name} has {ds.shape[0] if ds.shape else 0} samples, expected {n}",
        )
        _expect(
            path,
            ds.dtype.kind in "fciu",
            f"targets/{name} has dtype {ds.dtype}, expected a numeric type",
        )
        targets[name] = (ds.shape, ds.dtype)
    return DatasetInfo(Path(path), got, n, shape, inputs, targets, attrs)


def check_values(path, name: str, arr: np.ndarray, *, allow_nan: np.ndarray | None = None) -> None:
    """Reject NaN/Inf (except where ``allow_nan`` is true) and non-unitary links.

    Parameters
    ----------
    path : path-like
        File name, for messages.
    name : str
        Array name; names ending in ``links`` also get the SU(N) check.
    arr : ndarray
        Values (a block of samples).
    allow_nan : ndarray of bool, optional
        Per-sample mask of samples whose values may be NaN (undefined observables).
    """
    arr = np.asarray(arr)
    if arr.dtype.kind in "fc":
        bad = ~np.isfinite(arr)
        if bad.any():
            per_sample = bad.reshape(bad.shape[0], -1).any(axis=1) if bad.ndim else bad[None]
            if allow_nan is not None:
                per_sample &= ~np.asarray(allow_nan, dtype=bool)
            if per_sample.any():
                i = int(np.flatnonzero(per_sample)[0])
                raise FileFormatError(
                    path, f"{name} contains NaN or Inf (first in sample {i} of this block)"
                )
    if name.endswith("links"):
        check_su_n(path, name, arr)


def check_su_n(path, name: str, u: np.ndarray, *, block: int = 16) -> None:
    """Reject matrices that are not in SU(N) within :data:`UNITARITY_TOL`.

    Parameters
    ----------
    path : path-like
        File name, for messages.
    name : str
        Array name, for messages.
    u : ndarray, complex, shape (n, ..., N, N)
        Matrices; checked ``block`` samples at a time (bounded memory).
    """
    u = np.asarray(u)
    if u.size == 0:
        return
    if u.ndim < 3 or u.shape[-1] != u.shape[-2]:
        raise FileFormatError(path, f"{name} has shape {u.shape}, expected (..., N, N)")
    eye = np.eye(u.shape[-1])
    unit = det = 0.0
    with np.errstate(all="ignore"):
        for lo in range(0, u.shape[0], block):
            m = u[lo : lo + block].reshape(-1, u.shape[-1], u.shape[-1])
            if not np.all(np.isfinite(m)):
                raise FileFormatError(path, f"{name} contains NaN or Inf (sample >= {lo})")
            unit = max(unit, float(np.abs(m @ np.conj(np.swapaxes(m, -1, -2)) - eye).max()))
            det = max(det, float(np.abs(np.linalg.det(m) - 1.0).max()))
            if max(unit, det) > UNITARITY_TOL:
                raise FileFormatError(
                    path,
                    f"{name} are not in SU(N) (samples {lo}..{min(lo + block, u.shape[0]) - 1}): "
                    f"max |U U^dagger - 1| = {unit:.1e}, max |det U - 1| = {det:.1e} "
                    f"(tolerance {UNITARITY_TOL:.0e})",
                )
