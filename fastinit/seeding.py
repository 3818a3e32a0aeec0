"""Seeds -> 64-bit Philox keys.

State and Seeding
-----------------
An initializer's seed is turned into the 64-bit Philox key once, at
construction:

* a non-negative Python ``int`` (any size; NumPy integers too) ->
  ``numpy.random.SeedSequence(seed).generate_state(2, uint32)``;
* a ``numpy.random.SeedSequence`` -> its ``generate_state(2, uint32)``;
* ``None`` -> a fresh ``SeedSequence()`` (128 bits of OS entropy), drawn once,
  so the same instance keeps returning the same values (Keras 3 behaviour).

SeedSequence hashes its entropy thoroughly, so seeds 0, 1, 2, ... give keys
with no visible relation and therefore unrelated streams. Booleans, floats,
strings and negative integers are refused.
"""
import operator

import numpy as np


def seed_sequence(seed):
    """Return the ``numpy.random.SeedSequence`` a ``seed`` argument stands for.

    Raises
    ------
    TypeError
        ``seed`` is not None, a non-negative int or a SeedSequence.
    ValueError
        ``seed`` is a negative integer.
    """
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError("seed must be None, a non-negative int or a numpy.random.SeedSequence; got a bool")
    try:
        value = operator.index(seed)
    except TypeError:
        raise TypeError(
            "seed must be None, a non-negative int or a numpy.random.SeedSequence; "
            f"got {type(seed).__name__}"
        ) from None
    if value < 0:
        raise ValueError(f"seed must be a non-negative integer; got {value}")
    return np.random.SeedSequence(value)


def key_from_seed(seed):
    """The Philox key ``(k0, k1)`` (two Python ints < 2**32) for ``seed``."""
    k0, k1 = seed_sequence(seed).generate_state(2, np.uint32)
    return int(k0), int(k1)


def draw_seed():
    """A fresh seed from OS entropy (a 128-bit int): ``seed=draw_seed()`` is as
    unpredictable as ``seed=None``, and unlike it can be printed and reused."""
    return int(np.random.SeedSequence().entropy)
