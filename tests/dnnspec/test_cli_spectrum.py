"""``dnnspec spectrum``: from a checkpoint to a spectrum file, and its one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from compare import fit_power_law, load_spectrum  # noqa: E402
from dnnspec.cli import main  # noqa: E402


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("ck") / "fcn-digits.pt"
    argv = ["train", "--data", "digits", "--model", "fcn2", "--width", "10", "--epochs", "3", "--quiet"]
    assert main([*argv, "--out", str(out)]) == 0
    return out


def test_spectrum_end_to_end(checkpoint, capsys):
    capsys.readouterr()
    code = main(["spectrum", str(checkpoint), "--top", "30", "--trace-samples", "8", "--quiet", "--json"])
    assert code == 0
    record = json.loads(capsys.readouterr().out)
    spectrum = load_spectrum(record["spectrum"])
    assert spectrum.kind == "network" and len(spectrum) == record["n"] <= 30
    assert spectrum.meta["dataset"] == "Digits" and spectrum.meta["model"] == "2Layer-FCN"
    assert spectrum.meta["training"] == "SGD" and spectrum.meta["setting"] == "Width=10"
    assert spectrum.meta["power_check"]["max_relative_difference"] < 1e-3
    assert spectrum.meta["n_params"] == 64 * 10 + 10 + 10 * 10 + 10 + 10 * 10 + 10
    # the printed fit is the fit of the file's values
    assert record["beta"] == pytest.approx(fit_power_law(spectrum.values).beta, rel=1e-12)
    assert np.isfinite(spectrum.meta["trace"])


def test_bad_checkpoint_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    assert main(["spectrum", str(bad), "--top", "5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.pt" in err[0]
    assert main(["spectrum", str(tmp_path / "missing.pt")]) == 2
    assert "missing.pt" in capsys.readouterr().err


def test_bad_options(checkpoint, capsys):
    assert main(["spectrum", str(checkpoint), "--top", "0"]) == 2
    assert "--top" in capsys.readouterr().err
    assert main(["spectrum", str(checkpoint), "--top", "100000", "--quiet"]) == 2
    assert "exceeds the number of parameters" in capsys.readouterr().err


def test_unconverged_is_a_runtime_failure(checkpoint, capsys):
    code = main(["spectrum", str(checkpoint), "--top", "20", "--max-products", "5", "--quiet"])
    assert code == 1
    err = capsys.readouterr().err
    assert "raise max_products" in err and len(err.strip().splitlines()) == 1


def test_unconverged_power_check_says_how_to_skip_it(checkpoint, capsys):
    """Close top eigenvalues can stall the independent check: the message names the way out."""
    code = main(["spectrum", str(checkpoint), "--top", "5", "--quiet", "--trace-samples", "0", "--seed", "1"])
    assert code == 0  # the check converges here ...
    import dnnspec.spectrum
    from compare.errors import ConvergenceError

    def stalled(*args, **kwargs):
        raise ConvergenceError("power iteration: eigenvalue 2 reached relative residual 4e-02", n_converged=1)

    mp = pytest.MonkeyPatch()
    mp.setattr(dnnspec.spectrum, "power_iteration", stalled)
    try:  # ... and where it does not, the error says so and how to skip it
        assert main(["spectrum", str(checkpoint), "--top", "5", "--quiet", "--trace-samples", "0"]) == 1
    finally:
        mp.undo()
    err = capsys.readouterr().err.strip()
    assert "power-iteration check of the top 3 did not converge" in err and "--power-check 0" in err
    assert len(err.splitlines()) == 1


def test_printed_line_gives_the_whole_time_beside_the_solver_time(checkpoint, capsys):
    """The solver's seconds alone hid the power-iteration check and the trace (minutes on LeNet)."""
    from dnnspec.cli import _extra_seconds

    capsys.readouterr()
    assert main(["spectrum", str(checkpoint), "--top", "10", "--trace-samples", "8", "--quiet"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    meta = load_spectrum(checkpoint.with_suffix(".spectrum.npz")).meta
    assert meta["seconds_total"] >= meta["seconds"] > 0
    assert f"in {meta['seconds']:.1f} s " in first and first.endswith(_extra_seconds(meta))
    # the extra clause names what took the time, and only where it took a twentieth or more
    slow = {"seconds": 51.9, "seconds_total": 283.0, "power_check": {"k": 3}, "trace_samples": 64}
    assert _extra_seconds(slow) == "; 283.0 s in all with the power-iteration check and the trace"
    assert _extra_seconds({**slow, "trace_samples": 0}).endswith("with the power-iteration check")
    assert _extra_seconds({**slow, "seconds_total": 53.0}) == ""
    assert _extra_seconds({"seconds": 1.0}) == ""
