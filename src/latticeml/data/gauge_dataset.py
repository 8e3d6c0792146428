"""Build gauge training datasets (stage 2) from gauge ensemble files.

A dataset file holds the links of every configuration of its sources (one ensemble file per
beta, all of the same split, group and lattice), the requested targets computed here, the
per-sample ``beta`` and a provenance record. Train, validation and test files are built from
separate ensemble files, i.e. separate Markov chains.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib import import_module
from pathlib import Path

import h5py
import numpy as np

from latticeml.data import layout as L
from latticeml.data._h5 import create_array, write_sources
from latticeml.data.atomic import atomic_path, check_output_path
from latticeml.data.checksum import seal
from latticeml.data.ensembles import ensemble_size, read_ensemble_attrs, read_gauge_ensemble
from latticeml.data.provenance import (
    distinct_sources,
    provenance_record,
    source_backends,
    source_record,
)
from latticeml.errors import FileFormatError, ParameterError
from latticeml.lattice import planes
from latticeml.progress import progress_bar

__all__ = ["GaugeDatasetParams", "build_gauge_dataset", "check_loops", "polyakov_field"]

#: Configurations processed at once when computing targets.
BATCH = 64


@dataclass(frozen=True)
class GaugeDatasetParams:
    """What goes into a gauge dataset file.

    Attributes
    ----------
    sources : tuple of str
        Gauge ensemble files (e.g. one per beta), all with the same group and lattice.
    loops : tuple of (int, int)
        Wilson-loop sizes ``(a, b)``; each gives a target ``W_axb`` of shape
        (n, n_planes, *shape).
    plaquette_channels : bool
        Also store plaquette matrices (n, n_planes, *shape, N, N) as an input.
    polyakov_channels : bool
        Also store Polyakov-loop matrices along axis 0 starting at every site,
        (n, *shape, N, N), as an input.
    polyakov_separations : tuple of int
        Separations ``r`` of per-site Polyakov-loop correlators; each gives a target
        ``polyakov_corr_r{r}`` of shape (n, *shape).
    polyakov : bool
        Store the traced Polyakov loop ``polyakov_loop`` (n, *shape[1:]) complex as a target.
    topological : bool or None
        Store the clover topological charge density (n, *shape); ``None`` = when D = 4.
    fixed_point : bool
        Store the fixed-point action of every configuration, its derivative and the
        minimiser's residual (:mod:`latticeml.fixedpoint.dataset`; one minimisation per
        configuration, far slower than the other targets).
    fp_c, fp_kappa, fp_tol : float
        The blocking's staple weight and kernel strength, and the minimiser's tolerance.
    fp_fine_model : str
        The action on the fine level: ``""`` for the Wilson action (the first step of the
        iterative scheme), or an action model file (``model.pt`` of kind ``action``, e.g. the
        one trained on the previous step's dataset): the next step. Its SHA-256 is recorded
        with the dataset's parameters.
    """

    sources: tuple[str, ...]
    loops: tuple[tuple[int, int], ...] = ((1, 1),)
    polyakov_separations: tuple[int, ...] = ()
    plaquette_channels: bool = False
    polyakov_channels: bool = False
    polyakov: bool = True
    topological: bool | None = None
    fixed_point: bool = False
    fp_c: float = 0.05
    fp_kappa: float = 2.0
    fp_tol: float = 1e-6
    fp_fine_model: str = ""

    def __post_init__(self) -> None:
        from latticeml.checks import check_float

        object.__setattr__(self, "fp_c", check_float(self.fp_c, "--fp-c"))
        for name, flag in (("fp_kappa", "--fp-kappa"), ("fp_tol", "--fp-tol")):
            value = check_float(getattr(self, name), flag)
            if value <= 0:
                raise ParameterError(flag, "a number > 0", getattr(self, name))
            object.__setattr__(self, name, value)
        object.__setattr__(self, "fp_fine_model", str(self.fp_fine_model or ""))
        if self.fp_fine_model and not Path(self.fp_fine_model).is_file():
            raise ParameterError("--fp-fine-model", "an action model file (model.pt of kind "
                                 "action)", self.fp_fine_model)
        if not self.sources:
            raise ParameterError("--inputs", "at least one gauge ensemble file", "nothing")
        loops = []
        for loop in self.loops:
            try:
                a, b = (int(v) for v in loop)
            except (TypeError, ValueError):
                raise ParameterError("--loops", "sizes like 1x1,1x2,2x2", loop) from None
            if a < 1 or b < 1:
                raise ParameterError("--loops", "loop sizes a, b >= 1", f"{a}x{b}")
            if (a, b) in loops:
                raise ParameterError("--loops", "distinct loop sizes", f"{a}x{b} twice")
            loops.append((a, b))
        if not loops:
            raise ParameterError("--loops", "at least one Wilson loop size", "nothing")
        object.__setattr__(self, "loops", tuple(loops))
        seps: list[int] = []
        for r in self.polyakov_separations:
            if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or r < 1 or r in seps:
                raise ParameterError("--polyakov-separations", "distinct integers r >= 1", r)
            seps.append(int(r))
        object.__setattr__(self, "polyakov_separations", tuple(seps))
        object.__setattr__(self, "sources", tuple(str(s) for s in self.sources))
        distinct_sources(self.sources)


def polyakov_field(links: np.ndarray) -> np.ndarray:
    """Polyakov-loop matrices along axis 0 starting at every site.

    Parameters
    ----------
    links : ndarray, shape (B, *shape, D, N, N)

    Returns
    -------
    ndarray, shape (B, *shape, N, N)
        ``P(x) = U_0(x) U_0(x + 0) ... U_0(x + (L_0 - 1) 0)``; transforms locally,
        ``P(x) -> Omega(x) P(x) Omega(x)^dagger``.
    """
    u0 = links[..., 0, :, :]
    out = u0.copy()
    for k in range(1, links.shape[1]):
        out = out @ np.roll(u0, -k, axis=1)
    return out


def _scan_sources(sources: Sequence[str]) -> tuple[list[dict], dict]:
    metas = []
    for path in sources:
        attrs = read_ensemble_attrs(path, kind=L.GAUGE_KIND)
        metas.append({"path": str(path), "n": ensemble_size(path, "links"), "attrs": attrs})
    first = metas[0]["attrs"]
    for m in metas[1:]:
        for key in ("group", "shape"):
            if tuple(np.atleast_1d(m["attrs"][key])) != tuple(np.atleast_1d(first[key])):
                raise FileFormatError(
                    m["path"],
                    f"{key} = {m['attrs'][key]} differs from {first[key]} of {metas[0]['path']}; "
                    "a dataset is built from ensembles of one group and lattice",
                )
    return metas, first


def check_loops(loops: Sequence[tuple[int, int]], shape: Sequence[int]) -> None:
    """Refuse Wilson loops that do not fit the lattice.

    A loop ``a x b`` in the plane ``(mu, nu)``, ``mu < nu``, takes ``a`` steps along ``mu`` and
    ``b`` along ``nu``; it must satisfy ``a <= L_mu`` and ``b <= L_nu`` in every plane, i.e.
    ``a <= min(L_0 .. L_{D-2})`` and ``b <= min(L_1 .. L_{D-1})``.

    Raises
    ------
    ParameterError
        Naming the loop and the lattice.
    """
    from latticeml.catalog.targets import WILSON_LOOP

    shape = tuple(int(s) for s in shape)
    for a, b in loops:
        why = WILSON_LOOP.misfit((int(a), int(b)), shape)
        if why:
            raise ParameterError("--loops", "loops that fit the lattice", f"{a}x{b}", why)


def _family_members(params: GaugeDatasetParams, shape: Sequence[int]) -> dict:
    """Target name -> (family, parameters, function) of the catalogue's listed families.

    Members that do not fit the lattice are refused (with the family's flag) before any work.
    """
    from latticeml.catalog.targets import GAUGE_FAMILIES, members

    options = asdict(params)
    out = {}
    for fam in GAUGE_FAMILIES:
        module, function = fam.compute.split(":")
        compute = getattr(import_module(module), function)
        for m in members(options, fam):
            why = fam.misfit(m, tuple(shape)) if fam.misfit else ""
            if why:
                raise ParameterError(fam.flag, "members that fit the lattice", "x".join(
                    map(str, m)), why)
            out[fam.target_name(*m)] = (fam, m, compute)
    return out


def build_gauge_dataset(
    params: GaugeDatasetParams,
    out: str | os.PathLike,
    *,
    force: bool = False,
    progress: bool = False,
) -> Path:
    """Build a gauge dataset file from ensemble files.

    Parameters
    ----------
    params : GaugeDatasetParams
        Sources and targets.
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
    from latticeml.data.physics import check_gauge_ensemble_physics
    from latticeml.observables import plaquette_field, polyakov_loops, topological_charge_density

    check_output_path(out, force=force, inputs=(*params.sources, *(
        [params.fp_fine_model] if params.fp_fine_model else [])))
    metas, first = _scan_sources(params.sources)
    distinct_sources(params.sources, [m["attrs"] for m in metas])
    shape = tuple(int(s) for s in first["shape"])
    families = _family_members(params, shape)
    D, N = len(shape), int(first["n_colors"])
    topological = (D == 4) if params.topological is None else params.topological
    if topological and D != 4:
        raise ParameterError("--topological", "a 4D ensemble", f"D = {D}")
    n_total = sum(m["n"] for m in metas)
    n_planes = len(planes(D))
    resolved = asdict(params)
    resolved["topological"] = topological
    if params.fp_fine_model:  # the model's content, not only its path
        from latticeml.data.provenance import sha256_file

        resolved["fp_fine_model_sha256"] = sha256_file(params.fp_fine_model)

    # links, and per loop a float64 per site and plane (the other inputs and targets are
    # smaller or optional; chunked storage adds little)
    sites = int(np.prod(shape))
    per_sample = 16 * sites * D * N * N * (2 if params.fixed_point else 1) \
        + 8 * sites * n_planes * (len(families) + 2)
    with atomic_path(out, force=force, need=n_total * per_sample) as tmp, \
            h5py.File(tmp, "w", track_order=True) as f:
        f.attrs.update(
            kind=L.GAUGE_DATASET_KIND,
            format_version=L.DATASET_FORMAT_VERSION,
            group=str(first["group"]),
            n_colors=N,
            shape=np.asarray(shape),
            n_samples=n_total,
            description="inputs: links and optional channels; targets: per-site observables; "
            "params: per-sample physical parameters; provenance: sources",
            **provenance_record(resolved, backend=source_backends([m["attrs"] for m in metas])),
        )
        arrays: dict[str, h5py.Dataset] = {}

        def make(name, sample_shape, dtype, description, **attrs):
            arrays[name] = create_array(
                f,
                name,
                np.empty((n_total, *sample_shape), dtype),
                description=description,
                **attrs,
            )

        make(
            L.LINKS,
            (*shape, D, N, N),
            np.complex128,
            "link variables U_mu(x) in SU(N)",
            layout="(sample, *shape, mu, row, col)",
        )
        if params.plaquette_channels:
            make(
                L.PLAQUETTE_INPUT,
                (n_planes, *shape, N, N),
                np.complex128,
                "plaquette matrices U_{x,mu nu}",
                layout="(sample, plane, *shape, row, col)",
            )
        if params.polyakov_channels:
            make(
                L.POLYAKOV_INPUT,
                (*shape, N, N),
                np.complex128,
                "Polyakov-loop matrices along axis 0 starting at x",
                layout="(sample, *shape, row, col)",
            )
        for name, (fam, members, _) in families.items():
            per_plane = {"planes": json.dumps(planes(D))} if fam.per_plane else {}
            make(
                f"{L.TARGETS}/{name}",
                (n_planes, *shape) if fam.per_plane else shape,
                np.dtype(fam.dtype),
                fam.description,
                layout="(sample, plane, *shape)" if fam.per_plane else "(sample, *shape)",
                parameters=np.asarray(members),
                **per_plane,
            )
        if params.polyakov:
            make(
                f"{L.TARGETS}/{L.POLYAKOV_TARGET}",
                shape[1:],
                np.complex128,
                "traced Polyakov loop Tr P / N along axis 0",
                layout="(sample, *shape[1:])",
            )
        if topological:
            make(
                f"{L.TARGETS}/{L.TOPOLOGICAL}",
                shape,
                np.float64,
                "clover topological charge density q(x)",
                layout="(sample, *shape)",
            )
        if params.fixed_point:
            from latticeml.catalog.targets import (
                FIXED_POINT_ACTION,
                FIXED_POINT_DERIVATIVE,
                FIXED_POINT_GRAD_NORM,
            )

            for fam, sample_shape, layout in (
                    (FIXED_POINT_ACTION, (), "(sample,)"),
                    (FIXED_POINT_DERIVATIVE, (*shape, D, N, N), "(sample, *shape, mu, row, col)"),
                    (FIXED_POINT_GRAD_NORM, (), "(sample,)")):
                make(f"{L.TARGETS}/{fam.template}", sample_shape, np.dtype(fam.dtype),
                     fam.description, layout=layout)
        make(L.BETA, (), np.float64, "inverse coupling beta of the sample's ensemble")
        make(L.SOURCE_INDEX, (), np.int32, "index of the source in provenance/sources")
        make(L.CONFIG_INDEX, (), np.int32, "index of the configuration in its source")

        sources = []
        bar = progress_bar(n_total, "dataset gauge", enabled=progress, unit="cfg")
        start = 0
        for s, meta in enumerate(metas):
            data, attrs = read_gauge_ensemble(meta["path"])
            check_gauge_ensemble_physics(meta["path"], data, attrs)  # what inspect refuses
            links = data["links"]
            sources.append(source_record(meta["path"], links.shape[0], attrs))
            step = 1 if params.fixed_point else BATCH  # a minimisation per configuration
            for lo in range(0, links.shape[0], step):
                u = links[lo : lo + step]
                sl = slice(start + lo, start + lo + u.shape[0])
                arrays[L.LINKS][sl] = u
                if params.plaquette_channels:
                    arrays[L.PLAQUETTE_INPUT][sl] = plaquette_field(u)
                if params.polyakov_channels:
                    arrays[L.POLYAKOV_INPUT][sl] = polyakov_field(u)
                for name, (_, members, compute) in families.items():
                    arrays[f"{L.TARGETS}/{name}"][sl] = compute(u, *members)
                if params.polyakov:
                    arrays[f"{L.TARGETS}/{L.POLYAKOV_TARGET}"][sl] = polyakov_loops(u, axis=0)
                if topological:
                    arrays[f"{L.TARGETS}/{L.TOPOLOGICAL}"][sl] = topological_charge_density(u)
                if params.fixed_point:
                    from latticeml.fixedpoint.dataset import fixed_point_targets

                    fp = fixed_point_targets(u, params.fp_c, params.fp_kappa, params.fp_tol,
                                             fine_model=params.fp_fine_model or None)
                    for name, values in zip(("fixed_point_action", "fixed_point_derivative",
                                             "fixed_point_grad_norm"), fp, strict=True):
                        arrays[f"{L.TARGETS}/{name}"][sl] = values
                bar.update(u.shape[0])
            n = links.shape[0]
            arrays[L.BETA][start : start + n] = float(attrs["beta"])
            arrays[L.SOURCE_INDEX][start : start + n] = s
            arrays[L.CONFIG_INDEX][start : start + n] = np.arange(n)
            start += n
        bar.close()
        write_sources(f, L.SOURCES, sources)
        seal(f)
    return Path(out)
