"""dnnspec.train: settings, optimizers, deterministic training, NaN detection, checkpoints."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from dnnspec.data import DataSettings, load_dataset  # noqa: E402
from dnnspec.errors import CheckpointError, TrainingError  # noqa: E402
from dnnspec.models import build_model  # noqa: E402
from dnnspec.train import (  # noqa: E402
    CHECKPOINT_FORMAT,
    TrainSettings,
    augment_batch,
    load_checkpoint,
    make_optimizer,
    optimizer_choices,
    save_checkpoint,
    train,
)

DATA = DataSettings(name="digits", seed=0)
TINY = {"width": 32}


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DATA)


def tiny_model(digits, seed=0):
    return build_model("fcn1", input_shape=digits.input_shape, n_classes=10, seed=seed, **TINY)


def flat(model):
    return torch.nn.utils.parameters_to_vector(model.parameters()).detach()


def test_training_is_deterministic_and_leaves_input_alone(digits):
    model = tiny_model(digits)
    before = flat(model).clone()
    settings = TrainSettings(epochs=2, batch_size=64)
    a = train(model, digits, settings, progress=False)
    b = train(model, digits, settings, progress=False)
    assert torch.equal(flat(model), before)
    assert torch.equal(flat(a.model), flat(b.model))
    assert not torch.equal(flat(a.model), before)
    assert a.history == b.history and len(a.history) == 2
    c = train(model, digits, TrainSettings(epochs=2, batch_size=64, seed=1), progress=False)
    assert not torch.equal(flat(a.model), flat(c.model))


def test_training_learns_digits(digits):
    result = train(tiny_model(digits), digits, TrainSettings(epochs=5, batch_size=64), progress=False)
    assert result.train_accuracy > 0.95 and result.test_accuracy > 0.9
    assert result.history[-1].train_loss < result.history[0].train_loss
    assert result.train_loss < 0.3  # chance level is log(10) = 2.30


def test_zero_epochs_keeps_the_random_initialisation(digits):
    model = tiny_model(digits)
    result = train(model, digits, TrainSettings(epochs=0), progress=False)
    assert result.history == () and torch.equal(flat(result.model), flat(model))
    assert 0.0 <= result.train_accuracy < 0.3 and math.isfinite(result.train_loss)


def test_nan_loss_raises_with_epoch_and_step(digits):
    class Broken(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(64, 10)

        def forward(self, x):
            return self.linear(x.flatten(1)) * float("nan")

    with pytest.raises(TrainingError, match="epoch 1, step 1"):
        train(Broken(), digits, TrainSettings(epochs=1), progress=False)


def test_huge_learning_rate_diverges(digits):
    with pytest.raises(TrainingError, match=r"became (nan|inf) at epoch \d+, step \d+"):
        train(tiny_model(digits), digits, TrainSettings(epochs=3, lr=1e12, momentum=0.99), progress=False)


def test_learning_rate_schedule():
    s = TrainSettings(epochs=50)
    assert s.milestone_epochs() == (21, 41)
    assert [s.lr_at(e) for e in (1, 20, 21, 40, 41, 50)] == pytest.approx(
        [0.1, 0.1, 0.01, 0.01, 0.001, 0.001]
    )
    assert TrainSettings(optimizer="adam").lr == 1e-3 and TrainSettings(optimizer="Adam").optimizer == "adam"


@pytest.mark.parametrize(
    "name,cls,extra",
    [
        ("sgd", torch.optim.SGD, {"momentum": 0.9}),
        ("vanilla-sgd", torch.optim.SGD, {"momentum": 0.0}),
        ("adam", torch.optim.Adam, {"amsgrad": False}),
        ("amsgrad", torch.optim.Adam, {"amsgrad": True}),
        ("radam", torch.optim.RAdam, {}),
        ("AdamW", torch.optim.AdamW, {}),
        ("rmsprop", torch.optim.RMSprop, {}),
    ],
)
def test_optimizers(name, cls, extra):
    opt = make_optimizer([torch.nn.Parameter(torch.zeros(2))], TrainSettings(optimizer=name))
    assert type(opt) is cls
    for key, value in {"weight_decay": 5e-4, **extra}.items():
        assert opt.param_groups[0][key] == value


@pytest.mark.parametrize(
    ("name", "cls_name", "lr"),
    [
        ("adabound", "AdaBound", 1e-3),
        ("yogi", "Yogi", 1e-3),
        ("adai", "Adai", 1.0),
        ("pnm", "PNM", 0.1),
        ("diffgrad", "DiffGrad", 1e-3),
        ("lookahead", "Lookahead", 0.1),
    ],
)
def test_library_optimizers_and_their_default_rates(name, cls_name, lr):
    pytorch_optimizer = pytest.importorskip("pytorch_optimizer")
    settings = TrainSettings(optimizer=name)
    param = torch.nn.Parameter(torch.ones(2))
    opt = make_optimizer([param], settings)
    assert type(opt) is getattr(pytorch_optimizer, cls_name)
    assert settings.lr == lr and opt.param_groups[0]["lr"] == lr
    assert opt.param_groups[0]["weight_decay"] == 5e-4
    if name == "lookahead":  # around SGD with momentum 0.9
        assert type(opt.optimizer) is torch.optim.SGD and opt.param_groups[0]["momentum"] == 0.9
    param.grad = torch.ones(2)
    opt.step()
    assert (param.detach() < 1).all()  # a step against the gradient


def test_checkpoint_records_the_optimizer_library(tmp_path):
    pytest.importorskip("pytorch_optimizer")
    from importlib.metadata import version

    model = torch.nn.Linear(2, 2)
    path = save_checkpoint(
        tmp_path / "c.pt",
        model_name="fcn1",
        model_kwargs={},
        model=model,
        data_settings=DataSettings(name="digits"),
        train_settings=TrainSettings(optimizer="yogi"),
    )
    blob = torch.load(path, weights_only=True)
    assert blob["optimizer_library"] == {"pytorch_optimizer": version("pytorch_optimizer")}


def test_unknown_optimizer_one_line_error():
    with pytest.raises(ValueError) as err:
        TrainSettings(optimizer="sgdd")
    message = str(err.value)
    assert "\n" not in message and "'sgdd'" in message
    assert all(name in message for name in optimizer_choices())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lr": 0},
        {"lr": math.nan},
        {"momentum": 1.0},
        {"optimizer": "vanilla-sgd", "momentum": 0.5},
        {"batch_size": 0},
        {"epochs": -1},
        {"milestones": (0.8, 0.4)},
        {"milestones": (0.0,)},
        {"gamma": 2.0},
        {"weight_decay": -1e-4},
    ],
)
def test_settings_validated(kwargs):
    with pytest.raises(ValueError, match="got"):
        TrainSettings(**kwargs)


def test_settings_round_trip():
    s = TrainSettings(optimizer="amsgrad", epochs=3, milestones=(0.5,))
    assert TrainSettings.from_dict(s.as_dict()) == s


def test_augment_batch():
    x = torch.arange(32 * 3 * 5 * 5, dtype=torch.float32).reshape(32, 3, 5, 5)
    same = augment_batch(x, generator=torch.Generator().manual_seed(0), pad=0)
    kept = [torch.equal(a, b) for a, b in zip(same, x, strict=True)]
    flipped = [torch.equal(a, b.flip(-1)) for a, b in zip(same, x, strict=True)]
    # without padding each image is itself or its mirror image, and (seed 0, 32 images) both occur
    assert all(k != f for k, f in zip(kept, flipped, strict=True))
    assert 0 < sum(flipped) < len(x)
    out = augment_batch(x, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    assert torch.equal(out, augment_batch(x, generator=torch.Generator().manual_seed(0)))


def _save(path, digits, model, **overrides):
    kwargs = {"input_shape": digits.input_shape, "n_classes": 10, **TINY}
    options = dict(
        model_name="fcn1",
        model_kwargs=kwargs,
        model=model,
        data_settings=DATA,
        train_settings=TrainSettings(epochs=1),
        history=(),
        metrics={"train_accuracy": 0.5},
    )
    options.update(overrides)
    return save_checkpoint(path, **options)


def test_checkpoint_round_trip(tmp_path, digits):
    result = train(tiny_model(digits), digits, TrainSettings(epochs=1), progress=False)
    path = _save(tmp_path / "sub" / "net.pt", digits, result.model, history=result.history)
    assert [p.name for p in path.parent.iterdir()] == ["net.pt"]  # no temporary left behind
    ckpt = load_checkpoint(path)
    assert ckpt.model_name == "fcn1" and ckpt.data_settings == DATA and ckpt.train_settings.epochs == 1
    assert ckpt.history == result.history and ckpt.metrics == {"train_accuracy": 0.5}
    assert not ckpt.model.training
    with torch.no_grad():
        assert torch.equal(ckpt.model(digits.x_test), result.model.eval()(digits.x_test))
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == CHECKPOINT_FORMAT and raw["version"] == 1


def test_bad_checkpoints(tmp_path, digits):
    with pytest.raises(CheckpointError, match="no such checkpoint file"):
        load_checkpoint(tmp_path / "missing.pt")
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"\x00\x01 not a torch file")
    with pytest.raises(CheckpointError, match="garbage.pt: not a readable torch checkpoint") as err:
        load_checkpoint(garbage)
    assert "\n" not in str(err.value)
    untagged = tmp_path / "untagged.pt"
    torch.save({"state_dict": {}}, untagged)
    with pytest.raises(CheckpointError, match="no format tag"):
        load_checkpoint(untagged)
    mismatch = _save(
        tmp_path / "mismatch.pt", digits, build_model("fcn1", input_shape=(1, 8, 8), n_classes=10)
    )
    with pytest.raises(CheckpointError, match="mismatch.pt: checkpoint does not match") as err:
        load_checkpoint(mismatch)
    assert "\n" not in str(err.value)
