"""The one place that holds Numba compilation options and thread control.

All kernels in latticeml are compiled with the options defined here, so that a change of
policy (caching, fastmath, error model) happens in one place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numba

__all__ = ["JIT", "PJIT", "jit", "pjit", "threads"]

#: Options of serial kernels. ``fastmath`` is off: results must not depend on how LLVM
#: reassociates sums, and NaN/Inf checks must work.
JIT = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": False}
#: Options of kernels with a ``prange`` loop.
PJIT = {**JIT, "parallel": True}

jit = numba.njit(**JIT)
pjit = numba.njit(**PJIT)


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
