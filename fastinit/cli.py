"""The ``fastinit`` command line.

``fastinit`` (or ``python -m fastinit``) with no arguments runs the demo:
a 1e9-element ``lecun_normal`` tensor, its throughput and summary statistics.
"""
import argparse
import math
import sys
import time

import numba
import numpy as np

from . import cpu
from .dtypes import resolve_dtype
from .initializers import LecunNormal
from .transforms import TRUNC2_STD


def _demo(args):
    n = int(float(args.elements))
    if n < 1:
        raise ValueError(f"--elements must be >= 1; got {args.elements}")
    dtype = resolve_dtype(args.dtype)
    if args.threads:
        numba.set_num_threads(args.threads)
    # A 2-D weight of about n elements: (fan_in, fan_out) with fan_out = 32000.
    cols = min(n, 32000)
    shape = (n // cols, cols)
    n = shape[0] * shape[1]
    nbytes = n * dtype.itemsize
    init = LecunNormal(seed=args.seed)

    t = time.perf_counter()
    init((64,), dtype)
    t_first = time.perf_counter() - t

    t = time.perf_counter()
    w = init(shape, dtype)
    t_call = time.perf_counter() - t
    t = time.perf_counter()
    init.fill(w)
    t_fill = time.perf_counter() - t

    flat = w.reshape(-1)
    mean, std, lo, hi = cpu.summary(flat)
    expected_std = 1 / math.sqrt(shape[0])
    bound = 2 * expected_std / TRUNC2_STD
    print(f"fastinit demo: lecun_normal(seed={args.seed}) -> shape {shape} {dtype} "
          f"({n:.3g} elements, {nbytes / 1e9:.2f} GB), {numba.get_num_threads()} threads")
    print(f"  first call (compile or load cached kernel): {t_first:8.3f} s")
    print(f"  init(shape)  (fresh array):  {t_call:8.3f} s  {t_call / n * 1e9:6.3f} ns/elem  "
          f"{nbytes / t_call / 1e9:6.2f} GB/s")
    print(f"  init.fill(w) (in place):     {t_fill:8.3f} s  {t_fill / n * 1e9:6.3f} ns/elem  "
          f"{nbytes / t_fill / 1e9:6.2f} GB/s")
    print(f"  mean {mean:+.3e}   std {std:.6e} (expected sqrt(1/fan_in) = {expected_std:.6e}, "
          f"ratio {std / expected_std:.5f})")
    print(f"  min {lo:+.6e}   max {hi:+.6e}   (bounds +-{bound:.6e})")
    if not (-bound <= lo and hi <= bound and abs(std / expected_std - 1) < 0.01):
        print("  FAILED: statistics outside expectations", file=sys.stderr)
        return 1
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="fastinit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="initialize a large lecun_normal tensor; print speed and stats")
    demo.add_argument("--elements", default="1e9", help="tensor size (default 1e9)")
    demo.add_argument("--dtype", default="float32", help="float32 (default) or float64")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--threads", type=int, default=0, help="Numba threads (default: all)")
    demo.set_defaults(func=_demo)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        args = parser.parse_args(["demo"])
    try:
        return args.func(args)
    except (ValueError, TypeError, MemoryError) as e:
        print(f"fastinit: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
