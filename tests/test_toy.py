"""gan_course.data.toy: exact densities, samplers and argument checks."""

import math

import numpy as np
import pytest
import torch
from scipy import stats
from scipy.special import logsumexp

from gan_course.data import toy
from gan_course.data.toy import (
    Gaussian,
    GaussianMixture,
    SwissRoll,
    TwoMoons,
    grid_of_gaussians,
    log_ratio,
    named,
    ring_of_gaussians,
)

N_LARGE = 200_000
# Standard error of a sample mean with sd <= 1.5 at n = 200k is ~0.0034 and of a
# variance <= 2 is ~0.0063, so these tolerances are ~5 standard errors.
MEAN_TOL = 0.02
COV_TOL = 0.03

POINTS_1D = [-3.0, -1.2, 0.0, 0.4, 1.0, 2.5, 7.0]


def rng(seed=0):
    return torch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------- Gaussian


def test_standard_normal_log_prob_at_zero_literal():
    # log N(0; 0, 1) = -½ log(2π)
    value = Gaussian(0.0, std=1.0).log_prob(torch.tensor([[0.0]]))
    assert value.item() == pytest.approx(-0.9189385332046727, abs=1e-6)


@pytest.mark.parametrize("mean, std", [(0.0, 1.0), (1.0, 0.7), (-0.5, 1.2), (3.0, 0.05)])
def test_gaussian_1d_log_prob_matches_scipy(mean, std):
    x = torch.tensor(POINTS_1D, dtype=torch.float64)
    got = Gaussian(mean, std=std).log_prob(x.reshape(-1, 1))
    expected = stats.norm.logpdf(np.array(POINTS_1D), loc=mean, scale=std)
    assert got.shape == (len(POINTS_1D),)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)


def test_gaussian_1d_accepts_flat_points():
    g = Gaussian(1.0, std=0.7)
    x = torch.tensor(POINTS_1D)
    assert torch.equal(g.log_prob(x), g.log_prob(x.reshape(-1, 1)))


def test_gaussian_log_prob_dtypes():
    g = Gaussian(0.0, std=1.0)
    assert g.log_prob(torch.zeros(4, 1)).dtype == torch.float32
    assert g.log_prob(torch.zeros(4, 1, dtype=torch.float64)).dtype == torch.float64
    assert g.log_prob(torch.zeros(4, 1, dtype=torch.int64)).dtype == torch.float32


def test_gaussian_2d_full_cov_matches_scipy():
    mean = [0.5, -1.0]
    cov = [[2.0, 0.6], [0.6, 1.0]]
    x = np.array([[0.0, 0.0], [0.5, -1.0], [2.0, 1.0], [-3.0, 0.5], [1.0, -4.0]])
    got = Gaussian(mean, cov=cov).log_prob(torch.tensor(x))
    expected = stats.multivariate_normal(mean=mean, cov=cov).logpdf(x)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)


def test_gaussian_2d_diagonal_std_matches_scipy():
    x = np.array([[0.0, 0.0], [1.0, -2.0], [-0.3, 4.0]])
    got = Gaussian([1.0, 0.0], std=[0.5, 2.0]).log_prob(torch.tensor(x))
    expected = stats.multivariate_normal(mean=[1.0, 0.0], cov=np.diag([0.25, 4.0])).logpdf(x)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)


def test_gaussian_isotropic_std_in_2d():
    g = Gaussian([0.0, 0.0], std=2.0)
    torch.testing.assert_close(g.cov, torch.diag(torch.tensor([4.0, 4.0], dtype=torch.float64)))


def test_gaussian_log_prob_peaks_at_mean():
    g = Gaussian([0.5, -1.0], cov=[[2.0, 0.6], [0.6, 1.0]])
    x = torch.tensor([[0.5, -1.0], [0.6, -1.0], [0.5, -0.9], [0.0, 0.0]])
    values = g.log_prob(x)
    assert values.argmax().item() == 0


@pytest.mark.parametrize(
    "mean, kwargs",
    [
        (1.0, {"std": 0.7}),
        ([0.5, -1.0], {"cov": [[2.0, 0.6], [0.6, 1.0]]}),
        ([0.0, 3.0], {"std": [1.5, 0.3]}),
    ],
)
def test_gaussian_sample_moments(mean, kwargs):
    g = Gaussian(mean, **kwargs)
    x = g.sample(N_LARGE, rng=rng(0)).double()
    assert x.shape == (N_LARGE, g.dim)
    torch.testing.assert_close(x.mean(0), g.mean, atol=MEAN_TOL, rtol=0)
    sample_cov = torch.cov(x.T).reshape(g.dim, g.dim)
    torch.testing.assert_close(sample_cov, g.cov, atol=COV_TOL, rtol=0)


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_gaussian_sample_shape_and_dtype(dim):
    x = Gaussian([0.0] * dim, std=1.0).sample(10, rng=rng(0))
    assert x.shape == (10, dim)
    assert x.dtype == torch.float32


def test_gaussian_same_seed_same_samples():
    g = Gaussian([0.5, -1.0], cov=[[2.0, 0.6], [0.6, 1.0]])
    assert torch.equal(g.sample(100, rng=rng(7)), g.sample(100, rng=rng(7)))
    assert not torch.equal(g.sample(100, rng=rng(7)), g.sample(100, rng=rng(8)))


def test_gaussian_sample_without_rng():
    x = Gaussian(0.0, std=1.0).sample(5)
    assert x.shape == (5, 1)
    assert torch.isfinite(x).all()


# --------------------------------------------------------------------------- Gaussian errors


@pytest.mark.parametrize("std", [-1.0, 0.0, [1.0, -0.5]])
def test_gaussian_rejects_non_positive_std(std):
    mean = [0.0, 0.0] if isinstance(std, list) else 0.0
    with pytest.raises(ValueError, match="std must be positive"):
        Gaussian(mean, std=std)


def test_gaussian_rejects_non_positive_definite_cov():
    with pytest.raises(ValueError, match="positive definite"):
        Gaussian([0.0, 0.0], cov=[[1.0, 2.0], [2.0, 1.0]])


def test_gaussian_rejects_non_symmetric_cov():
    with pytest.raises(ValueError, match="symmetric"):
        Gaussian([0.0, 0.0], cov=[[1.0, 0.5], [0.1, 1.0]])


def test_gaussian_rejects_cov_of_wrong_shape():
    with pytest.raises(ValueError, match="shape"):
        Gaussian([0.0, 0.0], cov=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


def test_gaussian_rejects_std_of_wrong_length():
    with pytest.raises(ValueError, match="entries"):
        Gaussian([0.0, 0.0], std=[1.0, 1.0, 1.0])


@pytest.mark.parametrize("kwargs", [{}, {"std": 1.0, "cov": 1.0}])
def test_gaussian_needs_exactly_one_of_std_and_cov(kwargs):
    with pytest.raises(ValueError, match="exactly one of std= .* or cov="):
        Gaussian(0.0, **kwargs)


@pytest.mark.parametrize("n", [0, -3, 2.5, "10", True])
def test_sample_rejects_bad_sizes(n):
    with pytest.raises(ValueError, match="positive integer"):
        Gaussian(0.0, std=1.0).sample(n)


@pytest.mark.parametrize("shape", [(5, 3), (5,), (5, 1), (2, 5, 2)])
def test_log_prob_rejects_wrong_shape_2d(shape):
    with pytest.raises(ValueError, match=r"x must have shape \(n, 2\)"):
        Gaussian([0.0, 0.0], std=1.0).log_prob(torch.zeros(shape))


def test_log_prob_rejects_wrong_shape_1d():
    with pytest.raises(ValueError, match=r"reshape"):
        Gaussian(0.0, std=1.0).log_prob(torch.zeros(4, 2))


# --------------------------------------------------------------------------- mixtures


def test_mixture_1d_log_prob_matches_scipy_logsumexp():
    means, stds, weights = [-1.0, 2.0, 4.0], [0.5, 1.0, 0.3], [0.2, 0.5, 0.3]
    mixture = GaussianMixture(means, stds, weights)
    x = np.array(POINTS_1D)
    components = np.stack(
        [np.log(w) + stats.norm.logpdf(x, m, s) for m, s, w in zip(means, stds, weights)], axis=1
    )
    expected = logsumexp(components, axis=1)
    got = mixture.log_prob(torch.tensor(x))
    assert got.shape == (len(x),)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)


def test_mixture_2d_log_prob_matches_scipy_logsumexp():
    means = np.array([[0.0, 0.0], [2.0, 1.0]])
    stds, weights = [0.5, 1.5], [0.4, 0.6]
    x = np.array([[0.0, 0.0], [1.0, 0.5], [2.0, 1.0], [-2.0, 3.0]])
    components = np.stack(
        [
            np.log(w) + stats.multivariate_normal(m, s**2 * np.eye(2)).logpdf(x)
            for m, s, w in zip(means, stds, weights)
        ],
        axis=1,
    )
    got = GaussianMixture(means, stds, weights).log_prob(torch.tensor(x))
    np.testing.assert_allclose(got.numpy(), logsumexp(components, axis=1), rtol=1e-10)


def test_mixture_default_weights_are_uniform():
    mixture = GaussianMixture([-1.0, 1.0], 1.0)
    torch.testing.assert_close(mixture.weights, torch.tensor([0.5, 0.5], dtype=torch.float64))
    # a symmetric mixture of two unit Gaussians at ±1, evaluated at 0: log N(0; 1, 1)
    assert mixture.log_prob(torch.tensor([0.0])).item() == pytest.approx(
        -0.5 * math.log(2 * math.pi) - 0.5, abs=1e-6
    )


def test_mixture_1d_density_integrates_to_one():
    mixture = GaussianMixture([-1.0, 2.0, 4.0], [0.5, 1.0, 0.3], [0.2, 0.5, 0.3])
    grid = torch.linspace(-12.0, 14.0, 20_001, dtype=torch.float64)
    density = mixture.log_prob(grid).exp()
    assert torch.trapezoid(density, grid).item() == pytest.approx(1.0, abs=1e-6)


def test_mixture_sample_weights_and_shape():
    mixture = GaussianMixture([-5.0, 5.0], 0.5, weights=[0.3, 0.7])
    x = mixture.sample(N_LARGE, rng=rng(1))
    assert x.shape == (N_LARGE, 1) and x.dtype == torch.float32
    # binomial sd of the share is sqrt(0.21 / 200k) ~ 0.001
    assert (x < 0).double().mean().item() == pytest.approx(0.3, abs=0.01)
    assert x[x < 0].mean().item() == pytest.approx(-5.0, abs=MEAN_TOL)
    assert x[x > 0].std().item() == pytest.approx(0.5, abs=MEAN_TOL)


def test_mixture_same_seed_same_samples():
    ring = ring_of_gaussians()
    assert torch.equal(ring.sample(50, rng=rng(3)), ring.sample(50, rng=rng(3)))


@pytest.mark.parametrize("weights", [[0.5, 0.6], [0.2, 0.2]])
def test_mixture_rejects_weights_not_summing_to_one(weights):
    with pytest.raises(ValueError, match="sum to 1"):
        GaussianMixture([-1.0, 1.0], 1.0, weights=weights)


@pytest.mark.parametrize("weights", [[-0.5, 1.5], [0.0, 1.0], [0.5, 0.3, 0.2]])
def test_mixture_rejects_negative_or_misshapen_weights(weights):
    with pytest.raises(ValueError, match="positive numbers"):
        GaussianMixture([-1.0, 1.0], 1.0, weights=weights)


@pytest.mark.parametrize("stds", [-1.0, 0.0, [1.0, 1.0, 1.0]])
def test_mixture_rejects_bad_stds(stds):
    with pytest.raises(ValueError, match="stds"):
        GaussianMixture([-1.0, 1.0], stds)


def test_mixture_log_prob_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        ring_of_gaussians().log_prob(torch.zeros(4, 3))


# --------------------------------------------------------------------------- ring and grid


def test_ring_of_gaussians_conventions():
    ring = ring_of_gaussians()
    modes = ring.modes
    assert modes.shape == (8, 2)
    torch.testing.assert_close(modes.norm(dim=1), torch.full((8,), 2.0))
    torch.testing.assert_close(ring.mode_std, torch.full((8,), 0.02))
    angles = torch.atan2(modes[:, 1].double(), modes[:, 0].double())
    steps = torch.remainder(angles.roll(-1) - angles, 2 * math.pi)
    torch.testing.assert_close(steps, torch.full((8,), 2 * math.pi / 8, dtype=torch.float64))
    torch.testing.assert_close(ring.weights, torch.full((8,), 1 / 8, dtype=torch.float64))


def test_ring_first_mode_literal():
    torch.testing.assert_close(ring_of_gaussians().modes[0], torch.tensor([2.0, 0.0]))
    torch.testing.assert_close(
        ring_of_gaussians().modes[1], torch.tensor([math.sqrt(2.0), math.sqrt(2.0)])
    )


def test_ring_samples_lie_near_modes():
    ring = ring_of_gaussians()
    x = ring.sample(8000, rng=rng(0))
    distances = torch.cdist(x, ring.modes)
    nearest = distances.min(dim=1)
    # 0.02 std in 2D: the distance to the own mode exceeds 6 std with probability e^{-18}
    assert nearest.values.max().item() < 6 * 0.02
    counts = torch.bincount(nearest.indices, minlength=8)
    assert counts.min().item() > 800  # expected 1000 each


def test_grid_of_gaussians_conventions():
    grid = grid_of_gaussians()
    modes = grid.modes
    assert modes.shape == (25, 2)
    expected = {(float(a), float(b)) for a in (-4, -2, 0, 2, 4) for b in (-4, -2, 0, 2, 4)}
    assert {tuple(m) for m in modes.tolist()} == expected
    torch.testing.assert_close(grid.mode_std, torch.full((25,), 0.05))


def test_ring_log_prob_at_a_mode_literal():
    # at a mode, the other modes (≥ 1.53 away, 0.02 std) contribute nothing:
    # log p = log(1/8) - log(2π σ²) with σ = 0.02
    ring = ring_of_gaussians()
    value = ring.log_prob(ring.modes[:1].double()).item()
    assert value == pytest.approx(math.log(1 / 8) - math.log(2 * math.pi * 0.02**2), abs=1e-9)


@pytest.mark.parametrize(
    "maker, kwargs", [(ring_of_gaussians, {"n_modes": 0}), (ring_of_gaussians, {"radius": 0.0}),
                      (grid_of_gaussians, {"side": 0}), (grid_of_gaussians, {"spacing": -1.0})]
)
def test_ring_and_grid_reject_bad_arguments(maker, kwargs):
    with pytest.raises(ValueError, match="need"):
        maker(**kwargs)


# --------------------------------------------------------------------------- moons and roll


@pytest.mark.parametrize("cls", [TwoMoons, SwissRoll])
def test_sample_only_distributions(cls):
    dist = cls()
    x = dist.sample(500, rng=rng(0))
    assert dist.dim == 2
    assert x.shape == (500, 2) and x.dtype == torch.float32
    assert torch.equal(x, dist.sample(500, rng=rng(0)))
    with pytest.raises(NotImplementedError):
        dist.log_prob(x)


@pytest.mark.parametrize("cls", [TwoMoons, SwissRoll])
def test_sample_only_distributions_reject_negative_noise(cls):
    with pytest.raises(ValueError, match="noise"):
        cls(noise=-0.1)


def test_two_moons_without_noise_lie_on_unit_half_circles():
    x = TwoMoons(noise=0.0).sample(1000, rng=rng(0)).double()
    upper = (x[:, 0] ** 2 + x[:, 1] ** 2 - 1).abs() < 1e-5
    lower = ((x[:, 0] - 1) ** 2 + (x[:, 1] - 0.5) ** 2 - 1).abs() < 1e-5
    assert bool((upper | lower).all())
    assert 400 < int(upper.sum()) < 600


def test_swiss_roll_without_noise_radius_in_range():
    x = SwissRoll(noise=0.0).sample(1000, rng=rng(0)).double()
    radius = x.norm(dim=1)  # |t| / 5 with t in [1.5π, 4.5π]
    assert radius.min().item() >= 1.5 * math.pi / 5 - 1e-5
    assert radius.max().item() <= 4.5 * math.pi / 5 + 1e-5


# --------------------------------------------------------------------------- named


def test_named_ring():
    ring = named("ring")
    assert isinstance(ring, GaussianMixture)
    torch.testing.assert_close(ring.modes, ring_of_gaussians().modes)


def test_named_passes_keywords():
    assert named("ring", n_modes=4).modes.shape == (4, 2)
    assert named("grid").modes.shape == (25, 2)
    assert isinstance(named("moons"), TwoMoons)
    assert isinstance(named("swiss_roll"), SwissRoll)


def test_named_unknown_lists_choices():
    with pytest.raises(ValueError) as info:
        named("nope")
    message = str(info.value)
    assert "'nope'" in message
    for choice in ("ring", "grid", "moons", "swiss_roll"):
        assert choice in message


# --------------------------------------------------------------------------- log_ratio


def test_log_ratio_is_difference_of_log_probs():
    p, q = ring_of_gaussians(), grid_of_gaussians()
    x = torch.tensor([[2.0, 0.0], [0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    torch.testing.assert_close(log_ratio(p, q, x), p.log_prob(x) - q.log_prob(x))


def test_log_ratio_two_gaussians_closed_form():
    mu1, s1, mu2, s2 = 1.0, 0.7, -0.5, 1.2
    x = np.array(POINTS_1D)
    expected = (
        -0.5 * ((x - mu1) / s1) ** 2 - math.log(s1) + 0.5 * ((x - mu2) / s2) ** 2 + math.log(s2)
    )
    got = log_ratio(Gaussian(mu1, std=s1), Gaussian(mu2, std=s2), torch.tensor(x))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-12)


def test_log_ratio_literal_values():
    # N(0,1) against N(0,2²) at x = 0 is log 2; against itself it is 0 everywhere.
    p, q = Gaussian(0.0, std=1.0), Gaussian(0.0, std=2.0)
    assert log_ratio(p, q, torch.tensor([0.0])).item() == pytest.approx(math.log(2.0), abs=1e-6)
    assert torch.equal(log_ratio(p, p, torch.tensor(POINTS_1D)), torch.zeros(len(POINTS_1D)))


def test_module_exports():
    for name in toy.__all__:
        assert hasattr(toy, name)
