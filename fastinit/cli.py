"""fastinit: neural-network weight initializers at memory speed.

With no arguments, fastinit (or python -m fastinit) runs the demo: a
1e9-element lecun_normal tensor, its throughput and summary statistics.

    fastinit sample lecun_normal --shape 4096 4096 --seed 0 --out w.npy
    fastinit sample truncated_normal --shape 1000 --stddev 0.02 --region 100:200 --out t.npy
    fastinit checkpoint examples/small_transformer.json --seed 0 --out model.safetensors

Initializer parameters are options (--scale 2 --mode fan_out); values are read
as JSON where possible (numbers), then as floats ("inf"), else as strings.
Errors print one line and exit with status 2, leaving no output file;
Ctrl-C exits with 130, SIGTERM with 143, also leaving no file.
"""
import argparse
import json
import math
import os
import signal
import sys
import time

import numba
import numpy as np

from . import __version__, cpu
from .dtypes import is_16bit, resolve_dtype
from .initializers import LecunNormal, get, public_names
from .seeding import draw_seed
from .streaming import (
    SHARD_INDEX, Terminated, human_bytes, raise_terminated, save_checkpoint, save_npy,
    save_safetensors,
)
from .transforms import TRUNC2_STD

#: ``sample --out`` file formats, by extension.
FORMATS = (".npy", ".safetensors")


def _demo(args):
    try:
        n = int(float(args.elements))
    except (ValueError, OverflowError):
        raise ValueError(f"--elements must be a finite number; got {args.elements!r}") from None
    if n < 1:
        raise ValueError(f"--elements must be >= 1; got {args.elements}")
    dtype = resolve_dtype(args.dtype, "--dtype")
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

    mean, std, lo, hi = cpu.summary(w.reshape(-1))
    expected_std = 1 / math.sqrt(shape[0])
    bound = 2 * expected_std / TRUNC2_STD
    # 16-bit outputs: the bounds themselves round to the format.
    bound = float(np.asarray(bound, np.float32).astype(dtype)) if is_16bit(dtype) else bound
    print(f"fastinit demo: lecun_normal(seed={args.seed}) -> shape {shape} {dtype} "
          f"({n:.3g} elements, {human_bytes(nbytes)}), {numba.get_num_threads()} threads")
    print(f"  first call (compile or load cached kernel): {t_first:8.3f} s")
    print(f"  init(shape)  (fresh array):  {t_call:8.3f} s  {t_call / n * 1e9:6.3f} ns/elem  "
          f"{nbytes / t_call / 1e9:6.2f} GB/s  (includes the OS's first-touch page faults)")
    print(f"  init.fill(w) (in place):     {t_fill:8.3f} s  {t_fill / n * 1e9:6.3f} ns/elem  "
          f"{nbytes / t_fill / 1e9:6.2f} GB/s")
    print(f"  mean {mean:+.3e}   std {std:.6e} (expected sqrt(1/fan_in) = {expected_std:.6e}, "
          f"ratio {std / expected_std:.5f})")
    print(f"  min {lo:+.6e}   max {hi:+.6e}   (bounds +-{bound:.6e})")
    tolerance = 0.01 if not is_16bit(dtype) else 0.02
    if not (-bound <= lo and hi <= bound and abs(std / expected_std - 1) < tolerance):
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


def _report(path, nbytes, seconds):
    """The one summary line of a written file."""
    rate = f"{human_bytes(nbytes / seconds)}/s" if seconds > 0 else "-"
    print(f"wrote {path}: {human_bytes(nbytes)} in {seconds:.2f} s ({rate})")


def _sample(args, extra):
    fmt = os.path.splitext(args.out)[1].lower()
    if fmt not in FORMATS:
        raise ValueError(f"--out must end in {' or '.join(FORMATS)} (the file format); "
                         f"got {args.out!r}")
    params = _initializer_params(extra)
    if "seed" in params:
        raise ValueError("give the seed as --seed N")
    init = get({"class_name": args.initializer, "config": params})
    seed = args.seed
    drawn = seed is None and init.with_seed(0) is not init  # random, and no --seed
    if drawn:
        seed = draw_seed()
    init = init.with_seed(seed)
    region = parse_region(args.region) if args.region else None
    progress = False if args.no_progress else None
    if fmt == ".npy":
        seconds = save_npy(args.out, init, args.shape, args.dtype, region, progress=progress)
    else:
        if region is not None:
            raise ValueError("--region is supported for .npy output only")
        meta = {"seed": str(seed), "initializer": json.dumps(
            {"class_name": type(init).__name__, "config": init.get_config()})}
        seconds = save_safetensors(args.out, [(args.name, init, args.shape, args.dtype)], meta,
                                   progress=progress)
    if drawn:  # only once the file exists: a failed command prints one line
        print(f"seed: {seed}", file=sys.stderr)
    _report(args.out, os.path.getsize(args.out), seconds)
    return 0


def _checkpoint(args, extra):
    if extra:
        raise ValueError(f"unexpected arguments {' '.join(extra)}")
    seconds = save_checkpoint(args.out, args.spec, args.seed, max_shard_size=args.max_shard_size,
                              progress=False if args.no_progress else None)
    if args.max_shard_size is None:
        nbytes = os.path.getsize(args.out)
    else:
        with open(os.path.join(args.out, SHARD_INDEX)) as f:
            nbytes = json.load(f)["metadata"]["total_size"]
    _report(args.out, nbytes, seconds)
    return 0


def build_parser():
    doc = __doc__.split("\n\n")
    parser = argparse.ArgumentParser(prog="fastinit", description=doc[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(doc[1:]))
    parser.add_argument("--version", action="version", version=f"fastinit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{demo,sample,checkpoint}")
    demo = sub.add_parser("demo", help="initialize a large lecun_normal tensor; print speed and stats")
    demo.add_argument("--elements", default="1e9", help="tensor size (default: 1e9)")
    demo.add_argument("--dtype", default="float32",
                      help="float32, float64, float16 or bfloat16 (default: float32)")
    demo.add_argument("--seed", type=int, default=0, help="(default: 0)")
    demo.add_argument("--threads", type=int, default=0, help="Numba threads (default: all)")
    demo.set_defaults(func=lambda args, extra: _demo(args))

    names = ", ".join(public_names())
    sample = sub.add_parser(
        "sample", help="write one initialized tensor to a .npy or .safetensors file",
        description="Write one initialized tensor. Extra --NAME VALUE options are the "
                    f"initializer's parameters (e.g. --stddev 0.02).\n\ninitializers: {names}",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sample.add_argument("initializer", help="initializer name, e.g. lecun_normal, truncated_normal")
    sample.add_argument("--shape", type=int, nargs="+", required=True)
    sample.add_argument("--seed", type=int, default=None,
                        help="non-negative int (default: drawn from OS entropy and printed on "
                             "stderr as 'seed: N', so the file can be made again)")
    sample.add_argument("--dtype", default="float32",
                        help="float32, float64, float16 or bfloat16 (default: float32)")
    sample.add_argument("--region", help="e.g. 0:1024,: (start:stop or an index per dimension)")
    sample.add_argument("--out", required=True,
                        help="output file; its extension chooses the format: .npy or .safetensors")
    sample.add_argument("--name", default="weight",
                        help="tensor name in a .safetensors file (default: weight)")
    sample.add_argument("--no-progress", action="store_true", help="no progress bar")
    sample.set_defaults(func=_sample)

    ckpt = sub.add_parser("checkpoint", help="write a .safetensors checkpoint from a JSON spec")
    ckpt.add_argument("spec", help="JSON spec (see fastinit.load_spec)")
    ckpt.add_argument("--seed", type=int, required=True)
    ckpt.add_argument("--out", required=True,
                      help="output .safetensors file (a directory with --max-shard-size)")
    ckpt.add_argument("--max-shard-size", default=None,
                      help="split into Hugging Face shards of at most this size (e.g. 5GB) "
                           "plus model.safetensors.index.json, in the --out directory")
    ckpt.add_argument("--no-progress", action="store_true", help="no progress bar")
    ckpt.set_defaults(func=_checkpoint)
    return parser


def main(argv=None):
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args, extra = parser.parse_known_args(argv or ["demo"])
    if args.command not in ("sample", "checkpoint") and extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    signal.signal(signal.SIGTERM, raise_terminated)
    try:
        return args.func(args, extra)
    except (ValueError, TypeError, MemoryError, OSError, OverflowError) as e:
        msg = f"{e.strerror}: {e.filename}" if isinstance(e, OSError) and e.filename else str(e)
        print(f"fastinit: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fastinit: interrupted; nothing written", file=sys.stderr)
        return 130
    except Terminated:
        print("fastinit: terminated; nothing written", file=sys.stderr)
        return 143


if __name__ == "__main__":
    sys.exit(main())
