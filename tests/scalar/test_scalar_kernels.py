import numpy as np
import pytest

from latticeml.lattice import neighbour_table
from latticeml.observables.flux import check_flux, divergence, slice_flux
from latticeml.observables.scalar import charge_density, phi2, site_flux
from latticeml.scalar import ScalarChain, ScalarParams
from latticeml.scalar import _kernels as K
from tests.scalar.reference import divergence_ref, site_flux_ref, xoshiro256ss_ref

SHAPES = [(4, 2), (2, 4), (2, 2), (6, 4), (8, 6), (5, 3), (3, 2)]


def _params(shape, mu=1.0, **kw):
    base = dict(shape=shape, mu=mu, eta=4.01, lam=1.0, n_configs=1, n_therm=0, n_skip=1, seed=5)
    base.update(kw)
    return ScalarParams(**base)


def test_rng_matches_reference():
    state = K.seed_state(12345)
    ref = xoshiro256ss_ref(state.copy(), 50)
    got = K.random_uint64(state, 50)
    assert [int(v) for v in got] == ref
    u = np.array([K._uniform(state) for _ in range(20000)])
    assert 0.0 <= u.min() and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.01


@pytest.mark.parametrize("shape", SHAPES)
def test_flux_bookkeeping_and_conservation(shape):
    chain = ScalarChain(_params(shape, mu=1.2, n_worms=7))
    for _ in range(20):
        chain.sweep(5)
        k, l = chain.configuration()
        f_ref = site_flux_ref(k, l)
        np.testing.assert_array_equal(chain.f.reshape(shape), f_ref)
        np.testing.assert_array_equal(site_flux(k, l), f_ref)
        _, dn = neighbour_table(shape)
        np.testing.assert_array_equal(K.site_flux(chain.k, chain.l, dn).reshape(shape), f_ref)
        np.testing.assert_array_equal(divergence_ref(k), 0)
        np.testing.assert_array_equal(divergence(k), 0)
        assert np.all(f_ref % 2 == 0)
        sf = slice_flux(k)
        assert np.all(sf == sf[0])
        assert charge_density(k) * shape[1] == pytest.approx(sf[0])
        assert np.all(chain.l >= 0)
    assert chain.counters[2] > 0 and chain.counters[3] > 0  # worms and l moves happened


def test_history_matches_configuration():
    chain = ScalarChain(_params((6, 4), mu=1.1))
    n_hist, p_hist = chain.sweep(3)
    k, l = chain.configuration()
    assert n_hist[-1] == pytest.approx(charge_density(k))
    assert p_hist[-1] == pytest.approx(phi2(k, l, chain.table.logw), rel=1e-12)


def test_winding_changes():
    # worms wrap around the torus: the temporal winding number is not frozen
    chain = ScalarChain(_params((4, 2), mu=1.3))
    n_hist, _ = chain.sweep(400)
    assert len(np.unique(np.round(n_hist * 2))) > 2


@pytest.mark.parametrize("shape", [(4, 2), (8, 6), (16, 4), (7, 5)])
@pytest.mark.parametrize("m", [1, 2, 3])
def test_open_worms_defects(shape, m):
    chain = ScalarChain(_params(shape, mu=1.0))
    for _ in range(10):
        chain.sweep(2)
        k, l = chain.with_open_worms(m)
        div = divergence_ref(k)
        assert np.count_nonzero(div) == 2 * m
        assert set(np.unique(div)) <= {-1, 0, 1} and div.sum() == 0
        # the chain state itself stays closed
        assert not divergence(chain.configuration()[0]).any()
        assert check_flux(k[None], np.array([m])).ok
