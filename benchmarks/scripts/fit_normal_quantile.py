"""Refit the polynomials of fastinit's float32 normal quantile (and, with
``--trunc2-f64``, the rational of its float64 [-2, 2] truncated quantile).

``fastinit.transforms.normal_quantile_f32`` writes ``|z| / x`` for the normal
quantile ``z = sqrt(2) erfinv(x)`` as polynomials in ``w = -log(1 - x^2)``
(M. Giles' structure for erfinv):

* central, ``w`` in [0, 5], variable ``t = w - 2.5``, degree 9;
* tail, ``w`` in [5, 23], ``t = sqrt(w) - 3``, degree 11;
* far, ``w`` in [22.5, 104], ``t = sqrt(w) - 7``, degree 8.

Each is a minimax fit of the relative error (Lawson's iteratively reweighted
least squares on a Chebyshev basis) to SciPy's float64 ``ndtri``. The script
prints the maximum relative error of each fit and the float32 coefficients in
the form the module uses: ``c0`` split into a float32 pair, and the rest
highest degree first.

``--trunc2-f64``: ``fastinit.transforms.trunc2_ppf_f64`` writes ``z / q`` for
``z = Phi^-1(1/2 + q (Phi(2) - 1/2))`` as a (10, 10) rational ``N(y) / D(y)`` in
``y = q^2 - 1``: a least-squares fit of the relative error at 400 Chebyshev
nodes (Loeb's linearised iteration, in 50-digit mpmath arithmetic against
mpmath's ``erfinv``), printed as the module evaluates it: ``c1 = 2 - z/q(0)``
and ``R = (N - (2 + c1 y) D) / y`` (exact polynomial arithmetic on the float64
coefficients), highest degree first.

``--inner-f32``: ``fastinit.transforms.normal_quantile_inner_f32`` writes
``z / x = c + (3/16 - y) P(y) / Q(y)`` in ``y = 1 - x^2`` for ``|z| < 2`` (no
``log``): a (4, 4) rational by the same iteration, weighted by the error it
makes in ``z`` (see ``fit_inner_f32``).

    python benchmarks/scripts/fit_normal_quantile.py [--trunc2-f64 | --inner-f32]
"""
import sys
import warnings

import numpy as np
from numpy.polynomial import chebyshev, polynomial
from scipy.special import ndtri

PIECES = [  # name, w range, variable, centre of t, degree
    ("CENTRAL", (0.0, 5.0), "w", 2.5, 9),
    ("TAIL", (5.0, 23.0), "sqrt(w)", 3.0, 11),
    ("FAR", (22.5, 104.0), "sqrt(w)", 7.0, 8),
]


def quantile_over_x(w):
    """|z| / x for w = -log(1 - x^2), with p = (1 - x) / 2 computed without
    cancellation."""
    y = np.exp(-w)
    p = y / (2.0 * (1.0 + np.sqrt(1.0 - y)))
    x = 1.0 - 2.0 * p
    ratio = -ndtri(p) / np.where(x > 0, x, 1.0)
    return np.where(w > 1e-12, ratio, np.sqrt(np.pi / 2.0))


def minimax(t, f, degree, iterations=200):
    """Monomial coefficients (lowest first) minimising max |P(t) / f - 1|."""
    weights = np.ones_like(t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(iterations):
            fit = chebyshev.Chebyshev.fit(t, f, degree, w=np.sqrt(weights) / np.abs(f))
            err = np.abs(fit(t) / f - 1.0)
            weights *= err / err.max() + 1e-4
            weights /= weights.sum()
    lo, hi = t.min(), t.max()
    mono = fit.convert(kind=polynomial.Polynomial, domain=[lo, hi], window=[lo, hi])
    return mono.coef, err.max()


def main():
    for name, (w_lo, w_hi), variable, centre, degree in PIECES:
        if variable == "w":
            w = np.linspace(w_lo, w_hi, 200001)
            t = w - centre
        else:
            s = np.linspace(np.sqrt(w_lo), np.sqrt(w_hi), 200001)
            w, t = s * s, s - centre
        coef, err = minimax(t, quantile_over_x(w), degree)
        c0_hi = np.float32(coef[0])
        c0_lo = np.float32(coef[0] - np.float64(c0_hi))
        print(f"{name}: w in [{w_lo}, {w_hi}], t = {variable} - {centre}, degree {degree}, "
              f"max relative error {err:.3g}")
        print(f"  _{name}_C0 = ({float(c0_hi)!r}, {float(c0_lo)!r})")
        print(f"  _{name}_R = ({', '.join(repr(float(np.float32(c))) for c in coef[1:][::-1])})")


def _loeb_rational(mp, xs, fs, weights, dn, dd, iterations):
    # Least-squares (dn, dd) rational N / D, D(0) = 1, of the weighted error
    # w (N / D - f) at the nodes: Loeb's linearised iteration, minimising
    # sum (w (N - f D) / D_prev)^2.
    den_prev = [mp.mpf(1)] * len(xs)
    for _ in range(iterations):
        a = mp.matrix(len(xs), dn + 1 + dd)
        b = mp.matrix(len(xs), 1)
        for i, (x, f, w) in enumerate(zip(xs, fs, weights)):
            s = w / den_prev[i]
            for j in range(dn + 1):
                a[i, j] = x ** j * s
            for j in range(1, dd + 1):
                a[i, dn + j] = -f * x ** j * s
            b[i] = f * s
        sol = mp.qr_solve(a, b)[0]
        num = [sol[j] for j in range(dn + 1)]
        den = [mp.mpf(1)] + [sol[dn + j] for j in range(1, dd + 1)]
        den_prev = [mp.polyval(den[::-1], x) for x in xs]
    return num, den


def fit_trunc2_f64(degree=10, nodes=400, iterations=8):
    import mpmath as mp  # the test extra's; only this fit needs it
    mp.mp.dps = 50
    mass = mp.erf(mp.sqrt(2))  # 2 (Phi(2) - 1/2)
    slope0 = mp.sqrt(2) * mass * mp.sqrt(mp.pi) / 2  # z/q at q = 0

    def ratio(y):  # z/q at q = sqrt(1 + y)
        q = mp.sqrt(1 + y)
        return mp.sqrt(2) * mp.erfinv(q * mass) / q if q else slope0

    ys = [-(1 + mp.cos(mp.pi * (i + mp.mpf(0.5)) / nodes)) / 2 for i in range(nodes)]
    fs = [ratio(y) for y in ys]
    num, den = _loeb_rational(mp, ys, fs, [1 / f for f in fs], degree, degree, iterations)
    err = max(abs(mp.polyval(num[::-1], y) / mp.polyval(den[::-1], y) / f - 1)
              for y, f in zip(ys, fs))
    num = [mp.mpf(float(c)) for c in num]  # the float64 coefficients, exactly
    den = [mp.mpf(float(c)) for c in den]
    c1 = float(2 - slope0)
    rest = [num[j] - 2 * den[j] for j in range(degree + 1)] + [mp.mpf(0)]
    for j in range(degree + 1):
        rest[j + 1] -= c1 * den[j]
    print(f"TRUNC2_F64: (10, 10) rational in y = q^2 - 1, max relative error {mp.nstr(err, 3)}")
    print(f"  _TN64_R = ({', '.join(repr(float(c)) for c in rest[1:][::-1])})")
    print(f"  _TN64_D = ({', '.join(repr(float(c)) for c in den[::-1])})")
    print(f"  _TN64_C1 = {c1!r}")


def fit_inner_f32(nodes=300, iterations=10):
    # z / x = c + (3/16 - y) r(y), y = 1 - x^2 in [0.0885, 1] (|z| < 2.0016),
    # c = z / x at y = 3/16; r a (4, 4) rational fitted to the error it
    # makes in z / x relative to z / x, weighted 1/20 for |z| < 1 (y > 0.55,
    # where the contract is 1e-6 absolute).
    import mpmath as mp
    mp.mp.dps = 40
    anchor, y0 = mp.mpf(3) / 16, mp.mpf("0.0885")

    def ratio(y):  # z / x at x = sqrt(1 - y)
        x = mp.sqrt(1 - y)
        return mp.sqrt(2) * mp.erfinv(x) / x

    c = ratio(anchor)
    ys = [y0 + (1 - y0) * (1 - mp.cos(mp.pi * (i + mp.mpf(0.5)) / nodes)) / 2
          for i in range(nodes)]
    fs = [(ratio(y) - c) / (anchor - y) for y in ys]  # no node at the anchor
    ws = [abs(anchor - y) / ratio(y) * (1 if y < mp.mpf("0.55") else mp.mpf("0.05"))
          for y in ys]
    num, den = _loeb_rational(mp, ys, fs, ws, 4, 4, iterations)
    err = max(abs(mp.polyval(num[::-1], y) / mp.polyval(den[::-1], y) - f) * w
              for y, f, w in zip(ys, fs, ws))
    print(f"INNER_F32: (4, 4) rational in y = 1 - x^2, max weighted error {mp.nstr(err, 3)}")
    print(f"  _INNER_P = ({', '.join(repr(float(v)) for v in num[::-1])})")
    print(f"  _INNER_Q = ({', '.join(repr(float(v)) for v in den[::-1])})")
    print(f"  _INNER_C = {float(np.float32(float(c)))!r}")


if __name__ == "__main__":
    if "--trunc2-f64" in sys.argv[1:]:
        fit_trunc2_f64()
    elif "--inner-f32" in sys.argv[1:]:
        fit_inner_f32()
    else:
        main()
