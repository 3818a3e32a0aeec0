"""Turn what a user passes to ``fill`` into a writable NumPy view of its memory.

Accepted (filled in place, never copied): NumPy arrays and ``np.memmap``;
DLPack producers on the CPU (``torch.Tensor``, JAX/CuPy-style objects with
``__dlpack__``; torch bfloat16 tensors through a 16-bit integer view);
objects with ``__array_interface__``; and objects exporting the buffer
protocol (``memoryview``, ``array.array``, ...). Every check runs before
anything is written.

Non-contiguous arrays are refused with ``ValueError``: values are defined by
flat C-order index, and scattering them through strides would be a slow,
surprising path. Fill a contiguous array and take views of it instead.
"""
import sys

import numpy as np

from .dtypes import BFLOAT16, is_supported


def _torch_tensor(obj):
    """``obj`` detached from autograd if it is a torch tensor (a ``Parameter``
    too: writing its memory in place is what initialization means, and DLPack
    refuses tensors that require grad), else None."""
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(obj, torch.Tensor):
        return None
    return obj.detach()


def _torch_bfloat16_view(tensor):
    import torch
    if not tensor.is_contiguous():
        raise ValueError("out must be contiguous; got a non-contiguous torch tensor")
    return np.from_dlpack(tensor.view(torch.int16)).view(BFLOAT16)


def is_gpu_array(obj):
    """Whether ``obj`` is GPU memory: it exposes ``__cuda_array_interface__`` or
    is a Numba device array (the CUDA simulator's arrays expose no interface)."""
    return hasattr(obj, "__cuda_array_interface__") or \
        type(obj).__module__.startswith(("numba.cuda", "numba_cuda"))


def as_output_array(out, name="out"):
    """Return a NumPy array sharing ``out``'s memory, after checking that it is
    writable, C-contiguous, on the CPU and of a supported float dtype."""
    if isinstance(out, np.ma.MaskedArray):
        raise TypeError(f"{name} is a masked array: fill its .data, or a plain ndarray")
    if isinstance(out, np.ndarray):
        # Subclasses (np.matrix, np.memmap, ...) are filled through a plain
        # ndarray view of the same memory: the kernels are typed for ndarray,
        # and a subclass's own indexing rules (matrix keeps 2-D) must not apply.
        arr = out.view(np.ndarray)
    else:
        arr = None
        tensor = _torch_tensor(out)
        if tensor is not None:
            if str(tensor.dtype) == "torch.bfloat16":
                arr = _torch_bfloat16_view(tensor)
            out = tensor
        if arr is None and hasattr(out, "__dlpack__"):
            device = getattr(out, "__dlpack_device__", lambda: (1, 0))()
            if int(device[0]) not in (1, 3):  # kDLCPU, kDLCUDAHost
                raise TypeError(f"{name} lives on a non-CPU device (DLPack device {tuple(device)}); "
                                "use device='cuda' for GPU arrays")
            try:
                arr = np.from_dlpack(out)
            except (BufferError, TypeError, RuntimeError) as e:
                raise TypeError(f"{name} could not be exported through DLPack: {e}") from None
        elif arr is None and hasattr(out, "__array_interface__"):
            arr = np.asarray(out)
        elif arr is None:
            try:
                view = memoryview(out)
            except TypeError:
                raise TypeError(f"{name} must be a NumPy array, a DLPack tensor, or an object with "
                                f"__array_interface__ or the buffer protocol; got {type(out).__name__}"
                                ) from None
            if view.readonly:
                raise ValueError(f"{name} is read-only")
            arr = np.asarray(view)
    if not is_supported(arr.dtype):
        raise TypeError(f"{name} must have dtype float32, float64, float16 or bfloat16; got {arr.dtype}")
    if not arr.flags.writeable:
        raise ValueError(f"{name} is read-only")
    if not arr.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (got strides {arr.strides} for shape "
                         f"{arr.shape}); fill a contiguous array instead")
    return arr
