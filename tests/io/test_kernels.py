"""The readers' Numba kernels against their slow twins."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from latticeml.io._kernels import CRC_TABLES, crc32_rows, group_violation
from latticeml.observables.wilson import unitarity_violation


@pytest.mark.parametrize("width", [1, 7, 8, 9, 64, 577])
def test_crc32_rows_is_zlibs(width):
    rng = np.random.default_rng(width)
    data = rng.integers(0, 256, size=(13, width), dtype=np.uint8)
    want = [zlib.crc32(row.tobytes()) for row in data]
    assert crc32_rows(data, CRC_TABLES).tolist() == want


@pytest.mark.parametrize("n", [2, 3])
def test_group_violation_is_unitarity_violation(n):
    rng = np.random.default_rng(n)
    u = rng.normal(size=(50, n, n)) + 1j * rng.normal(size=(50, n, n))
    q, _ = np.linalg.qr(u)
    q /= np.linalg.det(q)[:, None, None] ** (1 / n)
    for links in (q, q * (1 + 1e-6), u):
        np.testing.assert_allclose(group_violation(links), unitarity_violation(links),
                                   rtol=1e-12, atol=1e-15)
    assert max(group_violation(q)) < 1e-14
    bad = q.copy()
    bad[3, 0, 0] = np.nan  # a non-finite entry is a violation, not a pass
    assert np.isinf(group_violation(bad)[0])


@pytest.mark.parametrize("n, shape", [(2, (2, 4, 6, 2)), (3, (4, 2, 2, 6))])
def test_plaquette_kernel_is_wilson_loops(n, shape):
    from latticeml.io._kernels import plaquette_sum
    from latticeml.io._layout import project_su_n
    from latticeml.observables.wilson import wilson_loops

    rng = np.random.default_rng(n)
    z = rng.normal(size=(*shape, 4, n, n)) + 1j * rng.normal(size=(*shape, 4, n, n))
    u = project_su_n(np.eye(n) + 0.7 * z)
    want = wilson_loops(u, 1, 1).sum() * n
    assert abs(plaquette_sum(u) - want) < 1e-10 * abs(want)
