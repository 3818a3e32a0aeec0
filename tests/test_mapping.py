"""The element -> (counter, word) mapping and bits -> float steps, checked
against the textbook Philox and the documented formulas."""
import numpy as np
import pytest
from scipy.special import ndtri

import fastinit
from fastinit import cpu, samplers
from reference import element_words, seed_key, signed_unit_f64_from_f32_bits, trunc2_ppf


def test_mapping_is_a_bijection_on_groups():
    i = np.arange(64 * 50, dtype=np.uint64)
    b = ((i >> np.uint64(6)) << np.uint64(4)) | (i & np.uint64(15))
    w = (i >> np.uint64(4)) & np.uint64(3)
    pairs = set(zip(b.tolist(), w.tolist()))
    assert len(pairs) == i.size
    assert set(b.tolist()) == set(range(16 * 50))


@pytest.mark.parametrize("seed", [0, 1, 12345678901234567890])
def test_uniform_exposes_the_documented_bits(seed):
    # RandomUniform(0, 1) in float32 is exactly (word >> 8) / 2**24: this pins
    # seed -> key, element -> (block, word) and the float32 uniform grid.
    n = 300
    got = fastinit.RandomUniform(0.0, 1.0, seed=seed)((n,))
    words = element_words(seed_key(seed), 0, n)
    assert np.array_equal(got.astype(np.float64) * 2**24, (words >> np.uint64(8)).astype(np.float64))


def test_float64_uniform_uses_draws_0_and_1():
    n = 200
    got = fastinit.RandomUniform(0.0, 1.0, seed=5)((n,), dtype=np.float64)
    key = seed_key(5)
    w0, w1 = element_words(key, 0, n, 0), element_words(key, 0, n, 1)
    k = (w0 << np.uint64(21)) | (w1 >> np.uint64(11))
    assert np.array_equal(got * 2.0**53, k.astype(np.float64))


def test_truncated_normal_f32_is_the_quantile_of_the_documented_uniform():
    n = 4096
    got = fastinit.TruncatedNormal(0.0, 1.0, seed=3)((n,))
    q = signed_unit_f64_from_f32_bits(element_words(seed_key(3), 0, n))
    want = trunc2_ppf(q)
    assert np.abs(got - want).max() < 1e-6


def test_normal_f32_is_the_quantile_of_the_documented_uniform():
    # Phi^-1((k + 1/2) / 2**24), k = word >> 8, where |z| < 2 (the one-pass
    # inner rational), else Phi^-1((word + 1/2) / 2**32) (the batch of
    # misses: 4.55 % beyond |z| = 2, 0.34 % beyond 2.93), with SciPy's ndtri;
    # whole groups and the scalar edges.
    n = 64 * 300 + 21
    got = fastinit.RandomNormal(0.0, 1.0, seed=5)((n,)).astype(np.float64)
    words = element_words(seed_key(5), 0, n)
    z24 = ndtri(((words >> np.uint64(8)).astype(np.float64) + 0.5) / 2**24)
    z32 = ndtri((words.astype(np.float64) + 0.5) / 2**32)
    assert (np.abs(z32) > 2.93).sum() > 30

    def near(want):
        return np.abs(got - want) <= np.maximum(2.5 * np.spacing(np.abs(want).astype(np.float32)),
                                                2e-7)
    # Cells within 2e-4 of the cut may take either piece (the inner
    # rational answers up to |z| = 2.00015).
    cut = np.abs(z24) < 2.0002
    assert np.all(np.where(np.abs(z24) < 2.0, near(z24), near(z32) | (cut & near(z24))))


def test_truncated_normal_f64_is_the_quantile_of_the_documented_uniform():
    n = 2048
    got = fastinit.TruncatedNormal(0.0, 1.0, seed=3)((n,), dtype=np.float64)
    key = seed_key(3)
    w0, w1 = element_words(key, 0, n, 0), element_words(key, 0, n, 1)
    k = ((w0 << np.uint64(21)) | (w1 >> np.uint64(11))).astype(np.float64)
    q = (k - (2.0**52 - 0.5)) / 2.0**52
    assert np.abs(got - trunc2_ppf(q)).max() < 1e-14


KINDS = sorted(samplers.SAMPLE_FUNCTIONS)


@pytest.mark.parametrize("kind", KINDS)
def test_any_split_of_a_run_gives_the_same_values(kind):
    # Vector path (full 64-element groups), scalar edge path and chunking must
    # agree bit for bit, whatever the offsets.
    dtype = samplers.KIND_DTYPE[kind]
    params = (0.25, 1.5, 1.75) if kind not in (samplers.UNIFORM_F32, samplers.UNIFORM_F64) \
        else (-1.0, 2.0, float(np.nextafter(dtype.type(1.0), dtype.type(0))), 1.0, -1.0)
    key = (123, 456)
    n = 64 * 40 + 17
    whole = np.empty(n, dtype)
    cpu.fill_run(whole, 0, key, kind, params)
    for first, count, chunk in [(0, n, 1), (1, n - 1, 3), (63, 200, 2), (64, 1000, 1),
                                (5, 40, 4), (100, 3, 1), (n - 70, 70, 7)]:
        part = np.empty(count, dtype)
        cpu.fill_run(part, first, key, kind, params, chunk_groups=chunk)
        assert np.array_equal(part, whole[first:first + count]), (first, count, chunk)


def test_indices_beyond_2_to_the_32():
    # 64-bit indices end to end: a run straddling 2**32 equals its two halves,
    # and element 2**32 + i differs from element i.
    key, kind, params = (9, 9), samplers.UNIFORM_F32, (0.0, 1.0, 0.99999994, 1.0, 0.0)
    first = 2**32 - 100
    a = np.empty(300, np.float32)
    cpu.fill_run(a, first, key, kind, params)
    b = np.empty(100, np.float32)
    c = np.empty(200, np.float32)
    cpu.fill_run(b, first, key, kind, params)
    cpu.fill_run(c, 2**32, key, kind, params)
    assert np.array_equal(a, np.concatenate([b, c]))
    low = np.empty(200, np.float32)
    cpu.fill_run(low, 0, key, kind, params)
    assert not np.array_equal(low, c)
    words = element_words(key, 2**32, 200)
    assert np.array_equal(c.astype(np.float64) * 2**24, (words >> np.uint64(8)).astype(np.float64))
