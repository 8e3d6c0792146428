"""Start-up time of the generation commands, and whether they import torch.

    python benchmarks/bench_startup.py [--repeat 7] [--src DIR ...]

``import latticeml.data`` is what a generation job adds to its start-up to write its file
(``--help`` only parses arguments; the handlers import lazily). Each command runs in a fresh
interpreter ``--repeat`` times; printed: the median and the
fastest wall time, and whether ``torch`` was imported. Side by side in the same run: a bare
interpreter and ``import torch`` (the baseline that generation jobs used to pay). ``--src``
adds the ``src/`` folder of another checkout (e.g. one made with ``git worktree add`` at an
older commit) as a second column, so that before and after are measured on the same machine
at the same time. Prints; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

# Each probe runs the command's entry point in-process (argument parsing and the imports it
# triggers) and then reports whether torch was imported.
_PROBES = {
    "python (bare)": "pass",
    "import torch": "import torch",
    "latticeml gauge generate --help": "gauge generate --help",
    "latticeml scalar generate --help": "scalar generate --help",
    "import latticeml.data": "import latticeml.data",
}
_RUNNER = """
import sys, contextlib, io
code = {code!r}
if code.split()[0] in ("gauge", "scalar"):
    from latticeml.cli import main
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main(code.split())
        except SystemExit:
            pass
else:
    exec(code)
print("TORCH" if "torch" in sys.modules else "NOTORCH")
"""


def _run(code: str, src: Path | None) -> tuple[float, bool]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _RUNNER.format(code=code)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    dt = time.perf_counter() - t0
    return dt, out.stdout.strip().splitlines()[-1] == "TORCH"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--src", type=Path, action="append", default=[],
                        help="src/ of another checkout to measure beside this one")  # fmt: skip
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[1] / "src"
    columns = [("this checkout", here), *((str(s), s.resolve()) for s in args.src)]
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}")  # fmt: skip
    print(f"# {args.repeat} fresh interpreters per cell; median / fastest wall time")
    for label, src in columns:
        print(f"\n## {label}: {src}")
        for name, code in _PROBES.items():
            runs = [_run(code, src) for _ in range(args.repeat)]
            times = [t for t, _ in runs]
            torch_in = any(t for _, t in runs)
            print(f"{name:36s} {statistics.median(times):6.2f} s / {min(times):5.2f} s  "
                  f"torch imported: {'yes' if torch_in else 'no'}")  # fmt: skip


if __name__ == "__main__":
    main()
