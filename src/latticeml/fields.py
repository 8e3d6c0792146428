"""Parameters declared once: a dataclass field carries its command-line flag and help.

The stage parameter dataclasses (``TrainParams``, ...) are the single source of truth of a
parameter: its name, type, default and validation live there, and :func:`option` attaches the
help text (and, where it differs from the field name, the flag) as field metadata. The CLI
builds its parsers from it (:func:`latticeml.cli._fields.add_options`), the workflow turns a
config section into the same flags, and a test holds the config schema to the dataclasses.

Pure Python (no numpy, no torch).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass
from typing import Any

__all__ = ["Option", "cli_options", "command_flags", "flag_name", "option"]

_KEY = "latticeml.cli"


@dataclass(frozen=True)
class Option:
    """What the command line knows of one dataclass field."""

    name: str
    flag: str
    type: str
    default: Any
    help: str
    metavar: str | None = None
    choices: tuple | None = None
    required: bool = False


def flag_name(name: str) -> str:
    """Return the flag of a field: ``--batch-size`` for ``batch_size``."""
    return "--" + name.replace("_", "-")


def option(default: Any = MISSING, help: str = "", *, metavar: str | None = None,
           choices: Sequence | None = None, flag: str | None = None,
           default_factory: Callable[[], Any] | None = None) -> Any:
    """Return a dataclass field that is also a command-line option.

    Parameters
    ----------
    default : object, optional
        The field's default (none: a required option).
    help : str
        One line for ``--help``; the default is appended.
    metavar, choices : optional
        As in ``argparse``.
    flag : str, optional
        The flag if not ``--`` + the field name with dashes.
    default_factory : callable, optional
        As in :func:`dataclasses.field`.
    """
    meta = {_KEY: {"help": help, "metavar": metavar, "flag": flag,
                   "choices": tuple(choices) if choices is not None else None}}
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def cli_options(cls: type) -> list[Option]:
    """Return the fields of a dataclass declared with :func:`option`, in declaration order."""
    out = []
    for f in dataclasses.fields(cls):
        meta = f.metadata.get(_KEY)
        if meta is None:
            continue
        if f.default is not MISSING:
            default, required = f.default, False
        elif f.default_factory is not MISSING:
            default, required = f.default_factory(), False
        else:
            default, required = None, True
        type_name = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "str")
        out.append(Option(name=f.name, flag=meta["flag"] or flag_name(f.name), type=type_name,
                          default=default, help=meta["help"], metavar=meta["metavar"],
                          choices=meta["choices"], required=required))
    return out


#: Option types given as several words after the flag (the others are one comma-joined word).
LIST_TYPES = ("tuple[str, ...]", "tuple[str, ...] | None", "tuple[float, float] | None")


def command_flags(cls: type, values: Mapping[str, object]) -> str:
    """Return the command-line flags of ``values`` (field name -> value), shell-quoted.

    The inverse of the parsers generated from ``cls``: the workflow turns a config section into
    a command with it, so a parameter is spelled once, on its dataclass field. Flags come in the
    order of the fields; ``None`` values are left out (the command's default applies); booleans
    become ``--flag`` / ``--no-flag``; tuples one comma-joined word (several words for
    :data:`LIST_TYPES`).

    Raises
    ------
    KeyError
        If a name of ``values`` is not an option of ``cls``.
    """
    import shlex

    options = cli_options(cls)
    unknown = sorted(set(values) - {o.name for o in options})
    if unknown:
        raise KeyError(f"not options of {cls.__name__}: {', '.join(unknown)}")
    words: list[str] = []
    for o in options:
        value = values.get(o.name)
        if o.name not in values or value is None:
            continue
        if o.type == "bool":
            words.append(o.flag if value else f"--no-{o.flag[2:]}")
        elif isinstance(value, (tuple, list)) and o.type in LIST_TYPES:
            words += [o.flag, *(shlex.quote(str(v)) for v in value)]
        elif isinstance(value, (tuple, list)):
            words += [o.flag, shlex.quote(",".join(map(str, value)))]
        else:
            words += [o.flag, shlex.quote(str(value))]
    return " ".join(words)
