"""Time and peak memory of the symbolic loop algebra (``latticeml.loops``).

Run: ``python benchmarks/bench_loops.py`` (not collected by pytest).  Prints one line per task
(wall time and the process's peak resident memory so far):
counting the loops of the W2x2 presets, the seed talk's architecture, the Max column to
length 22 (and 38), and ``can_express`` of the 4x4 loop for the W4x4 presets.
"""

from __future__ import annotations

import resource
import time

from latticeml.loops import TALK_ARCHITECTURE, can_express, loop_content, max_loop_counts


def _measure(label: str, fn) -> None:
    t = time.perf_counter()
    result = fn()
    dt = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # process peak so far
    print(f"{label:<42} {dt:9.3f} s  peak RSS {peak:7.1f} MiB  {result}", flush=True)


def main() -> None:
    max_loop_counts(2, 4)  # compile (cached afterwards)
    _measure("Max column, D=2, length <= 22", lambda: max_loop_counts(2, 22)[22])
    _measure("Max column, D=2, length <= 38", lambda: max_loop_counts(2, 38)[38])
    for p in ("W2x2-small", "W2x2-medium", "W2x2-large"):
        _measure(f"count {p}", lambda p=p: loop_content(p).total)
    _measure("count talk architecture (unoriented)",
             lambda: loop_content(TALK_ARCHITECTURE).total_unoriented)
    for p in ("W4x4-small", "W4x4-medium", "W4x4-large"):
        _measure(f"can_express {p} 4x4", lambda p=p: can_express(p, 4, 4).contains)


if __name__ == "__main__":
    main()
