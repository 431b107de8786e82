"""Lesson 09's checks: right answers pass, the common wrong ones fail the VISIBLE check with a
sentence that points at the mistake."""

import pytest
import torch

from gan_course import checks
from gan_course.metrics.scores import classifier_score

# --------------------------------------------------------------------------- the Fréchet distance


def _sqrt_psd(matrix):
    values, vectors = torch.linalg.eigh(matrix)
    return vectors @ torch.diag(values.clamp_min(0).sqrt()) @ vectors.T


def frechet_distance(mean_1, cov_1, mean_2, cov_2):
    root_1 = _sqrt_psd(cov_1)
    middle = _sqrt_psd(root_1 @ cov_2 @ root_1)
    return float(((mean_1 - mean_2) ** 2).sum() + torch.trace(cov_1 + cov_2 - 2 * middle))


def product_of_roots(mean_1, cov_1, mean_2, cov_2):
    """Takes (Σ₁Σ₂)^{1/2} as Σ₁^{1/2} Σ₂^{1/2}: right only when the two commute."""
    middle = _sqrt_psd(cov_1) @ _sqrt_psd(cov_2)
    return float(((mean_1 - mean_2) ** 2).sum() + torch.trace(cov_1 + cov_2 - 2 * middle))


def distance_not_squared(mean_1, cov_1, mean_2, cov_2):
    return frechet_distance(mean_1, cov_1, mean_2, cov_2) - float(((mean_1 - mean_2) ** 2).sum()) + float(
        (mean_1 - mean_2).norm())


def forgets_the_means(mean_1, cov_1, mean_2, cov_2):
    return frechet_distance(mean_1, cov_1, mean_1, cov_2)


def plain_sqrt_of_eigenvalues(mean_1, cov_1, mean_2, cov_2):
    """Square roots of raw eigenvalues: NaN where rounding makes one slightly negative."""
    values, vectors = torch.linalg.eigh(cov_1)
    root_1 = vectors @ torch.diag(values.sqrt()) @ vectors.T
    values, vectors = torch.linalg.eigh(root_1 @ cov_2 @ root_1)
    middle = vectors @ torch.diag(values.sqrt()) @ vectors.T
    return float(((mean_1 - mean_2) ** 2).sum() + torch.trace(cov_1 + cov_2 - 2 * middle))


def test_frechet_distance_passes_and_agrees_with_the_package(capsys):
    checks.check_frechet_distance(frechet_distance)
    checks.check_frechet_distance(frechet_distance, hidden=True)
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, words", [
    (product_of_roots, "do not commute"),
    (distance_not_squared, "squared distance"),
    (forgets_the_means, "means is missing"),
    (plain_sqrt_of_eigenvalues, "not finite"),
])
def test_frechet_distance_catches_the_common_mistakes(wrong, words):
    with pytest.raises(checks.CheckFailed, match=words):
        checks.check_frechet_distance(wrong)


def test_the_frechet_cases_really_include_a_negative_rounding_eigenvalue():
    """The singular case is only a test of stability if a naive square root breaks on it."""
    from gan_course.checks.evaluation import _frechet_cases
    _, args = _frechet_cases(hidden=False)[2]
    assert torch.linalg.eigvalsh(args[1]).min() < 0


# --------------------------------------------------------------------------- the 3σ mode count


def count_modes(samples, modes, std):
    distances = torch.cdist(samples, modes)
    nearest, index = distances.min(dim=1)
    good = nearest <= 3 * std
    return int(index[good].unique().numel()), float(good.float().mean())


def counts_nearest_modes(samples, modes, std):
    _, share = count_modes(samples, modes, std)
    return int(torch.cdist(samples, modes).min(dim=1).indices.unique().numel()), share


def counts_instead_of_share(samples, modes, std):
    covered, share = count_modes(samples, modes, std)
    return covered, share * len(samples)


def uses_the_variance(samples, modes, std):
    return count_modes(samples, modes, std ** 2)


def squares_the_distance(samples, modes, std):
    squared, nearest = (torch.cdist(samples, modes) ** 2).min(dim=1)
    high_quality = squared <= 3 * std
    return nearest[high_quality].unique().numel(), float(high_quality.double().mean())


def test_mode_count_passes(capsys):
    checks.check_mode_count(count_modes)
    checks.check_mode_count(count_modes, hidden=True)
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, words", [
    (counts_nearest_modes, "nearest mode of a stray sample"),
    (counts_instead_of_share, "fraction of all the samples"),
    (uses_the_variance, "not the variance"),
    (squares_the_distance, "not its square"),
])
def test_mode_count_catches_the_common_mistakes(wrong, words):
    with pytest.raises(checks.CheckFailed, match=words):
        checks.check_mode_count(wrong)


def test_mode_count_asks_for_a_pair():
    with pytest.raises(checks.CheckFailed, match="pair"):
        checks.check_mode_count(lambda samples, modes, std: 3)


# --------------------------------------------------------------------------- the classifier score


def score(probabilities):
    marginal = probabilities.mean(0, keepdim=True)
    kl = torch.special.xlogy(probabilities, probabilities) - torch.special.xlogy(probabilities, marginal)
    return float(kl.sum(1).mean().exp())


def naive_logs(probabilities):
    marginal = probabilities.mean(0, keepdim=True)
    return float((probabilities * (probabilities.log() - marginal.log())).sum(1).mean().exp())


def mean_kl(probabilities):
    return float(torch.tensor(score(probabilities)).log())


def swapped_kl(probabilities):
    marginal = probabilities.mean(0, keepdim=True).expand_as(probabilities)
    kl = torch.special.xlogy(marginal, marginal) - marginal * probabilities.clamp_min(1e-300).log()
    return float(kl.sum(1).mean().exp())


def test_classifier_score_passes_and_agrees_with_the_package(capsys):
    checks.check_classifier_score(score)
    checks.check_classifier_score(score, hidden=True)
    assert "✓" in capsys.readouterr().out
    probabilities = torch.softmax(torch.randn(50, 10, dtype=torch.float64), 1)
    assert score(probabilities) == pytest.approx(classifier_score(probabilities), rel=1e-9)


@pytest.mark.parametrize("wrong, words", [
    (naive_logs, "0 · log 0"),
    (mean_kl, "exponential"),
    (swapped_kl, "other direction"),
])
def test_classifier_score_catches_the_common_mistakes(wrong, words):
    with pytest.raises(checks.CheckFailed, match=words):
        checks.check_classifier_score(wrong)


def in_float32(mean_1, cov_1, mean_2, cov_2):
    """The right formula computed after casting to float32."""
    return frechet_distance(mean_1.float(), cov_1.float(), mean_2.float(), cov_2.float())


def test_frechet_distance_in_float32_is_told_to_keep_float64():
    with pytest.raises(checks.CheckFailed, match="float64"):
        checks.check_frechet_distance(in_float32)
