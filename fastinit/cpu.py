"""Parallel CPU kernels: loops over runs of flat element indices.

A *run* is a stretch of consecutive flat indices of a tensor. Everything the
package generates is a sequence of equally long runs - the whole tensor is one
run, a region (shard) of it is one run per row of its outer dimensions, and a
streamed file is written window by window - so a kernel needs only the
description of the runs and a destination:

* ``outer_len``, ``outer_start``, ``outer_stride`` (int64 arrays, one entry per
  outer dimension): run ``r``, with mixed-radix digits ``d`` of ``r`` over
  ``outer_len``, starts at flat index
  ``inner_first + sum((outer_start + d) * outer_stride)``;
* ``run_len``: elements per run;
* ``out`` receives positions ``pos .. pos + out.size`` of the concatenated runs.

The kernels know nothing about shapes, fans or initializers.

Parallel Features
-----------------
Long runs are split into chunks of ``chunk_groups`` 64-element groups (see
:mod:`fastinit.philox`) spread over Numba's thread pool with ``prange``; many
short runs are spread over the pool in batches. Partial groups at the ends of
a long span are computed as whole groups into scratch space (or element by
element when only a few are needed); short runs (a narrow region's rows)
gather the groups they touch, 32 at a time, compute those groups' Philox
words into scratch space and transform only their own elements. Because each
element's value is a pure function of its index, the result is bit-identical
for every thread count, chunk size and split.
"""
import math
import os
import threading

import numba
import numpy as np

from numba.extending import overload

from . import dtypes
from ._jit import (
    NAN_VECTOR_BYTES, append_nans, borrowed, kernel, scalar, serial, swap_parallel_chunksize,
)
from .philox import (
    GROUP_BLOCKS, GROUP_ELEMENTS, block_bits, element_block, element_word, pick_word,
)
from .samplers import (
    BITS_U32, N_PARAMS, NORMAL_F32, NORMAL_F64, TRUNC2_INV_F32, TRUNC2_INV_F64, TRUNC2_REJECT_F32,
    TRUNC2_REJECT_F64, TRUNC_CDF_F32, TRUNC_CDF_F64, TRUNC_CDF_NARROW_F32, TRUNC_TAIL_F32,
    OUTER_FUNCTIONS, TRUNC_TAIL_F64, UNIFORM_F32, UNIFORM_F64, _literal_kind, has_fast_path,
    has_outer_batch, sample, sample_complete, sample_element, sample_outer, uses_draw1,
)
from .transforms import narrow_16

#: Default number of 64-element groups per parallel work item (256 KiB of
#: float32): large enough to amortize scheduling, small enough to balance.
CHUNK_GROUPS = 1024

#: Elements per kernel launch: an interrupt waits for at most one launch
#: (2**24 elements: ~4 ms for lecun_normal float32, ~0.25 s for the slowest
#: sampler, the float64 rejection kind, still scalar at 10-15 ns per element).
INTERRUPT_WINDOW = 1 << 24

#: Below this many elements a partial group is computed element by element;
#: above it, as a whole group (vectorized) into scratch space. Measured on
#: one thread: 12 ns per element alone, 75-125 ns for a group into scratch.
_SCALAR_EDGE = 8

_G = np.uint64(GROUP_ELEMENTS)
_L = np.uint64(GROUP_BLOCKS)
_U0 = np.uint64(0)
_U1 = np.uint64(1)
_U32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_ABS_MASK = np.uint32(0x7FFFFFFF)
_NAN_CARRY = np.uint32(0x007FFFFF)
_SIGN32 = np.uint32(0x80000000)

#: Most elements one _groups_vectorized call covers (64 groups).
_BATCH = GROUP_ELEMENTS * GROUP_ELEMENTS

#: Entries past a batch's misses that append_nans may write (a vector's).
_NAN_SLACK = NAN_VECTOR_BYTES // 4


@serial
def _groups_vectorized(out, o0, g0, gids, n, k0, k1, kind, prm, side):
    # The vectorized inner loop: n <= 64 groups, slot s being group gids[s]
    # (g0 + s when gids is empty) stored at out[o0 + 64 s:]. 16 independent
    # Philox lanes per group; word w of lane j is element 64g + 16w + j, so
    # each word is a unit-stride store.
    #
    # Kinds with a fast path (long branch-free transforms) except the
    # float32 ones with an outer batch (a short inner rational: one pass) go
    # in two passes per group: the Philox words are stored into the group's
    # own output elements (as bit patterns), then a plain element-wise loop
    # transforms them in place (a float64 element holds both draws' words; a
    # float32 one draw 0's, and ``side[0]``, 64 words, draw 1's where the
    # kind reads it). Computed in one pass, four transforms and the Philox
    # state did not fit the vector registers (spills, 25 % slower; the
    # float64 normal kinds, whose inner rational works in double-double:
    # 147 of 535 instructions of the loop on the stack, 8-10 % slower).
    # That loop also finds the fast path's NaN misses (an OR reduction of
    # _nan_flag) where no outer batch takes them; the bit mask of the slots
    # with one is returned.
    two_pass = has_fast_path(kind) and not (has_outer_batch(kind) and _itemsize(out) == 4)
    words1 = side[0]
    batch_words = side[2]
    mask = _U0
    for s in range(n):
        s = np.uint64(s)
        o = o0 + s * _G
        b0 = (gids[s] if gids.size else g0 + s) * _L
        for j in range(GROUP_BLOCKS):
            lane = np.uint64(j)
            b = b0 + lane
            x = block_bits(b, _U0, k0, k1)
            if two_pass:
                if uses_draw1(kind) and _itemsize(out) == 8:
                    y = block_bits(b, _U1, k0, k1)
                    out[o + lane] = _as_float64(x[0], y[0])
                    out[o + _L + lane] = _as_float64(x[1], y[1])
                    out[o + np.uint64(32) + lane] = _as_float64(x[2], y[2])
                    out[o + np.uint64(48) + lane] = _as_float64(x[3], y[3])
                else:
                    if uses_draw1(kind):
                        y = block_bits(b, _U1, k0, k1)
                        words1[lane] = y[0]
                        words1[_L + lane] = y[1]
                        words1[np.uint64(32) + lane] = y[2]
                        words1[np.uint64(48) + lane] = y[3]
                    out[o + lane] = _as_float32(x[0])
                    out[o + _L + lane] = _as_float32(x[1])
                    out[o + np.uint64(32) + lane] = _as_float32(x[2])
                    out[o + np.uint64(48) + lane] = _as_float32(x[3])
            else:
                y = x
                if uses_draw1(kind):
                    y = block_bits(b, _U1, k0, k1)
                if has_outer_batch(kind):
                    # The words, for the outer batch to read its misses'
                    # from (four unit-stride stores, a float64 element's
                    # two words as one; recomputing the misses' Philox
                    # blocks there took 0.2 of its 3.2 ns/element).
                    w = o - o0 + lane
                    batch_words[w] = _batch_word(kind, x[0], y[0])
                    batch_words[w + _L] = _batch_word(kind, x[1], y[1])
                    batch_words[w + np.uint64(32)] = _batch_word(kind, x[2], y[2])
                    batch_words[w + np.uint64(48)] = _batch_word(kind, x[3], y[3])
                out[o + lane] = sample(kind, k0, k1, b, _U0, x[0], y[0], prm)
                out[o + _L + lane] = sample(kind, k0, k1, b, _U1, x[1], y[1], prm)
                out[o + np.uint64(32) + lane] = sample(
                    kind, k0, k1, b, np.uint64(2), x[2], y[2], prm)
                out[o + np.uint64(48) + lane] = sample(
                    kind, k0, k1, b, np.uint64(3), x[3], y[3], prm)
        if two_pass:
            misses = np.uint32(0)
            for i in range(GROUP_ELEMENTS):
                if uses_draw1(kind) and _itemsize(out) == 8:
                    pw = np.float64(out[o + np.uint64(i)]).view(np.uint64)
                    if has_outer_batch(kind):
                        batch_words[o - o0 + np.uint64(i)] = pw
                    x0, x1 = _unpaired(pw)
                else:
                    x0 = np.float32(out[o + np.uint64(i)]).view(np.uint32)
                    x1 = words1[i] if uses_draw1(kind) else x0
                v = sample(kind, k0, k1, _U0, _U0, x0, x1, prm)
                out[o + np.uint64(i)] = v
                misses = np.uint32(misses | _nan_flag(v))
            if misses & _SIGN32 and not has_outer_batch(kind):
                mask |= _U1 << s
    return mask


@scalar
def _as_float32(word):
    # A Philox word parked in a float32 output element: a bit pattern only
    # (it may read as a NaN or subnormal; moves preserve it exactly).
    return np.uint32(word).view(np.float32)


@serial
def _compute_groups(out, o0, g0, gids, n, k0, k1, kind, prm, side):
    # As _groups_vectorized, misses included: the fast path's NaN elements
    # are computed again afterwards, outside the vector loop (a call inside
    # it made LLVM vectorize it half as wide).
    mask = _groups_vectorized(out, o0, g0, gids, n, k0, k1, kind, prm, side)
    _outer_batch_of(out, o0, np.uint64(n) * _G, k0, k1, kind, prm, side)
    if has_fast_path(kind) and mask:
        for s in range(n):
            if (mask >> np.uint64(s)) & _U1:
                g = gids[s] if gids.size else g0 + np.uint64(s)
                o = o0 + np.uint64(s) * _G
                for i in range(GROUP_ELEMENTS):
                    if out[o + i] != out[o + i]:
                        out[o + i] = sample_element(kind, k0, k1, g * _G + np.uint64(i), prm)


def _outer_batch_of(out, o0, m, k0, k1, kind, prm, side):
    """_outer_batch for a kind with an outer batch, nothing for the others
    (jit-only; resolved at compile time, so only those kinds compile it).
    Nothing for a 16-bit ``out`` either: _fill_runs computes those in
    float32 buffers, but Numba types its other branches for them too."""
    raise NotImplementedError


@overload(_outer_batch_of, inline="always")
def _outer_batch_of_overload(out, o0, m, k0, k1, kind, prm, side):
    if _literal_kind(kind) in OUTER_FUNCTIONS and out.dtype.bitwidth >= 32:
        return lambda out, o0, m, k0, k1, kind, prm, side: _outer_batch(
            out, o0, m, k0, k1, kind, prm, side)
    return lambda out, o0, m, k0, k1, kind, prm, side: None


@serial
def _outer_batch(out, o0, m, k0, k1, kind, prm, side):
    # The misses (NaN) of a one-pass fast path (has_outer_batch) among the
    # m <= _BATCH elements at out[o0:], computed again as a batch: their
    # positions and words (stored by _groups_vectorized or _fill_gathered)
    # appended to dense arrays a vector at a time (append_nans: no branch
    # per element or group, about 3 misses per group), the outer function
    # over them in a vectorized loop, and only its NaNs through the
    # complete one (neither reads ``block`` or ``word``: OUTER_FUNCTIONS).
    _, at, batch_words, words, values = side
    m = np.int64(m)
    batch = out[o0:o0 + np.uint64(m)]
    lanes = NAN_VECTOR_BYTES // _itemsize(out)
    whole = m - m % lanes
    count = 0
    for i in range(0, whole, lanes):
        count = append_nans(batch, i, batch_words, at, words, count)
    for i in range(whole, m):  # a gathered batch's last elements
        if batch[i] != batch[i]:
            at[count] = i
            words[count] = batch_words[i]
            count += 1
    for k in range(count):
        x0, x1 = _draw_words(kind, words[k])
        values[k] = sample_outer(kind, k0, k1, _U0, _U0, x0, x1, prm)
    for k in range(count):
        v = values[k]
        if v != v:
            x0, x1 = _draw_words(kind, words[k])
            v = sample_complete(kind, k0, k1, _U0, _U0, x0, x1, prm)
        batch[at[k]] = v


#: ``gids`` of consecutive groups (see _groups_vectorized).
_CONSECUTIVE = np.zeros(0, np.uint64)


@serial
def _fill_groups(out, first, g_begin, g_end, k0, k1, kind, prm, side):
    # Groups g_begin .. g_end into out (out[0] is flat element ``first``),
    # 64 groups at a time (borrowed arrays: see _fill_positions).
    out = borrowed(out)
    side = _borrowed_side(side)
    for ga in range(g_begin, g_end, _G):
        _compute_groups(out, ga * _G - first, ga, _CONSECUTIVE, min(_G, g_end - ga),
                        k0, k1, kind, prm, side)


@scalar
def _nan_flag(v):
    # Bit 31 set exactly when v is a NaN: |v|'s float32 bits exceed those of
    # inf (a float64 NaN stays a NaN in float32). OR-reduced over 32-bit
    # lanes, it keeps the transform loop at 16 float32 lanes per vector.
    return np.uint32(np.uint32(np.float32(v).view(np.uint32) & _ABS_MASK) + _NAN_CARRY)


@scalar
def _paired(word0, word1):
    # A float64 element's two Philox words (draws 0 and 1) as one 64-bit
    # word, draw 0's in the high half: how the two-pass loop parks them in
    # the output and the outer batch keeps them (_batch_word).
    return np.uint64((word0 << _U32) | word1)


@scalar
def _unpaired(word):
    # The words of draws 0 and 1 packed by _paired.
    return word >> _U32, word & _LOW32


@scalar
def _as_float64(word0, word1):
    # The two words of a float64 element parked in its output (bits only).
    return _paired(word0, word1).view(np.float64)


#: Groups of short runs computed together (see _fill_short_runs).
_GATHER = 32


@serial
def _side(out):
    # _groups_vectorized's and _outer_batch's scratch (``side``; counted by
    # scratch_bytes, side_bytes): 64 words of draw 1 (two-pass kinds) and,
    # for an outer batch, the misses' positions, every element's words, the
    # misses' words (both with append_nans' slack) and their values (of
    # out's dtype). A word is as wide as an element (_batch_word): draw 0's
    # in float32, both draws' in float64.
    return (np.empty(GROUP_ELEMENTS, np.uint32), np.empty(_BATCH + _NAN_SLACK, np.uint32),
            _words_like(out, _BATCH), _words_like(out, _BATCH + _NAN_SLACK),
            np.empty(_BATCH, out.dtype))


@serial
def _borrowed_side(side):
    # Borrowed views of a _side's arrays (see _fill_positions).
    a, b, c, d, e = side
    return borrowed(a), borrowed(b), borrowed(c), borrowed(d), borrowed(e)


def side_bytes(itemsize):
    """Bytes of one _side() for an output of ``itemsize`` (4 or 8) bytes."""
    return GROUP_ELEMENTS * 4 + _BATCH * (4 + 3 * itemsize) + _NAN_SLACK * (4 + itemsize)


def _words_like(out, n):
    """``np.empty(n)`` of unsigned integers as wide as ``out``'s elements
    (jit-only)."""
    raise NotImplementedError


@overload(_words_like, inline="always")
def _words_like_overload(out, n):
    if out.dtype.bitwidth == 64:
        return lambda out, n: np.empty(n, np.uint64)
    return lambda out, n: np.empty(n, np.uint32)


@scalar
def _batch_word(kind, x0, x1):
    # What the outer batch keeps of an element: the word of draw 0, or where
    # the kind reads draw 1 (the float64 kinds) both, _paired: one 64-bit
    # store (as two 32-bit ones they doubled the time of the float64 inner
    # rational's loop).
    return _paired(x0, x1) if uses_draw1(kind) else x0


@scalar
def _draw_words(kind, word):
    # The words of draws 0 and 1 kept by _batch_word.
    word = np.uint64(word)
    return _unpaired(word) if uses_draw1(kind) else (word, word)


@serial
def _scratch(out):
    # A work item's scratch space (counted by scratch_bytes): _GATHER groups
    # of out's dtype (a long span's partial groups are computed whole
    # there), a _side(), _fill_short_runs' four descriptors per group and
    # _fill_gathered's words of both draws.
    return (np.empty(_GATHER * GROUP_ELEMENTS, out.dtype), _side(out),
            np.empty((4, _GATHER), np.uint64), np.empty((2, _GATHER * GROUP_ELEMENTS), np.uint32))


@serial
def _borrowed_scratch(scratch):
    # Borrowed views of a _scratch's arrays (see _fill_positions).
    values, side, slots, words = scratch
    return borrowed(values), _borrowed_side(side), borrowed(slots), borrowed(words)


@serial
def _fill_partial(out, first, i_begin, i_end, k0, k1, kind, prm, scratch):
    # Elements i_begin..i_end (inside one group) into out[i - first];
    # ``scratch`` (see _scratch) is allocated by the caller, once per work item.
    n = i_end - i_begin
    if n == 0:
        return
    if n < _SCALAR_EDGE:
        for i in range(i_begin, i_end):
            out[i - first] = sample_element(kind, k0, k1, i, prm)
        return
    g = i_begin // _G
    values, side, _, _ = scratch
    _fill_groups(values, g * _G, g, g + _U1, k0, k1, kind, prm, side)
    a = i_begin - g * _G
    o = i_begin - first
    for k in range(n):
        out[o + k] = values[a + k]


@serial
def _span_bounds(first, count):
    end = first + count
    g_begin = (first + _G - _U1) // _G
    g_end = end // _G
    head_end = min(end, g_begin * _G)
    tail_begin = max(g_end * _G, head_end)
    return end, g_begin, g_end, head_end, tail_begin


@serial
def _fill_span(out, first, k0, k1, kind, prm, scratch):
    # Serial: flat elements first .. first + out.size into out.
    end, g_begin, g_end, head_end, tail_begin = _span_bounds(first, np.uint64(out.size))
    _fill_partial(out, first, first, head_end, k0, k1, kind, prm, scratch)
    if g_end > g_begin:
        _fill_groups(out, first, g_begin, g_end, k0, k1, kind, prm, scratch[1])
    _fill_partial(out, first, tail_begin, end, k0, k1, kind, prm, scratch)


@kernel
def _fill_span_parallel(out, first, k0, k1, kind, prm, chunk):
    # As _fill_span, with the full groups spread over the thread pool.
    end, g_begin, g_end, head_end, tail_begin = _span_bounds(first, np.uint64(out.size))
    scratch = _scratch(out)
    _fill_partial(out, first, first, head_end, k0, k1, kind, prm, scratch)
    _fill_partial(out, first, tail_begin, end, k0, k1, kind, prm, scratch)
    if g_end > g_begin:
        n_chunks = np.int64((g_end - g_begin + chunk - _U1) // chunk)
        for c in numba.prange(n_chunks):
            ga = g_begin + np.uint64(c) * chunk
            _fill_groups(out, first, ga, min(ga + chunk, g_end), k0, k1, kind, prm,
                         _side(out))


@scalar
def run_first(r, outer_len, outer_start, outer_stride, inner_first):
    """Flat index where run ``r`` starts (``uint64``; see the module docstring).
    Device-agnostic: the CUDA kernels call it too."""
    first = inner_first
    for d in range(outer_len.size - 1, 0, -1):
        n = np.uint64(outer_len[d])
        first += (np.uint64(outer_start[d]) + r % n) * np.uint64(outer_stride[d])
        r //= n
    if outer_len.size:  # the outermost digit is what is left (r < its length): no division
        first += (np.uint64(outer_start[0]) + r) * np.uint64(outer_stride[0])
    return first


@serial
def _elements_vectorized(out, index0, stride, k0, k1, kind, prm):
    # out[i] = element index0 + i * stride, one Philox block per element,
    # vectorized along i (out must be contiguous: a strided view did not
    # vectorize). Fast-path misses (NaN) are redone after the loop.
    misses = np.uint32(0)
    for i in range(out.size):
        index = index0 + np.uint64(i) * stride
        block = element_block(index)
        word = element_word(index)
        x0 = pick_word(block_bits(block, _U0, k0, k1), word)
        x1 = x0
        if uses_draw1(kind):
            x1 = pick_word(block_bits(block, _U1, k0, k1), word)
        v = sample(kind, k0, k1, block, word, x0, x1, prm)
        out[i] = v
        if has_fast_path(kind):
            misses = np.uint32(misses | _nan_flag(v))
    if has_fast_path(kind):
        if misses & _SIGN32:
            for i in range(out.size):
                if out[i] != out[i]:
                    out[i] = sample_element(kind, k0, k1, index0 + np.uint64(i) * stride, prm)


#: Elements per parallel work item of a one-element-wide region.
_COLUMN_ITEM = 2048


#: Runs shorter than this go through _fill_short_runs.
_SHORT_RUN = 4 * GROUP_ELEMENTS


@serial
def _fill_positions(out, pos, outer_len, outer_start, outer_stride, inner_first, run_len,
                    k0, k1, kind, prm, scratch):
    # Serial: positions pos .. pos + out.size of the runs into out, run by run.
    # Its arguments live until it returns, so the code below gets borrowed
    # views of them: passed per run as references, ``out`` and the nine
    # scratch arrays cost about 100 atomic reference-count operations per
    # run (0.6 ns/element of runs 1280 long, one thread), and the run
    # descriptors four per run (6 % of a 16-wide region's time).
    out = borrowed(out)
    outer_len = borrowed(outer_len)
    outer_start = borrowed(outer_start)
    outer_stride = borrowed(outer_stride)
    scratch = _borrowed_scratch(scratch)
    if run_len < _SHORT_RUN:
        _fill_short_runs(out, pos, outer_len, outer_start, outer_stride, inner_first, run_len,
                         k0, k1, kind, prm, scratch)
        return
    pos_end = pos + np.uint64(out.size)
    for r in range(pos // run_len, (pos_end + run_len - _U1) // run_len):
        a = max(pos, r * run_len)
        b = min(pos_end, (r + _U1) * run_len)
        first = run_first(r, outer_len, outer_start, outer_stride, inner_first)
        _fill_span(out[a - pos:b - pos], first + (a - r * run_len), k0, k1, kind, prm, scratch)


@serial
def _fill_short_runs(out, pos, outer_len, outer_start, outer_stride, inner_first, run_len,
                     k0, k1, kind, prm, scratch):
    # As _fill_positions for short runs (a narrow region's rows): the groups
    # the runs touch are gathered, _GATHER groups (of any runs) per
    # _fill_gathered call. Computed one run at a time, a partial group cost
    # 2.5x a group of a long fill (call and loop overheads).
    _, side, slots, words = scratch
    gids, src, dst, count = slots[0], slots[1], slots[2], slots[3]
    pos_end = pos + np.uint64(out.size)
    # One outer dimension (a matrix's column range): run r starts at base +
    # r * step, without run_first's array reads in the loop.
    one_dim = outer_len.size == 1
    step = np.uint64(outer_stride[0]) if one_dim else _U0
    base = inner_first + np.uint64(outer_start[0]) * step if one_dim else _U0
    n = 0
    for r in range(pos // run_len, (pos_end + run_len - _U1) // run_len):
        a = max(pos, r * run_len)
        b = min(pos_end, (r + _U1) * run_len)
        first = (base + r * step if one_dim else
                 run_first(r, outer_len, outer_start, outer_stride, inner_first)) + (a - r * run_len)
        end = first + (b - a)
        g = first // _G
        while g * _G < end:
            lo = max(first, g * _G)
            gids[n] = g
            src[n] = np.uint64(n) * _G + (lo - g * _G)
            dst[n] = (a - pos) + (lo - first)
            count[n] = min(end, g * _G + _G) - lo
            n += 1
            if n == _GATHER:
                _fill_gathered(out, words, n, gids, src, dst, count, k0, k1, kind, prm, side)
                n = 0
            g += _U1
    if n:
        _fill_gathered(out, words, n, gids, src, dst, count, k0, k1, kind, prm, side)


_HALF = GROUP_BLOCKS // 2


@scalar
def _wanted_halves(first, count):
    # Which halves of a group's 16 Philox blocks (lanes 0-7, 8-15) hold the
    # ``count`` elements from element ``first`` of the group, as a range of
    # halves: element 16 w + j is word w of lane j.
    if count >= _L:
        return 0, 2
    j0 = first % _L
    j1 = j0 + count
    low = j0 < _HALF or j1 > _L
    high = j1 > _HALF
    return 0 if low else 1, 2 if high else 1


@serial
def _fill_gathered(out, words, n, gids, src, dst, count, k0, k1, kind, prm, side):
    # Slot s < n: elements src[s] - 64 s .. + count[s] of group gids[s] into
    # out[dst[s]:] (the slots' out ranges follow one another). The groups'
    # Philox words first, in element order at words[:, 64 s:], then the
    # transform of only the wanted elements, from those words, straight into
    # out. The planar mapping spreads any 16 consecutive elements over all 16
    # blocks of a group, but a shorter slot may need the lanes of one half
    # only (_wanted_halves): the 8 elements at either end of a group (where
    # a row crossing a group boundary 8 elements from it starts or ends), or
    # a run of at most 8. In a 64-wide column range of a (20000, 5000)
    # matrix (rows start 8 elements apart modulo 64) 2 in 8 rows have such
    # a slot. Computing the groups whole and copying out (before)
    # transformed 2x the elements of an unaligned 64-wide column range and
    # 4x those of a 16-wide one.
    words0, words1 = words[0], words[1]
    for s in range(n):
        w = np.uint64(s) * _G
        b0 = gids[s] * _L
        first_half, end_half = _wanted_halves(src[s] - w, count[s])
        for h in range(first_half, end_half):
            for j in range(_HALF):
                lane = np.uint64(h * _HALF + j)
                x = block_bits(b0 + lane, _U0, k0, k1)
                words0[w + lane] = x[0]
                words0[w + _L + lane] = x[1]
                words0[w + np.uint64(32) + lane] = x[2]
                words0[w + np.uint64(48) + lane] = x[3]
                if uses_draw1(kind):
                    y = block_bits(b0 + lane, _U1, k0, k1)
                    words1[w + lane] = y[0]
                    words1[w + _L + lane] = y[1]
                    words1[w + np.uint64(32) + lane] = y[2]
                    words1[w + np.uint64(48) + lane] = y[3]
    o0 = dst[0]
    batch_words = side[2]  # the words of out[o0:], for _outer_batch
    misses = np.uint32(0)
    s = 0
    while s < n:
        # Slots s .. e - 1 continue one another (a run across group
        # boundaries: the next group's words follow in words and its
        # elements in out) and are transformed in one loop: an unaligned
        # 64-wide row is one loop of 64 (four 16-lane steps), not two with
        # remainders for the narrower and scalar tail loops.
        e = s + 1
        while e < n and gids[e] == gids[e - 1] + _U1 and src[e] == src[e - 1] + count[e - 1]:
            e += 1
        i0 = src[s]
        index0 = gids[s] * _G + (i0 - np.uint64(s) * _G)
        t0 = dst[s] - o0
        for k in range(dst[e - 1] + count[e - 1] - dst[s]):
            index = index0 + k
            x0 = np.uint64(words0[i0 + k])
            x1 = np.uint64(words1[i0 + k]) if uses_draw1(kind) else x0
            v = sample(kind, k0, k1, element_block(index), element_word(index), x0, x1, prm)
            out[o0 + t0 + k] = v
            if has_outer_batch(kind):
                batch_words[t0 + k] = _batch_word(kind, x0, x1)
            if has_fast_path(kind):
                misses = np.uint32(misses | _nan_flag(v))
        s = e
    _outer_batch_of(out, o0, dst[n - 1] + count[n - 1] - o0, k0, k1, kind, prm, side)
    if has_fast_path(kind) and not has_outer_batch(kind) and misses & _SIGN32:
        for s in range(n):
            index0 = gids[s] * _G + (src[s] - np.uint64(s) * _G)
            for k in range(count[s]):
                o = dst[s] + k
                if out[o] != out[o]:
                    out[o] = sample_element(kind, k0, k1, index0 + k, prm)


def _itemsize(out):
    """Bytes per element of ``out`` (jit-only, a compile-time constant)."""
    raise NotImplementedError


@overload(_itemsize, inline="always")
def _itemsize_overload(out):
    size = out.dtype.bitwidth // 8
    return lambda out: size


@kernel
def _fill_runs(out, pos, outer_len, outer_start, outer_stride, inner_first, run_len,
               k0, k1, kind, prm, chunk_groups, threads, narrow):
    numba.literally(kind)  # resolved at compile time by the _ENTRY callers
    # Numba hands each thread one contiguous share of a launch's work items
    # unless a chunk size is set; with one item a chunk, TBB balances them
    # between the threads. A worker thread can run the same items slower
    # than the calling one (lecun_normal float64, one thread on one CPU:
    # 2.32-2.40 ns/elem in the main thread, 2.56-2.58 in a worker), and with
    # equal shares the faster one waited: two threads, float64 1.70 -> 1.37
    # ns/elem, float32 unchanged (docs/performance.md). The caller's setting
    # is restored at the end.
    previous_chunksize = swap_parallel_chunksize(1)
    pos = np.uint64(pos)
    run_len = np.uint64(run_len)
    inner_first = np.uint64(inner_first)
    k0 = np.uint64(k0)
    k1 = np.uint64(k1)
    chunk = np.uint64(chunk_groups)
    pos_end = pos + np.uint64(out.size)
    r_begin = pos // run_len
    r_end = (pos_end + run_len - _U1) // run_len
    if _itemsize(out) == 2:
        # 16-bit floats (out: their bits): each work item computes float32
        # into its own cache-sized buffer, then rounds it into out
        # (narrow = to_bf16, lo/hi bits, lo/hi float32 values; see
        # transforms.narrow_16) - no full-size float32 pass through memory.
        window = chunk * _G
        n_items = np.int64((np.uint64(out.size) + window - _U1) // window)
        for item in numba.prange(n_items):
            a = np.uint64(item) * window
            b = min(a + window, np.uint64(out.size))
            buf = np.empty(b - a, np.float32)
            _fill_positions(buf, pos + a, outer_len, outer_start, outer_stride, inner_first,
                            run_len, k0, k1, kind, prm, _scratch(buf))
            for i in range(b - a):
                out[a + i] = narrow_16(buf[i], narrow[0], narrow[1], narrow[2], narrow[3],
                                       narrow[4])
    elif run_len == _U1 and outer_len.size == 1:
        # Single elements along one outer dimension (a column of a matrix):
        # position p is element base + p * stride, an arithmetic progression,
        # generated one Philox block per element and vectorized along p
        # (instead of a whole 64-element group per element).
        stride = np.uint64(outer_stride[0])
        base = inner_first + np.uint64(outer_start[0]) * stride
        n_items = np.int64((out.size + _COLUMN_ITEM - 1) // _COLUMN_ITEM)
        # Parallel from two items: under TBB (fastinit._jit) a launch costs
        # 2-20 us, less than an item. The threshold does not depend on the
        # layer: under Numba's workqueue, where TBB does not load, a launch
        # costs about 100 us on a VM, more than a column under 32768
        # elements saves.
        if n_items < 2:
            _elements_vectorized(out, base + pos * stride, stride, k0, k1, kind, prm)
        else:
            for item in numba.prange(n_items):
                a = np.uint64(item) * np.uint64(_COLUMN_ITEM)
                b = min(a + np.uint64(_COLUMN_ITEM), np.uint64(out.size))
                _elements_vectorized(out[a:b], base + (pos + a) * stride, stride, k0, k1, kind,
                                     prm)
    elif run_len >= chunk * _G or r_end - r_begin < np.uint64(4 * threads):
        # Few or long runs: one after the other, each split over the threads.
        for r in range(r_begin, r_end):
            a = max(pos, r * run_len)
            b = min(pos_end, (r + _U1) * run_len)
            first = run_first(r, outer_len, outer_start, outer_stride, inner_first)
            _fill_span_parallel(out[a - pos:b - pos], first + (a - r * run_len),
                                k0, k1, kind, prm, chunk)
    else:
        # Many short runs: batches of runs are the parallel work items.
        runs_per_item = max(_U1, chunk * _G // max(run_len, _G))  # short runs: ~a group each
        n_items = np.int64((r_end - r_begin + runs_per_item - _U1) // runs_per_item)
        for item in numba.prange(n_items):
            ra = r_begin + np.uint64(item) * runs_per_item
            a = max(pos, ra * run_len)
            b = min(pos_end, (ra + runs_per_item) * run_len)
            _fill_positions(out[a - pos:b - pos], a, outer_len, outer_start, outer_stride,
                            inner_first, run_len, k0, k1, kind, prm, _scratch(out))
    swap_parallel_chunksize(previous_chunksize)


# One entry point per sampler kind. Each passes its kind as a global constant,
# which Numba types as a literal, so _fill_runs and the sampler dispatch are
# compiled for exactly that kind (and only when first used). Calling
# _fill_runs from Python with ``numba.literally`` would do the same but costs
# ~8 ms of dispatcher work on every call.
@serial
def _fill_trunc2_inv_f32(out, pos, ol, os_, st, first, n, k0, k1, prm, chunk, threads, narrow):
    _fill_runs(out, pos, ol, os_, st, first, n, k0, k1, TRUNC2_INV_F32, prm, chunk, threads, narrow)


@serial
def _fill_trunc2_inv_f64(out, pos, ol, os_, st, first, n, k0, k1, prm, chunk, threads, narrow):
    _fill_runs(out, pos, ol, os_, st, first, n, k0, k1, TRUNC2_INV_F64, prm, chunk, threads, narrow)


@serial
def _fill_trunc2_reject_f32(out, pos, ol, os_, st, first, n, k0, k1, prm, chunk, threads, narrow):
    _fill_runs(out, pos, ol, os_, st, first, n, k0, k1, TRUNC2_REJECT_F32, prm, chunk, threads, narrow)


@serial
def _fill_trunc2_reject_f64(out, pos, ol, os_, st, first, n, k0, k1, prm, chunk, threads, narrow):
    _fill_runs(out, pos, ol, os_, st, first, n, k0, k1, TRUNC2_REJECT_F64, prm, chunk, threads, narrow)


@serial
def _fill_normal_f32(out, pos, ol, os_, st, first, n, k0, k1, prm, chunk, threads, narrow):
    _fill_runs(out, pos, ol, os_, st, first, n, k0, k1, NORMAL_F32, prm, chunk, threads, narrow)


@serial
def _fill_normal_f64(out, pos, ol, os_, st, first, n, k0, k1, prm, chunk, threads, narrow):
    _fill_runs(out, pos, ol, os_, st, first, n, k0, k1, NORMAL_F64, prm, chunk, threads, narrow)


@serial
def _fill_uniform_f32(out, pos, ol, os_, st, first, n, k0, k1, prm, chunk, threads, narrow):
    _fill_runs(out, pos, ol, os_, st, first, n, k0, k1, UNIFORM_F32, prm, chunk, threads, narrow)


@serial
def _fill_uniform_f64(out, pos, ol, os_, st, first, n, k0, k1, prm, chunk, threads, narrow):
    _fill_runs(out, pos, ol, os_, st, first, n, k0, k1, UNIFORM_F64, prm, chunk, threads, narrow)


@serial
def _fill_trunc_cdf_f32(out, pos, ol, os_, st, first, n, k0, k1, prm, chunk, threads, narrow):
    _fill_runs(out, pos, ol, os_, st, first, n, k0, k1, TRUNC_CDF_F32, prm, chunk, threads, narrow)


@serial
def _fill_trunc_cdf_f64(out, pos, ol, os_, st, first, n, k0, k1, prm, chunk, threads, narrow):
    _fill_runs(out, pos, ol, os_, st, first, n, k0, k1, TRUNC_CDF_F64, prm, chunk, threads, narrow)


@serial
def _fill_trunc_cdf_narrow_f32(out, pos, ol, os_, st, first, n, k0, k1, prm, chunk, threads, narrow):
    _fill_runs(out, pos, ol, os_, st, first, n, k0, k1, TRUNC_CDF_NARROW_F32, prm, chunk, threads, narrow)


@serial
def _fill_trunc_tail_f32(out, pos, ol, os_, st, first, n, k0, k1, prm, chunk, threads, narrow):
    _fill_runs(out, pos, ol, os_, st, first, n, k0, k1, TRUNC_TAIL_F32, prm, chunk, threads, narrow)


@serial
def _fill_trunc_tail_f64(out, pos, ol, os_, st, first, n, k0, k1, prm, chunk, threads, narrow):
    _fill_runs(out, pos, ol, os_, st, first, n, k0, k1, TRUNC_TAIL_F64, prm, chunk, threads, narrow)


@serial
def _fill_bits_u32(out, pos, ol, os_, st, first, n, k0, k1, prm, chunk, threads, narrow):
    _fill_runs(out, pos, ol, os_, st, first, n, k0, k1, BITS_U32, prm, chunk, threads, narrow)


_ENTRY = {
    TRUNC2_INV_F32: _fill_trunc2_inv_f32,
    TRUNC2_INV_F64: _fill_trunc2_inv_f64,
    TRUNC2_REJECT_F32: _fill_trunc2_reject_f32,
    TRUNC2_REJECT_F64: _fill_trunc2_reject_f64,
    NORMAL_F32: _fill_normal_f32,
    NORMAL_F64: _fill_normal_f64,
    UNIFORM_F32: _fill_uniform_f32,
    UNIFORM_F64: _fill_uniform_f64,
    TRUNC_CDF_F32: _fill_trunc_cdf_f32,
    TRUNC_CDF_F64: _fill_trunc_cdf_f64,
    TRUNC_CDF_NARROW_F32: _fill_trunc_cdf_narrow_f32,
    TRUNC_TAIL_F32: _fill_trunc_tail_f32,
    TRUNC_TAIL_F64: _fill_trunc_tail_f64,
    BITS_U32: _fill_bits_u32,
}

_NO_OUTER = np.zeros(0, np.int64)

# Parallel kernels are launched one at a time: Numba's "workqueue" threading
# layer (the fallback where TBB does not load; fastinit._jit) aborts on
# concurrent launches, and each launch already uses every core.
_LAUNCH = threading.Lock()


def _new_launch_lock():
    # A child forked while another thread held the lock (inside a fill) would
    # inherit it held, with no thread left to release it: start unlocked.
    global _LAUNCH
    _LAUNCH = threading.Lock()


os.register_at_fork(after_in_child=_new_launch_lock)


class Runs:
    """Equal-length runs of flat indices (see the module docstring).

    Parameters
    ----------
    inner_first : int
        Flat index where run 0 starts (before the outer offsets).
    run_len : int
        Elements per run (>= 1).
    outer_len, outer_start, outer_stride : sequences of int, optional
        The outer dimensions enumerating the runs; empty for a single run.
    """

    __slots__ = ("inner_first", "run_len", "outer_len", "outer_start", "outer_stride", "size")

    def __init__(self, inner_first, run_len, outer_len=(), outer_start=(), outer_stride=()):
        self.inner_first = int(inner_first)
        self.run_len = int(run_len)
        if len(outer_len):
            self.outer_len = np.array(outer_len, np.int64).reshape(-1)
            self.outer_start = np.array(outer_start, np.int64).reshape(-1)
            self.outer_stride = np.array(outer_stride, np.int64).reshape(-1)
            # Python ints: no int64 overflow (np.prod(dtype=object) did the
            # same at 2.1 us of a small fill's 25).
            self.size = self.run_len * math.prod(self.outer_len.tolist())
        else:
            self.outer_len = self.outer_start = self.outer_stride = _NO_OUTER
            self.size = self.run_len

    @classmethod
    def contiguous(cls, first, count):
        """The single run ``first .. first + count``."""
        return cls(first, count)

    def flat_indices(self, pos, count):
        """Flat indices of positions ``pos .. pos + count`` of the concatenated
        runs (vectorized, NumPy; the inverse of :meth:`positions`)."""
        r, offset = np.divmod(np.arange(pos, pos + count, dtype=np.int64), self.run_len)
        first = np.full(r.shape, self.inner_first, np.int64)
        for n, start, stride in zip(self.outer_len[::-1], self.outer_start[::-1],
                                    self.outer_stride[::-1]):
            r, digit = np.divmod(r, n)
            first += (start + digit) * stride
        return first + offset

    def positions(self, flat):
        """Positions of the flat indices ``flat`` in the concatenated runs, -1
        for indices the runs do not contain (vectorized, NumPy)."""
        rem = np.asarray(flat, np.int64)
        pos = np.zeros(rem.shape, np.int64)
        inside = np.ones(rem.shape, bool)
        for n, start, stride in zip(self.outer_len, self.outer_start, self.outer_stride):
            q, rem = np.divmod(rem, stride)
            i = q - start
            inside &= (i >= 0) & (i < n)
            pos = pos * n + i
        j = rem - self.inner_first
        inside &= (j >= 0) & (j < self.run_len)
        return np.where(inside, pos * self.run_len + j, -1)


_NO_NARROW = (False, np.uint16(0), np.uint16(0), np.float32(0.0), np.float32(0.0))


def fill_runs(out, runs, key, kind, params, pos=0, chunk_groups=None, narrow=None):
    """Fill the 1-D contiguous ``out`` with positions ``pos .. pos + out.size`` of ``runs``.

    Parameters
    ----------
    out : numpy.ndarray, 1-D, C-contiguous, of ``kind``'s dtype (``samplers.KIND_DTYPE``)
    runs : Runs
    key : (int, int)
        Philox key words.
    kind : int
        Sampler kind (:mod:`fastinit.samplers`).
    params : tuple of float
        The kind's parameters (at most ``samplers.N_PARAMS``; padded with zeros).
    pos : int
        Position of ``out[0]`` in the concatenated runs.
    chunk_groups : int, optional
        Groups per parallel work item; results never depend on it.
    narrow : (dtype, lo_key, hi_key), optional
        Write 16-bit floats of ``dtype`` (float16/bfloat16; ``out`` holds
        their uint16 bits) instead of the kind's float32, clamped to the
        bounds with those order keys (:func:`fastinit.dtypes.bound_keys`).
    """
    if out.size == 0:
        return
    if pos < 0 or pos + out.size > runs.size:
        raise ValueError(f"positions {pos}..{pos + out.size} are outside the {runs.size} of the runs")
    chunk = CHUNK_GROUPS if chunk_groups is None else int(chunk_groups)
    if chunk < 1:
        raise ValueError(f"chunk_groups must be >= 1; got {chunk}")
    prm = tuple(float(p) for p in params) + (0.0,) * (N_PARAMS - len(params))
    bounds = _NO_NARROW
    if narrow is not None:
        dtype, lo_key, hi_key = narrow
        bounds = dtypes.narrow_params(dtype, lo_key, hi_key)
    # Python handles Ctrl-C (and fastinit's SIGTERM handler) only between
    # kernel launches: long fills are launched window by window.
    for a in range(0, out.size, INTERRUPT_WINDOW):
        part = out[a:a + INTERRUPT_WINDOW]
        with _LAUNCH:
            _ENTRY[kind](part, np.uint64(pos + a), runs.outer_len, runs.outer_start,
                         runs.outer_stride, np.uint64(runs.inner_first), np.uint64(runs.run_len),
                         np.uint64(key[0]), np.uint64(key[1]), prm, chunk,
                         numba.get_num_threads(), bounds)


def fill_run(out, first, key, kind, params, chunk_groups=None):
    """Fill the 1-D contiguous ``out`` with flat elements ``first .. first + out.size``."""
    if out.size:
        fill_runs(out, Runs.contiguous(first, out.size), key, kind, params, 0, chunk_groups)


def fill_runs_16(bits, runs, key, kind, params, pos, dtype, lo_key, hi_key):
    """:func:`fill_runs` into 16-bit floats of ``dtype`` (``bits``: their
    uint16 view), clamped to the bounds with order keys ``lo_key``/``hi_key``."""
    fill_runs(bits, runs, key, kind, params, pos, narrow=(dtype, lo_key, hi_key))


def scratch_bytes(dtype):
    """Host memory a fill of ``dtype`` needs beyond its output: per thread,
    one work item's scratch (``_scratch``, with its ``_side``), a second
    ``_side`` (a long run's work items; 154 KiB together in float32, 258 in
    float64), and for 16-bit floats the float32 buffer of a work item."""
    itemsize = max(np.dtype(dtype).itemsize, 4)  # 16-bit fills compute float32
    per_thread = (_GATHER * GROUP_ELEMENTS * (itemsize + 8) + 2 * side_bytes(itemsize)
                  + 4 * _GATHER * 8)
    if np.dtype(dtype).itemsize == 2:
        per_thread += CHUNK_GROUPS * GROUP_ELEMENTS * 4
    return per_thread * numba.get_num_threads()


def write(dst, values):
    """Copy the host array ``values`` into ``dst``."""
    dst[...] = values


def set_elements(dst, where, value):
    """``dst[where] = value`` (``where``: an int64 host array of positions)."""
    dst[where] = value


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
        with _LAUNCH:
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
    parallel pass, without temporaries proportional to its size (16-bit floats
    go through a float32 window of 4 MiB)."""
    n = x.size
    if n == 0:
        raise ValueError("summary of an empty array")
    narrow = x.dtype.itemsize == 2  # Numba has no 16-bit floats
    window = (1 << 20) if narrow else n
    s1, s2, lo, hi = 0.0, 0.0, np.inf, -np.inf
    for a in range(0, n, window):
        part = x[a:a + window].astype(np.float32) if narrow else x
        with _LAUNCH:
            t1, t2, mn, mx = _moments(part, 1 << 16)
        s1, s2, lo, hi = s1 + t1, s2 + t2, min(lo, mn), max(hi, mx)
    mean = s1 / n
    return mean, max(s2 / n - mean * mean, 0.0) ** 0.5, lo, hi
