"""GaugeChain and generate_ensemble: contract, unitarity, symmetries, reproducibility.

Random fields are checked against exact Haar-measure values with exact standard errors
(independent links), ensembles against the exact 1+1D plaquette (REFERENCES.md), Metropolis
acceptance against its exact limits; all windows are 4 sigma.

Haar SU(N) moments used below (characters; for N >= 2): ``<Tr U> = 0``, ``<|Tr U|^2> = 1``,
``<|Tr U|^4> = 2``, ``<(Re Tr U)^2> = 1`` for SU(2) (Tr U is real) and ``1/2`` for N >= 3;
``<(Tr U)^3> = 1`` for SU(3) (the epsilon invariant; 0 for U(3)), with
``Var Re (Tr U)^3 = (<|Tr U|^6> + <(Tr U)^6>) / 2 - 1 = (6 + 5) / 2 - 1 = 4.5``; for SU(2)
``Tr U / 2 = cos theta`` has the semicircle density ``(2/pi) sqrt(1 - a^2)``.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from scipy import stats

from latticeml.gauge import GaugeChain as _GaugeChain
from latticeml.gauge import (
    GaugeParams,
    generate_ensemble,
    plaquette,
    unitarity_violation,
)
from latticeml.gauge.transform import gauge_transform, haar_gauge_transformation
from tests.gauge import reference as ref

GROUPS = ["su2", "su3"]
NSIG = 4.0


def assert_haar(links, N, what):
    """Exact Haar moments of independent SU(N) links, 4 sigma; SU(2): Kolmogorov-Smirnov."""
    tr = np.trace(links, axis1=-2, axis2=-1).ravel()
    n = tr.size
    var_re = 1.0 if N == 2 else 0.5  # <(Re Tr U)^2>
    checks = [
        ("<Re Tr U>", tr.real.mean(), 0.0, math.sqrt(var_re / n)),
        ("<Im Tr U>", tr.imag.mean(), 0.0, math.sqrt((1.0 - var_re) / n) if N > 2 else 1e-12),
        ("<|Tr U|^2>", np.mean(np.abs(tr) ** 2), 1.0, math.sqrt((2.0 - 1.0) / n)),
    ]
    if N == 3:
        checks.append(("<Re (Tr U)^3>", np.mean(tr**3).real, 1.0, math.sqrt(4.5 / n)))
    for name, got, want, sigma in checks:
        msg = f"{what}: {name} = {got:.5f}, Haar {want} +- {sigma:.5f}"
        assert abs(got - want) <= NSIG * sigma, msg
    if N == 2:  # cos theta = Tr U / 2 ~ (2/pi) sqrt(1 - a^2)
        cdf = lambda a: 0.5 + (a * np.sqrt(1 - a * a) + np.arcsin(a)) / np.pi  # noqa: E731
        p = stats.kstest(np.clip(tr.real / 2, -1, 1), cdf).pvalue
        assert p > 1e-4, f"{what}: Tr U / 2 is not semicircle distributed (KS p = {p:.2g})"


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
    assert_haar(hot.links, N, f"{group} hot start")  # 1536 independent links
    # plaquettes of Haar links are Haar and pairwise uncorrelated (each holds a link that the
    # other does not): the mean of 1536 has sigma = sqrt(<(Re Tr U)^2> / 1536) / N
    sigma = math.sqrt((1.0 if N == 2 else 0.5) / (8**3 * 3)) / N
    assert abs(hot.plaquette()) <= NSIG * sigma, (hot.plaquette(), sigma)


@pytest.mark.parametrize(("group", "sweeps"), [("su2", 1), ("su3", 10)])
def test_heat_bath_at_beta_zero_is_haar(group, sweeps):
    # at beta = 0 the heat bath draws every SU(2) link from the Haar measure, so one sweep
    # from the cold start is exact; the Cabibbo-Marinari SU(3) update multiplies by three
    # Haar SU(2) subgroup elements per sweep and only converges to Haar (1 sweep:
    # <|Tr U|^2> ~ 0.88 instead of 1)
    N = 2 if group == "su2" else 3
    chain = GaugeChain(group, (8, 8, 8), 0.0, 13, n_overrelax=0)
    chain.heatbath(sweeps)
    assert np.isfinite(chain.links).all()
    assert_haar(chain.links, N, f"{group} heat bath at beta = 0")


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize(("beta", "step"), [(0.0, 0.5), (2.0, 0.0)])
def test_metropolis_acceptance_exact_limits(group, beta, step):
    # beta = 0 (no action) or step = 0 (X = 1): dS = 0, every proposal is accepted
    p = GaugeParams(group=group, shape=(4, 4), beta=beta, n_configs=2, n_therm=1, n_skip=1,
                    seed=3, algorithm="metropolis", metropolis_step=step, n_overrelax=0,
                    threads=1)  # fmt: skip
    ens = generate_ensemble(p)
    assert ens.acceptance == 1.0
    if step == 0.0:  # and nothing moves from the cold start
        assert np.all(ens.plaquette == 1.0)


@pytest.mark.parametrize(
    ("group", "beta", "exact"), [("su2", 2.0, 0.433127426722), ("su3", 4.0, 0.279619149409)]
)
def test_ensemble_plaquette_is_exact_in_2d(group, beta, exact):
    """The driver's ensemble and its Gamma-method error reproduce the exact 1+1D plaquette.

    REFERENCES.md: ``u = I_2(beta)/I_1(beta)`` (SU(2)), ``A_fund/(N A_0)`` (SU(N)); on 16^2 the
    torus equals infinite volume to 1e-12.
    """
    N = 2 if group == "su2" else 3
    u = ref.u_su2(beta) if N == 2 else ref.u_sun(beta, N)
    assert u == pytest.approx(exact, abs=1e-11)
    p = GaugeParams(group=group, shape=(16, 16), beta=beta, n_configs=300, n_therm=30,
                    n_skip=1, seed=21, algorithm="metropolis", n_overrelax=1,
                    threads=1)  # fmt: skip
    ens = generate_ensemble(p)
    st = ens.plaquette_stats
    assert st.error < 0.01 * exact  # the test resolves the plaquette to better than 1 %
    dev = (st.mean - exact) / st.error
    print(f"{group} 16^2 beta={beta}: {st} vs exact {exact} ({dev:+.2f} sigma)")
    assert abs(st.mean - exact) <= NSIG * st.error, (st, exact)
    assert 0.05 < ens.acceptance < 0.95  # the default step is neither frozen nor trivial


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
    omega = haar_gauge_transformation(np.random.default_rng(9), shape, N)
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
    assert np.isfinite(ens.acceptance)  # exact values: test_metropolis_acceptance_exact_limits
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
