"""The Numba cache policy of latticeml._numba: an edited helper is never run from a stale cache.

Each case is a throw-away package whose cached kernel inlines a helper (or uses a constant)
from another file. The kernel runs in a fresh interpreter, the helper's file is edited (the
kernel's file is not), and a second fresh interpreter must see the edit. The negative
control shows the failure the policy exists for: plain ``numba.njit(cache=True)`` keeps
running the old helper.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

KERNEL = """
import {jit_module} as J
from stalepkg.helper import LIMIT, helper

@J.{jit}
def kernel(x):
    return helper(x) + LIMIT
"""

RUN = """
from stalepkg.kernel import kernel
print(kernel(1.0), sum(kernel.stats.cache_hits.values()))
"""


def _package(tmp_path, helper_body, *, jit_module, jit, inline):
    pkg = tmp_path / "stalepkg"
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "helper.py").write_text(textwrap.dedent(f"""
        import {jit_module} as J

        LIMIT = {helper_body[0]}

        @J.{inline}
        def helper(x):
            return x * {helper_body[1]}
        """))  # fmt: skip
    (pkg / "kernel.py").write_text(KERNEL.format(jit_module=jit_module, jit=jit))


def _run(tmp_path):
    out = subprocess.run([sys.executable, "-c", RUN], cwd=tmp_path, capture_output=True,
                         text=True, env=_env(tmp_path))  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    value, hits = out.stdout.split()
    return float(value), int(hits)


def _env(tmp_path):
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")])
    env.pop("NUMBA_CACHE_DIR", None)  # the cache lives next to the sources
    env.pop("NUMBA_DISABLE_JIT", None)
    return env


@pytest.mark.parametrize("edit", ["helper", "constant"])
def test_edited_helper_is_recompiled(tmp_path, edit):
    kw = dict(jit_module="latticeml._numba", jit="jit", inline="jit_inline")
    _package(tmp_path, (10.0, 2.0), **kw)
    assert _run(tmp_path) == (12.0, 0)  # compiled and cached
    assert _run(tmp_path) == (12.0, 1)  # loaded from the cache
    new = (10.0, 3.0) if edit == "helper" else (20.0, 2.0)
    _package(tmp_path, new, **kw)  # only helper.py changes
    value, hits = _run(tmp_path)
    assert value == 1.0 * new[1] + new[0] and hits == 0  # recompiled, not the stale code
    assert _run(tmp_path) == (value, 1)  # and cached again


def test_plain_numba_cache_runs_the_stale_helper(tmp_path):
    """Negative control: what happens without the policy (Numba 0.68)."""
    kw = dict(jit_module="numba", jit="njit(cache=True)", inline="njit(inline='always')")
    _package(tmp_path, (10.0, 2.0), **kw)
    assert _run(tmp_path) == (12.0, 0)
    _package(tmp_path, (10.0, 3.0), **kw)
    assert _run(tmp_path) == (12.0, 1)  # stale: the helper now returns 3 x, not 2 x


def test_source_key_covers_imports_and_closures():
    from latticeml._numba import _direct_imports, source_key
    from latticeml.gauge._kernels import primitives, su3

    deps = _direct_imports("latticeml.gauge._kernels.su3")
    assert {
        "latticeml._numba",
        "latticeml.gauge._kernels.su2",
        "latticeml.gauge._kernels.rng",
        "latticeml.gauge._kernels.prefetch",
        "latticeml.gauge._kernels.kinds",
    } <= set(deps)
    assert "latticeml.gauge" not in deps  # names come from submodules, not the package
    # one factory, two backends: the same bytecode, different closures, different keys
    simd, scalar = (su3.build(primitives(b)).sweep.py_func for b in ("simd", "scalar"))
    assert simd.__code__.co_code == scalar.__code__.co_code
    assert source_key(simd) != source_key(scalar)
    assert source_key(simd) == source_key(su3.build(primitives("simd")).sweep.py_func)
