"""Numbers at the edge and inputs that are not spectra: one clear line, never a traceback."""

from __future__ import annotations

import numpy as np
import pytest

from compare import fit_power_law, load_spectrum, read_values
from compare.cli import main
from compare.errors import SpectrumFileError


def test_values_spanning_the_whole_double_range_fit_without_overflow():
    values = np.logspace(308, -300, 500)
    fit = fit_power_law(values)
    # reference: the MLE from logs, in extended precision
    logs = np.log(values.astype(np.longdouble))
    beta = 1 + values.size / float(np.sum(logs - logs[-1]))
    assert np.isfinite(fit.beta) and fit.beta == pytest.approx(beta, rel=1e-12)
    assert 0.0 <= fit.d_ks <= 1.0


def test_wide_column_through_the_command_line(tmp_path, capsys):
    path = tmp_path / "wide.txt"
    np.savetxt(path, np.logspace(308, -300, 500))
    assert main(["fit", str(path), "--json"]) == 0
    assert '"beta": 1.00' in capsys.readouterr().out


def test_complex_and_text_values_are_refused():
    with pytest.raises(ValueError, match="complex values"):
        fit_power_law(np.array([3.0, 2.0, 1.0]) + 1j)
    with pytest.raises(ValueError, match="expected an array of numbers, got dtype <U1"):
        fit_power_law(np.array(["3", "2", "1"]))


def test_complex_npy_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "c.npy"
    np.save(path, np.arange(1, 10.0) + 1j)
    with pytest.raises(
        SpectrumFileError, match=r"c.npy: expected real numbers, got an array of dtype complex128"
    ):
        read_values(path)


def test_npy_under_a_spectrum_name_names_the_file(tmp_path, capsys):
    path = tmp_path / "x.spectrum.npz"
    with open(path, "wb") as fh:
        np.save(fh, np.arange(1, 10.0))
    with pytest.raises(SpectrumFileError, match=r"x.spectrum.npz: a bare .npy array saved under a .npz name"):
        load_spectrum(path)
    assert main(["fit", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and len(err.strip().splitlines()) == 1


def test_spectrum_repr_is_one_line():
    from compare import Spectrum

    spectrum = Spectrum("LeNet", "network", np.linspace(5.0, 1.0, 10_000), {"dataset": "MNIST"})
    assert repr(spectrum) == "Spectrum('LeNet', network, 10000 values, 5 .. 1, 1 meta keys)"
    assert spectrum._repr_html_().startswith("<code>Spectrum(")
