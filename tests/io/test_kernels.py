"""The readers' Numba kernels against their slow twins."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from latticeml._numba import threads
from latticeml.io import _layout as L
from latticeml.io._kernels import (
    CRC_TABLES,
    crc32_rows,
    link_checks,
    openqcd_to_ours,
    ours_to_openqcd,
    plaquette_sum,
)
from latticeml.io.nersc import _checksum
from latticeml.observables.wilson import unitarity_violation


def _random_links(shape, n, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(*shape, 4, n, n)) + 1j * rng.normal(size=(*shape, 4, n, n))
    return L.project_su_n(np.eye(n) + 0.7 * z)


@pytest.mark.parametrize("width", [1, 7, 8, 9, 15, 16, 17, 64, 576, 577])
def test_crc32_rows_is_zlibs(width):
    rng = np.random.default_rng(width)
    data = rng.integers(0, 256, size=(13, width), dtype=np.uint8)
    want = [zlib.crc32(row.tobytes()) for row in data]
    assert crc32_rows(data, CRC_TABLES).tolist() == want


@pytest.mark.parametrize("n", [2, 3])
def test_link_checks_are_unitarity_violation_and_trace(n):
    rng = np.random.default_rng(n)
    u = rng.normal(size=(50, n, n)) + 1j * rng.normal(size=(50, n, n))
    q, _ = np.linalg.qr(u)
    q /= np.linalg.det(q)[:, None, None] ** (1 / n)
    for links in (q, q * (1 + 1e-6), u):
        unit, det, trace = link_checks(links)
        np.testing.assert_allclose((unit, det), unitarity_violation(links), rtol=1e-12,
                                   atol=1e-15)
        assert abs(trace - np.trace(links, axis1=1, axis2=2).real.sum()) < 1e-12 * len(links)
    assert max(link_checks(q)[:2]) < 1e-14
    bad = q.copy()
    bad[37, 0, 0] = np.nan  # a non-finite entry is a violation, not a pass (any block)
    assert np.isinf(link_checks(bad)[0])


@pytest.mark.parametrize("n, shape", [(2, (2, 4, 6, 2)), (3, (4, 2, 2, 6))])
def test_plaquette_kernel_is_wilson_loops(n, shape):
    from latticeml.io._kernels import plaquette_sum
    from latticeml.io._layout import project_su_n
    from latticeml.observables.wilson import wilson_loops

    rng = np.random.default_rng(n)
    z = rng.normal(size=(*shape, 4, n, n)) + 1j * rng.normal(size=(*shape, 4, n, n))
    u = project_su_n(np.eye(n) + 0.7 * z)
    want = wilson_loops(u, 1, 1).sum() * n
    total, unit, det, trace = plaquette_sum(u, True)
    assert abs(total - want) < 1e-10 * abs(want)
    np.testing.assert_allclose((unit, det, trace), link_checks(u.reshape(-1, n, n)), rtol=1e-12)
    assert plaquette_sum(u, False)[:3] == (total, 0, 0)
    assert plaquette_sum(u, False)[3] == trace


def _numpy_from_file(arr):
    """The slow twin of the copy kernel: transposes and a dtype conversion."""
    t = np.transpose(arr, (0, 3, 2, 1, 4, 5, 6))
    return np.stack([t[..., d, :, :] for d in L.OUR_MU], axis=4).astype(np.complex128)


@pytest.mark.parametrize("byteorder", [">", "<"])
@pytest.mark.parametrize("rows, n", [(3, 3), (2, 3), (2, 2)])
def test_copy_kernels_are_numpys_transposes(byteorder, rows, n):
    links = _random_links((2, 4, 6, 4), n)
    dtype = np.dtype(f"{byteorder}c16")
    stored, total = L.links_to_file(links, dtype, rows=rows)
    assert stored.dtype == dtype and stored.shape[-2:] == (rows, n)
    np.testing.assert_array_equal(stored, np.ascontiguousarray(
        L.to_file_order(links)[..., :rows, :]))
    assert total == _checksum(stored.view(stored.real.dtype))  # the NERSC word sum
    back, total_back = L.file_to_links(stored)
    assert back.dtype == np.complex128 and total_back == total
    twin = _numpy_from_file(stored)
    if rows < n:  # the third row rebuilt in place by the kernel, by np.cross in the twin
        twin = L.reconstruct_third_row(twin)
        np.testing.assert_allclose(back, twin, rtol=0, atol=1e-15)
        np.testing.assert_allclose(back, links, rtol=0, atol=1e-14)
    else:
        np.testing.assert_array_equal(back, twin)
        np.testing.assert_array_equal(back, links)
    # other precisions take the NumPy path and give no sum
    single, none = L.links_to_file(links, f"{byteorder}c8", rows=rows)
    assert none is None and np.abs(L.file_to_links(single)[0] - links).max() < 1e-6


def _odd_sites(shape):
    grid = np.indices(shape).reshape(4, -1).T
    return grid[grid.sum(axis=1) % 2 == 1]


@pytest.mark.parametrize("n, shape", [(3, (2, 4, 6, 2)), (2, (4, 2, 2, 6))])
def test_openqcd_kernels_are_numpys_fancy_indexing(n, shape):
    """The odd-site order written with NumPy index arrays (x3 fastest), link by link."""
    links = _random_links(shape, n)
    odd = _odd_sites(shape)
    want = np.empty((len(odd), 8, n, n), np.complex128)
    for mu in range(4):
        back = odd.copy()
        back[:, mu] = (back[:, mu] - 1) % shape[mu]
        want[:, 2 * mu] = links[(*odd.T, mu)]
        want[:, 2 * mu + 1] = links[(*back.T, mu)]
    got = np.empty_like(want)
    ours_to_openqcd(links.view(np.uint64).reshape(*shape, 4, -1),
                    got.view(np.uint64).reshape(len(odd), 8, -1))
    np.testing.assert_array_equal(got, want)
    again = np.full_like(links, np.nan)
    openqcd_to_ours(want.view(np.uint64).reshape(len(odd), 8, -1),
                    again.view(np.uint64).reshape(*shape, 4, -1))
    np.testing.assert_array_equal(again, links)  # every link written, none left NaN


def test_kernels_do_not_depend_on_the_thread_count():
    import numba

    links = _random_links((4, 4, 6, 2), 3)
    stored = L.links_to_file(links, ">c16")[0]
    rows = np.ascontiguousarray(stored).view(np.uint8).reshape(48, -1)
    results = []
    for n in sorted({1, numba.config.NUMBA_NUM_THREADS}):
        with threads(n):
            results.append((plaquette_sum(links, True), link_checks(links.reshape(-1, 3, 3)),
                            L.file_to_links(stored)[1], crc32_rows(rows, CRC_TABLES).tolist()))
    assert all(r == results[0] for r in results)
