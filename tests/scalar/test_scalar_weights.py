import math

import mpmath
import numpy as np
import pytest

from latticeml.errors import ParameterError, TableRangeError
from latticeml.scalar import log_w_quadrature, weight_table

COUPLINGS = [(4.01, 1.0), (4.5, 0.01), (0.5, 2.0), (8.0, 0.3)]


def test_reference_values():
    # REFERENCES.md, eta = 4.01, lambda = 1
    table = weight_table(4.01, 1.0)
    expected = {0: 0.112933110, 2: 0.023569115, 4: 0.009210480, 10: 0.003014257, 20: 0.007157928}
    for f, w in expected.items():
        assert math.exp(table.logw[f]) == pytest.approx(w, abs=6e-10)  # 9 digits given


@pytest.mark.parametrize(("eta", "lam"), COUPLINGS)
def test_against_high_precision_quadrature(eta, lam):
    # 30-digit quadrature (mpmath is a pinned test dependency: this test never skips)
    table = weight_table(eta, lam)
    for f in (0, 1, 2, 3, 8, 51, 300, 1000):
        with mpmath.workdps(30):
            exact = mpmath.log(
                mpmath.quad(
                    lambda r, f=f: r ** (f + 1) * mpmath.exp(-eta * r**2 - lam * r**4),
                    [0, 0.5, 1, 2, 4, 8, 16, 32, mpmath.inf],
                )
            )
        assert table.logw[f] == pytest.approx(float(exact), rel=1e-13, abs=1e-12)


@pytest.mark.parametrize(("eta", "lam"), COUPLINGS)
def test_three_term_identity(eta, lam):
    # 2 lam W(f+2) = (f/2) W(f-2) - eta W(f), checked as a ratio in log space
    logw = weight_table(eta, lam).logw
    f = np.arange(2, 400)
    lhs = np.log(2 * lam) + logw[f + 2] - logw[f]
    rhs = np.log(f / 2 * np.exp(logw[f - 2] - logw[f]) - eta)
    np.testing.assert_allclose(lhs, rhs, rtol=0, atol=1e-9)


def test_lambda_zero_closed_form():
    eta = 4.5
    table = weight_table(eta, 0.0)
    f = np.arange(0, 600)
    closed = np.array(
        [math.lgamma(x / 2 + 1) - math.log(2) - (x / 2 + 1) * math.log(eta) for x in f]
    )
    np.testing.assert_allclose(table.logw[f], closed, rtol=1e-14, atol=1e-12)
    # the quadrature reproduces the closed form too
    np.testing.assert_allclose(log_w_quadrature(f, eta, 0.0), closed, rtol=1e-13, atol=1e-11)


def test_table_range_and_ratio():
    table = weight_table(4.01, 1.0, f_max=64)
    assert table.ratio(0, 2) == pytest.approx(0.023569115 / 0.112933110, rel=1e-7)
    with pytest.raises(TableRangeError, match="f_max"):
        table.log_w(65)
    assert not table.logw.flags.writeable


@pytest.mark.parametrize(
    ("eta", "lam", "f_max", "flag"),
    [
        (0.0, 1.0, 64, "--eta"),
        (-1.0, 1.0, 64, "--eta"),
        (4.0, -0.1, 64, "--lam"),
        (4.0, 1.0, 4, "f_max"),
        (float("nan"), 1.0, 64, "--eta"),
    ],
)
def test_bad_couplings(eta, lam, f_max, flag):
    with pytest.raises(ParameterError, match=flag):
        weight_table(eta, lam, f_max)
