"""Argument types and helpers shared by the stage modules of the CLI."""

from __future__ import annotations

import argparse
import math

from latticeml.lattice import parse_shape

__all__ = ["shape_arg", "int_arg", "float_arg", "add_output_args"]


def shape_arg(text: str) -> tuple[int, ...]:
    """Argparse type of ``--shape 8,8`` (validated later by the library)."""
    try:
        return parse_shape(text)
    except Exception as exc:  # ParameterError -> argparse message
        raise argparse.ArgumentTypeError(str(exc)) from None


def int_arg(text: str) -> int:
    """Argparse type of integer flags; ranges are checked by the library's dataclasses."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def float_arg(text: str) -> float:
    """Argparse type of real-valued flags: finite numbers (ranges: the library's dataclasses)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def add_output_args(p: argparse.ArgumentParser) -> None:
    """Add ``--out``, ``--force`` and ``--no-progress``."""
    p.add_argument("--out", required=True, metavar="F.h5", help="output HDF5 file")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.add_argument(
        "--no-progress", action="store_true", help="do not show a progress bar on stderr"
    )
