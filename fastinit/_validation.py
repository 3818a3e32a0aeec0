"""Argument checks shared by the public API. Every check runs before anything
is allocated or written, and each error names the argument and what is allowed."""
import math
import operator

import numpy as np

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


#: Allocations above this size are checked against the memory available.
_CHECKED_BYTES = 256 << 20


def available_memory():
    """Bytes of memory available to a new allocation (Linux MemAvailable plus
    free swap), or None where that cannot be read."""
    try:
        with open("/proc/meminfo") as f:
            info = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in f}
        return info["MemAvailable"] + info.get("SwapFree", 0)
    except (OSError, KeyError, ValueError, IndexError):
        return None


def check_allocation(nbytes, what):
    """Raise MemoryError, before allocating, if ``nbytes`` cannot fit in memory."""
    if nbytes <= _CHECKED_BYTES:
        return
    avail = available_memory()
    if avail is not None and nbytes > avail:
        raise MemoryError(f"{what} needs {nbytes / 2**30:.2f} GiB but only {avail / 2**30:.2f} GiB "
                          "of memory is available; generate it in regions or stream it to disk "
                          "(fastinit.save_npy)")
