"""Compile every CUDA kernel fastinit can launch with NVIDIA's toolchain, no GPU needed.

For each kernel (every sampler kind in both kernels, the constant write, the 16-bit
rounding and the scatter) and each compute
capability, the kernel is compiled the way a launch would compile it (Numba ->
LTO-IR -> nvJitLink -> cubin) against a stand-in device of that capability,
and its cubin is read with ``cuobjdump -res-usage`` (registers, local memory)
and ``nvdisasm`` (the SASS). In the SASS, the grid-stride loop is the
outermost backward branch; within it the script counts static instructions
per output element, FP64 instructions and call sites of the 64-bit
division/remainder routines.

Needs ``pip install "numba-cuda[cu12]"`` plus ``nvidia-cuda-nvdisasm`` and
``nvidia-cuda-cuobjdump`` (``--no-deps``), and ``NUMBA_ENABLE_CUDASIM`` unset.

    python benchmarks/scripts/gpu_sass.py [--cc 80 90] [--json FILE]

Exits 1 if a kernel fails to compile or spills to local memory.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import sysconfig
import tempfile

if os.environ.get("NUMBA_ENABLE_CUDASIM"):
    sys.exit("gpu_sass.py: unset NUMBA_ENABLE_CUDASIM (the simulator replaces numba.cuda)")

from numba import types  # noqa: E402
from numba.cuda import dispatcher  # noqa: E402
from numba.cuda.cudadrv import devices  # noqa: E402

import fastinit.cuda as fcuda  # noqa: E402
from fastinit import samplers  # noqa: E402

#: Output elements each thread writes per iteration of the grid-stride loop
#: (one Philox block); the constant kernel writes one.
ELEMENTS_PER_ITERATION = 4

_FP64_OPS = {"DADD", "DMUL", "DFMA", "DSETP", "DSET", "DMNMX", "DMMA"}
_DIVREM = re.compile(r"__cuda_sm\d+_(div|rem)_[us]64")
_LINE = re.compile(r"/\*([0-9a-f]{4,})\*/\s+(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_.]*)([^;]*);")
_LABEL = re.compile(r"^(\.L_x_\d+):")


class _StandInDevice:
    """What numba-cuda asks of the current device when it compiles."""

    def __init__(self, cc):
        self.compute_capability = cc
        self.id = 0
        self.name = b"stand-in"


def _use_device(cc):
    device = _StandInDevice(cc)

    class Context:
        pass
    Context.device = device
    dispatcher.get_current_device = lambda: device
    devices.get_context = lambda *args, **kwargs: Context()


def _tool(name):
    found = glob.glob(os.path.join(sysconfig.get_paths()["purelib"], "nvidia", "*", "bin", name))
    if not found:
        sys.exit(f"gpu_sass.py: {name} not found (pip install --no-deps nvidia-cuda-{name})")
    return sorted(found)[-1]


def _is_fp64(op, operands):
    base = op.split(".")[0]
    if base in _FP64_OPS:
        return True
    mods = op.split(".")[1:]
    fp64_mods = ("F64", "RCP64H", "RSQ64H")
    return base in {"F2F", "I2F", "F2I", "MUFU"} and any(m in fp64_mods for m in mods)


def analyse(sass, elements):
    """(sass_per_element, fp64_in_loop, int64_divrem_in_loop) of the outermost loop."""
    instructions, labels = [], {}
    pending = []
    for line in sass.splitlines():
        m = _LABEL.match(line.strip())
        if m:
            pending.append(m.group(1))
            continue
        m = _LINE.search(line)
        if m:
            addr = int(m.group(1), 16)
            for name in pending:
                labels[name] = addr
            pending = []
            instructions.append((addr, m.group(2), m.group(3)))
    loops = []
    for addr, op, rest in instructions:
        if op.startswith("BRA"):
            target = re.search(r"`\((\.L_x_\d+)\)", rest)
            if target and labels.get(target.group(1), addr + 1) <= addr:
                loops.append((labels[target.group(1)], addr))
    if not loops:
        return None, 0, 0
    # The grid-stride loop encloses every other loop of the kernel: the
    # backward branch spanning the most code.
    begin, end = max(loops, key=lambda span: span[1] - span[0])
    body = [(op, rest) for addr, op, rest in instructions if begin <= addr <= end and op != "NOP"]
    fp64 = sum(_is_fp64(op, rest) for op, rest in body)
    divrem = sum(op.startswith("CALL") and bool(_DIVREM.search(rest)) for op, rest in body)
    return round(len(body) / elements, 1), fp64, divrem


def _resources(cubin_path, cuobjdump):
    out = subprocess.run([cuobjdump, "-res-usage", cubin_path], capture_output=True, text=True,
                         check=True).stdout
    regs = int(re.search(r"REG:(\d+)", out).group(1))
    local = int(re.search(r"LOCAL:(\d+)", out).group(1))
    stack = int(re.search(r"STACK:(\d+)", out).group(1))
    return regs, local, stack


def kernels():
    """(name, dtype, dispatcher, argument types, elements per loop iteration)."""
    names = {v: k for k, v in vars(samplers).items()
             if k.isupper() and isinstance(v, int) and v in samplers.SAMPLE_FUNCTIONS
             and k not in ("N_PARAMS", "MAX_ATTEMPTS")}
    for contiguous in (True, False):
        for kind in sorted(samplers.SAMPLE_FUNCTIONS):
            yield (names[kind] + ("" if contiguous else " (runs)"), str(samplers.KIND_DTYPE[kind]),
                   fcuda.kernel_for(kind, contiguous), fcuda.kernel_signature(kind, contiguous),
                   ELEMENTS_PER_ITERATION)
    for nb in (types.float32, types.float64, types.uint16):
        yield ("CONSTANT", str(nb), fcuda.constant_kernel(), (types.Array(nb, 1, "C"), nb), 1)
    u16 = types.Array(types.uint16, 1, "C")
    yield ("NARROW_16 (float32 -> float16/bfloat16)", "uint16", fcuda.narrow_kernel(),
           (types.Array(types.float32, 1, "C"), u16, types.boolean, types.uint16, types.uint16,
            types.float32, types.float32), 1)
    yield ("SCATTER (Identity's diagonal)", "uint16", fcuda.scatter_kernel(),
           (u16, types.Array(types.int64, 1, "C"), types.uint16), 1)


def compile_one(disp, sig, cc, tools, elements):
    record = {"compiled": False, "registers": None, "spill_bytes": None, "stack_bytes": None,
              "sass_per_element": None, "fp64_in_loop": None, "int64_divrem_in_loop": None}
    try:
        kernel = dispatcher._Kernel(disp.py_func, sig, **disp.targetoptions)
        cubin = bytes(kernel.library.get_cubin(cc=cc).code)
    except Exception as e:  # a compile failure is a result, reported and failed on
        record["error"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        return record
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "kernel.cubin")
        with open(path, "wb") as f:
            f.write(cubin)
        regs, local, stack = _resources(path, tools["cuobjdump"])
        sass = subprocess.run([tools["nvdisasm"], "-c", path], capture_output=True, text=True,
                              check=True).stdout
    per, fp64, divrem = analyse(sass, elements)
    record.update(compiled=True, registers=regs, spill_bytes=local, stack_bytes=stack,
                  sass_per_element=per, fp64_in_loop=fp64, int64_divrem_in_loop=divrem)
    return record


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cc", nargs="+", default=["80", "90"], help="compute capabilities")
    p.add_argument("--json", help="write the records to this file")
    a = p.parse_args()
    tools = {name: _tool(name) for name in ("cuobjdump", "nvdisasm")}
    records = []
    for cc_text in a.cc:
        cc = (int(cc_text[:-1]), int(cc_text[-1]))
        _use_device(cc)
        for name, dtype, disp, sig, elements in kernels():
            rec = {"kernel": name, "dtype": dtype, "cc": f"sm_{cc_text}",
                   **compile_one(disp, sig, cc, tools, elements)}
            records.append(rec)
    print("| kernel | dtype | cc | compiled | registers | spill bytes | SASS/element "
          "| FP64 in loop | int64 div/rem in loop |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|")
    for r in records:
        print(f"| {r['kernel']} | {r['dtype']} | {r['cc']} | {'yes' if r['compiled'] else 'NO'} "
              f"| {r['registers']} | {r['spill_bytes']} | {r['sass_per_element']} "
              f"| {r['fp64_in_loop']} | {r['int64_divrem_in_loop']} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(records, f, indent=1)
    bad = [r for r in records if not r["compiled"] or r["spill_bytes"]]
    for r in bad:
        print(f"FAILED: {r['kernel']} {r['dtype']} {r['cc']}: "
              f"{r.get('error') or str(r['spill_bytes']) + ' bytes of local memory (spills)'}",
              file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
