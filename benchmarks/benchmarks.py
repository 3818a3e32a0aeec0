"""asv benchmark suite for fastinit (see README, "Tracking performance").

Timed functions exclude allocation, page faults and JIT compilation: ``setup``
allocates and touches the buffers and runs every kernel once. ``track_*``
benchmarks report figures computed inside one process (GB/s, and the ratio to
a parallel constant write of the same buffer - the number to steer by, since
absolute times differ between machines).
"""
import os
import statistics
import time

import numba
import numpy as np

import fastinit
from fastinit import cpu

SIZES = [10**6, 10**7, 10**8]


def _median_seconds(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


class LecunNormalFill:
    """``lecun_normal.fill`` into a pre-touched buffer."""
    params = (SIZES, ["float32", "float64"], ["inverse_cdf", "rejection"])
    param_names = ["n", "dtype", "method"]
    timeout = 300

    def setup(self, n, dtype, method):
        self.buf = np.empty((n // 1000, 1000), dtype)
        cpu.fill_constant(self.buf.reshape(-1), 0.0)
        self.init = fastinit.lecun_normal(seed=0, method=method)
        self.init.fill(self.buf)

    def time_fill(self, n, dtype, method):
        self.init.fill(self.buf)

    def track_gb_per_s(self, n, dtype, method):
        return self.buf.nbytes / _median_seconds(lambda: self.init.fill(self.buf)) / 1e9
    track_gb_per_s.unit = "GB/s"

    def track_ratio_to_constant_write(self, n, dtype, method):
        flat = self.buf.reshape(-1)
        t_const = _median_seconds(lambda: cpu.fill_constant(flat, 1.0))
        return _median_seconds(lambda: self.init.fill(self.buf)) / t_const
    track_ratio_to_constant_write.unit = "ratio"


class LargeFill:
    """float32 lecun_normal fill at 1e9 elements: opt-in (``FASTINIT_ASV_LARGE=1``),
    as it needs ~8 GB of memory at peak and ~1 minute; skipped below 12 GiB of RAM."""
    timeout = 600

    def setup(self):
        from fastinit._validation import available_memory
        if os.environ.get("FASTINIT_ASV_LARGE") != "1":
            raise NotImplementedError("opt-in: set FASTINIT_ASV_LARGE=1")
        if (available_memory() or 0) < 12 * 2**30:
            raise NotImplementedError("not enough memory for 1e9 elements")
        self.buf = np.zeros(10**9, np.float32)
        self.init = fastinit.lecun_normal(seed=0)
        self.init.fill(self.buf)

    def time_fill_1e9(self):
        self.init.fill(self.buf)

    def track_ratio_to_constant_write_1e9(self):
        t_const = _median_seconds(lambda: cpu.fill_constant(self.buf, 1.0), 3)
        return _median_seconds(lambda: self.init.fill(self.buf), 3) / t_const
    track_ratio_to_constant_write_1e9.unit = "ratio"

    def peakmem_call_1e9(self):
        self.init((10**9,))

    def peakmem_empty_baseline_1e9(self):
        # The output alone; setup's buffer counts in both.
        a = np.empty(10**9, np.float32)
        cpu.fill_constant(a, 0.0)


class Threads:
    """Float32 lecun_normal fill with 1 thread and with all threads."""
    params = ([10**7, 10**8], [1, 0])
    param_names = ["n", "threads (0 = all)"]

    def setup(self, n, threads):
        self.before = numba.get_num_threads()
        numba.set_num_threads(threads or numba.config.NUMBA_NUM_THREADS)
        self.buf = np.zeros(n, np.float32)
        self.init = fastinit.lecun_normal(seed=0)
        self.init.fill(self.buf)

    def teardown(self, n, threads):
        numba.set_num_threads(self.before)

    def time_fill(self, n, threads):
        self.init.fill(self.buf)


class Initializers:
    """Each initializer, float32, 1e7 elements, into a pre-touched buffer."""
    params = ["lecun_normal", "glorot_uniform", "he_normal", "random_normal",
              "truncated_normal", "random_uniform", "zeros"]
    param_names = ["initializer"]

    def setup(self, name):
        self.buf = np.zeros((10**4, 10**3), np.float32)
        self.init = fastinit.get(name)
        self.init.fill(self.buf)

    def time_fill(self, name):
        self.init.fill(self.buf)


def _kind_cases():
    # The rows of benchmarks/scripts/bench_kinds.py (issue 13's table).
    import importlib.util
    path = os.path.join(os.path.dirname(__file__), "scripts", "bench_kinds.py")
    spec = importlib.util.spec_from_file_location("bench_kinds", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {label: (init, dtype) for label, init, dtype, _ in module.CASES}


class Kinds:
    """Every sampler kind and dtype, 1e7 elements, as a ratio to a float32
    ``lecun_normal`` fill of the same elements in the same process (the
    figure of ``benchmarks/scripts/bench_kinds.py``)."""
    params = [list(_kind_cases())]
    param_names = ["case"]
    timeout = 300

    def setup(self, case):
        init, dtype = _kind_cases()[case]
        self.init = init
        self.buf = np.empty((10**4, 10**3), fastinit.dtypes.resolve_dtype(dtype))
        self.init.fill(self.buf)
        self.base_buf = np.empty((10**4, 10**3), np.float32)
        self.base = fastinit.lecun_normal(seed=0)
        self.base.fill(self.base_buf)

    def track_ratio_to_lecun_normal_float32(self, case):
        t_base = _median_seconds(lambda: self.base.fill(self.base_buf))
        return _median_seconds(lambda: self.init.fill(self.buf)) / t_base
    track_ratio_to_lecun_normal_float32.unit = "ratio"


class Call:
    """``init(shape)``: a fresh array each time (allocation + first touch)."""
    params = [SIZES]
    param_names = ["n"]

    def setup(self, n):
        self.init = fastinit.lecun_normal(seed=0)
        self.init((n // 1000, 1000))

    def time_call(self, n):
        self.init((n // 1000, 1000))

    def peakmem_call(self, n):
        self.init((n // 1000, 1000))

    def peakmem_empty_baseline(self, n):
        # The output alone: peakmem_call should exceed this by < 64 MiB.
        a = np.empty((n // 1000, 1000), np.float32)
        cpu.fill_constant(a.reshape(-1), 0.0)


class ConstantWrite:
    """The baseline: a parallel constant write into the same kind of buffer."""
    params = [SIZES]
    param_names = ["n"]

    def setup(self, n):
        self.buf = np.zeros(n, np.float32)
        cpu.fill_constant(self.buf, 0.0)

    def time_constant_write(self, n):
        cpu.fill_constant(self.buf, 1.0)


class Peers:
    """The same job in peer libraries (skipped when not installed)."""
    params = (["numpy_standard_normal", "torch_trunc_normal_", "torch_normal_",
               "jax_lecun_normal"], [10**7])
    param_names = ["peer", "n"]

    def setup(self, peer, n):
        if peer == "numpy_standard_normal":
            rng = np.random.default_rng(0)
            buf = np.empty(n, np.float32)
            self.fn = lambda: rng.standard_normal(out=buf, dtype=np.float32)
        elif peer.startswith("torch"):
            try:
                import torch
            except ImportError:
                raise NotImplementedError("torch is not installed")
            t = torch.empty(n, dtype=torch.float32)
            if peer == "torch_trunc_normal_":
                self.fn = lambda: torch.nn.init.trunc_normal_(t, std=0.02, a=-0.04, b=0.04)
            else:
                self.fn = lambda: torch.nn.init.normal_(t, std=0.02)
        else:
            try:
                import jax
                import jax.numpy as jnp
            except ImportError:
                raise NotImplementedError("jax is not installed")
            init = jax.nn.initializers.lecun_normal()
            f = jax.jit(lambda k: init(k, (n // 1000, 1000), jnp.float32))
            key = jax.random.key(0)
            self.fn = lambda: f(key).block_until_ready()
        self.fn()

    def time_peer(self, peer, n):
        self.fn()


class Startup:
    """Import time and first-call time with a cold and a warm Numba cache."""
    timeout = 600

    def timeraw_import(self):
        return "import fastinit"

    def timeraw_first_call_warm_cache(self):
        # Fresh process, cache already filled (by earlier runs): the first
        # call loads the kernel from the cache instead of compiling it.
        return "fastinit.lecun_normal(seed=0)((64,))", "import fastinit"

    def timeraw_first_call_cold_cache(self):
        # An empty Numba cache directory: the first call compiles its kernel.
        return ("import os, tempfile\n"
                "os.environ['NUMBA_CACHE_DIR'] = tempfile.mkdtemp()\n"
                "import fastinit\n"
                "fastinit.lecun_normal(seed=0)((64,))")


class CudaFill:
    """``lecun_normal.fill`` of a float32 device array (skipped without a GPU).
    Synchronizes inside the timed function."""
    params = [[10**7, 10**8]]
    param_names = ["n"]

    def setup(self, n):
        try:
            from numba import cuda
        except ImportError:
            raise NotImplementedError("numba-cuda is not installed")
        if numba.config.ENABLE_CUDASIM or not cuda.is_available():
            raise NotImplementedError("no CUDA GPU")
        self.cuda = cuda
        self.out = cuda.device_array(n, np.float32)
        self.init = fastinit.lecun_normal(seed=0)
        self.init.fill(self.out)
        cuda.synchronize()

    def time_fill(self, n):
        self.init.fill(self.out)
        self.cuda.synchronize()

    def track_gb_per_s(self, n):
        return self.out.nbytes / _median_seconds(lambda: self.time_fill(n)) / 1e9
    track_gb_per_s.unit = "GB/s"
