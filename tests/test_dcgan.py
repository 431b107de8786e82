"""gan_course.models.dcgan: shapes at every size, tanh outputs, the three normalisations,
DCGAN's initialisation, seeding, and one WGAN-GP run through the training loop on digits."""

import pytest
import torch
from torch import nn

from gan_course.data.images import ImageBatches, load_images
from gan_course.models.dcgan import (
    NORMS,
    SIZES,
    DCGANDiscriminator,
    DCGANEncoder,
    DCGANGenerator,
    count_parameters,
    dcgan_init,
)
from gan_course.penalties import WGANGradientPenalty
from gan_course.train import train

WIDTH = 4  # tiny networks: the shapes and the wiring are what is tested


def noise(batch=5, noise_dim=16, seed=0):
    return torch.randn(batch, noise_dim, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("channels", [1, 3])
def test_every_network_has_the_right_shapes_at_every_size(size, channels):
    images = DCGANGenerator(16, channels, size, WIDTH, seed=0)(noise())
    assert images.shape == (5, channels, size, size)
    for norm in NORMS:
        assert DCGANDiscriminator(channels, size, WIDTH, norm=norm, seed=0)(images).shape == (5, 1)
    assert DCGANEncoder(channels, size, code_dim=7, width=WIDTH, seed=0)(images).shape == (5, 7)


def test_the_generator_ends_in_tanh_so_its_pixels_lie_in_minus_one_one():
    generator = DCGANGenerator(16, 1, 28, WIDTH, seed=0)
    assert isinstance(generator.net[-1], nn.Tanh)
    with torch.no_grad():
        generator.net[-2].weight.mul_(1000)  # saturate the tanh: outputs reach ±1, never beyond
        images = generator(noise(64))
    assert float(images.min()) >= -1 and float(images.max()) <= 1
    assert float(images.min()) < -0.99 and float(images.max()) > 0.99


def test_the_paper_architecture_at_64_pixels():
    # Radford et al.: 4×4·8w → 8×8·4w → 16×16·2w → 32×32·w → 64×64·3
    generator = DCGANGenerator(100, 3, 64, width=64)
    widths = [layer.out_channels for layer in generator.net if isinstance(layer, nn.ConvTranspose2d)]
    assert widths == [512, 256, 128, 64, 3]
    discriminator = DCGANDiscriminator(3, 64, width=64)
    widths = [layer.out_channels for layer in discriminator.net if isinstance(layer, nn.Conv2d)]
    assert widths == [64, 128, 256, 512, 1]
    # no batch norm at D's input nor at G's output
    assert not isinstance(discriminator.net[1], nn.BatchNorm2d)
    assert not isinstance(generator.net[-2], nn.BatchNorm2d)


@pytest.mark.parametrize("norm, has_batch_norm", [("batch", True), ("spectral", False), ("none", False)])
def test_batch_norm_is_present_only_when_asked_for(norm, has_batch_norm):
    discriminator = DCGANDiscriminator(1, 28, WIDTH, norm=norm)
    found = any(isinstance(layer, nn.BatchNorm2d) for layer in discriminator.modules())
    assert found == has_batch_norm


def largest_singular_values(network):
    """σ(W) of each convolution's weight reshaped to (out, in·k·k), read in eval mode (in training
    mode, reading the weight would run one more power iteration)."""
    network.eval()
    with torch.no_grad():
        sigmas = [float(torch.linalg.matrix_norm(layer.weight.flatten(1), ord=2))
                  for layer in network.modules() if isinstance(layer, nn.Conv2d)]
    network.train()
    return sigmas


def test_spectral_norm_bounds_the_largest_singular_value_of_every_convolution():
    discriminator = DCGANDiscriminator(3, 32, width=16, norm="spectral", seed=0)
    images = torch.rand(8, 3, 32, 32) * 2 - 1
    for _ in range(5):  # each forward pass in training mode runs one power iteration
        discriminator(images)
    sigmas = largest_singular_values(discriminator)
    assert len(sigmas) == 4
    # the power iteration underestimates σ, so W / σ̂ has σ slightly above 1 and converges to it
    assert all(0.999 < sigma < 1.05 for sigma in sigmas)
    for _ in range(45):
        discriminator(images)
    assert largest_singular_values(discriminator) == pytest.approx([1.0] * 4, abs=0.01)
    # without it, DCGAN's N(0, 0.02²) weights have σ(W) far from 1
    plain = largest_singular_values(DCGANDiscriminator(3, 32, width=16, norm="none", seed=0))
    assert all(abs(sigma - 1.0) > 0.3 for sigma in plain)


@pytest.mark.parametrize("build, low, high", [
    # convolution to convolution: width² weights, so doubling the width multiplies them by about 4
    (lambda width: DCGANDiscriminator(3, 32, width), 3.5, 4.1),
    (lambda width: DCGANEncoder(3, 64, 8, width), 3.5, 4.1),
    # the first layer has noise_dim · 2w · 7² weights, only linear in the width
    (lambda width: DCGANGenerator(100, 1, 28, width), 2.0, 4.1),
])
def test_parameter_counts_grow_with_the_width(build, low, high):
    counts = [count_parameters(build(width)) for width in (8, 16, 32)]
    assert all(low < large / small < high for small, large in zip(counts, counts[1:]))


def test_dcgan_init_draws_weights_with_std_002():
    generator = DCGANGenerator(100, 3, 64, width=32, seed=0)
    deconv = generator.net[3]
    assert float(deconv.weight.detach().std()) == pytest.approx(0.02, rel=0.02)
    batch_norm = generator.net[1]
    assert float(batch_norm.weight.detach().mean()) == pytest.approx(1.0, abs=0.01)
    assert float(batch_norm.bias.detach().abs().max()) == 0.0
    layer = nn.Conv2d(8, 8, 3)
    dcgan_init(layer)
    assert float(layer.bias.detach().abs().max()) == 0.0


def test_a_seed_fixes_the_weights_and_leaves_the_global_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    first = DCGANDiscriminator(1, 28, WIDTH, norm="spectral", seed=5)
    assert torch.equal(torch.rand(1), expected)
    second = DCGANDiscriminator(1, 28, WIDTH, norm="spectral", seed=5)
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("build, message", [
    (lambda: DCGANGenerator(16, 1, 48), "built for images of size 8, 28, 32, 64, got size=48"),
    (lambda: DCGANDiscriminator(1, 28, norm="layer"), "unknown norm 'layer'; choose 'batch'"),
    (lambda: DCGANEncoder(1, 28, code_dim=0), "code_dim must be a positive integer"),
    (lambda: DCGANDiscriminator(1, 28, width=0), "width must be a positive integer"),
])
def test_bad_arguments_get_one_sentence_naming_the_fix(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_images_of_the_wrong_shape_get_the_reshape_to_use():
    flat_digits = torch.zeros(4, 784)
    with pytest.raises(ValueError, match=r"shape \(B, 1, 28, 28\), got \(4, 784\); reshape them"):
        DCGANDiscriminator(1, 28, WIDTH)(flat_digits)
    with pytest.raises(ValueError, match=r"noise must have shape \(n, 16\)"):
        DCGANGenerator(16, 1, 28, WIDTH)(torch.zeros(4, 8))


def test_one_wgan_gp_run_on_mnist5k_through_the_training_loop():
    # no batch norm in the critic: the gradient penalty is per image (Gulrajani et al. 2017)
    generator = DCGANGenerator(16, 1, 28, width=WIDTH, seed=0)
    critic = DCGANDiscriminator(1, 28, width=WIDTH, norm="none", seed=1)
    batches = ImageBatches(load_images("mnist5k"), batch_size=16, noise_dim=16, seed=0)
    losses = []
    train(generator, critic, batches, steps=2,
          gen_optimizer=torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.0, 0.9)),
          disc_optimizer=torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.0, 0.9)),
          loss="wasserstein", n_disc=5, penalty=WGANGradientPenalty(weight=10.0, seed=0),
          hook=lambda step, disc_loss, gen_loss: losses.append((float(disc_loss), float(gen_loss))),
          progress=False)
    assert len(losses) == 2
    assert all(torch.isfinite(torch.tensor(pair)).all() for pair in losses)


def test_image_batches_resumed_from_a_state_dict_mid_epoch_give_the_same_batches():
    images = torch.arange(10.0).reshape(10, 1, 1, 1)
    first = ImageBatches(images, batch_size=3, noise_dim=2, seed=0)
    first.real(), first.noise()  # one batch into a 3-batch epoch
    resumed = ImageBatches(images, batch_size=3, noise_dim=2, seed=5)
    resumed.load_state_dict(first.state_dict())
    for _ in range(4):  # across the epoch's end: the next epoch's order comes from the rng
        assert torch.equal(first.real(), resumed.real())
        assert torch.equal(first.noise(), resumed.noise())
