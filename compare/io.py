"""Read spectra that users bring: our ``.spectrum.npz`` files or a plain column of numbers."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from compare.errors import SpectrumFileError
from compare.spectrum import Spectrum, load_spectrum


def read_values(path: str | os.PathLike) -> Spectrum:
    """A spectrum from ``.spectrum.npz``, ``.npy`` or a text/CSV column of numbers.

    Plain numbers are sorted descending (any order is accepted); the spectrum is named after
    the file and has kind ``"network"`` unless stated otherwise in a ``.spectrum.npz``.

    Parameters
    ----------
    path : str or path-like
        A ``.spectrum.npz`` file, a ``.npy`` array, or text with one number per line (the
        first column of a CSV; ``#`` starts a comment; a header line is skipped).

    Returns
    -------
    Spectrum
        Values sorted descending; ``meta["source"]`` names the file of plain numbers.

    Raises
    ------
    SpectrumFileError
        Missing or empty file, text where numbers are expected, NaN, inf or values <= 0;
        the message names the file.
    """
    path = Path(path)
    name = path.name
    if name.endswith(".npz"):
        return load_spectrum(path)
    if not path.is_file():
        raise SpectrumFileError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise SpectrumFileError(f"{path}: the file is empty")
    if name.endswith(".npy"):
        try:
            values = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise SpectrumFileError(f"{path}: not a readable .npy array ({exc})") from None
    else:
        values = _read_text_column(path)
    values = np.asarray(values)
    if np.iscomplexobj(values) or values.dtype.kind not in "biuf":
        raise SpectrumFileError(f"{path}: expected real numbers, got an array of dtype {values.dtype}")
    values = values.astype(np.float64).ravel()
    if values.size == 0:
        raise SpectrumFileError(f"{path}: no numbers found")
    try:
        return Spectrum(
            name=path.stem, kind="network", values=np.sort(values)[::-1], meta={"source": str(path)}
        )
    except ValueError as exc:
        raise SpectrumFileError(f"{path}: {exc}") from None


def _read_text_column(path: Path) -> np.ndarray:
    numbers = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            first = text.replace(";", ",").replace("\t", ",").split(",")[0].split()[0]
            try:
                numbers.append(float(first))
            except ValueError:
                if not numbers and lineno == 1:
                    continue  # a header line
                raise SpectrumFileError(
                    f"{path}: line {lineno}: expected a number, found {first[:40]!r}"
                ) from None
    return np.array(numbers, dtype=np.float64)
