"""``algorithm: hmc`` as a stage-1 generator: the same files, the same checks."""

from __future__ import annotations

import numpy as np
import pytest

from latticeml.cli import main
from latticeml.data import read_gauge_ensemble
from latticeml.observables.autocorr import gamma_analysis
from tests.gauge import reference as ref

ARGS = ["gauge", "generate", "--group", "su2", "--shape", "6,6", "--beta", "2.0",
        "--n-configs", "4", "--n-therm", "4", "--n-skip", "2", "--seed", "9", "--algorithm",
        "hmc", "--hmc-steps", "4", "--overrelax", "1", "--threads", "1", "--no-progress"]


def test_hmc_ensembles_are_reproducible_and_record_the_trajectories(tmp_path):
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    assert main([*ARGS, "--out", str(a)]) == 0
    assert main([*ARGS, "--out", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()
    arrays, attrs = read_gauge_ensemble(a)
    assert attrs["algorithm"] == "hmc" and attrs["hmc_steps"] == 4
    # 4 + 4 * 2 trajectories, the first n_therm // 2 = 2 without the Metropolis test
    assert attrs["hmc_integrator"] == "omelyan" and arrays["delta_h"].shape == (10,)
    assert 0 < attrs["acceptance"] <= 1
    assert abs(attrs["hmc_exp_minus_dh"] - np.mean(np.exp(-arrays["delta_h"]))) < 1e-15


@pytest.mark.slow
def test_the_hmc_generator_reproduces_the_exact_2d_su2_plaquette():
    from latticeml.gauge import ChainParams, GaugeChain

    chain = GaugeChain.from_params(ChainParams(group="su2", shape=(8, 8), beta=2.0, seed=21,
                                               algorithm="hmc", n_overrelax=0, hmc_steps=6,
                                               threads=1))
    series = chain.advance(350)["plaquette"][50:]
    res = gamma_analysis(series)
    dev = (res.mean - ref.u_su2(2.0)) / res.error
    assert abs(dev) < 4, (res.mean, res.error, ref.u_su2(2.0))
    assert chain.acceptance > 0.8


def test_hmc_thermalises_from_a_cold_start_on_a_large_lattice(tmp_path):
    """8^4 SU(2): every tested trajectory from the cold start has dH ~ 7 and would be rejected;
    molecular dynamics in the first half of the thermalisation moves the chain."""
    out = tmp_path / "c.h5"
    assert main(["gauge", "generate", "--group", "su2", "--shape", "8,8,8,8", "--beta", "2.4",
                 "--n-configs", "2", "--n-therm", "6", "--n-skip", "1", "--seed", "3",
                 "--algorithm", "hmc", "--hmc-steps", "8", "--overrelax", "0", "--threads",
                 "1", "--no-progress", "--out", str(out)]) == 0
    arrays, attrs = read_gauge_ensemble(out)
    assert arrays["delta_h"].shape == (5,) and attrs["acceptance"] > 0
    assert 0.55 < arrays["plaquette"].mean() < 0.75  # left the cold start (plaquette 1)


def test_a_step_far_too_large_is_reported_as_low_acceptance(tmp_path, capsys):
    out = tmp_path / "bad.h5"
    assert main(["gauge", "generate", "--group", "su2", "--shape", "6,6", "--beta", "4.0",
                 "--n-configs", "3", "--n-therm", "2", "--n-skip", "1", "--seed", "3",
                 "--algorithm", "hmc", "--hmc-length", "4", "--hmc-steps", "1", "--overrelax",
                 "0", "--threads", "1", "--no-progress", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: HMC acceptance 0.00" in err and "raise --hmc-steps" in err
    arrays, _ = read_gauge_ensemble(out)
    assert not np.isnan(arrays["delta_h"]).any()
    assert main([*ARGS, "--out", str(tmp_path / "ok.h5")]) == 0  # control: a sane step
    assert "warning" not in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize(("group", "beta"), [("su2", 2.3), ("su3", 5.7)])
def test_hmc_agrees_with_the_heat_bath_in_4d(group, beta):
    """Wilson-action HMC (no overrelaxation) and heat bath + overrelaxation, 4^4, 4 sigma."""
    from latticeml.gauge import ChainParams, GaugeChain

    def run(algorithm, seed, therm, n, **kw):
        chain = GaugeChain.from_params(ChainParams(group=group, shape=(4, 4, 4, 4), beta=beta,
                                                   seed=seed, algorithm=algorithm, threads=1,
                                                   **kw))
        chain.advance(therm)
        return gamma_analysis(chain.advance(n)["plaquette"])

    hb = run("heatbath", 31, 50, 600)
    hmc = run("hmc", 32, 30, 300, n_overrelax=0, hmc_steps=8)
    dev = (hmc.mean - hb.mean) / np.hypot(hmc.error, hb.error)
    print(f"{group} 4^4 beta={beta}: heat bath {hb}, HMC {hmc}: {dev:+.2f} sigma")
    assert abs(dev) < 4
