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

    python benchmarks/scripts/fit_normal_quantile.py [--trunc2-f64]
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
    den_prev = [mp.mpf(1)] * nodes
    for _ in range(iterations):  # minimise sum ((N - f D) / (D_prev f))^2
        a = mp.matrix(nodes, 2 * degree + 1)
        b = mp.matrix(nodes, 1)
        for i, (y, f) in enumerate(zip(ys, fs)):
            s = 1 / (den_prev[i] * f)
            for j in range(degree + 1):
                a[i, j] = y ** j * s
            for j in range(1, degree + 1):
                a[i, degree + j] = -f * y ** j * s
            b[i] = f * s
        x = mp.qr_solve(a, b)[0]
        num = [x[j] for j in range(degree + 1)]
        den = [mp.mpf(1)] + [x[degree + j] for j in range(1, degree + 1)]
        den_prev = [mp.polyval(den[::-1], y) for y in ys]
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


if __name__ == "__main__":
    fit_trunc2_f64() if "--trunc2-f64" in sys.argv[1:] else main()
