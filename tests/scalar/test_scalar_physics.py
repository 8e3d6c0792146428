"""Statistical validation of the dual worm sampler (4 sigma, Gamma-method errors).

Three independent checks: exact free-field momentum sums (lambda = 0), a conventional
complex-field Metropolis simulation (mu = 0, lambda = 1), and exact symmetries (charge
conjugation, Silver Blaze).
"""

import math

import numpy as np
import pytest

from latticeml.observables.autocorr import gamma_analysis
from latticeml.scalar import (
    AUTO_MIN_SWEEPS,
    ScalarChain,
    ScalarParams,
    check_flux,
    generate_scalar_ensemble,
)
from tests.scalar import reference as ref

NSIG = 4.0


def _chain(shape, mu, eta, lam, seed, n_worms):
    p = ScalarParams(
        shape=shape,
        mu=mu,
        eta=eta,
        lam=lam,
        n_configs=1,
        n_therm=0,
        n_skip=1,
        seed=seed,
        n_worms=n_worms,
    )
    return ScalarChain(p)


def _run(shape, mu, eta, lam, n_sweeps, *, seed=11, n_worms=16, n_therm=1000):
    c = _chain(shape, mu, eta, lam, seed, n_worms)
    c.sweep(n_therm)
    n, p2 = c.sweep(n_sweeps)
    return gamma_analysis(n), gamma_analysis(p2)


def _close(r, exact, nsig=NSIG):
    assert abs(r.mean - exact) <= nsig * r.error, (r, exact)


@pytest.mark.parametrize(
    ("mu", "phi2_exact", "n_exact"), [(0.0, 0.31759268, 0.0), (0.5, 0.34148478, 0.03868500)]
)
def test_free_field_exact(mu, phi2_exact, n_exact):
    # REFERENCES.md values, and our own momentum sum
    p_sum, n_sum = ref.free_field_exact((8, 8), mu, 4.5)
    assert p_sum == pytest.approx(phi2_exact, abs=1e-8)
    assert n_sum == pytest.approx(n_exact, abs=1e-8)
    ens = generate_scalar_ensemble(
        ScalarParams(
            shape=(8, 8),
            mu=mu,
            eta=4.5,
            lam=0.0,
            n_configs=12000,
            n_therm=1000,
            n_skip=1,
            seed=3,
            n_worms=16,
        )
    )
    assert check_flux(ens.k, n=ens.n, l=ens.l).ok
    _close(gamma_analysis(ens.phi2), p_sum)
    _close(gamma_analysis(ens.n), n_sum)
    # Wick: <|phi_x|^4> = 2 <|phi_x|^2>^2 for the free complex field
    _close(gamma_analysis(ens.phi4), 2 * p_sum**2)


@pytest.mark.slow
@pytest.mark.parametrize("mu", [0.0, 0.5])
@pytest.mark.parametrize("shape", [(8, 8), (6, 2)])
def test_free_field_exact_long(shape, mu):
    p_sum, n_sum = ref.free_field_exact(shape, mu, 4.5)
    n, p2 = _run(shape, mu, 4.5, 0.0, 400000, seed=21)
    _close(p2, p_sum)
    _close(n, n_sum)


@pytest.mark.slow
@pytest.mark.parametrize("shape", [(8, 8), (6, 2)])
def test_dual_matches_conventional_metropolis(shape):
    conv = gamma_analysis(ref.metropolis_complex_phi4(shape, 4.01, 1.0, 80000, seed=5))
    _, dual = _run(shape, 0.0, 4.01, 1.0, 300000, seed=6)
    diff = abs(conv.mean - dual.mean)
    assert diff <= NSIG * math.hypot(conv.error, dual.error), (conv, dual)


def test_charge_conjugation():
    res = {}
    for mu in (1.1, -1.1):
        res[mu] = _run((8, 4), mu, 4.01, 1.0, 20000, seed=31 if mu > 0 else 32)
    (np_, pp), (nm, pm) = res[1.1], res[-1.1]
    assert np_.mean > 0.1 and nm.mean < -0.1
    assert abs(np_.mean + nm.mean) <= NSIG * math.hypot(np_.error, nm.error)
    assert abs(pp.mean - pm.mean) <= NSIG * math.hypot(pp.error, pm.error)


@pytest.mark.slow
def test_silver_blaze():
    # below the onset (~0.94) on a long-N_t lattice: n = 0, |phi|^2 independent of mu
    res = {mu: _run((64, 4), mu, 4.01, 1.0, 30000, seed=41, n_worms=32) for mu in (0.0, 0.5, 0.8)}
    for mu, (n, _) in res.items():
        assert abs(n.mean) <= max(NSIG * n.error, 1e-12), (mu, n)
    p0 = res[0.0][1]
    for mu in (0.5, 0.8):
        p = res[mu][1]
        assert abs(p.mean - p0.mean) <= NSIG * math.hypot(p.error, p0.error), (mu, p, p0)
    # above the onset the density is non-zero
    n_above, _ = _run((64, 4), 1.2, 4.01, 1.0, 3000, seed=42, n_worms=32)
    assert n_above.mean > 0.5


def test_sweep_history_consistent_with_saved_configs():
    ens = generate_scalar_ensemble(
        ScalarParams(
            shape=(6, 2), mu=0.9, eta=4.01, lam=1.0, n_configs=50, n_therm=10, n_skip=3, seed=9
        )
    )
    start = ens.n_history.size - 50 * 3  # thermalisation >= AUTO_MIN_SWEEPS (automatic n_worms)
    assert start == max(10, AUTO_MIN_SWEEPS)
    np.testing.assert_allclose(ens.n_history[start + 2 :: 3], ens.n)
    np.testing.assert_allclose(ens.phi2_history[start + 2 :: 3], ens.phi2, rtol=1e-12)
