"""``latticeml loops``: traced-loop content of L-CNN architectures (symbolic, no torch)."""

from __future__ import annotations

import argparse
import json
import sys

from latticeml.cli._common import int_arg

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
        return parse_loop(text)
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
    c.add_argument("--unoriented", action="store_true",
                   help="count Tr l and Tr l^dagger as one loop")
    c.add_argument("--json", action="store_true", help='print one object {"<length>": count}')
    c.set_defaults(func=_count)

    e = lsub.add_parser("enumerate", help="all distinct traced loops by length (Max column)",
                        description="Count every distinct traced loop of each length on the "
                        "infinite lattice (cyclically reduced, up to rotation, oriented).")
    e.add_argument("--dim", type=int_arg, default=2, help="lattice dimension (default 2)")
    e.add_argument("--max-length", type=int_arg, required=True, metavar="N",
                   help="largest loop length")
    e.add_argument("--json", action="store_true", help='print one object {"<length>": count}')
    e.set_defaults(func=_enumerate)

    x = lsub.add_parser("can-express", help="does an architecture contain an AxB Wilson loop",
                        description="Answer whether the architecture's output contains Tr of "
                        "the rectangular loop (either orientation) and after how many layers.")
    x.add_argument("--model", type=_model_arg, required=True, metavar="SPEC", help=model_help)
    x.add_argument("--loop", type=_loop_arg, required=True, metavar="AxB", help="e.g. 4x4")
    x.add_argument("--minimal", action="store_true",
                   help="also search the smallest paper-style L-CNN (depth <= 4, kernel 2..4)")
    x.add_argument("--json", action="store_true", help="print one JSON object")
    x.set_defaults(func=_can_express)


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
