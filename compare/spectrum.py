"""The :class:`Spectrum` record shared by proteins and networks, and its file format.

File format (``*.spectrum.npz``, format version 1)
--------------------------------------------------
A NumPy ``.npz`` archive (read with ``allow_pickle=False``) holding exactly two arrays:

``values``
    float64, shape (n,), the spectrum sorted descending, all finite and > 0.
``header``
    a 0-d unicode array holding one JSON object::

        {"format": "hessian-spectra/spectrum", "version": 1,
         "name": "4HHB", "kind": "protein", "meta": {...}}

``meta`` holds plain JSON values only (str, int, float, bool, None, lists and dicts of those),
e.g. the cutoff, the number of zero modes, the solver, the model and training settings.
Files are written atomically (a temporary file in the same folder, then a rename), so a
reader never sees a half-written spectrum.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from compare.errors import SpectrumFileError
from compare.files import atomic_path

if TYPE_CHECKING:
    import numpy.typing as npt

FORMAT_NAME = "hessian-spectra/spectrum"
FORMAT_VERSION = 1
#: What a spectrum's values are: a protein's inverse elastic-network spectrum, a network's
#: loss-Hessian spectrum, or the spectrum of a network's gradient-noise covariance (the paper's
#: Figure 20), which is fitted and reported like the others but never set beside the paper's
#: Hessian rows.
KINDS = ("protein", "network", "gradient-noise")
#: How reports name the spectra of each kind, in the plural.
KIND_LABELS = {"protein": "proteins", "network": "networks", "gradient-noise": "gradient-noise spectra"}
SUFFIX = ".spectrum.npz"


_PLAIN = frozenset({str, bool, int, float})


def _check_plain(value: Any, where: str) -> Any:
    """Return ``value`` as plain JSON-compatible Python data, or raise ``TypeError``."""
    if value is None or type(value) in _PLAIN:  # the common case, without the isinstance chain
        return value
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_check_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, v in value.items():
            if not isinstance(key, str):
                raise TypeError(f"meta keys must be str, got {type(key).__name__} at {where}")
            out[key] = _check_plain(v, f"{where}.{key}")
        return out
    raise TypeError(
        f"meta values must be plain JSON values (str, int, float, bool, None, list, dict); "
        f"got {type(value).__name__} at {where}"
    )


def validate_values(values: npt.ArrayLike, *, name: str = "values") -> np.ndarray:
    """Return ``values`` as a read-only float64 copy after checking it is a valid spectrum.

    Parameters
    ----------
    values : array_like, shape (n,)
        Finite, strictly positive numbers sorted descending (ties allowed).
    name : str
        Used in error messages.

    Returns
    -------
    ndarray, shape (n,), float64
        A read-only copy.

    Raises
    ------
    ValueError
        Empty, not one-dimensional, NaN, inf, non-positive or not sorted descending.
    """
    raw = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    # only an object array can hide a complex number among real ones (a Python loop: skip it otherwise)
    if np.iscomplexobj(raw) or (
        raw.dtype == object and any(isinstance(v, complex) for v in raw.ravel()[:1000])
    ):
        raise ValueError(f"{name}: complex values; a spectrum is real (take .real or abs() first)")
    if raw.dtype.kind not in "biufO":
        raise ValueError(f"{name}: expected an array of numbers, got dtype {raw.dtype}")
    try:
        arr = np.array(values, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected an array of numbers ({exc})") from None
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a one-dimensional array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: the spectrum is empty")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}: {int(bad.sum())} value(s) are NaN or inf (first at index {i})")
    if (arr <= 0).any():
        i = int(np.flatnonzero(arr <= 0)[0])
        raise ValueError(f"{name}: all values must be > 0; value {arr[i]!r} at index {i} is not")
    rises = np.flatnonzero(np.diff(arr) > 0)
    if rises.size:
        i = int(rises[0])
        raise ValueError(
            f"{name}: values must be sorted descending; value at index {i + 1} ({arr[i + 1]!r}) "
            f"exceeds the one before it ({arr[i]!r})"
        )
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Spectrum:
    """A spectrum of positive values sorted descending, with its provenance.

    Parameters
    ----------
    name : str
        Identifier, e.g. a PDB id (``"4HHB"``) or a model label (``"LeNet-MNIST-SGD"``).
    kind : {"protein", "network", "gradient-noise"}
        What the values are: a protein's inverse elastic-network spectrum, a network's
        loss-Hessian spectrum, or its gradient-noise covariance spectrum (:data:`KINDS`).
    values : ndarray, shape (n,), float64
        Sorted descending, finite, > 0. Stored as a read-only copy.
    meta : dict
        Plain JSON values describing how the spectrum was made.

    Examples
    --------
    >>> s = Spectrum("toy", "network", [3.0, 2.0, 1.0], {"k_requested": 3})
    >>> s.values
    array([3., 2., 1.])
    """

    name: str
    kind: str
    values: np.ndarray
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Spectrum name must be a non-empty str, got {self.name!r}")
        if self.kind not in KINDS:
            raise ValueError(f"Spectrum kind must be one of {KINDS}, got {self.kind!r}")
        object.__setattr__(self, "values", validate_values(self.values, name=f"spectrum {self.name!r}"))
        meta = _check_plain(dict(self.meta), "meta")
        object.__setattr__(self, "meta", meta)

    def __repr__(self) -> str:
        """One line: name, kind, size and range (never the arrays)."""
        v = self.values
        span = f", {v[0]:.4g} .. {v[-1]:.4g}" if v.size else ""
        return f"Spectrum({self.name!r}, {self.kind}, {v.size} values{span}, {len(self.meta)} meta keys)"

    def _repr_html_(self) -> str:
        import html

        return f"<code>{html.escape(repr(self))}</code>"

    def __len__(self) -> int:
        return int(self.values.size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Spectrum):
            return NotImplemented
        return (
            self.name == other.name
            and self.kind == other.kind
            and self.meta == other.meta
            and np.array_equal(self.values, other.values)
        )

    __hash__ = None  # type: ignore[assignment]

    def normalized(self) -> np.ndarray:
        """Return ``values / values[0]`` (the paper's normalised rank-size form).

        Returns
        -------
        ndarray, shape (n,), float64
            Descending, the first value 1.
        """
        return self.values / self.values[0]

    def save(self, path: str | os.PathLike) -> Path:
        """Write the spectrum to ``path`` atomically in the documented ``.npz`` format.

        Parameters
        ----------
        path : str or path-like
            The file; the suffix ``.spectrum.npz`` is conventional, not required.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        path = Path(path)
        header = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "name": self.name,
            "kind": self.kind,
            "meta": self.meta,
        }
        text = json.dumps(header, allow_nan=True, sort_keys=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, values=np.asarray(self.values), header=np.array(text))
        return path


def load_spectrum(path: str | os.PathLike) -> Spectrum:
    """Read a spectrum written by :meth:`Spectrum.save`.

    Parameters
    ----------
    path : str or path-like
        A ``.spectrum.npz`` file.

    Returns
    -------
    Spectrum

    Raises
    ------
    SpectrumFileError
        The file is missing, not an ``.npz`` archive or not in the documented format;
        the message names the file and the cause.
    """
    path = Path(path)
    if not path.is_file():
        raise SpectrumFileError(f"{path}: no such file")
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise SpectrumFileError(
                f"{path}: a bare .npy array saved under a .npz name, not a spectrum file "
                "(read plain arrays with compare fit FILE.npy, or save with Spectrum.save)"
            )
        with loaded as archive:
            keys = set(archive.files)
            if not {"values", "header"} <= keys:
                raise SpectrumFileError(
                    f"{path}: not a spectrum file (expected arrays 'values' and 'header', "
                    f"found {sorted(keys)})"
                )
            values = archive["values"]
            header_text = str(archive["header"][()])
    except SpectrumFileError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:  # BadZipFile: truncated or corrupt
        raise SpectrumFileError(f"{path}: not a readable .npz spectrum file ({exc})") from None
    try:
        header = json.loads(header_text)
    except json.JSONDecodeError as exc:
        raise SpectrumFileError(f"{path}: spectrum header is not valid JSON ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise SpectrumFileError(f"{path}: header does not declare format {FORMAT_NAME!r}")
    version = header.get("version")
    if version != FORMAT_VERSION:
        raise SpectrumFileError(
            f"{path}: spectrum format version {version!r} is not supported (expected {FORMAT_VERSION})"
        )
    try:
        return Spectrum(name=header["name"], kind=header["kind"], values=values, meta=header.get("meta", {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise SpectrumFileError(f"{path}: invalid spectrum ({exc})") from None
