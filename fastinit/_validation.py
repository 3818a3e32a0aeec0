"""Argument checks shared by the public API. Every check runs before anything
is allocated or written, and each error names the argument and what is allowed."""
import math
import operator

import numpy as np

#: Output dtypes supported by the samplers.
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

_MAX_ELEMENTS = 2**63 - 1


def normalize_shape(shape, name="shape"):
    """Return ``shape`` as a tuple of non-negative Python ints.

    Accepts an int or a sequence of ints (NumPy integers included); refuses
    bools, floats, negative sizes and shapes with more than 2**63 - 1 elements.
    """
    if isinstance(shape, (str, bytes)):
        raise TypeError(f"{name} must be an int or a sequence of ints; got {type(shape).__name__}")
    try:
        dims = (shape,) if _is_integer(shape) else tuple(shape)
    except TypeError:
        raise TypeError(f"{name} must be an int or a sequence of ints; got {type(shape).__name__}") from None
    out = []
    for axis, d in enumerate(dims):
        if not _is_integer(d):
            raise TypeError(f"{name}[{axis}] must be an int; got {d!r} ({type(d).__name__})")
        d = operator.index(d)
        if d < 0:
            raise ValueError(f"{name}[{axis}] must be >= 0; got {d}")
        out.append(d)
    if math.prod(out) > _MAX_ELEMENTS:
        raise ValueError(f"{name} {tuple(out)} has more than 2**63 - 1 elements")
    return tuple(out)


def _is_integer(x):
    if isinstance(x, (bool, np.bool_)):
        return False
    try:
        operator.index(x)
    except TypeError:
        return False
    return True


def resolve_dtype(dtype, name="dtype"):
    """``None`` -> float32; float32/float64 in any spelling -> that dtype."""
    if dtype is None:
        return FLOAT_DTYPES[0]
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be float32 or float64; got {dtype!r}") from None
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64; got {dt}")
    return dt


def finite_float(value, name):
    """``value`` as a finite Python float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite; got {v}")
    return v


def positive_float(value, name):
    """``value`` as a finite, strictly positive Python float."""
    v = finite_float(value, name)
    if v <= 0:
        raise ValueError(f"{name} must be > 0; got {v}")
    return v


def choice(value, name, allowed):
    """``value`` if it is one of the strings ``allowed``."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def writable_output(out, name="out"):
    """Check ``out`` is a writable, C-contiguous float32/float64 NumPy array.

    Non-contiguous arrays are refused rather than filled: the values of a
    tensor are defined by flat C-order index, and writing them through strides
    would hide a silent copy or a slow path. Pass a contiguous array and take
    a view of it instead.
    """
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray; got {type(out).__name__}")
    if out.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must have dtype float32 or float64; got {out.dtype}")
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only")
    if not out.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (got strides {out.strides} for shape "
                         f"{out.shape}); fill a contiguous array instead")
    return out
