"""Broken "generators" built from real digits, so that what is wrong with each is known.

A metric is only as good as the failures it catches. Lesson 09 feeds the metrics samples whose
fault we made ourselves, from real images that no generator ever touched:

    unseen       real digits the imagined generator never saw: what a perfect generator draws
    memorised    copies of the generator's training images (Danihelka et al. 2017's overfitting)
    dropped      real digits of only some classes: mode dropping
    blurred      real digits under a Gaussian blur: the average-looking samples of an L2 model
    noisy        real digits plus Gaussian pixel noise: low fidelity, full coverage
    one_per_class  one real digit per class, repeated: collapse within every class
    half_noise   half unseen digits, half pure noise: a generator that fails half the time

Every function takes and returns images (N, C, H, W) with pixels in [-1, 1] (``pixels="gan"``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

Tensor = torch.Tensor

FAILURES = ("unseen", "memorised", "dropped", "blurred", "noisy", "one_per_class", "half_noise")

DESCRIPTIONS = {
    "unseen": "real digits the generator never saw (the ideal)",
    "memorised": "copies of the generator's training digits",
    "dropped": "real digits of classes 0-4 only",
    "blurred": "real digits, Gaussian blur σ = 1 px",
    "noisy": "real digits + Gaussian noise σ = 0.5",
    "one_per_class": "one digit per class, repeated",
    "half_noise": "half real digits, half uniform noise",
}


def gaussian_blur(images: Tensor, sigma: float) -> Tensor:
    """Each channel convolved with a normalised Gaussian of standard deviation ``sigma`` pixels,

        k(i) ∝ exp(−i² / (2σ²)),  i = −r..r,  r = ⌈3σ⌉,

    applied along rows then columns (the 2D Gaussian is separable), with the border pixels
    repeated so that the image keeps its size and its mean brightness near the edges.
    """
    radius = max(1, math.ceil(3 * sigma))
    offsets = torch.arange(-radius, radius + 1, dtype=images.dtype)
    kernel = torch.exp(-offsets ** 2 / (2 * sigma ** 2))
    kernel = kernel / kernel.sum()
    channels = images.shape[1]
    rows = kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)
    padded = F.pad(images, (radius, radius, radius, radius), mode="replicate")
    blurred = F.conv2d(padded, rows, groups=channels)
    return F.conv2d(blurred, rows.transpose(2, 3), groups=channels)


def add_noise(images: Tensor, std: float, seed: int = 0) -> Tensor:
    """x + σ ε with ε ~ N(0, I), clipped back to the pixel range [-1, 1]."""
    noise = torch.randn(images.shape, generator=torch.Generator().manual_seed(seed))
    return (images + std * noise).clamp(-1, 1)


def uniform_noise(n: int, shape, seed: int = 0) -> Tensor:
    """n images of independent uniform pixels in [-1, 1]: no digit at all."""
    return torch.rand((n, *shape), generator=torch.Generator().manual_seed(seed)) * 2 - 1


def keep_classes(images: Tensor, labels: Tensor, classes, n: int) -> Tensor:
    """The first n images whose label is in ``classes``."""
    kept = images[torch.isin(labels, torch.as_tensor(list(classes)))]
    if len(kept) < n:
        raise ValueError(f"only {len(kept)} images of classes {list(classes)}; ask for at most {len(kept)}.")
    return kept[:n]


def one_per_class(images: Tensor, labels: Tensor, n: int) -> Tensor:
    """The first image of each class, repeated in turn until there are n."""
    firsts = torch.stack([images[labels == label][0] for label in labels.unique()])
    return firsts[torch.arange(n) % len(firsts)]


def broken_samples(unseen: Tensor, unseen_labels: Tensor, memorised: Tensor, n: int,
                   seed: int = 0) -> dict[str, Tensor]:
    """n samples of each failure of ``FAILURES``, built from ``unseen`` real images (with their
    labels) and from ``memorised`` ones (the imagined generator's training images)."""
    if len(unseen) < 2 * n or len(memorised) < n:
        raise ValueError(f"need at least {2 * n} unseen and {n} memorised images for n={n}; "
                         f"got {len(unseen)} and {len(memorised)}: ask for a smaller n.")
    real = unseen[:n]
    half = n // 2
    return {
        "unseen": real,
        "memorised": memorised[:n],
        "dropped": keep_classes(unseen, unseen_labels, range(5), n),
        "blurred": gaussian_blur(real, sigma=1.0),
        "noisy": add_noise(real, std=0.5, seed=seed),
        "one_per_class": one_per_class(unseen, unseen_labels, n),
        "half_noise": shuffled(torch.cat([unseen[n:n + half],
                                          uniform_noise(n - half, unseen.shape[1:], seed)]), seed),
    }


def shuffled(images: Tensor, seed: int = 0) -> Tensor:
    """The images in a random order: a generator's failures come mixed among its samples, and
    a metric that splits a sample (the independent critic trains on its first half) must not
    see all of one kind in one part."""
    return images[torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))]


__all__ = ["FAILURES", "DESCRIPTIONS", "broken_samples", "gaussian_blur", "add_noise", "uniform_noise",
           "keep_classes", "one_per_class", "shuffled"]
