"""The lesson-04 checks accept right answers and explain wrong ones in one sentence."""

import pytest
import torch
import torch.nn.functional as F

from gan_course import checks


def saturating(logits_fake):
    return -F.softplus(logits_fake).mean()


def non_saturating(logits_fake):
    return F.softplus(-logits_fake).mean()


def naive_non_saturating(logits_fake):
    return -torch.log(torch.sigmoid(logits_fake)).mean()  # inf at l = -100


def blank(*args):
    raise NotImplementedError()


@pytest.mark.parametrize("hidden", [False, True])
def test_right_generator_losses_pass(hidden, capsys):
    checks.check_generator_loss(saturating, "saturating", hidden=hidden)
    checks.check_generator_loss(non_saturating, "non_saturating", hidden=hidden)
    assert capsys.readouterr().out.count("✓") == 2


def test_wrong_generator_losses_get_a_hint():
    with pytest.raises(checks.CheckFailed, match="sign is flipped"):
        checks.check_generator_loss(lambda logits: -non_saturating(logits), "non_saturating")
    with pytest.raises(checks.CheckFailed, match="F.softplus"):
        checks.check_generator_loss(naive_non_saturating, "non_saturating", hidden=True)
    with pytest.raises(checks.CheckFailed, match="saturating generator loss is"):
        checks.check_generator_loss(non_saturating, "saturating")
    with pytest.raises(NotImplementedError, match="not implemented yet"):
        checks.check_generator_loss(blank, "saturating")
    with pytest.raises(ValueError, match="kind must be one of"):
        checks.check_generator_loss(saturating, "wasserstein")


def test_reparameterised_sample():
    checks.check_reparameterised_sample(lambda mean, log_std, noise: mean + log_std.exp() * noise)
    with pytest.raises(checks.CheckFailed, match="does not depend on mean and log_std"):
        checks.check_reparameterised_sample(
            lambda mean, log_std, noise: (mean + log_std.exp() * noise).detach())
    with pytest.raises(checks.CheckFailed, match="log_std is the standard deviation.s logarithm"):
        checks.check_reparameterised_sample(lambda mean, log_std, noise: mean + log_std * noise)


def right_step(generator, discriminator, optimizer, loss, noise):
    gen_loss = loss(None, discriminator(generator(noise))).generator
    optimizer.zero_grad()
    gen_loss.backward()
    optimizer.step()
    return gen_loss


def step_without_zero_grad(generator, discriminator, optimizer, loss, noise):
    gen_loss = loss(None, discriminator(generator(noise))).generator
    gen_loss.backward()
    optimizer.step()
    return gen_loss


def step_that_also_moves_d(generator, discriminator, optimizer, loss, noise):
    gen_loss = right_step(generator, discriminator, optimizer, loss, noise)
    with torch.no_grad():
        for parameter in discriminator.parameters():
            parameter -= 0.1 * parameter.grad
    return gen_loss


def step_that_does_nothing(generator, discriminator, optimizer, loss, noise):
    return loss(None, discriminator(generator(noise))).generator


def step_with_the_discriminator_objective(generator, discriminator, optimizer, loss, noise):
    logits_fake = discriminator(generator(noise))
    disc_loss = loss(logits_fake, logits_fake).discriminator
    optimizer.zero_grad()
    disc_loss.backward()
    optimizer.step()
    return disc_loss


@pytest.mark.parametrize("hidden", [False, True])
def test_right_generator_step_passes(hidden, capsys):
    checks.check_generator_step(right_step, hidden=hidden)
    assert capsys.readouterr().out.count("✓") == 1


def test_the_loops_own_step_passes(capsys):
    from gan_course.train import generator_step
    checks.check_generator_step(generator_step, hidden=True)
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("step, message", [
    (step_without_zero_grad, "adds new gradients to old"),
    (step_that_also_moves_d, "changed the discriminator"),
    (step_that_does_nothing, "left the generator's parameters unchanged"),
    (step_with_the_discriminator_objective, "generator's loss before the step"),
    (blank, "not implemented yet"),
])
def test_wrong_generator_steps_get_a_hint(step, message):
    with pytest.raises((checks.CheckFailed, NotImplementedError), match=message):
        checks.check_generator_step(step)


def test_slopes():
    checks.check_slopes(1e-3 / (1 + 1e-3), 1 / (1 + 1e-3), 1e-3)
    with pytest.raises(checks.CheckFailed, match="ask autograd"):
        checks.check_slopes(0.3, 0.3, 1e-3)


def test_slopes_not_measured_yet_say_so():
    # the task's cell sets both to None before its blank; a NameError would say nothing useful
    with pytest.raises(NotImplementedError, match="`slope_saturating` is not implemented yet"):
        checks.check_slopes(None, None, 1e-3)
    with pytest.raises(NotImplementedError, match="`slope_non_saturating` is not implemented yet"):
        checks.check_slopes(1e-3 / (1 + 1e-3), None, 1e-3)


# --------------------------------------------------------------------------- the common wrong answers
# Each one fails the VISIBLE check with a sentence naming the mistake.


def one_sentence(error: BaseException) -> str:
    message = str(error)
    assert "\n" not in message and "Traceback" not in message
    return message


@pytest.mark.parametrize("wrong, kind, words", [
    (lambda v: torch.log(1 - torch.sigmoid(v)).mean(), "saturating", "σ(l) rounds to 0 or 1"),
    (lambda v: -torch.log(torch.sigmoid(v)).mean(), "non_saturating", "σ(l) rounds to 0 or 1"),
    (lambda v: torch.log1p(torch.exp(-v)).mean(), "non_saturating", "σ(l) rounds to 0 or 1"),
    (lambda v: F.softplus(v).mean(), "saturating", "sign is flipped"),
    (lambda v: -F.softplus(-v).mean(), "non_saturating", "sign is flipped"),
    (lambda v: -F.softplus(v).sum(), "saturating", "not .sum()"),
    (lambda v: F.softplus(-v).sum(), "non_saturating", "not .sum()"),
    (non_saturating, "saturating", "that is the non-saturating loss"),
    (saturating, "non_saturating", "that is the saturating loss"),
    (lambda v: F.softplus(-v), "non_saturating", ".mean()"),
    (lambda v: F.softplus(-v).mean().item(), "non_saturating", "detached"),
    (lambda v: -F.softplus(v).mean().detach(), "saturating", "detached"),
])
def test_generator_loss_mistakes_fail_the_visible_check(wrong, kind, words):
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_generator_loss(wrong, kind)
    assert words in one_sentence(failed.value)


def test_generator_loss_hints_do_not_state_the_answer():
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_generator_loss(lambda v: (v**2).mean(), "saturating")
    assert "softplus(l)" not in str(failed.value) and "identities" in str(failed.value)


def test_slopes_taken_at_r_instead_of_log_r():
    r = 1e-3
    logit = torch.tensor([r], requires_grad=True)  # the mistake: the logit is r
    saturating_slope = torch.autograd.grad(-F.softplus(logit).mean(), logit)[0].abs().item()
    non_saturating_slope = torch.autograd.grad(F.softplus(-logit).mean(), logit)[0].abs().item()
    with pytest.raises(checks.CheckFailed, match="log r, not r"):
        checks.check_slopes(saturating_slope, non_saturating_slope, r)


def test_slopes_taken_where_d_is_r_instead_of_r_over_1_plus_r():
    # at r = 1e-3 these differ from the right slopes by 1e-6, inside an absolute tolerance of 1e-5
    r = 1e-3
    with pytest.raises(checks.CheckFailed, match=r"D = σ\(l\) = r/\(1 \+ r\)"):
        checks.check_slopes(r, 1 - r, r)


def test_slopes_of_the_course_losses_pass(capsys):
    from gan_course.gan_losses import minimax
    from gan_course.gan_losses import non_saturating as ns

    logit = torch.tensor([float(torch.log(torch.tensor(1e-3)))], requires_grad=True)
    checks.check_slopes(torch.autograd.grad(minimax(None, logit).generator, logit)[0].abs().item(),
                        torch.autograd.grad(ns(None, logit).generator, logit)[0].abs().item(), 1e-3)
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, words", [
    (lambda mean, log_std, noise: mean.data + log_std.exp() * noise, "no gradient reaches `mean`"),
    (lambda mean, log_std, noise: mean + log_std.exp().detach() * noise, "no gradient reaches `log_std`"),
    (lambda mean, log_std, noise: mean + (2 * log_std).exp() * noise, "standard deviation's logarithm"),
    (lambda mean, log_std, noise: (mean + log_std.exp() * noise).mean(0), "shape"),
    (lambda mean, log_std, noise: noise * mean + log_std.exp(), "shift the noise by the mean"),
])
def test_reparameterised_sample_mistakes(wrong, words):
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_reparameterised_sample(wrong)
    assert words in one_sentence(failed.value)


def test_a_right_sample_passes_the_hidden_check(capsys):
    checks.check_reparameterised_sample(lambda mean, log_std, noise: mean + log_std.exp() * noise,
                                        hidden=True)
    assert "✓" in capsys.readouterr().out


def test_binary_cross_entropy_on_probabilities_fails_the_visible_check():
    def from_probabilities(logits_fake):  # PyTorch clamps its logs at −100: 100, not 150, at l = −150
        fake = torch.sigmoid(logits_fake)
        return F.binary_cross_entropy(fake, torch.ones_like(fake))

    with pytest.raises(checks.CheckFailed, match="clamped"):
        checks.check_generator_loss(from_probabilities, "non_saturating")
