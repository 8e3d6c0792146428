"""The generic-CPU leg: the gauge kernel tests again, with Numba targeting a generic x86-64 CPU.

``NUMBA_CPU_NAME=generic NUMBA_CPU_FEATURES=''`` (no AVX, no FMA) in a pytest subprocess with
its own Numba cache directory, so that no kernel compiled for one target is loaded for the
other. There the SIMD intrinsics must lower and compute correctly (``test_simd.py``: every
primitive of both backends against its slow twin), the code must really be generic (no ymm
register, no FMA instruction), and short SU(2) chains of both backends must give the same bytes
as the host-compiled kernels (``test_kernel_targets.py``; whole SU(3) sweeps compiled cold for a
generic CPU took over 15 minutes, so SU(3) is checked primitive by primitive).
(``test_gauge_kernels.py`` is not repeated here: its standalone kernels cost minutes of cold
compilation; the chains' byte equality covers the sweep they test.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KERNEL_TESTS = ("tests/gauge/test_simd.py", "tests/gauge/test_kernel_targets.py")
MUST_PASS = (
    "test_kernel_targets.py::test_generic_cpu_gives_the_host_bytes",
    "test_kernel_targets.py::test_generic_target_emits_no_avx_or_fma",
)


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("NUMBA_CPU_NAME") == "generic", reason="is the leg itself")
def test_kernel_tests_pass_compiled_for_a_generic_cpu(tmp_path):
    env = dict(os.environ, NUMBA_CPU_NAME="generic", NUMBA_CPU_FEATURES="",
               NUMBA_CACHE_DIR=str(tmp_path / "numba-cache-generic"))  # fmt: skip
    cmd = [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
           "-n", "0", *KERNEL_TESTS]  # fmt: skip
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    report = out.stdout[-6000:] + out.stderr[-2000:]
    assert out.returncode == 0, report
    assert " failed" not in out.stdout, report
    for name in MUST_PASS:
        assert f"PASSED tests/gauge/{name}" in out.stdout, report
