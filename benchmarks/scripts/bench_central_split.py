"""Prototype measurement for issue 13: a float32 normal fill whose vector loop
is log-free.

Not the library's values (it uses its own key and the +-2 sigma rational, whose
error of up to 8 ulp is too large for the float32 normal's 2-ulp contract; a
refit of the same shape is needed), but the same work per element a shipped
kernel would do:

* Philox words of 64 groups (4096 elements) into a per-thread scratch;
* a branch-free loop: ``|z| < 2`` (95.45 % of the elements) by a rational in
  ``x = 2p - 1`` (no ``log``), NaN beyond, and a byte flag per element;
* the flags of each group folded into a 64-bit mask (8 bytes at a time by one
  multiplication) and its set bits walked with ``tzcnt``: the tail elements'
  words gathered into a short batch with no per-element branch;
* the batch (about 186 of 4096) through the existing vectorized quantile, its
  0.34 % misses through the complete scalar function, scattered back.

It prints the distribution check (KS against N(0, 1)) and the time per element
against fastinit's ``lecun_normal`` and ``RandomNormal`` float32 fills in the
same process, interleaved (medians of ``--repeat``).

    python benchmarks/scripts/bench_central_split.py [--n 1e8] [--repeat 7]
"""
import argparse
import math
import os
import sys

import numba
import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros
from scipy import stats

import fastinit
from fastinit import cpu, transforms
from fastinit.philox import block_bits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_transforms import print_interleaved  # noqa: E402

_F32 = np.float32
_CONTRACT = {"contract"}  # as fastinit._jit compiles the kernels
_INV_ERF_SQRT2 = _F32(1.0 / math.erf(math.sqrt(2.0)))  # x -> the +-2 sigma variate
_U0 = np.uint64(0)
_BYTES_TO_BITS = np.uint64(0x0102040810204080)  # 8 bytes of 0/1 -> 8 bits
_BATCH = 64 * 64


@numba.njit(fastmath=_CONTRACT, error_model="numpy", inline="always")
def _central(x0):
    # z for |z| < 2 (log-free), NaN beyond.
    s = np.int32(x0 ^ np.uint64(0x80000000))
    q = (_F32(s) + _F32(0.5)) * _F32(4.656612873077393e-10) * _INV_ERF_SQRT2
    z = transforms.trunc2_ppf_f32(q)
    return z if abs(q) < _F32(1.0) else _F32(math.nan)


@numba.njit(fastmath=_CONTRACT, error_model="numpy", parallel=True)
def fill_central_split(out, k0, k1, mean, sigma):
    n_groups = out.size // 64  # out.size a multiple of 64 (a prototype)
    chunk = 1024
    for c in numba.prange((n_groups + chunk - 1) // chunk):
        words = np.empty(_BATCH, np.uint32)
        flags = np.zeros(_BATCH, np.uint8)
        tail_at = np.empty(_BATCH, np.int64)
        tail_words = np.empty(_BATCH, np.uint32)
        tail_z = np.empty(_BATCH, np.float32)
        g_end = min((c + 1) * chunk, n_groups)
        for ga in range(c * chunk, g_end, 64):
            ng = min(64, g_end - ga)
            for s in range(ng):
                b0 = np.uint64(ga + s) * np.uint64(16)
                o = s * 64
                for j in range(16):
                    x = block_bits(b0 + np.uint64(j), _U0, k0, k1)
                    words[o + j] = x[0]
                    words[o + 16 + j] = x[1]
                    words[o + 32 + j] = x[2]
                    words[o + 48 + j] = x[3]
            base = ga * 64
            for i in range(ng * 64):
                z = _central(np.uint64(words[i]))
                out[base + i] = mean + sigma * z
                flags[i] = np.uint8(z != z)
            packed = flags[:ng * 64].view(np.uint64)
            n = 0
            for g in range(ng):
                mask = np.uint64(0)
                for k in range(8):
                    byte_bits = (packed[g * 8 + k] * _BYTES_TO_BITS) >> np.uint64(56)
                    mask |= byte_bits << np.uint64(8 * k)
                while mask:
                    i = g * 64 + trailing_zeros(mask)
                    mask &= mask - np.uint64(1)
                    tail_at[n] = i
                    tail_words[n] = words[i]
                    n += 1
            for k in range(n):
                x_hi, x_lo, a = transforms.normal_word_parts_f32(np.uint64(tail_words[k]))
                tail_z[k] = transforms.normal_quantile_outer_f32(x_hi, x_lo, a)
            for k in range(n):
                if tail_z[k] != tail_z[k]:  # |z| > 6.49: the complete scalar
                    x_hi, x_lo, a = transforms.normal_word_parts_f32(np.uint64(tail_words[k]))
                    tail_z[k] = transforms.normal_quantile_f32(x_hi, x_lo, a)
            for k in range(n):
                out[base + tail_at[k]] = mean + sigma * tail_z[k]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", default="1e8")
    p.add_argument("--repeat", type=int, default=7)
    a = p.parse_args()
    n = int(float(a.n)) // 64 * 64
    ours, theirs = np.empty(n, np.float32), np.empty(n, np.float32)
    for buf in (ours, theirs):
        cpu.fill_constant(buf, 0)  # pre-touched
    k0, k1 = np.uint64(12345), np.uint64(678)
    fill_central_split(ours, k0, k1, _F32(0.0), _F32(1.0))
    z = ours[::100].astype(np.float64)
    print(f"distribution: mean {z.mean():+.5f}, std {z.std():.5f}, |z| > 2: "
          f"{(np.abs(z) > 2).mean():.5f} (normal: 0.04550), NaN {np.isnan(ours).sum()}, "
          f"KS p = {stats.kstest(z, 'norm').pvalue:.3f} ({z.size} samples)")
    lecun = fastinit.lecun_normal(seed=0)
    normal = fastinit.RandomNormal(0.0, 0.02, seed=0)
    jobs = {"lecun_normal float32 fill": lambda: lecun.fill(theirs),
            "RandomNormal float32 fill": lambda: normal.fill(theirs),
            "central split (prototype)": lambda: fill_central_split(ours, k0, k1, _F32(0.0),
                                                                    _F32(0.02))}
    print_interleaved(jobs, n, a.repeat)


if __name__ == "__main__":
    main()
