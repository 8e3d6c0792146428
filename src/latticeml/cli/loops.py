"""``latticeml loops``: traced-loop content of L-CNN architectures and of trained models.

``count``, ``enumerate`` and ``can-express`` are symbolic (no torch); ``explain`` expands a
trained model file into traced Wilson loops, verifies and explains the expansion; ``draw``
draws one loop.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
from pathlib import Path

from latticeml.cli._common import add_switch, int_arg

__all__ = ["register"]


def _model_arg(text: str):
    """``--model``: a preset name, or a JSON/YAML-like mapping given as JSON."""
    t = text.strip()
    if t.startswith("{"):
        try:
            return json.loads(t)
        except json.JSONDecodeError as exc:
            raise argparse.ArgumentTypeError(f"--model: invalid JSON mapping ({exc})") from None
    return t


def _loop_arg(text: str) -> tuple[int, int]:
    from latticeml.errors import ParameterError
    from latticeml.loops.express import parse_loop

    try:
        a, b = parse_loop(text)
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if max(a, b) > MAX_LOOP_EXTENT:
        raise argparse.ArgumentTypeError(
            f"expected extents up to {MAX_LOOP_EXTENT} (a loop on a lattice this package "
            f"trains on), got {text!r}")
    return a, b


#: Largest extent of ``--loop AxB`` and longest word ``loops draw`` accepts (above them the
#: symbolic work and the drawing take minutes for loops no lattice here holds).
MAX_LOOP_EXTENT = 128
MAX_DRAW_STEPS = 512


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``loops`` command and its sub-commands to ``sub``."""
    p = sub.add_parser("loops", help="traced Wilson loops an L-CNN architecture can express")
    lsub = p.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    lsub.required = True

    model_help = ("a preset name (e.g. W2x2-small) or a build_model mapping as JSON, "
                  "e.g. '{\"kind\": \"lcnn\", \"channels\": [2], \"kernel_sizes\": [3]}'")
    c = lsub.add_parser("count", help="number of distinct traced loops by length",
                        description="Expand the architecture symbolically and count its traced "
                        "loops by length (orientation kept unless --unoriented).")
    c.add_argument("--model", type=_model_arg, required=True, metavar="SPEC", help=model_help)
    add_switch(c, "--unoriented", "count Tr l and Tr l^dagger as one loop")
    add_switch(c, "--json", 'print one object {"<length>": count}')
    c.set_defaults(func=_count)

    e = lsub.add_parser("enumerate", help="all distinct traced loops by length (Max column)",
                        description="Count every distinct traced loop of each length on the "
                        "infinite lattice (cyclically reduced, up to rotation, oriented).")
    e.add_argument("--dim", type=int_arg, default=2, help="lattice dimension (default 2)")
    e.add_argument("--max-length", type=int_arg, required=True, metavar="N",
                   help="largest loop length")
    add_switch(e, "--json", 'print one object {"<length>": count}')
    e.set_defaults(func=_enumerate)

    x = lsub.add_parser("can-express", help="does an architecture contain an AxB Wilson loop",
                        description="Answer whether the architecture's output contains Tr of "
                        "the rectangular loop (either orientation) and after how many layers.")
    x.add_argument("--model", type=_model_arg, required=True, metavar="SPEC", help=model_help)
    x.add_argument("--loop", type=_loop_arg, required=True, metavar="AxB", help="e.g. 4x4")
    add_switch(x, "--minimal",
               "also search the smallest paper-style L-CNN (depth <= 4, kernel 2..4)")
    add_switch(x, "--json", "print one JSON object")
    x.set_defaults(func=_can_express)

    ex = lsub.add_parser(
        "explain", help="what a trained L-CNN computes, as traced Wilson loops",
        description="Propagate the trained weights of an L-CNN without L-Act through its layers "
        "symbolically: output(x) = sum_l c_l Re Tr l(x + b_l) (+ Im parts) + constant, with the "
        "target normalisation undone. Prints the largest terms, the residual of the expansion "
        "against the float64 network on Haar-random configurations, its residual against the "
        "target loop, and the expansion rewritten modulo the SU(N) trace identities (for SU(2) "
        "Mandelstam / Cayley-Hamilton: how much of the target sits in reshuffled loops). With "
        "--out-dir also writes <name>_expansion.csv, <name>_summary.json and the figures "
        "<name>_loops, <name>_reduction, <name>_loop_counts (.png + .pdf).")
    ex.add_argument("model", metavar="MODEL.pt", nargs="+",
                    help="a model file written by latticeml model train; given several (replicas), "
                    "the one with the lowest validation loss is explained")
    ex.add_argument("--top", type=int_arg, default=10, metavar="K",
                    help="terms to print and draw (default 10)")
    add_switch(ex, "--json", "print one JSON object")
    ex.add_argument("--out-dir", metavar="DIR", help="write the table and figures here")
    ex.add_argument("--name", metavar="NAME",
                    help="file-name prefix in --out-dir (default: the model file's stem)")
    add_switch(ex, "--force", "overwrite existing outputs")
    ex.add_argument("--configs", type=int_arg, default=4, metavar="N",
                    help="Haar-random configurations for the checks (default 4)")
    ex.add_argument("--seed", type=int_arg, default=0, metavar="S",
                    help="seed of the random configurations (default 0)")
    ex.add_argument("--beta", type=float, nargs="+", default=(), metavar="B",
                    help="also compare with the target on heat-bath configurations at these "
                    "couplings (e.g. the training range)")
    ex.add_argument("--ensembles", nargs="+", default=(), metavar="E.h5",
                    help="also compare with the target on the first --configs configurations "
                    "of these stage-1 gauge ensembles (e.g. the training ensemble's files)")
    add_switch(ex, "--identities", "rewrite the expansion modulo the trace identities",
               default=True)
    ex.add_argument("--max-terms", type=int_arg, default=3000, metavar="M",
                    help="skip the identities above M functions (memory ~ 24 M^2 bytes)")
    ex.set_defaults(func=_explain)

    d = lsub.add_parser("draw", help="draw one loop on the lattice (PNG + PDF)",
                        description="Draw a loop given as a word (a/b: steps +0/+1, upper case: "
                        "back), its base site marked.")
    d.add_argument("word", help="the loop, e.g. aabbAABB")
    d.add_argument("--base", default="0,0", metavar="X,Y",
                   help="start relative to the output site (default 0,0)")
    d.add_argument("--out", required=True, metavar="F.png",
                   help="the PNG file; the PDF is written beside it (F.pdf)")
    add_switch(d, "--force", "overwrite existing files")
    d.set_defaults(func=_draw)


def _print_counts(counts: dict[int, int], as_json: bool) -> None:
    if as_json:
        print(json.dumps({str(k): v for k, v in counts.items()}))
        return
    print(f"{'length':>6}  {'loops':>14}")
    for k, v in counts.items():
        print(f"{k:>6}  {v:>14,}")
    print(f"{'total':>6}  {sum(counts.values()):>14,}")


def _count(args: argparse.Namespace) -> int:
    from latticeml.loops import loop_content

    content = loop_content(args.model)
    _print_counts(content.counts(oriented=not args.unoriented), args.json)
    if not args.json:
        print("formal terms per channel after input and each layer: "
              + ", ".join(f"{t:,}" for t in content.layer_terms), file=sys.stderr)
    return 0


def _enumerate(args: argparse.Namespace) -> int:
    from latticeml.loops import max_loop_counts

    counts = max_loop_counts(args.dim, args.max_length)
    _print_counts({k: v for k, v in counts.items() if k % 2 == 0}, args.json)
    return 0


def _can_express(args: argparse.Namespace) -> int:
    from latticeml.loops import can_express, minimal_architecture

    a, b = args.loop
    r = can_express(args.model, a, b)
    out = {"loop": f"{a}x{b}", "word": r.loop, "contains": r.contains,
           "orientations": list(r.oriented), "first_layer": r.first_layer,
           "method": r.method, "detail": r.detail}
    if args.minimal:
        out["minimal"] = minimal_architecture(a, b)
    if args.json:
        print(json.dumps(out))
        return 0
    answer = {True: "yes", False: "no", None: "undecided"}[r.contains]
    print(f"{a}x{b} loop ({r.loop}): {answer}"
          + (f", after layer {r.first_layer}" if r.first_layer else "")
          + f" [{r.method}: {r.detail}]")
    if args.minimal:
        m = out["minimal"]
        print("smallest paper-style L-CNN containing it: "
              + (json.dumps(m) if m else "none up to depth 4 and kernel size 4"))
    return 0


# ---------------------------------------------------------------------------- explain


def _check_explain_args(args: argparse.Namespace) -> dict[str, list[Path]] | None:
    from latticeml.errors import ParameterError

    if args.top < 1:
        raise ParameterError("--top", "an integer >= 1", args.top)
    if args.configs < 1:
        raise ParameterError("--configs", "an integer >= 1", args.configs)
    if args.seed < 0:
        raise ParameterError("--seed", "an integer >= 0", args.seed)
    if args.max_terms < 1:
        raise ParameterError("--max-terms", "an integer >= 1", args.max_terms)
    for b in args.beta:
        if not (math.isfinite(b) and b >= 0):
            raise ParameterError("--beta", "finite couplings >= 0", b)
    if args.out_dir is None:
        if args.name or args.force:
            raise ParameterError("--name/--force", "--out-dir as well", None)
        return None
    from latticeml.loops.output import prepare_explanation

    return prepare_explanation(args.out_dir, args.name or Path(args.model).stem,
                               force=args.force)


def _explain(args: argparse.Namespace) -> int:
    from latticeml.loops.output import format_report, write_explanation
    from latticeml.loops.report import explain_model_file
    from latticeml.train.select import best_model_file

    if len(args.model) > 1:
        best, loss = best_model_file(args.model)
        print(f"explaining {best}: lowest validation loss ({loss:.4e}) of "
              f"{len(args.model)} models", file=sys.stderr)
        args.model = best
    else:
        args.model = args.model[0]
    existed = args.out_dir is not None and Path(args.out_dir).is_dir()
    outputs = _check_explain_args(args)
    try:
        rep = explain_model_file(args.model, n_configs=args.configs, seed=args.seed,
                                 betas=tuple(args.beta), ensembles=tuple(args.ensembles),
                                 identities=args.identities,
                                 max_terms=args.max_terms, top=args.top)
        if args.json:
            print(json.dumps(rep.summary(args.top), default=_plain))
        else:
            print(format_report(rep, args.top))
        if outputs is not None:
            written = write_explanation(rep, outputs, args.top,
                                        label=args.name or Path(args.model).stem)
            print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
    except BaseException:
        if outputs is not None and not existed:  # a refused run leaves no empty folder
            with contextlib.suppress(OSError):
                Path(args.out_dir).rmdir()
        raise
    return 0


def _plain(obj):
    """JSON fallback for NumPy scalars."""
    return obj.item() if hasattr(obj, "item") else str(obj)


def _draw(args: argparse.Namespace) -> int:
    from latticeml.loops.output import draw_loop

    png = Path(args.out)
    if png.suffix.lower() not in (".png", ".pdf"):
        print("latticeml: warning: --out STEM (without .png) is deprecated and will be "
              "removed in the next release; give the PNG file, e.g. --out loop.png",
              file=sys.stderr)
        png = png.with_name(f"{png.name}.png")
    written = draw_loop(args.word, args.base, png.with_suffix(".png"), force=args.force,
                        max_steps=MAX_DRAW_STEPS)
    print("wrote " + ", ".join(map(str, written)), file=sys.stderr)
    return 0
