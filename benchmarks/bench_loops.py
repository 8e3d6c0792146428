"""Time and peak memory of the symbolic loop algebra (``latticeml.loops``).

Run: ``python benchmarks/bench_loops.py [--only count|explain]`` (not collected by pytest).
Prints one line per task, side by side: wall time, the peak of memory allocated during the task
(``tracemalloc``: Python objects and NumPy arrays) and the process's peak resident memory so far.

* ``count``: the Max column to length 22 (and 38), the loops of the W2x2 presets, the seed
  talk's architecture, ``can_express`` of the 4x4 loop for the W4x4 presets;
* ``explain``: ``latticeml loops explain`` of the committed trained models, step by step --
  load + expand, verification on 4 Haar-random configurations, the rewriting modulo trace
  identities -- for W2x2 (SU(2) small and medium, SU(3) small) and W4x4-small (whose complete
  expansion exceeds the product bound: the time to the refusal is measured).
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from pathlib import Path

from latticeml.loops import TALK_ARCHITECTURE, can_express, loop_content, max_loop_counts

ROOT = Path(__file__).resolve().parents[1]
MODELS = [
    ("SU(2) W2x2-small", ROOT / "docs/results/lcnn-su2-2d/models/W_2x2_W2x2-small.pt"),
    ("SU(3) W2x2-small", ROOT / "docs/results/lcnn-su3-2d/models/W_2x2_W2x2-small.pt"),
    ("SU(2) W2x2-medium", ROOT / "docs/results/lcnn-su2-2d/models/W_2x2_W2x2-medium.pt"),
    ("SU(2) W4x4-small", ROOT / "docs/results/lcnn-su2-2d/models/W_4x4_W4x4-small.pt"),
]


def _measure(label: str, fn):
    tracemalloc.start()
    t = time.perf_counter()
    try:
        result = fn()
    except Exception as exc:  # noqa: BLE001 - report refusals (e.g. too many products)
        result = f"refused: {type(exc).__name__}: {str(exc)[:90]}"
    dt = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # process peak so far
    shown = result if not isinstance(result, tuple) else result[0]
    print(f"{label:<44} {dt:9.3f} s  peak {peak / 2**20:8.1f} MiB  RSS {rss:7.1f} MiB  "
          f"{shown}", flush=True)
    return result


def count() -> None:
    max_loop_counts(2, 4)  # compile (cached afterwards)
    _measure("Max column, D=2, length <= 22", lambda: max_loop_counts(2, 22)[22])
    _measure("Max column, D=2, length <= 38", lambda: max_loop_counts(2, 38)[38])
    for p in ("W2x2-small", "W2x2-medium", "W2x2-large"):
        _measure(f"count {p}", lambda p=p: loop_content(p).total)
    _measure("count talk architecture (unoriented)",
             lambda: loop_content(TALK_ARCHITECTURE).total_unoriented)
    for p in ("W4x4-small", "W4x4-medium", "W4x4-large"):
        _measure(f"can_express {p} 4x4", lambda p=p: can_express(p, 4, 4).contains)


def _load_expand(path: Path):
    from latticeml.loops.expand import expand, load_float64

    model, content = load_float64(path)
    table = expand(model)
    return f"{len(table) - 1} terms", (model, content, table)


def _verify(table, model) -> str:
    from latticeml.loops.explain import sample_links
    from latticeml.loops.report import verify_expansion

    links = sample_links(table.attrs["n_colors"], (8, 8), 4, seed=0)
    return f"residual {verify_expansion(table, model, links):.1e}"


def _identities(table, content) -> str:
    from latticeml.loops.explain import parse_target, reduce_by_identities

    e = reduce_by_identities(table, target=parse_target(content["target"], content["plane"]))
    return f"{e.n_identities} identities, target {e.direct:.4f} -> {e.reduced:.6f}"


def explain() -> None:
    _measure("count W2x2-large (for comparison)", lambda: loop_content("W2x2-large").total)
    for label, path in MODELS:
        if not path.exists():
            print(f"{label:<44} (no committed model file)")
            continue
        r = _measure(f"explain {label}: load + expand", lambda path=path: _load_expand(path))
        if not isinstance(r, tuple):
            continue
        model, content, table = r[1]
        _measure(f"explain {label}: verify (4 x 8x8)",
                 lambda t=table, m=model: _verify(t, m))
        _measure(f"explain {label}: identities", lambda t=table, c=content: _identities(t, c))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=("count", "explain"), help="run one group of tasks")
    args = p.parse_args()
    if args.only in (None, "count"):
        count()
    if args.only in (None, "explain"):
        explain()


if __name__ == "__main__":
    main()
