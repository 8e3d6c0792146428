"""Scalar (dual k, l) ensemble files: save a generated ensemble, describe (and verify) a file.

The names of the file contract (ARCHITECTURE.md §4) are assembled here, not in the CLI:
``latticeml scalar generate`` calls :func:`save_scalar_ensemble`, ``latticeml scalar inspect``
prints :func:`describe_scalar_ensemble`. Reading with all checks is
:func:`latticeml.data.read_scalar_ensemble`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from latticeml.data.describe import observable_line, record_lines
from latticeml.data.ensembles import read_scalar_ensemble, write_scalar_ensemble
from latticeml.data.provenance import machine_record
from latticeml.errors import FileFormatError

__all__ = ["scalar_ensemble_contents", "save_scalar_ensemble", "describe_scalar_ensemble"]


def scalar_ensemble_contents(
    ens: Any,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays and attributes of the file of a generated ensemble.

    Parameters
    ----------
    ens : ScalarEnsemble
        The result of :func:`latticeml.scalar.generate_scalar_ensemble`.

    Returns
    -------
    arrays : dict of ndarray
        ``k``, ``l`` (n, N_t, N_x, 2) int16; ``n``, ``phi2``, ``phi4`` (n,) and the chain
        histories ``n_history``, ``phi2_history`` float64; with open worms also
        ``open_worms`` (n,) int32 and ``label`` (n,) int8.
    attrs : dict
        The contract's attributes, the generation parameters, tau_int in sweeps and the worm
        statistics (including ``n_worms``, the value used, and ``n_worms_auto``) and the
        machine record (:func:`latticeml.data.provenance.machine_record`).
    """
    p = ens.params
    attrs = {
        "shape": p.shape,
        "mu": p.mu,
        "eta": p.eta,
        "lam": p.lam,
        "seed": p.seed,
        "n_therm": p.n_therm,
        "n_skip": p.n_skip,
        "open_worms": p.open_worms,
        "f_max": p.f_max,
        "algorithm": "worm (k) + Metropolis (l)",
        "tau_int_n_sweeps": ens.tau_int_sweeps.get("n", float("nan")),
        "tau_int_phi2_sweeps": ens.tau_int_sweeps.get("phi2", float("nan")),
        **ens.worm_info,
        **machine_record("scalar"),  # the worm kernels have one (plain Numba) implementation
    }
    arrays = {
        "k": ens.k,
        "l": ens.l,
        "n": ens.n,
        "phi2": ens.phi2,
        "phi4": ens.phi4,
        "n_history": ens.n_history,
        "phi2_history": ens.phi2_history,
    }
    if p.open_worms > 0:
        arrays["open_worms"] = ens.open_worms
        arrays["label"] = ens.label
    return arrays, attrs


def save_scalar_ensemble(
    path: str | os.PathLike, ens: Any, *, force: bool = False
) -> Path:
    """Write a generated ensemble to an HDF5 file (atomically, sealed with digests).

    Parameters
    ----------
    path : path-like
        Output file.
    ens : ScalarEnsemble
        The result of :func:`latticeml.scalar.generate_scalar_ensemble`.
    force : bool
        Replace an existing file.

    Returns
    -------
    Path
        The written file.
    """
    arrays, attrs = scalar_ensemble_contents(ens)
    return write_scalar_ensemble(path, arrays=arrays, attrs=attrs, force=force)


def describe_scalar_ensemble(path: str | os.PathLike) -> str:
    """Verify a scalar ensemble file and summarise it (``latticeml scalar inspect``).

    Every array is read and checked (digests, integer fields with conserved flux on closed
    configurations and ``2 M`` defects with ``M`` open worms, finite observables).

    Returns
    -------
    str
        Multi-line text.

    Raises
    ------
    FileFormatError
        Naming the file and the problem.
    """
    from latticeml.observables import gamma_analysis
    from latticeml.observables.flux import check_flux

    arrays, attrs = read_scalar_ensemble(path)
    k, l = arrays["k"], arrays["l"]
    m = arrays.get("open_worms")
    closed = np.ones(k.shape[0], dtype=bool) if m is None else np.asarray(m) == 0
    lines = [
        f"file        {path}",
        f"ensemble    scalar  shape {'x'.join(map(str, attrs['shape']))}  mu {attrs['mu']}  "
        f"eta {attrs['eta']}  lam {attrs['lam']}  seed {attrs['seed']}",
        f"chain       {k.shape[0]} configurations, n_therm {attrs['n_therm']}, "
        f"n_skip {attrs['n_skip']}, n_worms {attrs['n_worms']}  "
        f"(latticeml {attrs['package_version']})",
    ]
    if m is not None:
        lines.append(
            f"labels      {int(closed.sum())} conserved, {int((~closed).sum())} violated "
            f"({attrs.get('open_worms', int(np.max(m)))} open worms each)"
        )
    for name in ("n", "phi2", "phi4"):
        if name not in arrays:
            continue
        x = np.asarray(arrays[name])[closed]
        if x.size:
            lines.append(observable_line(name, x))
    n_prod = k.shape[0] * int(attrs["n_skip"])  # production sweeps = last entries of the history
    for name in ("n_history", "phi2_history"):
        if name in arrays and n_prod > 1 and arrays[name].size >= n_prod:
            r = gamma_analysis(arrays[name][-n_prod:])
            lines.append(
                f"tau_int     {name.split('_')[0]}: {r.tau_int:.2f} sweeps (chain history)"
            )
    check = check_flux(k, m, n=np.asarray(arrays["n"]), l=l)
    if not check.ok:
        raise FileFormatError(path, f"k, l: flux check {check}")
    lines += [
        f"flux        {check}",
        *record_lines(attrs),
    ]
    return "\n".join(lines)
