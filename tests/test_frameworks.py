"""Keras 3, PyTorch and JAX semantics (issue 15): differential tests against the
peers' own functions (fan rules, configs, gains, Dirac, statistics), the
Keras and JAX adapters. Each peer is skipped only where it is not installed."""
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import fastinit
from fastinit.fans import compute_fans

SHAPES = [(), (7,), (5, 3), (3, 3, 64, 128), (4, 5, 6), (2, 3, 4, 5, 6), (128, 64, 3, 3),
          (8, 1, 5)]


# fans ---------------------------------------------------------------------------

JAX_AXES = [  # (shape, in_axis, out_axis, batch_axis)
    ((2, 3, 4), [0], [], ()), ((1024, 1024), [0], [], ()), ((2, 3, 4), [], [], ()),
    ((5,), [], [], ()), ((), [], [], ()), ((5,), [0], [], ()), ((3, 3, 64, 128), -2, -1, ()),
    ((8, 3, 3, 64, 128), -2, -1, 0), ((4, 6, 8), [0, 1], 2, ()), ((4, 6, 8), 1, [0, 2], ()),
    ((2, 4, 6, 8), 2, 3, [0, 1]), ((5, 7), 1, 0, ()),
]


@pytest.mark.parametrize("shape,in_axis,out_axis,batch_axis", JAX_AXES)
def test_jax_fans_match_jax(shape, in_axis, out_axis, batch_axis):
    pytest.importorskip("jax")
    from jax._src.nn.initializers import _compute_fans
    want = _compute_fans(shape, in_axis, out_axis, batch_axis)
    got = compute_fans(shape, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis)
    assert got == pytest.approx(want)


def test_jax_empty_axis_lists_give_jax_std():
    jax = pytest.importorskip("jax")
    init = fastinit.variance_scaling(1, "fan_in", "untruncated_normal", in_axis=[0],
                                     out_axis=[], seed=0)
    ours = init((1024, 1024)).std()
    theirs = jax.nn.initializers.variance_scaling(1, "fan_in", "normal", in_axis=[0],
                                                  out_axis=[])(jax.random.key(0), (1024, 1024))
    assert ours == pytest.approx(0.000977, rel=0.01) and ours == pytest.approx(
        float(theirs.std()), rel=0.01)


@pytest.mark.parametrize("shape", SHAPES)
def test_keras_default_fans_match_keras(shape):
    pytest.importorskip("keras")
    from keras.src.initializers.random_initializers import compute_fans as keras_fans
    assert compute_fans(shape) == keras_fans(shape)


@pytest.mark.parametrize("shape,inp,out", [
    ((3, 3, 64, 128), [2], [3]), ((8, 4, 16), [0], [1, 2]), ((4, 6, 8, 10), [0, 1], [3]),
    ((5, 7), [1], [0]), ((3, 3, 64, 128), [2], None), ((6, 6), [0], [0])])
def test_keras_explicit_axes_match_keras(shape, inp, out):
    pytest.importorskip("keras")
    from keras.src.initializers.random_initializers import compute_fans as keras_fans
    assert compute_fans(shape, input_axes=inp, output_axes=out) == keras_fans(shape, inp, out)
    init = fastinit.GlorotUniform(seed=0, input_axes=inp, output_axes=out)
    assert init.get_config()["input_axes"] == inp and init.fans(shape) == keras_fans(shape, inp,
                                                                                     out)


@pytest.mark.parametrize("shape", [s for s in SHAPES if len(s) >= 2])
def test_torch_fans_match_torch(shape):
    torch = pytest.importorskip("torch")
    want = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert compute_fans(shape, layout="torch") == want


def test_keras_and_jax_axes_are_not_mixed():
    with pytest.raises(ValueError, match="not both"):
        fastinit.VarianceScaling(input_axes=[0], output_axes=[1], in_axis=0)


# configs ------------------------------------------------------------------------

KERAS_CASES = [
    ("VarianceScaling", dict(scale=2.0, mode="fan_out", distribution="uniform", seed=3)),
    ("VarianceScaling", dict(scale=0.5, distribution="untruncated_normal", seed=1,
                             input_axes=[0], output_axes=[1])),
    ("LecunNormal", dict(seed=1)), ("LecunUniform", dict(seed=2)),
    ("GlorotNormal", dict(seed=3)), ("GlorotUniform", dict(seed=None)),
    ("HeNormal", dict(seed=5)), ("HeUniform", dict(seed=6, input_axes=[0], output_axes=[1])),
    ("TruncatedNormal", dict(mean=0.5, stddev=0.2, seed=7)),
    ("RandomNormal", dict(mean=-1.0, stddev=3.0, seed=8)),
    ("RandomUniform", dict(minval=-2.0, maxval=5.0, seed=9)),
    ("Zeros", {}), ("Ones", {}), ("Constant", dict(value=2.5)), ("Identity", dict(gain=3.0)),
    ("Orthogonal", dict(gain=2.0, seed=4)),
    ("STFT", dict(side="imag", window="hamming", scaling="spectrum", periodic=True)),
]


@pytest.mark.parametrize("name,kwargs", KERAS_CASES, ids=lambda c: str(c)[:40])
def test_keras_serialized_configs_are_read(name, kwargs):
    keras = pytest.importorskip("keras")
    k = getattr(keras.initializers, name)(**kwargs)
    serialized = keras.initializers.serialize(k)
    assert "module" in serialized and "registered_name" in serialized
    for form in (serialized, {"class_name": name, "config": k.get_config()}):
        ours = fastinit.get(form)
        assert type(ours).__name__ == name
        config = ours.get_config()
        for key, value in k.get_config().items():
            assert config[key] == value, (key, config[key], value)


def test_keras_seed_generators_and_numpy_values_are_read():
    keras = pytest.importorskip("keras")
    k = keras.initializers.GlorotUniform(seed=keras.random.SeedGenerator(42))
    assert fastinit.get(keras.initializers.serialize(k)).seed == 42
    c = keras.initializers.Constant(np.array([[1.0, 2.0]], np.float32))
    ours = fastinit.get(keras.initializers.serialize(c))
    assert np.array_equal(ours((3, 2)), np.asarray(c((3, 2))))


@pytest.mark.parametrize("cls", [c for c in (
    fastinit.VarianceScaling, fastinit.LecunNormal, fastinit.LecunUniform, fastinit.GlorotNormal,
    fastinit.GlorotUniform, fastinit.HeNormal, fastinit.HeUniform, fastinit.TruncatedNormal,
    fastinit.RandomNormal, fastinit.RandomUniform, fastinit.Zeros, fastinit.Ones,
    fastinit.Constant, fastinit.Identity, fastinit.Orthogonal, fastinit.STFT)],
    ids=lambda c: c.__name__)
def test_fastinit_configs_are_read_by_keras(cls):
    keras = pytest.importorskip("keras")
    ours = cls(seed=3) if "seed" in cls().get_config() else cls()
    theirs = keras.initializers.deserialize({"class_name": cls.__name__,
                                            "config": ours.get_config()})
    assert type(theirs).__name__ == cls.__name__
    # Keras' attributes (its Identity.get_config() omits gain; seeds live in _init_seed).
    for key, value in ours.get_config().items():
        assert getattr(theirs, "_init_seed" if key == "seed" else key) == value, key


def test_fastinit_only_options_appear_only_when_used():
    assert "method" not in fastinit.lecun_normal(seed=0).get_config()
    assert "layout" not in fastinit.lecun_normal(seed=0).get_config()
    assert fastinit.lecun_normal(seed=0, layout="torch").get_config()["layout"] == "torch"
    assert "minval" not in fastinit.TruncatedNormal().get_config()
    assert fastinit.TruncatedNormal(minval=0.0, maxval=1.0).get_config()["maxval"] == 1.0
    for init in (fastinit.lecun_normal(seed=1, method="rejection", in_axis=0),
                 fastinit.Orthogonal(seed=1, column_axis=0), fastinit.Orthogonal(layout="torch")):
        again = fastinit.get({"class_name": type(init).__name__, "config": init.get_config()})
        assert again.get_config() == init.get_config()


@pytest.mark.parametrize("kwargs", [
    {}, dict(side="imag"), dict(window="hamming", scaling="spectrum", periodic=True),
    dict(window=None, scaling=None), dict(window=list(np.linspace(0.5, 1.0, 16)))])
def test_stft_matches_keras(kwargs):
    keras = pytest.importorskip("keras")
    shape = (16, 1, 9)
    want = np.asarray(keras.initializers.STFT(**kwargs)(shape), np.float64)
    got = fastinit.STFT(**kwargs)(shape, np.float64)
    # Keras evaluates the angle (up to 2 pi 15 ~ 94) in float32: |arg| 2**-24 ~ 6e-6 of error.
    assert np.allclose(got, want, rtol=1e-5, atol=1e-5)
    wide = fastinit.STFT(**kwargs)((16, 3, 9))  # every channel the same
    assert np.array_equal(wide[:, 2], wide[:, 0])
    assert np.array_equal(fastinit.STFT(**kwargs)((16, 3, 9), region=np.s_[4:9, 1:]), wide[4:9, 1:])


def test_keras_compatibility_names_resolve():
    assert isinstance(fastinit.get("OrthogonalInitializer"), fastinit.Orthogonal)
    assert isinstance(fastinit.get("IdentityInitializer"), fastinit.Identity)
    assert isinstance(fastinit.get("STFTInitializer"), fastinit.STFT)
    assert isinstance(fastinit.get({"class_name": "OrthogonalInitializer",
                                    "config": {"gain": 2.0}}), fastinit.Orthogonal)


# 0-d arrays -------------------------------------------------------------------------

def test_zero_dimensional_arrays_are_numbers():
    jnp = pytest.importorskip("jax.numpy")
    for value in (np.float32(1), np.array(1.0), np.array(1, np.int64), jnp.array(1.0),
                  jnp.float32(1.0)):
        assert fastinit.RandomUniform(0.0, value).maxval == 1.0
        assert fastinit.TruncatedNormal(stddev=value, maxval=value).stddev == 1.0
        assert fastinit.VarianceScaling(scale=value).scale == 1.0
    for bad in (np.array([1.0]), np.array(True), jnp.array([1.0, 2.0]), "1"):
        with pytest.raises(TypeError, match="must be a real number"):
            fastinit.RandomUniform(0.0, bad)


# Orthogonal -------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(20, 2, 3, 4), (3, 40), (40, 3), (5, 5), (4, 3, 2)])
def test_orthogonal_torch_layout_passes_torchs_test(shape):
    # PyTorch's test_orthogonal: the (rows, numel / rows) view is semi-orthogonal
    # with the gain squared on the diagonal.
    gain = 3.0
    t = fastinit.Orthogonal(gain, seed=0, layout="torch")(shape, np.float64)
    rows = shape[0]
    flat = t.reshape(rows, -1)
    g = flat.T @ flat if rows > flat.shape[1] else flat @ flat.T
    assert np.allclose(g, np.eye(g.shape[0]) * gain ** 2)


@pytest.mark.parametrize("shape,axis", [((3, 4, 5), 0), ((3, 4, 5), 1), ((6, 4), -1),
                                        ((2, 10, 3), 1)])
def test_orthogonal_column_axis_as_jax(shape, axis):
    jax = pytest.importorskip("jax")
    t = fastinit.Orthogonal(seed=0, column_axis=axis)(shape, np.float64)
    j = np.asarray(jax.nn.initializers.orthogonal(column_axis=axis)(jax.random.key(0), shape,
                                                                   np.float32))
    for x in (t, j):  # the same structure: columns along `axis` orthonormal
        m = np.moveaxis(x, axis, -1).reshape(-1, shape[axis])
        g = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
        assert np.allclose(g, np.eye(g.shape[0]), atol=1e-5)


def test_orthogonal_default_is_the_keras_view():
    assert np.array_equal(fastinit.Orthogonal(seed=2)((6, 4)),
                          fastinit.Orthogonal(seed=2, column_axis=-1)((6, 4)))
    with pytest.raises(ValueError, match="not both"):
        fastinit.Orthogonal(layout="torch", column_axis=0)


# new members ------------------------------------------------------------------------

@pytest.mark.parametrize("nonlinearity,param", [
    ("linear", None), ("conv1d", None), ("conv_transpose3d", None), ("sigmoid", None),
    ("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2),
    ("leaky_relu", 1), ("selu", None)])
def test_calculate_gain_matches_torch(nonlinearity, param):
    torch = pytest.importorskip("torch")
    assert fastinit.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(
        nonlinearity, param)


def test_calculate_gain_errors_as_torch():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        fastinit.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        fastinit.calculate_gain("leaky_relu", True)


def test_fan_geo_avg_std_matches_jax():
    jax = pytest.importorskip("jax")
    shape = (256, 1024)
    ours = fastinit.variance_scaling(2.0, "fan_geo_avg", "untruncated_normal", seed=0)(shape)
    theirs = jax.nn.initializers.variance_scaling(2.0, "fan_geo_avg", "normal")(
        jax.random.key(0), shape)
    assert ours.std() == pytest.approx(math.sqrt(2.0 / math.sqrt(256 * 1024)), rel=0.01)
    assert ours.std() == pytest.approx(float(theirs.std()), rel=0.01)


@pytest.mark.parametrize("shape,groups", [((8, 4, 3), 1), ((8, 4, 3, 3), 2), ((6, 6, 3, 3, 3), 3),
                                          ((4, 8, 5, 5), 1), ((9, 2, 4), 3)])
def test_dirac_equals_torch_and_regions_are_slices(shape, groups):
    torch = pytest.importorskip("torch")
    want = torch.empty(shape)
    torch.nn.init.dirac_(want, groups)
    got = fastinit.Dirac(groups)(shape)
    assert np.array_equal(got, want.numpy())
    region = np.s_[1:, :, 1:]
    assert np.array_equal(fastinit.Dirac(groups)(shape, region=region), got[region])
    with pytest.raises(ValueError, match="rank 3, 4 or 5"):
        fastinit.Dirac()((4, 4))


def test_sparse_as_torch():
    torch = pytest.importorskip("torch")
    rows, cols, sparsity, std = 200, 300, 0.3, 0.5
    ours = fastinit.Sparse(sparsity, std, seed=0)((rows, cols))
    theirs = torch.empty(rows, cols)
    torch.nn.init.sparse_(theirs, sparsity, std)
    zeros = math.ceil(sparsity * rows)
    assert ((ours == 0).sum(axis=0) == zeros).all()
    assert ((theirs.numpy() == 0).sum(axis=0) == zeros).all()
    assert ours[ours != 0].std() == pytest.approx(std, rel=0.02)
    assert np.array_equal(ours, fastinit.Sparse(sparsity, std, seed=0)((rows, cols)))
    with pytest.raises(ValueError, match="not elementwise"):
        fastinit.Sparse(0.1, seed=0)((4, 4), region=np.s_[:2])


def test_constant_array_broadcasts_as_keras():
    keras = pytest.importorskip("keras")
    value = np.arange(4.0).reshape(1, 4)
    want = np.asarray(keras.initializers.Constant(value)((3, 4)))
    got = fastinit.Constant(value)((3, 4))
    assert np.array_equal(got, want)
    assert np.array_equal(fastinit.Constant(value)((3, 4), region=np.s_[1:, 1:3]), want[1:, 1:3])
    with pytest.raises(ValueError, match="does not broadcast"):
        fastinit.Constant(np.ones(3))((4, 4))


def test_constant_array_streams(tmp_path):
    value = np.arange(6.0).reshape(2, 3, 1)
    fastinit.save_npy(tmp_path / "c.npy", fastinit.Constant(value), (2, 3, 50), chunk_bytes=64)
    assert np.array_equal(np.load(tmp_path / "c.npy"), np.broadcast_to(value, (2, 3, 50)))


# Keras adapter ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def test_keras_adapter_builds_layers_with_fastinit_values(keras):
    import fastinit.keras as fk
    layer = keras.layers.Dense(64, kernel_initializer=fk.LecunNormal(seed=0),
                               bias_initializer=fk.Constant(0.5))
    layer.build((None, 32))
    assert np.array_equal(np.asarray(layer.kernel), fastinit.lecun_normal(seed=0)((32, 64)))
    assert (np.asarray(layer.bias) == 0.5).all()
    assert isinstance(fk.LecunNormal(seed=0), keras.initializers.VarianceScaling)
    assert isinstance(fk.TruncatedNormal(seed=0), keras.initializers.TruncatedNormal)
    bf = fk.GlorotUniform(seed=1)((8, 8), dtype="bfloat16")
    assert keras.backend.standardize_dtype(bf.dtype) == "bfloat16"
    assert np.array_equal(np.asarray(bf).view(np.uint16),
                          fastinit.glorot_uniform(seed=1)((8, 8), "bfloat16").view(np.uint16))


def test_keras_adapter_fans_in_einsum_and_attention(keras):
    import fastinit.keras as fk
    e = keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 4, 16),
                                 kernel_initializer=fk.GlorotUniform(seed=1))
    e.build((2, 3, 8))
    want = fastinit.GlorotUniform(seed=1, input_axes=[0], output_axes=[1, 2])((8, 4, 16))
    assert np.array_equal(np.asarray(e.kernel), want)
    mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=32,
                                          kernel_initializer=fk.GlorotUniform(seed=0))
    mha.build((1, 5, 64), (1, 5, 64))
    kernel = np.asarray(mha._query_dense.kernel)  # (64, 2, 32): fans 64 and 2 * 32
    assert kernel.shape == (64, 2, 32)
    limit = math.sqrt(6.0 / (64 + 64))  # Keras' default rule would give sqrt(6 / (2048+1024))
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit


def test_keras_adapter_models_save_and_load(keras, tmp_path):
    import fastinit.keras as fk
    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(
        16, kernel_initializer=fk.HeUniform(seed=3), bias_initializer=fk.TruncatedNormal(
            stddev=0.1, seed=4, minval=0.0, maxval=1.0))])
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    dense = loaded.layers[0]
    assert type(dense.kernel_initializer) is fk.HeUniform
    assert dense.bias_initializer.get_config()["minval"] == 0.0
    assert np.array_equal(np.asarray(dense.kernel), np.asarray(model.layers[0].kernel))
    serialized = keras.initializers.serialize(fk.LecunNormal(seed=0))
    assert serialized["registered_name"] == "fastinit>LecunNormal"
    assert isinstance(fastinit.get(serialized), fastinit.LecunNormal)


# JAX adapter ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def jax():
    return pytest.importorskip("jax")


def test_jax_adapter_keys(jax):
    import fastinit.jax as fj
    init = fj.lecun_normal()
    key = jax.random.key(0)
    a = init(key, (64, 32))
    assert a.dtype == np.float32 and np.array_equal(a, init(key, (64, 32)))
    assert np.array_equal(a, init(jax.random.PRNGKey(0), (64, 32)))  # raw keys too
    b = init(jax.random.split(key)[1], (64, 32))
    assert not np.array_equal(a, b) and abs(np.corrcoef(np.ravel(a), np.ravel(b))[0, 1]) < 0.1
    jitted = jax.jit(lambda k: init(k, (64, 32)))(key)
    assert np.array_equal(jitted, a)


@pytest.mark.parametrize("name,args", [
    ("lecun_normal", ()), ("lecun_uniform", ()), ("glorot_normal", ()), ("glorot_uniform", ()),
    ("he_normal", ()), ("he_uniform", ()), ("normal", (0.3,)), ("truncated_normal", (0.3,)),
    ("uniform", (0.3,)), ("orthogonal", (2.0,))])
def test_jax_adapter_statistics_match_jax(jax, name, args):
    import fastinit.jax as fj
    shape = (512, 256)
    ours = np.asarray(getattr(fj, name)(*args)(jax.random.key(0), shape), np.float64)
    theirs = np.asarray(getattr(jax.nn.initializers, name)(*args)(jax.random.key(0), shape),
                        np.float64)
    assert ours.mean() == pytest.approx(theirs.mean(), abs=0.01 * theirs.std() + 1e-3)
    assert ours.std() == pytest.approx(theirs.std(), rel=0.02)
    if name not in ("normal", "orthogonal"):  # bounded distributions: the same support
        slack = 0.02 * theirs.std()
        assert theirs.min() - slack <= ours.min() and ours.max() <= theirs.max() + slack


def test_jax_adapter_semantics(jax):
    import jax.numpy as jnp

    import fastinit.jax as fj
    key = jax.random.key(0)
    u = np.asarray(fj.uniform(0.5)(key, (10000,)))
    assert u.min() >= 0 and u.max() < 0.5  # U[0, scale), as JAX
    n = np.asarray(fj.variance_scaling(1.0, "fan_in", "normal")(key, (1000, 1000)))
    assert np.abs(n).max() > 3 * n.std()  # "normal" is untruncated in JAX
    assert np.array_equal(fj.zeros(key, (3,), jnp.float32), np.zeros(3))
    assert fj.normal(dtype=jnp.bfloat16)(key, (4,)).dtype == jnp.bfloat16
    t = np.asarray(fj.truncated_normal(1.0, lower=0.0, upper=1.0)(key, (1000,)))
    assert t.min() >= 0 and t.max() <= 1


def test_jax_adapter_shards_equal_the_whole():
    pytest.importorskip("jax")
    code = """
import os
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
import jax, numpy as np, fastinit.jax as fj
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
mesh = Mesh(np.array(jax.devices()).reshape(2, 2), ("x", "y"))
init = fj.he_uniform()
key = jax.random.key(7)
arr = init(key, (128, 96), out_sharding=NamedSharding(mesh, P("x", "y")))
assert len(arr.addressable_shards) == 4
assert np.array_equal(np.asarray(arr), np.asarray(init(key, (128, 96))))
print("ok")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={k: v for k, v in os.environ.items() if k != "XLA_FLAGS"})
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]


def test_flax_dense_uses_fastinit(jax):
    nn = pytest.importorskip("flax.linen")
    import jax.numpy as jnp

    import fastinit.jax as fj
    model = nn.Dense(16, kernel_init=fj.lecun_normal())
    params = model.init(jax.random.key(3), jnp.ones((1, 64)))["params"]
    kernel = np.asarray(params["kernel"])
    assert kernel.shape == (64, 16) and kernel.std() * 8 == pytest.approx(1.0, rel=0.1)
    again = jax.jit(model.init)(jax.random.key(3), jnp.ones((1, 64)))["params"]["kernel"]
    assert np.array_equal(kernel, np.asarray(again))


@pytest.mark.parametrize("backend", ["torch", "tensorflow"])
def test_keras_adapter_on_other_backends(backend):
    pytest.importorskip("keras")
    pytest.importorskip(backend)
    code = f"""
import os
os.environ["KERAS_BACKEND"] = "{backend}"
import keras, numpy as np, fastinit, fastinit.keras as fk
assert keras.backend.backend() == "{backend}"
layer = keras.layers.Dense(64, kernel_initializer=fk.HeNormal(seed=2))
layer.build((None, 32))
kernel = keras.ops.convert_to_numpy(layer.kernel)
assert np.array_equal(kernel, fastinit.he_normal(seed=2)((32, 64)))
assert keras.backend.standardize_dtype(fk.LecunNormal(seed=0)((4, 4), "bfloat16").dtype) == "bfloat16"
print("ok")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"})
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]
