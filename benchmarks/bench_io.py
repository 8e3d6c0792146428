"""Import and export speed of the external formats (not collected by pytest).

Usage::

    python benchmarks/bench_io.py [--shape 32,16,16,16] [--dir /tmp]

One SU(3) configuration (default 32 x 16^3, 75.5 MB in double precision) is written and read
in every format; beside each, the baseline of the same run: the raw bytes of the file read with
``numpy.fromfile`` and written with ``ndarray.tofile`` (disk / page-cache speed, no checks).
Reads include every check of the reader (checksums, unitarity, the header's plaquette and
link trace); ILDG states no plaquette, so its reader computes none: the column ``+plaq``
adds the recomputed plaquette (``cfg.plaquette``, which ``gauge import`` records). Writes go
to a new file each time (the old one is removed outside the timing: replacing a 75 MB file
costs the file system tens of milliseconds in ``rename``). The peak of Python-allocated
memory during a read is printed in units of the configuration's size. Best of 3 repeats;
the load average is printed before and after (the machine may be shared). The kernels are
parallel: set ``NUMBA_NUM_THREADS`` to compare thread counts.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc
from pathlib import Path

import numba
import numpy as np

from latticeml.io import read_ildg, read_nersc, read_openqcd, write_ildg, write_nersc, write_openqcd
from latticeml.io._layout import project_su_n


def _best(func, repeats=3, before=None):
    best = float("inf")
    for _ in range(repeats):
        if before is not None:
            before()
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="32,16,16,16", help="T,X,Y,Z")
    parser.add_argument("--dir", default="/tmp", help="folder for the files")
    args = parser.parse_args()
    shape = tuple(int(s) for s in args.shape.split(","))
    rng = np.random.default_rng(0)
    z = rng.normal(size=(*shape, 4, 3, 3)) + 1j * rng.normal(size=(*shape, 4, 3, 3))
    links = project_su_n(np.eye(3) + 0.3 * z)
    del z
    mb = links.nbytes / 1e6
    print(f"SU(3) {'x'.join(map(str, shape))}: {mb:.1f} MB of complex128 links; "
          f"{numba.get_num_threads()} Numba threads; load {os.getloadavg()[0]:.2f}")
    folder = Path(args.dir)
    cases = [("ildg", write_ildg, read_ildg), ("nersc", write_nersc, read_nersc),
             ("nersc two rows", lambda p, u, **k: write_nersc(p, u, two_rows=True, **k),
              read_nersc),
             ("openqcd", write_openqcd, read_openqcd)]
    print(f"{'format':<16}{'write MB/s':>11}{'raw write':>11}{'read MB/s':>11}"
          f"{'+plaq':>8}{'raw read':>10}{'peak mem':>10}")
    for name, write, read in cases:
        path = folder / f"bench_io.{name.replace(' ', '_')}"
        t_write = _best(lambda: write(path, links), before=lambda: path.unlink(missing_ok=True))  # noqa: B023
        raw = np.fromfile(path, dtype=np.uint8)
        raw_path = folder / "bench_io.raw"
        t_raw_write = _best(lambda: raw.tofile(raw_path),  # noqa: B023
                            before=lambda: raw_path.unlink(missing_ok=True))  # noqa: B023
        t_raw_read = _best(lambda: np.fromfile(path, dtype=np.uint8))  # noqa: B023
        _ = read(path).plaquette  # warm: numba compilation
        t_read = _best(lambda: read(path))  # noqa: B023
        t_plaq = _best(lambda: read(path).plaquette)  # noqa: B023
        tracemalloc.start()
        cfg = read(path)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert np.abs(cfg.links - links).max() < 1e-14
        size = path.stat().st_size / 1e6
        print(f"{name:<16}{size / t_write:>11.0f}{size / t_raw_write:>11.0f}"
              f"{size / t_read:>11.0f}{size / t_plaq:>8.0f}{size / t_raw_read:>10.0f}"
              f"{peak / links.nbytes:>9.2f}x")
        path.unlink()
    (folder / "bench_io.raw").unlink(missing_ok=True)
    print(f"load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
