"""float16 / bfloat16: computed in float32, rounded once, never outside the
bounds, and distributed as the rounded exact distribution."""
import math

import numpy as np
import pytest

import fastinit

ml_dtypes = pytest.importorskip("ml_dtypes")
BF16 = np.dtype(ml_dtypes.bfloat16)
N = 400_000


def grid_cdf_distance(x, dt, cdf, a, b):
    """KS distance between the sample's ECDF and the exact CDF of the rounded
    distribution, on the grid of representable values in [a, b]."""
    bits = np.arange(0, 0x10000, dtype=np.uint32).astype(np.uint16)
    with np.errstate(invalid="ignore"):
        vals = bits.view(dt).astype(np.float64)
    vals = np.unique(vals[np.isfinite(vals) & (vals >= a) & (vals <= b)])
    edges = np.concatenate([[a], (vals[1:] + vals[:-1]) / 2, [b]])
    exact = np.array([cdf(e) for e in edges[1:]])  # P(rounded <= v)
    ecdf = np.searchsorted(np.sort(x.astype(np.float64)), vals, side="right") / x.size
    return np.abs(ecdf - exact).max()


def trunc_cdf(mean, sd):
    phi = lambda t: 0.5 * (1 + math.erf(t / math.sqrt(2)))  # noqa: E731
    lo, hi = phi(-2), phi(2)
    return lambda v: (phi(min(max((v - mean) / sd, -2), 2)) - lo) / (hi - lo)


@pytest.mark.parametrize("dtype", [np.dtype(np.float16), BF16], ids=["float16", "bfloat16"])
@pytest.mark.parametrize("mean,sd", [(0.0, 1.0), (0.3, 0.02), (0.0, 3e-3)])
def test_truncated_normal_rounded_once_and_inside_bounds(dtype, mean, sd):
    init = fastinit.TruncatedNormal(mean, sd, seed=1)
    x = init((N,), dtype)
    assert x.dtype == dtype
    ref32 = init((N,), np.float32)
    # Rounded once from the float32 samples, except where that would leave the bounds.
    direct = ref32.astype(dtype)
    lo, hi = mean - 2 * sd, mean + 2 * sd
    inside = (direct.astype(np.float64) >= lo) & (direct.astype(np.float64) <= hi)
    assert np.array_equal(x[inside].view(np.uint16), direct[inside].view(np.uint16))
    xf = x.astype(np.float64)
    assert xf.min() >= lo and xf.max() <= hi
    d = grid_cdf_distance(xf, dtype, trunc_cdf(mean, sd), lo, hi)
    assert d < 1.63 / math.sqrt(N)
    assert abs(xf.mean() - mean) < 5 * 0.88 * sd / math.sqrt(N) + np.spacing(dtype.type(mean + sd))


@pytest.mark.parametrize("dtype", [np.dtype(np.float16), BF16], ids=["float16", "bfloat16"])
def test_uniform_stays_below_maxval(dtype):
    x = fastinit.RandomUniform(-1.0, 1.0, seed=2)((N,), dtype).astype(np.float64)
    assert x.min() >= -1.0 and x.max() < 1.0
    d = grid_cdf_distance(x, dtype, lambda v: min(max((v + 1) / 2, 0), 1), -1.0, 1.0)
    assert d < 1.63 / math.sqrt(N)


def test_bounds_not_representable_are_pulled_inside():
    # 2 * 0.3 = 0.6 is not a bfloat16: values that round above it go to the
    # largest bfloat16 below it, never above.
    init = fastinit.TruncatedNormal(0.0, 0.3, seed=3)
    naive = init((N,), np.float32).astype(BF16).astype(np.float64)
    assert naive.max() > 0.6  # plain rounding would leave the support
    x = init((N,), "bfloat16").astype(np.float64)
    assert x.max() <= 0.6 and x.min() >= -0.6


def test_lecun_normal_low_precision_statistics():
    x = fastinit.lecun_normal(seed=0)((1024, 512), "bfloat16").astype(np.float64)
    assert x.std() * 32 == pytest.approx(1.0, abs=0.01)
    h = fastinit.lecun_normal(seed=0)((1024, 512), np.float16).astype(np.float64)
    assert h.std() * 32 == pytest.approx(1.0, abs=0.01)


def test_low_precision_regions_and_constants():
    init = fastinit.HeNormal(seed=0)
    full = init((300, 500), "bfloat16")
    part = init((300, 500), "bfloat16", region=np.s_[10:200, 33:77])
    assert np.array_equal(part.view(np.uint16), full[10:200, 33:77].view(np.uint16))
    c = fastinit.Constant(0.1)((5,), np.float16)
    assert (c == np.float16(0.1)).all()


def test_dtype_spellings():
    init = fastinit.lecun_normal(seed=0)
    a = init((8, 8), "bfloat16")
    b = init((8, 8), ml_dtypes.bfloat16)
    assert a.dtype == BF16 and np.array_equal(a.view(np.uint16), b.view(np.uint16))
    assert init((8, 8), "float16").dtype == np.float16
