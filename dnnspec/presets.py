"""The paper's Section 4 experiments as sweep grids, at three scales.

``paper`` is the paper's setting: LeNet (or its fully connected nets) on the full MNIST from a
folder (``--root``, a torchvision download or the raw IDX files), 50 epochs, K = 1000, products
in float32; GPU work. ``cpu`` is a stated reduction that finishes in about an hour on two cores:
the 784-100-100-10 FCN on the MNIST 5k subset shipped with the package, 40 epochs, K = 300
(see each preset's note). ``ci`` runs in a minute or two: the 64-20-20-10 FCN on scikit-learn's
8x8 digits (shipped), 100 epochs, K = 300 of the exact dense Hessian.

Every run records its preset, scale and the scale's note in the sweep's settings and rows.
"""

from __future__ import annotations

from compare.errors import InputError
from dnnspec.grid import SweepGrid
from dnnspec.names import OPTIMIZER_ALIASES

__all__ = ["PRESETS", "SCALES", "preset_grid"]

SCALES = ("ci", "cpu", "paper")
#: The base settings of each scale, and what the scale reduces against the paper.
_SCALE_BASE = {
    "ci": (
        {"data": "digits", "model": "fcn2", "width": 20, "epochs": 100, "top": 300, "solver": "dense"},
        "ci scale: 64-20-20-10 FCN on the 8x8 digits (1,438 training images), 100 epochs, "
        "K = 300 of the exact dense Hessian (the paper: LeNet or 784-100-100-10 on MNIST, K = 1000)",
    ),
    "cpu": (
        {"data": "mnist5k", "model": "fcn2", "width": 100, "epochs": 40, "top": 300, "dtype": "float32"},
        "cpu scale: 784-100-100-10 FCN on the shipped MNIST 5k subset (4,000 training images), 40 epochs, "
        "K = 300 by Lanczos in float32 (the paper: full MNIST, 50 epochs, K = 1000)",
    ),
    "paper": (
        {"data": "mnist", "model": "lenet", "epochs": 50, "top": 1000, "dtype": "float32"},
        "paper scale: LeNet on the full MNIST (60,000 images; give --root), 50 epochs, K = 1000",
    ),
}
#: Per preset: its varied settings, cases, base overrides per scale, and what it reproduces.
PRESETS: dict[str, dict] = {
    "trained-vs-random": {
        "doc": "trained (SGD) against randomly initialised nets (Table 6 first rows, Table 8)",
        "vary": {"epochs": "EPOCHS_AND_ZERO", "seed": (0, 1, 2)},
        "ci": {"vary": {"seed": (0, 1)}},
    },
    "optimizers": {
        "doc": "the eleven optimizers of Table 6 and Figure 3",
        "vary": {"optimizer": OPTIMIZER_ALIASES},
    },
    "batch-size": {
        "doc": "batch sizes up to full batch and the phase boundary (Table 3, Figure 6)",
        "vary": {"batch_size": (128, 512, 640, 768, 1024, 8192, 16384, 32768, 50000, 60000)},
        "ci": {"vary": {"batch_size": (16, 64, 256, 1438)}},
        "cpu": {"vary": {"batch_size": (64, 128, 512, 1024, 2048, 4000)}},
    },
    "train-size": {
        "doc": "training-set sizes (Table 6, Figure 5)",
        "vary": {"n_train": (600, 800, 1000, 3000, 6000)},
        "ci": {"vary": {"n_train": (200, 400, 800, 1438)}},
        "cpu": {"vary": {"n_train": (600, 800, 1000, 2000, 4000)}},
    },
    "label-noise": {
        "doc": "40 % and 80 % label noise and random labels (Table 6, Figures 7 and 21)",
        "cases": (
            {"label_noise": 0.0},
            {"label_noise": 0.4},
            {"label_noise": 0.8},
            {"random_labels": True},
        ),
    },
    "width": {
        "doc": "hidden widths of the two-layer FCN (Table 8, Figure 4)",
        "base": {"model": "fcn2"},
        "vary": {"width": (10, 20, 30, 50, 70, 100)},
        "ci": {"vary": {"width": (5, 10, 20, 30)}},
    },
    "depth": {
        "doc": "depth of the FCN: 1, 2 and 4 hidden layers (Table 8, Figure 18)",
        "base": {"model": "fcn"},
        "vary": {"depth": (1, 2, 4)},
        "ci": {"vary": {"depth": (1, 2, 3)}},
    },
}


def preset_grid(name: str, scale: str = "ci") -> SweepGrid:
    """The grid of one of the paper's experiments at a scale.

    Parameters
    ----------
    name : str
        A key of :data:`PRESETS`.
    scale : {"ci", "cpu", "paper"}
        See the module's description.

    Returns
    -------
    SweepGrid
        With its preset, scale and note set.

    Raises
    ------
    compare.errors.InputError
        Unknown preset or scale.
    """
    if name not in PRESETS:
        raise InputError(f"unknown preset {name!r}; the presets are {', '.join(PRESETS)}")
    if scale not in SCALES:
        raise InputError(f"unknown scale {scale!r}; the scales are {', '.join(SCALES)}")
    spec = PRESETS[name]
    base, note = _SCALE_BASE[scale]
    base = {**base, **spec.get("base", {})}
    if scale == "paper" and name in ("width", "depth"):
        base["model"] = spec["base"]["model"]  # the paper's FCNs, not LeNet
    override = spec.get(scale, {})
    vary = {**spec.get("vary", {}), **override.get("vary", {})}
    if vary.get("epochs") == "EPOCHS_AND_ZERO":
        vary["epochs"] = (base["epochs"], 0)
    cases = tuple(override.get("cases", spec.get("cases", ())))
    return SweepGrid(base, vary, cases, preset=name, scale=scale, note=f"{spec['doc']}; {note}")
