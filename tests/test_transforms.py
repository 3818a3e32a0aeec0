"""The scalar transforms against independent references (scipy, CPython's
statistics module) over their whole input range."""
import statistics

import numba
import numpy as np
import pytest
from scipy.special import ndtri as scipy_ndtri

from fastinit.transforms import (
    box_muller_f32, log_f64, log_parts_f32, ndtri, normal_parts_f64,
    normal_quantile_f32, normal_quantile_f64, normal_quantile_inner_f32,
    normal_quantile_inner_f64, normal_quantile_outer_f32, normal_quantile_outer_f64,
    normal_quantile_split_f32, normal_word_f32, normal_word_inner_f32, normal_word_outer_f32,
    normal_word_parts_f32, open_unit_f32, open_unit_f64, signed_unit_f32, signed_unit_f64,
    sincos_2pi_f32, trunc2_ppf_f32, trunc2_ppf_f64, uint_to_f64, unit_f32, unit_f64,
)
from reference import trunc2_ppf


@numba.njit
def _all_f32_quantiles(out):
    for k in range(out.size):
        out[k] = trunc2_ppf_f32(signed_unit_f32(np.uint64(k) << np.uint64(8)))


def test_trunc2_ppf_f32_over_all_2_24_inputs():
    z = np.empty(2**24, np.float32)
    _all_f32_quantiles(z)
    q = (np.arange(2**24, dtype=np.float64) - 8388607.5) / 8388608.0
    ref = trunc2_ppf(q)
    err = np.abs(z - ref)
    ulp = np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)
    # A few float32 ulps at worst, under one on average; the support is kept.
    assert err.max() < 6e-7
    assert (err / ulp).max() <= 8
    assert (err / ulp).mean() < 1.0
    assert np.abs(z).max() <= 2.0
    # Exactly odd-symmetric.
    assert np.array_equal(z, -z[::-1])


@numba.njit
def _map(f, x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = f(x[i])
    return out


def test_ndtri_matches_cpython_and_scipy():
    p = np.concatenate([np.linspace(1e-12, 1 - 1e-12, 20001), np.logspace(-300, -1, 500),
                        1 - np.logspace(-16, -1, 200)])
    got = _map(ndtri, p)
    want = np.array([statistics.NormalDist().inv_cdf(v) for v in p])
    assert np.allclose(got, want, rtol=4e-15, atol=1e-300)
    assert np.allclose(got, scipy_ndtri(p), rtol=1e-14, atol=1e-300)


def test_trunc2_ppf_f64():
    half = np.linspace(1e-9, 1 - 1e-12, 20001)
    q = np.concatenate([-half[::-1], half])
    got = _map(trunc2_ppf_f64, q)
    assert np.abs(got - trunc2_ppf(q)).max() < 1.5e-15
    assert np.abs(got).max() <= 2.0
    assert np.array_equal(got, -got[::-1])


def test_trunc2_ppf_f64_within_2_ulp_of_mpmath():
    mpmath = pytest.importorskip("mpmath")
    rng = np.random.default_rng(11)
    q = np.concatenate([rng.uniform(-1, 1, 20000), 1 - np.logspace(-16, -0.3, 400),
                        -np.logspace(-300, -0.3, 400)])
    mass = mpmath.erf(mpmath.sqrt(2))  # 2 (Phi(2) - 1/2)
    with mpmath.workdps(40):
        want = np.array([float(mpmath.sqrt(2) * mpmath.erfinv(mpmath.mpf(v) * mass)) for v in q])
    got = _map(trunc2_ppf_f64, q)
    ulps = np.abs(got - want) / np.spacing(np.abs(want))
    assert ulps.max() <= 2 and ulps.mean() < 0.4


@numba.njit
def _units(words):
    a = np.empty(words.size, np.float32)
    b = np.empty(words.size, np.float32)
    c = np.empty(words.size, np.float64)
    for i in range(words.size):
        a[i] = signed_unit_f32(words[i])
        b[i] = unit_f32(words[i])
        c[i] = signed_unit_f64(words[i], words[i])
    return a, b, c


def test_uniform_grids_exact_and_open():
    words = np.array([0, 255, 256, 2**31, 2**32 - 1], np.uint64)
    s, u, d = _units(words)
    assert s.tolist() == [(-8388607.5) / 2**23, (-8388607.5) / 2**23, (-8388606.5) / 2**23,
                          0.5 / 2**23, 8388607.5 / 2**23]
    assert u.tolist() == [0.0, 0.0, 2**-24, 0.5, 1 - 2**-24]
    assert -1 < d.min() and d.max() < 1


@numba.njit
def _units_f64(x0, x1):
    out = np.empty((4, x0.size))
    for i in range(x0.size):
        out[0, i] = signed_unit_f64(x0[i], x1[i])
        out[1, i] = unit_f64(x0[i], x1[i])
        out[2, i] = open_unit_f64(x0[i], x1[i])
        out[3, i] = uint_to_f64(x0[i] << np.uint64(20) | x1[i])
    return out


def test_float64_variates_are_the_documented_53_bit_grids():
    # The documented definitions in exact rational arithmetic (Python ints
    # and fractions), for edge words and random ones: the bit-trick
    # conversions (uint_to_f64) must give exactly these values.
    from fractions import Fraction
    edge = [0, 1, 2**11 - 1, 2**11, 2**31 - 1, 2**31, 2**32 - 1]
    rng = np.random.default_rng(5)
    x0 = np.array(edge * len(edge) + rng.integers(0, 2**32, 2000).tolist(), np.uint64)
    x1 = np.array([w for w in edge for _ in edge] + rng.integers(0, 2**32, 2000).tolist(),
                  np.uint64)
    got = _units_f64(x0, x1)
    for i, (a, b) in enumerate(zip(x0.tolist(), x1.tolist())):
        k = (a << 21) | (b >> 11)
        assert got[0, i] == float(Fraction(2 * k - 2**53 + 1, 2**53))
        assert got[1, i] == float(Fraction(k, 2**53))
        assert got[2, i] == float(Fraction(2 * k + 1, 2**54))
        assert got[3, i] == float((a << 20) | b)  # below 2**52: exact


@numba.njit(parallel=True)
def _normal_f32_from_words(words, out, fast):
    for i in numba.prange(words.size):
        x_hi, x_lo, a = normal_word_parts_f32(np.uint64(words[i]))
        if fast:
            out[i] = normal_quantile_outer_f32(x_hi, x_lo, a)
        else:
            out[i] = normal_quantile_f32(x_hi, x_lo, a)


def _ulps_from_correctly_rounded(z, ref):
    """|z - round32(ref)| in float32 ulps of round32(ref)."""
    r32 = ref.astype(np.float32)
    return np.abs(z.astype(np.float64) - r32) / np.spacing(np.abs(r32)).astype(np.float64)


def _check_normal_f32(z, ref):
    big = np.abs(ref) >= 1.0
    # Within 2 ulp of the correctly rounded quantile for |z| >= 1, within
    # 1e-6 below (the bound).
    assert _ulps_from_correctly_rounded(z[big], ref[big]).max() <= 2.0
    assert np.all(np.abs(z[~big] - ref[~big]) <= 1e-6)


def test_normal_quantile_f32_against_scipy_over_dense_word_grids():
    # Both tails word by word (the 2**24 smallest and largest words: every
    # sample beyond |z| = 5.3), the centre word by word, and every 97th word.
    words = np.concatenate([
        np.arange(2**24, dtype=np.uint64), 2**32 - 1 - np.arange(2**24, dtype=np.uint64),
        2**31 - 2**22 + np.arange(2**23, dtype=np.uint64),
        np.arange(0, 2**32, 97, dtype=np.uint64)])
    z = np.empty(words.size, np.float32)
    _normal_f32_from_words(words, z, False)
    ref = scipy_ndtri((words.astype(np.float64) + 0.5) / 2**32)
    _check_normal_f32(z, ref)
    # The tails reach the uniform's resolution: p = 2**-33 is z = -6.338.
    assert z.min() == np.float32(ref.min()) or \
        _ulps_from_correctly_rounded(z[:1], ref[:1]).max() <= 1
    # The batch's branch-free function (the central and tail pieces) is the
    # complete function for every word.
    fast = np.empty(words.size, np.float32)
    _normal_f32_from_words(words, fast, True)
    assert np.array_equal(fast, z)


@numba.njit(parallel=True)
def _inner_f32(x, inner, split):
    for i in numba.prange(x.size):
        a = np.float32(1.0) - abs(x[i])
        inner[i] = normal_quantile_inner_f32(x[i], a)
        split[i] = normal_quantile_split_f32(x[i], a)


def test_normal_quantile_inner_f32_against_scipy_and_the_split_quantile():
    # Every x of the 24-bit grid (the normal kind's inner inputs, all 2**24)
    # and every 11th float32 with 2**-12 <= |x| < 0.9546 (the truncated
    # normal kind feeds any float32 x; below, z is 1.25 x within 1e-7).
    grid = ((np.arange(2**24) - 8388607.5) / 8388608.0).astype(np.float32)
    lo, hi = np.float32(2.0**-12).view(np.int32), np.float32(0.9546).view(np.int32)
    dense = np.arange(lo, hi, 11, dtype=np.int32).view(np.float32)
    x = np.concatenate([grid, dense, -dense])
    inner = np.empty_like(x)
    split = np.empty_like(x)
    _inner_f32(x, inner, split)
    ref = scipy_ndtri((1.0 + x.astype(np.float64)) / 2)
    hit = ~np.isnan(inner)
    assert np.all(hit[np.abs(ref) < 2.0]) and not np.any(hit[np.abs(ref) > 2.0002])
    big = hit & (np.abs(ref) >= 1.0)
    assert _ulps_from_correctly_rounded(inner[big], ref[big]).max() <= 2.0
    assert np.abs(inner[hit & ~big] - ref[hit & ~big]).max() <= 2e-7
    assert np.array_equal(inner[:2**24], -inner[:2**24][::-1], equal_nan=True)
    # The truncated normal kind's quantile: the inner rational where it
    # answers, within the contract everywhere (tails included).
    assert np.array_equal(split[hit], inner[hit])
    _check_normal_f32(split, ref)


@numba.njit(parallel=True)
def _normal_word_f32(words, inner, outer, complete):
    for i in numba.prange(words.size):
        w = np.uint64(words[i])
        inner[i] = normal_word_inner_f32(w)
        outer[i] = normal_word_outer_f32(w)
        complete[i] = normal_word_f32(w)


def test_normal_word_f32_is_the_documented_quantile():
    # The float32 normal kind (stream version 4): Phi^-1((k + 1/2) / 2**24),
    # k = word >> 8, where that is below |z| = 2, Phi^-1((word + 1/2) /
    # 2**32) beyond. Every word from |z| = 1.93 to 2.07 (the cut), the 2**22
    # extreme words of each tail, every 251st word elsewhere.
    edge = np.arange(int(0.02275 * 2**32) - 2**22, int(0.02275 * 2**32) + 2**22,
                     dtype=np.uint64)
    ends = np.arange(2**22, dtype=np.uint64)
    words = np.concatenate([edge, 2**32 - 1 - edge, ends, 2**32 - 1 - ends,
                            np.arange(0, 2**32, 251, dtype=np.uint64)])
    inner, outer, complete = (np.empty(words.size, np.float32) for _ in range(3))
    _normal_word_f32(words, inner, outer, complete)
    z24 = scipy_ndtri(((words >> np.uint64(8)).astype(np.float64) + 0.5) / 2**24)
    z32 = scipy_ndtri((words.astype(np.float64) + 0.5) / 2**32)
    hit = ~np.isnan(inner)
    assert np.all(hit[np.abs(z24) < 2.0]) and not np.any(hit[np.abs(z24) > 2.0002])
    # Which piece answers depends on the 24 bits alone: whole cells.
    cell = np.empty(words.size, np.float32)
    _normal_word_f32(words & np.uint64(0xFFFFFF00), cell, np.empty_like(cell), np.empty_like(cell))
    assert np.array_equal(inner, cell, equal_nan=True)
    assert np.array_equal(complete[hit], inner[hit])
    _check_normal_f32(complete[hit], z24[hit])
    _check_normal_f32(complete[~hit], z32[~hit])
    # The outer batch's function: the complete one where it answers, and it
    # answers up to |z| = 2.93.
    answered = ~hit & ~np.isnan(outer)
    assert np.array_equal(outer[answered], complete[answered])
    assert np.all(answered[~hit & (np.abs(z32) < 2.93)])
    # The tails reach the word's resolution: p = 2**-33 is z = -6.338.
    assert complete[words == 0][0] == np.float32(scipy_ndtri(2.0**-33))


@numba.njit
def _normal_f32_from_p(p, out, fast):
    for i in range(p.size):
        lower = p[i] <= np.float32(0.5)
        a = np.float32(2.0) * (p[i] if lower else np.float32(1.0) - p[i])
        x = a - np.float32(1.0) if lower else np.float32(1.0) - a
        out[i] = normal_quantile_f32(x, np.float32(0.0), a)
        fast[i] = normal_quantile_outer_f32(x, np.float32(0.0), a)


def test_normal_quantile_f32_for_any_float32_probability():
    # The truncated-normal kind feeds float32 probabilities down to the
    # subnormals (far tail, w up to 104).
    p = np.concatenate([
        np.logspace(-45, -0.31, 400001).astype(np.float32),
        np.float32(1.0) - np.logspace(-7.2, -0.31, 100001).astype(np.float32)])
    p = p[p > 0]
    z = np.empty(p.size, np.float32)
    fast = np.empty(p.size, np.float32)
    _normal_f32_from_p(p, z, fast)
    ref = scipy_ndtri(p.astype(np.float64))
    _check_normal_f32(z, ref)
    # The branch-free function: the complete one where it answers, which is
    # everywhere except the far piece (w = -log(1 - x^2) >= 22.5, |z| > 6.492).
    hit = ~np.isnan(fast)
    assert np.array_equal(fast[hit], z[hit])
    assert np.all(hit[np.abs(ref) < 6.49]) and not np.any(hit[np.abs(ref) > 6.495])


@numba.njit(parallel=True)
def _map_f64(p, out, which):
    # which: 0 log_f64(p); the float64 normal quantile of p, 1 complete, 2
    # inner, 3 outer.
    for i in numba.prange(p.size):
        x_hi, x_lo, a = normal_parts_f64(p[i])
        if which == 0:
            out[i] = log_f64(p[i])
        elif which == 1:
            out[i] = normal_quantile_f64(x_hi, x_lo, a)
        elif which == 2:
            out[i] = normal_quantile_inner_f64(x_hi, x_lo, a)
        else:
            out[i] = normal_quantile_outer_f64(x_hi, x_lo, a)


def test_log_f64_within_one_ulp_of_numpy():
    y = np.concatenate([np.random.default_rng(3).random(10**6), np.logspace(-307, 0, 10**5)])
    got = np.empty_like(y)
    _map_f64(y, got, 0)
    assert (np.abs(got - np.log(y)) / np.spacing(np.abs(np.log(y)))).max() <= 1.0


@numba.njit(parallel=True)
def _log_parts_over_bits(bits, e_out, r_out):
    for i in numba.prange(bits.size):
        e_out[i], r_out[i] = log_parts_f32(np.uint32(bits[i]).view(np.float32))


def test_log_parts_f32_over_every_exponent():
    # Every 61st float32 bit pattern from the smallest normal to the largest
    # finite value (all exponents, both sides of each sqrt(2) split): y = 2**e
    # m with m in [sqrt(1/2), sqrt(2)] and log(y) = e ln2 + r within 1.2 ulp
    # of NumPy's float64 log of the same float32.
    exponents = np.arange(1, 255, dtype=np.uint32) << 23
    bits = np.concatenate([np.arange(0x00800000, 0x7F800000, 61, dtype=np.uint32),
                           exponents + 0x3504F3, exponents + 0x3504F4])  # 1.41421354, ..37
    e, r = np.empty(bits.size, np.float32), np.empty(bits.size, np.float32)
    _log_parts_over_bits(bits, e, r)
    y = bits.view(np.float32).astype(np.float64)
    m = y / 2.0 ** e.astype(np.float64)
    assert np.all(e == np.round(e)) and m.min() >= 0.7071067 and m.max() <= 1.4142136
    log_m = np.log(m)  # Cephes' polynomial: 1.16 ulp measured
    assert (np.abs(r - log_m) / np.spacing(np.abs(log_m).astype(np.float32))).max() <= 1.2
    want = np.log(y)
    got = e.astype(np.float64) * np.log(2.0) + r
    assert (np.abs(got - want) / np.spacing(np.abs(want).astype(np.float32))).max() <= 1.2


def test_normal_quantile_f64_within_4_ulp_of_mpmath():
    # Random p, both tails down to float64's subnormals, and the float64
    # normal kind's own inputs: p = (k + 1/2) / 2**53, dense at |z| = 2
    # where the inner rational hands over to the outer one.
    mpmath = pytest.importorskip("mpmath")
    rng = np.random.default_rng(5)
    k = np.concatenate([rng.integers(0, 2**53, 3000), 2**52 + np.arange(-3, 3),
                        np.round(2**53 * (0.5 + 0.4772498680518208 * np.linspace(-1.002, 1.002, 2001)))])
    p = np.concatenate([rng.random(3000), np.logspace(-323.6, -1, 600), 1 - np.logspace(-16, -1, 300),
                        (k + 0.5) / 2.0**53])

    def quantile(v):  # enough digits that 2 v - 1 keeps all of v's
        with mpmath.workdps(40 + int(-np.log10(min(v, 1 - v)))):
            return float(mpmath.sqrt(2) * mpmath.erfinv(2 * mpmath.mpf(v) - 1))
    want = np.array([quantile(v) for v in p])
    got, inner, outer = (np.empty_like(p) for _ in range(3))
    for out, which in ((got, 1), (inner, 2), (outer, 3)):
        _map_f64(p, out, which)
    assert (np.abs(got - want) / np.spacing(np.abs(want))).max() <= 4.0
    # The branch-free pieces are the complete function wherever they answer:
    # the inner one exactly for |z| <= 2 (within 2 ulp), the outer one beyond,
    # all but the outermost 1.4e-11 of each tail.
    hit = ~np.isnan(inner)
    assert np.all(hit[np.abs(want) < 2.0 - 1e-12]) and not np.any(hit[np.abs(want) > 2.0 + 1e-12])
    assert np.array_equal(inner[hit], got[hit])
    assert (np.abs(inner[hit] - want[hit]) / np.spacing(np.abs(want[hit]))).max() <= 2.0
    far = hit | np.isnan(outer)
    assert np.array_equal(outer[~far], got[~far])
    assert np.all(~far[~hit & (p > 1e-10) & (p < 1 - 1e-10)])


@numba.njit(parallel=True)
def _box_muller_over_words(cos_out, sin_out, radius_out):
    # u = open_unit_f32(k << 8) for every 24-bit k, used as both uniforms.
    for k in numba.prange(cos_out.size):
        u = open_unit_f32(np.uint64(k) << np.uint64(8))
        cos_out[k], sin_out[k] = sincos_2pi_f32(u)
        z0, z1 = box_muller_f32(u, np.float32(0.0))  # cos(0) = 1: z0 is the radius
        radius_out[k] = z0


def _ulps(got, want):
    # In float32 ulps of the reference, less 5e-16, the float64 reference's
    # own error (2 pi u rounded; at the quarter turns ours are exactly 0).
    err = np.maximum(np.abs(got - want) - 5e-16, 0.0)
    return err / np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)


def test_box_muller_f32_over_all_2_24_uniforms():
    # Our own float32 sin/cos of a turn and log, against NumPy's float64
    # functions of the same float32 inputs, over every uniform the kernels use.
    n = 2**24
    c, s, r = (np.empty(n, np.float32) for _ in range(3))
    _box_muller_over_words(c, s, r)
    u = ((np.arange(n, dtype=np.float64) + 0.5) / n).astype(np.float32).astype(np.float64)
    for got, want in [(c, np.cos(2 * np.pi * u)), (s, np.sin(2 * np.pi * u)),
                      (r, np.sqrt(-2 * np.log(u)))]:
        ulps = _ulps(got, want)
        assert ulps.max() <= 2
