"""Training data in memory: inputs, one target, the physical parameter, the file's identity.

Gauge files give links and a per-site target (one plane of a Wilson loop); scalar files give
the dual link fields as float channels ``(k_t, k_x, l_t, l_x)`` and a per-configuration target
(``n``, ``phi2``: closed configurations only; ``flux_violated``: every configuration, a 0/1
label for classification).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from latticeml.catalog import models as model_catalog
from latticeml.catalog import targets as catalog
from latticeml.data import layout as L
from latticeml.data.provenance import sha256_file
from latticeml.data.readers import GaugeDataset, dataset_info
from latticeml.data.validate import DatasetInfo
from latticeml.errors import ParameterError

__all__ = ["GaugeSplit", "ScalarSplit", "load_gauge_split", "load_scalar_split", "load_split",
           "limit_split", "check_model_fits", "dataset_kind", "CLASSIFICATION_TARGETS", "task_of"]

#: Targets learned as a binary classification (BCE on logits, probabilities at prediction).
CLASSIFICATION_TARGETS = tuple(f.template for f in catalog.FAMILIES
                               if f.task == "classification")
task_of = catalog.task_of

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

    @property
    def inputs(self) -> torch.Tensor:
        """The network inputs (the links)."""
        return self.links

    kind = "gauge"


@dataclass(frozen=True)
class ScalarSplit:
    """One scalar dataset file held in memory (the rows a target is defined on).

    Attributes
    ----------
    path : Path
        The file.
    sha256 : str
        Its checksum (recorded in model files).
    inputs : torch.Tensor
        ``(n, 4, N_t, N_x)`` real: channels ``(k_t, k_x, l_t, l_x)``.
    target : torch.Tensor
        ``(n,)`` real: the target per configuration (0/1 for a classification target).
    mu : numpy.ndarray
        ``(n,)`` per-sample chemical potential.
    open_worms : numpy.ndarray
        ``(n,)`` number of open worms (0: flux conserved).
    rows : numpy.ndarray
        ``(n,)`` indices of these samples in the file.
    shape : tuple of int
        Lattice shape ``(N_t, N_x)``.
    """

    path: Path
    sha256: str
    inputs: torch.Tensor
    target: torch.Tensor
    mu: np.ndarray
    open_worms: np.ndarray
    rows: np.ndarray
    shape: tuple[int, ...]

    kind = "scalar"

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(self.inputs.shape[0])


def _existing_dataset(path: str | os.PathLike, role: str,
                      kind: str | None = None) -> tuple[Path, DatasetInfo]:
    """Check that ``path`` is an existing file and describe it (:func:`dataset_info`).

    Raises
    ------
    ParameterError
        Naming ``role`` (the flag) if there is no such file.
    FileFormatError
        If it is not a valid dataset file (of ``kind``, if given).
    """
    path = Path(path)
    if not path.is_file():
        raise ParameterError(role, "an existing dataset file", str(path))
    return path, dataset_info(path, kind)


def dataset_kind(path: str | os.PathLike, role: str) -> str:
    """``gauge`` or ``scalar`` for a dataset file (ParameterError for anything else)."""
    path, info = _existing_dataset(path, role)
    if info.kind == L.GAUGE_DATASET_KIND:
        return "gauge"
    if info.kind == L.SCALAR_DATASET_KIND:
        return "scalar"
    raise ParameterError(role, "a gauge or scalar dataset file", f"{path} of kind {info.kind}")


def load_scalar_split(path: str | os.PathLike, target: str, *, dtype: str = "float32",
                      role: str = "--train", checksum: bool = True) -> ScalarSplit:
    """Read a scalar dataset file into memory.

    Parameters
    ----------
    path : path-like
        A file made by ``latticeml dataset build``.
    target : str
        ``n``, ``phi2`` (regression on the closed configurations) or ``flux_violated``
        (classification on every configuration).
    dtype : {'float32', 'float64'}
        Precision of inputs and target.
    role : str
        Flag name used in error messages.
    checksum : bool
        Compute the file's SHA-256.

    Returns
    -------
    ScalarSplit

    Raises
    ------
    FileFormatError
        If the file is not a valid scalar dataset.
    ParameterError
        If the target does not exist or no configuration defines it.
    """
    from latticeml.data.splits import read_split

    path, info = _existing_dataset(path, role, L.SCALAR_DATASET_KIND)
    choices = [t for t in info.targets if catalog.trainable(t)]
    if target not in choices:
        raise ParameterError("--target", f"one of {', '.join(sorted(choices))}", target,
                             f"{path} has no such target")
    split = read_split(path, target, rows="defined", role=role)  # digests checked
    real = torch.float32 if dtype == "float32" else torch.float64
    return ScalarSplit(path=path, sha256=sha256_file(path) if checksum else "",
                       inputs=torch.from_numpy(np.ascontiguousarray(split.inputs)).to(real),
                       target=torch.from_numpy(split.target).to(real),
                       mu=split.param, open_worms=split.open_worms, rows=split.rows,
                       shape=tuple(int(s) for s in info.shape))


def load_split(path: str | os.PathLike, target: str, *, plane: int = 0, dtype: str = "float32",
               role: str = "--train", checksum: bool = True) -> GaugeSplit | ScalarSplit:
    """Read a gauge or a scalar dataset file, whichever ``path`` is."""
    if dataset_kind(path, role) == "gauge":
        return load_gauge_split(path, target, plane=plane, dtype=dtype, role=role,
                                checksum=checksum)
    return load_scalar_split(path, target, dtype=dtype, role=role, checksum=checksum)


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
        A file made by ``latticeml dataset build``.
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
    path, info = _existing_dataset(path, role, L.GAUGE_DATASET_KIND)
    if target not in info.targets:
        raise ParameterError("--target", f"one of {', '.join(sorted(info.targets))}", target,
                             f"{path} has no such target")
    found = catalog.lookup(target)
    if found is None or not catalog.trainable(target):
        raise ParameterError("--target", "a per-site target: one of " + ", ".join(
            t for t in sorted(info.targets) if catalog.trainable(t)), target,
            f"{path} stores it for analysis, not as a per-site training target")
    if found.family.task == "action":
        return _load_action_split(path, info, target, dtype, checksum)
    wilson = found.family.per_plane
    if wilson and not 0 <= plane < _plane_count(info.shape):
        raise ParameterError("--plane", f"0..{_plane_count(info.shape) - 1} for a "
                             f"{len(info.shape)}D lattice", plane)
    ds = GaugeDataset(path, (target,), dtype=_COMPLEX[dtype], plane=plane if wilson else None,
                      memory_budget_mb=float("inf"))
    arrays = ds.read_all()
    from latticeml.data.physics import check_gauge_rows

    check_gauge_rows(path, arrays["links"], {target: arrays[target]}, arrays["beta"])
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


#: The derivative stored beside an action target.
ACTION_DERIVATIVES = {"fixed_point_action": "fixed_point_derivative"}


def action_coordinates(derivative: torch.Tensor) -> torch.Tensor:
    """Return the su(N) coordinates ``d_a = -2 Tr(T_a D)`` of derivatives ``(..., N, N)``.

    ``D = sum_a d_a T_a`` with ``T_a = i lambda_a / 2`` (:func:`latticeml.hmc.generators`).
    """
    from latticeml.hmc.algebra import generators

    t = generators(derivative.shape[-1], dtype=derivative.dtype, device=derivative.device)
    return (-2.0 * torch.einsum("aij,...ji->...a", t, derivative)).real


def _load_action_split(path: Path, info: DatasetInfo, target: str, dtype: str,
                       checksum: bool) -> GaugeSplit:
    """Read an action target with its derivative, packed ``(n, 1 + V D (N^2 - 1))``.

    Column 0 is the action; the rest are the su(N) coordinates of its derivative per link
    (:func:`action_coordinates`), site-major.
    """
    partner = ACTION_DERIVATIVES[target]
    if partner not in info.targets:
        raise ParameterError("--train", f"a dataset with {target} and {partner} (latticeml "
                             "dataset build --fixed-point)", f"{path} without {partner}")
    ds = GaugeDataset(path, (target, partner), dtype=_COMPLEX[dtype],
                      memory_budget_mb=float("inf"))
    arrays = ds.read_all()
    from latticeml.data.physics import check_gauge_rows

    check_gauge_rows(path, arrays["links"], {target: arrays[target], partner: arrays[partner]},
                     arrays["beta"])
    real = torch.float32 if dtype == "float32" else torch.float64
    links = torch.from_numpy(np.ascontiguousarray(arrays["links"])).to(_COMPLEX[dtype])
    coords = action_coordinates(torch.from_numpy(np.ascontiguousarray(arrays[partner])))
    n = links.shape[0]
    packed = torch.cat([torch.from_numpy(np.asarray(arrays[target], np.float64)).reshape(n, 1),
                        coords.reshape(n, -1)], dim=1).to(real)
    n_colors = int(links.shape[-1])
    return GaugeSplit(path=path, sha256=sha256_file(path) if checksum else "", links=links,
                      target=packed, beta=np.asarray(arrays["beta"], dtype=np.float64),
                      group=str(info.attrs.get("group", f"su{n_colors}")), n_colors=n_colors,
                      shape=tuple(info.shape))


def check_model_fits(model: torch.nn.Module, split: GaugeSplit | ScalarSplit,
                     role: str) -> None:
    """Raise a ParameterError when a model does not fit a dataset (D, N, field, lattice)."""
    gauge_model = hasattr(model, "n_colors") or hasattr(model, "dim")
    if split.kind == "scalar" or not gauge_model:
        scalar_model = getattr(model, "in_channels", None) == 4 and not gauge_model
        if split.kind != "scalar" or not scalar_model:
            field = "the scalar field (kind eq, st, fl or flux)" if split.kind == "scalar" \
                else "gauge links (kind lcnn, gauge_net or cnn)"
            raise ParameterError("--model", f"a model for {field} like the {role} data",
                                 type(model).__name__)
        fixed = getattr(model, "input_shape", None)
        if fixed is not None and tuple(fixed) != tuple(split.shape):
            raise ParameterError("--model", f"input_shape {list(split.shape)} (the {role} "
                                 "lattice)", list(fixed), "an FL model is tied to one lattice")
        return
    dim = getattr(model, "dim", None)
    n_colors = getattr(model, "n_colors", None)
    if dim is not None and dim != len(split.shape):
        raise ParameterError("--model", f"a model for D = {len(split.shape)} (the {role} "
                             f"lattice is {'x'.join(map(str, split.shape))})", f"dim={dim}",
                             "set dim in the model spec")
    if n_colors is not None and n_colors != split.n_colors:
        raise ParameterError("--model", f"a model for SU({split.n_colors}) like the {role} data",
                             f"SU({n_colors})", f"set group: su{split.n_colors} in the model spec")


_SCALAR_REGRESSORS = model_catalog.kinds("scalar", per_config=True)


def complete_spec(spec: dict, split: GaugeSplit | ScalarSplit, target: str) -> dict:
    """Fill in what a scalar model spec leaves to the data.

    ``out_features`` defaults to 1 (one target per run) for ``eq``, ``st`` and ``fl``, and an
    ``fl`` model without ``input_shape`` is built for the training lattice. The completed spec
    is what the model file stores, so ``load_model`` rebuilds the same network. Gauge specs and
    complete specs are returned unchanged.
    """
    spec = dict(spec)
    kind = str(spec.get("kind", "")).lower()
    if split.kind != "scalar" or kind not in _SCALAR_REGRESSORS:
        return spec
    spec.setdefault("out_features", 1)
    if kind == "fl":
        spec.setdefault("input_shape", list(split.shape))
    if int(spec["out_features"]) != 1:
        raise ParameterError("--model", "out_features: 1 (one target per training run)",
                             spec["out_features"], f"the target is {target}")
    return spec


def limit_split(split: GaugeSplit | ScalarSplit, limit: int) -> GaugeSplit | ScalarSplit:
    """Keep ``limit`` samples of ``split``, evenly spaced through it (0 or >= n: all).

    Datasets are ordered by coupling, so evenly spaced rows keep every coupling's share; the
    choice is deterministic (no random state), hence part of a run's fingerprint.
    """
    if not limit or limit >= split.n:
        return split
    idx = np.unique(np.round(np.linspace(0, split.n - 1, limit)).astype(np.int64))
    t = torch.from_numpy(idx)
    if split.kind == "gauge":
        return replace(split, links=split.links[t], target=split.target[t], beta=split.beta[idx])
    return replace(split, inputs=split.inputs[t], target=split.target[t], mu=split.mu[idx],
                   open_worms=split.open_worms[idx], rows=split.rows[idx])

