"""Human-readable summaries of data files (``latticeml dataset|gauge|scalar inspect``).

:func:`describe_dataset` summarises a dataset file; :func:`observable_line` and
:func:`record_lines` are the lines the ensemble summaries share.
"""

from __future__ import annotations

import json
import os

import numpy as np

from latticeml.data import layout as L
from latticeml.data._h5 import open_h5
from latticeml.data.checksum import checksum_summary
from latticeml.data.provenance import machine_summary
from latticeml.data.verify import verify_dataset

__all__ = ["describe_dataset", "observable_line", "record_lines"]


def observable_line(name: str, values: np.ndarray) -> str:
    """One line of an ensemble summary: the mean of a measured chain with its error and tau_int.

    Parameters
    ----------
    name : str
        Observable name (left column, e.g. ``plaquette``).
    values : ndarray, shape (n,), n >= 1
        Measurements in chain order, one per stored configuration.

    Returns
    -------
    str
        ``mean +- error  tau_int ...`` from the Gamma method (in units of ``n_skip``), or the
        single value when there is one configuration.
    """
    from latticeml.observables import gamma_analysis

    if values.size > 1:
        r = gamma_analysis(values)
        return (f"{name:<11} {r.mean:.8f} +- {r.error:.2g}   tau_int {r.tau_int:.2f} +- "
                f"{r.tau_int_error:.2f} (in units of n_skip, window {r.window})")
    return f"{name:<11} {float(values[0]):.8f} (one configuration: no error estimate)"


def record_lines(attrs: dict) -> list[str]:
    """Return the ``kernels`` (machine record) and ``checksums`` lines of a file's summary."""
    return [f"kernels     {machine_summary(attrs)}", f"checksums   {checksum_summary(attrs)}"]


def describe_dataset(path: str | os.PathLike) -> str:
    """Verify a whole dataset file, then summarize shapes, targets per beta/mu and provenance.

    Every array is read and checked (:func:`latticeml.data.verify_dataset`) before anything
    is summarized.

    Returns
    -------
    str
        Multi-line text.

    Raises
    ------
    FileFormatError
        Naming the file, the array and the problem.
    """
    lines = []
    info = verify_dataset(path)
    with open_h5(path) as f:
        a = info.attrs
        lines.append(f"file        {path}")
        lines.append(
            f"kind        {info.kind} (format {a['format_version']}), {info.n_samples} samples, "
            f"lattice {'x'.join(map(str, info.shape))}"
            + (f", {a['group']}" if "group" in a else "")
        )
        for name, (shape, dtype) in info.inputs.items():
            lines.append(f"input       {name:<28} {shape} {dtype}")
        for name, (shape, dtype) in info.targets.items():
            lines.append(f"target      {name:<28} {shape} {dtype}")
        pname = "beta" if info.kind == L.GAUGE_DATASET_KIND else "mu"
        param = f[L.BETA if pname == "beta" else L.MU][()]
        lines.append(f"targets per {pname} (mean over samples of the lattice average, +- std):")
        for value in np.unique(param):
            sel = param == value
            parts = []
            for name in info.targets:
                arr = f[L.TARGETS][name][()][sel]
                per_sample = arr.reshape(arr.shape[0], -1).mean(axis=1)
                if np.iscomplexobj(per_sample):
                    per_sample = np.abs(per_sample)
                    name = f"|{name}|"
                per_sample = per_sample[np.isfinite(per_sample)]
                if per_sample.size:
                    parts.append(f"{name} {per_sample.mean():.6g}+-{per_sample.std():.2g}")
            lines.append(f"  {pname} {value:<8.4g} n={int(sel.sum()):<6} " + "  ".join(parts))
        if L.TARGETS in f and "open_worms" in f[L.TARGETS]:
            m = f[L.TARGETS]["open_worms"][()]
            counts = ", ".join(f"M={v}: {int((m == v).sum())}" for v in np.unique(m))
            lines.append(f"open worms  {counts} samples")
        lines.append(f"checksums   {checksum_summary(a)}")
        lines.append(
            f"provenance  latticeml {a['package_version']}, git {a.get('git_commit', 'unknown')}"
        )
        lines.append(f"kernels     {machine_summary(a)}")
        lines.append(f"params      {a['params']}")
        if L.SOURCES in f:
            for raw in f[L.SOURCES][()]:
                src = json.loads(raw)
                lines.append(
                    f"source      {src['path']}  n={src['n']}  sha256 {src['sha256'][:16]}…"
                )
    return "\n".join(lines)
