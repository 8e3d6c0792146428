"""PyTorch datasets over stage-2 dataset files.

A dataset loads the whole file into memory when the arrays it needs fit the memory budget and
otherwise reads the requested samples lazily through a per-process HDF5 chunk cache
(``__getitems__`` lets a DataLoader fetch a whole batch in one read per array). The HDF5
handle is opened per process on first use, so the datasets are safe with DataLoader workers.

Samples are ``(inputs, targets)``: a tensor each when one input/target is selected, otherwise
a dict by name. Layouts follow ARCHITECTURE.md §5: links (*shape, D, N, N) complex, scalar
inputs (4, N_t, N_x) real.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch

from latticeml.data import layout as L
from latticeml.data._h5 import open_h5
from latticeml.data.checksum import FILE_DIGEST_ATTR, verify_array
from latticeml.data.validate import DatasetInfo, check_values
from latticeml.data.verify import read_dataset_info
from latticeml.errors import FileFormatError, ParameterError

__all__ = ["GaugeDataset", "ScalarDataset", "dataset_info"]

_REAL = {torch.complex64: torch.float32, torch.complex128: torch.float64}


def dataset_info(path: str | os.PathLike, kind: str | None = None) -> DatasetInfo:
    """Validate the structure and metadata digest of a dataset file and describe it.

    No arrays are loaded.
    """
    return read_dataset_info(path, kind)


class _H5Dataset(torch.utils.data.Dataset):
    """Common machinery: selection of arrays, memory budget, lazy block reads."""

    kind: str = ""
    block = 256  # samples checked when a lazy dataset is opened
    chunk_cache_mb = 64  # HDF5 chunk cache of a lazy dataset (per process)

    def __init__(
        self,
        path: str | os.PathLike,
        inputs: Sequence[str],
        targets: Sequence[str],
        *,
        memory_budget_mb: float,
    ) -> None:
        self.path = Path(path)
        self.info = dataset_info(self.path, self.kind)
        self.input_names = tuple(inputs)
        self.target_names = tuple(targets)
        if not self.target_names:
            raise ParameterError("targets", "at least one target name", "nothing")
        for name in self.target_names:
            if name not in self.info.targets:
                raise ParameterError(
                    "targets",
                    f"one of {', '.join(sorted(self.info.targets))}",
                    name,
                    f"{self.path} has no such target",
                )
        for name in self.input_names:
            if name not in self.info.inputs:
                raise ParameterError(
                    "inputs", f"one of {', '.join(sorted(self.info.inputs))}", name
                )
        self._paths = {n: f"{L.INPUTS}/{n}" for n in self.input_names}
        self._paths.update({n: f"{L.TARGETS}/{n}" for n in self.target_names})
        self._paths.update(self._extra_paths())
        nbytes = 0
        with open_h5(self.path) as f:
            for p in self._paths.values():
                nbytes += f[p].size * f[p].dtype.itemsize
        self.in_memory = nbytes <= memory_budget_mb * 2**20
        self.sealed = FILE_DIGEST_ATTR in self.info.attrs
        self._data: dict[str, np.ndarray] | None = None
        self._file: h5py.File | None = None
        self._pid: int | None = None
        if self.in_memory:
            self._data = self._read(0, self.info.n_samples)
        else:  # check the first block now; the rest is checked as it is read
            self._read(0, min(self.block, self.info.n_samples))

    # ---- subclass hooks -------------------------------------------------------------------
    def _extra_paths(self) -> dict[str, str]:
        return {}

    def _nan_mask(self, block: dict[str, np.ndarray]) -> np.ndarray | None:
        return None

    def _convert(self, name: str, arr: np.ndarray) -> torch.Tensor:
        raise NotImplementedError

    # ---- reading ----------------------------------------------------------------------------
    def _handle(self) -> h5py.File:
        if self._file is None or self._pid != os.getpid():
            self._file = open_h5(self.path, cache_mb=self.chunk_cache_mb)
            self._pid = os.getpid()
        return self._file

    def _read(self, lo: int, hi: int, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Read samples ``lo:hi`` (or the increasing ``rows``) of every array and check them."""
        f = self._handle() if not self.in_memory else open_h5(self.path)
        sel = slice(lo, hi) if rows is None else rows
        whole = rows is None and lo == 0 and hi == self.info.n_samples
        try:
            block = {}
            for n, p in self._paths.items():
                try:
                    block[n] = f[p][sel]
                except Exception as exc:  # Fletcher-32 mismatch, damaged chunk or header
                    text = (str(exc).strip() or type(exc).__name__).splitlines()[0][:200]
                    raise FileFormatError(
                        self.path,
                        f"{p}: cannot read samples {lo}..{hi - 1}, the array is damaged "
                        f"({text})",
                    ) from None
                if whole and self.sealed:  # the whole array was read: check its digest
                    verify_array(self.path, f[p], block[n])
        finally:
            if self.in_memory:
                f.close()
        allow = self._nan_mask(block)
        for name in self.input_names + self.target_names:
            check_values(self.path, name, block[name], allow_nan=allow)
        return block

    def _rows(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        if self._data is not None:
            return {n: a[indices] for n, a in self._data.items()}
        uniq, inverse = np.unique(indices, return_inverse=True)
        lo, hi = int(uniq[0]), int(uniq[-1]) + 1
        if hi - lo <= 2 * uniq.size:  # dense: one contiguous read
            block = self._read(lo, hi)
            return {n: a[uniq - lo][inverse] for n, a in block.items()}
        block = self._read(lo, hi, rows=uniq)  # sparse: only these rows (chunk-cached)
        return {n: a[inverse] for n, a in block.items()}

    def _sample(self, rows: dict[str, np.ndarray], j: int) -> tuple[Any, Any]:
        x = {n: self._convert(n, rows[n][j]) for n in self.input_names}
        y = {n: self._convert(n, rows[n][j]) for n in self.target_names}
        return (
            next(iter(x.values())) if len(x) == 1 else x,
            next(iter(y.values())) if len(y) == 1 else y,
        )

    def read_all(self) -> dict[str, np.ndarray]:
        """Every selected array of every sample (validated), as NumPy arrays by name.

        Returns the in-memory arrays when the dataset was loaded, otherwise reads the file
        block by block.  Inputs and targets are keyed by their names, per-sample parameters
        (``beta`` or ``mu``) by theirs.
        """
        if self._data is not None:
            return dict(self._data)
        n, parts = self.info.n_samples, []
        for lo in range(0, n, self.block):
            parts.append(self._read(lo, min(n, lo + self.block)))
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    # ---- Dataset protocol -------------------------------------------------------------------
    def __len__(self) -> int:
        return self.info.n_samples

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"index {index} out of range for {n} samples")
        rows = self._rows(np.array([index % n]))
        return self._sample(rows, 0)

    def __getitems__(self, indices: Sequence[int]) -> list[tuple[Any, Any]]:
        """Fetch many samples with few reads (used by DataLoader for a batch)."""
        idx = np.asarray(indices, dtype=np.int64)
        rows = self._rows(idx)
        return [self._sample(rows, j) for j in range(idx.size)]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_file"] = None
        state["_pid"] = None
        return state

    def close(self) -> None:
        """Close the HDF5 handle of this process (reopened on demand)."""
        if self._file is not None:
            self._file.close()
            self._file = None


class GaugeDataset(_H5Dataset):
    """Gauge dataset: links (and optional channels) in, per-site observables out.

    Parameters
    ----------
    path : path-like
        A file made by ``latticeml dataset build``.
    targets : sequence of str
        Target names, e.g. ``("W_1x1",)``; see :attr:`DatasetInfo.targets`.
    inputs : sequence of str
        Input names: ``"links"`` (default), ``"plaquette"``, ``"polyakov"``.
    dtype : torch.dtype
        ``torch.complex64`` (default) or ``torch.complex128``; real targets get the matching
        real precision.
    plane : int, optional
        Keep only this plane of Wilson-loop targets: (n_planes, *shape) -> (*shape).
    memory_budget_mb : float
        Load into memory when the selected arrays fit, else read lazily.

    Notes
    -----
    A sample is ``(links, target)`` with links (*shape, D, N, N) and a Wilson-loop target
    (n_planes, *shape) (or (*shape) with ``plane``).
    """

    kind = L.GAUGE_DATASET_KIND

    def __init__(
        self,
        path: str | os.PathLike,
        targets: Sequence[str] = ("W_1x1",),
        *,
        inputs: Sequence[str] = ("links",),
        dtype: torch.dtype = torch.complex64,
        plane: int | None = None,
        memory_budget_mb: float = 4096,
    ) -> None:
        if dtype not in _REAL:
            raise ParameterError("dtype", "torch.complex64 or torch.complex128", dtype)
        self.dtype = dtype
        self.plane = plane
        super().__init__(path, inputs, targets, memory_budget_mb=memory_budget_mb)
        if plane is not None:
            n_planes = len(self.info.shape) * (len(self.info.shape) - 1) // 2
            if not 0 <= plane < n_planes:
                raise ParameterError("plane", f"0..{n_planes - 1}", plane)

    def _extra_paths(self) -> dict[str, str]:
        return {"beta": L.BETA}

    @property
    def beta(self) -> np.ndarray:
        """Per-sample beta, shape (n,)."""
        with open_h5(self.path) as f:
            return f[L.BETA][()]

    def _convert(self, name: str, arr: np.ndarray) -> torch.Tensor:
        if np.iscomplexobj(arr):
            return torch.from_numpy(np.ascontiguousarray(arr)).to(self.dtype)
        if self.plane is not None and L.parse_wilson_target(name):
            arr = arr[self.plane]
        return torch.from_numpy(np.ascontiguousarray(arr)).to(_REAL[self.dtype])


class ScalarDataset(_H5Dataset):
    """Scalar-field dataset: (4, N_t, N_x) channels (k_t, k_x, l_t, l_x) in, targets out.

    Parameters
    ----------
    path : path-like
        A file made by ``latticeml dataset build``.
    targets : sequence of str
        Among ``n``, ``phi2``, ``flux_violated``, ``open_worms``.
    dtype : torch.dtype
        Real dtype of inputs and real targets (default ``torch.float32``); the labels
        ``flux_violated`` and ``open_worms`` are returned as ``torch.int64``.
    memory_budget_mb : float
        Load into memory when the selected arrays fit, else read lazily.
    """

    kind = L.SCALAR_DATASET_KIND

    def __init__(
        self,
        path: str | os.PathLike,
        targets: Sequence[str] = ("n",),
        *,
        dtype: torch.dtype = torch.float32,
        memory_budget_mb: float = 4096,
    ) -> None:
        if dtype not in (torch.float32, torch.float64):
            raise ParameterError("dtype", "torch.float32 or torch.float64", dtype)
        self.dtype = dtype
        super().__init__(path, ("kl",), targets, memory_budget_mb=memory_budget_mb)

    def _extra_paths(self) -> dict[str, str]:
        return {"mu": L.MU, "flux_violated": f"{L.TARGETS}/flux_violated"}

    @property
    def mu(self) -> np.ndarray:
        """Per-sample mu, shape (n,)."""
        with open_h5(self.path) as f:
            return f[L.MU][()]

    def _nan_mask(self, block: dict[str, np.ndarray]) -> np.ndarray:
        return block["flux_violated"].astype(bool)

    def _convert(self, name: str, arr: np.ndarray) -> torch.Tensor:
        if name in ("flux_violated", "open_worms"):
            return torch.as_tensor(np.asarray(arr), dtype=torch.int64)
        return torch.from_numpy(np.ascontiguousarray(arr)).to(self.dtype)
