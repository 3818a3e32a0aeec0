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
