"""Framework fan layouts, explicit axes, Identity and Orthogonal."""
import math

import numpy as np
import pytest

import fastinit
from fastinit.fans import compute_fans


def torch_formula(shape):
    # PyTorch's documented rule: (out, in, *kernel).
    rf = math.prod(shape[2:])
    return shape[1] * rf, shape[0] * rf


def jax_formula(shape, in_axis=-2, out_axis=-1, batch_axis=()):
    # jax.nn.initializers._compute_fans, written out.
    ax = lambda a: (a,) if isinstance(a, int) else tuple(a)  # noqa: E731
    in_size = math.prod(shape[a] for a in ax(in_axis))
    out_size = math.prod(shape[a] for a in ax(out_axis))
    batch = math.prod(shape[a] for a in ax(batch_axis))
    rf = math.prod(shape) // in_size // out_size // batch
    return in_size * rf, out_size * rf


TORCH_SHAPES = [(64, 32), (16, 8, 5), (16, 8, 3, 3), (16, 8, 3, 3, 3), (8, 16, 4, 4)]


@pytest.mark.parametrize("shape", TORCH_SHAPES)
def test_torch_layout(shape):
    assert compute_fans(shape, layout="torch") == torch_formula(shape)


@pytest.mark.parametrize("shape", TORCH_SHAPES)
def test_torch_layout_against_torch_itself(shape):
    torch = pytest.importorskip("torch")
    assert compute_fans(shape, layout="torch") == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


@pytest.mark.parametrize("shape,kw", [
    ((64, 32), {}),                                       # dense
    ((5, 8, 16), {}),                                     # conv1d (HWIO-style)
    ((3, 3, 8, 16), {}),                                  # conv2d
    ((3, 3, 3, 8, 16), {}),                               # conv3d
    ((3, 3, 16, 8), dict(in_axis=-1, out_axis=-2)),       # transposed conv (HWOI)
    ((4, 64, 32), dict(batch_axis=0)),                    # batched dense
    ((4, 3, 3, 8, 16), dict(batch_axis=(0,))),            # batched conv
    ((2, 3, 4, 5), dict(in_axis=(0, 1), out_axis=3)),     # multi-axis input
])
def test_explicit_axes_match_jax_rule(shape, kw):
    assert compute_fans(shape, **kw) == jax_formula(shape, **kw)


def test_explicit_axes_override_layout_and_reach_the_std():
    shape = (4, 256, 64)
    init = fastinit.VarianceScaling(1.0, "fan_in", "untruncated_normal", seed=0, layout="torch",
                                    batch_axis=0)
    x = init(shape, np.float64)
    assert x.std() == pytest.approx(1 / math.sqrt(256), rel=0.02)
    torch_style = fastinit.he_normal(seed=0, layout="torch")((128, 64, 3, 3))
    assert torch_style.std() == pytest.approx(math.sqrt(2 / (64 * 9)), rel=0.02)


def test_layout_round_trips_through_config():
    for init in [fastinit.lecun_normal(seed=1, layout="torch"),
                 fastinit.GlorotUniform(seed=2, in_axis=[0, 1], out_axis=-1, batch_axis=2),
                 fastinit.VarianceScaling(2.0, "fan_avg", "uniform", seed=3, out_axis=0)]:
        cfg = init.get_config()
        clone = fastinit.get({"class_name": type(init).__name__, "config": cfg})
        assert clone.get_config() == cfg
        shape = (3, 4, 5, 6)
        assert np.array_equal(clone(shape), init(shape))


@pytest.mark.parametrize("kwargs,shape,exc,match", [
    (dict(layout="caffe"), None, ValueError, "layout must be one of"),
    (dict(in_axis=1.5), None, TypeError, "in_axis must be an int"),
    (dict(in_axis=5), (3, 4), ValueError, "in_axis 5 is out of range"),
    (dict(in_axis=0, out_axis=0), (3, 4), ValueError, "overlap on axis 0"),
    (dict(in_axis=(0, -2)), (3, 4), ValueError, "repeats an axis"),
    (dict(layout="torch"), (7,), ValueError, "rank >= 2"),
])
def test_bad_layouts_and_axes(kwargs, shape, exc, match):
    with pytest.raises(exc, match=match):
        init = fastinit.lecun_normal(seed=0, **kwargs)
        init(shape)


def test_identity():
    assert np.array_equal(fastinit.Identity()((3, 3)), np.eye(3, dtype=np.float32))
    assert np.array_equal(fastinit.Identity(gain=2.5)((3, 5), np.float64), 2.5 * np.eye(3, 5))
    assert np.array_equal(fastinit.identity()((5, 2)), np.eye(5, 2, dtype=np.float32))
    full = fastinit.Identity(3.0)((40, 30))
    for r in [np.s_[5:20, 3:28], np.s_[:, 7], np.s_[33:, :], np.s_[10]]:
        assert np.array_equal(fastinit.Identity(3.0)((40, 30), region=r), full[r])
    bf = fastinit.Identity(0.1)((4, 4), "bfloat16")
    assert float(bf[2, 2]) == pytest.approx(0.1, rel=1e-2) and float(bf[2, 1]) == 0.0
    assert fastinit.Identity.from_config(fastinit.Identity(2.0).get_config()).gain == 2.0


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4), ()])
def test_identity_needs_2d(shape):
    with pytest.raises(ValueError, match="Identity needs a 2-D shape"):
        fastinit.Identity()(shape)
    buf = np.full(shape, 7.0, np.float32)
    with pytest.raises(ValueError, match="2-D"):
        fastinit.Identity().fill(buf)
    assert (buf == 7.0).all()


@pytest.mark.parametrize("shape", [(64, 64), (100, 30), (30, 100), (3, 3, 16, 32), (5, 4, 2)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_orthogonal(shape, dtype):
    init = fastinit.Orthogonal(gain=1.5, seed=4)
    q = init(shape, dtype)
    assert q.shape == shape and q.dtype == dtype
    m = q.reshape(-1, shape[-1]).astype(np.float64) / 1.5
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert np.abs(gram - np.eye(gram.shape[0])).max() < tol
    assert np.array_equal(q, init(shape, dtype))  # deterministic on one machine
    assert not np.array_equal(q, fastinit.Orthogonal(gain=1.5, seed=5)(shape, dtype))


def test_orthogonal_uses_fastinit_normals_and_keras_sign_rule():
    # Q R of the documented normal draws, with Q's columns flipped so R's
    # diagonal is positive: the decomposition is then unique.
    shape = (40, 12)
    a = fastinit.RandomNormal(0.0, 1.0, seed=9)(shape, np.float64)
    q = fastinit.Orthogonal(seed=9)(shape, np.float64)
    r = q.T @ a
    assert np.allclose(np.tril(r, -1), 0, atol=1e-10)
    assert (np.diagonal(r) > 0).all()


def test_orthogonal_refuses_regions_and_streaming(tmp_path):
    init = fastinit.Orthogonal(seed=0)
    with pytest.raises(ValueError, match="not elementwise"):
        init((8, 8), region=np.s_[0:4])
    with pytest.raises(ValueError, match="not elementwise"):
        fastinit.save_npy(tmp_path / "q.npy", init, (8, 8))
    with pytest.raises(ValueError, match="rank >= 2"):
        init((8,))
    clone = fastinit.get({"class_name": "Orthogonal", "config": {"gain": 2.0, "seed": 1}})
    assert clone.get_config() == {"gain": 2.0, "seed": 1}
