"""Argument types and helpers shared by the stage modules of the CLI."""

from __future__ import annotations

import argparse
import math

from latticeml.lattice import parse_shape

__all__ = ["shape_arg", "int_arg", "float_arg", "add_output_args", "add_switch", "add_command",
           "add_out_dir", "resolve_out_dir"]


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


def add_switch(p, flag: str, help: str, *, default: bool | None = False,
               dest: str | None = None) -> None:
    """Add an on/off option in the one style of this CLI: ``--flag`` / ``--no-flag``.

    Parameters
    ----------
    p : argparse.ArgumentParser or argument group
    flag : str
        The positive spelling (``--progress``); ``--no-progress`` is added with it.
    help : str
        What the switch turns on; the default is appended.
    default : bool or None
        ``None`` means "decided by the library" (e.g. a target that depends on the lattice).
    dest : str, optional
        Attribute name (default: from ``flag``).
    """
    shown = {True: "on", False: "off", None: "automatic"}[default]
    kwargs = {"dest": dest} if dest else {}
    p.add_argument(flag, action=argparse.BooleanOptionalAction, default=default,
                   help=f"{help} (default {shown})", **kwargs)


def add_output_args(p: argparse.ArgumentParser) -> None:
    """Add ``--out`` (a file), ``--force`` and ``--progress``."""
    p.add_argument("--out", required=True, metavar="F.h5", help="output HDF5 file")
    add_switch(p, "--force", "overwrite an existing output file")
    add_switch(p, "--progress", "show a progress bar on stderr", default=True)


def add_command(sub: argparse._SubParsersAction, name: str, *, help: str,
                replacement: str | None = None, **kwargs) -> argparse.ArgumentParser:
    """Add a sub-command, or its old spelling kept for one release.

    Parameters
    ----------
    sub : argparse._SubParsersAction
    name : str
        The command's name at this level.
    help : str
        One line for the listing of commands.
    replacement : str, optional
        For an old spelling: the new command (``"model train"``). The parser is then left out
        of the listing, and :func:`latticeml.cli.main` prints a deprecation line before running.
    **kwargs
        Passed to ``add_parser`` (``description``).
    """
    if replacement is None:
        return sub.add_parser(name, help=help, **kwargs)
    p = sub.add_parser(name, **kwargs)  # no help: not listed
    p.set_defaults(deprecated=replacement)
    return p


def add_out_dir(p: argparse.ArgumentParser, help: str) -> None:
    """Add ``--out-dir DIR`` and the old spelling ``--out DIR`` (deprecated, hidden)."""
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--out-dir", metavar="DIR", help=help)
    g.add_argument("--out", dest="old_out_dir", metavar="DIR", help=argparse.SUPPRESS)


def resolve_out_dir(args: argparse.Namespace) -> str:
    """Return ``--out-dir`` (or the deprecated ``--out DIR``, with a line on stderr)."""
    if getattr(args, "old_out_dir", None) is not None:
        import sys

        print("latticeml: warning: --out DIR is deprecated here and will be removed in the "
              "next release; use --out-dir DIR (--out always names a file)", file=sys.stderr)
        args.out_dir = args.old_out_dir
    return args.out_dir
