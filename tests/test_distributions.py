"""Statistical exactness: KS tests against exact CDFs (math.erf), moments
within a few standard errors, supports never left."""
import math

import numpy as np
import pytest
from scipy import stats

import fastinit
from reference import trunc_normal_cdf

N = 200_000
TRUNC_VAR = 1 - 4 * math.exp(-2) / math.sqrt(2 * math.pi) / math.erf(math.sqrt(2))  # var of N(0,1) | [-2, 2]


@pytest.mark.parametrize("method", ["inverse_cdf", "rejection"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", [0, 1])
def test_truncated_normal_is_exact(method, dtype, seed):
    x = fastinit.TruncatedNormal(0.0, 1.0, seed=seed, method=method)((N,), dtype=dtype)
    assert x.dtype == dtype
    assert np.abs(x).max() <= 2.0
    assert stats.kstest(x.astype(np.float64), trunc_normal_cdf).pvalue > 1e-3
    se_mean = math.sqrt(TRUNC_VAR / N)
    assert abs(x.mean(dtype=np.float64)) < 5 * se_mean
    # var of the sample variance ~ (mu4 - var^2) / N, mu4 of the truncated normal < 3 var^2
    assert abs(x.var(dtype=np.float64) - TRUNC_VAR) < 5 * math.sqrt(2 * TRUNC_VAR**2 / N)


def test_trunc2_std_constant_matches_exact_formula():
    from fastinit.transforms import TRUNC2_STD
    assert TRUNC2_STD == pytest.approx(math.sqrt(TRUNC_VAR), rel=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_is_exact(dtype):
    x = fastinit.RandomNormal(0.0, 1.0, seed=2)((N,), dtype=dtype).astype(np.float64)
    assert stats.kstest(x, "norm").pvalue > 1e-3
    assert abs(x.mean()) < 5 / math.sqrt(N)
    assert abs(x.var() - 1) < 5 * math.sqrt(2 / N)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uniform_is_exact_and_half_open(dtype):
    x = fastinit.RandomUniform(-3.0, 5.0, seed=4)((N,), dtype=dtype)
    assert x.min() >= -3.0 and x.max() < 5.0
    assert stats.kstest(x.astype(np.float64), stats.uniform(-3, 8).cdf).pvalue > 1e-3


def test_uniform_never_rounds_up_to_maxval():
    # Width 1 at magnitude 2**24 in float32: lo + w*u rounds to maxval for the
    # largest u; the sampler must clamp below it.
    x = fastinit.RandomUniform(2.0**24, 2.0**24 + 4, seed=0)((100_000,))
    assert x.max() < np.float32(2.0**24 + 4)


@pytest.mark.parametrize("cls", [fastinit.LecunNormal, fastinit.HeNormal, fastinit.GlorotNormal])
def test_bounds_never_exceeded_on_a_large_tensor(cls):
    shape = (4000, 2500)  # 1e7 elements
    init = cls(seed=7)
    x = init(shape)
    fan_in, fan_out = shape
    scale = {"LecunNormal": 1 / fan_in, "HeNormal": 2 / fan_in,
             "GlorotNormal": 2 / (fan_in + fan_out)}[cls.__name__]
    bound = np.float32(2 * math.sqrt(scale) / 0.87962566103423978)
    assert np.abs(x).max() <= bound
    assert abs(x.std(dtype=np.float64) / math.sqrt(scale) - 1) < 2e-3
