"""Bad input gets one sentence naming the fix: the mistakes a learner makes in passing a distribution,
an ImageSet or float64 data where the package wants a tensor of its own dtype (found by probing the
public functions; each of these used to fail deep inside PyTorch, or to give a misleading fix)."""

import numpy as np
import pytest
import torch

from gan_course import metrics, penalties
from gan_course.data import toy
from gan_course.data.images import load_images
from gan_course.divergences import mmd
from gan_course.flow_training import train_flow
from gan_course.metrics import diversity, features
from gan_course.models.realnvp import RealNVP2D, RealNVPImage
from gan_course.toy_training import GANConfig, train_toy

RING = toy.ring_of_gaussians()
DRAW = "got the distribution GaussianMixture, not samples; draw them with .sample"
IMAGE_SET = r"got an ImageSet, not a tensor; pass its tensor, .images"


@pytest.mark.parametrize("call", [
    lambda: metrics.exact_wasserstein(RING, RING),
    lambda: metrics.mode_coverage(RING, RING.modes, RING.mode_std),
    lambda: penalties.gradient_penalty(torch.nn.Linear(2, 1), RING),
], ids=["exact_wasserstein", "mode_coverage", "gradient_penalty"])
def test_a_distribution_passed_for_its_samples_is_named(call):
    with pytest.raises(TypeError, match=DRAW):
        call()


@pytest.fixture(scope="module")
def digits8(classifier_cache):
    return load_images("digits8", n_images=20), features.digit_classifier("digits8")


def test_an_image_set_passed_for_its_images_is_named(digits8):
    images, classifier = digits8
    flow = RealNVPImage(channels=1, size=8, scales=2, width=4, seed=0)
    for call in (lambda: diversity.digit_modes(images, classifier),
                 lambda: features.classifier_features(classifier, images),
                 lambda: flow.log_prob(images)):
        with pytest.raises(TypeError, match=IMAGE_SET):
            call()


def test_float64_inputs_name_the_networks_dtype(digits8):
    _, classifier = digits8
    with pytest.raises(TypeError, match=r"float32 weights, got torch.float64 images; .*\.to\(torch.float32"):
        features.classifier_features(classifier, torch.zeros(5, 1, 8, 8, dtype=torch.float64))
    with pytest.raises(TypeError, match=r"weights are torch.float32, got points of torch.float64"):
        RealNVP2D(seed=0).log_prob(np.zeros((4, 2)))  # NumPy's default float64
    assert RealNVP2D(seed=0).log_prob(torch.zeros(4, 2)).shape == (4,)


def test_mode_coverage_names_its_arguments_order():
    samples = RING.sample(50, torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="modes must be the .K, d. centres.*data.modes, then data.mode_std"):
        metrics.mode_coverage(samples, RING.mode_std, RING.modes)
    with pytest.raises(ValueError, match=r"one number or one per mode \(8\), got 3"):
        metrics.mode_coverage(samples, RING.modes, [0.02] * 3)


def test_a_bandwidth_name_and_a_bare_extent_are_refused():
    # a string is iterable: it used to be read one character at a time ("got 'm'")
    with pytest.raises(ValueError, match="None for the median heuristic, got 'median'"):
        mmd.mmd2_unbiased(torch.randn(10, 2), torch.randn(10, 2), bandwidths="median")
    with pytest.raises(ValueError, match=r"got 3; e.g. extent=\(-3, 3\)"):
        train_toy(RING, GANConfig(width=8, batch_size=16), steps=2, extent=3, progress=False)


def test_a_flow_is_not_given_bytes_or_bare_points():
    flow = RealNVPImage(channels=1, size=8, scales=2, width=4, seed=0)
    as_bytes = load_images("digits8", pixels="bytes", n_images=4).images
    with pytest.raises(ValueError, match=r"whole numbers up to 255, pixels in \[0, 255\]; .*pixels='gan'"):
        flow.log_prob(as_bytes)  # it used to return NaN
    with pytest.raises(TypeError, match=r"float pixels in \[-1, 1\], got torch.uint8"):
        flow.log_prob(as_bytes.to(torch.uint8))
    assert torch.isfinite(flow.log_prob(load_images("digits8", pixels="gan", n_images=4).images)).all()
    for batches in (toy.TwoMoons().sample(64), toy.TwoMoons()):
        with pytest.raises(TypeError, match=r"batches must have a .real\(\) that returns the next batch"):
            train_flow(RealNVP2D(seed=0), batches, 2, progress=False)


def test_a_seed_is_not_a_generator_and_a_batch_is_not_empty(digits8):
    for data in (RING, toy.TwoMoons(), toy.Gaussian([0.0, 0.0], std=1.0)):
        with pytest.raises(TypeError, match=r"rng must be a torch.Generator or None, got int; .*manual_seed"):
            data.sample(4, 0)
    images, classifier = digits8
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        diversity.predicted_classes(images.images, classifier, batch_size=0)
