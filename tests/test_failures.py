"""The broken "generators" of lesson 09 are broken exactly as their names say."""

import math

import pytest
import torch

from gan_course.metrics import failures


@pytest.fixture(scope="module")
def digits():
    rng = torch.Generator().manual_seed(0)
    images = torch.rand(400, 1, 8, 8, generator=rng) * 2 - 1
    labels = torch.arange(400) % 10
    return images, labels


def test_gaussian_blur_keeps_a_constant_image_and_the_mean_and_smooths_an_impulse():
    constant = torch.full((2, 3, 9, 9), 0.3)
    assert torch.allclose(failures.gaussian_blur(constant, 1.0), constant, atol=1e-6)
    impulse = torch.zeros(1, 1, 15, 15)
    impulse[0, 0, 7, 7] = 1
    blurred = failures.gaussian_blur(impulse, 1.0)
    assert blurred.shape == impulse.shape
    assert blurred.sum().item() == pytest.approx(1.0, abs=1e-5)  # far from the border: nothing lost
    # separable Gaussian: the centre row is k(i) k(0) with k(±1)/k(0) = e^{-1/2}
    ratio = (blurred[0, 0, 7, 8] / blurred[0, 0, 7, 7]).item()
    assert ratio == pytest.approx(math.exp(-0.5), rel=1e-5)
    # second moment along a row equals σ² (up to the truncation at 3σ)
    offsets = torch.arange(-7, 8, dtype=torch.float32)
    row = blurred[0, 0, 7] / blurred[0, 0, 7].sum()
    assert (row * offsets ** 2).sum().item() == pytest.approx(1.0, rel=0.03)


def test_noise_is_seeded_and_stays_in_the_pixel_range(digits):
    images, _ = digits
    noisy = failures.add_noise(images, 0.5, seed=3)
    assert torch.equal(noisy, failures.add_noise(images, 0.5, seed=3))
    assert noisy.min() >= -1 and noisy.max() <= 1
    assert (noisy - images).std().item() == pytest.approx(0.5, rel=0.3)  # clipping shrinks it
    uniform = failures.uniform_noise(1000, (1, 8, 8))
    assert uniform.min() >= -1 and uniform.max() <= 1 and abs(uniform.mean().item()) < 0.01


def test_each_failure_is_what_it_says(digits):
    images, labels = digits
    unseen, unseen_labels, memorised = images[:300], labels[:300], images[300:]
    samples = failures.broken_samples(unseen, unseen_labels, memorised, n=100)
    assert set(samples) == set(failures.FAILURES) == set(failures.DESCRIPTIONS)
    assert all(batch.shape == (100, 1, 8, 8) for batch in samples.values())
    assert torch.equal(samples["unseen"], unseen[:100])
    assert torch.equal(samples["memorised"], memorised[:100])
    # dropped: only images whose label is below 5
    kept_labels = {int(unseen_labels[(unseen == image).all(dim=(1, 2, 3))][0])
                   for image in samples["dropped"]}
    assert kept_labels == {0, 1, 2, 3, 4}
    # one per class: ten distinct images, each repeated ten times
    assert torch.unique(samples["one_per_class"].flatten(1), dim=0).shape[0] == 10
    # half noise: 50 real unseen images not used by "unseen" itself, mixed among 50 of noise
    half_noise = samples["half_noise"]
    is_real = (half_noise[:, None] == unseen[None, 100:150]).flatten(2).all(dim=2).any(dim=1)
    assert int(is_real.sum()) == 50
    assert 0 < int(is_real[:50].sum()) < 50  # mixed: a split in halves sees both kinds


def test_broken_samples_asks_for_a_smaller_n_when_the_data_are_short(digits):
    images, labels = digits
    with pytest.raises(ValueError, match="smaller n"):
        failures.broken_samples(images[:150], labels[:150], images[150:], n=100)
    with pytest.raises(ValueError, match="at most"):
        failures.keep_classes(images[:20], labels[:20], [0], n=5)
