"""Shared pytest configuration: the ``slow`` marker, the ``--runslow`` option, dtype fixtures,
and small physical datasets (SU(2) 1+1D heat bath, dual phi^4) shared by the training,
evaluation and search tests."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--runslow",
        action="store_true",
        default=False,
        help="also run tests marked slow (long Monte Carlo statistics, workflow runs)",
    )


#: Test files that take minutes (cold Numba compilation, workflow runs), longest first. They are
#: collected first so that two pytest-xdist workers (``-n auto``; ``--dist loadfile
#: --no-loadscope-reorder`` in pyproject.toml) start them at once instead of one worker
#: finishing them alone at the end.
LONG_FILES = (
    "tests/gauge/test_generic_cpu.py",
    "tests/gauge/test_kernel_targets.py",
    "tests/gauge/test_gauge_physics.py",
    "tests/test_workflow.py",
    "tests/scalar/test_scalar_physics.py",
    "tests/reliability/test_workflow_reliability.py",
    "tests/test_slurm.py",
    "tests/search/test_search.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONG_FILES)}
    items.sort(key=lambda item: rank.get(item.nodeid.partition("::")[0], len(rank)))
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(params=["float32", "float64"])
def dtype(request: pytest.FixtureRequest):
    """Real dtype of a model under test, float32 and float64 (the links: complex64, complex128).

    The symmetry helpers of :mod:`latticeml.testing` pick the tolerance from it: relative
    error < 1e-4 in single precision, < 1e-10 in double precision (the tight test).
    """
    import torch  # not at module level: generation-only test runs need no torch

    return getattr(torch, request.param)


@pytest.fixture
def cdtype(dtype):
    """The complex dtype that goes with :func:`dtype` (complex64 or complex128)."""
    import torch

    return {torch.float32: torch.complex64, torch.float64: torch.complex128}[dtype]


# ---- small physical datasets (session-scoped: made once per worker) ------------------------


def main(argv):
    """``latticeml`` in process (imported on first use: generation-only runs need no torch)."""
    from latticeml.cli import main as cli_main

    return cli_main(argv)


def _generate(tmp, shape, beta, n, seed, name):
    out = tmp / f"{name}_b{beta}.h5"
    argv = ["gauge", "generate", "--group", "su2", "--shape", ",".join(map(str, shape)),
            "--beta", str(beta), "--n-configs", str(n), "--n-therm", "20", "--n-skip", "2",
            "--seed", str(seed), "--threads", "1", "--no-progress", "--out", str(out)]
    assert main(argv) == 0
    return out


def _dataset(tmp, shape, n, seed, name):
    files = [_generate(tmp, shape, beta, n, seed + i, name) for i, beta in enumerate((1.0, 4.0))]
    out = tmp / f"{name}.h5"
    assert main(["dataset", "build", "--inputs", *map(str, files), "--loops", "1x1,1x2",
                 "--no-progress", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def gauge_data(tmp_path_factory):
    """train (2 x 24), val (2 x 8), test (2 x 7: not a multiple of usual batch sizes) on 4x4,
    and a 6x6 test set."""
    tmp = tmp_path_factory.mktemp("gauge_data")
    return {
        "train": _dataset(tmp, (4, 4), 24, 10, "train"),
        "val": _dataset(tmp, (4, 4), 8, 20, "val"),
        "test": _dataset(tmp, (4, 4), 7, 30, "test"),
        "test6": _dataset(tmp, (6, 6), 5, 40, "test6"),
    }


def _scalar_files(tmp, shape, mus, worms, n, seed, name):
    files = []
    for i, mu in enumerate(mus):
        for w in worms:
            out = tmp / f"{name}_mu{mu}_open{w}.h5"
            argv = ["scalar", "generate", "--shape", ",".join(map(str, shape)), "--mu", str(mu),
                    "--eta", "4.01", "--lam", "1.0", "--n-configs", str(n), "--n-therm", "200",
                    "--n-skip", "10", "--seed", str(seed + 10 * i + w), "--open-worms", str(w),
                    "--no-progress", "--out", str(out)]
            assert main(argv) == 0
            files.append(out)
    return files


def _scalar_dataset(tmp, shape, mus, worms, n, seed, name):
    out = tmp / name / "test.h5" if name.startswith("test") else tmp / f"{name}.h5"
    out.parent.mkdir(exist_ok=True)
    files = _scalar_files(tmp, shape, mus, worms, n, seed, name)
    assert main(["dataset", "build", "--inputs", *map(str, files), "--no-progress",
                 "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def scalar_data(tmp_path_factory):
    """Dual phi^4 data: train/val on 12x4 (mu 0.95, 1.05; closed and one open worm), test sets
    on 12x4 and 16x6 (closed and M = 1, 2 open worms)."""
    tmp = tmp_path_factory.mktemp("scalar_data")
    mus = (0.95, 1.05)
    return {
        "train": _scalar_dataset(tmp, (12, 4), mus, (0, 1), 150, 100, "train"),
        "val": _scalar_dataset(tmp, (12, 4), mus, (0, 1), 40, 200, "val"),
        "test": _scalar_dataset(tmp, (12, 4), mus, (0, 1, 2), 30, 300, "test12"),
        "test16": _scalar_dataset(tmp, (16, 6), mus, (0, 1, 2), 30, 400, "test16"),
    }
