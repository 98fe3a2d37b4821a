"""Power-law statistics shared by protein and network spectra (one import for all of them).

The formulas are those of Xie et al. (2022), after Clauset, Shalizi and Newman (2009):
keep the K largest values ``x_1 >= ... >= x_K``, ``x_min = x_K``, and

* ``beta = 1 + K / sum(ln(x_i / x_min))`` (continuous maximum-likelihood exponent),
* ``sigma = (beta - 1) / sqrt(K)``, ``s = 1 / (beta - 1)`` (Zipf slope),
* ``d_ks``: Kolmogorov-Smirnov distance between the kept values and the fitted
  CDF ``F(x) = 1 - (x / x_min)^(1 - beta)``,
* ``d_c = c(alpha) / sqrt(K)`` (Massey 1951), verdict "power law" when ``d_ks < d_c``.

``d_ks`` follows by default the convention of the ``powerlaw`` package (Alstott et al. 2014),
which reproduces the paper's numbers: the distance is taken at the distinct data points only,
against the left-continuous empirical CDF (``ks="left"``); ``ks="two-sided"`` is Clauset's.

The code lives by topic: :mod:`compare.fit` (the record and :func:`fit_power_law`),
:mod:`compare.ks` (distances, critical values, the fitted-beta null), :mod:`compare.discrete`
(the Hurwitz-zeta law), :mod:`compare.scan` (:func:`scan_xmin`) and :mod:`compare.bootstrap`
(p-values and intervals). Every public name stays importable from here.
"""

from __future__ import annotations

from compare.bootstrap import (
    NULL_NAMES,
    BootstrapInterval,
    GoodnessOfFit,
    bootstrap_interval,
    goodness_of_fit,
    ks_p_value,
)
from compare.fit import XMIN_METHODS, PowerLawFit, eigengaps, fit_power_law, resolve_k
from compare.ks import (
    KS_CONVENTIONS,
    MASSEY_COEFFICIENTS,
    critical_value,
    fitted_critical_value,
    ks_distance,
    ks_null_distribution,
)
from compare.scan import XminScan, scan_xmin

__all__ = [
    "KS_CONVENTIONS",
    "MASSEY_COEFFICIENTS",
    "NULL_NAMES",
    "XMIN_METHODS",
    "BootstrapInterval",
    "GoodnessOfFit",
    "PowerLawFit",
    "XminScan",
    "bootstrap_interval",
    "critical_value",
    "eigengaps",
    "fit_power_law",
    "fitted_critical_value",
    "goodness_of_fit",
    "ks_distance",
    "ks_null_distribution",
    "ks_p_value",
    "resolve_k",
    "scan_xmin",
]
