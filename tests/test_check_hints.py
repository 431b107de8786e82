"""Each hint names the mistake the answer made: wrong answers found by probing the exercises, each
of which an earlier version of a check met with another mistake's hint."""

import pytest
import torch

from gan_course import checks
from gan_course.metrics import mode_coverage
from gan_course.metrics.scores import frechet_distance


def lsif_without_the_half(log_ratio_real, log_ratio_fake):
    return torch.exp(2 * log_ratio_fake).mean() - torch.exp(log_ratio_real).mean() + 0.5


def w1_sorted_in_opposite_orders(x, y):
    return (x.sort().values - y.sort(descending=True).values).abs().mean()


def frechet_with_the_cross_term_once(mean_1, cov_1, mean_2, cov_2):
    right = frechet_distance(mean_1, cov_1, mean_2, cov_2)
    mean_term = ((mean_1 - mean_2) ** 2).sum()
    trace_root = (torch.trace(cov_1) + torch.trace(cov_2) + mean_term - right) / 2
    return right + trace_root


def modes_within_3_sigma_of_any_sample(samples, modes, std):
    _, share = mode_coverage(samples, modes, std)
    return int((torch.cdist(samples, modes) <= 3 * std).any(0).sum()), share


def clips_the_weight_matrices_only(parameters, c):
    with torch.no_grad():
        for parameter in parameters:
            if parameter.ndim > 1:
                parameter.clamp_(-c, c)


def step_on_detached_samples(generator, discriminator, optimizer, loss, noise):
    optimizer.zero_grad()
    value = loss(discriminator(generator(noise).detach()), discriminator(generator(noise).detach())).generator
    value.backward()
    optimizer.step()
    return value


@pytest.mark.parametrize("check, wrong, words", [
    (checks.check_lsif_loss, lsif_without_the_half, "carries a factor ½"),
    (checks.check_wasserstein_1d, w1_sorted_in_opposite_orders, "sort both samples the same way"),
    (checks.check_frechet_distance, frechet_with_the_cross_term_once, "counts twice"),
    (checks.check_mode_count, modes_within_3_sigma_of_any_sample, "the share is right"),
    (checks.check_clip_weights, clips_the_weight_matrices_only, "\\(a bias\\) unchanged"),
    (checks.check_generator_step, step_on_detached_samples, "no .detach\\(\\) on the samples"),
])
def test_the_hint_names_the_mistake(check, wrong, words):
    wrong.__name__ = "answer"
    with pytest.raises(checks.CheckFailed, match=words) as failed:
        check(wrong)
    assert "\n" not in str(failed.value)
