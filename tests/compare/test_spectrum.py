"""The Spectrum record and its file format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from compare import Spectrum, SpectrumFileError, load_spectrum
from compare.spectrum import FORMAT_NAME


def test_round_trip(tmp_path):
    s = Spectrum("4HHB", "protein", [3.0, 2.0, 1.0], {"cutoff": 9.0, "n_zero": 6, "chains": ["A", "B"]})
    path = s.save(tmp_path / "sub" / "4hhb.spectrum.npz")
    back = load_spectrum(path)
    assert back == s
    assert back.values.dtype == np.float64
    assert not back.values.flags.writeable
    assert list(tmp_path.joinpath("sub").iterdir()) == [path]  # no temporary left behind


def test_values_copied_and_frozen():
    raw = np.array([3.0, 2.0, 1.0])
    s = Spectrum("x", "network", raw)
    raw[0] = 99.0
    assert s.values[0] == 3.0
    with pytest.raises(ValueError):
        s.values[0] = 1.0
    with pytest.raises(AttributeError):
        s.name = "y"


@pytest.mark.parametrize(
    "values,match",
    [
        ([1.0, np.nan], "NaN"),
        ([2.0, np.inf], "NaN or inf"),
        ([1.0, 0.0], "> 0"),
        ([1.0, -2.0], "> 0"),
        ([1.0, 2.0], "sorted descending"),
        ([], "empty"),
    ],
)
def test_rejects_bad_values(values, match):
    with pytest.raises(ValueError, match=match):
        Spectrum("bad", "protein", values)


def test_rejects_bad_kind_name_and_meta():
    with pytest.raises(ValueError, match="kind"):
        Spectrum("x", "galaxy", [1.0])
    with pytest.raises(ValueError, match="name"):
        Spectrum("", "protein", [1.0])
    with pytest.raises(TypeError, match="plain JSON"):
        Spectrum("x", "protein", [1.0], {"array": np.zeros(3)})


def test_numpy_scalars_in_meta_become_plain():
    s = Spectrum("x", "protein", [1.0], {"n": np.int64(3), "f": np.float32(0.5)})
    assert type(s.meta["n"]) is int and type(s.meta["f"]) is float


def test_documented_layout(tmp_path):
    path = Spectrum("net", "network", [2.0, 1.0], {"model": "LeNet"}).save(tmp_path / "n.spectrum.npz")
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["header", "values"]
        header = json.loads(str(archive["header"][()]))
    assert header == {
        "format": FORMAT_NAME,
        "version": 1,
        "name": "net",
        "kind": "network",
        "meta": {"model": "LeNet"},
    }


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(SpectrumFileError, match="no such file"):
        load_spectrum(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_text("not an archive")
    with pytest.raises(SpectrumFileError, match="junk.npz"):
        load_spectrum(junk)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.ones(3))
    with pytest.raises(SpectrumFileError, match="not a spectrum file"):
        load_spectrum(other)
    wrong = tmp_path / "wrong.npz"
    np.savez(
        wrong,
        values=np.array([1.0, 2.0]),
        header=np.array(
            json.dumps({"format": FORMAT_NAME, "version": 1, "name": "w", "kind": "protein", "meta": {}})
        ),
    )
    with pytest.raises(SpectrumFileError, match="sorted descending"):
        load_spectrum(wrong)
    future = tmp_path / "future.npz"
    np.savez(
        future,
        values=np.array([1.0]),
        header=np.array(
            json.dumps({"format": FORMAT_NAME, "version": 99, "name": "w", "kind": "protein", "meta": {}})
        ),
    )
    with pytest.raises(SpectrumFileError, match="version"):
        load_spectrum(future)


def test_truncated_archive_is_a_spectrum_file_error(tmp_path):
    path = Spectrum("t", "protein", [3.0, 2.0, 1.0]).save(tmp_path / "t.spectrum.npz")
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: len(data) // 2])
    with pytest.raises(SpectrumFileError, match="t.spectrum.npz: not a readable .npz"):
        load_spectrum(path)
