"""Lesson 08's exercise checks: right answers pass, typical mistakes get one sentence and a hint."""

from types import SimpleNamespace

import pytest
import torch

from gan_course import checks, penalties
from gan_course.checks import many_paths

# ----------------------------------------------------------------------------- answers


def clip_weights(parameters, c):
    with torch.no_grad():
        for parameter in parameters:
            parameter.clamp_(-c, c)


def clip_copies(parameters, c):
    return [p.clamp(-c, c) for p in parameters]  # not in place: the network is unchanged


def rescale_weights(parameters, c):
    with torch.no_grad():
        for parameter in parameters:
            parameter.mul_(c / parameter.abs().max())


def _penalty_at(discriminator, points, weight, create_graph=True, centre=1.0):
    points = points.detach().requires_grad_(True)
    (gradients,) = torch.autograd.grad(discriminator(points).sum(), points, create_graph=create_graph)
    return weight * ((gradients.norm(dim=1) - centre) ** 2).mean()


def wgan_gp_penalty(discriminator, real, fake, epsilon, weight=10.0):
    return _penalty_at(discriminator, epsilon * real + (1 - epsilon) * fake, weight)


def swapped_epsilon(discriminator, real, fake, epsilon, weight=10.0):
    return _penalty_at(discriminator, (1 - epsilon) * real + epsilon * fake, weight)


def no_second_order(discriminator, real, fake, epsilon, weight=10.0):
    # without create_graph=True the gradient is a constant: the penalty has no graph to φ
    return _penalty_at(discriminator, epsilon * real + (1 - epsilon) * fake, weight,
                       create_graph=False)


def zero_centred(discriminator, real, fake, epsilon, weight=10.0):
    return _penalty_at(discriminator, epsilon * real + (1 - epsilon) * fake, weight, centre=0.0)


def per_point(discriminator, real, fake, epsilon, weight=10.0):
    points = (epsilon * real + (1 - epsilon) * fake).detach().requires_grad_(True)
    (gradients,) = torch.autograd.grad(discriminator(points).sum(), points, create_graph=True)
    return weight * (gradients.norm(dim=1) - 1) ** 2


def dragan_penalty(discriminator, real, noise, alpha, weight=10.0, noise_scale=0.5):
    sigma = real.std(dim=0, keepdim=True)
    return _penalty_at(discriminator, real + alpha * noise_scale * sigma * noise, weight)


def dragan_global_std(discriminator, real, noise, alpha, weight=10.0, noise_scale=0.5):
    return _penalty_at(discriminator, real + alpha * noise_scale * real.std() * noise, weight)


def blank(*args):
    raise NotImplementedError()


def one_sentence(error):
    message = str(error)
    assert "\n" not in message and "Traceback" not in message
    return message


# ----------------------------------------------------------------------------- the randomness


def test_the_checks_draw_the_randomness_as_the_penalties_do():
    real, fake = torch.randn(20, 2), torch.randn(20, 2) + 3
    critic = many_paths._mlp_critic(0)
    epsilon = many_paths.wgan_gp_randomness(20, seed=9)
    assert torch.allclose(wgan_gp_penalty(critic, real, fake, epsilon, 10.0),
                          penalties.WGANGradientPenalty(seed=9)(critic, real, fake))
    noise, alpha = many_paths.dragan_randomness(20, seed=9)
    assert torch.allclose(dragan_penalty(critic, real, noise, alpha, 10.0, 0.5),
                          penalties.DRAGANPenalty(seed=9)(critic, real, fake))


def test_linear_critic_has_gradient_w_everywhere():
    critic = many_paths.linear_critic([3.0, 4.0], bias=1.0)
    norms = penalties.gradient_norms(critic, torch.randn(10, 2))
    assert torch.allclose(norms, torch.full((10,), 5.0))


# ----------------------------------------------------------------------------- passing


def test_right_answers_pass_visible_and_hidden_checks(capsys):
    for hidden in (False, True):
        checks.check_clip_weights(clip_weights, hidden=hidden)
        checks.check_wgan_gp_penalty(wgan_gp_penalty, hidden=hidden)
        checks.check_dragan_penalty(dragan_penalty, hidden=hidden)
    assert capsys.readouterr().out.count("✓") == 6


# ----------------------------------------------------------------------------- mistakes


@pytest.mark.parametrize("answer, words", [(clip_copies, "in place"), (rescale_weights, "entry by entry")])
def test_clipping_mistakes(answer, words):
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_clip_weights(answer)
    assert words in one_sentence(failed.value) and "Hint" in str(failed.value)


@pytest.mark.parametrize("answer, words", [
    (swapped_epsilon, "weighted the real points by 1 − ε"),
    (no_second_order, "does not depend on the discriminator's weights"),
    (zero_centred, "distance from 1, not the gradient's size"),
    (per_point, "one number"),
])
def test_wgan_gp_mistakes(answer, words):
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_wgan_gp_penalty(answer)
    assert words in one_sentence(failed.value)


def test_dragan_with_one_std_for_all_coordinates_gets_the_per_coordinate_hint():
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_dragan_penalty(dragan_global_std)
    assert "std of each coordinate" in one_sentence(failed.value)


def test_dragan_with_the_std_that_divides_by_b_gets_its_hint():
    def divides_by_b(discriminator, real, noise, alpha, weight=10.0, noise_scale=0.5):
        sigma = ((real - real.mean(0)) ** 2).mean(0, keepdim=True).sqrt()
        return _penalty_at(discriminator, real + alpha * noise_scale * sigma * noise, weight)

    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_dragan_penalty(divides_by_b)
    assert "divides by B − 1" in one_sentence(failed.value)


@pytest.mark.parametrize("check", [checks.check_clip_weights, checks.check_wgan_gp_penalty,
                                   checks.check_dragan_penalty])
def test_blank_tasks_say_not_implemented_yet(check):
    with pytest.raises(NotImplementedError, match="not implemented yet"):
        check(blank)


# ----------------------------------------------------------------------------- the training run


def history(slope=1.0, loss=0.5):
    real = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
    return SimpleNamespace(
        real=real, fake=torch.stack([real + 2.0, real + 0.5]),
        losses={"disc": torch.full((5,), loss), "gen": torch.zeros(5)},
        discriminator=many_paths.linear_critic([slope, 0.0]))


def test_slopes_between_measures_the_final_discriminator():
    assert torch.allclose(many_paths.slopes_between(history(slope=3.0)), torch.full((200,), 3.0))


def test_training_check_passes_a_penalised_run(capsys):
    checks.check_penalised_training(history(slope=1.3))  # (1.3 − 1)² = 0.09 ≤ 0.15
    out = capsys.readouterr().out
    assert "✓" in out and "0.090" in out and "median norm 1.30" in out


@pytest.mark.parametrize("run, words", [
    (history(loss=float("nan")), "NaN"),
    (history(slope=3.0), "mean (‖∇D‖ − 1)² = 4 (median norm 3.00)"),
    (history(slope=0.5), "= 0.25"),
])
def test_training_check_failures(run, words):
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_penalised_training(run)
    assert words in one_sentence(failed.value)


# --------------------------------------------------------------------------- more wrong penalties
# Each fails the VISIBLE check on the linear critics, with a hint naming the mistake.


def _penalty_from_norms(discriminator, points, reduce):
    points = points.detach().requires_grad_(True)
    (gradients,) = torch.autograd.grad(discriminator(points).sum(), points, create_graph=True)
    return reduce(gradients)


WRONG_REDUCTIONS = [
    (lambda g, w: w * ((g.norm(dim=1) - 1) ** 2).sum(), "not a sum"),
    (lambda g, w: ((g.norm(dim=1) - 1) ** 2).mean(), "weight λ"),
    (lambda g, w: w * ((g.pow(2).sum(dim=1) - 1) ** 2).mean(), "not its squared norm"),
    (lambda g, w: w * (g.norm(dim=1) - 1).abs().mean(), "square the distance"),
    (lambda g, w: w * ((g.norm(dim=1) - 1).clamp_min(0) ** 2).mean(), "two-sided"),
    (lambda g, w: w * ((g.norm(dim=0) - 1) ** 2).mean(), "gives"),  # the norm over the batch
]


@pytest.mark.parametrize("reduce, words", WRONG_REDUCTIONS)
def test_wrong_wgan_gp_reductions_fail_the_visible_check(reduce, words):
    def wrong(discriminator, real, fake, epsilon, weight=10.0):
        return _penalty_from_norms(discriminator, epsilon * real + (1 - epsilon) * fake,
                                   lambda g: reduce(g, weight))

    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_wgan_gp_penalty(wrong)
    assert words in one_sentence(failed.value)


@pytest.mark.parametrize("reduce, words", WRONG_REDUCTIONS)
def test_wrong_dragan_reductions_fail_the_visible_check(reduce, words):
    def wrong(discriminator, real, noise, alpha, weight=10.0, noise_scale=0.5):
        sigma = real.std(dim=0, keepdim=True)
        return _penalty_from_norms(discriminator, real + alpha * noise_scale * sigma * noise,
                                   lambda g: reduce(g, weight))

    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_dragan_penalty(wrong)
    assert words in one_sentence(failed.value)


def dragan_without_alpha(discriminator, real, noise, alpha, weight=10.0, noise_scale=0.5):
    sigma = real.std(dim=0, keepdim=True)
    return _penalty_at(discriminator, real + noise_scale * sigma * noise, weight)


def dragan_unscaled_noise(discriminator, real, noise, alpha, weight=10.0, noise_scale=0.5):
    return _penalty_at(discriminator, real + alpha * noise_scale * noise, weight)


@pytest.mark.parametrize("answer", [dragan_without_alpha, dragan_unscaled_noise])
def test_dragan_points_in_the_wrong_place_fail_the_visible_check(answer):
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_dragan_penalty(answer)
    assert "DRAGAN penalty with the same noise" in one_sentence(failed.value)


def test_a_detached_penalty_fails_the_visible_check():
    def detached(discriminator, real, fake, epsilon, weight=10.0):
        return wgan_gp_penalty(discriminator, real, fake, epsilon, weight).detach()

    with pytest.raises(checks.CheckFailed, match="does not depend on the discriminator's weights"):
        checks.check_wgan_gp_penalty(detached)


def test_hints_do_not_state_the_whole_formula():
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_dragan_penalty(dragan_without_alpha)
    assert "std(dim=0" not in str(failed.value) and "λ·mean" not in str(failed.value)
