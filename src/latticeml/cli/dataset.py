"""``latticeml dataset``: build and inspect training datasets from ensemble files."""

from __future__ import annotations

import argparse
import sys

from latticeml.cli._common import add_output_args

__all__ = ["register"]


def _loops(text: str) -> tuple[tuple[int, int], ...]:
    try:
        return tuple(tuple(int(v) for v in item.split("x")) for item in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected loop sizes like 1x1,1x2,2x2, got {text!r}"
        ) from None


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
    g.add_argument(
        "--loops", type=_loops, default=((1, 1),), help="Wilson loop sizes, e.g. 1x1,1x2,2x2"
    )
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
    from latticeml.data import GaugeDatasetParams, build_gauge_dataset

    params = GaugeDatasetParams(
        sources=tuple(args.inputs),
        loops=args.loops,
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
