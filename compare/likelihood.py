"""Likelihood-ratio tests of the fitted power law against alternative tails.

The power law of :func:`compare.powerlaw.fit_power_law` (the K largest values, ``x_min = x_K``,
``beta = 1 + K / sum(ln(x_i / x_min))``) is compared, on the same K values, with three
alternatives fitted by maximum likelihood on ``[x_min, inf)`` (Clauset, Shalizi and Newman 2009,
section 5):

* ``exponential``: ``p(x) = lambda exp(-lambda (x - x_min))``; closed-form MLE
  ``lambda = 1 / mean(x - x_min)``.
* ``lognormal``: the lognormal density divided by its mass above ``x_min``, ``Phi(mu' / sigma)``
  with ``mu' = mu - ln x_min``.
* ``truncated_power_law``: ``p(x) ~ x^-alpha exp(-lambda x)``, normalised by
  ``lambda^(alpha - 1) Gamma(1 - alpha, lambda x_min)``; ``alpha`` may be any real number.

For each, ``R = sum_i (ln p_pl(x_i) - ln p_alt(x_i))`` (``R > 0`` favours the power law), the
normalised ratio ``R / (sqrt(K) sd)`` with ``sd`` the (population) standard deviation of the
pointwise differences, and a p-value: Vuong's two-sided ``erfc(|R| / (sqrt(2K) sd))`` for the
non-nested exponential and lognormal, and the likelihood-ratio test ``chi2.sf(-2R, 1)`` for the
power law nested in the truncated power law (the ``powerlaw`` package's conventions).

Numerics. Everything is computed on ``y = x / x_min >= 1`` (``t = ln y``, ``u = y - 1``, both taken
from ``(x - x_min) / x_min``), so spectra of any scale give the same ratios; ``ln x_min`` cancels
in every pointwise difference. The lognormal and the truncated power law are exponential families
whose log-likelihoods are concave in their natural parameters, so the maximum is unique; both
contain the power law as a limit (``lambda -> 0`` with ``alpha = beta``; ``sigma -> inf`` with
``mu / sigma^2 -> 1 - beta``). That limit is the maximum exactly when the derivative there points
out of the family: for the truncated power law when ``beta > 2`` and
``mean(y) >= (beta - 1) / (beta - 2)``, for the lognormal when ``mean(t^2) >= 2 mean(t)^2``.
Then the alternative *is* the fitted power law: ``R = 0``, ``p = 1``, ``boundary=True``.
Otherwise the maximum is interior: BFGS in ``(alpha, ln lambda)``, respectively
``(mu / sigma^2, -2 ln sigma)``, then Newton steps on finite differences taken in a basis that
whitens the Hessian, until the Newton decrement is below :data:`DECREMENT_TOLERANCE` (else
``converged=False`` and a warning; seen only for K = 3, where the maximum can lie at infinity).
The normaliser ``G(s, z) = e^z z^-s Gamma(s, z)`` (``s = 1 - alpha <= 0`` for ``alpha >= 1``,
where SciPy's ``gammaincc`` does not apply; ``powerlaw`` calls mpmath) is evaluated by
:func:`log_scaled_upper_gamma`.

Agreement with ``powerlaw`` 2.0.0, ``Fit(x, xmin=x_K).distribution_compare("power_law", alt)``
(with ``normalized_ratio=True`` for the normalised ratio), measured on exact power laws (beta 1.8,
2.2, 2.8; x 3.7e-3 and up), the top half of lognormal(0, 1) x 1e3 samples, exponential + 5 samples
and rank-size spectra (1/k with 10 % noise, top tenth), K = 100, 1000 and 5000, seeds 0-4.
Largest relative differences of (R, normalised R, p) where the comparison is meaningful:

* exponential, ``powerlaw``'s ``Lambda > 1``: (1.5e-12, 2.5e-6, 7.1e-5). Its Nelder-Mead stops at
  an absolute 1e-4 in ``Lambda``: ``lambda`` differs by up to 2.4e-6 relative; ``R`` is stationary
  at the MLE, ``sd`` and ``p`` are not. With ``Lambda ~ 6e-4`` (lognormal samples): ``lambda``
  9.5e-4, (3.6e-5, 9.5e-4, 2.3e-3).
* lognormal, ``mu' / sigma >= -15``: (3.8e-9, 4.4e-5, 7.4e-3; the last at p ~ 1e-38).
* truncated power law, ``lambda x_min >= 1e-3``: (1.1e-8, 9.6e-5, 1.4e-8).

Elsewhere ``powerlaw``'s numbers are off, and our log-likelihood was never below the exact one at
its parameters: (a) near the power-law limit its optimisers stop early (truncated power law with
``lambda x_min < 1e-3``: R up to 1.3e-3 relative; lognormal with ``mu' / sigma < -15``: R off by up
to 4e-3 absolute, sign included); at the limit itself it reports R between -0.66 and +0.05 where
the exact answer is 0, from its lognormal density underflowing into subnormal numbers at
``mu ~ -1000`` (its log-likelihood then exceeds the exact one by up to 0.7); (b) it floors every
likelihood at 1e-308 (ln = -709), and its exponential fit follows the floor (``lambda`` 19.5 instead
of 0.87 on one K = 1000 power-law sample); (c) outside ``1.5 < beta <= 3`` it refits the power law
numerically within ``0 < alpha < 3`` (exponential samples, beta ~ 7), and its truncated power law
is confined to ``0 < alpha < 3`` (ours reached -0.03); (d) its nested ``p = 1 - chi2.cdf(|2R|, 1)``
is 0 below ~1e-16, and uses ``|R|`` where a failed fit gives ``R > 0``.

``powerlaw``'s ``distribution_compare`` reads
``if (dist1 in dist2) or (dist2 in dist1) and nested is None: nested = True``, which Python parses
as ``(dist1 in dist2) or ((dist2 in dist1) and nested is None)``: for ``("power_law",
"truncated_power_law")`` the test is nested even when the caller passes ``nested=False`` (only
the reversed order honours it). The default is right for this pair (it is nested); the
override is what is lost. Ties: ``powerlaw`` keeps every value ``>= x_min``, we keep exactly K.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy import optimize, special, stats

from compare.fit import fit_power_law, resolve_k
from compare.gamma import SERIES_TOLERANCE as SERIES_TOLERANCE  # re-exported
from compare.gamma import log_scaled_upper_gamma
from compare.spectrum import validate_values

if TYPE_CHECKING:
    import numpy.typing as npt

#: The alternatives compared with the power law, in the default order.
ALTERNATIVES: tuple[str, ...] = ("exponential", "lognormal", "truncated_power_law")

#: Interior fits end when a Newton step predicts a gain in mean log-likelihood below this.
DECREMENT_TOLERANCE = 1e-13
_NEWTON_STEPS = 20


@dataclass(frozen=True)
class LikelihoodRatio:
    """Result of one comparison in :func:`likelihood_ratio_tests`.

    Attributes
    ----------
    alternative : str
        One of :data:`ALTERNATIVES`.
    ratio : float
        ``R = sum(ln p_pl - ln p_alt)`` over the K kept values; ``> 0`` favours the power law.
    normalized_ratio : float
        ``R / (sqrt(K) sd)``, ``sd`` the population standard deviation of the pointwise
        differences (0 when ``R = 0`` and ``sd = 0``).
    p_value : float
        Vuong's two-sided p (non-nested) or ``chi2.sf(-2R, 1)`` (nested).
    nested : bool
        True for the truncated power law, which contains the power law.
    parameters : dict of str to float
        The alternative's fitted parameters in the units of the data: ``lambda`` (exponential),
        ``mu`` and ``sigma`` (lognormal; ``-inf`` and ``inf`` at the power-law limit),
        ``alpha`` and ``lambda`` (truncated power law; ``beta`` and 0 at the limit).
    k : int
        Number of values compared.
    x_min : float
        ``x_K``, the lower end of every fitted density.
    beta : float
        The power law's exponent (as in :func:`compare.powerlaw.fit_power_law`).
    log_likelihood_power_law, log_likelihood_alternative : float
        Total log-likelihoods of the K values (densities in the units of the data).
    boundary : bool
        The alternative's best fit is its power-law limit (then ``R = 0``, ``p = 1``).
    converged : bool
        The interior fit met :data:`DECREMENT_TOLERANCE` (always True for closed forms).
    """

    alternative: str
    ratio: float
    normalized_ratio: float
    p_value: float
    nested: bool
    parameters: dict[str, float] = field(hash=False)
    k: int
    x_min: float
    beta: float
    log_likelihood_power_law: float
    log_likelihood_alternative: float
    boundary: bool
    converged: bool

    def favours(self, *, significance: float = 0.1) -> str:
        """``"power law"``, the alternative's name, or ``"neither"`` when ``p >= significance``.

        Parameters
        ----------
        significance : float in (0, 1)
            The p-value below which the sign of R decides.

        Returns
        -------
        str
            ``"power law"`` (R > 0), :attr:`alternative` (R < 0) or ``"neither"`` (``p >=
            significance`` or R = 0).

        Raises
        ------
        ValueError
            ``significance`` outside (0, 1).

        Examples
        --------
        >>> x = np.sort(np.random.default_rng(0).pareto(1.0, 2000) + 1.0)[::-1]
        >>> likelihood_ratio_tests(x, alternatives=("exponential",))[0].favours()
        'power law'
        """
        if not 0.0 < float(significance) < 1.0:
            raise ValueError(f"significance must be in (0, 1), got {significance!r}")
        if not self.p_value < significance or self.ratio == 0.0:
            return "neither"
        return "power law" if self.ratio > 0.0 else self.alternative

    def as_dict(self) -> dict[str, object]:
        """Plain-Python dict of the fields (for JSON and tables).

        Returns
        -------
        dict of str
            The fields by name (``parameters`` as a dict).
        """
        return asdict(self)


def _lognormal_log_normaliser(v: float) -> float:
    """``v^2 / 2 + ln Phi(v)``, the lognormal's ``ln(mass above x_min)`` plus the square it cancels."""
    if v <= 0.0:
        return math.log(0.5 * float(special.erfcx(-v / math.sqrt(2.0))))
    return 0.5 * v * v + float(special.log_ndtr(v))


def _lognormal_log_pdf(theta: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Log-density ``ln p(y)`` of the lognormal on y >= 1; theta = (mu/sigma^2, ln(1/sigma^2))."""
    rho, log_kappa = float(theta[0]), float(theta[1])
    kappa = math.exp(log_kappa)
    v = rho / math.sqrt(kappa)
    log_partition = -0.5 * log_kappa + 0.5 * math.log(2.0 * math.pi) + _lognormal_log_normaliser(v)
    return (rho - 1.0) * t - 0.5 * kappa * t * t - log_partition


def _truncated_power_law_log_pdf(theta: np.ndarray, t: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Log-density ``ln p(y)`` of y^-alpha e^(-lambda y) on y >= 1; theta = (alpha, ln lambda)."""
    alpha, lam = float(theta[0]), math.exp(float(theta[1]))
    return -alpha * t - lam * u - log_scaled_upper_gamma(1.0 - alpha, lam)


def _maximise(log_pdf: Callable[[np.ndarray], np.ndarray], theta0: np.ndarray) -> tuple[np.ndarray, bool]:
    """Maximise the mean log-likelihood: BFGS from ``theta0``, then Newton steps to full precision.

    Returns the parameters and whether the Newton decrement (the gain in mean log-likelihood a
    further step predicts) fell below :data:`DECREMENT_TOLERANCE` with a positive-definite Hessian.
    """

    def objective(theta: np.ndarray) -> float:
        if not np.all(np.isfinite(theta)) or abs(theta[1]) > 700.0:  # beyond exp's range
            return math.inf
        try:
            value = -float(np.mean(log_pdf(theta)))
        except (ArithmeticError, ValueError, OverflowError):
            return math.inf
        return value if math.isfinite(value) else math.inf

    theta = np.asarray(theta0, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # inf probes at the edge of exp's range
        result = optimize.minimize(
            objective, theta, method="BFGS", jac="3-point", options={"gtol": 1e-10, "maxiter": 1000}
        )
    if result.fun <= objective(theta):
        theta = result.x
    # Newton steps with finite-difference derivatives taken along a basis that whitens the Hessian:
    # fits on narrow ranges make it ill-conditioned (alpha and lambda trade off), and plain
    # differences in (alpha, ln lambda) cannot resolve its small eigenvalue.
    basis = np.eye(theta.size)
    for _ in range(_NEWTON_STEPS):
        origin = theta

        def along(z: np.ndarray, origin: np.ndarray = origin, basis: np.ndarray = basis) -> float:
            return objective(origin + basis @ z)

        gradient, hessian = _finite_difference_derivatives(along, np.zeros(theta.size))
        if not (np.all(np.isfinite(hessian)) and np.all(np.isfinite(gradient))):
            return theta, False
        w, v = np.linalg.eigh(hessian)
        if w[0] > 0.0:
            step = v @ ((v.T @ gradient) / w)
            if 0.5 * float(gradient @ step) < DECREMENT_TOLERANCE:
                return theta, True
            f0, scale = along(np.zeros(theta.size)), 1.0
            while scale > 1e-6 and not along(-scale * step) < f0:
                scale *= 0.5
            if scale > 1e-6:  # else the step is lost in rounding: whiten and look again
                theta = origin - scale * (basis @ step)
        magnitude = np.maximum(np.abs(w), 1e-10 * np.abs(w).max())
        basis = basis @ (v / np.sqrt(magnitude))
    return theta, False


def _finite_difference_derivatives(
    f: Callable[[np.ndarray], float], x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Central-difference gradient (step 1e-5, error ~1e-10) and Hessian (step 1e-4, ~1e-7)."""
    n = x.size
    eye = np.eye(n)
    g_step, h_step = 1e-5, 1e-4
    gradient = np.array([(f(x + g_step * eye[i]) - f(x - g_step * eye[i])) / (2 * g_step) for i in range(n)])
    f0 = f(x)
    hessian = np.empty((n, n))
    for i in range(n):
        ei = h_step * eye[i]
        hessian[i, i] = (f(x + ei) - 2.0 * f0 + f(x - ei)) / h_step**2
        for j in range(i):
            ej = h_step * eye[j]
            hessian[i, j] = hessian[j, i] = (
                f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)
            ) / (4 * h_step**2)
    return gradient, hessian


def _fit_alternative(
    name: str, t: np.ndarray, u: np.ndarray, beta: float, x_min: float
) -> tuple[np.ndarray, dict[str, float], bool, bool]:
    """(pointwise ln p on y, parameters in data units, boundary, converged) of one alternative."""
    log_x_min = math.log(x_min)
    if name == "exponential":
        lam = 1.0 / float(np.mean(u))
        return math.log(lam) - lam * u, {"lambda": lam / x_min}, False, True
    log_pl = math.log(beta - 1.0) - beta * t
    if name == "lognormal":
        m1, m2 = float(np.mean(t)), float(np.mean(t * t))
        if m2 >= 2.0 * m1 * m1:
            return log_pl, {"mu": -math.inf, "sigma": math.inf}, True, True
        sd = math.sqrt(m2 - m1 * m1)
        theta, converged = _maximise(
            lambda th: _lognormal_log_pdf(th, t), np.array([m1 / sd**2, -2.0 * math.log(sd)])
        )
        log_alt = _lognormal_log_pdf(theta, t)
        if np.sum(log_alt) <= np.sum(log_pl):  # the limit is in the family's closure: never worse
            return log_pl, {"mu": -math.inf, "sigma": math.inf}, True, converged
        sigma = math.exp(-0.5 * theta[1])
        params = {"mu": float(theta[0]) * sigma**2 + log_x_min, "sigma": sigma}
        return log_alt, params, False, converged
    if name == "truncated_power_law":
        if beta > 2.0 and float(np.mean(u)) + 1.0 >= (beta - 1.0) / (beta - 2.0):
            return log_pl, {"alpha": beta, "lambda": 0.0}, True, True
        theta, converged = _maximise(
            lambda th: _truncated_power_law_log_pdf(th, t, u),
            np.array([beta, -math.log(float(np.mean(u)) + 1.0)]),
        )
        log_alt = _truncated_power_law_log_pdf(theta, t, u)
        if np.sum(log_alt) <= np.sum(log_pl):  # the limit is in the family: never worse than it
            return log_pl, {"alpha": beta, "lambda": 0.0}, True, converged
        params = {"alpha": float(theta[0]), "lambda": math.exp(float(theta[1])) / x_min}
        return log_alt, params, False, converged
    raise ValueError(f"unknown alternative {name!r}; expected one of {ALTERNATIVES}")


def ratio_statistics(
    log_p1: npt.ArrayLike, log_p2: npt.ArrayLike, *, nested: bool
) -> tuple[float, float, float]:
    """``(R, R / (sqrt(n) sd), p)`` of pointwise log-likelihoods, as ``powerlaw.loglikelihood_ratio``.

    Parameters
    ----------
    log_p1, log_p2 : array_like, shape (n,), float64
        Log-densities of the same n observations under the two fitted models.
    nested : bool
        ``p = chi2.sf(max(-2R, 0), 1)`` (model 1 inside model 2) instead of Vuong's
        ``erfc(|R| / (sqrt(2n) sd))``.

    Returns
    -------
    ratio : float
        ``R = sum(log_p1 - log_p2)``.
    normalized_ratio : float
        ``R / (sqrt(n) sd)``, ``sd`` the population standard deviation of the differences
        (0 when both are 0, ``+-inf`` when only ``sd`` is).
    p_value : float
        The nested or Vuong p-value.

    Raises
    ------
    ValueError
        Arrays of different shapes, empty or not 1-d, or differences not finite.
    """
    a, b = np.asarray(log_p1, dtype=np.float64), np.asarray(log_p2, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape or a.size == 0:
        raise ValueError(f"need two non-empty 1-d arrays of equal length, got shapes {a.shape} and {b.shape}")
    d = a - b
    if not np.all(np.isfinite(d)):
        raise ValueError("log-likelihoods must be finite (and not both infinite at one point)")
    n = d.size
    ratio = math.fsum(d)
    sd = float(np.sqrt(np.mean((d - ratio / n) ** 2)))
    if sd > 0.0:
        normalized = ratio / (math.sqrt(n) * sd)
    else:
        normalized = 0.0 if ratio == 0.0 else math.copysign(math.inf, ratio)
    if nested:
        p = float(stats.chi2.sf(max(-2.0 * ratio, 0.0), 1))
    elif sd > 0.0:
        p = float(special.erfc(abs(ratio) / (math.sqrt(2.0 * n) * sd)))
    else:
        p = 1.0 if ratio == 0.0 else 0.0
    return ratio, normalized, p


def likelihood_ratio_tests(
    values: npt.ArrayLike,
    *,
    k: int | None = None,
    fraction: float | None = None,
    alternatives: tuple[str, ...] = ALTERNATIVES,
) -> tuple[LikelihoodRatio, ...]:
    """Compare the fitted power law with alternative tails by log-likelihood ratios.

    Parameters
    ----------
    values : array_like, shape (n,), float64
        Positive, finite values sorted descending (e.g. ``Spectrum.values``).
    k : int, optional
        Use the ``k`` largest values (``x_min = x_k``). Default: all values.
    fraction : float, optional
        Use ``floor(fraction * n)`` values. Not together with ``k``.
    alternatives : sequence of str
        Any of :data:`ALTERNATIVES`, without repeats.

    Returns
    -------
    tuple of LikelihoodRatio
        One per alternative, in the order given.

    Raises
    ------
    ValueError
        Invalid values (see :func:`compare.spectrum.validate_values`), bad ``k`` or
        ``fraction``, fewer than 3 kept values, all kept values equal, or an unknown alternative.

    Examples
    --------
    >>> x = np.sort(np.random.default_rng(1).exponential(1.0, 500) + 1.0)[::-1]
    >>> [r.favours() for r in likelihood_ratio_tests(x)]
    ['exponential', 'lognormal', 'truncated_power_law']
    """
    if isinstance(alternatives, str):
        raise TypeError(f"alternatives must be a sequence of names, got the string {alternatives!r}")
    names = tuple(alternatives)
    unknown = [a for a in names if a not in ALTERNATIVES]
    if unknown or len(set(names)) != len(names) or not names:
        raise ValueError(f"alternatives must be distinct names from {ALTERNATIVES}, got {names!r}")
    x = validate_values(values)
    kk = resolve_k(x.size, k=k, fraction=fraction)
    if kk < 3:
        raise ValueError(f"at least 3 values are needed for a likelihood-ratio test, got k={kk}")
    fit = fit_power_law(x, k=kk)  # raises when all kept values are equal
    tail = x[:kk]
    u = (tail - fit.x_min) / fit.x_min
    t = np.log1p(u)
    log_pl = math.log(fit.beta - 1.0) - fit.beta * t
    shift = kk * math.log(fit.x_min)  # ln p(x) = ln p(y) - ln x_min
    results = []
    for name in names:
        log_alt, params, boundary, converged = _fit_alternative(name, t, u, fit.beta, fit.x_min)
        if not converged:
            warnings.warn(
                f"{name} fit on k={kk} values did not converge (Newton decrement >= "
                f"{DECREMENT_TOLERANCE:g}); its ratio may be inaccurate",
                stacklevel=2,
            )
        nested = name == "truncated_power_law"
        ratio, normalized, p = ratio_statistics(log_pl, log_alt, nested=nested)
        results.append(
            LikelihoodRatio(
                alternative=name,
                ratio=ratio,
                normalized_ratio=normalized,
                p_value=p,
                nested=nested,
                parameters={key: float(value) for key, value in params.items()},
                k=kk,
                x_min=fit.x_min,
                beta=fit.beta,
                log_likelihood_power_law=math.fsum(log_pl) - shift,
                log_likelihood_alternative=math.fsum(log_alt) - shift,
                boundary=boundary,
                converged=converged,
            )
        )
    return tuple(results)
