"""Numba kernels of the gauge generator (private: arrays in, arrays out, no validation, no I/O).

Modules
-------
su2, su3
    The update algorithms (heat bath, overrelaxation, Metropolis, checkerboard sweep), the
    plaquette per site and the hot start. The staple, link update and sweep are built by
    ``build(ops)`` on the primitives of a backend, everything else is backend independent.
simd, scalar
    Two modules of primitives with one API (quaternion and 3x3 row products, buffers,
    subgroup rotations, reunitarisation, prefetch): LLVM-IR intrinsics and plain Numba.
backend
    ``auto | simd | scalar``, the SIMD self-test.
checkerboard, rng, prefetch, kinds
    The sweep over checkerboard substeps in fixed parallel chunks (shared by both groups),
    counter-based random numbers, staple prefetching, the update kinds.

Numba options and the cache policy (a kernel is recompiled when any file it imports changes)
live in :mod:`latticeml._numba`.
"""

from __future__ import annotations

from latticeml.gauge._kernels import su2, su3
from latticeml.gauge._kernels.backend import (
    BACKENDS,
    primitives,
    resolve_backend,
    simd_self_test,
)
from latticeml.gauge._kernels.kinds import UpdateKind

__all__ = [
    "BACKENDS",
    "UpdateKind",
    "kernels",
    "primitives",
    "resolve_backend",
    "simd_self_test",
    "plaquette_sites",
    "hot_start",
]


def kernels(backend: str, n_colors: int) -> su2.SU2Kernels | su3.SU3Kernels:
    """Return the backend-dependent kernels of SU(``n_colors``) for a resolved backend."""
    module = su2 if n_colors == 2 else su3
    return module.build(primitives(backend))


def plaquette_sites(n_colors: int):
    """Return ``plaquette_sites(u, up, out)`` of SU(``n_colors``) (backend independent)."""
    return su2.plaquette_sites if n_colors == 2 else su3.plaquette_sites


def hot_start(n_colors: int):
    """Return ``hot_start(u, seed)`` of SU(``n_colors``) (backend independent)."""
    return su2.hot_start if n_colors == 2 else su3.hot_start
