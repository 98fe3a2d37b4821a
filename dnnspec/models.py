"""The paper's networks: LeNet, fully connected nets, deep linear nets and a CIFAR ResNet18.

Every model takes images of shape (N, C, H, W) and returns logits of shape (N, n_classes);
the fully connected and linear nets flatten their input themselves.

=================  =====================================================================
name               network
=================  =====================================================================
``lenet``          LeNet-5: conv 6@5x5, max-pool, conv 16@5x5, max-pool, fc 120, 84, out
``fcn1/2/4``       1, 2 or 4 hidden layers of ``width`` units (default 100), ReLU
``fcn``            ``depth`` hidden layers (default 2)
``linear4``        4 linear layers (3 hidden of ``width``), no activation
``linear4-bn``     the same with BatchNorm after each hidden layer
``resnet18``       ResNet18, CIFAR variant (3x3 stem, no max-pool), base width 64
=================  =====================================================================
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

#: Activation modules by name.
ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "identity": nn.Identity,
}
# name -> (family, fixed options)
MODELS = {
    "lenet": ("lenet", {}),
    "fcn": ("fcn", {}),
    "fcn1": ("fcn", {"depth": 1}),
    "fcn2": ("fcn", {"depth": 2}),
    "fcn4": ("fcn", {"depth": 4}),
    "linear4": ("linear", {"depth": 4}),
    "linear4-bn": ("linear", {"depth": 4, "batch_norm": True}),
    "resnet18": ("resnet18", {}),
}
DEFAULT_WIDTH = {"fcn": 100, "linear": 100, "resnet18": 64}
DEFAULT_DEPTH = {"fcn": 2, "linear": 4}
DEFAULT_ACTIVATION = {"lenet": "relu", "fcn": "relu", "linear": "identity", "resnet18": "relu"}


def build_model(
    name: str,
    *,
    input_shape: Sequence[int],
    n_classes: int,
    width: int | None = None,
    depth: int | None = None,
    batch_norm: bool = False,
    activation: str | None = None,
    seed: int | None = None,
) -> nn.Module:
    """Build one of the paper's networks, freshly initialised.

    Parameters
    ----------
    name : str
        One of :data:`MODELS` (case-insensitive).
    input_shape : sequence of 3 int
        ``(C, H, W)`` of the input images.
    n_classes : int >= 2
    width : int or None
        Hidden units of the fully connected and linear nets (default 100), base channels of
        ResNet18 (default 64). LeNet's widths are fixed.
    depth : int or None
        Hidden layers of ``"fcn"`` (default 2) or linear layers of a linear net (``"linear4"``
        fixes 4); the names ``fcn1``, ``fcn2``, ``fcn4`` fix it.
    batch_norm : bool
        BatchNorm after each hidden layer (LeNet: after each convolution). ResNet18 always has it.
    activation : {"relu", "tanh", "sigmoid", "gelu", "identity"} or None
        None: ReLU, or identity for the linear nets.
    seed : int or None
        Seeds the initialisation without touching torch's global generator; None draws from it.

    Returns
    -------
    torch.nn.Module
        Maps float32 images (N, C, H, W) to logits (N, n_classes).

    Examples
    --------
    >>> net = build_model("lenet", input_shape=(1, 28, 28), n_classes=10, seed=0)
    >>> sum(p.numel() for p in net.parameters())
    61706
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {name!r}")
    family, fixed = MODELS[key]
    shape = tuple(input_shape)
    if len(shape) != 3 or not all(isinstance(s, int) and s > 0 for s in shape):
        raise ValueError(f"input_shape must be three positive ints (C, H, W), got {input_shape!r}")
    if not isinstance(n_classes, int) or isinstance(n_classes, bool) or n_classes < 2:
        raise ValueError(f"n_classes must be an int >= 2, got {n_classes!r}")
    for label, value in (("width", width), ("depth", depth)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise ValueError(f"{label} must be a positive int or None, got {value!r}")
    if depth is not None and "depth" in fixed and depth != fixed["depth"]:
        raise ValueError(f"model {key!r} has depth {fixed['depth']}, got depth={depth}")
    if family == "lenet" and width is not None:
        raise ValueError(f"lenet has fixed widths (6, 16, 120, 84); got width={width}")
    if family == "resnet18" and depth is not None:
        raise ValueError(f"resnet18 has a fixed depth; got depth={depth}")
    activation = DEFAULT_ACTIVATION[family] if activation is None else activation
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {activation!r}")
    batch_norm = bool(batch_norm or fixed.get("batch_norm", False))
    width = DEFAULT_WIDTH.get(family) if width is None else width
    depth = fixed.get("depth", DEFAULT_DEPTH.get(family)) if depth is None else depth

    def make() -> nn.Module:
        if family == "lenet":
            return LeNet(shape, n_classes, batch_norm=batch_norm, activation=activation)
        if family == "fcn":
            return FCN(
                shape, n_classes, width=width, depth=depth, batch_norm=batch_norm, activation=activation
            )
        if family == "linear":
            return LinearNet(
                shape, n_classes, width=width, depth=depth, batch_norm=batch_norm, activation=activation
            )
        return ResNet18(shape, n_classes, width=width, activation=activation)

    if seed is None:
        return make()
    with torch.random.fork_rng(devices=[]):  # restores the global generator afterwards
        torch.manual_seed(seed)
        return make()


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters (the dimension of the loss Hessian).

    Parameters
    ----------
    model : torch.nn.Module
        Any model.

    Returns
    -------
    int
        Elements of the parameters with ``requires_grad``.
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class LeNet(nn.Module):
    """LeNet-5 with max-pooling.

    On 28 x 28 inputs the first convolution pads by 2 (so the feature maps are those of the
    original 32 x 32 net): 61,706 parameters for one channel and 10 classes; 62,006 on
    32 x 32 x 3 (CIFAR) without padding. Needs inputs of at least 28 x 28.

    Parameters
    ----------
    input_shape : sequence of 3 int
        ``(C, H, W)`` of the input images, ``H, W >= 28``.
    n_classes : int
        Logits out.
    batch_norm : bool
        BatchNorm after each convolution.
    activation : str
        A key of :data:`ACTIVATIONS`.
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        n_classes: int,
        *,
        batch_norm: bool = False,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        channels, height, width = input_shape
        if min(height, width) < 28:
            raise ValueError(f"lenet needs images of at least 28 x 28, got {height} x {width}")
        pad = 2 if (height, width) == (28, 28) else 0
        act = ACTIVATIONS[activation]
        norm = (lambda c: nn.BatchNorm2d(c)) if batch_norm else (lambda c: nn.Identity())
        self.features = nn.Sequential(
            nn.Conv2d(channels, 6, 5, padding=pad),
            norm(6),
            act(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5),
            norm(16),
            act(),
            nn.MaxPool2d(2),
        )
        h, w = (height + 2 * pad - 4) // 2, (width + 2 * pad - 4) // 2
        h, w = (h - 4) // 2, (w - 4) // 2
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * h * w, 120),
            act(),
            nn.Linear(120, 84),
            act(),
            nn.Linear(84, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of a batch of images.

        Parameters
        ----------
        x : Tensor, shape (N, C, H, W), float32
            Images.

        Returns
        -------
        Tensor, shape (N, n_classes)
            Logits.
        """
        return self.classifier(self.features(x))


def _mlp(
    n_in: int, n_out: int, *, width: int, hidden: int, batch_norm: bool, activation: str
) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Flatten()]
    for i in range(hidden):
        layers.append(nn.Linear(n_in if i == 0 else width, width))
        if batch_norm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(ACTIVATIONS[activation]())
    layers.append(nn.Linear(width if hidden else n_in, n_out))
    return layers


class FCN(nn.Sequential):
    """Fully connected net: flatten, ``depth`` hidden layers of ``width`` units, linear output.

    Parameters
    ----------
    input_shape : sequence of int
        ``(C, H, W)`` of the input images (flattened to ``C * H * W`` inputs).
    n_classes : int
        Logits out.
    width : int
        Units per hidden layer.
    depth : int
        Hidden layers (0: a linear classifier).
    batch_norm : bool
        BatchNorm after each hidden layer.
    activation : str
        A key of :data:`ACTIVATIONS`.
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        n_classes: int,
        *,
        width: int = 100,
        depth: int = 2,
        batch_norm: bool = False,
        activation: str = "relu",
    ) -> None:
        n_in = int(torch.Size(input_shape).numel())
        super().__init__(
            *_mlp(n_in, n_classes, width=width, hidden=depth, batch_norm=batch_norm, activation=activation)
        )


class LinearNet(nn.Sequential):
    """Deep linear net: ``depth`` linear layers (``depth - 1`` hidden of ``width``), no activation.

    ``batch_norm`` puts BatchNorm after each hidden layer; ``activation`` other than
    ``"identity"`` makes it an ordinary fully connected net of the same shape.

    Parameters
    ----------
    input_shape : sequence of int
        ``(C, H, W)`` of the input images (flattened to ``C * H * W`` inputs).
    n_classes : int
        Outputs.
    width : int
        Units per hidden layer.
    depth : int
        Linear layers, >= 1.
    batch_norm : bool
        BatchNorm after each hidden layer.
    activation : str
        A key of :data:`ACTIVATIONS` (``"identity"``: a linear net).
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        n_classes: int,
        *,
        width: int = 100,
        depth: int = 4,
        batch_norm: bool = False,
        activation: str = "identity",
    ) -> None:
        n_in = int(torch.Size(input_shape).numel())
        super().__init__(
            *_mlp(
                n_in, n_classes, width=width, hidden=depth - 1, batch_norm=batch_norm, activation=activation
            )
        )


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with BatchNorm and an identity (or 1x1 projection) shortcut.

    Parameters
    ----------
    n_in, n_out : int
        Channels in and out.
    stride : int
        Of the first convolution (and of the projection shortcut).
    activation : str
        A key of :data:`ACTIVATIONS`.
    """

    def __init__(self, n_in: int, n_out: int, *, stride: int, activation: str) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(n_in, n_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(n_out)
        self.conv2 = nn.Conv2d(n_out, n_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(n_out)
        self.act = ACTIVATIONS[activation]()
        self.shortcut = nn.Sequential()
        if stride != 1 or n_in != n_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(n_in, n_out, 1, stride=stride, bias=False), nn.BatchNorm2d(n_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The block's output.

        Parameters
        ----------
        x : Tensor, shape (N, n_in, H, W)
            Feature maps.

        Returns
        -------
        Tensor, shape (N, n_out, H / stride, W / stride)
            Feature maps.
        """
        out = self.act(self.bn1(self.conv1(x)))
        return self.act(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNet18(nn.Module):
    """ResNet18 for small images: 3x3 stem with stride 1, no max-pool, 4 stages of 2 blocks.

    Base width 64 gives the usual 11.2 M parameters (11,173,962 for 10 classes).

    Parameters
    ----------
    input_shape : sequence of int
        ``(C, H, W)`` of the input images; only ``C`` matters (global average pooling).
    n_classes : int
        Logits out.
    width : int
        Channels of the stem and the first stage (doubled at each later stage).
    activation : str
        A key of :data:`ACTIVATIONS`.
    """

    def __init__(
        self, input_shape: Sequence[int], n_classes: int, *, width: int = 64, activation: str = "relu"
    ) -> None:
        super().__init__()
        channels = input_shape[0]
        self.stem = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width),
            ACTIVATIONS[activation](),
        )
        blocks, n_in = [], width
        for stage in range(4):
            n_out = width * 2**stage
            for i in range(2):
                stride = 2 if stage > 0 and i == 0 else 1
                blocks.append(BasicBlock(n_in, n_out, stride=stride, activation=activation))
                n_in = n_out
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(n_in, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of a batch of images.

        Parameters
        ----------
        x : Tensor, shape (N, C, H, W), float32
            Images.

        Returns
        -------
        Tensor, shape (N, n_classes)
            Logits.
        """
        return self.head(self.blocks(self.stem(x)))
