"""Choice of the gauge-kernel backend: ``simd``, ``scalar`` or ``auto``.

``simd``
    The kernels built on :mod:`.simd` (LLVM-IR intrinsics: explicit ``<4 x double>`` vectors,
    fused multiply-adds, prefetching). About 2x (SU(2)) and 2.4-3x (SU(3)) faster than
    ``scalar`` on the machine they were written for (``benchmarks/bench_gauge.py``).
``scalar``
    The same update algorithms and random streams built on :mod:`.scalar` (plain Numba): runs
    wherever Numba runs, also with the JIT disabled.
``auto``
    ``simd`` if :func:`simd_self_test` passes in this process, else ``scalar`` (with a
    warning). The self-test compiles one small function on each backend's primitives (cached
    like every kernel) and requires the SIMD results to agree with the portable ones.

The two backends round differently: the same seed gives the same chain up to rounding, i.e.
the same distribution but not the same bytes (docs/workflow/reproducibility.md).
"""

from __future__ import annotations

import functools
import types
import warnings

import numpy as np

from latticeml._numba import jit
from latticeml.gauge._kernels import scalar, simd
from latticeml.gauge.params import BACKENDS  # declared with the generation parameters

__all__ = ["BACKENDS", "primitives", "resolve_backend", "simd_self_test"]

#: Largest difference accepted between SIMD and portable primitives (rounding only).
SELF_TEST_TOL = 1e-12


def primitives(backend: str) -> types.ModuleType:
    """Return the module of primitives of a resolved backend (``"simd"`` or ``"scalar"``)."""
    return {"simd": simd, "scalar": scalar}[backend]


@functools.cache
def _probe(ops: types.ModuleType):
    """Return a kernel that calls every primitive of ``ops`` once (compiled per backend)."""

    @jit
    def probe(x, buf, q):
        a = ops.load4(x, 1)
        b = ops.load4(x, 6)
        quat = (ops.qmul(a, b), ops.qmul_nc(a, b), ops.qmul_cn(a, b), ops.add4(a, b))
        m = ops.m3load(x, 18)
        nn = ops.m3mul_nn_mem(x, 0, m)
        dn = ops.m3mul_dn_mem(x, 0, m)
        ops.m3zero_buf(buf, 24)
        ops.m3acc_buf(buf, 24, nn)
        ops.m3acc_buf(buf, 24, dn)
        ops.m3store_buf(buf, 0, ops.m3dagger(m))
        ops.prefetch(x, 0)
        mats = (
            nn,
            ops.m3load_buf(buf, 0),
            ops.m3load_buf(buf, 24),
            ops.m3left01(m, q[0], q[1], q[2], q[3]),
            ops.m3left02(m, q[0], q[1], q[2], q[3]),
            ops.m3left12(m, q[0], q[1], q[2], q[3]),
            ops.m3reunit(ops.m3load(x, 36)),
        )
        return quat, mats

    return probe


def _run_probe(ops: types.ModuleType) -> np.ndarray:
    rng = np.random.default_rng(20260)
    x = rng.standard_normal(54)
    buf = np.full(48, np.nan)
    quat, mats = _probe(ops)(x, buf, rng.standard_normal(4))
    return np.concatenate([np.ravel(quat), np.ravel(mats), buf])


@functools.cache
def simd_self_test() -> tuple[bool, str]:
    """Compile and run the SIMD primitives once; compare them with the portable ones.

    Returns
    -------
    (bool, str)
        Whether the SIMD backend can be used on this machine, and why not.
    """
    try:
        want = _run_probe(scalar)
        got = _run_probe(simd)
    except Exception as exc:  # a compile or lowering error of the IR on this CPU/LLVM
        return False, f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:200]}"
    err = float(np.max(np.abs(got - want)))
    if not err <= SELF_TEST_TOL:
        return False, f"SIMD and portable primitives differ by {err:.3g}"
    return True, ""


def resolve_backend(backend: str) -> str:
    """Return the backend that runs for ``backend`` (``auto`` becomes ``simd`` or ``scalar``).

    Parameters
    ----------
    backend : {'auto', 'simd', 'scalar'}
        The requested backend (validated by :class:`latticeml.gauge.GaugeParams`).

    Returns
    -------
    str
        ``"simd"`` or ``"scalar"``.
    """
    if backend != "auto":
        return backend
    ok, why = simd_self_test()
    if ok:
        return "simd"
    warnings.warn(f"SIMD gauge kernels unavailable ({why}); using the scalar backend",
                  RuntimeWarning, stacklevel=2)  # fmt: skip
    return "scalar"
