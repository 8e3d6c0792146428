"""The gauge kernel backend through the workflow: config key -> schema -> rule -> CLI flag."""

from __future__ import annotations

import copy

import pytest

from latticeml.workflow_config import ConfigError
from tests.test_workflow import TINY, _checked, _snakemake, _write_config


def test_backend_defaults_to_auto_and_is_validated():
    cfg = copy.deepcopy(TINY)
    cfg["gauge"].pop("backend", None)
    _checked(cfg)  # fills in the defaults
    assert cfg["gauge"]["backend"] == "auto"
    cfg["gauge"]["backend"] = "avx512"
    with pytest.raises(ConfigError, match="gauge.backend"):
        _checked(cfg)


@pytest.mark.parametrize("backend", ["scalar", None])
def test_generate_rule_passes_the_backend(tmp_path, backend):
    cfg = copy.deepcopy(TINY)
    if backend is None:
        cfg["gauge"].pop("backend", None)
    else:
        cfg["gauge"]["backend"] = backend
    conf = _write_config(tmp_path, cfg)
    out = _snakemake(tmp_path, "--configfile", str(conf), "--dry-run", "--forceall",
                     "--printshellcmds", "generate")  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    commands = [line for line in out.stdout.splitlines() if "gauge generate" in line]
    assert commands and all(f"--backend {backend or 'auto'}" in c for c in commands)
