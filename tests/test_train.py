"""gan_course.train: the History it records, that it learns, batching, errors; BatchedMLP."""

import math

import pytest
import torch
import torch.nn.functional as F

from gan_course.data import toy
from gan_course.gan_losses import least_squares, non_saturating
from gan_course.losses import Loss
from gan_course.models.toy import BatchedMLP, mlp
from gan_course.train import (
    CHUNK_STEPS,
    METRIC_SAMPLES,
    GANConfig,
    History,
    generator_gradient_norm,
    train,
    train_batch,
)

RING = toy.ring_of_gaussians()
# Small networks and batches: these tests check the loop, not GAN quality.
SMALL = dict(width=32, depth=2, batch_size=64)
N_SHOW, GRID = 64, 15


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # The networks are small, so one thread loses nothing and is much steadier on a
    # busy 2-core machine (see tests/test_ratio.py).
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def quick_train(config=None, steps=30, data=RING, **kwargs):
    kwargs = dict(dict(record_every=10, n_show=N_SHOW, grid_size=GRID, progress=False), **kwargs)
    return train(data, config or GANConfig(**SMALL), steps, **kwargs)


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
    assert h.fake_grad.shape == (frames, N_SHOW, 2)
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
    assert all(bool(torch.isfinite(v).all()) for v in (h.fake, h.fake_grad, h.disc, h.manifold))
    assert not torch.equal(h.fake[0], h.fake[-1])  # the generator moved
    metrics = h.metrics
    assert torch.all((0 <= metrics["modes_covered"]) & (metrics["modes_covered"] <= 8))
    assert torch.all((0 <= metrics["high_quality"]) & (metrics["high_quality"] <= 1))
    assert torch.all((0 <= metrics["js"]) & (metrics["js"] <= math.log(2)))
    # The plotting square contains the data: the ring of radius 2 plus 20% padding.
    assert float(h.grid_x.min()) < -2.0 and float(h.grid_x.max()) > 2.0


def test_frame_and_final_samples(ring_history):
    frame = ring_history.frame(-1)
    assert frame["step"] == 30
    assert torch.equal(frame["fake"], ring_history.fake[-1])
    assert set(frame["metrics"]) == set(ring_history.metrics)
    assert isinstance(frame["metrics"]["kl"], float)
    assert ring_history.final_samples(100).shape == (100, 2)


def test_disc_is_the_final_discriminator_on_the_grid(ring_history):
    h = ring_history
    points = torch.stack([h.grid_x.reshape(-1), h.grid_y.reshape(-1)], dim=1)
    with torch.no_grad():
        expected = torch.sigmoid(h.discriminator(points)).reshape(GRID, GRID)
    assert torch.allclose(h.disc[-1], expected, atol=1e-6)


def test_fake_grad_is_minus_the_per_sample_generator_gradient():
    h = quick_train(GANConfig(loss="non_saturating", **SMALL), steps=20)
    fake = h.fake[-1].clone().requires_grad_(True)
    # the per-sample non-saturating loss is softplus(-l(x))
    per_sample = F.softplus(-h.discriminator(fake)).sum()
    (gradient,) = torch.autograd.grad(per_sample, fake)
    assert torch.allclose(h.fake_grad[-1], -gradient, atol=1e-6)


def test_raw_output_for_critics_and_manifold_for_other_noise_sizes():
    h = quick_train(GANConfig(loss="wasserstein", noise_dim=1, **SMALL), steps=10)
    assert not h.disc_is_probability
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
    def gradient_penalty(discriminator, real, fake):
        # a WGAN-GP style penalty at the real points, plus a constant we can see
        real = real.clone().requires_grad_(True)
        (gradient,) = torch.autograd.grad(discriminator(real).sum(), real, create_graph=True)
        return ((gradient.norm(dim=1) - 1) ** 2).mean() * 0.0 + 5.0

    plain = GANConfig(**SMALL)
    penalised = GANConfig(penalty=gradient_penalty, **SMALL)
    histories = train_batch(RING, [plain, penalised], 5, record_every=5, n_show=N_SHOW,
                            grid_size=GRID, progress=False)
    # the first loss is computed before any update, so only the constant differs
    first = [float(h.losses["disc"][0]) for h in histories]
    assert first[1] == pytest.approx(first[0] + 5.0, abs=1e-5)


class ClipAt:
    """A penalty-hook object like weight clipping: no loss term, a projection after each update."""

    def __init__(self, c):
        self.c = c

    def __call__(self, discriminator, real, fake):
        return torch.zeros(())

    def project(self, parameters):
        for parameter in parameters:
            parameter.clamp_(-self.c, self.c)


def test_a_penalty_with_project_constrains_only_its_own_run():
    clipped, free = train_batch(RING, [GANConfig(penalty=ClipAt(0.01), **SMALL), GANConfig(**SMALL)],
                                5, record_every=5, n_show=N_SHOW, grid_size=GRID, progress=False)
    clipped_weights = torch.cat([p.flatten() for p in clipped.discriminator.parameters()])
    free_weights = torch.cat([p.flatten() for p in free.discriminator.parameters()])
    assert float(clipped_weights.abs().max()) <= 0.01 + 1e-7
    assert float(free_weights.abs().max()) > 0.1


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
    # the recorded push is −∇ of the per-sample loss: towards the data's mean
    push = history.fake_grad[0].mean(dim=0)
    towards = torch.tensor([2.0, -1.0]) - history.fake[0].mean(dim=0)
    assert float(push @ towards) > 0


def test_a_sample_loss_with_a_witness_records_it_as_the_heatmap():
    def loss(real, fake):
        return mean_matching(real, fake)

    loss.witness = lambda real, fake, points: points[:, 0] * 0 + 7.0
    history = quick_train(GANConfig(sample_loss=loss, n_disc=0, **SMALL), steps=5)
    assert bool((history.disc == 7.0).all())
    assert not history.disc_is_probability


def test_sample_losses_and_discriminators_are_not_mixed_in_one_batch():
    with pytest.raises(ValueError, match="every configuration of one batch has a sample_loss"):
        train_batch(RING, [GANConfig(sample_loss=mean_matching, n_disc=0, **SMALL),
                           GANConfig(**SMALL)], 5, progress=False)


def test_sgd_optimizer_runs():
    h = quick_train(GANConfig(optimizer="sgd", lr_disc=0.05, lr_gen=0.05, **SMALL), steps=10)
    assert bool(torch.isfinite(h.losses["disc"]).all())


# --------------------------------------------------------------------------- it learns


def test_learns_the_mean_and_covariance_of_a_gaussian():
    # Measured on seeds 0-5 with these settings: mean errors 0.005-0.051, covariance
    # errors 0.011-0.065 (seed 0: 0.009 and 0.011). Equal learning rates oscillate
    # (errors up to 0.4 at 1e-3/1e-3), so the generator learns 10x slower (TTUR).
    data = toy.Gaussian([1.0, -0.5], cov=[[0.5, 0.2], [0.2, 0.3]])
    config = GANConfig(lr_disc=1e-3, lr_gen=1e-4, width=32, depth=2, seed=0)
    history = train(data, config, steps=2000, record_every=1000, progress=False)
    samples = history.final_samples(20_000)
    tolerance = 0.1  # on every entry of the mean and of the covariance
    assert torch.allclose(samples.mean(dim=0), data.mean.float(), atol=tolerance)
    assert torch.allclose(torch.cov(samples.T), data.cov.float(), atol=tolerance)


# --------------------------------------------------------------------------- one code path


def least_squares_with_a_python_branch(logits_real, logits_fake):
    """LSGAN's loss, written with a data-dependent Python branch that vmap rejects."""
    if float(logits_fake.mean()) > 1e9:
        raise AssertionError("unreachable")
    return least_squares(logits_real, logits_fake)


def test_batched_runs_equal_separate_runs():
    # A matrix product with one output column (the discriminator's last layer) rounds
    # in the last bit differently in a batch of 1 and of 3, and GAN training amplifies
    # that: after 20 steps the differences are ~1e-7, except the hinge critic's raw
    # output and loss (~2e-5). Mixing runs' data, noise or gradients would differ by O(1).
    # The steps cross a chunk of drawn batches; one loss cannot be vectorised by vmap.
    tight = dict(rtol=1e-3, atol=1e-4)
    configs = [GANConfig(seed=0, **SMALL),
               GANConfig(seed=1, lr_disc=3e-4, lr_gen=2e-3, betas=(0.0, 0.9), **SMALL),
               GANConfig(seed=2, lr_gen=5e-4, loss="hinge", **SMALL),
               GANConfig(seed=3, loss=least_squares_with_a_python_branch, **SMALL)]
    kwargs = dict(record_every=10, n_show=N_SHOW, grid_size=GRID, progress=False)
    steps = CHUNK_STEPS + 6
    batched = train_batch(RING, configs, steps, **kwargs)
    for config, together in zip(configs, batched):
        alone = train(RING, config, steps, **kwargs)
        assert together.config is config
        for name in ("fake", "fake_grad", "disc", "manifold"):
            assert torch.allclose(getattr(together, name), getattr(alone, name), **tight), name
        for name in ("disc", "gen"):
            assert torch.allclose(together.losses[name], alone.losses[name], **tight), name
        for name in together.metrics:
            assert torch.allclose(together.metrics[name], alone.metrics[name], atol=1e-4), name
        assert torch.equal(together.real, alone.real)


def test_train_equals_a_hand_written_loop_with_torch_adam():
    config = GANConfig(seed=3, lr_disc=2e-3, lr_gen=1e-3, betas=(0.5, 0.99), **SMALL)
    steps, noise_dim, batch = 25, config.noise_dim, config.batch_size
    history = quick_train(config, steps=steps, record_every=steps)

    # the same random draws in the same order: display batches, metric noise, then training
    rng = torch.Generator().manual_seed(config.seed)
    RING.sample(N_SHOW, generator=rng)
    noise_show = torch.randn(N_SHOW, noise_dim, generator=rng)
    torch.randn(METRIC_SAMPLES, noise_dim, generator=rng)
    # training batches are drawn CHUNK_STEPS steps at a time: data, then noise (D's, G's)
    reals = RING.sample(CHUNK_STEPS * batch, generator=rng).reshape(CHUNK_STEPS, batch, 2)
    noises = torch.randn(CHUNK_STEPS * 2 * batch, noise_dim, generator=rng).reshape(
        CHUNK_STEPS, 2, batch, noise_dim)
    torch.manual_seed(config.seed)
    generator = mlp(noise_dim, 2, config.width, config.depth)
    discriminator = mlp(2, 1, config.width, config.depth)
    gen_optimizer = torch.optim.Adam(generator.parameters(), lr=config.lr_gen, betas=config.betas)
    disc_optimizer = torch.optim.Adam(discriminator.parameters(), lr=config.lr_disc,
                                      betas=config.betas)
    disc_losses, gen_losses = [], []
    for step in range(steps):
        real = reals[step]
        fake = generator(noises[step, 0]).detach()
        loss = non_saturating(discriminator(real), discriminator(fake)).discriminator
        disc_optimizer.zero_grad()
        loss.backward()
        disc_optimizer.step()
        disc_losses.append(loss.item())
        fake = generator(noises[step, 1])
        loss = non_saturating(discriminator(real), discriminator(fake)).generator
        gen_optimizer.zero_grad()
        loss.backward()
        gen_optimizer.step()
        gen_losses.append(loss.item())

    assert torch.allclose(history.losses["disc"], torch.tensor(disc_losses), atol=1e-5)
    assert torch.allclose(history.losses["gen"], torch.tensor(gen_losses), atol=1e-5)
    with torch.no_grad():
        assert torch.allclose(history.fake[-1], generator(noise_show), atol=1e-5)


# --------------------------------------------------------------------------- errors


def test_configs_of_one_batch_must_share_their_shapes():
    with pytest.raises(ValueError, match="must share width"):
        train_batch(RING, [GANConfig(width=32), GANConfig(width=64)], 5, progress=False)
    with pytest.raises(ValueError, match="must share n_disc"):
        train_batch(RING, [GANConfig(n_disc=1), GANConfig(n_disc=5)], 5, progress=False)


def test_nan_loss_says_training_diverged_and_when():
    def exploding(logits_real, logits_fake):
        nan = torch.tensor(float("nan"))
        return Loss(discriminator=logits_real.mean() * nan, generator=-logits_fake.mean(), parts={})

    with pytest.raises(ValueError, match=r"discriminator loss became nan at step 1: training "
                                         r"diverged\. Lower the learning rates"):
        quick_train(GANConfig(loss=exploding, **SMALL), steps=12, record_every=5)


def test_real_divergence_is_caught():
    # an unconstrained critic with a huge SGD step overflows within a few steps
    config = GANConfig(loss="wasserstein", optimizer="sgd", lr_disc=1e12, lr_gen=1e12, **SMALL)
    with pytest.raises(ValueError, match="training diverged"):
        quick_train(config, steps=50, record_every=50)


@pytest.mark.parametrize("fields, message", [
    (dict(loss="nonsaturating"), "choose one of minimax, non_saturating"),
    (dict(gen_loss_name="wgan"), "unknown GAN loss 'wgan'"),
    (dict(lr_disc=0.0), "lr_disc must be a positive number"),
    (dict(betas=(0.5, 1.0)), "betas must be two numbers in"),
    (dict(optimizer="rmsprop"), "choose 'adam' or 'sgd'"),
    (dict(n_disc=0), "n_disc=0 trains no discriminator"),
    (dict(n_disc=-1), "n_disc must be an integer >= 0"),
    (dict(sample_loss=lambda real, fake: 0.0), "set n_disc=0"),
    (dict(activation="gelu"), "unknown activation"),
])
def test_bad_configs_get_clear_errors(fields, message):
    with pytest.raises(ValueError, match=message):
        GANConfig(**fields)


def test_data_must_be_2d():
    with pytest.raises(ValueError, match="for 2D data, got 1D"):
        quick_train(data=toy.Gaussian(0.0, std=1.0))
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        quick_train(steps=0)


# --------------------------------------------------------------------------- BatchedMLP


def test_batched_mlp_with_one_network_equals_mlp_under_the_same_seed():
    torch.manual_seed(7)
    plain = mlp(2, 3, width=16, depth=2)
    batched = BatchedMLP(1, 2, 3, width=16, depth=2, seeds=[7])
    x = torch.randn(10, 2)
    assert torch.allclose(batched(x[None])[0], plain(x), atol=1e-6)
    assert torch.allclose(batched.run(0, x), plain(x), atol=1e-6)


def test_batched_mlp_slices_are_independent_networks():
    seeds = [0, 5, 9]
    batched = BatchedMLP(3, 2, 1, width=8, depth=3, activation="tanh", seeds=seeds)
    x = torch.randn(3, 4, 2)
    out = batched(x)
    assert out.shape == (3, 4, 1)
    for k, seed in enumerate(seeds):
        torch.manual_seed(seed)
        assert torch.allclose(out[k], mlp(2, 1, 8, 3, "tanh")(x[k]), atol=1e-6)
        assert torch.allclose(batched.to_mlp(k)(x[k]), out[k], atol=1e-6)
    # network 1's loss gives gradients to network 1's slice only
    batched(x)[1].sum().backward()
    assert float(batched.weights[0].grad[[0, 2]].abs().sum()) == 0.0
    assert float(batched.weights[0].grad[1].abs().sum()) > 0.0


def test_seeded_batched_mlp_leaves_the_global_random_state_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    BatchedMLP(2, 2, 2, seeds=[1, 2])
    assert torch.equal(torch.rand(3), expected)


def test_from_mlps_checks_the_networks_match():
    with pytest.raises(ValueError, match="same layer sizes"):
        BatchedMLP.from_mlps([mlp(2, 1, 8), mlp(2, 1, 16)])
    with pytest.raises(ValueError, match="different activations"):
        BatchedMLP.from_mlps([mlp(2, 1, 8, activation="relu"), mlp(2, 1, 8, activation="tanh")])
    with pytest.raises(ValueError, match=r"expected inputs of shape \(K=2, B, 2\)"):
        BatchedMLP(2, 2, 1)(torch.zeros(3, 5, 2))


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
