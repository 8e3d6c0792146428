"""The one place that holds Numba compilation options and thread control.

All kernels in latticeml are compiled with the options defined here, so that a change of
policy (caching, fastmath, error model) happens in one place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numba

__all__ = ["JIT", "PJIT", "INLINE", "JIT_FMA", "jit", "pjit", "jit_inline", "jit_fma", "threads"]

#: Options of serial kernels. ``fastmath`` is off: results must not depend on how LLVM
#: reassociates sums, and NaN/Inf checks must work.
JIT = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": False}
#: Options of kernels with a ``prange`` loop.
PJIT = {**JIT, "parallel": True}

#: Options of small helper kernels that are inlined into their callers at the Numba IR level
#: (Numba does not inline across separately compiled functions otherwise; tuple-returning
#: helpers such as 3x3 matrix products would go through memory). The inlined code is compiled
#: with the caller's options. Caveat of Numba's cache: a cached caller is not recompiled when
#: an inlined helper in *another* file changes; delete the ``*.nbi``/``*.nbc`` files in that
#: package's ``__pycache__`` after editing such a helper.
INLINE = {**JIT, "inline": "always"}

#: Serial kernels that may contract ``a * b + c`` into fused multiply-adds (only the LLVM
#: ``contract`` flag; no reassociation, NaN/Inf semantics kept). FMA rounds once instead of
#: twice, so results differ from ``JIT`` at the 1e-16 level, but they are deterministic: the
#: same compiled code runs for any number of threads. Used by the per-link gauge updates
#: (called from parallel sweep kernels), whose 3x3 complex products are multiply-add chains.
JIT_FMA = {**JIT, "fastmath": {"contract"}}

jit = numba.njit(**JIT)
pjit = numba.njit(**PJIT)
jit_inline = numba.njit(**INLINE)
jit_fma = numba.njit(**JIT_FMA)


@contextlib.contextmanager
def threads(n: int | None) -> Iterator[int]:
    """Run the enclosed Numba parallel kernels with ``n`` threads.

    Parameters
    ----------
    n : int or None
        Number of threads; ``None`` keeps the current setting. Values above the number of
        available threads are clipped to it.

    Yields
    ------
    int
        The number of threads in effect.
    """
    old = numba.get_num_threads()
    if n is None:
        yield old
        return
    n = max(1, min(int(n), numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(old)
