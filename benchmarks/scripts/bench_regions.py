"""Narrow column regions of a tall tensor against full fills of as many elements.

Per element, ``lecun_normal`` float32, 16- and 64-wide column ranges aligned to
the 64-element groups and not, of a ``(rows, 5000)`` tensor: large enough that
a call's fixed cost (bench_kinds' region rows, 20000 rows, include it) does
not count. Median of ``--repeat`` runs; the baseline is a full fill of the
same number of elements in the same process.

    python benchmarks/scripts/bench_regions.py [--rows 200000] [--threads 2] [--repeat 5]
"""
import argparse
import os
import sys

import numba
import numpy as np

import fastinit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_fill import median_time  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=200000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    numba.set_num_threads(a.threads)
    init = fastinit.lecun_normal(seed=0)
    shape = (a.rows, 5000)
    print("| region | full fill ns/elem | region ns/elem | ratio |")
    print("|---|---:|---:|---:|")
    for label, region in [("[:, 1000:1064]", np.s_[:, 1000:1064]),
                          ("[:, 1024:1088] (aligned)", np.s_[:, 1024:1088]),
                          ("[:, 1000:1016]", np.s_[:, 1000:1016]),
                          ("[:, 1024:1040] (aligned)", np.s_[:, 1024:1040])]:
        width = region[1].stop - region[1].start
        out = np.empty((a.rows, width), np.float32)
        base = np.empty(out.size, np.float32)
        init.fill(out, shape=shape, region=region)  # compile / load, touch
        init.fill(base)
        t_base = median_time(lambda: init.fill(base), a.repeat)
        t_region = median_time(lambda: init.fill(out, shape=shape, region=region), a.repeat)
        print(f"| {label} | {t_base / base.size * 1e9:.3f} | {t_region / out.size * 1e9:.3f} "
              f"| {t_region / t_base:.2f} |")


if __name__ == "__main__":
    main()
