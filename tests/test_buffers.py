"""fill() on any writable C-contiguous CPU buffer, in place, with every check
before the first write."""
import array

import numpy as np
import pytest

import fastinit

INIT = fastinit.lecun_normal(seed=0)


def test_memmap(tmp_path):
    m = np.lib.format.open_memmap(tmp_path / "w.npy", mode="w+", dtype=np.float32, shape=(300, 70))
    INIT.fill(m)
    m.flush()
    assert np.array_equal(np.load(tmp_path / "w.npy"), INIT((300, 70)))


def test_buffer_protocol_and_array_interface():
    a = array.array("f", bytes(4 * 640))
    INIT.fill(a)
    assert np.array_equal(np.frombuffer(a, np.float32), INIT((640,)))
    mv = memoryview(bytearray(8 * 64)).cast("d")
    INIT.fill(mv)
    assert np.array_equal(np.frombuffer(mv, np.float64), INIT((64,), np.float64))

    class Iface:
        def __init__(self, arr):
            self.arr = arr
            self.__array_interface__ = arr.__array_interface__
    backing = np.zeros((10, 12), np.float32)
    INIT.fill(Iface(backing))
    assert np.array_equal(backing, INIT((10, 12)))


def test_read_only_buffers_are_refused():
    with pytest.raises(ValueError, match="read-only"):
        INIT.fill(memoryview(bytes(64)).cast("f"))
    a = np.zeros(16, np.float32)
    a.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        INIT.fill(a)


def test_not_a_buffer():
    with pytest.raises(TypeError, match="buffer protocol"):
        INIT.fill(object())
    with pytest.raises(TypeError, match="dtype float32, float64, float16 or bfloat16"):
        INIT.fill(bytearray(64))


torch = pytest.importorskip("torch")


@pytest.mark.parametrize("tdtype,npdtype", [(torch.float32, np.float32), (torch.float64, np.float64),
                                            (torch.float16, np.float16), (torch.bfloat16, "bfloat16")])
def test_torch_tensors_in_place(tdtype, npdtype):
    pytest.importorskip("ml_dtypes")
    t = torch.empty(257, 33, dtype=tdtype)
    ptr = t.data_ptr()
    assert INIT.fill(t) is t
    assert t.data_ptr() == ptr
    want = INIT((257, 33), npdtype)
    got = t.view(torch.int16).numpy().view(np.uint16) if tdtype == torch.bfloat16 else t.numpy()
    assert np.array_equal(got.view(np.uint8), want.view(np.uint8))


def test_torch_shard_with_global_fans():
    w = torch.empty(512, 256)
    INIT.fill(w, shape=(512, 1024), region=np.s_[:, 256:512])
    assert np.array_equal(w.numpy(), INIT((512, 1024))[:, 256:512])


def test_torch_non_contiguous_refused_untouched():
    t = torch.full((8, 8), 7.0)
    with pytest.raises(ValueError, match="C-contiguous"):
        INIT.fill(t.t())
    assert (t == 7.0).all()
    tb = torch.full((8, 8), 7.0, dtype=torch.bfloat16)
    with pytest.raises(ValueError, match="contiguous"):
        INIT.fill(tb.t())
    assert (tb == 7.0).all()


def test_torch_integer_tensor_refused():
    t = torch.zeros(8, dtype=torch.int32)
    with pytest.raises(TypeError, match="dtype"):
        INIT.fill(t)
