"""Argparse options generated from the stage dataclasses (:mod:`latticeml.fields`)."""

from __future__ import annotations

import argparse
from collections.abc import Collection

from latticeml.cli._common import float_arg, int_arg, shape_arg
from latticeml.fields import LIST_TYPES, cli_options

__all__ = ["UNSET", "add_options", "given_options"]

def _floats(text: str) -> tuple[float, ...]:
    """Argparse type of a comma-separated list of numbers."""
    try:
        return tuple(float_arg(v) for v in text.split(",") if v.strip())
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected numbers like 0.01,0.1,1, got {text!r}") from None


_TYPES = {"int": int_arg, "int | None": int_arg, "float": float_arg, "str": str,
          "tuple[int, ...]": shape_arg, "tuple[int, int]": shape_arg,
          "tuple[float, ...]": _floats}
#: Types given as several words after the flag: their item type and argparse nargs.
_LISTS = {"tuple[str, ...]": (str, "+"), "tuple[str, ...] | None": (str, "+"),
          "tuple[float, float] | None": (float_arg, 2)}
assert set(_LISTS) == set(LIST_TYPES)


class _Unset:
    """Default of options whose explicit use must be detected (see :func:`given_options`)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()


def add_options(parser: argparse.ArgumentParser, cls: type, *,
                skip: Collection[str] = (), detect: Collection[str] = ()) -> None:
    """Add one option per :func:`latticeml.fields.option` field of the dataclass ``cls``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    cls : type
        A dataclass (``TrainParams``, ...).
    skip : collection of str
        Fields the command adds itself.
    detect : collection of str
        Fields whose default is :data:`UNSET`, so that the command can tell a flag given on
        the command line from its default (:func:`given_options`).
    """
    for opt in cli_options(cls):
        if opt.name in skip:
            continue
        metavar = opt.metavar or opt.flag[2:].upper().replace("-", "_")
        kwargs: dict = {"dest": opt.name, "metavar": metavar}
        if opt.type == "bool":  # the CLI's one switch style: --flag / --no-flag
            kwargs = {"dest": opt.name, "action": argparse.BooleanOptionalAction}
        elif opt.type in _LISTS:
            kwargs["type"], nargs = _LISTS[opt.type]
            kwargs["nargs"] = nargs if nargs != "+" or opt.required or "None" in opt.type \
                else "*"
        else:
            kwargs["type"] = _TYPES.get(opt.type, str)
        text = opt.help
        if opt.choices:  # listed, not enforced here: the dataclass says what is wrong in one line
            text = f"{text}: {', '.join(map(str, opt.choices))}"
        if opt.required:
            kwargs["required"] = True
        else:
            kwargs["default"] = UNSET if opt.name in detect else opt.default
            if opt.type != "bool":
                shown = opt.default
                if isinstance(shown, tuple):
                    shown = ",".join(map(str, shown))
                shown = "none" if shown in ("", None) else shown
                text = f"{text} (default {shown})" if text else f"default {shown}"
        parser.add_argument(opt.flag, help=text, **kwargs)


def given_options(args: argparse.Namespace, cls: type) -> dict:
    """Return the :func:`add_options` fields of ``cls`` in ``args``, except those :data:`UNSET`."""
    return {o.name: getattr(args, o.name) for o in cli_options(cls)
            if hasattr(args, o.name) and getattr(args, o.name) is not UNSET}
