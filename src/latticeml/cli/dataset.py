"""``latticeml dataset``: build (``build``) and inspect (``inspect``) training datasets."""

from __future__ import annotations

import argparse
import sys

from latticeml.cli._common import add_command, add_output_args, float_arg, int_arg

__all__ = ["register"]


def _members(family):
    """Return the argparse type of a catalogue family's flag (``1x1,2x2`` or ``1,2``)."""
    from latticeml.catalog.targets import parse_members

    arity = family.pattern.count("(")

    def parse(text: str) -> tuple:
        try:
            members = parse_members(family, text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"expected {exc}") from None
        return members if arity > 1 else tuple(m[0] for m in members)

    return parse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``dataset`` noun and its verbs (``build``, ``inspect``) to ``sub``."""
    p = sub.add_parser("dataset", help="build and inspect training datasets (stage 2)")
    dsub = p.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    dsub.required = True

    b = add_command(
        dsub, "build",
        help="inputs, targets and labels from ensemble files (gauge or scalar)",
        description="Build a dataset from ensemble files of one lattice and one split (e.g. "
        "one file per beta or mu). The kind of the ensembles (gauge or scalar) decides what is "
        "built: gauge -- links plus per-site Wilson loops, Polyakov loops (and their "
        "correlators), topological charge; scalar -- the (k_t, k_x, l_t, l_x) channels plus "
        "n, |phi|^2 and flux-violation labels. Options of the other kind are refused.",
    )
    b.add_argument("--inputs", nargs="+", required=True, metavar="E.h5", help="ensemble files")
    _gauge_options(b.add_argument_group("gauge ensembles"))
    _scalar_options(b.add_argument_group("scalar ensembles"))
    add_output_args(b)
    b.set_defaults(func=_build)

    for kind in ("gauge", "scalar"):  # the previous release's spelling
        old = add_command(dsub, kind, help="", replacement="dataset build")
        old.add_argument("--inputs", nargs="+", required=True, metavar="E.h5")
        (_gauge_options if kind == "gauge" else _scalar_options)(old)
        add_output_args(old)
        old.set_defaults(func=_build)

    i = dsub.add_parser("inspect", help="print shapes, target statistics and provenance")
    i.add_argument("path", metavar="F.h5", help="dataset file")
    i.set_defaults(func=_inspect)


class _Topological(argparse.BooleanOptionalAction):
    """``--topological`` / ``--no-topological``; the old ``--topological yes|no|auto`` too."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, **kwargs)
        self.nargs = "?"
        self.choices = None

    def __call__(self, parser, namespace, values, option_string=None):
        if option_string.startswith("--no-") or values is None:
            return super().__call__(parser, namespace, None, option_string)
        old = {"yes": True, "no": False, "auto": None}
        if values not in old:
            parser.error(f"argument --topological: expected no value, got {values!r}")
        print(f"latticeml: warning: --topological {values} is deprecated and will be removed "
              "in the next release; use --topological, --no-topological or neither (automatic)",
              file=sys.stderr)
        setattr(namespace, self.dest, old[values])


def _gauge_options(g) -> None:
    from latticeml.catalog.targets import GAUGE_FAMILIES

    for fam in GAUGE_FAMILIES:  # one flag per target family listed by parameters
        g.add_argument(fam.flag, dest=fam.option, type=_members(fam), default=None,
                       metavar="LIST",
                       help=f"targets {fam.template.replace('{0}', 'A').replace('{1}', 'B')}: "
                       f"{fam.description} (omitted: the default of "
                       f"latticeml.data.GaugeDatasetParams.{fam.option})")
    for flag, dest, text in (
            ("--plaquette-channels", "plaquette_channels", "also store plaquette matrices"),
            ("--polyakov-channels", "polyakov_channels", "also store Polyakov-loop matrices"),
            ("--polyakov", "polyakov", "the Polyakov-loop target")):
        default = {"polyakov": True}.get(dest, False)
        shown = "on" if default else "off"
        g.add_argument(flag, dest=dest, action=argparse.BooleanOptionalAction, default=None,
                       help=f"{text} (default {shown})")
    g.add_argument("--topological", action=_Topological, default=None,
                   help="the topological charge density target (default automatic: for 4D "
                   "ensembles)")
    g.add_argument("--fixed-point", dest="fixed_point", action=argparse.BooleanOptionalAction,
                   default=None, help="the fixed-point action of every configuration, its "
                   "derivative and the minimiser's residual (one minimisation per "
                   "configuration; default off)")
    for flag, dest, text in (("--fp-c", "fp_c", "fat-link staple weight c (default 0.05)"),
                             ("--fp-kappa", "fp_kappa", "kernel strength kappa (default 2)"),
                             ("--fp-tol", "fp_tol", "minimiser tolerance on the largest "
                              "algebra-gradient norm (default 1e-6)")):
        g.add_argument(flag, dest=dest, type=float_arg, default=None, metavar="X",
                       help=f"--fixed-point: {text}")
    g.add_argument("--fp-fine-model", dest="fp_fine_model", default=None, metavar="MODEL.pt",
                   help="--fixed-point: an action model as the fine level's action (the next "
                   "step of the iterative scheme; default: the Wilson action)")


def _scalar_options(s) -> None:
    s.add_argument("--flux-controls", type=int_arg, default=None, metavar="N",
                   help="append N sets of synthetic flux controls built from the divergence "
                        "(closed loops/windings, open strings) as augmentation for flux "
                        "detectors (default 0)")
    s.add_argument("--controls-seed", type=int_arg, default=None, metavar="S",
                   help="seed of --flux-controls, 0..999 (default 0)")
    s.add_argument("--controls-max-k", type=int_arg, default=None, metavar="K",
                   help="keep only controls with max |k| <= K (default 8)")


_GAUGE_ONLY = ("plaquette_channels", "polyakov_channels", "polyakov", "topological",
               "fixed_point", "fp_c", "fp_kappa", "fp_tol", "fp_fine_model")
_SCALAR_ONLY = ("flux_controls", "controls_seed", "controls_max_k")


def _given(args: argparse.Namespace, names) -> dict:
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def _build(args: argparse.Namespace) -> int:
    from latticeml.catalog.targets import GAUGE_FAMILIES
    from latticeml.data import (
        GaugeDatasetParams,
        ScalarDatasetParams,
        build_gauge_dataset,
        build_scalar_dataset,
    )
    from latticeml.data.ensembles import ensemble_kind
    from latticeml.errors import ParameterError

    gauge_names = (*(fam.option for fam in GAUGE_FAMILIES), *_GAUGE_ONLY)
    kind = ensemble_kind(args.inputs[0])
    own, other = ((gauge_names, _SCALAR_ONLY) if kind == "gauge"
                  else (_SCALAR_ONLY, gauge_names))
    wrong = sorted(_given(args, other))
    if wrong:
        other_kind = "scalar" if kind == "gauge" else "gauge"
        raise ParameterError("--" + wrong[0].replace("_", "-"),
                             f"options of {kind} datasets ({args.inputs[0]} is a {kind} "
                             "ensemble)", f"an option of {other_kind} datasets", "drop it")
    given = _given(args, own)
    if kind == "gauge":
        params = GaugeDatasetParams(sources=tuple(args.inputs), **given)
        build_gauge_dataset(params, args.out, force=args.force, progress=args.progress)
    else:
        params = ScalarDatasetParams(sources=tuple(args.inputs), **given)
        build_scalar_dataset(params, args.out, force=args.force, progress=args.progress)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from latticeml.data import describe_dataset

    print(describe_dataset(args.path))
    return 0
