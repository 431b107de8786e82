"""gan_course.alpha_gan: α-GAN's losses, the hybrids as switches, and the four-player loop."""

import copy
import math

import pytest
import torch
from torch import nn

from gan_course.alpha_gan import (
    HYBRIDS,
    NETWORK_NAMES,
    TABLE_COLUMNS,
    HybridConfig,
    HybridNetworks,
    alpha_gan_step,
    analytic_kl,
    approximate_kl,
    build_image_networks,
    build_networks,
    code_discriminator_loss,
    encoder_code_loss,
    format_hybrids_table,
    hybrids_table,
    image_discriminator_loss,
    make_optimizers,
    reconstruction_loss,
    synthetic_likelihood_loss,
    train_hybrid,
)
from gan_course.data import toy
from gan_course.models.toy import mlp
from gan_course.toy_training import GANConfig, ToyBatches, toy_networks
from gan_course.train import train

RING = toy.ring_of_gaussians()


def softplus(value: float) -> float:
    return math.log1p(math.exp(value))


def tensor(*values):
    return torch.tensor(values, dtype=torch.float32)


def ring_batches(seed=0, batch_size=64):
    return ToyBatches(RING, GANConfig(batch_size=batch_size, noise_dim=2, seed=seed),
                      torch.Generator().manual_seed(seed))


def small_networks(config, seed=0):
    return build_networks(config, data_dim=2, noise_dim=2, width=32, depth=2, seed=seed)


class FixedBatches:
    """The same x and z at every call, so that train() (which draws z twice per step) and
    train_hybrid() (once per step) see the same batches."""

    def __init__(self, real, noise):
        self.fixed_real, self.fixed_noise = real, noise

    def real(self):
        return self.fixed_real

    def noise(self):
        return self.fixed_noise


# --------------------------------------------------------------------------- golden values


def test_reconstruction_loss_is_lambda_times_the_mean_l1_norm():
    real, reconstructions = tensor([1.0, -2.0], [0.5, 0.0]), tensor([0.0, -1.0], [0.5, 3.0])
    # ‖(1, −1)‖₁ = 2 and ‖(0, −3)‖₁ = 3: mean 2.5, times λ = 2
    assert float(reconstruction_loss(real, reconstructions, 2.0)) == pytest.approx(5.0)


def test_code_losses_golden_values():
    prior, codes = tensor(2.0, -1.0), tensor(0.5, -3.0)
    expected = ((softplus(-2.0) + softplus(1.0)) / 2 + (softplus(0.5) + softplus(-3.0)) / 2)
    assert float(code_discriminator_loss(prior, codes)) == pytest.approx(expected, rel=1e-6)
    assert float(encoder_code_loss(codes)) == pytest.approx((softplus(-0.5) + softplus(3.0)) / 2,
                                                            rel=1e-6)


def test_image_losses_golden_values():
    real, reconstructions, samples = tensor(1.0, 3.0), tensor(-2.0, 0.0), tensor(0.5, 4.0)
    disc = (image_discriminator_loss(real, [reconstructions, samples]))
    expected = ((softplus(-1.0) + softplus(-3.0)) / 2 + (softplus(-2.0) + softplus(0.0)) / 2
                + (softplus(0.5) + softplus(4.0)) / 2)
    assert float(disc) == pytest.approx(expected, rel=1e-6)
    gen = synthetic_likelihood_loss([reconstructions, samples])
    expected = (softplus(2.0) + softplus(0.0)) / 2 + (softplus(-0.5) + softplus(-4.0)) / 2
    assert float(gen) == pytest.approx(expected, rel=1e-6)


def test_losses_stay_finite_for_confident_discriminators():
    huge = tensor(500.0, -500.0)
    for value in (code_discriminator_loss(huge, huge), encoder_code_loss(huge),
                  image_discriminator_loss(huge, [huge]), synthetic_likelihood_loss([huge])):
        assert torch.isfinite(value)


def test_kl_golden_values():
    mean, log_var = tensor([1.0, 0.0], [0.0, -1.0]), tensor([0.0, math.log(4.0)], [0.0, 0.0])
    # ½(1 + 1 − 1 − 0) + ½(0 + 4 − 1 − log 4) for the first row; ½(1) for the second
    first = 0.5 + 0.5 * (3.0 - math.log(4.0))
    assert float(analytic_kl(mean, log_var)) == pytest.approx((first + 0.5) / 2, rel=1e-6)
    codes = tensor([1.0, -1.0], [3.0, 1.0])  # means (2, 0), variances (1, 1)
    assert float(approximate_kl(codes)) == pytest.approx(0.5 * 4.0, rel=1e-6)


def test_analytic_kl_equals_a_monte_carlo_estimate():
    mean, log_var = tensor([0.5, -1.0], [2.0, 0.3]), tensor([0.2, -0.7], [1.0, -2.0])
    std = (0.5 * log_var).exp()
    rng = torch.Generator().manual_seed(0)
    z = mean + std * torch.randn(200_000, *mean.shape, generator=rng)
    posterior, prior = torch.distributions.Normal(mean, std), torch.distributions.Normal(0.0, 1.0)
    monte_carlo = (posterior.log_prob(z) - prior.log_prob(z)).sum(-1).mean()
    assert float(analytic_kl(mean, log_var)) == pytest.approx(float(monte_carlo), rel=1e-2)


# --------------------------------------------------------------------------- the prior/posterior correction


def test_code_discriminator_calls_prior_samples_real_and_codes_fake():
    # the right answer (prior → large logit, codes → small) costs little; v1's swap costs a lot
    assert float(code_discriminator_loss(tensor(8.0), tensor(-8.0))) < 1e-3
    assert float(code_discriminator_loss(tensor(-8.0), tensor(8.0))) > 15.0


def test_encoder_code_term_pushes_its_codes_towards_the_prior_side_of_c():
    torch.manual_seed(0)
    encoder, code_discriminator = nn.Linear(2, 2), nn.Linear(2, 1)
    real = torch.randn(16, 2)
    before = code_discriminator(encoder(real)).mean().item()
    optimizer = torch.optim.SGD(encoder.parameters(), lr=0.1)
    encoder_code_loss(code_discriminator(encoder(real))).backward()
    optimizer.step()
    # a larger logit: C now finds the codes more like prior samples
    assert code_discriminator(encoder(real)).mean().item() > before


# --------------------------------------------------------------------------- networks


def test_code_discriminators_have_no_batch_norm_and_one_with_batch_norm_is_refused():
    for networks in (small_networks(HYBRIDS["α-GAN"]),
                     build_image_networks(HYBRIDS["α-GAN"], channels=1, size=8, noise_dim=4, width=8,
                                          code_width=16)):
        assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm)
                       for m in networks.code_discriminator.modules())
    with pytest.raises(ValueError, match="must not use batch norm"):
        HybridNetworks(mlp(2, 2), code_discriminator=nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8),
                                                                    nn.Linear(8, 1)))


EXPECTED_NETWORKS = {
    "VAE": {"generator", "encoder"},
    "DCGAN": {"generator", "discriminator"},
    "VAE-GAN": {"generator", "encoder", "discriminator"},
    "Adversarial VB": {"generator", "encoder", "code_discriminator"},
    "AGE": {"generator", "encoder"},
    "α-GAN": {"generator", "encoder", "discriminator", "code_discriminator"},
}


@pytest.mark.parametrize("name", list(HYBRIDS))
def test_every_hybrid_trains_20_steps_on_the_ring_and_updates_only_its_networks(name):
    config = HYBRIDS[name]
    networks = small_networks(config)
    assert set(networks.present()) == EXPECTED_NETWORKS[name] == set(config.used_networks)
    before = copy.deepcopy(networks)
    seen = []
    train_hybrid(networks, config, ring_batches(), 20, optimizers=make_optimizers(networks),
                 lambda_rec=1.0, hook=lambda step, losses: seen.append(losses), progress=False)
    assert len(seen) == 20 and set(seen[-1]) >= EXPECTED_NETWORKS[name]
    assert all(torch.isfinite(value) for losses in seen for value in losses.values())
    for network_name, network in networks.present().items():
        old = getattr(before, network_name)
        assert any(not torch.equal(p, q) for p, q in zip(network.parameters(), old.parameters())), \
            network_name


@pytest.mark.parametrize("name, unused", [("DCGAN", ("encoder", "code_discriminator")),
                                          ("AGE", ("discriminator", "code_discriminator")),
                                          ("VAE-GAN", ("code_discriminator",))])
def test_networks_a_config_does_not_use_get_no_gradient(name, unused):
    # all four networks at hand (deterministic encoder: VAE-GAN's Gaussian one needs 2·noise_dim
    # outputs, so it gets its own encoder), but only the config's get gradients
    full = small_networks(HYBRIDS["α-GAN"])
    full.encoder = small_networks(HYBRIDS[name]).encoder or full.encoder
    before = copy.deepcopy(full)
    alpha_gan_step(full, make_optimizers(full), HYBRIDS[name], RING.sample(32).float(), torch.randn(32, 2))
    for network_name in NETWORK_NAMES:
        network, old = getattr(full, network_name), getattr(before, network_name)
        unchanged = all(torch.equal(p, q) for p, q in zip(network.parameters(), old.parameters()))
        no_gradient = all(p.grad is None for p in network.parameters())
        assert unchanged == no_gradient == (network_name in unused), network_name


def test_image_networks_take_one_step_on_8x8_images():
    config = HYBRIDS["VAE-GAN"]
    networks = build_image_networks(config, channels=1, size=8, noise_dim=4, width=8)
    images = torch.rand(8, 1, 8, 8) * 2 - 1
    losses = alpha_gan_step(networks, make_optimizers(networks, lr=2e-4), config, images,
                            torch.randn(8, 4), lambda_rec=0.1)
    assert set(losses) == {"discriminator", "encoder", "reconstruction", "generator"}
    assert all(torch.isfinite(value) for value in losses.values())


# --------------------------------------------------------------------------- DCGAN is train()'s step


def test_dcgan_switches_give_exactly_trains_non_saturating_steps():
    config = HYBRIDS["DCGAN"]
    networks = small_networks(config, seed=3)
    # build_networks draws G then D after manual_seed(seed), as toy_networks does
    generator, discriminator = toy_networks(GANConfig(width=32, depth=2, noise_dim=2, seed=3))
    assert all(torch.equal(p, q) for p, q in zip(networks.generator.parameters(), generator.parameters()))
    rng = torch.Generator().manual_seed(1)
    batches = FixedBatches(RING.sample(64, rng).float(), torch.randn(64, 2, generator=rng))
    before = copy.deepcopy(networks)
    train_hybrid(networks, config, batches, 3, optimizers=make_optimizers(networks, lr=1e-3),
                 progress=False)
    train(generator, discriminator, batches, 3, loss="non_saturating", progress=False,
          gen_optimizer=torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.999)),
          disc_optimizer=torch.optim.Adam(discriminator.parameters(), lr=1e-3, betas=(0.5, 0.999)))
    for ours, theirs, old in ((networks.generator, generator, before.generator),
                              (networks.discriminator, discriminator, before.discriminator)):
        for p, q, r in zip(ours.parameters(), theirs.parameters(), old.parameters()):
            torch.testing.assert_close(p, q, atol=1e-6, rtol=0)
        assert any(not torch.equal(p, r) for p, r in zip(ours.parameters(), old.parameters()))


# --------------------------------------------------------------------------- the table and the switches


def test_hybrids_table_rows_match_the_switches():
    rows = hybrids_table()
    assert [name for name, _ in rows] == list(HYBRIDS)
    for name, parts in rows:
        config = HYBRIDS[name]
        assert ("reconstruction" in parts) == config.reconstruction
        assert any(p.startswith("synthetic likelihood") for p in parts) == (config.image_term != "none")
        assert ("analytic KL" in parts) == (config.code_term == "analytic_kl")
        assert ("approximate KL" in parts) == (config.code_term == "approximate_kl")
        assert ("code discriminator" in parts) == (config.code_term == "code_discriminator")
        assert (f"{config.encoder} encoder" in parts) == (config.encoder != "none")
    assert dict(rows)["α-GAN"] == ("reconstruction", "synthetic likelihood: samples and reconstructions",
                                   "code discriminator", "deterministic encoder")
    text = format_hybrids_table().splitlines()
    assert len(text) == 1 + len(HYBRIDS) and all(column in text[0] for column in TABLE_COLUMNS)


@pytest.mark.parametrize("switches, fix", [
    (dict(code_term="analytic_kl", encoder="deterministic"), "encoder='gaussian'"),
    (dict(code_term="unknown"), "choose one of"),
    (dict(encoder="none"), "need an encoder"),
    (dict(reconstruction=False), "set reconstruction=True"),
    (dict(reconstruction=False, code_term="none", image_term="none", encoder="none"),
     "nothing would train the generator"),
    (dict(reconstruction="yes"), "True or False"),
])
def test_inconsistent_switches_get_one_sentence_naming_the_fix(switches, fix):
    with pytest.raises(ValueError, match=fix) as error:
        HybridConfig(**switches)
    assert str(error.value).count(". ") == 0  # one sentence


def test_configs_are_frozen_and_a_missing_network_is_named():
    with pytest.raises(Exception):
        HYBRIDS["α-GAN"].encoder = "gaussian"
    networks = small_networks(HYBRIDS["DCGAN"])
    with pytest.raises(ValueError, match="needs the encoder"):
        train_hybrid(networks, HYBRIDS["α-GAN"], ring_batches(), 1, optimizers=make_optimizers(networks),
                     progress=False)
