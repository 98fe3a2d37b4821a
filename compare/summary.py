"""Summaries of a results table: overall and by protein size, as in the paper's Table 13."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

#: Size bins of Table 13, over 3N (N residues), lower bound inclusive, upper exclusive
#: except for the last bin.
SIZE_BINS = ((300, 1000), (1000, 3000), (3000, 6000))


def _stats(done: pd.DataFrame) -> dict[str, float]:
    """Count, pass rate, mean and sd of beta and s, and mean d_ks/d_c of the rows of ``done``."""
    n = int(len(done))
    if n == 0:
        return {"n": 0}
    ratio = done["d_ks"].astype(float) / done["d_c"].astype(float)

    def mean_sd(col: str) -> tuple[float, float]:
        x = done[col].astype(float).to_numpy()
        return float(np.mean(x)), float(np.std(x, ddof=1)) if n > 1 else math.nan

    beta_mean, beta_sd = mean_sd("beta")
    s_mean, s_sd = mean_sd("s")
    return {
        "n": n,
        "pass_rate": float(done["is_power_law"].astype(bool).mean()),
        "beta_mean": beta_mean,
        "beta_sd": beta_sd,
        "s_mean": s_mean,
        "s_sd": s_sd,
        "dks_over_dc_mean": float(ratio.mean()),
    }


def summarize_by_size(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation of beta and s, mean d_ks/d_c and pass rate per 3N bin.

    Parameters
    ----------
    table : pandas.DataFrame
        A results table with ``status``, ``n_residues``, ``beta``, ``s``, ``d_ks``, ``d_c``,
        ``is_power_law``; only rows with status ``done`` count.

    Returns
    -------
    pandas.DataFrame
        One row per bin of :data:`SIZE_BINS` plus ``all``: ``bin, n, pass_rate, beta_mean,
        beta_sd, s_mean, s_sd, dks_over_dc_mean`` (NaN but ``n`` for an empty bin).
    """
    import pandas as pd

    done = table[table["status"] == "done"]
    three_n = 3 * done["n_residues"].astype(int)
    rows = []
    for i, (low, high) in enumerate(SIZE_BINS):
        last = i == len(SIZE_BINS) - 1
        mask = (three_n >= low) & ((three_n <= high) if last else (three_n < high))
        rows.append({"bin": f"{low}-{high}", **_stats(done[mask])})
    rows.append({"bin": "all", **_stats(done)})
    return pd.DataFrame(rows)


def summarize_by_cutoff(table: pd.DataFrame) -> pd.DataFrame:
    """The statistics of :func:`summarize_by_size` per spring cutoff (a cutoff study), ascending.

    Parameters
    ----------
    table : pandas.DataFrame
        A results table with a ``cutoff`` column (one row per entry and cutoff).

    Returns
    -------
    pandas.DataFrame
        ``cutoff, excluded, n, pass_rate, beta_mean, beta_sd, s_mean, s_sd, dks_over_dc_mean``:
        ``excluded`` counts the entries whose network was not connected at that cutoff.
    """
    import pandas as pd

    rows = []
    for cutoff, part in table[table["cutoff"].notna()].groupby("cutoff", sort=True):
        done = part[part["status"] == "done"]
        rows.append(
            {"cutoff": float(cutoff), "excluded": int((part["status"] == "excluded").sum()), **_stats(done)}
        )
    return pd.DataFrame(rows)


def _plain(records: list[dict]) -> list[dict]:
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in records
    ]


def summarize(table: pd.DataFrame) -> dict[str, object]:
    """Counts by status, and the statistics overall and by size (plain values, for JSON).

    Parameters
    ----------
    table : pandas.DataFrame
        A results table as for :func:`summarize_by_size`.

    Returns
    -------
    dict
        ``counts`` (rows ``done``, ``excluded``, ``failed``) and ``by_size`` (the records of
        :func:`summarize_by_size`, NaN as None); for a table of several cutoffs (a cutoff study)
        also ``by_cutoff`` (the records of :func:`summarize_by_cutoff`).
    """
    counts = {s: int((table["status"] == s).sum()) for s in ("done", "excluded", "failed")}
    summary = {"counts": counts, "by_size": _plain(summarize_by_size(table).to_dict("records"))}
    if "cutoff" in table and table["cutoff"].nunique() > 1:
        summary["by_cutoff"] = _plain(summarize_by_cutoff(table).to_dict("records"))
    return summary


def summarize_runs(table: pd.DataFrame) -> dict[str, object]:
    """Counts by status and the statistics of all done rows (a sweep's summary; no size bins).

    Parameters
    ----------
    table : pandas.DataFrame
        With ``status``, ``beta``, ``s``, ``d_ks``, ``d_c``, ``is_power_law``.

    Returns
    -------
    dict
        ``counts`` and ``all`` (as one record of :func:`summarize_by_size`, NaN as None).
    """
    counts = {s: int((table["status"] == s).sum()) for s in ("done", "excluded", "failed")}
    stats = _stats(table[table["status"] == "done"])
    return {
        "counts": counts,
        "all": {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in stats.items()},
    }
