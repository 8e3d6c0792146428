"""``latticeml scalar``: generate and inspect dual (k, l) complex-scalar ensembles."""

from __future__ import annotations

import argparse
import sys

from latticeml.cli._common import add_output_args

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``scalar`` command and its sub-commands to ``sub``."""
    p = sub.add_parser("scalar", help="dual (k, l) complex scalar field at chemical potential")
    ssub = p.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    ssub.required = True

    g = ssub.add_parser(
        "generate",
        help="generate an ensemble with the worm algorithm",
        description="Generate a dual complex-scalar ensemble (1+1D, axis 0 time) with the "
        "worm algorithm and write k, l (n, N_t, N_x, 2), n, phi2, phi4 (n,) to HDF5. "
        "With --open-worms M > 0 the file is a balanced flux-violation ensemble: half of "
        "the configurations (label 1) contain M open worms.",
    )
    from latticeml.cli._fields import add_options
    from latticeml.scalar.params import ScalarParams

    # every parameter is declared once, on ScalarParams (latticeml.fields.option)
    add_options(g, ScalarParams)
    add_output_args(g)
    g.set_defaults(func=_generate)

    i = ssub.add_parser("inspect", help="print observables and flux checks of an ensemble")
    i.add_argument("path", metavar="F.h5", help="scalar ensemble file")
    i.set_defaults(func=_inspect)


def _generate(args: argparse.Namespace) -> int:
    from latticeml.cli._fields import given_options
    from latticeml.data import check_output_path, save_scalar_ensemble
    from latticeml.scalar import ScalarParams, generate_scalar_ensemble

    params = ScalarParams(**given_options(args, ScalarParams))
    check_output_path(args.out, force=args.force)
    ens = generate_scalar_ensemble(params, progress=args.progress)
    save_scalar_ensemble(args.out, ens, force=args.force)
    msg = f"wrote {args.out}: {ens.k.shape[0]} configurations"
    if "n" in ens.stats:
        s, q = ens.stats["n"], ens.stats["phi2"]
        msg += (
            f", n {s.mean:.6f} +- {s.error:.1g}, |phi|^2 {q.mean:.6f} +- {q.error:.1g}, "
            f"tau_int(sweeps) n {ens.tau_int_sweeps['n']:.2f} "
            f"phi2 {ens.tau_int_sweeps['phi2']:.2f}"
        )
    # the wall time goes to the log (stderr), not into the file: same seed, same bytes
    msg += f"; generation took {ens.elapsed:.1f} s"
    print(msg, file=sys.stderr)
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from latticeml.data import describe_scalar_ensemble

    print(describe_scalar_ensemble(args.path))
    return 0
