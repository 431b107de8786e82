"""gan_course.batched: train_batch is train_toy vectorised over runs (the contract), BatchedMLP,
the stacked optimisers."""

import pytest
import torch

from gan_course.batched import BatchedMLP, StackedAdam, StackedRMSprop, penalty_terms, train_batch
from gan_course.data import toy
from gan_course.gan_losses import GAN_LOSSES, least_squares
from gan_course.models.toy import mlp
from gan_course.penalties import (
    DRAGANPenalty,
    WeightClipping,
    WGANGradientPenalty,
    ZeroCentredGradientPenalty,
    input_gradients,
)
from gan_course.toy_training import CHUNK_STEPS, GANConfig, train_toy

RING = toy.ring_of_gaussians()
SMALL = dict(width=32, depth=2, batch_size=64)
RECORDING = dict(record_every=10, n_show=64, grid_size=15, progress=False)
STEPS = 20
# The contract's tolerance. A batched matrix product sums in another order than one
# run's, so the runs differ in the last bits, and training amplifies that a little.
# Measured after 20 steps with the settings below, over every registered loss:
# at most 2e-6 absolute on samples, grids and losses for every registered loss
# except the hinge and Wasserstein critics, whose raw outputs are unbounded: 6.5e-5
# without and 1.6e-4 with a gradient penalty. Mixing runs' data, noise or gradients
# would differ by O(1).
TOLERANCE = dict(rtol=1e-3, atol=1e-3)


def assert_same_run(together, alone):
    assert torch.equal(together.real, alone.real)  # the same display draws
    for name in ("fake", "fake_push", "disc", "manifold"):
        assert torch.allclose(getattr(together, name), getattr(alone, name), **TOLERANCE), name
    for name in ("disc", "gen"):
        assert torch.allclose(together.losses[name], alone.losses[name], **TOLERANCE), name
    for got, want in zip(together.generator.parameters(), alone.generator.parameters()):
        assert torch.allclose(got, want, **TOLERANCE)
    # The metrics count the 2,000 metric samples per cell or per mode: step functions of the
    # samples, so a sample within rounding of a cell edge may fall on the other side in one
    # run (seen: grid KL 10.142 against 10.130 after 70 steps). 1% covers a few such samples;
    # a run that mixed another run's data or noise would differ by O(1).
    for name in together.metrics:
        assert torch.allclose(together.metrics[name], alone.metrics[name], rtol=1e-2, atol=1e-3), name


def configs_for(make):
    """Three runs with different seeds and step sizes; the middle one is compared."""
    return [make(seed=0, lr_disc=1e-3, lr_gen=1e-3),
            make(seed=1, lr_disc=3e-4, lr_gen=2e-3),
            make(seed=2, lr_disc=2e-3, lr_gen=5e-4)]


@pytest.mark.parametrize("loss", sorted(GAN_LOSSES))
def test_run_k_of_a_batch_is_train_toy_for_every_registered_loss(loss):
    configs = configs_for(lambda **kw: GANConfig(loss=loss, betas=(0.5, 0.9), **SMALL, **kw))
    together = train_batch(RING, configs, STEPS, **RECORDING)[1]
    alone = train_toy(RING, configs[1], STEPS, **RECORDING)
    assert_same_run(together, alone)


@pytest.mark.parametrize("loss", sorted(GAN_LOSSES))
def test_with_a_gradient_penalty(loss):
    def make(**kw):  # a fresh penalty per run: each draws from its own stream
        return GANConfig(loss=loss, n_disc=2, penalty=WGANGradientPenalty(10.0, seed=kw["seed"]),
                         **SMALL, **kw)

    together = train_batch(RING, configs_for(make), STEPS, **RECORDING)[1]
    alone = train_toy(RING, configs_for(make)[1], STEPS, **RECORDING)
    assert_same_run(together, alone)


@pytest.mark.parametrize("loss, optimizer", [("wasserstein", "sgd"), ("non_saturating", "sgd"),
                                             ("wasserstein", "rmsprop")])
def test_with_weight_clipping(loss, optimizer):
    def make(**kw):
        return GANConfig(loss=loss, penalty=WeightClipping(0.05), optimizer=optimizer, **SMALL, **kw)

    together = train_batch(RING, configs_for(make), STEPS, **RECORDING)[1]
    alone = train_toy(RING, configs_for(make)[1], STEPS, **RECORDING)
    assert_same_run(together, alone)
    weights = torch.cat([p.flatten() for p in together.discriminator.parameters()])
    assert float(weights.detach().abs().max()) <= 0.05 + 1e-7


def least_squares_with_a_python_branch(logits_real, logits_fake):
    """LSGAN's loss, written with a data-dependent Python branch that vmap rejects."""
    if float(logits_fake.detach().mean()) > 1e9:
        raise AssertionError("unreachable")
    return least_squares(logits_real, logits_fake)


def test_mixed_losses_your_own_loss_and_a_chunk_boundary():
    # runs with different losses share one batch; the steps cross a chunk of drawn
    # batches; a loss of your own is evaluated run by run. (Not hinge or Wasserstein
    # here: their unbounded critics amplify rounding faster, to about 2e-3 on the
    # samples after these 70 steps; the tests above hold them to 20 steps.)
    configs = [GANConfig(seed=0, **SMALL),
               GANConfig(seed=1, betas=(0.0, 0.9), loss="fgan_pearson", **SMALL),
               GANConfig(seed=2, loss=least_squares_with_a_python_branch, **SMALL),
               GANConfig(seed=3, loss="minimax", gen_loss_name="non_saturating", **SMALL)]
    steps = CHUNK_STEPS + 6
    for config, together in zip(configs, train_batch(RING, configs, steps, **RECORDING)):
        assert together.config is config
        assert_same_run(together, train_toy(RING, config, steps, **RECORDING))


def test_moment_matching_runs():
    def mean_matching(real, fake):
        return ((real.mean(dim=0) - fake.mean(dim=0)) ** 2).sum()

    configs = [GANConfig(sample_loss=mean_matching, n_disc=0, seed=s, **SMALL) for s in (0, 1)]
    together = train_batch(RING, configs, STEPS, **RECORDING)[1]
    assert_same_run(together, train_toy(RING, configs[1], STEPS, **RECORDING))


def test_callback_sees_every_run_so_far():
    seen = []
    train_batch(RING, [GANConfig(seed=s, **SMALL) for s in (0, 1)], 25,
                callback=lambda step, histories: seen.append(
                    (step, [len(h.steps) for h in histories], len(histories[0].losses["gen"]))),
                **RECORDING)
    assert seen == [(10, [2, 2], 10), (20, [3, 3], 20), (25, [4, 4], 25)]


# --------------------------------------------------------------------------- errors


def test_a_batch_is_a_list_of_configs_each_with_its_own_penalty():
    with pytest.raises(ValueError, match=r"got one GANConfig; pass \[config\]"):
        train_batch(RING, GANConfig(), 5, progress=False)
    # one penalty object would serve both runs its random draws in turn, so run 1 would no
    # longer be the train_toy run of its config (measured: 0.026 apart after 5 steps)
    shared = WGANGradientPenalty(10.0)
    with pytest.raises(ValueError, match="share one penalty object"):
        train_batch(RING, [GANConfig(penalty=shared), GANConfig(penalty=shared, seed=1)], 5, progress=False)


def test_configs_of_one_batch_must_share_their_shapes():
    with pytest.raises(ValueError, match="must share width"):
        train_batch(RING, [GANConfig(width=32), GANConfig(width=64)], 5, progress=False)
    with pytest.raises(ValueError, match="must share n_disc"):
        train_batch(RING, [GANConfig(n_disc=1), GANConfig(n_disc=5)], 5, progress=False)
    with pytest.raises(ValueError, match="every configuration of one batch has a sample_loss"):
        train_batch(RING, [GANConfig(sample_loss=lambda r, f: (r - f).mean(), n_disc=0),
                           GANConfig()], 5, progress=False)


def test_a_diverging_run_is_named():
    configs = [GANConfig(**SMALL),
               GANConfig(loss="wasserstein", optimizer="sgd", lr_disc=1e12, lr_gen=1e12, seed=7,
                         **SMALL)]
    configs[0].optimizer = "sgd"  # a batch shares its optimiser
    with pytest.raises(FloatingPointError, match=r"run 1 \(seed 7\): the .* loss became"):
        train_batch(RING, configs, 50, **RECORDING)


# --------------------------------------------------------------------------- BatchedMLP


def test_batched_mlp_slices_are_the_stacked_networks():
    networks = [mlp(2, 1, 8, 3, "tanh", seed=s) for s in (0, 5, 9)]
    batched = BatchedMLP.from_mlps(networks)
    x = torch.randn(3, 4, 2)
    out = batched(x)
    assert out.shape == (3, 4, 1)
    for k, network in enumerate(networks):
        assert torch.allclose(out[k], network(x[k]), atol=1e-6)
        assert torch.allclose(batched.run(k, x[k]), out[k], atol=1e-6)
        assert torch.allclose(batched.to_mlp(k)(x[k]), out[k], atol=1e-6)
    # network 1's loss gives gradients to network 1's slice only
    batched(x)[1].sum().backward()
    assert float(batched.weights[0].grad[[0, 2]].abs().sum()) == 0.0
    assert float(batched.weights[0].grad[1].abs().sum()) > 0.0


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_in_place_activations_give_the_same_bits(activation):
    # BatchedMLP applies ReLU and leaky ReLU in place (less memory traffic); values, input
    # gradients and the penalty's second-order weight gradients must not change by one bit
    networks = [mlp(2, 1, 8, 2, activation, seed=s) for s in (0, 1)]
    in_place = BatchedMLP.from_mlps(networks)
    assert in_place.activation.inplace
    copy = BatchedMLP.from_mlps(networks)
    copy.activation.inplace = False  # as before
    x = torch.randn(2, 16, 2)
    penalties = [WGANGradientPenalty(10.0, seed=3), DRAGANPenalty(10.0, seed=3)]
    got, want = [], []
    for network, results in ((in_place, got), (copy, want)):
        for penalty in penalties:
            penalty.rng.manual_seed(3)
        terms = penalty_terms(network, penalties, x, x.flip(1))
        out = network(x)
        results += [out, *torch.autograd.grad(out.sum() + terms.sum(), list(network.parameters()))]
    assert all(torch.equal(a, b) for a, b in zip(got, want))


def test_from_mlps_checks_the_networks_match():
    with pytest.raises(ValueError, match="same layer sizes"):
        BatchedMLP.from_mlps([mlp(2, 1, 8), mlp(2, 1, 16)])
    with pytest.raises(ValueError, match="different activations"):
        BatchedMLP.from_mlps([mlp(2, 1, 8, activation="relu"), mlp(2, 1, 8, activation="tanh")])
    with pytest.raises(ValueError, match=r"expected inputs of shape \(K=2, B, 2\)"):
        BatchedMLP.from_mlps([mlp(2, 1, 8), mlp(2, 1, 8)])(torch.zeros(3, 5, 2))


# two runs with different settings each: the stacked optimiser, then torch's own, one per run
STACKED_AND_TORCH = {
    "adam": (lambda params: StackedAdam(params, [1e-3, 3e-2], [(0.5, 0.999), (0.0, 0.9)]),
             [lambda params: torch.optim.Adam(params, lr=1e-3, betas=(0.5, 0.999)),
              lambda params: torch.optim.Adam(params, lr=3e-2, betas=(0.0, 0.9))]),
    "rmsprop": (lambda params: StackedRMSprop(params, [5e-5, 3e-2]),
                [lambda params: torch.optim.RMSprop(params, lr=5e-5),
                 lambda params: torch.optim.RMSprop(params, lr=3e-2)]),
}


@pytest.mark.parametrize("name", STACKED_AND_TORCH)
def test_a_stacked_optimizer_updates_each_slice_as_torch_updates_that_run(name):
    make_stacked, make_torch = STACKED_AND_TORCH[name]
    networks = [mlp(2, 1, 8, seed=s) for s in (0, 1)]
    batched = BatchedMLP.from_mlps(networks)
    stacked = make_stacked(batched.parameters())
    optimisers = [make(n.parameters()) for make, n in zip(make_torch, networks)]
    x = torch.randn(2, 16, 2, generator=torch.Generator().manual_seed(0))
    for _ in range(5):
        stacked.step(torch.autograd.grad((batched(x) ** 2).sum(), list(batched.parameters())))
        for k, (network, optimiser) in enumerate(zip(networks, optimisers)):
            optimiser.zero_grad()
            (network(x[k]) ** 2).sum().backward()
            optimiser.step()
    for k, network in enumerate(networks):
        for got, want in zip(batched.to_mlp(k).parameters(), network.parameters()):
            assert torch.allclose(got, want, atol=1e-6)


def every_kind_of_penalty():
    """One run per penalty the package has (a fresh object each call: same seeds, same
    streams), plus a run without one and a penalty of your own."""
    def your_own(discriminator, real, fake):
        return discriminator(real).square().mean()

    return [WGANGradientPenalty(10.0, seed=0), WGANGradientPenalty(3.0, one_sided=True, seed=1),
            DRAGANPenalty(5.0, seed=2), ZeroCentredGradientPenalty(1.0, at="real", seed=3),
            ZeroCentredGradientPenalty(2.0, at="fake", seed=4),
            ZeroCentredGradientPenalty(4.0, at="interpolates", seed=5), None,
            WeightClipping(0.01), your_own]


def test_penalty_terms_of_k_runs_in_one_pass_equal_each_runs_own_penalty():
    k = len(every_kind_of_penalty())
    critics = [mlp(2, 1, 16, 2, seed=s) for s in range(k)]
    stacked = BatchedMLP.from_mlps(critics)
    rng = torch.Generator().manual_seed(0)
    real, fake = torch.randn(k, 32, 2, generator=rng), torch.randn(k, 32, 2, generator=rng)

    together = penalty_terms(stacked, every_kind_of_penalty(), real, fake).detach()
    alone = [float(penalty(critics[run], real[run], fake[run]).detach()) if penalty is not None else 0.0
             for run, penalty in enumerate(every_kind_of_penalty())]
    assert torch.allclose(together, torch.tensor(alone), rtol=1e-5, atol=1e-6)
    assert together[6] == 0.0 and together[7] == 0.0  # no penalty; clipping adds no term


def test_penalty_terms_evaluate_each_kind_in_one_call_to_the_bit():
    """The runs that share ``unweighted`` are evaluated in one vmap call: the same bits as
    each run's own ``from_gradients`` on its slice of the stacked gradients."""
    k = len(every_kind_of_penalty())
    stacked = BatchedMLP.from_mlps([mlp(2, 1, 16, 2, seed=s) for s in range(k)])
    rng = torch.Generator().manual_seed(1)
    real, fake = torch.randn(k, 32, 2, generator=rng), torch.randn(k, 32, 2, generator=rng)
    together = penalty_terms(stacked, every_kind_of_penalty(), real, fake)
    penalties = every_kind_of_penalty()
    points = real.clone()
    for run, penalty in enumerate(penalties):
        if hasattr(penalty, "points"):
            points[run] = penalty.points(real[run], fake[run])
    gradients = input_gradients(stacked, points)
    gradient_runs = [run for run, penalty in enumerate(penalties) if hasattr(penalty, "points")]
    assert len(gradient_runs) == 6
    for run in gradient_runs:
        assert torch.equal(together[run], penalties[run].from_gradients(gradients[run]))


def test_penalty_terms_give_each_run_its_own_weight_gradients():
    """The batched penalty's gradient with respect to run k's weights is run k's alone."""
    k = 3
    critics = [mlp(2, 1, 16, 2, seed=s) for s in range(k)]
    stacked = BatchedMLP.from_mlps(critics)
    real, fake = torch.randn(k, 32, 2), torch.randn(k, 32, 2)
    penalties = [WGANGradientPenalty(10.0, seed=s) for s in range(k)]
    together = torch.autograd.grad(penalty_terms(stacked, penalties, real, fake).sum(),
                                   list(stacked.weights))
    for run in range(k):
        alone = torch.autograd.grad(WGANGradientPenalty(10.0, seed=run)(critics[run], real[run],
                                                                         fake[run]),
                                    [m.weight for m in critics[run] if hasattr(m, "weight")])
        for stacked_gradient, own in zip(together, alone):
            assert torch.allclose(stacked_gradient[run].T, own, rtol=1e-4, atol=1e-6)
