"""A sweep's grid: the settings of a run, their defaults, and grids from presets, TOML and ``--vary``.

Every run of a sweep is one flat set of settings (:data:`DEFAULTS`): what to train on, which
net, how to train it, and how to take its spectrum. A grid is a base (the settings every run
shares), a product of varied settings, and optionally a list of cases (settings that vary
together, such as ``label_noise = 0.4`` against ``random_labels = true``). A grid file is TOML::

    preset = "optimizers"        # optional: start from a preset (see dnnspec.presets)
    scale = "ci"                 # ... at this scale
    [base]
    data = "digits"
    model = "fcn2"
    width = 20
    [vary]
    optimizer = ["sgd", "adam"]
    seed = [0, 1]
    [[case]]
    label_noise = 0.4
    [[case]]
    random_labels = true

No torch here: a grid is read and checked before any network is built.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from compare.errors import InputError

__all__ = ["DEFAULTS", "SETTING_GROUPS", "SweepGrid", "SweepRun", "parse_assignment", "read_grid"]

#: Every setting of a run with its default: data, model, training, spectrum (``seed`` seeds all).
DEFAULTS: dict[str, Any] = {
    # data (dnnspec.data.DataSettings)
    "data": "digits",
    "n_train": None,
    "test_fraction": 0.2,
    "label_noise": 0.0,
    "random_labels": False,
    "root": None,
    # model (dnnspec.models.build_model)
    "model": "fcn2",
    "width": None,
    "depth": None,
    "batch_norm": False,
    "activation": None,
    # training (dnnspec.train.TrainSettings)
    "optimizer": "sgd",
    "lr": None,
    "momentum": None,
    "weight_decay": 5e-4,
    "batch_size": 128,
    "epochs": 50,
    "milestones": (0.4, 0.8),
    "gamma": 0.1,
    "augment": False,
    "seed": 0,
    # spectrum (dnnspec.hessian_spectrum) and its fit
    "top": 100,
    "solver": "auto",
    "dtype": "float64",
    "method": "auto",
    "tol": 1e-5,
    "power_check": 0,
    "trace_samples": 0,
    "chunk_size": 1000,
    "block_size": None,
    "max_products": None,
    # the gradient-noise covariance spectrum (dnnspec.noise), 0 = not taken
    "noise_top": 0,
}
#: Settings added after sweeps were first run: left out of a run's key at their default, so
#: that a folder written before them resumes with the same keys.
_KEY_OMITS_AT_DEFAULT = ("noise_top",)
#: Which part of a run each setting configures.
_PARTS = {
    "data": ("data", "n_train", "test_fraction", "label_noise", "random_labels", "root"),
    "model": ("model", "width", "depth", "batch_norm", "activation"),
    "train": ("optimizer", "lr", "momentum", "weight_decay", "batch_size", "epochs", "milestones", "gamma"),
    "spectrum": ("top", "solver", "dtype", "method", "tol", "power_check", "trace_samples", "chunk_size"),
}
SETTING_GROUPS: dict[str, str] = {
    **{name: part for part, names in _PARTS.items() for name in names},
    "augment": "train",
    "block_size": "spectrum",
    "max_products": "spectrum",
    "noise_top": "spectrum",
    "seed": "all",
}
#: Types of the settings whose default is None (the others take their default's type).
_TYPES: dict[str, type] = {
    "n_train": int,
    "root": str,
    "width": int,
    "depth": int,
    "activation": str,
    "lr": float,
    "momentum": float,
    "block_size": int,
    "max_products": int,
}


def setting_type(name: str) -> type:
    """The type of a setting's values.

    Parameters
    ----------
    name : str
        A key of :data:`DEFAULTS`.

    Returns
    -------
    type
        ``int``, ``float``, ``str``, ``bool`` or ``tuple`` (``milestones``).
    """
    return _TYPES.get(name) or type(DEFAULTS[name])


def _check_name(name: str, where: str) -> None:
    if name not in DEFAULTS:
        raise InputError(f"{where}: unknown setting {name!r}; the settings are {', '.join(DEFAULTS)}")


def coerce(name: str, value: Any, *, where: str = "grid") -> Any:
    """A setting's value in its type (text as given on the command line, or a TOML value).

    Parameters
    ----------
    name : str
        A key of :data:`DEFAULTS`.
    value : object
        ``"none"`` (any case) or None for None; ``"true"``/``"false"`` for booleans;
        ``"0.4:0.8"`` or a list for ``milestones``.
    where : str
        Named in the error message.

    Returns
    -------
    object

    Raises
    ------
    compare.errors.InputError
        Unknown setting or a value not of its type.
    """
    _check_name(name, where)
    kind = setting_type(name)
    if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
        return None
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(value)
            return text in ("true", "1", "yes")
        if kind is tuple:
            parts = value.split(":") if isinstance(value, str) else list(value)
            return tuple(float(p) for p in parts if str(p).strip() != "")
        if kind is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(str(value).strip()) if isinstance(value, str) else int(value)
        if kind is float:
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        return str(value).strip()
    except (TypeError, ValueError):
        raise InputError(f"{where}: {name} = {value!r} is not of type {kind.__name__}") from None


def parse_assignment(text: str, *, many: bool) -> tuple[str, Any]:
    """``NAME=VALUE`` (or ``NAME=V1,V2,...`` with ``many``) from the command line.

    Parameters
    ----------
    text : str
        The option's argument; dashes in NAME are read as underscores.
    many : bool
        Split the values at commas (``--vary``).

    Returns
    -------
    name, value
        The value coerced (a tuple of values with ``many``).

    Raises
    ------
    compare.errors.InputError
        Not of the form NAME=VALUE, an unknown name, or a bad value.
    """
    option = "--vary" if many else "--set"
    name, sep, value = text.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or not name or not value.strip():
        raise InputError(f"{option} {text!r}: expected NAME=VALUE{',VALUE...' if many else ''}")
    where = f"{option} {text}"
    if many:
        values = tuple(coerce(name, v, where=where) for v in value.split(","))
        if len(set(map(repr, values))) != len(values):
            raise InputError(f"{where}: a value is given twice")
        return name, values
    return name, coerce(name, value, where=where)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class SweepRun:
    """One run of a sweep: every setting of :data:`DEFAULTS`, in its order.

    Parameters
    ----------
    values : tuple of (str, object)
        The settings; build it with :meth:`from_settings`.
    """

    values: tuple

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> SweepRun:
        """A run from any subset of the settings (the others take their defaults).

        Parameters
        ----------
        settings : mapping of str
            Setting names to values (coerced to their types).

        Returns
        -------
        SweepRun
        """
        for name in settings:
            _check_name(name, "run")
        merged = {n: coerce(n, settings.get(n, d)) if n in settings else d for n, d in DEFAULTS.items()}
        return cls(tuple(merged.items()))

    @property
    def settings(self) -> dict[str, Any]:
        """The settings as JSON-plain values (``milestones`` a list).

        Returns
        -------
        dict of str
        """
        return {k: _plain(v) for k, v in self.values}

    def __getitem__(self, name: str) -> Any:
        return dict(self.values)[name]

    @property
    def key(self) -> str:
        """The run's journal key and file stem: its main settings and a digest of all of them.

        Returns
        -------
        str
            E.g. ``"fcn2-digits-sgd-e100-b128-s0-3f2a9c1d0b"``; the same settings always give
            the same key, so a rerun finds its rows, checkpoints and spectra again.
        """
        s = dict(self.values)
        keyed = {
            k: v for k, v in self.settings.items() if not (k in _KEY_OMITS_AT_DEFAULT and v == DEFAULTS[k])
        }
        text = json.dumps(keyed, sort_keys=True)
        digest = hashlib.sha1(text.encode()).hexdigest()[:10]
        head = f"{s['model']}-{s['data']}-{s['optimizer']}-e{s['epochs']}-b{s['batch_size']}-s{s['seed']}"
        return f"{head}-{digest}"

    def group(self, part: str) -> dict[str, Any]:
        """The settings of one part of the run.

        Parameters
        ----------
        part : {"data", "model", "train", "spectrum"}
            ``seed`` belongs to every part but the spectrum's.

        Returns
        -------
        dict of str
        """
        return {k: v for k, v in self.values if SETTING_GROUPS[k] == part or (SETTING_GROUPS[k] == "all")}


@dataclass(frozen=True)
class SweepGrid:
    """A base, varied settings (their product) and cases; the runs are every combination.

    Parameters
    ----------
    base : dict
        Settings every run shares (the others take :data:`DEFAULTS`).
    vary : dict of str to tuple
        Each varied setting's values; the runs take their Cartesian product, in this order.
    cases : tuple of dict
        Settings that vary together, one case per entry (none: one case, the base).
    preset, scale : str, optional
        The preset and scale the grid came from (recorded with the results).
    note : str
        What the scale reduces against the paper, recorded with the results.
    """

    base: dict = field(default_factory=dict)
    vary: dict = field(default_factory=dict)
    cases: tuple = ()
    preset: str | None = None
    scale: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        base = {n: coerce(n, v, where="base") for n, v in dict(self.base).items()}
        vary = {}
        for name, values in dict(self.vary).items():
            values = tuple(values) if isinstance(values, (list, tuple)) else (values,)
            if not values:
                raise InputError(f"vary: {name} has no values")
            vary[name] = tuple(coerce(name, v, where="vary") for v in values)
        cases = tuple({n: coerce(n, v, where="case") for n, v in dict(c).items()} for c in self.cases)
        object.__setattr__(self, "base", base)
        object.__setattr__(self, "vary", vary)
        object.__setattr__(self, "cases", cases)

    def runs(self) -> list[SweepRun]:
        """Every run of the grid: each case, times the product of the varied settings.

        Returns
        -------
        list of SweepRun
            Distinct runs in grid order (a combination that repeats an earlier one is dropped).
        """
        names = list(self.vary)
        out: dict[str, SweepRun] = {}
        for case in self.cases or ({},):
            for combo in itertools.product(*(self.vary[n] for n in names)):
                run = SweepRun.from_settings({**self.base, **case, **dict(zip(names, combo, strict=True))})
                out.setdefault(run.key, run)
        return list(out.values())

    def varied(self) -> list[str]:
        """The settings that differ between the runs, in grid order.

        Returns
        -------
        list of str
        """
        runs = self.runs()
        return [n for n in DEFAULTS if len({repr(r[n]) for r in runs}) > 1]

    def as_dict(self) -> dict[str, Any]:
        """JSON-plain description (the sweep folder is locked to it).

        Returns
        -------
        dict of str
        """
        return {
            "kind": "dnnspec-sweep",
            "preset": self.preset,
            "scale": self.scale,
            "note": self.note,
            "base": {k: _plain(v) for k, v in self.base.items()},
            "vary": {k: [_plain(v) for v in vs] for k, vs in self.vary.items()},
            "cases": [{k: _plain(v) for k, v in c.items()} for c in self.cases],
        }

    def updated(
        self,
        *,
        base: Mapping[str, Any] | None = None,
        vary: Mapping[str, Iterable] | None = None,
        cases: Iterable[Mapping[str, Any]] | None = None,
    ) -> SweepGrid:
        """The grid with more base settings, varied settings or cases (given ones win).

        Parameters
        ----------
        base, vary : mapping, optional
            Merged over this grid's (a name varied here leaves the base, and the reverse).
        cases : iterable of mapping, optional
            Replace this grid's cases.

        Returns
        -------
        SweepGrid
        """
        new_base = {**self.base, **dict(base or {})}
        new_vary = {**self.vary, **dict(vary or {})}
        for name in base or {}:
            new_vary.pop(name, None)
        for name in vary or {}:
            new_base.pop(name, None)
        new_cases = self.cases if cases is None else tuple(dict(c) for c in cases)
        return SweepGrid(new_base, new_vary, new_cases, self.preset, self.scale, self.note)


def read_grid(path: str | os.PathLike) -> SweepGrid:
    """A grid from a TOML file (see the module's description).

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    SweepGrid
        Starting from the named preset and scale where the file names one.

    Raises
    ------
    compare.errors.InputError
        Unreadable file, TOML syntax error, unknown keys or settings, bad values.
    """
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the grid file ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not a TOML file ({exc})") from None
    unknown = set(doc) - {"preset", "scale", "base", "vary", "case"}
    if unknown:
        raise InputError(
            f"{path}: unknown keys {sorted(unknown)}; expected preset, scale, [base], [vary], [[case]]"
        )
    grid = SweepGrid()
    if "preset" in doc:
        from dnnspec.presets import preset_grid

        grid = preset_grid(str(doc["preset"]), str(doc.get("scale", "ci")))
    elif "scale" in doc:
        raise InputError(f"{path}: scale is given without a preset")
    try:
        return grid.updated(base=doc.get("base"), vary=doc.get("vary"), cases=doc.get("case"))
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
