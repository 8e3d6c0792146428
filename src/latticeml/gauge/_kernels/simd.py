"""SIMD primitives for the gauge kernels, written as Numba intrinsics in LLVM IR.

Length: one concept, all of it LLVM IR built by hand (~40 lines per intrinsic); kept in one
file because the intrinsics share the row/shuffle helpers and are reviewed together.

LLVM does not vectorise the scalar quaternion and 3x3 complex-matrix algebra of the gauge
updates by itself, and Numba has no vector types. The intrinsics here emit explicit
``<4 x double>`` IR instead (one vector per quaternion, two per row of a 3x3 complex matrix);
they are inlined into the calling kernel like any Numba function.

Values cross the Python-level interface as tuples of float64:

* a quaternion is a 4-tuple ``(a0, a1, a2, a3)`` in the convention of
  :mod:`latticeml.gauge._kernels.su2`;
* a 3x3 complex matrix is a 24-tuple of three padded rows
  ``(re0, im0, re1, im1, re2, im2, 0, 0)``, each handled as two ``<4 x double>`` halves; in
  memory the link layout stays the unpadded 18 float64 ``(re, im)`` row-major layout of
  :mod:`latticeml.gauge._kernels.su3`.

LLVM folds the tuple <-> vector conversions between consecutive intrinsics, so a chain of them
stays in vector registers. Loop-carried tuples do not (they become one scalar phi per lane):
accumulate in a small buffer instead (``m3acc_buf``).

Every lane computes IEEE products, sums and fused multiply-adds in a fixed order, so the
results are deterministic, do not depend on the number of threads running the caller, and are
the same on CPUs with narrower vectors (LLVM splits the operations). They differ from the scalar
formulas in rounding only (checked against NumPy in ``tests/gauge/test_simd.py``, and against
the portable primitives of :mod:`.scalar`, which have the same API, by the self-test of
:func:`latticeml.gauge._kernels.backend.simd_self_test` that ``backend="auto"`` runs).

Arrays passed to these intrinsics must be C-contiguous float64; offsets count float64 elements
and are not bounds-checked.

Portability: the IR uses only target-independent LLVM operations (vectors, shuffles,
``llvm.fma``, ``llvm.sqrt``, ``llvm.prefetch``); on a CPU without AVX LLVM splits the 256-bit
vectors, without FMA it calls ``fma()`` (same rounding, slower). The name of the prefetch
intrinsic depends on the LLVM version behind numba; if the IR does not compile, ``auto``
falls back to the scalar backend. The kernel tests also run with Numba targeting a generic
x86-64 CPU (``.ci/run``).

Caching: kernels that inline these intrinsics are keyed on this file's source
(:mod:`latticeml._numba`), so an edit here recompiles them.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils, errors
from numba.extending import intrinsic

__all__ = [
    "load4",
    "add4",
    "qmul",
    "qmul_nc",
    "qmul_cn",
    "m3load",
    "m3mul_nn_mem",
    "m3mul_dn_mem",
    "m3dagger",
    "m3zero_buf",
    "m3acc_buf",
    "m3load_buf",
    "m3store_buf",
    "m3left01",
    "m3left02",
    "m3left12",
    "m3reunit",
    "prefetch",
]

_F64 = ir.DoubleType()
_I32 = ir.IntType(32)
_I64 = ir.IntType(64)
_V4 = ir.VectorType(_F64, 4)
_Q = types.UniTuple(types.float64, 4)
_M = types.UniTuple(types.float64, 24)


# --- helpers (IR level) ----------------------------------------------------------------------
def _check_array(arr) -> None:
    if not (isinstance(arr, types.Array) and arr.dtype == types.float64 and arr.layout == "C"):
        raise errors.TypingError(f"expected a C-contiguous float64 array, got {arr}")


def _data_ptr(context, builder, arrty, arr, off, offty):
    """``double*`` to element ``off`` of the flat data of ``arr``."""
    ary = context.make_array(arrty)(context, builder, value=arr)
    return builder.gep(ary.data, [context.cast(builder, off, offty, types.intp)])


def _shuffle(builder: ir.IRBuilder, a: ir.Value, b: ir.Value, mask: list[int]) -> ir.Value:
    return builder.shuffle_vector(a, b, ir.Constant(ir.VectorType(_I32, len(mask)), mask))


def _fma(builder: ir.IRBuilder, a: ir.Value, b: ir.Value, c: ir.Value) -> ir.Value:
    """Return ``a * b + c`` rounded once, lane by lane (``llvm.fma`` on a vector type)."""
    n = a.type.count
    fnty = ir.FunctionType(a.type, [a.type] * 3)
    fn = cgutils.get_or_insert_function(builder.module, fnty, f"llvm.fma.v{n}f64")
    return builder.call(fn, [a, b, c])


def _sqrt(builder: ir.IRBuilder, x: ir.Value) -> ir.Value:
    fnty = ir.FunctionType(_F64, [_F64])
    return builder.call(cgutils.get_or_insert_function(builder.module, fnty, "llvm.sqrt.f64"), [x])


def _splat(builder: ir.IRBuilder, x: ir.Value, vecty: ir.VectorType) -> ir.Value:
    v = builder.insert_element(ir.Constant(vecty, ir.Undefined), x, ir.Constant(_I32, 0))
    return _shuffle(builder, v, v, [0] * vecty.count)


def _load_scalar(builder: ir.IRBuilder, base: ir.Value, k: int) -> ir.Value:
    return builder.load(builder.gep(base, [ir.Constant(_I64, k)]), align=8)


def _tuple_to_vectors(builder, tup, width: int, count: int) -> list[ir.Value]:
    vecty = ir.VectorType(_F64, width)
    out = []
    for r in range(count):
        vec = ir.Constant(vecty, ir.Undefined)
        for k in range(width):
            elem = builder.extract_value(tup, width * r + k)
            vec = builder.insert_element(vec, elem, ir.Constant(_I32, k))
        out.append(vec)
    return out


def _vectors_to_tuple(context, builder, vecs: list[ir.Value], tupty) -> ir.Value:
    tup = ir.Constant(context.get_value_type(tupty), ir.Undefined)
    width = vecs[0].type.count
    for r, vec in enumerate(vecs):
        for k in range(width):
            elem = builder.extract_element(vec, ir.Constant(_I32, k))
            tup = builder.insert_value(tup, elem, width * r + k)
    return tup


# --- quaternions ------------------------------------------------------------------------------
@intrinsic
def load4(typingctx, arr, off):
    """Load ``arr.flat[off:off + 4]`` as a 4-tuple (one vector load)."""
    _check_array(arr)

    def codegen(context, builder, sig, args):
        ptr = _data_ptr(context, builder, sig.args[0], args[0], args[1], sig.args[1])
        vec = builder.load(builder.bitcast(ptr, _V4.as_pointer()), align=8)
        return _vectors_to_tuple(context, builder, [vec], _Q)

    return _Q(arr, off), codegen


@intrinsic
def add4(typingctx, a, b):
    """Lane-wise sum of two 4-tuples."""

    def codegen(context, builder, sig, args):
        (va,) = _tuple_to_vectors(builder, args[0], 4, 1)
        (vb,) = _tuple_to_vectors(builder, args[1], 4, 1)
        return _vectors_to_tuple(context, builder, [builder.fadd(va, vb)], _Q)

    return _Q(_Q, _Q), codegen


# r = a b in the convention of latticeml.gauge._kernels.su2, as a combination of shuffles of a:
#   r = b0 a + b1 [-a1, a0, -a3, a2] + b2 [-a2, a3, a0, -a1] + b3 [-a3, -a2, a1, a0]
# (each bracket one two-source shuffle of (a, -a); indices 4..7 pick from -a)
_QMASKS = ([5, 0, 7, 2], [6, 3, 0, 5], [7, 6, 1, 0])
_CONJ = [0, 5, 6, 7]  # (a0, -a1, -a2, -a3) from (a, -a)


def _qmul_ir(builder: ir.IRBuilder, a, b, conj_a: bool, conj_b: bool) -> ir.Value:
    if conj_a:
        a = _shuffle(builder, a, builder.fneg(a), _CONJ)
    if conj_b:
        b = _shuffle(builder, b, builder.fneg(b), _CONJ)
    neg = builder.fneg(a)
    r = builder.fmul(_shuffle(builder, b, b, [0] * 4), a)
    for k, mask in enumerate(_QMASKS, start=1):
        r = _fma(builder, _shuffle(builder, b, b, [k] * 4), _shuffle(builder, a, neg, mask), r)
    return r


def _make_qmul(conj_a: bool, conj_b: bool, name: str, doc: str):
    def impl(typingctx, a, b):
        def codegen(context, builder, sig, args):
            (va,) = _tuple_to_vectors(builder, args[0], 4, 1)
            (vb,) = _tuple_to_vectors(builder, args[1], 4, 1)
            r = _qmul_ir(builder, va, vb, conj_a, conj_b)
            return _vectors_to_tuple(context, builder, [r], _Q)

        return _Q(_Q, _Q), codegen

    impl.__name__ = impl.__qualname__ = name
    impl.__doc__ = doc
    return intrinsic(impl)


qmul = _make_qmul(False, False, "qmul", "Quaternion product ``a b`` of two 4-tuples.")
qmul_nc = _make_qmul(False, True, "qmul_nc", "Quaternion product ``a b^dagger``.")
qmul_cn = _make_qmul(True, False, "qmul_cn", "Quaternion product ``a^dagger b``.")


# --- 3x3 complex matrices -------------------------------------------------------------------
# A row (re0, im0, re1, im1, re2, im2, 0, 0) is held as two 4-lane vectors (lanes 0-3, 4-7):
# 256-bit operations measured faster than 512-bit ones on this machine class (which has
# AVX-512), and they run unchanged on AVX2. Products are row oriented,
# row_i(A B) = sum_k A_ik row_k(B), with the complex scalar A_ik broadcast from memory (real
# and imaginary part separately) and i row_k(B) one shuffle.
_PAD = [6, 7]


class _Row:
    """An 8-lane row as two ``<4 x double>`` halves, with lane-wise IR operations."""

    __slots__ = ("lo", "hi")

    def __init__(self, lo: ir.Value, hi: ir.Value) -> None:
        self.lo, self.hi = lo, hi

    def map(self, fn, *others: _Row) -> _Row:
        return _Row(fn(self.lo, *(o.lo for o in others)), fn(self.hi, *(o.hi for o in others)))

    def lanes(self) -> list[tuple[ir.Value, int]]:
        return [(self.lo, k) for k in range(4)] + [(self.hi, k) for k in range(4)]


def _rshuffle(builder: ir.IRBuilder, a: _Row, b: _Row, mask: list[int]) -> _Row:
    """8-lane two-source shuffle (indices 8..15 pick from ``b``), half by half."""
    src = a.lanes() + b.lanes()
    halves = []
    for part in (mask[:4], mask[4:]):
        vecs: list[ir.Value] = []
        idx = []
        for m in part:
            vec, lane = src[m]
            if vec not in vecs:
                vecs.append(vec)
            idx.append(4 * vecs.index(vec) + lane)
        if len(vecs) > 2:
            raise ValueError(f"shuffle mask {mask} needs more than two source halves")
        halves.append(_shuffle(builder, vecs[0], vecs[-1], idx))
    return _Row(*halves)


def _rsplat(builder: ir.IRBuilder, x: ir.Value) -> _Row:
    v = _splat(builder, x, _V4)
    return _Row(v, v)


def _radd(builder, a: _Row, b: _Row) -> _Row:
    return a.map(builder.fadd, b)


def _rsub(builder, a: _Row, b: _Row) -> _Row:
    return a.map(builder.fsub, b)


def _rmul(builder, a: _Row, b: _Row) -> _Row:
    return a.map(builder.fmul, b)


def _rneg(builder, a: _Row) -> _Row:
    return a.map(builder.fneg)


def _rfma(builder, a: _Row, b: _Row, c: _Row) -> _Row:
    return a.map(lambda x, y, z: _fma(builder, x, y, z), b, c)


def _times_i(builder: ir.IRBuilder, row: _Row) -> _Row:
    """``i row``: every (re, im) lane pair becomes (-im, re); padding lanes kept."""
    return _rshuffle(builder, row, _rneg(builder, row), [9, 0, 11, 2, 13, 4, *_PAD])


def _conj(builder: ir.IRBuilder, row: _Row) -> _Row:
    return _rshuffle(builder, row, _rneg(builder, row), [0, 9, 2, 11, 4, 13, *_PAD])


def _rows_of(builder: ir.IRBuilder, tup: ir.Value) -> list[_Row]:
    v = _tuple_to_vectors(builder, tup, 4, 6)
    return [_Row(v[2 * r], v[2 * r + 1]) for r in range(3)]


def _tuple_of(context, builder: ir.IRBuilder, rows: list[_Row]) -> ir.Value:
    return _vectors_to_tuple(context, builder, [h for r in rows for h in (r.lo, r.hi)], _M)


def _load_rows(builder: ir.IRBuilder, base: ir.Value) -> list[_Row]:
    """Load the three rows of the unpadded matrix at ``base``, padded with zeros."""
    zero = ir.Constant(_F64, 0.0)
    rows = []
    for r in range(3):
        halves = []
        for h in range(2):
            vec = ir.Constant(_V4, ir.Undefined)
            for k in range(4):
                lane = 4 * h + k
                x = _load_scalar(builder, base, 6 * r + lane) if lane < 6 else zero
                vec = builder.insert_element(vec, x, ir.Constant(_I32, k))
            halves.append(vec)
        rows.append(_Row(*halves))
    return rows


def _mul_mem_left(builder: ir.IRBuilder, base, rows: list[_Row], dagger: bool) -> list[_Row]:
    """Rows of ``A B`` (``A^dagger B`` if ``dagger``), ``A`` read from memory at ``base``."""
    irows = [_times_i(builder, r) for r in rows]
    out = []
    for i in range(3):
        acc = None
        for k in range(3):
            e = 6 * k + 2 * i if dagger else 6 * i + 2 * k  # A_ki or A_ik
            re = _rsplat(builder, _load_scalar(builder, base, e))
            im = _load_scalar(builder, base, e + 1)
            im = _rsplat(builder, builder.fneg(im) if dagger else im)
            acc = _rmul(builder, re, rows[k]) if acc is None else _rfma(builder, re, rows[k], acc)
            acc = _rfma(builder, im, irows[k], acc)
        out.append(acc)
    return out


@intrinsic
def m3load(typingctx, arr, off):
    """Load the 3x3 complex matrix stored at ``arr.flat[off:off + 18]`` as a 24-tuple."""
    _check_array(arr)

    def codegen(context, builder, sig, args):
        base = _data_ptr(context, builder, sig.args[0], args[0], args[1], sig.args[1])
        return _tuple_of(context, builder, _load_rows(builder, base))

    return _M(arr, off), codegen


def _make_mem_product(dagger: bool, name: str, doc: str):
    def impl(typingctx, arr, off, b):
        _check_array(arr)

        def codegen(context, builder, sig, args):
            base = _data_ptr(context, builder, sig.args[0], args[0], args[1], sig.args[1])
            rows = _mul_mem_left(builder, base, _rows_of(builder, args[2]), dagger)
            return _tuple_of(context, builder, rows)

        return _M(arr, off, _M), codegen

    impl.__name__ = impl.__qualname__ = name
    impl.__doc__ = doc
    return intrinsic(impl)


m3mul_nn_mem = _make_mem_product(
    False, "m3mul_nn_mem", "``A B``: ``A`` stored at ``arr.flat[off:off + 18]``, ``B`` a 24-tuple."
)
m3mul_dn_mem = _make_mem_product(
    True, "m3mul_dn_mem", "``A^dagger B``: ``A`` stored at ``arr.flat[off:]``, ``B`` a 24-tuple."
)


@intrinsic
def m3dagger(typingctx, a):
    """Conjugate transpose of a 24-tuple matrix."""

    def codegen(context, builder, sig, args):
        p = _rows_of(builder, args[0])
        out = []
        for k in range(3):
            s = _rshuffle(builder, p[0], p[1], [2 * k, 2 * k + 1, 8 + 2 * k, 9 + 2 * k, 6, 7, 6, 7])
            t = _rshuffle(builder, s, p[2], [0, 1, 2, 3, 8 + 2 * k, 9 + 2 * k, 6, 7])
            out.append(_conj(builder, t))
        return _tuple_of(context, builder, out)

    return _M(_M), codegen


def _padded_half_ptrs(context, builder, arrty, arr, off, offty) -> list[ir.Value]:
    """Pointers to the six 4-lane halves of the padded matrix at ``arr.flat[off:off + 24]``."""
    base = _data_ptr(context, builder, arrty, arr, off, offty)
    return [
        builder.bitcast(builder.gep(base, [ir.Constant(_I64, 4 * h)]), _V4.as_pointer())
        for h in range(6)
    ]


def _halves(rows: list[_Row]) -> list[ir.Value]:
    return [h for r in rows for h in (r.lo, r.hi)]


@intrinsic
def m3zero_buf(typingctx, buf, off):
    """Set the padded matrix ``buf.flat[off:off + 24]`` to zero."""
    _check_array(buf)

    def codegen(context, builder, sig, args):
        for ptr in _padded_half_ptrs(context, builder, sig.args[0], args[0], args[1], sig.args[1]):
            builder.store(ir.Constant(_V4, [0.0] * 4), ptr, align=8)
        return context.get_dummy_value()

    return types.void(buf, off), codegen


@intrinsic
def m3acc_buf(typingctx, buf, off, a):
    """``buf.flat[off:off + 24] += a`` for a 24-tuple matrix ``a``."""
    _check_array(buf)

    def codegen(context, builder, sig, args):
        ptrs = _padded_half_ptrs(context, builder, sig.args[0], args[0], args[1], sig.args[1])
        for ptr, half in zip(ptrs, _halves(_rows_of(builder, args[2])), strict=True):
            builder.store(builder.fadd(builder.load(ptr, align=8), half), ptr, align=8)
        return context.get_dummy_value()

    return types.void(buf, off, _M), codegen


@intrinsic
def m3load_buf(typingctx, buf, off):
    """Load the padded matrix ``buf.flat[off:off + 24]`` as a 24-tuple."""
    _check_array(buf)

    def codegen(context, builder, sig, args):
        ptrs = _padded_half_ptrs(context, builder, sig.args[0], args[0], args[1], sig.args[1])
        halves = [builder.load(p, align=8) for p in ptrs]
        return _vectors_to_tuple(context, builder, halves, _M)

    return _M(buf, off), codegen


@intrinsic
def m3store_buf(typingctx, buf, off, a):
    """Store the 24-tuple matrix ``a`` to ``buf.flat[off:off + 24]`` (padded rows)."""
    _check_array(buf)

    def codegen(context, builder, sig, args):
        ptrs = _padded_half_ptrs(context, builder, sig.args[0], args[0], args[1], sig.args[1])
        for ptr, half in zip(ptrs, _halves(_rows_of(builder, args[2])), strict=True):
            builder.store(half, ptr, align=8)
        return context.get_dummy_value()

    return types.void(buf, off, _M), codegen


def _make_left(p: int, r: int):
    def impl(typingctx, a, q0, q1, q2, q3):
        def codegen(context, builder, sig, args):
            rows = _rows_of(builder, args[0])
            q = [
                _rsplat(builder, context.cast(builder, v, t, types.float64))
                for v, t in zip(args[1:], sig.args[1:], strict=True)
            ]
            rp, rr = rows[p], rows[r]
            ip, ir_ = _times_i(builder, rp), _times_i(builder, rr)
            # [[q0 + i q3, q2 + i q1], [-q2 + i q1, q0 - i q3]] acting on rows p and r
            new_p = _rmul(builder, q[0], rp)
            new_p = _rfma(builder, q[3], ip, new_p)
            new_p = _rfma(builder, q[2], rr, new_p)
            new_p = _rfma(builder, q[1], ir_, new_p)
            new_r = _rmul(builder, _rneg(builder, q[2]), rp)
            new_r = _rfma(builder, q[1], ip, new_r)
            new_r = _rfma(builder, q[0], rr, new_r)
            new_r = _rfma(builder, _rneg(builder, q[3]), ir_, new_r)
            rows[p], rows[r] = new_p, new_r
            return _tuple_of(context, builder, rows)

        return _M(_M, q0, q1, q2, q3), codegen

    impl.__name__ = impl.__qualname__ = f"m3left{p}{r}"
    impl.__doc__ = (
        f"Left-multiply a 24-tuple matrix by the SU(2) quaternion ``q`` embedded in rows and "
        f"columns {p}, {r}: block ``[[q0 + i q3, q2 + i q1], [-q2 + i q1, q0 - i q3]]``."
    )
    return intrinsic(impl)


m3left01 = _make_left(0, 1)
m3left02 = _make_left(0, 2)
m3left12 = _make_left(1, 2)


def _hsum(builder: ir.IRBuilder, row: _Row) -> ir.Value:
    """Sum of the 8 lanes, as ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))."""
    v = builder.fadd(row.lo, row.hi)
    v = builder.fadd(_shuffle(builder, v, v, [0, 1]), _shuffle(builder, v, v, [2, 3]))
    return builder.fadd(
        builder.extract_element(v, ir.Constant(_I32, 0)),
        builder.extract_element(v, ir.Constant(_I32, 1)),
    )


def _cmul_lanes(builder: ir.IRBuilder, x: _Row, y: _Row) -> _Row:
    """Complex products ``x_k y_k``, lane pair by lane pair."""
    re = _rshuffle(builder, x, x, [0, 0, 2, 2, 4, 4, *_PAD])
    im = _rshuffle(builder, x, x, [1, 1, 3, 3, 5, 5, *_PAD])
    return _rfma(builder, im, _times_i(builder, y), _rmul(builder, re, y))


def _normalise_row(builder: ir.IRBuilder, row: _Row) -> _Row:
    norm = _sqrt(builder, _hsum(builder, _rmul(builder, row, row)))
    inv = builder.fdiv(ir.Constant(_F64, 1.0), norm)
    return _rmul(builder, row, _rsplat(builder, inv))


@intrinsic
def m3reunit(typingctx, a):
    """Project a 24-tuple matrix (zero padding) onto SU(3).

    Gram-Schmidt of rows 0 and 1, then row 2 = conj(row 0 x row 1).
    """

    def codegen(context, builder, sig, args):
        r0, r1, _ = _rows_of(builder, args[0])
        r0 = _normalise_row(builder, r0)
        # p = <r0, r1> = sum_k conj(r0_k) r1_k;  r1 -= p r0
        pre = _hsum(builder, _rmul(builder, r0, r1))
        pim = builder.fneg(_hsum(builder, _rmul(builder, r0, _times_i(builder, r1))))
        proj = _rfma(builder, _rsplat(builder, pim), _times_i(builder, r0),
                     _rmul(builder, _rsplat(builder, pre), r0))  # fmt: skip
        r1 = _normalise_row(builder, _rsub(builder, r1, proj))
        rot1 = [2, 3, 4, 5, 0, 1, *_PAD]  # (x1, x2, x0)
        rot2 = [4, 5, 0, 1, 2, 3, *_PAD]  # (x2, x0, x1)
        a1, a2 = _rshuffle(builder, r0, r0, rot1), _rshuffle(builder, r0, r0, rot2)
        b1, b2 = _rshuffle(builder, r1, r1, rot1), _rshuffle(builder, r1, r1, rot2)
        cross = _rsub(builder, _cmul_lanes(builder, a1, b2), _cmul_lanes(builder, a2, b1))
        return _tuple_of(context, builder, [r0, r1, _conj(builder, cross)])

    return _M(_M), codegen


# --- memory ---------------------------------------------------------------------------------
@intrinsic
def prefetch(typingctx, arr, off):
    """Ask the CPU to fetch the cache line holding ``arr.flat[off]``.

    A hint only: no effect on results, and harmless for any address.
    """
    _check_array(arr)

    def codegen(context, builder, sig, args):
        ptr = _data_ptr(context, builder, sig.args[0], args[0], args[1], sig.args[1])
        i8p = ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(ir.VoidType(), [i8p, _I32, _I32, _I32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        # read access, high temporal locality, data cache
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(_I32, 0), ir.Constant(_I32, 3),
                          ir.Constant(_I32, 1)])  # fmt: skip
        return context.get_dummy_value()

    return types.void(arr, off), codegen
