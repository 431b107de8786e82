"""gan_course.metrics.features and .scores: the digit classifier and its cache; classifier score, FID, KID."""

import math

import numpy as np
import pytest
import scipy.linalg
import torch
import torch.nn.functional as F
from torch import nn

from gan_course.data.images import load_images
from gan_course.metrics import features
from gan_course.metrics.features import (
    DigitClassifier,
    cache_file,
    classifier_features,
    classifier_probabilities,
    digit_classifier,
    train_digit_classifier,
)
from gan_course.metrics.scores import (
    classifier_score,
    classifier_score_over_splits,
    feature_statistics,
    fid,
    frechet_distance,
    kid,
    polynomial_mmd2_unbiased,
)


def rng(seed=0):
    return torch.Generator().manual_seed(seed)


def random_covariance(d, seed, n=None):
    """A covariance of n (default 3d) Gaussian points in d dimensions: singular when n ≤ d."""
    points = torch.randn(n or 3 * d, d, generator=rng(seed), dtype=torch.float64)
    return feature_statistics(points)[1]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def cache_dir(classifier_cache):
    """The session's fresh cache (conftest.py): never the user's."""
    return classifier_cache


@pytest.fixture(scope="module")
def mnist_classifier(cache_dir):
    return digit_classifier("mnist5k")


@pytest.fixture(scope="module")
def digit_images():
    """500 held-out digits (real), 500 other train digits, and 500 blurred, noisy train digits."""
    held_out = load_images("mnist5k", split="held_out").images[:500]
    train = load_images("mnist5k", split="train").images[:500]
    noise = 0.3 * torch.randn(train.shape, generator=rng())
    broken = (F.avg_pool2d(train, 3, stride=1, padding=1) + noise).clamp(-1, 1)
    return {"real": held_out, "train": train, "broken": broken}


# --------------------------------------------------------------------------- the Fréchet distance


def test_frechet_distance_of_identical_statistics_is_zero():
    covariance = random_covariance(8, seed=1)
    mean = torch.randn(8, generator=rng(2), dtype=torch.float64)
    assert frechet_distance(mean, covariance, mean, covariance) == pytest.approx(0.0, abs=1e-9)


def test_frechet_distance_in_1d_is_the_closed_form():
    # N(1, 2²) vs N(−2, 3²): (μ₁ − μ₂)² + (σ₁ − σ₂)² = 9 + 1
    distance = frechet_distance(torch.tensor([1.0]), torch.tensor([[4.0]]),
                                torch.tensor([-2.0]), torch.tensor([[9.0]]))
    assert distance == pytest.approx(10.0, rel=1e-12)


def test_frechet_distance_of_diagonal_covariances_is_the_closed_form():
    variances_1, variances_2 = torch.tensor([1.0, 4.0, 0.25]), torch.tensor([9.0, 1.0, 0.0])
    mean_1, mean_2 = torch.tensor([0.0, 1.0, 2.0]), torch.tensor([1.0, 1.0, -1.0])
    expected = ((mean_1 - mean_2) ** 2).sum() + ((variances_1.sqrt() - variances_2.sqrt()) ** 2).sum()
    distance = frechet_distance(mean_1, torch.diag(variances_1), mean_2, torch.diag(variances_2))
    assert distance == pytest.approx(float(expected), rel=1e-12)  # 1 + 0 + 9 + 4 + 1 + 0.25


def test_frechet_distance_agrees_with_scipys_sqrtm_when_well_conditioned():
    d = 6
    covariance_1, covariance_2 = random_covariance(d, seed=3), random_covariance(d, seed=4)
    mean_1 = torch.randn(d, generator=rng(5), dtype=torch.float64)
    mean_2 = torch.randn(d, generator=rng(6), dtype=torch.float64)
    # pytorch-fid's formula: the general matrix square root of the product
    root = scipy.linalg.sqrtm(covariance_1.numpy() @ covariance_2.numpy()).real
    expected = (float(((mean_1 - mean_2) ** 2).sum()) + float(covariance_1.trace() + covariance_2.trace())
                - 2 * np.trace(root))
    assert frechet_distance(mean_1, covariance_1, mean_2, covariance_2) == pytest.approx(expected, rel=1e-8)


def test_frechet_distance_is_finite_with_singular_covariances():
    # 10 points in 50 dimensions: both covariances have rank 9
    d = 50
    covariance_1, covariance_2 = random_covariance(d, seed=7, n=10), random_covariance(d, seed=8, n=10)
    zero = torch.zeros(d, dtype=torch.float64)
    distance = frechet_distance(zero, covariance_1, zero, covariance_2)
    assert math.isfinite(distance) and distance > 0
    assert frechet_distance(zero, covariance_1, zero, covariance_1) == pytest.approx(0.0, abs=1e-9)


def test_fid_of_features_with_fewer_samples_than_dimensions_is_finite():
    real = torch.randn(20, 64, generator=rng(9))
    fake = torch.randn(20, 64, generator=rng(10)) + 1.0
    distance = fid(real, fake)
    assert math.isfinite(distance) and distance > 0


def test_feature_statistics_use_the_unbiased_covariance():
    points = torch.tensor([[0.0, 1.0], [2.0, 1.0], [4.0, 4.0]])
    mean, covariance = feature_statistics(points)
    assert mean.dtype == torch.float64
    assert torch.allclose(mean, torch.tensor([2.0, 2.0], dtype=torch.float64))
    # deviations (−2, −1), (0, −1), (2, 2): sums of products (8, 6, 6) / (3 − 1)
    assert torch.allclose(covariance, torch.tensor([[4.0, 3.0], [3.0, 3.0]], dtype=torch.float64))


def test_frechet_distance_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="feature_statistics"):
        frechet_distance(torch.zeros(3), torch.eye(3), torch.zeros(2), torch.eye(2))


# --------------------------------------------------------------------------- KID


def test_kid_golden_values_by_hand():
    # d = 2, k(a, b) = (aᵀb/2 + 1)³. x = (1,0), (0,1): k(x₁, x₂) = 1. y = (1,1), (0,0): k(y₁, y₂) = 1.
    # Across: k((1,0),(1,1)) = k((0,1),(1,1)) = 1.5³ = 3.375, and 1 with (0,0): sum 8.75.
    # MMD²_u = 2/2 + 2/2 − 2 · 8.75/4 = −2.375: the unbiased estimate can be negative.
    x, y = torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[1.0, 1.0], [0.0, 0.0]])
    assert kid(x, y, subsets=1, subset_size=2) == pytest.approx((-2.375, 0.0), abs=1e-12)
    # x both (1,1), y both (−1,−1): k within = 2³ = 8, across = 0³ = 0, so MMD²_u = 8 + 8 − 0
    ones = torch.ones(2, 2)
    assert float(polynomial_mmd2_unbiased(ones, -ones)) == pytest.approx(16.0, rel=1e-12)


def test_kid_is_unbiased_for_two_samples_of_one_distribution():
    # 400 pairs of independent samples of size 20: their mean estimate is within 3 standard errors of 0
    estimates = torch.stack([polynomial_mmd2_unbiased(torch.randn(20, 8, generator=rng(2 * s)),
                                                      torch.randn(20, 8, generator=rng(2 * s + 1)))
                             for s in range(400)])
    standard_error = estimates.std() / math.sqrt(len(estimates))
    assert abs(float(estimates.mean())) < 3 * float(standard_error)
    assert (estimates < 0).any()  # unbiased, so not always positive


def test_kid_is_near_zero_for_one_distribution_and_positive_for_a_shifted_one():
    real = torch.randn(600, 16, generator=rng(11))
    same = torch.randn(600, 16, generator=rng(12))
    shifted = torch.randn(600, 16, generator=rng(13)) + 0.5
    same_mean, same_std = kid(real, same, subsets=20, subset_size=300)
    shifted_mean, _ = kid(real, shifted, subsets=20, subset_size=300)
    assert abs(same_mean) < 0.05 * shifted_mean
    assert shifted_mean > 10 * same_std


def test_kid_clips_the_subset_size_and_is_seeded():
    real, fake = torch.randn(30, 4, generator=rng(14)), torch.randn(50, 4, generator=rng(15))
    assert kid(real, fake, subsets=5, seed=3) == kid(real, fake, subsets=5, seed=3)
    # subsets of all 30 real and 30 of the fake: one subset of the real is always the whole sample
    assert kid(real, fake[:30], subsets=3)[1] == pytest.approx(0.0, abs=1e-12)


def test_kid_refuses_features_of_different_classifiers():
    with pytest.raises(ValueError, match="same classifier"):
        kid(torch.zeros(5, 3), torch.zeros(5, 4))


# --------------------------------------------------------------------------- the classifier score


def test_classifier_score_of_uniform_or_identical_predictions_is_one():
    assert classifier_score(torch.full((7, 10), 0.1)) == pytest.approx(1.0, abs=1e-12)
    same = torch.tensor([[0.7, 0.2, 0.1]]).repeat(5, 1)
    assert classifier_score(same) == pytest.approx(1.0, abs=1e-12)


def test_classifier_score_of_confident_balanced_predictions_is_the_number_of_classes():
    one_hot = torch.eye(10).repeat(3, 1)  # 30 confident predictions, 3 of each digit
    assert classifier_score(one_hot) == pytest.approx(10.0, rel=1e-12)
    assert classifier_score_over_splits(one_hot, splits=3) == pytest.approx((10.0, 0.0), abs=1e-12)
    # confident but only 2 of 10 classes: the score counts 2 classes
    assert classifier_score(torch.eye(10)[[0, 1, 0, 1]]) == pytest.approx(2.0, rel=1e-12)


def test_classifier_score_golden_value():
    # p(y) = (0.55, 0.45); KL₁ = 0.9 ln(0.9/0.55) + 0.1 ln(0.1/0.45) = 0.292821,
    # KL₂ = 0.2 ln(0.2/0.55) + 0.8 ln(0.8/0.45) = 0.257971; exp of their mean 0.275396
    probabilities = torch.tensor([[0.9, 0.1], [0.2, 0.8]])
    assert classifier_score(probabilities) == pytest.approx(1.3170522760436802, rel=1e-6)


def test_classifier_score_refuses_logits():
    with pytest.raises(ValueError, match="softmax"):
        classifier_score(torch.randn(5, 10, generator=rng()))


# --------------------------------------------------------------------------- the digit classifier


def test_the_classifiers_generalise(mnist_classifier, cache_dir):
    assert mnist_classifier.held_out_accuracy >= 0.97
    assert mnist_classifier.data == "mnist5k" and not mnist_classifier.training
    assert not any(parameter.requires_grad for parameter in mnist_classifier.parameters())
    digits8 = digit_classifier("digits8")
    assert digits8.held_out_accuracy >= 0.95 and digits8.size == 8


def test_training_is_deterministic_and_leaves_the_session_alone(cache_dir, capsys):
    random_state, threads = torch.random.get_rng_state(), torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        first = train_digit_classifier("digits8", seed=0)
        assert torch.get_num_threads() == 2  # it trains on one thread, then gives the others back
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(torch.random.get_rng_state(), random_state)  # a notebook's later draws unchanged
    torch.manual_seed(123)  # the global generator's state must not matter
    second = train_digit_classifier("digits8", seed=0)
    for name, weights in first.state_dict().items():
        assert torch.equal(weights, second.state_dict()[name]), name
    assert capsys.readouterr().out == ""  # training itself prints nothing; digit_classifier says why it waits


def test_the_cache_is_reused_without_training(mnist_classifier, cache_dir, monkeypatch):
    assert digit_classifier("mnist5k") is mnist_classifier  # the in-process memo
    path = cache_file("mnist5k")
    assert path.parent == cache_dir and "mnist5k" in path.name and features.RECIPE_VERSION in path.name
    monkeypatch.setattr(features, "_memo", {})

    def refuse(*args, **kwargs):
        raise AssertionError("retrained although the cache holds the weights")

    monkeypatch.setattr(features, "train_digit_classifier", refuse)
    reloaded = digit_classifier("mnist5k")
    assert reloaded is not mnist_classifier
    assert reloaded.held_out_accuracy == mnist_classifier.held_out_accuracy
    for name, weights in mnist_classifier.state_dict().items():
        assert torch.equal(weights, reloaded.state_dict()[name]), name


@pytest.mark.parametrize("content", ["garbage", "other weights"])
def test_a_corrupt_cache_file_is_retrained(mnist_classifier, tmp_path, monkeypatch, capsys, content):
    monkeypatch.setenv(features.CACHE_ENV_VAR, str(tmp_path))
    path = cache_file("digits8")
    if content == "garbage":
        path.write_bytes(b"not a torch file")
    else:  # readable, but the 28×28 network's weights do not fit the 8×8 one
        torch.save(mnist_classifier.state_dict(), path)
    classifier = digit_classifier("digits8")
    assert classifier.held_out_accuracy >= 0.95
    assert f"cached at {path}" in capsys.readouterr().out
    assert torch.load(path, weights_only=True).keys() == classifier.state_dict().keys()
    assert [file.name for file in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_bad_images_get_a_clear_error(mnist_classifier):
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        classifier_features(mnist_classifier, torch.zeros(4, 28, 28))
    with pytest.raises(ValueError, match="digits8"):
        mnist_classifier(torch.zeros(4, 1, 8, 8))
    with pytest.raises(TypeError, match="float"):
        classifier_probabilities(mnist_classifier, torch.zeros(4, 1, 28, 28, dtype=torch.uint8))
    # pixels in [0, 255] as floats would be classified, wrongly, with no error
    with pytest.raises(ValueError, match=r"pixels in \[-1, 1\], got whole numbers up to 255.*pixels='gan'"):
        classifier_probabilities(mnist_classifier, torch.full((4, 1, 28, 28), 255.0))
    with pytest.raises(ValueError, match="size=28"):
        DigitClassifier(size=32)
    with pytest.raises(ValueError, match="mnist5k"):
        digit_classifier("cifar10")


def test_features_and_probabilities_are_batched(mnist_classifier, digit_images):
    images = digit_images["real"][:50]
    whole = classifier_features(mnist_classifier, images, batch_size=500)
    assert whole.shape == (50, mnist_classifier.num_features) and whole.dtype == torch.float32
    assert torch.allclose(whole, classifier_features(mnist_classifier, images, batch_size=7), atol=1e-5)
    probabilities = classifier_probabilities(mnist_classifier, images, batch_size=16)
    assert torch.allclose(probabilities.sum(dim=1), torch.ones(50), atol=1e-5)


# ------------------------------------------------------------------- on digits, and against torchmetrics


def test_fid_decreases_with_the_sample_size_between_real_subsets(mnist_classifier):
    # Two disjoint sets of real digits: the true FID between their distributions is ~0, but the
    # estimate is biased upwards, the more so the fewer the samples (Bińkowski et al. 2018).
    train = classifier_features(mnist_classifier, load_images("mnist5k", split="train").images[:1000])
    held_out = classifier_features(mnist_classifier, load_images("mnist5k", split="held_out").images)
    assert fid(train[:100], held_out[:100]) > 2 * fid(train, held_out)


def test_broken_digits_score_worse(mnist_classifier, digit_images):
    real, train, broken = (classifier_features(mnist_classifier, digit_images[name])
                           for name in ("real", "train", "broken"))
    assert fid(real, broken) > 5 * fid(real, train)
    assert kid(real, broken, subsets=10, subset_size=200)[0] > 10 * abs(kid(real, train, subsets=10,
                                                                            subset_size=200)[0])
    real_score = classifier_score(classifier_probabilities(mnist_classifier, digit_images["real"]))
    assert real_score > 9  # confident, balanced: near the 10 classes
    assert classifier_score(classifier_probabilities(mnist_classifier, digit_images["broken"])) < real_score


class FeaturesForTorchmetrics(nn.Module):
    """Our φ(x) in float64 (so torchmetrics returns float64 rather than rounding to float32);
    ``num_features`` spares torchmetrics its dummy 299×299 call."""

    def __init__(self, classifier):
        super().__init__()
        self.classifier = classifier
        self.num_features = classifier.num_features

    def forward(self, images):
        return self.classifier.features(images).double()


class LogitsForTorchmetrics(FeaturesForTorchmetrics):
    def forward(self, images):
        return self.classifier(images).double()


@pytest.mark.filterwarnings("ignore:Metric `.*` will save all extracted features:UserWarning")
@pytest.mark.parametrize("fake", ["train", "broken"])
def test_fid_kid_and_classifier_score_agree_with_torchmetrics(mnist_classifier, digit_images, fake):
    pytest.importorskip("torchmetrics")
    from torchmetrics.image.fid import FrechetInceptionDistance
    from torchmetrics.image.inception import InceptionScore
    from torchmetrics.image.kid import KernelInceptionDistance

    real_images, fake_images = digit_images["real"], digit_images[fake]
    real, fakes = (classifier_features(mnist_classifier, x) for x in (real_images, fake_images))
    # A custom feature module gets the images as they are: no rescaling to bytes, no resizing.
    reference_fid = FrechetInceptionDistance(feature=FeaturesForTorchmetrics(mnist_classifier))
    # one subset of all 500: the MMD² of whole samples, the same for any order, so deterministic
    reference_kid = KernelInceptionDistance(feature=FeaturesForTorchmetrics(mnist_classifier),
                                            subsets=1, subset_size=len(real_images))
    for metric in (reference_fid, reference_kid):
        metric.update(real_images, real=True)
        metric.update(fake_images, real=False)
    # torchmetrics takes the complex eigenvalues of the non-symmetric Σ_r Σ_g; a third of the 128
    # ReLU features are 0 on every digit, so Σ is singular and rounding moves those zero eigenvalues
    # to ±1e-15, whose square roots shift its trace by ~1e-7 of the FID (measured: 1e-7 and 4e-9).
    assert fid(real, fakes) == pytest.approx(float(reference_fid.compute()), rel=1e-6)
    # the same sums in float64, in another order: agreement to rounding
    assert kid(real, fakes, subsets=1, subset_size=len(real_images))[0] == pytest.approx(
        float(reference_kid.compute()[0]), rel=1e-9, abs=1e-9)
    # splits=1: torchmetrics' shuffle does not matter; our probabilities are float32 (its softmax is
    # float64 here), hence 1e-6
    reference_score = InceptionScore(feature=LogitsForTorchmetrics(mnist_classifier), splits=1)
    reference_score.update(fake_images)
    with pytest.warns(UserWarning, match="degrees of freedom"):  # its std of one split is NaN
        score = float(reference_score.compute()[0])
    assert classifier_score(classifier_probabilities(mnist_classifier, fake_images)) == pytest.approx(
        score, rel=1e-6)
