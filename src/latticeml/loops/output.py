"""What ``latticeml loops explain`` prints and writes: the report text, the table and figures."""

from __future__ import annotations

import json
import math
from pathlib import Path

__all__ = ["explanation_paths", "prepare_explanation", "format_report", "write_explanation",
           "draw_loop"]


def explanation_paths(out_dir: Path, name: str) -> dict[str, list[Path]]:
    """Return the files of an explanation: ``{"csv", "json", "loops", "reduction", "loop_counts"}``.

    The figures are lists of the PNG and the PDF file.
    """
    fig = {k: [out_dir / f"{name}_{k}.png", out_dir / f"{name}_{k}.pdf"]
           for k in ("loops", "reduction", "loop_counts")}
    return {"csv": [out_dir / f"{name}_expansion.csv"],
            "json": [out_dir / f"{name}_summary.json"], **fig}


def _plain(obj):
    """JSON fallback for NumPy scalars."""
    return obj.item() if hasattr(obj, "item") else str(obj)


def _fmt_base(base: str) -> str:
    return "x" if not base.strip("0,") else f"x+({base})"


def prepare_explanation(out_dir, name: str, *, force: bool = False) -> dict[str, list[Path]]:
    """Check and create the output folder of an explanation; return its files.

    Raises
    ------
    ParameterError
        If ``out_dir`` is a file or cannot be created, or ``name`` is not a file-name prefix.
    OutputExistsError
        If a file exists and ``force`` is false.
    """
    from latticeml.errors import OutputExistsError, ParameterError

    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ParameterError("--out-dir", "a directory", str(out_dir), "it is a file")
    if not name or "/" in name:
        raise ParameterError("--name", "a file-name prefix without '/'", name)
    outputs = explanation_paths(out_dir, name)
    if not force:
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


def format_report(rep, top: int) -> str:
    """Return the text ``latticeml loops explain`` prints for an :class:`ExplainReport`.

    Parameters
    ----------
    rep : ExplainReport
    top : int
        Terms (and reshuffled contributions) listed.
    """
    lines: list[str] = []
    print = lines.append  # noqa: A001 - the report is built line by line
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
        return "\n".join(lines)
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
    return "\n".join(lines)


def write_explanation(rep, outputs: dict[str, list[Path]], top: int, *, label: str) -> list[Path]:
    """Write the expansion table, the summary and the figures of an explanation.

    Parameters
    ----------
    rep : ExplainReport
    outputs : dict
        From :func:`explanation_paths` (existing files are replaced: the caller checks first).
    top : int
        Terms drawn and summarised.
    label : str
        Name of the model in titles and legends.

    Returns
    -------
    list of Path
        The files written.
    """
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
        tmp.write_text(json.dumps(rep.summary(top), indent=1, default=_plain) + "\n")
    t = rep.table
    title = (f"{label}: largest terms, coefficients of "
             f"(1/{t.attrs['n_colors']}) Re Tr")
    written = [*outputs["csv"], *outputs["json"]]
    written += save_figure(top_loops_figure(t, top, title=title),
                           outputs["loops"][0].with_suffix(""))
    if rep.explanation is not None and rep.explanation.target_word:
        written += save_figure(reduction_figure(rep.explanation, t, top),
                               outputs["reduction"][0].with_suffix(""))
    spec = t.attrs.get("spec")
    try:
        counts = count_loops(spec) if spec is not None else None
    except Exception:  # noqa: BLE001 - the histogram is optional (e.g. too many products)
        counts = None
    if counts:
        fig = loop_histogram_figure({f"{label} (architecture)": counts},
                                    max_loop_counts(int(t.attrs["dim"]), max(counts)))
        written += save_figure(fig, outputs["loop_counts"][0].with_suffix(""))
    return written


def draw_loop(word: str, base: str, png: Path, *, force: bool = False,
              max_steps: int = 512) -> list[Path]:
    """Draw a loop given as a word on the lattice; write ``png`` and the PDF beside it.

    Parameters
    ----------
    word : str
        The loop (``a``/``b``...: steps along +0/+1..., upper case: back).
    base : str
        Start relative to the output site, ``"0,0"``.
    png : Path
        The PNG file; its folder must exist.
    force : bool
        Replace existing files.
    max_steps : int
        Longest word accepted.

    Returns
    -------
    list of Path
        The PNG and the PDF.

    Raises
    ------
    ParameterError, OutputExistsError, OutputDirectoryError
        Before anything is drawn.
    """
    from latticeml.errors import OutputDirectoryError, OutputExistsError, ParameterError
    from latticeml.loops.expand import parse_base
    from latticeml.loops.pictures import loop_figure
    from latticeml.loops.words import check_word
    from latticeml.plots.style import save_figure

    if len(word) > max_steps:
        raise ParameterError("word", f"a loop of at most {max_steps} steps",
                             f"{len(word)} steps", "draw a shorter loop")
    offset = parse_base(base)
    checked = check_word(word, max(2, len(offset)), "word")
    png = Path(png)
    targets = [png.with_suffix(".png"), png.with_suffix(".pdf")]
    if not png.parent.is_dir():
        raise OutputDirectoryError(png.parent)
    if not force:
        for path in targets:
            if path.exists():
                raise OutputExistsError(path)
    save_figure(loop_figure(checked, offset), png.with_suffix(""))
    return targets
