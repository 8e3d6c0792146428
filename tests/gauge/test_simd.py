"""The primitives of the gauge kernels against plain NumPy (random non-unitary inputs).

Both modules of primitives, the SIMD intrinsics (:mod:`latticeml.gauge._kernels.simd`) and
their portable twins (:mod:`latticeml.gauge._kernels.scalar`), pass the same checks.
"""

from __future__ import annotations

import functools

import numba
import numpy as np
import pytest

from latticeml.gauge._kernels import scalar, simd, su2
from tests.gauge import reference as ref


def p2c(t):
    """24 floats of padded rows -> complex 3x3 matrix; the padding lanes must be zero."""
    rows = np.asarray(t, dtype=np.float64).reshape(3, 8)
    assert not rows[:, 6:].any(), "padding lanes must stay zero"
    return np.ascontiguousarray(rows[:, :6]).view(np.complex128)


def c2flat(*ms):
    """Complex 3x3 matrices -> one flat float64 array of consecutive 18-float blocks."""
    return np.concatenate([np.ascontiguousarray(m).view(np.float64).ravel() for m in ms])


def qc(q):
    """Quaternion (4 floats) -> complex 2x2 matrix."""
    return su2.to_complex(np.asarray(q, dtype=np.float64))


def cmat(rng):
    return rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))


PRIMITIVES = pytest.mark.parametrize("S", [simd, scalar], ids=["simd", "scalar"])


@functools.cache
def _compiled(S):
    """Test kernels on the primitives of module ``S`` (compiled once per module)."""

    @numba.njit
    def quaternion_ops(x, off_a, off_b):
        a = S.load4(x, off_a)
        b = S.load4(x, off_b)
        return a, S.qmul(a, b), S.qmul_nc(a, b), S.qmul_cn(a, b), S.add4(a, b)

    @numba.njit
    def matrix_ops(x, buf, q):
        b = S.m3load(x, 18)
        nn = S.m3mul_nn_mem(x, 0, b)
        dn = S.m3mul_dn_mem(x, 0, b)
        S.m3zero_buf(buf, 24)
        S.m3acc_buf(buf, 24, nn)
        S.m3acc_buf(buf, 24, dn)
        acc = S.m3load_buf(buf, 24)
        left = (
            S.m3left01(b, q[0], q[1], q[2], q[3]),
            S.m3left02(b, q[0], q[1], q[2], q[3]),
            S.m3left12(b, q[0], q[1], q[2], q[3]),
        )
        return b, nn, dn, S.m3dagger(b), acc, left, S.m3reunit(S.m3load(x, 36))

    @numba.njit
    def prefetch_all(x):
        for k in range(-64, x.size + 64):  # also outside the array: a hint never faults
            S.prefetch(x, k)
        return x.sum()

    return quaternion_ops, matrix_ops, prefetch_all


@PRIMITIVES
@pytest.mark.parametrize("seed", range(5))
def test_quaternion_products(seed, S):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(11)  # quaternions at odd offsets: unaligned vector loads
    a_q, b_q = x[1:5], x[6:10]
    a, b = qc(a_q), qc(b_q)
    loaded, nn, nc, cn, add = _compiled(S)[0](x, 1, 6)
    assert np.array_equal(np.array(loaded), a_q)
    np.testing.assert_allclose(qc(nn), a @ b, atol=1e-14)
    np.testing.assert_allclose(qc(nc), a @ b.conj().T, atol=1e-14)
    np.testing.assert_allclose(qc(cn), a.conj().T @ b, atol=1e-14)
    assert np.array_equal(np.array(add), a_q + b_q)


@PRIMITIVES
@pytest.mark.parametrize("seed", range(5))
def test_matrix_products_buffers_and_subgroups(seed, S):
    rng = np.random.default_rng(seed)
    a, b = cmat(rng), cmat(rng)
    u = ref.reunitarise_su3(cmat(rng))
    noisy = u + 1e-3 * cmat(rng)
    x = c2flat(a, b, noisy)
    buf = np.full(48, np.nan)
    q = rng.standard_normal(4)
    got_b, nn, dn, dag, acc, left, reunit = _compiled(S)[1](x, buf, q)
    assert np.array_equal(p2c(got_b), b)
    np.testing.assert_allclose(p2c(nn), a @ b, atol=1e-13)
    np.testing.assert_allclose(p2c(dn), a.conj().T @ b, atol=1e-13)
    assert np.array_equal(p2c(dag), b.conj().T)
    np.testing.assert_allclose(p2c(acc), a @ b + a.conj().T @ b, atol=1e-13)
    assert np.isnan(buf[:24]).all()  # only buf[24:48] was written
    for (p, r), got in zip(ref.SUBGROUPS, left, strict=True):
        np.testing.assert_allclose(p2c(got), ref.embed(qc(q), p, r) @ b, atol=1e-13)
    np.testing.assert_allclose(p2c(reunit), ref.reunitarise_su3(noisy), atol=1e-14)
    w = p2c(reunit)
    np.testing.assert_allclose(w @ w.conj().T, np.eye(3), atol=1e-14)
    assert abs(np.linalg.det(w) - 1) < 1e-14


@PRIMITIVES
def test_prefetch_is_only_a_hint(S):
    x = np.arange(100.0)
    before = x.copy()
    assert _compiled(S)[2](x) == before.sum()
    assert np.array_equal(x, before)


def test_intrinsics_reject_other_arrays():
    @numba.njit
    def load_f32(x):
        return simd.load4(x, 0)

    with pytest.raises(numba.core.errors.TypingError, match="C-contiguous float64"):
        load_f32(np.zeros(4, dtype=np.float32))
