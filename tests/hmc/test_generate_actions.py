"""The generator's HMC samples any action: rectangle-improved ones and trained action models.

The model path is checked against the Wilson action written as an action model
(:func:`latticeml.nn.wilson_action_lcnn`, exact to rounding): its chain must be the Wilson
chain. Its negative control is a model that is not the Wilson action (the same architecture,
other weights), whose chain must differ.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latticeml.cli import main
from latticeml.data import read_gauge_ensemble
from latticeml.errors import FileFormatError, ParameterError
from latticeml.gauge import GaugeParams, generate_ensemble
from latticeml.nn import save_model_file, wilson_action_lcnn, wilson_action_spec
from latticeml.observables.autocorr import gamma_analysis

BASE = dict(group="su2", shape=(4, 6), beta=2.0, seed=11, n_configs=3, n_therm=2, n_skip=2,
            algorithm="hmc", hmc_steps=6, n_overrelax=0, threads=1)


def _write_action(path, dim, n, *, scale=1.0):
    """Write the Wilson action (times ``scale``) as an action model file."""
    model = wilson_action_lcnn(dim, n)
    state = model.state_dict()
    state["density.head.net.0.weight"] = state["density.head.net.0.weight"] * scale
    save_model_file(path, spec=wilson_action_spec(dim, n), state_dict=state,
                    target="fixed_point_action", plane=0, mean=0.0, std=1.0, task="action")
    return str(path)


@pytest.mark.parametrize("dim, n, shape", [(2, 2, (4, 6)), (4, 3, (2, 2, 2, 4))])
def test_the_wilson_action_lcnn_is_the_wilson_action(dim, n, shape):
    from latticeml.fixedpoint import wilson_units
    from latticeml.gauge.transform_torch import random_links

    u = random_links(3, shape, n, dtype=torch.complex128)
    a = wilson_action_lcnn(dim, n)(u)
    b = torch.stack([wilson_units(x) for x in u])
    torch.testing.assert_close(a, b, rtol=1e-14, atol=1e-12)


def test_a_wilson_action_model_samples_the_wilson_chain(tmp_path):
    model = _write_action(tmp_path / "wilson.pt", 2, 2)
    wilson = generate_ensemble(GaugeParams(**BASE))
    learned = generate_ensemble(GaugeParams(**BASE, hmc_action="model", hmc_action_model=model))
    assert wilson.acceptance == learned.acceptance
    np.testing.assert_allclose(learned.links, wilson.links, rtol=0, atol=1e-9)
    np.testing.assert_allclose(learned.delta_h, wilson.delta_h, rtol=0, atol=1e-9)
    # negative control: 1.3 times the Wilson action is another theory, another chain
    other = _write_action(tmp_path / "other.pt", 2, 2, scale=1.3)
    moved = generate_ensemble(GaugeParams(**BASE, hmc_action="model", hmc_action_model=other))
    assert np.abs(moved.links - wilson.links).max() > 1e-3


def test_a_model_action_ensemble_records_its_action_and_model_digest(tmp_path, capsys):
    from latticeml.data.provenance import sha256_file

    model = _write_action(tmp_path / "wilson.pt", 2, 2)
    out = tmp_path / "m.h5"
    argv = ["gauge", "generate", "--group", "su2", "--shape", "4,6", "--beta", "2.0",
            "--n-configs", "3", "--n-therm", "2", "--n-skip", "1", "--seed", "4",
            "--algorithm", "hmc", "--hmc-steps", "5", "--overrelax", "0", "--hmc-action",
            "model", "--hmc-action-model", model, "--threads", "1", "--no-progress"]
    assert main([*argv, "--out", str(out)]) == 0
    _, attrs = read_gauge_ensemble(out)
    assert attrs["action"] == "model"
    assert attrs["hmc_action_model_sha256"] == sha256_file(model)
    capsys.readouterr()
    assert main(["gauge", "inspect", str(out)]) == 0
    assert f"action      model  model {model} (sha256 {sha256_file(model)[:12]}" in (
        capsys.readouterr().out)


def test_a_changed_model_is_not_resumed(tmp_path):
    """The checkpoint's fingerprint holds the model's digest, not only its path."""
    from latticeml.gauge.checkpoint import CheckpointParams, GenerationStoppedError

    model = tmp_path / "a.pt"
    _write_action(model, 2, 2)
    params = GaugeParams(**BASE, hmc_action="model", hmc_action_model=str(model))
    ckpt = tmp_path / "c.h5"
    with pytest.raises(GenerationStoppedError):
        generate_ensemble(params, checkpoint=CheckpointParams(path=str(ckpt), every=0.0,
                                                              stop_after=5))
    _write_action(model, 2, 2, scale=1.3)  # same path, other weights
    with pytest.raises(FileFormatError, match="hmc_action_model_sha256"):
        generate_ensemble(params, checkpoint=CheckpointParams(path=str(ckpt), every=0.0))


def test_a_symanzik_ensemble_is_written_and_read_back(tmp_path):
    """2D SU(2) files are checked against the exact Wilson plaquette at their beta; an
    ensemble of another action is labelled and not held to it (it would fail it)."""
    from latticeml.data.physics import exact_plaquette_su2_2d

    ens = generate_ensemble(GaugeParams(**{**BASE, "n_configs": 12, "n_skip": 1,
                                           "hmc_action": "symanzik", "hmc_steps": 8}))
    assert ens.acceptance > 0.7
    # the Symanzik action weighs the plaquette by 5/3: more ordered than Wilson's exact value
    a = gamma_analysis(ens.plaquette)
    exact = exact_plaquette_su2_2d(BASE["beta"], 24)
    assert a.mean - exact > 4 * a.error, (a, exact)
    from latticeml.data import save_gauge_ensemble

    out = tmp_path / "s.h5"
    save_gauge_ensemble(out, ens)
    _, attrs = read_gauge_ensemble(out)
    assert attrs["action"] == "symanzik"
    assert main(["gauge", "inspect", str(out)]) == 0


@pytest.mark.parametrize("kwargs, flag", [
    (dict(algorithm="heatbath", hmc_action="symanzik"), "--hmc-action"),
    (dict(hmc_action="iwasaki", n_overrelax=2), "--overrelax"),
    (dict(hmc_action="model"), "--hmc-action-model"),
    (dict(hmc_action_model="x.pt"), "--hmc-action-model"),
    (dict(hmc_action="lüscher-weisz"), "--hmc-action"),
])
def test_actions_the_update_cannot_sample_are_refused(kwargs, flag):
    with pytest.raises(ParameterError, match=flag):
        GaugeParams(**{**BASE, **kwargs})


def test_bad_action_models_are_one_line_errors_before_any_work(tmp_path, capsys):
    from latticeml.nn import build_model

    regressor = tmp_path / "w.pt"
    net = build_model({"preset": "W1x1", "dim": 2, "group": "su2", "dtype": "float64"})
    save_model_file(regressor, spec={"preset": "W1x1", "dim": 2, "group": "su2",
                                     "dtype": "float64"},
                    state_dict=net.state_dict(), target="W_1x1", plane=0, mean=0.0, std=1.0)
    su3 = _write_action(tmp_path / "su3.pt", 2, 3)
    argv = ["gauge", "generate", "--group", "su2", "--shape", "4,4", "--beta", "2.0",
            "--n-configs", "2", "--n-therm", "2", "--n-skip", "1", "--seed", "4",
            "--algorithm", "hmc", "--overrelax", "0", "--hmc-action", "model", "--threads",
            "1", "--no-progress"]
    for model, expected in ((regressor, "an action model"), (su3, "2D SU(2)"),
                            (tmp_path / "missing.pt", "missing.pt")):
        out = tmp_path / "out.h5"
        capsys.readouterr()
        assert main([*argv, "--hmc-action-model", str(model), "--out", str(out)]) != 0
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and expected in err[0], err
        assert not out.exists()
