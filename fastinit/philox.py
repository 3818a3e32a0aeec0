"""Philox4x32-10 counter-based bit generator and the element -> counter mapping.

Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
SC'11; the Random123 library, also cuRAND's ``curandStatePhilox4_32_10``) maps a
128-bit counter and a 64-bit key to 128 random bits with ten rounds of
multiply/xor/key-bump. It has no state: any block of output can be computed
directly, which is what lets every element of a tensor be computed
independently on any thread, chunk, shard or device.

Compatibility guarantee (the element -> counter mapping)
--------------------------------------------------------
The value of element ``i`` (its flat C-order index, an unsigned 64-bit integer)
is computed from the 32-bit words

    word ``w(i)`` of ``philox4x32_10(counter=(lo32(b), hi32(b), d, 0), key)``

for draws ``d = 0, 1, ...``, where::

    b(i) = ((i >> 6) << 4) | (i & 15)    # the Philox block of element i
    w(i) = (i >> 4) & 3                  # which of its four output words

i.e. the tensor is cut into *groups* of 64 consecutive elements; group ``g`` is
made of the 16 Philox blocks ``16g .. 16g+15``; word ``w`` of block ``16g + j``
goes to element ``64g + 16w + j`` ("planar" order within a group). The map
``i -> (b, w)`` is a bijection, so no two elements ever share a word. Draw
``d = 0`` is the first 32 bits of every element; float64 outputs also use draw
``d = 1`` (53 random bits); the rejection method uses further draws
``d = 2, 3, ...`` of the same ``(b, w)`` for its retries. Which draws and how
they become floats is documented in :mod:`fastinit.transforms`.

Why planar groups of 16: a group is computed as 16 independent Philox blocks,
and the four output words of the blocks are stored as four contiguous runs of
16 elements. That loop vectorizes (16 lanes, unit-stride stores); the natural
interleaved order (element ``4b + w``) did not, and ran ~2.5x slower.

This mapping is a pure function of ``i``: it does not depend on the thread
count, the chunking, the device, or which region of the tensor is generated.
Changing it changes every value fastinit produces and is a versioned,
documented decision (see ``tests/test_stream_stability.py``).

Implementation note: Philox state is held in ``uint64`` variables whose upper 32
bits are kept zero, so each 32x32->64 multiply is a single ``vpmuludq`` in the
vectorized loop (LLVM knows the upper halves are zero).
"""
import numpy as np

from ._jit import scalar, serial

PHILOX_M0 = np.uint64(0xD2511F53)
PHILOX_M1 = np.uint64(0xCD9E8D57)
PHILOX_W0 = np.uint64(0x9E3779B9)  # golden ratio
PHILOX_W1 = np.uint64(0xBB67AE85)  # sqrt(3) - 1
MASK32 = np.uint64(0xFFFFFFFF)
_U32 = np.uint64(32)

#: Version of the element -> value mapping (this counter mapping and the
#: bits -> value transforms of every sampler kind). Bumped whenever any kind's
#: values change; recorded in the files fastinit can resume (Zarr).
STREAM_VERSION = 4

#: Elements in one group of the element -> counter mapping.
GROUP_ELEMENTS = 64
#: Philox blocks (lanes) in one group.
GROUP_BLOCKS = 16


@scalar
def philox4x32_10_block(c0, c1, c2, c3, k0, k1):
    """Ten Philox4x32 rounds on one counter block.

    All arguments are ``uint64`` holding 32-bit values; returns the four 32-bit
    output words as a tuple of ``uint64``.
    """
    for _ in range(10):
        p0 = PHILOX_M0 * c0
        p1 = PHILOX_M1 * c2
        c0, c1, c2, c3 = (
            (p1 >> _U32) ^ c1 ^ k0,
            p1 & MASK32,
            (p0 >> _U32) ^ c3 ^ k1,
            p0 & MASK32,
        )
        k0 = (k0 + PHILOX_W0) & MASK32
        k1 = (k1 + PHILOX_W1) & MASK32
    return c0, c1, c2, c3


@scalar
def element_block(i):
    """Philox block number of flat element index ``i`` (``uint64``)."""
    return ((i >> np.uint64(6)) << np.uint64(4)) | (i & np.uint64(15))


@scalar
def element_word(i):
    """Output word (0..3) of its block that element ``i`` takes."""
    return (i >> np.uint64(4)) & np.uint64(3)


@scalar
def block_bits(block, draw, k0, k1):
    """The four words of Philox block ``block`` (``uint64``) at draw ``draw``."""
    return philox4x32_10_block(block & MASK32, block >> _U32, draw, np.uint64(0), k0, k1)


@scalar
def pick_word(x, word):
    """Word ``word`` (0..3) of the four words ``x``, by selects: a tuple
    indexed by a runtime value does not vectorize."""
    odd = (word & np.uint64(1)) != np.uint64(0)
    low = x[1] if odd else x[0]
    high = x[3] if odd else x[2]
    return high if word >= np.uint64(2) else low


@scalar
def element_bits(block, word, draw, k0, k1):
    """Word ``word`` of block ``block`` at draw ``draw``: one 32-bit value."""
    return pick_word(block_bits(block, draw, k0, k1), word)


@serial
def _philox_rows(counter, key, out):
    for r in range(counter.shape[0]):
        x = philox4x32_10_block(
            np.uint64(counter[r, 0]), np.uint64(counter[r, 1]),
            np.uint64(counter[r, 2]), np.uint64(counter[r, 3]),
            np.uint64(key[r, 0]), np.uint64(key[r, 1]),
        )
        for w in range(4):
            out[r, w] = np.uint32(x[w])


def philox4x32_10(counter, key):
    """Philox4x32-10 of each counter block, vectorized over leading axes.

    Parameters
    ----------
    counter : array_like of uint32, shape (..., 4)
        Counter blocks; word 0 is the least significant (Random123 order).
    key : array_like of uint32, shape (..., 2) or (2,)
        Keys, broadcast against the counters' leading axes.

    Returns
    -------
    numpy.ndarray of uint32, shape (..., 4)
        The ten-round Philox output of every block.

    Examples
    --------
    Random123's first known-answer vector (counter 0, key 0):

    >>> import numpy as np, fastinit
    >>> [hex(x) for x in fastinit.philox4x32_10(np.zeros(4, np.uint32), np.zeros(2, np.uint32))]
    ['0x6627e8d5', '0xe169c58d', '0xbc57ac4c', '0x9b00dbd8']
    """
    counter = _as_uint32(counter, "counter")
    key = _as_uint32(key, "key")
    if counter.ndim < 1 or counter.shape[-1] != 4:
        raise ValueError(f"counter must have shape (..., 4); got {counter.shape}")
    if key.ndim < 1 or key.shape[-1] != 2:
        raise ValueError(f"key must have shape (..., 2) or (2,); got {key.shape}")
    try:
        lead = np.broadcast_shapes(counter.shape[:-1], key.shape[:-1])
    except ValueError:
        raise ValueError(
            f"counter shape {counter.shape} and key shape {key.shape} do not broadcast"
        ) from None
    c = np.ascontiguousarray(np.broadcast_to(counter, lead + (4,))).reshape(-1, 4)
    k = np.ascontiguousarray(np.broadcast_to(key, lead + (2,))).reshape(-1, 2)
    out = np.empty((c.shape[0], 4), np.uint32)
    _philox_rows(c, k, out)
    return out.reshape(lead + (4,))


def _as_uint32(a, name):
    a = np.asarray(a)
    if a.dtype == np.uint32:
        return a
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an array of unsigned 32-bit integers; got dtype {a.dtype}")
    if a.size and (a.min() < 0 or a.max() > 0xFFFFFFFF):
        raise ValueError(f"{name} values must lie in [0, 2**32 - 1]")
    return a.astype(np.uint32)
