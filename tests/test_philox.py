import pathlib

import numpy as np
import pytest

import fastinit
from reference import philox4x32_10 as textbook_philox

KAT = pathlib.Path(__file__).with_name("data") / "philox4x32_10_kat.txt"


def kat_vectors():
    rows = []
    for line in KAT.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        f = line.split()
        assert f[:2] == ["philox4x32", "10"]
        words = [int(x, 16) for x in f[2:]]
        rows.append((words[0:4], words[4:6], words[6:10]))
    return rows


@pytest.mark.parametrize("ctr,key,expected", kat_vectors())
def test_random123_known_answers(ctr, key, expected):
    got = fastinit.philox4x32_10(np.array(ctr, np.uint32), np.array(key, np.uint32))
    assert got.dtype == np.uint32
    assert got.tolist() == expected


def test_textbook_reference_agrees_with_kat():
    # The oracle used below must itself pass the known answers.
    for ctr, key, expected in kat_vectors():
        assert textbook_philox(ctr, key) == expected


def test_random_blocks_match_textbook():
    rng = np.random.default_rng(1)
    ctr = rng.integers(0, 2**32, (200, 4), dtype=np.uint32)
    key = rng.integers(0, 2**32, (200, 2), dtype=np.uint32)
    got = fastinit.philox4x32_10(ctr, key)
    want = [textbook_philox(c.tolist(), k.tolist()) for c, k in zip(ctr, key)]
    assert got.tolist() == want


def test_broadcasting_of_key_and_leading_axes():
    ctr = np.arange(24, dtype=np.uint32).reshape(2, 3, 4)
    key = np.array([7, 9], np.uint32)
    got = fastinit.philox4x32_10(ctr, key)
    assert got.shape == (2, 3, 4)
    assert got[1, 2].tolist() == textbook_philox(ctr[1, 2].tolist(), [7, 9])


def test_bad_arguments():
    with pytest.raises(ValueError, match="counter"):
        fastinit.philox4x32_10(np.zeros(3, np.uint32), np.zeros(2, np.uint32))
    with pytest.raises(ValueError, match="key"):
        fastinit.philox4x32_10(np.zeros(4, np.uint32), np.zeros(3, np.uint32))
    with pytest.raises(TypeError, match="counter"):
        fastinit.philox4x32_10(np.zeros(4, np.float32), np.zeros(2, np.uint32))
    with pytest.raises(ValueError, match="counter"):
        fastinit.philox4x32_10(np.array([-1, 0, 0, 0]), np.zeros(2, np.uint32))
    with pytest.raises(ValueError, match="broadcast"):
        fastinit.philox4x32_10(np.zeros((3, 4), np.uint32), np.zeros((2, 2), np.uint32))
