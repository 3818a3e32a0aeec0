"""Refit the polynomials of fastinit's float32 normal quantile.

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

    python benchmarks/scripts/fit_normal_quantile.py
"""
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


if __name__ == "__main__":
    main()
