"""Validation of parameter values, shared by the parameter dataclasses of every stage.

Each check returns the value in its normal type (``int``, ``float``, ``str``) or raises
:class:`~latticeml.errors.ParameterError` naming the parameter as the user wrote it (the CLI
flag, e.g. ``--n-configs``), what would have been accepted and what arrived.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

from latticeml.errors import ParameterError

__all__ = ["MAX_SEED", "check_int", "check_int_fields", "check_float", "check_seed",
           "check_choice", "check_per_layer"]

#: Largest seed (seeds are unsigned 64-bit integers).
MAX_SEED = 2**64 - 1


def check_int(value: object, name: str, minimum: int) -> int:
    """Return ``value`` as an ``int`` if it is an integer ``>= minimum`` (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ParameterError(name, f"an integer >= {minimum}", value)
    return int(value)


def check_int_fields(params: object, minimums: Mapping[str, int]) -> None:
    """Check integer fields of a parameter dataclass with :func:`check_int`.

    Parameters
    ----------
    params : object
        The dataclass instance.
    minimums : mapping of str to int
        Field name -> smallest accepted value. The field ``batch_size`` is named as its CLI
        flag ``--batch-size`` in errors.

    Raises
    ------
    ParameterError
        For the first field that is not an integer ``>=`` its minimum.
    """
    for key, minimum in minimums.items():
        check_int(getattr(params, key), f"--{key.replace('_', '-')}", minimum)


def check_float(value: object, name: str, minimum: float | None = None) -> float:
    """Return ``value`` as a finite ``float``, ``>= minimum`` if a minimum is given."""
    expected = "a finite number" + ("" if minimum is None else f" >= {minimum}")
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ParameterError(name, expected, value) from None
    if not math.isfinite(x) or (minimum is not None and x < minimum):
        raise ParameterError(name, expected, value)
    return x


def check_seed(value: object, name: str = "--seed") -> int:
    """Return ``value`` as an ``int`` if it is a valid seed, ``0 <= seed < 2**64``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ParameterError(name, "an integer in [0, 2**64)", value)
    if not 0 <= int(value) <= MAX_SEED:
        raise ParameterError(name, "an integer in [0, 2**64)", value)
    return int(value)


def check_choice(value: object, name: str, choices: Iterable[str], *, lower: bool = False) -> str:
    """Return ``value`` if it is one of ``choices`` (compared in lower case if ``lower``)."""
    choices = tuple(choices)
    got = value.lower() if lower and isinstance(value, str) else value
    if not isinstance(got, str) or got not in choices:
        raise ParameterError(name, "one of " + ", ".join(repr(c) for c in choices), value)
    return got


def check_per_layer(value: object, n: int, name: str) -> list:
    """Return one value per layer: a list or tuple of length ``n`` as a list, else ``[value] * n``.

    Parameters
    ----------
    value : object
        One value for every layer, or a list/tuple with one value per layer.
    n : int
        Number of layers.
    name : str
        Name used in error messages.

    Raises
    ------
    ParameterError
        If ``value`` is a list or tuple of another length.
    """
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ParameterError(name, f"one value per layer ({n})", list(value))
        return list(value)
    return [value] * n


def available_memory() -> int:
    """Bytes of physical memory of this machine (``os.sysconf``; 0 if unknown)."""
    import os

    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 0


def check_memory(need: int, name: str, what: str, *, fraction: float = 0.8) -> None:
    """Refuse, before allocating, an array larger than ``fraction`` of the machine's memory.

    Parameters
    ----------
    need : int
        Bytes the work will hold in memory.
    name : str
        The flag to blame (``--n-configs``).
    what : str
        What needs the memory, for the message.
    fraction : float
        Share of the physical memory that may be used.

    Raises
    ------
    ParameterError
        With the estimate and the limit.
    """
    total = available_memory()
    if total and need > fraction * total:
        raise ParameterError(name, f"work that fits in memory ({fraction * total / 2**30:.1f} "
                             f"GiB of {total / 2**30:.1f} GiB)",
                             f"{what}: {need / 2**30:.1f} GiB",
                             "use fewer configurations or a smaller lattice")
