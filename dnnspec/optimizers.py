"""The paper's optimizers (its Table 6), from ``torch.optim`` and the ``pytorch-optimizer`` library.

SGD, vanilla SGD, Adam, AMSGrad and RAdam come from ``torch.optim``; AdaBound, Yogi, Adai, PNM,
Lookahead and DiffGrad from `pytorch-optimizer <https://pypi.org/project/pytorch-optimizer/>`_
(a maintained collection; its version is written into every checkpoint trained with it). Any
other ``torch.optim`` class is accepted by name too.

Default learning rates follow the paper (SGD-like methods 0.1, adaptive ones 0.001) and, where
the paper is silent, the optimizer's authors: Adai's recommended rate is ten times SGD with
momentum's (1.0), PNM is a momentum method used at SGD's rate (0.1), and Lookahead wraps SGD
with momentum (k = 5, alpha = 0.5, the Lookahead paper's defaults). Weight decay is passed as
each optimizer's ``weight_decay`` with the library's own default coupling (the ``torch.optim``
classes add it to the gradient; the pytorch-optimizer ones, but Adai, decouple it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch

from dnnspec.names import LIBRARY_OPTIMIZERS, OPTIMIZER_ALIASES

if TYPE_CHECKING:
    from dnnspec.train import TrainSettings

__all__ = [
    "default_lr",
    "default_momentum",
    "make_optimizer",
    "optimizer_choices",
    "optimizer_library",
    "require_library",
]

# The paper: SGD at lr 0.1 with momentum 0.9, the Adam family at 0.001.
SGD_LR, ADAPTIVE_LR, SGD_MOMENTUM = 0.1, 1e-3, 0.9
#: Learning rates other than the paper's two defaults (see the module's notes).
_DEFAULT_LR = {"sgd": SGD_LR, "vanilla-sgd": SGD_LR, "adai": 1.0, "pnm": SGD_LR, "lookahead": SGD_LR}
#: Lookahead's own settings (Zhang et al. 2019): sync every k steps, step alpha towards the fast weights.
LOOKAHEAD_K, LOOKAHEAD_ALPHA = 5, 0.5
# Need a closure (LBFGS), sparse gradients (SparseAdam) or 2-D parameters only (Muon).
_UNSUPPORTED_OPTIMIZERS = {"lbfgs", "sparseadam", "muon", "optimizer"}
_LIBRARY_CLASSES = {
    "adabound": "AdaBound",
    "yogi": "Yogi",
    "adai": "Adai",
    "pnm": "PNM",
    "diffgrad": "DiffGrad",
}


def _torch_optimizers() -> dict[str, type[torch.optim.Optimizer]]:
    return {
        name.lower(): cls
        for name, cls in vars(torch.optim).items()
        if isinstance(cls, type)
        and issubclass(cls, torch.optim.Optimizer)
        and name.lower() not in _UNSUPPORTED_OPTIMIZERS
    }


def optimizer_choices() -> tuple[str, ...]:
    """Optimizer names :class:`~dnnspec.train.TrainSettings` accepts (case-insensitive).

    Returns
    -------
    tuple of str
        The paper's, in the order of its Table 6, then the other ``torch.optim`` classes,
        lower case, sorted.
    """
    return OPTIMIZER_ALIASES + tuple(sorted(set(_torch_optimizers()) - set(OPTIMIZER_ALIASES)))


def default_lr(name: str) -> float:
    """The learning rate an optimizer gets when none is given.

    Parameters
    ----------
    name : str
        A name of :func:`optimizer_choices`, lower case.

    Returns
    -------
    float
        0.1 for SGD, vanilla SGD, PNM and Lookahead (around SGD), 1.0 for Adai, 0.001 otherwise.
    """
    return _DEFAULT_LR.get(name, ADAPTIVE_LR)


def default_momentum(name: str) -> float | None:
    """The momentum an optimizer gets when none is given (None: the optimizer has no such option).

    Parameters
    ----------
    name : str
        A name of :func:`optimizer_choices`, lower case.

    Returns
    -------
    float or None
        0.9 for SGD and Lookahead's inner SGD, 0 for vanilla SGD, else None.
    """
    return {"sgd": SGD_MOMENTUM, "lookahead": SGD_MOMENTUM, "vanilla-sgd": 0.0}.get(name)


def optimizer_library(name: str) -> dict[str, str]:
    """The library (and its version) an optimizer comes from, for the checkpoint's record.

    Parameters
    ----------
    name : str
        A name of :func:`optimizer_choices`, lower case.

    Returns
    -------
    dict of str to str
        ``{"pytorch_optimizer": "4.1.0"}`` for the library's optimizers, ``{"torch": ...}`` else.
    """
    if name in LIBRARY_OPTIMIZERS:
        from importlib.metadata import version

        return {"pytorch_optimizer": version("pytorch_optimizer")}
    return {"torch": str(torch.__version__)}


def require_library(name: str) -> None:
    """Fail now, not after hours of a sweep, when an optimizer's library is not installed.

    Parameters
    ----------
    name : str
        A name of :func:`optimizer_choices`, lower case.

    Raises
    ------
    ImportError
        ``name`` comes from pytorch-optimizer and it is missing (the message says how to install it).
    """
    if name in LIBRARY_OPTIMIZERS:
        _library()


def _library() -> Any:
    try:
        import pytorch_optimizer
    except ImportError as exc:
        raise ImportError(
            f"AdaBound, Yogi, Adai, PNM, Lookahead and DiffGrad need pytorch-optimizer: "
            f"pip install 'hessian-spectra[torch]' ({exc})",
            name=exc.name,
        ) from exc
    return pytorch_optimizer


def make_optimizer(parameters: Iterable[torch.Tensor], settings: TrainSettings) -> torch.optim.Optimizer:
    """The optimizer ``settings`` names, with its learning rate, weight decay and momentum.

    Parameters
    ----------
    parameters : iterable of Tensor
        What it optimises (``model.parameters()``).
    settings : TrainSettings
        The optimizer's name and options.

    Returns
    -------
    torch.optim.Optimizer
        Lookahead is pytorch-optimizer's wrapper around SGD with momentum; its
        ``param_groups`` are the inner optimizer's (the learning-rate schedule reaches it).

    Raises
    ------
    ValueError
        The optimizer does not take one of the options.
    """
    name = settings.optimizer
    kwargs: dict[str, Any] = {"lr": settings.lr, "weight_decay": settings.weight_decay}
    if name == "lookahead":
        inner = torch.optim.SGD(parameters, momentum=settings.momentum, **kwargs)
        return _library().Lookahead(inner, k=LOOKAHEAD_K, alpha=LOOKAHEAD_ALPHA)
    if name in _LIBRARY_CLASSES:
        cls = getattr(_library(), _LIBRARY_CLASSES[name])
    else:
        cls = {"sgd": torch.optim.SGD, "vanilla-sgd": torch.optim.SGD, "amsgrad": torch.optim.Adam}.get(name)
        cls = cls or _torch_optimizers()[name]
    if name == "amsgrad":
        kwargs["amsgrad"] = True
    if settings.momentum is not None:
        kwargs["momentum"] = settings.momentum
    try:
        return cls(parameters, **kwargs)
    except TypeError as exc:
        raise ValueError(f"optimizer {name!r} does not take {sorted(kwargs)} ({exc})") from None
