"""Tables of a report: one fit per spectrum, the paper's table forms, and the paper's numbers beside ours.

Every number is recomputed from the spectrum values with :func:`compare.fit_power_law`; the
tables are pandas DataFrames with plain numeric columns (formatting is :mod:`compare.report.render`'s job).

The paper's published numbers (Xie et al. 2022, Tables 6-11 and 13) are read from
``compare/report/paper_reference.csv``, package data (:func:`read_paper_reference`) and set beside ours by
:func:`compare.report.reference.paper_comparison`.
"""

from __future__ import annotations

import csv
import math
import os
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from compare.krule import KRule
from compare.meta import REPORT_COLUMNS
from compare.powerlaw import critical_value, eigengaps, fit_power_law, ks_null_distribution
from compare.spectrum import KINDS, Spectrum
from compare.summary import SIZE_BINS, summarize_by_size

if TYPE_CHECKING:
    import pandas as pd

#: Simulated samples behind the fitted-beta critical value (as :func:`compare.fitted_critical_value`).
FITTED_N_SIM = 2000
#: Spectrum.meta keys copied into the fit table (missing keys give empty cells).
META_COLUMNS = REPORT_COLUMNS
#: The paper's numbers, shipped as package data of :mod:`compare.report`.
PAPER_REFERENCE_NAME = "paper_reference.csv"


def paper_reference_path() -> Path:
    """Path of the shipped copy of the paper's published numbers (package data).

    Returns
    -------
    pathlib.Path
        ``paper_reference.csv`` inside the installed :mod:`compare.report` package.
    """
    return Path(str(resources.files("compare.report") / PAPER_REFERENCE_NAME))


def default_rules() -> dict[str, KRule]:
    """The report's default K rules: proteins the paper's top tenth, networks K = 1000 (all if fewer).

    Returns
    -------
    dict of str to KRule
        By kind (:data:`compare.spectrum.KINDS`); a gradient-noise spectrum takes the
        networks' rule.
    """
    network = KRule(top=1000, strict=False)
    return {"protein": KRule(fraction=0.1), "network": network, "gradient-noise": network}


def _null_tables(k: int, alpha: float, bootstrap: int, seed: int) -> tuple[float, np.ndarray | None]:
    """Fitted-beta critical value at ``alpha`` and (when asked) the bootstrap null table for ``k``."""
    if k < 3:
        return math.nan, None
    table = ks_null_distribution(k, n_sim=FITTED_N_SIM, seed=seed)
    d_c_fitted = float(np.quantile(table, 1.0 - float(alpha)))  # = fitted_critical_value(k, alpha)
    if not bootstrap:
        return d_c_fitted, None
    if int(bootstrap) != FITTED_N_SIM:
        table = ks_null_distribution(k, n_sim=int(bootstrap), seed=seed)
    return d_c_fitted, table


def _verdict(passed: bool) -> str:
    """The verdict's words."""
    return "power law" if passed else "not a power law"


def fit_many(
    spectra: Sequence[Spectrum],
    *,
    k: int | None = None,
    fraction: float | None = None,
    rules: Mapping[str, KRule] | None = None,
    alpha: float = 0.05,
    bootstrap: int = 0,
    seed: int = 0,
    jobs: int = 1,
    sources: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Fit every spectrum; one row each, with the Massey and fitted-beta KS verdicts.

    Parameters
    ----------
    spectra : sequence of Spectrum
        The spectra to fit.
    k, fraction : optional
        One K rule for every spectrum (strict: a shorter spectrum raises). Default: ``rules``.
    rules : mapping kind -> KRule, optional
        Per-kind rules; default :func:`default_rules` (proteins top 10 %, networks K = 1000
        or all if fewer).
    alpha : {0.2, 0.15, 0.1, 0.05, 0.01}
        KS significance, for Massey's d_c and the fitted-beta d_c alike.
    bootstrap : int
        Samples of the CSN bootstrap p-value (:func:`compare.ks_p_value`, >= 100); 0: none.
    seed : int
        Seed of the simulated null distributions (fitted d_c and p-value).
    jobs : int
        Processes for the null distributions (one per distinct K).
    sources : sequence of str, optional
        Where each spectrum came from (a file), for the ``source`` column.

    Returns
    -------
    pandas.DataFrame
        Columns ``name, kind, source, n, n_modes, k, k_rule, x_1, x_min, beta, sigma, s,
        d_ks, d_c, d_ks_over_d_c, is_power_law, verdict, d_c_fitted, d_ks_over_d_c_fitted,
        is_power_law_fitted, verdict_fitted``, ``p_value`` and ``p_value_null`` (``"fixed-K"``; with
        ``bootstrap``), the meta
        columns of :data:`META_COLUMNS`, and ``note``. ``beta, sigma, s, d_ks, d_c, x_min``
        equal ``fit_power_law(values, k=row.k, alpha=alpha)``; ``d_c_fitted`` equals
        ``fitted_critical_value(k, alpha, seed=seed)`` and ``p_value``
        ``ks_p_value(fit, n_sim=bootstrap, seed=seed)``.

    Raises
    ------
    ValueError
        A spectrum shorter than its K (strict rules), an unsupported alpha, bad options.
    """
    import pandas as pd

    rules = _fit_rules(k, fraction, rules, alpha=alpha, bootstrap=bootstrap, jobs=jobs)
    sources = list(sources) if sources is not None else [""] * len(spectra)
    if len(sources) != len(spectra):
        raise ValueError(f"got {len(spectra)} spectra but {len(sources)} sources")
    rows = [
        _fit_row(spectrum, source, rules[spectrum.kind], alpha)
        for spectrum, source in zip(spectra, sources, strict=True)
    ]
    nulls = _null_tables_by_k(
        sorted({row["k"] for row, _, _ in rows}), alpha, int(bootstrap), seed, int(jobs)
    )
    records = []
    for row, meta_row, note in rows:
        _add_fitted_verdict(row, *nulls[row["k"]], bootstrap=bool(bootstrap))
        records.append({**row, **meta_row, "note": note})
    columns = list(records[0]) if records else ["name", "kind", "k", "beta", "s"]
    return pd.DataFrame(records, columns=columns)


def _fit_rules(
    k: int | None,
    fraction: float | None,
    rules: Mapping[str, KRule] | None,
    *,
    alpha: float,
    bootstrap: int,
    jobs: int,
) -> dict[str, KRule]:
    """Check the options of :func:`fit_many`; the K rule of each kind."""
    critical_value(2, alpha)  # validates alpha
    if bootstrap and int(bootstrap) < 100:
        raise ValueError(f"bootstrap must be 0 (off) or >= 100 samples, got {bootstrap!r}")
    if isinstance(jobs, bool) or int(jobs) < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs!r}")
    if k is not None or fraction is not None:
        rule = KRule(top=k, fraction=fraction)
        rules = dict.fromkeys(KINDS, rule)
    return dict(default_rules(), **(rules or {}))


def _fit_row(
    spectrum: Spectrum, source: str, rule: KRule, alpha: float
) -> tuple[dict[str, object], dict[str, object], str]:
    """The fit columns, the meta columns and the note of one spectrum's row."""
    kk, note = rule.resolve(spectrum)
    fit = fit_power_law(spectrum.values, k=kk, alpha=alpha)
    meta = spectrum.meta
    row = {
        "name": spectrum.name,
        "kind": spectrum.kind,
        "source": source,
        "n": len(spectrum),
        "n_modes": int(meta.get("n_modes") or len(spectrum)),
        "k": fit.k,
        "k_rule": rule.describe(),
        "x_1": float(spectrum.values[0]),
        "x_min": fit.x_min,
        "beta": fit.beta,
        "sigma": fit.sigma,
        "s": fit.s,
        "d_ks": fit.d_ks,
        "d_c": fit.d_c,
        "d_ks_over_d_c": fit.d_ks / fit.d_c,
        "is_power_law": fit.is_power_law,
        "verdict": _verdict(fit.is_power_law),
    }
    meta_row = {c: meta.get(c) for c in META_COLUMNS}
    if meta_row["training"] is None:
        meta_row["training"] = meta.get("optimizer")
    return row, meta_row, note


def _null_tables_by_k(
    distinct: list[int], alpha: float, bootstrap: int, seed: int, jobs: int
) -> dict[int, tuple[float, np.ndarray | None]]:
    """:func:`_null_tables` of every distinct K, in ``jobs`` processes when there are several."""
    args = [(kk, alpha, bootstrap, seed) for kk in distinct]
    if jobs > 1 and len(distinct) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(_null_tables, *zip(*args, strict=True)))
    else:
        results = [_null_tables(*a) for a in args]
    return dict(zip(distinct, results, strict=True))


def _add_fitted_verdict(
    row: dict[str, object], d_c_fitted: float, table: np.ndarray | None, *, bootstrap: bool
) -> None:
    """Add the fitted-beta columns (and the bootstrap p-value) to a row of :func:`fit_many`."""
    passed = bool(row["d_ks"] < d_c_fitted) if math.isfinite(d_c_fitted) else False
    row.update(
        d_c_fitted=d_c_fitted,
        d_ks_over_d_c_fitted=row["d_ks"] / d_c_fitted,
        is_power_law_fitted=passed,
        verdict_fitted=_verdict(passed) if math.isfinite(d_c_fitted) else "n/a (K < 3)",
    )
    if bootstrap:
        row["p_value"] = float(np.mean(table >= row["d_ks"])) if table is not None else math.nan
        row["p_value_null"] = "fixed-K"  # the report's K rules fix x_min a priori


def read_paper_reference(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The paper's published rows (lines starting with # are comments).

    Parameters
    ----------
    path : str or path-like, optional
        A reference table of the same columns; default the shipped copy
        (:func:`paper_reference_path`, package data).

    Returns
    -------
    pandas.DataFrame
        Columns ``table, kind, name, dataset, model, training, setting, k, k_rule,
        n_proteins, d_ks, d_c, d_ks_over_d_c, power_law, beta, sigma, beta_sd, s, s_sd``.

    Raises
    ------
    FileNotFoundError
        No such file.
    """
    import pandas as pd

    path = Path(path) if path is not None else paper_reference_path()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the paper's reference table is missing")
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    table = pd.DataFrame(rows).replace({"": None})
    numeric = [
        "table",
        "k",
        "n_proteins",
        "d_ks",
        "d_c",
        "d_ks_over_d_c",
        "beta",
        "sigma",
        "beta_sd",
        "s",
        "s_sd",
    ]
    for col in numeric:
        table[col] = pd.to_numeric(table[col])
    return table


def size_summary(fits: pd.DataFrame, reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """The paper's Table 13 for the proteins of ``fits``, with its numbers and our difference.

    Proteins need ``n_residues`` (3N bins of :data:`compare.SIZE_BINS`); those without it
    count only in ``all``.

    Parameters
    ----------
    fits : pandas.DataFrame
        :func:`fit_many` (its protein rows count).
    reference : pandas.DataFrame, optional
        The paper's table (:func:`read_paper_reference`), for Table 13's numbers.

    Returns
    -------
    pandas.DataFrame
        ``compare.summarize_by_size`` columns (``bin, n, pass_rate, beta_mean, beta_sd, s_mean,
        s_sd, dks_over_dc_mean``) plus ``pass_rate_fitted`` and, with ``reference``,
        ``<q>_paper`` and ``<q>_diff`` for ``beta_mean, beta_sd, s_mean, s_sd,
        dks_over_dc_mean`` and ``n_paper``.
    """
    import pandas as pd

    proteins = fits[fits["kind"] == "protein"]
    sized = proteins[proteins["n_residues"].notna()]
    # Unsized proteins get N = 0: no bin holds them, "all" does.
    table = proteins.assign(status="done", n_residues=proteins["n_residues"].fillna(0).astype(int))
    by_size = summarize_by_size(table).set_index("bin")
    three_n = 3 * sized["n_residues"].astype(int)
    rates = {}
    for i, (low, high) in enumerate(SIZE_BINS):
        last = i == len(SIZE_BINS) - 1
        mask = (three_n >= low) & ((three_n <= high) if last else (three_n < high))
        rates[f"{low}-{high}"] = (
            sized.loc[mask, "is_power_law_fitted"].astype(bool).mean() if mask.any() else math.nan
        )
    rates["all"] = proteins["is_power_law_fitted"].astype(bool).mean() if len(proteins) else math.nan
    by_size["pass_rate_fitted"] = pd.Series(rates)
    by_size = by_size.reset_index()
    if "n" not in by_size:
        by_size["n"] = 0
    by_size["n"] = by_size["n"].fillna(0).astype(int)
    if reference is not None:
        paper = reference[(reference["kind"] == "protein") & (reference["table"] == 13)].set_index("name")
        for q, col in (
            ("beta_mean", "beta"),
            ("beta_sd", "beta_sd"),
            ("s_mean", "s"),
            ("s_sd", "s_sd"),
            ("dks_over_dc_mean", "d_ks_over_d_c"),
        ):
            by_size[f"{q}_paper"] = by_size["bin"].map(paper[col])
            ours = by_size[q] if q in by_size else math.nan
            by_size[f"{q}_diff"] = ours - by_size[f"{q}_paper"]
        by_size["n_paper"] = by_size["bin"].map(paper["n_proteins"])
    return by_size


def kind_comparison(fits: pd.DataFrame) -> pd.DataFrame:
    """The protein set beside the network spectra: distributions of s, beta, d_ks/d_c and pass rates.

    Parameters
    ----------
    fits : pandas.DataFrame
        :func:`fit_many`.

    Returns
    -------
    pandas.DataFrame
        One row per statistic (``statistic``), one column per kind present (``protein``,
        ``network``, ``gradient-noise``). Protein rows of several elastic networks get one column
        each instead, ``protein: <network>`` (:func:`compare.report.models.network_columns`).
    """
    import pandas as pd

    from compare.report.models import network_columns

    network = network_columns(fits)
    parts: dict[str, pd.DataFrame] = {}
    for kind in KINDS:
        part = fits[fits["kind"] == kind]
        if kind == "protein" and network["network_group"].nunique() > 1:
            for label, group in network.groupby("network_group", sort=True):
                parts[f"protein: {label}"] = fits.loc[group.index]
        elif len(part):
            parts[kind] = part
    out: dict[str, dict[str, float]] = {}
    for column, part in parts.items():
        col: dict[str, float] = {
            "spectra": float(len(part)),
            "pass rate (Massey d_c)": float(part["is_power_law"].astype(bool).mean()),
            "pass rate (fitted-beta d_c)": float(part["is_power_law_fitted"].astype(bool).mean()),
        }
        if "p_value" in part:
            col["share with bootstrap p >= 0.1"] = float((part["p_value"] >= 0.1).mean())
        for q, label in (("s", "s"), ("beta", "beta"), ("d_ks_over_d_c", "d_ks / d_c")):
            x = part[q].astype(float)
            col.update(
                {
                    f"{label} mean": float(x.mean()),
                    f"{label} median": float(x.median()),
                    f"{label} sd": float(x.std(ddof=1)) if len(x) > 1 else math.nan,
                    f"{label} min": float(x.min()),
                    f"{label} max": float(x.max()),
                }
            )
        out[column] = col
    table = pd.DataFrame(out)
    table.index.name = "statistic"
    return table.reset_index()


def eigengap_fits(
    spectra: Sequence[Spectrum], fits: pd.DataFrame, *, alpha: float = 0.05, span: float = 2.0
) -> pd.DataFrame:
    """Power-law fits of each spectrum's eigengaps (paper Table 6 "Eigengap" rows, Figure 2).

    The gaps of all stored values, re-sorted descending (:func:`compare.eigengaps`); the
    largest ``min(K, m / span)`` of the ``m`` positive gaps are fitted, K the spectrum's
    (:func:`compare.eigengap.fit_eigengaps`: ``span = 1`` fits as many gaps as the spectrum's
    K). The paper finds the gap slope near ``s + 1``.

    Parameters
    ----------
    spectra : sequence of Spectrum
        The spectra.
    fits : pandas.DataFrame
        :func:`fit_many` of ``spectra`` (same order): each row's ``k`` and ``s``.
    alpha : float
        KS significance.
    span : float >= 1
        Gaps available per fitted gap.

    Returns
    -------
    pandas.DataFrame
        ``name, kind, network`` (proteins: :func:`compare.report.models.network_columns`; else empty),
        ``k, beta, sigma, s, d_ks, d_c, is_power_law, verdict, s_spectrum_plus_1``.
    """
    import pandas as pd

    from compare.eigengap import fit_eigengaps, gap_k
    from compare.report.models import network_columns

    network = network_columns(fits)["network"]
    records = []
    for i, spectrum in enumerate(spectra):
        k = int(fits.iloc[i]["k"])
        if gap_k(eigengaps(spectrum.values).size, k, span=span) < 2:
            continue
        try:
            fit = fit_eigengaps(spectrum.values, k=k, span=span, alpha=alpha)
        except ValueError as exc:
            warnings.warn(f"{spectrum.name}: eigengaps not fitted ({exc})", stacklevel=2)
            continue
        records.append(
            {
                "name": spectrum.name,
                "kind": spectrum.kind,
                "network": network.get(fits.index[i], ""),
                "k": fit.k,
                "beta": fit.beta,
                "sigma": fit.sigma,
                "s": fit.s,
                "d_ks": fit.d_ks,
                "d_c": fit.d_c,
                "is_power_law": fit.is_power_law,
                "verdict": _verdict(fit.is_power_law),
                "s_spectrum_plus_1": float(fits.iloc[i]["s"]) + 1.0,
            }
        )
    columns = [
        "name",
        "kind",
        "network",
        "k",
        "beta",
        "sigma",
        "s",
        "d_ks",
        "d_c",
        "is_power_law",
        "verdict",
        "s_spectrum_plus_1",
    ]
    return pd.DataFrame(records, columns=columns)


def likelihood_table(spectra: Sequence[Spectrum], fits: pd.DataFrame) -> pd.DataFrame:
    """Likelihood-ratio tests of the power law against its alternatives, per spectrum.

    Uses :func:`compare.likelihood.likelihood_ratio_tests` on the same K as the fit.

    Parameters
    ----------
    spectra : sequence of Spectrum
        The spectra.
    fits : pandas.DataFrame
        :func:`fit_many` of ``spectra`` (same order): each row's ``k``.

    Returns
    -------
    pandas.DataFrame
        ``name, kind, k, alternative, ratio, normalized_ratio, p_value, nested, converged,
        favours`` (``favours(significance=0.1)``: "power law", the alternative, or "neither").

    Raises
    ------
    RuntimeError
        :mod:`compare.likelihood` is not available.
    """
    import pandas as pd

    try:
        from compare.likelihood import likelihood_ratio_tests
    except ImportError as exc:
        raise RuntimeError(f"likelihood-ratio tests are unavailable ({exc})") from None
    columns = "name kind k alternative ratio normalized_ratio p_value nested converged favours".split()
    records = []
    for spectrum, k in zip(spectra, fits["k"], strict=True):
        for test in likelihood_ratio_tests(spectrum.values, k=int(k)):
            row = {key: getattr(test, key, True) for key in columns[3:-1]}
            records.append(
                {"name": spectrum.name, "kind": spectrum.kind, "k": int(k), **row, "favours": test.favours()}
            )
    return pd.DataFrame(records, columns=columns)
