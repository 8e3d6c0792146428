"""``latticeml scalar``: generate and inspect dual (k, l) complex-scalar ensembles."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from latticeml.cli._common import add_output_args, int_arg, shape_arg

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
    g.add_argument(
        "--shape",
        required=True,
        type=shape_arg,
        help="N_t,N_x (extents >= 2; odd allowed), e.g. 60,4",
    )
    g.add_argument("--mu", required=True, type=float, help="chemical potential")
    g.add_argument("--eta", required=True, type=float, help="eta = 2D + m^2 (e.g. 4.01)")
    g.add_argument("--lam", required=True, type=float, help="quartic coupling lambda >= 0")
    g.add_argument("--n-configs", required=True, type=int_arg, help="configurations to save")
    g.add_argument("--n-therm", required=True, type=int_arg, help="thermalization sweeps")
    g.add_argument("--n-skip", required=True, type=int_arg, help="sweeps between saved configs")
    g.add_argument(
        "--n-worms",
        type=int_arg,
        default=None,
        help="worms per sweep (default: automatic, fixed after the first half of the "
        "thermalization at ~3 worm steps per site and sweep)",
    )
    g.add_argument("--seed", required=True, type=int_arg, help="random seed (>= 0)")
    g.add_argument(
        "--open-worms",
        type=int_arg,
        default=0,
        help="open worms per violated configuration (default 0: plain ensemble)",
    )
    g.add_argument(
        "--f-max", type=int_arg, default=None, help="largest tabulated f of W(f) (default 1024)"
    )
    add_output_args(g)
    g.set_defaults(func=_generate)

    i = ssub.add_parser("inspect", help="print observables and flux checks of an ensemble")
    i.add_argument("path", metavar="F.h5", help="scalar ensemble file")
    i.set_defaults(func=_inspect)


def _generate(args: argparse.Namespace) -> int:
    from latticeml.data import check_output_path, write_scalar_ensemble
    from latticeml.scalar import DEFAULT_F_MAX, ScalarParams, generate_scalar_ensemble

    params = ScalarParams(
        shape=args.shape,
        mu=args.mu,
        eta=args.eta,
        lam=args.lam,
        n_configs=args.n_configs,
        n_therm=args.n_therm,
        n_skip=args.n_skip,
        seed=args.seed,
        n_worms=args.n_worms,
        open_worms=args.open_worms,
        f_max=DEFAULT_F_MAX if args.f_max is None else args.f_max,
    )
    check_output_path(args.out, force=args.force)
    ens = generate_scalar_ensemble(params, progress=not args.no_progress)
    attrs = {
        "shape": params.shape,
        "mu": params.mu,
        "eta": params.eta,
        "lam": params.lam,
        "seed": params.seed,
        "n_therm": params.n_therm,
        "n_skip": params.n_skip,
        "open_worms": params.open_worms,
        "f_max": params.f_max,
        "algorithm": "worm (k) + Metropolis (l)",
        "tau_int_n_sweeps": ens.tau_int_sweeps.get("n", float("nan")),
        "tau_int_phi2_sweeps": ens.tau_int_sweeps.get("phi2", float("nan")),
        **ens.worm_info,  # includes n_worms (the value used) and n_worms_auto
    }
    arrays = {
        "k": ens.k,
        "l": ens.l,
        "n": ens.n,
        "phi2": ens.phi2,
        "phi4": ens.phi4,
        "n_history": ens.n_history,
        "phi2_history": ens.phi2_history,
    }
    if params.open_worms > 0:
        arrays["open_worms"] = ens.open_worms
        arrays["label"] = ens.label
    write_scalar_ensemble(args.out, arrays=arrays, attrs=attrs, force=args.force)
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
    from latticeml.data import read_scalar_ensemble
    from latticeml.data.checksum import FILE_DIGEST_ATTR
    from latticeml.errors import FileFormatError
    from latticeml.observables import gamma_analysis
    from latticeml.scalar import check_flux

    # reads every array: Fletcher-32, SHA-256 digests, integer fields with conserved flux
    # (closed) or 2M defects (open worms), finite observables
    arrays, attrs = read_scalar_ensemble(args.path)
    k, l = arrays["k"], arrays["l"]
    m = arrays.get("open_worms")
    closed = np.ones(k.shape[0], dtype=bool) if m is None else np.asarray(m) == 0
    print(f"file        {args.path}")
    print(
        f"ensemble    scalar  shape {'x'.join(map(str, attrs['shape']))}  mu {attrs['mu']}  "
        f"eta {attrs['eta']}  lam {attrs['lam']}  seed {attrs['seed']}"
    )
    print(
        f"chain       {k.shape[0]} configurations, n_therm {attrs['n_therm']}, "
        f"n_skip {attrs['n_skip']}, n_worms {attrs['n_worms']}  "
        f"(latticeml {attrs['package_version']})"
    )
    if m is not None:
        print(
            f"labels      {int(closed.sum())} conserved, {int((~closed).sum())} violated "
            f"({attrs.get('open_worms', int(np.max(m)))} open worms each)"
        )
    for name in ("n", "phi2", "phi4"):
        if name not in arrays:
            continue
        x = np.asarray(arrays[name])[closed]
        if x.size > 1:
            r = gamma_analysis(x)
            print(
                f"{name:<11} {r.mean:.8f} +- {r.error:.2g}   tau_int {r.tau_int:.2f} +- "
                f"{r.tau_int_error:.2f} (units of n_skip, window {r.window})"
            )
        elif x.size == 1:
            print(f"{name:<11} {float(x[0]):.8f} (one configuration: no error estimate)")
    n_prod = k.shape[0] * int(attrs["n_skip"])  # production sweeps = last entries of the history
    for name in ("n_history", "phi2_history"):
        if name in arrays and n_prod > 1 and arrays[name].size >= n_prod:
            r = gamma_analysis(arrays[name][-n_prod:])
            print(f"tau_int     {name.split('_')[0]}: {r.tau_int:.2f} sweeps (chain history)")
    check = check_flux(k, m, n=np.asarray(arrays["n"]), l=l)
    if not check.ok:
        raise FileFormatError(args.path, f"k, l: flux check {check}")
    print(f"flux        {check}")
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
