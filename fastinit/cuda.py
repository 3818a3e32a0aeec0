"""CUDA kernels: the same per-element maths as the CPU, on NVIDIA GPUs.

Imported lazily (``import fastinit`` never touches CUDA); needs the
``numba-cuda`` package (``pip install fastinit[cuda]``) and a GPU, or Numba's
CUDA simulator (``NUMBA_ENABLE_CUDASIM=1`` set before Numba is imported).

Every scalar building block (Philox rounds, bits -> uniform, inverse CDF,
samplers) is compiled for the GPU from the very source the CPU kernels use
(:func:`fastinit._jit.cuda_device`), so raw bits are identical to the CPU's for
every element. Float results are identical where the same operations are
evaluated; where a compiler fuses a multiply-add differently (NVVM and LLVM
both contract ``a * b + c`` into FMA by default, but may pick different
pairs), or where the device's ``log``/``exp``/``cos`` differ from the host C
library in the last bit, float32/float64 results can differ by a few ulp.

Launch: a grid-stride loop in which each thread computes one whole Philox
block (four elements) per iteration. With the planar element -> counter
mapping the 16 threads of a group write 16 consecutive elements per output
word, so every store instruction of a warp is fully coalesced. Threads per
block come from :data:`THREADS_PER_BLOCK` (tests patch it small, so that tiny
inputs still span many blocks); blocks from the device's multiprocessor count.
"""
import math

import numpy as np

try:
    # A module global (not a local): Numba's CUDA simulator swaps the ``cuda``
    # global of a kernel for its own fake module.
    from numba import cuda
except ImportError:  # pragma: no cover - numba builds without a CUDA target
    cuda = None

from . import dtypes
from ._jit import cuda_device
from .buffers import is_gpu_array
from .samplers import BITS_U32, COMPLETE_FUNCTIONS, N_PARAMS, SAMPLE_FUNCTIONS, TWO_DRAW_KINDS
from .cpu import run_first
from .philox import block_bits
from .transforms import narrow_16

#: Threads per CUDA block (a patchable setting).
THREADS_PER_BLOCK = 256
#: Blocks per multiprocessor launched by the grid-stride loop.
BLOCKS_PER_SM = 32
#: 16-bit outputs are computed in float32 windows of this many elements
#: (4 MiB of device memory), then rounded into the output.
NARROW_WINDOW = 1 << 20

_KERNELS = {}


def _cuda():
    if cuda is None:  # pragma: no cover - depends on the installation
        raise ImportError("the CUDA path needs numba-cuda: pip install 'fastinit[cuda]'")
    if not cuda.is_available():
        raise RuntimeError("no CUDA GPU is available (set NUMBA_ENABLE_CUDASIM=1 to use Numba's "
                           "CUDA simulator)")
    return cuda


def _kernel(kind, contiguous):
    """The grid-stride kernel for sampler ``kind`` (compiled once, on first use)."""
    if (kind, contiguous) not in _KERNELS:
        _cuda()
        _KERNELS[kind, contiguous] = kernel_for(kind, contiguous)
    return _KERNELS[kind, contiguous]


def kernel_for(kind, contiguous=False):
    """A new (not yet compiled) ``numba.cuda.jit`` dispatcher of a grid-stride
    kernel for sampler ``kind``: the lean one for a single run of consecutive
    elements (``contiguous``: a whole tensor, a row block, a streamed
    window) or the general one over runs. Needs no GPU, so tools can compile
    it for any compute capability (``benchmarks/scripts/gpu_sass.py``)."""
    sample_fn = cuda_device(SAMPLE_FUNCTIONS[kind])
    # Kinds with a fast path: its rare NaN misses take the complete function
    # (a divergent branch for a few threads of a warp).
    fast_path = kind in COMPLETE_FUNCTIONS
    complete_fn = cuda_device(COMPLETE_FUNCTIONS[kind]) if fast_path else sample_fn
    bits_fn = cuda_device(block_bits)
    two_draws = kind in TWO_DRAW_KINDS

    @cuda.jit(device=True)
    def value(k0, k1, b, w, xw, yw, prm):
        v = sample_fn(k0, k1, b, w, xw, yw, prm)
        if fast_path and v != v:
            v = complete_fn(k0, k1, b, w, xw, yw, prm)
        return v

    @cuda.jit(device=True)
    def span(out, offset, first, end, t, stride, k0, k1, prm):
        # Flat elements first .. end into out[offset + i - first], Philox
        # blocks t, t + stride, ... of the span: block b is lane b % 16 of
        # group b // 16, whose word w is element 64 (b // 16) + 16 w + b % 16.
        # No division (shifts only) and two compares per element.
        b0 = (first >> np.uint64(6)) << np.uint64(4)
        n_blocks = (((end + np.uint64(63)) >> np.uint64(6)) << np.uint64(4)) - b0
        while t < n_blocks:
            b = b0 + t
            x = bits_fn(b, np.uint64(0), k0, k1)
            y = x
            if two_draws:
                y = bits_fn(b, np.uint64(1), k0, k1)
            e = ((b >> np.uint64(4)) << np.uint64(6)) + (b & np.uint64(15))
            for w in range(4):
                i = e + np.uint64(16 * w)
                if first <= i and i < end:
                    out[offset + (i - first)] = value(k0, k1, b, np.uint64(w), x[w], y[w], prm)
            t += stride

    if contiguous:
        @cuda.jit
        def fill_span(out, first, k0, k1, prm):
            # Flat elements first .. first + out.size into out.
            span(out, np.uint64(0), first, first + np.uint64(out.size), np.uint64(cuda.grid(1)),
                 np.uint64(cuda.gridsize(1)), k0, k1, prm)

        return fill_span

    first_fn = cuda_device(run_first)

    @cuda.jit
    def fill_runs(out, pos, outer_len, outer_start, outer_stride, inner_first, run_len, k0, k1,
                  prm):
        # A 2-D grid: blockIdx.y walks the runs (decoded once per run, not
        # per element), the x dimension the run's Philox blocks as in the
        # single-run kernel. Positions pos .. pos + out.size of the runs.
        pos_end = pos + np.uint64(out.size)
        r = pos // run_len + np.uint64(cuda.blockIdx.y)
        r_end = (pos_end + run_len - np.uint64(1)) // run_len
        t = np.uint64(cuda.threadIdx.x + cuda.blockIdx.x * cuda.blockDim.x)
        stride = np.uint64(cuda.gridDim.x * cuda.blockDim.x)
        while r < r_end:
            start = r * run_len
            lo = max(pos, start)
            hi = min(pos_end, start + run_len)
            first = first_fn(r, outer_len, outer_start, outer_stride, inner_first) + (lo - start)
            span(out, lo - pos, first, first + (hi - lo), t, stride, k0, k1, prm)
            r += np.uint64(cuda.gridDim.y)

    return fill_runs


def kernel_signature(kind, contiguous=False):
    """Argument types of :func:`kernel_for`'s kernel, for compiling it ahead
    of a launch."""
    from numba import from_dtype, types
    from .samplers import KIND_DTYPE
    u64, i64 = types.uint64, types.int64[::1]
    out = types.Array(from_dtype(KIND_DTYPE[kind]), 1, "C")
    prm = types.UniTuple(types.float64, N_PARAMS)
    if contiguous:
        return (out, u64, u64, u64, prm)
    return (out, u64, i64, i64, i64, u64, u64, u64, u64, prm)


def fill_runs(out, runs, key, kind, params, stream=0, pos=0):
    """Fill the 1-D contiguous device array ``out`` with positions ``pos ..`` of
    ``runs`` (see :mod:`fastinit.cpu`), on ``stream``."""
    if out.size == 0:
        return
    _cuda()
    prm = tuple(float(p) for p in params) + (0.0,) * (N_PARAMS - len(params))
    threads = int(THREADS_PER_BLOCK)
    device = cuda.get_current_device()
    sms = getattr(device, "MULTIPROCESSOR_COUNT", 1) or 1
    if runs.outer_len.size == 0:  # one run: the lean kernel
        first = runs.inner_first + pos
        n_blocks = ((first + out.size + 63) // 64 - first // 64) * 16
        blocks = max(1, min(math.ceil(n_blocks / threads), sms * BLOCKS_PER_SM))
        _kernel(kind, True)[blocks, threads, stream](out, np.uint64(first), np.uint64(key[0]),
                                                     np.uint64(key[1]), prm)
        return
    kernel = _kernel(kind, False)
    n_runs = (pos + out.size + runs.run_len - 1) // runs.run_len - pos // runs.run_len
    # Philox blocks of one run: a misaligned run touches one more group.
    blocks_per_run = ((min(runs.run_len, out.size) + 63) // 64 + 1) * 16
    bx = max(1, min(math.ceil(blocks_per_run / threads), sms * BLOCKS_PER_SM))
    by = max(1, min(n_runs, 65535, max(1, sms * BLOCKS_PER_SM // bx)))
    outer = [cuda.to_device(np.ascontiguousarray(a, np.int64), stream=stream)
             for a in (runs.outer_len, runs.outer_start, runs.outer_stride)]
    kernel[(bx, by), threads, stream](out, np.uint64(pos), *outer, np.uint64(runs.inner_first),
                                      np.uint64(runs.run_len), np.uint64(key[0]),
                                      np.uint64(key[1]), prm)


def constant_kernel():
    """A new ``numba.cuda.jit`` dispatcher of the grid-stride constant write."""
    @cuda.jit
    def constant(a, v):
        i = cuda.grid(1)
        while i < a.size:
            a[i] = v
            i += cuda.gridsize(1)
    return constant


def fill_constant(out, value, stream=0):
    """Write ``value`` into every element of the 1-D device array ``out``."""
    if out.size == 0:
        return
    _cuda()
    blocks, threads = _grid(out.size)
    _once("constant", constant_kernel)[blocks, threads, stream](out, out.dtype.type(value))


def narrow_kernel():
    """A new ``numba.cuda.jit`` dispatcher rounding float32 into 16-bit bits
    (the CPU's :func:`fastinit.transforms.narrow_16`, compiled for CUDA)."""
    narrow_fn = cuda_device(narrow_16)

    @cuda.jit
    def narrow(src, dst, to_bf16, lo_bits, hi_bits, lo_value, hi_value):
        i = cuda.grid(1)
        while i < src.size:
            dst[i] = narrow_fn(src[i], to_bf16, lo_bits, hi_bits, lo_value, hi_value)
            i += cuda.gridsize(1)
    return narrow


def scatter_kernel():
    """A new ``numba.cuda.jit`` dispatcher of ``dst[where] = value``."""
    @cuda.jit
    def scatter(dst, where, value):
        i = cuda.grid(1)
        while i < where.size:
            dst[where[i]] = value
            i += cuda.gridsize(1)
    return scatter


_ONCE = {}


def _once(name, build):
    if name not in _ONCE:
        _ONCE[name] = build()
    return _ONCE[name]


def _grid(n):
    threads = int(THREADS_PER_BLOCK)
    return max(1, min(math.ceil(n / threads), 65535)), threads


class Backend:
    """Where an initializer's runs are written: a CUDA stream (see
    :class:`fastinit.initializers.Initializer`)."""

    def __init__(self, stream=0):
        self.stream = 0 if stream is None else stream

    def fill_runs(self, out, runs, key, kind, params, pos=0):
        fill_runs(out, runs, key, kind, params, self.stream, pos)

    def fill_constant(self, out, value):
        fill_constant(out, value, self.stream)

    def fill_runs_16(self, bits, runs, key, kind, params, pos, dtype, lo_key, hi_key):
        # float32 windows on the device, rounded into the 16-bit bits there.
        bounds = dtypes.narrow_params(dtype, lo_key, hi_key)
        scratch = cuda.device_array(min(bits.size, NARROW_WINDOW), np.float32, stream=self.stream)
        for a in range(0, bits.size, NARROW_WINDOW):
            b = min(a + NARROW_WINDOW, bits.size)
            fill_runs(scratch[:b - a], runs, key, kind, params, self.stream, pos + a)
            blocks, threads = _grid(b - a)
            _once("narrow", narrow_kernel)[blocks, threads, self.stream](
                scratch[:b - a], bits[a:b], *bounds)

    def write(self, dst, values):
        dst.copy_to_device(np.ascontiguousarray(values), stream=self.stream)

    def set_elements(self, dst, where, value):
        if where.size:
            blocks, threads = _grid(where.size)
            _once("scatter", scatter_kernel)[blocks, threads, self.stream](
                dst, cuda.to_device(np.ascontiguousarray(where, np.int64), stream=self.stream),
                dst.dtype.type(value))


def as_device_array(obj, name="out"):
    """A Numba device array viewing ``obj``'s GPU memory (``__cuda_array_interface__``),
    after checking it is writable and C-contiguous."""
    _cuda()
    cai = getattr(obj, "__cuda_array_interface__", None)
    if cai is not None and cai.get("data", (0, False))[1]:
        raise ValueError(f"{name} is read-only")
    if not is_gpu_array(obj):
        raise TypeError(f"{name} is not a CUDA array")
    arr = obj if cai is None else cuda.as_cuda_array(obj)
    contiguous = arr.is_c_contiguous() if hasattr(arr, "is_c_contiguous") \
        else arr.flags["C_CONTIGUOUS"]
    if not contiguous:
        raise ValueError(f"{name} must be C-contiguous; fill a contiguous array instead")
    return arr


def device_context(device):
    """Context manager selecting the GPU named by ``device`` ("cuda" or "cuda:N")."""
    _cuda()
    index = 0 if device == "cuda" else int(device.split(":", 1)[1])
    if index >= len(cuda.gpus):
        raise ValueError(f"device {device!r}: only {len(cuda.gpus)} GPU(s) present")
    return cuda.gpus[index]


def random_bits(seed_key, count, first=0, stream=0):
    """Device array of the raw words of elements ``first .. first + count``."""
    from .cpu import Runs
    _cuda()
    out = cuda.device_array(count, np.uint32, stream=stream)
    fill_runs(out, Runs.contiguous(first, count), seed_key, BITS_U32, (), stream)
    return out
