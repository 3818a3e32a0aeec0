"""Regression tests for the defects found by hostile testing (issue 11): each
test names the item it pins and failed on the code before the fix."""
import importlib.metadata
import json
import os
import signal
import stat
import subprocess
import sys
import time

import numpy as np
import pytest

import fastinit
from fastinit import _validation, cpu, streaming

EXAMPLE_CODE_TIMEOUT = 120


def run_py(code, **kw):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=EXAMPLE_CODE_TIMEOUT, **kw)


def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "fastinit", *args], capture_output=True,
                          text=True, timeout=EXAMPLE_CODE_TIMEOUT, **kw)


def temporaries(directory):
    return [n for n in os.listdir(directory) if n.endswith(".tmp")]


# 1. ndarray subclasses -------------------------------------------------------

def test_matrix_is_filled_through_a_plain_view_not_segfault():
    # In a subprocess: before the fix the interpreter died with SIGSEGV.
    r = run_py("import numpy as np, fastinit\n"
               "m = np.asmatrix(np.zeros((2, 64), np.float32))\n"
               "fastinit.lecun_normal(seed=0).fill(m)\n"
               "assert np.array_equal(np.asarray(m), fastinit.lecun_normal(seed=0)((2, 64)))\n"
               "print('ok')")
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-1000:]


def test_memmap_subclass_filled_and_masked_array_refused(tmp_path):
    mm = np.memmap(tmp_path / "m.bin", np.float32, "w+", shape=(4, 64))
    fastinit.he_normal(seed=1).fill(mm)
    assert np.array_equal(np.asarray(mm), fastinit.he_normal(seed=1)((4, 64)))
    masked = np.ma.zeros((2, 3), np.float32)
    with pytest.raises(TypeError, match="masked array"):
        fastinit.lecun_normal(seed=0).fill(masked)
    assert not masked.data.any()


# 2, 3, 14: Zarr ------------------------------------------------------------

def test_zarr_resume_refuses_another_initializer_and_foreign_stores(tmp_path):
    zarr = pytest.importorskip("zarr")
    fdask = pytest.importorskip("fastinit.dask")
    store = str(tmp_path / "w.zarr")
    shape, chunks = (64, 48), (32, 16)
    assert fdask.to_zarr(fastinit.lecun_normal(seed=0), shape, store, chunks=chunks) == 6
    before = zarr.open_array(store)[:]
    for other in (fastinit.he_uniform(seed=1), fastinit.lecun_normal(seed=1)):
        with pytest.raises(ValueError, match="refusing to resume"):
            fdask.to_zarr(other, shape, store, chunks=chunks)
    with pytest.raises(ValueError, match="refusing to resume"):
        fdask.to_zarr(fastinit.lecun_normal(seed=0), shape, store, "float64", chunks=chunks)
    assert np.array_equal(zarr.open_array(store)[:], before)
    record = zarr.open_array(store).attrs["fastinit"]
    assert record["class_name"] == "LecunNormal" and record["shape"] == list(shape)
    assert record["stream_version"] == fastinit.philox.STREAM_VERSION
    # A Zarr array that fastinit did not write is never resumed.
    foreign = str(tmp_path / "foreign.zarr")
    zarr.create_array(foreign, shape=shape, chunks=chunks, dtype="float32")
    with pytest.raises(ValueError, match="not written by fastinit"):
        fdask.to_zarr(fastinit.lecun_normal(seed=0), shape, foreign, chunks=chunks)


def test_zarr_overwrite_never_deletes_other_files(tmp_path):
    pytest.importorskip("zarr")
    fdask = pytest.importorskip("fastinit.dask")
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "sub").mkdir()
    for resume in (False, True):
        with pytest.raises(ValueError, match="other than one Zarr array"):
            fdask.to_zarr(fastinit.lecun_normal(seed=0), (8, 8), str(tmp_path), chunks=(4, 4),
                          resume=resume)
    assert sorted(os.listdir(tmp_path)) == ["notes.txt", "sub"]
    # A Zarr array alone at the path is replaced.
    store = str(tmp_path / "w.zarr")
    fdask.to_zarr(fastinit.lecun_normal(seed=0), (8, 8), store, chunks=(4, 4))
    assert fdask.to_zarr(fastinit.he_uniform(seed=2), (8, 8), store, chunks=(4, 4),
                         resume=False) == 4


def test_zarr_bad_chunks_are_one_line_errors():
    fdask = pytest.importorskip("fastinit.dask")
    for chunks in ((0, 0), (-2, 4)):
        with pytest.raises(ValueError, match="chunks must be positive"):
            fdask.to_zarr(fastinit.lecun_normal(seed=0), (8, 8), "unused.zarr", chunks=chunks)
    assert not os.path.exists("unused.zarr")


# 4. memory limits -------------------------------------------------------------

def _fake_cgroups(tmp_path, monkeypatch, version, limit, usage, inactive=0):
    root = tmp_path / "cg"
    proc = tmp_path / "proc_cgroup"
    if version == 2:
        d = root / "kubepods" / "pod1"
        d.mkdir(parents=True)
        (d / "memory.max").write_text(f"{limit}\n")
        (d / "memory.current").write_text(f"{usage}\n")
        (d / "memory.stat").write_text(f"anon 1\ninactive_file {inactive}\n")
        (root / "kubepods" / "memory.max").write_text("max\n")
        proc.write_text("0::/kubepods/pod1\n")
    else:
        d = root / "memory" / "docker" / "abc"
        d.mkdir(parents=True)
        (d / "memory.limit_in_bytes").write_text(f"{limit}\n")
        (d / "memory.usage_in_bytes").write_text(f"{usage}\n")
        (d / "memory.stat").write_text(f"total_inactive_file {inactive}\n")
        (root / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
        (root / "memory" / "memory.usage_in_bytes").write_text("1\n")
        proc.write_text("5:cpu:/\n4:memory:/docker/abc\n0::/\n")
    monkeypatch.setattr(_validation, "CGROUP_ROOT", str(root))
    monkeypatch.setattr(_validation, "PROC_SELF_CGROUP", str(proc))


@pytest.mark.parametrize("version", [1, 2])
def test_container_memory_limit_gives_memory_error(tmp_path, monkeypatch, version):
    gib = 1 << 30
    _fake_cgroups(tmp_path, monkeypatch, version, limit=2 * gib, usage=gib // 2,
                  inactive=gib // 4)
    assert _validation.cgroup_available_memory() == 2 * gib - gib // 4
    assert _validation.available_memory() <= 2 * gib - gib // 4
    with pytest.raises(MemoryError, match="3.35 GiB"):
        fastinit.lecun_normal(seed=0)((30000, 30000))


def test_real_cgroup_v1_limit(tmp_path):
    # A real memory cgroup with a 1 GiB limit, where this machine lets root make one.
    base = "/sys/fs/cgroup/memory"
    group = os.path.join(base, f"fastinit-test-{os.getpid()}")
    try:
        os.mkdir(group)
    except OSError:
        pytest.skip("cannot create a memory cgroup here (needs root and cgroup v1)")
    try:
        with open(os.path.join(group, "memory.limit_in_bytes"), "w") as f:
            f.write(str(1 << 30))
        code = ("import os\n"
                f"open({os.path.join(group, 'cgroup.procs')!r}, 'w').write(str(os.getpid()))\n"
                "import fastinit\n"
                "try:\n"
                "    fastinit.lecun_normal(seed=0)((30000, 30000))\n"
                "except MemoryError as e:\n"
                "    print('MemoryError', e)\n")
        r = run_py(code)
        assert r.returncode == 0 and r.stdout.startswith("MemoryError"), (r.stdout, r.stderr)
    finally:
        for _ in range(50):
            try:
                os.rmdir(group)
                break
            except OSError:
                time.sleep(0.1)


def test_orthogonal_temporaries_are_counted(monkeypatch):
    init = fastinit.Orthogonal(seed=0)
    shape = (4096, 4096)
    output = 4096 * 4096 * 4
    assert init._scratch_bytes(shape, np.dtype(np.float32)) >= 8 * output  # ~10x the output
    monkeypatch.setattr(_validation, "available_memory", lambda: 2 * output)
    with pytest.raises(MemoryError):
        init(shape)
    with pytest.raises(MemoryError):
        init.fill(np.zeros(shape, np.float32))


def test_identity_region_costs_the_region():
    import tracemalloc
    fastinit.identity()((4, 4))  # compile first: only the region's cost is measured
    tracemalloc.start()
    got = fastinit.identity()((10**9, 10**9), region=np.s_[:4, :4])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert np.array_equal(got, np.eye(4, dtype=np.float32)) and peak < 1 << 20
    full = fastinit.identity(gain=2.0)((300, 200))
    for region in (np.s_[10:50, 5:60], np.s_[150:250], np.s_[3, :], np.s_[:, 7]):
        assert np.array_equal(fastinit.identity(gain=2.0)((300, 200), region=region), full[region])


# 5. fork ----------------------------------------------------------------------
# In a fresh interpreter: the threading layer is chosen at the first parallel
# launch, and pytest's process may already have chosen one.
FORK_CODE = """
import multiprocessing, threading, numpy as np, fastinit
from fastinit import cpu

def child(queue):
    queue.put(fastinit.lecun_normal(seed=0)((1 << 16,)).tobytes())

def forked_fill():
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    p = ctx.Process(target=child, args=(queue,))
    p.start()
    try:  # read before joining: a child cannot exit while its queue data is unread
        got = queue.get(timeout=30)
    except Exception:
        got = None
    p.join(10)
    if p.is_alive():
        p.kill()
    return p.exitcode, got

if __name__ == "__main__":
    want = fastinit.lecun_normal(seed=0)((1 << 16,)).tobytes()  # the parent has filled
    assert forked_fill() == (0, want), "child after a fill"
    with cpu._LAUNCH:  # as if another thread were inside a fill at fork time
        assert forked_fill() == (0, want), "child forked while the launch lock was held"
    got = []
    t = threading.Thread(target=lambda: got.append(forked_fill()))
    t.start()
    t.join()
    assert got == [(0, want)], "child forked from a thread other than the main one"
    big = np.empty(1 << 24, np.float32)
    stop = threading.Event()
    def fill_until_stopped():
        while not stop.is_set():
            fastinit.lecun_normal(seed=1).fill(big)
    t = threading.Thread(target=fill_until_stopped)
    t.start()
    try:
        for _ in range(3):  # the thread is inside a fill most of the time
            assert forked_fill() == (0, want), "child forked while another thread filled"
    finally:
        stop.set()
        t.join()
    assert fastinit.lecun_normal(seed=0)((1 << 16,)).tobytes() == want, "the parent after"
    print("ok")
"""


def test_fill_works_in_forked_children(tmp_path):
    script = tmp_path / "fork_check.py"
    script.write_text(FORK_CODE)
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    # Under TBB, Numba may print a line of its own when a fork finds its
    # workers busy (docs/internals.md, "Threading and fork"); nothing else.
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and lines[-1:] == ["ok"], r.stderr[-2000:]
    assert all(not line or line.startswith("Unable to join threads to shut down before fork()")
               for line in lines[:-1]), r.stdout


def test_tbb_is_the_threading_layer_where_installed():
    # The dependency is there for its cheap launches: it must really load
    # (pip puts its library where Numba does not look; fastinit._jit loads it).
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_THREADING_LAYER"}
    code = ("import fastinit, numba; fastinit.lecun_normal(seed=0)((1 << 16,)); "
            "print(numba.threading_layer())")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                       env=env)
    try:
        importlib.metadata.distribution("tbb")
        want = "tbb"
    except importlib.metadata.PackageNotFoundError:
        want = "workqueue"
    assert r.returncode == 0 and r.stdout.split()[-1:] == [want], r.stderr[-2000:]


# 6, 7, 8, 12: files -------------------------------------------------------------

def test_fifo_and_device_are_refused_not_replaced(tmp_path):
    fifo = tmp_path / "pipe.npy"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="FIFO"):
        fastinit.save_npy(fifo, "lecun_normal", (4,))
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    r = cli("sample", "lecun_normal", "--shape", "4", "--out", str(fifo))
    assert r.returncode == 2 and "FIFO" in r.stderr and r.stderr.count("\n") == 1
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    device = tmp_path / "null.npy"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        return  # creating device nodes needs root
    with pytest.raises(ValueError, match="character device"):
        fastinit.save_npy(device, "lecun_normal", (4,))
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert temporaries(tmp_path) == []


def test_symlink_is_followed_and_kept(tmp_path):
    target = tmp_path / "real.npy"
    target.write_bytes(b"old")
    link = tmp_path / "link.npy"
    link.symlink_to(target)
    fastinit.save_npy(link, fastinit.lecun_normal(seed=0), (8, 8))
    assert os.path.islink(link) and os.readlink(link) == str(target)
    assert np.array_equal(np.load(target), fastinit.lecun_normal(seed=0)((8, 8)))


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    probe = streaming._AtomicFile(tmp_path / "w.npy", 0)
    prefix = probe.prefix
    probe.discard()
    stale = tmp_path / f"{prefix}{dead}.deadbeef.tmp"
    alive = tmp_path / f"{prefix}{os.getpid()}.cafef00d.tmp"
    other = tmp_path / f".other.npy.123456789012.{dead}.deadbeef.tmp"
    for p in (stale, alive, other):
        p.write_bytes(b"x" * 100)
    fastinit.save_npy(tmp_path / "w.npy", "lecun_normal", (4,))
    assert not stale.exists() and alive.exists() and other.exists()


@pytest.mark.parametrize("how", ["api", "cli"])
def test_sigterm_removes_the_temporary_file(tmp_path, how):
    out = tmp_path / "big.npy"
    if how == "api":
        cmd = [sys.executable, "-c",
               "import fastinit; fastinit.save_npy(%r, fastinit.lecun_normal(seed=0), "
               "(4000, 4000), chunk_bytes=4096)" % str(out)]
    else:
        cmd = [sys.executable, "-m", "fastinit", "sample", "lecun_normal", "--shape", "30000",
               "30000", "--seed", "0", "--out", str(out)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not temporaries(tmp_path) and time.time() < deadline and p.poll() is None:
        time.sleep(0.01)
    assert temporaries(tmp_path), "the writer never started"
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode in (-signal.SIGTERM, 143), err
    if how == "cli":
        assert p.returncode == 143 and err.strip() == "fastinit: terminated; nothing written"
    assert os.listdir(tmp_path) == []


def test_cli_ctrl_c_prints_one_line_and_exits_130(tmp_path):
    # The child gets SIGINT's default disposition, as under a terminal: a
    # test run started in the background by a shell inherits SIGINT ignored
    # (POSIX), and Python then installs no KeyboardInterrupt handler.
    p = subprocess.Popen([sys.executable, "-m", "fastinit", "sample", "lecun_normal", "--shape",
                          "30000", "30000", "--seed", "0", "--out", str(tmp_path / "w.npy")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 60
    while not temporaries(tmp_path) and time.time() < deadline and p.poll() is None:
        time.sleep(0.01)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130 and err.strip() == "fastinit: interrupted; nothing written"
    assert os.listdir(tmp_path) == []


def test_checkpoint_checks_every_tensor_before_writing(tmp_path):
    spec = {"tensors": {"a": {"shape": [2000, 2000], "initializer": "lecun_normal"},
                        "b": {"shape": [2, 3, 4], "initializer": "identity"}}}
    with pytest.raises(ValueError, match="b: Identity needs a 2-D shape"):
        fastinit.save_checkpoint(tmp_path / "m.safetensors", spec, seed=0)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("out,error", [
    ("", "must not be empty"), ("{d}/", "names a directory"), ("{d}", "is a directory")])
def test_bad_destinations_are_refused_before_writing(tmp_path, out, error):
    with pytest.raises((ValueError, OSError), match=error):
        fastinit.save_npy(out.format(d=tmp_path), "lecun_normal", (1000, 1000))
    assert os.listdir(tmp_path) == []


def test_no_space_is_refused_before_writing(tmp_path, monkeypatch):
    real = os.statvfs

    def tiny(path):
        st = real(path)
        return os.statvfs_result((st.f_bsize, 4096, st.f_blocks, 10, 10, st.f_files,
                                  st.f_ffree, st.f_favail, st.f_flag, st.f_namemax))
    monkeypatch.setattr(streaming.os, "statvfs", tiny)
    with pytest.raises(OSError, match="not enough space"):
        fastinit.save_npy(tmp_path / "w.npy", "lecun_normal", (1000, 1000))
    assert os.listdir(tmp_path) == []


def test_overwrite_keeps_permissions_long_names_and_syncs_directory(tmp_path, monkeypatch):
    target = tmp_path / "w.npy"
    target.write_bytes(b"old")
    os.chmod(target, 0o600)
    synced_dirs = []
    real_fsync = os.fsync

    def fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            synced_dirs.append(fd)
        real_fsync(fd)
    monkeypatch.setattr(streaming.os, "fsync", fsync)
    fastinit.save_npy(target, "lecun_normal", (8,))
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600 and synced_dirs
    long_name = tmp_path / ("x" * 246 + ".npy")  # 250 characters: valid, NAME_MAX is 255
    fastinit.save_npy(long_name, "lecun_normal", (8,))
    assert long_name.exists() and temporaries(tmp_path) == []


# 9, 10: values ------------------------------------------------------------------

@pytest.mark.parametrize("init,dtype", [
    (fastinit.RandomUniform(-2e38, 2e38, seed=0), np.float32),
    (fastinit.RandomUniform(-1e308, 1e308, seed=0), np.float64),
    (fastinit.RandomUniform(0, 1e-50, seed=0), np.float32),
    (fastinit.RandomUniform(-0.1, 0.1, seed=0), np.float32),
    (fastinit.VarianceScaling(scale=1e308, distribution="uniform", seed=0), np.float64),
    (fastinit.RandomUniform(-1e4, 6e4, seed=0), np.float16),
])
def test_uniform_values_are_finite_inside_bounds_and_vary(init, dtype):
    n = 16292516 if init.get_config().get("minval") == -0.1 else 100_000
    shape = (1, n)  # fan_in 1: scale=1e308 is the variance itself, and 3 * scale overflows
    x = init(shape, dtype).reshape(-1)
    lo, hi = init._sampler(shape, np.dtype(np.float64))[2][:2]
    assert np.isfinite(x.astype(np.float64)).all()
    assert (x.astype(np.float64) >= lo).all() and (x.astype(np.float64) < hi).all()
    if init.get_config().get("maxval") != 1e-50:  # [0, 1e-50) holds only 0 in float32
        assert len(np.unique(x[:1000])) > 500  # float16's grid is coarse


def test_uniform_of_a_single_value_interval_is_that_value():
    assert not fastinit.RandomUniform(0, 1e-50, seed=0)((1000,)).any()


@pytest.mark.parametrize("init,dtype", [
    (fastinit.VarianceScaling(scale=1e308, distribution="uniform", seed=0), np.float32),
    (fastinit.RandomNormal(stddev=1e38, seed=0), np.float32),
    (fastinit.RandomNormal(stddev=1e308, seed=0), np.float64),
    (fastinit.RandomNormal(stddev=1e4, seed=0), np.float16),
    (fastinit.RandomUniform(-1e39, 1e39, seed=0), "bfloat16"),
])
def test_ranges_beyond_the_dtype_are_refused(init, dtype):
    buf = np.zeros(10, np.float32 if dtype == "bfloat16" else dtype)
    with pytest.raises(ValueError, match="beyond the largest finite"):
        init((10,), dtype)
    if dtype != "bfloat16":
        with pytest.raises(ValueError, match="beyond the largest finite"):
            init.fill(buf)
        assert not buf.any()


def test_uniform_values_of_ordinary_intervals_did_not_change():
    # The scale factor and lower clamp leave ordinary intervals' values alone:
    # float32 RandomUniform(0, 1) is still exactly the top 24 bits / 2**24.
    x = fastinit.RandomUniform(0.0, 1.0, seed=3)((4096,))
    bits = fastinit.random_bits(3, 4096)
    assert np.array_equal(x, (bits >> 8).astype(np.float32) / np.float32(2**24))


# 11: one-line CLI errors ------------------------------------------------------

@pytest.mark.parametrize("args,match", [
    (["sample", "lecun_normal", "--shape", "4611686018427387904", "--out", "{d}/h.npy"],
     "more than a file can hold"),
    (["demo", "--elements", "inf"], "--elements must be a finite number"),
    (["checkpoint", "{d}/spec.json", "--seed", "0", "--out", "{d}/m.safetensors"],
     "config' must be an object"),
    (["checkpoint", "{d}/meta.json", "--seed", "0", "--out", "{d}/m.safetensors"],
     "'__metadata__' is not allowed"),
    (["checkpoint", "{d}/dup.json", "--seed", "0", "--out", "{d}/m.safetensors"],
     "'w' more than once"),
])
def test_cli_errors_are_one_line(tmp_path, args, match):
    (tmp_path / "spec.json").write_text(json.dumps(
        {"tensors": {"w": {"shape": [4], "initializer": {"class_name": "Zeros", "config": 3}}}}))
    (tmp_path / "meta.json").write_text(json.dumps(
        {"tensors": {"__metadata__": {"shape": [4], "initializer": "zeros"}}}))
    (tmp_path / "dup.json").write_text(
        '{"tensors": {"w": {"shape": [4], "initializer": "zeros"}, '
        '"w": {"shape": [8], "initializer": "ones"}}}')
    before = sorted(os.listdir(tmp_path))
    r = cli(*[a.format(d=tmp_path) for a in args])
    assert r.returncode == 2 and match in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert sorted(os.listdir(tmp_path)) == before


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_demo_runs_in_16_bit(dtype):
    r = cli("demo", "--elements", "2e6", "--dtype", dtype)
    assert r.returncode == 0, r.stderr
    assert dtype in r.stdout and "FAILED" not in r.stderr


def test_tensor_seed_refuses_bytes_names():
    with pytest.raises(TypeError, match="name must be a str"):
        fastinit.tensor_seed(0, b"a")


# 13: torch parameters -------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_torch_parameters_of_every_dtype_filled_in_place(dtype):
    torch = pytest.importorskip("torch")
    layer = torch.nn.Linear(64, 32).to(getattr(torch, dtype))
    fastinit.lecun_normal(seed=0).fill(layer.weight)
    assert layer.weight.requires_grad
    want = fastinit.lecun_normal(seed=0)((32, 64), dtype)
    got = layer.weight.detach()
    got = got.view(torch.int16).numpy().view(np.uint16) if dtype == "bfloat16" else got.numpy()
    assert np.array_equal(got, want.view(np.uint16) if dtype == "bfloat16" else want)


# 15: interrupts between launches ------------------------------------------------

def test_long_fills_are_launched_in_interruptible_windows(monkeypatch):
    launches = []
    kind = fastinit.samplers.TRUNC2_REJECT_F32
    real = cpu._ENTRY[kind]

    def counting(out, *args):
        launches.append(out.size)
        return real(out, *args)
    monkeypatch.setitem(cpu._ENTRY, kind, counting)
    monkeypatch.setattr(cpu, "INTERRUPT_WINDOW", 1000)
    init = fastinit.lecun_normal(seed=0, method="rejection")
    x = init((3500,))
    assert launches == [1000, 1000, 1000, 500]
    monkeypatch.setattr(cpu, "INTERRUPT_WINDOW", 1 << 24)
    assert np.array_equal(x, init((3500,)))
