"""gan_course.toy_training: GANConfig, ToyBatches, and the History that train_toy records."""

import math

import pytest
import torch
import torch.nn.functional as F

from gan_course.data import toy
from gan_course.history import History
from gan_course.losses import Loss
from gan_course.penalties import WeightClipping, WGANGradientPenalty
from gan_course.toy_training import (
    CHUNK_STEPS,
    GANConfig,
    ToyBatches,
    toy_networks,
    toy_optimizer,
    train_toy,
)

RING = toy.ring_of_gaussians()
# Small networks and batches: these tests check the loop, not GAN quality.
SMALL = dict(width=32, depth=2, batch_size=64)
N_SHOW, GRID = 64, 15


def quick_train(config=None, steps=30, data=RING, **kwargs):
    kwargs = dict(dict(record_every=10, n_show=N_SHOW, grid_size=GRID, progress=False), **kwargs)
    return train_toy(data, config or GANConfig(**SMALL), steps, **kwargs)


@pytest.fixture(scope="module")
def ring_history():
    return quick_train(GANConfig(loss="minimax", **SMALL), steps=30, record_every=7)


# --------------------------------------------------------------------------- the History


def test_history_records_at_0_every_record_every_and_the_last_step(ring_history):
    assert ring_history.steps.tolist() == [0, 7, 14, 21, 28, 30]
    assert ring_history.steps.dtype == torch.long
    assert quick_train(steps=20, record_every=10).steps.tolist() == [0, 10, 20]


def test_history_shapes(ring_history):
    h, frames = ring_history, 6
    assert isinstance(h, History)
    assert h.real.shape == (N_SHOW, 2)
    assert h.fake.shape == (frames, N_SHOW, 2)
    assert h.fake_push.shape == (frames, N_SHOW, 2)
    assert h.grid_x.shape == h.grid_y.shape == (GRID, GRID)
    assert h.disc.shape == (frames, GRID, GRID)
    assert h.manifold.shape == (frames, 20 * 20, 2) and h.manifold_shape == (20, 20)
    assert h.losses["disc"].shape == h.losses["gen"].shape == (30,)
    assert set(h.metrics) == {"modes_covered", "high_quality", "kl", "js"}
    assert all(values.shape == (frames,) for values in h.metrics.values())
    assert h.wall_time > 0 and h.config.loss == "minimax"


def test_history_contents(ring_history):
    h = ring_history
    # 'xy' meshgrid: x varies along a row, y down a column
    assert torch.all(h.grid_x[:, 1:] > h.grid_x[:, :-1]) and torch.all(h.grid_y[1:] > h.grid_y[:-1])
    assert h.disc_is_probability and 0 <= float(h.disc.min()) and float(h.disc.max()) <= 1
    assert all(bool(torch.isfinite(v).all()) for v in (h.fake, h.fake_push, h.disc, h.manifold))
    assert not torch.equal(h.fake[0], h.fake[-1])  # the generator moved
    metrics = h.metrics
    assert all(values.dtype == torch.float32 for values in metrics.values())
    assert torch.all((0 <= metrics["modes_covered"]) & (metrics["modes_covered"] <= 8))
    assert torch.all((0 <= metrics["high_quality"]) & (metrics["high_quality"] <= 1))
    assert torch.all((0 <= metrics["js"]) & (metrics["js"] <= math.log(2)))
    # The plotting square contains the data: the ring of radius 2 plus 20% padding.
    assert float(h.grid_x.min()) < -2.0 and float(h.grid_x.max()) > 2.0


def test_final_samples(ring_history):
    assert ring_history.final_samples(100).shape == (100, 2)
    assert torch.equal(ring_history.final_samples(10, seed=1), ring_history.final_samples(10, seed=1))


def test_disc_is_the_final_discriminator_on_the_grid(ring_history):
    h = ring_history
    points = torch.stack([h.grid_x.reshape(-1), h.grid_y.reshape(-1)], dim=1)
    with torch.no_grad():
        expected = torch.sigmoid(h.discriminator(points)).reshape(GRID, GRID)
    assert torch.allclose(h.disc[-1], expected, atol=1e-6)


def test_fake_push_is_minus_the_per_sample_generator_gradient():
    h = quick_train(GANConfig(loss="non_saturating", **SMALL), steps=20)
    fake = h.fake[-1].clone().requires_grad_(True)
    # the per-sample non-saturating loss is softplus(-l(x))
    per_sample = F.softplus(-h.discriminator(fake)).sum()
    (gradient,) = torch.autograd.grad(per_sample, fake)
    assert torch.allclose(h.fake_push[-1], -gradient, atol=1e-6)


def test_raw_output_for_critics_and_manifold_for_other_noise_sizes():
    h = quick_train(GANConfig(loss="wasserstein", noise_dim=1, **SMALL), steps=10)
    assert not h.disc_is_probability and h.critic_up_to_constant
    assert h.manifold.shape == (2, 200, 2) and h.manifold_shape == (200,)
    h = quick_train(GANConfig(noise_dim=3, **SMALL), steps=10)
    assert h.manifold is None and h.manifold_shape == ()


def test_no_metrics_without_modes_or_density():
    h = quick_train(steps=10, data=toy.TwoMoons())
    assert h.metrics == {}


def test_single_gaussian_data_gets_only_the_grid_divergences():
    h = quick_train(steps=10, data=toy.Gaussian([0.0, 0.0], std=1.0))
    assert set(h.metrics) == {"kl", "js"}


def test_callback_sees_the_history_so_far():
    seen = []

    def callback(step, history):
        seen.append((step, len(history.steps), len(history.losses["disc"]), history.fake.shape[0]))

    quick_train(steps=25, record_every=10, callback=callback)
    assert seen == [(10, 2, 10, 2), (20, 3, 20, 3), (25, 4, 25, 4)]


def test_generator_loss_can_differ_from_the_discriminator_loss():
    minimax_d_nonsat_g = quick_train(GANConfig(loss="minimax", gen_loss_name="non_saturating",
                                               **SMALL), steps=5, record_every=5)
    pure_minimax = quick_train(GANConfig(loss="minimax", **SMALL), steps=5, record_every=5)
    # -log D(G(z)) > 0 while log(1 - D(G(z))) < 0; the discriminators' losses agree at step 1
    assert torch.all(minimax_d_nonsat_g.losses["gen"] > 0)
    assert torch.all(pure_minimax.losses["gen"] < 0)
    assert minimax_d_nonsat_g.losses["disc"][0] == pure_minimax.losses["disc"][0]


def test_penalty_is_added_to_the_discriminator_loss():
    def constant_penalty(discriminator, real, fake):
        return discriminator(real).sum() * 0.0 + 5.0

    plain = quick_train(GANConfig(**SMALL), steps=5, record_every=5)
    penalised = quick_train(GANConfig(penalty=constant_penalty, **SMALL), steps=5, record_every=5)
    # the first loss is computed before any update, so only the constant differs
    assert float(penalised.losses["disc"][0]) == pytest.approx(
        float(plain.losses["disc"][0]) + 5.0, abs=1e-5)


def mean_matching(real, fake):
    """A toy moment-matching loss: the squared distance between the batch means."""
    return ((real.mean(dim=0) - fake.mean(dim=0)) ** 2).sum()


def test_a_sample_loss_trains_the_generator_without_a_discriminator():
    data = toy.Gaussian([2.0, -1.0], std=0.5)
    config = GANConfig(sample_loss=mean_matching, n_disc=0, lr_gen=1e-2, **SMALL)
    history = quick_train(config, steps=500, data=data, record_every=250)
    assert torch.allclose(history.final_samples(2000).mean(dim=0), torch.tensor([2.0, -1.0]),
                          atol=0.15)
    assert float(history.losses["gen"][-20:].mean()) < 0.05
    assert bool((history.losses["disc"] == 0).all())  # no discriminator was trained
    assert history.discriminator is None
    # the recorded push is −∇ of the per-sample loss: towards the data's mean
    push = history.fake_push[0].mean(dim=0)
    towards = torch.tensor([2.0, -1.0]) - history.fake[0].mean(dim=0)
    assert float(push @ towards) > 0


def test_a_sample_loss_with_a_witness_records_it_as_the_heatmap():
    def loss(real, fake):
        return mean_matching(real, fake)

    loss.witness = lambda real, fake, points: points[:, 0] * 0 + 7.0
    history = quick_train(GANConfig(sample_loss=loss, n_disc=0, **SMALL), steps=5)
    assert bool((history.disc == 7.0).all())
    assert not history.disc_is_probability


def test_sgd_optimizer_runs():
    h = quick_train(GANConfig(optimizer="sgd", lr_disc=0.05, lr_gen=0.05, **SMALL), steps=10)
    assert bool(torch.isfinite(h.losses["disc"]).all())


def test_rmsprop_is_torch_rmsprop_at_the_configured_step_sizes():
    # WGAN with weight clipping as Arjovsky et al. trained it: RMSProp, η = 5e-5, c = 0.01
    config = GANConfig(loss="wasserstein", optimizer="rmsprop", lr_disc=5e-5, lr_gen=2e-5,
                       n_disc=5, penalty=WeightClipping(0.01), **SMALL)
    generator, discriminator = toy_networks(config)
    optimiser = toy_optimizer(config, discriminator, config.lr_disc)
    assert isinstance(optimiser, torch.optim.RMSprop)
    assert optimiser.defaults["lr"] == 5e-5 and optimiser.defaults["alpha"] == 0.99
    assert optimiser.defaults["momentum"] == 0 and not optimiser.defaults["centered"]
    h = quick_train(config, steps=10)
    assert bool(torch.isfinite(h.losses["disc"]).all())
    weights = torch.cat([p.detach().flatten() for p in h.discriminator.parameters()])
    assert float(weights.abs().max()) <= 0.01 + 1e-7


def test_loss_properties_come_from_the_loss():
    assert GANConfig(loss="non_saturating").disc_is_probability
    assert GANConfig(loss="fgan_js").disc_is_probability
    assert not GANConfig(loss="hinge").disc_is_probability
    assert GANConfig(loss="wasserstein").critic_up_to_constant
    assert not GANConfig(loss="least_squares").critic_up_to_constant
    # a loss of your own has neither property unless it says so
    own = GANConfig(loss=lambda real, fake: Loss(None, fake.mean(), {}))
    assert not own.disc_is_probability and not own.critic_up_to_constant


# --------------------------------------------------------------------------- ToyBatches


def test_toy_batches_hand_out_chunks_in_the_order_they_were_drawn():
    config = GANConfig(n_disc=2, n_gen=1, batch_size=8)
    batches = ToyBatches(RING, config, torch.Generator().manual_seed(4))
    reals = [batches.real() for _ in range(CHUNK_STEPS * 2 + 1)]
    # the first chunk: all of the data, then all of the noise, from the same stream
    rng = torch.Generator().manual_seed(4)
    data = RING.sample(CHUNK_STEPS * 2 * 8, rng=rng).float()
    noise = torch.randn(CHUNK_STEPS * 3 * 8, 2, generator=rng)
    assert torch.equal(torch.cat(reals[:CHUNK_STEPS * 2]), data)
    assert torch.equal(batches.noise(), noise[:8])
    assert reals[-1].shape == (8, 2) and not torch.equal(reals[-1], reals[0])


# --------------------------------------------------------------------------- it learns


def test_learns_the_mean_and_covariance_of_a_gaussian():
    # Measured on seeds 0-5 with these settings: mean errors 0.005-0.051, covariance
    # errors 0.011-0.065 (seed 0: 0.009 and 0.011). Equal learning rates oscillate
    # (errors up to 0.4 at 1e-3/1e-3), so the generator learns 10x slower (TTUR).
    data = toy.Gaussian([1.0, -0.5], cov=[[0.5, 0.2], [0.2, 0.3]])
    config = GANConfig(lr_disc=1e-3, lr_gen=1e-4, width=32, depth=2, seed=0)
    history = train_toy(data, config, steps=2000, record_every=1000, progress=False)
    samples = history.final_samples(20_000)
    tolerance = 0.1  # on every entry of the mean and of the covariance
    assert torch.allclose(samples.mean(dim=0), data.mean.float(), atol=tolerance)
    assert torch.allclose(torch.cov(samples.T), data.cov.float(), atol=tolerance)


# --------------------------------------------------------------------------- errors


def test_nan_loss_says_training_diverged_and_when():
    def exploding(logits_real, logits_fake):
        nan = torch.tensor(float("nan"))
        disc = None if logits_real is None else logits_real.mean() * nan
        return Loss(discriminator=disc, generator=-logits_fake.mean(), parts={})

    with pytest.raises(FloatingPointError, match=r"discriminator loss became nan at step 1: "
                                                 r"training diverged\. Lower the learning rates"):
        quick_train(GANConfig(loss=exploding, **SMALL), steps=12, record_every=5)


def test_real_divergence_is_caught():
    # an unconstrained critic with a huge SGD step overflows within a few steps
    config = GANConfig(loss="wasserstein", optimizer="sgd", lr_disc=1e12, lr_gen=1e12, **SMALL)
    with pytest.raises(FloatingPointError, match="training diverged"):
        quick_train(config, steps=50, record_every=50)


@pytest.mark.parametrize("fields, message", [
    (dict(loss="nonsaturating"), "choose one of minimax, non_saturating"),
    (dict(gen_loss_name="wgan"), "unknown GAN loss 'wgan'"),
    (dict(lr_disc=0.0), "lr_disc must be a positive number"),
    (dict(betas=(0.5, 1.0)), "betas must be two numbers in"),
    (dict(betas=0.5), r"betas must be two numbers in \[0, 1\), got 0.5"),
    (dict(seed=0.5), "seed must be an integer >= 0, got 0.5"),
    (dict(penalty=WGANGradientPenalty), r"class WGANGradientPenalty, not a penalty; .*Penalty\(10.0\)"),
    (dict(optimizer="adagrad"), "choose 'adam', 'rmsprop' or 'sgd'"),
    (dict(n_disc=0), "n_disc=0 trains no discriminator"),
    (dict(n_disc=-1), "n_disc must be an integer >= 0"),
    (dict(width=True), "width must be a positive integer"),
    (dict(sample_loss=lambda real, fake: 0.0), "set n_disc=0"),
    (dict(activation="gelu"), "unknown activation"),
])
def test_bad_configs_get_clear_errors(fields, message):
    with pytest.raises(ValueError, match=message):
        GANConfig(**fields)


def test_data_must_be_2d():
    with pytest.raises(ValueError, match="on 2D data, got 1D"):
        quick_train(data=toy.Gaussian(0.0, std=1.0))
    with pytest.raises(ValueError, match=r"the class TwoMoons, not a distribution; .* TwoMoons\(\)"):
        quick_train(data=toy.TwoMoons)
    with pytest.raises(ValueError, match="config must be a GANConfig, got dict"):
        train_toy(toy.ring_of_gaussians(), dict(loss="minimax"), steps=2, progress=False)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        quick_train(steps=0)
    with pytest.raises(ValueError, match="record_every must be a positive integer"):
        quick_train(record_every=0)
