"""Summarise sweep folders for docs/dnn_reproduction.md: one Markdown row per value of the swept setting.

Per value: runs, how many pass the KS test, mean train and test accuracy, mean d_ks / d_c, mean s,
the eigengap slope, and the paper's s where it reports the same experiment.

Run:  python bench/sweep_summary.py runs/ci-*          (folders written by dnnspec sweep)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from compare.batchdir import BatchFolder
from compare.report.sweeps import sweep_tables
from compare.report.tables import read_paper_reference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+")
    args = parser.parse_args()
    reference = read_paper_reference()
    columns = ("preset (scale)", "setting", "value", "runs", "pass", "train acc", "test acc")
    columns += ("d_ks/d_c", "s", "gap s", "paper s")
    print("| " + " | ".join(columns) + " |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for folder in map(Path, args.folders):
        batch = BatchFolder(folder)
        settings = json.loads(batch.settings.read_text())
        rows = batch.read_rows()
        gap = {r["id"]: r.get("gap_s") for r in rows if r.get("status") == "done"}
        for name, table in sweep_tables(rows, settings, reference).items():
            for value, group in table.groupby(name, sort=False):
                gaps = [gap.get(i) for i in group["id"] if gap.get(i) is not None]
                paper = group["paper_s"].dropna()
                cells = [
                    f"{settings.get('preset')} ({settings.get('scale')})",
                    name,
                    str(value),
                    str(len(group)),
                    str(int(group["is_power_law"].astype(bool).sum())),
                    f"{group['train_accuracy'].mean():.3f}",
                    f"{group['test_accuracy'].mean():.3f}",
                    f"{group['d_ks_over_d_c'].mean():.2f}",
                    f"{group['s'].mean():.3f}",
                    f"{sum(gaps) / len(gaps):.3f}" if gaps else "–",
                    f"{paper.iloc[0]:.3f}" if len(paper) else "–",
                ]
                print("| " + " | ".join(cells) + " |")
        failed = [r for r in rows if r.get("status") != "done"]
        for r in failed:
            print(f"<!-- {folder.name}: {r['id']} failed: {r.get('error')} -->")


if __name__ == "__main__":
    main()
