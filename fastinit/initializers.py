"""Keras-compatible initializers on top of the Philox samplers.

Each initializer is a small object holding its parameters (and, for random
ones, a Philox key derived from the seed once, at construction). Calling it
with a shape returns a new array; :meth:`Initializer.fill` writes the same
values into an existing array. Both go through one path: validate, choose the
sampler and its parameters from the *full* shape, run the kernel.

Compatibility Guarantee
-----------------------
For a given seed, class, parameters, shape and dtype the values are fixed by
the element -> counter mapping (:mod:`fastinit.philox`) and the bit -> float
transforms (:mod:`fastinit.transforms`, :mod:`fastinit.samplers`). They do not
depend on the thread count, the machine or how the work is split. Calling an
instance twice with the same shape and dtype returns the same values (as in
Keras 3); different instances with the same seed agree too. Note that element
``i`` of a tensor depends only on the key and ``i``: two tensors of different
shapes from the same seed share their leading flat values (up to scaling) -
use different seeds for different weights.
"""
import math

import ml_dtypes
import numpy as np

from . import cpu
from ._validation import (
    check_allocation, choice, finite_float, normalize_shape, positive_float, real_float,
)
from .buffers import as_output_array, is_gpu_array
from .dtypes import (
    bound_keys, check_representable, compute_dtype, inward_bounds, is_16bit, resolve_dtype,
)
from .fans import LAYOUTS, compute_fans, validate_axes, validate_keras_axes
from .regions import normalize_region, region_runs
from .samplers import (
    BITS_U32, NORMAL_F32, NORMAL_F64, TRUNC2_INV_F32, TRUNC2_INV_F64, TRUNC2_REJECT_F32,
    TRUNC2_REJECT_F64, TRUNC_CDF_F32, TRUNC_CDF_F64, TRUNC_CDF_NARROW_F32, TRUNC_TAIL_F32,
    TRUNC_TAIL_F64, UNIFORM_F32, UNIFORM_F64,
)
from .seeding import key_from_seed
from .transforms import TRUNC2_STD

__all__ = [
    "Initializer", "VarianceScaling", "LecunNormal", "LecunUniform", "GlorotNormal",
    "GlorotUniform", "HeNormal", "HeUniform", "TruncatedNormal", "RandomNormal",
    "RandomUniform", "Zeros", "Ones", "Constant", "Identity", "Orthogonal", "STFT", "Dirac",
    "Sparse", "ZeroRows", "calculate_gain", "get",
]

TRUNCATED_NORMAL_METHODS = ("inverse_cdf", "rejection")

_KINDS = {
    ("truncated_normal", "inverse_cdf", np.dtype(np.float32)): TRUNC2_INV_F32,
    ("truncated_normal", "inverse_cdf", np.dtype(np.float64)): TRUNC2_INV_F64,
    ("truncated_normal", "rejection", np.dtype(np.float32)): TRUNC2_REJECT_F32,
    ("truncated_normal", "rejection", np.dtype(np.float64)): TRUNC2_REJECT_F64,
    ("normal", None, np.dtype(np.float32)): NORMAL_F32,
    ("normal", None, np.dtype(np.float64)): NORMAL_F64,
    ("uniform", None, np.dtype(np.float32)): UNIFORM_F32,
    ("uniform", None, np.dtype(np.float64)): UNIFORM_F64,
}


class Initializer:
    """Base class: ``init(shape, dtype=None, region=None)`` and ``init.fill(out)``.

    Subclasses implement :meth:`_generate` (write positions ``pos ..`` of the
    runs of a tensor of ``shape`` into a flat array) and :meth:`get_config`.
    """

    def __call__(self, shape, dtype=None, region=None, device="cpu", stream=None):
        """Return a new C-contiguous array filled with this initializer.

        Parameters
        ----------
        shape : int or sequence of int
            Shape of the *full* tensor; fans are computed from it.
        dtype : float32 (default), float64, float16 or "bfloat16", optional
        region : tuple of slices (step 1) and ints, optional
            Generate only ``init(shape, dtype)[region]`` (NumPy basic indexing,
            e.g. ``np.s_[1024:2048, :]``), bit for bit, at a cost proportional
            to the region's size.
        device : "cpu" (default), "cuda" or "cuda:N"
            Where to create the array: a NumPy array, or a Numba CUDA device
            array (float32/float64; see :mod:`fastinit.cuda`).
        stream : numba.cuda stream, optional
            The CUDA stream to run on (default stream if omitted).

        Returns
        -------
        numpy.ndarray or numba.cuda.DeviceNDArray
        """
        shape = normalize_shape(shape)
        dtype = resolve_dtype(dtype)
        starts, stops, result_shape = normalize_region(region, shape)
        self._check_region(region)
        runs = region_runs(shape, starts, stops)
        plan = self._validate(shape, dtype)
        if device != "cpu":
            gpu = _gpu(device)
            with gpu.device_context(device):
                out = gpu._cuda().device_array(result_shape, dtype, stream=stream or 0)
                self._generate(out.reshape(-1), shape, runs, backend=gpu.Backend(stream),
                               plan=plan)
            return out
        check_allocation(math.prod(result_shape) * dtype.itemsize
                         + self._scratch_bytes(shape, dtype),
                         lambda: f"a {result_shape} {dtype} array")
        out = np.empty(result_shape, dtype)
        # The parallel kernel is the first to touch the fresh pages, so page
        # faults are spread over all threads too.
        self._generate(out.reshape(-1), shape, runs, plan=plan)
        return out

    def fill(self, out, shape=None, region=None, stream=None):
        """Fill ``out`` in place with ``self(shape, out.dtype, region)``'s values.

        Parameters
        ----------
        out : array-like buffer
            Writable and C-contiguous: a NumPy array or memmap, a CPU DLPack
            tensor (``torch.Tensor``, bfloat16 included), an object with
            ``__array_interface__`` or the buffer protocol; float32, float64,
            float16 or bfloat16. GPU arrays exposing ``__cuda_array_interface__``
            (Numba device arrays, CuPy arrays, CUDA ``torch.Tensor``; float32 or
            float64) are filled on their device. Non-contiguous arrays are refused
            with ``ValueError``. Nothing is written unless every check passes.
        shape : sequence of int, optional
            The full tensor's shape (default ``out.shape``).
        region : optional
            The part of the full tensor that ``out`` holds (see ``__call__``);
            ``out.shape`` must be the region's shape.
        stream : numba.cuda stream, optional
            For GPU arrays: the stream to run on.

        Returns
        -------
        The ``out`` object.
        """
        on_gpu = is_gpu_array(out)
        if on_gpu:
            gpu = _gpu("cuda")
            arr = gpu.as_device_array(out)
            resolve_dtype(arr.dtype, "out dtype")
        else:
            arr = as_output_array(out)
        if shape is None:
            if region is not None:
                raise ValueError("region needs shape=, the shape of the full tensor")
            shape = arr.shape
        shape = normalize_shape(shape)
        starts, stops, result_shape = normalize_region(region, shape)
        self._check_region(region)
        if tuple(arr.shape) != result_shape:
            raise ValueError(f"out has shape {tuple(arr.shape)}, but the region of a {shape} "
                             f"tensor has shape {result_shape}")
        runs = region_runs(shape, starts, stops)
        plan = self._validate(shape, arr.dtype)
        check_allocation(self._scratch_bytes(shape, arr.dtype),
                         lambda: f"filling a {shape} {arr.dtype} tensor")
        if on_gpu:
            self._generate(arr.reshape(-1), shape, runs, backend=gpu.Backend(stream), plan=plan)
        else:
            self._generate(arr.reshape(-1), shape, runs, plan=plan)
        return out

    def _check_region(self, region):
        """Hook for initializers that cannot generate regions."""

    def _validate(self, shape, dtype):
        """Every check that generating a ``dtype`` tensor of ``shape`` can fail,
        run before anything is allocated or written. Returns what those checks
        computed for :meth:`_generate` to reuse (its ``plan``), or None."""

    def _scratch_bytes(self, shape, dtype):
        """Temporary memory (bytes) generating a tensor of ``shape`` needs
        beyond its output; counted in the memory check."""
        return cpu.scratch_bytes(dtype)

    def with_seed(self, seed):
        """The same initializer with another seed (itself if it draws nothing)."""
        return self

    def _generate(self, flat, shape, runs, pos=0, backend=cpu, plan=None):
        """Write positions ``pos .. pos + flat.size`` of ``runs`` (of a tensor of
        ``shape``) into ``flat`` through ``backend`` (the :mod:`fastinit.cpu`
        module, or a :class:`fastinit.cuda.Backend`). ``plan``: what
        :meth:`_validate` returned for this shape and ``flat.dtype`` (None:
        check again)."""
        raise NotImplementedError

    def get_config(self):
        """The constructor arguments, as a dict (JSON-serializable)."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild an initializer from :meth:`get_config`'s output."""
        return cls(**config)

    @classmethod
    def public_name(cls):
        """The name users call it by: ``"lecun_normal"`` for :class:`LecunNormal`."""
        return _snake(cls.__name__)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _gpu(device):
    """The :mod:`fastinit.cuda` module, after checking ``device``."""
    if not isinstance(device, str) or not (device == "cuda" or (
            device.startswith("cuda:") and device[5:].isdigit())):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N'; got {device!r}")
    from . import cuda as gpu
    return gpu


def _cpu_only(backend, what):
    if backend is not cpu:
        raise TypeError(f"{what} is not supported on CUDA devices yet; generate it on the CPU")


#: Plans an initializer keeps (distinct shapes and dtypes); beyond, it starts
#: over.
_KEPT_PLANS = 64


class _RandomInitializer(Initializer):
    """An initializer drawing from one sampler; owns the seed -> key step."""

    def __init__(self, seed=None):
        self.seed = seed
        self._key = key_from_seed(seed)  # OS entropy is drawn here, once, for seed=None

    def __setattr__(self, name, value):
        # A plan follows from the parameters: setting any attribute drops
        # the plans computed before (see _plan).
        self.__dict__.pop("_plans", None)
        object.__setattr__(self, name, value)

    def with_seed(self, seed):
        return type(self).from_config(dict(self.get_config(), seed=seed))

    def _sampler(self, shape, dtype):
        """Return ``(kind, params, (low, high, high_inclusive), reach)`` for a
        tensor of ``shape`` computed in ``dtype`` (float32 or float64); the
        bounds are those of the distribution's support, ``reach`` the largest
        magnitude the sampler can produce (0 for samplers that clamp to the
        finite range)."""
        raise NotImplementedError

    def _plan(self, shape, dtype):
        """``(kind, params, bounds)`` for a ``dtype`` tensor of ``shape``,
        after every check that can fail (run before anything is
        written).

        Plans are kept per shape and dtype until an attribute is set: planning
        (fans, bounds, finfo) was 7 of a small fill's 36 us, and more right
        after a large kernel has left the caches cold (docs/performance.md).
        Failed checks are not kept: they raise again on every call.
        """
        plans = self.__dict__.get("_plans")
        if plans is None:
            plans = {}
            object.__setattr__(self, "_plans", plans)
        key = (tuple(shape), dtype)
        plan = plans.get(key)
        if plan is None:
            plan = self._new_plan(shape, dtype)
            if len(plans) >= _KEPT_PLANS:
                plans.clear()
            plans[key] = plan
        return plan

    def _new_plan(self, shape, dtype):
        kind, params, bounds, reach = self._sampler(shape, compute_dtype(dtype))
        check_representable(dtype, *bounds)
        largest = float(ml_dtypes.finfo(dtype).max)
        if reach > largest:
            raise ValueError(f"{type(self).__name__}: values would reach {reach:.4g}, beyond the "
                             f"largest finite {dtype} ({largest:.4g}); use a wider dtype or "
                             "smaller parameters")
        return kind, params, bounds

    def _validate(self, shape, dtype):
        return self._plan(shape, dtype)

    def _generate(self, flat, shape, runs, pos=0, backend=cpu, plan=None):
        # The plan fill() already validated (planning again was a fifth of a
        # small fill's fixed cost: 10 of 52 us), else a fresh one.
        kind, params, bounds = self._plan(shape, flat.dtype) if plan is None else plan
        if not is_16bit(flat.dtype):
            backend.fill_runs(flat, runs, self._key, kind, params, pos)
            return
        lo_key, hi_key = bound_keys(flat.dtype, *bounds)
        backend.fill_runs_16(_stored(flat), runs, self._key, kind, params, pos, flat.dtype,
                             lo_key, hi_key)


#: The largest |z| the untruncated normal samplers can return (the quantile of
#: the smallest float64 uniform, 2**-54, is -8.29).
NORMAL_Z_REACH = 8.3


def _normal_sampler(distribution, method, dtype, mean, stddev):
    """Sampler for a normal (``stddev`` before truncation) centred on ``mean``;
    a truncated one is cut at mean -+ 2 stddev."""
    kind = _KINDS[distribution, method, dtype]
    if distribution == "truncated_normal":
        lo, hi = mean - 2 * stddev, mean + 2 * stddev
        if max(abs(lo), abs(hi)) > float(np.finfo(dtype).max):
            # mean + sigma * z could overflow: the general sampler clamps to
            # the finite range.
            return _truncated_sampler(dtype, mean, stddev, lo, hi, -2.0, 2.0)
        out_lo, out_hi = inward_bounds(dtype, lo, hi)
        return kind, (mean, stddev, 0.0, 0.0, 0.0, 0.0, out_lo, out_hi), (lo, hi, True), 0.0
    return (kind, (mean, stddev, 0.0), (-math.inf, math.inf, True),
            abs(mean) + NORMAL_Z_REACH * stddev)


def _uniform_sampler(dtype, low, high):
    """Sampler for U[low, high) in ``dtype``: every value lies in [low, high)
    after rounding to ``dtype``.

    The kernel computes ``(a + w u) * s``: normally ``a = low``, ``w = high -
    low`` and ``s = 1`` (exact); when the width overflows ``dtype`` (e.g.
    ``[-2e38, 2e38)`` in float32) the interval is halved (``s = 2``, exact
    power-of-two scaling) so that no intermediate is infinite.
    """
    with np.errstate(over="ignore"):
        width = dtype.type(high) - dtype.type(low)
    s = 1.0 if np.isfinite(width) else 2.0
    lo_in, below_high = inward_bounds(dtype, low, high, high_inclusive=False)
    params = (low / s, high / s - low / s, below_high, s, lo_in)
    return _KINDS["uniform", None, dtype], params, (low, high, False), max(abs(low), abs(high))


class VarianceScaling(_RandomInitializer):
    """Samples scaled to the shape of the weight (Keras ``VarianceScaling``).

    With ``n`` = fan_in, fan_out, their mean or their geometric mean (``mode``)
    of the full shape and ``s = scale / max(1, n)``:

    * ``"truncated_normal"`` (alias ``"normal"``, as in Keras): normal with
      stddev ``sqrt(s) / 0.87962566103423978`` truncated at +-2 of that stddev,
      so the samples' standard deviation is ``sqrt(s)``;
    * ``"untruncated_normal"``: normal with stddev ``sqrt(s)``;
    * ``"uniform"``: uniform on ``[-sqrt(3 s), sqrt(3 s))``.

    Parameters
    ----------
    scale : float, > 0
    mode : {"fan_in", "fan_out", "fan_avg", "fan_geo_avg"}
        ``"fan_geo_avg"`` (JAX) is ``sqrt(fan_in * fan_out)``.
    distribution : {"truncated_normal", "normal", "untruncated_normal", "uniform"}
    seed : None, int >= 0 or numpy.random.SeedSequence
        See :mod:`fastinit.seeding`.
    input_axes, output_axes : sequence of int, optional
        Keras 3's explicit axes: with both given, fan_in and fan_out are the
        products of those axes alone (Keras layers such as ``EinsumDense`` set
        them).
    method : {"inverse_cdf", "rejection"}
        How truncated normals are drawn (same distribution, different values):
        one uniform through the inverse CDF (default, vectorized, fastest), or
        Box-Muller normals rejected outside +-2 stddev (retries use counters
        reserved for the element, so values stay a pure function of the index).
    layout : {"keras", "torch"}
        How fans are read from the shape: Keras ``(*kernel, in, out)`` or
        PyTorch ``(out, in, *kernel)``; see :mod:`fastinit.fans`.
    in_axis, out_axis, batch_axis : int or sequence of int, optional
        JAX's explicit axes (the other axes are receptive field; an empty
        list is a size of 1); any of them overrides ``layout``.

    ``get_config()`` holds Keras' keys, plus fastinit's own options only where
    they differ from their defaults, so Keras can read it back.
    """

    _MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None, method="inverse_cdf", layout="keras",
                 in_axis=None, out_axis=None, batch_axis=None):
        self.scale = positive_float(scale, "scale")
        self.mode = choice(mode.lower() if isinstance(mode, str) else mode, "mode", self._MODES)
        if isinstance(distribution, str):
            distribution = distribution.lower()
            if distribution == "normal":  # Keras' historical alias
                distribution = "truncated_normal"
        self.distribution = choice(distribution, "distribution", self._DISTRIBUTIONS)
        self.method = choice(method, "method", TRUNCATED_NORMAL_METHODS)
        self.layout = choice(layout, "layout", LAYOUTS)
        self.in_axis, self.out_axis, self.batch_axis = validate_axes(in_axis, out_axis, batch_axis)
        self.input_axes = validate_keras_axes(input_axes, "input_axes")
        self.output_axes = validate_keras_axes(output_axes, "output_axes")
        if (self.input_axes is not None or self.output_axes is not None) and \
                (self.in_axis, self.out_axis, self.batch_axis) != (None, None, None):
            raise ValueError("give either Keras' input_axes/output_axes or JAX's "
                             "in_axis/out_axis/batch_axis, not both")
        super().__init__(seed)

    def fans(self, shape):
        """``(fan_in, fan_out)`` of the full ``shape`` under this initializer's rule."""
        return compute_fans(normalize_shape(shape), self.layout, self.in_axis, self.out_axis,
                            self.batch_axis, self.input_axes, self.output_axes)

    def _fan_config(self):
        return {"input_axes": _listed(self.input_axes), "output_axes": _listed(self.output_axes),
                **_options(method=(self.method, "inverse_cdf"), layout=(self.layout, "keras"),
                           in_axis=(_listed(self.in_axis), None),
                           out_axis=(_listed(self.out_axis), None),
                           batch_axis=(_listed(self.batch_axis), None))}

    def _sampler(self, shape, dtype):
        fan_in, fan_out = self.fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0,
             "fan_geo_avg": math.sqrt(fan_in * fan_out)}[self.mode]
        s = self.scale / max(1.0, n)
        if self.distribution == "truncated_normal":
            return _normal_sampler("truncated_normal", self.method, dtype, 0.0,
                                   math.sqrt(s) / TRUNC2_STD)
        if self.distribution == "untruncated_normal":
            return _normal_sampler("normal", None, dtype, 0.0, math.sqrt(s))
        # sqrt(3 s); the product form only where 3 s overflows (it rounds
        # differently, and the values of ordinary shapes are pinned).
        limit = math.sqrt(3.0 * s) if 3.0 * s < math.inf else math.sqrt(3.0) * math.sqrt(s)
        return _uniform_sampler(dtype, -limit, limit)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed, **self._fan_config()}


def _listed(axes):
    """Axes as stored (tuple or None) -> JSON-friendly config value."""
    return None if axes is None else list(axes)


def _options(**values):
    """fastinit-only config entries ``name=(value, default)``, kept only where
    ``value`` differs from the default (so that a framework that does not know
    them can read the config of an initializer that does not use them)."""
    return {k: v for k, (v, default) in values.items() if v != default}


class _VarianceScalingPreset(VarianceScaling):
    """A named VarianceScaling with Keras' fixed scale, mode and distribution."""

    _preset = None  # (scale, mode, distribution)

    def __init__(self, seed=None, input_axes=None, output_axes=None, method="inverse_cdf",
                 layout="keras", in_axis=None, out_axis=None, batch_axis=None, **fixed):
        scale, mode, distribution = self._preset
        preset = sorted(set(fixed) & {"scale", "mode", "distribution"})
        if preset:
            raise TypeError(
                f"{self.public_name()} fixes scale={scale}, mode={mode!r} and "
                f"distribution={distribution!r} (got {', '.join(preset)}); use "
                "variance_scaling(scale=..., mode=..., distribution=...) to choose them")
        if fixed:
            raise TypeError(f"{self.public_name()}() got an unexpected keyword argument "
                            f"{sorted(fixed)[0]!r}")
        super().__init__(scale, mode, distribution, seed=seed, input_axes=input_axes,
                         output_axes=output_axes, method=method, layout=layout, in_axis=in_axis,
                         out_axis=out_axis, batch_axis=batch_axis)

    def get_config(self):
        return {"seed": self.seed, **self._fan_config()}


class LecunNormal(_VarianceScalingPreset):
    """Truncated normal, stddev ``sqrt(1 / fan_in)`` (Keras ``LecunNormal``).

    Draws from a normal centred on 0 with stddev ``sqrt(1 / fan_in) / 0.8796...``
    truncated at +-2 of that stddev, so the samples' stddev is ``sqrt(1 / fan_in)``.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = fastinit.lecun_normal(seed=0)((256, 128))
    >>> w.dtype, w.shape
    (dtype('float32'), (256, 128))
    >>> bool(abs(w.std() * np.sqrt(256) - 1) < 0.02)
    True
    """
    _preset = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_VarianceScalingPreset):
    """Uniform on ``[-sqrt(3 / fan_in), sqrt(3 / fan_in))`` (Keras ``LecunUniform``)."""
    _preset = (1.0, "fan_in", "uniform")


class GlorotNormal(_VarianceScalingPreset):
    """Truncated normal, stddev ``sqrt(2 / (fan_in + fan_out))`` (Keras ``GlorotNormal``)."""
    _preset = (1.0, "fan_avg", "truncated_normal")


class GlorotUniform(_VarianceScalingPreset):
    """Uniform, limit ``sqrt(6 / (fan_in + fan_out))`` (Keras ``GlorotUniform``)."""
    _preset = (1.0, "fan_avg", "uniform")


class HeNormal(_VarianceScalingPreset):
    """Truncated normal, stddev ``sqrt(2 / fan_in)`` (Keras ``HeNormal``)."""
    _preset = (2.0, "fan_in", "truncated_normal")


class HeUniform(_VarianceScalingPreset):
    """Uniform, limit ``sqrt(6 / fan_in)`` (Keras ``HeUniform``)."""
    _preset = (2.0, "fan_in", "uniform")


class TruncatedNormal(_RandomInitializer):
    """Normal(``mean``, ``stddev``) truncated to ``[minval, maxval]`` (Keras ``TruncatedNormal``).

    Parameters
    ----------
    mean, stddev : float
        Of the normal *before* truncation, as in Keras.
    minval, maxval : float, optional
        Absolute bounds, ``minval < maxval``; either may be infinite. By default
        ``mean -+ 2 stddev`` (Keras' truncation; the samples' standard deviation
        is then ``0.8796 * stddev``), drawn by ``method`` as in
        :class:`VarianceScaling`.
    seed : see :mod:`fastinit.seeding`
    method : {"inverse_cdf", "rejection"}
        For the default bounds only. Other bounds always use the tail-safe
        sampler: inside 5 standard deviations of the mean, the inverse CDF on
        whichever side keeps the tail probabilities accurate (computed with
        ``erfc``); for intervals entirely beyond 5 standard deviations,
        rejection from an exponential proposal truncated to the interval
        (Robert 1995), acceptance above 1/2. Both are exact in float32 and
        float64 - including far tails such as [8, 9] or [-30, -29] standard
        deviations - and each element stays a pure function of its index.
        Finite bounds must lie within 1e6 standard deviations of the mean.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None, method="inverse_cdf", minval=None,
                 maxval=None):
        self.mean = finite_float(mean, "mean")
        self.stddev = positive_float(stddev, "stddev")
        self.method = choice(method, "method", TRUNCATED_NORMAL_METHODS)
        self.minval = None if minval is None else _bound(minval, "minval")
        self.maxval = None if maxval is None else _bound(maxval, "maxval")
        lo, hi = self._bounds()
        if not lo < hi:
            raise ValueError(f"minval must be < maxval; got minval={lo}, maxval={hi}")
        for name, v in (("minval", lo), ("maxval", hi)):
            if math.isfinite(v) and abs(v - self.mean) > 1e6 * self.stddev:
                raise ValueError(f"{name}={v} is more than 1e6 stddev from the mean; not supported")
        super().__init__(seed)

    def _bounds(self):
        lo = self.mean - 2 * self.stddev if self.minval is None else self.minval
        hi = self.mean + 2 * self.stddev if self.maxval is None else self.maxval
        return lo, hi

    def _sampler(self, shape, dtype):
        if self.minval is None and self.maxval is None:
            return _normal_sampler("truncated_normal", self.method, dtype, self.mean, self.stddev)
        lo, hi = self._bounds()
        return _truncated_sampler(dtype, self.mean, self.stddev, lo, hi,
                                  (lo - self.mean) / self.stddev, (hi - self.mean) / self.stddev)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed,
                **_options(method=(self.method, "inverse_cdf"), minval=(self.minval, None),
                           maxval=(self.maxval, None))}


def _bound(value, name):
    v = real_float(value, name)
    if math.isnan(v):
        raise ValueError(f"{name} must not be NaN")
    return v


#: Intervals entirely this many standard deviations from the mean use the
#: exponential-proposal rejection sampler; closer ones the inverse CDF.
TAIL_THRESHOLD = 5.0


def _ndtr(x):
    # Phi(x), accurate in the lower tail.
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


#: Largest share of the interval by which float32 arithmetic may displace a
#: sample of the float32 inverse-CDF truncated normal; narrower intervals are
#: computed in float64 (kind TRUNC_CDF_NARROW_F32).
NARROW_LIMIT = 1e-5


def _float32_displacement(alpha, beta, a, q, mass):
    """Share of [alpha, beta] by which a float32 sample can be off: the
    rounding of the tail probability a sample starts from (relative to the
    interval's mass) plus the quantile's ~1.3 ulp error (relative to its
    width; samples beyond |z| = 7 are too rare to matter)."""
    if not mass > 0.0:  # narrower than float64's resolution of Phi
        return math.inf
    eps = 2.0 ** -22
    p_side = max(a / mass if alpha < 0 else 0.0, q / mass if beta > 0 else 0.0)
    z = min(max(abs(alpha), abs(beta)), 7.0)
    return eps * (p_side + z / min(beta - alpha, 14.0))


def _truncated_sampler(dtype, mean, sigma, lo, hi, alpha, beta):
    """Sampler for Normal(mean, sigma) truncated to [lo, hi] (any bounds), i.e.
    to [alpha, beta] in standard units (passed separately because ``mean -+ k
    sigma`` can overflow where ``k`` does not). Outputs are clamped to the
    values of ``dtype`` inside [lo, hi] and to its finite range."""
    finite = float(np.finfo(dtype).max)
    out_lo, out_hi = inward_bounds(dtype, lo, hi)
    out_lo, out_hi = max(out_lo, -finite), min(out_hi, finite)
    f64 = dtype == np.float64
    bounds = (lo, hi, True)

    def tail(scale, a, b):
        lam = 0.5 * (a + math.sqrt(a * a + 4.0))
        c = 1.0 if b == math.inf else -math.expm1(-lam * (b - a))
        kind = TRUNC_TAIL_F64 if f64 else TRUNC_TAIL_F32
        return kind, (mean, scale, a, b, lam, c, out_lo, out_hi), bounds, 0.0

    if alpha >= TAIL_THRESHOLD:
        return tail(sigma, alpha, beta)
    if beta <= -TAIL_THRESHOLD:
        return tail(-sigma, -beta, -alpha)
    kind = TRUNC_CDF_F64 if f64 else TRUNC_CDF_NARROW_F32
    if not f64:
        # Both tails outside the interval and its mass, each accurate: the
        # kernel takes the quantile on whichever side is closer.
        a, q = _ndtr(alpha), _ndtr(-beta)
        mass = _ndtr(beta) - a if alpha < -beta else _ndtr(-alpha) - q
        # float32 arithmetic also needs mean and sigma finite in float32
        # (3.4028235e38 rounds to inf there, and inf - inf is NaN).
        with np.errstate(over="ignore"):
            finite32 = bool(np.isfinite(np.float32(mean)) and np.isfinite(np.float32(sigma)))
        if finite32 and _float32_displacement(alpha, beta, a, q, mass) <= NARROW_LIMIT:
            return TRUNC_CDF_F32, (mean, sigma, a, q, mass, 0.0, out_lo, out_hi), bounds, 0.0
    if alpha >= 0:
        # Upper side: Q(x) = erfc(x / sqrt 2) / 2 is accurate there; Phi^-1(p)
        # = -Q^-1(p), so z = Phi^-1(...) is -x and the scale is negated.
        return kind, (mean, -sigma, _ndtr(-alpha), _ndtr(-beta), -beta, -alpha, out_lo, out_hi), \
            bounds, 0.0
    return kind, (mean, sigma, _ndtr(alpha), _ndtr(beta), alpha, beta, out_lo, out_hi), bounds, 0.0


class RandomNormal(_RandomInitializer):
    """Normal(``mean``, ``stddev``), untruncated (Keras ``RandomNormal``)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = finite_float(mean, "mean")
        self.stddev = positive_float(stddev, "stddev")
        super().__init__(seed)

    def _sampler(self, shape, dtype):
        return _normal_sampler("normal", None, dtype, self.mean, self.stddev)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_RandomInitializer):
    """Uniform on ``[minval, maxval)`` (Keras ``RandomUniform``)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = finite_float(minval, "minval")
        self.maxval = finite_float(maxval, "maxval")
        if not self.minval < self.maxval:
            raise ValueError(f"minval must be < maxval; got minval={self.minval}, maxval={self.maxval}")
        super().__init__(seed)

    def _sampler(self, shape, dtype):
        return _uniform_sampler(dtype, self.minval, self.maxval)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class Constant(Initializer):
    """Every element equal to ``value`` (Keras ``Constant``).

    ``value`` is a real number, or an array (any real dtype; NumPy, JAX, lists)
    broadcast to the shape as Keras' ``Constant`` broadcasts it; regions and
    streaming work for both, at a cost proportional to the region.
    """

    #: Positions converted per step for array values (bounds the temporaries).
    _WINDOW = 1 << 20

    def __init__(self, value=0.0):
        if np.ndim(value) == 0:
            self.value = finite_float(value, "value")
            return
        arr = np.array(value)
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"value must be a real number or an array of reals; got dtype "
                            f"{arr.dtype}")
        arr = arr.astype(np.float64)
        if not np.isfinite(arr).all():
            raise ValueError("value must be finite")
        arr.flags.writeable = False
        self.value = arr

    def _validate(self, shape, dtype):
        if isinstance(self.value, np.ndarray):
            try:
                ok = np.broadcast_shapes(self.value.shape, shape) == tuple(shape)
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(f"Constant value of shape {self.value.shape} does not broadcast "
                                 f"to the shape {shape}")

    def _generate(self, flat, shape, runs, pos=0, backend=cpu, plan=None):
        self._validate(shape, flat.dtype)
        if isinstance(self.value, np.ndarray):
            self._fill_broadcast(flat, shape, runs, pos, backend)
        elif is_16bit(flat.dtype):
            backend.fill_constant(_stored(flat), _as_stored(self.value, flat.dtype))
        else:
            backend.fill_constant(flat, self.value)

    def _fill_broadcast(self, flat, shape, runs, pos, backend):
        # Element with flat index i takes value[broadcast index of i]: the
        # broadcast view's strides (0 on broadcast axes) map the digits of i.
        view = np.broadcast_to(self.value, shape)
        steps = [s // view.itemsize for s in view.strides]
        sizes = [math.prod(shape[d + 1:]) for d in range(len(shape))]
        source = self.value.reshape(-1).astype(flat.dtype if not is_16bit(flat.dtype)
                                               else np.float32)
        for a in range(0, flat.size, self._WINDOW):
            i = runs.flat_indices(pos + a, min(self._WINDOW, flat.size - a))
            k = np.zeros_like(i)
            for n, size, step in zip(shape, sizes, steps):
                if step:
                    k += (i // size) % n * step
            backend.write(_stored(flat)[a:a + i.size], _as_stored(source[k], flat.dtype))

    def get_config(self):
        value = self.value.tolist() if isinstance(self.value, np.ndarray) else self.value
        return {"value": value}


class Zeros(Constant):
    """Every element 0 (Keras ``Zeros``)."""

    def __init__(self):
        super().__init__(0.0)

    def get_config(self):
        return {}


class Ones(Constant):
    """Every element 1 (Keras ``Ones``)."""

    def __init__(self):
        super().__init__(1.0)

    def get_config(self):
        return {}


class Identity(Initializer):
    """``gain`` times the identity matrix (Keras ``Identity``); 2-D shapes only,
    rectangular allowed (ones on the main diagonal). Regions and streaming work:
    each element is still a function of its position alone."""

    def __init__(self, gain=1.0):
        self.gain = finite_float(gain, "gain")

    def _validate(self, shape, dtype):
        if len(shape) != 2:
            raise ValueError(f"Identity needs a 2-D shape; got {shape}")

    def _generate(self, flat, shape, runs, pos=0, backend=cpu, plan=None):
        self._validate(shape, flat.dtype)
        backend.fill_constant(_stored(flat), _as_stored(0.0, flat.dtype))
        if flat.size == 0:
            return
        # Only the diagonal elements whose rows positions pos .. pos + size
        # touch: time and memory proportional to the region, not min(shape).
        cols = shape[1]
        last = pos + flat.size - 1
        if len(runs.outer_len):  # one run per row of the region
            rows = runs.outer_start[0] + np.arange(pos // runs.run_len, last // runs.run_len + 1)
        else:
            first = runs.inner_first + pos
            rows = np.arange(first // cols, (first + flat.size - 1) // cols + 1)
        rows = rows[rows < min(shape)]
        _set_elements(flat, runs, pos, rows * (cols + 1), self.gain, backend)

    def get_config(self):
        return {"gain": self.gain}


def _stored(flat):
    """``flat`` as written: 16-bit floats through their uint16 bits (Numba has
    no 16-bit float type)."""
    return flat.view(np.uint16) if is_16bit(flat.dtype) else flat


def _set_elements(flat, runs, pos, index, value, backend=cpu):
    """Set the elements with flat indices ``index`` that positions ``pos ..
    pos + flat.size`` of ``runs`` hold to ``value``; the others are untouched."""
    where = runs.positions(index) - pos
    backend.set_elements(_stored(flat), where[(where >= 0) & (where < flat.size)],
                         _as_stored(value, flat.dtype))


def _as_stored(value, dtype):
    """``value`` as stored in an array of ``dtype`` (16-bit floats as their bits)."""
    v = np.asarray(value, np.float32 if is_16bit(dtype) else dtype).astype(dtype)
    return v.view(np.uint16) if is_16bit(dtype) else v


class Orthogonal(_RandomInitializer):
    """A (semi-)orthogonal matrix times ``gain`` (Keras ``Orthogonal``).

    The shape (rank >= 2) is viewed as a matrix - which one is where the
    frameworks differ:

    * ``layout="keras"`` (default): ``(prod(shape[:-1]), shape[-1])``;
    * ``layout="torch"`` (``torch.nn.init.orthogonal_``): ``(shape[0],
      prod(shape[1:]))``;
    * ``column_axis=c`` (``jax.nn.initializers.orthogonal``): the columns are
      axis ``c``, the rows every other axis in order; ``column_axis=-1`` is the
      Keras view.

    A matrix of that shape (transposed if wide) is drawn from fastinit's own
    standard normal sampler in float64, factored ``Q R`` by LAPACK
    (``numpy.linalg.qr``), ``Q``'s columns multiplied by the signs of ``R``'s
    diagonal, transposed back for wide shapes, scaled by ``gain``, laid out in
    the tensor and rounded once to the output dtype.

    Reproducibility: the normal draws are bit-identical everywhere (they are
    ordinary fastinit samples); the QR goes through the installed LAPACK/BLAS,
    so results can differ in the last bits between BLAS builds and thread
    counts of the BLAS. On one machine and build they are deterministic.

    Cost: not elementwise. For an ``m x n`` matrix (m >= n) it needs about
    ``32 m n`` bytes of float64 work space beyond the output (counted in the
    memory check) and ``O(m n^2)`` time - e.g. a 16384 x 16384 matrix needs
    ~8 GiB and minutes. ``region=`` and streaming writers are refused with
    ``ValueError``.
    """

    def __init__(self, gain=1.0, seed=None, layout="keras", column_axis=None):
        self.gain = finite_float(gain, "gain")
        self.layout = choice(layout, "layout", LAYOUTS)
        if column_axis is not None:
            if isinstance(column_axis, bool) or not isinstance(column_axis, (int, np.integer)):
                raise TypeError(f"column_axis must be an int; got {column_axis!r}")
            if layout != "keras":
                raise ValueError("give layout='torch' or column_axis, not both")
            column_axis = int(column_axis)
        self.column_axis = column_axis
        super().__init__(seed)

    def _check_region(self, region):
        if region is not None:
            raise ValueError("Orthogonal is not elementwise (it needs a QR of the whole matrix): "
                             "region= and streaming writes are not supported")

    def _matrix(self, shape):
        """``(rows, cols, column_axis)`` of the matrix view of ``shape``
        (``column_axis`` None for the torch view)."""
        if len(shape) < 2:
            raise ValueError(f"Orthogonal needs a shape of rank >= 2; got {shape}")
        if self.layout == "torch":
            return shape[0], math.prod(shape[1:]), None
        c = -1 if self.column_axis is None else self.column_axis
        if not -len(shape) <= c < len(shape):
            raise ValueError(f"column_axis {c} is out of range for a shape of rank {len(shape)}")
        c %= len(shape)
        return math.prod(shape) // shape[c] if shape[c] else 0, shape[c], c

    def _validate(self, shape, dtype):
        self._matrix(shape)

    def _scratch_bytes(self, shape, dtype):
        # float64: the normal draws, LAPACK's copy of them, Q, and the
        # laid-out/rounded copy of Q, each m x n; R is n x n (n the short side).
        rows, cols, _ = self._matrix(shape)
        return 8 * (4 * rows * cols + min(rows, cols) ** 2)

    def _generate(self, flat, shape, runs, pos=0, backend=cpu, plan=None):
        _cpu_only(backend, "Orthogonal")
        rows, cols, column_axis = self._matrix(shape)
        if rows * cols == 0:
            return
        tall = (max(rows, cols), min(rows, cols))
        a = np.empty(tall[0] * tall[1], np.float64)
        cpu.fill_run(a, 0, self._key, NORMAL_F64, (0.0, 1.0, 0.0))
        q, r = np.linalg.qr(a.reshape(tall))
        del a
        q *= np.where(np.diagonal(r) < 0, -1.0, 1.0)
        if rows < cols:
            q = q.T
        q *= self.gain
        if column_axis is not None:  # rows are the other axes, in order
            others = shape[:column_axis] + shape[column_axis + 1:]
            q = np.moveaxis(q.reshape(others + (cols,)), -1, column_axis)
        if is_16bit(flat.dtype):
            q = q.astype(np.float32)
        flat.reshape(shape)[...] = q.reshape(shape)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed,
                **_options(layout=(self.layout, "keras"), column_axis=(self.column_axis, None))}


class STFT(Initializer):
    """The short-time Fourier transform kernel of Keras' ``STFT`` initializer
    (for ``keras.layers.STFTSpectrogram``): for a shape ``(T, C, F)``,
    ``cos`` (``side="real"``) or ``sin`` (``"imag"``) of ``-2 pi t f / (2 (F -
    1))``, times the window and divided by its scaling, the same for every
    channel. Computed in float64 and rounded once (Keras computes in the
    output dtype, so float32 values can differ in the last bit).

    Parameters
    ----------
    side : {"real", "imag"}
    window : str, array of length T, or None
        A ``scipy.signal.get_window`` name (needs SciPy), the window values,
        or None.
    scaling : {"density", "spectrum", None}
        Divide by ``sqrt(sum(window^2))`` or ``sum(|window|)``.
    periodic : bool
        Periodic (rather than symmetric) named windows.
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        self.side = choice(side, "side", ("real", "imag"))
        if scaling is not None:
            choice(scaling, "scaling", ("density", "spectrum"))
        self.scaling = scaling
        if not isinstance(periodic, (bool, np.bool_)):
            raise TypeError(f"periodic must be a bool; got {periodic!r}")
        self.periodic = bool(periodic)
        if window is not None and not isinstance(window, str):
            window = np.asarray(window, np.float64)
            if window.ndim != 1 or not np.isfinite(window).all():
                raise ValueError("window must be a name, None or a 1-D array of finite values")
        self.window = window

    def _window(self, length):
        if isinstance(self.window, str):
            try:
                import scipy.signal
            except ImportError:
                raise ImportError("STFT with a named window needs SciPy (pip install scipy)"
                                  ) from None
            return scipy.signal.get_window(self.window, length, self.periodic)
        return self.window

    def _validate(self, shape, dtype):
        if len(shape) != 3 or shape[2] < 2:
            raise ValueError(f"STFT needs a shape (frame_length, channels, fft_bins >= 2); "
                             f"got {shape}")
        if isinstance(self.window, np.ndarray) and self.window.shape != (shape[0],):
            raise ValueError(f"window has length {self.window.size}; the shape {shape} needs "
                             f"{shape[0]}")

    def _kernel(self, shape):
        frames, _, bins = shape
        args = -2.0 * np.arange(frames)[:, None, None] * (
            np.arange(bins)[None, None, :] / ((bins - 1) * 2)) * np.pi
        kernel = np.cos(args) if self.side == "real" else np.sin(args)
        if self.window is not None:
            win = np.asarray(self._window(frames), np.float64).reshape(frames, 1, 1)
            scale = {"density": np.sqrt(np.sum(win ** 2)), "spectrum": np.sum(np.abs(win)),
                     None: 1.0}[self.scaling]
            kernel = kernel * win / scale
        return kernel

    def _generate(self, flat, shape, runs, pos=0, backend=cpu, plan=None):
        self._validate(shape, flat.dtype)
        # The kernel is small (T x F); the tensor is its broadcast over channels.
        Constant(self._kernel(shape))._generate(flat, shape, runs, pos, backend)

    def get_config(self):
        window = self.window.tolist() if isinstance(self.window, np.ndarray) else self.window
        return {"side": self.side, "window": window, "periodic": self.periodic,
                "scaling": self.scaling}


class Dirac(Initializer):
    """The Dirac delta (PyTorch ``torch.nn.init.dirac_``): for a convolution
    weight ``(out, in, *kernel)`` of rank 3 to 5, 1 at the kernel's centre
    (``k // 2`` on each axis) of channel pairs ``(g * out // groups + d, d)``
    for ``d < min(out // groups, in)``, 0 elsewhere; the layer then passes its
    input through. Elementwise: regions and streaming work."""

    def __init__(self, groups=1):
        if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
            raise ValueError(f"groups must be an int >= 1; got {groups!r}")
        self.groups = int(groups)

    def _validate(self, shape, dtype):
        if not 3 <= len(shape) <= 5:
            raise ValueError(f"Dirac needs a shape of rank 3, 4 or 5; got {shape}")
        if shape[0] % self.groups:
            raise ValueError(f"Dirac: dim 0 ({shape[0]}) must be divisible by groups "
                             f"({self.groups})")

    def _generate(self, flat, shape, runs, pos=0, backend=cpu, plan=None):
        _cpu_only(backend, "Dirac")
        self._validate(shape, flat.dtype)
        cpu.fill_constant(_stored(flat), _as_stored(0.0, flat.dtype))
        per_group = shape[0] // self.groups
        d = np.arange(min(per_group, shape[1]), dtype=np.int64)
        out_channel = (np.arange(self.groups, dtype=np.int64)[:, None] * per_group + d).reshape(-1)
        centre = tuple(np.full(out_channel.size, k // 2, np.int64) for k in shape[2:])
        if out_channel.size == 0 or flat.size == 0:
            return
        index = np.ravel_multi_index((out_channel, np.tile(d, self.groups)) + centre, shape)
        _set_elements(flat, runs, pos, index, 1.0)

    def get_config(self):
        return {"groups": self.groups}


class Sparse(_RandomInitializer):
    """A sparse normal matrix (PyTorch ``torch.nn.init.sparse_``): N(0, std^2)
    values, and in every column exactly ``ceil(sparsity * rows)`` zeros at rows
    chosen at random. 2-D shapes only. Not elementwise (each column's zeros
    are chosen together): ``region=`` and streaming writes are refused."""

    def __init__(self, sparsity, std=0.01, seed=None):
        self.sparsity = finite_float(sparsity, "sparsity")
        if not 0.0 <= self.sparsity <= 1.0:
            raise ValueError(f"sparsity must lie in [0, 1]; got {self.sparsity}")
        self.std = positive_float(std, "std")
        super().__init__(seed)

    def _check_region(self, region):
        if region is not None:
            raise ValueError("Sparse is not elementwise (each column's zeros are chosen "
                             "together): region= and streaming writes are not supported")

    def _validate(self, shape, dtype):
        if len(shape) != 2:
            raise ValueError(f"Sparse needs a 2-D shape; got {shape}")
        return super()._validate(shape, dtype)

    def _scratch_bytes(self, shape, dtype):
        # The zero mask's random words (uint32) and their per-column order (int64).
        return super()._scratch_bytes(shape, dtype) + 12 * math.prod(shape)

    def _sampler(self, shape, dtype):
        return _normal_sampler("normal", None, dtype, 0.0, self.std)

    def _generate(self, flat, shape, runs, pos=0, backend=cpu, plan=None):
        _cpu_only(backend, "Sparse")
        if plan is None:
            plan = self._validate(shape, flat.dtype)
        super()._generate(flat, shape, runs, pos, backend, plan)
        rows, cols = shape
        zeros = math.ceil(self.sparsity * rows)
        if zeros == 0 or flat.size == 0:
            return
        # The rows of column j with the `zeros` smallest words of a second
        # stream (derived from this key) are zeroed: a random subset of that
        # size, as torch's randperm(rows)[:zeros].
        words = np.empty(rows * cols, np.uint32)
        cpu.fill_run(words, 0, key_from_seed(np.random.SeedSequence(self._key, spawn_key=(1,))),
                     BITS_U32, ())
        chosen = np.argsort(words.reshape(rows, cols), axis=0, kind="stable")[:zeros]
        _stored(flat).reshape(rows, cols)[chosen, np.arange(cols)] = 0

    def get_config(self):
        return {"sparsity": self.sparsity, "std": self.std, "seed": self.seed}


class ZeroRows(Initializer):
    """``initializer``'s values with some rows (indices along axis 0) set to 0:
    ``torch.nn.Embedding(padding_idx=...)``'s padding row. Elementwise when
    ``initializer`` is: regions and streaming work.

    Parameters
    ----------
    initializer : Initializer, name or config dict
    rows : sequence of int
        Indices along axis 0 (negative ones count from the end).
    """

    def __init__(self, initializer, rows=()):
        self.initializer = get(initializer)
        if not isinstance(self.initializer, Initializer):
            raise TypeError("initializer must be a fastinit initializer")
        if isinstance(rows, (int, np.integer)):
            rows = (rows,)
        self.rows = tuple(int(r) for r in rows)

    def with_seed(self, seed):
        return ZeroRows(self.initializer.with_seed(seed), self.rows)

    def _check_region(self, region):
        self.initializer._check_region(region)

    def _validate(self, shape, dtype):
        if not shape:
            raise ValueError("ZeroRows needs a shape of rank >= 1")
        for r in self.rows:
            if not -shape[0] <= r < shape[0]:
                raise ValueError(f"ZeroRows: row {r} is out of range for a shape {shape}")
        return self.initializer._validate(shape, dtype)

    def _scratch_bytes(self, shape, dtype):
        return self.initializer._scratch_bytes(shape, dtype)

    def _generate(self, flat, shape, runs, pos=0, backend=cpu, plan=None):
        if plan is None:
            plan = self._validate(shape, flat.dtype)
        if self.rows:
            _cpu_only(backend, "ZeroRows")
        self.initializer._generate(flat, shape, runs, pos, backend, plan)
        row = math.prod(shape[1:])
        for r in {r % shape[0] for r in self.rows}:
            _set_elements(flat, runs, pos, r * row + np.arange(row, dtype=np.int64), 0.0)

    def get_config(self):
        return {"initializer": {"class_name": type(self.initializer).__name__,
                                "config": self.initializer.get_config()},
                "rows": list(self.rows)}


#: PyTorch's ``calculate_gain`` table: the gains for which the output's
#: variance stays that of the input (``torch.nn.init.calculate_gain``).
_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity, as ``torch.nn.init.calculate_gain``.

    ===================  ==================================
    nonlinearity         gain
    ===================  ==================================
    linear, conv*, sigmoid   1
    tanh                 5/3
    relu                 sqrt(2)
    leaky_relu           sqrt(2 / (1 + negative_slope^2)), ``param`` the slope (0.01)
    selu                 3/4
    ===================  ==================================
    """
    if nonlinearity in _LINEAR:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


_CLASSES = (VarianceScaling, LecunNormal, LecunUniform, GlorotNormal, GlorotUniform, HeNormal,
            HeUniform, TruncatedNormal, RandomNormal, RandomUniform, Zeros, Ones, Constant, Identity,
            Orthogonal, STFT, Dirac, Sparse, ZeroRows)

#: name -> class, for :func:`get`: class names, their snake_case forms and
#: Keras' short aliases.
REGISTRY = {**{c.__name__: c for c in _CLASSES}, **{_snake(c.__name__): c for c in _CLASSES},
            "normal": RandomNormal, "uniform": RandomUniform, "zero": Zeros, "one": Ones,
            # Keras' compatibility names
            "IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal,
            "STFTInitializer": STFT}


def public_names():
    """The snake_case names of every initializer, sorted."""
    return sorted(c.public_name() for c in _CLASSES)


def get(identifier):
    """Return an initializer for a name, a config dict, an instance or None.

    Parameters
    ----------
    identifier : None, str, dict, Initializer or callable
        * a name: ``"lecun_normal"``, ``"LecunNormal"``, ``"zeros"``, Keras'
          compatibility names (``"OrthogonalInitializer"``, ...) - an instance
          with default arguments;
        * a dict ``{"class_name": name, "config": {...}}`` in any of the forms
          Keras serializes initializers (with ``module`` and
          ``registered_name`` keys, serialized seeds and NumPy values);
        * an :class:`Initializer` or any callable, returned unchanged;
        * ``None``, returned unchanged.
    """
    if identifier is None or isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        return _lookup(identifier)()
    if isinstance(identifier, dict):
        if "class_name" not in identifier:
            raise ValueError("an initializer config dict needs a 'class_name' key; "
                             f"got keys {sorted(identifier)}")
        config = identifier.get("config") or {}
        if not isinstance(config, dict):
            raise TypeError(f"'config' must be a dict; got {type(config).__name__}")
        cls = _lookup(identifier["class_name"])
        return cls.from_config({k: _from_keras(v) for k, v in config.items()})
    if callable(identifier):
        return identifier
    raise TypeError("identifier must be None, a name, a config dict or an initializer; "
                    f"got {type(identifier).__name__}")


def _from_keras(value):
    """A config value as Keras serializes it -> the plain value: a serialized
    ``keras.random.SeedGenerator`` -> its int seed; a serialized NumPy array
    (``"__numpy__"``) -> the array."""
    if isinstance(value, dict) and isinstance(value.get("config"), dict):
        if value.get("class_name") == "SeedGenerator":
            return value["config"].get("seed")
        if value.get("class_name") == "__numpy__":
            return np.asarray(value["config"]["value"], value["config"].get("dtype"))
    return value


def _lookup(name):
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown initializer {name!r}; known: {', '.join(sorted(REGISTRY))}") from None
