"""Write two SYNTHETIC network spectra for the example report (stand-ins until real dnnspec spectra exist).

``synthetic-powerlaw``: 6000 draws of a continuous power law with beta = 2 (s = 1), sorted
descending; ``synthetic-lognormal``: 6000 log-normal draws (not a power law). Seeded: the
files are the same on every run. Usage: ``python synthetic_networks.py OUT_FOLDER``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from compare import Spectrum


def main(out: str) -> None:
    rng = np.random.default_rng(20220101)
    beta = 2.0
    power = (1.0 - rng.random(6000)) ** (-1.0 / (beta - 1.0))
    lognormal = rng.lognormal(mean=0.0, sigma=1.0, size=6000)
    meta = {"dataset": "synthetic", "model": "none", "training": "none", "synthetic": True}
    for name, values, note in (
        ("synthetic-powerlaw", power, "Pareto draws, beta = 2"),
        ("synthetic-lognormal", lognormal, "log-normal draws, sigma = 1"),
    ):
        spectrum = Spectrum(name, "network", np.sort(values)[::-1], {**meta, "setting": note})
        print(spectrum.save(Path(out) / f"{name}.spectrum.npz"))


if __name__ == "__main__":
    main(sys.argv[1])
