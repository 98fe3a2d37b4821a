"""The discrete power law ``p(x) = x^-beta / zeta(beta, x_min)`` on the integers ``x >= x_min``.

Clauset, Shalizi and Newman (2009), section 3 and appendix B: the normaliser is the Hurwitz zeta
function ``zeta(beta, q) = sum_{j >= 0} (q + j)^-beta`` (``scipy.special.zeta(beta, q)``), the
maximum-likelihood exponent solves ``d ln zeta(beta, x_min) / d beta = -mean(ln x)`` (unique: ``ln
zeta`` is convex in beta), and its standard error is ``1 / sqrt(K d^2 ln zeta / d beta^2)``, the
observed information. The beta-derivatives of ``ln zeta`` are central differences with one
Richardson step (:data:`DERIVATIVE_STEP`; about 1e-11 relative for the first, 1e-7 for the second,
checked against mpmath in the tests). ``ln zeta`` falls back to an explicit sum plus an
Euler-Maclaurin tail where ``zeta(beta, q)`` underflows (``beta ln q`` beyond about 690).

The ``powerlaw`` package replaces this MLE, for ``x_min >= 10``, by the continuous formula with
``x_min - 1/2`` (CSN eq. 3.7); the approximation is off by up to tens of percent for small x_min
(``powerlaw`` issue #104) and within about 1 % above x_min ~ 10 for beta near 2.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy import optimize, special

if TYPE_CHECKING:
    import numpy.typing as npt

#: Step of the central differences of ``ln zeta`` in beta (halved once for Richardson's step).
DERIVATIVE_STEP = 1e-3
#: Explicit terms before the Euler-Maclaurin tail of the underflow fallback (at least beta).
_EXPLICIT_TERMS = 16
#: ``zeta`` values below this are recomputed in logs (subnormal or zero).
_UNDERFLOW = 1e-290
#: ``beta ln(1 + J / q)`` above which the terms past the J-th weigh less than e^-40 (plain sums).
_STEEP = 40.0
#: Above this ``beta ln q``, ``q^beta`` would overflow: :func:`log_scaled_zeta` sums in logs.
_SCALED_LIMIT = 600.0


def check_integer_values(values: np.ndarray, *, name: str = "values") -> None:
    """Refuse values that are not integers >= 1 (the discrete law's support).

    Parameters
    ----------
    values : ndarray, float64
        The values.
    name : str
        Used in the message.

    Raises
    ------
    ValueError
        A value has a fraction or is below 1.
    """
    bad = (values != np.floor(values)) | (values < 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}: discrete fits need integers >= 1; value {values[i]!r} at index {i} is not")


def is_integer_valued(values: np.ndarray) -> bool:
    """Whether every value is an integer >= 1 (then a discrete fit may be meant).

    Parameters
    ----------
    values : ndarray, float64
        The values.

    Returns
    -------
    bool
        True when all are whole numbers >= 1.
    """
    return bool(np.all((values == np.floor(values)) & (values >= 1)))


def log_hurwitz_zeta(beta: npt.ArrayLike, q: npt.ArrayLike) -> np.ndarray:
    """``ln zeta(beta, q)``, broadcast over ``beta > 1`` and ``q > 0``.

    Parameters
    ----------
    beta : array_like, float64
        Exponents, > 1.
    q : array_like, float64
        Offsets, > 0.

    Returns
    -------
    ndarray, float64
        ``ln sum_{j >= 0} (q + j)^-beta``, the broadcast shape.
    """
    b, qq = np.broadcast_arrays(np.asarray(beta, dtype=np.float64), np.asarray(q, dtype=np.float64))
    with np.errstate(divide="ignore"):
        out = np.log(special.zeta(b, qq))
    low = ~(out > math.log(_UNDERFLOW))
    if low.any():
        out = np.array(out, copy=True)
        out[low] = _log_zeta_by_sum(b[low], qq[low])
    return out


def _log_zeta_by_sum(beta: np.ndarray, q: np.ndarray, *, scaled: bool = False) -> np.ndarray:
    """``ln zeta`` as ``sum_{j < J} (q + j)^-beta`` plus Euler-Maclaurin from ``Q = q + J``, in logs.

    ``J >= beta`` keeps the neglected term, ``~ (beta / Q)^6 / 30240`` of the tail, tiny; the
    tail itself is then negligible unless ``q >> beta``, where the expansion is very accurate.
    ``scaled``: without the ``-beta ln q`` of every term (:func:`log_scaled_zeta`).
    """
    terms = max(_EXPLICIT_TERMS, int(np.ceil(beta.max())) + 1)
    j = np.arange(terms, dtype=np.float64)
    explicit = -beta[:, None] * np.log1p(j / q[:, None])
    big_q = q + terms
    bracket = big_q / (beta - 1.0) + 0.5 + beta / (12.0 * big_q)
    bracket -= beta * (beta + 1.0) * (beta + 2.0) / (720.0 * big_q**3)
    tail = -beta * np.log1p(terms / q) + np.log(bracket)
    out = special.logsumexp(np.column_stack([explicit, tail]), axis=1)
    return out if scaled else out - beta * np.log(q)


def log_scaled_zeta(beta: npt.ArrayLike, q: npt.ArrayLike) -> np.ndarray:
    """``ln(q^beta zeta(beta, q)) = ln sum_{j >= 0} (1 + j / q)^-beta``, without ``-beta ln q``.

    Of order one where ``ln zeta`` is of order ``beta ln q``: its differences in beta keep their
    digits (the derivatives of :func:`log_zeta_derivatives` come from it).

    Parameters
    ----------
    beta : array_like, float64
        Exponents, > 1.
    q : array_like, float64
        Offsets, > 0.

    Returns
    -------
    ndarray, float64
        The broadcast shape.
    """
    b, qq = np.broadcast_arrays(np.asarray(beta, dtype=np.float64), np.asarray(q, dtype=np.float64))
    log_q = np.log(qq)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        out = np.log(special.zeta(b, qq) * np.exp(b * log_q))
    low = ~np.isfinite(out) | (b * log_q > _SCALED_LIMIT)
    if low.any():
        out = np.array(out, copy=True)
        out[low] = _log_zeta_by_sum(b[low], qq[low], scaled=True)
    return out


def _step(beta: np.ndarray) -> np.ndarray:
    """Difference step, kept inside ``beta > 1``."""
    return np.minimum(DERIVATIVE_STEP, (beta - 1.0) / 4.0)


def log_zeta_derivatives(beta: npt.ArrayLike, q: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """First and second derivatives of ``ln zeta(beta, q)`` in beta.

    Parameters
    ----------
    beta : array_like, float64
        Exponents, > 1.
    q : array_like, float64
        Offsets, > 0.

    Returns
    -------
    tuple of ndarray
        ``(d ln zeta / d beta, d^2 ln zeta / d beta^2)``: minus the mean and the variance of
        ``ln X`` under the law.
    """
    b, qq = np.broadcast_arrays(np.asarray(beta, dtype=np.float64), np.asarray(q, dtype=np.float64))
    h = _step(b)
    # ln zeta = log_scaled_zeta - beta ln q: the linear part is differentiated exactly
    f0 = log_scaled_zeta(b, qq)
    fp, fm = log_scaled_zeta(b + h, qq), log_scaled_zeta(b - h, qq)
    fp2, fm2 = log_scaled_zeta(b + h / 2, qq), log_scaled_zeta(b - h / 2, qq)
    d1 = (fp - fm) / (2 * h)
    d1_half = (fp2 - fm2) / h
    d2 = (fp - 2 * f0 + fm) / h**2
    d2_half = (fp2 - 2 * f0 + fm2) / (h / 2) ** 2
    first, second = (4 * d1_half - d1) / 3 - np.log(qq), np.maximum((4 * d2_half - d2) / 3, 0.0)
    # steep laws: the mass sits on the first few integers, where the moments are plain sums
    steep = b * np.log1p(_EXPLICIT_TERMS / qq) > _STEEP
    if steep.any():
        first, second = np.array(first, copy=True), np.array(second, copy=True)
        first[steep], second[steep] = _log_moments_by_sum(b[steep], qq[steep])
    return first, second


def _log_moments_by_sum(beta: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``-E[ln X]`` and ``Var[ln X]`` from the first :data:`_EXPLICIT_TERMS` terms (the rest < e^-40)."""
    log_x = np.log(q[:, None] + np.arange(_EXPLICIT_TERMS, dtype=np.float64))
    log_w = -beta[:, None] * (log_x - log_x[:, :1])
    w = np.exp(log_w - special.logsumexp(log_w, axis=1, keepdims=True))
    mean = np.sum(w * log_x, axis=1)
    return -mean, np.sum(w * (log_x - mean[:, None]) ** 2, axis=1)


def discrete_survival(x: npt.ArrayLike, beta: float, x_min: float) -> np.ndarray:
    """``P(X >= x) = zeta(beta, x) / zeta(beta, x_min)`` of the discrete power law.

    Parameters
    ----------
    x : array_like, float64
        Integers >= ``x_min``.
    beta : float
        Exponent, > 1.
    x_min : float
        Lower end of the support (an integer >= 1).

    Returns
    -------
    ndarray, float64
        The survival probabilities, shape of ``x``.
    """
    x = np.asarray(x, dtype=np.float64)
    return np.exp(log_hurwitz_zeta(beta, x) - log_hurwitz_zeta(beta, x_min))


def discrete_mle(tail: np.ndarray) -> tuple[float, float] | None:
    """Maximum-likelihood exponent of the discrete law on ``tail`` and its standard error.

    Parameters
    ----------
    tail : ndarray, shape (k,), float64
        Integers >= 1 sorted descending; ``x_min = tail[-1]``.

    Returns
    -------
    tuple of float or None
        ``(beta, sigma)``; None when every value equals ``x_min`` (the MLE is infinite).
    """
    x_min = float(tail[-1])
    target = -float(np.mean(np.log(tail)))  # d ln zeta / d beta at the MLE
    if not target < -math.log(x_min):
        return None

    def score(beta: float) -> float:
        return float(log_zeta_derivatives(beta, x_min)[0][()]) - target

    # continuous approximation (CSN eq. 3.7) as the first guess; bracket around it
    guess = 1.0 + tail.size / float(np.sum(np.log(tail / (x_min - 0.5))))
    low, high = 1.0 + 1e-9, max(guess, 1.5)
    while score(high) < 0:
        high = 1.0 + 2.0 * (high - 1.0)
        if high > 1e4:
            return None
    beta = optimize.brentq(score, low, high, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=200)
    information = float(log_zeta_derivatives(beta, x_min)[1][()])
    # a law so steep that ln X barely varies: the information is below the differences' resolution
    sigma = 1.0 / math.sqrt(tail.size * information) if information > 0 else math.inf
    return float(beta), sigma


def discrete_mle_many(
    log_sums: np.ndarray, counts: np.ndarray, x_min: np.ndarray, *, iterations: int = 60
) -> np.ndarray:
    """Discrete MLE exponents of many tails at once (safeguarded Newton on the score).

    Parameters
    ----------
    log_sums : ndarray, shape (m,), float64
        ``sum(ln x)`` over each tail.
    counts : ndarray, shape (m,), int64
        Values in each tail.
    x_min : ndarray, shape (m,), float64
        Each tail's smallest value.
    iterations : int
        Most Newton steps.

    Returns
    -------
    ndarray, shape (m,), float64
        The exponents (NaN where the tail holds one distinct value), to about 1e-10 relative.
    """
    target = -log_sums / counts
    valid = target < -np.log(x_min)
    with np.errstate(divide="ignore", invalid="ignore"):
        guess = 1.0 + counts / (log_sums - counts * np.log(x_min - 0.5))
    beta = np.where(valid, np.clip(guess, 1.05, 50.0), np.nan)
    low = np.full(beta.shape, 1.0 + 1e-9)
    high = np.full(beta.shape, np.inf)
    active = valid.copy()
    for _ in range(int(iterations)):
        if not active.any():
            break
        b = beta[active]
        d1, d2 = log_zeta_derivatives(b, x_min[active])
        g = d1 - target[active]
        lo, hi = low[active], high[active]
        lo = np.where(g < 0, b, lo)
        hi = np.where(g >= 0, b, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            new = b - g / d2
        outside = ~((new > lo) & (new < hi))
        new = np.where(outside, np.where(np.isfinite(hi), (lo + hi) / 2, 1.0 + 2.0 * (b - 1.0)), new)
        done = np.abs(new - b) <= 1e-11 * b
        beta[active], low[active], high[active] = new, lo, hi
        idx = np.flatnonzero(active)
        active[idx[done]] = False
    return beta


def sample_discrete_power_law(n: int, beta: float, x_min: float, rng: np.random.Generator) -> np.ndarray:
    """Exact draws from the discrete power law by inversion of ``P(X >= x)``.

    ``X = max{x >= x_min : P(X >= x) >= u}`` for ``u`` uniform on (0, 1]: CSN's approximation
    ``floor((x_min - 1/2) u^(-1 / (beta - 1)) + 1/2)`` (eq. D.7) as the start, then corrected
    exactly, by unit steps and, where those do not suffice, bisection.

    Parameters
    ----------
    n : int
        Number of draws.
    beta : float
        Exponent, > 1.
    x_min : float
        Lower end of the support (an integer >= 1).
    rng : numpy.random.Generator
        Source of the uniforms.

    Returns
    -------
    ndarray, shape (n,), float64
        Integer-valued draws >= ``x_min``.
    """
    u = 1.0 - rng.random(int(n))  # in (0, 1]
    log_u = np.log(u)
    log_norm = float(log_hurwitz_zeta(beta, x_min))

    def log_s(x: np.ndarray) -> np.ndarray:
        return log_hurwitz_zeta(beta, x) - log_norm

    with np.errstate(over="ignore"):
        x = np.floor((x_min - 0.5) * u ** (-1.0 / (beta - 1.0)) + 0.5)
    x = np.clip(np.nan_to_num(x, posinf=1e15), x_min, 1e15)
    for _ in range(3):
        down = log_s(x) < log_u
        x[down] -= 1
        up = ~down & (log_s(x + 1) >= log_u)
        x[up] += 1
        if not (down.any() or up.any()):
            return x
    wrong = (log_s(x) < log_u) | (log_s(x + 1) >= log_u)
    if wrong.any():
        x[wrong] = _bisect_draws(log_u[wrong], x[wrong], log_s, x_min)
    return x


def _bisect_draws(log_u: np.ndarray, start: np.ndarray, log_s: object, x_min: float) -> np.ndarray:
    """Integer bisection for ``max{x : ln P(X >= x) >= ln u}`` from a start that is off."""
    lo = np.full(log_u.shape, float(x_min))  # ln S(lo) = 0 >= ln u
    hi = np.maximum(start, lo) + 1.0
    while True:
        grow = log_s(hi) >= log_u
        if not grow.any():
            break
        hi[grow] = np.minimum(2.0 * hi[grow], 1e15)
        if (hi[grow] >= 1e15).all():
            break
    while (hi - lo > 1).any():
        mid = np.floor((lo + hi) / 2)
        ok = log_s(mid) >= log_u
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    return lo
