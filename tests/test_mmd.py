"""gan_course.divergences.mmd: Gaussian-kernel MMD², its estimators, the permutation test, GMMN loss.

Golden values use x = {0, 1} and y = {0, 2} in 1D with σ = 1, where every kernel
value is 1, a = e^{−1/2} (distance 1) or b = e^{−2} (distance 2):

    biased   = (2 + 2a)/4 + (2 + 2b)/4 − 2 (1 + b + 2a)/4 = (1 − a)/2
    unbiased = a + b − (1 + b + 2a)/2 = b/2 − ½   (negative: the U-statistic can be)
"""

import math

import pytest
import torch

from gan_course.divergences import kernels, mmd

X_TINY = torch.tensor([[0.0], [1.0]])
Y_TINY = torch.tensor([[0.0], [2.0]])
A, B = math.exp(-0.5), math.exp(-2.0)


def draws(repeats, n, shift=0.0, seed=0, dim=2):
    """``repeats`` pairs of samples: x ~ N(0, I), y ~ N(shift·e₁, I)."""
    rng = torch.Generator().manual_seed(seed)
    x = torch.randn(repeats, n, dim, generator=rng)
    y = torch.randn(repeats, n, dim, generator=rng)
    y[..., 0] += shift
    return x, y


# --------------------------------------------------------------------------- golden values


def test_golden_values_on_tiny_inputs():
    assert mmd.mmd2_biased(X_TINY, Y_TINY, 1.0).item() == pytest.approx((1 - A) / 2, abs=1e-7)
    assert mmd.mmd2_unbiased(X_TINY, Y_TINY, 1.0).item() == pytest.approx(B / 2 - 0.5, abs=1e-7)
    # two bandwidths: the kernel is a sum, so the estimates add; σ = 2 gives a = e^{−1/8}
    both = mmd.mmd2_biased(X_TINY, Y_TINY, (1.0, 2.0)).item()
    assert both == pytest.approx((1 - A) / 2 + (1 - math.exp(-1 / 8)) / 2, abs=1e-7)
    # the witness at t = 0: mean(1, a) − mean(1, b)
    assert mmd.witness(X_TINY, Y_TINY, torch.zeros(1, 1), 1.0).item() == pytest.approx((A - B) / 2)
    # 1D inputs are points too
    assert mmd.mmd2_biased(X_TINY.flatten(), Y_TINY.flatten(), 1.0).item() == pytest.approx((1 - A) / 2)


def test_gaussian_kernel_golden_values_and_median_heuristic():
    kernel = kernels.gaussian_kernel(X_TINY, Y_TINY, 1.0)
    assert kernel.flatten().tolist() == pytest.approx([1.0, B, A, A])
    # pooled points 0, 1, 0, 2: distances 1, 0, 2, 1, 1, 2 → median 1
    assert kernels.as_bandwidths(None, X_TINY, Y_TINY) == pytest.approx((1.0,))


def test_witness_means_give_the_biased_estimate():
    x, y = draws(1, 40, shift=0.5)
    x, y = x[0], y[0]
    witness = lambda points: mmd.witness(x, y, points, (0.5, 2.0))  # noqa: E731
    difference = witness(x).mean() - witness(y).mean()
    assert difference.item() == pytest.approx(mmd.mmd2_biased(x, y, (0.5, 2.0)).item(), abs=1e-6)


# --------------------------------------------------------------------------- properties


def test_biased_is_at_least_unbiased_and_never_negative():
    for seed in range(5):
        x, y = draws(1, 15, shift=0.3 * seed, seed=seed)
        for bandwidths in (0.3, 1.0, (0.2, 1.0, 5.0)):
            biased = mmd.mmd2_biased(x[0], y[0], bandwidths).item()
            unbiased = mmd.mmd2_unbiased(x[0], y[0], bandwidths).item()
            assert biased >= unbiased - 1e-7 and biased >= -1e-7


def test_unbiased_mmd2_has_mean_zero_for_identical_distributions():
    """The issue's test: over R draws, |mean| ≤ 4 standard errors (a false alarm has p ≈ 6e-5)."""
    repeats, n = 400, 20
    x, y = draws(repeats, n)
    unbiased = torch.stack([mmd.mmd2_unbiased(x[r], y[r], 1.0) for r in range(repeats)])
    standard_error = unbiased.std() / math.sqrt(repeats)
    assert unbiased.mean().abs() <= 4 * standard_error
    assert (unbiased < 0).float().mean() > 0.3  # it is negative for a good share of draws
    # the biased estimate on the same draws sits far above 0: this test can tell them apart
    biased = torch.stack([mmd.mmd2_biased(x[r], y[r], 1.0) for r in range(repeats)])
    assert biased.mean() > 20 * biased.std() / math.sqrt(repeats)


def test_unbiased_mmd2_has_the_population_value_as_its_mean_when_distributions_differ():
    repeats, n, bandwidth = 300, 10, 1.0
    x, y = draws(repeats, n, shift=1.0)
    small = torch.stack([mmd.mmd2_unbiased(x[r], y[r], bandwidth) for r in range(repeats)])
    big_x, big_y = draws(1, 3000, shift=1.0, seed=9)
    population = mmd.mmd2_unbiased(big_x[0], big_y[0], bandwidth)  # standard error ≈ 0.002
    assert (small.mean() - population).abs() <= 4 * small.std() / math.sqrt(repeats) + 0.01


# --------------------------------------------------------------------------- the permutation test


@pytest.mark.parametrize("estimator", ["biased", "unbiased"])
def test_permutation_statistics_equal_the_estimator_on_relabelled_samples(estimator):
    x, y = draws(1, 7, shift=0.5)
    pooled = torch.cat([x[0], y[0]]).double()
    kernel = kernels.gaussian_kernel(pooled, pooled, (0.5, 1.5))
    rng = torch.Generator().manual_seed(4)
    orders = torch.stack([torch.randperm(14, generator=rng) for _ in range(5)])
    is_x = torch.zeros(5, 14, dtype=torch.bool)
    is_x.scatter_(1, orders[:, :7], True)
    batched = mmd.permutation_statistics(kernel, is_x, estimator)
    for row in range(5):
        direct = mmd.ESTIMATORS[estimator](pooled[is_x[row]], pooled[~is_x[row]], (0.5, 1.5))
        assert batched[row].item() == pytest.approx(direct.item(), abs=1e-10)


def test_p_value_is_a_valid_permutation_p_value():
    x, y = draws(1, 30, shift=3.0)
    result = mmd.permutation_test(x[0], y[0], permutations=99)
    assert result.p_value == pytest.approx(1 / 100)  # no relabelling beats the true split
    assert result.null.shape == (99,) and len(result.bandwidths) == 1
    assert torch.equal(result.null, mmd.permutation_test(x[0], y[0], permutations=99).null)  # seeded
    x, y = draws(1, 30, seed=2)
    same = mmd.permutation_test(x[0], y[0], permutations=99)
    assert 1 / 100 <= same.p_value <= 1.0


def test_false_positive_rate_is_near_the_level_and_power_is_high():
    level, repeats = 0.05, 300
    x, y = draws(repeats, 20, seed=5)
    p_values = torch.tensor([mmd.permutation_test(x[r], y[r], permutations=99, seed=r).p_value
                             for r in range(repeats)])
    rate = (p_values <= level).float().mean().item()
    # binomial standard error sqrt(.05 · .95 / 300) ≈ 0.0126; allow 3.5 of them each way
    assert abs(rate - level) <= 3.5 * math.sqrt(level * (1 - level) / repeats)
    x, y = draws(40, 50, shift=1.0, seed=6)
    power = sum(mmd.permutation_test(x[r], y[r], permutations=99, seed=r).p_value <= level
                for r in range(40)) / 40
    assert power >= 0.9


# --------------------------------------------------------------------------- the GMMN loss


def test_mmd_loss_is_the_estimate_with_a_witness_and_gradients():
    x, y = draws(1, 25, shift=1.0)
    real, fake = x[0], y[0].clone().requires_grad_(True)
    loss = mmd.MMDLoss(bandwidths=(0.5, 2.0))
    value = loss(real, fake)
    assert value.item() == pytest.approx(mmd.mmd2_biased(real, fake, (0.5, 2.0)).item())
    assert mmd.MMDLoss((0.5, 2.0), "unbiased")(real, fake).item() == pytest.approx(
        mmd.mmd2_unbiased(real, fake, (0.5, 2.0)).item())
    (gradient,) = torch.autograd.grad(value, fake)
    # −∇ pushes the fakes, shifted by +1 along x₁, back towards the data
    assert gradient[:, 0].sum().item() > 0
    grid = torch.zeros(3, 2)
    assert loss.witness(real, fake.detach(), grid).shape == (3,)


def test_bad_inputs_get_clear_messages():
    with pytest.raises(ValueError, match="bandwidth σ must be a positive number"):
        mmd.mmd2_biased(X_TINY, Y_TINY, (1.0, -2.0))
    with pytest.raises(ValueError, match="differ in dimension"):
        mmd.mmd2_biased(X_TINY, torch.zeros(3, 2), 1.0)
    with pytest.raises(ValueError, match="at least two samples"):
        mmd.mmd2_unbiased(X_TINY[:1], Y_TINY, 1.0)
    with pytest.raises(ValueError, match="'biased' or 'unbiased'"):
        mmd.MMDLoss(1.0, estimator="linear")
    with pytest.raises(ValueError, match="permutations"):
        mmd.permutation_test(X_TINY, Y_TINY, permutations=0)


# --------------------------------------------------------------------------- the exercise checks


def test_checks_pass_the_reference_answers_and_name_common_mistakes(capsys):
    from gan_course import checks

    kernel = lambda x, y, bandwidth: kernels.gaussian_kernel(x, y, bandwidth)  # noqa: E731
    unbiased = lambda kernel, x, y, bandwidth: mmd.mmd2_unbiased(x, y, bandwidth) + 0 * kernel(x, y, bandwidth).sum()  # noqa: E731,E501
    for hidden in (False, True):
        checks.check_gaussian_kernel(kernel, hidden=hidden)
        checks.check_unbiased_mmd2(unbiased, hidden=hidden)
    assert capsys.readouterr().out.count("✓") == 4

    no_two = lambda x, y, s: torch.exp(-torch.cdist(x, y) ** 2 / s**2)  # noqa: E731
    with pytest.raises(checks.CheckFailed, match="2σ²"):
        checks.check_gaussian_kernel(no_two)
    biased = lambda kernel, x, y, bandwidth: mmd.mmd2_biased(x, y, bandwidth) + 0 * kernel(x, y, bandwidth).sum()  # noqa: E731,E501
    with pytest.raises(checks.CheckFailed, match="biased estimate"):
        checks.check_unbiased_mmd2(biased)


def test_mean_near_zero_check_tells_unbiased_from_biased_draws(capsys):
    from gan_course import checks

    x, y = draws(100, 20, seed=3)
    checks.check_mean_near_zero(torch.stack([mmd.mmd2_unbiased(x[r], y[r], 1.0) for r in range(100)]))
    assert "✓" in capsys.readouterr().out
    with pytest.raises(checks.CheckFailed, match="standard errors from 0"):
        checks.check_mean_near_zero(torch.stack([mmd.mmd2_biased(x[r], y[r], 1.0) for r in range(100)]))
