"""Paths on a hypercubic lattice as words of oriented link steps; free and cyclic reduction.

Alphabet
--------
A step ``+mu`` along axis ``mu`` is the lower-case letter ``"abcdefgh"[mu]`` (the link
``U_mu(x)``), the step ``-mu`` the upper-case letter (``U_mu(x - mu)^dagger``).  A *word* is a
``str`` of such letters read left to right as a matrix product, e.g. the plaquette
``U_{x,01} = U_0(x) U_1(x+0) U_0(x+1)^dagger U_1(x)^dagger`` is ``"abAB"``.  The inverse
(hermitian conjugate) of a word is its reversed, case-swapped string.  Words carry no base
site: every word stands for the same path started at every site ``x`` (all objects of an L-CNN
are translation covariant).

* A *path* (locally transforming object at ``x``) is a closed, freely reduced word: no letter
  next to its inverse (``U U^dagger = 1``).  The empty word is the unit matrix.
* A *traced loop* ``Tr w`` is identified with the cyclically reduced word up to cyclic
  rotation (rotation = moving the base site along the loop = a lattice translation);
  orientation is kept (``Tr U_p`` and ``Tr U_p^dagger`` are two loops).  Its canonical form is
  the lexicographically smallest rotation of the cyclically reduced word.
"""

from __future__ import annotations

from latticeml.errors import ParameterError

__all__ = [
    "LETTERS",
    "MAX_DIM",
    "letter",
    "inverse",
    "reduce_word",
    "multiply",
    "line",
    "transport",
    "displacement",
    "is_closed",
    "cyclic_reduce",
    "canonical_loop",
    "loop_length",
    "signed_area",
    "rectangle",
    "plaquette",
    "check_word",
]

LETTERS = "abcdefgh"
#: Largest number of lattice dimensions the alphabet covers.
MAX_DIM = len(LETTERS)


def letter(axis: int, sign: int = 1) -> str:
    """Letter of one step along ``axis`` (``sign=+1`` forward, ``-1`` backward)."""
    if not 0 <= int(axis) < MAX_DIM:
        raise ParameterError("axis", f"an integer in [0, {MAX_DIM})", axis)
    c = LETTERS[int(axis)]
    return c if sign > 0 else c.upper()


def inverse(word: str) -> str:
    """Inverse (hermitian conjugate) of a word: reversed, with every step flipped."""
    return word[::-1].swapcase()


def reduce_word(word: str) -> str:
    """Free reduction: remove adjacent pairs ``x X`` / ``X x`` until none is left."""
    out: list[str] = []
    for c in word:
        if out and out[-1] == c.swapcase():
            out.pop()
        else:
            out.append(c)
    return "".join(out)


def multiply(u: str, v: str) -> str:
    """Product of two *reduced* words, reduced (cancellation only at the junction)."""
    n = min(len(u), len(v))
    k = 0
    while k < n and u[-1 - k] == v[k].swapcase():
        k += 1
    return u[: len(u) - k] + v[k:]


def line(axis: int, s: int) -> str:
    """Straight Wilson line ``G_(axis, s)`` from ``x`` to ``x + s axis`` (``s`` signed)."""
    return letter(axis, 1 if s > 0 else -1) * abs(int(s))


def transport(word: str, axis: int, s: int) -> str:
    """Parallel transport ``G W(x + s axis) G^dagger`` of a path to ``x``, reduced."""
    g = line(axis, s)
    return multiply(multiply(g, word), inverse(g))


def displacement(word: str, dim: int | None = None) -> tuple[int, ...]:
    """Net lattice displacement of a word (all zero for a closed path)."""
    d = dim if dim is not None else max((LETTERS.index(c.lower()) + 1 for c in word), default=0)
    out = [0] * d
    for c in word:
        i = LETTERS.index(c.lower())
        out[i] += 1 if c.islower() else -1
    return tuple(out)


def is_closed(word: str) -> bool:
    """Return True if the path returns to its start."""
    return not any(displacement(word))


def cyclic_reduce(word: str) -> str:
    """Strip ``u ... u^{-1}`` from a reduced word (the trace does not see conjugation)."""
    i, j = 0, len(word) - 1
    while i < j and word[i] == word[j].swapcase():
        i += 1
        j -= 1
    return word[i : j + 1]


def canonical_loop(word: str) -> str:
    """Canonical form of the traced loop ``Tr word``: smallest rotation, cyclically reduced.

    Parameters
    ----------
    word : str
        A freely reduced closed word.

    Returns
    -------
    str
        The lexicographically smallest cyclic rotation of the cyclically reduced word
        (``""`` for the trivial loop ``Tr 1``).
    """
    c = cyclic_reduce(word)
    n = len(c)
    if n < 2:
        return c
    d = c + c
    return min(d[i : i + n] for i in range(n))


def loop_length(word: str) -> int:
    """Return the number of links of the traced loop of ``word`` (cyclically reduced)."""
    return len(cyclic_reduce(word))


def signed_area(word: str, mu: int = 0, nu: int = 1) -> float:
    """Signed area enclosed in the ``(mu, nu)`` plane (shoelace formula of the projection)."""
    x = y = 0
    area2 = 0
    for c in word:
        i = LETTERS.index(c.lower())
        st = 1 if c.islower() else -1
        if i == mu:
            area2 -= y * st  # x += st:  contributes x dy - y dx with dy = 0
            x += st
        elif i == nu:
            area2 += x * st
            y += st
    return area2 / 2


def rectangle(a: int, b: int, mu: int = 0, nu: int = 1) -> str:
    """Return the ``a x b`` Wilson loop word (``a`` steps ``+mu``, ``b`` ``+nu``, back).

    Same orientation as ``W^{(a x b)}`` in ARCHITECTURE.md §3; ``rectangle(1, 1)`` is the
    plaquette ``"abAB"``.
    """
    if int(a) < 1 or int(b) < 1:
        raise ParameterError("loop", "positive extents a x b", (a, b))
    if mu == nu:
        raise ParameterError("plane", "two different axes mu != nu", (mu, nu))
    return line(mu, a) + line(nu, b) + line(mu, -a) + line(nu, -b)


def plaquette(mu: int = 0, nu: int = 1) -> str:
    """Return the plaquette ``U_{x, mu nu}`` as a word."""
    return rectangle(1, 1, mu, nu)


def check_word(word: str, dim: int, name: str = "word") -> str:
    """Validate a user-given word: letters of the first ``dim`` axes, closed; return it reduced.

    Raises
    ------
    ParameterError
        For foreign letters or an open path.
    """
    allowed = set(LETTERS[:dim] + LETTERS[:dim].upper())
    bad = sorted(set(word) - allowed)
    if bad:
        raise ParameterError(name, f"letters among {''.join(sorted(allowed))!r}", word,
                             f"unknown letters {bad}; lower case = forward step")
    w = reduce_word(word)
    if any(displacement(w, dim)):
        raise ParameterError(name, "a closed path", word,
                             f"it ends at displacement {displacement(w, dim)}")
    return w
