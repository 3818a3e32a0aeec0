"""Random bits -> floats: uniform variates, normal quantiles, truncated normals.

Each function here is a scalar, device-agnostic building block: it takes 32-bit
words (held in ``uint64``) or floats and returns one float. They are compiled
for the CPU by :mod:`fastinit._jit` and are meant to be compiled unchanged for
CUDA. None of them knows about arrays, loops or devices.

Compatibility guarantee (bits -> floats)
-----------------------------------------
With ``x0, x1, ...`` the words of draws 0, 1, ... of an element (see
:mod:`fastinit.philox`):

* float32 outputs use 24 bits, ``k = x0 >> 8``:
  ``signed_unit_f32 = (k - 2**23 + 1/2) / 2**23`` in (-1, 1) (exact in float32,
  symmetric, never 0 or +-1) and ``unit_f32 = k / 2**24`` in [0, 1).
* float64 outputs use 53 bits, ``k = (x0 << 21) | (x1 >> 11)``:
  ``signed_unit_f64 = (k - 2**52 + 1/2) / 2**52`` and ``unit_f64 = k / 2**53``.
  The high 24 bits are those of the float32 variate, so a float64 sample is
  close to the float32 sample of the same element.
* The truncated normal on [-2, 2] by inverse CDF is
  ``z = Phi^-1(1/2 + q * P)``, ``q`` the signed unit variate and
  ``P = erf(sqrt 2) / 2 = Phi(2) - 1/2``.
* The float32 normal (stream version 4, :func:`normal_word_f32`) is
  ``z = Phi^-1((k + 1/2) / 2**24)`` (``k = x0 >> 8``: the signed unit
  variate's cell) where that is within ``|z| < 2``, and the quantile of all
  32 bits, ``Phi^-1((x0 + 1/2) / 2**32)``, beyond.
"""
import math

import numba
import numpy as np
from llvmlite import ir
from numba.extending import intrinsic, overload

from ._jit import fma32, fma64, scalar

_F32 = np.float32
_U8 = np.uint64(8)
_U11 = np.uint64(11)
_U21 = np.uint64(21)

#: Standard deviation of a standard normal truncated to [-2, 2]; Keras divides
#: by it so that the truncated samples have the requested standard deviation.
TRUNC2_STD = 0.87962566103423978

# ---------------------------------------------------------------------------
# bits -> uniform variates
# ---------------------------------------------------------------------------


@scalar
def signed_unit_f32(x0):
    """Uniform in (-1, 1) from the high 24 bits of a word; exact in float32."""
    k = np.int32(x0 >> _U8)
    return (_F32(k) - _F32(8388607.5)) * _F32(1.1920928955078125e-07)


@scalar
def unit_f32(x0):
    """Uniform in [0, 1) on the 2**-24 grid from the high 24 bits of a word."""
    return _F32(np.int32(x0 >> _U8)) * _F32(5.9604644775390625e-08)


@scalar
def open_unit_f32(x0):
    """Uniform in (0, 1) (cell midpoints of the 2**-24 grid): safe to take a log of."""
    return (_F32(np.int32(x0 >> _U8)) + _F32(0.5)) * _F32(5.9604644775390625e-08)


#: The bits of 2**52: ``view(_EXP52 | i) - 2**52`` is ``float(i)`` for 0 <= i < 2**52.
_EXP52 = np.uint64(0x4330000000000000)
_TWO52 = 4503599627370496.0


@scalar
def uint_to_f64(i):
    """``float(i)``, exact, for an unsigned integer ``i < 2**52``."""
    # One OR and one subtraction, which vectorize. AVX2 has no int64 ->
    # float64 conversion (AVX-512DQ does), so np.float64(i) compiled to a
    # scalar vcvtsi2sd per element with lane extracts and inserts around it
    # (16 of each per 16 elements in the float64 normal's loop).
    return np.uint64(_EXP52 | i).view(np.float64) - _TWO52


@scalar
def _float53(x0, x1):
    # float(k), exact, for the 53-bit k = (x0 << 21) | (x1 >> 11): the
    # 32-bit and 21-bit parts converted apart and joined by one exact FMA.
    return fma64(uint_to_f64(x0), 2097152.0, uint_to_f64(x1 >> _U11))


@scalar
def signed_unit_f64(x0, x1):
    """Uniform in (-1, 1) from 53 bits (high 32 of ``x0``, high 21 of ``x1``)."""
    return (_float53(x0, x1) - 4503599627370495.5) * 2.220446049250313e-16


@scalar
def unit_f64(x0, x1):
    """Uniform in [0, 1) on the 2**-53 grid."""
    return _float53(x0, x1) * 1.1102230246251565e-16


@scalar
def open_unit_f64(x0, x1):
    """Uniform in (0, 1) (cell midpoints of the 2**-53 grid)."""
    # (k + 1/2) / 2**53 for the 53-bit k of _float53, rounded once, in two
    # FMAs: the low 21 bits' part (2**52 + lo) / 2**53 - (1/2 - 2**-54) =
    # (lo + 1/2) / 2**53 is exact (2**52 + lo is their bit pattern as is),
    # and hi / 2**32 is added to it with the one rounding of (k + 1/2); the
    # same bits as ``(float(k) + 0.5) / 2**53`` (k + 1/2 is rounded there
    # too, and scaling by a power of 2 commutes with rounding), in 6
    # operations instead of 8 (4 % of a TruncatedNormal float64 fill).
    lo = fma64(np.uint64(_EXP52 | (x1 >> _U11)).view(np.float64), 1.1102230246251565e-16,
               -0.49999999999999994)
    return fma64(uint_to_f64(x0), 2.3283064365386963e-10, lo)


# ---------------------------------------------------------------------------
# inverse normal CDF
# ---------------------------------------------------------------------------

# z = q * N(y) / D(y), y = -(1 - |q|)(1 + |q|) in (-1, 0], is the quantile
# Phi^-1(1/2 + q P) of the normal truncated to [-2, 2]. A (5, 4) rational
# minimax fit of N/D (relative error 1.2e-8, below float32 resolution; fitted
# with mpmath reference values, see tests/test_transforms.py for the check
# against scipy over all 2**24 inputs). Written in y rather than q**2 so that
# (1 - |q|)(1 + |q|) is computed without cancellation near the bounds, and with
# no log so the loop vectorizes. All terms have one sign on y <= 0: Horner has
# no cancellation.
_TN_A0 = _F32(1.999999976400213)
_TN_A1 = _F32(-27.458553601810305)
_TN_A2 = _F32(103.90343806303173)
_TN_A3 = _F32(-109.10150751875008)
_TN_A4 = _F32(18.449037829833447)
_TN_A5 = _F32(0.6180556539982455)
_TN_B1 = _F32(-15.439127866376174)
_TN_B2 = _F32(69.86692210059522)
_TN_B3 = _F32(-99.02387642883595)
_TN_B4 = _F32(32.25520486602302)
_ONE32 = _F32(1.0)
_TWO32 = _F32(2.0)


@scalar
def trunc2_ppf_f32(q):
    """Quantile of the standard normal truncated to [-2, 2], in float32.

    ``q`` in (-1, 1) is the signed uniform variate; the result is
    ``Phi^-1(1/2 + q * (Phi(2) - 1/2))`` with a maximum error of a few float32
    ulps, clamped to [-2, 2] so rounding can never leave the support.
    """
    a = abs(q)
    y = -((_ONE32 - a) * (_ONE32 + a))
    num = ((((_TN_A5 * y + _TN_A4) * y + _TN_A3) * y + _TN_A2) * y + _TN_A1) * y + _TN_A0
    den = (((_TN_B4 * y + _TN_B3) * y + _TN_B2) * y + _TN_B1) * y + _ONE32
    z = q * (num / den)
    return min(max(z, -_TWO32), _TWO32)


# fdlibm's log (e_log.c, Sun Microsystems): log(1 + f) = f - f^2/2 + s (f^2/2
# + R(s^2)), s = f / (2 + f), error < 1 ulp.
_LG = (1.479819860511658591e-01, 1.531383769920937332e-01, 1.818357216161805012e-01,
       2.222219843214978396e-01, 2.857142874366239149e-01, 3.999999999940941908e-01,
       6.666666666666735130e-01)
_LN2_HI_64 = 6.93147180369123816490e-01
_LN2_LO_64 = 1.90821492927058770002e-10
_MANT64 = np.uint64(0x000FFFFFFFFFFFFF)
_U52 = np.uint64(52)


# The bits of the smallest float64 above fl(sqrt 2) / 2, and 1024 in the
# exponent field: see log_f64.
_LOG_OFFSET64 = np.uint64(0x3FE6A09E667F3BCE)
_EXP1024 = np.uint64(1024 << 52)


@scalar
def log_f64(y):
    """Natural log of a positive normal float64, branch-free (exponent and
    mantissa from the bits, fdlibm's polynomial; < 1 ulp), so that vector
    loops and GPU threads run it without divergence or a libm call."""
    # y = 2**k m with m in [fl(sqrt 2) / 2, fl(sqrt 2)] by one subtraction of
    # the bits of the lower end: the borrow from the mantissa field lowers
    # the exponent exactly when y's mantissa is at most fl(sqrt 2), so no
    # compare and select (fdlibm's "m > sqrt 2: halve m, k + 1", the same k
    # and m). 1024 in the exponent field keeps the difference positive for
    # a logical shift (AVX2 has no 64-bit arithmetic one).
    u = np.uint64(np.float64(y).view(np.uint64) + (_EXP1024 - _LOG_OFFSET64))
    k = uint_to_f64(u >> _U52) - 1024.0
    m = np.uint64((u & _MANT64) + _LOG_OFFSET64).view(np.float64)
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    r = z * _horner_f64(_LG, z)
    hfsq = 0.5 * f * f
    # fma64 where two products meet in one sum, so that every compilation
    # of this function rounds alike.
    return k * _LN2_HI_64 - ((hfsq - fma64(s, hfsq + r, k * _LN2_LO_64)) - f)


@scalar
def _horner_f64(coeffs, t):
    # Explicit FMAs: a compiler's common-subexpression merging (two
    # functions evaluating the same polynomial) cannot change the rounding.
    acc = coeffs[0]
    for c in coeffs[1:]:
        acc = fma64(acc, t, c)
    return acc


# Wichura's AS241: the central rational in r = 0.180625 - q^2, the
# intermediate one in sqrt(-log(p)) - 1.6 and the far one in sqrt(-log(p)) -
# 5, highest degree first.
_AS241_A = (2.5090809287301226727e+3, 3.3430575583588128105e+4, 6.7265770927008700853e+4,
            4.5921953931549871457e+4, 1.3731693765509461125e+4, 1.9715909503065514427e+3,
            1.3314166789178437745e+2, 3.3871328727963666080e+0)
_AS241_B = (5.2264952788528545610e+3, 2.8729085735721942674e+4, 3.9307895800092710610e+4,
            2.1213794301586595867e+4, 5.3941960214247511077e+3, 6.8718700749205790830e+2,
            4.2313330701600911252e+1, 1.0)
_AS241_C = (7.74545014278341407640e-4, 2.27238449892691845833e-2, 2.41780725177450611770e-1,
            1.27045825245236838258e+0, 3.64784832476320460504e+0, 5.76949722146069140550e+0,
            4.63033784615654529590e+0, 1.42343711074968357734e+0)
_AS241_D = (1.05075007164441684324e-9, 5.47593808499534494600e-4, 1.51986665636164571966e-2,
            1.48103976427480074590e-1, 6.89767334985100004550e-1, 1.67638483018380384940e+0,
            2.05319162663775882187e+0, 1.0)
_AS241_E = (2.01033439929228813265e-7, 2.71155556874348757815e-5, 1.24266094738807843860e-3,
            2.65321895265761230930e-2, 2.96560571828504891230e-1, 1.78482653991729133580e+0,
            5.46378491116411436990e+0, 6.65790464350110377720e+0)
_AS241_F = (2.04426310338993978564e-15, 1.42151175831644588870e-7, 1.84631831751005468180e-5,
            7.86869131145613259100e-4, 1.48753612908506148525e-2, 1.36929880922735805310e-1,
            5.99832206555887937690e-1, 1.0)


@scalar
def ndtri(p):
    """Standard normal quantile Phi^-1(p) for p in (0, 1), float64, with the C
    library's ``log`` (kept for the kind whose values predate
    :func:`normal_quantile_f64`, ``TRUNC_CDF_NARROW_F32``).

    Wichura's algorithm AS241 (PPND16, Applied Statistics 37 (1988) 477-484),
    relative accuracy about 1e-16; the coefficients are those of CPython's
    ``statistics.NormalDist.inv_cdf``.
    """
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        return _horner_f64(_AS241_A, r) * q / _horner_f64(_AS241_B, r)
    r = p if q <= 0.0 else 1.0 - p
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        x = _horner_f64(_AS241_C, r - 1.6) / _horner_f64(_AS241_D, r - 1.6)
    else:
        x = _horner_f64(_AS241_E, r - 5.0) / _horner_f64(_AS241_F, r - 5.0)
    return -x if q < 0.0 else x


# The same quantile in float64, log-free: z/q = N(y) / D(y), y = q^2 - 1 in
# [-1, 0], is a (10, 10) rational least-squares fit to mpmath values (relative
# error 1e-17; benchmarks/scripts/fit_normal_quantile.py --trunc2-f64 refits
# it). It is evaluated as z = 2q + q (c1 y + y R(y) / D(y)), R = (N - (2 + c1
# y) D) / y, c1 = 2 - (z/q at q = 0): the straight line 2 + c1 y carries most
# of z/q, so the roundings of the rational reach z damped by the small share
# of the rest (2 ulp at most, 0.25 on average, against 4 for N / D). Every
# term of D has one sign on y <= 0 (no cancellation). Highest degree first.
_TN64_R = (-57.44961077660331, 1586.8102815661482, -9304.975688162122, 16364.581912971229,
           -3932.230664096898, -13050.598618671716, 12526.192399532089, -4721.803446984085,
           867.9578725296157, -76.87981222171362, 2.616007633782069)
_TN64_D = (71.48034585636142, -2133.7981157964928, 15519.722786791748, -43999.59225818031,
           59430.35624090301, -42567.23740191975, 17143.11993565574, -3972.522985317492,
           521.64153936444, -35.874873917751295, 1.0)
_TN64_C1 = 0.8037119866773917


@scalar
def trunc2_ppf_f64(q):
    """Quantile of the standard normal truncated to [-2, 2], in float64:
    ``Phi^-1(1/2 + q * (Phi(2) - 1/2))`` for the signed uniform ``q`` in
    (-1, 1), within 2 ulp, exactly odd, clamped to [-2, 2]. Branch-free and
    log-free (a rational in ``q^2 - 1``), one division."""
    y = fma64(q, q, -1.0)
    rest = fma64(y, _TN64_C1, y * (_horner_f64(_TN64_R, y) / _horner_f64(_TN64_D, y)))
    return min(max(fma64(q, rest, q + q), -2.0), 2.0)


# The float64 normal quantile (stream version 4) in the form of the float32
# one: x = 2p - 1 as an exact sum x_hi + x_lo and a = 1 - |x| (exact), so
# that either tail gets the uniform's full resolution. |z| <= 2 (95.45 % of
# normal samples) is the +-2 sigma kind's log-free rational at q = x / (2
# Phi(2) - 1); beyond, AS241's tail rationals in sqrt(-log(a / 2)).
_INV_MASS = (1.0476692262714444, -7.750273291873262e-17)  # 1 / erf(sqrt 2), split


@scalar
def normal_parts_f64(p):
    """``p`` in (0, 1) as ``x = 2p - 1 = x_hi + x_lo`` (exact) and ``a = 1 -
    |x| = 2 min(p, 1 - p)`` (exact), the inputs of the float64 normal quantile
    functions."""
    x_hi = 2.0 * p - 1.0  # exact for p >= 1/4 (Sterbenz)
    x_lo = 2.0 * p - (x_hi + 1.0)  # the rounding error below (Fast2Sum: |-1| >= 2p)
    return x_hi, x_lo, 2.0 * min(p, 1.0 - p)


@scalar
def normal_quantile_inner_f64(x_hi, x_lo, a):
    """``z = Phi^-1((1 + x) / 2)`` for ``x = x_hi + x_lo`` in (-1, 1) when
    ``|z| <= 2`` (95.45 % of normal samples), NaN otherwise; float64, within
    2 ulp.

    Branch-free and log-free: :func:`trunc2_ppf_f64`'s rational at ``q = x /
    (2 Phi(2) - 1)``, ``q`` carried as a double-double so that its rounding
    (amplified 4x near ``|z| = 2``) does not reach ``z``.
    """
    q_hi = x_hi * _INV_MASS[0]
    q_lo = fma64(x_hi, _INV_MASS[0], -q_hi) + fma64(x_lo, _INV_MASS[0], x_hi * _INV_MASS[1])
    y = fma64(q_hi, q_hi, -1.0) + 2.0 * q_hi * q_lo
    rest = fma64(y, _TN64_C1, y * (_horner_f64(_TN64_R, y) / _horner_f64(_TN64_D, y)))
    z = fma64(q_lo, 2.0 + rest, fma64(q_hi, rest, q_hi + q_hi))
    return z if y <= 0.0 else math.nan


@scalar
def normal_quantile_outer_f64(x_hi, x_lo, a):
    """As :func:`normal_quantile_inner_f64` for ``2 < |z| < 7.0`` (all but
    1.4e-11 of the rest): AS241's intermediate rational in ``sqrt(-log(a /
    2))`` with :func:`log_f64`, branch-free; NaN beyond ``|z| = 7``."""
    t = math.sqrt(-log_f64(0.5 * a))
    x = _horner_f64(_AS241_C, t - 1.6) / _horner_f64(_AS241_D, t - 1.6)
    z = x if x_hi >= 0.0 else -x
    return z if t <= 5.0 else math.nan


@scalar(inline=False)
def normal_quantile_f64(x_hi, x_lo, a):
    """The float64 normal quantile ``Phi^-1((1 + x) / 2)`` for every ``x`` in
    (-1, 1) (``a = 1 - |x|`` down to the smallest subnormal), within 4 ulp:
    :func:`normal_quantile_inner_f64`, :func:`normal_quantile_outer_f64`
    where it misses, AS241's far rational beyond (with the C library's
    ``log``: subnormal ``a`` too)."""
    z = normal_quantile_inner_f64(x_hi, x_lo, a)
    if z != z:
        z = normal_quantile_outer_f64(x_hi, x_lo, a)
    if z == z:
        return z
    t = math.sqrt(-math.log(0.5 * a))
    x = _horner_f64(_AS241_E, t - 5.0) / _horner_f64(_AS241_F, t - 5.0)
    return x if x_hi >= 0.0 else -x


# ---------------------------------------------------------------------------
# the float32 normal quantile, branch-free where it is hot
# ---------------------------------------------------------------------------

# Cephes' logf polynomial (S. Moshier): log(1 + r) = r - r^2/2 + r^3 L(r) for
# r in [sqrt(1/2) - 1, sqrt(2) - 1], about 1 ulp.
_LOG_L = (_F32(7.0376836292e-2), _F32(-1.1514610310e-1), _F32(1.1676998740e-1),
          _F32(-1.2420140846e-1), _F32(1.4249322787e-1), _F32(-1.6668057665e-1),
          _F32(2.0000714765e-1), _F32(-2.4999993993e-1), _F32(3.3333331174e-1))
#: ln 2 split so that e * _LN2_HI is exact for |e| < 2**8.
_LN2_HI = _F32(0.693359375)
_LN2_LO = _F32(-2.12194440e-4)
_HALF32 = _F32(0.5)
_I23 = np.int32(23)
_MANT_I32 = np.int32(0x007FFFFF)
_LOG_OFFSET32 = np.int32(0x3F3504F4)


@scalar
def _horner_f32(coeffs, t):
    # float32, highest degree first; the tuple is a compile-time constant, so the loop
    # unrolls into a chain of FMAs.
    acc = coeffs[0]
    for c in coeffs[1:]:
        acc = fma32(acc, t, c)
    return acc


@scalar
def log_parts_f32(y):
    """``log(y) = e * ln2 + r``: the exponent ``e`` (float32) and ``r = log(m)``
    of the mantissa ``m`` in [sqrt(1/2), sqrt(2)), for a positive normal
    float32 ``y``; branch-free (exponent and mantissa from the bits), so
    vector loops and GPU threads run it without divergence. A subnormal or
    zero ``y`` gives ``e <= -126``, never a small log."""
    # As in log_f64: subtracting the bits of the smallest float32 above
    # fl(sqrt 2) / 2 borrows from the exponent exactly when y's mantissa is
    # at most fl(sqrt 2), so e and m come without a compare and select.
    u = np.int32(_F32(y).view(np.int32) - _LOG_OFFSET32)
    e = _F32(np.int32(u >> _I23))
    m = np.int32((u & _MANT_I32) + _LOG_OFFSET32).view(np.float32)
    r = m - _ONE32
    r2 = r * r
    return e, fma32(r * r2, _horner_f32(_LOG_L, r), fma32(-_HALF32, r2, r))


@scalar
def _poly_times_x(c_r, c0_hi, c0_lo, t, x_hi, x_lo):
    # x * (c0 + t R(t)), R a polynomial (see _times_x).
    return _times_x(_horner_f32(c_r, t), c0_hi, c0_lo, t, x_hi, x_lo)


@scalar
def _times_x(r, c0_hi, c0_lo, t, x_hi, x_lo):
    # x * (c0 + t r) with x = x_hi + x_lo and c0 = c0_hi + c0_lo, rounded
    # (about) once: the rounding error of the last step is recovered
    # exactly (c0_hi - p_hi is exact by Sterbenz's lemma: p stays within a
    # factor of 2 of c0 on each piece), so only r's own rounding, damped by
    # t r / p, and the final rounding remain.
    p_hi = fma32(t, r, c0_hi)
    p_lo = fma32(t, r, c0_hi - p_hi) + c0_lo
    return fma32(x_hi, p_hi, fma32(x_hi, p_lo, x_lo * p_hi))


# |z| / x for the normal quantile z = sqrt(2) erfinv(x), x = 1 - 2p, as
# polynomials in w = -log(1 - x^2) (M. Giles, "Approximating the erfinv
# function", GPU Computing Gems, 2011, with our own minimax fits to SciPy's
# ndtri, relative errors 5.6e-9, 3.5e-9, 5.3e-9; benchmarks/scripts/
# fit_normal_quantile.py refits them):
# central  w in [0, 5]     (|z| < 2.93, 99.66 % of normal samples): t = w - 2.5
# tail     w in [5, 22.5]  (down to p = 2**-33 and beyond):      t = sqrt(w) - 3
# far      w in [22.5, 104] (p down to float32's subnormals):    t = sqrt(w) - 7
_CENTRAL_R = (_F32(-1.2432500362535848e-08), _F32(3.28554676798376e-08),
              _F32(6.592656518478179e-07), _F32(-4.896999143966241e-06),
              _F32(-7.019236818450736e-06), _F32(0.0003087856457568705),
              _F32(-0.0017716445727273822), _F32(-0.005907717160880566),
              _F32(0.34880203008651733))
_CENTRAL_C0 = (_F32(2.1233134269714355), _F32(5.1597012884485594e-08))
_TAIL_R = (_F32(6.719579232594697e-06), _F32(-6.314682104857638e-05),
           _F32(0.00023306577350012958), _F32(-0.0003597728500608355),
           _F32(-0.00018803744751494378), _F32(0.0020674411207437515),
           _F32(-0.005034179892390966), _F32(0.00804852694272995),
           _F32(-0.010810486972332), _F32(0.01335715502500534), _F32(1.4165828227996826))
_TAIL_C0 = (_F32(4.006434440612793), _F32(-2.1631890945172927e-07))
_FAR_R = (_F32(1.0920668813696466e-08), _F32(-1.0315503828906003e-07),
          _F32(4.863399567511806e-07), _F32(-2.1692314930987777e-06),
          _F32(8.38427968119504e-06), _F32(8.671642717672512e-06),
          _F32(-0.0007247905596159399), _F32(1.4263696670532227))
_FAR_C0 = (_F32(9.714261054992676), _F32(-3.389687037724798e-07))
_W_CENTRAL = _F32(5.0)
_W_FAR = _F32(22.5)
_NAN32 = _F32(math.nan)


@scalar
def _one_minus_x2(a):
    # 1 - x^2 = a (2 - a) for a = 1 - x, with one rounding.
    return fma32(-a, a, a + a)


@scalar
def _minus_log_parts_f32(e, r):
    # -log(y) = -(e ln2 + r) from log_parts_f32 as the exact sum w_hi + w_lo,
    # e ln2 added with one rounding (ln2 split so that e * _LN2_HI is exact;
    # Box-Muller takes w_hi alone: w_lo's arithmetic is then dead code).
    big = -e * _LN2_HI  # exact
    rest = -fma32(e, _LN2_LO, r)
    w_hi = big + rest
    return w_hi, (big - w_hi) + rest  # exact (Fast2Sum: |big| >= |rest|)


@scalar
def _sqrt_w_times_x(c_r, c0, t0, w_hi, w_lo, x_hi, x_lo):
    # x * (c0 + t R(t)) at t = sqrt(w) - t0 (the tail and far pieces), with
    # sqrt(w_hi) corrected by its residual and w_lo, so that neither
    # rounding reaches z.
    s = math.sqrt(w_hi)
    s_lo = (fma32(-s, s, w_hi) + w_lo) * (_HALF32 / s)  # sqrt(w_hi + w_lo) - s
    return _poly_times_x(c_r, c0[0], c0[1], (s - t0) + s_lo, x_hi, x_lo)


@scalar
def normal_quantile_outer_f32(x_hi, x_lo, a):
    """``z = Phi^-1((1 + x) / 2)`` for ``x = x_hi + x_lo`` in (-1, 1), given
    ``a = 1 - |x|``, when ``w = -log(1 - x^2) < 22.5`` (``|z| < 6.49``: every
    normal sample of a 32-bit uniform); NaN otherwise.

    Branch-free (the central and tail pieces both computed, one selected):
    the vectorized batch of the float32 normal kinds' misses. The caller
    computes the rare NaN elements again with :func:`normal_quantile_f32`.
    """
    e, r = log_parts_f32(_one_minus_x2(a))
    w_hi, w_lo = _minus_log_parts_f32(e, r)
    central = _poly_times_x(_CENTRAL_R, _CENTRAL_C0[0], _CENTRAL_C0[1], w_hi - _F32(2.5),
                            x_hi, x_lo)
    tail = _sqrt_w_times_x(_TAIL_R, _TAIL_C0, _F32(3.0), w_hi, w_lo, x_hi, x_lo)
    return central if w_hi < _W_CENTRAL else (tail if w_hi < _W_FAR else _NAN32)


# The inner piece (|z| < 2, 95.45 % of normal samples), log-free: z = x (c +
# (3/16 - y) P(y) / Q(y)) with y = 1 - x^2 and c = z / x at y = 3/16, (4, 4)
# rational with positive coefficients (no cancellation in float32), fitted
# to mpmath's erfinv by benchmarks/scripts/fit_normal_quantile.py
# --inner-f32 (relative error of z / x 1.2e-8 at the fit's weights).
# Anchoring at y = 3/16 (|z| = 1.73) rather than y = 1 (z = 0) damps r's
# rounding where the 2-ulp bound applies, |z| >= 1. x is taken exactly
# (a float32), so the last step is one FMA and a product: within 2 ulp of
# the correctly rounded quantile of every float32 x with |z| >= 1. (A
# 32-bit x, split as x_hi + x_lo, needed c's low part and a compensated
# last step: 1 ulp, but about 33 vector operations per 8 lanes against
# the +-2 sigma kind's 22; see docs/performance.md.)
_INNER_P = (_F32(22.10050574132009), _F32(1079.637679193696), _F32(1350.8432337103764),
            _F32(265.84898255232577), _F32(7.191161938718775))
_INNER_Q = (_F32(893.8782063075786), _F32(2013.587931895971), _F32(840.8133075865411),
            _F32(75.58084150860678), _F32(1.0))
_INNER_C = _F32(1.8323071002960205)
_INNER_Y = _F32(0.1875)
_Y_INNER = _F32(0.0889)  # y = 1 - x^2 at |z| = 2.00015


@scalar
def normal_quantile_inner_f32(x, a):
    """``z = Phi^-1((1 + x) / 2)`` for a float32 ``x`` in (-1, 1), given
    ``a = 1 - |x|``, when ``|z| < 2.0001`` (95.45 % of normal samples); NaN
    otherwise.

    No ``log``: a rational in ``y = 1 - x^2``, so it costs about what the
    +-2 sigma kind's rational does (it is the float32 normal kinds' one-pass
    loop). Within 2 ulp of the correctly rounded quantile for ``|z| >= 1``,
    within 2e-7 below.
    """
    y = _one_minus_x2(a)
    r = _horner_f32(_INNER_P, y) / _horner_f32(_INNER_Q, y)
    z = x * fma32(_INNER_Y - y, r, _INNER_C)
    return z if y >= _Y_INNER else _NAN32


@scalar(inline=False)
def normal_quantile_split_f32(x, a):
    """The float32 truncated-normal kind's quantile of a float32 ``x``:
    :func:`normal_quantile_inner_f32` where it answers (``|z| < 2``),
    :func:`normal_quantile_f32` beyond."""
    z = normal_quantile_inner_f32(x, a)
    return z if z == z else normal_quantile_f32(x, _F32(0.0), a)


@scalar(inline=False)
def normal_quantile_f32(x_hi, x_lo, a):
    """``z = Phi^-1((1 + x) / 2)`` for ``x = x_hi + x_lo`` in (-1, 1), given
    ``a = 1 - |x|``, float32, for every ``a`` down to the smallest subnormal
    (the scalar complete version of :func:`normal_quantile_outer_f32`).

    In the tails ``w = -log(1 - x^2)`` is kept as a sum of two floats and
    ``sqrt(w)`` corrected by its residual, so neither rounding reaches ``z``.
    """
    z = normal_quantile_outer_f32(x_hi, x_lo, a)
    if z == z:
        return z
    # w >= 22.5, or 1 - x^2 subnormal (w > 87): the far piece.
    y = _one_minus_x2(a)
    shift = _F32(0.0)
    if y < _F32(1.1754943508222875e-38):  # subnormal: scale into the normal range
        y = y * _F32(18446744073709551616.0)
        shift = _F32(64.0)
    e, r = log_parts_f32(y)
    w_hi, w_lo = _minus_log_parts_f32(e - shift, r)
    return _sqrt_w_times_x(_FAR_R, _FAR_C0, _F32(7.0), w_hi, w_lo, x_hi, x_lo)


_SIGN_BIT = np.uint64(0x80000000)
_LOW7 = np.int32(0x7F)
_HIGH24 = np.int32(-128)  # ~0x7F
_I31 = np.int32(31)
_MAX31 = np.int32(0x7FFFFFFF)
_INV_2_31 = _F32(4.656612873077393e-10)


@scalar
def normal_word_parts_f32(x0):
    """The word ``x0`` as ``p = (x0 + 1/2) / 2**32``: returns ``x = 2p - 1``
    as the exact sum ``x_hi + x_lo`` and ``a = 1 - |x|`` (rounded once), the
    inputs of the float32 normal quantile functions (``z = -Phi^-1(p')`` has
    the sign of ``x``).

    With ``s = x0 - 2**31`` (int32), ``x = (s + 1/2) / 2**31``; 32-bit integer
    operations only, so vector loops keep 16 lanes per register.
    """
    s = np.int32(x0 ^ _SIGN_BIT)
    x_hi = _F32(np.int32(s & _HIGH24)) * _INV_2_31  # 24 significant bits: exact
    x_lo = (_F32(np.int32(s & _LOW7)) + _HALF32) * _INV_2_31
    t = np.int32(s ^ np.int32(s >> _I31))  # s if s >= 0 else -s - 1
    a = (_F32(np.int32(_MAX31 - t)) + _HALF32) * _INV_2_31
    return x_hi, x_lo, a


# The float32 normal kind (stream version 4) from its word: the 95.45 % of
# samples with |z| < 2 are the quantile of the word's 24-bit variate
# (signed_unit_f32, exact in float32, as the +-2 sigma kind's), the 4.55 %
# beyond the quantile of all 32 bits (normal_word_parts_f32), so the tails
# reach p = 2**-33 (|z| = 6.34). Which piece answers depends on the 24 bits
# only: a 2**-24 cell of p is wholly inner or wholly outer.


@scalar
def normal_word_inner_f32(x0):
    """The float32 normal kind's fast path: ``Phi^-1((k + 1/2) / 2**24)``,
    ``k = x0 >> 8``, where ``|z| < 2.0001``; NaN otherwise."""
    x = signed_unit_f32(x0)
    return normal_quantile_inner_f32(x, _ONE32 - abs(x))


@scalar
def normal_word_outer_f32(x0):
    """The float32 normal kind beyond the inner piece (its outer batch):
    ``Phi^-1((x0 + 1/2) / 2**32)`` (NaN never: every word's ``|z| < 6.34``)."""
    x_hi, x_lo, a = normal_word_parts_f32(x0)
    return normal_quantile_outer_f32(x_hi, x_lo, a)


@scalar(inline=False)
def normal_word_f32(x0):
    """The float32 normal kind's standard normal sample of the word ``x0``,
    complete: :func:`normal_word_inner_f32` where it answers, else
    ``Phi^-1((x0 + 1/2) / 2**32)`` by :func:`normal_quantile_f32`."""
    z = normal_word_inner_f32(x0)
    if z == z:
        return z
    x_hi, x_lo, a = normal_word_parts_f32(x0)
    return normal_quantile_f32(x_hi, x_lo, a)


# ---------------------------------------------------------------------------
# Box-Muller (the rejection method's normal proposal)
# ---------------------------------------------------------------------------


# Cephes' sinf and cosf polynomials (S. Moshier) on [-pi/4, pi/4], about 1 ulp.
_SIN_S = (_F32(-1.9515295891e-4), _F32(8.3321608736e-3), _F32(-1.6666654611e-1))
_COS_C = (_F32(2.443315711809948e-5), _F32(-1.388731625493765e-3),
          _F32(4.166664568298827e-2))
_HALF_PI_32 = _F32(1.5707963267948966)
_FOUR32 = _F32(4.0)


@scalar
def sincos_2pi_f32(u):
    """``cos(2 pi u)`` and ``sin(2 pi u)`` for a float32 ``u`` in [0, 1],
    branch-free (about 1 ulp).

    The turn is reduced exactly in ``u`` rather than in radians: ``4u = n + f``
    with ``n`` the nearest quarter turn and ``f`` in [-1/2, 1/2] (both exact),
    so only the polynomials' argument ``f pi / 2`` is rounded.
    """
    v = u * _FOUR32
    n = np.int32(v + _HALF32)  # v + 1/2 > 0: truncation is the floor
    t = (v - _F32(n)) * _HALF_PI_32
    z = t * t
    s = fma32(t * z, _horner_f32(_SIN_S, z), t)
    c = fma32(z * z, _horner_f32(_COS_C, z), fma32(-_HALF32, z, _ONE32))
    n = n & np.int32(3)
    odd = (n & np.int32(1)) != np.int32(0)
    cos_t = s if odd else c  # cos(n pi/2 + t) = +-cos t or +-sin t
    sin_t = c if odd else s
    cos_t = -cos_t if n == np.int32(1) or n == np.int32(2) else cos_t
    sin_t = -sin_t if n >= np.int32(2) else sin_t
    return cos_t, sin_t


@scalar
def box_muller_f32(u1, u2):
    """Two independent standard normals from two (0, 1) uniforms, float32,
    branch-free: our own ``log`` (:func:`log_parts_f32`) and
    :func:`sincos_2pi_f32`, so vector loops and GPU threads compute the same
    values without a libm call."""
    e, r = log_parts_f32(u1)
    w = _minus_log_parts_f32(e, r)[0]  # > 0
    radius = math.sqrt(w + w)
    c, s = sincos_2pi_f32(u2)
    return radius * c, radius * s


@scalar(inline=False)
def box_muller_f64(u1, u2):
    """Two independent standard normals from two (0, 1) uniforms, float64."""
    r = math.sqrt(-2.0 * math.log(u1))
    t = 6.283185307179586 * u2
    return r * math.cos(t), r * math.sin(t)


# ---------------------------------------------------------------------------
# float32 -> 16-bit floats. Numba has no float16 type on the CPU (and NumPy no
# bfloat16): binary16 goes through LLVM's own conversion (one vcvtps2ph /
# vcvtph2ps with F16C, vectorized), bfloat16 through integer arithmetic on
# the bits.
# ---------------------------------------------------------------------------


def f32_to_f16_bits(v):
    """IEEE binary16 bits of the float32 ``v``, rounded to nearest even
    (overflow to infinity, subnormals, NaN as the hardware does)."""
    return np.float16(v).view(np.uint16)


def f16_bits_to_f32(h):
    """The float32 value (exact) of the binary16 bits ``h``."""
    return np.float32(np.uint16(h).view(np.float16))


@intrinsic
def _fptrunc_f16_bits(typingctx, v):
    def codegen(context, builder, signature, args):
        return builder.bitcast(builder.fptrunc(args[0], ir.HalfType()), ir.IntType(16))
    return numba.uint16(numba.float32), codegen


@intrinsic
def _fpext_f16_bits(typingctx, h):
    def codegen(context, builder, signature, args):
        return builder.fpext(builder.bitcast(args[0], ir.HalfType()), ir.FloatType())
    return numba.float32(numba.uint16), codegen


@overload(f32_to_f16_bits, inline="always")
def _f32_to_f16_bits_overload(v):
    return lambda v: _fptrunc_f16_bits(np.float32(v))


@overload(f16_bits_to_f32, inline="always")
def _f16_bits_to_f32_overload(h):
    return lambda h: _fpext_f16_bits(np.uint16(h))


@scalar
def f32_bits_to_bf16_bits(u):
    """bfloat16 bits of the (finite) float32 with bits ``u``, rounded to nearest even."""
    u = np.uint32(u)
    return np.uint16((u + np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1))) >> np.uint32(16))


@scalar
def narrow_16(v, to_bf16, lo_bits, hi_bits, lo_value, hi_value):
    """The 16-bit pattern (binary16, or bfloat16 if ``to_bf16``) of the
    float32 ``v`` rounded to nearest even, clamped to [lo, hi]: the bounds'
    patterns and their (exact) float32 values. Branch-free."""
    if to_bf16:
        h = f32_bits_to_bf16_bits(np.float32(v).view(np.uint32))
        back = np.uint32(np.uint32(h) << np.uint32(16)).view(np.float32)
    else:
        h = f32_to_f16_bits(v)
        back = f16_bits_to_f32(h)
    h = hi_bits if back > hi_value else h
    return lo_bits if back < lo_value else h
