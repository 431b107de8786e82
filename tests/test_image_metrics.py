"""gan_course.metrics for images: MS-SSIM diversity, precision/recall, mode counts, bits/dim, critics."""

import math

import pytest
import torch
import torch.nn.functional as F

from gan_course.data.images import load_images
from gan_course.metrics import fit_wasserstein_critic, image_critic, independent_critic
from gan_course.metrics.diversity import (
    WANG_SCALE_WEIGHTS,
    digit_modes,
    mode_count,
    mode_histogram,
    ms_ssim,
    ms_ssim_diversity,
    ms_ssim_settings,
    precision_recall,
    predicted_classes,
    stacked_mnist_modes,
)
from gan_course.metrics.likelihood import UNIT_BIN_WIDTH, bits_per_dim

C1 = 0.01**2  # (K₁ L)² with L = 1: pixels are mapped to [0, 1]


def rng(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def digits():
    return load_images("mnist5k", "train")


def luminance(a, b):
    """SSIM's luminance term for two constant images of values a, b in [0, 1]."""
    return (2 * a * b + C1) / (a * a + b * b + C1)


# --------------------------------------------------------------------------- MS-SSIM


def test_ms_ssim_settings_fit_the_window_in_the_coarsest_scale():
    assert ms_ssim_settings(28) == (3, 7)   # 28, 14, 7
    assert ms_ssim_settings(32) == (3, 7)   # 32, 16, 8
    assert ms_ssim_settings(64) == (4, 7)   # 64, 32, 16, 8
    assert ms_ssim_settings(8) == (2, 3)    # 8, 4
    assert ms_ssim_settings(256) == (5, 11)  # Wang et al.'s own


def test_identical_images_score_one(digits):
    x = digits.images[:20]
    assert torch.allclose(ms_ssim(x, x), torch.ones(20), atol=1e-6)
    assert ms_ssim_diversity(x[:1].repeat(8, 1, 1, 1), pairs=50) == pytest.approx(1.0, abs=1e-6)


def test_constant_images_reduce_to_the_luminance_term():
    # σ_x = σ_y = σ_xy = 0, so contrast·structure is C₂/C₂ = 1 at every scale: one-scale SSIM
    # is the luminance term, and MS-SSIM is that term to the coarsest scale's weight.
    from pytorch_msssim import ssim

    for a, b in ((0.3, 0.8), (0.0, 1.0), (0.5, 0.55)):
        x, y = torch.full((1, 1, 28, 28), a), torch.full((1, 1, 28, 28), b)
        assert float(ssim(x, y, data_range=1.0, win_size=7)) == pytest.approx(luminance(a, b), rel=1e-4)
        weights = torch.tensor(WANG_SCALE_WEIGHTS[:3])
        coarsest_weight = float(weights[-1] / weights.sum())   # 0.3001 / 0.6305 = 0.476
        # ms_ssim takes [-1, 1] pixels
        assert float(ms_ssim(2 * x - 1, 2 * y - 1)) == pytest.approx(luminance(a, b) ** coarsest_weight,
                                                                     rel=1e-4)


def test_the_upsampled_five_scale_library_call_is_the_three_scale_ms_ssim(digits):
    # the reference: Wang et al.'s product computed directly on 28, 14, 7 pixels with the
    # library's own per-scale terms (a private function of the pinned pytorch-msssim 1.0.0)
    from pytorch_msssim.ssim import _fspecial_gauss_1d, _ssim

    x, y = (digits.images[:30] + 1) / 2, (digits.images[30:60] + 1) / 2
    window = _fspecial_gauss_1d(7, 1.5).reshape(1, 1, 1, 7)  # (channels, 1, 1, size)
    weights = torch.tensor(WANG_SCALE_WEIGHTS[:3])
    weights = weights / weights.sum()
    terms = []
    for scale in range(3):
        ssim_value, cs = _ssim(x, y, data_range=1.0, win=window, size_average=False)
        terms.append(torch.relu(cs if scale < 2 else ssim_value))
        x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
    direct = torch.prod(torch.stack(terms) ** weights.view(-1, 1, 1), dim=0).mean(1)
    assert torch.allclose(ms_ssim(digits.images[:30], digits.images[30:60]), direct, atol=1e-5)


def test_anti_correlated_images_score_zero(digits):
    # cs < 0 at some scale is clipped to 0 by pytorch_msssim (a ReLU), so the product is 0
    x = digits.images[:5]
    assert torch.equal(ms_ssim(x, -x), torch.zeros(5))


def test_more_noise_means_lower_ms_ssim(digits):
    x = digits.images[:50]
    scores = [float(ms_ssim(x, (x + std * torch.randn(x.shape, generator=rng(1))).clamp(-1, 1)).mean())
              for std in (0.05, 0.2, 0.5, 1.0)]
    assert scores == sorted(scores, reverse=True)
    assert 0.98 < scores[0] < 1.0   # measured 0.9956 (0.05), 0.9868 (0.1), 0.9495 (0.3), 0.73 (1.0)


def test_diversity_of_real_digits_and_of_other_image_sets(digits):
    # measured 0.231 over 1,000 pairs of mnist5k train digits; 0.473 for the 8×8 digits,
    # whose images are mostly strokes; 0.231 for stacked MNIST (each channel a digit)
    assert ms_ssim_diversity(digits.images, pairs=300) == pytest.approx(0.23, abs=0.03)
    assert ms_ssim_diversity(load_images("digits8").images, pairs=300) == pytest.approx(0.47, abs=0.05)
    stacked = load_images("stacked_mnist", n_images=200).images
    assert ms_ssim_diversity(stacked, pairs=100) == pytest.approx(0.23, abs=0.05)
    once, again = (ms_ssim_diversity(digits.images, pairs=50, seed=3) for _ in range(2))
    assert once == again


def test_ms_ssim_errors_name_the_fix(digits):
    x = digits.images[:4]
    with pytest.raises(ValueError, match="pair up image by image"):
        ms_ssim(x, digits.images[:3])
    with pytest.raises(ValueError, match=r"images \(N, C, H, W\)"):
        ms_ssim(x[:, 0], x[:, 0])
    with pytest.raises(ValueError, match="does not fit the coarsest"):
        ms_ssim(x, x, scales=4, window=7)
    with pytest.raises(ValueError, match="at least 2 images"):
        ms_ssim_diversity(x[:1])


# --------------------------------------------------------------------------- precision and recall


def test_identical_sets_have_precision_and_recall_one():
    features = torch.randn(300, 8, generator=rng())
    assert precision_recall(features, features.clone()) == (1.0, 1.0)


def test_far_apart_sets_have_precision_and_recall_zero():
    real = torch.randn(200, 4, generator=rng(1))
    assert precision_recall(real, real + 100.0) == (0.0, 0.0)


def test_a_generator_collapsed_onto_few_real_points_is_precise_but_misses_the_rest():
    real = torch.randn(500, 2, generator=rng(2))
    fake = real[:3].repeat(100, 1)  # three real points, each drawn 100 times
    precision, recall = precision_recall(real, fake, k=3)
    assert precision == 1.0
    # the fakes' balls have radius 0 (3 copies within each point's 3 nearest): they cover only
    # the 3 real points themselves
    assert recall == pytest.approx(3 / 500)


def test_precision_recall_golden_values_by_hand():
    # 1D, k = 1. Real {0, 1, 3}: radii 1, 1, 2. Fake {0.5, 0.9, 4.5, 6.2}: radii 0.4, 0.4, 1.7, 1.7.
    # Precision: 0.5 and 0.9 lie in B(0, 1), 4.5 in B(3, 2); 6.2 is 3.2 from 3: 3/4.
    # Recall: 1 lies in B(0.9, 0.4), 3 in B(4.5, 1.7); 0 is 0.5 from 0.5 (> 0.4): 2/3.
    real = torch.tensor([[0.0], [1.0], [3.0]])
    fake = torch.tensor([[0.5], [0.9], [4.5], [6.2]])
    precision, recall = precision_recall(real, fake, k=1)
    assert (precision, recall) == (pytest.approx(3 / 4), pytest.approx(2 / 3))
    # 2D, k = 1: the unit square's corners have radius 1; (0.5, 0.5) and (0.5, -0.8) are within 1
    # of a corner, (2.1, 0) and (5, 5) are not. (0.5, 0.5)'s nearest fake is 1.3 away, so its
    # ball holds all four corners (0.71 away): recall 1.
    square = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    fake = torch.tensor([[0.5, 0.5], [2.1, 0.0], [0.5, -0.8], [5.0, 5.0]])
    assert precision_recall(square, fake, k=1) == (0.5, 1.0)


def test_precision_recall_errors_name_the_fix():
    with pytest.raises(ValueError, match="k=3 needs more than 3 real features.*lower k"):
        precision_recall(torch.zeros(3, 2), torch.zeros(10, 2), k=3)
    with pytest.raises(ValueError, match="k=3 needs more than 3 fake features"):
        precision_recall(torch.zeros(10, 2), torch.zeros(2, 2), k=3)
    with pytest.raises(ValueError, match="same dimension"):
        precision_recall(torch.zeros(10, 2), torch.zeros(10, 3))


# --------------------------------------------------------------------------- mode counts


class LookupClassifier:
    """A stand-in digit classifier: the true label of any mnist5k digit, found by exact match."""

    def __init__(self):
        digits = load_images("mnist5k", "train")
        self.images, self.labels = digits.images.flatten(1), digits.labels

    def __call__(self, images):
        nearest = torch.cdist(images.flatten(1), self.images).argmin(dim=1)
        return F.one_hot(self.labels[nearest], 10).float()


def test_mode_histogram_and_the_kl_to_uniform_by_hand():
    assert mode_histogram(torch.tensor([0, 0, 1, 2]), 4).tolist() == [2, 1, 1, 0]
    # p̂ = (1/2, 1/4, 1/4, 0), K = 4: KL = ½ log 2 + ¼ log 1 + ¼ log 1 + 0 (the empty mode)
    result = mode_count(torch.tensor([0, 0, 1, 2]), 4)
    assert (result.covered, result.n_samples) == (3, 4)
    assert result.kl_to_uniform == pytest.approx(0.5 * math.log(2))
    assert mode_count(torch.arange(10).repeat(3), 10).kl_to_uniform == pytest.approx(0.0, abs=1e-12)
    assert mode_count(torch.zeros(50, dtype=torch.long), 1000).kl_to_uniform == pytest.approx(math.log(1000))
    with pytest.raises(ValueError, match=r"lie in 0\.\.9.*check n_modes"):
        mode_histogram(torch.tensor([3, 12]), 10)
    with pytest.raises(ValueError, match="argmax"):
        mode_histogram(torch.zeros(4, 10), 10)


def test_stacked_mnist_modes_use_the_encoding_of_the_data_labels():
    stacked = load_images("stacked_mnist", n_images=300)
    result = stacked_mnist_modes(stacked.images, LookupClassifier())
    assert torch.equal(result.counts, mode_histogram(stacked.labels, 1000))
    assert result.n_samples == 300 and result.covered == int((result.counts > 0).sum())


def test_digit_modes_see_dropped_classes(digits):
    lookup = LookupClassifier()
    full = digit_modes(digits.images[:500], lookup)  # a balanced prefix: 50 of each digit
    assert (full.covered, full.kl_to_uniform) == (10, pytest.approx(0.0, abs=1e-12))
    dropped = digit_modes(digits.images[digits.labels < 5][:500], lookup)  # digits 0-4 only
    assert dropped.covered == 5
    assert dropped.kl_to_uniform == pytest.approx(math.log(2), abs=0.01)


def test_predicted_classes_put_a_module_back_in_its_mode():
    network = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Dropout(0.5), torch.nn.Linear(784, 10))
    network.train()
    images = torch.zeros(4, 1, 28, 28)
    classes = predicted_classes(images, network)
    assert classes.shape == (4,) and network.training
    assert torch.equal(classes, predicted_classes(images, network))  # dropout was off


def test_the_course_classifier_reads_the_modes_of_real_stacked_mnist(classifier_cache):
    features = pytest.importorskip("gan_course.metrics.features")
    stacked = load_images("stacked_mnist", "held_out", n_images=2000)
    classifier = features.digit_classifier("mnist5k")
    digits = predicted_classes(stacked.images.reshape(-1, 1, 28, 28), classifier).reshape(-1, 3)
    # measured 0.94 with a classifier 97.9% accurate on held-out digits (0.979³ = 0.94)
    agreement = float(((digits * torch.tensor([100, 10, 1])).sum(1) == stacked.labels).double().mean())
    assert agreement > 0.9
    result = stacked_mnist_modes(stacked.images, classifier)
    true = mode_count(stacked.labels, 1000)
    assert abs(result.covered - true.covered) < 30  # measured 865 against the true 861


# --------------------------------------------------------------------------- bits per dimension


def test_a_uniform_density_scores_8_bits_per_dim_in_either_unit():
    dims = 784
    # uniform on [0, 1)^D: log p = 0, and each level is 1/256 wide
    assert bits_per_dim(0.0, dims, bin_width=UNIT_BIN_WIDTH) == pytest.approx(8.0)
    # uniform on [0, 256)^D: log p = −D log 256, levels 1 wide
    assert bits_per_dim(-dims * math.log(256), dims) == pytest.approx(8.0)
    # on [-1, 1)^D: log p = −D log 2, levels 2/256 wide
    assert bits_per_dim(-dims * math.log(2), dims, bin_width=2 / 256) == pytest.approx(8.0)
    values = bits_per_dim(torch.zeros(3), dims, bin_width=UNIT_BIN_WIDTH)
    assert torch.allclose(values, torch.full((3,), 8.0, dtype=torch.float64))


def test_a_discretised_gaussian_by_hand():
    # one pixel value x = 130 under a Gaussian of mean 127.5 and std 10 over z = x + u:
    # P(x) = Φ((131 − 127.5)/10) − Φ((130 − 127.5)/10) = Φ(0.35) − Φ(0.25) = 0.0381 …
    def cdf(t):
        return 0.5 * (1 + math.erf(t / math.sqrt(2)))

    probability = cdf(0.35) - cdf(0.25)
    assert bits_per_dim(math.log(probability), 1) == pytest.approx(-math.log2(probability))
    assert bits_per_dim(math.log(probability), 1) == pytest.approx(4.714, abs=1e-3)
    # the dequantised density with u ~ U[0, 1): E_u log N(130 + u) = −((x − μ)² + (x − μ) + 1/3)/(2σ²)
    # − log(σ√(2π)), a lower bound on log P(x) (Jensen): its bits/dim are an upper bound
    offset = 130 - 127.5
    expected_log_density = -(offset**2 + offset + 1 / 3) / 200 - math.log(10 * math.sqrt(2 * math.pi))
    assert bits_per_dim(expected_log_density, 1) >= bits_per_dim(math.log(probability), 1)
    assert bits_per_dim(expected_log_density, 1) == pytest.approx(4.714, abs=0.01)  # the bound is tight here


def test_bits_per_dim_refuses_bad_arguments():
    with pytest.raises(ValueError, match="dims"):
        bits_per_dim(0.0, 0)
    with pytest.raises(ValueError, match="bin_width"):
        bits_per_dim(0.0, 10, bin_width=0.0)


# --------------------------------------------------------------------------- the independent critic on images


def test_image_critic_has_no_batch_norm():
    critic = image_critic(3, 32, seed=0)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in critic.modules())
    assert critic(torch.zeros(5, 3, 32, 32)).shape == (5, 1)


def test_independent_critic_tells_real_digits_from_noise_but_not_from_other_real_digits(digits):
    # measured (200 steps, seeds 0 and 1): real vs other real digits 0.40 to 0.65 in absolute
    # value (−0.47 against held-out digits), real vs uniform noise 26.7-27.3; at 100 steps, which
    # the test takes, 0.39 and 0.63 against 25.1 and 25.2 (2026-12-03)
    real, other = digits.images[:1000], digits.images[2000:3000]
    noise = torch.rand(1000, 1, 28, 28, generator=rng(0)) * 2 - 1
    same = independent_critic(real, other, steps=100, seed=0)
    different = independent_critic(real, noise, steps=100, seed=0)
    assert different > 20.0
    assert abs(same) < 0.05 * different


def test_critic_inputs_are_checked(digits):
    with pytest.raises(ValueError, match="one shape"):
        independent_critic(digits.images[:100], torch.zeros(100, 784))
    with pytest.raises(ValueError, match=r"points \(n, d\) or images \(n, C, H, W\)"):
        fit_wasserstein_critic(digits.images[:10, 0], digits.images[10:20, 0], steps=1)
    with pytest.raises(ValueError, match="NaN"):
        independent_critic(torch.full((10, 2), float("nan")), torch.zeros(10, 2))
