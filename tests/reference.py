"""Independent reference implementations, written from the published
descriptions (not from fastinit's code), used as test oracles."""
import math

import numpy as np
from scipy.special import ndtri

M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
P2 = math.erf(math.sqrt(2.0)) / 2  # Phi(2) - 1/2


def philox4x32_10(ctr, key):
    """Textbook Philox4x32-10 on Python ints (Salmon et al. 2011, Random123)."""
    c = list(ctr)
    k0, k1 = key
    for r in range(10):
        if r:
            k0, k1 = (k0 + W0) & 0xFFFFFFFF, (k1 + W1) & 0xFFFFFFFF
        p0, p1 = M0 * c[0], M1 * c[2]
        c = [(p1 >> 32) ^ c[1] ^ k0, p1 & 0xFFFFFFFF, (p0 >> 32) ^ c[3] ^ k1, p0 & 0xFFFFFFFF]
    return c


def seed_key(seed):
    """The documented seed -> key derivation."""
    return tuple(int(x) for x in np.random.SeedSequence(seed).generate_state(2, np.uint32))


def element_words(key, first, count, draw=0):
    """Words of ``draw`` for elements first..first+count-1 by the documented
    mapping, computed block by block with the textbook Philox."""
    out = np.empty(count, np.uint64)
    for n in range(count):
        i = first + n
        b = ((i >> 6) << 4) | (i & 15)
        w = (i >> 4) & 3
        out[n] = philox4x32_10((b & 0xFFFFFFFF, b >> 32, draw, 0), key)[w]
    return out


def signed_unit_f64_from_f32_bits(words):
    """The float32 signed uniform (exact in float64): (k - 2**23 + 1/2) / 2**23."""
    k = (words >> np.uint64(8)).astype(np.float64)
    return (k - 8388607.5) / 8388608.0


def trunc2_ppf(q):
    """Phi^-1(1/2 + q (Phi(2) - 1/2)), float64 via scipy (on the lower tail,
    where the probability is formed accurately)."""
    q = np.asarray(q, np.float64)
    return -np.sign(q) * ndtri(0.5 - np.abs(q) * P2)


def trunc_normal_cdf(x, a=-2.0, b=2.0):
    """CDF of the standard normal truncated to [a, b], from math.erf."""
    phi = lambda t: 0.5 * (1.0 + math.erf(t / math.sqrt(2.0)))  # noqa: E731
    lo, hi = phi(a), phi(b)
    return np.array([(phi(min(max(t, a), b)) - lo) / (hi - lo) for t in np.ravel(x)])
