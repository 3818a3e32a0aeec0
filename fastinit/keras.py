"""fastinit initializers as Keras 3 initializers.

Optional: ``pip install 'fastinit[keras]'`` (and a Keras backend: JAX,
PyTorch or TensorFlow). Every fastinit initializer has a Keras class here of
the same name - ``fastinit.keras.LecunNormal(seed=0)``, ``GlorotUniform``,
``TruncatedNormal``, ``Orthogonal``, ... - that subclasses Keras' own class
(so layers treat it as theirs: ``EinsumDense`` and ``MultiHeadAttention`` set
the ``input_axes``/``output_axes`` of a ``VarianceScaling`` and the fans come
out right), draws its values with fastinit, and returns a backend tensor of
the requested dtype. The classes are registered as serializable under the
package name ``fastinit``, so a model saved as ``.keras`` loads back with the
same initializers (and values).

>>> import os; os.environ.setdefault("KERAS_BACKEND", "jax")  # doctest: +ELLIPSIS
'...'
>>> import keras, fastinit.keras
>>> layer = keras.layers.Dense(64, kernel_initializer=fastinit.keras.LecunNormal(seed=0))
>>> layer.build((None, 32))
>>> import numpy as np, fastinit
>>> bool((np.asarray(layer.kernel) == fastinit.lecun_normal(seed=0)((32, 64))).all())
True
"""
try:
    import keras
except ImportError as e:  # pragma: no cover - depends on the installation
    raise ImportError(f"fastinit.keras needs Keras 3 and a backend ({e}): "
                      "pip install 'fastinit[keras]'") from None

from . import initializers as _fi
from .seeding import draw_seed

__all__ = []

#: fastinit class -> the Keras class its adapter subclasses.
_KERAS_BASE = {
    _fi.VarianceScaling: keras.initializers.VarianceScaling,
    _fi.LecunNormal: keras.initializers.LecunNormal,
    _fi.LecunUniform: keras.initializers.LecunUniform,
    _fi.GlorotNormal: keras.initializers.GlorotNormal,
    _fi.GlorotUniform: keras.initializers.GlorotUniform,
    _fi.HeNormal: keras.initializers.HeNormal,
    _fi.HeUniform: keras.initializers.HeUniform,
    _fi.TruncatedNormal: keras.initializers.TruncatedNormal,
    _fi.RandomNormal: keras.initializers.RandomNormal,
    _fi.RandomUniform: keras.initializers.RandomUniform,
    _fi.Zeros: keras.initializers.Zeros,
    _fi.Ones: keras.initializers.Ones,
    _fi.Constant: keras.initializers.Constant,
    _fi.Identity: keras.initializers.Identity,
    _fi.Orthogonal: keras.initializers.Orthogonal,
    _fi.STFT: keras.initializers.STFT,
    _fi.Dirac: keras.initializers.Initializer,
    _fi.Sparse: keras.initializers.Initializer,
}


def _adapter(fastinit_cls, keras_base):
    """A Keras class for ``fastinit_cls`` (see the module docstring)."""
    random = issubclass(fastinit_cls, _fi._RandomInitializer)

    def __init__(self, *args, **kwargs):
        # fastinit validates (one-line errors); the attributes Keras code
        # reads (seed, input_axes, gain, ...) are set from its config here
        # rather than by Keras' constructor, which would validate again.
        self._fastinit = fastinit_cls(*args, **kwargs)
        config = self._fastinit.get_config()
        if random:
            # An unseeded Keras initializer draws its seed once, and layers
            # that clone it (EinsumDense) pass that seed on: use it for the
            # values too, so clones agree with the original.
            seed = config.get("seed")
            self._init_seed = seed
            self.seed = draw_seed() % 2**63 if seed is None else seed
            self._fastinit = self._fastinit.with_seed(self.seed)
        for key, value in config.items():
            if key != "seed":
                setattr(self, key, value)

    def __call__(self, shape, dtype=None):
        init = self._fastinit
        if isinstance(self, keras.initializers.VarianceScaling):
            # A layer may have set Keras' axes on this object after construction.
            config = init.get_config()
            axes = {"input_axes": self.input_axes, "output_axes": self.output_axes}
            if axes != {k: config.get(k) for k in axes}:
                init = type(init).from_config({**config, **axes})
        dtype = keras.backend.standardize_dtype(dtype or keras.config.floatx())
        values = init(tuple(int(d) for d in shape), dtype)
        return keras.ops.convert_to_tensor(values, dtype=dtype)

    def get_config(self):
        config = self._fastinit.get_config()
        if random:
            config["seed"] = self._init_seed
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    adapter = type(fastinit_cls.__name__, (keras_base,), {
        "__init__": __init__, "__call__": __call__, "get_config": get_config,
        "from_config": from_config, "__module__": __name__,
        "__doc__": f"fastinit's :class:`fastinit.{fastinit_cls.__name__}` as a Keras "
                   f"initializer (subclass of ``keras.initializers.{keras_base.__name__}``)."})
    return keras.saving.register_keras_serializable(package="fastinit")(adapter)


for _cls, _base in _KERAS_BASE.items():
    globals()[_cls.__name__] = _adapter(_cls, _base)
    __all__.append(_cls.__name__)
del _cls, _base
