"""Same seed, same bytes, however the kernels were compiled.

* A kernel compiled in this process and the same kernel loaded from Numba's disk cache give the
  same links (they did not while the link updates let LLVM contract ``a * b + c`` into fused
  multiply-adds: the contraction was decided per inlining context, and the JIT and the cached
  object inlined differently).
* Kernels compiled for a generic x86-64 CPU (no AVX, no FMA) give the links of kernels compiled
  for the host CPU, for both backends: no operation's rounding depends on the target (no
  contraction; the SIMD intrinsics' ``llvm.fma`` is a correctly rounded fused multiply-add on
  every target). Runs only with ``NUMBA_CPU_NAME=generic``, which
  :func:`test_kernel_tests_pass_compiled_for_a_generic_cpu` sets for a subprocess that runs the
  kernel tests again (the "generic-CPU leg", part of ``pytest --runslow``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: The kernel test files of the generic-CPU leg.
KERNEL_TESTS = (
    "tests/gauge/test_simd.py",
    "tests/gauge/test_gauge_kernels.py",
    "tests/gauge/test_kernel_targets.py",
)
GENERIC = os.environ.get("NUMBA_CPU_NAME") == "generic"

CHAINS = """
import hashlib, sys
from latticeml.gauge import GaugeChain
for group in sys.argv[1:] or ("su2", "su3"):
    for backend in ("simd", "scalar"):
        c = GaugeChain(group, (4, 2, 2, 4), 2.2, 7, start="hot", threads=1, backend=backend)
        c.overrelax(1); c.heatbath(1); c.metropolis(1)
        h = hashlib.sha256(c.links.tobytes()).hexdigest()[:16]
        print(group, c.backend, h, c.n_accepted)
"""


def _chains(env_changes: dict[str, str | None], cwd, groups: tuple[str, ...] = ()) -> str:
    env = dict(os.environ)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    out = subprocess.run([sys.executable, "-c", CHAINS, *groups], env=env, cwd=cwd,
                         capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


@pytest.mark.slow
@pytest.mark.skipif(GENERIC, reason="runs once, in the main test run (host CPU)")
def test_fresh_and_cached_kernels_give_the_same_bytes(tmp_path):
    """Compile the SU(3) kernels of both backends from scratch, then load them from the cache.

    SU(3) only: its heat-bath sweep is where the JIT-compiled and the cache-loaded kernel
    differed; the SU(2) kernels share the mechanism (and are compared across CPU targets in the
    generic-CPU leg), and compiling them from scratch too would cost CI another minute.
    """
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    fresh = _chains(env, tmp_path, ("su3",))
    cached = _chains(env, tmp_path, ("su3",))
    assert len(fresh.splitlines()) == 2
    assert fresh == cached


@pytest.mark.skipif(not GENERIC, reason="generic-CPU leg only (see the next test)")
def test_generic_cpu_gives_the_host_bytes(tmp_path):
    generic = _chains({}, tmp_path)
    # the host kernels from the default cache (shared with the main test run, which has
    # usually compiled them already)
    host = _chains({"NUMBA_CPU_NAME": None, "NUMBA_CPU_FEATURES": None, "NUMBA_CACHE_DIR": None},
                   tmp_path)  # fmt: skip
    assert len(generic.splitlines()) == 4
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


@pytest.mark.slow
@pytest.mark.skipif(GENERIC, reason="starts the generic-CPU leg itself")
def test_kernel_tests_pass_compiled_for_a_generic_cpu(tmp_path):
    """The generic-CPU leg: the kernel tests again, with Numba targeting a generic x86-64 CPU.

    ``NUMBA_CPU_NAME=generic NUMBA_CPU_FEATURES=''`` (no AVX, no FMA) in a subprocess with its
    own cache directory, so that no kernel compiled for one target is loaded for the other: the
    SIMD intrinsics must lower and compute correctly there, both backends must pass the same
    slow twins, and the links must equal the host-compiled ones.
    """
    env = dict(os.environ, NUMBA_CPU_NAME="generic", NUMBA_CPU_FEATURES="",
               NUMBA_CACHE_DIR=str(tmp_path / "numba-cache-generic"))  # fmt: skip
    cmd = [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
           "-p", "no:xdist", *KERNEL_TESTS]  # fmt: skip
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    report = out.stdout[-6000:] + out.stderr[-2000:]
    assert out.returncode == 0, report
    for name in ("test_generic_cpu_gives_the_host_bytes",
                 "test_generic_target_emits_no_avx_or_fma"):  # fmt: skip
        assert f"PASSED tests/gauge/test_kernel_targets.py::{name}" in out.stdout, report
