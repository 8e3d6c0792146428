"""Design help: whether an architecture contains a given rectangular Wilson loop.

``can_express`` answers in three stages, cheapest first:

1. **bounds** (exact "no"): the longest path and the lattice extent along every axis that any
   path of the architecture can reach (free reduction only shortens paths);
2. **full expansion** (exact yes/no) when every layer stays below ``max_products`` products;
3. **pruned search** (exact "yes" with a witness, otherwise undecided): only paths that fit in
   the loop's bounding box and are not longer than ``prune_length`` are kept after every
   layer.  Every kept path is a genuine term of the architecture, so a hit proves the loop is
   contained; a miss proves nothing and is reported as ``contains=None``.

``minimal_architecture`` scans the paper-style L-CNNs (uniform kernel size, forward offsets,
no local term) by depth and kernel size for the smallest one that contains the loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from latticeml.errors import ParameterError
from latticeml.loops import layers as L
from latticeml.loops.spec import Architecture, architecture, run_layers
from latticeml.loops.words import LETTERS, canonical_loop, inverse, multiply, rectangle

__all__ = ["Expressibility", "parse_loop", "reach", "can_express", "minimal_architecture"]


@dataclass(frozen=True)
class Expressibility:
    """Answer of :func:`can_express`.

    Attributes
    ----------
    loop : str
        Canonical word of the requested loop (orientation as in ``W^{(a x b)}``).
    contains : bool or None
        Whether ``Tr loop`` or ``Tr loop^dagger`` is among the traced loops; ``None`` if the
        pruned search did not decide.
    oriented : tuple of bool
        ``(loop found, loop^dagger found)`` (``False, False`` when undecided).
    first_layer : int or None
        Smallest number of layers after which the loop appears in the trace.
    method : str
        ``'bounds'``, ``'expansion'`` or ``'pruned'``.
    detail : str
        One sentence explaining the answer.
    """

    loop: str
    contains: bool | None
    oriented: tuple[bool, bool]
    first_layer: int | None
    method: str
    detail: str


def parse_loop(text: str) -> tuple[int, int]:
    """``'4x4'`` -> ``(4, 4)``.

    Raises
    ------
    ParameterError
        If the text is not two positive integers joined by ``x``.
    """
    try:
        a, b = (int(v) for v in str(text).lower().split("x"))
    except ValueError:
        raise ParameterError("loop", "a rectangle AxB such as 2x2", text) from None
    if a < 1 or b < 1:
        raise ParameterError("loop", "positive extents AxB", text)
    return a, b


def reach(arch: Architecture) -> tuple[int, list[tuple[int, int]]]:
    """Upper bounds of path length and of the coordinate range per axis of every layer output.

    Returns
    -------
    (int, list of (int, int))
        Longest possible path and ``(min, max)`` coordinate along every axis (relative to the
        base site) of the last layer.
    """
    dim = arch.dim
    rng = [(0, 1) if any(a in p for p in (arch.planes or [(0, 1)])) else (0, 0)
           for a in range(dim)]
    if arch.planes is None:
        rng = [(0, 1)] * dim
    length = 4
    prev = (length, rng)
    for op in arch.layers:
        o = op.options
        if op.kind == "lbilin":
            other = prev if op.partner == "input" else (length, rng)
            prev = (length, rng)
            length = length + other[0]
            rng = [(min(r[0], q[0]), max(r[1], q[1])) for r, q in zip(rng, other[1], strict=True)]
            continue
        offs = L.offsets_of(dim, o["kernel_size"], o.get("dilation", 1), o.get("offsets",
                                                                               "forward"))
        t_len = length + 2 * max((abs(s) for _, s in offs), default=0)
        t_rng = list(rng)
        for ax, s in offs:
            lo, hi = t_rng[ax]
            t_rng[ax] = (min(lo, s + rng[ax][0], 0), max(hi, s + rng[ax][1], 0))
        prev = (length, rng)
        if op.kind == "lconv":
            length, rng = t_len, t_rng
        else:
            length = length + t_len
            rng = [(min(r[0], q[0]), max(r[1], q[1])) for r, q in zip(rng, t_rng, strict=True)]
    return length, rng


def _box_keep(a: int, b: int, mu: int, nu: int, dim: int, max_len: int):
    idx = {c: i for i, c in enumerate(LETTERS[:dim])}
    ext = [0] * dim
    ext[mu], ext[nu] = a, b

    def keep(w: str) -> bool:
        if len(w) > max_len:
            return False
        lo = [0] * dim
        hi = [0] * dim
        pos = [0] * dim
        for c in w:
            i = idx[c.lower()]
            pos[i] += 1 if c.islower() else -1
            if pos[i] > hi[i]:
                hi[i] = pos[i]
                if hi[i] - lo[i] > ext[i]:
                    return False
            elif pos[i] < lo[i]:
                lo[i] = pos[i]
                if hi[i] - lo[i] > ext[i]:
                    return False
        return True

    return keep


def _scan(states: Sequence[L.Terms], targets: tuple[str, str]) -> tuple[tuple[bool, bool],
                                                                         int | None]:
    first = None
    found = (False, False)
    for i, st in enumerate(states[1:], start=1):
        tr = L.trace(st)
        hit = (targets[0] in tr, targets[1] in tr)
        if any(hit) and first is None:
            first = i
        found = hit
    return found, first


def can_express(spec: Mapping | str | Architecture, a: int, b: int, *, plane=(0, 1),
                max_products: int = 2_000_000, prune_length: int | None = None,
                prune_products: int = 20_000_000) -> Expressibility:
    """Decide whether an architecture contains the ``a x b`` Wilson loop (either orientation).

    Parameters
    ----------
    spec : mapping, str or Architecture
        Preset name or ``build_model`` mapping.
    a, b : int
        Extents along ``plane[0]`` and ``plane[1]``.
    plane : (int, int)
        The plane ``(mu, nu)``.
    max_products : int
        Budget per layer of the full expansion.
    prune_length : int, optional
        Longest path kept by the pruned search (default ``2 (a + b)``, the loop length).
    prune_products : int
        Budget per layer of the pruned search.

    Returns
    -------
    Expressibility

    Raises
    ------
    ParameterError
        Bad spec, loop or plane.
    """
    arch = spec if isinstance(spec, Architecture) else architecture(spec)
    mu, nu = (int(p) for p in plane)
    if not (0 <= mu < arch.dim and 0 <= nu < arch.dim and mu != nu):
        raise ParameterError("plane", f"two different axes in [0, {arch.dim})", plane)
    word = rectangle(a, b, mu, nu)
    targets = (canonical_loop(word), canonical_loop(inverse(word)))
    n = len(word)
    max_len, rng = reach(arch)
    if max_len < n or rng[mu][1] - rng[mu][0] < a or rng[nu][1] - rng[nu][0] < b:
        return Expressibility(
            targets[0], False, (False, False), None, "bounds",
            f"paths of this architecture are at most {max_len} links long and span at most "
            f"{rng[mu][1] - rng[mu][0]} x {rng[nu][1] - rng[nu][0]} sites in the plane "
            f"{(mu, nu)}; the loop needs {n} links and {a} x {b}")
    try:
        states = run_layers(arch, max_products=max_products)
    except L.TooManyTermsError:
        states = None
    if states is not None:
        found, first = _scan(states, targets)
        msg = ("the loop is a term of the expansion" if any(found) else
               "the complete expansion does not contain the loop")
        return Expressibility(targets[0], any(found), found, first, "expansion", msg)
    cap = prune_length if prune_length is not None else n
    keep = _box_keep(a, b, mu, nu, arch.dim, cap)
    try:
        found, first = _pruned_search(arch, targets, keep, prune_products)
    except L.TooManyTermsError:
        return Expressibility(targets[0], None, (False, False), None, "pruned",
                              "too large to expand, and the pruned search exceeded its budget")
    if any(found):
        return Expressibility(targets[0], True, found, first, "pruned",
                              f"found as a product of paths inside the {a} x {b} box of at most "
                              f"{cap} links (a proof of containment)")
    return Expressibility(targets[0], None, (False, False), None, "pruned",
                          f"not found from paths inside the {a} x {b} box of at most {cap} "
                          "links; the full expansion is too large to decide")


def _tails(dim: int, depth: int) -> list[str]:
    """All reduced words of length ``<= depth`` (conjugating tails ``u`` of ``u c u^-1``)."""
    letters = LETTERS[:dim] + LETTERS[:dim].upper()
    out, layer = [""], [""]
    for _ in range(depth):
        layer = [w + c for w in layer for c in letters if not w or w[-1] != c.swapcase()]
        out += layer
    return out


def _factors(w: L.Terms, other: L.Terms, op, dim: int, keep) -> tuple[frozenset, frozenset]:
    """Return the factor sets ``A``, ``T`` of a product layer (``A = {1}`` for L-Conv)."""
    o = dict(op.options)
    if op.kind == "lbilin":
        a, _ = L._enlarge(w, o.get("conjugates", True), o.get("unit", True))
        t, _ = L._enlarge(other, o.get("conjugates", True), o.get("unit", True))
        return a, t
    offs = L.offsets_of(dim, o["kernel_size"], o.get("dilation", 1), o.get("offsets", "forward"))
    base = L._transported(w.words, offs, o.get("local", op.kind == "lconv"))
    if op.kind == "lconv":
        if o.get("unit", False):
            base.add("")
        return frozenset([""]), frozenset(base)
    conj = o.get("conjugates", True)
    t = set(base) | ({inverse(x) for x in base} if conj else set())
    if o.get("unit", True):
        t.add("")
    a, _ = L._enlarge(w, conj, o.get("unit", True))
    return a, frozenset(x for x in t if keep(x))


def _pruned_search(arch: Architecture, targets: tuple[str, str], keep, max_products: int,
                   tail_depth: int = 1) -> tuple[tuple[bool, bool], int | None]:
    """Search layer by layer; at every layer look for ``a t = u c u^-1`` directly.

    For every ``a`` of the left factor, every rotation ``c`` of the target and every tail
    ``u`` (``|u| <= tail_depth``) the right factor would have to be ``a^-1 u c u^-1``: one
    set lookup instead of all products.  Only the paths kept by ``keep`` are carried on.
    """
    rots = []
    for k, tgt in enumerate(targets):
        for i in range(len(tgt)):
            rots.append((k, tgt[i:] + tgt[:i]))
    tails = _tails(arch.dim, tail_depth)
    conj = [(k, multiply(multiply(u, c), inverse(u))) for k, c in rots for u in tails]
    w = L.plaq(arch.dim, arch.planes, conjugates=arch.plaq_conjugates)
    prev_in = w
    for i, op in enumerate(arch.layers, start=1):
        other = prev_in if op.partner == "input" else w
        left, right = _factors(w, other, op, arch.dim, keep)
        found = [False, False]
        for x in left:
            xi = inverse(x)
            for k, c in conj:
                if not found[k] and multiply(xi, c) in right:
                    found[k] = True
        if any(found):
            return (found[0], found[1]), i
        if i == len(arch.layers):
            break
        new = L.Terms(L._products(left, right, op.kind, max_products, keep))
        prev_in, w = w, new
    return (False, False), None


def minimal_architecture(a: int, b: int, *, max_depth: int = 4,
                         kernel_sizes: Sequence[int] = (2, 3, 4),
                         offsets: str = "forward", **kwargs) -> dict | None:
    """Smallest paper-style L-CNN (depth first, then uniform kernel size) containing the loop.

    Parameters
    ----------
    a, b : int
        Loop extents.
    max_depth : int
        Largest number of L-CB layers tried.
    kernel_sizes : sequence of int
        Kernel sizes tried (the same in every layer).
    offsets : {'forward', 'symmetric'}
        Offsets of the candidates.
    **kwargs
        Passed to :func:`can_express`.

    Returns
    -------
    dict or None
        The ``build_model`` mapping of the first candidate that provably contains the loop.
    """
    for depth in range(1, int(max_depth) + 1):
        for k in sorted(int(k) for k in kernel_sizes):
            spec = {"kind": "lcnn", "dim": 2, "channels": [1] * depth,
                    "kernel_sizes": [k] * depth, "offsets": offsets, "local": False}
            if can_express(spec, a, b, **kwargs).contains:
                return spec
    return None
