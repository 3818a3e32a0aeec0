"""COMPATIBILITY PINS (stream stability).

These hashes were produced by fastinit 0.1.0 itself and are *not* independent
reference values: they pin the exact output stream (seed derivation, element
-> counter mapping, bits -> float transforms) so that any change to it is
noticed. Changing a pin is a deliberate, versioned compatibility break that
must be documented in the README's changelog. Correctness of the values is
tested elsewhere against independent references.

Machine note: values are pinned on x86-64 with FMA (Numba compiles with
floating-point contraction, and the transforms spell out their FMAs); the
kinds that still call the C math library's log/cos/sin (float64 rejection,
the float64 quantile's outermost tails, the narrow float32 truncated normal)
also depend on it (see README, "Guarantees").
"""
import hashlib

import numpy as np
import pytest

import fastinit

CASES = {
    "LecunNormal": lambda: fastinit.LecunNormal(seed=0),
    "LecunNormal-rejection": lambda: fastinit.LecunNormal(seed=0, method="rejection"),
    "GlorotUniform": lambda: fastinit.GlorotUniform(seed=0),
    "HeNormal": lambda: fastinit.HeNormal(seed=0),
    "VarianceScaling-untruncated": lambda: fastinit.VarianceScaling(
        distribution="untruncated_normal", seed=0),
    "TruncatedNormal": lambda: fastinit.TruncatedNormal(seed=0),
    "RandomNormal": lambda: fastinit.RandomNormal(seed=0),
    "RandomUniform": lambda: fastinit.RandomUniform(seed=0),
    "LecunUniform": lambda: fastinit.LecunUniform(seed=0),
    "GlorotNormal": lambda: fastinit.GlorotNormal(seed=0),
    "HeUniform": lambda: fastinit.HeUniform(seed=0),
    "LecunNormal-torch": lambda: fastinit.LecunNormal(seed=0, layout="torch"),
    "TruncatedNormal-central": lambda: fastinit.TruncatedNormal(seed=0, minval=-0.01, maxval=0.2),
    "TruncatedNormal-upper": lambda: fastinit.TruncatedNormal(seed=0, minval=0.1, maxval=0.3),
    "TruncatedNormal-tail": lambda: fastinit.TruncatedNormal(seed=0, minval=-2.0, maxval=-0.3),
    "Identity": lambda: fastinit.Identity(gain=0.5),
    "Constant": lambda: fastinit.Constant(0.3),
}

# sha256 (first 32 hex digits) of the bytes of init((64, 70), dtype).
# Orthogonal is not pinned: its QR goes through the installed LAPACK.
PINS = {
    ("LecunNormal", "float32"): "b6050f76ef268c84f477374ac910ab6f",
    ("LecunNormal", "float64"): "ed76cb2480340e58003a325c2c17ed5d",
    ("LecunNormal", "float16"): "9c68ebc0415546197a8385dc67bf45c7",
    ("LecunNormal", "bfloat16"): "212e268b7ba32fb000252647c2336627",
    ("LecunNormal-rejection", "float32"): "89640e62238b0999dfa7aea1a2ffc50a",
    ("LecunNormal-rejection", "float64"): "0ab20f2fa97acbcef09b3c817916aad8",
    ("LecunNormal-rejection", "float16"): "45e9de4abfb68f4f0cd134bef7e5ee03",
    ("LecunNormal-rejection", "bfloat16"): "20d6a2936007a56c361991dcc3ec72f1",
    ("GlorotUniform", "float32"): "092b1fe6ad1642c012a3e0ee146a07c5",
    ("GlorotUniform", "float64"): "2b933c93a309cba5cf840c69e47a5b53",
    ("GlorotUniform", "float16"): "e9102b0961fbbf8c02069d9c6d509fbc",
    ("GlorotUniform", "bfloat16"): "7ce1a544afbcefe3f3039420d100e0ac",
    ("HeNormal", "float32"): "280c6f9dc0430792bea1153027d0438a",
    ("HeNormal", "float64"): "8617ae9d73d0c1502320986854d725a9",
    ("HeNormal", "float16"): "13c93a0e15079e5ed5ac9b29f6cfdc9a",
    ("HeNormal", "bfloat16"): "dcba4c80a94e3539eb05fb8341569f6f",
    ("VarianceScaling-untruncated", "float32"): "97b93078d00cca40b5f0a5bc3b277065",
    ("VarianceScaling-untruncated", "float64"): "093de058771bb336ab05fdfa03cc6779",
    ("VarianceScaling-untruncated", "float16"): "44f7cb39b86b76f435eb653404944b8c",
    ("VarianceScaling-untruncated", "bfloat16"): "48989919787a72139ac6c7a49443cee9",
    ("TruncatedNormal", "float32"): "a8f8c2697cfa8327693d058db1d6fa45",
    ("TruncatedNormal", "float64"): "3dd023b843988793ba1373bc71336f71",
    ("TruncatedNormal", "float16"): "d84d7bb9c63206212f8f31c8bdc59892",
    ("TruncatedNormal", "bfloat16"): "94daea875fbd236e8040ddbbdd8d6249",
    ("RandomNormal", "float32"): "117ad756e9bc9d75e773931431695415",
    ("RandomNormal", "float64"): "59a93c04d030cf4fdbfccf7194828bf3",
    ("RandomNormal", "float16"): "39cfbdbc41a182c3cb56f13c5da1c072",
    ("RandomNormal", "bfloat16"): "96df35be916d531f45961b09b9831a6a",
    ("RandomUniform", "float32"): "7cc68a3bbc2d62297b18448dfa9e5647",
    ("RandomUniform", "float64"): "c7080e9638e74f92570e4898ba8edc5f",
    ("RandomUniform", "float16"): "98dfdabb2ecb4f758727c4a4ee6ebe03",
    ("RandomUniform", "bfloat16"): "a4df4c82df87fd4c77f00cde2d7b7249",
    ("LecunUniform", "float32"): "791498f0607c451ecebdc95240d365cf",
    ("LecunUniform", "float64"): "7672f3cbc92299c4f3349a3e8f0900b4",
    ("LecunUniform", "float16"): "aef8f65bb6bbfe09b8d6ed6d44ce346c",
    ("LecunUniform", "bfloat16"): "f5cd44663a866ac3a39aa9e493c3b78e",
    ("GlorotNormal", "float32"): "752cf5166fe85e67a5cf3d7076034a9d",
    ("GlorotNormal", "float64"): "ea97e51f638db8d61ea0800d2264e2c8",
    ("GlorotNormal", "float16"): "c28ece985106c16a9e09684ee45174cf",
    ("GlorotNormal", "bfloat16"): "c94ef8629fe2bc1ee670f294349204ef",
    ("HeUniform", "float32"): "2856f823f5f7d621b22531e380b6c004",
    ("HeUniform", "float64"): "7ed3fbb9a44b67e7b3298f7432d33c95",
    ("HeUniform", "float16"): "36795ff816e528d420377ad1db947c7f",
    ("HeUniform", "bfloat16"): "94b20b880980fec4c9fdc93359fa5ea0",
    ("LecunNormal-torch", "float32"): "e59bce314160988ac3bfeaab1dc9b1c1",
    ("LecunNormal-torch", "float64"): "45e8bb60e0d4181aeeab4f5b609a321f",
    ("LecunNormal-torch", "float16"): "1f8e9025cd13466d2da017b7dbb3abce",
    ("LecunNormal-torch", "bfloat16"): "566303d680a55e066509dd4eed8f602b",
    ("TruncatedNormal-central", "float32"): "9124d2e6ee4ff59fea568fad8a5d28d7",
    ("TruncatedNormal-central", "float64"): "5255f2836aefd35265e5ddffa9541081",
    ("TruncatedNormal-central", "float16"): "ce9baa04cd45f11b467f41bd883514e0",
    ("TruncatedNormal-central", "bfloat16"): "169387b77c509618217407d90f549493",
    ("TruncatedNormal-upper", "float32"): "d36552c6d99774ab01472475a35fd53a",
    ("TruncatedNormal-upper", "float64"): "c5a30dc1536b3459ff19cf4c946a6d2e",
    ("TruncatedNormal-upper", "float16"): "8753537ef9e93126ab82b627e1a805a5",
    ("TruncatedNormal-upper", "bfloat16"): "1777b11252ff7b159c676116e5b8e6be",
    ("TruncatedNormal-tail", "float32"): "38eecd856bf6c4ea93975506cf745d8d",
    ("TruncatedNormal-tail", "float64"): "d6975ff15f938df0a9f2c05eb37e8b75",
    ("TruncatedNormal-tail", "float16"): "51ebc7bd4c9b6321c86e9514272a3f22",
    ("TruncatedNormal-tail", "bfloat16"): "4e1105dbf9de204e53b031cf41483c4c",
    ("Identity", "float32"): "93399a1f3212fa0056bcd7d5ee3ba030",
    ("Identity", "float64"): "1758bd97b1f3723aaeb07c2ac6b8d0b7",
    ("Identity", "float16"): "c0e459ce481c6172fcf73bca2b2fab2b",
    ("Identity", "bfloat16"): "a721ab38a2afcab54188ed9f7c3a3469",
    ("Constant", "float32"): "e3935b65c2d078c68212f3c58bcbcdea",
    ("Constant", "float64"): "6599e67196635526c8885e628fa9dd58",
    ("Constant", "float16"): "a3300fa3bcf667c036f98f626e7ca2ba",
    ("Constant", "bfloat16"): "f3398563783b5710bfcb77d23881356d",
}


@pytest.mark.parametrize("name,dtype", sorted(PINS))
def test_stream_is_pinned(name, dtype):
    x = CASES[name]()((64, 70), dtype)
    assert hashlib.sha256(x.reshape(-1).view(np.uint8)).hexdigest()[:32] == PINS[name, dtype]
