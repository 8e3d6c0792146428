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
