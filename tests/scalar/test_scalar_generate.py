import numpy as np
import pytest

from latticeml.errors import ParameterError
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

BASE = dict(shape=(8, 4), mu=1.05, eta=4.01, lam=1.0, n_configs=12, n_therm=20, n_skip=2, seed=7)


def _p(**kw):
    return ScalarParams(**{**BASE, **kw})


def test_default_n_worms():
    assert _p().n_worms is None  # automatic
    assert default_n_worms((8, 4)) == 4 and default_n_worms((200, 10)) == 125
    assert _p(n_worms=9).n_worms == 9
    assert generate_scalar_ensemble(_p(n_worms=9)).worm_info["n_worms"] == 9


def test_automatic_n_worms_fixed_after_thermalisation():
    ens = generate_scalar_ensemble(_p(n_therm=4, n_configs=3))
    info = ens.worm_info
    assert info["n_worms_auto"] and 1 <= info["n_worms"] <= 4 * 32
    # thermalisation was extended to AUTO_MIN_SWEEPS sweeps for the measurement
    assert ens.n_history.size == AUTO_MIN_SWEEPS + 3 * 2
    # ~AUTO_STEPS_PER_SITE worm steps per site and sweep
    ch = ScalarChain(_p())
    nw, _, _ = ch.tune_n_worms(200)
    ch.counters[:] = 0
    ch.sweep(400)
    per_site = ch.counters[1] / 400 / 32
    assert 0.3 * AUTO_STEPS_PER_SITE < per_site < 3 * AUTO_STEPS_PER_SITE, (nw, per_site)


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
    assert np.all(ens.l >= 0)
    assert ens.n_history[n_therm_eff + 1] == pytest.approx(ens.n[0])
    assert ens.elapsed > 0 and 0 < ens.worm_info["start_acceptance"] <= 1


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
    np.testing.assert_array_equal(ens.n_defects, 2 * ens.open_worms)
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
