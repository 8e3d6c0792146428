"""Flux controls built from the divergence: labels, reproducibility, the checker itself."""

from __future__ import annotations

import numpy as np
import pytest

from latticeml.errors import ParameterError
from latticeml.observables.flux_controls import (
    flux_controls,
    is_violated,
    open_string,
    plaquette_curl,
)


def _slow_divergence(k: np.ndarray) -> np.ndarray:
    """Obviously correct twin: outflow minus inflow at every site, explicit loops."""
    n_t, n_x = k.shape[:2]
    div = np.zeros((n_t, n_x), dtype=np.int64)
    for t in range(n_t):
        for x in range(n_x):
            div[t, x] = (int(k[t, x, 0]) - int(k[(t - 1) % n_t, x, 0])
                         + int(k[t, x, 1]) - int(k[t, (x - 1) % n_x, 1]))
    return div


def _k(c):
    return np.moveaxis(c.kl[:, :2], 1, -1)


@pytest.mark.parametrize("shape", [(6, 4), (5, 3), (2, 2), (12, 2)])
def test_every_control_is_labelled_by_the_divergence(shape):
    c = flux_controls(shape, seed=3, n_random=6)
    assert c.kl.shape == (len(c), 4, *shape) and c.kl.dtype == np.int64
    for i, k in enumerate(_k(c)):
        div = _slow_divergence(k)
        assert (div != 0).any() == bool(c.label[i]), c.kind[i]
        if c.label[i] == 0:
            assert c.kind[i].count("string") + c.kind[i].count("walk") == 0
    assert (c.kl[:, 2:] >= 0).all()  # l >= 0


def test_controls_cover_the_kinds_asked_for():
    base = np.zeros((3, 8, 4, 2), dtype=np.int64)
    base[:, :, 1, 0] = 2  # two units winding in time along x = 1
    c = flux_controls((8, 4), seed=1, base_k=base, base_l=np.ones_like(base))
    kinds = " ".join(c.kind)
    for name in ("zero", "wind_t(1)", "wind_t(-1)", "wind_x(2)", "wind_tx(", "line_t(",
                 "rect(", "curls(40)", "chain+loop", "chain+wind", "+string_t(", "+string_x(",
                 "+walk(", "+strings(", "+l"):
        assert name in kinds, name
    assert c.n_closed > 50 and c.n_open > c.n_closed
    assert np.abs(c.kl[:, :2]).max() >= 40  # large |k|
    k = _k(c)
    zero = k[list(c.kind).index("zero")]
    assert not zero.any()
    wind = k[list(c.kind).index("wind_t(1)")]
    assert (wind[..., 0] == 1).all() and (wind[..., 1] == 0).all()
    # the positives are the negatives with strings: the defects sit only at string ends
    pos = k[c.label == 1]
    n_def = np.count_nonzero([_slow_divergence(x) for x in pos], axis=(1, 2))
    assert (n_def >= 2).all()
    one = np.array(["+strings(" not in s for s in c.kind[c.label == 1]])
    assert np.all(n_def[one] == 2)


def test_controls_are_reproducible_and_depend_on_the_seed():
    a, b = flux_controls((10, 4), seed=7), flux_controls((10, 4), seed=7)
    assert np.array_equal(a.kl, b.kl) and np.array_equal(a.kind, b.kind)
    c = flux_controls((10, 4), seed=8)
    assert a.kl.shape != c.kl.shape or not np.array_equal(a.kl, c.kl)


def test_checker_detects_an_open_configuration_and_passes_closed_ones():
    """Negative control of the helper: a deliberately open configuration must be open."""
    k = np.zeros((6, 4, 2), dtype=np.int64)
    assert not is_violated(k)
    k[2, 1, 0] = 1  # one unit on one temporal link: +1 at (2, 1), -1 at (3, 1)
    assert is_violated(k)
    assert _slow_divergence(k)[2, 1] == 1 and _slow_divergence(k)[3, 1] == -1
    k = np.zeros((6, 4, 2), dtype=np.int64)
    end = open_string(k, (5, 3), [(0, 1), (1, 1), (1, 1)])  # crosses both boundaries
    assert end == (0, 1) and is_violated(k)
    div = _slow_divergence(k)
    assert div[5, 3] == 1 and div[0, 1] == -1 and np.count_nonzero(div) == 2
    # a string around the torus closes: not violated
    k = np.zeros((6, 4, 2), dtype=np.int64)
    open_string(k, (0, 0), [(1, -1)] * 4, q=3)
    assert not is_violated(k) and (k[0, :, 1] == -3).all()
    k = np.zeros((6, 4, 2), dtype=np.int64)
    for t, x, q in ((0, 0, 1), (5, 3, -4), (2, 1, 7)):
        plaquette_curl(k, t, x, q)
    assert not is_violated(k) and np.abs(k).max() == 7


def test_bad_inputs_raise_typed_errors():
    with pytest.raises(ParameterError, match="shape"):
        flux_controls((1, 4))
    with pytest.raises(ParameterError, match="shape"):
        flux_controls("60x4")
    with pytest.raises(ParameterError, match="n_random"):
        flux_controls((6, 4), n_random=-1)
    open_base = np.zeros((1, 6, 4, 2), dtype=np.int64)
    open_base[0, 0, 0, 0] = 1
    with pytest.raises(ParameterError, match="closed"):
        flux_controls((6, 4), base_k=open_base)
    with pytest.raises(ParameterError, match="base_k"):
        flux_controls((6, 4), base_k=np.zeros((1, 5, 4, 2), dtype=np.int64))
    with pytest.raises(ParameterError, match="closed"):
        flux_controls((6, 4), base_k=np.zeros((1, 6, 4, 2)))  # floats are not link fields
