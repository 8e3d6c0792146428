"""data/ owns the files and imports no Monte Carlo package (gauge, scalar)."""

from __future__ import annotations

import subprocess
import sys

from latticeml.cli import main


def test_reading_checking_and_building_need_no_monte_carlo_package(tmp_path):
    g, s = tmp_path / "g.h5", tmp_path / "s.h5"
    assert main(["gauge", "generate", "--group", "su2", "--shape", "4,4", "--beta", "2.0",
                 "--n-configs", "4", "--n-therm", "2", "--n-skip", "1", "--seed", "1",
                 "--threads", "1", "--no-progress", "--out", str(g)]) == 0
    assert main(["scalar", "generate", "--shape", "8,4", "--mu", "1.0", "--eta", "4.01",
                 "--lam", "1.0", "--n-configs", "4", "--n-therm", "60", "--n-skip", "2",
                 "--seed", "2", "--open-worms", "1", "--no-progress", "--out", str(s)]) == 0
    code = f"""
import sys, pkgutil, importlib
import latticeml.data as data
for m in pkgutil.iter_modules(data.__path__):
    importlib.import_module("latticeml.data." + m.name)
from latticeml.data import (GaugeDatasetParams, ScalarDatasetParams, build_gauge_dataset,
                            build_scalar_dataset, describe_gauge_ensemble,
                            describe_scalar_ensemble, describe_dataset)
describe_gauge_ensemble({str(g)!r}); describe_scalar_ensemble({str(s)!r})
build_gauge_dataset(GaugeDatasetParams(sources=({str(g)!r},)), {str(tmp_path / 'dg.h5')!r})
build_scalar_dataset(ScalarDatasetParams(sources=({str(s)!r},), flux_controls=1),
                     {str(tmp_path / 'ds.h5')!r})
describe_dataset({str(tmp_path / 'dg.h5')!r}); describe_dataset({str(tmp_path / 'ds.h5')!r})
print(sorted(m for m in sys.modules if m.startswith(("latticeml.gauge", "latticeml.scalar"))))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
