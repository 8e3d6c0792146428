"""Decisions the Snakemake rules delegate to the package: job threads, model preset names.

The rule files (``workflow/rules/*.smk``) hold target lists, seeds and paths; policies live
here. This module imports neither numpy, torch nor numba, so that Snakemake parses the
workflow quickly and in its own environment (``--sdm conda`` included).
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["MIN_SITES_PER_THREAD", "gauge_job_threads", "preset_names"]

#: Sites per checkerboard substep below which a second thread costs more than it saves: the
#: gauge generator's own default (``latticeml.gauge.chain.MIN_SITES_PER_THREAD``; a test keeps
#: the two equal, since this module must not import numba).
MIN_SITES_PER_THREAD = 1024


def gauge_job_threads(shape: Sequence[int], max_threads: int) -> int:
    """Threads of a gauge generation job.

    At most ``max_threads`` (the config's ``threads``) and one per :data:`MIN_SITES_PER_THREAD`
    sites of a checkerboard substep (half the lattice), at least one, so that small lattices do
    not hold cores they would leave idle. The ensemble does not depend on the choice.
    """
    sites = math.prod(int(s) for s in shape)
    return max(1, min(int(max_threads), sites // 2 // MIN_SITES_PER_THREAD))


def preset_names() -> tuple[str, ...]:
    """Names of the model presets (:data:`latticeml.nn.presets.PRESETS`), without torch.

    ``latticeml.nn`` imports torch; the preset table does not, so unless the package is
    imported already, the table is loaded from its file.
    """
    module = sys.modules.get("latticeml.nn.presets")
    if module is None:
        path = Path(__file__).with_name("nn") / "presets.py"
        spec = importlib.util.spec_from_file_location("latticeml._workflow_presets", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return tuple(module.PRESETS)
