"""Training (the paper's recipe) and checkpoints that record how a network was made.

Training is deterministic on the CPU for a fixed seed: shuffling and augmentation draw from a
``torch.Generator`` seeded with ``TrainSettings.seed``; the model passed in is copied, never
modified. The learning rate is multiplied by ``gamma`` at the given fractions of training
(the paper: divided by 10 at 40 % and 80 %).

Checkpoint format (``torch.save`` of a plain dict, format version 1)
--------------------------------------------------------------------
``{"format": "hessian-spectra/dnn-checkpoint", "version": 1, "model_name": str,
"model_kwargs": {...}, "state_dict": {name: Tensor}, "data_settings": {...},
"train_settings": {...}, "history": [{...}, ...], "metrics": {...}, "n_parameters": int,
"torch_version": str, "optimizer_library": {name: version}, "torch_threads": int}``.
Everything but the tensors is plain JSON, so the file loads with
``torch.load(weights_only=True)``. Files are written atomically (temporary file, then rename).
"""

from __future__ import annotations

import copy
import json
import logging
import math
import os
import pickle
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from compare.files import atomic_path
from dnnspec.data import Dataset, DataSettings
from dnnspec.errors import CheckpointError, TrainingError
from dnnspec.models import build_model, count_parameters
from dnnspec.optimizers import (
    default_lr,
    default_momentum,
    make_optimizer,
    optimizer_choices,
    optimizer_library,
)

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "hessian-spectra/dnn-checkpoint"
CHECKPOINT_VERSION = 1


@dataclass(frozen=True)
class TrainSettings:
    """How a network is trained; validated on creation, JSON-serialisable.

    Parameters
    ----------
    optimizer : str
        One of the paper's: ``"sgd"`` (momentum), ``"vanilla-sgd"`` (momentum 0), ``"adam"``,
        ``"amsgrad"``, ``"adabound"``, ``"yogi"``, ``"radam"``, ``"adai"``, ``"pnm"``,
        ``"lookahead"`` (around SGD with momentum), ``"diffgrad"`` (see
        :mod:`dnnspec.optimizers`), or any other ``torch.optim`` class by name,
        case-insensitive (see :func:`~dnnspec.optimizers.optimizer_choices`).
    lr : float or None
        None: :func:`~dnnspec.optimizers.default_lr` (0.1 for the SGD family, PNM and
        Lookahead, 1.0 for Adai, 0.001 otherwise), resolved on creation.
    momentum : float or None
        None: 0.9 for ``"sgd"`` and ``"lookahead"``, 0 for ``"vanilla-sgd"``, the
        optimizer's own default otherwise.
    weight_decay : float >= 0
        L2 penalty passed to the optimizer.
    batch_size : int >= 1
        Images per mini-batch.
    epochs : int >= 0
        0 keeps the random initialisation (the paper compares trained and random nets).
    milestones : tuple of float in (0, 1]
        Fractions of training after which the learning rate is multiplied by ``gamma``.
    gamma : float in (0, 1]
        Learning-rate factor at each milestone.
    seed : int >= 0
        Seeds shuffling and augmentation (and, by convention, the model's initialisation).
    augment : bool
        Random crop (padding 4) and horizontal flip, as the paper does for CIFAR.
    eval_batch_size : int >= 1
        Batch size of the evaluation passes (no effect on the results).
    """

    optimizer: str = "sgd"
    lr: float | None = None
    momentum: float | None = None
    weight_decay: float = 5e-4
    batch_size: int = 128
    epochs: int = 50
    milestones: tuple[float, ...] = (0.4, 0.8)
    gamma: float = 0.1
    seed: int = 0
    augment: bool = False
    eval_batch_size: int = 1000

    def __post_init__(self) -> None:
        name = self.optimizer.lower() if isinstance(self.optimizer, str) else self.optimizer
        choices = optimizer_choices()
        if name not in choices:
            raise ValueError(f"optimizer must be one of {', '.join(choices)}; got {self.optimizer!r}")
        object.__setattr__(self, "optimizer", name)
        lr = default_lr(name) if self.lr is None else self.lr
        _check_number("lr", lr, low=0.0, low_open=True)
        object.__setattr__(self, "lr", float(lr))
        momentum = self.momentum
        if name == "vanilla-sgd" and momentum not in (None, 0, 0.0):
            raise ValueError(f"vanilla-sgd has momentum 0, got momentum={momentum!r}")
        if momentum is None or name == "vanilla-sgd":
            momentum = default_momentum(name)
        if momentum is not None:
            _check_number("momentum", momentum, low=0.0, high=1.0, high_open=True)
            momentum = float(momentum)
        object.__setattr__(self, "momentum", momentum)
        _check_number("weight_decay", self.weight_decay, low=0.0)
        _check_number("gamma", self.gamma, low=0.0, high=1.0, low_open=True)
        for label, low in (("batch_size", 1), ("epochs", 0), ("seed", 0), ("eval_batch_size", 1)):
            value = getattr(self, label)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"{label} must be an int >= {low}, got {value!r}")
        if not isinstance(self.milestones, (tuple, list)):
            raise ValueError(f"milestones must be a sequence of fractions in (0, 1], got {self.milestones!r}")
        for m in self.milestones:
            _check_number("each milestone", m, low=0.0, high=1.0, low_open=True)
        if list(self.milestones) != sorted(self.milestones):
            raise ValueError(f"milestones must be increasing, got {self.milestones!r}")
        object.__setattr__(self, "milestones", tuple(float(m) for m in self.milestones))
        object.__setattr__(self, "weight_decay", float(self.weight_decay))
        object.__setattr__(self, "gamma", float(self.gamma))
        if not isinstance(self.augment, bool):
            raise ValueError(f"augment must be a bool, got {self.augment!r}")

    def milestone_epochs(self) -> tuple[int, ...]:
        """Epochs (1-based) from which each learning-rate decay applies: ``round(f * epochs) + 1``.

        Returns
        -------
        tuple of int
            One per milestone.
        """
        return tuple(round(m * self.epochs) + 1 for m in self.milestones)

    def lr_at(self, epoch: int) -> float:
        """Learning rate of the 1-based ``epoch``.

        Parameters
        ----------
        epoch : int
            1 for the first epoch.

        Returns
        -------
        float
            ``lr * gamma ** (milestones passed)``.
        """
        return self.lr * self.gamma ** sum(epoch >= m for m in self.milestone_epochs())

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON values (for checkpoints and spectrum metadata).

        Returns
        -------
        dict of str
            The fields by name (``milestones`` as a list).
        """
        d = asdict(self)
        d["milestones"] = list(self.milestones)
        return d

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainSettings:
        """Inverse of :meth:`as_dict`; unknown keys raise ``ValueError``.

        Parameters
        ----------
        values : dict of str
            Fields by name (any subset; the others take their defaults).

        Returns
        -------
        TrainSettings
        """
        names = {f.name for f in fields(cls)}
        if not isinstance(values, dict) or set(values) - names:
            extra = sorted(set(values) - names) if isinstance(values, dict) else values
            raise ValueError(f"TrainSettings: expected a dict with keys among {sorted(names)}, got {extra!r}")
        return cls(**values)


@dataclass(frozen=True)
class EpochRecord:
    """One epoch of training.

    Attributes
    ----------
    epoch : int
        1-based.
    lr : float
        Its learning rate.
    train_loss, train_accuracy : float
        Running mean cross-entropy and accuracy over its mini-batches (train mode).
    test_loss, test_accuracy : float
        On the test set after the epoch (eval mode).
    """

    epoch: int
    lr: float
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float

    def as_dict(self) -> dict[str, float]:
        """Plain JSON values.

        Returns
        -------
        dict of str to float
            The fields by name.
        """
        return asdict(self)


@dataclass(frozen=True, eq=False)
class TrainResult:
    """A trained copy of the model, its history, and final metrics in eval mode.

    ``train_loss`` is the mean cross-entropy over the whole training set (the loss whose
    Hessian the spectrum is of); accuracies are fractions in [0, 1].

    Attributes
    ----------
    model : torch.nn.Module
        The trained copy, in eval mode.
    history : tuple of EpochRecord
        One per epoch.
    train_loss, train_accuracy : float
        Of the final model on the whole training set (eval mode).
    test_loss, test_accuracy : float
        Of the final model on the test set.
    settings : TrainSettings
        How it was trained.
    """

    model: nn.Module
    history: tuple[EpochRecord, ...]
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    settings: TrainSettings

    def metrics(self) -> dict[str, float]:
        """The final losses and accuracies.

        Returns
        -------
        dict of str to float
            ``train_loss``, ``train_accuracy``, ``test_loss``, ``test_accuracy``.
        """
        return {
            "train_loss": self.train_loss,
            "train_accuracy": self.train_accuracy,
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
        }


def augment_batch(x: torch.Tensor, *, generator: torch.Generator, pad: int = 4) -> torch.Tensor:
    """Random crop after zero padding by ``pad`` and random horizontal flip, per image.

    Parameters
    ----------
    x : Tensor, shape (n, C, H, W)
        Images; not modified.
    generator : torch.Generator
        Source of the crops and flips.
    pad : int
        Zero padding on each side before the crop.

    Returns
    -------
    Tensor, shape (n, C, H, W)
        The augmented images.
    """
    n, c, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    rows = (dy[:, None] + torch.arange(h))[:, None, :, None]
    cols = (dx[:, None] + torch.arange(w))[:, None, None, :]
    out = padded[torch.arange(n)[:, None, None, None], torch.arange(c)[None, :, None, None], rows, cols]
    flip = torch.rand(n, generator=generator) < 0.5
    return torch.where(flip[:, None, None, None], out.flip(-1), out)


def evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, batch_size: int = 1000
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` in eval mode (its mode is restored).

    Parameters
    ----------
    model : torch.nn.Module
        Maps images to logits.
    x : Tensor, shape (n, C, H, W), float32
        Images.
    y : Tensor, shape (n,), int64
        Labels.
    batch_size : int
        Images per forward pass (no effect on the result).

    Returns
    -------
    loss, accuracy : float
        Mean cross-entropy and fraction correct (NaN for n = 0).
    """
    if len(y) == 0:
        return math.nan, math.nan
    was_training = model.training
    model.eval()
    total, correct = 0.0, 0
    try:
        with torch.no_grad():
            for start in range(0, len(y), batch_size):
                logits = model(x[start : start + batch_size])
                target = y[start : start + batch_size]
                total += F.cross_entropy(logits, target, reduction="sum").item()
                correct += int((logits.argmax(1) == target).sum())
    finally:
        model.train(was_training)
    return total / len(y), correct / len(y)


def train(
    model: nn.Module, dataset: Dataset, settings: TrainSettings, *, progress: bool = True
) -> TrainResult:
    """Train a copy of ``model`` on ``dataset`` with mini-batch cross-entropy.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (N, C, H, W) to logits; copied, not modified.
    dataset : Dataset
        Training and test splits.
    settings : TrainSettings
        The recipe.
    progress : bool
        Show a tqdm bar with the running loss and accuracy.

    Returns
    -------
    TrainResult
        The trained copy, its history and final metrics.

    Raises
    ------
    TrainingError
        The loss became NaN or infinite; the message names the epoch and step.

    Notes
    -----
    A final mini-batch of a single image is skipped (BatchNorm cannot train on it). Two runs
    with the same settings give bit-identical weights on the same machine and thread count.
    """
    from tqdm import tqdm

    if not isinstance(settings, TrainSettings) or not isinstance(dataset, Dataset):
        raise TypeError(
            f"expected a Dataset and TrainSettings, got {type(dataset).__name__}, {type(settings).__name__}"
        )
    model = copy.deepcopy(model)
    generator = torch.Generator().manual_seed(settings.seed)
    optimizer = make_optimizer(model.parameters(), settings)
    x_all, y_all = dataset.x_train, dataset.y_train
    n, batch = len(y_all), settings.batch_size
    starts = [s for s in range(0, n, batch) if min(batch, n - s) > 1]
    history: list[EpochRecord] = []
    with tqdm(total=settings.epochs * len(starts), disable=not progress, unit="step", desc="train") as bar:
        for epoch in range(1, settings.epochs + 1):
            lr = settings.lr_at(epoch)
            for group in optimizer.param_groups:
                group["lr"] = lr
            model.train()
            order = torch.randperm(n, generator=generator)
            loss_sum, correct, seen = 0.0, 0, 0
            for step, start in enumerate(starts, 1):
                idx = order[start : start + batch]
                x, y = x_all[idx], y_all[idx]
                if settings.augment:
                    x = augment_batch(x, generator=generator)
                logits = model(x)
                loss = F.cross_entropy(logits, y)
                value = loss.item()
                if not math.isfinite(value):
                    raise TrainingError(
                        f"the training loss became {value} at epoch {epoch}, step {step} "
                        f"(lr {lr:g}, optimizer {settings.optimizer}); try a smaller learning rate"
                    )
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                loss_sum += value * len(y)
                correct += int((logits.argmax(1) == y).sum())
                seen += len(y)
                bar.update(1)
                bar.set_postfix(
                    epoch=epoch, loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.3f}", refresh=False
                )
            test_loss, test_acc = evaluate(
                model, dataset.x_test, dataset.y_test, batch_size=settings.eval_batch_size
            )
            record = EpochRecord(
                epoch, lr, loss_sum / max(seen, 1), correct / max(seen, 1), test_loss, test_acc
            )
            history.append(record)
            log.info("epoch %d: %s", epoch, record)
    train_loss, train_acc = evaluate(model, x_all, y_all, batch_size=settings.eval_batch_size)
    if history:
        test_loss, test_acc = history[-1].test_loss, history[-1].test_accuracy
    else:
        test_loss, test_acc = evaluate(
            model, dataset.x_test, dataset.y_test, batch_size=settings.eval_batch_size
        )
    if not math.isfinite(train_loss):
        raise TrainingError(f"the training loss of the final model is {train_loss}")
    model.eval()
    return TrainResult(model, tuple(history), train_loss, train_acc, test_loss, test_acc, settings)


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """A network read back from a checkpoint, with everything needed to rebuild its data.

    Attributes
    ----------
    path : pathlib.Path
        The file read.
    model_name : str
        The :func:`dnnspec.models.build_model` name.
    model_kwargs : dict
        Its options (``input_shape`` as a tuple).
    model : torch.nn.Module
        Rebuilt with the saved weights, in eval mode.
    data_settings : DataSettings
        Rebuild the training data with :func:`dnnspec.data.load_dataset`.
    train_settings : TrainSettings
        How it was trained.
    history : tuple of EpochRecord
        One per epoch.
    metrics : dict
        Final losses and accuracies.
    n_parameters : int
        Trainable parameters.
    """

    path: Path
    model_name: str
    model_kwargs: dict[str, Any]
    model: nn.Module
    data_settings: DataSettings
    train_settings: TrainSettings
    history: tuple[EpochRecord, ...]
    metrics: dict[str, Any] = field(default_factory=dict)
    n_parameters: int = 0


def save_checkpoint(
    path: str | os.PathLike,
    *,
    model_name: str,
    model_kwargs: dict[str, Any],
    model: nn.Module,
    data_settings: DataSettings,
    train_settings: TrainSettings,
    history: Sequence[EpochRecord | dict] = (),
    metrics: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint atomically in the documented format.

    ``build_model(model_name, **model_kwargs)`` must rebuild ``model``'s architecture
    (``model_kwargs`` holds plain JSON values; ``input_shape`` may be a tuple).

    Parameters
    ----------
    path : str or path-like
        The file to write.
    model_name : str
        The :func:`dnnspec.models.build_model` name.
    model_kwargs : dict
        Its options.
    model : torch.nn.Module
        Whose ``state_dict`` is saved (on the CPU).
    data_settings : DataSettings
        The training data.
    train_settings : TrainSettings
        The recipe.
    history : sequence of EpochRecord or dict
        One per epoch.
    metrics : dict, optional
        Final losses and accuracies.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        The metadata is not plain JSON.
    """
    path = Path(path)
    kwargs = {k: list(v) if isinstance(v, tuple) else v for k, v in model_kwargs.items()}
    blob = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "model_name": model_name,
        "model_kwargs": kwargs,
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "data_settings": data_settings.as_dict(),
        "train_settings": train_settings.as_dict(),
        "history": [h.as_dict() if isinstance(h, EpochRecord) else dict(h) for h in history],
        "metrics": dict(metrics or {}),
        "n_parameters": count_parameters(model),
        "torch_version": str(torch.__version__),
        "optimizer_library": optimizer_library(train_settings.optimizer),
        # results are reproducible for a seed at a fixed thread count (reductions split by thread)
        "torch_threads": int(torch.get_num_threads()),
    }
    try:
        json.dumps({k: v for k, v in blob.items() if k != "state_dict"}, allow_nan=True)
    except TypeError as exc:
        raise ValueError(f"checkpoint metadata must be plain JSON values ({exc})") from None
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        torch.save(blob, fh)
    return path


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint` and rebuild its model (eval mode).

    Parameters
    ----------
    path : str or path-like
        The checkpoint file.

    Returns
    -------
    Checkpoint
        The model with its weights, settings, history and metrics.

    Raises
    ------
    CheckpointError
        Missing file, not a torch file, no ``hessian-spectra/dnn-checkpoint`` tag, an unknown
        version, or weights that do not fit the recorded architecture; one line naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]
        raise CheckpointError(f"{path}: not a readable torch checkpoint ({reason})") from None
    if not isinstance(blob, dict) or blob.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: not a dnnspec checkpoint (no format tag {CHECKPOINT_FORMAT!r})")
    if blob.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint version {blob.get('version')!r} is not supported "
            f"(expected {CHECKPOINT_VERSION})"
        )
    try:
        kwargs = dict(blob["model_kwargs"])
        if "input_shape" in kwargs:
            kwargs["input_shape"] = tuple(kwargs["input_shape"])
        model = build_model(blob["model_name"], **kwargs)
        model.load_state_dict(blob["state_dict"])
        data_settings = DataSettings.from_dict(blob["data_settings"])
        train_settings = TrainSettings.from_dict(blob["train_settings"])
        history = tuple(EpochRecord(**h) for h in blob.get("history", []))
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise CheckpointError(
            f"{path}: checkpoint does not match its recorded model or settings ({reason})"
        ) from None
    bad = [
        name
        for name, value in model.state_dict().items()
        if value.is_floating_point() and not torch.isfinite(value).all()
    ]
    if bad:
        raise CheckpointError(
            f"{path}: {len(bad)} weight tensor(s) hold NaN or infinite values (first: {bad[0]}); "
            "the training diverged or the file is damaged"
        )
    model.eval()
    return Checkpoint(
        path=path,
        model_name=blob["model_name"],
        model_kwargs=kwargs,
        model=model,
        data_settings=data_settings,
        train_settings=train_settings,
        history=history,
        metrics=dict(blob.get("metrics", {})),
        n_parameters=count_parameters(model),
    )


def _check_number(
    label: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Raise ``ValueError`` unless ``value`` is a finite real number in the stated interval."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (low is None or (value > low if low_open else value >= low))
    ok = ok and (high is None or (value < high if high_open else value <= high))
    if not ok:
        left = "(-inf" if low is None else f"{'(' if low_open else '['}{low:g}"
        right = "inf)" if high is None else f"{high:g}{')' if high_open else ']'}"
        raise ValueError(f"{label} must be a finite number in {left}, {right}, got {value!r}")
