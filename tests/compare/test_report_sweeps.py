"""The report's sweep sections: phase boundaries, correlations, tables (pure, on synthetic rows)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from compare.report.sweeps import correlations, phase_boundary, sweep_tables

SETTINGS = {
    "kind": "dnnspec-sweep",
    "vary": {"batch_size": [128, 512, 768, 1024], "seed": [0, 1]},
    "cases": [],
}


def row(batch, seed, passed, s, acc=0.9, lam=1.0, trace=10.0, status="done"):
    beta = 1 + 1 / s
    return {
        "run": f"r{batch}-{seed}", "id": f"batch_size={batch} seed={seed}", "batch_size": batch, "seed": seed,
        "status": status, "is_power_law": passed, "s": s, "beta": beta, "sigma": (beta - 1) / 30,
        "d_ks": 0.02 if passed else 0.2, "d_c": 0.043, "k": 1000, "train_accuracy": 1.0,
        "test_accuracy": acc, "lambda_1": lam, "trace": trace, "paper_dataset": "MNIST",
        "paper_model": "LeNet", "paper_training": "SGD", "paper_setting": f"B={batch}",
    }  # fmt: skip


def test_phase_boundary_of_a_batch_size_sweep():
    rows = [row(b, seed, b <= 512, 1.0) for b in (128, 512, 768, 1024) for seed in (0, 1)]
    table = sweep_tables(rows, SETTINGS)["batch_size"]
    assert list(table["batch_size"]) == [128, 128, 512, 512, 768, 768, 1024, 1024]
    found = phase_boundary(table, "batch_size")
    assert found["boundary"] == (512, 768) and found["passing"] == [128, 512] and not found["mixed"]
    # one seed of 768 passes: no sharp boundary any more
    rows[4] = row(768, 0, True, 1.0)
    found = phase_boundary(sweep_tables(rows, SETTINGS)["batch_size"], "batch_size")
    assert found["mixed"] == [768] and found["boundary"] is None


def test_phase_boundary_is_none_for_a_categorical_setting():
    table = pd.DataFrame({"optimizer": ["sgd", "adam"], "is_power_law": [True, False]})
    assert phase_boundary(table, "optimizer") is None


def test_spearman_rho_by_hand():
    # ranks of s 1 2 3 4 against accuracy ranks 1 2 4 3: rho = 1 - 6 * 2 / (4 * 15) = 0.8
    rows = [
        row(b, 0, True, s, acc=a) for b, s, a in [(1, 1.0, 0.1), (2, 1.1, 0.2), (3, 1.2, 0.4), (4, 1.3, 0.3)]
    ]
    table = correlations(rows)
    acc = table[table["column"] == "test_accuracy"].iloc[0]
    assert acc["n"] == 4 and acc["rho"] == pytest.approx(0.8, abs=1e-12)
    assert math.isnan(table[table["column"] == "trace"].iloc[0]["rho"])  # constant trace: undefined


def test_paper_numbers_beside_ours_where_the_experiment_matches():
    from compare.report.tables import read_paper_reference

    rows = [row(512, 0, True, 1.1), row(100, 0, True, 1.0)]
    table = sweep_tables(rows, SETTINGS, read_paper_reference())["batch_size"]
    matched = table[table["batch_size"] == 512].iloc[0]
    assert (matched["paper_d_ks"], matched["paper_beta"], matched["paper_s"]) == (0.00787, 1.894, 1.119)
    assert table[table["batch_size"] == 100]["paper_s"].isna().all()  # the paper has no B=100 row


def test_failed_runs_are_left_out_of_the_tables():
    rows = [row(128, 0, True, 1.0), row(512, 0, False, 1.0, status="failed")]
    assert len(sweep_tables(rows, SETTINGS)["batch_size"]) == 1


def test_cases_are_one_axis_named_by_their_settings():
    cases = [{"label_noise": 0.0}, {"label_noise": 0.4}, {"random_labels": True}]
    settings = {"kind": "dnnspec-sweep", "vary": {}, "cases": cases}
    rows = []
    for noise, shuffled, case in [(0.0, False, 0), (0.4, False, 1), (0.0, True, 2)]:
        r = row(128, 0, case == 0, 1.0)
        r.update(
            label_noise=noise,
            random_labels=shuffled,
            case=" ".join(f"{k}={v}" for k, v in cases[case].items()),
        )
        rows.append(r)
    tables = sweep_tables(rows, settings)
    assert list(tables) == ["case"]
    assert list(tables["case"]["case"]) == ["label_noise=0.0", "label_noise=0.4", "random_labels=True"]
    del rows[2]["case"]  # a row without the column (an older sweep): the first case it fits
    assert sweep_tables(rows, settings)["case"]["case"].iloc[2] == "label_noise=0.0"
