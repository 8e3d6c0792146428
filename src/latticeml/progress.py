"""Progress bars on stderr for long loops (tqdm), silent when not wanted."""

from __future__ import annotations

import sys
from typing import Any

from tqdm.auto import tqdm

__all__ = ["progress_bar"]


def progress_bar(total: int, desc: str, *, enabled: bool = True, unit: str = "it") -> Any:
    """Return a tqdm progress bar writing to stderr.

    Parameters
    ----------
    total : int
        Number of steps.
    desc : str
        Short description shown left of the bar.
    enabled : bool
        If false, the bar is disabled (no output, same interface).
    unit : str
        Unit name of one step.
    """
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        disable=not enabled,
        dynamic_ncols=True,
        mininterval=0.5,
        leave=True,
    )
