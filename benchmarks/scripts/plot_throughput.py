"""Draw throughput (GB/s written) vs tensor size for fastinit, the constant-write
baseline and each installed peer library, as a PNG.

Usage::

    python benchmarks/scripts/plot_throughput.py --out docs/throughput.png

Needs matplotlib (``pip install -e '.[bench]'``). Peers are measured up to
``--peer-max`` elements (they are 10-300x slower and JAX needs ~4x the output in
memory). Regenerate the picture whenever speed changes.
"""
import argparse
import platform

import numba
import numpy as np

import fastinit
from fastinit import cpu

from bench_fill import median_time, peers


def measure(sizes, peer_max, repeat):
    series = {}

    def add(name, n, seconds):
        series.setdefault(name, []).append((n, n * 4 / seconds / 1e9))

    lecun = fastinit.lecun_normal(seed=0)
    for n in sizes:
        buf = np.empty(n, np.float32)
        cpu.fill_constant(buf, 0.0)
        add("constant write (parallel)", n, median_time(lambda: cpu.fill_constant(buf, 1.0), repeat))
        lecun.fill(buf)
        add("fastinit lecun_normal fill", n, median_time(lambda: lecun.fill(buf), repeat))
        del buf
        add("fastinit lecun_normal init(shape)", n, median_time(lambda: lecun((n,)), repeat))
        if n <= peer_max:
            for name, _, setup in peers(n):
                fn = setup()
                fn()
                add(name, n, median_time(fn, max(1, repeat // 2)))
                del fn
        print(f"n={n:.0e} done", flush=True)
    return series


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="docs/throughput.png")
    p.add_argument("--sizes", nargs="+", default=["1e6", "3e6", "1e7", "3e7", "1e8", "3e8", "1e9"])
    p.add_argument("--peer-max", default="3e8")
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = measure([int(float(s)) for s in a.sizes], int(float(a.peer_max)), a.repeat)
    fig, ax = plt.subplots(figsize=(10, 5))
    for name, pts in series.items():
        xs, ys = zip(*pts)
        style = "k--" if name.startswith("constant") else "-o"
        ax.plot(xs, ys, style, label=name, linewidth=2.5 if name.startswith("fastinit") else 1.2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("tensor size (float32 elements)")
    ax.set_ylabel("throughput (GB/s written)")
    ax.set_title(f"fastinit {fastinit.__version__}: {numba.get_num_threads()} threads, "
                 f"{platform.machine()}, numba {numba.__version__}")
    ax.grid(True, which="both", alpha=0.3)
    # Outside the axes, so it never covers the data.
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    fig.tight_layout()
    fig.savefig(a.out, dpi=110)
    for name, pts in series.items():
        print(name, " ".join(f"{n:.0e}:{g:.2f}" for n, g in pts))
    print("wrote", a.out)


if __name__ == "__main__":
    main()
