"""The raw output stream: the 32-bit Philox words behind every element."""
import operator

import numpy as np

from . import cpu
from .samplers import BITS_U32
from .seeding import key_from_seed


def random_bits(seed, count, first=0):
    """The 32-bit words of draw 0 of elements ``first .. first + count``.

    This is the stream every sampler starts from (see :mod:`fastinit.philox`
    for the element -> counter mapping): e.g. ``RandomUniform(0, 1, seed)``
    in float32 is exactly ``random_bits(seed, n) >> 8`` divided by 2**24. Use
    it for RNG test batteries and for checking other implementations
    (the GPU kernels) bit for bit.

    Parameters
    ----------
    seed : None, int >= 0 or numpy.random.SeedSequence
    count : int >= 0
    first : int >= 0
        Flat index of the first element (any 64-bit value).

    Returns
    -------
    numpy.ndarray of uint32, shape (count,)
    """
    count, first = operator.index(count), operator.index(first)
    if count < 0 or first < 0 or first + count > 2**64:
        raise ValueError(f"need 0 <= first and 0 <= count with first + count <= 2**64; "
                         f"got first={first}, count={count}")
    out = np.empty(count, np.uint32)
    cpu.fill_run(out, first, key_from_seed(seed), BITS_U32, ())
    return out
