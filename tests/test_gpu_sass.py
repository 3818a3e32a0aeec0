"""benchmarks/scripts/gpu_sass.py's reading of SASS, on a hand-written
listing (CI runs the script itself on the real cubins)."""
import importlib.util
import os

import pytest

SASS = """
        /*0000*/                   MOV R1, c[0x0][0x28] ;
.L_x_0:
        /*0010*/                   IADD3 R2, R2, 0x1, RZ ;
        /*0020*/              @!P0 BRA `(.L_x_0) ;
        /*0030*/                   ISETP.GE.U32.AND P0, PT, R4, R5, PT ;
.L_x_1:
        /*0040*/                   DADD R6, R6, R8 ;
        /*0050*/                   F2F.F64.F32 R10, R3 ;
        /*0060*/                   I2F.U64.RP R12, R14 ;
        /*0070*/                   CALL.REL.NOINC `($__internal_0_$__cuda_sm20_div_u64) ;
        /*0080*/                   NOP ;
        /*0090*/                   STG.E [R16.64], R3 ;
        /*00a0*/                   FFMA R3, R3, R4, R5 ;
        /*00b0*/                   IADD3 R4, R4, 0x1, RZ ;
        /*00c0*/              @P1 BRA `(.L_x_1) ;
        /*00d0*/                   EXIT ;
"""


@pytest.fixture(scope="module")
def gpu_sass():
    pytest.importorskip("numba.cuda")
    if os.environ.get("NUMBA_ENABLE_CUDASIM"):
        pytest.skip("gpu_sass.py needs the real numba.cuda, not the simulator")
    path = os.path.join(os.path.dirname(__file__), "..", "benchmarks", "scripts", "gpu_sass.py")
    spec = importlib.util.spec_from_file_location("gpu_sass", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_outermost_loop_is_counted(gpu_sass):
    # The loop .L_x_1 .. 0x00c0 holds 8 instructions besides the NOP; the
    # small loop before it is not the grid-stride loop.
    per_element, fp64, divrem = gpu_sass.analyse(SASS, elements=4)
    assert per_element == 2.0
    assert fp64 == 2  # DADD and F2F.F64.F32; I2F.U64 is an integer conversion
    assert divrem == 1


def test_no_loop(gpu_sass):
    assert gpu_sass.analyse("        /*0000*/                   EXIT ;\n", 1) == (None, 0, 0)
