"""The ``fastinit`` command line.

``fastinit`` (or ``python -m fastinit``) with no arguments runs the demo:
a 1e9-element ``lecun_normal`` tensor, its throughput and summary statistics.

    fastinit sample lecun_normal --shape 32768 32768 --seed 0 --dtype float32 --out w.npy
    fastinit sample truncated_normal --shape 1000 --stddev 0.02 --region 100:200 --out t.npy
    fastinit checkpoint examples/small_transformer.json --seed 0 --out model.safetensors

Initializer parameters are passed as options (``--scale 2 --mode fan_out``);
values are read as JSON where possible (numbers), then as floats ("inf"), else
as strings. Errors
print one line and exit with status 2, leaving no output file.
"""
import argparse
import json
import math
import os
import sys
import time

import numba

from . import cpu
from .dtypes import resolve_dtype
from .initializers import LecunNormal, get
from .streaming import save_checkpoint, save_npy
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
          f"{nbytes / t_call / 1e9:6.2f} GB/s  (includes the OS's first-touch page faults)")
    print(f"  init.fill(w) (in place):     {t_fill:8.3f} s  {t_fill / n * 1e9:6.3f} ns/elem  "
          f"{nbytes / t_fill / 1e9:6.2f} GB/s")
    print(f"  mean {mean:+.3e}   std {std:.6e} (expected sqrt(1/fan_in) = {expected_std:.6e}, "
          f"ratio {std / expected_std:.5f})")
    print(f"  min {lo:+.6e}   max {hi:+.6e}   (bounds +-{bound:.6e})")
    if not (-bound <= lo and hi <= bound and abs(std / expected_std - 1) < 0.01):
        print("  FAILED: statistics outside expectations", file=sys.stderr)
        return 1
    return 0


def parse_region(text):
    """``"0:100,5,:"`` -> ``(slice(0, 100), 5, slice(None))``."""
    region = []
    for part in text.split(","):
        part = part.strip()
        try:
            if ":" in part:
                a, _, b = part.partition(":")
                region.append(slice(int(a) if a.strip() else None, int(b) if b.strip() else None))
            else:
                region.append(int(part))
        except ValueError:
            raise ValueError(f"--region entry {part!r} must be an int or start:stop") from None
    return tuple(region)


def _initializer_params(extra):
    """``["--scale", "2", "--mode", "fan_out"]`` -> ``{"scale": 2, "mode": "fan_out"}``."""
    params = {}
    it = iter(extra)
    for token in it:
        if not token.startswith("--") or len(token) < 3:
            raise ValueError(f"unexpected argument {token!r}")
        key = token[2:].replace("-", "_")
        if "=" in key:
            key, value = key.split("=", 1)
        else:
            value = next(it, None)
            if value is None:
                raise ValueError(f"option --{key} needs a value")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            try:
                params[key] = float(value)  # "inf", "-inf"
            except ValueError:
                params[key] = value
    return params


def _sample(args, extra):
    params = _initializer_params(extra)
    if args.seed is not None:
        params["seed"] = args.seed
    try:
        init = get({"class_name": args.initializer, "config": params})
    except TypeError as e:  # an unknown keyword argument
        raise ValueError(f"bad parameters for {args.initializer}: {e}") from None
    region = parse_region(args.region) if args.region else None
    seconds = save_npy(args.out, init, args.shape, args.dtype, region,
                       progress=not args.no_progress)
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e9:.3f} GB) in {seconds:.2f} s")
    return 0


def _checkpoint(args, extra):
    if extra:
        raise ValueError(f"unexpected arguments {' '.join(extra)}")
    seconds = save_checkpoint(args.out, args.spec, args.seed, progress=not args.no_progress)
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e9:.3f} GB) in {seconds:.2f} s")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="fastinit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="initialize a large lecun_normal tensor; print speed and stats")
    demo.add_argument("--elements", default="1e9", help="tensor size (default 1e9)")
    demo.add_argument("--dtype", default="float32", help="float32 (default) or float64")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--threads", type=int, default=0, help="Numba threads (default: all)")
    demo.set_defaults(func=lambda args, extra: _demo(args))

    sample = sub.add_parser("sample", help="write one initialized tensor to a .npy file",
                            description="Extra --name value options are the initializer's parameters.")
    sample.add_argument("initializer", help="initializer name, e.g. lecun_normal, truncated_normal")
    sample.add_argument("--shape", type=int, nargs="+", required=True)
    sample.add_argument("--seed", type=int, default=None)
    sample.add_argument("--dtype", default="float32")
    sample.add_argument("--region", help="e.g. 0:1024,: (start:stop or an index per dimension)")
    sample.add_argument("--out", required=True, help="output .npy path")
    sample.add_argument("--no-progress", action="store_true")
    sample.set_defaults(func=_sample)

    ckpt = sub.add_parser("checkpoint", help="write a .safetensors checkpoint from a JSON spec")
    ckpt.add_argument("spec", help="JSON spec (see fastinit.load_spec)")
    ckpt.add_argument("--seed", type=int, required=True)
    ckpt.add_argument("--out", required=True, help="output .safetensors path")
    ckpt.add_argument("--no-progress", action="store_true")
    ckpt.set_defaults(func=_checkpoint)
    return parser


def main(argv=None):
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args, extra = parser.parse_known_args(argv or ["demo"])
    if args.command != "sample" and args.command != "checkpoint" and extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return args.func(args, extra)
    except (ValueError, TypeError, MemoryError, OSError) as e:
        msg = f"{e.strerror}: {e.filename}" if isinstance(e, OSError) and e.filename else str(e)
        print(f"fastinit: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
