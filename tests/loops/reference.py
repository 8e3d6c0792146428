"""Slow, obviously correct twins of the loop-census kernel (brute-force walk enumeration)."""

from __future__ import annotations

STEPS = {"a": (1, 0), "A": (-1, 0), "b": (0, 1), "B": (0, -1)}


def closed_reduced_words(n: int) -> list[str]:
    """All closed, cyclically reduced words of length n on Z^2 (depth-first, with pruning)."""
    out: list[str] = []

    def rec(word: str, x: int, y: int) -> None:
        left = n - len(word)
        if abs(x) + abs(y) > left:
            return
        if left == 0:
            if word and word[-1] != word[0].swapcase():
                out.append(word)
            return
        for c, (dx, dy) in STEPS.items():
            if word and word[-1] == c.swapcase():
                continue
            rec(word + c, x + dx, y + dy)

    if n > 0:
        rec("", 0, 0)
    return out


def loop_classes(n: int) -> int:
    """Distinct traced loops of length n: rotation classes of closed cyclically reduced words."""
    if n == 0:
        return 1
    seen = set()
    for w in closed_reduced_words(n):
        seen.add(min(w[i:] + w[:i] for i in range(len(w))))
    return len(seen)
