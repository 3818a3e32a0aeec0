"""What the float32 normal rows of bench_kinds are made of.

Two measurements that bench_kinds cannot separate:

* the transform loops alone, one thread, 32768 words in cache: a plain
  conversion, the +-2 sigma rational (``lecun_normal``'s), the float32
  normal's inner piece (``RandomNormal``'s fast path since stream version 4)
  and its outer batch's quantile (version 3's central one, now with the
  tail piece), in ns/element;
* the raw stream (``BITS_U32``: Philox and the store, no transform) against
  the ``lecun_normal`` float32 fill and a constant write, two threads,
  pre-touched buffers, interleaved (medians of ``--repeat``): the Philox
  share that bounds what narrow regions can cost (docs/performance.md).

    python benchmarks/scripts/bench_transforms.py [--n 1e8] [--repeat 7]
"""
import argparse
import os
import sys
import time

import numba
import numpy as np

import fastinit
from fastinit import cpu, transforms
from fastinit.samplers import BITS_U32
from fastinit.seeding import key_from_seed

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_fill import median_time  # noqa: E402

_CONTRACT = {"contract"}  # as fastinit._jit compiles the kernels


@numba.njit(fastmath=_CONTRACT, error_model="numpy")
def _conversion(words, out):
    for i in range(words.size):
        out[i] = np.float32(np.int32(words[i] >> np.uint32(8)))


@numba.njit(fastmath=_CONTRACT, error_model="numpy")
def _trunc2(words, out):
    for i in range(words.size):
        out[i] = transforms.trunc2_ppf_f32(transforms.signed_unit_f32(np.uint64(words[i])))


@numba.njit(fastmath=_CONTRACT, error_model="numpy")
def _normal_outer(words, out):
    # The outer batch's function: the central piece (stream version 3's fast
    # path) and the tail piece, branch-free.
    for i in range(words.size):
        x_hi, x_lo, a = transforms.normal_word_parts_f32(np.uint64(words[i]))
        out[i] = transforms.normal_quantile_outer_f32(x_hi, x_lo, a)


@numba.njit(fastmath=_CONTRACT, error_model="numpy")
def _normal_inner(words, out):
    # Stream version 4's fast path: the inner piece (NaN beyond |z| = 2).
    for i in range(words.size):
        out[i] = transforms.normal_word_inner_f32(np.uint64(words[i]))


def per_element_in_cache(loop, words, out, calls=50):
    loop(words, out)
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(calls):
            loop(words, out)
        best = min(best, (time.perf_counter() - t) / calls)
    return best / words.size


def print_interleaved(jobs, n, repeat, baseline="lecun_normal float32 fill"):
    """Run the {label: callable} ``jobs`` (each filling ``n`` elements) in
    turn ``repeat`` times after one warm-up each, and print their median
    ns/element and ratio to ``baseline``: interleaved, so that all see the
    same conditions on a noisy machine."""
    times = {label: [] for label in jobs}
    for job in jobs.values():
        job()
    for _ in range(repeat):
        for label, job in jobs.items():
            times[label].append(median_time(job, 1))
    base = np.median(times[baseline])
    print(f"{numba.get_num_threads()} threads, {n:.0e} pre-touched elements | ns/elem | "
          f"vs {baseline}")
    for label, ts in times.items():
        print(f"{label} | {np.median(ts) / n * 1e9:.3f} | {np.median(ts) / base:.2f}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", default="1e8", help="elements per buffer for the stream rows")
    p.add_argument("--repeat", type=int, default=7)
    a = p.parse_args()

    words = np.random.default_rng(0).integers(0, 2**32, 32768, dtype=np.uint64).astype(np.uint32)
    out = np.empty(words.size, np.float32)
    print("transform loop alone (1 thread, 32768 words in cache) | ns/elem")
    for label, loop in (("plain conversion", _conversion), ("+-2 sigma rational", _trunc2),
                        ("float32 normal inner piece (version 4 fast path)", _normal_inner),
                        ("float32 normal outer quantile (the batch's)", _normal_outer)):
        print(f"{label} | {per_element_in_cache(loop, words, out) * 1e9:.3f}")

    n = int(float(a.n))
    f32 = np.empty(n, np.float32)
    bits = np.empty(n, np.uint32)
    for buf in (f32, bits.view(np.float32)):
        cpu.fill_constant(buf, 0)  # pre-touched
    lecun, key = fastinit.lecun_normal(seed=0), key_from_seed(0)
    jobs = {"lecun_normal float32 fill": lambda: lecun.fill(f32),
            "raw stream (BITS_U32)": lambda: cpu.fill_run(bits, 0, key, BITS_U32, ()),
            "constant write": lambda: cpu.fill_constant(f32, 0)}
    print()
    print_interleaved(jobs, n, a.repeat)


if __name__ == "__main__":
    main()
