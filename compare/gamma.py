"""The scaled upper incomplete gamma function ``G(s, z) = e^z z^-s Gamma(s, z)`` for every real ``s``.

The normaliser of the truncated power law of :mod:`compare.likelihood`; SciPy's ``gammaincc`` covers
only ``s > 0`` (``powerlaw`` calls mpmath for the rest).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

#: Relative accuracy asked of the continued fraction and the series of :func:`log_scaled_upper_gamma`.
SERIES_TOLERANCE = 4.0 * np.finfo(np.float64).eps
_MAX_TERMS = 100_000


def log_scaled_upper_gamma(s: float, z: float) -> float:
    """``ln G(s, z)``, ``G(s, z) = e^z z^-s Gamma(s, z) = int_0^inf (1 + u)^(s - 1) e^(-z u) du``.

    The normaliser of the truncated power law on ``y >= 1``: ``Z(alpha, lambda) = G(1 - alpha,
    lambda)``. Valid for every real ``s`` and ``z > 0``, including ``s <= 0`` where the upper
    incomplete gamma function has no SciPy implementation: SciPy's regularised ``gammaincc``
    for ``s > 0``; Legendre's continued fraction for ``z >= 1``; for ``z < 1`` the series
    ``Gamma(s, z) = (Gamma(1 + s) - z^s) / s - z^s sum_k>=1 (-z)^k / (k! (s + k))`` on
    ``-1/2 <= s <= 0`` (``ln Gamma(1 + s)`` by its zeta series, so ``s -> 0`` loses nothing) and
    the recurrence ``G(s) = (1 - z G(s + 1)) / -s`` below it. Relative error about 1e-14.

    Parameters
    ----------
    s : float
        Any finite real number.
    z : float
        Finite, > 0.

    Returns
    -------
    float
        ``ln G(s, z)``.

    Raises
    ------
    ValueError
        ``s`` or ``z`` not finite, or ``z <= 0``.
    ArithmeticError
        The continued fraction did not converge.

    Examples
    --------
    >>> round(math.exp(log_scaled_upper_gamma(0.0, 1.0)), 12)  # e * E1(1)
    0.596347362323
    """
    s, z = float(s), float(z)
    if not (z > 0.0 and math.isfinite(z) and math.isfinite(s)):
        raise ValueError(f"need finite s and z > 0, got s={s!r}, z={z!r}")
    if s > 0.0:
        q = float(special.gammaincc(s, z))
        if q > 1e-280:
            return math.log(q) + float(special.gammaln(s)) + z - s * math.log(z)
        return _log_g_continued_fraction(s, z)
    if z >= 1.0:
        return _log_g_continued_fraction(s, z)
    m = math.ceil(-s - 0.5)  # steps down from s0 in [-1/2, 1/2)
    s0 = s + m
    if s0 > 0.0:
        g = float(special.gammaincc(s0, z) * special.gamma(s0)) * math.exp(z) * z**-s0
    else:
        g = _upper_gamma_series(s0, z) * math.exp(z) * z**-s0
    for j in range(1, m + 1):
        a = s0 - j
        g = (1.0 - z * g) / -a
    return math.log(g)


def _log_g_continued_fraction(s: float, z: float) -> float:
    """The logarithm ``ln G(s, z)`` by the modified Lentz evaluation of Legendre's continued fraction."""
    tiny = 1e-300
    b = z + 1.0 - s
    c = 1.0 / tiny
    d = 1.0 / b if b != 0.0 else 1.0 / tiny
    h = d
    for i in range(1, _MAX_TERMS):
        an = -i * (i - s)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < SERIES_TOLERANCE:
            return math.log(h)
    raise ArithmeticError(f"continued fraction of Gamma({s}, {z}) did not converge")


def _upper_gamma_series(s: float, z: float) -> float:
    """Gamma(s, z) for -1/2 <= s <= 0 and 0 < z < 1, free of cancellation as s -> 0."""
    k = np.arange(2.0, 62.0)  # ln Gamma(1 + s) = -gamma s + sum_k zeta(k) (-s)^k / k; 0.5^61 < 1e-18
    lgamma_1ps = -np.euler_gamma * s + float(np.sum(special.zeta(k) / k * (-s) ** k))
    log_z = math.log(z)
    head = -np.euler_gamma - log_z if s == 0.0 else (math.expm1(lgamma_1ps) - math.expm1(s * log_z)) / s
    total, term, k = 0.0, 1.0, 0
    while True:
        k += 1
        term *= -z / k
        total += term / (s + k)
        if abs(term) < SERIES_TOLERANCE * abs(total) or k > _MAX_TERMS:
            break
    return head - math.exp(s * log_z) * total
