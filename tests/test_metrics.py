"""gan_course.metrics: mode coverage on the ring, and KL/JS grid estimates."""

import math

import pytest
import torch

from gan_course.data import toy
from gan_course.metrics import (
    as_extent,
    cell_centres,
    density_on_cells,
    grid_divergences,
    histogram_on_cells,
    mode_coverage,
)

RING = toy.ring_of_gaussians()  # 8 modes on radius 2, σ = 0.02
EXTENT = (-2.6, 2.6)
BINS = 30


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------- mode coverage


def test_samples_exactly_at_the_modes_cover_all_eight():
    samples = RING.modes.repeat(10, 1)
    assert mode_coverage(samples, RING.modes, RING.mode_std) == (8, 1.0)


def test_samples_at_one_mode_cover_one():
    samples = RING.modes[3] + 0.01 * torch.randn(500, 2, generator=gen())
    covered, high_quality = mode_coverage(samples, RING.modes, RING.mode_std)
    assert covered == 1
    assert high_quality > 0.95  # 0.01 = σ/2: nearly all within 3σ


def test_far_away_noise_covers_nothing():
    samples = 10.0 + torch.randn(500, 2, generator=gen())
    assert mode_coverage(samples, RING.modes, RING.mode_std) == (0, 0.0)


def test_true_samples_cover_all_modes_with_the_3_sigma_share():
    covered, high_quality = mode_coverage(RING.sample(20_000, gen()), RING.modes, RING.mode_std)
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
    q = histogram_on_cells(RING.sample(2000, gen()), EXTENT, BINS)
    result = grid_divergences(p, q)
    assert 0.0 <= result["kl"] < 0.05  # measured 0.008: the floor of 2,000 samples
    assert 0.0 <= result["js"] < 0.01


def test_js_is_at_most_log_2_and_collapse_is_seen():
    p = density_on_cells(RING.log_prob, EXTENT, BINS)
    one_mode = histogram_on_cells(RING.modes[0] + 0.02 * torch.randn(2000, 2, generator=gen()),
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
