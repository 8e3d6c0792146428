"""Search throughput: trials per hour per core, one worker vs two workers on one study.

Usage::

    python benchmarks/bench_search.py [--trials 12] [--epochs 3] [--configs 200]

Makes a small SU(2) 8x8 dataset (3 couplings x CONFIGS training configurations), then runs the
same study (a small CNN space for W_2x2, no pruning, so every trial does the same work on
average) twice with ``latticeml search run``: one worker (the baseline) and two worker
processes sharing a journal file. Prints wall time, trials per hour, trials per hour per core
and the speed-up. The load average is printed before and after (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from latticeml.cli import main as cli

SPACE = {"model": {"kind": "cnn", "dim": 2}, "layers": {"low": 1, "high": 3},
         "per_layer": {"channels": {"low": 4, "high": 32, "log": True}},
         "shared": {"kernel_sizes": {"choices": [3, 5]},
                    "activation": {"choices": ["relu", "tanh"]}},
         "training": {"lr": {"low": 1e-3, "high": 3e-2, "log": True}}}


def _dataset(tmp: Path, split: str, n: int, seed: int) -> Path:
    files = []
    for i, beta in enumerate((1.0, 2.0, 4.0)):
        out = tmp / f"{split}_{beta}.h5"
        assert cli(["gauge", "generate", "--group", "su2", "--shape", "8,8", "--beta", str(beta),
                    "--n-configs", str(n), "--n-therm", "100", "--n-skip", "5", "--seed",
                    str(seed + i), "--threads", "1", "--no-progress", "--out", str(out)]) == 0
        files.append(str(out))
    out = tmp / f"{split}.h5"
    assert cli(["dataset", "build", "--inputs", *files, "--loops", "2x2", "--no-progress",
                "--out", str(out)]) == 0
    return out


def _study(tmp: Path, name: str, workers: int, args, train: Path, val: Path) -> float:
    out = tmp / name
    out.mkdir()
    argv = [sys.executable, "-m", "latticeml", "search", "run", "--space", json.dumps(SPACE),
            "--train", str(train), "--val", str(val), "--target", "W_2x2", "--out-dir", str(out),
            "--n-trials", str(args.trials), "--epochs", str(args.epochs), "--patience", "0",
            "--pruner", "none", "--batch-size", "20", "--threads", "1", "--device", "cpu",
            "--no-progress"]
    t0 = time.perf_counter()
    procs = [subprocess.Popen([*argv, "--worker", str(k)], stderr=subprocess.PIPE, text=True)
             for k in range(workers)]
    for p in procs:
        _, err = p.communicate()
        if p.returncode:
            raise SystemExit(err)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=12)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--configs", type=int, default=200, help="training configs per coupling")
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; "
          f"{args.trials} trials x {args.epochs} epochs, CNN space, SU(2) 8x8, "
          f"{3 * args.configs} training configurations")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        train = _dataset(tmp, "train", args.configs, 1)
        val = _dataset(tmp, "val", max(args.configs // 4, 10), 11)
        rows = []
        for workers in (1, 2):
            wall = _study(tmp, f"w{workers}", workers, args, train, val)
            rows.append((workers, wall, args.trials / wall * 3600))
    print(f"{'workers':>7} {'wall s':>8} {'trials/h':>9} {'trials/h/core':>14} {'speed-up':>9}")
    for workers, wall, rate in rows:
        print(f"{workers:>7} {wall:>8.1f} {rate:>9.0f} {rate / workers:>14.0f} "
              f"{rate / rows[0][2]:>9.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
