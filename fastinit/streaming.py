"""Streaming tensors to disk with bounded memory: ``.npy`` files and
``.safetensors`` checkpoints.

Files are written window by window through a memory map of just that window
(``chunk_bytes``, 64 MiB by default), so resident memory stays bounded however
large the tensor is. Every file is written under a temporary name in the
destination directory, its space reserved up front (``posix_fallocate``: a
full disk fails at once, not with a SIGBUS halfway), flushed with ``fsync``
and renamed into place at the end: an interrupted or failed run leaves no
file under the final name. The values equal the in-memory result bit for bit.
"""
import gc
import hashlib
import json
import math
import mmap
import os
import sys
import time

import numpy as np

from ._validation import normalize_shape
from .dtypes import resolve_dtype
from .initializers import Initializer, get
from .regions import normalize_region, region_runs

CHUNK_BYTES = 64 << 20

SAFETENSORS_DTYPES = {"float32": "F32", "float64": "F64", "float16": "F16", "bfloat16": "BF16"}


class _Progress:
    """A one-line progress display on stderr and a throughput line at the end."""

    def __init__(self, total_bytes, label, enabled):
        self.total = total_bytes
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else bool(enabled)
        self.start = time.perf_counter()
        self.last = 0.0

    def update(self, done):
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.last >= 0.5 or done == self.total:
            self.last = now
            pct = 100.0 * done / self.total if self.total else 100.0
            print(f"\r{self.label}: {pct:5.1f}% of {self.total / 1e9:.2f} GB", end="", file=sys.stderr)

    def finish(self):
        seconds = time.perf_counter() - self.start
        if self.enabled:
            rate = self.total / seconds / 1e9 if seconds > 0 else float("inf")
            print(f"\r{self.label}: wrote {self.total / 1e9:.3f} GB in {seconds:.2f} s "
                  f"({rate:.2f} GB/s)", file=sys.stderr)
        return seconds


class _AtomicFile:
    """A file written under a temporary name and renamed into place on success."""

    def __init__(self, path, size):
        self.path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"output directory {directory!r} does not exist")
        base = os.path.basename(self.path)
        self.tmp = os.path.join(directory, f".{base}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        self.fd = os.open(self.tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            if size:
                os.posix_fallocate(self.fd, 0, size)
        except BaseException:
            self.discard()
            raise

    def write_at(self, offset, data):
        os.pwrite(self.fd, data, offset)

    def map_window(self, offset, nbytes):
        """A writable mmap covering ``[offset, offset + nbytes)`` and the
        position of ``offset`` inside it."""
        start = offset - offset % mmap.ALLOCATIONGRANULARITY
        mm = mmap.mmap(self.fd, offset + nbytes - start, offset=start)
        return mm, offset - start

    def commit(self):
        os.fsync(self.fd)
        os.close(self.fd)
        self.fd = None
        os.replace(self.tmp, self.path)

    def discard(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass


def _write_tensor(f, offset, init, shape, dtype, runs, chunk_bytes, progress, done):
    """Stream the tensor (``runs`` of ``shape``) into the file at ``offset``."""
    window = max(1, chunk_bytes // dtype.itemsize)
    for a in range(0, runs.size, window):
        n = min(window, runs.size - a)
        mm, skip = f.map_window(offset + a * dtype.itemsize, n * dtype.itemsize)
        _fill_window(mm, skip, init, shape, dtype, runs, a, n)
        _close_map(mm)
        done += n * dtype.itemsize
        progress.update(done)
    return done


def _fill_window(mm, skip, init, shape, dtype, runs, pos, n):
    # A separate frame, so no array view of the map outlives it (mm.close()
    # refuses while one exists, even when an exception is propagating).
    init._generate(np.frombuffer(mm, dtype, count=n, offset=skip), shape, runs, pos=pos)


def _close_map(mm):
    try:
        mm.close()
    except BufferError:
        # A kernel's first call compiles it, and Numba's compile machinery can
        # leave reference cycles holding the arguments; collect them.
        gc.collect()
        mm.close()


def _check_streamable(init):
    if not isinstance(init, Initializer):
        raise TypeError(f"init must be a fastinit initializer; got {type(init).__name__}")
    init._check_region(slice(None))  # initializers that cannot work piecewise refuse here


def save_npy(path, init, shape, dtype=None, region=None, *, chunk_bytes=CHUNK_BYTES, progress=None):
    """Write ``init(shape, dtype, region)`` to a ``.npy`` file with bounded memory.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; written atomically (temporary name, then rename).
    init : Initializer, name or config dict
    shape, dtype, region
        As for ``init(shape, dtype, region)``. bfloat16 is refused: NumPy
        cannot read it back from ``.npy`` (use :func:`save_checkpoint`).
    chunk_bytes : int
        Size of the window mapped and filled at a time (bounds resident memory).
    progress : bool, optional
        Show a progress line and a final throughput line on stderr (default:
        when stderr is a terminal).

    Returns
    -------
    float
        Seconds spent writing.
    """
    init = get(init)
    _check_streamable(init)
    shape = normalize_shape(shape)
    dtype = resolve_dtype(dtype)
    if dtype.name == "bfloat16":
        raise TypeError("dtype bfloat16 cannot be stored in .npy (NumPy cannot read it back); "
                        "use save_checkpoint (safetensors) instead")
    if int(chunk_bytes) < dtype.itemsize:
        raise ValueError(f"chunk_bytes must be >= {dtype.itemsize}; got {chunk_bytes}")
    starts, stops, result_shape = normalize_region(region, shape)
    runs = region_runs(shape, starts, stops)
    header = _npy_header(dtype, result_shape)
    nbytes = runs.size * dtype.itemsize
    f = _AtomicFile(path, len(header) + nbytes)
    try:
        f.write_at(0, header)
        progress = _Progress(nbytes, os.path.basename(os.fspath(path)), progress)
        _write_tensor(f, len(header), init, shape, dtype, runs, int(chunk_bytes), progress, 0)
        f.commit()
    except BaseException:
        f.discard()
        raise
    return progress.finish()


def _npy_header(dtype, shape):
    import io
    buf = io.BytesIO()
    header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": shape}
    if len(repr(header)) > 65000:  # format 1.0 headers are limited to 64 KiB
        np.lib.format.write_array_header_2_0(buf, header)
    else:
        np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue()


def tensor_seed(seed, name):
    """The SeedSequence of tensor ``name`` in a checkpoint seeded with ``seed``:
    ``SeedSequence(seed, spawn_key=words)`` with ``words`` the eight
    little-endian uint32 words of ``sha256(name.encode("utf-8"))``. A tensor's
    values therefore depend only on (seed, name, its spec), not on the other
    tensors in the file or their order."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"seed must be a non-negative int; got {seed!r}")
    words = np.frombuffer(hashlib.sha256(name.encode("utf-8")).digest(), "<u4")
    return np.random.SeedSequence(int(seed), spawn_key=tuple(int(w) for w in words))


def load_spec(spec):
    """Validate a checkpoint spec (a dict, or a path to a JSON file) and return
    ``[(name, shape, dtype, initializer_config)]`` sorted by name.

    Spec format (JSON)::

        {"tensors": {
            "<name>": {"shape": [d0, d1, ...],
                       "dtype": "float32" | "float64" | "float16" | "bfloat16",  (default float32)
                       "initializer": "<name>" | {"class_name": ..., "config": {...}}},
            ...}}

    Initializer configs must not carry a seed: each tensor's key comes from the
    checkpoint seed and the tensor's name (:func:`tensor_seed`).
    """
    if not isinstance(spec, dict):
        with open(spec) as fh:
            try:
                spec = json.load(fh)
            except json.JSONDecodeError as e:
                raise ValueError(f"spec {spec!r} is not valid JSON: {e}") from None
    tensors = spec.get("tensors") if isinstance(spec, dict) else None
    if not isinstance(tensors, dict) or not tensors:
        raise ValueError("spec must be an object with a non-empty 'tensors' object")
    out = []
    for name in sorted(tensors):
        entry = tensors[name]
        if not isinstance(entry, dict):
            raise ValueError(f"spec tensor {name!r} must be an object")
        unknown = set(entry) - {"shape", "dtype", "initializer"}
        if unknown:
            raise ValueError(f"spec tensor {name!r} has unknown keys {sorted(unknown)}")
        if "shape" not in entry or "initializer" not in entry:
            raise ValueError(f"spec tensor {name!r} needs 'shape' and 'initializer'")
        shape = normalize_shape(entry["shape"], f"{name}: shape")
        dtype = resolve_dtype(entry.get("dtype"), f"{name}: dtype")
        ident = entry["initializer"]
        config = {"class_name": ident, "config": {}} if isinstance(ident, str) else ident
        if not isinstance(config, dict) or "class_name" not in config:
            raise ValueError(f"spec tensor {name!r}: initializer must be a name or "
                             "{'class_name': ..., 'config': {...}}")
        if (config.get("config") or {}).get("seed") is not None:
            raise ValueError(f"spec tensor {name!r}: initializer seeds are set by the checkpoint "
                             "seed; remove 'seed' from its config")
        get(config)  # validates the class name and its arguments now
        out.append((name, shape, dtype, config))
    return out


def save_checkpoint(path, spec, seed, *, chunk_bytes=CHUNK_BYTES, progress=None):
    """Write every tensor of ``spec`` to a ``.safetensors`` file, streaming.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; written atomically.
    spec : dict or path
        See :func:`load_spec`.
    seed : int >= 0
        Checkpoint seed; tensor ``name`` uses :func:`tensor_seed` (seed, name).
    chunk_bytes, progress
        As for :func:`save_npy`.

    Returns
    -------
    float
        Seconds spent writing.
    """
    tensors = load_spec(spec)
    tensor_seed(seed, "")  # validate the seed before any file is created
    header, offset = {}, 0
    for name, shape, dtype, _ in tensors:
        nbytes = math.prod(shape) * dtype.itemsize
        header[name] = {"dtype": SAFETENSORS_DTYPES[dtype.name], "shape": list(shape),
                        "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    from . import __version__
    header["__metadata__"] = {"format": "pt", "generator": f"fastinit {__version__}",
                              "seed": str(seed)}
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)  # data starts 8-byte aligned
    prefix = len(blob).to_bytes(8, "little") + blob
    f = _AtomicFile(path, len(prefix) + offset)
    try:
        f.write_at(0, prefix)
        progress = _Progress(offset, os.path.basename(os.fspath(path)), progress)
        done = 0
        for name, shape, dtype, config in tensors:
            init = get(config).with_seed(tensor_seed(seed, name))
            _check_streamable(init)
            runs = region_runs(shape, *normalize_region(None, shape)[:2])
            done = _write_tensor(f, len(prefix) + header[name]["data_offsets"][0], init, shape,
                                 dtype, runs, int(chunk_bytes), progress, done)
        f.commit()
    except BaseException:
        f.discard()
        raise
    return progress.finish()
