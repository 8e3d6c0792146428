"""Decisions the Snakemake rules delegate to the package: job threads, model preset names.

The thread policy is declared in :mod:`latticeml.catalog.policy` and re-exported here.

The rule files (``workflow/rules/*.smk``) hold target lists, seeds and paths; policies live
here. This module imports neither numpy, torch nor numba, so that Snakemake parses the
workflow quickly and in its own environment (``--sdm conda`` included).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from latticeml.catalog.policy import MIN_SITES_PER_THREAD, gauge_job_threads

__all__ = ["MIN_SITES_PER_THREAD", "gauge_job_threads", "preset_names"]

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
