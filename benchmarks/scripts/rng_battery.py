"""Stream fastinit's raw Philox output (``fastinit.random_bits``, element
order) to stdout as little-endian uint32, for RNG test batteries.

Usage (Debian: ``apt-get install dieharder``)::

    python benchmarks/scripts/rng_battery.py --seed 0 | dieharder -g 200 -d 0
    python benchmarks/scripts/rng_battery.py --seed 0 | dieharder -g 200 -a     # the full battery (hours)

``--gigabytes`` limits the stream (default: endless until the reader closes).
"""
import argparse
import sys

import fastinit

CHUNK = 1 << 22  # words per write (16 MiB)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--gigabytes", type=float, default=None)
    a = p.parse_args()
    limit = None if a.gigabytes is None else int(a.gigabytes * 1e9) // 4
    out = sys.stdout.buffer
    first = 0
    try:
        while limit is None or first < limit:
            n = CHUNK if limit is None else min(CHUNK, limit - first)
            out.write(fastinit.random_bits(a.seed, n, first).astype("<u4").tobytes())
            first += n
    except BrokenPipeError:  # the battery has read enough
        sys.stderr.close()


if __name__ == "__main__":
    main()
