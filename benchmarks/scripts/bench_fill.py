"""Plain benchmark: fastinit vs a constant write and vs peer libraries.

Usage::

    python benchmarks/scripts/bench_fill.py                 # sizes 2e8 and 1e9
    python benchmarks/scripts/bench_fill.py --sizes 1e7 1e8 --repeat 5 --no-peers

Each row is the median of ``--repeat`` runs into a pre-touched buffer (or, for
"call", a fresh array per run). ``ratio`` divides by the parallel constant
write into the same buffer measured in the same process, the figure to steer
by since absolute times vary between machines. ``peak`` is the peak RSS of a
separate process doing only that job, minus the output's size: the memory a
job needs beyond its output (it includes the interpreter and libraries, so
compare rows with the "output only" row).
"""
import argparse
import json
import statistics
import subprocess
import sys
import time

import numba
import numpy as np

import fastinit
from fastinit import cpu


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def peers(n):
    """(name, dtype, setup -> callable) for peer libraries that are installed."""
    out = []
    rng = np.random.default_rng(0)

    def numpy_normal():
        buf = np.empty(n, np.float32)
        return lambda: rng.standard_normal(out=buf, dtype=np.float32)
    out.append(("numpy standard_normal (1 thread, untruncated)", np.float32, numpy_normal))
    try:
        import torch

        def torch_trunc():
            t = torch.empty(n, dtype=torch.float32)
            return lambda: torch.nn.init.trunc_normal_(t, std=0.02, a=-0.04, b=0.04)

        def torch_normal():
            t = torch.empty(n, dtype=torch.float32)
            return lambda: torch.nn.init.normal_(t, std=0.02)
        out.append(("torch trunc_normal_", np.float32, torch_trunc))
        out.append(("torch normal_ (untruncated)", np.float32, torch_normal))
    except ImportError:
        pass
    try:
        import jax
        import jax.numpy as jnp

        def jax_lecun():
            init = jax.nn.initializers.lecun_normal()
            key = jax.random.key(0)
            shape = (n // 1000, 1000)
            f = jax.jit(lambda k: init(k, shape, jnp.float32))
            f(key).block_until_ready()
            return lambda: f(key).block_until_ready()
        out.append(("jax lecun_normal (jit)", np.float32, jax_lecun))
    except ImportError:
        pass
    return out


JOBS = {
    # name -> code run in a fresh process for the peak-memory column
    "output only (np.empty + touch)": "x = np.empty(n, np.float32); cpu.fill_constant(x, 0)",
    "fastinit lecun_normal init(shape)": "x = fastinit.lecun_normal(seed=0)((n,))",
}


def peak_rss_mib(code, n):
    # VmHWM, not ru_maxrss: the latter is inherited across fork+exec, so a
    # child of a big parent would report the parent's peak.
    prog = ("import numpy as np, fastinit\nfrom fastinit import cpu\n"
            f"n = {n}\nfastinit.lecun_normal(seed=0)((64,))\n{code}\n"
            "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])")
    out = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def run(sizes, repeat, with_peers, json_path):
    rows = []
    threads = numba.get_num_threads()
    print(f"fastinit {fastinit.__version__}, numba {numba.__version__}, {threads} threads")
    for n in sizes:
        buf = np.empty(n, np.float32)
        cpu.fill_constant(buf, 0.0)  # touch the pages
        t_const = median_time(lambda: cpu.fill_constant(buf, 1.0), repeat)
        lecun = fastinit.lecun_normal(seed=0)
        shape = (n // 1000, 1000) if n % 1000 == 0 else (n,)
        flat2d = buf.reshape(shape)
        lecun.fill(flat2d)  # compile / load the cached kernel outside the timing
        cases = [
            ("constant write (parallel, baseline)", 4, t_const),
            ("fastinit lecun_normal fill", 4, median_time(lambda: lecun.fill(flat2d), repeat)),
            ("fastinit lecun_normal init(shape)", 4, median_time(lambda: lecun(shape), repeat)),
        ]
        rej = fastinit.lecun_normal(seed=0, method="rejection")
        rej.fill(flat2d)
        cases.append(("fastinit lecun_normal fill, rejection", 4,
                      median_time(lambda: rej.fill(flat2d), max(1, repeat // 2))))
        if n <= 2 * 10**8:
            buf64 = np.empty(shape, np.float64)
            lecun.fill(buf64)
            cases.append(("fastinit lecun_normal fill float64", 8,
                          median_time(lambda: lecun.fill(buf64), repeat)))
            del buf64
        del buf, flat2d
        if with_peers:
            for name, dtype, setup in peers(n):
                fn = setup()
                fn()
                cases.append((name, 4, median_time(fn, max(1, repeat // 2))))
        print(f"\nn = {n:.3g}")
        print(f"{'job':46s} {'ns/elem':>9s} {'GB/s':>8s} {'ratio':>7s}")
        for name, itemsize, t in cases:
            row = dict(n=n, job=name, seconds=t, ns_per_elem=t / n * 1e9,
                       gb_per_s=n * itemsize / t / 1e9, ratio_to_constant=t / t_const)
            rows.append(row)
            print(f"{name:46s} {row['ns_per_elem']:9.3f} {row['gb_per_s']:8.2f} "
                  f"{row['ratio_to_constant']:7.2f}")
        mem = {job: peak_rss_mib(code, n) for job, code in JOBS.items()}
        base = mem["output only (np.empty + touch)"]
        for job, m in mem.items():
            print(f"peak RSS {job:40s} {m:9.0f} MiB  ({m - base:+.0f} MiB vs output only)")
            rows.append(dict(n=n, job="peak RSS " + job, peak_rss_mib=m, above_output_only_mib=m - base))
    if json_path:
        with open(json_path, "w") as f:
            json.dump(rows, f, indent=1)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", nargs="+", default=["2e8", "1e9"])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--no-peers", action="store_true")
    p.add_argument("--json", help="also write the rows to this file")
    a = p.parse_args()
    run([int(float(s)) for s in a.sizes], a.repeat, not a.no_peers, a.json)


if __name__ == "__main__":
    main()
