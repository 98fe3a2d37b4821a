"""dnnspec sweep: grids, presets, the resumable parallel runner, and its rows against compare's fit."""

from __future__ import annotations

import json

import numpy as np
import pytest

from compare.errors import InputError
from dnnspec.grid import DEFAULTS, SweepGrid, SweepRun, coerce, parse_assignment, read_grid
from dnnspec.presets import PRESETS, SCALES, preset_grid

# A tiny grid: 64-6-6-10 nets (502 parameters) on the digits, exact Hessians, a few seconds a run.
TINY = {"data": "digits", "model": "fcn2", "width": 6, "epochs": 15, "top": 60, "solver": "dense"}
#: Columns that hold times, which differ from run to run.
TIMES = ("train_seconds", "spectrum_seconds", "seconds", "peak_rss_mib")  # measured, not computed


def tiny_grid(**vary):
    return SweepGrid(TINY, vary or {"epochs": (15, 0)})


def comparable(table):
    return table.drop(columns=list(TIMES)).reset_index(drop=True)


# ---------------------------------------------------------------- grids (no torch needed)


def test_grid_is_the_product_of_its_varied_settings_times_its_cases():
    grid = SweepGrid(
        {"width": 10}, {"seed": (0, 1, 2), "optimizer": ("sgd", "adam")}, ({}, {"label_noise": 0.4})
    )
    runs = grid.runs()
    assert len(runs) == 3 * 2 * 2
    assert len({r.key for r in runs}) == len(runs)
    assert {r["width"] for r in runs} == {10}
    assert grid.varied() == ["label_noise", "optimizer", "seed"]
    # the same settings always give the same key; any change gives another
    again = SweepRun.from_settings({"width": 10, "seed": 2, "optimizer": "adam", "label_noise": 0.4})
    assert again.key in {r.key for r in runs}
    assert SweepRun.from_settings({"width": 11}).key != SweepRun.from_settings({"width": 10}).key


def test_settings_are_coerced_to_their_types_and_refused_otherwise():
    assert coerce("width", "20") == 20 and coerce("lr", "1e-3") == 1e-3
    assert coerce("random_labels", "true") is True and coerce("n_train", "none") is None
    assert coerce("milestones", "0.5:0.75") == (0.5, 0.75)
    assert parse_assignment("batch-size=128,512", many=True) == ("batch_size", (128, 512))
    for text, message in [
        ("width=a", "not of type int"),
        ("depth", "expected NAME=VALUE"),
        ("colour=1", "unknown setting 'colour'"),
        ("seed=1,1", "given twice"),
        ("width=2.5", "not of type int"),
    ]:
        with pytest.raises(InputError, match=message):
            parse_assignment(text, many=True)


def test_grid_file(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(
        'preset = "width"\nscale = "ci"\n[base]\nepochs = 3\n[vary]\nwidth = [4, 8]\nseed = [0, 1]\n'
    )
    grid = read_grid(path)
    assert (grid.preset, grid.scale) == ("width", "ci")
    assert len(grid.runs()) == 4 and {r["epochs"] for r in grid.runs()} == {3}
    assert {r["width"] for r in grid.runs()} == {4, 8}  # the file's values replace the preset's
    bad = tmp_path / "bad.toml"
    for text, message in [
        ("[base]\nwidth = 'x'\n", "not of type int"),
        ("[basis]\nwidth = 1\n", "unknown keys"),
        ("[base\n", "not a TOML file"),
        ('scale = "ci"\n', "without a preset"),
    ]:
        bad.write_text(text)
        with pytest.raises(InputError, match=message):
            read_grid(bad)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_state_their_scale(name, scale):
    grid = preset_grid(name, scale)
    assert grid.runs() and grid.varied()
    assert scale in grid.note and grid.as_dict()["scale"] == scale
    json.dumps(grid.as_dict())  # recorded in settings.json
    if scale == "paper":
        assert {r["top"] for r in grid.runs()} == {1000} and {r["data"] for r in grid.runs()} == {"mnist"}


def test_presets_cover_the_papers_optimizers_and_label_noise():
    assert {r["optimizer"] for r in preset_grid("optimizers").runs()} == {
        "sgd", "vanilla-sgd", "adam", "amsgrad", "adabound", "yogi", "radam", "adai", "pnm", "lookahead",
        "diffgrad",
    }  # fmt: skip
    cases = {(r["label_noise"], r["random_labels"]) for r in preset_grid("label-noise").runs()}
    assert cases == {(0.0, False), (0.4, False), (0.8, False), (0.0, True)}
    with pytest.raises(InputError, match="unknown preset"):
        preset_grid("everything")


# ---------------------------------------------------------------- runs (torch)

torch = pytest.importorskip("torch")


def test_ci_trained_vs_random_preset(tmp_path):
    from compare import fit_power_law, load_spectrum
    from compare.batchdir import BatchFolder
    from compare.eigengap import fit_eigengaps
    from dnnspec.sweep import run_sweep

    table = run_sweep(preset_grid("trained-vs-random", "ci"), tmp_path / "sweep", jobs=2)
    assert list(table["status"]) == ["done"] * 4, table["error"].tolist()
    trained, random = table[table["epochs"] > 0], table[table["epochs"] == 0]
    assert trained["is_power_law"].all() and not random["is_power_law"].any()
    assert (trained["train_accuracy"] > 0.99).all() and (random["train_accuracy"] < 0.3).all()
    assert set(table["scale"]) == {"ci"} and set(table["paper_training"]) == {"SGD", "Random"}
    folder = BatchFolder(tmp_path / "sweep")
    for row in table.to_dict("records"):
        spectrum = load_spectrum(folder.spectra / row["spectrum"])
        fit = fit_power_law(spectrum.values)
        assert (row["k"], row["beta"], row["d_ks"], row["d_c"]) == (fit.k, fit.beta, fit.d_ks, fit.d_c)
        gaps = fit_eigengaps(spectrum.values, k=fit.k)
        assert (
            (row["gap_k"], row["gap_s"], row["gap_d_ks"])
            == (gaps.k, gaps.s, gaps.d_ks)
            == (149, gaps.s, gaps.d_ks)
        )
        assert row["k"] == 300 and row["solver_used"] == "dense" and row["products"] == row["n_params"]
        assert (folder.root / row["checkpoint"]).is_file()
    settings = json.loads(folder.settings.read_text())
    assert settings["preset"] == "trained-vs-random" and "ci scale" in settings["note"]


def test_exact_spectrum_equals_eigvalsh_of_the_dense_hessian(tmp_path):
    """The rows' eigenvalues are those of the exact Hessian (an independent dense build)."""
    import torch.nn.functional as F

    from compare import load_spectrum
    from compare.batchdir import BatchFolder
    from dnnspec.data import load_dataset
    from dnnspec.sweep import run_sweep
    from dnnspec.train import load_checkpoint

    table = run_sweep(tiny_grid(epochs=(15,)), tmp_path / "s", jobs=1)
    row = table.iloc[0]
    ckpt = load_checkpoint(tmp_path / "s" / row["checkpoint"])
    data = load_dataset(ckpt.data_settings)
    params = dict(ckpt.model.named_parameters())
    flat = torch.cat([p.detach().reshape(-1) for p in params.values()]).double()
    shapes = [(n, p.shape, p.numel()) for n, p in params.items()]
    model = ckpt.model.double()

    def loss(theta):
        out, i = {}, 0
        for n, shape, size in shapes:
            out[n] = theta[i : i + size].reshape(shape)
            i += size
        logits = torch.func.functional_call(model, out, (data.x_train.double(),))
        return F.cross_entropy(logits, data.y_train)

    hessian = torch.func.hessian(loss)(flat).numpy()
    exact = np.sort(np.linalg.eigvalsh((hessian + hessian.T) / 2))[::-1][:60]
    spectrum = load_spectrum(BatchFolder(tmp_path / "s").spectra / row["spectrum"])
    np.testing.assert_allclose(spectrum.values, exact[exact > 0], rtol=1e-8, atol=1e-12)


def test_a_killed_sweep_rerun_gives_the_same_table(tmp_path):
    from dnnspec.sweep import run_sweep

    grid = tiny_grid(epochs=(15, 0))
    whole = run_sweep(grid, tmp_path / "whole", jobs=1)

    def die_after_first(row):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(grid, tmp_path / "cut", jobs=1, on_row=die_after_first)
    assert len((tmp_path / "cut" / "rows.jsonl").read_text().splitlines()) == 1
    resumed = run_sweep(grid, tmp_path / "cut", jobs=1)
    assert resumed.attrs["skipped"] == 1
    assert comparable(resumed).equals(comparable(whole))


def test_a_checkpoint_left_by_a_killed_run_is_not_trained_again(tmp_path):
    from dnnspec.sweep import run_sweep

    grid = tiny_grid(epochs=(15,))
    first = run_sweep(grid, tmp_path / "s", jobs=1)
    (tmp_path / "s" / "rows.jsonl").unlink()  # as if killed after the checkpoint, before its row
    (tmp_path / "s" / "results.parquet").unlink()
    again = run_sweep(grid, tmp_path / "s", jobs=1)
    assert again.attrs["skipped"] == 0
    assert again["train_seconds"].iloc[0] == first["train_seconds"].iloc[0]  # read back, not re-timed
    assert comparable(again).equals(comparable(first))


def test_dask_cluster_gives_the_same_table_as_joblib(tmp_path):
    distributed = pytest.importorskip("distributed")
    from dnnspec.sweep import run_sweep

    grid = tiny_grid(epochs=(15, 0))
    local = run_sweep(grid, tmp_path / "joblib", jobs=2, threads=1)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as c:
        remote = run_sweep(grid, tmp_path / "dask", scheduler=c.scheduler_address, threads=1)
    assert comparable(remote).equals(comparable(local))


def test_a_failing_run_is_a_row_and_the_sweep_goes_on(tmp_path):
    from dnnspec.sweep import run_sweep

    table = run_sweep(tiny_grid(lr=(0.1, 1e6)), tmp_path / "s", jobs=1)
    good, bad = table.iloc[0], table.iloc[1]
    assert good["status"] == "done" and bad["status"] == "failed"
    assert "TrainingError" in bad["error"] and "learning rate" in bad["error"]
    assert json.loads((tmp_path / "s" / "summary.json").read_text())["counts"]["failed"] == 1


def test_the_folder_is_locked_to_its_grid(tmp_path):
    from dnnspec.sweep import run_sweep

    run_sweep(tiny_grid(epochs=(0,)), tmp_path / "s", jobs=1)
    with pytest.raises(InputError, match="other settings"):
        run_sweep(tiny_grid(epochs=(0, 15)), tmp_path / "s", jobs=1)


def test_bad_settings_are_refused_before_anything_runs(tmp_path):
    from dnnspec.sweep import run_sweep

    with pytest.raises(InputError, match="optimizer"):
        run_sweep(SweepGrid(TINY, {"optimizer": ("sgd", "sgdd")}), tmp_path / "s")
    with pytest.raises(InputError, match="solver"):
        run_sweep(SweepGrid({**TINY, "solver": "magic"}), tmp_path / "s")
    assert not (tmp_path / "s").exists()


def test_cli_sweep(tmp_path, capsys):
    from dnnspec.cli import main

    out = tmp_path / "s"
    args = [
        "sweep",
        "--data",
        "digits",
        "--model",
        "fcn2",
        "--width",
        "6",
        "--top",
        "60",
        "--solver",
        "dense",
    ]
    args += ["--vary", "epochs=15,0", "--out", str(out), "--quiet"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "epochs=15 seed=0" in printed and "2 of 2 runs done" in printed
    assert main([*args, "--json"]) == 0  # resumed: nothing to do
    record = json.loads(capsys.readouterr().out)
    assert record["runs"] == 2 and record["failed"] == 0
    diverging = [*args[:-5], "--vary", "lr=1e6", "--epochs", "15", "--out", str(tmp_path / "t"), "--quiet"]
    assert main(diverging) == 1
    assert main(["sweep", "--vary", "width=x", "--out", str(out)]) == 2
    assert "not of type int" in capsys.readouterr().err
    assert set(DEFAULTS) >= {"label_noise", "top", "optimizer"}


def test_report_of_a_sweep_has_a_section_per_swept_setting(tmp_path):
    import pandas as pd

    from compare.report.writer import ReportSettings, write_report
    from dnnspec.sweep import run_sweep

    table = run_sweep(tiny_grid(epochs=(15, 0)), tmp_path / "s", jobs=1)
    html = write_report(tmp_path / "s", tmp_path / "report", settings=ReportSettings()).read_text()
    assert "Sweep over epochs" in html and "Spearman" in html
    passing = sorted(table[table["is_power_law"]]["epochs"])
    assert f"Along epochs: all runs pass at {', '.join(map(str, passing)) or 'none'};" in html
    shown = pd.read_csv(tmp_path / "report" / "tables" / "sweep_epochs.csv")
    assert list(shown["epochs"]) == [0, 15]
    by_epochs = table.set_index("epochs")
    for r in shown.to_dict("records"):
        assert r["d_ks"] == pytest.approx(by_epochs.loc[r["epochs"], "d_ks"], rel=1e-12)
    assert (tmp_path / "report" / "figures" / "sweep_epochs_rank_size.png").is_file()


def test_rows_name_their_case(tmp_path):
    from dnnspec.sweep import run_sweep

    grid = SweepGrid(TINY, {}, ({"label_noise": 0.0}, {"random_labels": True}))
    table = run_sweep(grid, tmp_path / "s", jobs=1)
    assert list(table["case"]) == ["label_noise=0.0", "random_labels=True"]
    assert list(table["random_labels"]) == [False, True] and (table["status"] == "done").all()


def test_a_missing_optimizer_library_stops_the_sweep_before_training(tmp_path, monkeypatch, capsys):
    import sys

    from dnnspec.cli import main
    from dnnspec.sweep import run_sweep

    monkeypatch.setitem(sys.modules, "pytorch_optimizer", None)  # as if not installed
    with pytest.raises(ImportError, match="pip install 'hessian-spectra\\[torch\\]'"):
        run_sweep(SweepGrid(TINY, {"optimizer": ("sgd", "yogi")}), tmp_path / "s")
    assert not (tmp_path / "s").exists()
    assert main(["sweep", "--optimizer", "yogi", "--out", str(tmp_path / "t"), "--quiet"]) == 1
    assert "needs pytorch-optimizer" in capsys.readouterr().err


def test_noise_top_adds_the_gradient_noise_spectrum_and_keeps_older_keys(tmp_path):
    """noise_top = K: the top K of the per-sample gradient covariance, as its own kind, fitted in the row."""
    import pandas as pd
    import torch.nn.functional as F

    from compare import fit_power_law, load_spectrum
    from compare.batchdir import BatchFolder
    from compare.report.writer import ReportSettings, write_report
    from dnnspec.data import load_dataset
    from dnnspec.sweep import run_sweep
    from dnnspec.train import load_checkpoint

    # a key written before noise_top existed is the key of the same run now (folders resume)
    assert SweepRun.from_settings(TINY).key == "fcn2-digits-sgd-e15-b128-s0-5dd65cac47"
    assert SweepRun.from_settings({**TINY, "noise_top": 30}).key != SweepRun.from_settings(TINY).key
    table = run_sweep(SweepGrid({**TINY, "noise_top": 30}, {}), tmp_path / "s", jobs=1)
    row = table.iloc[0]
    assert row["status"] == "done", row["error"]
    folder = BatchFolder(tmp_path / "s")
    noise = load_spectrum(folder.spectra / row["noise_spectrum"])
    assert noise.kind == "gradient-noise" and len(noise) == 30
    fit = fit_power_law(noise.values)
    assert (row["noise_k"], row["noise_beta"], row["noise_s"], row["noise_d_ks"]) == (
        fit.k,
        fit.beta,
        fit.s,
        fit.d_ks,
    )
    # against the covariance of per-sample gradients taken one backward pass at a time
    ckpt = load_checkpoint(folder.root / row["checkpoint"])
    data = load_dataset(ckpt.data_settings)
    model = ckpt.model.double()
    grads = []
    for xi, yi in zip(data.x_train.double(), data.y_train, strict=True):
        model.zero_grad()
        F.cross_entropy(model(xi[None]), yi[None]).backward()
        grads.append(torch.cat([p.grad.reshape(-1) for p in model.parameters()]).clone())
    g = torch.stack(grads).numpy()
    centred = g - g.mean(axis=0)
    exact = np.sort(np.linalg.eigvalsh(centred.T @ centred / len(g)))[::-1]
    np.testing.assert_allclose(noise.values, exact[:30], rtol=1e-6)
    assert row["noise_trace"] == pytest.approx(exact.sum(), rel=1e-9)
    # the report fits it as its own kind, and finds the row's fit again
    html = write_report(tmp_path / "s", tmp_path / "report", settings=ReportSettings()).read_text()
    fits = pd.read_csv(tmp_path / "report" / "tables" / "fits.csv")
    assert sorted(fits["kind"]) == ["gradient-noise", "network"]
    assert "gradient noise" in html and "all agree with the stored values" in html
