r"""Numba kernels of the dual (k, l) sampler: RNG, l-sweep, worm, open worms.

Length (~400 lines): a quarter of it is the derivation of detailed balance below, which
belongs next to the code it justifies.

Private: arrays in, arrays out, no validation or I/O (see :mod:`latticeml.scalar.generate`).

Storage inside the kernels: site ``x = t * N_x + x_1`` (C order), link ``(x, nu)`` joins
``x`` to ``x + nu_hat`` (``nu = 0`` time, ``1`` space); ``k``, ``l`` are ``(V, 2)`` int64,
``f`` is the site flux ``f_x = sum_{links b touching x} (|k_b| + 2 l_b)`` (V,) int64, kept up
to date incrementally. Links are always addressed as ``(site, nu)``, never as site pairs, so
``N_x = 2`` (two distinct x-links between the same two sites) is handled exactly.

Extended configuration space of the worm (derivation)
-----------------------------------------------------
Closed sector Z: divergence-free k, weight

    w_Z = prod_b e^{mu delta_{nu_b,0} k_b} / ((|k_b| + l_b)! l_b!)  prod_x W(f_x).

Open sector G: states (k, l, h, t, s), head h, tail t, orientation s = +-1, with
``div k (x) = s (delta_{x,t} - delta_{x,h})`` (outflow). Inserting ``phi_t phi*_h``
(or its conjugate) into the path integral gives the angular constraint above and one extra
power of ``r`` at ``h`` and at ``t``; with ``int r dr r^{f+1} ... = W(f+1)``:

    w_G = C * [links as in w_Z] * prod_x W(f_x + d_x),   d_x = [x = h] + [x = t],

so a head or tail site weighs ``W(f_x + 1)`` (``f_x`` odd there) and ``h = t`` weighs
``W(f_x + 2)`` (the insertion ``|phi_x|^2``). ``C > 0`` is free; it only fixes how much time is
spent in G. Any positive G weights leave the Z marginal exact; these are the physical ones.

Moves (Metropolis, acceptance ``min(1, R)``):

* start (Z -> G): pick ``x0`` uniformly (1/V) and ``s`` (1/2); reverse (close) is proposed
  with probability ``p`` when ``h = t``. With ``C = K / (2 V p)``:
  ``R_start = K W(f+2)/W(f)``, ``R_close = W(f) / (K W(f+2))``.
* head move: in G the step proposes ``close`` with probability ``p`` if ``h = t``, else a
  head move along one of the D = 2 axes ``nu`` (probability ``(1-p)/2`` if ``h = t``, ``1/2``
  otherwise), in the sense given by the lifting variable (below). Moving
  ``h -> h' = h +- nu_hat`` changes ``k`` on link ``(h, nu)`` by ``+s`` or on
  ``(h - nu_hat, nu)`` by ``-s``:

      R = e^{mu delta_{nu,0} dk} * (|k|+l)!/(|k'|+l)!
          * W(f_h + df + d_h - 1)/W(f_h + d_h) * W(f_h' + df + d_h' + 1)/W(f_h' + d_h')
          * q_rev/q_fwd,

  ``df = |k'| - |k| = +-1``, ``q_rev/q_fwd = 1/(1-p)`` if the move leaves ``h = t``,
  ``(1-p)`` if it arrives at ``h' = t``, else 1. With ``c(x) = 1-p`` if ``h = t`` in state
  ``x`` and 1 otherwise, ``A = min(1, R)`` satisfies the Metropolis-Hastings relation
  ``w_G(x) c(x) A(x -> x') = w_G(x') c(x') A(x' -> x)``, where ``x' -> x`` is the reverse
  move (the same link traversed back from ``h'``).

Lifting (non-reversible head moves; Diaconis-Holmes-Neal, Turitsyn-Chertkov-Vucelja; the
"lifted worm" of Elci et al., PRE 97, 042126 (2018)). A reversible Metropolis head mostly
retraces its last step, so it diffuses, and a change of the temporal winding needs a worm
that wraps around ``N_t`` (~``N_t^2`` diffusive steps). The head therefore carries one
direction bit per axis, ``sig_nu = +-1``, and proposes along axis ``nu`` only
``h -> h + sig_nu nu_hat``; if that move is rejected, ``sig_nu -> -sig_nu`` (nothing else
changes). The extended G states ``(x, sig)`` get weight ``w_G(x) / 4``. Global balance at
``(x, sig)`` for proposals along ``nu`` (moves along the other axis leave ``sig_nu`` alone and
balance among themselves in the same way; the close move keeps ``sig`` and is balanced pairwise
with the start as before): probability flows in from ``(x - sig_nu nu_hat, sig)`` by an
accepted move, ``w_G(x - sig_nu nu_hat) c/2 A(x - sig_nu nu_hat -> x) =
w_G(x) c(x)/2 A(x -> x - sig_nu nu_hat)`` by the Metropolis-Hastings relation, and from
``(x, sig with -sig_nu)`` by a rejected move, ``w_G(x) c(x)/2 (1 - A(x -> x - sig_nu nu_hat))``;
the sum, ``w_G(x) c(x) / 2``, is exactly the probability that leaves ``(x, sig)`` through a
proposal along ``nu``. So ``w / 4`` is stationary (though not reversible). ``sig`` is drawn
uniformly at every start (a Gibbs step on ``sig`` in Z), so a worm does not depend on the
``sig`` of the previous one, and the chain on configurations alone is Markov.

A *worm* is one start attempt followed by G steps until the chain is back in Z. Observed
only in Z, the chain is the induced (trace) chain of a chain with stationary weight ``w``
(stationarity suffices, reversibility is not needed: a recurrent chain watched on a subset
has the restriction of its stationary distribution as its own), so each worm is a kernel that
leaves ``w_Z`` invariant; a sweep applies a *fixed* number of them (a number that depends on
the trajectory, e.g. "until the total length exceeds V", biases the results). On 200x10
(eta = 4.01, lambda = 1, automatic n_worms) lifting both axes cut tau_int of ``n`` and
``|phi|^2`` in sweeps by 1.8x (mu = 0.94), 2.2x (0.95) and 2.8x (1.05) at the same cost per
worm step (lifting only the time axis gained less in a short scan).

l-update: ``l_b -> l_b +- 1`` (probability 1/2 each, ``l < 0`` rejected), with
``R = (|k|+l)! l! / ((|k|+l')! l'!) * W(f_x +- 2) W(f_y +- 2) / (W(f_x) W(f_y))``.

All ratios of site weights come from two tables built from differences of ``log W``:
``wup[f] = W(f+2)/W(f)`` and ``wdn[f] = W(f-2)/W(f)`` (for a head move only one site weight
changes: ``|k|`` grows -> ``wup[f_h' + d_h']`` at the new head, ``|k|`` shrinks ->
``wdn[f_h + d_h]`` at the old one), so no exponential or logarithm is evaluated per step.

Random numbers: xoshiro256** (Blackman & Vigna) on a ``uint64[4]`` state seeded by
splitmix64 from the user's seed, independent of Numba's global RNG; a head step uses one
64-bit draw (top bit: axis, low 53 bits: Metropolis test); a worm start uses one draw for the
site, one for ``s`` and ``sig`` (bits 63 and 61-62) and one for the start test.

The kernels return a status: 0 = ok, 1 = a site flux would exceed the table (``f_cap``).
"""

from __future__ import annotations

import numpy as np

from latticeml._numba import jit

__all__: list[str] = []  # private module

_MASK64 = (1 << 64) - 1


def seed_state(seed: int) -> np.ndarray:
    """xoshiro256** state (4 uint64) from an integer seed via splitmix64 (pure Python)."""
    z = int(seed) & _MASK64
    out = np.empty(4, dtype=np.uint64)
    for i in range(4):
        z = (z + 0x9E3779B97F4A7C15) & _MASK64
        x = z
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
        out[i] = x ^ (x >> 31)
    return out


@jit
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@jit
def _next(s):
    """Next 64-bit output of xoshiro256** (Blackman & Vigna); updates ``s`` in place."""
    result = _rotl(s[1] * np.uint64(5), 7) * np.uint64(9)
    t = s[1] << np.uint64(17)
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return result


@jit
def _uniform(s):
    """Uniform double in [0, 1) with 53 random bits."""
    return np.float64(_next(s) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@jit
def _randint(s, n):
    """Uniform integer in [0, n) (n << 2**53)."""
    return np.int64(_uniform(s) * n)


@jit
def random_uint64(s, n):
    """Return ``n`` raw outputs of the generator (for tests)."""
    out = np.empty(n, dtype=np.uint64)
    for i in range(n):
        out[i] = _next(s)
    return out


@jit
def site_flux(k, l, dn):
    """``f_x = sum over the 4 links touching x of (|k| + 2 l)``, shape (V,)."""
    V = k.shape[0]
    f = np.zeros(V, dtype=np.int64)
    for x in range(V):
        for nu in range(2):
            a = abs(k[x, nu]) + 2 * l[x, nu]
            b = dn[x, nu]
            a2 = abs(k[b, nu]) + 2 * l[b, nu]
            f[x] += a + a2
    return f


@jit
def divergence(k, dn):
    """Outflow ``sum_nu k_{x,nu} - k_{x-nu,nu}``, shape (V,)."""
    V = k.shape[0]
    d = np.zeros(V, dtype=np.int64)
    for x in range(V):
        for nu in range(2):
            d[x] += k[x, nu] - k[dn[x, nu], nu]
    return d


@jit
def _accept(r, rng):
    """Metropolis test: accept with probability ``min(1, r)``."""
    return r >= 1.0 or _uniform(rng) < r


@jit
def l_sweep(k, l, f, up, wup, wdn, f_cap, rng, counters):
    """One Metropolis sweep ``l -> l +- 1`` over all 2V links (closed sector)."""
    V = k.shape[0]
    for x in range(V):
        for nu in range(2):
            y = up[x, nu]
            kk = abs(k[x, nu])
            ll = l[x, nu]
            fx = f[x]
            fy = f[y]
            if _uniform(rng) < 0.5:
                if fx + 2 > f_cap or fy + 2 > f_cap:
                    return 1
                r = wup[fx] * wup[fy] / ((kk + ll + 1.0) * (ll + 1.0))
                if _accept(r, rng):
                    l[x, nu] = ll + 1
                    f[x] = fx + 2
                    f[y] = fy + 2
                    counters[3] += 1
            elif ll > 0:
                r = wdn[fx] * wdn[fy] * ((kk + ll) * np.float64(ll))
                if _accept(r, rng):
                    l[x, nu] = ll - 1
                    f[x] = fx - 2
                    f[y] = fy - 2
                    counters[3] += 1
    return 0


@jit
def worms(k, l, f, up, dn, wup, wdn, emu, n_worms, kfac, p_close, f_cap, rng, counters):
    """``n_worms`` worm start attempts, each run until the chain is back in Z.

    Lifted head moves (module docstring): ``sig`` holds one direction bit per axis
    (bit ``nu``: 0 = ``+nu_hat``, 1 = ``-nu_hat``), drawn uniformly at each start and flipped
    for axis ``nu`` when a proposed move along ``nu`` is rejected.
    ``wup[f] = W(f+2)/W(f)``, ``wdn[f] = W(f-2)/W(f)`` (from differences of ``log W``);
    ``emu = (e^{-mu}, e^{mu})``; ``kfac = K``. ``counters``: [0] accepted starts, [1] G steps,
    [2] accepted head moves.
    """
    V = k.shape[0]
    q_leave = 1.0 / (1.0 - p_close)
    q_enter = 1.0 - p_close
    n_started = 0
    n_steps = 0
    n_moved = 0
    status = 0
    for _ in range(n_worms):
        t = _randint(rng, V)
        # one 64-bit draw: bit 63 the orientation s, bits 61-62 the lifting directions sig
        x = _next(rng)
        s = 1 if (x >> np.uint64(63)) == 0 else -1
        sig = np.int64((x >> np.uint64(61)) & np.uint64(3))
        ft = f[t]
        if ft + 2 > f_cap:
            status = 1
            break
        if not _accept(kfac * wup[ft], rng):
            continue
        n_started += 1
        h = t
        while True:
            n_steps += 1
            q = 1.0
            if h == t:
                if _uniform(rng) < p_close:
                    if _accept(1.0 / (kfac * wup[f[h]]), rng):
                        break
                    continue
                q = q_leave
            # one 64-bit draw: top bit chooses the axis nu, low 53 bits the Metropolis test;
            # the sense along nu is the lifting bit of that axis
            x = _next(rng)
            nu = np.int64(x >> np.uint64(63))
            u = np.float64(x & np.uint64(0x1FFFFFFFFFFFFF)) * (1.0 / 9007199254740992.0)
            if (sig >> nu) & 1 == 0:
                b = h
                hn = up[h, nu]
                dk = s
            else:
                b = dn[h, nu]
                hn = b
                dk = -s
            kold = k[b, nu]
            ak = abs(kold)
            dh = 2 if h == t else 1
            dnn = 0
            if hn == t:
                dnn = 1
                q *= q_enter
            fh = f[h]
            fn = f[hn]
            if abs(kold + dk) > ak:
                # |k| grows: f_h + d_h unchanged at h, W(f' + 2)/W(f') at h'
                df = 1
                if fn + 1 > f_cap:
                    status = 1
                    break
                r = wup[fn + dnn] / (ak + l[b, nu] + 1.0)
            else:
                # |k| shrinks: W(f - 2)/W(f) at h (index f_h + d_h), unchanged at h'
                df = -1
                r = wdn[fh + dh] * (ak + l[b, nu])
            if nu == 0:
                r *= emu[(dk + 1) >> 1]
            if u < r * q:
                k[b, nu] = kold + dk
                f[h] = fh + df
                f[hn] = fn + df
                h = hn
                n_moved += 1
            else:
                sig ^= 1 << nu  # rejected: reverse the sense along this axis
        if status != 0:
            break
    counters[0] += n_started
    counters[1] += n_steps
    counters[2] += n_moved
    return status


@jit
def run_sweeps(k, l, f, up, dn, wup, wdn, emu, n_sweeps, n_worms, kfac, p_close, f_cap, rng,
               counters):  # fmt: skip
    """``n_sweeps`` sweeps, each one l-sweep followed by ``n_worms`` worms."""
    for _ in range(n_sweeps):
        st = l_sweep(k, l, f, up, wup, wdn, f_cap, rng, counters)
        if st != 0:
            return st
        st = worms(k, l, f, up, dn, wup, wdn, emu, n_worms, kfac, p_close, f_cap, rng, counters)
        if st != 0:
            return st
    return 0


@jit
def run_measured(k, l, f, up, dn, wup, wdn, emu, n_sweeps, n_worms, kfac, p_close, f_cap, rng,
                 counters, out_n, out_phi2):  # fmt: skip
    """Like :func:`run_sweeps`, measuring ``n`` and ``|phi|^2`` after every sweep."""
    V = k.shape[0]
    for i in range(n_sweeps):
        st = run_sweeps(
            k, l, f, up, dn, wup, wdn, emu, 1, n_worms, kfac, p_close, f_cap, rng, counters
        )
        if st != 0:
            return st
        a = 0.0
        b = 0.0
        for x in range(V):
            a += k[x, 0]
            b += wup[f[x]]
        out_n[i] = a / V
        out_phi2[i] = b / V
    return 0


@jit
def open_worms(k, l, f, up, dn, logw, logn, mu, n_open, min_steps, f_cap, rng):
    """Insert ``n_open`` open worms into a closed configuration (flux-violation data).

    Each worm starts at a random site of zero divergence with random orientation; its head
    performs Metropolis moves with the open-sector site weights ``W(f_x + |div_x|)`` for at
    least ``min_steps`` proposals and then until it rests on a site that had zero
    divergence (so ``|div| = 1`` there and the head differs from the tail). Afterwards
    exactly ``2 n_open`` sites have ``div = +-1``. ``l`` is left unchanged.
    """
    V = k.shape[0]
    div = divergence(k, dn)
    for _ in range(n_open):
        t = _randint(rng, V)
        while div[t] != 0:
            t = _randint(rng, V)
        s = 1 if _uniform(rng) < 0.5 else -1
        h = t
        step = 0
        while step < min_steps or abs(div[h]) != 1:
            step += 1
            d = _randint(rng, 4)
            nu = d >> 1
            if d & 1 == 0:
                b = h
                hn = up[h, nu]
                dk = s
            else:
                b = dn[h, nu]
                hn = b
                dk = -s
            kold = k[b, nu]
            ak = abs(kold)
            if abs(kold + dk) > ak:
                df = 1
                la = -logn[ak + l[b, nu] + 1]
            else:
                df = -1
                la = logn[ak + l[b, nu]]
            if nu == 0:
                la += mu * dk
            fh = f[h]
            fn = f[hn]
            if fh + df + 2 > f_cap or fn + df + 2 > f_cap:
                return 1
            dh0 = abs(div[h])
            dh1 = abs(div[h] + s)
            dn0 = abs(div[hn])
            dn1 = abs(div[hn] - s)
            la += logw[fh + df + dh1] - logw[fh + dh0] + logw[fn + df + dn1] - logw[fn + dn0]
            if la >= 0.0 or _uniform(rng) < np.exp(la):
                k[b, nu] = kold + dk
                f[h] = fh + df
                f[hn] = fn + df
                div[h] += s
                div[hn] -= s
                h = hn
    return 0
