"""Distributions: which words of an element feed which transform.

A *sampler kind* is a small integer naming (distribution, method, precision).
:func:`sample` is the one per-element definition every kernel calls - the CPU
loops in :mod:`fastinit.cpu` and, later, the CUDA kernels - so each kind's maths
exists once. It receives the element's Philox position ``(block, word)``, the
words of draws 0 and 1 already computed by the caller (so a vectorized caller
can share one Philox call among the four words of a block) and three float64
parameters whose meaning depends on the kind:

=======================  ==============================  ===================
kind                     value                           params (p0, p1, p2)
=======================  ==============================  ===================
TRUNC2_INV_F32/_F64      p0 + p1 * z, z ~ N(0,1) on      mean, sigma, -
                         [-2, 2] by inverse CDF
TRUNC2_REJECT_F32/_F64   same distribution, rejection    mean, sigma, -
                         of Box-Muller normals
NORMAL_F32/_F64          p0 + p1 * z, z ~ N(0,1)         mean, sigma, -
UNIFORM_F32/_F64         min(p0 + p1 * u, p2),           low, width,
                         u ~ U[0, 1)                     largest float < high
=======================  ==============================  ===================

Draw usage (part of the compatibility guarantee): float32 inverse-CDF, normal
and uniform kinds use draw 0; float64 kinds use draws 0 and 1 for each uniform.
The rejection method's attempt ``a`` uses uniforms ``2a`` and ``2a + 1``, where
float32 uniform ``m`` is draw ``m`` and float64 uniform ``m`` is draws
``2m, 2m + 1``; both Box-Muller normals of an attempt are tried in order.
"""
import numpy as np
from numba.core import errors, types
from numba.extending import overload

from ._jit import scalar
from .philox import element_bits, element_block, element_word
from .transforms import (
    box_muller_f32, box_muller_f64, ndtri, open_unit_f64, open_unit_f32,
    signed_unit_f32, signed_unit_f64, trunc2_ppf_f32, trunc2_ppf_f64, unit_f32, unit_f64,
)

TRUNC2_INV_F32 = 0
TRUNC2_INV_F64 = 1
TRUNC2_REJECT_F32 = 2
TRUNC2_REJECT_F64 = 3
NORMAL_F32 = 4
NORMAL_F64 = 5
UNIFORM_F32 = 6
UNIFORM_F64 = 7

#: Kinds whose first attempt needs the word of draw 1 as well as draw 0.
TWO_DRAW_KINDS = frozenset({TRUNC2_INV_F64, TRUNC2_REJECT_F32, TRUNC2_REJECT_F64,
                            NORMAL_F64, UNIFORM_F64})

#: Rejection attempts before giving up. Each attempt fails with probability
#: (1 - 0.9545)**2 ~ 2e-3, so reaching the limit has probability ~1e-86; the
#: (unreachable in practice) fallback keeps the element a pure function of its
#: index and inside the support.
MAX_ATTEMPTS = 32

_F32 = np.float32
_TWO32 = _F32(2.0)


@scalar(inline=False)
def _reject_z_f32(k0, k1, block, word, x0, x1):
    u1 = open_unit_f32(x0)
    u2 = open_unit_f32(x1)
    for attempt in range(MAX_ATTEMPTS):
        if attempt > 0:
            d = np.uint64(2 * attempt)
            u1 = open_unit_f32(element_bits(block, word, d, k0, k1))
            u2 = open_unit_f32(element_bits(block, word, d + np.uint64(1), k0, k1))
        z0, z1 = box_muller_f32(u1, u2)
        if abs(z0) <= _TWO32:
            return z0
        if abs(z1) <= _TWO32:
            return z1
    return trunc2_ppf_f32(signed_unit_f32(x0))


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
def _trunc2_inv_f32(k0, k1, block, word, x0, x1, p0, p1, p2):
    return _F32(p0) + _F32(p1) * trunc2_ppf_f32(signed_unit_f32(x0))


@scalar
def _trunc2_inv_f64(k0, k1, block, word, x0, x1, p0, p1, p2):
    return p0 + p1 * trunc2_ppf_f64(signed_unit_f64(x0, x1))


@scalar
def _trunc2_reject_f32(k0, k1, block, word, x0, x1, p0, p1, p2):
    return _F32(p0) + _F32(p1) * _reject_z_f32(k0, k1, block, word, x0, x1)


@scalar
def _trunc2_reject_f64(k0, k1, block, word, x0, x1, p0, p1, p2):
    return p0 + p1 * _reject_z_f64(k0, k1, block, word, x0, x1)


@scalar
def _normal_f32(k0, k1, block, word, x0, x1, p0, p1, p2):
    # 32 random bits, quantile in float64, rounded once.
    u = (np.float64(x0) + 0.5) * 2.3283064365386963e-10
    return _F32(p0 + p1 * ndtri(u))


@scalar
def _normal_f64(k0, k1, block, word, x0, x1, p0, p1, p2):
    return p0 + p1 * ndtri(open_unit_f64(x0, x1))


@scalar
def _uniform_f32(k0, k1, block, word, x0, x1, p0, p1, p2):
    return min(_F32(p0) + _F32(p1) * unit_f32(x0), _F32(p2))


@scalar
def _uniform_f64(k0, k1, block, word, x0, x1, p0, p1, p2):
    return min(p0 + p1 * unit_f64(x0, x1), p2)


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
}

#: kind -> output dtype.
KIND_DTYPE = {k: np.dtype(np.float64 if k & 1 else np.float32) for k in SAMPLE_FUNCTIONS}


def _literal_kind(kind):
    if not isinstance(kind, types.IntegerLiteral) or kind.literal_value not in SAMPLE_FUNCTIONS:
        raise errors.TypingError("sampler kind must be a compile-time constant "
                                 "(call the kernel through numba.literally)")
    return kind.literal_value


def sample(kind, k0, k1, block, word, x0, x1, p0, p1, p2):
    """One sample of ``kind`` at Philox position ``(block, word)`` given the
    words ``x0``, ``x1`` of draws 0 and 1 (jit-only; dispatches at compile time
    on the literal ``kind`` so each kernel only compiles its own kind)."""
    raise NotImplementedError("sample() is only callable from jitted code")


@overload(sample, inline="always")
def _sample_overload(kind, k0, k1, block, word, x0, x1, p0, p1, p2):
    fn = SAMPLE_FUNCTIONS[_literal_kind(kind)]

    def impl(kind, k0, k1, block, word, x0, x1, p0, p1, p2):
        return fn(k0, k1, block, word, x0, x1, p0, p1, p2)
    return impl


def uses_draw1(kind):
    """Whether ``kind`` reads draw 1 in its first attempt (jit-only, compile-time)."""
    return kind in TWO_DRAW_KINDS


@overload(uses_draw1, inline="always")
def _uses_draw1_overload(kind):
    flag = _literal_kind(kind) in TWO_DRAW_KINDS

    def impl(kind):
        return flag
    return impl


@scalar
def sample_element(kind, k0, k1, index, p0, p1, p2):
    """The value of flat element ``index`` (uint64): the scalar reference path."""
    block = element_block(index)
    word = element_word(index)
    x0 = element_bits(block, word, np.uint64(0), k0, k1)
    x1 = x0
    if uses_draw1(kind):
        x1 = element_bits(block, word, np.uint64(1), k0, k1)
    return sample(kind, k0, k1, block, word, x0, x1, p0, p1, p2)
