"""``latticeml gauge``: generate, inspect, import and export SU(N) gauge ensembles."""

from __future__ import annotations

import argparse
import sys

from latticeml.cli._common import add_output_args, add_switch, float_arg, int_arg, shape_arg

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
    from latticeml.gauge.checkpoint import CheckpointParams
    from latticeml.gauge.params import GaugeParams

    # every parameter is declared once, on GaugeParams / ChainParams (latticeml.fields.option)
    add_options(g, GaugeParams)
    add_options(g, CheckpointParams)
    add_output_args(g)
    g.set_defaults(func=_generate)

    i = gsub.add_parser("inspect", help="print a summary of an ensemble file")
    i.add_argument("path", metavar="F.h5", help="gauge ensemble file")
    i.set_defaults(func=_inspect)

    im = gsub.add_parser(
        "import", help="ILDG, NERSC or openQCD files -> an ensemble",
        description="Read external gauge configurations (one per file, one lattice, group and "
        "coupling) and write them as a stage-1 ensemble: links in this package's layout, the "
        "recomputed plaquettes, and per source file its SHA-256, what was verified "
        "(checksum, header plaquette, unitarity) and what was assumed. Every file is read "
        "and checked before the output is written.")
    im.add_argument("files", nargs="+", metavar="FILE", help="configuration files")
    from latticeml.io.external import FORMATS

    im.add_argument("--format", required=True, choices=FORMATS, help="file format")
    im.add_argument("--beta", required=True, type=float_arg,
                    help="coupling the configurations were generated at (datasets group by it)")
    im.add_argument("--shape", type=shape_arg, metavar="T,X,Y,Z",
                    help="ILDG files without an ildg-format record: the extents (time first)")
    im.add_argument("--group", choices=("su2", "su3"), help="ILDG without a format record")
    im.add_argument("--precision", type=int_arg, choices=(32, 64),
                    help="ILDG without a format record: bits per real number")
    add_output_args(im)
    im.set_defaults(func=_import)

    fl = gsub.add_parser(
        "flow", help="the Wilson flow of every configuration: E(t), t^2 E, Q, t0, w0",
        description="Flow each configuration of a gauge ensemble with Lüscher's RK3 scheme "
        "and write a table: per configuration and flow time E(t) from the plaquette and (4D) "
        "the clover, t^2 E, the clover charge, and the scales t0 and w0.")
    fl.add_argument("ensemble", metavar="ENS.h5", help="gauge ensemble file")
    fl.add_argument("--t-max", type=float_arg, required=True, help="largest flow time")
    fl.add_argument("--eps", type=float_arg, default=0.01, help="step size (default 0.01)")
    fl.add_argument("--every", type=int_arg, default=10,
                    help="measure every this many steps (default 10)")
    fl.add_argument("--threads", type=int_arg, default=None,
                    help="threads of the parallel flow kernels (default: all cores)")
    fl.add_argument("--out", required=True, metavar="F.csv", help="the table")
    add_switch(fl, "--force", "overwrite an existing table")
    add_switch(fl, "--progress", "show a progress bar on stderr", default=True)
    fl.set_defaults(func=_flow)

    ex = gsub.add_parser(
        "export", help="an ensemble -> ILDG, NERSC or openQCD files",
        description="Write every configuration of a 4D gauge ensemble as a file of the given "
        "format; --out names the file, with {i} or {i:04d} numbering the configurations.")
    ex.add_argument("ensemble", metavar="ENS.h5", help="gauge ensemble file")
    ex.add_argument("--format", required=True, choices=FORMATS, help="file format")
    ex.add_argument("--out", required=True, metavar="CONF_{i}.EXT", help="output file, e.g. "
                    "conf_{i:04d}.ildg ({i} numbers the configurations)")
    ex.add_argument("--precision", type=int_arg, choices=(32, 64), default=64,
                    help="ILDG and NERSC: bits per real number (default 64)")
    add_switch(ex, "--two-rows", "NERSC: store two rows of each SU(3) matrix (4D_SU3_GAUGE)")
    add_switch(ex, "--big-endian", "NERSC: IEEE..BIG (--no-big-endian: IEEE..LITTLE)",
               default=True)
    add_switch(ex, "--force", "overwrite existing files")
    add_switch(ex, "--progress", "show a progress bar on stderr", default=True)
    ex.set_defaults(func=_export)


def _generate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from latticeml.cli._fields import given_options
    from latticeml.data import check_output_path, save_gauge_ensemble
    from latticeml.data.atomic import remove_stale_temporaries
    from latticeml.gauge import GaugeParams, generate_ensemble
    from latticeml.gauge.checkpoint import CheckpointParams, GenerationStoppedError

    params = GaugeParams(**given_options(args, GaugeParams))
    ckpt = CheckpointParams(**given_options(args, CheckpointParams))
    check_output_path(args.out, force=args.force)
    if args.force:  # this job replaces the output: a killed earlier run's temporary goes too
        remove_stale_temporaries(args.out)
    if ckpt.path is not None:  # never the output itself
        if Path(ckpt.path).resolve() == Path(args.out).resolve():
            from latticeml.errors import ParameterError

            raise ParameterError("--checkpoint", "a file other than --out", ckpt.path,
                                 f"name it e.g. {Path(args.out).stem}.ckpt.h5")
        check_output_path(ckpt.path, force=True, inputs=[args.out])
    try:
        ens = generate_ensemble(params, progress=args.progress, checkpoint=ckpt)
    except GenerationStoppedError as stop:
        print(f"latticeml: {stop}", file=sys.stderr)
        return stop.exit_status
    save_gauge_ensemble(args.out, ens, force=args.force)
    if ckpt.path is not None:
        Path(ckpt.path).unlink(missing_ok=True)
    msg = f"wrote {args.out}: {ens.links.shape[0]} configurations"
    if ens.plaquette_stats is not None:
        s = ens.plaquette_stats
        msg += f", plaquette {s.mean:.6f} +- {s.error:.1g}, tau_int {s.tau_int:.2f}"
    # the wall time goes to the log (stderr), not into the file: same seed, same bytes
    msg += f"; {ens.backend} kernels, generation took {ens.elapsed:.1f} s"
    if ens.resumed_at:
        msg += f" (resumed from the checkpoint at sweep {ens.resumed_at} of {params.n_sweeps})"
    print(msg, file=sys.stderr)
    if params.algorithm == "hmc" and ens.delta_h is not None:
        print(hmc_acceptance_note(ens.acceptance, ens.delta_h, params), file=sys.stderr)
    return 0


#: Below this HMC acceptance the generator warns (the step is too large).
HMC_LOW_ACCEPTANCE = 0.5


def hmc_acceptance_note(acceptance: float, delta_h, params) -> str:
    """One line on the HMC acceptance; a warning with the fix when it is low."""
    import numpy as np

    blown = int(np.sum(~np.isfinite(delta_h)))
    line = (f"HMC acceptance {acceptance:.2f} over {len(delta_h)} tested trajectories "
            f"(step {params.hmc_length / params.hmc_steps:.3g}")
    line += f"; {blown} with a non-finite energy)" if blown else ")"
    if acceptance < HMC_LOW_ACCEPTANCE:
        line = ("warning: " + line + f": the step is too large for beta {params.beta}; raise "
                "--hmc-steps (or lower --hmc-length)")
    return line


def _inspect(args: argparse.Namespace) -> int:
    from latticeml.data import describe_gauge_ensemble

    print(describe_gauge_ensemble(args.path))
    return 0


def _import(args: argparse.Namespace) -> int:
    from latticeml.io.ensembles import ImportParams, import_ensemble

    params = ImportParams(sources=tuple(args.files), format=args.format, beta=args.beta,
                          shape=args.shape, group=args.group, precision=args.precision)
    import_ensemble(params, args.out, force=args.force, progress=args.progress)
    from latticeml.data import describe_gauge_ensemble

    print(describe_gauge_ensemble(args.out), file=sys.stderr)
    return 0


def _export(args: argparse.Namespace) -> int:
    from latticeml.io.ensembles import export_ensemble

    written = export_ensemble(args.ensemble, args.format, args.out, precision=args.precision,
                              two_rows=args.two_rows, big_endian=args.big_endian,
                              force=args.force, progress=args.progress)
    print(f"wrote {len(written)} {args.format} file(s): {written[0]}"
          + (f" ... {written[-1]}" if len(written) > 1 else ""), file=sys.stderr)
    return 0


def _flow(args: argparse.Namespace) -> int:
    from latticeml._numba import threads
    from latticeml.errors import ParameterError
    from latticeml.evaluate.request import check_outputs
    from latticeml.evaluate.tables import write_csv
    from latticeml.hmc.flow import flow_ensemble

    if args.threads is not None and args.threads < 1:
        raise ParameterError("--threads", "an integer >= 1", args.threads)
    check_outputs([args.out], [args.ensemble], args.force)
    with threads(args.threads):
        table = flow_ensemble(args.ensemble, args.t_max, args.eps, every=args.every,
                              progress=args.progress)
    write_csv(table, args.out)
    last = table.groupby("config").tail(1)
    print(f"wrote {args.out}: {len(last)} configurations, t0 median "
          f"{last['t0'].median():.4g}, <t^2 E(t_max)> {last['t2e_plaquette'].mean():.4g}",
          file=sys.stderr)
    return 0
