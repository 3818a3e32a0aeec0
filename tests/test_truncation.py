"""Arbitrary truncation bounds, exact in the tails: KS and moments against the
exact truncated normal (CDF from math.erfc, moments from mpmath)."""
import math

import mpmath
import numpy as np
import pytest
from scipy import stats

import fastinit

N = 100_000
REGIMES = [(5, math.inf), (8, 9), (-30, -29), (-math.inf, -3), (0.5, 0.6), (-1, math.inf),
           (-math.inf, math.inf), (2, 2.0001), (-2, 2.5), (35, 36), (-0.1, 7)]


def exact_cdf(a, b):
    # Stable on the side where the bounds are: survival functions for a >= 0.
    if a >= 0:
        q = lambda x: 0.5 * math.erfc(x / math.sqrt(2))  # noqa: E731
        qa, qb = q(a), q(b)
        return lambda xs: np.array([(qa - q(min(max(x, a), b))) / (qa - qb) for x in xs])
    p = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))  # noqa: E731
    pa, pb = p(a), p(b)
    return lambda xs: np.array([(p(min(max(x, a), b)) - pa) / (pb - pa) for x in xs])


def exact_moments(a, b):
    # Closed forms (Johnson, Kotz & Balakrishnan), evaluated with 60 digits.
    mpmath.mp.dps = 60
    a, b = mpmath.mpf(a), mpmath.mpf(b)
    z = mpmath.ncdf(b) - mpmath.ncdf(a) if a < 0 else mpmath.ncdf(-a) - mpmath.ncdf(-b)
    pa, pb = mpmath.npdf(a), mpmath.npdf(b)
    apa = a * pa if mpmath.isfinite(a) else 0
    bpb = b * pb if mpmath.isfinite(b) else 0
    mean = (pa - pb) / z
    var = 1 + (apa - bpb) / z - mean ** 2
    return float(mean), float(var)


@pytest.mark.parametrize("a,b", REGIMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exact_in_every_regime(a, b, dtype):
    init = fastinit.TruncatedNormal(0.0, 1.0, minval=a, maxval=b, seed=11)
    x = init((N,), dtype)
    assert np.all((x >= a) & (x <= b))
    xf = x.astype(np.float64)
    assert stats.kstest(xf, exact_cdf(a, b)).pvalue > 1e-3
    mean, var = exact_moments(a, b)
    assert abs(xf.mean() - mean) < 5 * math.sqrt(var / N) + 1e-6 * abs(mean)
    assert abs(xf.var() - var) < 6 * var * math.sqrt(2 / N) + 1e-6 * abs(mean)


def test_scaled_bounds_and_non_representable_bounds():
    # Absolute bounds with mean and stddev; 0.1 is not a float32, so values are
    # kept at or below the largest float32 <= 0.1.
    init = fastinit.TruncatedNormal(mean=0.05, stddev=0.02, minval=-0.0, maxval=0.1, seed=1)
    x = init((N,))
    assert x.min() >= 0.0 and float(x.max()) <= 0.1
    y = fastinit.truncated_normal(mean=1.0, stddev=2.0, minval=11.0, maxval=math.inf,
                                  seed=2)((N,), np.float64)
    assert y.min() >= 11.0
    assert stats.kstest((y - 1.0) / 2.0, exact_cdf(5.0, math.inf)).pvalue > 1e-3


def test_default_bounds_keep_keras_behaviour():
    a = fastinit.TruncatedNormal(0.0, 0.05, seed=3)((1000,))
    b = fastinit.TruncatedNormal(0.0, 0.05, seed=3, minval=None, maxval=None)((1000,))
    assert np.array_equal(a, b)
    assert np.abs(a).max() <= 0.1
    cfg = fastinit.TruncatedNormal(0.0, 0.05, seed=3, minval=-1.0).get_config()
    assert cfg["minval"] == -1.0 and "maxval" not in cfg  # defaults are left out (Keras reads it)
    assert fastinit.TruncatedNormal.from_config(cfg).get_config() == cfg


def test_one_sided_defaults_fill_in_the_other_side():
    x = fastinit.TruncatedNormal(0.0, 1.0, minval=1.0, seed=0)((N,), np.float64)
    assert x.min() >= 1.0 and x.max() <= 2.0  # maxval defaults to mean + 2 stddev


def test_float64_sampler_reaches_the_ends_of_the_probability_range():
    # The all-ones words give u = 1.0 ((2**53 - 1/2) / 2**53 rounds to 1), so p
    # = A + u (B - A) is B; with B at 0 or 1 the value is the support's end,
    # whichever of the fast, outer and complete functions answers (the
    # cascade of the CPU and GPU kernels): the fast one may leave the ends
    # to the others (NaN), never answer them otherwise.
    from fastinit import samplers
    kind = samplers.TRUNC_CDF_F64
    fast, outer = samplers.SAMPLE_FUNCTIONS[kind], samplers.OUTER_FUNCTIONS[kind]
    complete = samplers.COMPLETE_FUNCTIONS[kind]
    ones, zero = np.uint64(0xFFFFFFFF), np.uint64(0)
    for a, b, end in [(0.0, 1.0, 3.0), (0.5, 0.0, -3.0)]:
        prm = np.array([0.0, 1.0, a, b, -3.0, 3.0, -3.0, 3.0])
        args = (zero, zero, zero, zero, ones, ones, prm)
        v = fast(*args)
        assert v == end or np.isnan(v)
        if np.isnan(v):
            v = outer(*args)
        if np.isnan(v):
            v = complete(*args)
        assert v == end and complete(*args) == end


def test_regions_and_low_precision_with_general_bounds():
    init = fastinit.TruncatedNormal(0.0, 1.0, minval=8.0, maxval=9.0, seed=5)
    full = init((300, 40))
    assert np.array_equal(init((300, 40), region=np.s_[7:99, 3:30]), full[7:99, 3:30])
    h = init((N,), np.float16).astype(np.float64)
    assert h.min() >= 8.0 and h.max() <= 9.0


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(minval=1.0, maxval=1.0), ValueError, "minval must be < maxval"),
    (dict(minval=2.0, maxval=-1.0), ValueError, "minval must be < maxval"),
    (dict(minval=float("nan")), ValueError, "minval must not be NaN"),
    (dict(maxval="1"), TypeError, "maxval must be a real number"),
    (dict(minval=1e7, maxval=math.inf), ValueError, "more than 1e6 stddev"),
    (dict(stddev=-1.0), ValueError, "stddev must be > 0"),
    (dict(stddev=0.0), ValueError, "stddev must be > 0"),
    (dict(mean=float("inf")), ValueError, "mean must be finite"),
    (dict(minval=0.2), ValueError, "minval must be < maxval"),  # default maxval is 0.1
])
def test_bad_bounds(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fastinit.TruncatedNormal(**kwargs)
