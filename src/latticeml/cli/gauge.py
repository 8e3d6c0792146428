"""``latticeml gauge``: generate and inspect SU(N) gauge ensembles."""

from __future__ import annotations

import argparse
import sys

import numpy as np

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
    add_output_args(g)
    g.set_defaults(func=_generate)

    i = gsub.add_parser("inspect", help="print a summary of an ensemble file")
    i.add_argument("path", metavar="F.h5", help="gauge ensemble file")
    i.set_defaults(func=_inspect)


def _generate(args: argparse.Namespace) -> int:
    from latticeml.data import check_output_path, write_gauge_ensemble
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
    )
    check_output_path(args.out, force=args.force)
    # the wall time goes to the log (stderr), not into the file: same seed, same bytes
    ens = generate_ensemble(params, progress=not args.no_progress)
    from latticeml.observables import gamma_analysis

    stats = gamma_analysis(ens.plaquette) if ens.plaquette.size > 1 else None
    attrs = {
        "group": params.group,
        "n_colors": ens.links.shape[-1],
        "shape": params.shape,
        "beta": params.beta,
        "seed": params.seed,
        "algorithm": params.algorithm,
        "n_therm": params.n_therm,
        "n_skip": params.n_skip,
        "n_overrelax": params.n_overrelax,
        "metropolis_hits": params.metropolis_hits,
        "metropolis_step": params.metropolis_step,
        "start": params.start,
        "acceptance": ens.acceptance,
        "tau_int_plaquette": stats.tau_int if stats else float("nan"),
    }
    arrays = {
        "links": ens.links,
        "plaquette": ens.plaquette,
        "plaquette_history": ens.plaquette_history,
    }
    write_gauge_ensemble(args.out, arrays=arrays, attrs=attrs, force=args.force)
    msg = f"wrote {args.out}: {ens.links.shape[0]} configurations"
    if stats is not None:
        msg += f", plaquette {stats.mean:.6f} +- {stats.error:.1g}, tau_int {stats.tau_int:.2f}"
    msg += f"; generation took {ens.elapsed:.1f} s"
    print(msg, file=sys.stderr)
    return 0


#: Largest accepted difference between stored and recomputed plaquettes.
PLAQUETTE_TOL = 1e-10


def _inspect(args: argparse.Namespace) -> int:
    from latticeml.data import read_gauge_ensemble
    from latticeml.data.checksum import FILE_DIGEST_ATTR
    from latticeml.errors import FileFormatError
    from latticeml.gauge import unitarity_violation
    from latticeml.observables import gamma_analysis

    # reads every array: Fletcher-32, SHA-256 digests, finite values, SU(N) links
    arrays, attrs = read_gauge_ensemble(args.path)
    links, plaq = arrays["links"], arrays["plaquette"]
    recomputed = float(np.max(np.abs(_plaquettes(links) - plaq)))
    if not recomputed <= PLAQUETTE_TOL:
        raise FileFormatError(
            args.path,
            f"plaquette: stored values differ from the plaquettes of the links by up to "
            f"{recomputed:.1e} (tolerance {PLAQUETTE_TOL:.0e})",
        )
    print(f"file        {args.path}")
    print(
        f"ensemble    {attrs['group']}  shape {'x'.join(map(str, attrs['shape']))}  "
        f"beta {attrs['beta']}  algorithm {attrs['algorithm']}  seed {attrs['seed']}"
    )
    print(
        f"chain       {links.shape[0]} configurations, n_therm {attrs['n_therm']}, "
        f"n_skip {attrs['n_skip']}  (latticeml {attrs['package_version']})"
    )
    if plaq.size > 1:
        r = gamma_analysis(plaq)
        print(
            f"plaquette   {r.mean:.8f} +- {r.error:.2g}   tau_int {r.tau_int:.2f} +- "
            f"{r.tau_int_error:.2f} (in units of n_skip, window {r.window})"
        )
    else:
        print(f"plaquette   {float(plaq[0]):.8f} (one configuration: no error estimate)")
    unit, det = unitarity_violation(links)
    print(f"unitarity   max |U U^dagger - 1| = {unit:.2e}   max |det U - 1| = {det:.2e}")
    print(f"consistency max |stored - recomputed plaquette| = {recomputed:.2e}")
    digest = attrs.get(FILE_DIGEST_ATTR)
    print(
        "checksums   "
        + (
            f"verified: Fletcher-32 per chunk and SHA-256 of every array, "
            f"content_sha256 {str(digest)[:16]}…"
            if digest
            else "none (format 1, written before content digests); values checked"
        )
    )
    return 0


def _plaquettes(links: np.ndarray) -> np.ndarray:
    from latticeml.gauge import plaquette

    return np.array([plaquette(u) for u in links])
