"""GPU kernels against the CPU: raw bits identical, floats within 2 ulp (FMA
contraction and device math may differ in the last bit), regions, in-place
fill of device arrays, and bad arrays."""
import numpy as np
import pytest
from numba import cuda

import fastinit
from fastinit import cpu, samplers
from fastinit import cuda as gpu


def close(got, want, ulps=4):
    """|got - want| within ``ulps`` units in the last place of the tensor's
    largest magnitude. A multiply-add fused on one side and not the other, or a
    device math function, rounds differently, and in ``mean + s * z`` (or
    ``low + width * u``) that difference is on the scale of the distribution,
    not of a small result. Numba's simulator evaluates the scalars in Python,
    without FMA, so it differs from the CPU by up to ~3 such ulps."""
    scale = np.spacing(np.abs(want).max().astype(want.dtype)).astype(np.float64)
    return bool(np.all(np.abs(got.astype(np.float64) - want) <= ulps * scale))


def test_raw_bits_identical_across_2_to_the_32():
    key = fastinit.seeding.key_from_seed(5)
    first = 2**32 - 70
    got = gpu.random_bits(key, 150, first).copy_to_host()
    want = np.empty(150, np.uint32)
    cpu.fill_run(want, first, key, samplers.BITS_U32, ())
    assert np.array_equal(got, want)
    assert np.array_equal(want, fastinit.random_bits(5, 150, first))


INITS = [fastinit.LecunNormal(seed=1), fastinit.GlorotUniform(seed=2), fastinit.RandomNormal(seed=3),
         fastinit.TruncatedNormal(seed=4, minval=6.0, maxval=7.0, stddev=1.0),
         fastinit.TruncatedNormal(seed=5, minval=-0.5, maxval=3.0, stddev=1.0),
         fastinit.Constant(0.25)]


@pytest.mark.parametrize("init", INITS, ids=lambda i: repr(i)[:40])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_match_cpu(init, dtype):
    shape = (6, 11)
    got = init(shape, dtype, device="cuda").copy_to_host()
    want = init(shape, dtype)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert close(got, want)


def test_region_on_gpu_matches_cpu():
    init = fastinit.HeNormal(seed=7)
    shape, region = (20, 70), np.s_[3:5, 5:66]
    got = init(shape, region=region, device="cuda").copy_to_host()
    assert close(got, init(shape)[region])


def test_fill_device_array_in_place_with_stream():
    init = fastinit.LecunNormal(seed=0)
    d = cuda.device_array((12, 16), np.float32)
    stream = cuda.stream()
    assert init.fill(d, stream=stream) is d
    stream.synchronize()
    assert close(d.copy_to_host(), init((12, 16)))
    shard = cuda.device_array((4, 16), np.float32)
    init.fill(shard, shape=(12, 16), region=np.s_[8:12])
    assert close(shard.copy_to_host(), init((12, 16))[8:12])


def test_bad_device_arrays():
    init = fastinit.LecunNormal(seed=0)
    with pytest.raises(TypeError, match="dtype"):
        init.fill(cuda.device_array(8, np.int32))
    base = cuda.to_device(np.full((6, 6), 7.0, np.float32))
    with pytest.raises(ValueError, match="C-contiguous"):
        init.fill(base[:, ::2])
    assert (base.copy_to_host() == 7.0).all()

    class ReadOnly:  # a GPU buffer that its producer marks read-only
        __cuda_array_interface__ = {"shape": (6, 6), "typestr": "<f4", "data": (1 << 40, True),
                                    "version": 3, "strides": None}
    with pytest.raises(ValueError, match="read-only"):
        init.fill(ReadOnly())
    with pytest.raises(TypeError, match="not supported on CUDA"):
        fastinit.Orthogonal(seed=0)((4, 4), device="cuda")
    with pytest.raises(ValueError, match="device must be"):
        init((4, 4), device="gpu")
    with pytest.raises(ValueError, match="GPU"):
        init((4, 4), device="cuda:7")


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("init", [
    fastinit.LecunNormal(seed=0), fastinit.RandomNormal(seed=1), fastinit.HeUniform(seed=2),
    fastinit.TruncatedNormal(0.0, 1.0, minval=-0.5, maxval=0.7, seed=3),
    fastinit.Identity(gain=3.0), fastinit.Constant(0.3), fastinit.Constant(np.arange(40.0))],
    ids=lambda i: type(i).__name__)
def test_16_bit_identity_and_array_constants_on_the_gpu(init, dtype):
    # 16-bit outputs: float32 on the device in windows, rounded and clamped
    # by the CPU's own scalar; Identity's diagonal by a scatter; array
    # constants copied window by window. Bit-identical to the CPU.
    want = init((33, 40), dtype)
    got = init((33, 40), dtype, device="cuda").copy_to_host()
    assert np.array_equal(got.view(np.uint16), want.view(np.uint16))
    region = np.s_[5:30, 7:19]
    got = init((33, 40), dtype, device="cuda", region=region).copy_to_host()
    assert np.array_equal(got.view(np.uint16), np.ascontiguousarray(want[region]).view(np.uint16))


def test_kernels_call_the_cpu_scalar_sources():
    # The device function is compiled from the CPU scalar's own code object.
    from fastinit._jit import _CUDA_DEVICE, cuda_device
    from fastinit.transforms import trunc2_ppf_f32
    dev = cuda_device(trunc2_ppf_f32)
    assert _CUDA_DEVICE[trunc2_ppf_f32] is dev
    code = getattr(dev, "py_func", getattr(dev, "fn", None))
    if code is not None:
        assert code.__code__ is trunc2_ppf_f32.py_func.__code__
