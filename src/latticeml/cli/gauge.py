"""``latticeml gauge``: generate and inspect SU(N) gauge ensembles."""

from __future__ import annotations

import argparse
import sys

from latticeml.cli._common import add_output_args

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``gauge`` command and its sub-commands to ``sub``."""
    p = sub.add_parser("gauge", help="SU(2)/SU(3) Wilson-action gauge ensembles")
    gsub = p.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    gsub.required = True

    g = gsub.add_parser(
        "generate",
        help="generate an ensemble with heat bath + overrelaxation or Metropolis",
        description="Generate a gauge ensemble and write it to an HDF5 file "
        "(links (n, *shape, D, N, N) complex128, plaquette (n,)).",
    )
    from latticeml.cli._fields import add_options
    from latticeml.gauge.params import GaugeParams

    # every parameter is declared once, on GaugeParams / ChainParams (latticeml.fields.option)
    add_options(g, GaugeParams)
    add_output_args(g)
    g.set_defaults(func=_generate)

    i = gsub.add_parser("inspect", help="print a summary of an ensemble file")
    i.add_argument("path", metavar="F.h5", help="gauge ensemble file")
    i.set_defaults(func=_inspect)


def _generate(args: argparse.Namespace) -> int:
    from latticeml.cli._fields import given_options
    from latticeml.data import check_output_path, save_gauge_ensemble
    from latticeml.gauge import GaugeParams, generate_ensemble

    params = GaugeParams(**given_options(args, GaugeParams))
    check_output_path(args.out, force=args.force)
    ens = generate_ensemble(params, progress=args.progress)
    save_gauge_ensemble(args.out, ens, force=args.force)
    msg = f"wrote {args.out}: {ens.links.shape[0]} configurations"
    if ens.plaquette_stats is not None:
        s = ens.plaquette_stats
        msg += f", plaquette {s.mean:.6f} +- {s.error:.1g}, tau_int {s.tau_int:.2f}"
    # the wall time goes to the log (stderr), not into the file: same seed, same bytes
    msg += f"; {ens.backend} kernels, generation took {ens.elapsed:.1f} s"
    print(msg, file=sys.stderr)
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from latticeml.data import describe_gauge_ensemble

    print(describe_gauge_ensemble(args.path))
    return 0
