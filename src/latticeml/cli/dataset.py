"""``latticeml dataset``: build and inspect training datasets from ensemble files."""

from __future__ import annotations

import argparse
import sys

from latticeml.cli._common import add_output_args

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
    """Add the ``dataset`` command and its sub-commands to ``sub``."""
    p = sub.add_parser("dataset", help="build and inspect training datasets (stage 2)")
    dsub = p.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    dsub.required = True

    g = dsub.add_parser(
        "gauge",
        help="links + per-site Wilson loops, Polyakov loops, topological charge",
        description="Build a gauge dataset from gauge ensemble files (e.g. one per beta, all "
        "of one split).",
    )
    g.add_argument("--inputs", nargs="+", required=True, metavar="E.h5", help="ensemble files")
    from latticeml.catalog.targets import GAUGE_FAMILIES

    for fam in GAUGE_FAMILIES:  # one flag per target family listed by parameters
        g.add_argument(fam.flag, dest=fam.option, type=_members(fam), default=None,
                       metavar="LIST",
                       help=f"targets {fam.template.replace('{0}', 'A').replace('{1}', 'B')}: "
                       f"{fam.description} (omitted: the default of "
                       f"latticeml.data.GaugeDatasetParams.{fam.option})")
    g.add_argument(
        "--plaquette-channels", action="store_true", help="also store plaquette matrices"
    )
    g.add_argument(
        "--polyakov-channels", action="store_true", help="also store Polyakov-loop matrices"
    )
    g.add_argument("--no-polyakov", action="store_true", help="skip the Polyakov-loop target")
    g.add_argument(
        "--topological",
        choices=("auto", "yes", "no"),
        default="auto",
        help="topological charge density target (auto: for 4D ensembles)",
    )
    add_output_args(g)
    g.set_defaults(func=_gauge)

    s = dsub.add_parser(
        "scalar",
        help="(k_t, k_x, l_t, l_x) channels + n, phi2 and flux-violation labels",
        description="Build a scalar dataset from scalar ensemble files of one lattice.",
    )
    s.add_argument("--inputs", nargs="+", required=True, metavar="E.h5", help="ensemble files")
    s.add_argument("--flux-controls", type=int, default=0, metavar="N",
                   help="append N sets of synthetic flux controls built from the divergence "
                        "(closed loops/windings, open strings) as augmentation for flux "
                        "detectors (default 0)")
    s.add_argument("--controls-seed", type=int, default=0, metavar="S",
                   help="seed of --flux-controls, 0..999 (default 0)")
    s.add_argument("--controls-max-k", type=int, default=8, metavar="K",
                   help="keep only controls with max |k| <= K (default 8)")
    add_output_args(s)
    s.set_defaults(func=_scalar)

    i = dsub.add_parser("inspect", help="print shapes, target statistics and provenance")
    i.add_argument("path", metavar="F.h5", help="dataset file")
    i.set_defaults(func=_inspect)


def _gauge(args: argparse.Namespace) -> int:
    from latticeml.catalog.targets import GAUGE_FAMILIES
    from latticeml.data import GaugeDatasetParams, build_gauge_dataset

    params = GaugeDatasetParams(
        sources=tuple(args.inputs),
        **{fam.option: getattr(args, fam.option) for fam in GAUGE_FAMILIES
           if getattr(args, fam.option) is not None},
        plaquette_channels=args.plaquette_channels,
        polyakov_channels=args.polyakov_channels,
        polyakov=not args.no_polyakov,
        topological={"auto": None, "yes": True, "no": False}[args.topological],
    )
    build_gauge_dataset(params, args.out, force=args.force, progress=not args.no_progress)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _scalar(args: argparse.Namespace) -> int:
    from latticeml.data import ScalarDatasetParams, build_scalar_dataset

    params = ScalarDatasetParams(sources=tuple(args.inputs), flux_controls=args.flux_controls,
                                 controls_seed=args.controls_seed,
                                 controls_max_k=args.controls_max_k)
    build_scalar_dataset(params, args.out, force=args.force, progress=not args.no_progress)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from latticeml.data import describe_dataset

    print(describe_dataset(args.path))
    return 0
