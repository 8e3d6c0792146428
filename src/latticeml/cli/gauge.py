"""``latticeml gauge``: generate and inspect SU(N) gauge ensembles."""

from __future__ import annotations

import argparse
import sys

from latticeml.cli._common import add_output_args, int_arg, shape_arg

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
    g.add_argument("--group", required=True, help="gauge group: su2 or su3")
    g.add_argument("--shape", required=True, type=shape_arg, help="even extents, e.g. 8,8")
    g.add_argument("--beta", required=True, type=float, help="inverse coupling beta = 2N/g^2")
    g.add_argument("--n-configs", required=True, type=int_arg, help="configurations to save")
    g.add_argument("--n-therm", required=True, type=int_arg, help="thermalization sweeps")
    g.add_argument("--n-skip", required=True, type=int_arg, help="sweeps between saved configs")
    g.add_argument("--seed", required=True, type=int_arg, help="random seed (>= 0)")
    g.add_argument(
        "--algorithm",
        default="heatbath",
        help="heatbath (default; Kennedy-Pendleton / Cabibbo-Marinari) or metropolis",
    )
    g.add_argument(
        "--overrelax",
        type=int_arg,
        default=4,
        help="overrelaxation sweeps per heat-bath or Metropolis sweep (default 4)",
    )
    g.add_argument(
        "--metropolis-hits", type=int_arg, default=10, help="Metropolis hits per link (default 10)"
    )
    g.add_argument(
        "--metropolis-step",
        type=float,
        default=0.5,
        help="Metropolis proposal amplitude (default 0.5)",
    )
    g.add_argument("--start", default="cold", help="cold (unit links, default) or hot (random)")
    g.add_argument(
        "--threads",
        type=int_arg,
        default=None,
        help="Numba threads (default: one per 1024 sites of a checkerboard substep, at most "
        "all available; the output does not depend on it)",
    )
    g.add_argument(
        "--backend",
        default="auto",
        help="gauge kernels: simd (hand-written SIMD), scalar (portable plain Numba: same "
        "algorithms and random streams, rounding differs) or auto (default: simd where its "
        "self-test passes, else scalar)",
    )
    add_output_args(g)
    g.set_defaults(func=_generate)

    i = gsub.add_parser("inspect", help="print a summary of an ensemble file")
    i.add_argument("path", metavar="F.h5", help="gauge ensemble file")
    i.set_defaults(func=_inspect)


def _generate(args: argparse.Namespace) -> int:
    from latticeml.data import check_output_path, save_gauge_ensemble
    from latticeml.gauge import GaugeParams, generate_ensemble

    params = GaugeParams(
        group=args.group,
        shape=args.shape,
        beta=args.beta,
        n_configs=args.n_configs,
        n_therm=args.n_therm,
        n_skip=args.n_skip,
        seed=args.seed,
        algorithm=args.algorithm,
        n_overrelax=args.overrelax,
        metropolis_hits=args.metropolis_hits,
        metropolis_step=args.metropolis_step,
        start=args.start,
        threads=args.threads,
        backend=args.backend,
    )
    check_output_path(args.out, force=args.force)
    ens = generate_ensemble(params, progress=not args.no_progress)
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
