"""Kolmogorov-Smirnov distances of a power-law tail, critical values and the fitted-beta null.

Two conventions (``ks=``), both on the K kept values ``x_1 >= ... >= x_K`` (``x_min = x_K``) with
the fitted law's survival function ``S``:

* ``"left"`` (the ``powerlaw`` package's, which reproduces Xie et al.'s numbers): at each
  distinct value ``v`` the fitted CDF ``P(X < v)`` against the left-continuous empirical CDF,
  the fraction of kept values strictly below ``v``: ``max_v |#{x >= v} / K - P(X >= v)|``.
  It never sees the mass sitting at ``x_min`` (there both sides are 0), so with tied values the
  x_min scan is drawn towards values with large ties.
* ``"two-sided"`` (Clauset's plfit.m and R poweRlaw for integer data): the supremum over every
  real ``x`` of ``|F_n(x) - F(x)|`` for the right-continuous CDFs, which for step functions is the
  larger of the left distance and ``max_v |#{x > v} / K - P(X > v)|``. It counts ties.

For continuous data without ties the two differ by at most ``1 / K``. ``P(X > v) = P(X >= v)`` for
the continuous law; for the discrete law ``P(X > v) = P(X >= v + 1)``.
"""

from __future__ import annotations

import math

import numpy as np

from compare.discrete import discrete_survival
from compare.validation import check_choice

#: Massey (1951) large-sample coefficients c(alpha) of the one-sample KS critical value c / sqrt(K).
MASSEY_COEFFICIENTS: dict[float, float] = {0.2: 1.07, 0.15: 1.14, 0.1: 1.22, 0.05: 1.36, 0.01: 1.63}
#: The KS conventions of :func:`ks_distance`.
KS_CONVENTIONS: tuple[str, ...] = ("left", "two-sided")


def check_ks(ks: object) -> str:
    """Check a KS convention name.

    Parameters
    ----------
    ks : str
        One of :data:`KS_CONVENTIONS`.

    Returns
    -------
    str
        ``ks``.

    Raises
    ------
    ValueError
        Not a known convention.
    """
    return str(check_choice(ks, "ks", KS_CONVENTIONS))


def critical_value(k: int, alpha: float = 0.05) -> float:
    """Massey's large-sample KS critical value ``c(alpha) / sqrt(k)``.

    Parameters
    ----------
    k : int
        Sample size, >= 1 (the approximation is meant for k > 35).
    alpha : {0.2, 0.15, 0.1, 0.05, 0.01}
        Significance level.

    Returns
    -------
    float
        ``c(alpha) / sqrt(k)``.

    Raises
    ------
    ValueError
        ``alpha`` is not in Massey's table, or ``k < 1``.

    Examples
    --------
    >>> round(critical_value(1000), 4)
    0.043
    """
    coefficient = None
    for level, c in MASSEY_COEFFICIENTS.items():
        if math.isclose(float(alpha), level, rel_tol=0, abs_tol=1e-12):
            coefficient = c
    if coefficient is None:
        raise ValueError(
            f"alpha must be one of {sorted(MASSEY_COEFFICIENTS)} (Massey's table), got {alpha!r}"
        )
    if int(k) < 1:
        raise ValueError(f"k must be >= 1, got {k!r}")
    return coefficient / math.sqrt(int(k))


def log_ratios(x: np.ndarray, ref: float) -> np.ndarray:
    """``ln(x / ref)``, exact under scaling by powers of two; from logs where the ratio overflows.

    A ratio of 1e308 to 1e-300 is not a double; the difference of the logs is.

    Parameters
    ----------
    x : ndarray, float64
        Positive values.
    ref : float
        Positive reference.

    Returns
    -------
    ndarray, float64
        ``ln(x / ref)``, shape of ``x``.
    """
    with np.errstate(over="ignore", under="ignore"):
        ratio = x / ref
    if np.isfinite(ratio).all() and (ratio > 0).all():
        return np.log(ratio)
    return np.log(x) - np.log(ref)


def distinct_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct values of a descending array and how many values lie at or above, and above, each.

    Parameters
    ----------
    values : ndarray, shape (n,), float64
        Sorted descending.

    Returns
    -------
    tuple of ndarray
        ``(u, c_ge, c_gt)``: the distinct values, descending, shape (m,); ``#{x >= u_j}`` and
        ``#{x > u_j}``, int64.
    """
    last = np.ones(values.size, dtype=bool)
    last[:-1] = values[:-1] != values[1:]
    ends = np.flatnonzero(last)  # index of the last copy of each distinct value
    c_ge = ends + 1
    c_gt = np.concatenate(([0], c_ge[:-1]))
    return values[ends], c_ge.astype(np.int64), c_gt.astype(np.int64)


def ks_distance(tail: np.ndarray, beta: float, *, ks: str = "left", discrete: bool = False) -> float:
    """KS distance between ``tail`` (sorted descending, ``tail[-1]`` = x_min) and the power law.

    Parameters
    ----------
    tail : ndarray, shape (k,), float64
        Kept values, sorted descending (integers for ``discrete``).
    beta : float
        Exponent of the fitted power law.
    ks : {"left", "two-sided"}
        The convention (module docstring).
    discrete : bool
        Compare with the discrete (Hurwitz zeta) law instead of the continuous one.

    Returns
    -------
    float
        The distance.
    """
    check_ks(ks)
    k = tail.size
    x_min = float(tail[-1])
    u, c_ge, c_gt = distinct_counts(tail)
    if discrete:
        s_ge = discrete_survival(u, beta, x_min)
        s_gt = discrete_survival(u + 1.0, beta, x_min) if ks == "two-sided" else s_ge
    else:
        s_ge = np.exp((1.0 - beta) * log_ratios(u, x_min))
        s_gt = s_ge
    d = float(np.max(np.abs(c_ge / k - s_ge)))
    if ks == "two-sided":
        d = max(d, float(np.max(np.abs(c_gt / k - s_gt))))
    return d


def ks_null_distribution(k: int, *, n_sim: int = 2000, seed: int = 0, ks: str = "left") -> np.ndarray:
    """Monte Carlo null distribution of ``d_ks`` when beta is fitted from the same K values.

    With x_min = x_K, ``ln(x / x_min)`` of a power-law sample is exponential with rate
    ``beta - 1``, and ``d_ks`` is unchanged by that map and by the rate's scale, so the null
    distribution (Lilliefors' for the exponential with estimated rate) does not depend on
    beta or x_min: exact power-law samples of any exponent give it. Continuous law only.

    Parameters
    ----------
    k : int
        Tail size (>= 3).
    n_sim : int
        Simulated samples.
    seed : int
        Seed of the generator; the result is reproducible.
    ks : {"left", "two-sided"}
        The KS convention of the simulated distances.

    Returns
    -------
    ndarray, shape (n_sim,), float64
        Sorted ascending.
    """
    check_ks(ks)
    if isinstance(k, bool) or int(k) < 3:
        raise ValueError(f"k must be >= 3, got {k!r}")
    if int(n_sim) < 100:
        raise ValueError(f"n_sim must be >= 100, got {n_sim!r}")
    k, n_sim = int(k), int(n_sim)
    rng = np.random.default_rng(seed)
    out = np.empty(n_sim)
    chunk = max(1, 2_000_000 // k)
    empirical = np.arange(k) / k
    for start in range(0, n_sim, chunk):
        rows = min(chunk, n_sim - start)
        # exponential spacings above the sample minimum; rate 1 (any rate gives the same d_ks)
        y = np.sort(rng.exponential(size=(rows, k)), axis=1)
        y -= y[:, :1]
        # Same convention as ks_distance: beta - 1 = K / sum(ln(x / x_min)) with K values.
        rate = k / y.sum(axis=1)
        theoretical = -np.expm1(-rate[:, None] * y)
        d = np.max(np.abs(theoretical - empirical), axis=1)
        if ks == "two-sided":
            d = np.maximum(d, np.max(np.abs(theoretical - (empirical + 1.0 / k)), axis=1))
        out[start : start + rows] = d
    return np.sort(out)


def fitted_critical_value(
    k: int, alpha: float = 0.05, *, n_sim: int = 2000, seed: int = 0, ks: str = "left"
) -> float:
    """KS critical value valid when beta is fitted: a quantile of :func:`ks_null_distribution`.

    The (1 - alpha) quantile, beside Massey's critical value, which assumes a known beta and
    is too lenient.

    Parameters
    ----------
    k : int
        Tail size (>= 3).
    alpha : float in (0, 1)
        Significance level.
    n_sim : int
        Simulated samples (>= 100).
    seed : int
        Seed of the simulation; the result is reproducible.
    ks : {"left", "two-sided"}
        The KS convention.

    Returns
    -------
    float
        The critical value of ``d_ks``.

    Examples
    --------
    >>> fitted_critical_value(1000) < critical_value(1000)
    True
    """
    if not 0 < float(alpha) < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    table = ks_null_distribution(k, n_sim=n_sim, seed=seed, ks=ks)
    return float(np.quantile(table, 1.0 - float(alpha)))
