"""fastinit initializers with JAX's initializer signature.

Optional: ``pip install 'fastinit[jax]'``. :func:`initializer` turns any
fastinit initializer into a function ``init(key, shape, dtype=None,
out_sharding=None)``, the signature of ``jax.nn.initializers``, usable as a
Flax ``kernel_init``. The ready-made functions carry JAX's names *and JAX's
semantics*: ``variance_scaling(..., distribution="normal")`` is the
untruncated normal (Keras' "normal" is truncated), fans use JAX's
``in_axis``/``out_axis``/``batch_axis``, ``uniform(scale)`` is U[0, scale),
``truncated_normal(stddev, lower, upper)`` cuts the standard normal at
``lower``/``upper`` before scaling, ``zeros`` and ``ones`` are initializers
themselves.

The key: its raw words (``jax.random.key_data``) seed the Philox key through
``numpy.random.SeedSequence``, so the same key gives the same tensor and
different keys independent ones; split keys as usual. Under ``jax.jit`` the
values are computed on the host through ``jax.pure_callback``. With
``out_sharding`` (a ``jax.sharding.Sharding``), every device's shard is
generated from its own region (``jax.make_array_from_callback``) and equals
the slice of the unsharded result.

>>> import jax, numpy as np, fastinit, fastinit.jax
>>> init = fastinit.jax.lecun_normal()
>>> w = init(jax.random.key(0), (64, 32))
>>> w.dtype, w.shape
(dtype('float32'), (64, 32))
>>> bool((init(jax.random.key(0), (64, 32)) == w).all())
True
"""
import numpy as np

try:
    import jax
    import jax.numpy as jnp
except ImportError as e:  # pragma: no cover - depends on the installation
    raise ImportError(f"fastinit.jax needs JAX ({e}): pip install 'fastinit[jax]'") from None

from . import initializers as _fi
from ._validation import normalize_shape
from .dtypes import resolve_dtype

__all__ = ["initializer", "variance_scaling", "lecun_normal", "lecun_uniform", "glorot_normal",
           "glorot_uniform", "he_normal", "he_uniform", "xavier_normal", "xavier_uniform",
           "kaiming_normal", "kaiming_uniform", "normal", "truncated_normal", "uniform",
           "constant", "zeros", "ones", "orthogonal", "key_seed"]


def _key_words(key):
    """The raw words of a JAX PRNG key (new-style typed keys and raw ``uint32``
    key arrays alike)."""
    return jax.random.key_data(key) if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) else key


def key_seed(key):
    """The ``numpy.random.SeedSequence`` a JAX PRNG key (or its raw words)
    stands for."""
    words = np.asarray(_key_words(key))
    if words.dtype.kind != "u":
        raise TypeError(f"key must be a JAX PRNG key; got an array of {words.dtype}")
    return np.random.SeedSequence([int(w) for w in words.reshape(-1)])


def initializer(init):
    """A JAX-style initializer function drawing ``init``'s values.

    Parameters
    ----------
    init : fastinit Initializer, name or config dict

    Returns
    -------
    callable
        ``f(key, shape, dtype=None, out_sharding=None)`` returning a
        ``jax.Array`` (``dtype`` defaults to JAX's default float type).
    """
    init = _fi.get(init)
    if not isinstance(init, _fi.Initializer):
        raise TypeError(f"init must be a fastinit initializer; got {type(init).__name__}")

    def fn(key, shape, dtype=None, out_sharding=None):
        shape = normalize_shape(shape)
        dtype = np.dtype(jnp.dtype(dtype) if dtype is not None
                         else jax.dtypes.canonicalize_dtype(jnp.float_))
        resolve_dtype(dtype, "dtype")
        if isinstance(key, jax.core.Tracer):  # under jit: compute on the host
            def host(words):
                return init.with_seed(key_seed(words))(shape, dtype)
            return jax.pure_callback(host, jax.ShapeDtypeStruct(shape, dtype), _key_words(key),
                                     vmap_method="sequential")
        seeded = init.with_seed(key_seed(key))
        if isinstance(out_sharding, jax.sharding.Sharding):
            return jax.make_array_from_callback(
                shape, out_sharding, lambda index: seeded(shape, dtype, region=index))
        return jnp.asarray(seeded(shape, dtype))

    fn.fastinit = init
    return fn


def variance_scaling(scale, mode, distribution, in_axis=-2, out_axis=-1, batch_axis=(),
                     dtype=None):
    """As ``jax.nn.initializers.variance_scaling`` (``distribution`` one of
    "truncated_normal", "normal" - untruncated - and "uniform")."""
    names = {"truncated_normal": "truncated_normal", "normal": "untruncated_normal",
             "uniform": "uniform"}
    if distribution not in names:
        raise ValueError(f"distribution must be one of {', '.join(map(repr, names))}; "
                         f"got {distribution!r}")
    return _with_dtype(initializer(_fi.VarianceScaling(
        scale, mode, names[distribution], in_axis=in_axis, out_axis=out_axis,
        batch_axis=batch_axis)), dtype)


def _with_dtype(fn, default):
    """``fn`` with ``default`` as its dtype when the caller passes none (the
    ``dtype=`` argument of JAX's initializer factories)."""
    if default is None:
        return fn

    def with_default(key, shape, dtype=default, out_sharding=None):
        return fn(key, shape, dtype, out_sharding)
    with_default.fastinit = fn.fastinit
    return with_default


def _preset(scale, mode, distribution):
    def factory(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
        return variance_scaling(scale, mode, distribution, in_axis, out_axis, batch_axis, dtype)
    factory.__doc__ = (f"As ``jax.nn.initializers``: variance_scaling({scale}, {mode!r}, "
                       f"{distribution!r}).")
    return factory


lecun_normal = _preset(1.0, "fan_in", "truncated_normal")
lecun_uniform = _preset(1.0, "fan_in", "uniform")
glorot_normal = xavier_normal = _preset(1.0, "fan_avg", "truncated_normal")
glorot_uniform = xavier_uniform = _preset(1.0, "fan_avg", "uniform")
he_normal = kaiming_normal = _preset(2.0, "fan_in", "truncated_normal")
he_uniform = kaiming_uniform = _preset(2.0, "fan_in", "uniform")


def normal(stddev=1e-2, dtype=None):
    """As ``jax.nn.initializers.normal``: N(0, stddev^2), untruncated."""
    return _with_dtype(initializer(_fi.RandomNormal(0.0, stddev)), dtype)


def truncated_normal(stddev=1e-2, dtype=None, lower=-2.0, upper=2.0):
    """As ``jax.nn.initializers.truncated_normal``: the standard normal cut to
    [lower, upper], times ``stddev``."""
    if (lower, upper) == (-2.0, 2.0):  # fastinit's +-2 sigma fast path
        return _with_dtype(initializer(_fi.TruncatedNormal(0.0, stddev)), dtype)
    return _with_dtype(initializer(_fi.TruncatedNormal(
        0.0, stddev, minval=lower * stddev, maxval=upper * stddev)), dtype)


def uniform(scale=1e-2, dtype=None):
    """As ``jax.nn.initializers.uniform``: U[0, scale)."""
    return _with_dtype(initializer(_fi.RandomUniform(0.0, scale)), dtype)


def constant(value, dtype=None):
    """As ``jax.nn.initializers.constant`` (``value`` broadcast to the shape)."""
    return _with_dtype(initializer(_fi.Constant(value)), dtype)


def orthogonal(scale=1.0, column_axis=-1, dtype=None):
    """As ``jax.nn.initializers.orthogonal``."""
    return _with_dtype(initializer(_fi.Orthogonal(scale, column_axis=column_axis)), dtype)


#: As ``jax.nn.initializers.zeros`` / ``ones``: initializers, not factories.
zeros = initializer(_fi.Zeros())
ones = initializer(_fi.Ones())
