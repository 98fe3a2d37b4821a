"""The report's p-value column names its null (the report's K rules fix x_min: the fixed-K null)."""

from __future__ import annotations

from compare import fit_power_law, goodness_of_fit
from compare.report.render import format_table
from compare.report.tables import fit_many
from tests.compare.test_report import synthetic_spectra


def test_p_value_column_names_the_fixed_k_null():
    spectra = [s for s in synthetic_spectra(2) if s.kind == "network"][:2]
    fits = fit_many(spectra, bootstrap=150, seed=2)
    assert set(fits["p_value_null"]) == {"fixed-K"}
    for s, row in zip(spectra, fits.to_dict("records"), strict=True):
        result = goodness_of_fit(fit_power_law(s.values, k=row["k"]), n_sim=150, seed=2)
        assert result.null == "fixed" and row["p_value"] == result.p_value
    table = format_table("networks", fits, bootstrap=True)
    assert "bootstrap p (fixed-K null)" in table.header
    assert not any("p (" in h for h in format_table("networks", fits, bootstrap=False).header)
