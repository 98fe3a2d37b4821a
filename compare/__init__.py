"""Power-law statistics and the shared records and contracts of hessian-spectra.

``enmspec`` (proteins) and ``dnnspec`` (networks) both produce :class:`Spectrum` objects and fit
them with :func:`fit_power_law`; nothing here imports either of them.

The core (this package) holds the record and its file formats (:mod:`compare.spectrum`,
:mod:`compare.io`, :mod:`compare.batchdir`, :mod:`compare.meta`), the statistics
(:mod:`compare.powerlaw`, which gathers :mod:`compare.fit`, :mod:`compare.ks`,
:mod:`compare.discrete`, :mod:`compare.scan` and :mod:`compare.bootstrap`; :mod:`compare.likelihood`,
:mod:`compare.summary`) and the contracts the command lines share (:mod:`compare.errors`,
:mod:`compare.validation`, :mod:`compare.shell`).
Tables, plots and the report writer live in :mod:`compare.report`. Names are re-exported
lazily: ``import compare`` loads nothing until a name is used.
"""

from __future__ import annotations

from compare._lazy import lazy_exports

_EXPORTS = {
    "InputError": "compare.errors",
    "RuntimeFailure": "compare.errors",
    "ConvergenceError": "compare.errors",
    "SpectrumFileError": "compare.errors",
    "ALTERNATIVES": "compare.likelihood",
    "LikelihoodRatio": "compare.likelihood",
    "likelihood_ratio_tests": "compare.likelihood",
    "MASSEY_COEFFICIENTS": "compare.powerlaw",
    "BootstrapInterval": "compare.powerlaw",
    "PowerLawFit": "compare.powerlaw",
    "XminScan": "compare.powerlaw",
    "GoodnessOfFit": "compare.powerlaw",
    "KS_CONVENTIONS": "compare.powerlaw",
    "NULL_NAMES": "compare.powerlaw",
    "bootstrap_interval": "compare.powerlaw",
    "critical_value": "compare.powerlaw",
    "eigengaps": "compare.powerlaw",
    "fit_power_law": "compare.powerlaw",
    "fitted_critical_value": "compare.powerlaw",
    "goodness_of_fit": "compare.powerlaw",
    "ks_distance": "compare.powerlaw",
    "ks_null_distribution": "compare.powerlaw",
    "ks_p_value": "compare.powerlaw",
    "resolve_k": "compare.powerlaw",
    "scan_xmin": "compare.powerlaw",
    "Spectrum": "compare.spectrum",
    "load_spectrum": "compare.spectrum",
    "read_values": "compare.io",
    "SIZE_BINS": "compare.summary",
    "summarize": "compare.summary",
    "summarize_by_size": "compare.summary",
    "summarize_by_cutoff": "compare.summary",
    "KRule": "compare.krule",
    "fit_many": "compare.report.tables",
    "read_paper_reference": "compare.report.tables",
    "ReportSettings": "compare.report.writer",
    "write_report": "compare.report.writer",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
