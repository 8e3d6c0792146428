"""Griffe extension for the API reference: reStructuredText habits of the docstrings as Markdown.

The docstrings are numpy style (what griffe parses) but use a few reStructuredText constructs
that Markdown would print literally. Before griffe parses a docstring, this extension rewrites
its text (the source files are not touched):

- Sphinx roles ``:func:`name```, ``:class:`~pkg.Name```, ... become code spans (```name```,
  ```Name```);
- a paragraph ending in ``::`` (a literal block follows) ends in ``:``, and a line that is only
  ``::`` is dropped; the indented block after it is a Markdown code block already;
- definition lists (a term line, then its description indented by four spaces) become Markdown
  definition lists (``def_list``), except inside the numpy sections griffe parses itself
  (Parameters, Returns, Attributes, ...).

Loaded by ``mkdocs.yml`` (mkdocstrings' ``extensions`` option). Standard library and griffe only.
"""

from __future__ import annotations

import re

import griffe

#: numpy sections that griffe parses into structured tables (left as they are)
_GRIFFE_SECTIONS = {
    "deprecated", "parameters", "other parameters", "type parameters", "returns", "yields",
    "receives", "raises", "warns", "examples", "attributes", "functions", "methods", "classes",
    "type aliases", "modules",
}
_ROLE = re.compile(r":(?:py:)?(?:mod|class|func|meth|attr|data|exc|obj|const):`(~?)([^`]+)`")


def _role(match: re.Match) -> str:
    target = match.group(2).strip()
    if "<" in target and target.endswith(">"):  # :func:`title <target>`
        target = target[: target.index("<")].strip()
    if match.group(1) == "~":
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def _is_underline(line: str) -> bool:
    return len(line) >= 3 and set(line.strip()) == {"-"}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def convert(text: str) -> str:
    """Return the docstring ``text`` with its reStructuredText constructs as Markdown."""
    text = _ROLE.sub(_role, text)
    lines = text.split("\n")
    out: list[str] = []
    section = ""  # the current numpy section ('' before the first)
    in_literal = False  # inside the indented block after '::'
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and _is_underline(nxt) and _indent(line) == 0:
            section = line.strip().lower()
            out += [line, nxt]
            in_literal = False
            i += 2
            continue
        if in_literal:
            if line.strip() and _indent(line) == 0:
                in_literal = False
            else:
                out.append(line)
                i += 1
                continue
        if line.rstrip().endswith("::"):
            stripped = line.rstrip()[:-2].rstrip()
            if stripped:
                out.append(stripped + ":")
            in_literal = True
            i += 1
            continue
        previous = out[-1] if out else ""
        starts_item = not previous.strip() or _is_underline(previous) or previous.startswith(
            ("    ", ":   "))
        if (section not in _GRIFFE_SECTIONS and line.strip() and _indent(line) == 0
                and starts_item and nxt.strip() and _indent(nxt) >= 4):
            # a definition-list item: term, then its indented description
            if previous.startswith(("    ", ":   ")):  # a blank line between two items
                out.append("")
            out.append(line)
            out.append(":   " + nxt.strip())
            i += 2
            while i < len(lines) and lines[i].strip() and _indent(lines[i]) >= 4:
                out.append("    " + lines[i].strip())
                i += 1
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


class RstToMarkdown(griffe.Extension):
    """Rewrite every docstring with :func:`convert` before griffe parses it."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:  # noqa: D102
        if obj.docstring is not None:
            obj.docstring.value = convert(obj.docstring.value)
