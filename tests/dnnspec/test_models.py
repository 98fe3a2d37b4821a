"""dnnspec.models: the paper's networks, their sizes and output shapes."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from dnnspec.models import MODELS, build_model, count_parameters  # noqa: E402

MNIST, CIFAR, DIGITS = (1, 28, 28), (3, 32, 32), (1, 8, 8)


def test_lenet_has_61706_parameters_on_mnist():
    assert count_parameters(build_model("lenet", input_shape=MNIST, n_classes=10)) == 61_706


@pytest.mark.parametrize(
    "name,shape,kwargs,expected",
    [
        ("lenet", CIFAR, {}, 62_006),
        ("fcn1", MNIST, {}, 784 * 100 + 100 + 100 * 10 + 10),
        ("fcn2", MNIST, {"width": 10}, 784 * 10 + 10 + 10 * 10 + 10 + 10 * 10 + 10),
        ("fcn", DIGITS, {"depth": 3, "width": 5}, 64 * 5 + 5 + 2 * (5 * 5 + 5) + 5 * 10 + 10),
        ("linear4", MNIST, {}, 784 * 100 + 100 + 2 * (100 * 100 + 100) + 100 * 10 + 10),
        ("linear4-bn", MNIST, {}, 784 * 100 + 100 + 2 * (100 * 100 + 100) + 100 * 10 + 10 + 3 * 200),
        ("resnet18", CIFAR, {}, 11_173_962),
    ],
)
def test_parameter_counts(name, shape, kwargs, expected):
    assert count_parameters(build_model(name, input_shape=shape, n_classes=10, **kwargs)) == expected


CASES = [
    (name, shape)
    for name in MODELS
    for shape in (MNIST, CIFAR, DIGITS)
    if not (name == "lenet" and shape == DIGITS)
]


@pytest.mark.parametrize("name,shape", CASES)
def test_forward_shape(name, shape):
    kwargs = {"width": 8} if name == "resnet18" else {}
    model = build_model(name, input_shape=shape, n_classes=7, seed=0, **kwargs)
    model.eval()
    out = model(torch.randn(3, *shape))
    assert out.shape == (3, 7) and out.dtype == torch.float32 and torch.isfinite(out).all()


def test_resnet18_stem_has_no_maxpool():
    model = build_model("resnet18", input_shape=CIFAR, n_classes=10, width=8)
    assert not any(isinstance(m, torch.nn.MaxPool2d) for m in model.modules())
    assert model.stem[0].kernel_size == (3, 3) and model.stem[0].stride == (1, 1)


def test_linear_nets_are_linear():
    model = build_model("linear4", input_shape=DIGITS, n_classes=10, width=6, seed=0).double()
    a, b = torch.randn(2, 1, *DIGITS, dtype=torch.float64)
    bias = model(torch.zeros(1, *DIGITS, dtype=torch.float64))
    assert torch.allclose(model(a + b) - bias, (model(a) - bias) + (model(b) - bias))
    bn = build_model("linear4-bn", input_shape=DIGITS, n_classes=10)
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in bn.modules()) == 3


def test_seeded_init_is_reproducible_and_leaves_global_rng_alone():
    state = torch.random.get_rng_state()
    a = build_model("fcn2", input_shape=DIGITS, n_classes=10, seed=1)
    b = build_model("fcn2", input_shape=DIGITS, n_classes=10, seed=1)
    c = build_model("fcn2", input_shape=DIGITS, n_classes=10, seed=2)
    assert torch.equal(torch.random.get_rng_state(), state)
    pa, pb, pc = (torch.nn.utils.parameters_to_vector(m.parameters()) for m in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)


@pytest.mark.parametrize(
    "name,kwargs,match",
    [
        ("vgg16", {}, "lenet, fcn, fcn1"),
        ("fcn2", {"depth": 4}, "depth 2"),
        ("lenet", {"width": 10}, "fixed widths"),
        ("fcn1", {"activation": "swish"}, "activation must be one of"),
        ("fcn1", {"n_classes": 1}, "n_classes"),
        ("fcn1", {"input_shape": (28, 28)}, "input_shape"),
        ("lenet", {"input_shape": DIGITS}, "at least 28 x 28"),
    ],
)
def test_bad_arguments(name, kwargs, match):
    options = {"input_shape": MNIST, "n_classes": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        build_model(name, **options)
