"""The one place that decides how fastinit's functions are compiled.

Every per-element algorithm is written once as a small scalar Python function and
compiled here, so the compile policy (caching, error model, floating-point
contraction) is uniform and can be changed in one spot.

Policy
------
* ``cache=True``: compiled machine code is stored beside the sources
  (``__pycache__``) or under ``NUMBA_CACHE_DIR``; only the first call in a fresh
  environment pays the compile cost.
* ``error_model="numpy"``: division by zero gives inf/nan instead of raising,
  which keeps the inner loops free of Python-exception branches (a branch in the
  loop body stops LLVM from vectorizing it).
* ``fastmath={"contract"}``: only fused multiply-add contraction is allowed. It is
  what makes the polynomial evaluations fast; reassociation, "no NaNs" and
  "no infs" stay off so results are still IEEE results of a fixed expression
  order.
* scalar building blocks are inlined at Numba IR level (``inline="always"``):
  LLVM's own inliner declined to inline the ten unrolled Philox rounds into the
  lane loop, and a call in the loop body stops vectorization.
* Numba only re-validates a cached function against *its own* source file, so
  an edited transform in another module would leave stale machine code in
  the cache. :func:`_drop_stale_cache` therefore keys the whole cache on a hash
  of all of fastinit's sources and empties it when they change.
* ``boundscheck=False`` (Numba's default) - the kernels compute every index from
  validated run descriptions.
"""
import ctypes
import hashlib
import importlib.metadata
import os
import pathlib
import types
import warnings

import numba
import numpy as np
from llvmlite import ir
from llvmlite.binding import llvm_version_info
from numba.core import cgutils, types as nbtypes
from numba.core.errors import NumbaIRAssumptionWarning
from numba.extending import intrinsic, overload

# Numba's pedantic IR check flags variables renamed by IR-level inlining of
# functions with several return paths (ndtri) into fastinit's sampler
# dispatch (samplers._per_kind); the compiled code is correct (tests compare
# every kind against independent references). Only warnings about
# fastinit's own inlined variables are silenced.
warnings.filterwarnings("ignore", message=r"variable '_per_kind__locals___dispatch_overload__",
                        category=NumbaIRAssumptionWarning)

def _load_tbb_runtime():
    """Load the TBB runtime that the ``tbb`` package installed, if it is.

    Numba finds TBB by its library name (``libtbb.so.12``), which the dynamic
    linker searches for only in the system's directories; pip installs it in
    the environment's ``lib`` folder, so in a virtual environment Numba does
    not find it (numba/numba#6108). Loaded here by its path first, it is the
    library both Numba's version check and its ``tbbpool`` module then get.
    """
    try:
        dist = importlib.metadata.distribution("tbb")
    except importlib.metadata.PackageNotFoundError:
        return
    for f in dist.files or ():
        if f.name in ("libtbb.so.12", "tbb12.dll", "libtbb.12.dylib"):
            try:
                ctypes.CDLL(str(dist.locate_file(f)))
            except OSError:
                pass  # Numba then falls back to workqueue (below)
            return


# The threading layer: Numba's "forksafe" choice, TBB where it loads, else
# Numba's own "workqueue". Both survive fork; GNU OpenMP, Numba's first
# default choice where it is installed, kills a forked child at its first
# parallel launch ("fork() called from a process already using GNU OpenMP").
# TBB is a dependency for its launch cost: its workers wait for work
# spinning, then asleep, while workqueue's sleep on a condition variable,
# and on a 2-vCPU VM waking them costs about 100 us a launch, against 2.6 us
# under TBB (a trivial prange function, median; docs/performance.md). A
# layer the user chose (NUMBA_THREADING_LAYER, or numba.config set before
# this import) is kept.
_load_tbb_runtime()
if "NUMBA_THREADING_LAYER" not in os.environ and numba.config.THREADING_LAYER == "default":
    numba.config.THREADING_LAYER = "forksafe"


def _allow_512_bit_vectors():
    """Let LLVM use 512-bit vectors on AVX-512 hosts.

    LLVM tunes AVX-512 CPUs to prefer 256-bit vectors (``prefer-256-bit``,
    against the down-clocking of the first AVX-512 parts). fastinit's loops
    are Philox's 32x32->64-bit multiplies and the quantiles' polynomials, and
    with 512-bit vectors they fill 1.3-1.6x faster on an AVX-512 VM
    (docs/performance.md). So, before anything is compiled, Numba is told
    to compile for this host with that preference off, unless the user chose
    a target (``NUMBA_CPU_NAME``/``NUMBA_CPU_FEATURES``, or ``numba.config``
    before this import). Numba has one target machine per process, so other
    Numba code in the process gets the same choice. Values never depend on
    it: vector width does not reorder fastinit's arithmetic (the pins hold).
    """
    if (numba.config.CPU_NAME is not None or numba.config.CPU_FEATURES is not None
            or "NUMBA_CPU_NAME" in os.environ or "NUMBA_CPU_FEATURES" in os.environ):
        return
    from llvmlite import binding as llvm
    from numba.core.codegen import get_host_cpu_features
    features = get_host_cpu_features()  # Numba's view (NUMBA_ENABLE_AVX applied)
    if "+avx512f" in features.split(","):
        numba.config.CPU_NAME = llvm.get_host_cpu_name()
        numba.config.CPU_FEATURES = features + ",-prefer-256-bit"


_allow_512_bit_vectors()

FASTMATH = frozenset({"contract"})

_COMMON = dict(cache=True, error_model="numpy", fastmath=set(FASTMATH), nogil=True)


def scalar(fn=None, *, inline=True):
    """Compile a scalar, device-agnostic building block (Philox round, transform).

    ``inline=True`` (the default, for what runs in the vectorized loops) inlines
    it at Numba IR level; ``inline=False`` leaves inlining to LLVM, for large
    functions that cannot vectorize anyway (they contain ``log`` or loops), which
    keeps compile times short.

    The Python function object stays reachable as ``.py_func`` so another target
    (``numba.cuda``) can compile the very same source.
    """
    if fn is None:
        return lambda f: scalar(f, inline=inline)
    dispatcher = numba.njit(inline="always" if inline else "never", **_COMMON)(fn)
    _SCALARS[dispatcher] = fn
    return dispatcher


#: scalar dispatcher -> its Python function, for compiling on other targets.
_SCALARS = {}
_CUDA_DEVICE = {}


def cuda_device(dispatcher):
    """The CUDA device function compiled from the *same* Python source as the
    CPU scalar ``dispatcher``.

    The function is rebuilt with a copy of its globals in which every other
    fastinit scalar it calls is replaced by that scalar's CUDA version
    (recursively), then compiled with ``numba.cuda.jit(device=True)``. Nothing
    of the maths is written twice.
    """
    if dispatcher in _CUDA_DEVICE:
        return _CUDA_DEVICE[dispatcher]
    from numba import cuda

    fn = _SCALARS[dispatcher]
    env = dict(fn.__globals__)
    for name in fn.__code__.co_names:
        if name in env:
            env[name] = _on_cuda(env[name])
    # Scalars made by factories reach their building blocks through closure
    # cells: those are swapped too.
    closure = fn.__closure__ and tuple(types.CellType(_on_cuda(c.cell_contents))
                                       for c in fn.__closure__)
    rebuilt = types.FunctionType(fn.__code__, env, fn.__name__, fn.__defaults__, closure)
    device_fn = cuda.jit(device=True)(rebuilt)
    _CUDA_DEVICE[dispatcher] = device_fn
    return device_fn


def fma32(a, b, c):
    """``a * b + c`` in float32 with one rounding, on every target.

    Where a result must not depend on which multiply-add pair a compiler
    contracts (so that a vectorized loop, a scalar fallback and a GPU agree
    bit for bit), the maths calls this instead of writing ``a * b + c``. In
    jitted code it is LLVM's ``llvm.fma.f32`` (one instruction on x86-64 with
    FMA and on NVIDIA GPUs); this Python version (used by Numba's CUDA
    simulator) rounds the exact product's sum twice, float64 then float32.
    """
    return np.float32(np.float64(a) * np.float64(b) + np.float64(c))


def fma64(a, b, c):
    """``a * b + c`` in float64 with one rounding, on every target (see
    :func:`fma32`; the Python version here is plain float64 arithmetic)."""
    return np.float64(a) * np.float64(b) + np.float64(c)


def _llvm_fma(nb_type, ir_type):
    @intrinsic
    def fma(typingctx, a, b, c):
        def codegen(context, builder, signature, args):
            fn = builder.module.declare_intrinsic("llvm.fma", [ir_type],
                                                  ir.FunctionType(ir_type, [ir_type] * 3))
            return builder.call(fn, args)
        return nb_type(nb_type, nb_type, nb_type), codegen
    return fma


_llvm_fma_f32 = _llvm_fma(numba.float32, ir.FloatType())
_llvm_fma_f64 = _llvm_fma(numba.float64, ir.DoubleType())


@overload(fma32, inline="always")
def _fma32_overload(a, b, c):
    def impl(a, b, c):
        return _llvm_fma_f32(np.float32(a), np.float32(b), np.float32(c))
    return impl


@overload(fma64, inline="always")
def _fma64_overload(a, b, c):
    def impl(a, b, c):
        return _llvm_fma_f64(np.float64(a), np.float64(b), np.float64(c))
    return impl


@intrinsic
def borrowed(typingctx, arr):
    """A view of the array ``arr`` that holds no reference to its memory
    (jit-only).

    Each array passed to a compiled function that is not inlined (a tuple's
    members too) costs an atomic increment and decrement of its reference
    count per call: a run-by-run loop passing ``out``, the run descriptors
    and a work item's scratch (nine arrays) down five calls spent a third
    of its time on them. A borrowed view's reference is null, which Numba's
    runtime skips. The view must not outlive ``arr``: borrow a function's
    own argument (its caller keeps it alive until the call returns) and use
    the view only inside that call.
    """
    if not isinstance(arr, nbtypes.Array):
        return None

    def codegen(context, builder, signature, args):
        view = context.make_array(arr)(context, builder, value=args[0])
        view.meminfo = cgutils.get_null_value(view.meminfo.type)
        view.parent = cgutils.get_null_value(view.parent.type)
        return view._getvalue()
    return arr(arr), codegen


@intrinsic
def swap_parallel_chunksize(typingctx, n):
    """Set the calling thread's parallel chunk size (prange iterations that
    Numba hands out at a time; 0: one contiguous share per thread) to ``n``
    and return the previous one (jit-only).

    It calls the two C functions each of Numba's own parallel launches calls
    (by symbol): ``numba.set_parallel_chunksize`` in compiled code calls them
    through a ctypes pointer, whose address Numba will not cache.
    """
    if not isinstance(n, nbtypes.Integer):
        return None

    def codegen(context, builder, signature, args):
        size_t = context.get_value_type(nbtypes.uintp)
        get = cgutils.get_or_insert_function(builder.module, ir.FunctionType(size_t, []),
                                             "get_parallel_chunksize")
        set_ = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [size_t]), "set_parallel_chunksize")
        previous = builder.call(get, [])
        builder.call(set_, [context.cast(builder, args[0], n, nbtypes.uintp)])
        return previous
    return nbtypes.uintp(n), codegen


#: Elements that :func:`append_nans` reads at a time: one 512-bit vector.
NAN_VECTOR_BYTES = 64

# LLVM's target-independent compress (a vector's selected lanes moved to its
# front): vpcompressd/q on AVX-512, a branch-free expansion elsewhere; in
# LLVM 19 and later. Before, the masked compress store (since LLVM 6).
_HAS_VECTOR_COMPRESS = llvm_version_info >= (19,)


@intrinsic
def append_nans(typingctx, values, i, words, at, dense_words, count):
    """Append the positions ``i + lane`` and ``words[i + lane]`` of the NaN
    elements among ``values[i : i + L]`` to ``at[count:]`` and
    ``dense_words[count:]``, in order; return ``count`` plus their number
    (jit-only; ``L = NAN_VECTOR_BYTES // values.itemsize``, and ``words`` as
    wide as ``values``).

    One vector compare and two compresses, no branch: a batch's misses
    (about 3 in a 64-element group, at random places) cost a mispredicted
    branch per group when walked bit by bit. It may write ``L`` entries
    from ``count`` on: ``at`` and ``dense_words`` need ``L - 1`` of slack.
    """
    if not (isinstance(values, nbtypes.Array) and isinstance(values.dtype, nbtypes.Float)
            and isinstance(words, nbtypes.Array) and isinstance(at, nbtypes.Array)
            and isinstance(dense_words, nbtypes.Array)
            and words.dtype.bitwidth == values.dtype.bitwidth
            and dense_words.dtype == words.dtype and at.dtype == nbtypes.uint32):
        return None
    lanes = NAN_VECTOR_BYTES * 8 // values.dtype.bitwidth

    def codegen(context, builder, signature, args):
        values_v, i_v, words_v, at_v, dense_v, count_v = args
        values_t, i_t, words_t, at_t, dense_t, count_t = signature.args
        i_v = context.cast(builder, i_v, i_t, nbtypes.intp)
        count_v = context.cast(builder, count_v, count_t, nbtypes.intp)

        def data(array_v, array_t, index):
            # Pointer to array[index] as a pointer to a vector of lanes.
            element = context.get_value_type(array_t.dtype)
            ptr = builder.gep(context.make_array(array_t)(context, builder, array_v).data,
                              [index])
            return builder.bitcast(ptr, ir.VectorType(element, lanes).as_pointer())

        vector = builder.load(data(values_v, values_t, i_v), align=1)
        mask = builder.fcmp_unordered("uno", vector, vector)
        i32 = ir.IntType(32)
        first = builder.insert_element(ir.Constant(ir.VectorType(i32, lanes), None),
                                       builder.trunc(i_v, i32), ir.Constant(i32, 0))
        positions = builder.add(
            builder.shuffle_vector(first, first, ir.Constant(ir.VectorType(i32, lanes), None)),
            ir.Constant(ir.VectorType(i32, lanes), list(range(lanes))))
        for vec, dst in ((positions, data(at_v, at_t, count_v)),
                         (builder.load(data(words_v, words_t, i_v), align=1),
                          data(dense_v, dense_t, count_v))):
            vt = vec.type
            suffix = f"v{lanes}i{vt.element.width}"
            mask_t = ir.VectorType(ir.IntType(1), lanes)
            if _HAS_VECTOR_COMPRESS:
                compress = cgutils.get_or_insert_function(
                    builder.module, ir.FunctionType(vt, [vt, mask_t, vt]),
                    f"llvm.experimental.vector.compress.{suffix}")
                builder.store(builder.call(compress, [vec, mask, ir.Constant(vt, None)]), dst,
                              align=1)
            else:
                store = cgutils.get_or_insert_function(
                    builder.module,
                    ir.FunctionType(ir.VoidType(), [vt, vt.element.as_pointer(), mask_t]),
                    f"llvm.masked.compressstore.{suffix}")
                builder.call(store, [vec, builder.bitcast(dst, vt.element.as_pointer()), mask])
        bits = builder.bitcast(mask, ir.IntType(lanes))
        popcount = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.IntType(lanes), [ir.IntType(lanes)]),
            f"llvm.ctpop.i{lanes}")
        return builder.add(count_v, builder.zext(builder.call(popcount, [bits]),
                                                 context.get_value_type(nbtypes.intp)))
    return nbtypes.intp(values, i, words, at, dense_words, count), codegen


def _on_cuda(value):
    if isinstance(value, numba.core.registry.CPUDispatcher) and value in _SCALARS:
        return cuda_device(value)
    return value


def kernel(fn):
    """Compile a parallel CPU kernel (``prange`` loops run on Numba's thread pool)."""
    return numba.njit(parallel=True, **_COMMON)(fn)


def serial(fn):
    """Compile a serial helper loop (small inputs, edge elements, public utilities)."""
    return numba.njit(**_COMMON)(fn)


def _drop_stale_cache():
    """Delete fastinit's cached machine code if any package source changed.

    Runs once at import, before anything is compiled. Best effort: when the
    cache directory cannot be found or written, Numba's own rules apply.
    """
    package = pathlib.Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest = digest.hexdigest()
    try:
        probe = numba.njit(cache=True)(_drop_stale_cache)
        cache_dir = pathlib.Path(probe._cache._cache_path)
        marker = cache_dir / "fastinit-sources.sha256"
        if marker.is_file() and marker.read_text() == digest:
            return
        for f in list(cache_dir.glob("*.nbi")) + list(cache_dir.glob("*.nbc")):
            f.unlink(missing_ok=True)
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache_dir / f"fastinit-sources.{os.getpid()}.tmp"
        tmp.write_text(digest)
        tmp.replace(marker)
    except (AttributeError, OSError):
        pass


_drop_stale_cache()
