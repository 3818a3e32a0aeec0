"""Distributions: which words of an element feed which transform.

A *sampler kind* is a small integer naming (distribution, method, precision).
:func:`sample` is the one per-element definition every kernel calls - the CPU
loops in :mod:`fastinit.cpu` and the CUDA kernels - so each kind's maths exists
once. It receives the element's Philox position ``(block, word)``, the words of
draws 0 and 1 already computed by the caller (so a vectorized caller can share
one Philox call among the four words of a block) and ``prm``, a tuple of
:data:`N_PARAMS` float64 parameters whose meaning depends on the kind:

=======================  ======================================  =========================
kind                     value                                   prm
=======================  ======================================  =========================
TRUNC2_INV_F32/_F64      mean + sigma * z, z ~ N(0,1) on [-2, 2]  mean, sigma, -, -, -, -,
                         by inverse CDF (float32: clipped to     lo, hi
                         [lo, hi], the float32 values inside
                         mean -+ 2 sigma: rounding mean and
                         sigma to float32 could cross them)
TRUNC2_REJECT_F32/_F64   same distribution, by rejection of      as TRUNC2_INV
                         Box-Muller normals
TRUNC_CDF_F64,           mean + scale * clip(Phi^-1(A + u (B -   mean, scale, A, B, zlo,
TRUNC_CDF_NARROW_F32     A)), zlo, zhi), clipped to [lo, hi]     zhi, lo, hi
                         (in float64, rounded once)
TRUNC_CDF_F32            mean + scale * Phi^-1(p), p = A + u W   mean, scale, A, Q, W, -,
                         (its complement Q + (1 - u) W where     lo, hi
                         smaller), clipped to [lo, hi]
TRUNC_TAIL_F32/_F64      mean + scale * x, x ~ N(0,1) on         mean, scale, alpha, beta,
                         [alpha, beta], alpha > 0, by rejection   lambda, c, lo, hi
                         from a truncated exponential
NORMAL_F32/_F64          mean + sigma * z, z ~ N(0,1)            mean, sigma
UNIFORM_F32/_F64         clip((a + w * u) * s, low_in,           a, w, below_high, s,
                         below_high); s = 1, a = low, w =        low_in
                         high - low unless the width overflows
BITS_U32                 the raw 32-bit word of draw 0           -
=======================  ======================================  =========================

Fast paths: for the kinds in :data:`COMPLETE_FUNCTIONS` the function in
:data:`SAMPLE_FUNCTIONS` is branch-free (it vectorizes and runs on GPUs without
divergence) and returns NaN for the rare elements it does not cover, which
kernels then compute with the complete function: the normal quantiles' far
tails (:func:`fastinit.transforms.normal_quantile_f32`, within 1.3 ulp of the
exact quantile of the uniform, and :func:`~fastinit.transforms.normal_quantile_f64`),
and the float32 rejection and tail samplers' rejected first attempts. The
normal kinds' fast path is a log-free inner rational (|z| < 2); their misses
go through an outer function first (:data:`OUTER_FUNCTIONS`).

Draw usage (part of the compatibility guarantee): float32 inverse-CDF, normal
and uniform kinds use draw 0; float64 kinds use draws 0 and 1 for each uniform.
Rejection methods' attempt ``a`` uses uniforms ``2a`` and ``2a + 1``, where
float32 uniform ``m`` is draw ``m`` and float64 uniform ``m`` is draws
``2m, 2m + 1``; both Box-Muller normals of an attempt are tried in order.
"""
import math

import numpy as np
from numba.core import errors, types
from numba.extending import overload

from ._jit import fma32, fma64, scalar
from .philox import element_bits, element_block, element_word
from .transforms import (
    box_muller_f32, box_muller_f64, log_f64, ndtri, normal_parts_f64,
    normal_quantile_f64, normal_quantile_inner_f32, normal_quantile_inner_f64,
    normal_quantile_outer_f32, normal_quantile_outer_f64, normal_quantile_split_f32,
    normal_word_f32, normal_word_inner_f32, normal_word_outer_f32, open_unit_f64, open_unit_f32,
    signed_unit_f32, signed_unit_f64, trunc2_ppf_f32, trunc2_ppf_f64, uint_to_f64, unit_f32,
    unit_f64,
)

TRUNC2_INV_F32 = 0
TRUNC2_INV_F64 = 1
TRUNC2_REJECT_F32 = 2
TRUNC2_REJECT_F64 = 3
NORMAL_F32 = 4
NORMAL_F64 = 5
UNIFORM_F32 = 6
UNIFORM_F64 = 7
TRUNC_CDF_F32 = 8
TRUNC_CDF_F64 = 9
TRUNC_TAIL_F32 = 10
TRUNC_TAIL_F64 = 11
BITS_U32 = 12
TRUNC_CDF_NARROW_F32 = 14

#: Length of every kind's parameter tuple.
N_PARAMS = 8

#: Kinds whose first attempt needs the word of draw 1 as well as draw 0.
TWO_DRAW_KINDS = frozenset({TRUNC2_INV_F64, TRUNC2_REJECT_F32, TRUNC2_REJECT_F64,
                            NORMAL_F64, UNIFORM_F64, TRUNC_CDF_F64, TRUNC_TAIL_F32,
                            TRUNC_TAIL_F64})

#: Rejection attempts before giving up. Each attempt fails with probability
#: (1 - 0.9545)**2 ~ 2e-3, so reaching the limit has probability ~1e-86; the
#: (unreachable in practice) fallback keeps the element a pure function of its
#: index and inside the support.
MAX_ATTEMPTS = 32

_F32 = np.float32
_ONE32 = _F32(1.0)
_TWO32 = _F32(2.0)
_HALF32 = _F32(0.5)
_U8 = np.uint64(8)
_LOW8 = np.uint64(0xFF)
_MASK32 = np.uint64(0xFFFFFFFF)
_INV_2_24 = _F32(5.9604644775390625e-08)
_INV_2_32 = _F32(2.3283064365386963e-10)
_NAN32 = _F32(math.nan)


@scalar
def _reject_attempt_f32(x0, x1):
    # One attempt of the rejection method from the words of its two draws:
    # the first of the Box-Muller pair inside [-2, 2], NaN if neither is.
    z0, z1 = box_muller_f32(open_unit_f32(x0), open_unit_f32(x1))
    return z0 if abs(z0) <= _TWO32 else (z1 if abs(z1) <= _TWO32 else _NAN32)


@scalar(inline=False)
def _reject_z_f32(k0, k1, block, word, x0, x1):
    z = _reject_attempt_f32(x0, x1)
    for attempt in range(1, MAX_ATTEMPTS):
        if z == z:
            return z
        d = np.uint64(2 * attempt)
        z = _reject_attempt_f32(element_bits(block, word, d, k0, k1),
                                element_bits(block, word, d + np.uint64(1), k0, k1))
    return z if z == z else trunc2_ppf_f32(signed_unit_f32(x0))


@scalar
def _uniform64(k0, k1, block, word, m):
    d = np.uint64(2 * m)
    return open_unit_f64(element_bits(block, word, d, k0, k1),
                         element_bits(block, word, d + np.uint64(1), k0, k1))


@scalar(inline=False)
def _reject_z_f64(k0, k1, block, word, x0, x1):
    u1 = open_unit_f64(x0, x1)
    u2 = _uniform64(k0, k1, block, word, 1)
    for attempt in range(MAX_ATTEMPTS):
        if attempt > 0:
            u1 = _uniform64(k0, k1, block, word, 2 * attempt)
            u2 = _uniform64(k0, k1, block, word, 2 * attempt + 1)
        z0, z1 = box_muller_f64(u1, u2)
        if abs(z0) <= 2.0:
            return z0
        if abs(z1) <= 2.0:
            return z1
    return trunc2_ppf_f64(signed_unit_f64(x0, x1))


@scalar
def _trunc2_inv_f32(k0, k1, block, word, x0, x1, prm):
    v = _F32(prm[0]) + _F32(prm[1]) * trunc2_ppf_f32(signed_unit_f32(x0))
    return min(max(v, _F32(prm[6])), _F32(prm[7]))


@scalar
def _trunc2_inv_f64(k0, k1, block, word, x0, x1, prm):
    return prm[0] + prm[1] * trunc2_ppf_f64(signed_unit_f64(x0, x1))


def _trunc2_reject_f32_with(z_function):
    @scalar
    def trunc2_reject_f32(k0, k1, block, word, x0, x1, prm):
        z = z_function(k0, k1, block, word, x0, x1)
        v = min(max(fma32(_F32(prm[1]), z, _F32(prm[0])), _F32(prm[6])), _F32(prm[7]))
        return v if z == z else z  # NaN (the fast path's miss) survives the clamp
    return trunc2_reject_f32


@scalar
def _first_attempt_z_f32(k0, k1, block, word, x0, x1):
    return _reject_attempt_f32(x0, x1)


_trunc2_reject_f32 = _trunc2_reject_f32_with(_first_attempt_z_f32)
_trunc2_reject_f32_complete = _trunc2_reject_f32_with(_reject_z_f32)


@scalar
def _trunc2_reject_f64(k0, k1, block, word, x0, x1, prm):
    return prm[0] + prm[1] * _reject_z_f64(k0, k1, block, word, x0, x1)


def _normal_f32_with(z_of_word):
    @scalar
    def normal_f32(k0, k1, block, word, x0, x1, prm):
        return _F32(prm[0]) + _F32(prm[1]) * z_of_word(x0)
    return normal_f32


_normal_f32 = _normal_f32_with(normal_word_inner_f32)
_normal_f32_outer = _normal_f32_with(normal_word_outer_f32)
_normal_f32_complete = _normal_f32_with(normal_word_f32)


def _normal_f64_with(quantile):
    @scalar
    def normal_f64(k0, k1, block, word, x0, x1, prm):
        # x = 2p - 1, p = (k + 1/2) / 2**53 for the 53-bit k (exact).
        x = signed_unit_f64(x0, x1)
        return prm[0] + prm[1] * quantile(x, 0.0, 1.0 - abs(x))
    return normal_f64


_normal_f64 = _normal_f64_with(normal_quantile_inner_f64)
_normal_f64_outer = _normal_f64_with(normal_quantile_outer_f64)
_normal_f64_complete = _normal_f64_with(normal_quantile_f64)


@scalar
def _uniform_f32(k0, k1, block, word, x0, x1, prm):
    v = (_F32(prm[0]) + _F32(prm[1]) * unit_f32(x0)) * _F32(prm[3])
    return min(max(v, _F32(prm[4])), _F32(prm[2]))


@scalar
def _uniform_f64(k0, k1, block, word, x0, x1, prm):
    v = (prm[0] + prm[1] * unit_f64(x0, x1)) * prm[3]
    return min(max(v, prm[4]), prm[2])


def _trunc_cdf_with(quantile, nan_at_ends=False):
    @scalar
    def trunc_cdf(u, prm):
        # Inverse CDF of a truncated normal on the side where the tail
        # probabilities A, B are accurate (see initializers._truncated_sampler).
        # p is in [0, 1]; where rounding reached 0 or 1 (u = 1 rounds to
        # 1.0 in open_unit_f64) the result is the support's end, and q is not
        # read there, so p goes to the quantile unclamped. A NaN (the fast
        # quantile's miss) survives the clamps (the final select: numba-cuda's
        # min and max drop NaNs). A quantile that is NaN at p = 0 and 1
        # (nan_at_ends: the |z| <= 2 piece) leaves the ends to the outer and
        # complete functions: three compares, a blend and three mask
        # operations fewer per 8 lanes where 95 % of the elements end.
        p = prm[2] + u * (prm[3] - prm[2])
        q = quantile(p)
        z = min(max(q, prm[4]), prm[5])
        if nan_at_ends:
            x = min(max(prm[0] + prm[1] * z, prm[6]), prm[7])
            return x if q == q else q
        z = prm[4] if p <= 0.0 else (prm[5] if p >= 1.0 else z)
        x = min(max(prm[0] + prm[1] * z, prm[6]), prm[7])
        return x if q == q or p <= 0.0 or p >= 1.0 else q
    return trunc_cdf


_trunc_cdf = _trunc_cdf_with(ndtri)  # libm log: TRUNC_CDF_NARROW_F32 keeps version 1's values


@scalar
def _open_unit_32bits(x):
    # (x + 1/2) / 2**32 for a 32-bit word, rounded once to float32.
    return fma32(_F32(np.int32(x >> _U8)), _INV_2_24,
                 (_F32(np.int32(x & _LOW8)) + _HALF32) * _INV_2_32)


@scalar
def _outer_f32(x, a):
    return normal_quantile_outer_f32(x, _F32(0.0), a)


def _trunc_cdf_f32_with(quantile):
    @scalar
    def trunc_cdf_f32(k0, k1, block, word, x0, x1, prm):
        # Lower- and upper-tail probabilities of the sample, p = A + u W and
        # 1 - p = Q + (1 - u) W (A, Q: the tails outside the interval, W its
        # mass, each accurate in float64 before rounding): the smaller one is
        # accurate, so both tails get the uniform's full resolution.
        u = _open_unit_32bits(x0)
        v = _open_unit_32bits(_MASK32 - x0)  # 1 - u, as exactly
        w = _F32(prm[4])
        lower = fma32(u, w, _F32(prm[2]))
        upper = fma32(v, w, _F32(prm[3]))
        a = _TWO32 * min(lower, upper)
        z = quantile(a - _ONE32 if lower <= upper else _ONE32 - a, a)
        x = min(max(_F32(prm[0]) + _F32(prm[1]) * z, _F32(prm[6])), _F32(prm[7]))
        return x if z == z else z  # NaN (the fast path's miss) survives the clamp
    return trunc_cdf_f32


_trunc_cdf_f32 = _trunc_cdf_f32_with(normal_quantile_inner_f32)
_trunc_cdf_f32_outer = _trunc_cdf_f32_with(_outer_f32)
_trunc_cdf_f32_complete = _trunc_cdf_f32_with(normal_quantile_split_f32)


@scalar
def _open32(x):
    # (x + 1/2) / 2**32 for a 32-bit word, in float64 (exact).
    return (uint_to_f64(x) + 0.5) * 2.3283064365386963e-10


@scalar
def _rounded_f32(v, prm):
    # float32 of v clamped to [lo, hi] (whose float32 values rounding could cross).
    r = _F32(min(max(_F32(v), _F32(prm[6])), _F32(prm[7])))
    return r if v == v else _F32(v)


@scalar
def _trunc_cdf_narrow_f32(k0, k1, block, word, x0, x1, prm):
    # Intervals too narrow for float32 probabilities and quantiles (a few
    # ulp of z, or of the tail probability, would be a visible share of the
    # interval): the float64 computation, rounded once.
    return _rounded_f32(_trunc_cdf(_open32(x0), prm), prm)


def _of_probability(quantile):
    # A float64 normal quantile function of (x_hi, x_lo, a) as one of p.
    @scalar
    def quantile_of_p(p):
        x_hi, x_lo, a = normal_parts_f64(p)
        return quantile(x_hi, x_lo, a)
    return quantile_of_p


def _trunc_cdf_f64_with(quantile, nan_at_ends=False):
    cdf = _trunc_cdf_with(_of_probability(quantile), nan_at_ends)

    @scalar
    def trunc_cdf_f64(k0, k1, block, word, x0, x1, prm):
        return cdf(open_unit_f64(x0, x1), prm)
    return trunc_cdf_f64


_trunc_cdf_f64 = _trunc_cdf_f64_with(normal_quantile_inner_f64, nan_at_ends=True)
_trunc_cdf_f64_outer = _trunc_cdf_f64_with(normal_quantile_outer_f64)
_trunc_cdf_f64_complete = _trunc_cdf_f64_with(normal_quantile_f64)


@scalar
def _tail_x(u, v, prm):
    # One attempt of the tail sampler: x from the exponential with rate
    # lambda = prm[4] truncated to [alpha, beta] (c = 1 - exp(-lambda (beta -
    # alpha))), accepted with probability exp(-(x - lambda)^2 / 2 + (x* -
    # lambda)^2 / 2), x* = clip(lambda, alpha, beta) (Robert 1995). Returns NaN
    # when rejected. Branch-free with our own log (1 - u c is formed with one
    # rounding, so log1p is not needed: its error is far below an ulp of x).
    alpha, beta, lam, c = prm[2], prm[3], prm[4], prm[5]
    x = min(fma64(-log_f64(fma64(-u, c, 1.0)), 1.0 / lam, alpha), beta)
    d_best = min(max(lam, alpha), beta) - lam
    d = x - lam
    accept = log_f64(v) <= fma64(-0.5 * d, d, 0.5 * d_best * d_best)
    return x if accept else math.nan


@scalar
def _tail_sample(x, prm):
    return min(max(fma64(prm[1], x, prm[0]), prm[6]), prm[7])


@scalar(inline=False)
def _tail_value(k0, k1, block, word, x0, x1, prm, wide):
    for attempt in range(MAX_ATTEMPTS):
        if wide:
            u = open_unit_f64(x0, x1) if attempt == 0 else _uniform64(k0, k1, block, word, 2 * attempt)
            v = _uniform64(k0, k1, block, word, 2 * attempt + 1)
        else:
            d = np.uint64(2 * attempt)
            u = _open32(x0 if attempt == 0 else element_bits(block, word, d, k0, k1))
            v = _open32(x1 if attempt == 0 else element_bits(block, word, d + np.uint64(1), k0, k1))
        x = _tail_x(u, v, prm)
        if x == x:
            return _tail_sample(x, prm)
    # Unreachable in practice: the acceptance rate is > 0.5 in every regime.
    return _tail_sample(prm[2], prm)


@scalar
def _trunc_tail_f32(k0, k1, block, word, x0, x1, prm):
    # The first attempt, branch-free: NaN when it is rejected.
    return _rounded_f32(_tail_sample(_tail_x(_open32(x0), _open32(x1), prm), prm), prm)


@scalar
def _trunc_tail_f32_complete(k0, k1, block, word, x0, x1, prm):
    return _rounded_f32(_tail_value(k0, k1, block, word, x0, x1, prm, False), prm)


@scalar
def _trunc_tail_f64(k0, k1, block, word, x0, x1, prm):
    return _tail_value(k0, k1, block, word, x0, x1, prm, True)


@scalar
def _bits_u32(k0, k1, block, word, x0, x1, prm):
    return np.uint32(x0)


#: kind -> its per-element function (the one definition each device compiles).
SAMPLE_FUNCTIONS = {
    TRUNC2_INV_F32: _trunc2_inv_f32,
    TRUNC2_INV_F64: _trunc2_inv_f64,
    TRUNC2_REJECT_F32: _trunc2_reject_f32,
    TRUNC2_REJECT_F64: _trunc2_reject_f64,
    NORMAL_F32: _normal_f32,
    NORMAL_F64: _normal_f64,
    UNIFORM_F32: _uniform_f32,
    UNIFORM_F64: _uniform_f64,
    TRUNC_CDF_F32: _trunc_cdf_f32,
    TRUNC_CDF_F64: _trunc_cdf_f64,
    TRUNC_CDF_NARROW_F32: _trunc_cdf_narrow_f32,
    TRUNC_TAIL_F32: _trunc_tail_f32,
    TRUNC_TAIL_F64: _trunc_tail_f64,
    BITS_U32: _bits_u32,
}

#: kind -> its complete scalar function, for the kinds whose function in
#: :data:`SAMPLE_FUNCTIONS` is a branch-free fast path that returns NaN for
#: the rare elements it does not cover (the float32 normal quantile's tails,
#: |z| > 2; a rejected first attempt). Kernels compute those elements again
#: with this function.
COMPLETE_FUNCTIONS = {
    TRUNC2_REJECT_F32: _trunc2_reject_f32_complete,
    TRUNC_TAIL_F32: _trunc_tail_f32_complete,
    NORMAL_F32: _normal_f32_complete,
    NORMAL_F64: _normal_f64_complete,
    TRUNC_CDF_F32: _trunc_cdf_f32_complete,
    TRUNC_CDF_F64: _trunc_cdf_f64_complete,
}

#: kind -> its outer function, for the fast-path kinds whose function in
#: :data:`SAMPLE_FUNCTIONS` is short enough to share the Philox loop (one
#: pass) and misses often (the normal quantiles' inner rationals: 4.55 % of
#: normal samples, |z| > 2). CPU kernels compute those misses again in a
#: batch with this function (vectorized, NaN for |z| > 6.49 in float32, |z|
#: > 7 in float64), and only its NaNs with the complete function. Neither
#: function reads ``block`` or ``word``: the batch passes only the words of
#: the draws (stored by the Philox loop).
OUTER_FUNCTIONS = {
    NORMAL_F32: _normal_f32_outer,
    NORMAL_F64: _normal_f64_outer,
    TRUNC_CDF_F32: _trunc_cdf_f32_outer,
    TRUNC_CDF_F64: _trunc_cdf_f64_outer,
}
assert set(OUTER_FUNCTIONS) <= set(COMPLETE_FUNCTIONS)

#: kind -> output dtype.
KIND_DTYPE = {k: np.dtype(np.float64 if k & 1 else np.float32) for k in SAMPLE_FUNCTIONS}
KIND_DTYPE[BITS_U32] = np.dtype(np.uint32)


def _literal_kind(kind):
    if not isinstance(kind, types.IntegerLiteral) or kind.literal_value not in SAMPLE_FUNCTIONS:
        raise errors.TypingError("sampler kind must be a compile-time constant "
                                 "(call the kernel through numba.literally)")
    return kind.literal_value


def _per_kind(name, tables, doc):
    """A jit-only function ``name(kind, k0, k1, block, word, x0, x1, prm)``
    calling the kind's function from the first of ``tables`` that has it,
    chosen at compile time on the literal ``kind``, so each kernel compiles
    only its own kind."""
    def dispatch(kind, k0, k1, block, word, x0, x1, prm):
        raise NotImplementedError(f"{name}() is only callable from jitted code")
    dispatch.__name__ = dispatch.__qualname__ = name
    dispatch.__doc__ = doc

    @overload(dispatch, inline="always")
    def _dispatch_overload(kind, k0, k1, block, word, x0, x1, prm):
        literal = _literal_kind(kind)
        fn = next((table[literal] for table in tables if literal in table), None)
        if fn is None:
            raise errors.TypingError(f"{name}: sampler kind {literal} has no function here")

        def impl(kind, k0, k1, block, word, x0, x1, prm):
            return fn(k0, k1, block, word, x0, x1, prm)
        return impl
    return dispatch


sample = _per_kind("sample", (SAMPLE_FUNCTIONS,), """One sample of ``kind`` at Philox
    position ``(block, word)`` given the words ``x0``, ``x1`` of draws 0 and 1
    (jit-only; dispatches at compile time on the literal ``kind`` so each
    kernel only compiles its own kind).""")


def _kind_in(kinds, doc):
    """A predicate on a literal kind, a compile-time constant in jitted code."""
    def predicate(kind):
        return kind in kinds
    predicate.__doc__ = doc

    @overload(predicate, inline="always")
    def _predicate_overload(kind):
        flag = _literal_kind(kind) in kinds
        return lambda kind: flag
    return predicate


uses_draw1 = _kind_in(TWO_DRAW_KINDS, "Whether ``kind`` reads draw 1 in its first attempt.")


sample_complete = _per_kind("sample_complete", (COMPLETE_FUNCTIONS, SAMPLE_FUNCTIONS), """As
    :func:`sample`, never NaN: the complete function of kinds that have a fast
    path (jit-only).""")


has_fast_path = _kind_in(COMPLETE_FUNCTIONS, "Whether ``kind``'s :func:`sample` may return "
                         "NaN for an element that :func:`sample_complete` computes.")
has_outer_batch = _kind_in(OUTER_FUNCTIONS, "Whether ``kind``'s fast-path misses go "
                          "through :func:`sample_outer` in a batch (see OUTER_FUNCTIONS).")


sample_outer = _per_kind("sample_outer", (OUTER_FUNCTIONS,), """As :func:`sample`, with the
    outer function of a kind in :data:`OUTER_FUNCTIONS` (jit-only).""")


@scalar
def sample_element(kind, k0, k1, index, prm):
    """The value of flat element ``index`` (uint64): the scalar reference path."""
    block = element_block(index)
    word = element_word(index)
    x0 = element_bits(block, word, np.uint64(0), k0, k1)
    x1 = x0
    if uses_draw1(kind):
        x1 = element_bits(block, word, np.uint64(1), k0, k1)
    return sample_complete(kind, k0, k1, block, word, x0, x1, prm)
