"""Argument checks shared by the public API. Every check runs before anything
is allocated or written, and each error names the argument and what is allowed."""
import math
import operator
import os

import numpy as np

_MAX_ELEMENTS = 2**63 - 1


def normalize_shape(shape, name="shape"):
    """Return ``shape`` as a tuple of non-negative Python ints.

    Accepts an int or a sequence of ints (NumPy integers included); refuses
    bools, floats, negative sizes and shapes with more than 2**63 - 1 elements.
    """
    if type(shape) is tuple and all(type(d) is int and d >= 0 for d in shape):
        # Already normalized, as every call on a region or on a model's
        # parameters passes it: the checks below cost 1.3 us warm, 12 us
        # right after a large kernel has left the caches cold.
        out = shape
    else:
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


def real_float(value, name):
    """``value`` as a Python float (infinities and NaN included): Python and
    NumPy reals, and 0-d arrays of a real dtype (NumPy, JAX, ...) as the
    frameworks pass their scalars; bools and everything else are refused."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number; got a bool")
    if not isinstance(value, (int, float, np.integer, np.floating)):
        try:
            arr = np.asarray(value) if hasattr(value, "__array__") or hasattr(
                value, "__array_interface__") else None
        except Exception:  # noqa: BLE001 - whatever the object raises, it is not a scalar
            arr = None
        if arr is None or arr.shape != () or arr.dtype.kind not in "iuf":
            raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
        value = arr.astype(np.float64) if arr.dtype.itemsize == 2 else arr
    return float(value)


def finite_float(value, name):
    """``value`` as a finite Python float (see :func:`real_float`)."""
    v = real_float(value, name)
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


#: Where the process's cgroup membership and the cgroup file systems are read
#: (patchable, for tests).
PROC_SELF_CGROUP = "/proc/self/cgroup"
CGROUP_ROOT = "/sys/fs/cgroup"

#: cgroup v1 reports "no limit" as a huge number near 2**63.
_V1_UNLIMITED = 1 << 60


def _read_int(path):
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    return None if text == "max" else int(text) if text.isdigit() else None


def _inactive_file(path, key):
    # Page cache the kernel reclaims before it OOM-kills: not really in use.
    try:
        with open(path) as f:
            for line in f:
                name, _, value = line.partition(" ")
                if name == key:
                    return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _cgroup_dirs():
    """(version, directory) of this process's cgroups and their ancestors, whose
    limits all apply."""
    try:
        with open(PROC_SELF_CGROUP) as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and controllers == "":
            version, base = 2, CGROUP_ROOT
        elif "memory" in controllers.split(","):
            version, base = 1, os.path.join(CGROUP_ROOT, "memory")
        else:
            continue
        parts = [p for p in path.split("/") if p]
        for depth in range(len(parts), -1, -1):
            out.append((version, os.path.join(base, *parts[:depth])))
    return out


def cgroup_available_memory():
    """Bytes this process's memory cgroups (v2 and v1, the tightest limit on
    the path to the root) still allow, or None when no limit is set."""
    free = None
    for version, d in _cgroup_dirs():
        if version == 2:
            limit = _read_int(os.path.join(d, "memory.max"))
            usage = _read_int(os.path.join(d, "memory.current"))
            cache = _inactive_file(os.path.join(d, "memory.stat"), "inactive_file")
        else:
            limit = _read_int(os.path.join(d, "memory.limit_in_bytes"))
            usage = _read_int(os.path.join(d, "memory.usage_in_bytes"))
            cache = _inactive_file(os.path.join(d, "memory.stat"), "total_inactive_file")
            if limit is not None and limit >= _V1_UNLIMITED:
                limit = None
        if limit is None or usage is None:
            continue
        room = max(0, limit - max(0, usage - cache))
        free = room if free is None else min(free, room)
    return free


def available_memory():
    """Bytes of memory available to a new allocation: the smaller of the
    system's (Linux MemAvailable plus free swap) and what this process's
    memory cgroup allows (containers), or None where neither can be read."""
    try:
        with open("/proc/meminfo") as f:
            info = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in f}
        system = info["MemAvailable"] + info.get("SwapFree", 0)
    except (OSError, KeyError, ValueError, IndexError):
        system = None
    limits = [m for m in (system, cgroup_available_memory()) if m is not None]
    return min(limits) if limits else None


def check_allocation(nbytes, what):
    """Raise MemoryError, before allocating, if ``nbytes`` cannot fit in memory.
    ``what`` (a str, or a callable returning one: formatting a dtype costs
    microseconds that a small fill should not pay) names the allocation."""
    if nbytes <= _CHECKED_BYTES:
        return
    avail = available_memory()
    if avail is not None and nbytes > avail:
        what = what() if callable(what) else what
        raise MemoryError(f"{what} needs {nbytes / 2**30:.2f} GiB but only {avail / 2**30:.2f} GiB "
                          "of memory is available; generate it in regions or stream it to disk "
                          "(fastinit.save_npy)")
