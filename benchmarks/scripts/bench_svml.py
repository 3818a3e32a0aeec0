"""fastinit's own vectorizable log against Intel SVML's and the C library's.

Issue 13 asked to measure SVML (``intel-cmplr-lib-rt``) as the alternative to
our own ``log``. Numba 0.62 and later cannot use SVML at all (llvmlite's LLVM
20/22 is not SVML-patched: ``numba -s`` reports "SVML Operational: False" with
``intel-cmplr-lib-rt`` installed), so the comparison needs Numba 0.61:

    python3 -m venv /tmp/svml61
    /tmp/svml61/bin/pip install "numba==0.61.2" "numpy<2.3" intel-cmplr-lib-rt ml_dtypes tqdm
    LD_LIBRARY_PATH=/tmp/svml61/lib PYTHONPATH=. /tmp/svml61/bin/python benchmarks/scripts/bench_svml.py
    NUMBA_DISABLE_INTEL_SVML=1 LD_LIBRARY_PATH=/tmp/svml61/lib PYTHONPATH=. \\
        /tmp/svml61/bin/python benchmarks/scripts/bench_svml.py

Each line is one thread's ns/element over 4M positive floats (in cache-sized
work, so the arithmetic shows): ``math.log`` in a jitted loop (an SVML vector
call when SVML is operational, else one libm call per element) against
``fastinit.transforms.log_parts_f32`` / ``log_f64``.
"""
import math
import time

import numba
import numpy as np

from fastinit.transforms import log_f64, log_parts_f32

_JIT = dict(fastmath={"contract"}, error_model="numpy")
_LN2 = np.float32(0.6931471805599453)


@numba.njit(**_JIT)
def scale_only(y, out):  # the loop without a log: memory and loop overhead
    for i in range(y.size):
        out[i] = y[i] * np.float32(0.5)


@numba.njit(**_JIT)
def math_log(y, out):
    for i in range(y.size):
        out[i] = math.log(y[i])


@numba.njit(**_JIT)
def own_log_f32(y, out):
    for i in range(y.size):
        e, r = log_parts_f32(y[i])
        out[i] = e * _LN2 + r


@numba.njit(**_JIT)
def own_log_f64(y, out):
    for i in range(y.size):
        out[i] = log_f64(y[i])


def main():
    numba.set_num_threads(1)
    rng = np.random.default_rng(0)
    print(f"numba {numba.__version__}, SVML in use: {numba.config.USING_SVML}")
    for dtype, jobs in [(np.float32, (scale_only, math_log, own_log_f32)),
                        (np.float64, (math_log, own_log_f64))]:
        y = rng.random(1 << 22).astype(dtype) + dtype(1e-6)
        out = np.empty_like(y)
        for job in jobs:
            job(y, out)  # compile
            times = []
            for _ in range(7):
                t = time.perf_counter()
                job(y, out)
                times.append(time.perf_counter() - t)
            print(f"{np.dtype(dtype).name} {job.__name__}: {np.median(times) / y.size * 1e9:.3f} ns/elem")


if __name__ == "__main__":
    main()
