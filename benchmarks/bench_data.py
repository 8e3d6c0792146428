"""Loading speed of a training set: HDF5 -> memory and one DataLoader pass.

    python benchmarks/bench_data.py [--n 10000] [--workdir DIR]

Builds the 8x8 SU(2) training set (10 000 configurations by default, made by the generator),
then prints the time to load it into memory, one shuffled DataLoader pass (batch 25), and
the same from a lazily read file (memory budget 0). Prints; asserts nothing.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import torch

from latticeml.data import (
    GaugeDataset,
    GaugeDatasetParams,
    build_gauge_dataset,
    write_gauge_ensemble,
)
from latticeml.gauge import GaugeParams, generate_ensemble


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _pass(ds, batch, shuffle):
    loader = torch.utils.data.DataLoader(
        ds, batch_size=batch, shuffle=shuffle, generator=torch.Generator().manual_seed(0)
    )
    n = 0
    for x, _ in loader:
        n += x.shape[0]
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=10_000, help="configurations")
    ap.add_argument("--workdir", default=None, help="directory for the files (default: tmp)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_data_"))
    work.mkdir(parents=True, exist_ok=True)
    ens_path, ds_path = work / "ensemble.h5", work / "train.h5"
    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, {work}")
    if not ds_path.exists():
        params = GaugeParams(
            group="su2",
            shape=(8, 8),
            beta=2.0,
            n_configs=args.n,
            n_therm=100,
            n_skip=2,
            seed=1,
            threads=1,
        )
        ens, t = _timed(lambda: generate_ensemble(params))
        print(f"generate {args.n} configs 8x8 SU(2)            {t:8.2f} s")
        write_gauge_ensemble(
            ens_path,
            arrays={"links": ens.links, "plaquette": ens.plaquette},
            attrs=dict(
                group="su2",
                n_colors=2,
                shape=(8, 8),
                beta=2.0,
                seed=1,
                algorithm="heatbath",
                n_therm=100,
                n_skip=2,
            ),
            force=True,
        )
        dparams = GaugeDatasetParams(
            sources=(str(ens_path),), loops=((1, 1), (1, 2), (2, 2), (4, 4))
        )
        _, t = _timed(lambda: build_gauge_dataset(dparams, ds_path, force=True))
        print(f"build dataset (W 1x1, 1x2, 2x2, 4x4, Polyakov)   {t:8.2f} s")
    size = ds_path.stat().st_size / 2**20
    for dtype in (torch.complex64, torch.complex128):
        ds, t = _timed(
            lambda dtype=dtype: GaugeDataset(ds_path, targets=("W_2x2",), dtype=dtype, plane=0)
        )
        print(
            f"load into memory ({size:.0f} MiB, {str(dtype):<16}) {t:8.2f} s   (incl. validation)"
        )
        n, t = _timed(lambda ds=ds: _pass(ds, 25, True))
        print(
            f"DataLoader pass, batch 25, shuffled, in memory  {t:8.2f} s   ({n / t:,.0f} samples/s)"
        )
    lazy = GaugeDataset(ds_path, targets=("W_2x2",), plane=0, memory_budget_mb=0)
    n, t = _timed(lambda: _pass(lazy, 25, False))
    print(f"DataLoader pass, batch 25, sequential, lazy     {t:8.2f} s   ({n / t:,.0f} samples/s)")
    n, t = _timed(lambda: _pass(lazy, 25, True))
    print(f"DataLoader pass, batch 25, shuffled, lazy       {t:8.2f} s   ({n / t:,.0f} samples/s)")


if __name__ == "__main__":
    main()
