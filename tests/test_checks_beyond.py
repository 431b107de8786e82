"""Lesson 10's checks: right answers pass, the common wrong ones fail the VISIBLE check with a
sentence that points at the mistake."""

import pytest
import torch
import torch.nn.functional as F

from gan_course import checks


def marginal_pairs(theta, x, rng):
    return theta[torch.randperm(len(theta), generator=rng)], x


def shuffles_both(theta, x, rng):
    order = torch.randperm(len(theta), generator=rng)
    return theta[order], x[order]


def shuffles_each_coordinate(theta, x, rng):
    columns = [theta[torch.randperm(len(theta), generator=rng), k] for k in range(theta.shape[1])]
    return torch.stack(columns, 1), x


def keeps_the_pairs(theta, x, rng):
    return theta, x


def ignores_rng(theta, x, rng):
    return theta[torch.randperm(len(theta))], x


def logits_of(classifier, theta, x, theta_shuffled):
    return (classifier(torch.cat([theta, x], 1)).squeeze(-1),
            classifier(torch.cat([theta_shuffled, x], 1)).squeeze(-1))


def ratio_estimation_loss(classifier, theta, x, theta_shuffled):
    joint, marginal = logits_of(classifier, theta, x, theta_shuffled)
    return 0.5 * F.softplus(-joint).mean() + 0.5 * F.softplus(marginal).mean()


def naive_log_sigmoid(classifier, theta, x, theta_shuffled):
    joint, marginal = logits_of(classifier, theta, x, theta_shuffled)
    return -0.5 * (torch.log(torch.sigmoid(joint)).mean() + torch.log(1 - torch.sigmoid(marginal)).mean())


def swapped_classes(classifier, theta, x, theta_shuffled):
    return ratio_estimation_loss(classifier, theta_shuffled, x, theta)


def detached(classifier, theta, x, theta_shuffled):
    return ratio_estimation_loss(classifier, theta, x, theta_shuffled).item()


def summed(classifier, theta, x, theta_shuffled):
    joint, marginal = logits_of(classifier, theta, x, theta_shuffled)
    return 0.5 * F.softplus(-joint).sum() + 0.5 * F.softplus(marginal).sum()


def posterior_from_logits(log_prior, logits, volume):
    return torch.softmax(log_prior + logits, 0) / volume


def forgets_the_prior(log_prior, logits, volume):
    return torch.softmax(logits, 0) / volume


def probabilities_not_density(log_prior, logits, volume):
    return torch.softmax(log_prior + logits, 0)


def overflowing_exp(log_prior, logits, volume):
    unnormalised = torch.exp(log_prior + logits)
    return unnormalised / (unnormalised.sum() * volume)


def expected_coverage(where, level):
    return ((2 * where - 1).abs() <= level).double().mean()


def one_sided(where, level):
    return (where <= level).double().mean()


@pytest.mark.parametrize("hidden", [False, True])
def test_right_answers_pass(hidden):
    checks.check_marginal_pairs(marginal_pairs, hidden=hidden)
    checks.check_ratio_estimation_loss(ratio_estimation_loss, hidden=hidden)
    checks.check_posterior_from_logits(posterior_from_logits, hidden=hidden)
    checks.check_expected_coverage(expected_coverage, hidden=hidden)


def draws_with_replacement(theta, x, rng):  # right too: each θ from the simulations' marginal
    return theta[torch.randint(len(theta), (len(theta),), generator=rng)], x


def repeats_one_simulation(theta, x, rng):
    return theta[torch.zeros(len(theta), dtype=torch.long)], x


def one_class_detached(classifier, theta, x, theta_shuffled):
    joint, marginal = logits_of(classifier, theta, x, theta_shuffled)
    return 0.5 * F.softplus(-joint).mean() + 0.5 * F.softplus(marginal.detach()).mean()


def counts(where, level):
    return ((where - 0.5).abs() <= level / 2).double().sum()


def test_draws_with_replacement_keep_the_marginal_and_pass():
    checks.check_marginal_pairs(draws_with_replacement)
    checks.check_marginal_pairs(draws_with_replacement, hidden=True)


@pytest.mark.parametrize("check, wrong, words", [
    (checks.check_marginal_pairs, repeats_one_simulation, "uses only 1 of the"),
    (checks.check_ratio_estimation_loss, one_class_detached, "not the right gradient reaches"),
    (checks.check_expected_coverage, counts, "that is a count"),
    (checks.check_marginal_pairs, shuffles_both, "changed x"),
    (checks.check_marginal_pairs, shuffles_each_coordinate, "whole rows"),
    (checks.check_marginal_pairs, keeps_the_pairs, "still correlated"),
    (checks.check_marginal_pairs, ignores_rng, "generator=rng"),
    (checks.check_ratio_estimation_loss, naive_log_sigmoid, "large logits"),
    (checks.check_ratio_estimation_loss, swapped_classes, "swapped"),
    (checks.check_ratio_estimation_loss, summed, "Bernoulli loss"),
    (checks.check_ratio_estimation_loss, detached, "detached from the classifier"),
    (checks.check_posterior_from_logits, forgets_the_prior, "prior is missing"),
    (checks.check_posterior_from_logits, probabilities_not_density, "cell volume"),
    (checks.check_posterior_from_logits, overflowing_exp, "overflows"),
    (checks.check_expected_coverage, one_sided, "one-sided"),
])
def test_common_wrong_answers_fail_the_visible_check_with_a_pointed_hint(check, wrong, words):
    with pytest.raises(checks.CheckFailed, match=words):
        check(wrong)


def test_a_blank_task_says_so():
    def blank(*args):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError, match="not implemented yet"):
        checks.check_marginal_pairs(blank)
