"""The power-law fit of the K largest values: the record and :func:`fit_power_law`.

Continuous law (Xie et al. 2022, after Clauset, Shalizi and Newman 2009): keep the K largest values
``x_1 >= ... >= x_K``, ``x_min = x_K``, ``beta = 1 + K / sum(ln(x_i / x_min))``,
``sigma = (beta - 1) / sqrt(K)``, ``s = 1 / (beta - 1)``. Discrete law (``discrete=True``): the
Hurwitz-zeta MLE of :mod:`compare.discrete` and its observed-information standard error. The KS
distance follows the chosen convention (:mod:`compare.ks`); Massey's ``d_c = c(alpha) / sqrt(K)``
gives the verdict.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from compare.discrete import check_integer_values, discrete_mle
from compare.ks import check_ks, critical_value, ks_distance, log_ratios
from compare.spectrum import validate_values

if TYPE_CHECKING:
    import numpy.typing as npt

#: How a fit's x_min was chosen: fixed a priori (K or a fraction) or scanned (least KS distance).
XMIN_METHODS: tuple[str, ...] = ("fixed", "scanned")


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
    discrete : bool
        The discrete (Hurwitz zeta) law was fitted.
    ks : {"left", "two-sided"}
        KS convention of ``d_ks``.
    xmin_method : {"fixed", "scanned"}
        x_min fixed a priori (K, a fraction) or chosen by :func:`compare.scan_xmin`; decides
        the null of :func:`compare.ks_p_value`.
    k_min : int or None
        The scan's smallest tail (scanned fits).
    grid : int or None
        The scan's candidate grid, when it was thinned (scanned fits).
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
    discrete: bool = False
    ks: str = "left"
    xmin_method: str = "fixed"
    k_min: int | None = None
    grid: int | None = None

    def as_dict(self) -> dict[str, int | float | bool | str | None]:
        """Plain-Python dict of the fields (for JSON and tables).

        Returns
        -------
        dict of str
            The fields by name.
        """
        return asdict(self)


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


def _mle_exponent(tail: np.ndarray) -> float | None:
    """``1 + K / sum(ln(x_i / x_min))`` for a tail sorted descending; None when all are equal."""
    log_sum = float(np.sum(log_ratios(tail, tail[-1])))
    return 1.0 + tail.size / log_sum if 0.0 < log_sum < math.inf else None


def fit_power_law(
    values: npt.ArrayLike,
    *,
    k: int | None = None,
    fraction: float | None = None,
    alpha: float = 0.05,
    discrete: bool = False,
    ks: str = "left",
) -> PowerLawFit:
    """Fit a power law to the largest values of a spectrum (x_min fixed: the K-th largest).

    Parameters
    ----------
    values : array_like, shape (n,)
        Positive, finite values sorted descending (e.g. ``Spectrum.values``); integers >= 1
        for ``discrete``.
    k : int, optional
        Keep the ``k`` largest values. Default: all values.
    fraction : float, optional
        Keep ``floor(fraction * n)`` values. Not together with ``k``.
    alpha : {0.2, 0.15, 0.1, 0.05, 0.01}
        Significance level of the KS test (Massey's critical values).
    discrete : bool
        Fit the discrete law ``x^-beta / zeta(beta, x_min)`` (counts, degrees).
    ks : {"left", "two-sided"}
        KS convention of ``d_ks`` (:mod:`compare.ks`).

    Returns
    -------
    PowerLawFit
        K, x_min, beta and its standard error, s, d_ks, d_c and the verdict
        (``xmin_method="fixed"``).

    Raises
    ------
    ValueError
        Invalid values (NaN, inf, <= 0, unsorted; not integers for ``discrete``), ``k`` and
        ``fraction`` both given, ``k`` out of range, an unsupported ``alpha`` or ``ks``, or all
        kept values equal.

    Examples
    --------
    >>> fit = fit_power_law(1.0 / np.arange(1, 1001), k=500)
    >>> round(fit.s, 2)
    0.99
    """
    x = validate_values(values)
    check_ks(ks)
    kk = resolve_k(x.size, k=k, fraction=fraction)
    d_c = critical_value(kk, alpha)
    tail = x[:kk]
    x_min = float(tail[-1])
    if discrete:
        check_integer_values(tail)
        estimate = discrete_mle(tail)
        beta, sigma = estimate if estimate is not None else (None, math.nan)
    else:
        beta = _mle_exponent(tail)
        sigma = (beta - 1.0) / math.sqrt(kk) if beta is not None else math.nan
    if beta is None:
        raise ValueError(f"all {kk} kept values are equal ({x_min!r}); no power law can be fitted")
    d_ks = ks_distance(tail, beta, ks=ks, discrete=discrete)
    return PowerLawFit(
        k=kk,
        x_min=x_min,
        beta=beta,
        sigma=sigma,
        s=1.0 / (beta - 1.0),
        d_ks=d_ks,
        d_c=d_c,
        alpha=float(alpha),
        is_power_law=bool(d_ks < d_c),
        discrete=bool(discrete),
        ks=ks,
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
