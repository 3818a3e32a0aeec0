"""Fan-in / fan-out of a weight shape, by Keras', PyTorch's or explicit rules.

Fans always come from the *full* tensor shape, never from a shard of it.

Layouts
-------
``"keras"`` (default; also TensorFlow and Flax/JAX defaults): kernels are
``(*spatial, in, out)``. rank 0 -> (1, 1); rank 1 -> (n, n); rank 2 ->
(shape[0], shape[1]); rank > 2 -> rf = prod(shape[:-2]),
fan_in = shape[-2] * rf, fan_out = shape[-1] * rf.

``"torch"`` (``torch.nn.init._calculate_fan_in_and_fan_out``): weights are
``(out, in, *kernel)``; rf = prod(shape[2:]), fan_in = shape[1] * rf,
fan_out = shape[0] * rf; rank < 2 is an error, as in PyTorch.

Explicit axes, two frameworks, two meanings:

* JAX (``jax.nn.initializers``): ``in_axis``, ``out_axis`` and ``batch_axis``
  (ints or sequences of ints, negative allowed; defaults -2, -1 and none) name
  the input, output and batch dimensions; every *other* dimension is receptive
  field: fan_in = prod(shape[in_axis]) * rf, fan_out = prod(shape[out_axis]) *
  rf. An empty sequence is a size of 1 (so ``in_axis=[]`` on (2, 3, 4) gives
  fans (24, 12)). Giving any of them overrides the layout.
* Keras 3 (``input_axes`` / ``output_axes``, which Keras layers such as
  ``EinsumDense`` set): fan_in = prod(shape[input_axes]), fan_out =
  prod(shape[output_axes]); the other axes are ignored, not receptive field.
  As in Keras they apply only when both are given.

=====================  ===========================  ==========================
(3, 3, 64, 128)        fan_in                       fan_out
=====================  ===========================  ==========================
default (Keras)        3 * 3 * 64 = 576             3 * 3 * 128 = 1152
JAX in=2, out=3        576 (axes 0, 1 are rf)       1152
Keras input=[2],       64 (axes 0, 1 ignored)       128
output=[3]
=====================  ===========================  ==========================
"""
import math
import operator

LAYOUTS = ("keras", "torch")


def _axes(value, name):
    """Normalize an axis argument to a tuple of ints (unchecked range)."""
    if value is None:
        return None
    items = (value,) if not isinstance(value, (tuple, list)) else tuple(value)
    out = []
    for a in items:
        if isinstance(a, bool):
            raise TypeError(f"{name} must be an int or a sequence of ints; got {value!r}")
        try:
            out.append(operator.index(a))
        except TypeError:
            raise TypeError(f"{name} must be an int or a sequence of ints; got {value!r}") from None
    return tuple(out)


def validate_axes(in_axis=None, out_axis=None, batch_axis=None):
    """Type-check the explicit axis arguments; returns them as tuples (or None)."""
    return _axes(in_axis, "in_axis"), _axes(out_axis, "out_axis"), _axes(batch_axis, "batch_axis")


def validate_keras_axes(value, name):
    """Keras' ``input_axes``/``output_axes``: None or a sequence of ints (a
    tuple, or None)."""
    if value is not None and not isinstance(value, (tuple, list)):
        raise TypeError(f"{name} must be a list of ints or None; got {value!r}")
    return _axes(value, name)


def compute_fans(shape, layout="keras", in_axis=None, out_axis=None, batch_axis=None,
                 input_axes=None, output_axes=None):
    """Return ``(fan_in, fan_out)`` of ``shape`` under ``layout`` or explicit axes.

    Parameters
    ----------
    shape : tuple of int
        A validated, non-negative shape.
    layout : {"keras", "torch"}
    in_axis, out_axis, batch_axis : int or sequence of int, optional
        JAX-style explicit axes (see the module docstring); any of them
        overrides ``layout``.
    input_axes, output_axes : sequence of int, optional
        Keras-style explicit axes; used when both are given.

    Returns
    -------
    (int, int)

    Raises
    ------
    ValueError
        Unknown layout, an axis out of range, overlapping axes, or rank < 2
        for the torch layout.

    Examples
    --------
    >>> compute_fans((3, 3, 64, 128))
    (576, 1152)
    >>> compute_fans((128, 64, 3, 3), layout="torch")
    (576, 1152)
    >>> compute_fans((8, 3, 3, 64, 128), in_axis=-2, out_axis=-1, batch_axis=0)
    (576, 1152)
    """
    shape = tuple(shape)
    in_axis, out_axis, batch_axis = validate_axes(in_axis, out_axis, batch_axis)
    input_axes, output_axes = _axes(input_axes, "input_axes"), _axes(output_axes, "output_axes")
    if (in_axis, out_axis, batch_axis) != (None, None, None):
        if input_axes is not None or output_axes is not None:
            raise ValueError("give either Keras' input_axes/output_axes or JAX's "
                             "in_axis/out_axis/batch_axis, not both")
        return _explicit_fans(shape, (-2,) if in_axis is None else in_axis,
                              (-1,) if out_axis is None else out_axis,
                              () if batch_axis is None else batch_axis)
    if input_axes is not None and output_axes is not None:
        groups = _normalized_groups(shape, {"input_axes": input_axes, "output_axes": output_axes},
                                    overlap=True)  # as Keras, which does not check
        return (math.prod(shape[a] for a in groups["input_axes"]),
                math.prod(shape[a] for a in groups["output_axes"]))
    if layout == "keras":
        if len(shape) == 0:
            return 1, 1
        if len(shape) == 1:
            return shape[0], shape[0]
        if len(shape) == 2:
            return shape[0], shape[1]
        receptive_field = math.prod(shape[:-2])
        return shape[-2] * receptive_field, shape[-1] * receptive_field
    if layout == "torch":
        if len(shape) < 2:
            raise ValueError("the torch layout needs a shape of rank >= 2 (as PyTorch: fan in and "
                             f"fan out cannot be computed for fewer dimensions); got {shape}")
        receptive_field = math.prod(shape[2:])
        return shape[1] * receptive_field, shape[0] * receptive_field
    raise ValueError(f"layout must be one of {', '.join(map(repr, LAYOUTS))}; got {layout!r}")


def _normalized_groups(shape, groups, overlap):
    """Each group of axes checked against ``shape`` and made non-negative;
    axes may appear in two groups only if ``overlap`` (Keras does not check)."""
    rank = len(shape)
    out, seen = {}, {}
    for name, axes in groups.items():
        norm = []
        for a in axes:
            if not -rank <= a < rank:
                raise ValueError(f"{name} {a} is out of range for a shape of rank {rank} {shape}")
            norm.append(a % rank)
        if len(set(norm)) != len(norm):
            raise ValueError(f"{name} {axes} repeats an axis")
        for a in norm:
            if a in seen and not overlap:
                raise ValueError(f"{name} and {seen[a]} overlap on axis {a} of shape {shape}")
            seen[a] = name
        out[name] = norm
    return out


def _explicit_fans(shape, in_axis, out_axis, batch_axis):
    groups = _normalized_groups(shape, {"in_axis": in_axis, "out_axis": out_axis,
                                        "batch_axis": batch_axis}, overlap=False)
    seen = {a for axes in groups.values() for a in axes}
    receptive_field = math.prod(n for d, n in enumerate(shape) if d not in seen)
    fan_in = math.prod(shape[a] for a in groups["in_axis"]) * receptive_field
    fan_out = math.prod(shape[a] for a in groups["out_axis"]) * receptive_field
    return fan_in, fan_out
