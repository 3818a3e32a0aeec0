"""CUDA tests: run on a real GPU, or under Numba's CUDA simulator:

    NUMBA_ENABLE_CUDASIM=1 python -m pytest tests/cuda

(the variable must be set before Numba is imported). Without either they skip.
"""
import pytest

cuda = pytest.importorskip("numba.cuda")
if not cuda.is_available():
    pytest.skip("no CUDA GPU and NUMBA_ENABLE_CUDASIM is not set", allow_module_level=True)


@pytest.fixture(autouse=True)
def tiny_blocks(monkeypatch):
    # Few threads per block, so that small arrays still span many blocks.
    import fastinit.cuda
    monkeypatch.setattr(fastinit.cuda, "THREADS_PER_BLOCK", 8)
