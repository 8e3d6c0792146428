"""Shared pytest configuration: the ``slow`` marker, the ``--runslow`` option, dtype fixtures."""

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
    "tests/train/test_search.py",
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
