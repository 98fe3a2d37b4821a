"""Power-law statistics shared by protein and network spectra.

The formulas are those of Xie et al. (2022), after Clauset, Shalizi and Newman (2009):
keep the K largest values ``x_1 >= ... >= x_K``, ``x_min = x_K``, and

* ``beta = 1 + K / sum(ln(x_i / x_min))`` (continuous maximum-likelihood exponent),
* ``sigma = (beta - 1) / sqrt(K)``, ``s = 1 / (beta - 1)`` (Zipf slope),
* ``d_ks``: Kolmogorov-Smirnov distance between the kept values and the fitted
  CDF ``F(x) = 1 - (x / x_min)^(1 - beta)``,
* ``d_c = c(alpha) / sqrt(K)`` (Massey 1951), verdict "power law" when ``d_ks < d_c``.

``d_ks`` follows the convention of the ``powerlaw`` package (Alstott et al. 2014), which
reproduces the paper's numbers: the distance is taken at the distinct data points only,
against the left-continuous empirical CDF (the fraction of kept values strictly below
each point).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from compare.spectrum import validate_values

if TYPE_CHECKING:
    import numpy.typing as npt

#: Massey (1951) large-sample coefficients c(alpha) of the one-sample KS critical value c / sqrt(K).
MASSEY_COEFFICIENTS: dict[float, float] = {0.2: 1.07, 0.15: 1.14, 0.1: 1.22, 0.05: 1.36, 0.01: 1.63}


@dataclass(frozen=True)
class PowerLawFit:
    """Result of :func:`fit_power_law`.

    Attributes
    ----------
    k : int
        Number of values kept (the K largest).
    x_min : float
        The smallest kept value, ``x_K``.
    beta, sigma : float
        Maximum-likelihood exponent and its standard error.
    s : float
        Zipf (rank-size) slope ``1 / (beta - 1)``.
    d_ks, d_c : float
        KS distance and the Massey critical value at ``alpha``.
    alpha : float
        Significance level of the KS test.
    is_power_law : bool
        ``d_ks < d_c``.
    """

    k: int
    x_min: float
    beta: float
    sigma: float
    s: float
    d_ks: float
    d_c: float
    alpha: float
    is_power_law: bool

    def as_dict(self) -> dict[str, int | float | bool]:
        """Plain-Python dict of the fields (for JSON and tables).

        Returns
        -------
        dict of str
            The fields by name.
        """
        return asdict(self)


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


def resolve_k(n: int, *, k: int | None = None, fraction: float | None = None) -> int:
    """Number of values to keep out of ``n``: ``k``, ``floor(fraction * n)``, or all.

    Parameters
    ----------
    n : int
        Values available.
    k : int, optional
        Keep this many.
    fraction : float in (0, 1], optional
        Keep ``floor(fraction * n)``. Not together with ``k``.

    Returns
    -------
    int
        K, in ``[2, n]`` (``n`` when neither is given).

    Raises
    ------
    ValueError
        Both are given, or the result is outside ``[2, n]``.
    TypeError
        ``k`` is not an int.
    """
    if k is not None and fraction is not None:
        raise ValueError(f"give k or fraction, not both (got k={k!r}, fraction={fraction!r})")
    if fraction is not None:
        if isinstance(fraction, bool) or not (0.0 < float(fraction) <= 1.0):
            raise ValueError(f"fraction must be in (0, 1], got {fraction!r}")
        kk = int(math.floor(float(fraction) * n))
        if kk < 2:
            raise ValueError(f"fraction={fraction} of {n} values keeps {kk}; at least 2 values are needed")
        return kk
    if k is None:
        return n
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be an int, got {type(k).__name__}")
    if k < 2:
        raise ValueError(f"k must be >= 2, got {k}")
    if k > n:
        raise ValueError(f"k={k} exceeds the number of values ({n})")
    return int(k)


def ks_distance(tail: np.ndarray, beta: float) -> float:
    """KS distance between ``tail`` (sorted descending, ``tail[-1]`` = x_min) and the power law.

    Uses the ``powerlaw`` package's convention: distinct points only, left-continuous
    empirical CDF.

    Parameters
    ----------
    tail : ndarray, shape (k,), float64
        Kept values, sorted descending.
    beta : float
        Exponent of the fitted power law.

    Returns
    -------
    float
        The largest distance between the fitted CDF and the left-continuous empirical CDF
        at the distinct kept values.
    """
    x = tail[::-1]  # ascending
    n = x.size
    keep = np.ones(n, dtype=bool)
    keep[1:] = x[1:] != x[:-1]
    idx = np.flatnonzero(keep)  # first occurrence of each distinct value: #values strictly below
    empirical = idx / n
    theoretical = -np.expm1((1.0 - beta) * _log_ratios(x[idx], x[0]))
    return float(np.max(np.abs(theoretical - empirical)))


def _log_ratios(x: np.ndarray, ref: float) -> np.ndarray:
    """``ln(x / ref)``, exact under scaling by powers of two; from logs where the ratio overflows.

    A ratio of 1e308 to 1e-300 is not a double; the difference of the logs is.
    """
    with np.errstate(over="ignore", under="ignore"):
        ratio = x / ref
    if np.isfinite(ratio).all() and (ratio > 0).all():
        return np.log(ratio)
    return np.log(x) - np.log(ref)


def _mle_exponent(tail: np.ndarray) -> float | None:
    """``1 + K / sum(ln(x_i / x_min))`` for a tail sorted descending; None when all are equal."""
    log_sum = float(np.sum(_log_ratios(tail, tail[-1])))
    return 1.0 + tail.size / log_sum if 0.0 < log_sum < math.inf else None


def fit_power_law(
    values: npt.ArrayLike,
    *,
    k: int | None = None,
    fraction: float | None = None,
    alpha: float = 0.05,
) -> PowerLawFit:
    """Fit a continuous power law to the largest values of a spectrum.

    Parameters
    ----------
    values : array_like, shape (n,)
        Positive, finite values sorted descending (e.g. ``Spectrum.values``).
    k : int, optional
        Keep the ``k`` largest values. Default: all values.
    fraction : float, optional
        Keep ``floor(fraction * n)`` values. Not together with ``k``.
    alpha : {0.2, 0.15, 0.1, 0.05, 0.01}
        Significance level of the KS test (Massey's critical values).

    Returns
    -------
    PowerLawFit
        K, x_min, beta and its standard error, s, d_ks, d_c and the verdict.

    Raises
    ------
    ValueError
        Invalid values (NaN, inf, <= 0, unsorted), ``k`` and ``fraction`` both given,
        ``k`` out of range, an unsupported ``alpha``, or all kept values equal.

    Examples
    --------
    >>> fit = fit_power_law(1.0 / np.arange(1, 1001), k=500)
    >>> round(fit.s, 2)
    0.99
    """
    x = validate_values(values)
    kk = resolve_k(x.size, k=k, fraction=fraction)
    d_c = critical_value(kk, alpha)
    tail = x[:kk]
    x_min = float(tail[-1])
    beta = _mle_exponent(tail)
    if beta is None:
        raise ValueError(f"all {kk} kept values are equal ({x_min!r}); no power law can be fitted")
    d_ks = ks_distance(tail, beta)
    return PowerLawFit(
        k=kk,
        x_min=x_min,
        beta=beta,
        sigma=(beta - 1.0) / math.sqrt(kk),
        s=1.0 / (beta - 1.0),
        d_ks=d_ks,
        d_c=d_c,
        alpha=float(alpha),
        is_power_law=bool(d_ks < d_c),
    )


def eigengaps(values: npt.ArrayLike) -> np.ndarray:
    """Gaps between consecutive values, re-sorted descending, positive gaps only.

    Parameters
    ----------
    values : array_like, shape (n,)
        Any finite numbers; they are sorted descending first.

    Returns
    -------
    ndarray, shape (m,), float64
        ``delta_k = x_k - x_{k+1}`` for the sorted values, keeping ``delta > 0``, sorted descending.

    Examples
    --------
    >>> eigengaps([1.0, 4.0, 2.0, 2.0])
    array([2., 1.])
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"values: expected a one-dimensional array, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("values: NaN or inf present")
    x = np.sort(x)[::-1]
    gaps = x[:-1] - x[1:]
    gaps = gaps[gaps > 0]
    return np.sort(gaps)[::-1]


@dataclass(frozen=True)
class XminScan:
    """Result of :func:`scan_xmin`: the K of least KS distance and the whole curve.

    Attributes
    ----------
    fit : PowerLawFit
        The fit at the chosen K.
    k_values : ndarray, shape (m,), int64
        Every K tried, ascending.
    d_ks : ndarray, shape (m,), float64
        The KS distance of the fit at each K.
    """

    fit: PowerLawFit
    k_values: np.ndarray
    d_ks: np.ndarray


def scan_xmin(values: npt.ArrayLike, *, k_min: int = 10, alpha: float = 0.05) -> XminScan:
    """Choose K (hence x_min) by the least KS distance, as Clauset, Shalizi and Newman (2009).

    Every K from ``k_min`` to n is tried where ``x_K`` is a new distinct value (ties at
    ``x_min`` would make the tail ill-defined); the K whose fit has the smallest ``d_ks``
    wins, the largest K on exact ties. An alternative to a fixed K or fraction.

    Parameters
    ----------
    values : array_like, shape (n,)
        Positive, finite, sorted descending.
    k_min : int
        Smallest tail considered (>= 2); small tails fit anything.
    alpha : float
        Significance of the KS verdict of the returned fit.

    Returns
    -------
    XminScan
        The fit at the chosen K, every K tried and its KS distance.
    """
    x = validate_values(values)
    n = x.size
    if isinstance(k_min, bool) or not 2 <= int(k_min) <= n:
        raise ValueError(f"k_min must be in [2, {n}], got {k_min!r}")
    # K is a candidate when x_K differs from x_{K+1} (the tail holds every copy of x_min).
    ks = np.arange(int(k_min), n + 1)
    distinct = np.ones(ks.size, dtype=bool)
    distinct[ks < n] = x[ks[ks < n] - 1] != x[ks[ks < n]]
    ks = ks[distinct]
    d = np.full(ks.size, np.inf)
    for i, k in enumerate(ks):
        beta = _mle_exponent(x[:k])
        if beta is not None:
            d[i] = ks_distance(x[:k], beta)
    if not np.isfinite(d).any():
        raise ValueError("no tail of distinct values to fit")
    best = int(np.flatnonzero(d == d.min())[-1])
    return XminScan(fit=fit_power_law(x, k=int(ks[best]), alpha=alpha), k_values=ks, d_ks=d)


def ks_null_distribution(k: int, *, n_sim: int = 2000, seed: int = 0) -> np.ndarray:
    """Monte Carlo null distribution of ``d_ks`` when beta is fitted from the same K values.

    With x_min = x_K, ``ln(x / x_min)`` of a power-law sample is exponential with rate
    ``beta - 1``, and ``d_ks`` is unchanged by that map and by the rate's scale, so the null
    distribution (Lilliefors' for the exponential with estimated rate) does not depend on
    beta or x_min: exact power-law samples of any exponent give it.

    Parameters
    ----------
    k : int
        Tail size (>= 3).
    n_sim : int
        Simulated samples.
    seed : int
        Seed of the generator; the result is reproducible.

    Returns
    -------
    ndarray, shape (n_sim,), float64
        Sorted ascending.
    """
    if isinstance(k, bool) or int(k) < 3:
        raise ValueError(f"k must be >= 3, got {k!r}")
    if int(n_sim) < 100:
        raise ValueError(f"n_sim must be >= 100, got {n_sim!r}")
    k, n_sim = int(k), int(n_sim)
    rng = np.random.default_rng(seed)
    out = np.empty(n_sim)
    chunk = max(1, 2_000_000 // k)
    for start in range(0, n_sim, chunk):
        rows = min(chunk, n_sim - start)
        # exponential spacings above the sample minimum; rate 1 (any rate gives the same d_ks)
        y = np.sort(rng.exponential(size=(rows, k)), axis=1)
        y -= y[:, :1]
        # Same convention as ks_distance: beta - 1 = K / sum(ln(x / x_min)) with K values.
        rate = k / y.sum(axis=1)
        theoretical = -np.expm1(-rate[:, None] * y)
        empirical = np.arange(k) / k
        out[start : start + rows] = np.max(np.abs(theoretical - empirical), axis=1)
    return np.sort(out)


def fitted_critical_value(k: int, alpha: float = 0.05, *, n_sim: int = 2000, seed: int = 0) -> float:
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
    table = ks_null_distribution(k, n_sim=n_sim, seed=seed)
    return float(np.quantile(table, 1.0 - float(alpha)))


def ks_p_value(fit: PowerLawFit, *, n_sim: int = 2000, seed: int = 0) -> float:
    """Bootstrap p-value of the power-law hypothesis for a fit with fixed K.

    Clauset, Shalizi and Newman's semi-parametric bootstrap draws synthetic tails from the
    fitted power law, refits beta and records d_ks. With K fixed and x_min = x_K, that null
    distribution is :func:`ks_null_distribution` (free of beta), so the p-value is the
    fraction of it at or above the observed ``d_ks``. Small p (< 0.1, CSN's rule) rejects.

    Parameters
    ----------
    fit : PowerLawFit
        The fit (its ``k`` and ``d_ks``).
    n_sim : int
        Simulated samples (>= 100).
    seed : int
        Seed of the simulation; the result is reproducible.

    Returns
    -------
    float
        The p-value, in [0, 1].
    """
    table = ks_null_distribution(fit.k, n_sim=n_sim, seed=seed)
    return float(np.mean(table >= fit.d_ks))


@dataclass(frozen=True)
class BootstrapInterval:
    """Percentile bootstrap intervals of beta and s at ``level``.

    Attributes
    ----------
    beta : tuple of (float, float)
        Lower and upper ends for beta.
    s : tuple of (float, float)
        Lower and upper ends for s.
    level : float
        Confidence level.
    n_boot : int
        Resamples drawn.
    """

    beta: tuple[float, float]
    s: tuple[float, float]
    level: float
    n_boot: int


def bootstrap_interval(
    values: npt.ArrayLike,
    *,
    k: int | None = None,
    fraction: float | None = None,
    level: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
) -> BootstrapInterval:
    """Percentile bootstrap confidence intervals for beta and s of :func:`fit_power_law`.

    The K kept values are resampled with replacement ``n_boot`` times (seeded) and refitted
    with all of them kept (x_min = the resample's minimum).

    Parameters
    ----------
    values : array_like, shape (n,)
        Positive, finite values sorted descending.
    k : int, optional
        Keep the ``k`` largest values. Default: all values.
    fraction : float, optional
        Keep ``floor(fraction * n)`` values. Not together with ``k``.
    level : float in (0, 1)
        Confidence level.
    n_boot : int
        Resamples (>= 100).
    seed : int
        Seed of the resampling; the result is reproducible.

    Returns
    -------
    BootstrapInterval
        The intervals of beta and s.
    """
    x = validate_values(values)
    kk = resolve_k(x.size, k=k, fraction=fraction)
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    if int(n_boot) < 100:
        raise ValueError(f"n_boot must be >= 100, got {n_boot!r}")
    tail = x[:kk]
    rng = np.random.default_rng(seed)
    logs = np.log(tail)
    betas = np.empty(int(n_boot))
    for b in range(int(n_boot)):
        sample = logs[rng.integers(0, kk, kk)]
        log_sum = float(np.sum(sample - sample.min()))
        betas[b] = 1.0 + kk / log_sum if log_sum > 0 else np.inf
    lo, hi = np.quantile(betas, [(1 - level) / 2, (1 + level) / 2])
    return BootstrapInterval(
        beta=(float(lo), float(hi)),
        s=(float(1 / (hi - 1)), float(1 / (lo - 1))),
        level=float(level),
        n_boot=int(n_boot),
    )
