"""Regions (shards): init(shape, region=r) == init(shape)[r], bit for bit, with
fans from the full shape; 64-bit indices across 2**32."""
import numpy as np
import pytest

import fastinit
from fastinit import cpu
from fastinit.regions import normalize_region

INITS = [fastinit.LecunNormal(seed=3), fastinit.HeUniform(seed=4),
         fastinit.GlorotNormal(seed=5, method="rejection"), fastinit.RandomNormal(seed=6),
         fastinit.Constant(0.25)]


def random_region(rng, shape):
    region = []
    for n in shape:
        kind = rng.integers(0, 4)
        if kind == 0 and n > 0:
            region.append(int(rng.integers(-n, n)))
        elif kind == 1:
            region.append(slice(None))
        else:
            a, b = sorted(rng.integers(-n - 2, n + 3, 2).tolist()) if n else (0, 0)
            region.append(slice(a, b))
    # Sometimes leave trailing dimensions implicit.
    return tuple(region[:rng.integers(0, len(shape) + 1)]) if shape else ()


@pytest.mark.parametrize("init", INITS, ids=lambda i: type(i).__name__)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_region_equals_slice_of_full(init, dtype):
    rng = np.random.default_rng(0)
    for _ in range(40):
        rank = int(rng.integers(0, 5))
        shape = tuple(int(x) for x in rng.integers(0, 9, rank) * rng.integers(1, 40, rank))
        if np.prod(shape) > 200_000:
            continue
        full = init(shape, dtype)
        region = random_region(rng, shape)
        got = init(shape, dtype, region=region)
        want = full[region]
        assert got.shape == want.shape
        assert np.array_equal(got, want), (shape, region)
        buf = np.empty(want.shape, dtype)
        init.fill(buf, shape=shape, region=region)
        assert np.array_equal(buf, want)


COLUMN_INITS = INITS[:4] + [fastinit.TruncatedNormal(0.0, 1.0, minval=-1.0, maxval=3.0, seed=7),
                            fastinit.TruncatedNormal(0.0, 1.0, minval=6.0, maxval=7.0, seed=8)]


@pytest.mark.parametrize("init", COLUMN_INITS, ids=lambda i: type(i).__name__)
@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16"])
def test_narrow_regions_equal_slices(init, dtype):
    # Columns take the element-by-element path (one Philox block per
    # element), serial when short and parallel when long; runs shorter than
    # 256 elements (8-, 16- and 64-wide column ranges, aligned to the
    # 64-element groups or not, one element per run over two outer
    # dimensions) compute their groups' words (only the Philox lanes they
    # need: an 8-wide run may need lanes 12-15 and 0-3) and transform only
    # their own elements. All must be
    # the slice of the full tensor, including the fast paths' tail elements
    # (thousands of elements per case, so that RandomNormal's 4.55 % and the
    # far tail's rejected first attempts occur).
    for shape, region in [((70001, 3), np.s_[:, 1]), ((3000, 70), np.s_[5:2999, 69]),
                          ((1, 9), np.s_[:, 4]), ((3000, 70), np.s_[:, 3:19]),
                          ((3000, 70), np.s_[:, 10:18]),
                          ((3000, 128), np.s_[:, 64:80]), ((3000, 200), np.s_[7:2990, 100:164]),
                          ((3000, 128), np.s_[:, 64:128]), ((40, 50, 30), np.s_[:, 3:48, 7])]:
        full = init(shape, dtype)
        assert np.array_equal(init(shape, dtype, region=region), full[region]), (shape, region)


def test_wanted_halves_are_the_lanes_of_a_slot():
    # Element 16 w + j of a group is word w of Philox lane j; a slot of
    # ``count`` elements from ``first`` computes the halves of the lanes (0-7,
    # 8-15) it touches and no other.
    for first in range(64):
        for count in range(1, 65 - first):
            lanes = {(first + t) % 16 for t in range(count)}
            want = (0 if min(lanes) < 8 else 1, 2 if max(lanes) >= 8 else 1)
            got = cpu._wanted_halves(np.uint64(first), np.uint64(count))
            assert tuple(got) == want, (first, count)


def test_typical_shards_and_fans_from_full_shape():
    init = fastinit.lecun_normal(seed=0)
    shape = (1024, 4096)
    full = init(shape)
    # Tensor-parallel row and column shards: same values as the slices, so the
    # std is sqrt(1 / 1024) (the full fan_in), not that of a shard's shape.
    for r in [np.s_[256:512], np.s_[:, 1024:2048], np.s_[100:900, 7:4001]]:
        shard = init(shape, region=r)
        assert np.array_equal(shard, full[r])
    col = init(shape, region=np.s_[:, 0:512])
    assert col.std() * 32 == pytest.approx(1.0, abs=0.01)
    assert init((1024, 512)).std() * 32 == pytest.approx(1.0, abs=0.01)  # same fan_in here ...
    row = init(shape, region=np.s_[0:128])
    assert row.std() * 32 == pytest.approx(1.0, abs=0.01)
    assert init((128, 4096)).std() * np.sqrt(128) == pytest.approx(1.0, abs=0.01)  # ... not here


def test_tensors_beyond_2_to_the_32_without_allocating_them():
    init = fastinit.TruncatedNormal(seed=1)
    n = 2**33
    straddle = init((n,), region=np.s_[2**32 - 100:2**32 + 100])
    below = init((n,), region=np.s_[2**32 - 100:2**32])
    above = init((n,), region=np.s_[2**32:2**32 + 100])
    assert np.array_equal(straddle, np.concatenate([below, above]))
    assert not np.array_equal(above, init((n,), region=np.s_[0:100]))  # no wrap at 2**32
    # The same flat indices reached through a 2-D shape.
    two_d = init((2**17, 2**16), region=np.s_[2**16 - 1, 2**16 - 100:])
    assert np.array_equal(two_d, below)
    two_d_next = init((2**17, 2**16), region=np.s_[2**16, :100])
    assert np.array_equal(two_d_next, above)
    tail = init((n,), region=np.s_[-5:])
    assert tail.shape == (5,)


def test_many_short_runs_use_the_same_values():
    init = fastinit.HeNormal(seed=2)
    shape = (3000, 200)
    full = init(shape)
    for r in [np.s_[:, 5], np.s_[:, 3:7], np.s_[10:2990, 60:140]]:
        assert np.array_equal(init(shape, region=r), full[r])


def test_windows_of_runs_at_any_position():
    from fastinit.regions import region_runs
    shape = (37, 45)
    starts, stops, rshape = normalize_region(np.s_[3:30, 5:40], shape)
    runs = region_runs(shape, starts, stops)
    whole = np.empty(runs.size, np.float32)
    key, kind, params = (5, 6), 0, (0.0, 1.0, 0.0)
    cpu.fill_runs(whole, runs, key, kind, params)
    for pos, count in [(0, 10), (33, 70), (runs.size - 7, 7), (100, 500)]:
        part = np.empty(count, np.float32)
        cpu.fill_runs(part, runs, key, kind, params, pos=pos)
        assert np.array_equal(part, whole[pos:pos + count])
    with pytest.raises(ValueError, match="outside"):
        cpu.fill_runs(np.empty(10, np.float32), runs, key, kind, params, pos=runs.size - 5)


@pytest.mark.parametrize("region,exc,match", [
    (np.s_[::2], ValueError, "step 1"),
    (np.s_[5], ValueError, "out of range"),
    (np.s_[1, 2, 3], ValueError, "3 entries but the shape"),
    ((1.5,), TypeError, "slice or an int"),
    ((slice(0.5, 2),), TypeError, "slice bounds must be ints"),
    ((Ellipsis,), TypeError, "slice or an int"),
])
def test_bad_regions(region, exc, match):
    with pytest.raises(exc, match=match):
        fastinit.lecun_normal(seed=0)((4, 6), region=region)


def test_fill_region_checks_shapes_before_writing():
    init = fastinit.lecun_normal(seed=0)
    buf = np.full((3, 6), 7.0, np.float32)
    with pytest.raises(ValueError, match="has shape"):
        init.fill(buf, shape=(10, 6), region=np.s_[0:4])
    with pytest.raises(ValueError, match="region needs shape="):
        init.fill(buf, region=np.s_[0:3])
    assert (buf == 7.0).all()
