"""Whole PyTorch models: materialize, initialize (also sharded) and checkpoint.

Optional: needs ``torch`` (``pip install torch``). Every parameter and buffer
gets its values from an initializer chosen per qualified name (the names of
``named_parameters()`` / ``named_buffers()``), seeded with
``fastinit.tensor_seed(seed, name)``: a tensor's values never depend on other
tensors, their order, the device or the sharding.

* :func:`materialize` gives a module built on the ``meta`` device real storage
  and its values, in place;
* :func:`init_` writes the same values into allocated parameters, including
  ``DTensor`` shards (each rank fills its local shard from its region: no
  communication, and ``full_tensor()`` equals the single-process result);
* :func:`spec` describes the model as a checkpoint spec, so
  ``fastinit.save_checkpoint(path, spec(model), seed)`` writes exactly the
  tensors ``materialize(model, seed)`` makes, without building the model;
* :func:`spec_from_hf_config` does that for a Hugging Face ``transformers``
  config, with the model family's own initialization.

Which initializer a tensor gets: the first ``rules`` pattern (``fnmatch`` glob
over the qualified name) that matches, else the ``policy``:

* ``"torch"``: the distribution of each built-in module's own
  ``reset_parameters`` (:data:`TORCH_MODULES` lists them), with PyTorch's fan
  rule;
* ``"keras"``: Keras' layer defaults (``glorot_uniform`` kernels, orthogonal
  recurrent kernels, zero biases, unit norm scales, embeddings U(-0.05, 0.05));
* ``"hf"``: Hugging Face's usual ``_init_weights`` (normal(0,
  ``initializer_range``) weights and embeddings, zero biases and padding row,
  unit norm weights).

A tensor that neither covers is an error listing every such name - never a
silent fallback. Variance-scaling initializers without explicit axes use
PyTorch's ``(out, in, *kernel)`` fan layout automatically.

>>> import torch, fastinit.torch
>>> with torch.device("meta"):
...     model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.LayerNorm(32))
>>> model = fastinit.torch.materialize(model, seed=0)
>>> model[0].weight.device.type, bool(model[1].weight.eq(1).all())
('cpu', True)
"""
import fnmatch
import json
import math

import numpy as np

try:
    import torch
    from torch import nn
except ImportError as e:  # pragma: no cover - depends on the installation
    raise ImportError(f"fastinit.torch needs PyTorch ({e}): pip install torch") from None

from . import initializers as fi
from ._validation import check_allocation
from .dtypes import resolve_dtype
from .fans import compute_fans
from .streaming import tensor_seed

__all__ = ["materialize", "init_", "spec", "plan", "spec_from_hf_config", "POLICIES",
           "TORCH_MODULES"]

POLICIES = ("torch", "keras", "hf")

_TORCH_DTYPES = {torch.float32: "float32", torch.float64: "float64", torch.float16: "float16",
                 torch.bfloat16: "bfloat16"}
_FROM_NAME = {name: dtype for dtype, name in _TORCH_DTYPES.items()}


# ---------------------------------------------------------------------------
# policies: (module, parameter name, tensor) -> initializer (or None)
# ---------------------------------------------------------------------------

def _kaiming_a_sqrt5():
    # kaiming_uniform_(a=sqrt(5)): bound = gain * sqrt(3 / fan_in), gain^2 = 1/3.
    return fi.VarianceScaling(1.0 / 3.0, "fan_in", "uniform", layout="torch")


def _bias_bound(weight):
    fan_in = compute_fans(tuple(weight.shape), "torch")[0] if weight.dim() >= 2 else 0
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return fi.RandomUniform(-bound, bound) if bound > 0 else fi.Zeros()


def _uniform(bound):
    return fi.RandomUniform(-bound, bound) if bound > 0 else fi.Zeros()


def _linear(m, name, t):  # Linear, Conv*d, ConvTranspose*d: reset_parameters
    return _kaiming_a_sqrt5() if name == "weight" else _bias_bound(m.weight)


def _bilinear(m, name, t):
    return _uniform(1.0 / math.sqrt(m.weight.size(1)))


def _padded(m, base):
    """``base`` with an Embedding's padding row zeroed (when it has one)."""
    return base if m.padding_idx is None else fi.ZeroRows(base, [m.padding_idx])


def _embedding(m, name, t):
    return _padded(m, fi.RandomNormal(0.0, 1.0))


def _norm(m, name, t):  # LayerNorm, RMSNorm, GroupNorm, BatchNorm*, InstanceNorm*
    return {"weight": fi.Ones(), "bias": fi.Zeros(), "running_mean": fi.Zeros(),
            "running_var": fi.Ones(), "num_batches_tracked": fi.Zeros()}.get(name)


def _attention(m, name, t):  # MultiheadAttention._reset_parameters
    if name in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight"):
        return fi.VarianceScaling(1.0, "fan_avg", "uniform", layout="torch")  # xavier_uniform_
    if name == "in_proj_bias":
        return fi.Zeros()
    if name in ("bias_k", "bias_v"):
        return fi.VarianceScaling(1.0, "fan_avg", "untruncated_normal", layout="torch")
    return None


def _out_proj(m, name, t):  # MultiheadAttention's out_proj: Linear weight, bias set to 0
    return _kaiming_a_sqrt5() if name == "weight" else fi.Zeros()


def _recurrent(m, name, t):  # RNN/LSTM/GRU and their cells: all U(-1/sqrt(hidden), ...)
    return _uniform(1.0 / math.sqrt(m.hidden_size) if m.hidden_size > 0 else 0.0)


def _prelu(m, name, t):
    return fi.Constant(m.init)


_LINEAR_LIKE = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d,
                nn.ConvTranspose2d, nn.ConvTranspose3d)
_NORMS = (nn.LayerNorm, nn.RMSNorm, nn.GroupNorm, nn.modules.batchnorm._NormBase)
_RECURRENT = (nn.RNNBase, nn.RNNCellBase)

#: The built-in module types the "torch" policy covers, and their rules.
TORCH_MODULES = (
    (nn.modules.linear.NonDynamicallyQuantizableLinear, _out_proj),
    (_LINEAR_LIKE, _linear), (nn.Bilinear, _bilinear), ((nn.Embedding, nn.EmbeddingBag), _embedding),
    (_NORMS, _norm), (nn.MultiheadAttention, _attention), (_RECURRENT, _recurrent),
    (nn.PReLU, _prelu),
)


def _torch_policy(m, name, t, **_):
    for types, rule in TORCH_MODULES:
        if isinstance(m, types):
            return rule(m, name, t)
    return None


def _keras_policy(m, name, t, **_):
    if isinstance(m, (nn.Embedding, nn.EmbeddingBag)):
        return fi.RandomUniform(-0.05, 0.05)  # Keras Embedding's "uniform"
    if isinstance(m, _NORMS):
        return _norm(m, name, t)
    if isinstance(m, _RECURRENT) and name.startswith("weight_hh"):
        return fi.Orthogonal(layout="torch")  # Keras' recurrent_initializer
    if "bias" in name:
        return fi.Zeros()
    if t.dim() >= 2:
        return fi.GlorotUniform(layout="torch")
    return None


def _hf_policy(m, name, t, initializer_range=0.02):
    if isinstance(m, (nn.Embedding, nn.EmbeddingBag)):
        return _padded(m, fi.RandomNormal(0.0, initializer_range))
    if "bias" in name:
        return fi.Zeros()
    if _is_norm(m):
        return _norm(m, name, t)
    if t.dim() >= 2:
        return fi.RandomNormal(0.0, initializer_range)
    return None


def _is_norm(m):
    # Hugging Face norms are their own classes (LlamaRMSNorm, ...).
    return isinstance(m, _NORMS) or "norm" in type(m).__name__.lower()


_POLICY = {"torch": _torch_policy, "keras": _keras_policy, "hf": _hf_policy}


# ---------------------------------------------------------------------------
# the plan: which initializer each tensor gets
# ---------------------------------------------------------------------------

def _torch_layout(init):
    """Variance-scaling initializers without explicit axes read fans the way
    PyTorch lays weights out."""
    if isinstance(init, fi.VarianceScaling):
        c = init.get_config()
        if c.get("layout", "keras") == "keras" and c.get("input_axes") is None and \
                all(c.get(k) is None for k in ("in_axis", "out_axis", "batch_axis")):
            return type(init).from_config({**c, "layout": "torch"})
    if isinstance(init, fi.ZeroRows):
        return fi.ZeroRows(_torch_layout(init.initializer), init.rows)
    return init


def _tensors(module, persistent_only=False):
    """(qualified name, owning module, local name, tensor, is_parameter, tied)
    for every parameter and buffer (only those a ``state_dict`` holds if
    ``persistent_only``); ``tied`` marks a tensor already seen under an
    earlier name."""
    seen = set()
    for prefix, m in module.named_modules(remove_duplicate=False):
        for store, is_param in ((m._parameters, True), (m._buffers, False)):
            for local, t in store.items():
                if t is None or (persistent_only and not is_param
                                 and local in m._non_persistent_buffers_set):
                    continue
                name = f"{prefix}.{local}" if prefix else local
                yield name, m, local, t, is_param, id(t) in seen
                seen.add(id(t))


def plan(module, policy="torch", rules=None, persistent_only=False, **policy_options):
    """``[(name, tensor, initializer)]`` for every distinct parameter and buffer
    of ``module`` (see the module docstring for how initializers are chosen);
    with ``persistent_only``, only what a ``state_dict`` holds (no
    non-persistent buffers such as rotary-embedding tables).

    Raises
    ------
    ValueError
        Unknown policy, a bad rule, or tensors neither the rules nor the
        policy cover (all of them named).
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(map(repr, POLICIES))}; got {policy!r}")
    rules = dict(rules or {})
    compiled = []
    for pattern, ident in rules.items():
        if not isinstance(pattern, str):
            raise TypeError(f"rules keys must be glob patterns (str); got {pattern!r}")
        try:
            init = fi.get(ident)
        except (TypeError, ValueError) as e:
            raise ValueError(f"rules[{pattern!r}]: {e}") from None
        if not isinstance(init, fi.Initializer):
            raise TypeError(f"rules[{pattern!r}] must be a fastinit initializer, name or config")
        compiled.append((pattern, init))
    by_policy = _POLICY[policy]
    out, missing = [], []
    for name, m, local, t, _, tied in _tensors(module, persistent_only):
        if tied:
            continue
        init = next((i for p, i in compiled if fnmatch.fnmatchcase(name, p)), None)
        if init is None:
            init = by_policy(m, local, t, **policy_options)
        if init is None:
            missing.append(f"{name} ({type(m).__name__}.{local})")
            continue
        out.append((name, t, _torch_layout(init)))
    if missing:
        raise ValueError(f"no rule and no {policy!r} policy for: {', '.join(missing)}; add rules "
                         "for them (e.g. rules={'<pattern>': 'zeros'})")
    return out


def _numpy_dtype(t, dtype=None):
    """The fastinit dtype for tensor ``t`` (None: not a float tensor)."""
    if dtype is not None and t.is_floating_point():
        t_dtype = dtype
    else:
        t_dtype = t.dtype
    name = _TORCH_DTYPES.get(t_dtype)
    return None if name is None else resolve_dtype(name)


# ---------------------------------------------------------------------------
# materialize, init_, spec
# ---------------------------------------------------------------------------

def _as_torch(array):
    """A torch tensor sharing ``array``'s memory (bfloat16 through int16)."""
    if array.dtype.name == "bfloat16":
        return torch.from_numpy(array.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(array)


def materialize(module, seed=0, policy="torch", rules=None, device="cpu", dtype=None,
                **policy_options):
    """Give every parameter and buffer of ``module`` (built on the ``meta``
    device, or anywhere) real storage on ``device`` and its values, in place.

    Parameters
    ----------
    module : torch.nn.Module
    seed : int >= 0
        Tensor ``name`` is seeded with ``fastinit.tensor_seed(seed, name)``.
    policy, rules
        See the module docstring.
    device : "cpu" or a CUDA device
        CPU storage is allocated by NumPy (huge-page advised for large
        arrays) and first touched by fastinit's parallel kernels, so page
        faults are spread over the threads; tensors share that memory.
    dtype : torch float dtype, optional
        For every floating-point tensor (default: each tensor's own dtype).
    **policy_options
        ``initializer_range`` for the "hf" policy.

    Returns
    -------
    The module. Every check (rules, policies, dtypes, memory) runs before any
    tensor is allocated.
    """
    _check_seed(seed)
    device = _checked_device(device)
    work = _checked_plan(module, policy, rules, dtype, policy_options)
    total = sum(math.prod(t.shape) * (d.itemsize if d is not None else t.element_size())
                for _, t, _, d in work)
    if str(device) == "cpu":
        check_allocation(total, f"materializing {len(work)} tensors")
    new = {}
    with torch.no_grad():
        for name, t, init, np_dtype in work:
            shape = tuple(t.shape)
            if np_dtype is None:  # integer buffers (BatchNorm's counter): zeros
                value = torch.zeros(shape, dtype=t.dtype, device=device)
            elif str(device) == "cpu":
                value = _as_torch(init.with_seed(tensor_seed(seed, name))(shape, np_dtype))
            else:
                value = torch.empty(shape, dtype=_FROM_NAME[np_dtype.name], device=device)
                init.with_seed(tensor_seed(seed, name)).fill(value)
            new[id(t)] = value
        for name, m, local, t, is_param, _ in _tensors(module):
            value = new[id(t)]
            if is_param:
                param = new.get(("param", id(t)))
                if param is None:  # tied parameters stay one Parameter
                    param = nn.Parameter(value, requires_grad=t.requires_grad)
                    new[("param", id(t))] = param
                m._parameters[local] = param
            else:
                m._buffers[local] = value
    return module


def _check_seed(seed):
    tensor_seed(seed, "")


def _checked_device(device):
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device must be 'cpu' or a CUDA device; got {device!r}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {str(device)!r}: this PyTorch has no CUDA device available")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or a CUDA device; got {str(device)!r}")
    return "cpu" if device.type == "cpu" else device


def _checked_plan(module, policy, rules, dtype, policy_options, persistent_only=False):
    """The plan with each tensor's fastinit dtype, every initializer validated
    against its tensor's shape and dtype."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module; got {type(module).__name__}")
    if dtype is not None and dtype not in _TORCH_DTYPES:
        raise TypeError(f"dtype must be a torch float dtype; got {dtype}")
    work = []
    for name, t, init in plan(module, policy, rules, persistent_only, **policy_options):
        np_dtype = _numpy_dtype(t, dtype)
        if np_dtype is None and not isinstance(init, fi.Zeros):
            raise TypeError(f"{name}: {t.dtype} tensors can only be zeros")
        if np_dtype is not None:
            try:
                init._validate(tuple(t.shape), np_dtype)
            except ValueError as e:
                raise ValueError(f"{name}: {e}") from None
        work.append((name, t, init, np_dtype))
    return work


def init_(module, seed=0, policy="torch", rules=None, **policy_options):
    """Write ``materialize``'s values into the allocated parameters and buffers
    of ``module`` (CPU tensors of any float dtype; GPU tensors where
    ``fastinit.cuda`` can fill them), in place.

    ``DTensor`` parameters (``torch.distributed.tensor``): each rank fills its
    local shard with the region its placements give (``Shard(d)``, uneven
    shards included, and ``Replicate``), so ``full_tensor()`` equals the
    single-process result bit for bit for every mesh; there is no collective
    communication.

    Returns
    -------
    The module.
    """
    _check_seed(seed)
    targets = []
    for name, t, init, np_dtype in _checked_plan(module, policy, rules, None, policy_options):
        target = t.detach()
        local, region = _local_shard(target)
        if local.is_meta:
            raise ValueError(f"{name} is on the meta device (no storage): use "
                             "fastinit.torch.materialize")
        if not local.is_contiguous():
            raise ValueError(f"{name} is not contiguous (strides {local.stride()}); fastinit "
                             "fills contiguous tensors")
        targets.append((name, target, local, region, init, np_dtype))
    with torch.no_grad():  # every check passed: now write
        for name, target, local, region, init, np_dtype in targets:
            if np_dtype is None:
                local.zero_()
            elif local.numel():
                init.with_seed(tensor_seed(seed, name)).fill(
                    local, shape=tuple(target.shape), region=region)
    return module


def _local_shard(t):
    """(local tensor, region of the global tensor it holds) of a DTensor;
    ``(t, None)`` for a plain tensor."""
    try:
        from torch.distributed.tensor import DTensor
    except ImportError:  # pragma: no cover - torch without distributed
        return t, None
    if not isinstance(t, DTensor):
        return t, None
    from torch.distributed.tensor._utils import compute_local_shape_and_global_offset
    local = t.to_local()
    shape, offset = compute_local_shape_and_global_offset(t.shape, t.device_mesh, t.placements)
    if tuple(local.shape) != tuple(shape):
        raise ValueError(f"DTensor local shape {tuple(local.shape)} does not match its "
                         f"placements {t.placements} (expected {tuple(shape)})")
    return local, tuple(slice(o, o + n) for o, n in zip(offset, shape))


def spec(module, policy="torch", rules=None, dtype=None, **policy_options):
    """The checkpoint spec of ``module`` (see :func:`fastinit.load_spec`):
    every floating-point parameter and persistent buffer (what a
    ``state_dict`` holds), with its shape, dtype and initializer, so
    ``fastinit.save_checkpoint(path, spec(model), seed)`` writes exactly the
    tensors ``materialize(model, seed)`` makes. The module
    can live on the ``meta`` device: nothing is allocated. Integer buffers
    (BatchNorm's ``num_batches_tracked``) are left out: fastinit's writers
    are for floating-point tensors.
    """
    tensors = {}
    for name, t, init, np_dtype in _checked_plan(module, policy, rules, dtype, policy_options,
                                                 persistent_only=True):
        if np_dtype is None:
            continue
        config = {k: v for k, v in init.get_config().items() if k != "seed"}
        tensors[name] = {"shape": list(t.shape), "dtype": np_dtype.name,
                         "initializer": {"class_name": type(init).__name__,
                                         "config": json.loads(json.dumps(config))}}
    return {"tensors": tensors}


def spec_from_hf_config(config, rules=None, dtype=None, model_class=None):
    """The checkpoint spec of a Hugging Face ``transformers`` model built from
    ``config`` on the ``meta`` device, with the family's usual initialization
    (the "hf" policy with the config's ``initializer_range``).

    Parameters
    ----------
    config : transformers.PretrainedConfig
    rules : dict, optional
        Overrides, as for :func:`plan`.
    dtype : torch float dtype, optional
        Default: the config's ``torch_dtype``, else float32.
    model_class : transformers model class, optional
        Default: ``AutoModelForCausalLM``.
    """
    try:
        import transformers
    except ImportError as e:
        raise ImportError(f"spec_from_hf_config needs transformers ({e}): "
                          "pip install transformers") from None
    cls = model_class or transformers.AutoModelForCausalLM
    with torch.device("meta"):
        model = cls.from_config(config)
    if dtype is None:
        dtype = getattr(config, "dtype", None)
        dtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype
    return spec(model, "hf", rules, dtype or torch.float32,
                initializer_range=getattr(config, "initializer_range", 0.02))
