"""The one place that holds Numba compilation options, the cache policy and thread control.

All kernels in latticeml are compiled with the options defined here, so that a change of
policy (caching, fastmath, error model) happens in one place.

Cache policy: no stale kernels
------------------------------
Numba's on-disk cache (``cache=True``) keys a compiled function by its signature, the target
CPU and the bytecode of that one function, and drops the cache of a file when that file
changes. It does not notice an edit of a helper in *another* file that was inlined into the
kernel (``inline="always"``, the SIMD intrinsics, constants imported from elsewhere): the old
machine code would keep running. Disabling the cache for such kernels would cost every
generation job the full compile (tens of seconds to minutes for the gauge kernels), so
instead every cached function here uses :class:`SourceKeyedCache`, whose key also contains

* the SHA-256 of the source of the function's module and of every module of the same package
  that it imports, transitively (read from the ``import`` statements, so constants and
  helpers are covered however they are used; a few non-kernel modules such as
  ``latticeml.errors`` are included too, which only costs a recompile when they change);
* a description of the function's closure (kernels built by a factory for one backend, e.g.
  :func:`latticeml.gauge._kernels.su2.build`, are told apart by the functions they close
  over; Numba's own closure key pickles dispatchers with a per-process id and never hits).

An edit of any of those files gives a new key and the kernel is recompiled once; the old
entry is never loaded again (it stays on disk until the function's own file changes). Tested
in ``tests/test_numba_cache.py`` (with a negative control: plain ``numba.njit(cache=True)``
runs the stale helper).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import importlib.util
import json
import types
from collections.abc import Callable, Iterator
from typing import Any

import numba
from numba.core.caching import FunctionCache
from numba.core.dispatcher import Dispatcher
from numba.core.extending import _Intrinsic

__all__ = [
    "JIT",
    "PJIT",
    "INLINE",
    "jit",
    "pjit",
    "jit_inline",
    "threads",
    "SourceKeyedCache",
    "source_key",
]

#: Options of serial kernels. ``fastmath`` is off, including contraction of ``a * b + c`` into
#: fused multiply-adds: results must not depend on how LLVM reassociates or contracts (it
#: decides per inlining context, so a kernel compiled in the running process and the same
#: kernel loaded from the disk cache rounded differently, and it contracts only on CPUs with
#: FMA), and NaN/Inf checks must work. Code that wants an FMA says so (``llvm.fma`` in the SIMD
#: intrinsics: one rounding on every CPU). ``cache`` selects :class:`SourceKeyedCache`.
JIT = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": False}
#: Options of kernels with a ``prange`` loop.
PJIT = {**JIT, "parallel": True}

#: Options of small helper kernels that are inlined into their callers at the Numba IR level
#: (Numba does not inline across separately compiled functions otherwise; tuple-returning
#: helpers such as 3x3 matrix products would go through memory). The inlined code is compiled
#: with the caller's options; the caller's cache key covers the helper's file (module docstring).
INLINE = {**JIT, "inline": "always"}


# --- cache key ------------------------------------------------------------------------------
def _top(name: str) -> str:
    return name.partition(".")[0]


@functools.cache
def _module_origin(name: str) -> str | None:
    """Source file of module ``name``, or None (not found, not Python source)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, AttributeError, ValueError):
        return None
    origin = getattr(spec, "origin", None) if spec is not None else None
    return origin if origin and origin.endswith(".py") else None


@functools.cache
def _file_digest(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@functools.cache
def _direct_imports(name: str) -> tuple[str, ...]:
    """Modules of the same top-level package that module ``name`` imports (any scope)."""
    origin = _module_origin(name)
    if origin is None:
        return ()
    with open(origin, "rb") as f:
        tree = ast.parse(f.read(), filename=origin)
    package = name if origin.endswith("__init__.py") else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:  # a submodule, or a name defined in ``base``
                sub = f"{base}.{alias.name}"
                found.append(sub if _module_origin(sub) else base)
    top = _top(name)
    return tuple(sorted({m for m in found if _top(m) == top and _module_origin(m)}))


@functools.cache
def _import_closure_digest(name: str) -> str:
    """SHA-256 over the sources of module ``name`` and its same-package imports, transitively."""
    seen: set[str] = set()
    stack = [name]
    while stack:
        mod = stack.pop()
        if mod in seen:
            continue
        seen.add(mod)
        stack += _direct_imports(mod)
    files = sorted((m, _file_digest(o)) for m in seen if (o := _module_origin(m)))
    return hashlib.sha256(json.dumps(files).encode()).hexdigest()


def _describe(value: Any, seen: set[int]) -> Any:
    """Describe a closure cell stably (what the compiled code depends on)."""
    if isinstance(value, Dispatcher):
        value = value.py_func
    if isinstance(value, _Intrinsic):
        return ["intrinsic", value._defn.__module__, value._name]
    if isinstance(value, types.FunctionType):
        if id(value) in seen:
            return ["function", value.__module__, value.__qualname__]
        seen.add(id(value))
        return ["function", value.__module__, value.__qualname__,
                _closure_description(value, seen)]  # fmt: skip
    if isinstance(value, types.ModuleType):
        return ["module", value.__name__]
    if value is None or isinstance(value, bool | int | float | str | bytes):
        return ["value", repr(value)]
    # anything else: its repr (an id in it only costs a cache miss, never a stale hit)
    return ["object", type(value).__module__, type(value).__qualname__, repr(value)]


def _closure_description(func: types.FunctionType, seen: set[int]) -> list:
    cells = func.__closure__ or ()
    return [_describe(c.cell_contents, seen) for c in cells]


def source_key(py_func: types.FunctionType) -> str:
    """Cache key part of a kernel beyond signature and CPU: its code, sources and closure.

    Parameters
    ----------
    py_func : function
        The Python function of a Numba dispatcher.

    Returns
    -------
    str
        SHA-256 (hex) of the function's bytecode, the sources of its module and of the
        modules of the same package that module imports (transitively), and its closure.
    """
    parts = [
        hashlib.sha256(py_func.__code__.co_code).hexdigest(),
        _import_closure_digest(py_func.__module__),
        _closure_description(py_func, {id(py_func)}),
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


class SourceKeyedCache(FunctionCache):
    """Numba's per-function disk cache, keyed also on the sources the kernel depends on."""

    def _index_key(self, sig, codegen):  # noqa: D102 (Numba's private hook)
        return (sig, codegen.magic_tuple(), source_key(self._py_func))


def _njit(options: dict[str, Any]) -> Callable[[Callable], Any]:
    compile_options = {k: v for k, v in options.items() if k != "cache"}

    def decorate(func: Callable) -> Any:
        disp = numba.njit(**compile_options)(func)
        if options.get("cache") and isinstance(disp, Dispatcher):  # not with the JIT disabled
            disp._cache = SourceKeyedCache(disp.py_func)
        return disp

    return decorate


jit = _njit(JIT)
pjit = _njit(PJIT)
jit_inline = _njit(INLINE)


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
