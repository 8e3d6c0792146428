"""Human-readable summary of a dataset file (``latticeml dataset inspect``)."""

from __future__ import annotations

import json
import os

import numpy as np

from latticeml.data import layout as L
from latticeml.data._h5 import open_h5
from latticeml.data.checksum import checksum_summary
from latticeml.data.provenance import machine_summary
from latticeml.data.verify import verify_dataset

__all__ = ["describe_dataset"]


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
