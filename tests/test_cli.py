import subprocess
import sys


def run(*args):
    return subprocess.run([sys.executable, "-m", "fastinit", *args], capture_output=True, text=True)


def test_demo_runs_and_reports_statistics():
    r = run("demo", "--elements", "2e6")
    assert r.returncode == 0, r.stderr
    assert "ns/elem" in r.stdout and "GB/s" in r.stdout
    assert "expected sqrt(1/fan_in)" in r.stdout


def test_bad_arguments_give_one_line_and_nonzero_exit():
    r = run("demo", "--elements", "0")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "--elements must be >= 1" in r.stderr
    r = run("demo", "--dtype", "int8")
    assert r.returncode == 2 and "dtype must be float32, float64" in r.stderr


def test_version():
    import fastinit
    r = run("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"fastinit {fastinit.__version__}"


def test_sample_help_lists_initializers_and_defaults():
    r = run("sample", "--help")
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    for name in ("lecun_normal", "glorot_uniform", "truncated_normal", "variance_scaling",
                 "orthogonal", "zeros"):
        assert name in text
    assert "default: float32" in text and "default: drawn from OS entropy" in text
    top = run("--help").stdout
    assert "``" not in top and ":mod:" not in top


def test_preset_parameters_name_the_public_initializer():
    r = run("sample", "lecun_normal", "--shape", "4", "--scale", "2", "--mode", "fan_out",
            "--out", "unused.npy")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "lecun_normal fixes scale=1.0, mode='fan_in'" in r.stderr
    assert "variance_scaling" in r.stderr and "_VarianceScalingPreset" not in r.stderr


def test_out_extension_chooses_the_format(tmp_path):
    import numpy as np
    from safetensors.numpy import load_file

    import fastinit
    out = tmp_path / "w.safetensors"
    r = run("sample", "he_uniform", "--shape", "64", "32", "--seed", "5", "--name", "fc.weight",
            "--out", str(out))
    assert r.returncode == 0, r.stderr
    got = load_file(str(out))
    assert list(got) == ["fc.weight"]
    assert np.array_equal(got["fc.weight"], fastinit.he_uniform(seed=5)((64, 32)))
    r = run("sample", "he_uniform", "--shape", "4", "--out", str(tmp_path / "w.bin"))
    assert r.returncode == 2 and ".npy or .safetensors" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.safetensors"]


def test_drawn_seed_is_printed_stored_and_reproduces(tmp_path):
    import json

    import numpy as np
    from safetensors import safe_open
    from safetensors.numpy import load_file
    out = tmp_path / "a.safetensors"
    r = run("sample", "lecun_normal", "--shape", "32", "16", "--out", str(out))
    assert r.returncode == 0, r.stderr
    seed_lines = [ln for ln in r.stderr.splitlines() if ln.startswith("seed: ")]
    assert len(seed_lines) == 1
    seed = int(seed_lines[0].split()[1])
    with safe_open(str(out), "np") as f:
        meta = f.metadata()
    assert meta["seed"] == str(seed)
    assert json.loads(meta["initializer"])["class_name"] == "LecunNormal"
    again = tmp_path / "b.npy"
    r = run("sample", "lecun_normal", "--shape", "32", "16", "--seed", str(seed), "--out",
            str(again))
    assert r.returncode == 0 and "seed:" not in r.stderr
    assert np.array_equal(np.load(again), load_file(str(out))["weight"])


def test_one_summary_line_per_file_in_human_units(tmp_path):
    r = run("sample", "zeros", "--shape", "10", "--out", str(tmp_path / "z.npy"))
    assert r.returncode == 0 and r.stderr == ""  # not a terminal: no bar; zeros: no seed
    lines = r.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"wrote {tmp_path / 'z.npy'}: 168B in ")
    assert "0.000 GB" not in r.stdout


def test_missing_extra_names_it():
    # A meta-path finder that hides dask, as on an install without the extra.
    code = ("import sys\n"
            "class Hide:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] in ('dask', 'distributed', 'zarr'):\n"
            "            raise ImportError(f'No module named {name!r}')\n"
            "sys.meta_path.insert(0, Hide())\n"
            "try:\n"
            "    import fastinit.dask\n"
            "except ImportError as e:\n"
            "    print(e)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "pip install 'fastinit[dask]'" in r.stdout, r.stdout + r.stderr
