"""Training data in memory: links, one target plane, beta, and the dataset's identity."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from latticeml.data import layout as L
from latticeml.data.provenance import sha256_file
from latticeml.data.readers import GaugeDataset, dataset_info
from latticeml.errors import ParameterError

__all__ = ["GaugeSplit", "load_gauge_split", "check_model_fits"]

_COMPLEX = {"float32": torch.complex64, "float64": torch.complex128}


@dataclass(frozen=True)
class GaugeSplit:
    """One dataset file held in memory.

    Attributes
    ----------
    path : Path
        The file.
    sha256 : str
        Its checksum (recorded in model files).
    links : torch.Tensor
        ``(n, *shape, D, N, N)`` complex.
    target : torch.Tensor
        ``(n, *shape)`` real: the selected plane of the target.
    beta : numpy.ndarray
        ``(n,)`` per-sample beta.
    group : str
        ``su2``, ``su3``, ...
    n_colors : int
        ``N``.
    shape : tuple of int
        Lattice shape.
    """

    path: Path
    sha256: str
    links: torch.Tensor
    target: torch.Tensor
    beta: np.ndarray
    group: str
    n_colors: int
    shape: tuple[int, ...]

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(self.links.shape[0])


def _plane_count(shape) -> int:
    d = len(shape)
    return d * (d - 1) // 2


def load_gauge_split(path: str | os.PathLike, target: str, *, plane: int = 0,
                     dtype: str = "float32", role: str = "--train",
                     checksum: bool = True) -> GaugeSplit:
    """Read a gauge dataset file into memory and select one target plane.

    Parameters
    ----------
    path : path-like
        A file made by ``latticeml dataset gauge``.
    target : str
        Target name (``W_1x1``, ``W_2x2``, ``polyakov_loop``, ...).
    plane : int
        Plane of Wilson-loop targets.
    dtype : {'float32', 'float64'}
        Real precision (links complex64 / complex128).
    role : str
        Flag name used in error messages.
    checksum : bool
        Compute the file's SHA-256.

    Returns
    -------
    GaugeSplit

    Raises
    ------
    FileFormatError
        If the file is not a valid gauge dataset.
    ParameterError
        If the target or plane does not exist in it.
    """
    path = Path(path)
    if not path.is_file():
        raise ParameterError(role, "an existing dataset file", str(path))
    info = dataset_info(path, L.GAUGE_DATASET_KIND)
    if target not in info.targets:
        raise ParameterError("--target", f"one of {', '.join(sorted(info.targets))}", target,
                             f"{path} has no such target")
    wilson = L.parse_wilson_target(target) is not None
    if wilson and not 0 <= plane < _plane_count(info.shape):
        raise ParameterError("--plane", f"0..{_plane_count(info.shape) - 1} for a "
                             f"{len(info.shape)}D lattice", plane)
    ds = GaugeDataset(path, (target,), dtype=_COMPLEX[dtype], plane=plane if wilson else None,
                      memory_budget_mb=float("inf"))
    arrays = ds.read_all()
    links = torch.from_numpy(np.ascontiguousarray(arrays["links"])).to(_COMPLEX[dtype])
    y = arrays[target]
    if wilson:
        y = y[:, plane]
    if y.shape[1:] != tuple(info.shape):
        raise ParameterError("--target", "a per-site target (one value per lattice site)",
                             f"{target} of shape {y.shape[1:]}")
    real = torch.float32 if dtype == "float32" else torch.float64
    attrs = info.attrs
    n_colors = int(links.shape[-1])
    group = str(attrs.get("group", f"su{n_colors}"))
    return GaugeSplit(path=path, sha256=sha256_file(path) if checksum else "",
                      links=links, target=torch.from_numpy(np.ascontiguousarray(y)).to(real),
                      beta=np.asarray(arrays["beta"], dtype=np.float64), group=group,
                      n_colors=n_colors, shape=tuple(info.shape))


def check_model_fits(model: torch.nn.Module, split: GaugeSplit, role: str) -> None:
    """Raise a ParameterError when a model's D or N differ from a dataset's."""
    dim = getattr(model, "dim", None)
    n_colors = getattr(model, "n_colors", None)
    if dim is not None and dim != len(split.shape):
        raise ParameterError("--model", f"a model for D = {len(split.shape)} (the {role} "
                             f"lattice is {'x'.join(map(str, split.shape))})", f"dim={dim}",
                             "set dim in the model spec")
    if n_colors is not None and n_colors != split.n_colors:
        raise ParameterError("--model", f"a model for SU({split.n_colors}) like the {role} data",
                             f"SU({n_colors})", f"set group: su{split.n_colors} in the model spec")
