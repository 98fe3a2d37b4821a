"""What each elastic network model says about the paper's claim on the shipped entries (docs/enm_models.md).

For every model and spring law: the six shipped entries (and ../shared/data/4hhb.pdb when present)
through ``analyze_structure`` (top tenth of the inverse spectrum, alpha 0.05), then s, beta, the
KS verdict and the Pearson correlation of the predicted mean-square fluctuations with the
B-factors, per entry and as mean +/- sd. Timings are not the point here; no repeats.

Run:  python bench/claim_models.py
"""

from __future__ import annotations

import statistics
from pathlib import Path

from enmspec import (
    AnalysisSettings,
    analyze_structure,
    bfactor_correlation,
    example_structures,
    sq_fluctuations,
)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
MODELS = (
    ("ANM 9 A (paper)", dict(model="anm")),
    ("GNM 7.3 A", dict(model="gnm")),
    ("GNM 9 A", dict(model="gnm", cutoff=9.0)),
    ("pfANM (1/r^2, all pairs)", dict(model="anm", springs="pf")),
    ("pfGNM (1/r^2, all pairs)", dict(model="gnm", springs="pf")),
    ("ANM, Hinsen C-alpha", dict(model="anm", springs="hinsen")),
)


def main() -> None:
    inputs = dict(example_structures())
    if (SHARED / "4hhb.pdb").is_file():
        inputs["4HHB"] = SHARED / "4hhb.pdb"
    print(f"entries: {', '.join(inputs)}")
    print(f"{'model':<26} {'entry':<6} {'K':>5} {'beta':>7} {'s':>7} {'KS':>4} {'r(B)':>6}")
    summary = []
    for label, options in MODELS:
        settings = AnalysisSettings(**options)
        rows = []
        for entry, path in inputs.items():
            structure, _, fit = analyze_structure(path, settings)
            msf = sq_fluctuations(
                structure, model=settings.model, springs=settings.springs, cutoff=settings.cutoff
            )
            r = bfactor_correlation(msf, structure.b_factors)
            rows.append((fit.beta, fit.s, fit.is_power_law, r))
            verdict = "yes" if fit.is_power_law else "no"
            print(f"{label:<26} {entry:<6} {fit.k:>5} {fit.beta:>7.3f} {fit.s:>7.3f} {verdict:>4} {r:>6.3f}")
        beta, s, ok, r = zip(*rows, strict=True)
        summary.append(
            (label, statistics.mean(beta), statistics.stdev(beta), statistics.mean(s), statistics.stdev(s),
             sum(ok) / len(ok), statistics.mean(r), statistics.stdev(r))
        )  # fmt: skip
    print(f"\n{'model':<26} {'beta':>15} {'s':>15} {'pass':>6} {'r(B)':>15}")
    for label, bm, bs, sm, ss, rate, rm, rs in summary:
        cells = f"{bm:>7.3f} ± {bs:<5.3f} {sm:>7.3f} ± {ss:<5.3f} {rate:>6.0%} {rm:>7.3f} ± {rs:<5.3f}"
        print(f"{label:<26} {cells}")


if __name__ == "__main__":
    main()
