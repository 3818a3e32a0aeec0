"""Whole PyTorch models (issue 16): policies against PyTorch's own
reset_parameters, rules, materialize == spec + save_checkpoint, init_, DTensor
shards on a CPU gloo mesh, sharded Hugging Face checkpoints."""
import json
import math
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import fastinit  # noqa: E402
import fastinit.torch as ft  # noqa: E402

stats = pytest.importorskip("scipy.stats")


def _numpy(t):
    t = t.detach()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(np.uint16)
    return t.numpy()


MODULES = [
    lambda: nn.Linear(300, 200), lambda: nn.Linear(50, 40, bias=False),
    lambda: nn.Bilinear(20, 30, 40),
    lambda: nn.Conv1d(16, 32, 5), lambda: nn.Conv2d(8, 32, 3, groups=2),
    lambda: nn.Conv3d(4, 16, 3), lambda: nn.ConvTranspose1d(16, 32, 5),
    lambda: nn.ConvTranspose2d(32, 16, 3), lambda: nn.ConvTranspose3d(8, 4, 3),
    lambda: nn.Embedding(500, 64, padding_idx=3), lambda: nn.EmbeddingBag(400, 32),
    lambda: nn.LayerNorm(64), lambda: nn.RMSNorm(64), lambda: nn.GroupNorm(4, 64),
    lambda: nn.BatchNorm1d(32), lambda: nn.BatchNorm2d(32), lambda: nn.BatchNorm3d(16),
    lambda: nn.InstanceNorm2d(16, affine=True, track_running_stats=True),
    lambda: nn.MultiheadAttention(64, 4), lambda: nn.MultiheadAttention(64, 4, kdim=32, vdim=48),
    lambda: nn.MultiheadAttention(64, 4, add_bias_kv=True),
    lambda: nn.RNN(32, 64), lambda: nn.LSTM(32, 64, num_layers=2), lambda: nn.GRU(32, 48),
    lambda: nn.RNNCell(32, 64), lambda: nn.LSTMCell(32, 64), lambda: nn.GRUCell(32, 64),
    lambda: nn.PReLU(), lambda: nn.PReLU(8, init=0.1),
]


def _draws(make, reps, ours):
    """name -> float64 values of ``reps`` independent initializations, pooled."""
    pooled = {}
    for i in range(reps):
        if ours:
            with torch.device("meta"):
                model = make()
            ft.materialize(model, seed=i)
        else:
            torch.manual_seed(i)
            model = make()  # PyTorch's own initialization
        for name, t in (dict(model.named_parameters()) | dict(model.named_buffers())).items():
            pooled.setdefault(name, []).append(_numpy(t).astype(np.float64).ravel())
    return {k: np.concatenate(v) for k, v in pooled.items()}


@pytest.mark.parametrize("make", MODULES, ids=lambda f: repr(f())[:40])
def test_torch_policy_matches_reset_parameters(make):
    torch.manual_seed(0)
    reference = make()
    with torch.device("meta"):
        model = make()
    ft.materialize(model, seed=1)
    ours = dict(model.named_parameters()) | dict(model.named_buffers())
    theirs = dict(reference.named_parameters()) | dict(reference.named_buffers())
    assert ours.keys() == theirs.keys()
    random = []
    for name, t in theirs.items():
        a, b = _numpy(ours[name]), _numpy(t)
        assert a.shape == b.shape and ours[name].dtype == t.dtype, name
        if np.unique(b).size <= 2 and b.size > 2 or b.size == 1:  # constants (and padding)
            assert np.array_equal(a, b), name
        else:
            random.append(name)
    if not random:
        return
    # Pool independent initializations (seeds) until each tensor has ~4000 values.
    reps = min(100, max(1, math.ceil(4000 / min(theirs[n].numel() for n in random))))
    a_all, b_all = _draws(make, reps, True), _draws(make, reps, False)
    for name in random:
        a, b = a_all[name], b_all[name]
        if stats.kurtosis(b, fisher=False) < 2.5:  # uniform (1.8), not normal (3): bounded
            assert np.abs(a).max() <= np.abs(b).max() * 1.02 + 1e-6, name  # the same support
        assert stats.ks_2samp(a, b).pvalue > 1e-4, name  # the same distribution


def test_padding_row_is_zero_and_tied_weights_stay_tied():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(100, 16, padding_idx=0)
            self.head = nn.Linear(16, 100, bias=False)
            self.head.weight = self.embed.weight

    with torch.device("meta"):
        model = Tied()
    ft.materialize(model, seed=0)
    assert model.head.weight is model.embed.weight
    assert not model.embed.weight[0].any() and model.embed.weight[1].std() > 0.3
    assert list(ft.spec(model)["tensors"]) == ["embed.weight"]


def test_rules_override_and_uncovered_tensors_are_listed():
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.empty(8))
            self.proj = nn.Linear(8, 8)
            self.register_buffer("table", torch.empty(4, 4))

    with torch.device("meta"):
        model = Custom()
    with pytest.raises(ValueError) as e:
        ft.materialize(model)
    assert "scale (Custom.scale)" in str(e.value) and "table (Custom.table)" in str(e.value)
    assert "proj" not in str(e.value)
    rules = {"*.weight": fastinit.RandomNormal(stddev=0.02), "*.bias": "zeros",
             "scale": {"class_name": "Ones", "config": {}}, "tab*": "zeros", "*": "ones"}
    ft.materialize(model, seed=0, rules=rules)
    assert model.proj.weight.std().item() == pytest.approx(0.02, rel=0.3)
    assert not model.proj.bias.any() and model.scale.eq(1).all() and not model.table.any()
    with pytest.raises(ValueError, match="policy must be one of"):
        ft.plan(model, policy="flax")


def _stack(dtype=torch.float32):
    return nn.Sequential(nn.Embedding(1000, 64), nn.Linear(64, 256), nn.GELU(),
                         nn.Linear(256, 64), nn.LayerNorm(64), nn.Linear(64, 1000)).to(dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16, torch.float64])
def test_materialize_equals_spec_checkpoint_and_init(tmp_path, dtype):
    from safetensors.torch import load_file
    with torch.device("meta"):
        model = _stack(dtype)
    ft.materialize(model, seed=5)
    path = tmp_path / "m.safetensors"
    fastinit.save_checkpoint(path, ft.spec(model), seed=5)
    saved = load_file(str(path))
    state = model.state_dict()
    assert saved.keys() == state.keys()
    for name, t in state.items():
        assert saved[name].dtype == dtype and torch.equal(saved[name], t), name
    allocated = _stack(dtype)
    ft.init_(allocated, seed=5)
    for name, t in allocated.state_dict().items():
        assert torch.equal(t, state[name]), name
    with torch.device("meta"):
        as_bf16 = _stack()
    ft.materialize(as_bf16, seed=5, dtype=torch.bfloat16)
    assert all(p.dtype == torch.bfloat16 for p in as_bf16.parameters())


def test_hf_style_rules_and_keras_policy():
    rules = {"*.weight": fastinit.RandomNormal(stddev=0.02), "*.bias": "zeros",
             "*norm*.weight": "ones"}
    with torch.device("meta"):
        model = nn.ModuleDict({"proj": nn.Linear(256, 512), "norm": nn.LayerNorm(512)})
    ft.materialize(model, seed=0, rules=rules)
    assert model["proj"].weight.std().item() == pytest.approx(0.02, rel=0.05)
    # First match wins: the norm's weight matched "*.weight" before "*norm*.weight".
    assert model["norm"].weight.std().item() == pytest.approx(0.02, rel=0.2)
    with torch.device("meta"):
        model = nn.Sequential(nn.Linear(256, 512), nn.LSTM(16, 32))
    ft.materialize(model, seed=0, policy="keras")
    limit = math.sqrt(6 / (256 + 512))
    assert model[0].weight.abs().max() <= limit and not model[0].bias.any()
    w = model[1].weight_hh_l0.detach().numpy()  # orthogonal, PyTorch's (rows, cols) view
    assert np.allclose(w.T @ w, np.eye(32), atol=1e-5)


def test_errors_come_before_any_allocation():
    with torch.device("meta"):
        model = nn.Sequential(nn.Linear(8, 8), nn.Linear(8, 8))
    with pytest.raises(ValueError, match="1.bias: Identity needs a 2-D shape"):
        ft.materialize(model, rules={"1.weight": "identity", "1.bias": fastinit.Identity()})
    assert all(p.is_meta for p in model.parameters())
    with pytest.raises(TypeError, match="seed must be a non-negative int"):
        ft.materialize(model, seed=-1)


# DTensor on a CPU gloo mesh --------------------------------------------------------

DTENSOR_CODE = r"""
import os, sys, numpy as np, torch, torch.distributed as dist
from torch import nn
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import distribute_tensor, Shard, Replicate
import fastinit, fastinit.torch as ft

rank, world, port = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                        world_size=world)
mesh = init_device_mesh("cpu", (world,))

def model():
    return nn.Sequential(nn.Linear(10, 7), nn.Embedding(11, 5), nn.LayerNorm(7))

reference = ft.materialize(model().to("meta"), seed=3).state_dict()
for placement in (Shard(0), Shard(1), Replicate()):
    m = model()
    for sub in m:
        for name, p in list(sub.named_parameters()):
            place = placement if p.dim() > 1 or isinstance(placement, Replicate) else Shard(0)
            setattr(sub, name, nn.Parameter(distribute_tensor(p.detach(), mesh, [place])))
    ft.init_(m, seed=3)
    for name, p in m.state_dict().items():
        full = p.full_tensor()
        assert torch.equal(full, reference[name]), (name, placement)
# FSDP2 (fully_shard) shards parameters as DTensors on dim 0.
from torch.distributed.fsdp import fully_shard
m = model()
for sub in m:
    fully_shard(sub, mesh=mesh)
fully_shard(m, mesh=mesh)
ft.init_(m, seed=3)
for name, p in m.named_parameters():
    assert torch.equal(p.full_tensor(), reference[name]), ("fsdp2", name)
dist.barrier()
dist.destroy_process_group()
print("ok", rank, flush=True)
# Every check passed. Leave without C++ static destructors: a gloo thread still
# winding down at interpreter exit can abort() ("terminate called without an
# active exception"), which says nothing about the values checked above.
os._exit(0)
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("world", [2, 3])
def test_dtensor_shards_equal_the_single_process_result(tmp_path, world):
    pytest.importorskip("torch.distributed.tensor")
    script = tmp_path / "dtensor_check.py"
    script.write_text(DTENSOR_CODE)
    port = str(_free_port())
    env = dict(os.environ, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, str(script), str(r), str(world), port],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for r in range(world)]
    outs = [p.communicate(timeout=300) for p in procs]
    for r, (p, (out, err)) in enumerate(zip(procs, outs)):
        assert p.returncode == 0 and out.strip() == f"ok {r}", (out, err[-3000:])


# sharded Hugging Face checkpoints --------------------------------------------------

def test_sharded_checkpoint_files_and_index(tmp_path):
    from safetensors.numpy import load_file
    spec = {"tensors": {f"w{i}": {"shape": [256, 256], "initializer": "lecun_normal"}
                        for i in range(5)}}
    out = tmp_path / "ckpt"
    (tmp_path / "ckpt").mkdir()
    (out / "README.md").write_text("mine")
    fastinit.save_checkpoint(out, spec, seed=1, max_shard_size="600KB")  # 2 tensors a shard
    names = sorted(os.listdir(out))
    assert names == ["README.md", "model-00001-of-00003.safetensors",
                     "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors",
                     "model.safetensors.index.json"]
    index = json.loads((out / "model.safetensors.index.json").read_text())
    assert index["metadata"]["total_size"] == 5 * 256 * 256 * 4
    single = tmp_path / "one.safetensors"
    fastinit.save_checkpoint(single, spec, seed=1)
    whole = load_file(str(single))
    for name, file in index["weight_map"].items():
        assert np.array_equal(load_file(str(out / file))[name], whole[name])
    with pytest.raises(ValueError, match="max_shard_size"):
        fastinit.save_checkpoint(tmp_path / "x", spec, seed=1, max_shard_size="lots")


def test_cli_writes_sharded_checkpoints(tmp_path):
    example = os.path.join(os.path.dirname(__file__), "..", "examples", "small_transformer.json")
    r = subprocess.run([sys.executable, "-m", "fastinit", "checkpoint", example, "--seed", "0",
                        "--out", str(tmp_path / "ck"), "--max-shard-size", "50MB"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "model-00002-of-00002.safetensors" in os.listdir(tmp_path / "ck")
    assert r.stdout.startswith(f"wrote {tmp_path / 'ck'}: 111MB")


def test_hf_config_spec_loads_with_from_pretrained(tmp_path):
    transformers = pytest.importorskip("transformers")
    config = transformers.LlamaConfig(vocab_size=512, hidden_size=64, intermediate_size=128,
                                      num_hidden_layers=2, num_attention_heads=4,
                                      num_key_value_heads=2, initializer_range=0.02)
    spec = ft.spec_from_hf_config(config)
    out = tmp_path / "llama"
    fastinit.save_checkpoint(out, spec, seed=0, max_shard_size="100KB")
    config.save_pretrained(out)
    model = transformers.AutoModelForCausalLM.from_pretrained(out)
    state = model.state_dict()
    from safetensors.torch import load_file
    index = json.loads((out / "model.safetensors.index.json").read_text())
    for name, file in index["weight_map"].items():
        assert torch.equal(state[name], load_file(str(out / file))[name]), name
    emb = state["model.embed_tokens.weight"]
    assert emb.std().item() == pytest.approx(0.02, rel=0.05)
    assert state["model.norm.weight"].eq(1).all()
    q = state["model.layers.0.self_attn.q_proj.weight"]
    assert q.std().item() == pytest.approx(0.02, rel=0.1)


def test_init_checks_every_tensor_before_writing():
    model = nn.Sequential(nn.Linear(4, 6), nn.Linear(4, 6))
    model[1].weight = nn.Parameter(torch.empty(4, 6).t())  # (6, 4), not contiguous
    before = model[0].weight.detach().clone()
    with pytest.raises(ValueError, match="1.weight is not contiguous"):
        ft.init_(model)
    assert torch.equal(model[0].weight, before)  # nothing written
    with torch.device("meta"):
        meta = nn.Linear(4, 4)
    with pytest.raises(ValueError, match="meta device .* use fastinit.torch.materialize"):
        ft.init_(meta)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        ft.spec("model")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device"):
            ft.materialize(meta, device="cuda")
        assert meta.weight.is_meta
