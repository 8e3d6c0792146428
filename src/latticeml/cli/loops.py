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
                    help="a model file written by latticeml train; given several (replicas), "
                    "the one with the lowest validation loss is explained")
    ex.add_argument("--top", type=int_arg, default=10, metavar="K",
                    help="terms to print and draw (default 10)")
    ex.add_argument("--json", action="store_true", help="print one JSON object")
    ex.add_argument("--out-dir", metavar="DIR", help="write the table and figures here")
    ex.add_argument("--name", metavar="NAME",
                    help="file-name prefix in --out-dir (default: the model file's stem)")
    ex.add_argument("--force", action="store_true", help="overwrite existing outputs")
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
    ex.add_argument("--no-identities", action="store_true",
                    help="skip the rewriting modulo trace identities")
    ex.add_argument("--max-terms", type=int_arg, default=3000, metavar="M",
                    help="skip the identities above M functions (memory ~ 24 M^2 bytes)")
    ex.set_defaults(func=_explain)

    d = lsub.add_parser("draw", help="draw one loop on the lattice (PNG + PDF)",
                        description="Draw a loop given as a word (a/b: steps +0/+1, upper case: "
                        "back), its base site marked.")
    d.add_argument("word", help="the loop, e.g. aabbAABB")
    d.add_argument("--base", default="0,0", metavar="X,Y",
                   help="start relative to the output site (default 0,0)")
    d.add_argument("--out", required=True, metavar="STEM",
                   help="output path without suffix (STEM.png, STEM.pdf)")
    d.add_argument("--force", action="store_true", help="overwrite existing files")
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


def _outputs(out_dir: Path, name: str) -> dict[str, list[Path]]:
    fig = {k: [out_dir / f"{name}_{k}.png", out_dir / f"{name}_{k}.pdf"]
           for k in ("loops", "reduction", "loop_counts")}
    return {"csv": [out_dir / f"{name}_expansion.csv"],
            "json": [out_dir / f"{name}_summary.json"], **fig}


def _check_explain_args(args: argparse.Namespace) -> dict[str, list[Path]] | None:
    from latticeml.errors import OutputExistsError, ParameterError

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
    out_dir = Path(args.out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ParameterError("--out-dir", "a directory", str(out_dir), "it is a file")
    name = args.name or Path(args.model).stem
    if not name or "/" in name:
        raise ParameterError("--name", "a file-name prefix without '/'", name)
    outputs = _outputs(out_dir, name)
    if not args.force:
        for paths in outputs.values():
            for path in paths:
                if path.exists():
                    raise OutputExistsError(path)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError("--out-dir", "a directory that exists or can be created",
                             str(out_dir), exc.strerror or type(exc).__name__) from None
    return outputs


def _plain(obj):
    """JSON fallback for NumPy scalars."""
    return obj.item() if hasattr(obj, "item") else str(obj)


def _fmt_base(base: str) -> str:
    return "x" if not base.strip("0,") else f"x+({base})"


def _print_report(rep, top: int) -> None:
    t = rep.table
    a = t.attrs
    n = a["n_colors"]
    body = t[t["word"].map(lambda w: isinstance(w, str) and bool(w))]
    print(f"model: {rep.path}  (SU({n}), D={a['dim']}; target {a.get('target')}, "
          f"plane {a.get('plane')})")
    print(f"expansion: {a['n_words']:,} words before the trace -> {len(body):,} terms "
          f"({body['loop'].nunique():,} loops up to translation), constant {a['constant']:+.6g}"
          f"{'; output = site average' if a['pooled'] else ''}")
    im = " + im Im Tr[word](base)" if n > 2 else ""
    print(f"output(x) = sum c (1/{n}) Re Tr[word](base){im} + constant; "
          f"top {min(top, len(body))}:")
    im_head = f" {'im (ImTr)':>11}" if n > 2 else ""
    print(f"{'#':>3}  {'word':<24} {'base':<10} {'len':>3} {'area':>5} {'c (1/N ReTr)':>13}"
          + im_head)
    for i, row in enumerate(body.head(top).itertuples(), 1):
        area = "" if math.isnan(row.area) else f"{row.area:g}"
        im = f" {row.im:>+11.3g}" if n > 2 else ""
        print(f"{i:>3}  {row.word:<24} {_fmt_base(row.base):<10} {row.length:>3} {area:>5} "
              f"{row.re_n:>+13.6f}" + im)
    shape = "x".join(map(str, rep.shape))
    print(f"verification: max|expansion - network| / max|network| = {rep.verification:.2e} "
          f"(float64, Haar-random SU({n}) {shape})")
    for where, r in rep.target_residuals.items():
        label = "Haar-random" if where == "haar" else f"heat bath {where}"
        print(f"target (1/{n}) Re Tr[{rep.target_word}](x) on {label}: max|diff| "
              f"{r['max_abs']:.2e}, rms {r['rms']:.2e} (target rms {r['rms_target']:.3f})")
    e = rep.explanation
    if e is None:
        if rep.skipped:
            print(f"trace identities: skipped ({rep.skipped}; raise --max-terms)")
        return
    if n == 2:
        print("SU(2) trace identities (Tr W^dagger = Tr W; Tr A Tr B = Tr AB + Tr AB^dagger; "
              "W^2 = Tr(W) W - 1), found numerically among the model's own loops:")
        print(f"  Im parts: max |Im Tr|/2 = {e.max_imag:.1e} (SU(2) traces are real)")
    else:
        print(f"SU({n}) trace identities (Cayley-Hamilton), found numerically among the "
              "model's own loops:")
    print(f"  {e.n_terms} functions, rank {e.rank} with constant and target: "
          f"{e.n_identities} identities")
    if e.target_word:
        share = e.reshuffled / e.reduced if e.reduced else float("nan")
        print(f"  target coefficient: {e.direct:.6f} on the loop itself, {e.reduced:.6f} "
              f"after the identities -> {100 * share:.2f} % of it sits in reshuffled loops")
        print(f"  left after the identities: rms {e.rest_rms:.2e} besides target and constant "
              f"{e.constant_reduced:+.2e} (rewriting error {e.reduction_error:.1e})")
        if len(e.contributions):
            print("  largest reshuffled contributions (coefficient x identity):")
            for row in e.contributions.head(top).itertuples():
                print(f"    {row.contribution:+.4f}  {row.identity}")


def _explain(args: argparse.Namespace) -> int:
    from latticeml.loops.report import explain_model_file

    args.model = _best_on_validation(args.model)
    existed = args.out_dir is not None and Path(args.out_dir).is_dir()
    outputs = _check_explain_args(args)
    try:
        rep = explain_model_file(args.model, n_configs=args.configs, seed=args.seed,
                                 betas=tuple(args.beta), ensembles=tuple(args.ensembles),
                                 identities=not args.no_identities,
                                 max_terms=args.max_terms, top=args.top)
        summary = rep.summary(args.top)
        if args.json:
            print(json.dumps(summary, default=_plain))
        else:
            _print_report(rep, args.top)
        if outputs is not None:
            _write_outputs(rep, outputs, args)
    except BaseException:
        if outputs is not None and not existed:  # a refused run leaves no empty folder
            with contextlib.suppress(OSError):
                Path(args.out_dir).rmdir()
        raise
    return 0


def _best_on_validation(paths: list[str]) -> str:
    """Return the model file with the lowest recorded validation loss."""
    if len(paths) == 1:
        return paths[0]
    from latticeml.errors import ParameterError
    from latticeml.nn import load_model

    losses = []
    for p in paths:
        loss = load_model(p).info.get("best_val_loss")
        if not isinstance(loss, (int, float)) or not math.isfinite(loss):
            raise ParameterError("MODEL.pt", "model files that record a validation loss", p)
        losses.append(loss)
    best = min(range(len(paths)), key=lambda i: (losses[i], i))
    print(f"explaining {paths[best]}: lowest validation loss ({losses[best]:.4e}) of "
          f"{len(paths)} models", file=sys.stderr)
    return paths[best]


def _write_outputs(rep, outputs: dict[str, list[Path]], args: argparse.Namespace) -> None:
    from latticeml.data.atomic import atomic_path
    from latticeml.loops import count_loops, max_loop_counts
    from latticeml.loops.pictures import (
        loop_histogram_figure,
        reduction_figure,
        top_loops_figure,
    )
    from latticeml.plots.style import save_figure

    with atomic_path(outputs["csv"][0], force=True) as tmp:
        rep.table.to_csv(tmp, index=False, lineterminator="\n")
    with atomic_path(outputs["json"][0], force=True) as tmp:
        tmp.write_text(json.dumps(rep.summary(args.top), indent=1, default=_plain) + "\n")
    t = rep.table
    title = (f"{Path(args.model).stem}: largest terms, coefficients of "
             f"(1/{t.attrs['n_colors']}) Re Tr")
    written = [*outputs["csv"], *outputs["json"]]
    written += save_figure(top_loops_figure(t, args.top, title=title),
                           outputs["loops"][0].with_suffix(""))
    if rep.explanation is not None and rep.explanation.target_word:
        written += save_figure(reduction_figure(rep.explanation, t, args.top),
                               outputs["reduction"][0].with_suffix(""))
    spec = t.attrs.get("spec")
    try:
        counts = count_loops(spec) if spec is not None else None
    except Exception:  # noqa: BLE001 - the histogram is optional (e.g. too many products)
        counts = None
    if counts:
        label = args.name or Path(args.model).stem
        fig = loop_histogram_figure({f"{label} (architecture)": counts},
                                    max_loop_counts(int(t.attrs["dim"]), max(counts)))
        written += save_figure(fig, outputs["loop_counts"][0].with_suffix(""))
    print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)


def _draw(args: argparse.Namespace) -> int:
    from latticeml.errors import OutputExistsError, ParameterError
    from latticeml.loops.expand import parse_base
    from latticeml.loops.pictures import loop_figure
    from latticeml.loops.words import check_word
    from latticeml.plots.style import save_figure

    if len(args.word) > MAX_DRAW_STEPS:
        raise ParameterError("word", f"a loop of at most {MAX_DRAW_STEPS} steps",
                             f"{len(args.word)} steps", "draw a shorter loop")
    base = parse_base(args.base)
    word = check_word(args.word, max(2, len(base)), "word")
    stem = Path(args.out)
    targets = [stem.with_name(f"{stem.name}.png"), stem.with_name(f"{stem.name}.pdf")]
    if not stem.parent.is_dir():
        from latticeml.errors import OutputDirectoryError

        raise OutputDirectoryError(stem.parent)
    if not args.force:
        for path in targets:
            if path.exists():
                raise OutputExistsError(path)
    save_figure(loop_figure(word, base), stem)
    print("wrote " + ", ".join(map(str, targets)), file=sys.stderr)
    return 0
