"""Determinism everywhere, uncorrelated streams, concurrency and hostile input."""
import concurrent.futures
import hashlib
import os
import subprocess
import sys

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastinit
from fastinit import _jit, cpu

INITS = {
    "lecun_normal": lambda: fastinit.LecunNormal(seed=1),
    "lecun_normal_rejection": lambda: fastinit.LecunNormal(seed=1, method="rejection"),
    "glorot_uniform": lambda: fastinit.GlorotUniform(seed=2),
    "random_normal": lambda: fastinit.RandomNormal(seed=3),
    "truncated_tail": lambda: fastinit.TruncatedNormal(0.0, 1.0, seed=4, minval=6.0, maxval=7.0),
    "truncated_central": lambda: fastinit.TruncatedNormal(0.0, 1.0, seed=4, minval=-1.0,
                                                          maxval=3.0),
}
DTYPES = ["float32", "float64", "float16", "bfloat16"]
SHAPE = (193, 67)


def digest(x):
    return hashlib.sha256(np.ascontiguousarray(x).reshape(-1).view(np.uint8)).hexdigest()


@pytest.mark.parametrize("name", sorted(INITS))
@pytest.mark.parametrize("dtype", DTYPES)
def test_same_bits_for_threads_chunks_regions_fill_and_repeats(name, dtype, monkeypatch):
    init = INITS[name]()
    ref = init(SHAPE, dtype)
    assert digest(init(SHAPE, dtype)) == digest(ref)                  # repeated call
    assert digest(INITS[name]()(SHAPE, dtype)) == digest(ref)         # new instance
    buf = np.empty(SHAPE, ref.dtype)
    init.fill(buf)
    assert digest(buf) == digest(ref)                                  # fill vs call
    region = np.s_[5:150, 3:60]
    assert digest(init(SHAPE, dtype, region=region)) == digest(ref[region])
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        assert digest(init(SHAPE, dtype)) == digest(ref)               # 1 thread
    finally:
        numba.set_num_threads(before)
    for chunk in (1, 3, 1 << 16):                                      # chunk sizes
        monkeypatch.setattr(cpu, "CHUNK_GROUPS", chunk)
        assert digest(init(SHAPE, dtype)) == digest(ref), chunk


def test_the_callers_parallel_chunk_size_is_restored():
    # cpu._fill_runs sets its own chunk size for its launches; a user's
    # setting for their own prange code must survive a fill (every path).
    init = fastinit.lecun_normal(seed=0)
    before = numba.set_parallel_chunksize(7)
    try:
        init((1 << 20,))                                      # one long run
        init((300, 1000), region=np.s_[:, 10:74])             # short runs
        init((3000, 1000), region=np.s_[:, 10])               # a column, parallel
        init((300, 100), "bfloat16")                          # 16-bit windows
        assert numba.get_parallel_chunksize() == 7
    finally:
        numba.set_parallel_chunksize(before)


@pytest.mark.parametrize("vector_compress", [True, False], ids=["compress", "compressstore"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_append_nans_lists_the_nans_in_order(monkeypatch, dtype, vector_compress):
    # The outer batch's compaction, in both of LLVM's forms (the vector
    # compress of LLVM >= 19, the masked compress store before), against
    # numpy: every NaN's position and word, in order, and their count.
    monkeypatch.setattr(_jit, "_HAS_VECTOR_COMPRESS", vector_compress)
    word = np.uint32 if dtype == np.float32 else np.uint64
    lanes = _jit.NAN_VECTOR_BYTES // np.dtype(dtype).itemsize

    @numba.njit  # compiled here, after the patch (not cached)
    def append_all(values, words, at, dense):
        count = 0
        for i in range(0, values.size, lanes):
            count = _jit.append_nans(values, i, words, at, dense, count)
        return count

    rng = np.random.default_rng(1)
    n = 64 * 50
    values = rng.standard_normal(n).astype(dtype)
    values[rng.random(n) < 0.05] = np.nan
    values[:lanes] = np.nan                 # a whole vector of NaNs
    values[lanes:2 * lanes] = 1.0           # a vector of none
    values[-1] = -np.nan                    # the last lane, a negative NaN
    words = rng.integers(0, np.iinfo(word).max, n, dtype=word, endpoint=True)
    at = np.zeros(n + lanes, np.uint32)
    dense = np.zeros(n + lanes, word)
    count = append_all(values, words, at, dense)
    where = np.flatnonzero(np.isnan(values))
    assert count == where.size
    assert np.array_equal(at[:count], where) and np.array_equal(dense[:count], words[where])


def subprocess_digests(exprs, env=None):
    """digest() of each of ``exprs`` (expressions over fastinit), evaluated in
    a fresh Python process with environment ``env``."""
    code = ("import hashlib, numpy as np, fastinit\n"
            f"for expr in {list(exprs)!r}:\n"
            "    x = np.ascontiguousarray(eval(expr)).reshape(-1)\n"
            "    print(hashlib.sha256(x.view(np.uint8)).hexdigest())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=env)
    return out.stdout.split()


def test_same_bits_across_processes():
    exprs = [f"fastinit.LecunNormal(seed=1)({SHAPE}, {dt!r})"
             for dt in ["float32", "float64", "bfloat16"]]
    assert subprocess_digests(exprs) == [digest(eval(expr)) for expr in exprs]


_VECTOR_WIDTH_CASES = [f"fastinit.LecunNormal(seed=1)({SHAPE}, 'float32')",
                       f"fastinit.RandomNormal(seed=3)({SHAPE}, 'bfloat16')",
                       "fastinit.TruncatedNormal(0.0, 1.0, seed=4, minval=-1.0, maxval=3.0)"
                       f"({SHAPE}, 'float64')"]


def _host_features():
    from numba.core.codegen import get_host_cpu_features
    return get_host_cpu_features()


def test_512_bit_vectors_unless_the_user_chose_a_target():
    # fastinit._jit turns LLVM's prefer-256-bit tuning off on AVX-512 hosts,
    # and leaves a target the user chose alone.
    code = "import fastinit, numba; print(numba.config.CPU_FEATURES)"
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=env).stdout.strip()
    host = _host_features()
    assert out == (host + ",-prefer-256-bit" if "+avx512f" in host.split(",") else "None")
    chosen = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env=dict(env, NUMBA_CPU_FEATURES=host)).stdout.strip()
    assert chosen == host


def test_same_bits_with_numbas_default_vector_width(tmp_path):
    # A process where the user chose the host's own target gets Numba's
    # default tuning (256-bit vectors on AVX-512 hosts): same values.
    env = dict(os.environ, NUMBA_CPU_FEATURES=_host_features(), NUMBA_CACHE_DIR=str(tmp_path))
    env.pop("NUMBA_CPU_NAME", None)
    assert subprocess_digests(_VECTOR_WIDTH_CASES, env) == [
        digest(eval(expr)) for expr in _VECTOR_WIDTH_CASES]


def test_same_bits_on_an_avx2_target(tmp_path):
    # Compiled for a CPU without AVX-512 (Haswell's own features): 256-bit
    # vectors, and the outer batch's compress expanded without vpcompress.
    env = dict(os.environ, NUMBA_CPU_NAME="haswell", NUMBA_CPU_FEATURES="",
               NUMBA_CACHE_DIR=str(tmp_path))
    assert subprocess_digests(_VECTOR_WIDTH_CASES, env) == [
        digest(eval(expr)) for expr in _VECTOR_WIDTH_CASES]


N = 10_000_000
LIMIT = 5 / np.sqrt(N)  # five standard errors of a correlation of independent streams


def corr(a, b):
    return float(np.corrcoef(a, b)[0, 1])


def unit(seed, n=N, first=0):
    return fastinit.random_bits(seed, n, first).astype(np.float64)


def test_adjacent_seeds_are_uncorrelated():
    a, b, c = unit(0), unit(1), unit(2)
    assert abs(corr(a, b)) < LIMIT and abs(corr(b, c)) < LIMIT and abs(corr(a, c)) < LIMIT


def test_derived_tensor_keys_are_uncorrelated():
    names = ["layers.0.weight", "layers.1.weight", "layers.0.bias"]
    xs = [unit(fastinit.tensor_seed(0, n)) for n in names]
    for i in range(3):
        for j in range(i + 1, 3):
            assert abs(corr(xs[i], xs[j])) < LIMIT


@pytest.mark.parametrize("lag", [1, 15, 16, 32, 48, 63, 64, 1024])
def test_adjacent_elements_are_uncorrelated(lag):
    # Lags 16/32/48 pair the words of one Philox block; 64 the next group.
    x = unit(7, N + lag)
    assert abs(corr(x[:-lag], x[lag:])) < LIMIT


def test_concurrent_calls_from_python_threads():
    jobs = [(fastinit.LecunNormal(seed=s), (300 + s, 200), dt)
            for s in range(8) for dt in ("float32", "bfloat16")]
    want = [digest(init(shape, dt)) for init, shape, dt in jobs]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda j: digest(j[0](j[1], j[2])), jobs * 3))
    assert got == want * 3


def test_kernels_free_every_allocation():
    # The kernels pass borrowed views (no reference count) of their
    # arguments and scratch down their calls (_jit.borrowed): every path -
    # one long run, runs of 1250, 64 and 16 elements, a column, 16-bit
    # windows, a kind with an outer batch - must still free exactly what it
    # allocated (Numba's runtime counts allocations with NUMBA_NRT_STATS=1)
    # and leave the caller's arrays intact.
    code = """if True:
        import numpy as np, fastinit
        from numba.core.runtime import rtsys
        full = (300, 5000)
        def fills():
            for init in (fastinit.LecunNormal(seed=1), fastinit.RandomNormal(seed=2)):
                a = np.empty(full, np.float32)
                init.fill(a)
                for region in (np.s_[:, 1250:2500], np.s_[:, 1000:1064], np.s_[:, 1000:1016],
                               np.s_[:, 7]):
                    part = np.empty(a[region].shape, np.float32)
                    init.fill(part, shape=full, region=region)
                    assert np.array_equal(part, a[region])
                init(full, "bfloat16")
        fills()
        before = rtsys.get_allocation_stats()
        fills()
        after = rtsys.get_allocation_stats()
        print(after.alloc - before.alloc, after.free - before.free,
              after.mi_alloc - before.mi_alloc, after.mi_free - before.mi_free)
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, NUMBA_NRT_STATS="1"))
    alloc, free, mi_alloc, mi_free = map(int, out.stdout.split())
    assert alloc > 0 and (alloc, mi_alloc) == (free, mi_free)


def test_requests_larger_than_memory_fail_fast():
    with pytest.raises(MemoryError, match=r"needs .* GiB but only"):
        fastinit.lecun_normal(seed=0)((10**6, 10**6))
    with pytest.raises(MemoryError, match="GiB"):
        fastinit.lecun_normal(seed=0)((2**40,), region=np.s_[:2**38])


# ---------------------------------------------------------------------------
# hostile input: every call returns the right thing or raises a clear error
# ---------------------------------------------------------------------------

ALLOWED = (ValueError, TypeError, MemoryError)

dims = st.one_of(st.integers(0, 12), st.integers(-3, -1), st.integers(2**31, 2**62),
                 st.floats(allow_nan=True), st.booleans(), st.none())
shapes = st.lists(dims, min_size=0, max_size=5).map(tuple) | st.integers(-5, 40) | st.text(max_size=3)
dtypes = st.sampled_from(["float32", "float64", "float16", "bfloat16", "int8", "complex64", None,
                          np.float32, "nope", 3])
seeds = st.one_of(st.integers(-2, 2**70), st.none(), st.floats(), st.text(max_size=2))


def slices(n):
    ends = st.one_of(st.none(), st.integers(-n - 3, n + 3))
    return st.one_of(st.integers(-n - 2, n + 2), st.builds(slice, ends, ends, st.sampled_from(
        [None, 1, 1, 2, -1])))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(shape=shapes, dtype=dtypes, seed=seeds, data=st.data())
def test_hostile_calls(shape, dtype, seed, data):
    try:
        init = fastinit.LecunNormal(seed=seed)
    except ALLOWED as e:
        assert "seed" in str(e)
        return
    region = None
    if isinstance(shape, tuple) and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                        for d in shape):
        if data.draw(st.booleans()):
            region = tuple(data.draw(slices(d)) for d in shape)
    try:
        x = init(shape, dtype, region=region)
    except ALLOWED as e:
        msg = str(e)
        assert any(w in msg for w in ("shape", "dtype", "region", "GiB", "bfloat16")), msg
        return
    full_shape = (shape,) if isinstance(shape, int) else shape
    if np.prod(full_shape, dtype=object) <= 10**5:
        full = init(full_shape, dtype)
        want = full[region] if region is not None else full
        assert x.shape == want.shape
        assert np.array_equal(x.reshape(-1).view(np.uint8), want.reshape(-1).view(np.uint8))


bounds = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64), st.none(),
                   st.integers(-10, 10))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(mean=bounds, stddev=bounds, lo=bounds, hi=bounds, dtype=st.sampled_from(DTYPES))
def test_hostile_truncation_parameters(mean, stddev, lo, hi, dtype):
    kwargs = {k: v for k, v in dict(mean=mean, stddev=stddev).items() if v is not None}
    try:
        init = fastinit.TruncatedNormal(**kwargs, minval=lo, maxval=hi, seed=0)
    except ALLOWED as e:
        assert any(w in str(e) for w in ("mean", "stddev", "minval", "maxval")), str(e)
        return
    try:
        x = init((2000,), dtype).astype(np.float64)
    except ValueError as e:
        assert "no finite" in str(e)
        return
    a, b = init._bounds()
    assert np.all(np.isfinite(x)) and x.min() >= a and x.max() <= b


@pytest.mark.parametrize("stddev,dtype", [(1.70164072159707e38, np.float32),
                                          (8.98846567431158e307, np.float64)])
def test_bounds_beyond_the_float_range_stay_finite(stddev, dtype):
    # mean + 2 stddev exceeds the dtype's largest value (float64: it overflows to
    # inf): samples are clamped to the largest finite value.
    x = fastinit.TruncatedNormal(stddev=stddev, seed=0)((2000,), dtype)
    assert np.all(np.isfinite(x))
    assert np.abs(x).max() <= np.finfo(dtype).max


@pytest.mark.parametrize("method", ["inverse_cdf", "rejection"])
@pytest.mark.parametrize("kwargs", [dict(mean=0.1, stddev=1e-8),           # mean not a float32
                                    dict(stddev=4.317297217455161e-44)])  # subnormal stddev
def test_float32_rounding_of_mean_and_stddev_never_crosses_the_bounds(kwargs, method):
    init = fastinit.TruncatedNormal(**kwargs, seed=0, method=method)
    x = init((20_000,), np.float32).astype(np.float64)
    lo, hi = init._bounds()
    assert x.min() >= lo and x.max() <= hi


def test_bad_buffer_is_never_half_written():
    init = fastinit.TruncatedNormal(seed=0)
    buf = np.full((10, 10), 7.0, np.float32)
    for kwargs in [dict(shape=(10, 11)), dict(shape=(10, 10), region=np.s_[0:5]),
                   dict(shape=(-1, 10)), dict(shape=(10, 10), region=np.s_[::2])]:
        with pytest.raises(ALLOWED):
            init.fill(buf, **kwargs)
        assert (buf == 7.0).all()
