"""The names the command line offers, importable without torch.

So ``dnnspec --help`` works without the ``torch`` extra. The modules that implement them check
against these lists.
"""

from __future__ import annotations

#: Data sets :func:`dnnspec.data.load_dataset` reads.
DATASETS = ("mnist5k", "digits", "mnist", "fashion-mnist", "cifar10", "cifar100")
#: Networks :func:`dnnspec.models.build_model` builds.
MODEL_NAMES = ("lenet", "fcn", "fcn1", "fcn2", "fcn4", "linear4", "linear4-bn", "resnet18")
#: Activations of the fully connected and linear nets.
ACTIVATION_NAMES = ("relu", "tanh", "sigmoid", "gelu", "identity")
#: The paper's optimizers by name, in the order of its Table 6; any other ``torch.optim`` class
#: is accepted by name too.
OPTIMIZER_ALIASES = (
    "sgd", "vanilla-sgd", "adam", "amsgrad", "adabound", "yogi",
    "radam", "adai", "pnm", "lookahead", "diffgrad",
)  # fmt: skip
#: Those of them that come from the pytorch-optimizer library.
LIBRARY_OPTIMIZERS = ("adabound", "yogi", "adai", "pnm", "lookahead", "diffgrad")
