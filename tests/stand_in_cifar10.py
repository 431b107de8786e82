"""Stand-in CIFAR-10 for tests: labelled 3×32×32 images read through the course's real loader.

CIFAR-10 is not offline (torchvision reads it from a folder, and may not even import here), so
tests of the CIFAR-10 classifier and of evaluating CIFAR-10 runs replace the one function that
reads it, ``gan_course.data.images.torchvision_bytes``; everything above it (``load_images``, the
split, the pixel range, the runs' ``experiment_images``) runs as for the real set.

The 10 classes are separable but not trivially: class k has one of 5 colours (k mod 5) and
stripes 4 pixels wide, horizontal for k < 5 and vertical for k ≥ 5, under strong pixel noise.
Random crops shift the stripes and mirroring keeps their direction, so the classes survive
CIFAR-10's augmentation.
"""

import torch

from gan_course.data import images as image_module

TRAIN_IMAGES, HELD_OUT_IMAGES = 600, 200
COLOURS = torch.tensor([[1.0, -1, -1], [-1, 1, -1], [-1, -1, 1], [1, 1, -1], [-1, 1, 1]])


def stand_in_images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n images as bytes (n, 3, 32, 32) and their labels (n,), the classes in turn."""
    labels = torch.arange(n) % 10
    stripes = (torch.arange(32) // 4 % 2).float() * 2 - 1
    horizontal = stripes[None, :, None].expand(n, 32, 32)
    vertical = stripes[None, None, :].expand(n, 32, 32)
    pattern = torch.where((labels >= 5)[:, None, None], vertical, horizontal)
    noise = torch.randn(n, 3, 32, 32, generator=torch.Generator().manual_seed(seed))
    pixels = (0.5 * COLOURS[labels % 5][:, :, None, None] + 0.4 * pattern[:, None] + 0.4 * noise).clamp(-1, 1)
    return ((pixels + 1) * 127.5).round().to(torch.uint8), labels


def stand_in_torchvision_bytes(name, split, root, resolution, n_images):
    """``torchvision_bytes`` for "cifar10" with stand-in images (``root`` is not read)."""
    assert name == "cifar10", f"the stand-in holds CIFAR-10 only, got {name}"
    n, seed = (TRAIN_IMAGES, 0) if split == "train" else (HELD_OUT_IMAGES, 1)
    images, labels = stand_in_images(n, seed)
    return images[:n_images], labels[:n_images]


def use_stand_in_cifar10(monkeypatch) -> None:
    """Make ``load_images("cifar10", ...)`` return the stand-in images, whatever the root."""
    monkeypatch.setattr(image_module, "torchvision_bytes", stand_in_torchvision_bytes)
