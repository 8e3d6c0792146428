"""External configurations as stage-1 ensembles, and ensembles as external files.

``latticeml gauge import`` reads ILDG, NERSC or openQCD files into one gauge ensemble file
(the HDF5 contract of the generator, so datasets, evaluation and plots run on it unchanged)
with the provenance of every source: path, SHA-256, what its reader verified, the header
plaquette beside the recomputed one. ``latticeml gauge export`` writes the configurations of
an ensemble in one of the formats.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latticeml.data.atomic import check_output_path
from latticeml.data.ensembles import read_gauge_ensemble, write_gauge_ensemble
from latticeml.data.provenance import distinct_sources, sha256_file
from latticeml.errors import FileFormatError, ParameterError
from latticeml.io.external import FORMATS, ExternalConfig
from latticeml.progress import progress_bar

__all__ = ["ImportParams", "import_ensemble", "export_ensemble", "output_names"]

#: ``algorithm`` attribute of an imported ensemble.
IMPORTED = "imported"


@dataclass(frozen=True, kw_only=True)
class ImportParams:
    """What ``latticeml gauge import`` reads.

    Attributes
    ----------
    sources : tuple of str
        The external files, one configuration each, all of one lattice, group and coupling.
    format : {'ildg', 'nersc', 'openqcd'}
        Their format.
    beta : float
        The coupling they were generated at (the files do not state it; datasets group
        configurations by it).
    shape : tuple of int, optional
        ``(L_t, L_x, L_y, L_z)``: for ILDG files without a format record (checked otherwise).
    group : {'su2', 'su3'}, optional
        As ``shape``.
    precision : {32, 64}, optional
        As ``shape``.
    """

    sources: tuple[str, ...]
    format: str
    beta: float
    shape: tuple[int, ...] | None = None
    group: str | None = None
    precision: int | None = None

    def __post_init__(self) -> None:
        if not self.sources:
            raise ParameterError("FILE", "at least one configuration file", "none")
        if self.format not in FORMATS:
            raise ParameterError("--format", " or ".join(FORMATS), self.format)
        if isinstance(self.beta, bool) or not isinstance(self.beta, (int, float)) or not (
                math.isfinite(self.beta) and self.beta > 0):
            raise ParameterError("--beta", "a positive finite coupling", self.beta)
        given = [k for k in ("shape", "group", "precision") if getattr(self, k) is not None]
        if given and self.format != "ildg":
            raise ParameterError("--" + given[0], "nothing for " + self.format + " files "
                                 "(their header states it)", getattr(self, given[0]))
        for path in self.sources:
            if not Path(path).is_file():
                raise FileFormatError(path, "no such file")
        distinct_sources(list(self.sources))


def _read(params: ImportParams, path: str) -> ExternalConfig:
    from latticeml import io

    if params.format == "ildg":
        return io.read_ildg(path, shape=params.shape, group=params.group,
                            precision=params.precision)
    return io.READERS[params.format](path)


def import_ensemble(params: ImportParams, out: str | os.PathLike, *, force: bool = False,
                    progress: bool = False) -> Path:
    """Read external configurations and write them as one stage-1 gauge ensemble.

    Every file is read and verified (checksums, header plaquette, unitarity) before the
    output is written; the output is written atomically and never replaces an input.

    Returns
    -------
    Path
        The ensemble file.
    """
    check_output_path(out, force=force)
    resolved = {Path(p).resolve() for p in params.sources}
    if Path(out).resolve() in resolved:
        raise ParameterError("--out", "a file that is not an input", str(out))
    links = plaq = None
    records = []
    first: ExternalConfig | None = None
    with progress_bar(len(params.sources), "import", enabled=progress, unit="file") as bar:
        for i, path in enumerate(params.sources):
            cfg = _read(params, path)
            if first is None:
                first = cfg
                links = np.empty((len(params.sources), *cfg.links.shape), np.complex128)
                plaq = np.empty(len(params.sources))
            elif (cfg.links.shape, cfg.group) != (first.links.shape, first.group):
                raise FileFormatError(path, f"{cfg.group} on {cfg.shape}, but {first.path} is "
                                      f"{first.group} on {first.shape}: one ensemble holds one "
                                      "lattice and group")
            links[i] = cfg.links
            plaq[i] = cfg.plaquette
            records.append({"path": str(path), "sha256": sha256_file(path),
                            "format": cfg.format, "precision": cfg.precision,
                            "plaquette": cfg.plaquette,
                            "header_plaquette": cfg.header_plaquette,
                            "checksum": cfg.checksum, "unitarity": cfg.unitarity,
                            "notes": list(cfg.notes)})
            del cfg
            bar.update(1)
    attrs = {"group": first.group, "n_colors": links.shape[-1], "shape": first.shape,
             "beta": float(params.beta), "seed": 0, "algorithm": IMPORTED, "n_therm": 0,
             "n_skip": 1, "import_format": params.format,
             "import_sources": json.dumps(records, sort_keys=True)}
    return write_gauge_ensemble(out, arrays={"links": links, "plaquette": plaq}, attrs=attrs,
                                force=force)


_TEMPLATE = re.compile(r"\{i(?::0?(\d+)d)?\}")


def output_names(template: str, n: int) -> list[str]:
    """Return the file names of ``n`` configurations: ``{i}`` or ``{i:04d}`` numbers them.

    Raises
    ------
    ParameterError
        For several configurations without ``{i}``, or braces that are not ``{i}`` /
        ``{i:0Nd}``.
    """
    if "{" in _TEMPLATE.sub("", template) or "}" in _TEMPLATE.sub("", template):
        raise ParameterError("--out", "a file name with {i} or {i:04d} as the only braces",
                             template)
    if n > 1 and not _TEMPLATE.search(template):
        raise ParameterError("--out", "a name with {i} (e.g. conf_{i:04d}.ildg): the "
                             f"ensemble holds {n} configurations", template)

    def name(i: int) -> str:
        return _TEMPLATE.sub(lambda m: f"{i:0{m.group(1) or 0}d}", template)

    return [name(i) for i in range(n)]


def export_ensemble(ensemble: str | os.PathLike, format: str, out: str, *,
                    precision: int = 64, two_rows: bool = False, big_endian: bool = True,
                    force: bool = False, progress: bool = False) -> list[Path]:
    """Write every configuration of a 4D gauge ensemble as an external file.

    Parameters
    ----------
    ensemble : path-like
        A stage-1 gauge ensemble.
    format : {'ildg', 'nersc', 'openqcd'}
        The format.
    out : str
        File name, with ``{i}`` (or ``{i:04d}``) numbering the configurations.
    precision : {32, 64}
        ILDG and NERSC: bits per real number (openQCD is 64-bit).
    two_rows, big_endian : bool
        NERSC only: ``4D_SU3_GAUGE`` instead of ``_3x3``; ``IEEE..BIG`` or ``..LITTLE``.
    force : bool
        Replace existing files.

    Returns
    -------
    list of Path
        The files written.
    """
    if format not in FORMATS:
        raise ParameterError("--format", " or ".join(FORMATS), format)
    if format == "openqcd" and precision != 64:
        raise ParameterError("--precision", "64 for openqcd", precision)
    if format != "nersc" and (two_rows or not big_endian):
        raise ParameterError("--two-rows/--no-big-endian", "--format nersc", format)
    arrays, attrs = read_gauge_ensemble(ensemble)
    links = arrays["links"]
    if links.ndim != 8:
        raise ParameterError("ENSEMBLE", "a 4D ensemble (the formats are 4D)",
                             f"shape {tuple(attrs['shape'])}")
    names = output_names(out, len(links))
    resolved = Path(ensemble).resolve()
    for name in names:
        check_output_path(name, force=force)
        if Path(name).resolve() == resolved:
            raise ParameterError("--out", "a file that is not the input", name)
    from latticeml import io

    kwargs = {"precision": precision} if format != "openqcd" else {}
    if format == "nersc":
        kwargs.update(two_rows=two_rows, big_endian=big_endian, sequence_number=0)
    written = []
    with progress_bar(len(names), "export", enabled=progress, unit="file") as bar:
        for i, name in enumerate(names):
            if format == "nersc":
                kwargs["sequence_number"] = i
            io.WRITERS[format](name, links[i], force=force, **kwargs)
            written.append(Path(name))
            bar.update(1)
    return written
