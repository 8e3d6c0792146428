"""Exactness of the lifted worm on tiny lattices against the exact free field (lambda = 0).

On 2x2 ... 4x2 lattices the free-field momentum sums are cheap and 10^5-10^6 sweeps give
errors of ~0.1 %: a wrong acceptance ratio of the head move (a missing ``q_rev/q_fwd``
factor at the tail, a lifting bit flipped on acceptance instead of rejection, or not flipped
at all) biases ``|phi|^2`` or ``n`` by percents there. N_t = 2 and N_x = 2 put the "up" and
"down" neighbour on the same site through two different links; odd extents make windings
that do not close after two wraps.
"""

import pytest

from latticeml.observables.autocorr import gamma_analysis
from latticeml.scalar import ScalarChain, ScalarParams
from tests.scalar import reference as ref

NSIG = 4.0

# (shape, mu, eta): eta well above 2 + 2 cosh(mu) keeps the fluctuations of |phi|^2 small
CASES = [
    ((2, 2), 0.5, 6.0),
    ((4, 2), 1.2, 6.0),
    ((3, 2), 0.7, 6.0),
    ((2, 3), 0.9, 6.0),
    ((4, 2), 0.0, 5.0),
]


def _check(shape, mu, eta, n_sweeps, seed):
    p_ex, n_ex = ref.free_field_exact(shape, mu, eta)
    V = shape[0] * shape[1]
    chain = ScalarChain(
        ScalarParams(
            shape=shape,
            mu=mu,
            eta=eta,
            lam=0.0,
            n_configs=1,
            n_therm=0,
            n_skip=1,
            seed=seed,
            n_worms=V,
        )
    )
    chain.sweep(1000)
    n, p2 = chain.sweep(n_sweeps)
    gn, gp = gamma_analysis(n), gamma_analysis(p2)
    assert abs(gp.mean - p_ex) <= NSIG * gp.error, (gp, p_ex)
    assert abs(gn.mean - n_ex) <= max(NSIG * gn.error, 1e-12), (gn, n_ex)
    return gn, gp


@pytest.mark.parametrize(("shape", "mu", "eta"), CASES)
def test_tiny_free_field(shape, mu, eta):
    _check(shape, mu, eta, 100_000, seed=101)


@pytest.mark.slow
@pytest.mark.parametrize(("shape", "mu", "eta"), CASES)
def test_tiny_free_field_long(shape, mu, eta):
    gn, gp = _check(shape, mu, eta, 2_000_000, seed=202)
    assert gp.error < 3e-3 * gp.mean  # the test has the power it claims (0.3 %)


def test_lifting_decorrelates_windings():
    # the lifted head wraps around N_t more easily: tau_int(n) ~ 13 sweeps here, ~30 with
    # the reversible Metropolis head it replaced
    chain = ScalarChain(
        ScalarParams(
            shape=(32, 2),
            mu=1.0,
            eta=4.01,
            lam=1.0,
            n_configs=1,
            n_therm=0,
            n_skip=1,
            seed=3,
            n_worms=8,
        )
    )
    chain.sweep(200)
    n, _ = chain.sweep(4000)
    assert gamma_analysis(n).tau_int < 20
