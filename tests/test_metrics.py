"""gan_course.metrics: mode coverage on the ring, and KL/JS grid estimates."""

import math

import pytest
import torch

from gan_course import metrics
from gan_course.data import toy
from gan_course.metrics import (
    MAX_ASSIGNMENT_POINTS,
    as_extent,
    cell_centres,
    critic_estimate,
    density_on_cells,
    exact_wasserstein,
    fit_wasserstein_critic,
    grid_divergences,
    histogram_on_cells,
    independent_critic,
    mode_coverage,
    wasserstein_1d,
)

RING = toy.ring_of_gaussians()  # 8 modes on radius 2, σ = 0.02
EXTENT = (-2.6, 2.6)
BINS = 30


def rng(seed=0):
    return torch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------- mode coverage


def test_samples_exactly_at_the_modes_cover_all_eight():
    samples = RING.modes.repeat(10, 1)
    assert mode_coverage(samples, RING.modes, RING.mode_std) == (8, 1.0)


def test_samples_at_one_mode_cover_one():
    samples = RING.modes[3] + 0.01 * torch.randn(500, 2, generator=rng())
    covered, high_quality = mode_coverage(samples, RING.modes, RING.mode_std)
    assert covered == 1
    assert high_quality > 0.95  # 0.01 = σ/2: nearly all within 3σ


def test_far_away_noise_covers_nothing():
    samples = 10.0 + torch.randn(500, 2, generator=rng())
    assert mode_coverage(samples, RING.modes, RING.mode_std) == (0, 0.0)


def test_true_samples_cover_all_modes_with_the_3_sigma_share():
    covered, high_quality = mode_coverage(RING.sample(20_000, rng()), RING.modes, RING.mode_std)
    assert covered == 8
    # P(‖x − μ‖ ≤ 3σ) for a 2D Gaussian is 1 − e^{−4.5} = 0.9889
    assert high_quality == pytest.approx(1 - math.exp(-4.5), abs=0.005)


def test_a_mode_needs_a_high_quality_sample_not_just_a_nearby_one():
    # one sample 5σ from mode 0: nearest to mode 0 but not high quality
    samples = torch.cat([RING.modes[:2], RING.modes[[0]] + torch.tensor([[0.1, 0.0]])])
    covered, high_quality = mode_coverage(samples, RING.modes, RING.mode_std)
    assert covered == 2
    assert high_quality == pytest.approx(2 / 3)
    assert mode_coverage(samples, RING.modes, RING.mode_std, threshold=6.0) == (2, 1.0)


def test_mode_coverage_rejects_wrong_shapes():
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        mode_coverage(torch.zeros(5, 3), RING.modes, RING.mode_std)


# --------------------------------------------------------------------------- grid divergences


def test_cell_masses_sum_to_one_and_give_each_narrow_mode_its_weight():
    p = density_on_cells(RING.log_prob, EXTENT, BINS)
    assert p.shape == (BINS, BINS)
    assert float(p.sum()) == pytest.approx(1.0)
    # Each mode (σ = 0.02, smaller than a cell of 0.17) keeps its 1/8 of the mass:
    # sum the masses of the cells within 0.2 of each mode.
    grid_x, grid_y = cell_centres(EXTENT, BINS)
    for mode in RING.modes.double():
        near = ((grid_x - mode[0]) ** 2 + (grid_y - mode[1]) ** 2).sqrt() < 0.2
        assert float(p[near].sum()) == pytest.approx(1 / 8, abs=1e-3)


def test_histogram_counts_every_sample_once_and_clamps_outliers():
    samples = torch.tensor([[0.0, 0.0], [100.0, -100.0], [-2.59, 2.59]])
    q = histogram_on_cells(samples, EXTENT, BINS)
    assert float(q.sum()) == pytest.approx(1.0)
    assert float(q[0, BINS - 1]) == pytest.approx(1 / 3)  # (100, -100): bottom-right border cell
    assert float(q[BINS - 1, 0]) == pytest.approx(1 / 3)  # row = y cell, column = x cell


def test_kl_and_js_of_a_distribution_with_itself_are_zero():
    p = density_on_cells(RING.log_prob, EXTENT, BINS)
    result = grid_divergences(p, p, smoothing=1e-12)
    assert result["kl"] == pytest.approx(0.0, abs=1e-9)
    assert result["js"] == pytest.approx(0.0, abs=1e-9)


def test_true_samples_give_small_estimates():
    p = density_on_cells(RING.log_prob, EXTENT, BINS)
    q = histogram_on_cells(RING.sample(2000, rng()), EXTENT, BINS)
    result = grid_divergences(p, q)
    assert 0.0 <= result["kl"] < 0.05  # measured 0.008: the floor of 2,000 samples
    assert 0.0 <= result["js"] < 0.01


def test_js_is_at_most_log_2_and_collapse_is_seen():
    p = density_on_cells(RING.log_prob, EXTENT, BINS)
    one_mode = histogram_on_cells(RING.modes[0] + 0.02 * torch.randn(2000, 2, generator=rng()),
                                  EXTENT, BINS)
    disjoint = histogram_on_cells(torch.zeros(2000, 2), EXTENT, BINS)
    collapsed, separate = grid_divergences(p, one_mode), grid_divergences(p, disjoint)
    assert 0.0 < collapsed["js"] < separate["js"] <= math.log(2)
    assert separate["js"] == pytest.approx(math.log(2), abs=0.01)
    # 7 of 8 modes missed, where q̂ = ε/C: KL(p‖q̂) ≈ (7/8) log((1/8) / (ε/C)) = 10.2 with
    # ε = 1e-3 and C = 900 cells, a little less as modes straddle cells (measured 9.4)
    assert 8.0 < collapsed["kl"] < 10.2


def test_grid_divergences_reject_mismatched_grids_and_bad_smoothing():
    with pytest.raises(ValueError, match="same grid"):
        grid_divergences(torch.ones(3, 3), torch.ones(4, 4))
    with pytest.raises(ValueError, match="smoothing"):
        grid_divergences(torch.ones(3, 3), torch.ones(3, 3), smoothing=0.0)


def test_extent_forms():
    assert as_extent((-1, 2)) == (-1.0, 2.0, -1.0, 2.0)
    assert as_extent((0, 1, -3, 3)) == (0.0, 1.0, -3.0, 3.0)
    with pytest.raises(ValueError, match="low < high"):
        as_extent((2, 1))


def test_default_extent_is_a_padded_square_around_the_data_and_the_same_every_time():
    x_low, x_high, y_low, y_high = metrics.default_extent(RING, padding=0.2)
    assert x_high - x_low == pytest.approx(y_high - y_low)  # a square
    # the ring's samples reach about ±2.06; padding adds 20% of the side on each side
    assert x_low == pytest.approx(-2.0 * 1.4, abs=0.15) and x_high == pytest.approx(2.0 * 1.4, abs=0.15)
    assert metrics.default_extent(RING) == metrics.default_extent(RING)


def test_has_density_tells_distributions_with_a_log_prob_from_those_without():
    assert metrics.has_density(RING)
    assert not metrics.has_density(toy.TwoMoons())
    assert not metrics.has_density(object())


# --------------------------------------------------------------------------- Wasserstein distances


def test_wasserstein_1d_matches_the_sorted_gaps_and_scipy():
    from scipy.stats import wasserstein_distance

    x = torch.tensor([3.0, -1.0, 0.5, 2.0])
    y = torch.tensor([0.0, 0.0, 4.0, 1.0])
    # sorted: (-1, 0.5, 2, 3) against (0, 0, 1, 4): gaps 1, 0.5, 1, 1
    assert wasserstein_1d(x, y) == pytest.approx(3.5 / 4)
    samples = torch.randn(2, 300, generator=rng(3))
    assert wasserstein_1d(*samples) == pytest.approx(wasserstein_distance(*samples.numpy()))


def test_wasserstein_1d_properties():
    x = torch.randn(500, generator=rng(4))
    assert wasserstein_1d(x, x[torch.randperm(500, generator=rng(5))]) == 0.0  # order is irrelevant
    assert wasserstein_1d(x, x + 1.5) == pytest.approx(1.5)  # a shift moves every point by 1.5
    assert wasserstein_1d(x, 3 * x) == pytest.approx(2 * float(x.abs().mean()), rel=1e-6)
    y = torch.randn(500, generator=rng(6))
    assert wasserstein_1d(x, y) == pytest.approx(wasserstein_1d(y, x))


def test_exact_wasserstein_of_a_shifted_point_cloud_is_the_shift():
    # Any coupling moves mass ≥ |E x − E y| = ‖v‖ (Jensen), and the translation achieves it.
    cloud = torch.randn(300, 2, generator=rng(7))
    for shift in ([2.0, 0.0], [0.3, -0.4], [0.0, 0.0]):
        assert exact_wasserstein(cloud, cloud + torch.tensor(shift)) == \
            pytest.approx(float(torch.tensor(shift).norm()), abs=1e-6)


def test_exact_wasserstein_small_cases_by_hand():
    x = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    # crossing the pairs would cost (√2 + √2) / 2; the straight pairs cost (1 + 1) / 2
    assert exact_wasserstein(x, torch.tensor([[0.0, 1.0], [1.0, 1.0]])) == pytest.approx(1.0)
    # points already in place, listed in another order: distance 0
    assert exact_wasserstein(x, x.flip(0)) == 0.0
    # in 1D the assignment reduces to the sorted closed form
    a, b = torch.randn(2, 100, 1, generator=rng(8))
    assert exact_wasserstein(a, b) == pytest.approx(wasserstein_1d(a, b), rel=1e-9)


def test_exact_wasserstein_is_a_metric_on_samples():
    x, y, z = torch.randn(3, 80, 2, generator=rng(9)) * torch.tensor([1.0, 2.0])
    xy, yz, xz = exact_wasserstein(x, y), exact_wasserstein(y, z), exact_wasserstein(x, z)
    assert xy == pytest.approx(exact_wasserstein(y, x))
    assert xz <= xy + yz + 1e-9


def test_wasserstein_errors_name_the_fix():
    with pytest.raises(ValueError, match=r"same size, got 10 and 12 points; take the first"):
        exact_wasserstein(torch.zeros(10, 2), torch.zeros(12, 2))
    with pytest.raises(ValueError, match="same size"):
        wasserstein_1d(torch.zeros(3), torch.zeros(4))
    big = torch.zeros(MAX_ASSIGNMENT_POINTS + 1, 2)
    with pytest.raises(ValueError, match="too many for an exact assignment.*subsample"):
        exact_wasserstein(big, big)
    with pytest.raises(ValueError, match="NaN"):
        exact_wasserstein(torch.full((3, 2), float("nan")), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="points in one space, got 2D and 3D points"):
        exact_wasserstein(torch.zeros(3, 2), torch.zeros(3, 3))
    # 50 numbers are 50 1D samples, not 25 points: the message must not advise .reshape(-1, 2)
    with pytest.raises(ValueError, match=r"got \(50,\); for 1D samples use wasserstein_1d"):
        exact_wasserstein(torch.zeros(50), torch.zeros(50))
    with pytest.raises(ValueError, match="for images independent_critic"):
        exact_wasserstein(torch.zeros(10, 1, 4, 4), torch.zeros(10, 1, 4, 4))
    # flattening 2D points into one 1D sample would give 1.0 where W is √2
    with pytest.raises(ValueError, match=r"\(n,\) or \(n, 1\), got \(100, 2\); use exact_wasserstein"):
        wasserstein_1d(torch.zeros(100, 2), torch.tensor([[1.0, -1.0]]).repeat(100, 1))
    assert wasserstein_1d(torch.zeros(4, 1), torch.ones(4)) == pytest.approx(1.0)


@pytest.mark.parametrize("options, message", [
    (dict(steps=0), "steps must be a positive integer, got 0"),
    (dict(steps=-5), "steps must be a positive integer, got -5"),
    (dict(batch_size=0), "batch_size must be a positive integer, got 0"),
])
def test_a_critic_is_not_returned_untrained(options, message):
    ring = toy.ring_of_gaussians().sample(50, rng(0))
    with pytest.raises(ValueError, match=message):
        independent_critic(ring, ring + 3.0, **options)


# Measured on seeds 0-4 (1,000 points of each, 500 critic steps): estimates 1.93-2.03 for
# W = 2 (seed 0: 1.935, exact distance of the 500-point samples 1.952), and 0.95-1.01 for
# W = 1; without rescaling by the mean slope, 2.13-2.22 (the soft penalty's 1 + W/(2λ)).
CRITIC_TOLERANCE = 0.1  # relative


def test_independent_critic_estimates_the_exact_wasserstein_distance():
    p, q = toy.Gaussian([0.0, 0.0], std=1.0), toy.Gaussian([2.0, 0.0], std=1.0)
    shared = rng(0)
    real, fake = p.sample(1000, shared), q.sample(1000, shared)
    estimate = independent_critic(real, fake, seed=0)
    exact = exact_wasserstein(real[:500], fake[:500])
    assert estimate == pytest.approx(exact, rel=CRITIC_TOLERANCE)
    assert estimate == pytest.approx(2.0, rel=CRITIC_TOLERANCE)  # W between the two Gaussians


def test_independent_critic_sees_no_distance_between_samples_of_one_distribution():
    p = toy.Gaussian([0.0, 0.0], std=1.0)
    real, other = p.sample(1000, rng(1)), p.sample(1000, rng(2))
    # measured -0.005, -0.017, -0.005 on three seeds, while the exact distance between two
    # 500-point samples of one distribution is 0.18-0.22 (its n^(-1/2) bias): held-out
    # evaluation does not reward a critic for separating the points it was trained on
    assert abs(independent_critic(real, other, steps=300, seed=0)) < 0.05


def test_fit_wasserstein_critic_is_seeded_and_leaves_the_global_random_state_alone():
    real, fake = torch.randn(2, 200, 2, generator=rng(3))
    state = torch.get_rng_state()
    first = critic_estimate(fit_wasserstein_critic(real, fake + 1, steps=20, seed=4), real, fake + 1)
    again = critic_estimate(fit_wasserstein_critic(real, fake + 1, steps=20, seed=4), real, fake + 1)
    assert first == again
    assert torch.equal(torch.get_rng_state(), state)
    with pytest.raises(ValueError, match="too few points"):
        independent_critic(real[:3], fake[:3])
    with pytest.raises(ValueError, match="test_fraction"):
        independent_critic(real, fake, test_fraction=1.0)


def test_mode_shares_count_high_quality_samples_per_nearest_mode():
    modes = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    samples = torch.tensor([[0.1, 0.0], [-0.2, 0.1], [10.0, 0.25], [10.0, 0.5], [5.0, 0.0]])
    # σ = 0.1: within 0.3 of a mode counts; (10, 0.5) and (5, 0) are too far from theirs
    shares = metrics.mode_shares(samples, modes, 0.1)
    assert torch.allclose(shares, torch.tensor([2 / 5, 1 / 5]))
    covered, high_quality = metrics.mode_coverage(samples, modes, 0.1)
    assert (covered, high_quality) == (2, pytest.approx(3 / 5))


def test_mode_shares_of_a_collapsed_generator():
    ring = toy.ring_of_gaussians()
    on_one_mode = ring.modes[3] + 0.02 * torch.randn(500, 2, generator=torch.Generator().manual_seed(0))
    shares = metrics.mode_shares(on_one_mode, ring.modes, ring.mode_std)
    assert shares[3] > 0.95 and shares.sum() == shares[3]
