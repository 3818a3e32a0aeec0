"""Streaming tensors to disk with bounded memory: ``.npy`` files and
``.safetensors`` checkpoints.

Files are written window by window through a memory map of just that window
(``chunk_bytes``, 64 MiB by default), so resident memory stays bounded however
large the tensor is. The values equal the in-memory result bit for bit.

Safety (what a failed, interrupted or hostile run can and cannot do):

* every check that can fail - arguments, every tensor of a checkpoint spec,
  the destination (not a directory, not a device, FIFO or socket, the
  directory writable, enough free space) - runs before a file is created;
* the file is written under a temporary name in the destination directory,
  its space reserved up front (``posix_fallocate``: a full disk fails at once,
  not with a SIGBUS halfway), flushed with ``fsync``, renamed into place, and
  the directory is ``fsync``\\ ed: a failed, interrupted (SIGINT) or terminated
  (SIGTERM) run leaves no file under the final name and no temporary file;
* temporary files left by killed runs (SIGKILL, power loss) of the same
  destination are removed at the next write to it, once their process is gone;
* a symbolic link is followed: its target file is replaced, never the link;
* an existing file keeps its permission bits.
"""
import gc
import hashlib
import json
import math
import mmap
import os
import signal
import stat
import threading
import time

import numpy as np
from tqdm import tqdm

from ._validation import normalize_shape
from .dtypes import resolve_dtype
from .initializers import Initializer, get
from .regions import normalize_region, region_runs

CHUNK_BYTES = 64 << 20

#: The largest file this module writes (offsets are signed 64-bit).
_MAX_FILE_BYTES = 2**63 - 1

SAFETENSORS_DTYPES = {"float32": "F32", "float64": "F64", "float16": "F16", "bfloat16": "BF16"}


def human_bytes(n):
    """``4290000000`` -> ``"4.29GB"`` (decimal units, as tqdm shows them)."""
    return tqdm.format_sizeof(n, "B", 1000)


class Terminated(BaseException):
    """Raised in the main thread when SIGTERM arrives during a write (the write
    is cleaned up, then the signal's default action ends the process)."""


class _Progress:
    """A tqdm progress bar on stderr (bytes, rate, ETA), shown when stderr is a
    terminal unless ``enabled`` says otherwise; it disappears when done."""

    def __init__(self, total_bytes, label, enabled):
        self.start = time.perf_counter()
        self.bar = tqdm(total=total_bytes, desc=label, unit="B", unit_scale=True,
                        unit_divisor=1000, leave=False, mininterval=0.5,
                        disable=(None if enabled is None else not enabled))

    def update(self, done):
        self.bar.update(done - self.bar.n)

    def finish(self):
        self.bar.close()
        return time.perf_counter() - self.start


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


class _AtomicFile:
    """A regular file written under a temporary name and renamed into place on
    success. Construct it only after every other check has passed: it checks
    the destination, then creates the temporary file."""

    def __init__(self, path, size):
        self.path = _destination(path)
        if size > _MAX_FILE_BYTES:
            raise ValueError(f"{os.fspath(path)}: {size} bytes is more than a file can hold")
        directory, base = os.path.split(self.path)
        _check_directory(directory, size)
        # Temporary names stay within NAME_MAX (255 bytes) for any valid base
        # name: a prefix of it for people, a hash of it to find strays by.
        tag = hashlib.sha256(base.encode("utf-8", "surrogateescape")).hexdigest()[:12]
        self.prefix = f".{base[:64]}.{tag}."
        _remove_stale_temporaries(directory, self.prefix)
        self.tmp = os.path.join(directory, f"{self.prefix}{os.getpid()}.{os.urandom(4).hex()}.tmp")
        self.fd = os.open(self.tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            try:
                os.fchmod(self.fd, stat.S_IMODE(os.stat(self.path).st_mode))
            except FileNotFoundError:
                pass
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
        # The rename itself is durable only once the directory is synced.
        dfd = os.open(os.path.dirname(self.path), os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)

    def discard(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass


def _destination(path):
    """The absolute path of the regular file to (re)place for ``path``:
    symbolic links resolved; directories, devices, FIFOs and sockets refused."""
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike; got {type(path).__name__}")
    text = os.fspath(path)
    if not text:
        raise ValueError("path must not be empty")
    if text.endswith(os.sep):
        raise IsADirectoryError(f"path {text!r} names a directory; give a file name")
    target = os.path.realpath(text)  # follow symbolic links to the file they name
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(f"path {text!r} is a directory; give a file name")
    if not stat.S_ISREG(mode):
        kind = ("character device" if stat.S_ISCHR(mode) else "block device" if stat.S_ISBLK(mode)
                else "FIFO" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode)
                else "special file")
        raise ValueError(f"path {text!r} is a {kind}; fastinit writes regular files only "
                         "(it would replace it with a file)")
    return target


def _check_directory(directory, size):
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"output directory {directory!r} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(f"output directory {directory!r} is not writable")
    st = os.statvfs(directory)
    free = st.f_bavail * st.f_frsize
    if size > free:
        raise OSError(f"not enough space in {directory!r}: the file needs {human_bytes(size)}, "
                      f"{human_bytes(free)} free")


def _remove_stale_temporaries(directory, prefix):
    """Delete ``prefix<pid>.<hex>.tmp`` files whose writing process is gone."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid = name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            try:
                os.unlink(os.path.join(directory, name))
            except OSError:
                pass


def raise_terminated(signum, frame):
    """A SIGTERM handler that raises :class:`Terminated` (in the main thread)."""
    raise Terminated("terminated (SIGTERM)")


class _SigtermRaises:
    """While a file is written in the main thread, SIGTERM raises
    :class:`Terminated` (so the temporary file is removed) where it would
    otherwise kill the process at once; afterwards the signal's default
    action is carried out. A handler the program installed itself is left
    alone."""

    def __enter__(self):
        self.active = (threading.current_thread() is threading.main_thread()
                       and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL)
        if self.active:
            signal.signal(signal.SIGTERM, raise_terminated)
        return self

    def __exit__(self, kind, value, tb):
        if self.active:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            if kind is Terminated:
                signal.raise_signal(signal.SIGTERM)  # clean-up done: exit as SIGTERM does
        return False


def _stream(path, prefix, pieces, chunk_bytes, progress):
    """Write the bytes ``prefix``, then each piece ``(offset, init, shape,
    dtype, runs)`` at ``len(prefix) + offset``, to the file ``path`` (checked,
    created, committed; discarded on any failure or signal) under one progress
    bar. Returns the seconds spent."""
    total = sum(runs.size * dtype.itemsize for _, _, _, dtype, runs in pieces)
    with _SigtermRaises():
        f = _AtomicFile(path, len(prefix) + total)
        bar = None
        try:
            f.write_at(0, prefix)
            bar = _Progress(total, os.path.basename(f.path), progress)
            done = 0
            for offset, init, shape, dtype, runs in pieces:
                done = _write_tensor(f, len(prefix) + offset, init, shape, dtype, runs,
                                     chunk_bytes, bar, done)
            f.commit()
        except BaseException:
            f.discard()
            raise
        finally:
            seconds = bar.finish() if bar is not None else 0.0
    return seconds


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


def _checked(init, shape, dtype, what):
    """Every check generating ``init``'s ``dtype`` tensor of ``shape`` piecewise
    can fail, before any file exists."""
    if not isinstance(init, Initializer):
        raise TypeError(f"{what}: init must be a fastinit initializer; got {type(init).__name__}")
    init._check_region(slice(None))  # initializers that cannot work piecewise refuse here
    try:
        init._validate(shape, dtype)
    except ValueError as e:
        raise ValueError(f"{what}: {e}") from None
    return init


def _chunk_bytes(chunk_bytes, dtype):
    if int(chunk_bytes) < dtype.itemsize:
        raise ValueError(f"chunk_bytes must be >= {dtype.itemsize}; got {chunk_bytes}")
    return int(chunk_bytes)


def save_npy(path, init, shape, dtype=None, region=None, *, chunk_bytes=CHUNK_BYTES, progress=None):
    """Write ``init(shape, dtype, region)`` to a ``.npy`` file with bounded memory.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file; written atomically (see the module docstring).
    init : Initializer, name or config dict
    shape, dtype, region
        As for ``init(shape, dtype, region)``. bfloat16 is refused: NumPy
        cannot read it back from ``.npy`` (use :func:`save_safetensors`).
    chunk_bytes : int
        Size of the window mapped and filled at a time (bounds resident memory).
    progress : bool, optional
        Show a progress bar (bytes, rate, ETA) on stderr; default: when stderr
        is a terminal.

    Returns
    -------
    float
        Seconds spent writing.
    """
    init = get(init)
    shape = normalize_shape(shape)
    dtype = resolve_dtype(dtype)
    if dtype.name == "bfloat16":
        raise TypeError("dtype bfloat16 cannot be stored in .npy (NumPy cannot read it back); "
                        "use a .safetensors file instead")
    chunk = _chunk_bytes(chunk_bytes, dtype)
    starts, stops, result_shape = normalize_region(region, shape)
    _checked(init, shape, dtype, os.fspath(path))
    runs = region_runs(shape, starts, stops)
    return _stream(path, _npy_header(dtype, result_shape), [(0, init, shape, dtype, runs)], chunk,
                   progress)


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
    if not isinstance(name, str):
        raise TypeError(f"name must be a str; got {type(name).__name__}")
    words = np.frombuffer(hashlib.sha256(name.encode("utf-8")).digest(), "<u4")
    return np.random.SeedSequence(int(seed), spawn_key=tuple(int(w) for w in words))


def _no_duplicate_keys(pairs):
    keys = [k for k, _ in pairs]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ValueError(f"spec names {', '.join(map(repr, repeated))} more than once")
    return dict(pairs)


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
    checkpoint seed and the tensor's name (:func:`tensor_seed`). A name that
    appears twice in the JSON file is refused, and so is ``__metadata__``
    (reserved by the safetensors format).
    """
    if not isinstance(spec, dict):
        with open(spec) as fh:
            try:
                spec = json.load(fh, object_pairs_hook=_no_duplicate_keys)
            except json.JSONDecodeError as e:
                raise ValueError(f"spec {os.fspath(spec)!r} is not valid JSON: {e}") from None
    tensors = spec.get("tensors") if isinstance(spec, dict) else None
    if not isinstance(tensors, dict) or not tensors:
        raise ValueError("spec must be an object with a non-empty 'tensors' object")
    out = []
    for name in sorted(tensors):
        entry = tensors[name]
        if not isinstance(name, str) or not name or name == "__metadata__":
            raise ValueError(f"spec tensor name {name!r} is not allowed (non-empty strings other "
                             "than '__metadata__')")
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
        if not isinstance(config.get("config") or {}, dict):
            raise ValueError(f"spec tensor {name!r}: initializer 'config' must be an object")
        if (config.get("config") or {}).get("seed") is not None:
            raise ValueError(f"spec tensor {name!r}: initializer seeds are set by the checkpoint "
                             "seed; remove 'seed' from its config")
        try:
            get(config)  # validates the class name and its arguments now
        except (TypeError, ValueError) as e:
            raise ValueError(f"spec tensor {name!r}: {e}") from None
        out.append((name, shape, dtype, config))
    return out


def save_safetensors(path, tensors, metadata=None, *, chunk_bytes=CHUNK_BYTES, progress=None):
    """Write named tensors to a ``.safetensors`` file, streaming.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file; written atomically (see the module docstring).
    tensors : sequence of (name, init, shape, dtype)
        Each tensor is ``init(shape, dtype)``; names must be unique.
    metadata : dict of str -> str, optional
        Stored in the header's ``__metadata__`` (with fastinit's version).
    chunk_bytes, progress
        As for :func:`save_npy`.

    Returns
    -------
    float
        Seconds spent writing.
    """
    entries, header, offset = [], {}, 0
    for name, init, shape, dtype in tensors:
        if not isinstance(name, str) or not name or name == "__metadata__" or name in header:
            raise ValueError(f"tensor name {name!r} is empty, reserved or repeated")
        shape, dtype = normalize_shape(shape, f"{name}: shape"), resolve_dtype(dtype, f"{name}: dtype")
        init = _checked(get(init), shape, dtype, name)
        nbytes = math.prod(shape) * dtype.itemsize
        header[name] = {"dtype": SAFETENSORS_DTYPES[dtype.name], "shape": list(shape),
                        "data_offsets": [offset, offset + nbytes]}
        entries.append((name, init, shape, dtype))
        offset += nbytes
    if not entries:
        raise ValueError("tensors must not be empty")
    chunk = _chunk_bytes(chunk_bytes, max((e[3] for e in entries), key=lambda d: d.itemsize))
    from . import __version__
    meta = {"format": "pt", "generator": f"fastinit {__version__}"}
    for k, v in (metadata or {}).items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError("metadata must map str to str")
        meta[k] = v
    header["__metadata__"] = meta
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)  # data starts 8-byte aligned
    prefix = len(blob).to_bytes(8, "little") + blob

    pieces = [(header[name]["data_offsets"][0], init, shape, dtype,
               region_runs(shape, *normalize_region(None, shape)[:2]))
              for name, init, shape, dtype in entries]
    return _stream(path, prefix, pieces, chunk, progress)


def parse_size(size, name="max_shard_size"):
    """``"5GB"`` -> 5_000_000_000 bytes (KB/MB/GB/TB decimal, KiB/MiB/GiB/TiB
    binary, as Hugging Face reads them); an int is a number of bytes."""
    units = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
             "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        value = int(size)
    elif isinstance(size, str):
        text = size.strip().upper()
        number = text.rstrip("KMGTIB")
        unit = text[len(number):]
        try:
            value = int(float(number) * units[unit])
        except (KeyError, ValueError):
            raise ValueError(f"{name} must be bytes or a size like '5GB' or '500MiB'; "
                             f"got {size!r}") from None
    else:
        raise TypeError(f"{name} must be an int or a str like '5GB'; got {type(size).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be positive; got {size!r}")
    return value


#: The index file of a sharded checkpoint (Hugging Face's name).
SHARD_INDEX = "model.safetensors.index.json"


def save_checkpoint(path, spec, seed, *, max_shard_size=None, chunk_bytes=CHUNK_BYTES,
                    progress=None):
    """Write every tensor of ``spec`` to a ``.safetensors`` file (or a sharded
    Hugging Face checkpoint), streaming.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file; written atomically. With ``max_shard_size``, a
        directory (created if missing; other files in it are left alone).
    spec : dict or path
        See :func:`load_spec`. Every tensor is checked against its shape and
        dtype before any file is created.
    seed : int >= 0
        Checkpoint seed; tensor ``name`` uses :func:`tensor_seed` (seed, name).
        Stored in each file's metadata.
    max_shard_size : int or str, optional
        Split into ``model-00001-of-0000N.safetensors``, ... of at most this
        many bytes of tensor data each (a larger tensor gets a shard of its
        own), plus ``model.safetensors.index.json`` (``metadata.total_size``,
        ``weight_map``), as ``transformers``' ``save_pretrained`` does. Each
        file is atomic; the index is written last.
    chunk_bytes, progress
        As for :func:`save_npy`.

    Returns
    -------
    float
        Seconds spent writing.
    """
    tensor_seed(seed, "")  # validate the seed first
    tensors = [(name, get(config).with_seed(tensor_seed(seed, name)), shape, dtype)
               for name, shape, dtype, config in load_spec(spec)]
    meta = {"seed": str(seed)}
    if max_shard_size is None:
        return save_safetensors(path, tensors, meta, chunk_bytes=chunk_bytes, progress=progress)
    limit = parse_size(max_shard_size)
    for name, init, shape, dtype in tensors:  # every check before the first file
        _checked(init, shape, dtype, name)
    shards, size = [[]], 0
    for entry in tensors:
        nbytes = math.prod(entry[2]) * entry[3].itemsize
        if shards[-1] and size + nbytes > limit:
            shards.append([])
            size = 0
        shards[-1].append(entry)
        size += nbytes
    directory = os.fspath(path)
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise NotADirectoryError(f"{directory!r} exists and is not a directory (a sharded "
                                 "checkpoint is written into a directory)")
    os.makedirs(directory, exist_ok=True)
    names = [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))]
    seconds = sum(save_safetensors(os.path.join(directory, file), shard, meta,
                                   chunk_bytes=chunk_bytes, progress=progress)
                  for file, shard in zip(names, shards))
    index = {"metadata": {"total_size": sum(math.prod(e[2]) * e[3].itemsize for e in tensors)},
             "weight_map": {e[0]: file for file, shard in zip(names, shards) for e in shard}}
    blob = json.dumps(index, indent=2, sort_keys=True).encode() + b"\n"
    _stream(os.path.join(directory, SHARD_INDEX), blob, [], chunk_bytes, False)
    return seconds
