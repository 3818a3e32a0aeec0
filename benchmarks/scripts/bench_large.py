"""Large-tensor benchmark: regions vs full tensor, streaming to .npy vs a plain
write of the same bytes, and torch CPU tensors vs NumPy arrays.

Usage::

    python benchmarks/scripts/bench_large.py                      # defaults below
    python benchmarks/scripts/bench_large.py --stream-elements 2e9 --dir /tmp

Every ratio compares two jobs timed in the same process. Streaming rows run in
child processes so that their peak resident memory (VmHWM) can be reported.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

import fastinit
from fastinit import cpu

from bench_fill import median_time

CHILD = r"""
import sys, time, numpy as np, fastinit
from fastinit import cpu, streaming
mode, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
init = fastinit.lecun_normal(seed=0)
init((64,))
if mode == "baseline":
    print("0 0")
    sys.exit()
t = time.perf_counter()
if mode == "fastinit":
    streaming.save_npy(path, init, (n // 32768, 32768), progress=False)
else:  # the same file machinery, writing zeros instead of samples
    streaming.save_npy(path, fastinit.Zeros(), (n // 32768, 32768), progress=False)
dt = time.perf_counter() - t
hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]
print(dt, int(hwm) / 1024)
"""


def stream(mode, path, n):
    out = subprocess.run([sys.executable, "-c", CHILD, mode, path, str(n)], capture_output=True,
                         text=True, check=True).stdout.split()
    return float(out[0]), float(out[1]) if mode != "baseline" else 0.0


def regions(repeat):
    init = fastinit.lecun_normal(seed=0)
    shape = (32768, 8192)
    n = shape[0] * shape[1]
    full = np.empty(shape, np.float32)
    cpu.fill_constant(full.reshape(-1), 0.0)
    init.fill(full)
    t_full = median_time(lambda: init.fill(full), repeat) / n
    print(f"\nregions of a {shape} float32 tensor (full fill {t_full * 1e9:.3f} ns/elem)")
    print(f"{'region':34s} {'ns/elem':>9s} {'ratio to full':>14s}")
    for label, r in [("rows [8192:16384]", np.s_[8192:16384]),
                     ("columns [:, 2048:4096] (TP shard)", np.s_[:, 2048:4096]),
                     ("columns [:, 1000:3000] (unaligned)", np.s_[:, 1000:3000]),
                     ("block [1000:20000, 333:5333]", np.s_[1000:20000, 333:5333]),
                     ("narrow columns [:, 100:164]", np.s_[:, 100:164])]:
        buf = np.empty(full[r].shape, np.float32)
        cpu.fill_constant(buf.reshape(-1), 0.0)
        init.fill(buf, shape=shape, region=r)
        t = median_time(lambda: init.fill(buf, shape=shape, region=r), repeat) / buf.size
        print(f"{label:34s} {t * 1e9:9.3f} {t / t_full:14.2f}")


def torch_vs_numpy(n, repeat):
    try:
        import torch
    except ImportError:
        print("\ntorch not installed: skipping the torch rows")
        return
    init = fastinit.lecun_normal(seed=0)
    a = np.zeros(n, np.float32)
    t = torch.zeros(n)
    init.fill(a)
    init.fill(t)
    ta = median_time(lambda: init.fill(a), repeat)
    tt = median_time(lambda: init.fill(t), repeat)
    first = median_time(lambda: init.fill(torch.empty(n)), 3)
    fresh = median_time(lambda: init((n,)), 3)
    print(f"\ntorch CPU tensor vs NumPy array, {n:.0e} float32 (pre-touched)")
    print(f"  numpy fill {ta / n * 1e9:.3f} ns/elem   torch fill {tt / n * 1e9:.3f} ns/elem   "
          f"ratio {tt / ta:.2f}")
    print(f"  fill(torch.empty(n)) {first / n * 1e9:.3f} ns/elem   init((n,)) {fresh / n * 1e9:.3f} "
          "ns/elem (first touch of fresh pages included)")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stream-elements", default="2e9")
    p.add_argument("--dir", default=None, help="directory for the streamed files (default: temp)")
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    regions(a.repeat)
    torch_vs_numpy(2 * 10**8, a.repeat)
    n = int(float(a.stream_elements)) // 32768 * 32768
    with tempfile.TemporaryDirectory(dir=a.dir) as d:
        path = os.path.join(d, "w.npy")
        base = subprocess.run([sys.executable, "-c", CHILD.replace("print(\"0 0\")",
                               "print([l.split()[1] for l in open('/proc/self/status') "
                               "if l.startswith('VmHWM')][0])"), "baseline", path, "0"],
                              capture_output=True, text=True, check=True).stdout.split()
        base_hwm = int(base[0]) / 1024
        # Alternate the two jobs (the first writes into fresh disk blocks) and
        # keep each one's faster run.
        runs = {"zeros": [], "fastinit": []}
        for mode in ["zeros", "fastinit", "zeros", "fastinit"]:
            runs[mode].append(stream(mode, path, n))
            os.unlink(path)
        tz, hz = min(runs["zeros"])
        tf, hf = min(runs["fastinit"])
        gb = n * 4 / 1e9
        print(f"\nstreaming {n:.2e} float32 ({gb:.1f} GB) to .npy (64 MiB windows, fsync + rename)")
        print(f"  zeros through the same memory-mapped writer: {tz:7.2f} s  {gb / tz:6.2f} GB/s  "
              f"peak RSS {hz:7.0f} MiB")
        print(f"  fastinit lecun_normal save_npy:              {tf:7.2f} s  {gb / tf:6.2f} GB/s  "
              f"peak RSS {hf:7.0f} MiB")
        print(f"  ratio {tf / tz:.2f}; peak RSS above the interpreter with fastinit loaded "
              f"({base_hwm:.0f} MiB): {hf - base_hwm:+.0f} MiB")


if __name__ == "__main__":
    main()
