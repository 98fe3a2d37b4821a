"""Power-law statistics, the shared :class:`Spectrum` record, and reports.

``enmspec`` (proteins) and ``dnnspec`` (networks) both produce :class:`Spectrum` objects
and fit them with :func:`fit_power_law`; nothing here imports either of them.
"""

from compare.errors import SpectrumFileError
from compare.likelihood import ALTERNATIVES, LikelihoodRatio, likelihood_ratio_tests
from compare.powerlaw import (
    MASSEY_COEFFICIENTS,
    BootstrapInterval,
    PowerLawFit,
    XminScan,
    bootstrap_interval,
    critical_value,
    eigengaps,
    fit_power_law,
    fitted_critical_value,
    ks_null_distribution,
    ks_p_value,
    resolve_k,
    scan_xmin,
)
from compare.report import ReportSettings, write_report
from compare.spectrum import Spectrum, load_spectrum
from compare.summary import SIZE_BINS, summarize, summarize_by_size
from compare.tables import KRule, fit_many, read_paper_reference

__all__ = [
    "MASSEY_COEFFICIENTS",
    "ALTERNATIVES",
    "BootstrapInterval",
    "LikelihoodRatio",
    "likelihood_ratio_tests",
    "KRule",
    "ReportSettings",
    "fit_many",
    "read_paper_reference",
    "write_report",
    "bootstrap_interval",
    "ks_p_value",
    "SIZE_BINS",
    "PowerLawFit",
    "Spectrum",
    "XminScan",
    "SpectrumFileError",
    "critical_value",
    "eigengaps",
    "fit_power_law",
    "fitted_critical_value",
    "ks_null_distribution",
    "load_spectrum",
    "resolve_k",
    "scan_xmin",
    "summarize",
    "summarize_by_size",
]
