"""Dask/Zarr benchmark: a large float32 tensor into a Zarr store by a 2-worker
LocalCluster, against the single-process streaming .npy writer of the same bytes.

Usage::

    python benchmarks/scripts/bench_dask.py --elements 4e9 --dir /tmp

Reports seconds and GB/s of each, and the peak resident memory (VmHWM) of
each worker process, which stays at a few chunks however large the tensor.
Chunks are uncompressed (random floats do not compress).
"""
import argparse
import os
import sys
import tempfile
import time

import fastinit
import fastinit.dask as fdask


def vmhwm_mib():
    with open("/proc/self/status") as f:
        return [int(line.split()[1]) / 1024 for line in f if line.startswith("VmHWM")][0]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--elements", default="4e9")
    p.add_argument("--chunk-rows", type=int, default=1024)
    p.add_argument("--dir", default=None)
    a = p.parse_args()
    import distributed
    import zarr

    cols = 32768
    rows = int(float(a.elements)) // cols
    shape, n = (rows, cols), rows * cols
    gb = n * 4 / 1e9
    init = fastinit.lecun_normal(seed=0)
    with tempfile.TemporaryDirectory(dir=a.dir) as d:
        t = time.perf_counter()
        fastinit.save_npy(os.path.join(d, "w.npy"), init, shape, progress=False)
        t_npy = time.perf_counter() - t
        os.unlink(os.path.join(d, "w.npy"))

        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           host="127.0.0.1", dashboard_address=None,
                                           memory_limit="4GiB")
        client = distributed.Client(cluster)
        store = os.path.join(d, "w.zarr")
        zarr.create_array(store, shape=shape, chunks=(a.chunk_rows, cols), dtype="float32",
                          compressors=None)
        client.run(fastinit.lecun_normal(seed=0), (64,))  # warm the workers' kernels
        t = time.perf_counter()
        written = fdask.to_zarr(init, shape, store, chunks=(a.chunk_rows, cols))
        t_zarr = time.perf_counter() - t
        peaks = client.run(vmhwm_mib)
        client.close()
        cluster.close()
    chunk_mib = a.chunk_rows * cols * 4 / 2**20
    print(f"{n:.2e} float32 elements ({gb:.1f} GB), Zarr chunks of {chunk_mib:.0f} MiB "
          f"({written} chunks)")
    print(f"  single-process save_npy:         {t_npy:7.2f} s  {gb / t_npy:6.2f} GB/s")
    print(f"  2-worker LocalCluster to_zarr:   {t_zarr:7.2f} s  {gb / t_zarr:6.2f} GB/s  "
          f"(ratio to save_npy {t_zarr / t_npy:.2f})")
    for w, m in peaks.items():
        print(f"  worker {w}: peak RSS {m:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
