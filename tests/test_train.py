"""gan_course.train: the one GAN loop and its two steps, on any networks and any data."""

import pytest
import torch
from torch import nn

from gan_course.data import toy
from gan_course.gan_losses import non_saturating
from gan_course.models.toy import mlp
from gan_course.penalties import WeightClipping, WGANGradientPenalty
from gan_course.train import (
    discriminator_step,
    generator_gradient_norm,
    generator_step,
    raise_if_diverged,
    train,
)

RING = toy.ring_of_gaussians()


class RingBatches:
    """The simplest data source: a fresh batch of the ring and of noise at every call."""

    def __init__(self, batch_size=64, seed=0):
        self.batch_size, self.rng = batch_size, torch.Generator().manual_seed(seed)

    def real(self):
        return RING.sample(self.batch_size, rng=self.rng).float()

    def noise(self):
        return torch.randn(self.batch_size, 2, generator=self.rng)


def networks(seed=0):
    return mlp(2, 2, 32, 2, seed=seed), mlp(2, 1, 32, 2, seed=seed + 100)


def adam(network, lr=1e-3):
    return torch.optim.Adam(network.parameters(), lr=lr, betas=(0.5, 0.99))


# --------------------------------------------------------------------------- the two steps


def test_discriminator_step_is_one_optimiser_step_on_the_discriminator_loss():
    generator, discriminator = networks()
    expected = mlp(2, 1, 32, 2, seed=100)
    optimizer, expected_optimizer = adam(discriminator), adam(expected)
    real, noise = RingBatches().real(), RingBatches(seed=1).noise()
    generator_before = [p.clone() for p in generator.parameters()]

    got = discriminator_step(generator, discriminator, optimizer, non_saturating, real, noise)

    with torch.no_grad():
        fake = generator(noise)
    loss = non_saturating(expected(real), expected(fake)).discriminator
    expected_optimizer.zero_grad()
    loss.backward()
    expected_optimizer.step()
    assert float(got) == pytest.approx(float(loss.detach()), abs=1e-6)
    for p, q in zip(discriminator.parameters(), expected.parameters()):
        assert torch.allclose(p, q, atol=1e-7)
    assert all(torch.equal(p, q) for p, q in zip(generator.parameters(), generator_before))
    assert all(p.grad is None for p in generator.parameters())  # no graph through G


def test_generator_step_updates_theta_only_and_computes_no_discriminator_gradients():
    generator, discriminator = networks()
    expected = mlp(2, 2, 32, 2, seed=0)
    optimizer, expected_optimizer = adam(generator), adam(expected)
    noise = RingBatches().noise()
    discriminator_before = [p.clone() for p in discriminator.parameters()]

    got = generator_step(generator, discriminator, optimizer, non_saturating, noise)

    loss = non_saturating(None, discriminator(expected(noise))).generator
    expected_optimizer.zero_grad()
    loss.backward()
    expected_optimizer.step()
    assert float(got) == pytest.approx(float(loss.detach()), abs=1e-6)
    for p, q in zip(generator.parameters(), expected.parameters()):
        assert torch.allclose(p, q, atol=1e-7)
    assert all(torch.equal(p, q) for p, q in zip(discriminator.parameters(), discriminator_before))
    # the step asked autograd for θ's gradients only (the check above ran backward itself)
    fresh_generator, fresh_discriminator = networks()
    generator_step(fresh_generator, fresh_discriminator, adam(fresh_generator), non_saturating,
                   noise)
    assert all(p.grad is None for p in fresh_discriminator.parameters())


def test_a_frozen_discriminator_stays_frozen():
    generator, discriminator = networks()
    discriminator.requires_grad_(False)
    generator_step(generator, discriminator, adam(generator), non_saturating, RingBatches().noise())
    assert not any(p.requires_grad for p in discriminator.parameters())


def test_penalty_is_added_and_project_applied_after_the_update():
    generator, discriminator = networks()
    optimizer = torch.optim.SGD(discriminator.parameters(), lr=1.0)
    real, noise = RingBatches().real(), RingBatches(seed=1).noise()

    def constant(disc, real, fake):
        return disc(real).sum() * 0.0 + 5.0

    plain = discriminator_step(generator, networks()[1], torch.optim.SGD(
        networks()[1].parameters(), lr=0.0), non_saturating, real, noise)
    penalised = discriminator_step(generator, discriminator, optimizer, non_saturating, real,
                                   noise, constant)
    assert float(penalised) == pytest.approx(float(plain) + 5.0, abs=1e-5)
    discriminator_step(generator, discriminator, optimizer, non_saturating, real, noise,
                       WeightClipping(0.01))
    assert max(float(p.detach().abs().max()) for p in discriminator.parameters()) <= 0.01


# --------------------------------------------------------------------------- the loop


def test_train_is_the_hand_written_alternating_loop():
    steps = 25
    generator, discriminator = networks(seed=3)
    gen_optimizer, disc_optimizer = adam(generator), adam(discriminator, lr=2e-3)
    seen = []
    train(generator, discriminator, RingBatches(seed=5), steps, gen_optimizer=gen_optimizer,
          disc_optimizer=disc_optimizer, loss="non_saturating", progress=False,
          hook=lambda step, disc_loss, gen_loss: seen.append((step, float(disc_loss),
                                                               float(gen_loss))))

    # the loop a reader would write from a tutorial
    expected_generator, expected_discriminator = networks(seed=3)
    gen_adam, disc_adam = adam(expected_generator), adam(expected_discriminator, lr=2e-3)
    batches = RingBatches(seed=5)
    expected = []
    for step in range(1, steps + 1):
        real, noise = batches.real(), batches.noise()
        fake = expected_generator(noise).detach()
        disc_loss = non_saturating(expected_discriminator(real),
                                   expected_discriminator(fake)).discriminator
        disc_adam.zero_grad()
        disc_loss.backward()
        disc_adam.step()
        gen_loss = non_saturating(None, expected_discriminator(
            expected_generator(batches.noise()))).generator
        gen_adam.zero_grad()
        gen_loss.backward()
        gen_adam.step()
        expected.append((step, float(disc_loss), float(gen_loss)))

    assert [s for s, _, _ in seen] == list(range(1, steps + 1))
    assert torch.allclose(torch.tensor(seen), torch.tensor(expected), atol=1e-5)
    for p, q in zip(generator.parameters(), expected_generator.parameters()):
        assert torch.allclose(p, q, atol=1e-5)


class ConvGenerator(nn.Module):
    """z (B, 8) → images (B, 1, 8, 8): a tiny DCGAN-style generator."""

    def __init__(self):
        super().__init__()
        self.project = nn.Linear(8, 16 * 4 * 4)
        self.up = nn.ConvTranspose2d(16, 1, 4, stride=2, padding=1)

    def forward(self, z):
        return torch.tanh(self.up(torch.relu(self.project(z)).reshape(-1, 16, 4, 4)))


class ImageBatches:
    def __init__(self, images, seed=0):
        self.images, self.rng = images, torch.Generator().manual_seed(seed)

    def real(self):
        return self.images[torch.randint(len(self.images), (16,), generator=self.rng)]

    def noise(self):
        return torch.randn(16, 8, generator=self.rng)


def test_the_same_loop_trains_conv_nets_on_images_with_a_gradient_penalty():
    torch.manual_seed(0)
    generator = ConvGenerator()
    critic = nn.Sequential(nn.Conv2d(1, 8, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
                           nn.Flatten(), nn.Linear(8 * 4 * 4, 1))
    images = torch.rand(64, 1, 8, 8) * 2 - 1
    before = [p.clone() for p in generator.parameters()]
    losses = []
    train(generator, critic, ImageBatches(images), 10, loss="wasserstein", n_disc=5,
          gen_optimizer=torch.optim.Adam(generator.parameters(), 1e-4, betas=(0.5, 0.9)),
          disc_optimizer=torch.optim.Adam(critic.parameters(), 1e-4, betas=(0.5, 0.9)),
          penalty=WGANGradientPenalty(10.0, seed=0), progress=False,
          hook=lambda step, d, g: losses.append((float(d), float(g))))
    assert len(losses) == 10 and all(torch.isfinite(torch.tensor(losses)).flatten())
    assert any(not torch.equal(p, q) for p, q in zip(generator.parameters(), before))


def test_non_finite_losses_stop_training_with_the_step():
    with pytest.raises(FloatingPointError, match=r"generator loss became inf at step 7: training "
                                                 r"diverged\. Lower the learning rates"):
        raise_if_diverged(7, torch.tensor(0.5), torch.tensor(float("inf")))
    raise_if_diverged(7, torch.tensor(0.5), torch.tensor(-3.0))  # finite: nothing happens


# --------------------------------------------------------------------------- generator gradients


def test_generator_gradient_norm_matches_the_closed_form_for_a_shift_and_a_linear_critic():
    # G(z) = z + b (only b trains) and l(x) = a·x + c: ∂l/∂b = a for every sample, so
    # ∇_b E[log(1 − σ(l))] = −E[σ(l)] a and ∇_b E[−log σ(l)] = −E[1 − σ(l)] a.
    generator = torch.nn.Linear(2, 2)
    discriminator = torch.nn.Linear(2, 1)
    with torch.no_grad():
        generator.weight.copy_(torch.eye(2))
        generator.bias.copy_(torch.tensor([0.5, -1.0]))
        discriminator.weight.copy_(torch.tensor([[3.0, 4.0]]))  # |a| = 5
        discriminator.bias.fill_(-2.0)
    generator.weight.requires_grad_(False)
    noise = torch.randn(100, 2, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        probability = torch.sigmoid(discriminator(generator(noise)))
    saturating = generator_gradient_norm(generator, discriminator, "minimax", noise)
    non_saturating_norm = generator_gradient_norm(generator, discriminator, "non_saturating", noise)
    assert saturating == pytest.approx(5 * float(probability.mean()), rel=1e-5)
    assert non_saturating_norm == pytest.approx(5 * float((1 - probability).mean()), rel=1e-5)


def test_saturating_gradient_vanishes_where_the_discriminator_rejects_the_fakes():
    generator = torch.nn.Linear(2, 2)
    discriminator = torch.nn.Linear(2, 1)
    with torch.no_grad():
        discriminator.weight.copy_(torch.tensor([[1.0, 0.0]]))
        discriminator.bias.fill_(-30.0)  # D(G(z)) ≈ e^-30 for the fakes near 0
    noise = torch.randn(64, 2, generator=torch.Generator().manual_seed(1))
    assert generator_gradient_norm(generator, discriminator, "minimax", noise) < 1e-10
    assert generator_gradient_norm(generator, discriminator, "non_saturating", noise) > 0.5


def test_a_seeded_mlp_is_the_one_after_manual_seed_and_leaves_the_random_state_alone():
    torch.manual_seed(3)
    expected = mlp(2, 1, width=8, depth=1)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    seeded = mlp(2, 1, width=8, depth=1, seed=3)
    assert torch.equal(torch.get_rng_state(), before)
    for got, want in zip(seeded.parameters(), expected.parameters()):
        assert torch.equal(got, want)
