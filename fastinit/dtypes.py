"""Output dtypes: float32, float64, and the 16-bit float16 / bfloat16.

16-bit outputs are computed in float32 and rounded once (to nearest even);
values that rounding would carry past a bound of the distribution are set to
the last representable value inside it, so no value ever lies outside the
truncation bounds (or reaches the excluded upper end of a uniform).
bfloat16 comes from the ``ml_dtypes`` package (a required dependency: the
dtype JAX and TensorFlow use with NumPy); ask for it as ``"bfloat16"`` or
``ml_dtypes.bfloat16``.
"""
import math

import ml_dtypes
import numpy as np

FLOAT32 = np.dtype(np.float32)
FLOAT64 = np.dtype(np.float64)
FLOAT16 = np.dtype(np.float16)
BFLOAT16 = np.dtype(ml_dtypes.bfloat16)

_ALLOWED = "float32, float64, float16 or bfloat16"


def resolve_dtype(dtype, name="dtype"):
    """``None`` -> float32; a supported float dtype in any spelling -> its numpy dtype."""
    if dtype is None:
        return FLOAT32
    if isinstance(dtype, str) and dtype == "bfloat16":
        return BFLOAT16
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be {_ALLOWED}; got {dtype!r}") from None
    if is_supported(dt):
        return dt
    raise TypeError(f"{name} must be {_ALLOWED}; got {dt}")


def is_supported(dt):
    return dt in (FLOAT32, FLOAT64, FLOAT16, BFLOAT16)


def compute_dtype(dt):
    """The dtype samples are computed in before any rounding."""
    return FLOAT64 if dt == FLOAT64 else FLOAT32


def is_16bit(dt):
    return dt.itemsize == 2


def _key(bits):
    mag = int(bits) & 0x7FFF
    return -mag if int(bits) & 0x8000 else mag


def _bits(dt, x):
    with np.errstate(over="ignore"):  # beyond the format's range: +-inf
        return int(np.asarray(x, np.float32).astype(dt).view(np.uint16))


def _inf_key(dt):
    """Order key of +inf in the 16-bit format ``dt``."""
    return 0x7C00 if dt == FLOAT16 else 0x7F80


def _value(dt, key):
    bits = key if key >= 0 else 0x8000 | -key
    return float(np.array(bits, np.uint16).view(dt).astype(np.float64))


def bound_keys(dt, low, high, high_inclusive=True):
    """Order keys (a 16-bit pattern as a sign-magnitude integer, ordered like
    the values) of the smallest finite 16-bit value >= ``low`` and the
    largest finite one <= ``high`` (< ``high`` when ``high_inclusive`` is
    false). Values beyond the format's range
    round to infinity, so clamping to these keys also keeps outputs finite; the
    keys cross (lo > hi) when no finite value lies in the interval."""
    inf = _inf_key(dt)
    lo = -inf if low == -math.inf else _key(_bits(dt, low))
    hi = inf if high == math.inf else _key(_bits(dt, high))
    while _value(dt, lo) < low:
        lo += 1
    while _value(dt, hi) > high or (not high_inclusive and _value(dt, hi) >= high):
        hi -= 1
    return max(lo, 1 - inf), min(hi, inf - 1)


_LARGEST = {dt: float(np.finfo(dt).max) for dt in (FLOAT32, FLOAT64)}


def inward_bounds(dt, low, high, high_inclusive=True):
    """The smallest float32/float64 ``dt`` value >= ``low`` and the largest <= ``high``
    (< ``high`` when ``high_inclusive`` is false), as Python floats; bounds beyond
    the format's range give +-inf or the extreme finite value."""
    t = dt.type
    largest = _LARGEST.get(dt, -1.0)
    if abs(low) <= largest and abs(high) <= largest:
        a, b = t(low), t(high)  # no overflow (an errstate costs 1.5 us per small fill)
    else:
        with np.errstate(over="ignore"):  # huge bounds become +-inf
            a, b = t(low), t(high)
    if float(a) < low:
        a = np.nextafter(a, t(np.inf))
    if float(b) > high or (not high_inclusive and float(b) >= high):
        b = np.nextafter(b, t(-np.inf))
    return float(a), float(b)


def check_representable(dt, low, high, high_inclusive=True):
    """Raise ValueError unless some finite value of ``dt`` lies in [low, high]
    (or [low, high) when ``high_inclusive`` is false)."""
    if is_16bit(dt):
        lo, hi = bound_keys(dt, low, high, high_inclusive)
        ok = lo <= hi
    else:
        finite = float(np.finfo(dt).max)
        a, b = inward_bounds(dt, low, high, high_inclusive)
        ok = max(a, -finite) <= min(b, finite)
    if not ok:
        raise ValueError(f"no finite {dt} value lies in the distribution's support "
                         f"[{low}, {high}{']' if high_inclusive else ')'}")


def narrow_params(dt, lo_key, hi_key):
    """The arguments after ``v`` of :func:`fastinit.transforms.narrow_16` for
    16-bit ``dt`` clamped to the bounds with order keys ``lo_key``/``hi_key``
    (:func:`bound_keys`): whether ``dt`` is bfloat16, the bounds' 16-bit
    patterns (uint16) and their exact float32 values."""
    bits = [np.uint16(k if k >= 0 else 0x8000 | -k) for k in (lo_key, hi_key)]
    values = [np.float32(np.array(b).view(dt)) for b in bits]
    return dt.name == "bfloat16", bits[0], bits[1], values[0], values[1]
