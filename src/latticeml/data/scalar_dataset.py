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
    flux_controls : int
        Sets of synthetic flux controls (:func:`latticeml.observables.flux_controls.flux_controls`,
        built from the divergence, not from a chain) appended to the dataset as training
        augmentation for flux detectors (0: none). Each set adds about 120 closed and 180
        open configurations; their ``n`` and ``phi2`` are NaN (regressors skip them),
        ``open_worms`` counts the open strings, ``mu`` is that of the closed chain
        configuration they were built around, ``source_index`` and ``config_index`` are -1.
    controls_seed : int
        Seed of the augmentation (set ``i`` uses seed ``10**6 + 1000 * controls_seed + i``,
        never the evaluation's :data:`~latticeml.observables.flux_controls.CONTROL_SEED`).
    controls_max_k : int
        Keep only augmentation configurations with ``max |k| <= controls_max_k`` (huge
        ``|k|`` make the squared features of a fresh network explode during training).
    """

    sources: tuple[str, ...]
    flux_controls: int = 0
    controls_seed: int = 0
    controls_max_k: int = 8

    def __post_init__(self) -> None:
        if not self.sources:
            raise ParameterError("--inputs", "at least one scalar ensemble file", "nothing")
        for name, low, flag in (("flux_controls", 0, "--flux-controls"),
                                ("controls_seed", 0, "--controls-seed"),
                                ("controls_max_k", 1, "--controls-max-k")):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
                raise ParameterError(flag, f"an integer >= {low}", v)
            if name == "controls_seed" and v >= 1000:
                raise ParameterError(flag, "an integer in [0, 999]", v)
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


def _control_part(params: ScalarDatasetParams, parts: list[dict], shape) -> dict:
    """Build the synthetic flux controls appended by ``params.flux_controls``."""
    from latticeml.observables.flux_controls import flux_controls

    kl = np.concatenate([p["kl"] for p in parts])
    mu = np.concatenate([p["mu"] for p in parts])
    closed = np.flatnonzero(np.concatenate([p["flux_violated"] for p in parts]) == 0)
    if closed.size == 0:
        raise ParameterError("--flux-controls", "ensembles with closed configurations to build "
                             "the controls around", "only violated configurations")
    kls, labels, worms, mus = [], [], [], []
    for i in range(params.flux_controls):
        base = closed[(8 * i + np.arange(8)) % closed.size]
        k = np.moveaxis(kl[base, :2], 1, -1).astype(np.int64)
        lb = np.moveaxis(kl[base, 2:], 1, -1).astype(np.int64)
        c = flux_controls(shape, seed=10**6 + 1000 * params.controls_seed + i, base_k=k,
                          base_l=lb)
        keep = np.abs(c.kl[:, :2]).max(axis=(1, 2, 3)) <= params.controls_max_k
        kls.append(c.kl[keep])
        labels.append(c.label[keep])
        worms.append(np.array([_n_strings(kind) for kind in c.kind[keep]], dtype=np.int32))
        mus.append(np.full(int(keep.sum()), mu[base[0]]))
    label = np.concatenate(labels)
    n = label.size
    return {"kl": np.concatenate(kls).astype(np.int32), "n": np.full(n, np.nan),
            "phi2": np.full(n, np.nan), "flux_violated": label.astype(np.int8),
            "open_worms": np.concatenate(worms), "mu": np.concatenate(mus),
            "source_index": np.full(n, -1, dtype=np.int32),
            "config_index": np.full(n, -1, dtype=np.int32)}


def _n_strings(kind: str) -> int:
    if "+strings(" in kind:
        return int(kind.rsplit("+strings(", 1)[1].rstrip(")"))
    return int(any(s in kind for s in ("+string_", "+walk(")))


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
    if params.flux_controls:
        parts.append(_control_part(params, parts, shape))
    cat = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    n_total = cat["kl"].shape[0]

    need = sum(int(np.asarray(v).nbytes) for v in cat.values())
    with atomic_path(out, force=force, need=need) as tmp, \
            h5py.File(tmp, "w", track_order=True) as f:
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
