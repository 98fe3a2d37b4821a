"""Reports that put protein and network spectra side by side and beside the paper's numbers.

Tables (:mod:`compare.report.tables`), the paper's reference numbers (shipped as package data,
:mod:`compare.report.reference`), rendering to HTML and Markdown (:mod:`compare.report.render`),
figures (:mod:`compare.report.plots`, matplotlib imported inside the functions) and the writer
(:mod:`compare.report.writer`). Names are re-exported lazily.
"""

from __future__ import annotations

from compare._lazy import lazy_exports

_EXPORTS = {
    "KRule": "compare.krule",
    "fit_many": "compare.report.tables",
    "read_paper_reference": "compare.report.tables",
    "paper_reference_path": "compare.report.tables",
    "paper_comparison": "compare.report.reference",
    "ReportSettings": "compare.report.writer",
    "collect_inputs": "compare.report.writer",
    "write_report": "compare.report.writer",
    "rank_size": "compare.report.plots",
    "eigengap_rank": "compare.report.plots",
    "save_figure": "compare.report.plots",
    "report_figures": "compare.report.plots",
    "group_summary": "compare.report.groups",
    "predicted_beside_experimental": "compare.report.groups",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
