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
    with pytest.raises(checks.CheckFailed, match="torch.autograd.grad"):
        checks.check_slopes(1.0, 1.0, 1e-3)
