"""The paper's numbers beside ours: matching spectra to the rows of the paper's tables.

The paper's table (Xie et al. 2022, Tables 6-11 and 13) is read by
:func:`compare.report.tables.read_paper_reference`; :func:`paper_comparison` finds the rows whose
experiment a spectrum reproduces and refits the spectrum at the paper's K and significance.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from compare.powerlaw import eigengaps, fit_power_law
from compare.spectrum import Spectrum

if TYPE_CHECKING:
    import pandas as pd

#: The paper's KS significance; the comparison with its numbers is made at this level.
PAPER_ALPHA = 0.05


def _key(text: object) -> str:
    """Normalised label for matching: lower case, letters and digits only; '-', '' and None -> ''."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    key = re.sub(r"[^0-9a-z%=]", "", str(text).lower())
    return "" if key in ("", "none") else key


def _base_dataset(name: object) -> object:
    """``"MNIST (5k subset)"`` -> ``"MNIST"``: a parenthesis qualifies a subset of the same dataset."""
    if not isinstance(name, str):
        return name
    return name.split("(", 1)[0].strip() or name


def _experiment(meta: Mapping) -> tuple[str, str, str, str]:
    """Normalised (dataset, model, training, setting) of a network spectrum's meta."""
    training = meta.get("training") if meta.get("training") is not None else meta.get("optimizer")
    dataset = _base_dataset(meta.get("dataset"))
    return (_key(dataset), _key(meta.get("model")), _key(training), _key(meta.get("setting")))


def _paper_rows_for(spectrum: Spectrum, reference: pd.DataFrame) -> list[dict]:
    """The rows of the paper's table whose experiment ``spectrum`` reproduces."""
    if spectrum.kind == "protein":
        names = {_key(spectrum.name), _key(spectrum.meta.get("entry"))} - {""}
        mask = (reference["kind"] == "protein") & (reference["table"] == 11)
        return [r for r in reference[mask].to_dict("records") if _key(r["name"]) in names]
    dataset, model, training, setting = _experiment(spectrum.meta)
    if not (dataset and model and training):
        return []
    out = []
    for r in reference[reference["kind"] == "network"].to_dict("records"):
        if (_key(r["dataset"]), _key(r["model"]), _key(r["training"])) != (dataset, model, training):
            continue
        paper_setting = _key(r["setting"])
        # A spectrum's eigengaps are compared with the paper's "Eigengap" row of the same run.
        if paper_setting == setting or (paper_setting == "eigengap" and setting == ""):
            out.append(r)
    return out


def paper_comparison(spectra: Sequence[Spectrum], reference: pd.DataFrame) -> pd.DataFrame:
    """Our numbers beside the paper's for every spectrum whose experiment the paper reports.

    A protein matches Table 11 by name (4HHB); a network matches Tables 6-10 by
    ``meta["dataset"]``, ``meta["model"]``, ``meta["training"]`` (or ``"optimizer"``) and
    ``meta["setting"]`` (absent = ``"-"``), compared without case or punctuation; a dataset
    named with a parenthesised qualifier (``"MNIST (5k subset)"``) meets the paper's rows of the
    dataset before it (``"MNIST"``), with a note saying so. A network without a setting also
    meets the paper's "Eigengap" row of its run, compared with the fit of its eigengaps. The
    fit is redone at the paper's K and alpha = 0.05 when the spectrum holds enough values;
    otherwise at all values, with a note.

    Parameters
    ----------
    spectra : sequence of Spectrum
        Our spectra.
    reference : pandas.DataFrame
        The paper's table (:func:`compare.report.tables.read_paper_reference`).

    Returns
    -------
    pandas.DataFrame
        ``name, kind, paper_table, experiment, k_paper, k, note`` and, for ``d_ks, d_c,
        beta, sigma, s``: ours, ``<q>_paper`` and ``<q>_diff`` (ours - paper); ``verdict``
        and ``verdict_paper``.
    """
    import pandas as pd

    records = []
    for spectrum in spectra:
        for ref in _paper_rows_for(spectrum, reference):
            eigengap = _key(ref["setting"]) == "eigengap"
            values = eigengaps(spectrum.values) if eigengap else spectrum.values
            k_paper = int(ref["k"])
            notes = ["eigengaps of the spectrum"] if eigengap else []
            ours_dataset = spectrum.meta.get("dataset")
            if spectrum.kind == "network" and _key(ours_dataset) != _key(ref["dataset"]):
                notes.append(f"our data: {ours_dataset}; the paper's: {ref['dataset']}")
            note = "; ".join(notes)
            k = min(k_paper, values.size)
            if k < k_paper:
                extra = f"only {values.size} values: fitted with K = {k}, not the paper's {k_paper}"
                note = f"{note}; {extra}" if note else extra
            fit = fit_power_law(values, k=k, alpha=PAPER_ALPHA)
            if spectrum.kind == "protein":
                experiment = f"{ref['name']} (ANM, K = {k_paper})"
            else:
                experiment = " / ".join(str(ref[c]) for c in ("dataset", "model", "training", "setting"))
            row = {
                "name": spectrum.name,
                "kind": spectrum.kind,
                "paper_table": int(ref["table"]),
                "experiment": experiment,
                "k_paper": k_paper,
                "k": fit.k,
                "note": note,
            }
            for q in ("d_ks", "d_c", "beta", "sigma", "s"):
                ours, paper = getattr(fit, q), ref[q]
                row[q] = ours
                row[f"{q}_paper"] = paper
                row[f"{q}_diff"] = ours - paper if paper is not None and not pd.isna(paper) else math.nan
            row["verdict"] = "Yes" if fit.is_power_law else "No"
            row["verdict_paper"] = ref["power_law"]
            records.append(row)
    columns = ["name", "kind", "paper_table", "experiment", "k_paper", "k", "note"]
    for q in ("d_ks", "d_c", "beta", "sigma", "s"):
        columns += [q, f"{q}_paper", f"{q}_diff"]
    return pd.DataFrame(records, columns=[*columns, "verdict", "verdict_paper"])
