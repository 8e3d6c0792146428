"""Control configurations of flux-violation detectors, built from the flux definition.

A configuration is closed iff ``div k = 0`` at every site
(:func:`latticeml.observables.flux.divergence`, outflow convention). The controls here are made
from that definition alone, not from Markov chains, so a detector that learned a proxy of its
training distribution (typical ``k`` and ``l`` values, winding numbers, densities) fails them
while an exact detector cannot.

Negative controls (closed, label 0):

* ``zero`` -- every ``k = 0``;
* ``wind_t(w)``, ``wind_x(w)``, ``wind_tx(a,b)`` -- uniform windings ``k_t = w`` (or
  ``k_x``, or both) at every site, several integers of both signs;
* ``line_t(w)``, ``line_x(w)`` -- one winding line of height ``w`` around the torus;
* ``curls(A)`` -- random superpositions of plaquette curls (the boundary of a plaquette,
  amplitudes uniform in ``[-A, A]``) with random winding lines: every closed configuration
  is of this form, ``A`` up to 40 gives large ``|k|``;
* ``rect(q)`` -- the boundary of a random rectangle carrying ``q`` units;
* ``chain+loop``, ``chain+wind`` -- closed configurations given as ``base`` (e.g. from a
  chain's test set) with a random closed loop or winding line added.

Each synthetic negative appears with ``l = 0`` and with random ``l >= 0`` (``l`` does not
enter the divergence). Positive controls (open, label 1): every negative with one open
string added (``+1`` of divergence at one end, ``-1`` at the other; straight strings of
several lengths in both directions and random walks, either orientation), and with two to
four strings (kind suffix ``+strings(m)``). Every label is checked with the divergence when
the controls are built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latticeml.errors import ParameterError
from latticeml.observables.flux import divergence

__all__ = ["FluxControls", "flux_controls", "is_violated", "plaquette_curl", "open_string",
           "CONTROL_SEED"]

#: Default seed of the controls (the evaluation stage uses it).
CONTROL_SEED = 0xF1C5


@dataclass(frozen=True)
class FluxControls:
    """Control configurations of one lattice.

    Attributes
    ----------
    kl : ndarray of int64, shape (n, 4, N_t, N_x)
        Channels ``(k_t, k_x, l_t, l_x)``, the network input layout.
    label : ndarray of int8, shape (n,)
        1: flux violated (some ``div k != 0``), 0: closed.
    kind : ndarray of str, shape (n,)
        How each configuration was built (e.g. ``wind_t(2)+string(5)``).
    """

    kl: np.ndarray
    label: np.ndarray
    kind: np.ndarray

    def __len__(self) -> int:
        return int(self.label.shape[0])

    @property
    def n_closed(self) -> int:
        """Number of negative (closed) controls."""
        return int(np.count_nonzero(self.label == 0))

    @property
    def n_open(self) -> int:
        """Number of positive (violated) controls."""
        return int(np.count_nonzero(self.label == 1))


def is_violated(k: np.ndarray) -> np.ndarray:
    """Flux violated: ``div k != 0`` at some site.

    Parameters
    ----------
    k : ndarray of int, shape (..., N_t, N_x, 2)
        Link fields, last axis nu = 0 (time), 1 (space).

    Returns
    -------
    ndarray of bool, shape (...)
    """
    return np.any(divergence(k) != 0, axis=(-2, -1))


def _check_shape(shape) -> tuple[int, int]:
    try:
        n_t, n_x = (int(s) for s in shape)
    except (TypeError, ValueError):
        raise ParameterError("shape", "(N_t, N_x)", shape) from None
    if n_t < 2 or n_x < 2:
        raise ParameterError("shape", "extents >= 2", shape)
    return n_t, n_x


def plaquette_curl(k: np.ndarray, t: int, x: int, q: int = 1) -> None:
    """Add ``q`` units of flux around the plaquette at ``(t, x)`` in place (stays closed).

    The loop runs ``(t, x) -> (t+1, x) -> (t+1, x+1) -> (t, x+1) -> (t, x)``, periodic.

    Parameters
    ----------
    k : ndarray of int, shape (N_t, N_x, 2)
        Link fields, modified in place.
    t, x : int
        Lower-left site of the plaquette.
    q : int
        Units of flux.
    """
    n_t, n_x = k.shape[:2]
    t1, x1 = (t + 1) % n_t, (x + 1) % n_x
    k[t, x, 0] += q
    k[t1, x, 1] += q
    k[t, x1, 0] -= q
    k[t, x, 1] -= q


def open_string(k: np.ndarray, start, steps, q: int = 1) -> tuple[int, int]:
    """Add a string of ``q`` units along a path in place; return its end site.

    Parameters
    ----------
    k : ndarray of int, shape (N_t, N_x, 2)
        Link fields, modified in place.
    start : (int, int)
        First site ``(t, x)``.
    steps : sequence of (int, int)
        ``(nu, sign)`` per step: ``sign = +1`` walks along ``+nu_hat``, ``-1`` against it.
    q : int
        Units carried (the divergence changes by ``+q`` at the start and ``-q`` at the end
        unless the path closes).

    Returns
    -------
    (int, int)
        The end site.
    """
    n_t, n_x = k.shape[:2]
    ext = (n_t, n_x)
    s = [int(start[0]) % n_t, int(start[1]) % n_x]
    for nu, sign in steps:
        if sign > 0:
            k[s[0], s[1], nu] += q
            s[nu] = (s[nu] + 1) % ext[nu]
        else:
            s[nu] = (s[nu] - 1) % ext[nu]
            k[s[0], s[1], nu] -= q
    return s[0], s[1]


def _curls(rng, n_t, n_x, amplitude: int, density: float) -> np.ndarray:
    k = np.zeros((n_t, n_x, 2), dtype=np.int64)
    q = rng.integers(-amplitude, amplitude + 1, size=(n_t, n_x))
    q[rng.random((n_t, n_x)) >= density] = 0
    for t, x in zip(*np.nonzero(q), strict=True):
        plaquette_curl(k, int(t), int(x), int(q[t, x]))
    for nu, n in ((0, n_x), (1, n_t)):  # random winding lines
        for _ in range(int(rng.integers(0, 3))):
            line = np.zeros((n_t, n_x), dtype=np.int64)
            at = int(rng.integers(n))
            w = int(rng.integers(-amplitude, amplitude + 1))
            if nu == 0:
                line[:, at] = w
            else:
                line[at, :] = w
            k[..., nu] += line
    return k


def _rect(rng, n_t, n_x, q: int) -> np.ndarray:
    k = np.zeros((n_t, n_x, 2), dtype=np.int64)
    a, b = int(rng.integers(1, n_t)), int(rng.integers(1, n_x))
    t0, x0 = int(rng.integers(n_t)), int(rng.integers(n_x))
    steps = [(0, 1)] * a + [(1, 1)] * b + [(0, -1)] * a + [(1, -1)] * b
    open_string(k, (t0, x0), steps, q)
    return k


def _winding(n_t, n_x, wt: int, wx: int) -> np.ndarray:
    k = np.zeros((n_t, n_x, 2), dtype=np.int64)
    k[..., 0], k[..., 1] = wt, wx
    return k


def _line(n_t, n_x, nu: int, w: int, at: int) -> np.ndarray:
    k = np.zeros((n_t, n_x, 2), dtype=np.int64)
    if nu == 0:
        k[:, at % n_x, 0] = w
    else:
        k[at % n_t, :, 1] = w
    return k


def _negatives(rng, n_t, n_x, base, n_random: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(kind, k, l)`` closed configurations (k, l of shape (N_t, N_x, 2))."""
    zero_l = np.zeros((n_t, n_x, 2), dtype=np.int64)
    ks: list[tuple[str, np.ndarray]] = [("zero", _winding(n_t, n_x, 0, 0))]
    for w in (1, -1, 2, -3, 7, 25):
        ks.append((f"wind_t({w})", _winding(n_t, n_x, w, 0)))
        ks.append((f"wind_x({w})", _winding(n_t, n_x, 0, w)))
    for a, b in ((1, 1), (1, -1), (-2, 3), (4, 4)):
        ks.append((f"wind_tx({a},{b})", _winding(n_t, n_x, a, b)))
    for w in (1, -1, 3):
        ks.append((f"line_t({w})", _line(n_t, n_x, 0, w, int(rng.integers(n_x)))))
        ks.append((f"line_x({w})", _line(n_t, n_x, 1, w, int(rng.integers(n_t)))))
    for q in (1, -1, 2):
        ks.append((f"rect({q})", _rect(rng, n_t, n_x, q)))
    for i in range(n_random):
        amp = (1, 1, 2, 5, 40)[i % 5]
        density = (0.05, 0.5, 1.0)[i % 3]
        ks.append((f"curls({amp})", _curls(rng, n_t, n_x, amp, density)))
    out = []
    for kind, k in ks:
        out.append((kind, k, zero_l))
        out.append((kind + "+l", k, rng.integers(0, 4, size=(n_t, n_x, 2)) * (rng.random(
            (n_t, n_x, 2)) < 0.3)))
    if base is not None:
        for i, (k0, l0) in enumerate(base):
            if i % 2 == 0:
                extra = _rect(rng, n_t, n_x, int(rng.choice([-2, -1, 1, 2])))
                kind = "chain+loop"
            else:
                nu = int(rng.integers(2))
                extra = _line(n_t, n_x, nu, int(rng.choice([-1, 1])),
                              int(rng.integers((n_x, n_t)[nu])))
                kind = "chain+wind"
            out.append((kind, k0 + extra, l0))
    return out


def _random_path(rng, n_t, n_x, i: int) -> tuple[str, list[tuple[int, int]]]:
    """Draw a path whose ends differ: straight in either direction or a random walk."""
    style = i % 3
    if style < 2:
        nu = style
        n = (n_t, n_x)[nu]
        lengths = [m for m in (1, 2, 3, 5, n // 2, n - 1) if 1 <= m < n]
        length = lengths[(i // 3) % len(lengths)]
        sign = 1 if (i // 3) % 2 == 0 else -1
        return f"string_{'tx'[nu]}({length})", [(nu, sign)] * length
    while True:
        length = int(rng.integers(1, 2 * (n_t + n_x)))
        steps = [(int(rng.integers(2)), int(rng.choice([-1, 1]))) for _ in range(length)]
        net = [sum(s for nu, s in steps if nu == d) for d in (0, 1)]
        if net[0] % n_t or net[1] % n_x:
            return f"walk({length})", steps


def _add_strings(rng, k, m: int, i: int) -> tuple[str, np.ndarray]:
    n_t, n_x = k.shape[:2]
    while True:
        out = k.copy()
        names = []
        for j in range(m):
            name, steps = _random_path(rng, n_t, n_x, i + 7 * j)
            start = (int(rng.integers(n_t)), int(rng.integers(n_x)))
            open_string(out, start, steps, int(rng.choice([-1, 1])))
            names.append(name)
        if is_violated(out):  # several strings can close each other; draw again
            return ("+" + names[0]) if m == 1 else f"+strings({m})", out


def flux_controls(shape, seed: int = CONTROL_SEED, *, base_k: np.ndarray | None = None,
                  base_l: np.ndarray | None = None, n_random: int = 10) -> FluxControls:
    """Negative (closed) and positive (open) controls on one lattice.

    Parameters
    ----------
    shape : (int, int)
        Lattice ``(N_t, N_x)``, extents >= 2.
    seed : int
        Seed (the same seed, shape and base give the same controls).
    base_k, base_l : ndarray of int, shape (n_base, N_t, N_x, 2), optional
        Closed configurations (e.g. from a test set) to which loops are added.
    n_random : int
        Random curl superpositions (>= 0).

    Returns
    -------
    FluxControls
        For every negative control: one positive with one string and (every other negative)
        one with two to four strings.

    Raises
    ------
    ParameterError
        On a bad shape or ``n_random``, or a ``base`` that is not closed or of another shape.
    """
    n_t, n_x = _check_shape(shape)
    if isinstance(n_random, bool) or not isinstance(n_random, (int, np.integer)) or n_random < 0:
        raise ParameterError("n_random", "an integer >= 0", n_random)
    base = None
    if base_k is not None:
        bk = np.asarray(base_k)
        bl = np.zeros_like(bk) if base_l is None else np.asarray(base_l)
        if bk.ndim != 4 or bk.shape[1:] != (n_t, n_x, 2) or bl.shape != bk.shape:
            raise ParameterError("base_k", f"(n, {n_t}, {n_x}, 2) closed configurations",
                                 f"shapes {bk.shape} and {bl.shape}")
        if not np.issubdtype(bk.dtype, np.integer) or is_violated(bk).any():
            raise ParameterError("base_k", "integer, closed (divergence-free) configurations",
                                 f"{int(is_violated(bk).sum())} violated of {len(bk)}, "
                                 f"dtype {bk.dtype}")
        base = list(zip(bk.astype(np.int64), bl.astype(np.int64), strict=True))
    rng = np.random.default_rng([int(seed), n_t, n_x, 0xF1C5])
    negatives = _negatives(rng, n_t, n_x, base, int(n_random))
    kinds, ks, ls, labels = [], [], [], []
    for kind, k, l in negatives:
        kinds.append(kind)
        ks.append(k)
        ls.append(l)
        labels.append(0)
    for i, (kind, k, l) in enumerate(negatives):
        for m in (1,) if i % 2 else (1, int(rng.integers(2, 5))):
            name, kk = _add_strings(rng, k, m, i)
            kinds.append(kind + name)
            ks.append(kk)
            ls.append(l)
            labels.append(1)
    k_all, l_all = np.stack(ks), np.stack(ls)
    label = np.asarray(labels, dtype=np.int8)
    if not np.array_equal(is_violated(k_all), label == 1):  # pragma: no cover - a bug here
        raise RuntimeError("flux_controls built a mislabelled control")
    kl = np.concatenate([np.moveaxis(k_all, -1, 1), np.moveaxis(l_all, -1, 1)], axis=1)
    return FluxControls(np.ascontiguousarray(kl, dtype=np.int64), label,
                        np.asarray(kinds, dtype=str))
