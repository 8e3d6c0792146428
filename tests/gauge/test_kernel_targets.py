"""Same seed, same bytes, however the kernels were compiled.

* A kernel compiled in this process and the same kernel loaded from Numba's disk cache give the
  same links (they did not while the link updates let LLVM contract ``a * b + c`` into fused
  multiply-adds: the contraction was decided per inlining context, and the JIT and the cached
  object inlined differently).
* Kernels compiled for a generic x86-64 CPU (no AVX, no FMA) give the links of kernels
  compiled for the host CPU, for both backends (SU(2) chains; SU(3) primitive by primitive):
  no operation's rounding depends on the target (no contraction; the SIMD intrinsics'
  ``llvm.fma`` is a correctly rounded fused multiply-add on every target). Runs only with
  ``NUMBA_CPU_NAME=generic``, which ``tests/gauge/test_generic_cpu.py`` sets for a subprocess
  that runs the kernel tests again (the "generic-CPU leg", part of ``pytest --runslow``).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

GENERIC = os.environ.get("NUMBA_CPU_NAME") == "generic"

CHAINS = """
import hashlib, sys
from latticeml.gauge import GaugeChain
groups = sys.argv[1:2] or ("su2", "su3")
for group in groups:
    for backend in sys.argv[2:3] or ("simd", "scalar"):
        c = GaugeChain(group, (4, 2, 2, 4), 2.2, 7, start="hot", threads=1, backend=backend)
        c.overrelax(1); c.heatbath(1); c.metropolis(1)
        h = hashlib.sha256(c.links.tobytes()).hexdigest()[:16]
        print(group, c.backend, h, c.n_accepted)
"""


def _chains(env_changes: dict[str, str | None], cwd, only: tuple[str, ...] = ()) -> str:
    """Links' hashes of short chains; ``only = (group, backend)`` restricts them to one."""
    env = dict(os.environ)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    out = subprocess.run([sys.executable, "-c", CHAINS, *only], env=env, cwd=cwd,
                         capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


@pytest.mark.slow
@pytest.mark.skipif(GENERIC, reason="runs once, in the main test run (host CPU)")
def test_fresh_and_cached_kernels_give_the_same_bytes(tmp_path):
    """Compile the SU(3) SIMD kernels from scratch, then load them from the cache.

    SU(3) with the SIMD backend (``auto`` on this CPU) only: its heat-bath sweep is where the
    JIT-compiled and the cache-loaded kernel differed. A cold compile of these kernels takes
    minutes; the other group and backend are compared across CPU targets, from the cache, in
    the generic-CPU leg.
    """
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    fresh = _chains(env, tmp_path, ("su3", "simd"))
    cached = _chains(env, tmp_path, ("su3", "simd"))
    assert len(fresh.splitlines()) == 1
    assert fresh == cached


@pytest.mark.skipif(not GENERIC, reason="generic-CPU leg only (see the next test)")
def test_generic_cpu_gives_the_host_bytes(tmp_path):
    """SU(2) chains of both backends: the whole sweep (checkerboard, random numbers, heat-bath
    sampling, overrelaxation, Metropolis, the quaternion intrinsics) compiled for a generic CPU
    gives the host's bytes. SU(3) is checked primitive by primitive (``test_simd.py``) in this
    leg: a cold compile of its whole sweeps for a generic CPU took over 15 minutes of CI."""
    generic = _chains({}, tmp_path, ("su2",))
    # the host kernels from the default cache (shared with the main test run, which has
    # usually compiled them already)
    host = _chains({"NUMBA_CPU_NAME": None, "NUMBA_CPU_FEATURES": None, "NUMBA_CACHE_DIR": None},
                   tmp_path, ("su2",))  # fmt: skip
    assert len(generic.splitlines()) == 2
    assert generic == host


@pytest.mark.skipif(not GENERIC, reason="generic-CPU leg only (see the next test)")
def test_generic_target_emits_no_avx_or_fma():
    """The target setting took effect: no 256-bit registers and no FMA instruction in the code
    of a SIMD-backend kernel (on the host it has both; the negative control below)."""
    from latticeml.gauge._kernels import simd

    asm = _qmul_asm(simd)
    assert "%ymm" not in asm and "vfmadd" not in asm


def _qmul_asm(S) -> str:
    import numba
    import numpy as np

    @numba.njit
    def products(x):
        a = S.load4(x, 0)
        return S.qmul(a, S.load4(x, 4))

    x = np.zeros(8)
    products(x)
    return "\n".join(products.inspect_asm().values())


@pytest.mark.skipif(GENERIC, reason="host CPU only")
def test_host_target_emits_avx_negative_control():
    """Negative control of the check above: compiled for this (AVX) host, the same kernel uses
    256-bit registers, so the check can tell the targets apart."""
    import llvmlite.binding as llvm

    from latticeml.gauge._kernels import simd

    if not llvm.get_host_cpu_features().get("avx", False):
        pytest.skip("host CPU without AVX")
    assert "%ymm" in _qmul_asm(simd)
