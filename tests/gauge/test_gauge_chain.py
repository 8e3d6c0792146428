"""GaugeChain and generate_ensemble: contract, unitarity, symmetries, reproducibility."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from latticeml.gauge import GaugeChain as _GaugeChain
from latticeml.gauge import (
    GaugeParams,
    generate_ensemble,
    plaquette,
    unitarity_violation,
)
from latticeml.gauge.transform import gauge_transform, random_gauge_transformation
from tests.gauge import reference as ref

GROUPS = ["su2", "su3"]


def GaugeChain(*args, threads=1, **kwargs):
    """One thread unless asked: fork-join sweeps of tiny lattices suffer on a loaded machine."""
    return _GaugeChain(*args, threads=threads, **kwargs)


@pytest.mark.parametrize("group", GROUPS)
def test_cold_and_hot_start(group):
    N = 2 if group == "su2" else 3
    cold = GaugeChain(group, (4, 4, 4), 2.0, 1)
    np.testing.assert_array_equal(cold.links, np.broadcast_to(np.eye(N), (4, 4, 4, 3, N, N)))
    assert cold.plaquette() == 1.0
    hot = GaugeChain(group, (8, 8, 8), 2.0, 1, start="hot")
    assert max(unitarity_violation(hot.links)) < 1e-13
    assert abs(hot.plaquette()) < 0.1
    # Haar: <Re Tr U / N> = 0 and <|Tr U|^2> = 1
    tr = np.trace(hot.links, axis1=-2, axis2=-1)
    assert abs(tr.real.mean()) < 5 / np.sqrt(tr.size)
    assert abs(np.mean(np.abs(tr) ** 2) - 1.0) < 0.15


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("algorithm", ["heatbath", "metropolis"])
def test_unitarity_after_many_sweeps(group, algorithm):
    chain = GaugeChain(group, (4, 4, 4, 4), 5.0, 3, start="hot", algorithm=algorithm)
    chain.sweep(60)
    unit, det = unitarity_violation(chain.links)
    assert unit < 1e-12 and det < 1e-12


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("shape", [(4, 6), (4, 4, 4, 4)])
def test_gauge_invariance_of_plaquette_and_action(group, shape):
    N = 2 if group == "su2" else 3
    chain = GaugeChain(group, shape, 3.0, 4, start="hot")
    chain.sweep(3)
    links = chain.links
    omega = random_gauge_transformation(np.random.default_rng(9), shape, N)
    moved = gauge_transform(links, omega)
    assert np.max(np.abs(moved - links)) > 0.1
    assert abs(plaquette(moved) - plaquette(links)) < 1e-12
    assert abs(ref.action(moved, 3.0) - chain.action()) < 1e-12 * ref.action(links, 3.0)
    # also after loading into a chain (staples of the transformed field)
    other = GaugeChain(group, shape, 3.0, 4)
    other.set_links(moved)
    assert abs(other.action() - chain.action()) < 1e-12 * chain.action()


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("shape", [(6, 6), (4, 4, 4), (4, 4, 4, 4)])
def test_overrelaxation_conserves_action(group, shape):
    chain = GaugeChain(group, shape, 2.5, 5, start="hot")
    chain.sweep(5)
    for _ in range(4):
        s0 = chain.action()
        chain.overrelax(1)
        s1 = chain.action()
        assert abs(s1 - s0) < 1e-12 * s0
    # and it does move the links
    before = chain.links
    chain.overrelax(1)
    assert np.max(np.abs(chain.links - before)) > 1e-3


def _run(group, algorithm, n_threads, seed=11, start="hot"):
    # 8 chunks of _CHUNK = 64 sites per substep: both threads get work
    chain = GaugeChain(group, (8, 4, 8, 4), 2.2, seed, start=start, algorithm=algorithm,
                       n_overrelax=1, threads=n_threads)  # fmt: skip
    chain.sweep(3)
    return chain.links


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 Numba threads")
@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("algorithm", ["heatbath", "metropolis"])
def test_same_seed_same_bytes_for_1_and_2_threads(group, algorithm):
    one = _run(group, algorithm, 1)
    two = _run(group, algorithm, 2)
    assert one.tobytes() == two.tobytes()
    assert _run(group, algorithm, 2).tobytes() == two.tobytes()
    assert _run(group, algorithm, 1, seed=12).tobytes() != one.tobytes()


@pytest.mark.parametrize("group", GROUPS)
def test_generate_ensemble_contract(group):
    N = 2 if group == "su2" else 3
    p = GaugeParams(group=group, shape=(4, 2, 4), beta=2.0, n_configs=5, n_therm=3, n_skip=2,
                    seed=5, algorithm="metropolis", n_overrelax=1, start="hot",
                    threads=1)  # fmt: skip
    ens = generate_ensemble(p)
    assert ens.links.shape == (5, 4, 2, 4, 3, N, N)
    assert ens.links.dtype == np.complex128 and ens.links.flags.c_contiguous
    assert ens.plaquette.shape == (5,) and ens.plaquette.dtype == np.float64
    assert ens.plaquette_history.shape == (3 + 5 * 2,)
    np.testing.assert_allclose(ens.plaquette, ens.plaquette_history[3 + 1 :: 2], rtol=0, atol=0)
    for c in range(5):
        assert abs(ens.plaquette[c] - ref.plaquette(ens.links[c])) < 1e-13
    assert 0.0 < ens.acceptance < 1.0
    assert ens.elapsed > 0 and np.isfinite(ens.tau_int) and ens.plaquette_stats is not None
    again = generate_ensemble(p)
    assert again.links.tobytes() == ens.links.tobytes()
    hb = generate_ensemble(GaugeParams(group=group, shape=(4, 4), beta=2.0, n_configs=1,
                                       n_therm=0, n_skip=1, seed=5))  # fmt: skip
    assert np.isnan(hb.acceptance) and hb.plaquette_stats is None and np.isnan(hb.tau_int)


def test_generate_ensemble_matches_chain():
    p = GaugeParams(group="su3", shape=(4, 4), beta=3.0, n_configs=2, n_therm=2, n_skip=3,
                    seed=8, start="hot", n_overrelax=2, threads=2)  # fmt: skip
    ens = generate_ensemble(p, progress=False)
    chain = GaugeChain("su3", (4, 4), 3.0, 8, start="hot", n_overrelax=2)
    chain.sweep(5)
    assert ens.links[0].tobytes() == chain.links.tobytes()
    chain.sweep(3)
    assert ens.links[1].tobytes() == chain.links.tobytes()


def test_set_links_round_trip_and_errors():
    chain = GaugeChain("su2", (4, 4), 2.0, 1, start="hot")
    links = chain.links
    other = GaugeChain("su2", (4, 4), 2.0, 2)
    other.set_links(links)
    np.testing.assert_allclose(other.links, links, atol=1e-15)
    with pytest.raises(ValueError, match="links"):
        other.set_links(links[:2])
