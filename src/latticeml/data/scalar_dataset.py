"""Build scalar-field training datasets (stage 2) from dual (k, l) ensemble files.

Inputs are the integer link fields as channels ``(k_t, k_x, l_t, l_x)`` of shape
(n, 4, N_t, N_x); targets are ``n`` and ``phi2`` (measured on closed configurations; NaN
where a configuration holds open worms and the observable is undefined), the flux-violation
label ``flux_violated`` (1 = the configuration contains open worms) and ``open_worms``
(their number); per-sample ``mu``. One file may mix values of mu and open-worm counts (the
per-sample ``mu`` and ``open_worms`` record them, the attributes ``mu_values`` and
``open_worm_counts`` list them) but never lattices.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import h5py
import numpy as np

from latticeml.data import layout as L
from latticeml.data._h5 import create_array, write_sources
from latticeml.data.atomic import atomic_path, check_output_path
from latticeml.data.checksum import seal
from latticeml.data.ensembles import read_ensemble_attrs, read_scalar_ensemble
from latticeml.data.provenance import (
    distinct_sources,
    provenance_record,
    source_backends,
    source_record,
)
from latticeml.errors import FileFormatError, ParameterError
from latticeml.progress import progress_bar

__all__ = ["ScalarDatasetParams", "build_scalar_dataset", "kl_channels"]


@dataclass(frozen=True)
class ScalarDatasetParams:
    """What goes into a scalar dataset file.

    Attributes
    ----------
    sources : tuple of str
        Scalar ensemble files (e.g. one per mu), all on the same lattice.
    """

    sources: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.sources:
            raise ParameterError("--inputs", "at least one scalar ensemble file", "nothing")
        object.__setattr__(self, "sources", tuple(str(s) for s in self.sources))
        distinct_sources(self.sources)


def kl_channels(k: np.ndarray, l: np.ndarray) -> np.ndarray:
    """Stack link fields into network inputs.

    Parameters
    ----------
    k, l : ndarray, shape (n, N_t, N_x, 2)
        Integer link fields, last axis nu = 0 (time), 1 (space).

    Returns
    -------
    ndarray of int32, shape (n, 4, N_t, N_x)
        Channels ``(k_t, k_x, l_t, l_x)``.
    """
    return np.ascontiguousarray(
        np.concatenate([np.moveaxis(k, -1, 1), np.moveaxis(l, -1, 1)], axis=1), dtype=np.int32
    )


def _labels(arrays: dict, n: int) -> tuple[np.ndarray, np.ndarray]:
    open_worms = np.asarray(arrays.get("open_worms", np.zeros(n)), dtype=np.int32)
    if "label" in arrays:
        violated = np.asarray(arrays["label"], dtype=np.int8)
    else:
        violated = (open_worms > 0).astype(np.int8)
    return violated, open_worms


def build_scalar_dataset(
    params: ScalarDatasetParams,
    out: str | os.PathLike,
    *,
    force: bool = False,
    progress: bool = False,
) -> Path:
    """Build a scalar dataset file from ensemble files of one lattice.

    Parameters
    ----------
    params : ScalarDatasetParams
        Source files.
    out : path-like
        Output file, written atomically.
    force : bool
        Replace an existing output file.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    Path
        The written file.
    """
    check_output_path(out, force=force, inputs=params.sources)
    # before reading any array: kind, version, metadata digests, one lattice, no copies
    metas = [read_ensemble_attrs(p, kind=L.SCALAR_KIND) for p in params.sources]
    distinct_sources(params.sources, metas)
    for path, attrs in zip(params.sources[1:], metas[1:], strict=True):
        if tuple(attrs["shape"]) != tuple(metas[0]["shape"]):
            raise FileFormatError(
                path,
                f"lattice {tuple(attrs['shape'])} differs from {tuple(metas[0]['shape'])} of "
                f"{params.sources[0]}; a dataset is built from ensembles of one lattice",
            )
    parts, sources = [], []
    shape = None
    bar = progress_bar(len(params.sources), "dataset scalar", enabled=progress, unit="file")
    for path in params.sources:
        arrays, attrs = read_scalar_ensemble(path)
        s = tuple(int(v) for v in attrs["shape"])
        if shape is None:
            shape = s
        elif s != shape:
            raise FileFormatError(
                path,
                f"lattice {s} differs from {shape} of {params.sources[0]}; a dataset is built "
                "from ensembles of one lattice",
            )
        n = arrays["k"].shape[0]
        violated, open_worms = _labels(arrays, n)
        undefined = np.where(violated.astype(bool), np.nan, 0.0)  # NaN where flux is violated
        parts.append(
            {
                "kl": kl_channels(arrays["k"], arrays["l"]),
                "n": np.asarray(arrays["n"], dtype=np.float64) + undefined,
                "phi2": np.asarray(arrays["phi2"], dtype=np.float64) + undefined,
                "flux_violated": violated,
                "open_worms": open_worms,
                "mu": np.full(n, float(attrs["mu"])),
                "source_index": np.full(n, len(sources), dtype=np.int32),
                "config_index": np.arange(n, dtype=np.int32),
            }
        )
        sources.append(source_record(path, n, attrs))
        bar.update(1)
    bar.close()
    cat = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    n_total = cat["kl"].shape[0]

    with atomic_path(out, force=force) as tmp, h5py.File(tmp, "w", track_order=True) as f:
        f.attrs.update(
            kind=L.SCALAR_DATASET_KIND,
            format_version=L.DATASET_FORMAT_VERSION,
            shape=np.asarray(shape),
            n_samples=n_total,
            description="inputs: dual link fields as channels; targets: n, phi2, flux-violation "
            "label and count; params: per-sample mu; provenance: sources",
            mu_values=np.unique(cat["mu"]),
            open_worm_counts=np.unique(cat["open_worms"]).astype(np.int64),
            **provenance_record(
                asdict(params), backend=source_backends([src["attrs"] for src in sources])
            ),
        )
        create_array(
            f,
            L.KL,
            cat["kl"],
            description="dual link fields as channels (k_t, k_x, l_t, l_x)",
            layout="(sample, channel, t, x)",
            channels=json.dumps(L.SCALAR_CHANNELS),
            compress=True,
        )
        t = L.TARGETS
        create_array(f, f"{t}/n", cat["n"], description="charge density n = sum_x k_{x,0} / V")
        create_array(
            f, f"{t}/phi2", cat["phi2"], description="<|phi|^2> = sum_x W(f_x+2)/W(f_x) / V"
        )
        create_array(
            f,
            f"{t}/flux_violated",
            cat["flux_violated"],
            description="1 if the configuration contains open worms (flux violated), else 0",
        )
        create_array(f, f"{t}/open_worms", cat["open_worms"], description="number of open worms")
        create_array(f, L.MU, cat["mu"], description="chemical potential mu")
        create_array(
            f, L.SOURCE_INDEX, cat["source_index"], description="index in provenance/sources"
        )
        create_array(
            f, L.CONFIG_INDEX, cat["config_index"], description="configuration index in source"
        )
        write_sources(f, L.SOURCES, sources)
        seal(f)
    return Path(out)
