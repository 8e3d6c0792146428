import numpy as np
import pytest

from latticeml.errors import ParameterError
from latticeml.observables import gamma_analysis


def _ar1(rho, n, seed):
    rng = np.random.default_rng(seed)
    e = rng.normal(size=n)
    x = np.empty(n)
    x[0] = e[0] / np.sqrt(1 - rho**2)
    for i in range(1, n):
        x[i] = rho * x[i - 1] + e[i]
    return x


def test_independent_samples():
    x = np.random.default_rng(0).normal(size=20000)
    r = gamma_analysis(x)
    assert abs(r.tau_int - 0.5) < 0.05
    assert abs(r.error - 1 / np.sqrt(x.size)) < 0.1 / np.sqrt(x.size)


@pytest.mark.parametrize("rho", [0.5, 0.9])
def test_ar1_exact_tau(rho):
    # exact tau_int of an AR(1) process: (1 + rho) / (2 (1 - rho))
    exact = (1 + rho) / (2 * (1 - rho))
    x = _ar1(rho, 200_000, seed=1)
    r = gamma_analysis(x)
    assert abs(r.tau_int - exact) < 4 * r.tau_int_error + 0.05 * exact
    # error of the mean: sqrt(2 tau var / n), var = 1 / (1 - rho^2)
    err = np.sqrt(2 * exact / (1 - rho**2) / x.size)
    assert abs(r.error / err - 1) < 0.15


def test_errors_are_calibrated():
    # over many independent AR(1) chains the mean deviates by about one reported error
    rho, z = 0.8, []
    for seed in range(40):
        r = gamma_analysis(_ar1(rho, 4000, seed=100 + seed))
        z.append(r.mean / r.error)
    assert 0.7 < np.std(z) < 1.4


def test_constant_and_bad_input():
    r = gamma_analysis(np.ones(10))
    assert r.error == 0.0 and r.mean == 1.0
    with pytest.raises(ParameterError):
        gamma_analysis([1.0])
    with pytest.raises(ParameterError):
        gamma_analysis([1.0, np.nan, 2.0])


def test_replicas_give_the_chains_tau_and_never_correlate_across_chains():
    from latticeml.observables import gamma_analysis_replicas

    rho = 0.8
    exact = (1 + rho) / (2 * (1 - rho))
    chains = [_ar1(rho, 20_000, seed=10 + k) + 3.0 for k in range(5)]
    r = gamma_analysis_replicas(chains)
    assert r.n == 100_000 and r.mean == pytest.approx(np.concatenate(chains).mean())
    assert abs(r.tau_int - exact) < 4 * r.tau_int_error + 0.05 * exact
    err = np.sqrt(2 * exact / (1 - rho**2) / r.n)
    assert abs(r.error / err - 1) < 0.15
    # one replica is gamma_analysis itself
    single = gamma_analysis_replicas([chains[0]])
    assert single == gamma_analysis(chains[0])
    # the order of the chains does not matter (concatenating them would glue chain ends)
    assert gamma_analysis_replicas(chains[::-1]).tau_int == pytest.approx(r.tau_int, rel=1e-12)


def test_replica_autocovariance_equals_the_direct_sum_within_chains():
    """Slow twin: Gamma(t) summed over the pairs inside each chain, never across two."""
    from latticeml.observables import gamma_analysis_replicas

    chains = [_ar1(0.7, n, seed=20 + n) for n in (37, 120, 64)]
    r = gamma_analysis_replicas(chains)
    mean = np.concatenate(chains).mean()
    n = sum(c.size for c in chains)

    def gamma(t):
        num = sum(float(np.sum((c[: c.size - t] - mean) * (c[t:] - mean))) for c in chains)
        return num / sum(c.size - t for c in chains)

    gsum = gamma(0) + 2 * sum(gamma(t) for t in range(1, r.window + 1))
    tau = 0.5 * gsum * (1 + (2 * r.window + 1) / n) / gamma(0)
    assert r.tau_int == pytest.approx(max(tau, 0.5), rel=1e-10)
    # control: gluing the chains into one series gives a different estimate
    assert gamma_analysis(np.concatenate(chains)).tau_int != pytest.approx(r.tau_int, rel=1e-6)


def test_replicas_refuse_nothing_and_non_finite():
    from latticeml.observables import gamma_analysis_replicas

    with pytest.raises(ParameterError, match="at least one"):
        gamma_analysis_replicas([])
    with pytest.raises(ParameterError, match="finite"):
        gamma_analysis_replicas([np.ones(5), np.array([1.0, np.nan])])
