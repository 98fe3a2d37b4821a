"""The discrete power law against mpmath (exact), brute-force recomputations and ``powerlaw`` 2.0."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from compare import fit_power_law, scan_xmin
from compare.discrete import (
    discrete_mle,
    discrete_mle_many,
    discrete_survival,
    log_hurwitz_zeta,
    log_zeta_derivatives,
    sample_discrete_power_law,
)
from compare.ks import ks_distance

mpmath = pytest.importorskip("mpmath")


def sample(n: int, beta: float, x_min: int, seed: int) -> np.ndarray:
    return np.sort(sample_discrete_power_law(n, beta, x_min, np.random.default_rng(seed)))[::-1]


@pytest.mark.parametrize(
    ("beta", "q"),
    [(1.0001, 3), (1.5, 7), (2.5, 1), (3.0, 1e5), (7.5, 2), (80.0, 1e4), (150.0, 10), (45.0, 1e7)],
)
def test_log_hurwitz_zeta_matches_mpmath(beta, q):
    """Including ``beta ln q`` past 690, where scipy's zeta underflows and the fallback sums in logs."""
    exact = float(mpmath.log(mpmath.zeta(beta, q)))
    assert float(log_hurwitz_zeta(beta, q)) == pytest.approx(exact, rel=1e-13, abs=1e-13)


@pytest.mark.parametrize(
    ("beta", "q", "rel"),
    [(1.3, 1, 1e-6), (2.5, 1, 1e-6), (1.9, 7, 1e-6), (3.3, 100, 1e-6), (2.05, 12, 1e-6), (12.0, 1, 1e-5)]
    # steep laws (plain sums), and large x_min with a large exponent (differences of the scaled zeta)
    + [(40.0, 2, 1e-10), (150.0, 10, 1e-10), (30.0, 3, 1e-10), (100.0, 1e4, 1e-4), (45.0, 1e7, 1e-4)],
)
def test_log_zeta_derivatives_match_mpmath(beta, q, rel):
    with mpmath.workdps(40):
        z, z1, z2 = (mpmath.zeta(beta, q, d) for d in range(3))
        first, second = z1 / z, z2 / z - (z1 / z) ** 2
    d1, d2 = log_zeta_derivatives(beta, q)
    assert float(d1) == pytest.approx(float(first), rel=1e-9)
    assert float(d2) == pytest.approx(float(second), rel=rel)


def test_steep_tail_has_a_finite_fit():
    """One value far above a pile at x_min: a huge exponent, still a finite fit and error."""
    tail = np.array([9.0] + [2.0] * 40)
    fit = fit_power_law(tail, discrete=True)
    ref_beta, ref_sigma = exact_mle(tail)
    assert fit.beta == pytest.approx(ref_beta, rel=1e-8) and fit.beta > 5
    assert fit.sigma == pytest.approx(ref_sigma, rel=1e-4)


def exact_mle(tail: np.ndarray) -> tuple[float, float]:
    """Root of zeta'(b, x_min) / zeta(b, x_min) = -mean(ln x) in mpmath; sigma from zeta''."""
    x_min = int(tail[-1])
    target = -mpmath.mpf(float(np.mean(np.log(tail))))
    with mpmath.workdps(30):
        beta = mpmath.findroot(lambda b: mpmath.zeta(b, x_min, 1) / mpmath.zeta(b, x_min) - target, 2.0)
        z, z1, z2 = (mpmath.zeta(beta, x_min, d) for d in range(3))
        info = tail.size * (z2 / z - (z1 / z) ** 2)
        return float(beta), float(1 / mpmath.sqrt(info))


@pytest.mark.parametrize(("beta", "x_min", "seed"), [(2.2, 1, 0), (1.8, 3, 1), (3.1, 10, 2), (2.5, 50, 3)])
def test_mle_and_standard_error_match_mpmath(beta, x_min, seed):
    tail = sample(800, beta, x_min, seed)
    assert tail[-1] == x_min
    ours = fit_power_law(tail, discrete=True)
    ref_beta, ref_sigma = exact_mle(tail)
    assert ours.beta == pytest.approx(ref_beta, rel=1e-10)
    assert ours.sigma == pytest.approx(ref_sigma, rel=1e-6)
    assert ours.discrete and ours.s == pytest.approx(1 / (ref_beta - 1), rel=1e-10)
    # the vectorised Newton of the scan agrees with the scalar root
    many = discrete_mle_many(np.array([np.log(tail).sum()]), np.array([tail.size]), np.array([float(x_min)]))
    assert many[0] == pytest.approx(ref_beta, rel=1e-9)


def brute_force_distance(tail: np.ndarray, beta: float, *, two_sided: bool) -> float:
    """At every integer from x_min to x_max, from explicit sums of the pmf (no zeta function)."""
    x_min, x_max = int(tail[-1]), int(tail[0])
    grid = np.arange(x_min, x_max + 1)
    with mpmath.workdps(25):
        norm = mpmath.zeta(beta, x_min)
        pmf = np.array([float(mpmath.mpf(int(v)) ** -beta / norm) for v in grid])
    cdf = np.cumsum(pmf)  # P(X <= v)
    below = np.concatenate(([0.0], cdf[:-1]))  # P(X < v)
    counts = np.bincount((tail - x_min).astype(int), minlength=grid.size)
    emp = np.cumsum(counts) / tail.size  # right-continuous empirical CDF
    emp_below = np.concatenate(([0.0], emp[:-1]))
    observed = counts > 0
    left = np.max(np.abs(emp_below - below)[observed])
    return max(np.max(np.abs(emp - cdf)), left) if two_sided else left


@pytest.mark.parametrize("seed", [0, 1])
def test_discrete_ks_distances_by_brute_force(seed):
    tail = sample(300, 2.6, 2, seed)
    tail = tail[tail <= 400]  # keeps the integer grid of the brute force short
    fit = fit_power_law(tail, discrete=True)
    for ks, two_sided in (("left", False), ("two-sided", True)):
        expected = brute_force_distance(tail, fit.beta, two_sided=two_sided)
        assert ks_distance(tail, fit.beta, ks=ks, discrete=True) == pytest.approx(expected, rel=1e-9)
    # the two-sided distance sees the mass at x_min, the left one never does
    assert ks_distance(tail, fit.beta, ks="two-sided", discrete=True) >= fit.d_ks


def test_sampler_is_the_discrete_law():
    """Pearson chi-square of 200,000 draws against the exact pmf (30 cells and the rest)."""
    for beta, x_min, seed in [(1.95, 7, 0), (2.5, 1, 1), (3.5, 2, 2)]:
        x = sample_discrete_power_law(200_000, beta, x_min, np.random.default_rng(seed))
        assert x.min() >= x_min and np.all(x == np.floor(x))
        cells = np.arange(x_min, x_min + 30)
        observed = np.array([np.sum(x == v) for v in cells] + [np.sum(x >= x_min + 30)])
        p = discrete_survival(cells, beta, x_min) - discrete_survival(cells + 1, beta, x_min)
        expected = x.size * np.append(p, discrete_survival(x_min + 30, beta, x_min))
        assert stats.chisquare(observed, expected).pvalue > 1e-3


def test_recovers_the_exponent_for_any_seed():
    betas = [fit_power_law(sample(2000, 2.3, 4, seed), discrete=True).beta for seed in range(30)]
    assert np.mean(betas) == pytest.approx(2.3, abs=0.02)
    sigma = fit_power_law(sample(2000, 2.3, 4, 99), discrete=True).sigma
    assert np.std(betas, ddof=1) == pytest.approx(sigma, rel=0.35)


def test_scan_matches_brute_force():
    rng = np.random.default_rng(5)
    body = rng.integers(1, 6, 400).astype(float)
    values = np.sort(np.concatenate([body, sample_discrete_power_law(600, 2.1, 6, rng)]))[::-1]
    for ks in ("left", "two-sided"):
        scan = scan_xmin(values, discrete=True, ks=ks, curve=True)
        distances = {}
        for k in scan.k_values:
            distances[int(k)] = fit_power_law(values, k=int(k), discrete=True, ks=ks).d_ks
        best = max(k for k, d in distances.items() if d == min(distances.values()))
        assert scan.fit.k == best and scan.fit.discrete
        np.testing.assert_allclose(scan.d_ks, [distances[int(k)] for k in scan.k_values], rtol=1e-8)
        assert scan_xmin(values, discrete=True, ks=ks).fit == scan.fit  # the pruned scan agrees


def test_against_powerlaw_package():
    """powerlaw 2.0's exact discrete fit (estimate_discrete=False) is a Nelder-Mead optimum: 1e-5.
    Its default for x_min >= 10 is CSN's approximation 1 + n / sum ln(x / (x_min - 1/2)), close for
    large x_min and off for small ones (issue #104); its standard error is the continuous formula."""
    powerlaw = pytest.importorskip("powerlaw")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for x_min, seed in [(1, 0), (3, 1), (10, 2), (30, 3)]:
            values = sample(3000, 2.2, x_min, seed)
            ours = fit_power_law(values, discrete=True)
            exact = powerlaw.Fit(values, xmin=x_min, discrete=True, estimate_discrete=False, verbose=False)
            assert ours.beta == pytest.approx(exact.power_law.alpha, rel=1e-5)
            # its D is our left distance at its exponent
            d = ks_distance(values, exact.power_law.alpha, ks="left", discrete=True)
            assert d == pytest.approx(exact.power_law.D, rel=1e-9)
            approx = powerlaw.Fit(values, xmin=x_min, discrete=True, estimate_discrete=True, verbose=False)
            formula = 1 + values.size / np.sum(np.log(values / (x_min - 0.5)))
            assert approx.power_law.alpha == pytest.approx(formula, rel=1e-9)
            off = abs(formula - ours.beta) / (ours.beta - 1)
            assert off < 0.01 if x_min >= 10 else off > 0.01
    assert abs(1 + 3000 / np.sum(np.log(sample(3000, 2.2, 1, 0) / 0.5)) - 2.2) > 0.2  # x_min = 1: far off


def test_discrete_input_errors():
    with pytest.raises(ValueError, match="integers"):
        fit_power_law([3.5, 2.0, 1.0], discrete=True)
    with pytest.raises(ValueError, match="integers"):
        scan_xmin(np.linspace(20, 1.5, 40), discrete=True)
    assert discrete_mle(np.array([4.0, 4.0, 4.0])) is None
    with pytest.raises(ValueError, match="equal"):
        fit_power_law([4.0, 4.0, 4.0], discrete=True)
