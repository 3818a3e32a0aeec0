"""Self-contained GPU check: CPU/GPU parity and fill throughput on a real GPU.

Usage (on a machine with an NVIDIA GPU and ``pip install -e '.[cuda]'``)::

    python benchmarks/scripts/gpu_check.py            # 1e8 parity, 1e9 throughput
    python benchmarks/scripts/gpu_check.py --parity 1e7 --size 2e8

Prints a table and exits with status 1 on a parity failure. Parity: the raw
Philox words of every element must equal the CPU's; float32 ``lecun_normal``
values must be within 2 ulp of the CPU's (FMA contraction may differ).
Throughput: ``init.fill`` of a float32 device array, against a device-to-device
copy of the same bytes (the memory system's rate) and, where installed,
``torch.nn.init.trunc_normal_`` and CuPy's ``standard_normal`` on the GPU.
Times use CUDA events around repeated calls after a warm-up.
"""
import argparse
import sys
import time

import numpy as np
from numba import cuda

import fastinit
from fastinit import cuda as gpu
from fastinit.seeding import key_from_seed


def timed(fn, repeat=10):
    fn()
    cuda.synchronize()
    best = float("inf")
    for _ in range(repeat):
        start, stop = cuda.event(), cuda.event()
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        best = min(best, cuda.event_elapsed_time(start, stop) / 1e3)
    return best


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--parity", default="1e8")
    p.add_argument("--size", default="1e9")
    a = p.parse_args()
    n_par, n = int(float(a.parity)), int(float(a.size))
    if not cuda.is_available():
        print("no CUDA GPU available", file=sys.stderr)
        return 2
    dev = cuda.get_current_device()
    print(f"device: {dev.name.decode() if isinstance(dev.name, bytes) else dev.name}")

    ok = True
    t = time.perf_counter()
    key = key_from_seed(0)
    bits_gpu = gpu.random_bits(key, n_par).copy_to_host()
    bits_cpu = fastinit.random_bits(0, n_par)
    bits_ok = np.array_equal(bits_gpu, bits_cpu)
    del bits_gpu, bits_cpu
    init = fastinit.lecun_normal(seed=0)
    shape = (n_par // 1000, 1000)
    v_gpu = init(shape, device="cuda").copy_to_host()
    v_cpu = init(shape)
    diff = np.abs(v_gpu.astype(np.float64) - v_cpu)
    max_ulp = float((diff / np.spacing(np.abs(v_cpu))).max())
    ok = bits_ok and max_ulp <= 2
    print(f"parity over {n_par:.0e} elements: raw bits {'identical' if bits_ok else 'DIFFER'}; "
          f"float32 lecun_normal max {max_ulp:.1f} ulp ({time.perf_counter() - t:.1f} s)")
    del v_gpu, v_cpu, diff

    out = cuda.device_array((n // 1000, 1000), np.float32)
    src = cuda.device_array_like(out)
    rows = [("device-to-device copy (bandwidth baseline)", timed(lambda: out.copy_to_device(src))),
            ("fastinit lecun_normal fill", timed(lambda: init.fill(out)))]
    try:
        import torch
        tt = torch.empty(n, device="cuda")
        rows.append(("torch trunc_normal_", timed(
            lambda: torch.nn.init.trunc_normal_(tt, std=0.02, a=-0.04, b=0.04))))
        del tt
    except ImportError:
        pass
    try:
        import cupy
        rs = cupy.random.default_rng(0)
        cp_out = cupy.empty(n, cupy.float32)
        rows.append(("cupy standard_normal (untruncated)",
                     timed(lambda: rs.standard_normal(out=cp_out, dtype=cupy.float32))))
    except ImportError:
        pass
    base = rows[0][1]
    print(f"\n{'job (n = %.0e float32)' % n:46s} {'ms':>8s} {'GB/s written':>13s} {'vs copy':>8s}")
    for name, s in rows:
        print(f"{name:46s} {s * 1e3:8.2f} {n * 4 / s / 1e9:13.1f} {base / s:8.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
