"""Fan-in / fan-out of a weight shape, by Keras' rules.

Fans always come from the *full* tensor shape, never from a shard of it.
"""
import math


def compute_fans(shape):
    """Return ``(fan_in, fan_out)`` of ``shape`` as Keras computes them.

    * rank 0: ``(1, 1)``
    * rank 1: ``(shape[0], shape[0])``
    * rank 2: ``(shape[0], shape[1])`` (a dense kernel ``(in, out)``)
    * rank > 2: convolution kernels ``(*spatial, in, out)``: with
      ``rf = prod(shape[:-2])``, ``fan_in = shape[-2] * rf`` and
      ``fan_out = shape[-1] * rf``.

    Parameters
    ----------
    shape : tuple of int
        A validated, non-negative shape.

    Returns
    -------
    (int, int)

    Examples
    --------
    >>> compute_fans((3, 3, 64, 128))
    (576, 1152)
    """
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field
