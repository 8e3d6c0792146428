"""One reader of a dataset split for every consumer: training, evaluation, figures.

:func:`read_split` opens a stage-2 file, validates its structure and metadata digest, reads
the requested arrays checked against their SHA-256 (whole arrays are verified even when only
some rows are kept) and selects one target (and one plane of a per-plane target). Training
(:func:`latticeml.train.data.load_scalar_split`), the evaluation of gauge and scalar models and
``latticeml results plot``'s feature maps read their arrays here, so they all get the same checks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latticeml.catalog.targets import lookup
from latticeml.data import layout as L
from latticeml.data._h5 import open_h5
from latticeml.data.checksum import read_array
from latticeml.data.readers import dataset_info
from latticeml.errors import ParameterError

__all__ = ["SplitArrays", "read_split"]

_ROWS = ("all", "defined")


@dataclass(frozen=True)
class SplitArrays:
    """Arrays of one dataset file, one target selected.

    Attributes
    ----------
    path : Path
        The file.
    kind : {'gauge', 'scalar'}
        Its field.
    rows : ndarray of int
        Rows of the file that were kept.
    target : ndarray of float64
        ``(n, *shape)`` (gauge; one plane of a per-plane target) or ``(n,)`` (scalar).
    param : ndarray of float64
        ``(n,)`` beta (gauge) or mu (scalar).
    inputs : ndarray or None
        Links ``(n, *shape, D, N, N)`` complex128 or channels ``(n, 4, N_t, N_x)`` integer;
        ``None`` when not requested.
    open_worms : ndarray of int64 or None
        ``(n,)`` open strings per configuration (scalar files).
    shape : tuple of int
        Lattice shape.
    """

    path: Path
    kind: str
    rows: np.ndarray
    target: np.ndarray
    param: np.ndarray
    inputs: np.ndarray | None
    open_worms: np.ndarray | None
    shape: tuple[int, ...]

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(self.rows.size)


def read_split(path: str | os.PathLike, target: str, *, plane: int | None = None,
               inputs: bool = True, rows: str | np.ndarray = "all",
               role: str = "--test") -> SplitArrays:
    """Read one dataset file with one target, every array checked against its digest.

    Parameters
    ----------
    path : path-like
        A file of ``latticeml dataset build``.
    target : str
        A target it holds.
    plane : int, optional
        Plane of a per-plane target (Wilson loops; default 0); ignored for other targets.
    inputs : bool
        Also read the inputs (links or channels).
    rows : {'all', 'defined'} or ndarray of int
        Every row, the rows where the target is defined (finite: scalar ``n`` and ``phi2``
        are undefined for configurations with open strings), or these rows (increasing).
    role : str
        Flag named in errors.

    Returns
    -------
    SplitArrays

    Raises
    ------
    ParameterError
        Missing file or target, plane out of range, or no row that defines the target.
    FileFormatError
        If the file is not a valid dataset or an array does not match its digest.
    """
    path = Path(path)
    if not path.is_file():
        raise ParameterError(role, "an existing dataset file", str(path))
    info = dataset_info(path)
    gauge = info.kind == L.GAUGE_DATASET_KIND
    if target not in info.targets:
        raise ParameterError(role, f"a dataset holding {target} (it holds "
                             f"{', '.join(sorted(info.targets))})", str(path))
    found = lookup(target)
    per_plane = found is not None and found.family.per_plane
    if isinstance(rows, str) and rows not in _ROWS:
        raise ParameterError("rows", f"one of {', '.join(_ROWS)} or row indices", rows)
    with open_h5(path) as f:  # the metadata digest was checked by dataset_info
        y = np.asarray(read_array(f, path, f"{L.TARGETS}/{target}"))
        if per_plane:
            n_planes = y.shape[1]
            plane = 0 if plane is None else int(plane)
            if not 0 <= plane < n_planes:
                raise ParameterError("--plane", f"0..{n_planes - 1} for a {len(info.shape)}D "
                                     "lattice", plane)
            y = y[:, plane]
        param = np.asarray(read_array(f, path, L.BETA if gauge else L.MU), dtype=np.float64)
        worms = None if gauge else np.asarray(read_array(f, path, f"{L.TARGETS}/open_worms"),
                                              dtype=np.int64)
        if isinstance(rows, str):
            keep = (np.flatnonzero(np.isfinite(y.reshape(len(y), -1)).all(axis=1))
                    if rows == "defined" else np.arange(len(y)))
        else:
            keep = np.asarray(rows, dtype=np.int64)
            if keep.size and (np.any(np.diff(keep) <= 0) or keep[0] < 0 or keep[-1] >= len(y)):
                raise ParameterError("rows", f"increasing row indices in [0, {len(y)})",
                                     keep.tolist()[:5])
        if keep.size == 0 and len(y):
            raise ParameterError(role, f"a dataset with configurations that define {target}",
                                 str(path), "every configuration holds open worms")
        x = None
        if inputs:
            name = L.LINKS if gauge else L.KL
            x = read_array(f, path, name, None if keep.size == len(y) else keep)
    return SplitArrays(
        path=path, kind="gauge" if gauge else "scalar", rows=keep,
        target=np.ascontiguousarray(y[keep] if np.iscomplexobj(y) else y[keep].astype(np.float64)),
        param=param[keep], inputs=x, open_worms=None if worms is None else worms[keep],
        shape=tuple(int(s) for s in info.shape),
    )
