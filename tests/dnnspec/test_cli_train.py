"""``dnnspec train`` end to end, in-process."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from dnnspec.cli import main  # noqa: E402
from dnnspec.train import load_checkpoint  # noqa: E402

TINY = ["--data", "digits", "--model", "fcn1", "--width", "16", "--batch-size", "64", "--quiet"]


def test_train_writes_checkpoint_and_settings(tmp_path, capsys):
    out = tmp_path / "runs" / "tiny.pt"
    threads = torch.get_num_threads()
    try:
        assert (
            main(["train", *TINY, "--epochs", "2", "--seed", "3", "--out", str(out), "--threads", "1"]) == 0
        )
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)  # --threads sets a process-wide torch option
    stdout = capsys.readouterr().out.strip().splitlines()
    assert len(stdout) == 1 and "test accuracy" in stdout[0] and str(out) in stdout[0]
    settings = json.loads(out.with_suffix(".json").read_text())
    assert settings["data_settings"]["name"] == "digits" and settings["train_settings"]["seed"] == 3
    assert len(settings["history"]) == 2 and settings["checkpoint"] == str(out)
    ckpt = load_checkpoint(out)
    assert ckpt.model_name == "fcn1" and ckpt.model_kwargs["width"] == 16
    assert ckpt.metrics == settings["metrics"]


def test_random_initialisation_json(tmp_path, capsys):
    out = tmp_path / "init.pt"
    assert main(["train", *TINY, "--epochs", "0", "--json", "--out", str(out)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["train_settings"]["epochs"] == 0 and record["checkpoint"] == str(out)
    assert record["metrics"]["train_accuracy"] < 0.3
    assert load_checkpoint(out).history == ()


@pytest.mark.parametrize(
    "args,match",
    [
        (["--optimizer", "sgdd"], "optimizer must be one of"),
        (["--label-noise", "1.5"], "label_noise must be a number in [0, 1]"),
        (["--data", "mnist", "--root", "NOWHERE"], "NOWHERE"),
        (["--model", "lenet"], "lenet has fixed widths"),
        (["--epochs", "-1"], "epochs must be an int >= 0"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, args, match):
    code = main(["train", *TINY, "--epochs", "1", "--out", str(tmp_path / "x.pt"), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("dnnspec: error:") and match in err
    assert not (tmp_path / "x.pt").exists()


def test_argparse_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--data", "imagenet"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_divergence_exits_1_and_debug_reraises(tmp_path, capsys):
    args = [
        "train",
        *TINY,
        "--epochs",
        "2",
        "--lr",
        "1e12",
        "--momentum",
        "0.99",
        "--out",
        str(tmp_path / "x.pt"),
    ]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("dnnspec: failed:") and "epoch" in err and len(err.strip().splitlines()) == 1
    from dnnspec.errors import TrainingError

    with pytest.raises(TrainingError):
        main([*args, "--debug"])


def test_checkpoint_with_nan_weights_is_refused_naming_the_file(tmp_path):
    import torch

    from dnnspec.errors import CheckpointError
    from dnnspec.train import load_checkpoint

    out = tmp_path / "net.pt"
    assert (
        main(["train", "--data", "digits", "--model", "fcn", "--epochs", "1", "--out", str(out), "--quiet"])
        == 0
    )
    blob = torch.load(out, weights_only=False)
    assert blob["torch_threads"] == torch.get_num_threads()
    first = next(iter(blob["state_dict"]))
    blob["state_dict"][first][0] = float("nan")
    torch.save(blob, out)
    with pytest.raises(
        CheckpointError, match=rf"{out.name}: 1 weight tensor\(s\) hold NaN or infinite values"
    ):
        load_checkpoint(out)
