"""Dask / Zarr bridge on a real distributed LocalCluster (2 worker processes,
loopback only)."""
import os
import time

import numpy as np
import pytest

import fastinit

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
zarr = pytest.importorskip("zarr")
import fastinit.dask as fdask  # noqa: E402

SHAPE = (1200, 900)
CHUNKS = (256, 300)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_to_dask_equals_in_memory(client):
    init = fastinit.HeNormal(seed=3)
    arr = fdask.to_dask(init, SHAPE, chunks=CHUNKS)
    assert arr.chunks == da.core.normalize_chunks(CHUNKS, SHAPE)
    # One task per chunk, holding only the initializer and the chunk's slice.
    assert len(arr.__dask_graph__()) == arr.npartitions
    assert np.array_equal(client.compute(arr).result(), init(SHAPE))
    bf = fdask.to_dask(init, SHAPE, "bfloat16", chunks=(500, 500))
    assert np.array_equal(bf.compute().view(np.uint16), init(SHAPE, "bfloat16").view(np.uint16))


def test_to_zarr_one_liner_and_resumable_writer(client, tmp_path):
    init = fastinit.GlorotUniform(seed=4)
    want = init(SHAPE)
    fdask.to_dask(init, SHAPE, chunks=CHUNKS).to_zarr(str(tmp_path / "a.zarr"))
    assert np.array_equal(zarr.open_array(str(tmp_path / "a.zarr"))[:], want)

    store = str(tmp_path / "b.zarr")
    n_chunks = 5 * 3
    assert fdask.to_zarr(init, SHAPE, store, chunks=CHUNKS) == n_chunks
    assert np.array_equal(zarr.open_array(store)[:], want)
    assert fdask.to_zarr(init, SHAPE, store, chunks=CHUNKS) == 0  # nothing left to do
    # An interrupted run: only some chunks exist (the last three rows of chunks
    # are deleted); the resumed run writes the rest.
    import shutil
    for row in ("2", "3", "4"):
        shutil.rmtree(os.path.join(store, "c", row))
    assert fdask.to_zarr(init, SHAPE, store, chunks=CHUNKS) == n_chunks - 2 * 3
    assert np.array_equal(zarr.open_array(store)[:], want)
    with pytest.raises(ValueError, match="chunked"):
        fdask.to_zarr(init, SHAPE, store, chunks=(100, 100))
    with pytest.raises(ValueError, match="not elementwise"):
        fdask.to_dask(fastinit.Orthogonal(seed=0), (8, 8))


def test_killed_worker_gives_identical_values(client):
    init = fastinit.LecunNormal(seed=5)
    shape, chunks = (4096, 4096), (256, 4096)

    def slow(x):
        time.sleep(0.05)
        return x
    arr = fdask.to_dask(init, shape, chunks=chunks).map_blocks(slow)
    future = client.compute(arr)
    time.sleep(0.4)
    victim = list(client.scheduler_info()["workers"])[0]
    try:
        client.run(lambda: os._exit(1), workers=[victim])  # the nanny restarts it
    except (distributed.comm.CommClosedError, OSError, TimeoutError):
        pass  # the reply never comes: the worker is gone
    assert np.array_equal(future.result(timeout=120), init(shape))


def test_jax_sharded_init_recipe():
    # README recipe: each JAX device's shard comes from the region API. Run in a
    # subprocess because XLA_FLAGS must be set before JAX is imported.
    pytest.importorskip("jax")
    import subprocess
    import sys
    code = """
import os
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
import jax, numpy as np, fastinit
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
init = fastinit.lecun_normal(seed=0)
shape = (1024, 512)
mesh = Mesh(np.array(jax.devices()).reshape(2, 2), ("x", "y"))
sharding = NamedSharding(mesh, P("x", "y"))
arr = jax.make_array_from_callback(shape, sharding, lambda idx: init(shape, region=idx))
assert len(arr.addressable_shards) == 4
assert np.array_equal(np.asarray(arr), init(shape))
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_in_memory_store_is_refused_with_a_cluster_and_written_without(client):
    # Issue 11.14: workers wrote into their own copies of a MemoryStore.
    import dask
    init = fastinit.GlorotUniform(seed=4)
    store = zarr.storage.MemoryStore()
    with pytest.raises(ValueError, match="in-memory Zarr store"):
        fdask.to_zarr(init, SHAPE, store, chunks=CHUNKS)
    with dask.config.set(scheduler="sync"):
        assert fdask.to_zarr(init, SHAPE, store, chunks=CHUNKS) == 15
    assert np.array_equal(zarr.open_array(store)[:], init(SHAPE))
