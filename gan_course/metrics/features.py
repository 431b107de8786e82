"""The course's own feature networks for image metrics: classifiers trained here, never downloaded.

The Inception score and FID judge a generator through a classifier trained on real images:
Salimans et al. (2016) and Heusel et al. (2017) use Inception v3 trained on ImageNet. The
course runs offline and on digits, so it trains its own small classifier on the train split
of a digit set instead, as the talk's slide on CIFAR-10's Inception score sets a "classifier
trained on Cifar10" beside the one trained on ImageNet:

    classifier = digit_classifier("mnist5k")     # trained once (about 10 s), then read from the cache
    classifier.held_out_accuracy                  # ≈ 0.98 on the 1,000 held-out digits
    features = classifier_features(classifier, images)             # (N, 128): FID, KID, precision/recall
    probabilities = classifier_probabilities(classifier, images)   # (N, 10): the classifier score

- ``DigitClassifier``: a small CNN for 1×28×28 (MNIST) or 1×8×8 (scikit-learn) digits with
  pixels in [-1, 1]; ``features`` gives its penultimate activations φ(x), ``forward`` its logits.
- ``train_digit_classifier``: the seeded, deterministic training recipe.
- ``digit_classifier``: the trained classifier of a data set, from memory, the cache or training.
- ``cache_folder``: where trained weights are kept: ``$GAN_COURSE_CACHE``, else the user's cache.
- ``classifier_features``, ``classifier_probabilities``: φ(x) and p(y|x) of many images, batched.

CIFAR-10 gets a classifier of its own, the "classifier trained on CIFAR-10" beside Inception
in the Inception scores of Rosca et al. (2017, α-GAN), trained on CIFAR-10's training split,
which is read from a folder (``load_images("cifar10", root=...)``; nothing is downloaded):

    classifier = cifar10_classifier(root)          # trained once (a few minutes on a GPU), then cached
    classifier.held_out_accuracy                    # on CIFAR-10's 10,000 test images

- ``CIFAR10Classifier``: a VGG-style CNN with batch norm for 3×32×32 images, pixels in [-1, 1],
  with the digit classifier's interface (``features``, ``forward``, ``num_features``).
- ``train_cifar10_classifier``: its recipe (``CIFAR10Recipe``), with random crops and mirroring
  (``random_crops_and_flips``).
- ``cifar10_classifier``: the trained classifier, from memory, the cache or training; it raises
  ``ClassifierDataMissing`` (one sentence naming the fix) when it must train and cannot read
  CIFAR-10.

Scores computed with these classifiers are comparable with each other, not with published
Inception-based numbers: the feature space is different.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gan_course.config import device as default_device
from gan_course.config import progress_bar
from gan_course.data.images import NATIVE_RESOLUTION, ImageSet, load_images
from gan_course.validation import check_int, refuse_byte_pixels, refuse_holder

Tensor = torch.Tensor

CLASSIFIER_SETS = ("mnist5k", "digits8")
"""The digit sets a classifier can be trained on (their sizes come from ``NATIVE_RESOLUTION``)."""

CACHE_ENV_VAR = "GAN_COURSE_CACHE"

RECIPE_VERSION = "v1"
"""Part of the cache file's name: bump it whenever the architecture or the training recipe
changes, so that weights trained by an older recipe are never read."""

NUM_FEATURES = 128
NUM_CLASSES = 10

EPOCHS = 15
BATCH_SIZE = 64
PEAK_LEARNING_RATE = 3e-3
# Random shifts of up to 2 pixels make the 4,000 MNIST digits look like more (held-out accuracy
# 97.7% → 98.1% at seed 0); a pixel is an eighth of an 8×8 digit, and shifting those hurt (98.9% → 97.5%).
SHIFT_PIXELS = {28: 2, 8: 0}

# What a truncated or foreign cache file raises in torch.load or load_state_dict: it is retrained.
_UNREADABLE_CACHE = (RuntimeError, EOFError, KeyError, TypeError, ValueError, OSError,
                     pickle.UnpicklingError, zipfile.BadZipFile)

_memo: dict[Path, nn.Module] = {}  # cache file → classifier, so a notebook's later calls are instant


class ImageClassifier(nn.Module):
    """What FID, KID, precision/recall and the classifier score take from a classifier: the
    features φ(x) = body(x) and the logits head(φ(x)). A subclass builds ``body`` and ``head`` and
    says which images it takes (``image_shape``) and, for other shapes, what to do instead."""

    name: str                # "the digit classifier": how its error messages call it
    image_shape: tuple       # (C, H, W) of one image
    wrong_shape_fix: str     # the end of the one-sentence error for other shapes

    def check_images(self, images: Tensor) -> Tensor:
        """``images`` if they are (N, *image_shape) floats, else a one-sentence error naming the fix."""
        refuse_holder(images, "images")
        if not torch.is_tensor(images) or not images.is_floating_point():
            raise TypeError(f"{self.name} takes a float tensor of images, got "
                            f"{getattr(images, 'dtype', type(images).__name__)}; load them with "
                            "load_images(..., pixels='gan') or call .float() on a generator's output.")
        if images.dim() != 4 or tuple(images.shape[1:]) != self.image_shape:
            shape = ", ".join(map(str, self.image_shape))
            raise ValueError(f"{self.name} takes images of shape (N, {shape}), got "
                             f"{tuple(images.shape)}; {self.wrong_shape_fix}")
        if images.shape[0] == 0:
            raise ValueError("there are no images to classify: pass at least one.")
        dtype = next(self.parameters()).dtype
        if images.dtype != dtype:
            raise TypeError(f"{self.name} has {dtype} weights, got {images.dtype} images; convert "
                            f"them with .to({dtype}).")
        refuse_byte_pixels(images, self.name)
        return images

    def features(self, images: Tensor) -> Tensor:
        """φ(x): (N, num_features)."""
        return self.body(self.check_images(images))

    def forward(self, images: Tensor) -> Tensor:
        """The logits: (N, 10); softmax gives p(y|x)."""
        return self.head(self.features(images))


class DigitClassifier(ImageClassifier):
    """A small CNN for 1-channel digits of ``size`` 28 (MNIST) or 8 (scikit-learn), pixels in [-1, 1].

    Two 3×3 convolutions (16 and 32 channels), each followed by ReLU and 2×2 max pooling, then a
    fully connected layer of ``num_features`` = 128 ReLU units, φ(x), and a linear layer to the
    10 digit logits. φ(x) is the feature space of FID, KID and precision/recall; the logits'
    softmax p(y|x) is the classifier score's.
    """

    def __init__(self, size: int = 28):
        super().__init__()
        if size not in SHIFT_PIXELS:
            raise ValueError(f"DigitClassifier takes 28×28 or 8×8 digits, got size={size!r}; "
                             "pass size=28 (MNIST) or size=8 (scikit-learn's digits).")
        self.size = size
        self.name = f"the digit classifier for {size}×{size} digits"
        self.image_shape = (1, size, size)
        self.wrong_shape_fix = ("reshape them, or use the classifier of the set they come from "
                                "(digit_classifier('mnist5k') for 28×28, 'digits8' for 8×8).")
        self.num_features = NUM_FEATURES  # torchmetrics' FID and KID read it
        pooled = size // 4  # two 2×2 poolings: 28 → 7, 8 → 2
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * pooled * pooled, NUM_FEATURES), nn.ReLU(),
        )
        self.head = nn.Linear(NUM_FEATURES, NUM_CLASSES)


# --------------------------------------------------------------------------- training


def random_shifts(images: Tensor, max_shift: int, generator: torch.Generator) -> Tensor:
    """Each image moved by its own random offset of −max_shift..max_shift pixels in each direction,
    the uncovered border filled with the background (−1, black in the "gan" pixel range)."""
    if max_shift == 0:
        return images
    n, _, height, width = images.shape
    padded = F.pad(images, (max_shift,) * 4, value=-1.0)
    top = torch.randint(0, 2 * max_shift + 1, (n,), generator=generator)
    left = torch.randint(0, 2 * max_shift + 1, (n,), generator=generator)
    rows = (top[:, None] + torch.arange(height))[:, :, None]   # (n, H, 1)
    columns = (left[:, None] + torch.arange(width))[:, None, :]  # (n, 1, W)
    return padded[torch.arange(n)[:, None, None], 0, rows, columns].unsqueeze(1)


def accuracy(classifier: nn.Module, images: Tensor, labels: Tensor) -> float:
    """The share of ``images`` whose most probable digit is their label."""
    predicted = classifier_probabilities(classifier, images).argmax(dim=1)
    return float((predicted == labels.cpu()).float().mean())


def train_digit_classifier(data: str = "mnist5k", seed: int = 0, epochs: int = EPOCHS) -> DigitClassifier:
    """A ``DigitClassifier`` trained on the train split of ``data``, deterministically from ``seed``.

    Cross-entropy, Adam with a one-cycle learning rate (peak 3e-3), batches of 64, 15 epochs,
    random shifts of ±2 pixels for the 28×28 digits; on the CPU and on one thread, so the weights
    do not depend on the machine's device or core count. The same in quick and full mode: the
    cached weights serve both. Returns the classifier in eval mode, frozen, with
    ``held_out_accuracy`` (on the held-out split) and ``data``.
    """
    data = _check_data(data)
    seed, epochs = check_int(seed, "seed", minimum=0), check_int(epochs, "epochs")
    # One thread: the sums in a convolution are split by thread, so two threads gave other weights
    # (held-out accuracy 97.9% instead of 98.1%); and with another process on a 2-core machine
    # two threads took 84 s against 10 s.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        classifier = _train(data, seed, epochs)
    finally:
        torch.set_num_threads(threads)
    return _ready(classifier, data)


def _train(data: str, seed: int, epochs: int) -> DigitClassifier:
    train = load_images(data, split="train", pixels="gan")
    generator = torch.Generator().manual_seed(seed)
    # The initial weights come from the global generator: fork it, so that a notebook's later random
    # numbers are the same whether this cell trained the classifier or read it from the cache.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        classifier = DigitClassifier(NATIVE_RESOLUTION[data])
    optimiser = torch.optim.Adam(classifier.parameters())
    batches_per_epoch = -(-len(train) // BATCH_SIZE)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, PEAK_LEARNING_RATE,
                                                   total_steps=epochs * batches_per_epoch)
    for _ in range(epochs):
        for batch in torch.randperm(len(train), generator=generator).split(BATCH_SIZE):
            images = random_shifts(train.images[batch], SHIFT_PIXELS[classifier.size], generator)
            loss = F.cross_entropy(classifier(images), train.labels[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
    return classifier


def _ready(classifier: DigitClassifier, data: str) -> DigitClassifier:
    """The classifier frozen in eval mode, with its data set's name and held-out accuracy."""
    classifier.eval().requires_grad_(False)
    held_out = load_images(data, split="held_out", pixels="gan")
    classifier.data = data
    classifier.held_out_accuracy = accuracy(classifier, held_out.images, held_out.labels)
    return classifier


def _check_data(data: str) -> str:
    if data not in CLASSIFIER_SETS:
        raise ValueError(f"there is a digit classifier for {' and '.join(CLASSIFIER_SETS)} only, got "
                         f"data={data!r}; classify the channels of stacked MNIST with the 'mnist5k' one.")
    return data


# --------------------------------------------------------------------------- the cache


def cache_folder() -> Path:
    """Where trained weights are kept: ``$GAN_COURSE_CACHE`` if set, else the user's cache folder
    (``platformdirs.user_cache_dir("gan-course")``, e.g. ~/.cache/gan-course on Linux)."""
    folder = os.environ.get(CACHE_ENV_VAR, "").strip()
    if folder:
        return Path(folder).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("gan-course"))


def cache_file(data: str) -> Path:
    """The cache file of the classifier of ``data``; its name carries ``RECIPE_VERSION``."""
    return cache_folder() / f"digit_classifier_{_check_data(data)}_{RECIPE_VERSION}.pt"


def _save_atomically(state_dict: dict, path: Path) -> None:
    # A temporary file in the same folder, renamed over the target: a reader (another notebook,
    # a parallel test) sees the old file or the whole new one, never half of it.
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(state_dict, file)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _load_cached(data: str, path: Path) -> DigitClassifier | None:
    """The classifier stored at ``path``, or None when the file is missing or unreadable."""
    if not path.is_file():
        return None
    classifier = DigitClassifier(NATIVE_RESOLUTION[data])
    try:
        classifier.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    except _UNREADABLE_CACHE:
        return None
    return _ready(classifier, data)


def digit_classifier(data: str = "mnist5k") -> DigitClassifier:
    """The course's classifier of the digit set ``data`` ("mnist5k" or "digits8"), trained on its
    train split, frozen in eval mode, with ``held_out_accuracy`` and ``data`` attributes.

    Trained by ``train_digit_classifier(data, seed=0)`` the first time (about 10 s for mnist5k
    on one CPU thread), then read from ``cache_file(data)``; a missing or corrupt file is
    retrained. Repeated calls in one process return the same classifier at once.
    """
    path = cache_file(data)
    if path in _memo:
        return _memo[path]
    classifier = _load_cached(data, path)
    if classifier is None:
        print(f"training the digit classifier for FID and the classifier score on {data} "
              f"(once, seconds on a CPU); cached at {path}")
        classifier = train_digit_classifier(data, seed=0)
        _save_atomically(classifier.state_dict(), path)
    _memo[path] = classifier
    return classifier


# --------------------------------------------------------------------------- the CIFAR-10 classifier


CIFAR10_RECIPE_VERSION = "v1"
"""Part of the CIFAR-10 classifier's cache file name, bumped on its own: changing this recipe never
retrains the digit classifiers (whose ``RECIPE_VERSION`` lesson 09's stored numbers depend on)."""


@dataclass(frozen=True)
class CIFAR10Recipe:
    """How ``train_cifar10_classifier`` trains: the network's width, SGD with Nesterov momentum and
    weight decay under a one-cycle learning rate, and the augmentation's padding."""

    width: int = 64                   # channels of the first stage; 128 and 256 in the next two
    epochs: int = 30
    batch_size: int = 256
    peak_learning_rate: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    crop_padding: int = 4             # random 32×32 crops of the image padded to 40×40 by reflection


CIFAR10_RECIPE = CIFAR10Recipe()
CIFAR10_SHAPE = (3, 32, 32)


class ClassifierDataMissing(FileNotFoundError):
    """The data a classifier must be trained on cannot be read; the message names the fix."""


def _convolution(channels_in: int, channels_out: int) -> nn.Sequential:
    # no bias: the batch norm that follows has its own shift
    return nn.Sequential(nn.Conv2d(channels_in, channels_out, 3, padding=1, bias=False),
                         nn.BatchNorm2d(channels_out), nn.ReLU())


class CIFAR10Classifier(ImageClassifier):
    """A VGG-style CNN for 3×32×32 CIFAR-10 images, pixels in [-1, 1].

    Three stages of two 3×3 convolutions, each followed by batch norm and ReLU, then 2×2 max
    pooling (``width``, 2·width and 4·width channels; 32 → 16 → 8 → 4 pixels), and a global
    average pooling to ``num_features`` = 4·width = 256 units, φ(x) (like Inception v3's pool3
    features, which FID uses), then a linear layer to the 10 class logits. Deeper and wider than
    the digit classifier, whose two narrow convolutions were made for digits: a classifier score
    means little from a classifier that is often wrong on real images.
    """

    size = 32
    name = "the CIFAR-10 classifier"
    image_shape = CIFAR10_SHAPE
    wrong_shape_fix = "pass colour images of CIFAR-10's size."

    def __init__(self, width: int = CIFAR10_RECIPE.width):
        super().__init__()
        self.width = check_int(width, "width")
        self.num_features = 4 * self.width  # torchmetrics' FID and KID read it
        stages, channels = [], CIFAR10_SHAPE[0]
        for out in (self.width, 2 * self.width, 4 * self.width):
            stages += [_convolution(channels, out), _convolution(out, out), nn.MaxPool2d(2)]
            channels = out
        self.body = nn.Sequential(*stages, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(self.num_features, NUM_CLASSES)


def random_crops_and_flips(images: Tensor, padding: int, generator: torch.Generator) -> Tensor:
    """Each image padded by ``padding`` pixels on every side by reflection, cropped back to its size
    at a random offset, and mirrored left–right with probability 1/2: the standard CIFAR-10
    augmentation. The random numbers come from ``generator`` (on the CPU); the images stay on
    their device."""
    n, channels, height, width = images.shape
    top = torch.randint(0, 2 * padding + 1, (n,), generator=generator)
    left = torch.randint(0, 2 * padding + 1, (n,), generator=generator)
    mirrored = torch.rand(n, generator=generator) < 0.5
    rows = top[:, None] + torch.arange(height)                          # (n, H)
    columns = left[:, None] + torch.arange(width)                       # (n, W)
    columns = torch.where(mirrored[:, None], columns.flip(1), columns)  # a mirror reads right to left
    padded = F.pad(images, (padding,) * 4, mode="reflect") if padding else images
    index = [torch.arange(n)[:, None, None, None], torch.arange(channels)[None, :, None, None],
             rows[:, None, :, None], columns[:, None, None, :]]
    return padded[tuple(part.to(images.device) for part in index)]


def train_cifar10_classifier(train: ImageSet, held_out: ImageSet, seed: int = 0,
                             recipe: CIFAR10Recipe = CIFAR10_RECIPE, device=None) -> CIFAR10Classifier:
    """A ``CIFAR10Classifier`` trained on ``train`` (CIFAR-10's training split, pixels "gan"),
    with ``held_out_accuracy`` measured on ``held_out`` (its test split).

    The recipe (``CIFAR10_RECIPE``): cross-entropy; SGD with Nesterov momentum 0.9 and weight
    decay 5e-4; a one-cycle learning rate rising to 0.1 over the first 30% of the steps, then
    annealed (Smith & Topin 2019); batches of 256 (the last incomplete one of each epoch
    skipped), 30 epochs; each image randomly cropped from its 4-pixel reflection padding and
    mirrored with probability 1/2 (``random_crops_and_flips``). No label smoothing, which would
    temper p(y|x) and so the classifier score. About 5,900 steps of a 1.1-million-parameter
    network, 1.4 PFLOP in all: estimated at a minute or two on one A100/H100-class GPU, hours on
    a CPU. Networks of this kind trained this way typically reach about 90% on CIFAR-10's test
    images; this recipe has not been run on CIFAR-10 itself where it was written (no copy there),
    so read ``held_out_accuracy``, which ``gan-course evaluate`` prints beside the score.

    Trained on ``device`` (default: the best one); seeded (the order of the batches, the
    augmentation and the initial weights), and the global random state is left as it was, but
    cuDNN's convolutions are not bit-for-bit reproducible, so the weights depend on the machine:
    compare scores computed with the same cached classifier (``cifar10_classifier``). Returns the
    classifier in eval mode, frozen, on ``device``, with ``held_out_accuracy`` and ``data``.
    """
    seed = check_int(seed, "seed", minimum=0)
    device = default_device() if device is None else torch.device(device)
    if len(train) < recipe.batch_size:
        raise ValueError(f"the CIFAR-10 classifier trains on batches of {recipe.batch_size} images, but "
                         f"the training set holds {len(train)}; pass the whole training split.")
    # as for the digits: the initial weights come from a fork of the global generator
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        classifier = CIFAR10Classifier(recipe.width)
    with torch.enable_grad():  # also when called under torch.no_grad(), as an evaluation may be
        _fit_cifar10(classifier.to(device), train, recipe, torch.Generator().manual_seed(seed))
    classifier.eval().requires_grad_(False)
    return _ready_cifar10(classifier, accuracy(classifier, held_out.images, held_out.labels))


def _fit_cifar10(classifier: CIFAR10Classifier, train: ImageSet, recipe: CIFAR10Recipe,
                 generator: torch.Generator) -> None:
    device = next(classifier.parameters()).device
    # the whole set on the device once (600 MB for CIFAR-10), so batches are not copied there one by one
    images, labels = train.images.to(device), train.labels.to(device)
    optimiser = torch.optim.SGD(classifier.parameters(), lr=recipe.peak_learning_rate,
                                momentum=recipe.momentum, nesterov=True, weight_decay=recipe.weight_decay)
    batches_per_epoch = len(train) // recipe.batch_size  # full batches only: batch norm's statistics
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, recipe.peak_learning_rate, cycle_momentum=False,
                                                   total_steps=recipe.epochs * batches_per_epoch)
    classifier.train()
    for _ in progress_bar(range(recipe.epochs), desc="training the CIFAR-10 classifier (epochs)"):
        order = torch.randperm(len(train), generator=generator)[:batches_per_epoch * recipe.batch_size]
        for batch in order.to(device).split(recipe.batch_size):
            augmented = random_crops_and_flips(images[batch], recipe.crop_padding, generator)
            loss = F.cross_entropy(classifier(augmented), labels[batch])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()


def _ready_cifar10(classifier: CIFAR10Classifier, held_out_accuracy: float) -> CIFAR10Classifier:
    classifier.eval().requires_grad_(False)
    classifier.data = "cifar10"
    classifier.held_out_accuracy = held_out_accuracy
    return classifier


def read_cifar10(root) -> tuple[ImageSet, ImageSet]:
    """CIFAR-10's training and test splits from the folder ``root``, pixels in [-1, 1]; raises
    ``ClassifierDataMissing`` (one sentence naming the fix) when they cannot be read."""
    try:
        return tuple(load_images("cifar10", split=split, pixels="gan", root=root)
                     for split in ("train", "held_out"))
    # the loader's own sentences: no root, no torchvision, or no CIFAR-10 in root
    except (ValueError, ImportError, FileNotFoundError) as error:
        raise ClassifierDataMissing(f"the CIFAR-10 classifier is trained once on CIFAR-10's training split "
                                    f"(then kept in {cifar10_cache_file()}), which cannot be read "
                                    f"because {error}") from error


def cifar10_cache_file() -> Path:
    """The cache file of the CIFAR-10 classifier; its name carries ``CIFAR10_RECIPE_VERSION``."""
    return cache_folder() / f"cifar10_classifier_{CIFAR10_RECIPE_VERSION}.pt"


def _load_cached_cifar10(path: Path) -> CIFAR10Classifier | None:
    """The classifier stored at ``path``, or None when the file is missing or unreadable."""
    if not path.is_file():
        return None
    try:
        stored = torch.load(path, map_location="cpu", weights_only=True)
        classifier = CIFAR10Classifier(stored["width"])
        classifier.load_state_dict(stored["weights"])
        held_out_accuracy = float(stored["held_out_accuracy"])
    except _UNREADABLE_CACHE:
        return None
    return _ready_cifar10(classifier, held_out_accuracy)


def cifar10_classifier(root=None) -> CIFAR10Classifier:
    """The course's CIFAR-10 classifier, trained on CIFAR-10's training split, frozen in eval mode
    on the best device, with ``held_out_accuracy`` (on the 10,000 test images) and ``data``.

    Read from ``cifar10_cache_file()`` when it is there (then ``root`` is not needed); else
    CIFAR-10 is read from the folder ``root`` and the classifier trained by
    ``train_cifar10_classifier(..., seed=0)`` (a few minutes on a GPU) and cached, with its
    held-out accuracy, so that it is measured once; a corrupt file is retrained. Repeated calls
    in one process return the same classifier at once. Raises ``ClassifierDataMissing`` when it
    must train and CIFAR-10 cannot be read.
    """
    path = cifar10_cache_file()
    if path in _memo:
        return _memo[path]
    classifier = _load_cached_cifar10(path)
    if classifier is None:
        train, held_out = read_cifar10(root)
        print(f"training the CIFAR-10 classifier for FID and the classifier score (once: minutes on a GPU, "
              f"hours on a CPU); cached at {path}")
        classifier = train_cifar10_classifier(train, held_out, seed=0, recipe=CIFAR10_RECIPE)
        weights = {name: tensor.cpu() for name, tensor in classifier.state_dict().items()}
        _save_atomically({"weights": weights, "width": classifier.width,
                          "held_out_accuracy": classifier.held_out_accuracy}, path)
    _memo[path] = classifier.to(default_device())
    return _memo[path]


# --------------------------------------------------------------------------- features of many images


@torch.no_grad()
def classifier_features(classifier: nn.Module, images: Tensor, batch_size: int = 500) -> Tensor:
    """φ(x) of every image: (N, num_features) float32 on the CPU, computed ``batch_size`` at a time."""
    return _in_batches(classifier.features, classifier, images, batch_size)


@torch.no_grad()
def classifier_probabilities(classifier: nn.Module, images: Tensor, batch_size: int = 500) -> Tensor:
    """p(y|x) of every image: (N, 10) float32 on the CPU, the softmax of the logits, ``batch_size``
    at a time."""
    return _in_batches(lambda batch: classifier(batch).softmax(dim=1), classifier, images, batch_size)


def _in_batches(function, classifier: nn.Module, images: Tensor, batch_size: int) -> Tensor:
    images = classifier.check_images(images)
    batch_size = check_int(batch_size, "batch_size")
    device = next(classifier.parameters()).device
    return torch.cat([function(batch.to(device)).float().cpu() for batch in images.split(batch_size)])


__all__ = [
    "ImageClassifier", "DigitClassifier", "train_digit_classifier", "digit_classifier",
    "cache_folder", "cache_file",
    "classifier_features", "classifier_probabilities", "random_shifts", "accuracy",
    "CLASSIFIER_SETS", "RECIPE_VERSION",
    "CIFAR10Classifier", "CIFAR10Recipe", "CIFAR10_RECIPE", "CIFAR10_RECIPE_VERSION", "ClassifierDataMissing",
    "train_cifar10_classifier", "cifar10_classifier", "cifar10_cache_file", "read_cifar10",
    "random_crops_and_flips",
]
