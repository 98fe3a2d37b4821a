"""Choosing x_min by the least KS distance (Clauset, Shalizi and Newman 2009, section 3.3), vectorised.

Every candidate ``x_min`` is a distinct value ``u_J`` with at least ``k_min`` values at or above
it (the tail holds every copy of ``x_min``). The exponents of all candidates come at once from
cumulative sums of ``ln x`` (continuous: ``beta - 1 = K / (sum_{i <= K} ln x_i - K ln x_K)``;
discrete: a Newton iteration run on all candidates together). The KS distances are then found
without computing every one of them in full: for a candidate, the distance is a maximum over
its tail's distinct values of terms ``|c_j / K - S_j|`` where both ``c_j`` and ``S_j`` are monotone in
``j``; on ``M`` sampled positions the maximum of the sampled terms is a lower bound and the
bracketing of the unsampled terms between neighbours an upper bound. Candidates whose lower
bound exceeds the least upper bound cannot win and are dropped; the others are refined with
eight times as many positions until every survivor is exact. The winner is the same as a full
evaluation's (the largest K on exact ties); only the losers' distances are left unevaluated
(NaN in :attr:`XminScan.d_ks`, unless ``curve=True``).

For very large inputs ``grid=G`` tries only about ``G`` candidates, log-spaced in K (the result
says so: :attr:`XminScan.grid` and ``fit.grid``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from compare.discrete import check_integer_values, discrete_mle_many, log_hurwitz_zeta
from compare.fit import PowerLawFit, fit_power_law
from compare.ks import check_ks, distinct_counts, log_ratios
from compare.spectrum import validate_values
from compare.validation import Interval, check_scalar

if TYPE_CHECKING:
    import numpy.typing as npt

#: Sampled positions per candidate at the first refinement level (then x8 per level).
FIRST_LEVEL = 64
#: Largest matrix (candidates x positions) evaluated at once.
_BLOCK_ELEMENTS = 1 << 21
#: Candidates of least lower bound evaluated exactly at each level (they set the pruning threshold).
_PROBES = 8
#: Relative slack on the pruning comparison (floating-point rounding of the bounds).
_PRUNE_SLACK = 1e-12


@dataclass(frozen=True)
class XminScan:
    """Result of :func:`scan_xmin`: the K of least KS distance and the candidates tried.

    Attributes
    ----------
    fit : PowerLawFit
        The fit at the chosen K (``xmin_method="scanned"``).
    k_values : ndarray, shape (m,), int64
        Every K tried, ascending.
    d_ks : ndarray, shape (m,), float64
        The KS distance at each K; NaN where the candidate was ruled out by its bounds before
        an exact evaluation (all exact with ``curve=True``).
    grid : int or None
        The grid size asked for, when the candidates were thinned to a log-spaced grid.
    """

    fit: PowerLawFit
    k_values: np.ndarray
    d_ks: np.ndarray
    grid: int | None = None


@dataclass(frozen=True)
class _Tails:
    """Distinct values of the data and, per candidate, its index, K and exponent."""

    u: np.ndarray
    lu: np.ndarray
    c_ge: np.ndarray
    c_gt: np.ndarray
    index: np.ndarray
    k: np.ndarray
    beta: np.ndarray


def scan_xmin(
    values: npt.ArrayLike,
    *,
    k_min: int = 10,
    alpha: float = 0.05,
    discrete: bool = False,
    ks: str = "left",
    grid: int | None = None,
    curve: bool = False,
) -> XminScan:
    """Choose K (hence x_min) by the least KS distance, as Clauset, Shalizi and Newman (2009).

    Every K from ``k_min`` to n is tried where ``x_K`` is a new distinct value (ties at
    ``x_min`` would make the tail ill-defined); the K whose fit has the smallest ``d_ks``
    wins, the largest K on exact ties. An alternative to a fixed K or fraction.

    Parameters
    ----------
    values : array_like, shape (n,)
        Positive, finite, sorted descending (integers >= 1 for ``discrete``).
    k_min : int
        Smallest tail considered (>= 2); small tails fit anything.
    alpha : float
        Significance of the Massey verdict of the returned fit.
    discrete : bool
        Fit the discrete (Hurwitz zeta) law.
    ks : {"left", "two-sided"}
        KS convention (:mod:`compare.ks`).
    grid : int, optional
        Try only about ``grid`` candidates (>= 10), log-spaced in K; for very large inputs.
    curve : bool
        Evaluate every candidate's distance exactly (slower; for plots of d_ks against K).

    Returns
    -------
    XminScan
        The fit at the chosen K, every K tried and its KS distance.

    Raises
    ------
    ValueError
        Invalid values, ``k_min`` outside [2, n], a bad option, or no tail to fit.
    """
    x = validate_values(values)
    n = x.size
    if isinstance(k_min, bool) or not isinstance(k_min, (int, np.integer)) or not 2 <= int(k_min) <= n:
        raise ValueError(f"k_min must be in [2, {n}], got {k_min!r}")
    check_ks(ks)
    if grid is not None:
        grid = int(check_scalar(grid, "grid", int, interval=Interval(10)))
    if discrete:
        check_integer_values(x)
    tails = _candidates(x, int(k_min), discrete=discrete, grid=grid)
    if tails.k.size == 0:
        raise ValueError("no tail of distinct values to fit")
    d = _least_distance(tails, ks=ks, discrete=discrete, curve=curve)
    if not np.isfinite(d).any():
        raise ValueError("no tail of distinct values to fit")
    best = int(np.flatnonzero(d == np.nanmin(d))[-1])
    fit = fit_power_law(x, k=int(tails.k[best]), alpha=alpha, discrete=discrete, ks=ks)
    fit = dataclasses.replace(fit, xmin_method="scanned", k_min=int(k_min), grid=grid)
    return XminScan(fit=fit, k_values=tails.k, d_ks=d, grid=grid)


def _candidates(x: np.ndarray, k_min: int, *, discrete: bool, grid: int | None) -> _Tails:
    """The candidate tails of ``x`` (sorted descending) and their MLE exponents."""
    u, c_ge, c_gt = distinct_counts(x)
    index = np.flatnonzero(c_ge >= k_min)
    if grid is not None and index.size > grid:
        wanted = np.geomspace(c_ge[index[0]], c_ge[index[-1]], grid)
        picks = np.unique(np.searchsorted(c_ge[index], wanted, side="left").clip(0, index.size - 1))
        index = index[picks]
    k = c_ge[index]
    if discrete:
        log_sums = np.cumsum(np.log(x))[k - 1]
        beta = discrete_mle_many(log_sums, k, u[index])
        lu = np.log(u)
    else:
        lr = log_ratios(x, float(x[0]))  # <= 0; shared reference keeps every difference exact enough
        log_sum = np.cumsum(lr)[k - 1] - k * lr[k - 1]
        with np.errstate(divide="ignore"):
            beta = np.where(log_sum > 0, 1.0 + k / np.where(log_sum > 0, log_sum, 1.0), np.nan)
        lu = log_ratios(u, float(x[0]))
    keep = np.isfinite(beta)
    return _Tails(u=u, lu=lu, c_ge=c_ge, c_gt=c_gt, index=index[keep], k=k[keep], beta=beta[keep])


def _least_distance(tails: _Tails, *, ks: str, discrete: bool, curve: bool) -> np.ndarray:
    """KS distance of every candidate that could be the least (NaN for those ruled out)."""
    m = tails.k.size
    d = np.full(m, np.nan)
    alive = np.arange(m)
    best = np.inf
    positions = int(tails.index.max()) + 1 if curve else FIRST_LEVEL
    full = int(tails.index.max()) + 1
    while alive.size:
        lower, upper, exact = _bounds(tails, alive, positions, ks=ks, discrete=discrete)
        d[alive[exact]] = lower[exact]
        # the most promising candidates exactly: a tight threshold prunes far more than bounds
        promising = np.sort(alive[~exact][np.argsort(lower[~exact])[:_PROBES]])  # ascending K: blocks
        if promising.size:
            d[promising] = _bounds(tails, promising, full, ks=ks, discrete=discrete)[0]
        best = min(best, float(upper.min()), float(np.nanmin(d)) if np.isfinite(d).any() else np.inf)
        alive = alive[~exact & (lower <= best * (1 + _PRUNE_SLACK)) & np.isnan(d[alive])]
        positions *= 8
    return d


def _bounds(
    tails: _Tails, rows: np.ndarray, positions: int, *, ks: str, discrete: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower and upper bounds of the distances of candidates ``rows`` from ``positions + 1`` samples.

    Exact (lower = upper) where a candidate has at most ``positions + 1`` distinct tail values.
    """
    lower = np.empty(rows.size)
    upper = np.empty(rows.size)
    exact = np.empty(rows.size, dtype=bool)
    start = 0
    while start < rows.size:
        # rows come in ascending K: a block needs no more positions than its longest tail
        width = min(positions, int(tails.index[rows[min(rows.size - 1, start + 64)]]) + 1)
        step = max(1, _BLOCK_ELEMENTS // (width + 1))
        block = rows[start : start + step]
        last = tails.index[block]
        width = max(1, min(positions, int(last.max())))
        fractions = np.arange(width + 1) / width
        cols = np.rint(np.outer(last, fractions)).astype(np.int64)  # 0 .. last, nondecreasing
        s_ge, s_gt = _survival(tails, block, cols, two_sided=ks == "two-sided", discrete=discrete)
        k = tails.k[block][:, None].astype(np.float64)
        g_ge = tails.c_ge[cols] / k
        lo = np.max(np.abs(g_ge - s_ge), axis=1)
        hi = np.maximum(g_ge[:, 1:] - s_ge[:, :-1], s_ge[:, 1:] - g_ge[:, :-1]).max(axis=1)
        if ks == "two-sided":
            g_gt = tails.c_gt[cols] / k
            lo = np.maximum(lo, np.max(np.abs(g_gt - s_gt), axis=1))
            hi = np.maximum(
                hi, np.maximum(g_gt[:, 1:] - s_gt[:, :-1], s_gt[:, 1:] - g_gt[:, :-1]).max(axis=1)
            )
        exact[start : start + block.size] = last <= width
        lower[start : start + block.size] = lo
        upper[start : start + block.size] = np.where(last <= width, lo, np.maximum(hi, lo))
        start += block.size
    return lower, upper, exact


def _survival(
    tails: _Tails, block: np.ndarray, cols: np.ndarray, *, two_sided: bool, discrete: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``P(X >= u_j)`` and ``P(X > u_j)`` of each candidate's law at its sampled values ``u_j``."""
    beta = tails.beta[block][:, None]
    if not discrete:
        s = np.exp(-(beta - 1.0) * (tails.lu[cols] - tails.lu[tails.index[block]][:, None]))
        return s, s
    x_min = tails.u[tails.index[block]][:, None]
    log_norm = log_hurwitz_zeta(beta, x_min)
    u = tails.u[cols]
    s_ge = np.exp(log_hurwitz_zeta(beta, u) - log_norm)
    s_gt = np.exp(log_hurwitz_zeta(beta, u + 1.0) - log_norm) if two_sided else s_ge
    return s_ge, s_gt
