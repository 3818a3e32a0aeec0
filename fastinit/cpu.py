"""Parallel CPU kernels: loops over runs of flat element indices.

A *run* is ``count`` consecutive elements of a tensor starting at flat index
``first``, written to ``out[0:count]``. Everything the package generates is one
or more runs; the kernels know nothing about shapes, fans or initializers.

Parallel Features
-----------------
Full 64-element groups (see :mod:`fastinit.philox`) are split into chunks of
``chunk_groups`` groups and the chunks are spread over Numba's thread pool with
``prange``; the at most 63 elements before the first and after the last full
group are computed one by one. Because each element's value is a pure function
of its index, the result is bit-identical for every thread count and chunk
size.
"""
import numba
import numpy as np

from ._jit import kernel, serial
from .philox import GROUP_BLOCKS, GROUP_ELEMENTS, block_bits
from .samplers import (
    NORMAL_F32, NORMAL_F64, TRUNC2_INV_F32, TRUNC2_INV_F64, TRUNC2_REJECT_F32, TRUNC2_REJECT_F64,
    UNIFORM_F32, UNIFORM_F64, sample, sample_element, uses_draw1,
)

#: Default number of 64-element groups per parallel work item (256 KiB of
#: float32): large enough to amortize scheduling, small enough to balance.
CHUNK_GROUPS = 1024

_G = np.uint64(GROUP_ELEMENTS)
_L = np.uint64(GROUP_BLOCKS)
_U0 = np.uint64(0)
_U1 = np.uint64(1)


@kernel
def _fill_run(out, first, k0, k1, kind, p0, p1, p2, chunk_groups):
    numba.literally(kind)  # resolved at compile time by the _ENTRY callers
    count = np.uint64(out.size)
    first = np.uint64(first)
    k0 = np.uint64(k0)
    k1 = np.uint64(k1)
    end = first + count
    g_begin = (first + _G - _U1) // _G
    g_end = end // _G
    if g_end <= g_begin:  # no full group: everything is an edge element
        _fill_elements(out, first, first, end, k0, k1, kind, p0, p1, p2)
        return
    _fill_elements(out, first, first, g_begin * _G, k0, k1, kind, p0, p1, p2)
    _fill_elements(out, first, g_end * _G, end, k0, k1, kind, p0, p1, p2)
    chunk = np.uint64(chunk_groups)
    n_chunks = np.int64((g_end - g_begin + chunk - _U1) // chunk)
    for c in numba.prange(n_chunks):
        ga = g_begin + np.uint64(c) * chunk
        _fill_groups(out, first, ga, min(ga + chunk, g_end), k0, k1, kind, p0, p1, p2)


@serial
def _fill_elements(out, first, i_begin, i_end, k0, k1, kind, p0, p1, p2):
    # Edge elements one at a time. Kept out of _fill_run: inlined there, this
    # loop made Numba compile the parallel section ~100x slower.
    for i in range(i_begin, i_end):
        out[i - first] = sample_element(kind, k0, k1, i, p0, p1, p2)


@serial
def _fill_groups(out, first, g_begin, g_end, k0, k1, kind, p0, p1, p2):
    # The vectorized inner loop: 16 independent Philox lanes per group; word w
    # of lane j is element 64g + 16w + j, so each word is a unit-stride store.
    for g in range(g_begin, g_end):
        o = g * _G - first
        b0 = g * _L
        for j in range(GROUP_BLOCKS):
            lane = np.uint64(j)
            b = b0 + lane
            x = block_bits(b, _U0, k0, k1)
            y = x
            if uses_draw1(kind):
                y = block_bits(b, _U1, k0, k1)
            out[o + lane] = sample(kind, k0, k1, b, _U0, x[0], y[0], p0, p1, p2)
            out[o + _L + lane] = sample(kind, k0, k1, b, _U1, x[1], y[1], p0, p1, p2)
            out[o + np.uint64(32) + lane] = sample(
                kind, k0, k1, b, np.uint64(2), x[2], y[2], p0, p1, p2)
            out[o + np.uint64(48) + lane] = sample(
                kind, k0, k1, b, np.uint64(3), x[3], y[3], p0, p1, p2)


# One entry point per sampler kind. Each passes its kind as a global constant,
# which Numba types as a literal, so _fill_run and the sampler dispatch are
# compiled for exactly that kind (and only when first used). A runtime
# ``numba.literally(kind)`` would do the same but costs ~8 ms of dispatcher
# work on every call.
@serial
def _fill_trunc2_inv_f32(out, first, k0, k1, p0, p1, p2, chunk):
    _fill_run(out, first, k0, k1, TRUNC2_INV_F32, p0, p1, p2, chunk)


@serial
def _fill_trunc2_inv_f64(out, first, k0, k1, p0, p1, p2, chunk):
    _fill_run(out, first, k0, k1, TRUNC2_INV_F64, p0, p1, p2, chunk)


@serial
def _fill_trunc2_reject_f32(out, first, k0, k1, p0, p1, p2, chunk):
    _fill_run(out, first, k0, k1, TRUNC2_REJECT_F32, p0, p1, p2, chunk)


@serial
def _fill_trunc2_reject_f64(out, first, k0, k1, p0, p1, p2, chunk):
    _fill_run(out, first, k0, k1, TRUNC2_REJECT_F64, p0, p1, p2, chunk)


@serial
def _fill_normal_f32(out, first, k0, k1, p0, p1, p2, chunk):
    _fill_run(out, first, k0, k1, NORMAL_F32, p0, p1, p2, chunk)


@serial
def _fill_normal_f64(out, first, k0, k1, p0, p1, p2, chunk):
    _fill_run(out, first, k0, k1, NORMAL_F64, p0, p1, p2, chunk)


@serial
def _fill_uniform_f32(out, first, k0, k1, p0, p1, p2, chunk):
    _fill_run(out, first, k0, k1, UNIFORM_F32, p0, p1, p2, chunk)


@serial
def _fill_uniform_f64(out, first, k0, k1, p0, p1, p2, chunk):
    _fill_run(out, first, k0, k1, UNIFORM_F64, p0, p1, p2, chunk)


_ENTRY = {
    TRUNC2_INV_F32: _fill_trunc2_inv_f32,
    TRUNC2_INV_F64: _fill_trunc2_inv_f64,
    TRUNC2_REJECT_F32: _fill_trunc2_reject_f32,
    TRUNC2_REJECT_F64: _fill_trunc2_reject_f64,
    NORMAL_F32: _fill_normal_f32,
    NORMAL_F64: _fill_normal_f64,
    UNIFORM_F32: _fill_uniform_f32,
    UNIFORM_F64: _fill_uniform_f64,
}


def fill_run(out, first, key, kind, params, chunk_groups=None):
    """Fill the 1-D contiguous array ``out`` with elements ``first .. first+out.size``.

    Parameters
    ----------
    out : numpy.ndarray, 1-D, C-contiguous, float32 or float64 matching ``kind``
    first : int
        Flat index of ``out[0]`` in the tensor (0 <= first < 2**64 - out.size).
    key : (int, int)
        Philox key words.
    kind : int
        Sampler kind (:mod:`fastinit.samplers`).
    params : (float, float, float)
        The kind's parameters.
    chunk_groups : int, optional
        Groups per parallel work item; results never depend on it.
    """
    if out.size == 0:
        return
    p0, p1, p2 = (float(p) for p in params)
    chunk = CHUNK_GROUPS if chunk_groups is None else int(chunk_groups)
    if chunk < 1:
        raise ValueError(f"chunk_groups must be >= 1; got {chunk}")
    _ENTRY[kind](out, np.uint64(first), np.uint64(key[0]), np.uint64(key[1]), p0, p1, p2, chunk)


@kernel
def _fill_constant(out, value, chunk):
    n = out.size
    n_chunks = (n + chunk - 1) // chunk
    for c in numba.prange(n_chunks):
        a = np.uint64(c * chunk)
        b = min(a + np.uint64(chunk), np.uint64(n))
        for i in range(a, b):
            out[i] = value


def fill_constant(out, value):
    """Parallel constant write of ``value`` into the 1-D contiguous ``out``.

    Also the speed baseline of the benchmarks: the fastest any fill can be.
    """
    if out.size:
        _fill_constant(out, out.dtype.type(value), CHUNK_GROUPS * GROUP_ELEMENTS)


@kernel
def _moments(x, chunk):
    n = x.size
    n_chunks = (n + chunk - 1) // chunk
    s1 = np.zeros(n_chunks)
    s2 = np.zeros(n_chunks)
    lo = np.full(n_chunks, np.inf)
    hi = np.full(n_chunks, -np.inf)
    for c in numba.prange(n_chunks):
        a = np.uint64(c * chunk)
        b = min(a + np.uint64(chunk), np.uint64(n))
        t1 = 0.0
        t2 = 0.0
        mn = np.inf
        mx = -np.inf
        for i in range(a, b):
            v = np.float64(x[i])
            t1 += v
            t2 += v * v
            mn = min(mn, v)
            mx = max(mx, v)
        s1[c] = t1
        s2[c] = t2
        lo[c] = mn
        hi[c] = mx
    return s1.sum(), s2.sum(), lo.min(), hi.max()


def summary(x):
    """Mean, standard deviation, min and max of a 1-D contiguous array in one
    parallel pass, without temporaries proportional to its size."""
    n = x.size
    if n == 0:
        raise ValueError("summary of an empty array")
    s1, s2, lo, hi = _moments(x, 1 << 16)
    mean = s1 / n
    return mean, max(s2 / n - mean * mean, 0.0) ** 0.5, lo, hi
