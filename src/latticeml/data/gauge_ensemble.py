"""Gauge ensemble files: save a generated ensemble, describe (and verify) a file.

The names of the file contract (ARCHITECTURE.md §4) are assembled here, not in the CLI:
``latticeml gauge generate`` calls :func:`save_gauge_ensemble`, ``latticeml gauge inspect``
prints :func:`describe_gauge_ensemble`. Reading with all checks is
:func:`latticeml.data.read_gauge_ensemble`.

No wall time, host name or path goes into the file: the same parameters and seed give the same
bytes (on the same machine, see :mod:`latticeml.data.provenance`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from latticeml.data.describe import observable_line, record_lines
from latticeml.data.ensembles import read_gauge_ensemble, write_gauge_ensemble
from latticeml.data.physics import PLAQUETTE_TOL
from latticeml.data.provenance import machine_record, sha256_file

__all__ = ["PLAQUETTE_TOL", "gauge_ensemble_contents", "save_gauge_ensemble",
           "describe_gauge_ensemble"]  # fmt: skip



def gauge_ensemble_contents(ens: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays and attributes of the file of a generated ensemble.

    Parameters
    ----------
    ens : GaugeEnsemble
        The result of :func:`latticeml.gauge.generate_ensemble`.

    Returns
    -------
    arrays : dict of ndarray
        ``links`` (n, *shape, D, N, N) complex128, ``plaquette`` (n,), ``plaquette_history``
        (n_sweeps,) float64.
    attrs : dict
        The contract's attributes, the generation parameters, the acceptance, tau_int of the
        plaquette and the machine record (backend, CPU, numba version:
        :func:`latticeml.data.provenance.machine_record`).
    """
    p = ens.params
    attrs = {
        "group": p.group,
        "n_colors": ens.links.shape[-1],
        "shape": p.shape,
        "beta": p.beta,
        "seed": p.seed,
        "algorithm": p.algorithm,
        "n_therm": p.n_therm,
        "n_skip": p.n_skip,
        "n_overrelax": p.n_overrelax,
        "metropolis_hits": p.metropolis_hits,
        "metropolis_step": p.metropolis_step,
        "start": p.start,
        "acceptance": ens.acceptance,
        "tau_int_plaquette": ens.tau_int,
        **machine_record(ens.backend),
    }
    arrays = {
        "links": ens.links,
        "plaquette": ens.plaquette,
        "plaquette_history": ens.plaquette_history,
    }
    delta_h = getattr(ens, "delta_h", None)
    if delta_h is not None:  # hmc: energy violation per trajectory
        arrays["delta_h"] = np.asarray(delta_h, dtype=np.float64)
        attrs.update(hmc_length=p.hmc_length, hmc_steps=p.hmc_steps,
                     hmc_integrator=p.hmc_integrator, action=p.hmc_action,
                     hmc_exp_minus_dh=float(np.mean(np.exp(-arrays["delta_h"]))))
        if p.hmc_action_model:
            attrs.update(hmc_action_model=str(p.hmc_action_model),
                         hmc_action_model_sha256=sha256_file(p.hmc_action_model))
    return arrays, attrs


def save_gauge_ensemble(
    path: str | os.PathLike, ens: Any, *, force: bool = False
) -> Path:
    """Write a generated ensemble to an HDF5 file (atomically, sealed with digests).

    Parameters
    ----------
    path : path-like
        Output file.
    ens : GaugeEnsemble
        The result of :func:`latticeml.gauge.generate_ensemble`.
    force : bool
        Replace an existing file.

    Returns
    -------
    Path
        The written file.
    """
    arrays, attrs = gauge_ensemble_contents(ens)
    return write_gauge_ensemble(path, arrays=arrays, attrs=attrs, force=force)


def describe_gauge_ensemble(path: str | os.PathLike) -> str:
    """Verify a gauge ensemble file and summarise it (``latticeml gauge inspect``).

    Every array is read and checked (digests, finite values, SU(N) links) and the stored
    plaquettes are recomputed from the links.

    Returns
    -------
    str
        Multi-line text.

    Raises
    ------
    FileFormatError
        Naming the file and the problem.
    """
    from latticeml.data.physics import check_gauge_ensemble_physics
    from latticeml.observables.wilson import unitarity_violation
    arrays, attrs = read_gauge_ensemble(path)
    links, plaq = arrays["links"], arrays["plaquette"]
    recomputed = check_gauge_ensemble_physics(path, arrays, attrs)
    lines = [
        f"file        {path}",
        f"ensemble    {attrs['group']}  shape {'x'.join(map(str, attrs['shape']))}  "
        f"beta {attrs['beta']}  algorithm {attrs['algorithm']}  seed {attrs['seed']}",
        f"chain       {links.shape[0]} configurations, n_therm {attrs['n_therm']}, "
        f"n_skip {attrs['n_skip']}  (latticeml {attrs['package_version']})",
    ]
    if "action" in attrs:  # hmc: the action sampled (a model file by its digest)
        model = (f"  model {attrs['hmc_action_model']} (sha256 "
                 f"{str(attrs['hmc_action_model_sha256'])[:12]}...)"
                 if "hmc_action_model" in attrs else "")
        lines.append(f"action      {attrs['action']}{model}")
    lines.append(observable_line("plaquette", plaq))
    unit, det = unitarity_violation(links)
    lines += [
        f"unitarity   max |U U^dagger - 1| = {unit:.2e}   max |det U - 1| = {det:.2e}",
        f"consistency max |stored - recomputed plaquette| = {recomputed:.2e}",
        *record_lines(attrs),
    ]
    return "\n".join(lines)
