"""Scalar ensemble generation: contract, automatic worm count, start rule, flux violation.

Values are checked against independent computations: observables recomputed from the saved
``(k, l)`` with ``W(f)`` from scipy quadrature and a loop-over-links site flux
(tests/scalar/reference.py), defect counts from a loop-over-links divergence, and Monte Carlo
rates against their expectation with Gamma-method errors (4 sigma, as in
tests/scalar/test_scalar_physics.py).
"""

import functools
import math

import numpy as np
import pytest
from scipy.integrate import quad

from latticeml.errors import ParameterError
from latticeml.observables.autocorr import gamma_analysis
from latticeml.scalar import (
    AUTO_MIN_SWEEPS,
    AUTO_STEPS_PER_SITE,
    ScalarChain,
    ScalarParams,
    balanced_labels,
    check_flux,
    default_n_worms,
    generate_scalar_ensemble,
)
from tests.scalar.reference import divergence_ref, site_flux_ref

BASE = dict(shape=(8, 4), mu=1.05, eta=4.01, lam=1.0, n_configs=12, n_therm=20, n_skip=2, seed=7)
NSIG = 4.0


def _p(**kw):
    return ScalarParams(**{**BASE, **kw})


@functools.cache
def w_quad(f, eta=4.01, lam=1.0):
    """``W(f) = int_0^inf r^(f+1) exp(-eta r^2 - lam r^4) dr`` by adaptive quadrature."""
    # W(0) = 0.112933110, W(2) = 0.023569115 at eta = 4.01, lam = 1 (REFERENCES.md)
    return quad(
        lambda r: r ** (f + 1) * math.exp(-eta * r * r - lam * r**4),
        0,
        np.inf,
        epsabs=0,
        epsrel=1e-13,
        limit=200,
    )[0]


def test_quadrature_reproduces_the_published_weights():
    # REFERENCES.md, eta = 4.01, lambda = 1 (9 digits given)
    for f, w in {0: 0.112933110, 2: 0.023569115, 4: 0.009210480, 10: 0.003014257}.items():
        assert w_quad(f) == pytest.approx(w, abs=6e-10)


def _ratio(f, df):
    return np.vectorize(lambda x: w_quad(int(x) + df) / w_quad(int(x)))(f)


def _steps_per_sweep(chain, n_sweeps):
    """Worm steps of each of ``n_sweeps`` single sweeps."""
    out = np.empty(n_sweeps)
    for i in range(n_sweeps):
        before = int(chain.counters[1])
        chain.sweep(1)
        out[i] = int(chain.counters[1]) - before
    return out


def test_default_n_worms():
    assert _p().n_worms is None  # automatic
    assert default_n_worms((8, 4)) == 4 and default_n_worms((200, 10)) == 125
    assert _p(n_worms=9).n_worms == 9
    assert generate_scalar_ensemble(_p(n_worms=9)).worm_info["n_worms"] == 9


def test_automatic_thermalisation_lasts_auto_min_sweeps():
    ens = generate_scalar_ensemble(_p(n_therm=4, n_configs=3))
    info = ens.worm_info
    assert info["n_worms_auto"] and 1 <= info["n_worms"] <= 4 * 32
    # thermalisation was extended to AUTO_MIN_SWEEPS sweeps for the measurement
    assert ens.n_history.size == AUTO_MIN_SWEEPS + 3 * 2


def test_automatic_n_worms_reaches_the_target_worm_steps_per_site():
    """After tuning, production makes AUTO_STEPS_PER_SITE worm steps per site and sweep.

    ``tune_n_worms`` measures the mean steps per start attempt ``a`` and fixes
    ``n_worms = round(AUTO_STEPS_PER_SITE V / a)``; production then makes ``n_worms a' / V``
    steps per site and sweep, with ``a'`` the production mean. Both are estimates of the same
    equilibrium mean: their difference must be within 4 sigma (Gamma-method errors; the error
    of the tuning estimate from a long series at the tuning worm count). A tuning that counted
    something else (accepted head moves, starts) or used the wrong volume is off by a factor.
    """
    p = _p(n_worms=None)
    V = 32
    ch = ScalarChain(p)
    n0 = ch.n_worms
    assert n0 == default_n_worms((8, 4)) == 4
    ch.sweep(500)  # thermalise at the tuning worm count
    n_pre, m = 20000, 20000
    pre = gamma_analysis(_steps_per_sweep(ch, n_pre) / n0)  # steps per attempt, per sweep
    steps0, att0 = int(ch.counters[1]), ch.n_attempts
    nw, _, _ = ch.tune_n_worms(m)
    a_tune = (int(ch.counters[1]) - steps0) / (ch.n_attempts - att0)
    assert ch.n_attempts - att0 == m * n0
    assert nw == ch.n_worms == min(max(round(AUTO_STEPS_PER_SITE * V / a_tune), 1), 4 * V)
    err_tune = pre.error * math.sqrt(n_pre / m)  # the same process, m sweeps instead of n_pre
    assert abs(a_tune - pre.mean) <= NSIG * math.hypot(err_tune, pre.error), (a_tune, pre)
    prod = gamma_analysis(_steps_per_sweep(ch, 20000) / nw)
    per_site = nw * prod.mean / V
    target = nw * a_tune / V  # AUTO_STEPS_PER_SITE up to the rounding of n_worms
    assert abs(target / AUTO_STEPS_PER_SITE - 1) <= 0.5 * a_tune / (AUTO_STEPS_PER_SITE * V)
    sigma = nw / V * math.hypot(prod.error, err_tune)
    assert abs(per_site - target) <= NSIG * sigma, (per_site, target, sigma)


def test_start_acceptance_is_the_weight_ratio():
    """A worm start at ``x`` is accepted with probability ``min(1, W(f_x + 2) / W(f_x))``.

    So the accepted fraction of the starts of a sweep has the expectation
    ``(1/V) sum_x min(1, W(f_x+2)/W(f_x))`` over equilibrium configurations; the per-sweep
    difference of the two (site flux from the loop-over-links twin, ``W`` from quadrature)
    must vanish within 4 sigma.
    """
    ch = ScalarChain(_p(n_worms=8))
    ch.sweep(300)
    diff, acc_all = [], []
    for _ in range(3000):
        k, l = ch.configuration()
        expected = np.minimum(1.0, _ratio(site_flux_ref(k, l), 2)).mean()
        before = int(ch.counters[0])
        ch.sweep(1)
        acc = (int(ch.counters[0]) - before) / 8
        diff.append(acc - expected)
        acc_all.append(acc)
    d = gamma_analysis(np.asarray(diff))
    assert abs(d.mean) <= NSIG * d.error, d
    assert d.error < 0.01  # the test resolves the acceptance (~0.2-0.5) to a few per cent
    assert 0.05 < np.mean(acc_all) < 0.95


def test_ensemble_contract():
    ens = generate_scalar_ensemble(_p())
    assert ens.k.shape == ens.l.shape == (12, 8, 4, 2)
    assert ens.k.dtype == ens.l.dtype == np.int16
    for a in (ens.n, ens.phi2, ens.phi4):
        assert a.shape == (12,) and a.dtype == np.float64
    # automatic n_worms: the thermalisation lasts at least AUTO_MIN_SWEEPS sweeps
    n_therm_eff = max(20, AUTO_MIN_SWEEPS)
    assert ens.n_history.shape == (n_therm_eff + 24,)
    assert np.all(ens.label == 0) and np.all(ens.open_worms == 0) and np.all(ens.n_defects == 0)
    chk = check_flux(ens.k, n=ens.n, l=ens.l)
    assert chk.ok, chk
    assert np.all(ens.l >= 0) and ens.elapsed > 0
    # observables recomputed independently from the saved (k, l): loop-over-links divergence
    # and site flux, W(f) by quadrature
    for c in range(12):
        k, l = ens.k[c].astype(np.int64), ens.l[c].astype(np.int64)
        np.testing.assert_array_equal(divergence_ref(k), 0)
        f = site_flux_ref(k, l)
        assert ens.n[c] == k[..., 0].sum() / 32
        assert ens.phi2[c] == pytest.approx(_ratio(f, 2).mean(), rel=1e-11)
        assert ens.phi4[c] == pytest.approx(_ratio(f, 4).mean(), rel=1e-11)


def test_same_seed_same_bytes():
    a = generate_scalar_ensemble(_p(open_worms=1))
    b = generate_scalar_ensemble(_p(open_worms=1))
    assert a.k.tobytes() == b.k.tobytes() and a.l.tobytes() == b.l.tobytes()
    assert a.phi2.tobytes() == b.phi2.tobytes() and a.label.tobytes() == b.label.tobytes()
    c = generate_scalar_ensemble(_p(open_worms=1, seed=8))
    assert c.k.tobytes() != a.k.tobytes()


@pytest.mark.parametrize("m", [1, 3])
def test_flux_violation_ensemble(m):
    ens = generate_scalar_ensemble(_p(open_worms=m, n_configs=21))
    assert int(ens.label.sum()) == 10 and ens.label.dtype == np.int8
    np.testing.assert_array_equal(ens.open_worms, m * ens.label)
    # defects counted independently: sites with non-zero divergence (loop over links), each
    # open worm has two ends of divergence +-1 (M ends coincide only by chance: not here)
    div = np.stack([divergence_ref(k.astype(np.int64)) for k in ens.k])
    np.testing.assert_array_equal(ens.n_defects, np.count_nonzero(div, axis=(1, 2)))
    np.testing.assert_array_equal(ens.n_defects, 2 * ens.open_worms)
    np.testing.assert_array_equal(np.abs(div).sum((1, 2)), 2 * ens.open_worms)
    np.testing.assert_array_equal(div.sum((1, 2)), 0)  # what flows out flows in
    assert check_flux(ens.k, ens.open_worms, n=ens.n, l=ens.l).ok


def test_balanced_labels():
    lab = balanced_labels(10, 3)
    assert lab.sum() == 5 and np.array_equal(lab, balanced_labels(10, 3))
    with pytest.raises(ParameterError):
        balanced_labels(1, 3)


@pytest.mark.parametrize(
    ("kw", "flag"),
    [
        (dict(eta=0.0), "--eta"),
        (dict(eta=-2.0), "--eta"),
        (dict(lam=-0.5), "--lam"),
        (dict(lam=0.0, eta=4.5, mu=1.0), "--eta"),  # 2 + 2 cosh(1) = 5.09 > 4.5
        (dict(lam=0.0, eta=4.0, mu=0.0), "--eta"),
        (dict(mu=float("inf")), "--mu"),
        (dict(shape=(1, 4)), "--shape"),
        (dict(shape=(8, 1)), "--shape"),
        (dict(shape=(8,)), "--shape"),
        (dict(shape=(8, 4, 4)), "--shape"),
        (dict(shape=(0, 4)), "--shape"),
        (dict(n_configs=0), "--n-configs"),
        (dict(n_skip=0), "--n-skip"),
        (dict(n_therm=-1), "--n-therm"),
        (dict(n_worms=0), "--n-worms"),
        (dict(seed=-1), "--seed"),
        (dict(seed=2**64), "--seed"),
        (dict(open_worms=-1), "--open-worms"),
        (dict(open_worms=9), "--open-worms"),
        (dict(open_worms=1, n_configs=1), "--n-configs"),
        (dict(n_configs=2.5), "--n-configs"),
    ],
)
def test_validation(kw, flag):
    with pytest.raises(ParameterError, match=flag):
        _p(**kw)


def test_odd_extents_allowed():
    # the PRD lattices include (100, 5) and (125, 8); the worm needs no checkerboard
    ens = generate_scalar_ensemble(_p(shape=(5, 3), n_configs=4))
    assert ens.k.shape == (4, 5, 3, 2) and check_flux(ens.k, n=ens.n, l=ens.l).ok


def test_free_field_bound_ok():
    # lam = 0 is allowed above the bound
    assert _p(lam=0.0, eta=4.5, mu=0.5).lam == 0.0


def test_table_exceeded_is_a_clear_error():
    from latticeml.errors import TableRangeError

    with pytest.raises(TableRangeError, match="--f-max"):
        generate_scalar_ensemble(_p(mu=1.5, f_max=8, n_therm=50))


def test_progress_bar_runs(capsys):
    ens = generate_scalar_ensemble(_p(n_configs=3), progress=True)
    assert ens.k.shape[0] == 3
    assert "scalar" in capsys.readouterr().err
