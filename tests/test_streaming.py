"""Streaming .npy and .safetensors writers: identical to in-memory results,
atomic, bounded memory; and the CLI end to end."""
import json
import os
import resource
import signal
import subprocess
import sys

import numpy as np
import pytest

import fastinit
from fastinit import streaming

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "examples", "small_transformer.json")


def leftovers(d):
    return [p for p in os.listdir(d) if p.endswith(".tmp")]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_npy_equals_in_memory_for_any_chunking(tmp_path, dtype):
    init = fastinit.GlorotNormal(seed=3)
    shape = (301, 77)
    for chunk in [8, 1000, 4096 * 7 + 6, 1 << 26]:
        p = tmp_path / f"w{chunk}.npy"
        fastinit.save_npy(p, init, shape, dtype, chunk_bytes=chunk, progress=False)
        assert np.array_equal(np.load(p), init(shape, dtype))
    p = tmp_path / "region.npy"
    fastinit.save_npy(p, init, shape, dtype, region=np.s_[3:200, 5], chunk_bytes=100, progress=False)
    assert np.array_equal(np.load(p), init(shape, dtype)[3:200, 5])
    assert leftovers(tmp_path) == []


def test_npy_progress_bar_shows_bytes_and_rate(tmp_path, capsys):
    fastinit.save_npy(tmp_path / "w.npy", "lecun_normal", (64, 64), progress=True,
                      chunk_bytes=4096)
    err = capsys.readouterr().err
    assert "w.npy" in err and "16.4k" in err and "B/s" in err  # tqdm: bytes, rate (and ETA)
    fastinit.save_npy(tmp_path / "w.npy", "lecun_normal", (64, 64), progress=False)
    assert capsys.readouterr().err == ""
    # Default: a bar only when stderr is a terminal (pytest's capture is not one).
    fastinit.save_npy(tmp_path / "w.npy", "lecun_normal", (64, 64))
    assert capsys.readouterr().err == ""


def test_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    calls = []
    real = streaming._fill_window

    def interrupt_second_window(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(*args)
    monkeypatch.setattr(streaming, "_fill_window", interrupt_second_window)
    target = tmp_path / "w.npy"
    with pytest.raises(KeyboardInterrupt):
        fastinit.save_npy(target, fastinit.lecun_normal(seed=0), (1000, 100), chunk_bytes=4096,
                          progress=False)
    assert not target.exists() and leftovers(tmp_path) == []
    # An existing file under the final name is left as it was.
    target.write_bytes(b"old")
    calls.clear()
    with pytest.raises(KeyboardInterrupt):
        fastinit.save_npy(target, "lecun_normal", (1000, 100), chunk_bytes=4096, progress=False)
    assert target.read_bytes() == b"old" and leftovers(tmp_path) == []
    monkeypatch.undo()
    fastinit.save_npy(target, fastinit.lecun_normal(seed=0), (1000, 100), progress=False)
    assert np.array_equal(np.load(target), fastinit.lecun_normal(seed=0)((1000, 100)))


def test_npy_refuses_bad_arguments_without_creating_files(tmp_path):
    with pytest.raises(TypeError, match="bfloat16 cannot be stored in .npy"):
        fastinit.save_npy(tmp_path / "b.npy", "lecun_normal", (4,), "bfloat16")
    with pytest.raises(ValueError, match="shape"):
        fastinit.save_npy(tmp_path / "b.npy", "lecun_normal", (-4,))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        fastinit.save_npy(tmp_path / "nope" / "b.npy", "lecun_normal", (4,))
    assert os.listdir(tmp_path) == []


def test_safetensors_checkpoint(tmp_path):
    safetensors = pytest.importorskip("safetensors.numpy")
    spec = json.load(open(EXAMPLE))
    out = tmp_path / "model.safetensors"
    fastinit.save_checkpoint(out, spec, seed=7, chunk_bytes=1 << 20, progress=False)
    tensors = safetensors.load_file(out)
    assert set(tensors) == set(spec["tensors"])
    for name, entry in spec["tensors"].items():
        init = fastinit.get(entry["initializer"]).with_seed(fastinit.tensor_seed(7, name))
        want = init(tuple(entry["shape"]), entry.get("dtype", "float32"))
        assert tensors[name].dtype == want.dtype
        assert np.array_equal(tensors[name].view(np.uint8), want.view(np.uint8)), name
    # A tensor's values depend only on (seed, name, its spec).
    sub = {"tensors": {"lm_head.weight": spec["tensors"]["lm_head.weight"]}}
    fastinit.save_checkpoint(tmp_path / "one.safetensors", sub, seed=7, progress=False)
    one = safetensors.load_file(tmp_path / "one.safetensors")
    assert np.array_equal(one["lm_head.weight"].view(np.uint16),
                          tensors["lm_head.weight"].view(np.uint16))
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("spec,match", [
    ({}, "non-empty 'tensors'"),
    ({"tensors": {"a": {"shape": [3]}}}, "needs 'shape' and 'initializer'"),
    ({"tensors": {"a": {"shape": [3], "initializer": "nope"}}}, "unknown initializer"),
    ({"tensors": {"a": {"shape": [3], "initializer": "zeros", "colour": 1}}}, "unknown keys"),
    ({"tensors": {"a": {"shape": [3], "initializer": {"class_name": "HeNormal",
                                                        "config": {"seed": 1}}}}}, "remove 'seed'"),
    ({"tensors": {"a": {"shape": [3], "dtype": "int8", "initializer": "zeros"}}}, "dtype"),
])
def test_bad_specs(tmp_path, spec, match):
    with pytest.raises((ValueError, TypeError), match=match):
        fastinit.save_checkpoint(tmp_path / "m.safetensors", spec, seed=0)
    assert os.listdir(tmp_path) == []


def _vmhwm_mib(code):
    prog = (f"import numpy as np, fastinit\n{code}\n"
            "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])")
    r = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, check=True)
    return int(r.stdout.strip()) / 1024


def test_streaming_memory_is_bounded(tmp_path):
    # 1.6 GB written with 16 MiB windows: the peak stays far below the file size.
    p = tmp_path / "big.npy"
    base = _vmhwm_mib("fastinit.save_npy('%s', 'lecun_normal', (1000, 1000), progress=False)"
                      % (tmp_path / "small.npy"))
    big = _vmhwm_mib("fastinit.save_npy('%s', fastinit.lecun_normal(seed=0), (20000, 20000), "
                     "chunk_bytes=16 << 20, progress=False)" % p)
    assert os.path.getsize(p) > 1.6e9
    assert big - base < 64, (base, big)
    x = np.load(p, mmap_mode="r")
    init = fastinit.lecun_normal(seed=0)
    for region in [np.s_[:3], np.s_[9999:10001], np.s_[-3:]]:
        assert np.array_equal(x[region], init((20000, 20000), region=region))


def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "fastinit", *args], capture_output=True, text=True,
                          **kw)


def test_cli_sample_and_checkpoint(tmp_path):
    out = tmp_path / "w.npy"
    r = cli("sample", "variance_scaling", "--shape", "300", "200", "--seed", "3", "--scale", "2",
            "--mode", "fan_out", "--region", "10:20,:", "--out", str(out))
    assert r.returncode == 0, r.stderr
    want = fastinit.VarianceScaling(2.0, "fan_out", seed=3)((300, 200), region=np.s_[10:20, :])
    assert np.array_equal(np.load(out), want)
    r = cli("sample", "truncated_normal", "--shape", "500", "--stddev", "1", "--minval", "1.5",
            "--maxval", "inf", "--seed", "0", "--out", str(tmp_path / "t.npy"))
    assert r.returncode == 0, r.stderr
    t = np.load(tmp_path / "t.npy")
    assert t.min() >= 1.5 and np.array_equal(
        t, fastinit.TruncatedNormal(stddev=1.0, minval=1.5, maxval=np.inf, seed=0)((500,)))
    ck = tmp_path / "m.safetensors"
    r = cli("checkpoint", EXAMPLE, "--seed", "0", "--out", str(ck), "--no-progress")
    assert r.returncode == 0, r.stderr
    assert ck.stat().st_size > 100e6


@pytest.mark.parametrize("args,match", [
    (["sample", "nope", "--shape", "3"], "unknown initializer 'nope'"),
    (["sample", "lecun_normal", "--shape", "3", "--bogus", "1"], "unexpected keyword argument 'bogus'"),
    (["sample", "lecun_normal", "--shape", "3", "--region", "a:b"], "--region entry"),
    (["sample", "truncated_normal", "--shape", "3", "--stddev", "-1"], "stddev must be > 0"),
])
def test_cli_errors_are_one_line_and_leave_no_file(tmp_path, args, match):
    out = tmp_path / "x.npy"
    r = cli(*args, "--out", str(out))
    assert r.returncode == 2
    assert match in r.stderr and r.stderr.count("\n") == 1
    assert os.listdir(tmp_path) == []


def test_cli_unwritable_and_disk_full(tmp_path):
    r = cli("sample", "lecun_normal", "--shape", "3", "--out", str(tmp_path / "no" / "x.npy"))
    assert r.returncode == 2 and "does not exist" in r.stderr

    def limit_file_size():  # a 1 MiB "disk"
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
    r = cli("sample", "lecun_normal", "--shape", "1000", "1000", "--out", str(tmp_path / "x.npy"),
            preexec_fn=limit_file_size)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert os.listdir(tmp_path) == []
