"""The report's model and cutoff-study sections, recomputed from the spectra they summarise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from compare import Spectrum, fit_power_law
from compare.report import write_report
from compare.report.models import cutoff_curve_table, model_table


def power_law_values(beta: float, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sort((1 - rng.random(n)) ** (-1 / (beta - 1)))[::-1]


def spectra() -> list[Spectrum]:
    """Two entries studied at three cutoffs (ANM), one GNM spectrum, one older spectrum without a model."""
    out = []
    for entry, seed in (("AAAA", 1), ("BBBB", 2)):
        for i, cutoff in enumerate((8.0, 9.0, 10.0)):
            meta = {"n_modes": 4000, "enm_model": "anm", "springs": "uniform", "cutoff": cutoff}
            values = power_law_values(1.8 + 0.2 * i, 4000, seed + 10 * i)
            out.append(Spectrum(name=entry, kind="protein", values=values, meta=meta))
    gnm = {"n_modes": 4000, "enm_model": "gnm", "springs": "pf", "cutoff": None}
    out.append(Spectrum(name="CCCC", kind="protein", values=power_law_values(2.1, 4000, 5), meta=gnm))
    old = {"n_modes": 4000, "cutoff": 9.0}
    out.append(Spectrum(name="DDDD", kind="protein", values=power_law_values(2.0, 4000, 6), meta=old))
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    html = write_report(spectra(), out)
    return out, html


def test_model_table_recomputed(report):
    out, _ = report
    table = pd.read_csv(out / "tables" / "models.csv", keep_default_na=False)
    rows = {(r.model, r.springs, str(r.cutoff_label)): r for r in table.itertuples()}
    assert set(rows) == {
        ("anm", "uniform", "8"),
        ("anm", "uniform", "9"),
        ("anm", "uniform", "10"),
        ("gnm", "pf", "none"),
    }
    at9 = rows[("anm", "uniform", "9")]
    assert at9.n == 3  # AAAA, BBBB and the older spectrum read as ANM
    s = [fit_power_law(sp.values, fraction=0.1).s for sp in spectra() if sp.meta.get("cutoff") == 9.0]
    assert at9.s_mean == pytest.approx(np.mean(s), rel=1e-12)
    assert float(at9.s_sd) == pytest.approx(np.std(s, ddof=1), rel=1e-12)


def test_cutoff_curve_recomputed(report):
    out, html = report
    curve = pd.read_csv(out / "tables" / "cutoff_curve.csv")
    assert list(curve["cutoff"]) == [8.0, 9.0, 10.0] and set(curve["model"]) == {"anm"}
    for row in curve.itertuples():
        fits = [
            fit_power_law(sp.values, fraction=0.1) for sp in spectra()[:6] if sp.meta["cutoff"] == row.cutoff
        ]
        fits += [fit_power_law(spectra()[-1].values, fraction=0.1)] if row.cutoff == 9.0 else []
        assert row.n == len(fits)
        assert row.beta_mean == pytest.approx(np.mean([f.beta for f in fits]), rel=1e-12)
        assert row.pass_rate == pytest.approx(np.mean([f.is_power_law for f in fits]))
    assert (out / "figures" / "cutoff_curves.png").stat().st_size > 10_000
    text = html.read_text()
    assert "<h2>Elastic network models</h2>" in text and "<h2>Cutoff study</h2>" in text


def test_no_curve_without_a_study():
    from compare.report.tables import fit_many

    fits = fit_many(spectra()[-2:])
    assert cutoff_curve_table(fits).empty
    assert len(model_table(fits)) == 2
