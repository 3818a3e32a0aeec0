"""fastinit: neural-network weight initializers at memory speed.

>>> import numpy as np, fastinit
>>> init = fastinit.lecun_normal(seed=0)
>>> w = init((4096, 1024))                      # float32, C-contiguous
>>> buf = np.empty((4096, 1024), np.float32)
>>> bool((init.fill(buf) == w).all())
True

Every value is a pure function of (seed, flat element index, parameters): see
:mod:`fastinit.philox` for the compatibility guarantee.
"""
from .initializers import (
    Constant, Dirac, GlorotNormal, GlorotUniform, HeNormal, HeUniform, Identity, Initializer,
    LecunNormal, LecunUniform, Ones, Orthogonal, RandomNormal, RandomUniform, Sparse, STFT,
    TruncatedNormal, VarianceScaling, Zeros, ZeroRows, calculate_gain, get,
)
from .bits import random_bits
from .philox import philox4x32_10
from .streaming import load_spec, save_checkpoint, save_npy, save_safetensors, tensor_seed

__version__ = "0.1.0"

# snake_case aliases, as keras.initializers.lecun_normal etc. (Keras 3 aliases
# the classes the same way: calling one returns an instance).
variance_scaling = VarianceScaling
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
glorot_normal = GlorotNormal
glorot_uniform = GlorotUniform
he_normal = HeNormal
he_uniform = HeUniform
truncated_normal = TruncatedNormal
random_normal = RandomNormal
random_uniform = RandomUniform
zeros = Zeros
ones = Ones
constant = Constant
identity = Identity
orthogonal = Orthogonal
dirac = Dirac
sparse = Sparse

__all__ = [
    "Initializer", "VarianceScaling", "LecunNormal", "LecunUniform", "GlorotNormal",
    "GlorotUniform", "HeNormal", "HeUniform", "TruncatedNormal", "RandomNormal", "RandomUniform",
    "Zeros", "Ones", "Constant", "Identity", "Orthogonal", "STFT", "Dirac", "Sparse", "ZeroRows",
    "calculate_gain",
    "get", "philox4x32_10", "random_bits",
    "variance_scaling", "lecun_normal", "lecun_uniform", "glorot_normal", "glorot_uniform",
    "he_normal", "he_uniform", "truncated_normal", "random_normal", "random_uniform", "zeros",
    "ones", "constant", "identity", "orthogonal", "dirac", "sparse", "save_npy", "save_safetensors",
    "save_checkpoint", "load_spec", "tensor_seed",
]
