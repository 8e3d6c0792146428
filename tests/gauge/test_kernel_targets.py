"""Same seed, same bytes, however the kernels were compiled.

* A kernel compiled in this process and the same kernel loaded from Numba's disk cache give the
  same links (they did not while the link updates let LLVM contract ``a * b + c`` into fused
  multiply-adds: the contraction was decided per inlining context, and the JIT and the cached
  object inlined differently).
* Kernels compiled for a generic x86-64 CPU (no AVX, no FMA) give the links of kernels compiled
  for the host CPU, for both backends: no operation's rounding depends on the target (no
  contraction; the SIMD intrinsics' ``llvm.fma`` is a correctly rounded fused multiply-add on
  every target). Runs in the generic-CPU leg of ``.ci/run`` (``NUMBA_CPU_NAME=generic``).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CHAINS = """
import hashlib
from latticeml.gauge import GaugeChain
for group in ("su2", "su3"):
    for backend in ("simd", "scalar"):
        c = GaugeChain(group, (4, 2, 2, 4), 2.2, 7, start="hot", threads=1, backend=backend)
        c.overrelax(1); c.heatbath(1); c.metropolis(1)
        h = hashlib.sha256(c.links.tobytes()).hexdigest()[:16]
        print(group, c.backend, h, c.n_accepted)
"""


def _chains(env_changes: dict[str, str | None], cwd) -> str:
    env = dict(os.environ)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    out = subprocess.run([sys.executable, "-c", CHAINS], env=env, cwd=cwd, capture_output=True,
                         text=True)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


@pytest.mark.slow
def test_fresh_and_cached_kernels_give_the_same_bytes(tmp_path):
    """Compile every kernel from scratch (empty cache directory), then load it from there."""
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    fresh = _chains(env, tmp_path)
    cached = _chains(env, tmp_path)
    assert len(fresh.splitlines()) == 4
    assert fresh == cached


@pytest.mark.skipif(os.environ.get("NUMBA_CPU_NAME") != "generic",
                    reason="the generic-CPU leg of .ci/run (NUMBA_CPU_NAME=generic)")  # fmt: skip
def test_generic_cpu_gives_the_host_bytes(tmp_path):
    generic = _chains({}, tmp_path)
    host = _chains({"NUMBA_CPU_NAME": None, "NUMBA_CPU_FEATURES": None}, tmp_path)
    assert len(generic.splitlines()) == 4
    assert generic == host
