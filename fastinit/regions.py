"""Regions (shards) of a tensor -> runs of flat indices.

A region is what NumPy basic indexing with slices and integers selects:
``np.s_[a:b, c]``, ``(slice(a, b), 3)``, a single slice or int for the first
dimension, or ``None`` for the whole tensor. Slices must have step 1 (or
None); missing trailing dimensions are taken whole; negative indices and
out-of-range slice bounds follow NumPy's rules; ints drop their dimension from
the result, as in NumPy. So ``init(shape, region=r)`` is exactly
``init(shape)[r]``.
"""
import functools
import math
import operator

from .cpu import Runs


def normalize_region(region, shape):
    """Return ``(starts, stops, result_shape)`` for ``region`` of ``shape``.

    Raises
    ------
    TypeError
        An entry is not a slice or an int.
    ValueError
        A slice has a step other than 1, an int is out of range, or there are
        more entries than dimensions.
    """
    if region is None:
        return tuple(0 for _ in shape), tuple(shape), tuple(shape)
    if not isinstance(region, tuple):
        region = (region,)
    if len(region) > len(shape):
        raise ValueError(f"region has {len(region)} entries but the shape {shape} has "
                         f"{len(shape)} dimensions")
    starts, stops, result = [], [], []
    for axis, (r, n) in enumerate(zip(region + (slice(None),) * (len(shape) - len(region)), shape)):
        if isinstance(r, slice):
            if r.step not in (None, 1):
                raise ValueError(f"region[{axis}] must have step 1; got {r.step}")
            for bound in (r.start, r.stop):
                if bound is not None and not _is_int(bound):
                    raise TypeError(f"region[{axis}] slice bounds must be ints; got {bound!r}")
            a, b, _ = r.indices(n)
            b = max(a, b)
            starts.append(a)
            stops.append(b)
            result.append(b - a)
        elif _is_int(r):
            i = operator.index(r)
            if not -n <= i < n:
                raise ValueError(f"region[{axis}] = {i} is out of range for a dimension of size {n}")
            i %= n
            starts.append(i)
            stops.append(i + 1)
        else:
            raise TypeError(f"region[{axis}] must be a slice or an int; got {type(r).__name__}")
    return tuple(starts), tuple(stops), tuple(result)


def _is_int(x):
    if isinstance(x, bool):
        return False
    try:
        operator.index(x)
        return True
    except TypeError:
        return False


@functools.lru_cache(maxsize=256)
def region_runs(shape, starts, stops):
    """The :class:`~fastinit.cpu.Runs` that enumerate a region in C order
    (``shape``, ``starts``, ``stops``: tuples of ints).

    Trailing dimensions taken whole are merged into the runs, so the number of
    runs is the product of the region's extents before the last dimension it
    cuts. The last 256 are kept (a shard loop fills the same regions again;
    building one was 5.6 of a small fill's 36 us): a ``Runs`` is shared, and
    nothing may change its arrays.
    """
    nd = len(shape)
    strides = [math.prod(shape[d + 1:]) for d in range(nd)]
    if any(b <= a for a, b in zip(starts, stops)):
        return Runs(0, 0)
    # k: the last dimension the region does not take whole.
    k = max((d for d in range(nd) if (starts[d], stops[d]) != (0, shape[d])), default=-1)
    if k < 0:
        return Runs.contiguous(0, math.prod(shape))
    run_len = (stops[k] - starts[k]) * strides[k]
    inner_first = starts[k] * strides[k]
    outer = range(k)
    return Runs(inner_first, run_len, [stops[d] - starts[d] for d in outer],
                [starts[d] for d in outer], [strides[d] for d in outer])
